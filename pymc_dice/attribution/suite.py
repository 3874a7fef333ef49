"""The suite: :func:`attribution_tests` on one model, :func:`compare` on several,
:func:`to_table` to flatten a result (definitions in :mod:`pymc_dice.attribution`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.attribution.adapters import AttributionAdapter, as_adapter
from pymc_dice.attribution.blackbox import BlackBox
from pymc_dice.attribution.truth import edge_scores, true_contributions, true_edges, truth_dataset
from pymc_dice.data import SeriesGrid
from pymc_dice.idata import roas_from_totals

__all__ = ["DESCRIPTIONS", "VARIABLES", "attribution_tests", "compare", "to_table"]

#: the variables of every :func:`attribution_tests` result, in order, with their dims
VARIABLES: dict[str, tuple[str, ...]] = {
    "spend": ("channel",),
    "contribution": ("channel",),
    "roas": ("channel",),
    "roas_sd_across_chains": ("channel",),
    "roas_lower": ("channel",),
    "roas_upper": ("channel",),
    "true_contribution": ("channel",),
    "true_roas": ("channel",),
    "roas_error": ("channel",),
    "roas_abs_error_mean": (),
    "contribution_corr": ("channel",),
    "cig": ("channel",),
    "ar_cig": ("channel",),
    "cig_nauprc": (),
    "cig_auroc": (),
    "ar_cig_nauprc": (),
    "ar_cig_auroc": (),
    "placebo_share": (),
    "mse_target": (),
}

#: a one-line description of each variable (``attrs['description']`` in results)
DESCRIPTIONS: dict[str, str] = {
    "spend": "total spend over the fitted window and series (original units)",
    "contribution": "total channel contribution over the fitted window (original target units)",
    "roas": "contribution / spend",
    "roas_sd_across_chains": "sd over chains (MCMC chains or seeds) of the per-chain ROAS",
    "roas_lower": "5 % quantile over (chain, draw) of the per-draw ROAS (90 % interval)",
    "roas_upper": "95 % quantile over (chain, draw) of the per-draw ROAS (90 % interval)",
    "true_contribution": "true total contribution over the fitted window",
    "true_roas": "true contribution / spend over the fitted window",
    "roas_error": "roas - true_roas",
    "roas_abs_error_mean": "mean over channels of |roas_error|",
    "contribution_corr": "Pearson correlation of model and true contributions over cells",
    "cig": "channel -> target influence on dates t and t+1 (scaled units), finite differences",
    "ar_cig": "channel -> target influence summed over t..t+H (scaled units)",
    "cig_nauprc": "nAUPRC of cig against the true direct channel -> target edges",
    "cig_auroc": "AUROC of cig against the true direct channel -> target edges",
    "ar_cig_nauprc": "nAUPRC of ar_cig against the true direct channel -> target edges",
    "ar_cig_auroc": "AUROC of ar_cig against the true direct channel -> target edges",
    "placebo_share": "|contribution[placebo]| / sum of |contribution| over channels",
    "mse_target": "MSE@h of the target forecast on the first h held-out dates (scaled)",
}


def attribution_tests(
    model: Any,
    data: pd.DataFrame,
    truth: xr.Dataset | Any | None = None,
    *,
    horizon: int = 7,
    placebo: str | None = None,
    delta: float = 0.01,
    name: str | None = None,
) -> xr.Dataset:
    """Run the attribution test suite on one fitted model.

    Definitions are in the module docstring; every variable of :data:`VARIABLES` is always
    present (NaN where it does not apply, with a reason in ``attrs["notes"]``).

    Parameters
    ----------
    model : pymc_marketing.mmm.MMM, pymc_dice.DiceMMM or AttributionAdapter
        A fitted model.
    data : pd.DataFrame
        pymc-marketing layout with the fitted dates and, for the forecast and influence tests,
        held-out dates after them; the target column is needed for ``mse_target``.
    truth : xr.Dataset or pymc_dice.simulate.Simulation, optional
        Simulator truth: ``channel_contribution`` (date, *dims, channel) in original units,
        ``graph`` (source, target), optionally ``graphs`` / ``series_graph``.
    horizon : int, default 7
        ``H`` of AR-CIG and ``h`` of MSE@h. AR-CIG needs ``horizon + 1`` held-out dates.
    placebo : str, optional
        A channel of the model with no true effect; reported as ``placebo_share``.
    delta : float, default 0.01
        Finite-difference pulse, as a fraction of each channel's max-abs fitted spend.
    name : str, optional
        Label of the model (``attrs["model"]``).

    Returns
    -------
    xr.Dataset
        Variables of :data:`VARIABLES` over ``channel``; attrs ``model``, ``model_type``,
        ``horizon``, ``delta``, ``placebo``, ``n_chains``, ``fitted_window``,
        ``held_out_window``, ``n_origins``, ``n_forecasts`` (model calls of the influence
        tests) and ``notes``.

    Examples
    --------
    A tiny DiceMMM fitted on the first 24 of 30 weeks; ``sim.df`` holds all 30, so the last
    6 are the held-out window of the forecast and influence tests:

    >>> from pymc_dice import DiceMMM, sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=30, seed=0)
    >>> dice = DiceMMM(channel_columns=["tv", "radio"], dims=["geo"],
    ...                trainer_config={"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2})
    >>> _ = dice.fit(sim.df[sim.df["date"] < sim.df["date"].unique()[24]], progressbar=False,
    ...              random_seed=0)
    >>> ds = attribution_tests(dice, sim.df, sim.truth, horizon=2)
    >>> ds["roas_error"].dims, ds.attrs["n_origins"]
    (('channel',), 4)

    A pymc-marketing ``MMM`` goes in the same way (``tests/test_attribution.py`` runs it):

    >>> ds = attribution_tests(mmm, data, sim.truth, placebo="placebo")  # doctest: +SKIP

    See :class:`AttributionAdapter` for an exact example on a toy model.
    """

    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    adapter = as_adapter(model, name=name)
    truth_ds = truth_dataset(truth)
    notes: list[str] = []
    channels = list(adapter.channels)
    if placebo is not None and placebo not in channels:
        raise ValueError(
            f"placebo {placebo!r} is not a channel of model {adapter.name!r} (channels "
            f"{channels}); add the placebo column to the data and to every model's channels "
            "before fitting"
        )
    spend_grid = _checked_spend(adapter, data)
    fitted = _fitted_window(adapter, data, spend_grid, placebo, notes)
    truth_values, labels = _against_truth(adapter, truth_ds, fitted, spend_grid, placebo, notes)
    held_out = _held_out_window(adapter, data, spend_grid, labels, horizon, delta, notes)
    values = {**fitted, **truth_values, **held_out}
    window_dates = held_out["window_dates"]
    attrs = {
        "model": adapter.name,
        "model_type": adapter.model_type,
        "horizon": int(horizon),
        "delta": float(delta),
        "placebo": placebo or "",
        "n_chains": int(fitted["n_chains"]),
        "fitted_window": f"{adapter.fitted_dates[0].date()} to {adapter.fitted_dates[-1].date()}",
        "held_out_window": (
            f"{window_dates[0].date()} to {window_dates[-1].date()}" if len(window_dates) else ""
        ),
        "n_origins": int(held_out["n_origins"]),
        "n_forecasts": int(held_out["n_forecasts"]),
        "notes": "\n".join(dict.fromkeys(notes)),
    }
    return _result(values, channels, attrs)


def _checked_spend(adapter: AttributionAdapter, data: pd.DataFrame) -> xr.DataArray:
    """Spend ``(date, *dims, channel)`` of ``data`` on the fitted dates, checked against the
    spend the model was fitted on."""
    spend_grid = adapter.grid(data, list(adapter.channels)).rename(variable="channel")
    fitted = adapter.fitted_spend()
    if fitted is not None:
        ref = fitted.reindex_like(spend_grid).transpose(*spend_grid.dims)
        if not np.allclose(spend_grid.values, ref.values, rtol=1e-6, atol=1e-9):
            raise ValueError(
                f"the spend in data on the fitted dates differs from the spend model "
                f"{adapter.name!r} was fitted on; pass the frame the model was fitted on "
                "(plus later held-out dates)"
            )
    return spend_grid


def _fitted_window(
    adapter: AttributionAdapter,
    data: pd.DataFrame,
    spend_grid: xr.DataArray,
    placebo: str | None,
    notes: list[str],
) -> dict[str, Any]:
    """Contributions, ROAS, its sd over chains and the placebo share on the fitted window."""
    cells = ("date", *adapter.dims)
    contrib_draws = adapter.contribution_draws(data).reindex(channel=list(adapter.channels))
    contrib_chain = contrib_draws.mean("draw")
    contrib_cells = contrib_chain.mean("chain")
    roas_draws = roas_from_totals(contrib_draws, spend_grid, ("chain", "draw", "channel"))
    interval = roas_draws.quantile([0.05, 0.95], ("chain", "draw"))
    contribution = contrib_cells.sum(cells)
    roas = roas_from_totals(contrib_cells, spend_grid)
    roas_chain = roas_from_totals(contrib_chain, spend_grid, ("chain", "channel"))
    n_chains = contrib_chain.sizes["chain"]
    if n_chains > 1:
        roas_sd = roas_chain.std("chain", ddof=1)
    else:
        roas_sd = xr.full_like(roas, np.nan)
        notes.append("one chain: roas_sd_across_chains is NaN")
    placebo_share = np.nan
    if placebo is not None:
        total_abs = float(np.abs(contribution).sum())
        placebo_share = (
            float(np.abs(contribution.sel(channel=placebo))) / total_abs
            if (total_abs > 0)
            else np.nan
        )
    return {
        "spend": spend_grid.sum(cells),
        "contribution": contribution,
        "roas": roas,
        "roas_sd_across_chains": roas_sd,
        "roas_lower": interval.sel(quantile=0.05, drop=True),
        "roas_upper": interval.sel(quantile=0.95, drop=True),
        "placebo_share": placebo_share,
        "contribution_cells": contrib_cells,
        "n_chains": n_chains,
    }


def _against_truth(
    adapter: AttributionAdapter,
    truth_ds: xr.Dataset | None,
    fitted: dict[str, Any],
    spend_grid: xr.DataArray,
    placebo: str | None,
    notes: list[str],
) -> tuple[dict[str, Any], xr.DataArray | None]:
    """True contributions and ROAS, ROAS errors, contribution correlations; the true edges."""
    cells = ("date", *adapter.dims)
    roas = fitted["roas"]
    nan_ch = xr.full_like(roas, np.nan)
    true_contribution, true_roas, corr = nan_ch.copy(), nan_ch.copy(), nan_ch.copy()
    labels = None
    if truth_ds is not None:
        tc = true_contributions(truth_ds, adapter, placebo, notes)
        if tc is not None:
            true_contribution = tc.sum(cells, skipna=False)
            true_roas = roas_from_totals(tc, spend_grid)
            _correlations(corr, fitted["contribution_cells"], tc, adapter.channels, notes)
        labels = true_edges(truth_ds, adapter, notes)
    else:
        notes.append("no truth: truth comparisons and influence scores are NaN")
    roas_error = roas - true_roas
    values = {
        "true_contribution": true_contribution,
        "true_roas": true_roas,
        "roas_error": roas_error,
        "roas_abs_error_mean": (
            float(np.abs(roas_error).mean()) if truth_ds is not None else np.nan
        ),
        "contribution_corr": corr,
    }
    return values, labels


def _correlations(
    corr: xr.DataArray,
    contrib_cells: xr.DataArray,
    tc: xr.DataArray,
    channels: Sequence[str],
    notes: list[str],
) -> None:
    """Fill ``corr`` with the Pearson correlation of model and true contributions per channel."""
    for ch in channels:
        a = contrib_cells.sel(channel=ch).values.ravel()
        b = tc.sel(channel=ch).values.ravel()
        if np.isnan(b).any() or np.std(a) == 0 or np.std(b) == 0:
            if not np.isnan(b).any():
                notes.append(
                    f"contribution_corr[{ch}] is NaN: "
                    f"{'the true' if np.std(b) == 0 else 'the model'} contribution is "
                    "constant over the fitted cells"
                )
            continue
        corr.loc[{"channel": ch}] = float(np.corrcoef(a, b)[0, 1])


def _held_out_window(
    adapter: AttributionAdapter,
    data: pd.DataFrame,
    spend_grid: xr.DataArray,
    labels: xr.DataArray | None,
    horizon: int,
    delta: float,
    notes: list[str],
) -> dict[str, Any]:
    """MSE@h of the forecast, CIG and AR-CIG and their scores on the held-out window."""
    channels = list(adapter.channels)
    cells = ("date", *adapter.dims)
    window_dates = adapter.window_dates(data)
    nan_ch = xr.DataArray(
        np.full(len(channels), np.nan), dims="channel", coords={"channel": channels}
    )
    out: dict[str, Any] = {
        "window_dates": window_dates,
        "cig": nan_ch.copy(),
        "ar_cig": nan_ch.copy(),
        **dict.fromkeys(("cig_nauprc", "cig_auroc", "ar_cig_nauprc", "ar_cig_auroc"), np.nan),
        "mse_target": np.nan,
        "n_origins": 0,
        "n_forecasts": 0,
    }
    scale_x = np.abs(spend_grid).max(cells).values
    scale_x = np.where(scale_x > 0, scale_x, 1.0)
    if adapter.target in data.columns:
        y_fit = adapter.grid(data, [adapter.target]).isel(variable=0)
        scale_y = float(np.abs(y_fit).max())
        scale_y = scale_y if scale_y > 0 else 1.0
    else:
        scale_y = float("nan")
        notes.append(f"data has no target column {adapter.target!r}: nothing is scaled or scored")
    if len(window_dates) == 0:
        notes.append(
            "no held-out dates after the fitted window: cig, ar_cig and mse_target are NaN "
            "(fit the model on data without its last dates)"
        )
        return out
    if not np.isfinite(scale_y):
        return out
    window = adapter.grid(data, [*channels, *adapter.controls], window_dates)
    box = BlackBox(adapter, window, scale_x, scale_y)
    base = box.forecast([box.base])[0]  # [S, T] scaled mean forecast
    if len(window_dates) >= horizon:
        y_win = adapter.grid(data, [adapter.target], window_dates).isel(variable=0)
        obs = SeriesGrid.series_values(y_win, adapter.dims) / scale_y
        out["mse_target"] = float(np.mean((base[:, :horizon] - obs[:, :horizon]) ** 2))
    else:
        notes.append(f"{len(window_dates)} held-out dates < horizon {horizon}: mse_target NaN")
    if len(window_dates) >= horizon + 1:
        out.update(_influence(box, adapter, labels, len(window_dates), horizon, delta, notes))
    else:
        notes.append(
            f"{len(window_dates)} held-out dates < horizon + 1 = {horizon + 1}: cig and "
            "ar_cig are NaN"
        )
    return out


def _influence(
    box: BlackBox,
    adapter: AttributionAdapter,
    labels: xr.DataArray | None,
    n_window: int,
    horizon: int,
    delta: float,
    notes: list[str],
) -> dict[str, Any]:
    """CIG and AR-CIG of channels -> target by forward finite differences, and their scores."""
    from pymc_dice.diagnostics.finite_difference import cig_finite_difference

    channels = list(adapter.channels)
    origins = np.arange(n_window - horizon)
    # a channel acts on its own date in both model classes (a pymc-marketing MMM's adstock,
    # DiceMMM's structural decoder): reads start at the pulse date (k = 0, offset 0), so
    # CIG sums k = 0, 1 and AR-CIG k = 0..H (docs/concepts.md)
    kw = {"delta": delta, "scheme": "forward", "offset": 0, "reduce": False}
    ar = cig_finite_difference(box, box.base, origins, horizon=horizon + 1, **kw)[..., 0]
    one = cig_finite_difference(box, box.base, origins, horizon=2, **kw)[..., 0]
    out: dict[str, Any] = {
        "n_origins": len(origins),
        "n_forecasts": box.n_calls,
        "ar_cig": xr.DataArray(ar.mean(0), dims=("channel",), coords={"channel": channels}),
        "cig": xr.DataArray(one.mean(0), dims=("channel",), coords={"channel": channels}),
    }
    if labels is not None:
        out["cig_nauprc"], out["cig_auroc"] = edge_scores(one, labels, adapter, "cig", notes)
        out["ar_cig_nauprc"], out["ar_cig_auroc"] = edge_scores(
            ar, labels, adapter, "ar_cig", notes
        )
    return out


def _result(values: Mapping[str, Any], channels: list[str], attrs: dict) -> xr.Dataset:
    """The result Dataset: every variable of :data:`VARIABLES`, in order, with its description."""
    data_vars = {}
    for key, dims_of in VARIABLES.items():
        v = values[key]
        if dims_of:
            arr = np.asarray(v.reindex(channel=channels).values, dtype=float)
        else:
            arr = np.asarray(float(v))
        data_vars[key] = xr.Variable(dims_of, arr, attrs={"description": DESCRIPTIONS[key]})
    ds = xr.Dataset(data_vars, coords={"channel": channels})
    ds.attrs = attrs
    return ds


def compare(
    models: Mapping[str, Any],
    data: pd.DataFrame,
    truth: xr.Dataset | Any | None = None,
    progress: bool = False,
    **kwargs: Any,
) -> xr.Dataset:
    """Run :func:`attribution_tests` on several models and stack them on a ``model`` dim.

    Parameters
    ----------
    models : mapping of str to model
        Label -> fitted model (pymc-marketing ``MMM``, ``DiceMMM`` or an adapter).
    data, truth
        As in :func:`attribution_tests`, shared by every model.
    progress : bool, default False
        Show a progress bar over the models.
    **kwargs
        ``horizon``, ``placebo``, ``delta``: as in :func:`attribution_tests`.

    Returns
    -------
    xr.Dataset
        The variables of :data:`VARIABLES` with a leading ``model`` dim (channels outer-joined:
        NaN for a channel a model does not have), coord ``model_type`` (model); attrs of the
        run and ``notes`` (one ``"model: note"`` line each).

    Examples
    --------
    Two toy models ``y(t) = 2 tv(t - 1)`` (see :class:`AttributionAdapter`), fitted on the
    first 8 of 12 weeks:

    >>> model, data = toy_demo()
    >>> ds = compare({"a": model, "b": model}, data, horizon=2)
    >>> ds["ar_cig"].dims, ds["model"].values.tolist()
    (('model', 'channel'), ['a', 'b'])

    With real models (``examples/compare_bayesian_and_dice.py`` runs this end to end):

    >>> ds = compare({"bayesian": mmm, "dice": dice}, data, sim.truth)  # doctest: +SKIP
    >>> to_table(ds)  # doctest: +SKIP
    """
    if not models:
        raise ValueError("compare needs at least one model")
    results = []
    notes = []
    from tqdm.auto import tqdm

    for label in tqdm(list(models), desc="attribution tests", disable=not progress, leave=False):
        ds = attribution_tests(models[label], data, truth, name=str(label), **kwargs)
        notes += [f"{label}: {line}" for line in ds.attrs["notes"].splitlines()]
        ds = ds.expand_dims(model=[str(label)]).assign_coords(
            model_type=("model", [ds.attrs["model_type"]])
        )
        results.append(ds)
    out = xr.concat(results, dim="model", join="outer", combine_attrs="drop")
    first = results[0].attrs
    out.attrs = {
        k: first[k] for k in ("horizon", "delta", "placebo", "fitted_window", "held_out_window")
    }
    out.attrs["notes"] = "\n".join(notes)
    return out


def to_table(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy table of a :func:`compare` (or :func:`attribution_tests`) result.

    One row per (model, metric, channel): columns ``model``, ``metric``, ``channel`` (None for
    scalar metrics) and ``value``, metrics in :data:`VARIABLES` order. Pivot it for a wide
    view, e.g. ``table.pivot_table(index=["model", "channel"], columns="metric",
    values="value")``.

    Examples
    --------
    >>> ds = xr.Dataset({"roas": (("model", "channel"), [[1.0, 2.0]]),
    ...                  "mse_target": ("model", [0.5])},
    ...                 coords={"model": ["m"], "channel": ["tv", "radio"]})
    >>> to_table(ds)
      model      metric channel  value
    0     m        roas      tv    1.0
    1     m        roas   radio    2.0
    2     m  mse_target     NaN    0.5
    """
    if "model" not in ds.dims:
        ds = ds.expand_dims(model=[str(ds.attrs.get("model", "model"))])
    order = [v for v in VARIABLES if v in ds.data_vars] + [
        v for v in ds.data_vars if v not in VARIABLES
    ]
    rows = []
    for model in ds["model"].values:
        sub = ds.sel(model=model)
        for metric in order:
            da = sub[metric]
            if "channel" in da.dims:
                for ch, val in zip(da["channel"].values, da.values, strict=True):
                    rows.append((str(model), metric, str(ch), float(val)))
            else:
                rows.append((str(model), metric, None, float(da)))
    return pd.DataFrame(rows, columns=["model", "metric", "channel", "value"])
