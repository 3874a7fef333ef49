"""Budget allocation scored by the simulator's truth: DiceMMM against pymc-marketing's MMM.

On ``national`` panels (one series, 3 channels; seeds 0, 1, 2 fitted on 104, 130 and 156
weeks), the plan covers the 13 weeks after the fitted data. The current mix is each channel's
mean weekly spend over the last 13 fitted weeks; its total is the weekly budget both models
allocate (DiceMMM's ``optimize_budget``, pymc-marketing's ``budget_optimizer`` +
``allocate_budget`` on :func:`pymc_dice.bench.roas.pymc_mmm`, 2 chains x 200 draws, 200 tune).
Each allocation, held constant over the 13 weeks, is scored by re-running the simulator
noise-free (``sim.system.run``) with that spend on those weeks: the true incremental sales
over the current mix. ``oracle`` is the best constant allocation under the truth itself
(SLSQP on the simulator), the ceiling of what any model can gain.

    python benchmarks/bench_budget.py [--seeds 0 1 2] [--weeks 104 130 156] [--draws 200]
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import numpy as np
import pandas as pd
import torch
from scipy.optimize import minimize

from pymc_dice.bench.roas import pymc_mmm
from pymc_dice.data import Roles
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import national

HORIZON = 13


def true_sales(sim, n_fit: int, weekly: np.ndarray) -> float:
    """Noise-free total target over the ``HORIZON`` weeks after ``n_fit`` when each channel
    spends ``weekly`` per week there (actual spend before)."""
    start = sim.system.burn_in + n_fit
    spend = sim.spend.copy()
    spend[:, start : start + HORIZON] = weekly
    return float(sim.system.run(spend, target_only=True)[:, start : start + HORIZON].sum())


def oracle(sim, n_fit: int, budget: float, start: np.ndarray) -> np.ndarray:
    """The best constant weekly allocation of ``budget`` under the simulator's truth."""
    base = true_sales(sim, n_fit, start)

    def loss(z):
        return -(true_sales(sim, n_fit, z * budget) - base) / budget

    res = minimize(
        loss,
        start / budget,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * len(start),
        constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1.0}],
        options={"ftol": 1e-12, "maxiter": 300},
    )
    return np.clip(res.x, 0, None) / np.clip(res.x, 0, None).sum() * budget


def fit_pymc(train: pd.DataFrame, roles: Roles, seed: int, draws: int):
    """pymc-marketing's MMM fitted quietly; returns the model and its fit seconds."""
    mmm = pymc_mmm(roles)
    cols = [roles.date_column, *roles.channel_columns, *roles.control_columns]
    loggers = [logging.getLogger(n) for n in ("pymc", "pymc.sampling.mcmc", "pymc_marketing")]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(
            train[cols],
            train[roles.target_column],
            chains=2,
            draws=draws,
            tune=draws,
            cores=1,
            random_seed=seed,
            progressbar=False,
        )
    return mmm, time.perf_counter() - start


def pymc_allocation(mmm, future_dates: pd.DatetimeIndex, budget: float, channels) -> np.ndarray:
    """pymc-marketing's own optimiser: weekly spend per channel summing to ``budget``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = mmm.budget_optimizer(start_date=future_dates[0], end_date=future_dates[-1])
        res = opt.allocate_budget(
            total_budget=budget, budget_bounds={c: (0.0, budget) for c in channels}
        )
    return np.asarray(res.budgets.sel(channel=list(channels)).values, dtype=float)


def run_seed(seed: int, n_fit: int, draws: int) -> dict:
    sim = national(n_periods=n_fit + HORIZON, seed=seed)
    roles = Roles(**sim.roles)
    channels = list(roles.channel_columns)
    train, future = sim.df.iloc[:n_fit], sim.df.iloc[n_fit:]
    current = train[channels].iloc[-HORIZON:].mean().to_numpy(float)
    budget = float(current.sum())

    start = time.perf_counter()
    dice = DiceMMM(channel_columns=channels, control_columns=list(roles.control_columns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dice.fit(train, progressbar=False, random_seed=seed)
    fit_dice = time.perf_counter() - start
    start = time.perf_counter()
    res = dice.optimize_budget(
        budget, HORIZON, X=future[[roles.date_column, *roles.control_columns]]
    )
    opt_dice = time.perf_counter() - start
    alloc_dice = res.budgets.sel(channel=channels).values.astype(float)

    pm, fit_pm = fit_pymc(train, roles, seed, draws)
    start = time.perf_counter()
    alloc_pm = pymc_allocation(pm, pd.DatetimeIndex(future[roles.date_column]), budget, channels)
    opt_pm = time.perf_counter() - start
    alloc_best = oracle(sim, n_fit, budget, current)

    base = true_sales(sim, n_fit, current)
    gain = {
        name: true_sales(sim, n_fit, alloc) - base
        for name, alloc in (("dice", alloc_dice), ("pymc", alloc_pm), ("oracle", alloc_best))
    }
    return {
        "seed": seed,
        "weeks": n_fit,
        "budget": budget,
        "channels": channels,
        "current": current,
        "dice": alloc_dice,
        "pymc": alloc_pm,
        "oracle": alloc_best,
        "gain": gain,
        "base": base,
        "model_gain": float(res.uplift),
        "seconds": {
            "fit_dice": fit_dice,
            "opt_dice": opt_dice,
            "fit_pymc": fit_pm,
            "opt_pymc": opt_pm,
        },
        "true_roas": sim.truth["roas"].values,
    }


def shares(alloc: np.ndarray) -> str:
    return " / ".join(f"{v:.2f}" for v in alloc / alloc.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--weeks", type=int, nargs="+", default=[104, 130, 156])
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    weeks = (args.weeks * len(args.seeds))[: len(args.seeds)]
    rows = [run_seed(s, w, args.draws) for s, w in zip(args.seeds, weeks, strict=True)]
    print(
        f"\nweekly budget = current mix over the last {HORIZON} fitted weeks; plan: next "
        f"{HORIZON} weeks; true incremental sales over the current mix (noise-free simulator)"
    )
    print(
        "| seed | weeks | true ROAS (tv/social/search) | current shares | DiceMMM shares | "
        "pymc-marketing shares | oracle shares | DiceMMM gain | pymc-marketing gain | "
        "oracle gain | DiceMMM's own forecast of its gain |"
    )
    print("|" + " --- |" * 11)
    for r in rows:
        g = r["gain"]
        roas = " / ".join(f"{v:.2f}" for v in r["true_roas"])
        print(
            f"| {r['seed']} | {r['weeks']} | {roas} | {shares(r['current'])} | "
            f"{shares(r['dice'])} | {shares(r['pymc'])} | {shares(r['oracle'])} | "
            f"{g['dice']:,.0f} | {g['pymc']:,.0f} | {g['oracle']:,.0f} | {r['model_gain']:,.0f} |"
        )
    mean = {k: np.mean([r["gain"][k] for r in rows]) for k in ("dice", "pymc", "oracle")}
    base = np.mean([r["base"] for r in rows])
    print(
        f"\nmean true gain: DiceMMM {mean['dice']:,.0f}, pymc-marketing {mean['pymc']:,.0f}, "
        f"oracle {mean['oracle']:,.0f} (of {base:,.0f} sales under the current mix)"
    )
    print(
        f"same-run ratios: DiceMMM / pymc-marketing gain = {mean['dice'] / mean['pymc']:.2f}; "
        f"share of the oracle gain: DiceMMM {mean['dice'] / mean['oracle']:.2f}, "
        f"pymc-marketing {mean['pymc'] / mean['oracle']:.2f}"
    )
    for r in rows:
        s = r["seconds"]
        print(
            f"seed {r['seed']} seconds: DiceMMM fit {s['fit_dice']:.1f} + optimise "
            f"{s['opt_dice']:.1f}; pymc-marketing fit {s['fit_pymc']:.1f} + optimise "
            f"{s['opt_pymc']:.1f}"
        )


if __name__ == "__main__":
    main()
