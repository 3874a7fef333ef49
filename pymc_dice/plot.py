"""Matplotlib figures for DiceMMM: graphs, influence, graph swap, contributions, forecasts.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no
global figure registry, any backend). The functions take plain xarray / pandas inputs;
:class:`DicePlotSuite` (``mmm.plot``) feeds them from a fitted :class:`~pymc_dice.mmm.DiceMMM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pymc_dice.graph import candidate_mask

__all__ = [
    "DicePlotSuite",
    "plot_contributions",
    "plot_forecast",
    "plot_graph",
    "plot_graph_swap",
    "plot_influence",
]

_ANNOTATE_MAX_NODES = 12


def _matrix(graph: xr.DataArray) -> tuple[np.ndarray, list[str]]:
    g = graph.transpose("source", "target")
    return np.asarray(g.values, dtype=float), [str(n) for n in g["source"].values]


def _heatmap(
    fig: Figure,
    ax,
    values: np.ndarray,
    nodes: Sequence[str],
    title: str,
    *,
    marked: np.ndarray | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
) -> None:
    """One ``[source, target]`` heatmap: rows are sources, columns targets."""
    n = len(nodes)
    top = (
        vmax if vmax is not None else (float(np.nanmax(values)) if np.isfinite(values).any() else 1)
    )
    im = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=top if top > 0 else 1.0)
    ax.set_xticks(range(n), nodes, rotation=45, ha="right")
    ax.set_yticks(range(n), nodes)
    ax.set_xlabel("target")
    ax.set_ylabel("source")
    ax.set_title(title)
    if n <= _ANNOTATE_MAX_NODES:
        for i in range(n):
            for j in range(n):
                if values[i, j] != 0 and np.isfinite(values[i, j]):
                    ax.text(
                        j,
                        i,
                        f"{values[i, j]:.2g}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if values[i, j] < 0.6 * top else "black",
                    )
    if marked is not None:
        for i, j in zip(*np.nonzero(marked), strict=True):
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2)
            )
    fig.colorbar(im, ax=ax, shrink=0.8)


def plot_graph(
    probability: xr.DataArray,
    selected: xr.DataArray | None = None,
    truth: xr.DataArray | None = None,
    *,
    title: str = "edge probability",
) -> Figure:
    """Heatmap of edge probabilities ``(source, target)``; selected edges outlined in red;
    the true (or reference) graph side by side when given.

    Examples
    --------
    >>> from pymc_dice.graph import graph_dataarray
    >>> p = graph_dataarray([[0, 0.9], [0, 0]], ["tv", "y"])
    >>> fig = plot_graph(p, selected=p > 0.5, truth=p > 0.5)
    >>> len(fig.axes)  # two heatmaps and their colour bars
    4
    """
    values, nodes = _matrix(probability)
    fig = Figure(figsize=(11 if truth is not None else 6, 5), layout="constrained")
    axes = fig.subplots(1, 2 if truth is not None else 1, squeeze=False)[0]
    marked = None
    if selected is not None:
        marked = _matrix(selected.reindex(source=nodes, target=nodes, fill_value=0))[0] != 0
    sub = title + (" (red: selected)" if marked is not None else "")
    _heatmap(fig, axes[0], values, nodes, sub, marked=marked, vmax=1.0)
    if truth is not None:
        t = _matrix(truth.reindex(source=nodes, target=nodes, fill_value=0))[0]
        _heatmap(
            fig, axes[1], (t != 0).astype(float), nodes, "reference graph", vmax=1.0, cmap="Greys"
        )
    return fig


def plot_influence(
    dice: xr.Dataset,
    kinds: Sequence[str] = ("cig", "ar_cig"),
    truth: xr.DataArray | None = None,
    candidates: xr.DataArray | None = None,
) -> Figure:
    """CIG / AR-CIG heatmaps (mean over chains); true (reference) edges outlined in red.

    Only candidate edges are coloured (``candidates``; without it, every off-diagonal
    pair): a node's influence on its own prediction is not an edge and would swamp the scale.

    Examples
    --------
    >>> ds = xr.Dataset({k: (("source", "target"), [[0, 0.5], [0, 0]]) for k in ("cig", "ar_cig")},
    ...                 coords={"source": ["tv", "y"], "target": ["tv", "y"]})
    >>> len(plot_influence(ds).axes)
    4
    """
    missing = [k for k in kinds if k not in dice]
    if missing:
        raise ValueError(f"{missing} not in the diagnostics: run mmm.diagnose() first")
    fig = Figure(figsize=(5.5 * len(kinds), 5), layout="constrained")
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    for ax, kind in zip(axes, kinds, strict=True):
        da = dice[kind]
        da = da.mean("chain") if "chain" in da.dims else da
        values, nodes = _matrix(da)
        if candidates is not None:
            keep = _matrix(candidates.reindex(source=nodes, target=nodes, fill_value=0))[0] != 0
        else:
            keep = ~np.eye(len(nodes), dtype=bool)
        values = np.where(keep, values, np.nan)
        marked = None
        if truth is not None:
            marked = _matrix(truth.reindex(source=nodes, target=nodes, fill_value=0))[0] != 0
        label = {"cig": "CIG (one step)", "ar_cig": "AR-CIG (closed loop)"}.get(kind, kind)
        _heatmap(fig, ax, values, nodes, label, marked=marked, cmap="magma")
    return fig


def plot_graph_swap(dice: xr.Dataset, metrics: Sequence[str] | None = None) -> Figure:
    """Bars per graph input for each graph-swap metric (mean over chains, sd as error bars).

    Examples
    --------
    >>> swap = xr.DataArray([[0.01, 0.9], [0.02, 0.1]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "selected"], "metric": ["mse_target@7", "ar_cig_nauprc"]})
    >>> len(plot_graph_swap(xr.Dataset({"graph_swap": swap})).axes)
    2
    """
    if "graph_swap" not in dice:
        raise ValueError("no graph_swap table in the diagnostics: run mmm.diagnose() first")
    table = dice["graph_swap"]
    names = [str(m) for m in table["metric"].values] if metrics is None else list(metrics)
    fig = Figure(figsize=(4.2 * len(names), 3.8), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    inputs = [str(g) for g in table["graph_input"].values]
    for ax, metric in zip(axes, names, strict=True):
        da = table.sel(metric=metric)
        mean = da.mean("chain") if "chain" in da.dims else da
        sd = da.std("chain") if "chain" in da.dims and da.sizes["chain"] > 1 else None
        vals = np.asarray(mean.values, dtype=float)
        ax.bar(
            inputs,
            np.nan_to_num(vals),
            yerr=None if sd is None else np.nan_to_num(sd.values),
            color=["C0" if np.isfinite(v) else "lightgrey" for v in vals],
            capsize=3,
        )
        for k, v in enumerate(vals):
            if not np.isfinite(v):
                ax.text(k, 0, "n/a", ha="center", va="bottom", fontsize=8)
        ax.set_title(metric)
        ax.tick_params(axis="x", rotation=45)
        ax.axhline(0, color="black", linewidth=0.5)
    fig.suptitle("graph swap: one frozen decoder, different graph inputs")
    return fig


def plot_contributions(
    contributions: pd.DataFrame,
    channels: Sequence[str] | None = None,
    *,
    date_column: str = "date",
    ylabel: str = "contribution (original units)",
) -> Figure:
    """Channel contributions over time, summed over any dims columns.

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="W-MON"),
    ...                    "tv": [1.0, 2, 3], "radio": [0.5, 0.5, 1]})
    >>> len(plot_contributions(df).axes)
    1
    """
    cols = (
        list(channels)
        if channels is not None
        else [
            c
            for c in contributions.columns
            if c != date_column and pd.api.types.is_numeric_dtype(contributions[c])
        ]
    )
    per_date = contributions.groupby(date_column)[cols].sum()
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()
    for c in cols:
        ax.plot(per_date.index, per_date[c], label=str(c))
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel(ylabel)
    ax.set_title("channel contributions over time")
    ax.legend(loc="upper left", fontsize=8, ncols=min(len(cols), 5))
    return fig


def plot_forecast(
    predicted: xr.DataArray,
    observed: pd.Series | None = None,
    *,
    future: xr.DataArray | None = None,
    future_observed: pd.Series | None = None,
    markers: dict[str, Any] | None = None,
    band: tuple[float, float] = (0.05, 0.95),
) -> Figure:
    """Predicted mean with a (chain, draw) band against the observed target.

    ``predicted`` / ``future`` have dims ``(chain, draw, date)`` (sum other dims first);
    ``observed`` / ``future_observed`` are Series indexed by date. ``markers`` maps a label to
    a date drawn as a vertical line (e.g. the start of the held-out dates).

    Examples
    --------
    >>> dates = pd.date_range("2024-01-01", periods=4, freq="W-MON")
    >>> pred = xr.DataArray(np.ones((1, 2, 4)), dims=("chain", "draw", "date"),
    ...                     coords={"date": dates})
    >>> len(plot_forecast(pred, pd.Series([1.0, 1.1, 0.9, 1.0], index=dates)).axes)
    1
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax = fig.subplots()

    def draw(da: xr.DataArray, label: str, color: str) -> None:
        samples = da.stack(sample=("chain", "draw")).transpose("date", "sample")
        dates = pd.DatetimeIndex(samples["date"].values)
        lo, hi = np.quantile(samples.values, band, axis=1)
        ax.fill_between(dates, lo, hi, color=color, alpha=0.25, linewidth=0)
        ax.plot(dates, samples.values.mean(1), color=color, label=label)

    draw(predicted, "fitted (closed loop)", "C0")
    if observed is not None:
        ax.plot(observed.index, observed.values, color="black", linewidth=1, label="observed")
    if future is not None:
        draw(future, "forecast", "C1")
    if future_observed is not None:
        ax.plot(
            future_observed.index,
            future_observed.values,
            color="black",
            linewidth=1,
            linestyle="--",
            label="observed (new dates)",
        )
    for k, (label, when) in enumerate((markers or {}).items()):
        ax.axvline(pd.Timestamp(when), color=f"C{k + 2}", linestyle=":", label=label)
    ax.set_ylabel("target (original units)")
    ax.set_title("forecast vs observed")
    ax.legend(loc="upper left", fontsize=8)
    return fig


class DicePlotSuite:
    """Figures of a fitted :class:`~pymc_dice.mmm.DiceMMM`, reached as ``mmm.plot``.

    Examples
    --------
    >>> from pymc_dice.mmm import DiceMMM
    >>> from pymc_dice.simulate import sparse_target
    >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
    >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
    >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
    >>> type(mmm.plot.graph()).__name__
    'Figure'
    """

    def __init__(self, model):
        self.model = model

    def _dice(self) -> xr.Dataset:
        idata = self.model.idata
        if idata is None or "dice" not in idata.children:
            raise ValueError("no diagnostics yet: run mmm.diagnose() first")
        return idata["dice"].to_dataset()

    def _reference(self, truth: Any) -> xr.DataArray | None:
        from pymc_dice.graph import to_graph

        if truth is not None:
            return to_graph(truth, self.model.panel_.nodes, name="truth")
        return self.model.graph_prior_

    def graph(self, truth: Any = None) -> Figure:
        """Learned edge probabilities with the selected support, next to ``truth`` (or the
        constructor's ``graph``) when there is one.

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> len(mmm.plot.graph(truth=[("tv", "y")]).axes)
        4
        """
        m = self.model
        m._check_fitted()
        return plot_graph(
            m.graph_,
            m.selected_graph_,
            self._reference(truth),
            title=f"edge probability ({m.model_cfg.arm})",
        )

    def influence(self, kinds: Sequence[str] = ("cig", "ar_cig"), truth: Any = None) -> Figure:
        """CIG / AR-CIG heatmaps from :meth:`DiceMMM.diagnose` (reference edges outlined).

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df
        >>> df = df[["date", "geo", "tv", "radio", "y"]]
        >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> _ = mmm.diagnose(truth=[("tv", "y")], horizon=2)
        >>> len(mmm.plot.influence().axes)
        4
        """
        dice = self._dice()
        ref = self._reference(truth)
        if ref is None and dice.attrs.get("reference") == "truth" and "swap_input_graph" in dice:
            swap = dice["swap_input_graph"]
            if "oracle" in swap["graph_input"].values:
                ref = swap.sel(graph_input="oracle").isel(chain=0, missing_dims="ignore")
        roles = self.model.roles_
        cand = candidate_mask(roles.nodes, roles.channel_columns, roles.target_column)
        return plot_influence(dice, kinds, ref, cand)

    def graph_swap(self, metrics: Sequence[str] | None = None) -> Figure:
        """Graph-swap bars from :meth:`DiceMMM.diagnose`.

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df
        >>> df = df[["date", "geo", "tv", "radio", "y"]]
        >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> _ = mmm.diagnose(truth=[("tv", "y")], horizon=2)
        >>> len(mmm.plot.graph_swap().axes)
        4
        """
        return plot_graph_swap(self._dice(), metrics)

    def contributions(self, original_units: bool = True) -> Figure:
        """Mean channel contributions over time, summed over the dims.

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> type(mmm.plot.contributions()).__name__
        'Figure'
        """
        m = self.model
        df = m.compute_mean_contributions_over_time(original_units=original_units)
        unit = "original units" if original_units else "scaled units"
        return plot_contributions(
            df, list(m.roles_.channel_columns), ylabel=f"contribution ({unit})"
        )

    def forecast(self, X: pd.DataFrame | None = None) -> Figure:
        """Fitted (closed-loop) target against the observed one, summed over the dims; with
        ``X`` (new dates), also the forecast and, if ``X`` has the target, its observed values.

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> type(mmm.plot.forecast(df[df["date"] >= dates[30]])).__name__
        'Figure'
        """
        m = self.model
        m._check_fitted()
        idata, roles, panel = m.idata, m.roles_, m.panel_
        scale = float(idata.constant_data["target_scale"])
        extra = list(roles.dims)
        predicted = (idata.posterior_predictive["y"] * scale).sum(extra)
        observed = idata.constant_data["target_data"].sum(extra).to_series()
        future = future_obs = None
        if X is not None:
            future = m.sample_posterior_predictive(X)["y"].sum(extra)
            if roles.target_column in X.columns:
                dates = pd.to_datetime(X[roles.date_column])
                future_obs = X[roles.target_column].groupby(dates.values).sum()
        warm = panel.dates[min(m.model_cfg.max_lag, len(panel.dates) - 1)]
        markers = {"end of warm-up": warm}
        if panel.train_end < len(panel.dates):
            markers["held-out dates"] = panel.dates[panel.train_end]
        return plot_forecast(
            predicted, observed, future=future, future_observed=future_obs, markers=markers
        )
