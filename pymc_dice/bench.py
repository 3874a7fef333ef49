"""Paper benchmarks: the suites of docs/benchmarks.md over arms, seeds and sizes.

Suites
------
- ``sparse-target``: every arm (docs/benchmarks.md) on :func:`pymc_dice.simulate.sparse_target`;
  the graph-learning decoders (``dice-hard``, ``dice-soft``, ``causalmmm``) also get a graph swap.
- ``rdt``: controlled swaps, :func:`pymc_dice.simulate.rdt` varying one of R (graphs), d
  (nodes), T (weeks) at a time around a base setting.
- ``rawlog``: :func:`pymc_dice.simulate.rawlog`, a graph per series and raw heavy-tailed spend.
- ``graph-swap``: the graph-learning decoders on ``sparse_target``, each frozen decoder fed the
  inputs learned / selected / oracle / empty / full / random.

Metrics per job (scaled data, horizon H = 7): ``mse_target@7`` and ``mse_all@7`` (closed-loop
rollouts over the held-out windows with the graph the arm deploys, the numbers
:func:`pymc_dice.diagnostics.swap.graph_swap` reports for that input); ``cig_nauprc`` and
``ar_cig_nauprc`` (the deployed decoder's CIG / AR-CIG vs the true direct graph on candidate
edges); ``edge_auroc`` / ``edge_nauprc`` (edge probabilities vs truth, arms with an encoder
only); ``selected_f1`` / ``shd`` / ``n_edges`` (DICE arms' selected support); ``fit_seconds``.

Several true graphs (``rdt`` with R > 1, ``rawlog``): a decoder is deployed with one graph and
its CIG / AR-CIG are means over series, so they are scored against the *union* of the true
graphs (an edge is true when some series uses it); the ``oracle`` arm is given that union, and
selected graphs are scored against it too. Per-series scores are reported beside them:
``cig_nauprc_series`` / ``ar_cig_nauprc_series`` (each series' influence against its own graph,
pooled over series) and ``edge_auroc`` (each series' amortised edge probabilities against its
own graph, pooled). With one graph both scorings agree with the single-graph definitions.

Examples
--------
>>> parse_arm("dice-hard/topk"), expand_arms(["oracle", "dice-hard"], ["threshold", "topk"])
(('dice-hard', 'topk'), ['oracle', 'dice-hard/threshold', 'dice-hard/topk'])
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import numpy as np
import xarray as xr

from pymc_dice.config import SupportMethod
from pymc_dice.sweep import Job, load_cached, make_jobs, run_grid, to_dataset, write_json

__all__ = [
    "ARMS",
    "SUITES",
    "SUPPORTS",
    "add_arguments",
    "bench_job",
    "evaluate_arm",
    "expand_arms",
    "main",
    "parse_arm",
    "run_bench",
    "run_from_args",
    "suite_settings",
    "write_report",
]

SUITES = ("sparse-target", "rdt", "rawlog", "graph-swap")
#: the comparison arms (docs/benchmarks.md, "Attribution suites"), in table order
ARMS = ("nograph", "fullgraph", "oracle", "dense", "causalmmm", "dice-soft", "dice-hard")
#: decoders of the graph-swap suite (arms that learn a graph)
SWAP_DECODERS = ("dice-hard", "dice-soft", "causalmmm")
SUPPORTS = get_args(SupportMethod)
DICE = ("dice-hard", "dice-soft")
HORIZON = 7

#: quick sizes: ``sparse-target`` runs in a few minutes on 2 CPU cores with 1 torch thread
QUICK = {
    "n_series": 32,
    "n_periods": 60,
    "hidden_size": 16,
    "epochs_stage1": 30,
    "epochs_stage2": 40,
    "eval_every": 2,
}
#: full sizes (the paper's panel; a GPU or a cluster)
FULL = {
    "n_series": 96,
    "n_periods": 104,
    "hidden_size": 32,
    "epochs_stage1": 150,
    "epochs_stage2": 150,
    "eval_every": 5,
}
SEEDS = {True: 3, False: 5}
#: size parameters that ``overrides`` / ``--size`` may change
SIZE_KEYS = (*QUICK, "horizon", "val_fraction", "swap", "device", "rdt")
RDT_GRID = {
    True: {"base": {"R": 1, "d": 8, "T": 60}, "R": (1, 2), "d": (6, 8), "T": (40, 60)},
    False: {"base": {"R": 1, "d": 8, "T": 104}, "R": (1, 2, 4), "d": (6, 8, 12), "T": (52, 104, 156)},
}
#: the paper's numbers (docs/benchmarks.md), mean and sd over seeds
PAPER = {"oracle_ar_cig": (0.807, 0.129), "swap_learned": (-0.044, 0.006), "swap_oracle": (0.894, 0.027)}

COLUMNS = (
    ("mse_target@7", "MSE@7 target"),
    ("mse_all@7", "MSE@7 all"),
    ("cig_nauprc", "CIG nAUPRC"),
    ("ar_cig_nauprc", "AR-CIG nAUPRC"),
    ("edge_auroc", "edge AUROC"),
    ("selected_f1", "selected F1"),
    ("fit_seconds", "fit s"),
)


# --------------------------------------------------------------------------------------------
# grid
# --------------------------------------------------------------------------------------------


def parse_arm(label: str) -> tuple[str, str | None]:
    """``"dice-hard/topk"`` -> ``("dice-hard", "topk")``; ``"oracle"`` -> ``("oracle", None)``.

    Examples
    --------
    >>> parse_arm("oracle")
    ('oracle', None)
    """
    arm, _, support = label.partition("/")
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; choose from {', '.join(ARMS)}")
    if support and (arm not in DICE or support not in SUPPORTS):
        raise ValueError(
            f"arm label {label!r}: a support variant needs a DICE arm ({', '.join(DICE)}) and one "
            f"of {', '.join(SUPPORTS)}"
        )
    return arm, support or None


def expand_arms(arms: Sequence[str], supports: Sequence[str] | None = None) -> list[str]:
    """Arm labels: each DICE arm once per support method (``"dice-hard/topk"``), unless
    ``supports`` is None (the config's default method, plain label).

    Examples
    --------
    >>> expand_arms(["dice-soft", "nograph"])
    ['dice-soft', 'nograph']
    """
    out = []
    for label in arms:
        arm, support = parse_arm(label)
        if arm in DICE and support is None and supports:
            out += [f"{arm}/{s}" for s in supports]
            for label_s in out[-len(supports) :]:
                parse_arm(label_s)  # validates the method
        else:
            out.append(label)
    return list(dict.fromkeys(out))


def suite_settings(
    suite: str, quick: bool = True, overrides: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Settings of a suite, ``{label: params}``; ``overrides`` update every setting's params
    (``{"rdt": {...}}`` replaces the R/d/T grid of ``rdt``).

    Examples
    --------
    >>> list(suite_settings("rdt"))
    ['R1-d8-T60', 'R2-d8-T60', 'R1-d6-T60', 'R1-d8-T40']
    >>> suite_settings("sparse-target", overrides={"n_series": 8})["S8-T60"]["hidden_size"]
    16
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose from {', '.join(SUITES)} or 'all'")
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(SIZE_KEYS))
    if unknown:
        raise ValueError(
            f"unknown size parameter(s) {unknown}; known: {', '.join(sorted(SIZE_KEYS))}"
        )
    grid = overrides.pop("rdt", None) or RDT_GRID[quick]
    base = {**(QUICK if quick else FULL), "horizon": HORIZON, "val_fraction": 0.25}
    base["swap"] = suite in ("sparse-target", "graph-swap")
    base.update(overrides)
    if suite != "rdt":
        return {f"S{base['n_series']}-T{base['n_periods']}": base}
    b = dict(grid["base"])
    points = [b] + [{**b, dim: v} for dim in ("R", "d", "T") for v in grid[dim] if v != b[dim]]
    out = {}
    for p in points:
        out[f"R{p['R']}-d{p['d']}-T{p['T']}"] = {**base, **p, "n_periods": p["T"]}
    return out


# --------------------------------------------------------------------------------------------
# one job
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _simulation(suite: str, n_series: int, n_periods: int, R: int, d: int, seed: int):
    from pymc_dice.simulate import rawlog, rdt, sparse_target

    if suite in ("sparse-target", "graph-swap"):
        return sparse_target(n_series=n_series, n_periods=n_periods, seed=seed)
    if suite == "rdt":
        return rdt(R, d, n_periods, n_series=n_series, seed=seed)
    return rawlog(n_series=n_series, n_periods=n_periods, seed=seed)


def _truths(truth: xr.Dataset, panel) -> tuple[xr.DataArray, xr.DataArray]:
    """The union of the true graphs ``(source, target)`` and each series' own graph
    ``(series, source, target)``, on the panel's node and series order."""
    nodes = list(panel.nodes)
    graphs = truth["graphs"].reindex(source=nodes, target=nodes)
    union = (graphs.max("graph_id") > 0).astype(int).drop_vars("graph_id", errors="ignore")
    geo = truth["series_graph"].dims[0]
    ids = truth["series_graph"].sel({geo: [str(s) for s in panel.series]})
    per_series = graphs.sel(graph_id=ids).drop_vars("graph_id").rename({geo: "series"})
    return union.transpose("source", "target"), (per_series > 0).astype(int)


def evaluate_arm(trained, panel, truth: xr.Dataset, horizon: int = HORIZON, swap: bool = False) -> dict:
    """Every benchmark figure of one trained arm (see the module docstring).

    Parameters
    ----------
    trained : pymc_dice.train.TrainedArm
    panel : pymc_dice.data.Panel
        The scaled panel it was trained on.
    truth : xarray.Dataset
        The simulator's truth (``graphs``, ``series_graph``).
    horizon : int
        H of MSE@H and AR-CIG.
    swap : bool
        Add the graph-swap table (``graph_swap``: graph_input x metric).

    Returns
    -------
    dict
        Metric name -> float (NaN where it does not apply), plus ``graph_swap`` and ``_dims``
        when ``swap``.

    Examples
    --------
    >>> from pymc_dice.config import ModelConfig, TrainerConfig
    >>> from pymc_dice.data import Panel, Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> from pymc_dice.train import fit_arm
    >>> sim = sparse_target(n_series=4, n_periods=40, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> fit = fit_arm(panel, ModelConfig(arm="nograph", hidden_size=4),
    ...               TrainerConfig(epochs_stage2=1), progressbar=False)
    >>> res = evaluate_arm(fit, panel, sim.truth)
    >>> res["ar_cig_nauprc"], np.isnan(res["edge_auroc"])
    (0.0, np.True_)
    """
    import torch

    from pymc_dice.diagnostics.influence import _param_like, ar_cig, cig, influence_origins
    from pymc_dice.diagnostics.metrics import auroc, expected_random_nauprc, f1, nauprc, shd
    from pymc_dice.diagnostics.swap import GRAPH_INPUTS, graph_swap
    from pymc_dice.graph import candidate_mask, graph_dataarray
    from pymc_dice.train import PanelTensors, rollout_errors

    start = time.perf_counter()
    nodes = list(panel.nodes)
    cand = candidate_mask(nodes, panel.roles.channel_columns, panel.roles.target_column)
    union, per_series = _truths(truth, panel)
    device, dtype = _param_like(trained.decoder)
    data = PanelTensors.from_panel(panel, horizon, device)
    origins = influence_origins(data, horizon)
    val = replace(data, val_origins=torch.as_tensor(origins, device=device))
    graph = np.asarray(trained.graph_input(), dtype=float)
    err = rollout_errors(trained.decoder, val, torch.as_tensor(graph, dtype=dtype, device=device), horizon)
    args = (trained.decoder, data.x, data.c, graph, origins, data.n_channels)
    series_dims = ("series", "source", "target")
    out: dict[str, Any] = {
        f"mse_target@{horizon}": float(err[..., -1].mean()),
        f"mse_all@{horizon}": float(err.mean()),
    }
    for name, values in (
        ("cig", cig(*args, reduce=False)),
        ("ar_cig", ar_cig(*args, horizon, reduce=False)),
    ):
        mean = graph_dataarray(values.mean(0), nodes)
        per = xr.DataArray(values, dims=series_dims, coords=per_series.coords)
        # with many graphs (rawlog) the union can cover every candidate edge: undefined
        union_all_true = bool(union.where(cand, 1).astype(bool).all())
        out[f"{name}_nauprc"] = float("nan") if union_all_true else float(nauprc(mean, union, cand))
        out[f"{name}_nauprc_series"] = float(nauprc(per, per_series, cand, pool=("series",)))
    nan = float("nan")
    out.update(edge_auroc=nan, edge_nauprc=nan, selected_f1=nan, shd=nan, n_edges=nan)
    if trained.edge_prob is not None:
        prob = xr.DataArray(trained.edge_prob, dims=series_dims, coords=per_series.coords)
        out["edge_auroc"] = float(auroc(prob, per_series, cand, pool=("series",)))
        out["edge_nauprc"] = float(nauprc(prob, per_series, cand, pool=("series",)))
    if trained.selection is not None:
        sel = trained.selection.graph.reindex(source=nodes, target=nodes)
        out["selected_f1"] = float(f1(sel, union, cand))
        out["shd"] = float(shd(sel, union, cand))
        out["n_edges"] = float(sel.where(cand, 0).sum())
    n_cand = int(cand.sum())
    out["n_candidates"] = n_cand
    out["n_true_edges"] = int(union.where(cand, 0).sum())
    out["nauprc_random"] = expected_random_nauprc(n_cand)
    stage2 = trained.history.get("stage2", {})
    out["best_val_mse"] = float(stage2.get("best_val_mse", nan))
    out["epochs_run"] = int(stage2.get("epochs_run", 0))
    if swap:
        table = graph_swap(trained, panel, union, horizon=horizon)["graph_swap"]
        out["graph_swap"] = {
            g: {m: float(table.sel(graph_input=g, metric=m)) for m in table["metric"].values}
            for g in GRAPH_INPUTS
            if g in table["graph_input"].values
        }
        out["_dims"] = {"graph_swap": ["graph_input", "metric"]}
    out["fit_seconds"] = float(trained.fit_seconds)
    out["eval_seconds"] = time.perf_counter() - start
    return out


def bench_job(job: Job) -> dict:
    """Simulate (cached per data setting), train and evaluate one benchmark job.

    Module level so Ray workers can import it; the job's ``data_seed`` seeds the simulator
    (every arm of a replicate sees the same panel), its ``job_seed`` the training.

    Examples
    --------
    >>> params = {**suite_settings("sparse-target")["S32-T60"], "n_series": 4, "n_periods": 40,
    ...           "hidden_size": 4, "epochs_stage2": 1, "swap": False}
    >>> res = bench_job(Job("sparse-target", "oracle", 0, "tiny", params))
    >>> res["ar_cig_nauprc"]  # a graph-safe decoder fed the true graph
    1.0
    """
    from pymc_dice.config import ModelConfig, TrainerConfig
    from pymc_dice.data import Panel, Roles
    from pymc_dice.train import fit_arm

    p = job.params_dict
    sim = _simulation(
        job.suite, p["n_series"], p["n_periods"], p.get("R", 1), p.get("d", 8), job.data_seed
    )
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=p["val_fraction"])
    arm, support = parse_arm(job.arm)
    mcfg = ModelConfig(arm=arm, hidden_size=p["hidden_size"], **({"support": support} if support else {}))
    tcfg = TrainerConfig(
        epochs_stage1=p["epochs_stage1"],
        epochs_stage2=p["epochs_stage2"],
        eval_every=p["eval_every"],
        horizon=p["horizon"],
        device=p.get("device", "auto"),
        progressbar=False,
    )
    union, _ = _truths(sim.truth, panel)
    trained = fit_arm(panel, mcfg, tcfg, seed=job.job_seed, oracle=union)
    swap = bool(p.get("swap")) and arm in SWAP_DECODERS
    return evaluate_arm(trained, panel, sim.truth, p["horizon"], swap=swap)


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def _mean_sd(values: np.ndarray, digits: int = 3) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return "n/a"
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.{digits}f} ± {sd:.{digits}f}"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def _results_json(ds: xr.Dataset) -> dict:
    """``{"arms": {arm: {size: {metric: [per seed]}}}, "graph_swap": {arm: {size: {input:
    {metric: [per seed]}}}}}`` from a suite's Dataset."""
    scalars = [v for v in ds.data_vars if set(ds[v].dims) == {"arm", "size", "seed"}]
    out: dict[str, Any] = {
        "seeds": ds["seed"].values.tolist(),
        "sizes": [str(s) for s in ds["size"].values],
        "arms": {},
    }
    for arm in ds["arm"].values:
        out["arms"][str(arm)] = {
            str(size): {v: ds[v].sel(arm=arm, size=size).values.tolist() for v in scalars}
            for size in ds["size"].values
        }
    if "graph_swap" in ds:
        sw = ds["graph_swap"]
        out["graph_swap"] = {}
        for arm in sw["arm"].values:
            cell = sw.sel(arm=arm)
            if bool(cell.isnull().all()):
                continue
            out["graph_swap"][str(arm)] = {
                str(size): {
                    str(g): {
                        str(m): cell.sel(size=size, graph_input=g, metric=m).values.tolist()
                        for m in sw["metric"].values
                    }
                    for g in sw["graph_input"].values
                    if not bool(cell.sel(size=size, graph_input=g).isnull().all())
                }
                for size in sw["size"].values
            }
    return out


def _swap_arm(ds: xr.Dataset, decoder: str) -> str | None:
    if "graph_swap" not in ds:
        return None
    for arm in ds["arm"].values:
        if str(arm).split("/")[0] == decoder and not bool(ds["graph_swap"].sel(arm=arm).isnull().all()):
            return str(arm)
    return None


def _claims(ds: xr.Dataset, size: str) -> list[str]:
    """The 'paper claim vs measured' block (sparse-target / graph-swap suites)."""
    d = ds.sel(size=size)
    arms = [str(a) for a in d["arm"].values]
    chance = float(np.nanmean(d["nauprc_random"].values))
    rows = []

    def ar(arm):
        return d["ar_cig_nauprc"].sel(arm=arm).values

    def mse(arm):
        return float(np.nanmean(d["mse_target@7"].sel(arm=arm).values))

    for arm in ("nograph", "fullgraph"):
        if arm in arms:
            ok = np.nanmean(ar(arm)) <= 0.05
            rows.append([f"{arm}: AR-CIG nAUPRC near or below 0", "≤ 0", _mean_sd(ar(arm)), _yes(ok)])
            if "oracle" in arms:
                ratio = mse(arm) / mse("oracle")
                rows.append(
                    [f"{arm}: MSE@7 target comparable to oracle", "about 1x", f"{ratio:.2f}x",
                     _yes(1 / 3 <= ratio <= 3)]
                )
    if "oracle" in arms:
        m, s = PAPER["oracle_ar_cig"]
        ok = np.nanmean(ar("oracle")) >= m - s
        rows.append(["oracle: AR-CIG nAUPRC", f"{m} ± {s}", _mean_sd(ar("oracle")), _yes(ok)])
    hard = _swap_arm(d, "dice-hard")
    if hard is not None:
        sw = d["graph_swap"].sel(arm=hard, metric="ar_cig_nauprc")
        inputs = [str(g) for g in sw["graph_input"].values]
        if "learned" in inputs:
            m, s = PAPER["swap_learned"]
            v = sw.sel(graph_input="learned").values
            ok = np.nanmean(v) <= chance
            rows.append([f"graph swap {hard}: learned input", f"{m} ± {s}", _mean_sd(v), _yes(ok)])
        if "oracle" in inputs:
            m, s = PAPER["swap_oracle"]
            v = sw.sel(graph_input="oracle").values
            ok = np.nanmean(v) >= m - s
            rows.append([f"graph swap {hard}: oracle input", f"{m} ± {s}", _mean_sd(v), _yes(ok)])
    rows.append(["random-score chance level (nAUPRC)", "—", f"{chance:.3f}", ""])
    header = ["claim", "paper", "measured", "consistent"]
    return ["", "Paper claim vs measured:", "", *_md_table(header, rows)]


def _yes(ok: bool) -> str:
    return "yes" if bool(ok) else "no"


def _suite_markdown(suite: str, ds: xr.Dataset) -> list[str]:
    lines = [f"## {suite}", ""]
    sizes = [str(s) for s in ds["size"].values]
    n_seeds = ds.sizes["seed"]
    header = ["arm", *(label for _, label in COLUMNS)]
    for size in sizes:
        d = ds.sel(size=size)
        lines.append(f"Setting {size}, mean ± sd over seeds (n = {n_seeds}):")
        lines.append("")
        rows = [
            [str(arm), *(_mean_sd(d[v].sel(arm=arm).values) if v in d else "n/a" for v, _ in COLUMNS)]
            for arm in d["arm"].values
        ]
        lines += _md_table(header, rows)
        lines.append("")
        if suite == "rdt":  # one table per setting would be long: the rest are compact below
            break
    if suite == "rdt":
        for var, label in (("ar_cig_nauprc", "AR-CIG nAUPRC"), ("edge_auroc", "edge AUROC"),
                           ("mse_target@7", "MSE@7 target")):
            lines.append(f"{label} per setting (R graphs, d nodes, T weeks):")
            lines.append("")
            rows = [
                [str(arm), *(_mean_sd(ds[var].sel(arm=arm, size=s).values) for s in sizes)]
                for arm in ds["arm"].values
            ]
            lines += [*_md_table(["arm", *sizes], rows), ""]
    if suite in ("rdt", "rawlog"):
        lines.append("Per-series scoring (each series against its own true graph):")
        lines.append("")
        cols = (("cig_nauprc_series", "CIG nAUPRC"), ("ar_cig_nauprc_series", "AR-CIG nAUPRC"))
        rows = [
            [str(arm), *(_mean_sd(ds[v].sel(arm=arm, size=s).values) for v, _ in cols for s in sizes)]
            for arm in ds["arm"].values
        ]
        lines += [*_md_table(["arm", *(f"{lab} {s}" for _, lab in cols for s in sizes)], rows), ""]
    if "graph_swap" in ds:
        sw = ds["graph_swap"]
        inputs = [str(g) for g in sw["graph_input"].values]
        arms = [str(a) for a in sw["arm"].values if not bool(sw.sel(arm=a).isnull().all())]
        for metric, label in (("ar_cig_nauprc", "AR-CIG nAUPRC"), ("mse_target@7", "MSE@7 target")):
            for size in sizes:
                lines.append(f"Graph swap, {label} of each frozen decoder per graph input ({size}):")
                lines.append("")
                rows = [
                    [a, *(_mean_sd(sw.sel(arm=a, size=size, graph_input=g, metric=metric).values)
                          for g in inputs)]
                    for a in arms
                ]
                lines += [*_md_table(["decoder", *inputs], rows), ""]
    if suite in ("sparse-target", "graph-swap"):
        lines += _claims(ds, sizes[0])
        lines.append("")
    return lines


def _plots(suite: str, ds: xr.Dataset, out: Path) -> list[str]:
    from matplotlib.figure import Figure

    written = []
    size = str(ds["size"].values[0])
    d = ds.sel(size=size)
    from matplotlib import colormaps
    from matplotlib.ticker import LogLocator, NullFormatter

    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.add_subplot()
    arms = [str(a) for a in d["arm"].values]
    yvar = "ar_cig_nauprc"  # undefined when the union of true graphs has every edge (rawlog)
    if bool(d[yvar].isnull().all()) and "ar_cig_nauprc_series" in d:
        yvar = "ar_cig_nauprc_series"
    colours = colormaps["tab20"](np.linspace(0, 1, 20))
    markers = {"dice-hard": "D", "dice-soft": "s"}
    for k, arm in enumerate(arms):
        x = d["mse_target@7"].sel(arm=arm).values
        y = d[yvar].sel(arm=arm).values
        colour = colours[(2 * k) % 20 if k < 10 else (2 * k + 1) % 20]
        marker = markers.get(arm.split("/")[0], "o")
        ax.scatter(x, y, s=16, alpha=0.45, color=colour, marker=marker)
        ax.scatter(np.nanmean(x), np.nanmean(y), s=90, marker=marker, color=colour,
                   edgecolor="k", linewidth=0.6, label=arm)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.axhline(float(np.nanmean(d["nauprc_random"])), color="grey", ls="--", lw=0.8, label="chance")
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(LogLocator(subs=(2, 5)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("MSE@7 target (scaled, log; lower is better)")
    ax.set_ylabel(f"{yvar.replace('_', ' ')} (higher is better)")
    ax.set_title(f"{suite} {size}: forecasting vs attribution (big: mean, small: seeds)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(out / "tradeoff.png", dpi=110)
    written.append("tradeoff.png")
    if "graph_swap" in ds and not bool(ds["graph_swap"].isnull().all()):
        sw = ds["graph_swap"].sel(size=size, metric="ar_cig_nauprc")
        arms = [str(a) for a in sw["arm"].values if not bool(sw.sel(arm=a).isnull().all())]
        inputs = [str(g) for g in sw["graph_input"].values]
        fig = Figure(figsize=(9.5, 4))
        ax = fig.add_subplot()
        width = 0.8 / max(len(arms), 1)
        bar_colours = colormaps["tab20"](np.linspace(0, 1, 20))
        for k, arm in enumerate(arms):
            vals = sw.sel(arm=arm)
            mean = vals.mean("seed").values
            sd = vals.std("seed", ddof=1).values if vals.sizes["seed"] > 1 else 0 * mean
            ax.bar(np.arange(len(inputs)) + k * width, mean, width, yerr=sd, label=arm,
                   capsize=2, color=bar_colours[k % 20], error_kw={"lw": 0.8})
        ax.set_xticks(np.arange(len(inputs)) + width * (len(arms) - 1) / 2, inputs)
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_ylabel("AR-CIG nAUPRC")
        ax.set_title("graph swap: one frozen decoder, different graph inputs (mean +- sd)")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.tight_layout()
        fig.savefig(out / "graph_swap.png", dpi=110)
        written.append("graph_swap.png")
    if suite == "rdt" and "R" in ds.coords:
        base = {k: int(ds[k].values[0]) for k in ("R", "d", "T")}
        fig = Figure(figsize=(11, 6.5))
        axes = fig.subplots(2, 3, squeeze=False)
        for col, dim in enumerate(("R", "d", "T")):
            others = [k for k in ("R", "d", "T") if k != dim]
            keep = [
                s for s in ds["size"].values
                if all(int(ds[k].sel(size=s)) == base[k] for k in others)
            ]
            sub = ds.sel(size=keep).sortby(dim)
            for row, (var, label) in enumerate((("ar_cig_nauprc", "AR-CIG nAUPRC"),
                                                ("edge_auroc", "edge AUROC"))):
                ax = axes[row][col]
                for k, arm in enumerate(sub["arm"].values):
                    vals = sub[var].sel(arm=arm)
                    if bool(vals.isnull().all()):
                        continue
                    ax.errorbar(sub[dim].values, vals.mean("seed").values,
                                yerr=vals.std("seed").values, marker="o", ms=4, capsize=2,
                                color=f"C{k % 10}", label=str(arm))
                ax.set_xticks(sub[dim].values)
                ax.set_xlabel(dim)
                ax.set_ylabel(label)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"rdt: one of R, d, T varied around {base}")
        fig.tight_layout()
        fig.savefig(out / "rdt.png", dpi=110)
        written.append("rdt.png")
    return written


def write_report(suite: str, ds: xr.Dataset, out: Path | str) -> str:
    """Write ``results.json``, ``results.nc``, ``results.md`` and the plots of one suite into
    ``out``; return the markdown.

    Examples
    --------
    >>> import tempfile
    >>> from pymc_dice.sweep import make_jobs, to_dataset
    >>> jobs = make_jobs(["sparse-target"], ["nograph"], 2, {"S4-T40": {}})
    >>> res = [{"mse_target@7": 0.1, "mse_all@7": 0.1, "ar_cig_nauprc": 0.0,
    ...         "nauprc_random": 0.142}] * 2
    >>> md = write_report("sparse-target", to_dataset(jobs, res), tempfile.mkdtemp())
    >>> "| nograph | 0.100 ± 0.000 |" in md
    True
    """
    out = Path(out)
    ds = ds.copy()
    ds.attrs.update(suite=suite)
    ds.to_netcdf(out / "results.nc")
    write_json(out / "results.json", {"suites": {suite: _results_json(ds)}})
    md = "\n".join([f"# pymc-dice bench: {suite}", "", *_suite_markdown(suite, ds)]) + "\n"
    (out / "results.md").write_text(md)
    _plots(suite, ds, out)
    return md


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("pymc-dice", "torch", "numpy", "xarray", "pymc-marketing", "ray"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _machine() -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_device": "cuda" if cuda else "cpu",
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "torch_threads": torch.get_num_threads(),
    }


def _prepare(out: Path, overwrite: bool) -> Path:
    from pymc_dice.workflow import prepare_out

    return prepare_out(out, overwrite)


def run_bench(
    suite: str,
    out_dir: Path | str,
    quick: bool = True,
    seeds: int | None = None,
    arms: Sequence[str] | None = None,
    supports: Sequence[str] | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    *,
    root_seed: int = 0,
    overwrite: bool = False,
    resume: bool = True,
    overrides: Mapping[str, Any] | None = None,
    progressbar: bool = True,
    num_cpus: int | None = None,
    threads: int | None = 1,
    command: str | None = None,
) -> Path:
    """Run a benchmark suite (or ``"all"``) and write its report folder.

    Parameters
    ----------
    suite : str
        One of :data:`SUITES`, or ``"all"`` (each suite in a sub-folder).
    out_dir : path
        Report folder. A non-empty folder not written by pymc-dice is refused unless
        ``overwrite``; a previous bench folder is reused and its job cache (``cache/``) resumed.
    quick : bool
        Quick sizes (:data:`QUICK`, 3 seeds) or full sizes (:data:`FULL`, 5 seeds).
    seeds : int, optional
        Replicates (default 3 quick, 5 full).
    arms : sequence of str, optional
        Arm labels (default :data:`ARMS`; :data:`SWAP_DECODERS` for ``graph-swap``).
    supports : sequence of str, optional
        Support-selection variants of the DICE arms (``dice-hard/topk``, ...); default the
        config's method only when quick, all of :data:`SUPPORTS` otherwise.
    executor, ray_address, num_cpus, threads
        See :func:`pymc_dice.sweep.run_grid`.
    root_seed : int
        Root of every job's seeds.
    resume : bool
        Reuse cached jobs of ``out_dir/cache``; False clears the cache first.
    overrides : mapping, optional
        Size parameters to change (e.g. ``{"n_series": 8, "epochs_stage2": 2}``).
    command : str, optional
        Command line recorded in ``config.json`` (default ``sys.argv``).

    Returns
    -------
    pathlib.Path
        The report folder: ``results.json``, ``results.nc``, ``results.md``, ``config.json``,
        ``*.png`` and ``cache/``.

    Examples
    --------
    >>> import tempfile
    >>> out = run_bench("sparse-target", tempfile.mkdtemp(), seeds=1, arms=["nograph"],
    ...                 overrides={"n_series": 4, "n_periods": 40, "hidden_size": 4,
    ...                            "epochs_stage2": 1}, progressbar=False)
    >>> sorted(p.name for p in out.iterdir() if p.suffix != ".png")
    ['.pymc-dice-output', 'cache', 'config.json', 'results.json', 'results.md', 'results.nc']
    """
    started = time.time()
    out = _prepare(Path(out_dir), overwrite)
    command = command or " ".join(sys.argv)
    if suite == "all":
        parts, combined = [], {}
        for name in SUITES:
            sub = run_bench(
                name, out / name, quick, seeds, None if arms is None else arms, supports,
                executor, ray_address, root_seed=root_seed, overwrite=overwrite, resume=resume,
                overrides=overrides, progressbar=progressbar, num_cpus=num_cpus,
                threads=threads, command=command,
            )
            parts.append((sub / "results.md").read_text().split("\n", 1)[1])
            combined.update(json.loads((sub / "results.json").read_text())["suites"])
        (out / "results.md").write_text("# pymc-dice bench: all suites\n" + "\n".join(parts))
        write_json(out / "results.json", {"suites": combined})
        write_json(out / "config.json", {"suite": "all", "suites": list(SUITES), "command": command,
                                         "wall_seconds": time.time() - started})
        return out
    settings = suite_settings(suite, quick, overrides)
    if arms is None:
        arms = SWAP_DECODERS if suite == "graph-swap" else ARMS
    if supports is None and not quick:
        supports = SUPPORTS
    labels = expand_arms(arms, supports)
    n_seeds = SEEDS[quick] if seeds is None else int(seeds)
    jobs = make_jobs([suite], labels, n_seeds, settings, root_seed)
    cache = out / "cache"
    if not resume and cache.exists():
        shutil.rmtree(cache)
    n_cached = sum(load_cached(job, cache) is not None for job in jobs)
    results = run_grid(
        jobs, bench_job, executor, cache_dir=cache, ray_address=ray_address,
        progressbar=progressbar, num_cpus=num_cpus, threads=threads, desc=suite,
    )
    ds = to_dataset(jobs, results, dims=("arm", "size", "seed"))
    if "graph_swap" in ds:
        from pymc_dice.diagnostics.swap import GRAPH_INPUTS

        order = [g for g in GRAPH_INPUTS if g in ds["graph_input"].values]
        ds = ds.reindex(graph_input=order)
    for key in ("R", "d", "T", "n_series", "n_periods"):
        if all(key in settings[s] for s in ds["size"].values):
            ds = ds.assign_coords({key: ("size", [int(settings[s][key]) for s in ds["size"].values])})
    ds.attrs.update(quick=int(quick), root_seed=root_seed)
    write_report(suite, ds, out)
    write_json(
        out / "config.json",
        {
            "suite": suite,
            "quick": quick,
            "settings": settings,
            "seeds": list(range(n_seeds)),
            "arms": labels,
            "supports": list(supports) if supports else None,
            "root_seed": root_seed,
            "executor": executor,
            "ray_address": ray_address,
            "threads_per_job": threads,
            "n_jobs": len(jobs),
            "jobs_from_cache": n_cached,
            "jobs": {job.key: job.to_dict() | {"data_seed": job.data_seed, "job_seed": job.job_seed}
                     for job in jobs},
            "versions": _versions(),
            "machine": _machine(),
            "command": command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "wall_seconds": time.time() - started,
        },
    )
    return out


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``bench`` options to ``parser`` (used by ``pymc-dice bench`` and ``main``).

    Examples
    --------
    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["rdt", "--quick"])
    >>> args.suite, args.quick, args.executor
    ('rdt', True, 'local')
    """
    parser.add_argument("suite", choices=(*SUITES, "all"), help="benchmark suite")
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes on a laptop)")
    parser.add_argument("--seeds", type=int, default=None, help="replicates (default 3 quick, 5 full)")
    parser.add_argument(
        "--arms", nargs="+", default=None,
        help=f"arms, space or comma separated (default: all of {', '.join(ARMS)})",
    )
    parser.add_argument(
        "--support", nargs="+", default=None, choices=SUPPORTS,
        help="support-selection variants of the DICE arms (default: config default when "
        "--quick, all four otherwise)",
    )
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--ray-address", default=None, help="existing Ray cluster (default: start one)")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of a Ray started here")
    parser.add_argument("--out", default="dice-bench", help="report folder (default: dice-bench)")
    parser.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty folder not made by pymc-dice"
    )
    parser.add_argument("--no-resume", action="store_true", help="ignore and clear the job cache")
    parser.add_argument("--root-seed", type=int, default=0, help="root of every job's seeds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--size", action="append", default=[], metavar="KEY=VALUE",
        help="override a size parameter, repeatable (e.g. --size n_series=16 --size epochs_stage2=20)",
    )
    return parser


def _parse_sizes(items: Sequence[str]) -> dict[str, Any]:
    """``["n_series=8", "swap=false"]`` -> ``{"n_series": 8, "swap": False}``.

    Examples
    --------
    >>> _parse_sizes(["n_series=8", "device=cpu"])
    {'n_series': 8, 'device': 'cpu'}
    """
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--size expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def run_from_args(args: argparse.Namespace) -> int:
    """Run :func:`run_bench` from parsed :func:`add_arguments` options; print the report.

    Examples
    --------
    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["rdt"])
    >>> run_from_args(args)  # doctest: +SKIP
    """
    arms = None
    if args.arms:
        arms = [a for item in args.arms for a in item.split(",") if a]
    out = run_bench(
        args.suite,
        args.out,
        quick=args.quick,
        seeds=args.seeds,
        arms=arms,
        supports=args.support,
        executor=args.executor,
        ray_address=args.ray_address,
        root_seed=args.root_seed,
        overwrite=args.overwrite,
        resume=not args.no_resume,
        progressbar=not args.no_progress,
        num_cpus=args.num_cpus,
        overrides=_parse_sizes(args.size) or None,
    )
    print((out / "results.md").read_text())
    print(f"results written to {out.resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pymc_dice.bench SUITE [options]``; returns the exit code.

    Examples
    --------
    >>> import contextlib, io
    >>> buf = io.StringIO()
    >>> try:
    ...     with contextlib.redirect_stdout(buf):
    ...         main(["--help"])
    ... except SystemExit as stop:
    ...     code = stop.code
    >>> code, buf.getvalue().startswith("usage: python -m pymc_dice.bench")
    (0, True)
    >>> main(["rdt", "--size", "n_series"])  # a bad option value: exit code 2, nothing run
    2
    """
    parser = add_arguments(
        argparse.ArgumentParser(prog="python -m pymc_dice.bench", description=__doc__.split("\n")[0])
    )
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
