"""The ``roas`` suite: the default :class:`~pymc_dice.mmm.DiceMMM` vs pymc-marketing's MMM on
a marketing-mix preset, scored against the simulator's true ROAS.

Per seed a preset is simulated (:func:`pymc_dice.simulate.national`, one series, or
:func:`pymc_dice.simulate.geo_panel`), its last ``n_hold`` dates (12) are held out, and two
models are fitted on the rest:

- ``DiceMMM``: every setting default except ``trainer_config={"n_seeds": 2}``; channels,
  mediators and controls from ``sim.roles``.
- ``MMM``: pymc-marketing's MMM with ``GeometricAdstock(l_max=8)``, ``LogisticSaturation()``,
  ``yearly_seasonality=2`` and the controls (``dims=("geo",)`` on a geo panel); mediators are
  not modelled by it, so it gets the channels and controls only. NUTS with ``chains``,
  ``draws``, ``tune`` (2, 300, 300). A small warm-up fit on the same data runs first and is
  timed apart (``compile_seconds``: model compilation), so ``fit_seconds`` is a warm fit.

Scores per (model, seed) (:mod:`pymc_dice.bench.metrics`): ROAS per channel (total
contribution / total spend over the fitted dates, per (chain, draw); the estimate is the
mean) and the true ROAS over the same dates; relative errors (channels with a true ROAS of 0,
e.g. a placebo, get their absolute ROAS and contribution share instead, and stay out of the
means); Spearman's rho of ROAS vs truth; the correlation of contributions with the truth over
(date, geo) cells, averaged over channels; in-sample R^2 / MAPE of the posterior-mean fit;
held-out R^2 / MAPE of the forecast of the held-out dates; whether the 5-95 % quantiles of the
per-draw ROAS contain the truth; fit seconds (DiceMMM's include its contributions).

Each (model, seed) is cached in ``out_dir/cache``: a rerun reuses a model's scores only when its
data, sizes and code are unchanged (the cache key holds a hash of the source files that
produce them and the versions of torch or pymc-marketing), so changing DiceMMM refits DiceMMM
and reuses the MMM's slow fits.

Examples
--------
>>> roas_settings("geo_panel", quick=True)["n_geos"], roas_settings("national")["n_periods"]
(10, 104)
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.bench import metrics
from pymc_dice.bench.paper import run_record
from pymc_dice.bench.report import write_roas_report
from pymc_dice.data import Roles, SeriesGrid
from pymc_dice.idata import roas_from_totals
from pymc_dice.sweep import Job, derive_seed, load_cached, store_cached, write_json

__all__ = [
    "MODELS",
    "PRESETS",
    "ROAS_SEEDS",
    "fit_dice_mmm",
    "pymc_mmm",
    "roas_settings",
    "run_roas",
    "score_model",
]

PRESETS = ("national", "geo_panel")
MODELS = ("DiceMMM", "MMM")
#: replicates by default: quick, full
ROAS_SEEDS = {True: 3, False: 5}
#: data sizes per preset: quick, full
SIZES = {
    "national": {
        True: {"n_periods": 104, "n_channels": 3},
        False: {"n_periods": 156, "n_channels": 3},
    },
    "geo_panel": {True: {"n_geos": 10, "n_periods": 80}, False: {"n_geos": 60, "n_periods": 120}},
}
#: held-out dates, pymc-marketing sampler sizes, DiceMMM seeds, the MMM's warm-up fit
FIT = {"n_hold": 12, "chains": 2, "draws": 300, "tune": 300, "n_seeds": 2, "warmup": True}
ROAS_SIZE_KEYS = ("n_periods", "n_channels", "n_geos", *FIT)


def roas_settings(
    preset: str, quick: bool = True, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Sizes of a ``roas`` run: the preset's data sizes and :data:`FIT`, then ``overrides``.

    Examples
    --------
    >>> roas_settings("national", overrides={"n_periods": 60, "draws": 20})["draws"]
    20
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(ROAS_SIZE_KEYS))
    if unknown:
        raise ValueError(
            f"unknown roas size parameter(s) {unknown}; known: {', '.join(ROAS_SIZE_KEYS)}"
        )
    return {**SIZES[preset][quick], **FIT, **overrides}


def _simulate(preset: str, settings: Mapping[str, Any], seed: int):
    from pymc_dice.simulate import geo_panel, national

    sizes = {k: settings[k] for k in ("n_periods", "n_channels", "n_geos") if k in settings}
    return (national if preset == "national" else geo_panel)(seed=seed, **sizes)


def fit_dice_mmm(
    train: pd.DataFrame, roles: Roles, seed: int, *, n_seeds: int = 2, decoder: str | None = None
):
    """The default DiceMMM (``n_seeds`` seeds; ``decoder`` if given) fitted on ``train``;
    returns ``(model, seconds)`` (the fit, contributions included).

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_channels=2, n_periods=40, seed=0)
    >>> dice, seconds = fit_dice_mmm(sim.df, Roles(**sim.roles), 0, n_seeds=1)
    >>> dice.idata.posterior["channel_contribution"].sizes["chain"], seconds > 0
    (1, True)
    """
    from pymc_dice.workflow import fit_dice

    start = time.perf_counter()
    dice = fit_dice(train, roles, seeds=n_seeds, seed=seed, decoder=decoder)
    return dice, time.perf_counter() - start


def pymc_mmm(roles: Roles):
    """pymc-marketing's MMM as the suite fits it (module docstring), unfitted.

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> mmm = pymc_mmm(Roles(**national(n_periods=10).roles))
    >>> mmm.adstock.l_max, type(mmm.saturation).__name__, mmm.control_columns
    (8, 'LogisticSaturation', ['price', 'event'])
    """
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    return MMM(
        date_column=roles.date_column,
        channel_columns=list(roles.channel_columns),
        control_columns=list(roles.control_columns) or None,
        target_column=roles.target_column,
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
        dims=tuple(roles.dims),
    )


def _fit_pymc_mmm(
    train: pd.DataFrame,
    roles: Roles,
    seed: int,
    *,
    chains: int = 2,
    draws: int = 300,
    tune: int = 300,
    warmup: bool = True,
):
    """:func:`pymc_mmm` fitted on ``train``; returns ``(model, fit seconds, warm-up
    seconds)`` (NaN without ``warmup``)."""
    build = functools.partial(pymc_mmm, roles)
    cols = [roles.date_column, *roles.dims, *roles.channel_columns, *roles.control_columns]
    X, y = train[cols], train[roles.target_column]
    cores = max(1, min(chains, os.cpu_count() or 1))
    seconds = {}
    runs = ([("warmup", 1, 10)] if warmup else []) + [("fit", chains, draws)]
    loggers = [logging.getLogger(name) for name in ("pymc", "pymc.sampling.mcmc", "pymc_marketing")]
    levels = [lg.level for lg in loggers]
    for label, n_chains, n_draws in runs:
        mmm = build()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lg in loggers:
                lg.setLevel(logging.ERROR)
            mmm.fit(
                X,
                y,
                chains=n_chains,
                draws=n_draws,
                tune=tune if label == "fit" else 10,
                cores=min(cores, n_chains),
                random_seed=seed,
                progressbar=False,
            )
        seconds[label] = time.perf_counter() - start
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
    return mmm, seconds["fit"], seconds.get("warmup", float("nan"))


def _scaled(idata: xr.DataTree, var: str, dims: tuple[str, ...]) -> xr.DataArray:
    """``posterior[var]`` x ``constant_data.target_scale`` (original units)."""
    scale = idata["constant_data"].dataset["target_scale"]
    scale = scale.squeeze([d for d in scale.dims if d not in dims], drop=True)
    return idata["posterior"].dataset[var] * scale


def _model_outputs(model: Any, dims: tuple[str, ...]) -> dict[str, xr.DataArray]:
    """``contribution`` (chain, draw, date, *dims, channel) and the posterior-mean ``fit``
    (date, *dims), original units, of a fitted DiceMMM or pymc-marketing MMM (both keep
    ``channel_contribution`` and ``mu`` in scaled units in their posterior).
    """
    contrib = _scaled(model.idata, "channel_contribution", dims)
    fit = _scaled(model.idata, "mu", dims).mean(("chain", "draw"))
    return {
        "contribution": contrib.transpose("chain", "draw", "date", *dims, "channel"),
        "fit": fit.transpose("date", *dims),
    }


def _per_channel(values: xr.DataArray | np.ndarray, channels: list[str]) -> dict[str, float]:
    return {c: float(v) for c, v in zip(channels, np.asarray(values, dtype=float), strict=True)}


def score_model(
    contribution: xr.DataArray,
    fit: xr.DataArray,
    forecast: xr.DataArray,
    *,
    spend: xr.DataArray,
    truth: xr.DataArray,
    observed: xr.DataArray,
    held_out: xr.DataArray,
) -> dict[str, Any]:
    """Every score of one fitted model (module docstring).

    Parameters
    ----------
    contribution : DataArray (chain, draw, date, *dims, channel)
        Per-draw channel contributions over the fitted dates, original units.
    fit, forecast : DataArray (date, *dims)
        Posterior-mean fit of the fitted dates; mean forecast of the held-out dates.
    spend, truth : DataArray (date, *dims, channel)
        Spend and true contributions over the fitted dates.
    observed, held_out : DataArray (date, *dims)
        The target on the fitted and on the held-out dates.

    Examples
    --------
    >>> dates = pd.date_range("2024-01-01", periods=3, freq="W-MON")
    >>> spend = xr.DataArray([[1.0, 1.0]] * 3, dims=("date", "channel"),
    ...                      coords={"date": dates, "channel": ["tv", "placebo"]})
    >>> truth = spend * [2.0, 0.0]
    >>> contrib = (spend * [2.2, 0.1]).expand_dims(chain=1, draw=1)
    >>> y = xr.DataArray([3.0, 4.0, 5.0], dims="date", coords={"date": dates})
    >>> s = score_model(contrib, y, y[:1], spend=spend, truth=truth, observed=y, held_out=y[:1])
    >>> round(s["relative_error"]["tv"], 6), s["relative_error"]["placebo"], s["r2_in_sample"]
    (0.1, None, 1.0)
    >>> {k: round(v, 4) for k, v in s["zero_truth"]["placebo"].items()}  # 0.3 / (6.6 + 0.3)
    {'roas': 0.1, 'share': 0.0435}
    """
    channels = [str(c) for c in truth["channel"].values]
    truth = truth.transpose(*spend.dims)
    contribution = contribution.sel(date=spend["date"])
    draws = roas_from_totals(contribution, spend, ("chain", "draw", "channel"))
    roas = draws.mean(("chain", "draw"))
    true = roas_from_totals(truth, spend)
    covered, lower, upper = metrics.interval_coverage(draws, true)
    rel = metrics.relative_error(roas.values, true.values)
    mean_contrib = contribution.mean(("chain", "draw"))
    share = metrics.contribution_share(mean_contrib)
    zero = [c for c, t in zip(channels, true.values, strict=True) if t == 0]
    corr = metrics.contribution_correlation(mean_contrib, truth)
    return {
        "roas": _per_channel(roas, channels),
        "roas_true": _per_channel(true, channels),
        "roas_lower": _per_channel(lower, channels),
        "roas_upper": _per_channel(upper, channels),
        "covered": {c: bool(v) for c, v in zip(channels, covered.values, strict=True)},
        "relative_error": {c: (None if c in zero else float(r)) for c, r in zip(channels, rel, strict=True)},
        "zero_truth": {c: {"roas": float(roas.sel(channel=c)), "share": float(share.sel(channel=c))}
                       for c in zero},
        "contribution_correlation": _per_channel(corr, channels),
        "mean_abs_relative_error": metrics.mean_abs_relative_error(roas.values, true.values),
        "spearman": metrics.spearman(roas.values, true.values),
        "contribution_corr": float(np.nanmean(corr.values)) if np.isfinite(corr).any() else float("nan"),
        "r2_in_sample": metrics.r_squared(observed, fit.transpose(*observed.dims)),
        "mape_in_sample": metrics.mape(observed, fit.transpose(*observed.dims)),
        "r2_held_out": metrics.r_squared(held_out, forecast.transpose(*held_out.dims)),
        "mape_held_out": metrics.mape(held_out, forecast.transpose(*held_out.dims)),
        "coverage_90": float(covered.mean()),
        "n_negative_roas": int(((roas < 0) & (true > 0)).sum()),
    }  # fmt: skip


def _windows(sim, n_hold: int) -> dict[str, Any]:
    """Train frame, date windows and the data / truth grids of a simulation."""
    roles = Roles(**sim.roles)
    dims = tuple(roles.dims)
    dates = pd.DatetimeIndex(np.sort(sim.df[roles.date_column].unique())).as_unit("ns")
    fitted, held = dates[:-n_hold], dates[-n_hold:]
    coords = {d: np.asarray(sorted(str(v) for v in sim.df[d].unique())) for d in dims}
    grid = SeriesGrid(roles.date_column, dims, coords)
    y = grid.to_grid(sim.df, [roles.target_column], dates).isel(variable=0, drop=True)
    spend = grid.to_grid(sim.df, list(roles.channel_columns), fitted).rename(variable="channel")
    truth = sim.truth["channel_contribution"].sel(date=fitted)
    return {
        "roles": roles, "dims": dims, "df": sim.df, "train": sim.df[sim.df[roles.date_column] < held[0]],
        "spend": spend, "truth": truth.transpose(*spend.dims).reindex_like(spend),
        "observed": y.sel(date=fitted), "held_out": y.sel(date=held),
    }  # fmt: skip


#: the source files behind each model's scores (relative to the package): any change refits it
_SOURCES = {
    "DiceMMM": ("**/*.py",),
    "MMM": (
        "bench/roas.py",
        "bench/metrics.py",
        "attribution/*.py",
        "simulate/*.py",
        "idata.py",
        "data.py",
    ),
}


@functools.cache
def _code_hash(model: str) -> str:
    """SHA-256 of the package sources behind ``model``'s scores and its engine's version."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(version("torch" if model == "DiceMMM" else "pymc-marketing").encode())
    for pattern in _SOURCES[model]:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_params(model: str, settings: Mapping[str, Any], decoder: str | None) -> dict:
    """Everything a (model, seed)'s scores depend on besides the seeds: its cache key."""
    return {**settings, "decoder": decoder, "code": _code_hash(model)}


def _fit_and_score(name: str, w: Mapping[str, Any], settings, fit_seed: int, decoder) -> dict:
    """Fit model ``name`` on the windows ``w`` of :func:`_windows` and score it."""
    from pymc_dice.attribution import DiceAdapter, PymcMarketingAdapter

    if name == "DiceMMM":
        model, seconds = fit_dice_mmm(
            w["train"], w["roles"], fit_seed, n_seeds=int(settings["n_seeds"]), decoder=decoder
        )
        compile_s, adapter = float("nan"), DiceAdapter(model)
    else:
        model, seconds, compile_s = _fit_pymc_mmm(
            w["train"], w["roles"], fit_seed, chains=int(settings["chains"]),
            draws=int(settings["draws"]), tune=int(settings["tune"]),
            warmup=bool(settings["warmup"]),
        )  # fmt: skip
        adapter = PymcMarketingAdapter(model)
    parts = _model_outputs(model, w["dims"])
    forecast = adapter.predict(w["df"]).sel(date=w["held_out"]["date"])
    grids = {k: w[k] for k in ("spend", "truth", "observed", "held_out")}
    scores = score_model(parts["contribution"], parts["fit"], forecast, **grids)
    return {**scores, "fit_seconds": seconds, "compile_seconds": compile_s}


def _roas_seed(
    preset: str,
    settings: Mapping[str, Any],
    seed: int,
    *,
    root_seed: int = 0,
    decoder: str | None = None,
    bar=None,
    cache_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Simulate, fit both models and score them for one replicate: ``{model: scores}``; a
    model whose cached scores in ``cache_dir`` match its key is not refitted."""
    data_seed = derive_seed(root_seed, "roas-data", preset, seed)
    fit_seed = derive_seed(root_seed, "roas-fit", preset, seed)
    w = None  # simulated only when a model has to be fitted
    out = {}
    for name in MODELS:
        if bar is not None:
            bar.set_postfix_str(f"seed {seed}: {name}")
        job = Job("roas", name, seed, preset, _cache_params(name, settings, decoder), root_seed)
        out[name] = load_cached(job, cache_dir)
        if out[name] is None:
            if w is None:
                w = _windows(_simulate(preset, settings, data_seed), int(settings["n_hold"]))
            scores = _fit_and_score(name, w, settings, fit_seed, decoder)
            out[name] = {**scores, "data_seed": data_seed, "fit_seed": fit_seed}
            store_cached(job, out[name], cache_dir)
        if bar is not None:
            bar.update()
    return out


def run_roas(
    out_dir: Path | str,
    *,
    preset: str = "national",
    quick: bool = True,
    seeds: int | None = None,
    root_seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    decoder: str | None = None,
    resume: bool = True,
    progressbar: bool = True,
    command: str | None = None,
) -> Path:
    """Run the ``roas`` suite and write ``results.json``, ``results.md``, ``roas.png`` and
    ``config.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Report folder (a non-empty folder not written by pymc-dice is refused unless
        ``overwrite``).
    preset : {"national", "geo_panel"}
    quick : bool
        Quick sizes (national 104 weeks, geo panel 10 geos x 80 weeks) or full (156 weeks;
        60 x 120).
    seeds : int, optional
        Replicates (default 3 quick, 5 full).
    overrides : mapping, optional
        Sizes to change (:data:`ROAS_SIZE_KEYS`, e.g. ``{"draws": 100}``).
    decoder : str, optional
        ``model_config.decoder`` of the DiceMMM (default: the DiceMMM default).
    resume : bool
        Reuse the cached scores in ``out_dir/cache`` of every (model, seed) whose data, sizes
        and code are unchanged; False clears the cache first.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> run_roas(tempfile.mkdtemp(), preset="global")
    Traceback (most recent call last):
    ...
    ValueError: unknown preset 'global'; choose from national, geo_panel
    """
    from tqdm.auto import tqdm

    from pymc_dice.workflow import prepare_out

    started = time.time()
    settings = roas_settings(preset, quick, overrides)
    out = prepare_out(Path(out_dir), overwrite)
    cache = out / "cache"
    if not resume and cache.exists():
        shutil.rmtree(cache)
    n_seeds = ROAS_SEEDS[quick] if seeds is None else int(seeds)
    runs: dict[str, dict[str, Any]] = {m: {} for m in MODELS}
    with tqdm(total=n_seeds * len(MODELS), desc=f"roas {preset}", disable=not progressbar) as bar:
        for seed in range(n_seeds):
            for model, scores in _roas_seed(
                preset,
                settings,
                seed,
                root_seed=root_seed,
                decoder=decoder,
                bar=bar,
                cache_dir=cache,
            ).items():
                runs[model][f"seed{seed}"] = scores
    result = {
        "suite": "roas", "preset": preset, "quick": quick, "decoder": decoder,
        "settings": settings, "seeds": list(range(n_seeds)), "models": list(MODELS),
        "channels": list(next(iter(runs["DiceMMM"].values()))["roas"]), "runs": runs,
    }  # fmt: skip
    write_roas_report(result, out)
    record = run_record(command or " ".join(sys.argv), started)
    write_json(out / "config.json", {**{k: v for k, v in result.items() if k != "runs"}, **record})
    return out
