"""Every figure of pymc-dice: graphs, influence, graph swap, contributions, forecasts, ROAS.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no
global figure registry, any backend) from plain xarray / pandas inputs. :class:`DicePlotSuite`
(in ``mmm.plot``) feeds them from a fitted :class:`~pymc_dice.mmm.DiceMMM`, and
:mod:`pymc_dice.report` from the models of a report (``plot_roas``, ``plot_channel_influence``,
``plot_contribution_panels`` and ``plot_model_forecasts`` compare several models).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pymc_dice.graph import candidate_mask

__all__ = [
    "DicePlotSuite",
    "plot_channel_influence",
    "plot_contribution_panels",
    "plot_contributions",
    "plot_forecast",
    "plot_graph",
    "plot_graph_swap",
    "plot_influence",
    "plot_model_forecasts",
    "plot_response_curves",
    "plot_roas",
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
        _outline(ax, marked)
    fig.colorbar(im, ax=ax, shrink=0.8)


def _outline(ax, marked: np.ndarray) -> None:
    """Red outlines on the cells ``marked`` (true or selected edges)."""
    for i, j in zip(*np.nonzero(marked), strict=True):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))


def _band(
    ax,
    da: xr.DataArray,
    label: str,
    color: str,
    *,
    band: tuple[float, float] = (0.05, 0.95),
    alpha: float = 0.25,
    linewidth: float | None = None,
) -> None:
    """Mean over ``(chain, draw)`` of ``da (chain, draw, date)`` with its quantile band."""
    samples = da.stack(sample=("chain", "draw")).transpose("date", "sample")
    dates = pd.DatetimeIndex(samples["date"].values)
    lo, hi = np.quantile(samples.values, band, axis=1)
    ax.fill_between(dates, lo, hi, color=color, alpha=alpha, linewidth=0)
    ax.plot(dates, samples.values.mean(1), color=color, linewidth=linewidth, label=label)


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
    _band(ax, predicted, "fitted (closed loop)", "C0", band=band)
    if observed is not None:
        ax.plot(observed.index, observed.values, color="black", linewidth=1, label="observed")
    if future is not None:
        _band(ax, future, "forecast", "C1", band=band)
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


# --------------------------------------------------------------------------------------------
# figures comparing several models (the report's)
# --------------------------------------------------------------------------------------------


def plot_roas(comparison: xr.Dataset) -> Figure:
    """ROAS per channel: one bar per model with its 90 % interval over posterior draws
    (``roas_lower`` / ``roas_upper``) and the truth in black when known, from a
    :func:`pymc_dice.attribution.compare` result.

    Examples
    --------
    >>> ds = xr.Dataset({"roas": (("model", "channel"), [[1.0, 2.0]]),
    ...                  "roas_lower": (("model", "channel"), [[0.8, 1.5]]),
    ...                  "roas_upper": (("model", "channel"), [[1.3, 2.6]]),
    ...                  "true_roas": (("model", "channel"), [[1.1, 1.8]])},
    ...                 coords={"model": ["dice"], "channel": ["tv", "radio"]})
    >>> plot_roas(ds).axes[0].get_title()
    'ROAS per channel vs truth (90 % intervals)'
    """
    models = [str(m) for m in comparison["model"].values]
    channels = [str(c) for c in comparison["channel"].values]
    truth = None
    if "true_roas" in comparison:
        t = comparison["true_roas"].max("model", skipna=True).values
        truth = t if np.isfinite(t).any() else None
    bars = models + (["truth"] if truth is not None else [])
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(bars), 1)
    x = np.arange(len(channels))
    for k, name in enumerate(bars):
        pos = x + (k - (len(bars) - 1) / 2) * width
        if name == "truth":
            ax.bar(pos, np.nan_to_num(truth), width, label="truth", color="black", alpha=0.85)
            continue
        est = comparison["roas"].sel(model=name).values
        err = None
        if "roas_lower" in comparison:
            lo = comparison["roas_lower"].sel(model=name).values
            hi = comparison["roas_upper"].sel(model=name).values
            if np.isfinite(lo).any():
                err = np.nan_to_num(np.stack([est - lo, hi - est]).clip(min=0))
        ax.bar(pos, np.nan_to_num(est), width, yerr=err, capsize=3, label=name,
               color=f"C{k}", alpha=0.85)  # fmt: skip
    ax.set_xticks(x, channels)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("ROAS (contribution / spend)")
    ax.set_title("ROAS per channel" + (" vs truth" if truth is not None else "")
                 + " (90 % intervals)")  # fmt: skip
    ax.legend(fontsize=9)
    return fig


def plot_channel_influence(
    comparison: xr.Dataset, true_graph: xr.DataArray | None = None, target: str = "y"
) -> Figure | None:
    """CIG and AR-CIG of channel -> target of every model of an attribution ``comparison``
    (:func:`pymc_dice.attribution.compare`): one heatmap column per model, true direct edges
    outlined in red; None when no model has a finite CIG or AR-CIG.

    Colour is each model's influence relative to its own largest (the ranking is what nAUPRC
    scores); the numbers are the raw influence, comparable across models.

    Examples
    --------
    >>> ds = xr.Dataset({"ar_cig": (("model", "channel"), [[0.5, 0.1]])},
    ...                 coords={"model": ["dice"], "channel": ["tv", "radio"]})
    >>> len(plot_channel_influence(ds).axes)  # one heatmap and its colour bar
    2
    >>> plot_channel_influence(ds.drop_vars("ar_cig")) is None
    True
    """
    ds = comparison
    kinds = [k for k in ("cig", "ar_cig") if k in ds and np.isfinite(ds[k].values).any()]
    if not kinds:
        return None
    models = [str(m) for m in ds["model"].values]
    channels = [str(c) for c in ds["channel"].values]
    fig = Figure(figsize=(5.5 * len(kinds), 1.2 + 0.45 * len(channels)), layout="constrained")
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    marked = None
    if true_graph is not None:
        g = true_graph
        true = np.array(
            [
                float(g.sel(source=c, target=target)) if c in g["source"].values else 0.0
                for c in channels
            ]
        )
        marked = np.repeat((true > 0)[:, None], len(models), axis=1)
    for ax, kind in zip(axes, kinds, strict=True):
        values = ds[kind].transpose("channel", "model").values.astype(float)
        top = np.nanmax(np.where(np.isfinite(values), np.abs(values), np.nan), axis=0)
        top = np.where(np.isfinite(top) & (top > 0), top, 1.0)
        rel = np.abs(values) / top
        im = ax.imshow(rel, cmap="magma", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(models)), models)
        ax.set_yticks(range(len(channels)), channels)
        for i, j in zip(*np.nonzero(np.isfinite(values)), strict=True):
            color = "white" if rel[i, j] < 0.6 else "black"
            ax.text(j, i, f"{values[i, j]:.2g}", ha="center", va="center", fontsize=9, color=color)
        if marked is not None:
            _outline(ax, marked)
        label = {"cig": "CIG (one step)", "ar_cig": "AR-CIG (closed loop)"}[kind]
        ax.set_title(f"{label}: channel -> {target}")
        fig.colorbar(im, ax=ax, shrink=0.9, label="share of the model's largest")
    return fig


def plot_contribution_panels(
    contributions: Mapping[str, pd.DataFrame], target: str = "y"
) -> Figure:
    """Channel contributions over time, one panel per model (``label -> (date x channel)``
    frame, summed over series); a ``"truth"`` entry is drawn as the noise-free truth.

    Examples
    --------
    >>> dates = pd.date_range("2024-01-01", periods=3, freq="W-MON")
    >>> df = pd.DataFrame({"tv": [1.0, 2.0, 3.0]}, index=dates)
    >>> len(plot_contribution_panels({"dice": df, "truth": df}).axes)
    2
    """
    labels = list(contributions)
    fig = Figure(figsize=(12, 2.6 * len(labels) + 0.4), layout="constrained")
    axes = fig.subplots(len(labels), 1, squeeze=False, sharex=True)[:, 0]
    colors: dict[str, str] = {}
    for ax, label in zip(axes, labels, strict=True):
        df = contributions[label]
        for c in df.columns:
            colors.setdefault(c, f"C{len(colors)}")
            ax.plot(df.index, df[c], label=c, color=colors[c], linewidth=1.2)
        ax.axhline(0, color="black", linewidth=0.5)
        name = label if label != "truth" else "truth (noise-free counterfactual)"
        total = float(np.nansum(df.to_numpy()))
        ax.set_title(f"{name}: total {total:,.4g} (own y scale)", loc="left", fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        ax.set_ylabel(f"{target} units")
    fig.suptitle("channel contributions over time (sum over series)")
    return fig


def plot_model_forecasts(
    models: Sequence[str],
    *,
    observed: pd.Series | None = None,
    fitted: Mapping[str, xr.DataArray] | None = None,
    forecast: Mapping[str, pd.Series] | None = None,
    held_out_start: Any = None,
    target: str = "y",
) -> Figure:
    """Observed target against each model's fitted values (``(chain, draw, date)``, 5-95% band)
    and its forecast of the held-out dates, summed over series.

    Examples
    --------
    >>> dates = pd.date_range("2024-01-01", periods=4, freq="W-MON")
    >>> fit = xr.DataArray(np.ones((1, 2, 3)), dims=("chain", "draw", "date"),
    ...                    coords={"date": dates[:3]})
    >>> fig = plot_model_forecasts(["dice"], observed=pd.Series(1.0, index=dates),
    ...                            fitted={"dice": fit}, forecast={"dice": pd.Series([1.0], dates[3:])},
    ...                            held_out_start=dates[3])
    >>> len(fig.axes[0].get_lines())  # observed, fitted mean, forecast, held-out line
    4
    """
    fitted, forecast = fitted or {}, forecast or {}
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax = fig.subplots()
    if observed is not None:
        ax.plot(observed.index, observed.values, color="black", linewidth=1.3, label="observed")
    for k, label in enumerate(models):
        color = f"C{k}"
        if label in fitted:
            _band(ax, fitted[label], f"{label} (fitted)", color, alpha=0.2, linewidth=1)
        if label in forecast:
            f = forecast[label]
            ax.plot(
                f.index,
                f.values,
                color=color,
                linewidth=2,
                linestyle="--",
                marker="o",
                markersize=3,
                label=f"{label} (held-out forecast)",
            )
    if held_out_start is not None:
        ax.axvline(held_out_start, color="grey", linestyle=":", label="held-out dates")
    ax.set_ylabel(f"{target} (sum over series)")
    ax.set_title("forecast vs observed (bands: 5-95% over chains and draws)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return fig


def plot_response_curves(curves: xr.Dataset, target: str | None = None) -> Figure:
    """Saturation curves into ``target`` (default: the last node), median over (chain, draw)
    with a 90 % band, one line per deployed edge (``FittedEnsemble.response_curves``).

    Examples
    --------
    >>> share = np.linspace(0, 2, 5)
    >>> sat = np.tile(1 - np.exp(-share), (1, 3, 2, 2, 1))  # chain, draw, source, target
    >>> curves = xr.Dataset({"saturation": (("chain", "draw", "source", "target", "share"), sat)},
    ...                     coords={"source": ["tv", "y"], "target": ["tv", "y"], "share": share})
    >>> plot_response_curves(curves).axes[0].get_xlabel()  # one curve: tv -> y
    "adstocked spend (share of the series' max)"
    """
    sat = curves["saturation"]
    target = target or str(sat["target"].values[-1])
    sat = sat.sel(target=target)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax, x = fig.subplots(), sat["share"].values
    for k, src in enumerate(str(v) for v in sat["source"].values):
        line = sat.sel(source=src)
        if not np.isfinite(line.values).any():  # no deployed edge
            continue
        q = line.quantile([0.05, 0.5, 0.95], ("chain", "draw")).values
        ax.plot(x, q[1], color=f"C{k}", label=src)
        ax.fill_between(x, q[0], q[2], color=f"C{k}", alpha=0.2)
    ax.set_xlabel("adstocked spend (share of the series' max)")
    ax.set_ylabel(f"response of {target} (share of its max)")
    ax.set_title(f"response curves into {target} (median, 90 % band)")
    ax.legend(fontsize=9)
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

    def response_curves(self, target: str | None = None) -> Figure:
        """Saturation curves into ``target``, posterior draws (:func:`plot_response_curves`).

        Examples
        --------
        >>> from pymc_dice.mmm import DiceMMM
        >>> from pymc_dice.simulate import national
        >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 20})
        >>> _ = mmm.fit(national(n_channels=2, n_periods=40, seed=0).df, progressbar=False,
        ...             random_seed=0, draws=4)
        >>> mmm.plot.response_curves().axes[0].get_title()
        'response curves into y (median, 90 % band)'
        """
        self.model._check_fitted()
        return plot_response_curves(self.model.ensemble_.response_curves(), target)

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
        scale, extra = float(idata.constant_data["target_scale"]), list(roles.dims)
        fit_pp = idata.get("posterior_predictive_fit", idata["posterior_predictive"])  # the fit's
        predicted = (fit_pp["y"] * scale).sum(extra)
        observed = idata.constant_data["target_data"].sum(extra).to_series()
        future = future_obs = None
        if X is not None:
            future = m.sample_posterior_predictive(X, extend_idata=False, combined=False)["y"]
            future = future.sum(extra)
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
