"""The simulator's truth on a model's grid: true contributions, true direct edges, and the
scores of a model's influence against them (definitions in :mod:`pymc_dice.attribution`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.attribution.adapters import AttributionAdapter

__all__ = ["edge_scores", "true_contributions", "true_edges", "truth_dataset"]


def truth_dataset(truth: Any) -> xr.Dataset | None:
    """The truth Dataset of a :class:`~pymc_dice.simulate.Simulation`, a Dataset, or None.

    Examples
    --------
    >>> truth_dataset(None) is None, truth_dataset(xr.Dataset()).sizes
    (True, Frozen({}))
    >>> truth_dataset("graph.csv")
    Traceback (most recent call last):
    ...
    TypeError: truth must be an xarray.Dataset or a Simulation, got str
    """
    if truth is None:
        return None
    if hasattr(truth, "truth") and isinstance(truth.truth, xr.Dataset):  # a Simulation
        return truth.truth
    if isinstance(truth, xr.Dataset):
        return truth
    raise TypeError(f"truth must be an xarray.Dataset or a Simulation, got {type(truth).__name__}")


def true_contributions(
    truth: xr.Dataset, adapter: AttributionAdapter, placebo: str | None, notes: list[str]
) -> xr.DataArray | None:
    """Truth contributions on the model's ``(date, *dims, channel)`` grid, or None.

    Truth dims the model lacks are summed; the placebo channel, absent from the truth, has a
    zero truth; every other reason for NaN is appended to ``notes``.

    Examples
    --------
    >>> model, data = toy_demo()  # fitted on 8 of 12 dates, channel tv
    >>> truth = xr.Dataset({"channel_contribution": (("date", "channel"), np.ones((12, 1)))},
    ...                    coords={"date": data["date"].to_numpy(), "channel": ["tv"]})
    >>> notes = []
    >>> true_contributions(truth, model, None, notes).shape, notes
    ((8, 1), [])
    >>> true_contributions(xr.Dataset(), model, None, notes), notes
    (None, ['truth has no channel_contribution: truth comparisons are NaN'])
    """
    if "channel_contribution" not in truth:
        notes.append("truth has no channel_contribution: truth comparisons are NaN")
        return None
    tc = truth["channel_contribution"]
    missing_dims = [d for d in adapter.dims if d not in tc.dims]
    if missing_dims:
        notes.append(f"truth contributions lack the model's dim(s) {missing_dims}: NaN")
        return None
    extra = [d for d in tc.dims if d not in ("date", "channel", *adapter.dims)]
    tc = tc.sum(extra) if extra else tc
    dates = pd.DatetimeIndex(tc["date"].values).as_unit("ns")
    absent = adapter.fitted_dates.difference(dates)
    if len(absent):
        notes.append(f"truth lacks fitted dates (e.g. {absent[0].date()}): truth comparisons NaN")
        return None
    tc = tc.assign_coords(date=dates).sel(date=adapter.fitted_dates)
    for d in adapter.dims:
        tc = tc.assign_coords({d: [str(v) for v in tc[d].values]}).reindex(
            {d: adapter.dim_coords[d]}
        )
    known = [str(c) for c in tc["channel"].values]
    tc = tc.assign_coords(channel=known).reindex(channel=list(adapter.channels))
    for ch in adapter.channels:
        if ch not in known:
            if ch == placebo:
                tc.loc[{"channel": ch}] = 0.0
            else:
                notes.append(f"channel {ch!r} is not in the truth: its truth is NaN")
    return tc.transpose("date", *adapter.dims, "channel")


def true_edges(
    truth: xr.Dataset, adapter: AttributionAdapter, notes: list[str]
) -> xr.DataArray | None:
    """True direct channel -> target labels ``(channel)`` or ``(series, channel)``.

    Per series (``series``) only when ``truth`` gives each series its own graph
    (``graphs``, ``series_graph``) and they differ; reasons for None go to ``notes``.

    Examples
    --------
    >>> from pymc_dice.graph import graph_dataarray
    >>> model, _ = toy_demo()  # channel tv, target y
    >>> truth = xr.Dataset({"graph": graph_dataarray([[0, 1], [0, 0]], ["tv", "y"])})
    >>> true_edges(truth, model, []).values.tolist()
    [1]
    """
    if "graph" not in truth:
        notes.append("truth has no graph: influence scores are NaN")
        return None
    graph = truth["graph"]
    nodes = [str(v) for v in graph["source"].values]
    if adapter.target not in nodes:
        notes.append(f"target {adapter.target!r} is not a node of the truth graph: scores NaN")
        return None
    per_series = None
    dim = adapter.dims[0] if len(adapter.dims) == 1 else None
    if {"graphs", "series_graph"} <= set(truth.data_vars) and dim in truth["series_graph"].dims:
        sg = truth["series_graph"]
        sg = sg.assign_coords({dim: [str(v) for v in sg[dim].values]}).reindex(
            {dim: adapter.dim_coords[dim]}
        )
        if not sg.isnull().any():
            per_series = truth["graphs"].sel(graph_id=sg.values.astype(int))
            per_series = per_series.rename(graph_id="series").drop_vars("series", errors="ignore")
            if (per_series == per_series.isel(series=0)).all():  # one graph: the shared case
                graph, per_series = per_series.isel(series=0), None

    def labels(g: xr.DataArray) -> xr.DataArray:
        g = g.assign_coords(
            source=[str(v) for v in g["source"].values], target=[str(v) for v in g["target"].values]
        )
        col = g.sel(target=adapter.target).reindex(source=list(adapter.channels), fill_value=0)
        return (col != 0).astype(int).rename(source="channel")

    return labels(per_series if per_series is not None else graph)


def edge_scores(
    scores: np.ndarray,
    labels: xr.DataArray,
    adapter: AttributionAdapter,
    what: str,
    notes: list[str],
) -> tuple[float, float]:
    """nAUPRC and AUROC of per-series channel -> target scores ``[S, C]`` against ``labels``
    (averaged over series against ``(channel)`` labels, pooled over series against
    ``(series, channel)`` ones); NaN with a note when undefined.

    Examples
    --------
    >>> model, _ = toy_demo()  # one channel: its one candidate edge cannot be ranked
    >>> labels = xr.DataArray([1], dims="channel", coords={"channel": ["tv"]})
    >>> notes = []
    >>> edge_scores(np.ones((3, 1)), labels, model, "cig", notes)
    (nan, nan)
    >>> notes[0][:40]
    'cig scores: only true edges among the 1 '
    """
    from pymc_dice.diagnostics.metrics import auroc, nauprc
    from pymc_dice.graph import graph_dataarray

    nodes = [*adapter.channels, adapter.target]
    n = len(nodes)
    per_series = "series" in labels.dims
    lab = labels.transpose(..., "channel").values
    sc = scores if per_series else scores.mean(0)
    lead = sc.shape[:-1]
    s_mat = np.zeros((*lead, n, n))
    t_mat = np.zeros((*lead, n, n), dtype=int)
    s_mat[..., : len(adapter.channels), -1] = sc
    t_mat[..., : len(adapter.channels), -1] = lab
    cand = np.zeros((n, n), dtype=bool)
    cand[: len(adapter.channels), -1] = True
    s_da = graph_dataarray(s_mat, nodes, "scores")
    t_da = graph_dataarray(t_mat, nodes, "truth")
    pool: tuple[Hashable, ...] = ("dim_0",) if per_series else ()
    n_pos, n_all = int(lab.sum()), lab.size
    if n_pos == 0 or n_pos == n_all:
        kind = "no true edge" if n_pos == 0 else "only true edges"
        notes.append(
            f"{what} scores: {kind} among the {len(adapter.channels)} channel -> "
            f"{adapter.target} candidate edges of the truth's direct graph, so nAUPRC/AUROC are "
            "undefined (NaN)"
        )
        return np.nan, np.nan
    c_da = graph_dataarray(cand, nodes, "candidates")
    try:
        return (
            float(nauprc(s_da, t_da, c_da, pool=pool)),
            float(auroc(s_da, t_da, c_da, pool=pool)),
        )
    except ValueError as err:  # a degenerate slice the checks above did not catch
        notes.append(f"{what} scores: {err}")
        return np.nan, np.nan
