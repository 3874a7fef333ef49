"""The paper suites of docs/benchmarks.md over arms, seeds and sizes.

Suites
------
- ``sparse-target``: every arm (docs/benchmarks.md) on :func:`pymc_dice.simulate.sparse_target`;
  the graph-learning decoders (``dice-hard``, ``dice-soft``, ``causalmmm``) also get a graph swap.
- ``rdt``: controlled swaps, :func:`pymc_dice.simulate.rdt` varying one of R (graphs), d
  (nodes), T (weeks) at a time around a base setting.
- ``rawlog``: :func:`pymc_dice.simulate.rawlog`, a graph per series and raw heavy-tailed spend.
- ``graph-swap``: the graph-learning decoders on ``sparse_target``, each frozen decoder fed the
  inputs learned / selected / oracle / empty / full / random.

Every arm that accepts a decoder choice trains the paper's per-node GRU decoder
(``decoder="graph-safe"``, :data:`PAPER_DECODER`) unless ``decoder="structural"`` is asked for
(``--decoder structural``); ``dense`` and ``causalmmm`` keep their own decoders.

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

from pymc_dice.arms import arm_spec
from pymc_dice.bench.report import write_report
from pymc_dice.config import STRUCTURAL_SUPPORTS, SupportMethod
from pymc_dice.sweep import Job, load_cached, make_jobs, run_grid, to_dataset, write_json

__all__ = [
    "ARMS",
    "DECODER_CHOICES",
    "PAPER_DECODER",
    "SUITES",
    "SUPPORTS",
    "ALL_SUPPORTS",
    "SWAP_DECODERS",
    "bench_job",
    "evaluate_arm",
    "expand_arms",
    "model_config",
    "parse_arm",
    "run_bench",
    "suite_settings",
]

SUITES = ("sparse-target", "rdt", "rawlog", "graph-swap")
#: the comparison arms (docs/benchmarks.md, "Attribution suites"), in table order
ARMS = ("nograph", "fullgraph", "oracle", "dense", "causalmmm", "dice-soft", "dice-hard")
#: decoders of the graph-swap suite: the arms that learn a graph (an encoder)
SWAP_DECODERS = tuple(a for a in reversed(ARMS) if arm_spec(a).has_encoder)
#: every support rule; ``posterior`` (the structural posterior's inclusion probabilities)
#: needs ``decoder="structural"``. ``refit`` is left out: ``DiceMMM.fit`` computes its Bayes
#: factors, and the suites, which score the deployed graph, would score posterior's again
ALL_SUPPORTS = tuple(s for s in get_args(SupportMethod) if s != "refit")
#: support rules of the paper's decoder
SUPPORTS = tuple(s for s in ALL_SUPPORTS if s != "posterior")
#: arms with a support-selection step (stage 1), hence support variants
DICE = tuple(a for a in reversed(ARMS) if arm_spec(a).runs_stage1)
#: the decoder of the paper's runs, for every arm that accepts a decoder choice
PAPER_DECODER = "graph-safe"
#: the decoders ``--decoder`` may choose
DECODER_CHOICES = ("graph-safe", "structural")
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
SIZE_KEYS = (*QUICK, "horizon", "val_fraction", "swap", "device", "rdt", "decoder")
RDT_GRID = {
    True: {"base": {"R": 1, "d": 8, "T": 60}, "R": (1, 2), "d": (6, 8), "T": (40, 60)},
    False: {
        "base": {"R": 1, "d": 8, "T": 104},
        "R": (1, 2, 4),
        "d": (6, 8, 12),
        "T": (52, 104, 156),
    },
}


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
    if support and (not arm_spec(arm).runs_stage1 or support not in ALL_SUPPORTS):
        raise ValueError(
            f"arm label {label!r}: a support variant needs a DICE arm ({', '.join(DICE)}) and one "
            f"of {', '.join(ALL_SUPPORTS)}"
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
        if arm_spec(arm).runs_stage1 and support is None and supports:
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
    # the paper decoder is implied: naming it would change every job's seed and cache key
    if overrides.get("decoder", PAPER_DECODER) == PAPER_DECODER:
        overrides.pop("decoder", None)
    elif overrides["decoder"] not in DECODER_CHOICES:
        raise ValueError(
            f"unknown decoder {overrides['decoder']!r}; choose from {', '.join(DECODER_CHOICES)}"
        )
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


def model_config(label: str, hidden_size: int, decoder: str = PAPER_DECODER):
    """The :class:`~pymc_dice.config.ModelConfig` of an arm label in a paper suite:
    ``decoder`` for every arm that accepts a decoder choice, the arm's own otherwise.

    Examples
    --------
    >>> from pymc_dice.arms import decoder_name
    >>> [decoder_name(model_config(a, 8)) for a in ("oracle", "dice-hard/topk", "dense")]
    ['graph-safe', 'graph-safe', 'dense']
    >>> model_config("dice-soft", 8, "structural").decoder
    'structural'
    """
    from pymc_dice.config import ModelConfig

    if decoder not in DECODER_CHOICES:
        raise ValueError(f"unknown decoder {decoder!r}; choose from {', '.join(DECODER_CHOICES)}")
    arm, support = parse_arm(label)
    extra: dict[str, Any] = {"support": support} if support else {}
    if arm_spec(arm).decoder_choices:
        extra["decoder"] = decoder
    return ModelConfig(arm=arm, hidden_size=hidden_size, **extra)


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


def evaluate_arm(
    trained, panel, truth: xr.Dataset, horizon: int = HORIZON, swap: bool = False
) -> dict:
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

    from pymc_dice.diagnostics.influence import ar_cig, cig, influence_origins, param_like
    from pymc_dice.diagnostics.metrics import auroc, expected_random_nauprc, f1, nauprc, shd
    from pymc_dice.diagnostics.swap import GRAPH_INPUTS, graph_swap
    from pymc_dice.graph import candidate_mask, graph_dataarray
    from pymc_dice.train import PanelTensors, rollout_errors

    start = time.perf_counter()
    nodes = list(panel.nodes)
    cand = candidate_mask(nodes, panel.roles.channel_columns, panel.roles.target_column)
    union, per_series = _truths(truth, panel)
    device, dtype = param_like(trained.decoder)
    data = PanelTensors.from_panel(panel, horizon, device)
    origins = influence_origins(data, horizon)
    val = replace(data, val_origins=torch.as_tensor(origins, device=device))
    graph = np.asarray(trained.graph_input(), dtype=float)
    err = rollout_errors(
        trained.decoder, val, torch.as_tensor(graph, dtype=dtype, device=device), horizon
    )
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
    from pymc_dice.arms import prepare_panel
    from pymc_dice.config import TrainerConfig
    from pymc_dice.data import Panel, Roles
    from pymc_dice.train import fit_arm

    p = job.params_dict
    sim = _simulation(
        job.suite, p["n_series"], p["n_periods"], p.get("R", 1), p.get("d", 8), job.data_seed
    )
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=p["val_fraction"])
    mcfg = model_config(job.arm, p["hidden_size"], p.get("decoder", PAPER_DECODER))
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
    swap = bool(p.get("swap")) and arm_spec(mcfg).has_encoder
    # a structural decoder reads the time features its training panel carried
    return evaluate_arm(trained, prepare_panel(panel, mcfg), sim.truth, p["horizon"], swap=swap)


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
    decoder: str = PAPER_DECODER,
) -> Path:
    """Run a paper suite (or ``"all"``) and write its report folder.

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
        config's method only when quick, otherwise all of :data:`SUPPORTS` (with
        ``decoder="structural"``: :data:`ALL_SUPPORTS`, ``posterior`` included).
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
    decoder : {"graph-safe", "structural"}
        Decoder of every arm that accepts a choice (default the paper's ``"graph-safe"``).

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
    run = {
        "quick": quick, "seeds": seeds, "arms": arms, "supports": supports,
        "executor": executor, "ray_address": ray_address, "root_seed": root_seed,
        "overwrite": overwrite, "resume": resume, "progressbar": progressbar,
        "num_cpus": num_cpus, "threads": threads, "decoder": decoder,
        "command": command or " ".join(sys.argv),
    }  # fmt: skip
    overrides = {**(overrides or {}), "decoder": decoder}
    if suite == "all":
        return _run_all(out, run, overrides, started)
    settings = suite_settings(suite, quick, overrides)
    if arms is None:
        arms = SWAP_DECODERS if suite == "graph-swap" else ARMS
    if supports is None and not quick:
        supports = ALL_SUPPORTS if decoder == "structural" else SUPPORTS
    labels = expand_arms(arms, supports)
    if decoder != "structural" and any(parse_arm(lab)[1] in STRUCTURAL_SUPPORTS for lab in labels):
        raise ValueError(
            "support 'posterior' reads the structural decoder's posterior: add "
            "--decoder structural (decoder='structural'), or drop 'posterior'"
        )
    n_seeds = SEEDS[quick] if seeds is None else int(seeds)
    jobs = make_jobs([suite], labels, n_seeds, settings, root_seed)
    cache = out / "cache"
    if not resume and cache.exists():
        shutil.rmtree(cache)
    n_cached = sum(load_cached(job, cache) is not None for job in jobs)
    results = run_grid(
        jobs, bench_job, executor, cache_dir=cache, ray_address=ray_address,
        progressbar=progressbar, num_cpus=num_cpus, threads=threads, desc=suite,
    )  # fmt: skip
    ds = _suite_dataset(jobs, results, settings)
    ds.attrs.update(quick=int(quick), root_seed=root_seed, decoder=decoder)
    write_report(suite, ds, out)
    config = {
        "suite": suite, "quick": quick, "decoder": decoder, "settings": settings,
        "seeds": list(range(n_seeds)), "arms": labels,
        "supports": list(supports) if supports else None, "root_seed": root_seed,
        "executor": executor, "ray_address": ray_address, "threads_per_job": threads,
        "n_jobs": len(jobs), "jobs_from_cache": n_cached,
        "jobs": {
            job.key: job.to_dict() | {"data_seed": job.data_seed, "job_seed": job.job_seed}
            for job in jobs
        },
    }  # fmt: skip
    write_json(out / "config.json", {**config, **run_record(run["command"], started)})
    return out


def run_record(command: str, started: float) -> dict[str, Any]:
    """Versions, machine, command, start time and wall seconds of a bench run.

    Examples
    --------
    >>> sorted(run_record("test", time.time()))
    ['command', 'machine', 'started', 'versions', 'wall_seconds']
    """
    return {
        "versions": _versions(),
        "machine": _machine(),
        "command": command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_seconds": time.time() - started,
    }


def _suite_dataset(jobs: list[Job], results: list, settings: Mapping[str, Any]) -> xr.Dataset:
    ds = to_dataset(jobs, results, dims=("arm", "size", "seed"))
    if "graph_swap" in ds:
        from pymc_dice.diagnostics.swap import GRAPH_INPUTS

        order = [g for g in GRAPH_INPUTS if g in ds["graph_input"].values]
        ds = ds.reindex(graph_input=order)
    for key in ("R", "d", "T", "n_series", "n_periods"):
        if all(key in settings[s] for s in ds["size"].values):
            values = [int(settings[s][key]) for s in ds["size"].values]
            ds = ds.assign_coords({key: ("size", values)})
    return ds


def _run_all(out: Path, run: dict[str, Any], overrides: dict, started: float) -> Path:
    """Every paper suite in a sub-folder of ``out``, and the combined report."""
    parts, combined = [], {}
    run = {**run, "overrides": overrides}
    for name in SUITES:
        sub = run_bench(name, out / name, **run)
        parts.append((sub / "results.md").read_text().split("\n", 1)[1])
        combined.update(json.loads((sub / "results.json").read_text())["suites"])
    (out / "results.md").write_text("# pymc-dice bench: all suites\n" + "\n".join(parts))
    write_json(out / "results.json", {"suites": combined})
    write_json(
        out / "config.json",
        {"suite": "all", "suites": list(SUITES), "command": run["command"],
         "wall_seconds": time.time() - started},
    )  # fmt: skip
    return out
