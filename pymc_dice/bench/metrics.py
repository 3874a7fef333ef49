"""Scores of the ``roas`` suite: plain numpy / xarray, no model fitting.

ROAS errors are relative to the truth, ``(estimate - true) / true``; a channel whose true ROAS
is 0 (a placebo) has no relative error (NaN) and is left out of the means. Rank agreement is
Spearman's rho (average ranks for ties); interval coverage asks whether the central
``level`` quantile interval over the sample dims contains the truth; forecast quality is
R^2 (``1 - SS_res / SS_tot``) and MAPE (mean ``|y - pred| / |y|``, a fraction).

Examples
--------
>>> est, true = np.array([1.1, 2.0, 0.3]), np.array([1.0, 2.5, 0.0])
>>> relative_error(est, true).round(3).tolist()
[0.1, -0.2, nan]
>>> round(mean_abs_relative_error(est, true), 3), spearman([3.0, 1.0, 2.0], [30.0, 10.0, 20.0])
(0.15, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = [
    "contribution_correlation",
    "contribution_share",
    "interval_coverage",
    "mape",
    "mean_abs_relative_error",
    "r_squared",
    "ranks",
    "relative_error",
    "spearman",
]


def relative_error(estimate, truth):
    """``(estimate - truth) / truth`` elementwise; NaN where the truth is 0.

    Examples
    --------
    >>> relative_error([2.0, 1.0], [1.0, 0.0]).tolist()
    [1.0, nan]
    """
    est, true = np.asarray(estimate, dtype=float), np.asarray(truth, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(true != 0, (est - true) / np.where(true != 0, true, 1.0), np.nan)


def mean_abs_relative_error(estimate, truth) -> float:
    """Mean ``|relative error|`` over the entries with a non-zero truth (NaN if none).

    Examples
    --------
    >>> mean_abs_relative_error([0.5, 3.0, 9.0], [1.0, 2.0, 0.0])  # (0.5 + 0.5) / 2
    0.5
    """
    rel = np.abs(relative_error(estimate, truth))
    rel = rel[np.isfinite(rel)]
    return float(rel.mean()) if len(rel) else float("nan")


def ranks(values) -> np.ndarray:
    """Ranks 1..n, ties given their average rank.

    Examples
    --------
    >>> ranks([10.0, 30.0, 20.0, 30.0]).tolist()
    [1.0, 3.5, 2.0, 3.5]
    """
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="stable")
    out = np.empty(len(v))
    out[order] = np.arange(1, len(v) + 1)
    for value in np.unique(v):
        tie = v == value
        out[tie] = out[tie].mean()
    return out


def spearman(x, y) -> float:
    """Spearman's rank correlation (Pearson's r of the average ranks); NaN for fewer than two
    finite pairs or a constant input.

    Examples
    --------
    >>> spearman([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]), spearman([1.0, 1.0], [1.0, 2.0])
    (-1.0, nan)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
    rx, ry = ranks(x[keep]), ranks(y[keep])
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = np.sqrt((rx**2).sum() * (ry**2).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


def interval_coverage(
    draws: xr.DataArray,
    truth: xr.DataArray,
    dims: Sequence[str] = ("chain", "draw"),
    level: float = 0.9,
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """``(covered, lower, upper)``: whether the central ``level`` interval of ``draws`` over
    ``dims`` (the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles, linear
    interpolation) contains ``truth``, bounds included.

    Examples
    --------
    >>> d = xr.DataArray(np.arange(1.0, 101.0)[:, None] * [1.0, 0.1], dims=("draw", "channel"))
    >>> covered, lo, hi = interval_coverage(d, xr.DataArray([50.0, 50.0], dims="channel"),
    ...                                     dims=("draw",))
    >>> covered.values.tolist(), lo.values.round(3).tolist(), hi.values.round(3).tolist()
    ([True, False], [5.95, 0.595], [95.05, 9.505])
    """
    q = draws.quantile([(1 - level) / 2, (1 + level) / 2], dim=list(dims))
    lower, upper = q.isel(quantile=0, drop=True), q.isel(quantile=1, drop=True)
    covered = (lower <= truth) & (truth <= upper)
    return covered.rename("covered"), lower.rename("lower"), upper.rename("upper")


def r_squared(observed, predicted) -> float:
    """``1 - sum((y - pred)^2) / sum((y - mean(y))^2)`` over all entries.

    Examples
    --------
    >>> r_squared([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])  # 1 - 1 / 2
    0.5
    """
    y = np.asarray(observed, dtype=float).ravel()
    p = np.asarray(predicted, dtype=float).ravel()
    total = ((y - y.mean()) ** 2).sum()
    return float(1.0 - ((y - p) ** 2).sum() / total) if total > 0 else float("nan")


def mape(observed, predicted) -> float:
    """Mean absolute percentage error as a fraction, ``mean(|y - pred| / |y|)`` over the
    entries with ``y != 0``.

    Examples
    --------
    >>> mape([2.0, 4.0, 0.0], [1.0, 5.0, 3.0])  # (0.5 + 0.25) / 2
    0.375
    """
    y = np.asarray(observed, dtype=float).ravel()
    p = np.asarray(predicted, dtype=float).ravel()
    keep = y != 0
    return (
        float(np.mean(np.abs(y[keep] - p[keep]) / np.abs(y[keep]))) if keep.any() else float("nan")
    )


def contribution_correlation(
    estimate: xr.DataArray, truth: xr.DataArray, channel_dim: str = "channel"
) -> xr.DataArray:
    """Pearson correlation per channel between estimated and true contributions over every
    other dim (the (date, geo) cells); NaN where either side is constant.

    Examples
    --------
    >>> t = xr.DataArray([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]], dims=("date", "channel"))
    >>> contribution_correlation(2 * t + 1, t).values.tolist()
    [1.0, nan]
    """
    cells = [d for d in truth.dims if d != channel_dim]
    est = estimate.transpose(*truth.dims)
    e = est - est.mean(cells)
    t = truth - truth.mean(cells)
    denom = np.sqrt((e**2).sum(cells) * (t**2).sum(cells))
    return ((e * t).sum(cells) / denom.where(denom > 0)).rename("correlation")


def contribution_share(contribution: xr.DataArray, channel_dim: str = "channel") -> xr.DataArray:
    """Each channel's share of the total contribution of all channels (over every other dim).

    Examples
    --------
    >>> c = xr.DataArray([[1.0, 3.0], [1.0, 3.0]], dims=("date", "channel"))
    >>> contribution_share(c).values.tolist()
    [0.25, 0.75]
    """
    totals = contribution.sum([d for d in contribution.dims if d != channel_dim])
    return (totals / totals.sum()).rename("share")
