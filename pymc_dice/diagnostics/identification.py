"""Which channels' ROAS the data tell apart: the posterior correlation of channel ROAS.

When channels' spend moves together (a shared flighting or budget factor), the data pin down
the sum of their effects far better than the split: the posterior draws trade one channel's
ROAS against the other's, and their correlation over draws is strongly negative. Each
channel's ROAS interval is then mostly the prior's and its point estimate mostly the prior's
split, which no held-out fit can check. :func:`confounded_channels` lists those pairs, so a
report can say so and point at the fix (a lift test of one of them,
:func:`pymc_dice.budget.lift_test_loss`, or spend that varies them apart).

Plain numpy / xarray on a results tree: it reads any tree with ``channel_contribution`` per
draw and the spend in ``constant_data``, so it serves pymc-marketing's MMM as well
(docs/diagnostics.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.idata import roas_from_totals

__all__ = [
    "CONFOUNDED_CORRELATION",
    "confounded_channels",
    "confounded_with",
    "roas_correlation",
    "roas_draws",
]

#: posterior ROAS correlation at or below which two channels count as not told apart
CONFOUNDED_CORRELATION = -0.5


def roas_draws(idata: xr.DataTree) -> xr.DataArray:
    """ROAS of every posterior draw, ``(chain, draw, channel)``: each draw's total
    contribution (original units) over the total spend.

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
    post, const = idata["posterior"].dataset, idata["constant_data"].dataset
    spend = const["channel_spend"] if "channel_spend" in const else const["channel_data"]
    scale = const["target_scale"]
    scale = scale.squeeze([d for d in scale.dims if d not in post.dims], drop=True)
    contribution = post["channel_contribution"].astype(np.float64) * scale
    out = roas_from_totals(contribution, spend, keep=("chain", "draw", "channel"))
    return out.transpose("chain", "draw", "channel")


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
    draws = idata if isinstance(idata, xr.DataArray) else roas_draws(idata)
    flat = draws.stack(sample=("chain", "draw")).transpose("sample", "channel").values
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(flat, rowvar=False)
    names = [str(c) for c in draws["channel"].values]
    corr = np.atleast_2d(corr)
    return pd.DataFrame(corr, index=pd.Index(names, name="channel"), columns=names)


def confounded_channels(
    idata: xr.DataTree, threshold: float = CONFOUNDED_CORRELATION
) -> pd.DataFrame:
    """Pairs of channels whose posterior ROAS correlation is at or below ``threshold``,
    most negative first: ``channel``, ``with``, ``correlation``, and the spend correlation of
    the two channels over the fitted cells (the usual cause).

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
    spend = None
    if isinstance(idata, xr.DataTree):
        const = idata["constant_data"].dataset
        data = const["channel_spend"] if "channel_spend" in const else const["channel_data"]
        cells = [d for d in data.dims if d != "channel"]
        flat = data.stack(cell=cells).transpose("cell", "channel").values
        with np.errstate(invalid="ignore", divide="ignore"):
            spend = np.atleast_2d(np.corrcoef(flat, rowvar=False))
    rows = []
    names = list(corr.index)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = corr.iat[i, j]
            if np.isfinite(r) and r <= threshold:
                s = float(spend[i, j]) if spend is not None else np.nan
                rows.append((names[i], names[j], float(r), s))
    out = pd.DataFrame(rows, columns=["channel", "with", "correlation", "spend_correlation"])
    return out.sort_values("correlation", kind="stable", ignore_index=True)


def confounded_with(idata: xr.DataTree, threshold: float = CONFOUNDED_CORRELATION) -> pd.Series:
    """Per channel, the channels it is confounded with (:func:`confounded_channels`), comma
    separated (empty when its ROAS is told apart from every other channel's).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> total, split, own = rng.normal(size=(3, 1, 200, 1)) * [[[[0.1]]], [[[1.0]]], [[[1.0]]]]
    >>> draws = xr.DataArray(
    ...     np.concatenate([total + split, total - split, own], -1) + 5,
    ...     dims=("chain", "draw", "channel"), coords={"channel": ["tv", "radio", "search"]})
    >>> confounded_with(draws).tolist()
    ['radio', 'tv', '']
    """
    pairs = confounded_channels(idata, threshold)
    draws = idata if isinstance(idata, xr.DataArray) else idata["posterior"].dataset
    names = [str(c) for c in draws["channel"].values]
    partners = {c: [] for c in names}
    for a, b in zip(pairs["channel"], pairs["with"], strict=True):
        partners[a].append(b)
        partners[b].append(a)
    out = pd.Series({c: ", ".join(partners[c]) for c in names}, name="confounded_with")
    out.index.name = "channel"
    return out
