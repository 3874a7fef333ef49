"""Structural decoder cost: MAP fit + Laplace seconds and peak memory, and ROAS error.

Two panels: a national-like series (1 x 156 weeks x 3 channels, known ROAS) and a funnel
panel (60 series x 120 weeks x 9 nodes: 5 channels, 3 mediators, the target, every candidate
edge on). ``--compare-gru`` also times one teacher-forced loss + gradient evaluation of the
stage-2 GRU (``GraphSafeDecoder``) against the structural decoder on the funnel panel (same
loss, same run: a ratio).

    python benchmarks/bench_structural.py [--seeds 3] [--compare-gru]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from _memory import reset_peak, status_kb

from pymc_dice.data import time_features
from pymc_dice.nn.decoders import GraphSafeDecoder
from pymc_dice.nn.laplace import contribution_draws, laplace_posterior
from pymc_dice.nn.structural import (
    StructuralDecoder,
    channel_contributions,
    fit_structural,
)


def national(seed: int, n_dates: int = 156):
    """Geometric adstock from lag 0, logistic saturation, trend, season, a control, noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-04", periods=n_dates, freq="W-MON")
    on = rng.random((n_dates, 3)) < np.array([0.8, 0.6, 0.9])
    spend = np.array([100.0, 50.0, 200.0]) * rng.gamma(2.0, 0.5, (n_dates, 3)) * on
    alpha, lam = np.array([0.5, 0.3, 0.7]), np.array([2.0, 3.0, 1.5])
    beta = np.array([0.25, 0.15, 0.2])
    w = alpha[:, None] ** np.arange(8)
    w /= w.sum(1, keepdims=True)

    def response(sp):
        u = sp / spend.max(0)
        ad = np.stack([np.convolve(u[:, j], w[j])[:n_dates] for j in range(3)], 1)
        return beta * np.tanh(0.5 * lam * ad)

    ctrl = rng.normal(size=n_dates)
    tf = time_features(dates, 2)
    base = 0.3 + 0.05 * tf[:, 0] + 0.04 * tf[:, 1] + 0.02 * tf[:, 2] + 0.02 * ctrl
    y = (base + response(spend).sum(1) + 0.02 * rng.normal(size=n_dates)) * 1000.0
    full = response(spend)
    truth = np.stack([(full - response(spend * (np.arange(3) != j)))[:, j] for j in range(3)], 1)
    x = np.concatenate([spend / spend.max(0), (y / np.abs(y).max())[:, None]], 1)[None]
    c = np.concatenate([tf, ctrl[:, None]], 1)[None]
    roas = truth.sum(0) * 1000.0 / spend.sum(0)
    return torch.tensor(x), torch.tensor(c), spend, np.abs(y).max(), roas


def funnel(seed: int, n_series: int = 60, n_dates: int = 120, k: int = 5, m: int = 3):
    """Channels -> mediators (same week) -> target (next week), per-series levels."""
    rng = np.random.default_rng(seed)
    n = k + m + 1
    x = np.zeros((n_series, n_dates, n))
    x[..., :k] = rng.gamma(2.0, 0.25, (n_series, n_dates, k)) * (rng.random((1, n_dates, k)) < 0.8)
    level = rng.uniform(0.2, 0.5, (n_series, 1, m + 1))
    x[..., k:] = level + 0.02 * rng.normal(size=(n_series, n_dates, m + 1))
    x[..., k : k + m] += 0.2 * np.tanh(x[..., :k] @ rng.uniform(0, 1, (k, m)) / k)
    x[:, 1:, -1] += 0.3 * np.tanh(x[:, :-1, k : k + m].mean(-1))
    dates = pd.date_range("2021-01-04", periods=n_dates, freq="W-MON")
    c = np.broadcast_to(time_features(dates, 2), (n_series, n_dates, 5)).copy()
    return torch.tensor(x), torch.tensor(c), k


def timed(fn):
    reset_peak()
    before = status_kb("VmRSS") or 0
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start, ((status_kb("VmHWM") or 0) - before) / 1024


def bench_national(seed: int) -> dict:
    x, c, spend, y_scale, true_roas = national(seed)
    graph = torch.ones(4, 4, dtype=torch.float64)
    dec = StructuralDecoder(4, c.shape[-1], 3, max_lag=8).double()
    fit, t_fit, mb_fit = timed(
        lambda: fit_structural(dec, x, c, graph, train=slice(0, 140), val=slice(140, 156))
    )
    post, t_lap, mb_lap = timed(lambda: laplace_posterior(dec, x, c, graph, n_draws=400))
    draws, t_draw, _ = timed(lambda: contribution_draws(dec, post, x, c, graph))
    with torch.no_grad():
        est = channel_contributions(dec, x, c, graph)[0, :, :, -1].sum(0).numpy()
    est = est * y_scale / spend.sum(0)
    by_draw = draws[:, 0, :, :, -1].sum(1).numpy() * y_scale / spend.sum(0)
    lo, hi = np.quantile(by_draw, [0.05, 0.95], 0)
    return {
        "fit_s": t_fit,
        "laplace_s": t_lap,
        "draws_s": t_draw,
        "iters": fit.n_iter,
        "peak_mb": max(mb_fit, mb_lap),
        "rel_err": est / true_roas - 1,
        "covered": int(((lo <= true_roas) & (true_roas <= hi)).sum()),
    }


def bench_panel(seed: int, compare_gru: bool) -> dict:
    x, c, k = funnel(seed)
    n = x.shape[-1]
    graph = torch.ones(n, n, dtype=torch.float64)
    dec = StructuralDecoder(n, c.shape[-1], k, n_series=x.shape[0], max_lag=8).double()
    fit, t_fit, mb_fit = timed(
        lambda: fit_structural(dec, x, c, graph, train=slice(0, 100), val=slice(100, 120))
    )
    post, t_lap, mb_lap = timed(lambda: laplace_posterior(dec, x, c, graph, n_draws=200))
    _, t_draw, mb_draw = timed(lambda: contribution_draws(dec, post, x, c, graph, chunk_size=50))
    out = {
        "fit_s": t_fit,
        "laplace_s": t_lap,
        "draws_s": t_draw,
        "iters": fit.n_iter,
        "peak_mb": max(mb_fit, mb_lap, mb_draw),
        "n_joint": post.n_joint,
    }
    if compare_gru:
        xf, cf, gf = x.float(), c.float(), graph.float()
        structural = StructuralDecoder(n, c.shape[-1], k, n_series=x.shape[0], max_lag=8)
        out["eval_ratio_gru_over_structural"] = eval_seconds(
            GraphSafeDecoder(n, c.shape[-1]), xf, cf, gf, k
        ) / eval_seconds(structural, xf, cf, gf, k)
    return out


def eval_seconds(dec, x, c, graph, k, repeats: int = 5) -> float:
    """Seconds of one teacher-forced MSE (non-channel nodes) + gradient evaluation."""
    start = time.perf_counter()
    for _ in range(repeats):
        dec.zero_grad()
        ((dec(x, c, graph) - x[:, 1:])[..., k:] ** 2).mean().backward()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--compare-gru", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("national 1 x 156 x 3 channels (fit + Laplace + 400 contribution draws)")
    for seed in range(args.seeds):
        r = bench_national(seed)
        err = np.array2string(r["rel_err"], precision=3)
        print(
            f"  seed {seed}: fit {r['fit_s']:.2f}s ({r['iters']} it), laplace {r['laplace_s']:.3f}s,"
            f" draws {r['draws_s']:.2f}s, peak +{r['peak_mb']:.0f} MB, ROAS rel. err {err},"
            f" 90% covered {r['covered']}/3"
        )
    print("panel 60 x 120 x 9 nodes (every candidate edge)")
    r = bench_panel(0, args.compare_gru)
    line = (
        f"  fit {r['fit_s']:.2f}s ({r['iters']} it), laplace {r['laplace_s']:.2f}s"
        f" ({r['n_joint']} joint params), 200 contribution draws {r['draws_s']:.2f}s,"
        f" peak +{r['peak_mb']:.0f} MB"
    )
    print(line)
    if args.compare_gru:
        print(
            f"  one loss+gradient evaluation: GRU / structural = "
            f"{r['eval_ratio_gru_over_structural']:.1f}x"
        )


if __name__ == "__main__":
    main()
