"""Which channels' ROAS the data tell apart: spend co-movement and posterior ROAS correlation.

When channels' spend moves together (a shared flighting or budget factor), the data pin down
the sum of their effects far better than the split, and no held-out fit can check the split.
Two signs, either enough: within each series their spends correlate at
:data:`SPEND_COMOVEMENT` or more (less than 36 % of either one's variation is its own), or the
posterior trades one channel's ROAS against the other's (correlation over draws at
:data:`CONFOUNDED_CORRELATION` or below). The first reads the data, so it holds even when the
posterior is too confident to show the second. :func:`confounded_channels` lists those pairs,
so a report can say so and point at the fix (a lift test of one of them,
:func:`pymc_dice.budget.lift_test_loss`, or spend that varies them apart).

Plain numpy / xarray on a results tree: it reads any tree with ``channel_contribution`` per
draw and the spend in ``constant_data``, so it serves pymc-marketing's MMM as well
(docs/diagnostics.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.idata import roas as idata_roas

__all__ = [
    "CONFOUNDED_CORRELATION",
    "SPEND_COMOVEMENT",
    "confounded_channels",
    "confounded_with",
    "roas_correlation",
    "roas_draws",
    "spend_comovement",
]

#: posterior ROAS correlation at or below which two channels count as not told apart
CONFOUNDED_CORRELATION = -0.5
#: within-series spend correlation at or above which two channels count as not told apart
SPEND_COMOVEMENT = 0.8


def spend_comovement(idata: xr.DataTree) -> pd.DataFrame:
    """Correlation of the channels' spend over dates within each series (each channel's
    per-series mean removed, then pooled over series): a channel x channel table. The
    between-series part (large geos spend more on everything) is left out, since the
    per-series levels absorb it.

    Examples
    --------
    >>> import pandas as pd
    >>> from pymc_dice.idata import build_idata
    >>> t = np.arange(6.0)
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=6, freq="W-MON"), dims={},
    ...     channels=["tv", "radio"], nodes=["tv", "radio", "y"],
    ...     channel_contribution=np.zeros((1, 1, 6, 2)), y_pred=np.zeros((1, 1, 6)),
    ...     edge_probability=None, channel_data=np.stack([t, 2 * t + 1], -1),
    ...     target_data=np.ones(6), channel_scale=np.ones(2), target_scale=1.0)
    >>> round(float(spend_comovement(tree).loc["tv", "radio"]), 6)
    1.0
    """
    const = idata["constant_data"].dataset
    spend = const["channel_spend"] if "channel_spend" in const else const["channel_data"]
    spend = spend.astype(np.float64)
    return _channel_correlation(spend - spend.mean("date"))


def roas_draws(idata: xr.DataTree) -> xr.DataArray:
    """ROAS of every posterior draw, ``(chain, draw, channel)``: each draw's total
    contribution (original units) over the total spend
    (:func:`pymc_dice.idata.roas` with ``per_draw=True``).

    Examples
    --------
    >>> import pandas as pd
    >>> from pymc_dice.idata import build_idata
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.array([[[[0.1], [0.1]], [[0.2], [0.2]]]]),
    ...     y_pred=np.zeros((1, 2, 2)), edge_probability=None,
    ...     channel_data=np.full((2, 1), 10.0), target_data=np.ones(2),
    ...     channel_scale=np.ones(1), target_scale=100.0)
    >>> roas_draws(tree).values.round(6).tolist()  # 2 x 10 / 20 and 2 x 20 / 20
    [[[1.0], [2.0]]]
    """
    return idata_roas(idata, per_draw=True)


def roas_correlation(idata: xr.DataTree) -> pd.DataFrame:
    """Correlation of the channels' ROAS over all posterior draws (chains pooled): a channel x
    channel table (NaN for a channel whose ROAS does not vary over the draws).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> total, split = 0.1 * rng.normal(size=(1, 200, 1)), rng.normal(size=(1, 200, 1))
    >>> draws = xr.DataArray(np.concatenate([total + split, total - split], -1) + 5,
    ...                      dims=("chain", "draw", "channel"),
    ...                      coords={"channel": ["tv", "radio"]})  # sum known, split not
    >>> bool(roas_correlation(draws).loc["tv", "radio"] < -0.9)
    True
    """
    return _channel_correlation(idata if isinstance(idata, xr.DataArray) else roas_draws(idata))


def _channel_correlation(values: xr.DataArray) -> pd.DataFrame:
    """Pearson correlation between channels over every other dim of ``values`` pooled."""
    rows = [d for d in values.dims if d != "channel"]
    flat = values.stack(row=rows).transpose("row", "channel").values
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.atleast_2d(np.corrcoef(flat, rowvar=False))
    names = [str(c) for c in values["channel"].values]
    return pd.DataFrame(corr, index=pd.Index(names, name="channel"), columns=names)


def confounded_channels(
    idata: xr.DataTree,
    threshold: float = CONFOUNDED_CORRELATION,
    spend_threshold: float = SPEND_COMOVEMENT,
) -> pd.DataFrame:
    """Pairs of channels the data do not tell apart: within-series spend correlation at or
    above ``spend_threshold``, or posterior ROAS correlation at or below ``threshold``.
    Columns ``channel``, ``with``, ``spend_correlation`` (NaN when ``idata`` is a bare array
    of ROAS draws) and ``roas_correlation``; strongest co-movement first.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> total, split, own = rng.normal(size=(3, 1, 200, 1)) * [[[[0.1]]], [[[1.0]]], [[[1.0]]]]
    >>> draws = xr.DataArray(
    ...     np.concatenate([total + split, total - split, own], -1) + 5,
    ...     dims=("chain", "draw", "channel"), coords={"channel": ["tv", "radio", "search"]})
    >>> confounded_channels(draws)[["channel", "with"]].values.tolist()
    [['tv', 'radio']]
    """
    corr = roas_correlation(idata)
    spend = spend_comovement(idata) if isinstance(idata, xr.DataTree) else None
    rows = []
    names = list(corr.index)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = corr.iat[i, j]
            c = float(spend.iat[i, j]) if spend is not None else np.nan
            if (np.isfinite(r) and r <= threshold) or (np.isfinite(c) and c >= spend_threshold):
                rows.append((names[i], names[j], c, float(r)))
    out = pd.DataFrame(rows, columns=["channel", "with", "spend_correlation", "roas_correlation"])
    key = out["spend_correlation"].fillna(-np.inf) - out["roas_correlation"].fillna(0.0)
    return out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)


def confounded_with(
    idata: xr.DataTree,
    threshold: float = CONFOUNDED_CORRELATION,
    spend_threshold: float = SPEND_COMOVEMENT,
) -> pd.Series:
    """Per channel, the channels it is confounded with (:func:`confounded_channels`), comma
    separated (empty when its ROAS is told apart from every other channel's).

    Examples
    --------
    >>> split = np.linspace(-1.0, 1.0, 51)  # tv and radio trade exactly; search on its own
    >>> draws = xr.DataArray(np.stack([5 + split, 5 - split, 5 + split**2], -1)[None],
    ...                      dims=("chain", "draw", "channel"),
    ...                      coords={"channel": ["tv", "radio", "search"]})
    >>> confounded_with(draws).tolist()
    ['radio', 'tv', '']
    """
    pairs = confounded_channels(idata, threshold, spend_threshold)
    draws = idata if isinstance(idata, xr.DataArray) else idata["posterior"].dataset
    names = [str(c) for c in draws["channel"].values]
    partners = {c: [] for c in names}
    for a, b in zip(pairs["channel"], pairs["with"], strict=True):
        partners[a].append(b)
        partners[b].append(a)
    out = pd.Series({c: ", ".join(partners[c]) for c in names}, name="confounded_with")
    out.index.name = "channel"
    return out
