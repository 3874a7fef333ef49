"""Conditional Granger tests of candidate edges, straight from the data (plain numpy).

Does the past of ``source`` help predict ``target`` given the past of the target's other
candidate sources? Pooled least-squares regressions per non-channel node, with series and date
fixed effects, answer it for every candidate edge (docs/concepts.md, "Support selection";
docs/benchmarks.md, "Edge recovery: conditional Granger tests"):

- **Channel sources** enter as lags ``1..L`` (``0..L`` with ``same_period``) of their log
  spend (saturation curves are sigmoid in log spend). A channel's evidence is averaged over
  models: every subset of up to :data:`MAX_PARENTS` of the target's candidate channels, each
  in at a window of :data:`WINDOW` consecutive lags or at all its lags, weighted by its
  Schwarz evidence. Channels that co-move stand in for each other, so in the one model with
  every other channel a parent's own lags add little; among the models, a parent's are the
  ones that fit. A channel's evidence is the smaller of two such averages: beside the raw
  lags of every candidate mediator source (so a channel that acts only through a mediator
  adds nothing), and without them (so a channel is not credited for decoding a mediator that
  is a curved function of the shared budget).
- **Mediator sources** enter as their *innovations*: the mediator's residual after a pooled
  regression on its own lags and its candidate sources' lags (channels raw and logged) and
  a per-series cubic in that fit (its scale and curvature). A mediator driven by co-moving
  channels is a smooth proxy of the shared budget, and through a per-series saturation it
  predicts the target beyond any pooled curve of the channels; its innovation is not, and
  under "no edge" it is independent of the target. The channels' blocks stay in that
  regression, and it is taken less a per-series mean, linear and quadratic term of the
  budget factor at every channel lag: what is left of a mediator's innovation is its own
  shock, which is all it is credited with (each series' saturation levels are shared by
  the curves of every node it feeds, so the misfits of two nodes co-vary across series).
- Every regression carries the square of the shared budget factor (the channels' mean
  standardised log spend) at each channel lag: the curvature of the budget's effect, which
  a co-moving channel or a mediator would otherwise stand in for.
- A mediator's evidence is the Schwarz (BIC) approximation of the log Bayes factor of the
  regression with its innovation's lags in a window of :data:`WINDOW` consecutive lags
  against the regression without them, ``-n/2 log(RSS_with / RSS_without) - k/2 log n``,
  averaged over the window's positions (an edge acts through a few consecutive weeks, its
  lag unknown). An edge's inclusion probability is its Bayes factor's posterior at prior
  inclusion probability ``prior_inclusion``.

Nothing is trained: a 96-series panel is scored in about half a second (geo_panel's 60 x 120
with 7 channels in about 1.5 s), so the test serves any panel, a pymc-marketing model's
included.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import comb

import numpy as np
import xarray as xr

from pymc_dice.diagnostics.edges import bayes_factor_probability, check_prior_inclusion
from pymc_dice.exceptions import DataValidationError
from pymc_dice.graph import candidate_mask

__all__ = ["granger_evidence", "granger_shortfall"]

#: offset of the log of a channel's series-normalised spend (1 = the series' mean spend),
#: which keeps a dark week finite. Hill and logistic saturation are sigmoid in log spend, so
#: log-spend lags follow them where raw spend does not (sparse_target, 20 seeds: edge nAUPRC
#: 0.96 against 0.35 for raw spend). 0.01 against 0.001 / 0.1: the same sparse_target
#: selection as 0.001 (0.1 adds 6 false edges in 20 seeds); rawlog's dark weeks want a
#: larger one (per-series AUROC 0.84 / 0.87 / 0.90 at 0.001 / 0.01 / 0.1)
LOG_OFFSET = 0.01
#: width of the lag windows an edge's evidence averages over: a lag and a week of carryover.
#: Against the whole block of ``max_lag`` lags, 20 seeds each (selected true / false / missed;
#: measured with each channel in the model with every other, before the model averaging):
#: sparse_target 32 x 45 training weeks 87 / 3 / 11 against 66 / 1 / 32, 96 x 78 98 / 5 / 0
#: against 95 / 4 / 3; geo_panel 60 x 120 152 / 0 / 85 against 111 / 0 / 126. Width 3: 80 / 1
#: / 18, 97 / 4 / 1 and 138 / 0 / 99
WINDOW = 2
#: the most models a channel's evidence averages over (:func:`_model_states`); geo_panel's 7
#: channels with 5 lag options are 26,811 models, about 0.15 s. With more (about 15 channels),
#: each channel is tested in the one model with every other channel instead
MAX_MODELS = 2**19
#: the most channel parents a model of :func:`_model_averaged` gives a node (sparse_target's
#: nodes have 1-3): 3 and 4 select the same sparse_target graphs in 20 seeds, and 4 keeps
#: the models polynomial in the number of channels
MAX_PARENTS = 4
#: weeks per year, for the Fourier terms of a single-series panel (no date fixed effects)
WEEKS_PER_YEAR = 52.18


def _lags(a: np.ndarray, lags: range, n_lags: int) -> np.ndarray:
    """``a [S, T]`` at each lag in ``lags``, aligned on dates ``n_lags..T-1``: ``[S, T-L, k]``."""
    t_len = a.shape[1]
    return np.stack([a[:, n_lags - lag : t_len - lag] for lag in lags], axis=-1)


def _demean(a: np.ndarray, dates: bool) -> np.ndarray:
    """Remove series means (and date means across series when ``dates``) of ``a [S, T, ...]``."""
    a = a - a.mean(axis=1, keepdims=True)
    return a - a.mean(axis=0, keepdims=True) if dates else a


def _season(n_series: int, t_len: int, n_lags: int) -> np.ndarray:
    """A linear trend and yearly Fourier terms of order 2, ``[S, T-L, 5]``."""
    t = np.arange(n_lags, t_len) / WEEKS_PER_YEAR
    cols = [f(2 * np.pi * k * t) for k in (1, 2) for f in (np.sin, np.cos)] + [t]
    return np.broadcast_to(np.stack(cols, -1), (n_series, t_len - n_lags, len(cols)))


def _budget_factor(log_spend: np.ndarray) -> np.ndarray:
    """The shared budget factor ``[S, T]``: the channels' mean log spend, each standardised
    within series, scaled to unit variance."""
    centred = log_spend - log_spend.mean(axis=1, keepdims=True)
    sd = centred.std(axis=(0, 1), keepdims=True)
    factor = (centred / np.where(sd > 0, sd, 1.0)).mean(axis=-1)
    return factor / max(float(factor.std()), 1e-12)


def _without_series_budget(
    arrays: np.ndarray, factor: np.ndarray, lags: range, n_lags: int, dates: bool
) -> np.ndarray:
    """``arrays [S, T', p]`` less, per series, a mean and a linear and quadratic term of the
    budget ``factor`` at each lag in ``lags`` (and less date effects): the exact residuals of a
    regression on those per-series terms and both fixed effects, without building the
    ``S * 2 * len(lags)`` block columns (per-series projections, then the dates on top)."""
    f = _lags(factor, lags, n_lags)
    terms = np.concatenate([np.ones_like(f[..., :1]), f, f**2], axis=-1)  # [S, T', q]
    u, sv, _ = np.linalg.svd(terms, full_matrices=False)
    u = u * (sv > 1e-10 * sv.max(axis=-1, keepdims=True))[:, None, :]

    def project_out(a: np.ndarray) -> np.ndarray:
        return a - u @ (u.transpose(0, 2, 1) @ a)

    out = project_out(arrays)
    if dates:  # the date effects, as they stand after the per-series projection
        n_series, t_len = out.shape[:2]
        dummies = project_out(np.broadcast_to(np.eye(t_len), (n_series, t_len, t_len)))
        flat, d_flat = out.reshape(-1, out.shape[-1]), dummies.reshape(-1, t_len)
        out = (flat - d_flat @ np.linalg.lstsq(d_flat, flat, rcond=1e-10)[0]).reshape(out.shape)
    return out


def _innovations(
    x: np.ndarray,
    log_spend: np.ndarray,
    cand: np.ndarray,
    lag_sets: list[range],
    n_lags: int,
    curvature: np.ndarray,
) -> dict[int, np.ndarray]:
    """Innovations ``{node: [S, T]}`` of each mediator (zero on the first ``n_lags`` dates).

    A pooled regression (series and date fixed effects) of the mediator on its own lags,
    its candidate sources' lags (channels raw and logged) and the budget's ``curvature``
    terms (counted as part of the sources' fit), then, per series, the residual
    regressed on that fit's source part, its square and its cube: a series' own saturation
    level bends and scales the pooled response, which three coefficients per series follow
    where a full per-series regression (about 80 coefficients on 116 weeks of geo_panel)
    overfits. What the pooled fit misses of the shared saturation curves is in every node
    that reads the budget; with the square alone enough of it stays in a mediator's
    innovation to predict another node (20 sparse_target seeds, selected true / false /
    missed: 87 / 1 / 11 against 87 / 3 / 11 at 32 x 45 training weeks; the same selection
    at 96 x 78 and on geo_panel; a fourth power changes nothing).
    """
    n_series, t_len, n_nodes = x.shape
    n_channels = log_spend.shape[-1]
    dates = n_series > 1
    out = {}
    for m in range(n_channels, n_nodes - 1):
        sources = np.flatnonzero(cand[:, m])
        feats = [_lags(x[..., m], range(1, n_lags + 1), n_lags), curvature]
        feats += [_lags(x[..., j], lag_sets[j], n_lags) for j in sources]
        feats += [_lags(log_spend[..., j], lag_sets[j], n_lags) for j in sources if j < n_channels]
        design = _standardised(np.concatenate(feats, axis=-1), dates)
        resp = _demean(x[:, n_lags:, m], dates)
        coef = np.linalg.lstsq(design, resp.reshape(-1), rcond=1e-10)[0]
        resid = resp - (design @ coef).reshape(resp.shape)
        part = (design[:, n_lags:] @ coef[n_lags:]).reshape(resp.shape)  # the sources' fit
        part = part - part.mean(axis=1, keepdims=True)
        local = np.stack([part, part**2, part**3], axis=-1)
        local = local - local.mean(axis=1, keepdims=True)
        gram = np.einsum("stp,stq->spq", local, local) + 1e-9 * np.eye(3)
        slope = np.linalg.solve(gram, np.einsum("stp,st->sp", local, resid)[..., None])
        e = np.zeros((n_series, t_len))
        e[:, n_lags:] = resid - np.einsum("stp,sp->st", local, slope[..., 0])
        out[m] = e
    return out


def _standardised(features: np.ndarray, dates: bool) -> np.ndarray:
    """``features [S, T', p]`` demeaned (:func:`_demean`), flattened to ``[S * T', p]`` and
    scaled to unit standard deviation (constant columns left at zero)."""
    flat = _demean(features, dates).reshape(-1, features.shape[-1])
    sd = flat.std(axis=0)
    return flat / np.where(sd > 0, sd, 1.0)


def _block_bayes_factors(
    resp: np.ndarray, base: np.ndarray, blocks: list[np.ndarray], dates: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Schwarz log Bayes factors of each block of ``blocks`` (each ``[S, T', k]``, lags in
    order) in the pooled regression of ``resp [S, T']`` on ``base`` and every block: the
    block's lags in a window of :data:`WINDOW` consecutive lags against none of them,
    averaged over the window's positions; and the fit term
    ``-n/2 log(RSS_with / RSS_without)`` of the best window."""
    design = _standardised(np.concatenate([base, *blocks], axis=-1), dates)
    y = _demean(resp, dates).reshape(-1)
    gram, xty, yy = design.T @ design, design.T @ y, y @ y
    n = y.size

    def rss(keep: np.ndarray) -> float:
        g = gram[np.ix_(keep, keep)]
        coef = np.linalg.lstsq(g, xty[keep], rcond=1e-10)[0]
        return max(float(yy - xty[keep] @ coef), 1e-300)

    every = np.arange(design.shape[1])
    edges = np.cumsum([base.shape[-1]] + [b.shape[-1] for b in blocks])
    log_bf, fit = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        rest = np.r_[every[:lo], every[hi:]]
        rss_without = rss(rest)
        width = min(WINDOW, hi - lo)
        fits = np.array([
            -0.5 * n * np.log(rss(np.r_[rest, start : start + width]) / rss_without)
            for start in range(lo, hi - width + 1)
        ])  # fmt: skip
        evidence = fits - 0.5 * width * np.log(n)
        log_bf.append(np.logaddexp.reduce(evidence) - np.log(len(evidence)))
        fit.append(fits[np.argmax(evidence)])
    return np.array(log_bf), np.array(fit)


def _lag_options(size: int) -> np.ndarray:
    """A channel's lags in a model, ``[options, size]`` masks: each window of :data:`WINDOW`
    consecutive lags, and the whole block (carryover longer than a window)."""
    width = min(WINDOW, size)
    lags = np.arange(size)
    masks = [(lags >= start) & (lags < start + width) for start in range(size - width + 1)]
    if width < size:
        masks.append(np.ones(size, dtype=bool))
    return np.array(masks)


def _n_models(n_blocks: int, n_opt: int) -> int:
    """How many models :func:`_model_states` lists."""
    return sum(comb(n_blocks, k) * (n_opt - 1) ** k for k in range(min(MAX_PARENTS, n_blocks) + 1))


def _model_states(n_blocks: int, n_opt: int) -> np.ndarray:
    """Every model of up to :data:`MAX_PARENTS` of ``n_blocks`` blocks, ``[M, n_blocks]``:
    each block's option ``1..n_opt-1``, or 0 when it is out."""
    rows = [np.zeros((1, n_blocks), dtype=int)]
    for k in range(1, min(MAX_PARENTS, n_blocks) + 1):
        picks = np.array(list(combinations(range(n_blocks), k)))  # [P, k]
        opts = np.stack(np.meshgrid(*[np.arange(1, n_opt)] * k, indexing="ij"), -1)
        opts = opts.reshape(-1, k)  # [O, k]
        block = np.zeros((len(picks), len(opts), n_blocks), dtype=int)
        np.put_along_axis(block, picks[:, None, :].repeat(len(opts), 1), opts[None], axis=2)
        rows.append(block.reshape(-1, n_blocks))
    return np.concatenate(rows)


def _model_averaged(
    resp: np.ndarray, base: np.ndarray, blocks: list[np.ndarray], dates: bool, prior: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Inclusion evidence of each block of ``blocks`` (equal-width lag blocks) averaged over
    every model: each block out or in at one of its :func:`_lag_options`, every model beside
    ``base``, weighted by its Schwarz evidence and a prior of ``prior`` per block (uniform
    over its options). Returns each block's log Bayes factor (posterior log odds less prior
    log odds) and the fit term ``-n/2 log(RSS_with / RSS_without)`` of the best model holding
    it; None when there are more than :data:`MAX_MODELS` models.

    Co-moving channels stand in for each other: in the model with every other channel, a
    parent's own lags add little, while among the models a parent's are the best ones."""
    size, n_blocks = blocks[0].shape[-1], len(blocks)
    options = np.vstack([np.zeros((1, size), dtype=bool), _lag_options(size)])  # 0: out
    n_opt = len(options)
    if _n_models(n_blocks, n_opt) > MAX_MODELS:
        return None
    design = _standardised(np.concatenate([base, *blocks], axis=-1), dates)
    y = _demean(resp, dates).reshape(-1)
    u, sv, _ = np.linalg.svd(design[:, : base.shape[-1]], full_matrices=False)
    u = u[:, sv > 1e-10 * sv.max()] if sv.size else u
    x = design[:, base.shape[-1] :]
    x, y = x - u @ (u.T @ x), y - u @ (u.T @ y)  # both without the base (Frisch-Waugh)
    gram, xty, yy = x.T @ x, x.T @ y, y @ y
    n = y.size
    # every model: each block's option, [M, n_blocks] (0 when out), and its columns
    states = _model_states(n_blocks, n_opt)
    columns = options[states].reshape(len(states), n_blocks * size)
    n_cols = columns.sum(axis=1)
    log_rss = np.full(len(states), np.log(max(yy, 1e-300)))
    for p in range(1, n_cols.max() + 1):
        for rows in np.array_split(np.flatnonzero(n_cols == p), 1 + (n_cols == p).sum() // 20_000):
            cols = np.nonzero(columns[rows])[1].reshape(len(rows), p)
            b = xty[cols]
            g = gram[cols[:, :, None], cols[:, None, :]] + 1e-10 * np.eye(p)
            coef = np.linalg.solve(g, b[..., None])[..., 0]
            log_rss[rows] = np.log(np.maximum(yy - (b * coef).sum(axis=1), 1e-300))
    inside = states > 0
    k = inside.sum(axis=1)
    odds = np.log(prior) - np.log1p(-prior)
    log_ev = -0.5 * n * log_rss - 0.5 * n_cols * np.log(n) + k * (odds - np.log(n_opt - 1))
    log_bf, fit = np.empty(n_blocks), np.empty(n_blocks)
    for j in range(n_blocks):
        log_bf[j] = (np.logaddexp.reduce(log_ev[inside[:, j]])
                     - np.logaddexp.reduce(log_ev[~inside[:, j]]) - odds)  # fmt: skip
        best = np.flatnonzero(inside[:, j])[np.argmax(log_ev[inside[:, j]])]
        drop = states[best].copy()
        drop[j] = 0
        without = np.flatnonzero((states == drop).all(axis=1))[0]
        fit[j] = -0.5 * n * (log_rss[best] - log_rss[without])
    return log_bf, fit


def _channel_evidence(
    resp: np.ndarray,
    base: np.ndarray,
    chan: list[np.ndarray],
    raw: list[np.ndarray],
    dates: bool,
    prior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's log Bayes factor and fit term for ``resp`` beside ``base`` and the
    mediators' ``raw`` lags: averaged over the channel subsets (:func:`_model_averaged`), or,
    past :data:`MAX_MODELS` models, in the model with every other channel."""
    if chan and (averaged := _model_averaged(
            resp, np.concatenate([base, *raw], axis=-1), chan, dates, prior)) is not None:  # fmt: skip
        return averaged
    return tuple(a[: len(chan)] for a in _block_bayes_factors(resp, base, chan + raw, dates))


def granger_shortfall(shape: tuple[int, int, int], max_lag: int) -> str | None:
    """Why a ``(series, date, node)`` panel is too small for the test, or None.

    The largest regression has the node's own lags, every source's lags, a fixed effect per
    series and per date (trend and season terms for one series) and, on a panel of several
    series, a linear and a quadratic term of the budget factor at each lag per series; it
    needs more rows than coefficients, and each series more dates past the lags than its own
    terms (at least four, for the per-series correction of the innovations).

    Examples
    --------
    >>> granger_shortfall((32, 45, 8), 4) is None, granger_shortfall((2, 24, 8), 2)[:31]
    (True, '2 series x 24 dates are too few')
    """
    n_series, t_len, n_nodes = shape
    # own lags, every source, the controls and the budget's curvature, up to L + 1 lags each
    panel = n_series > 1  # one series has no per-series budget terms and no date effects
    per_series = 2 * (max_lag + 1) + 2 if panel else 1  # budget terms, a mean, one spare
    n_coef = (n_nodes + 2) * (max_lag + 1) + n_series * per_series + (t_len if panel else 5)
    if t_len - max_lag >= max(per_series, 4) and n_series * (t_len - max_lag) >= n_coef + 10:
        return None
    return (f"{n_series} series x {t_len} dates are too few for a Granger test with "
            f"max_lag={max_lag}: lower max_lag or give more dates or series")  # fmt: skip


def _checked_values(
    values: np.ndarray, nodes: Sequence[str], n_channels: int, max_lag: int
) -> np.ndarray:
    """``values`` as a float ``(series, date, node)`` array, or a named error: the shape, the
    lag, the panel's size, NaN columns, negative spend."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 3 or x.shape[-1] != len(nodes):
        raise DataValidationError(
            f"values must be (series, date, node) with {len(nodes)} nodes, got shape {x.shape}"
        )
    if max_lag < 1:
        raise DataValidationError(f"max_lag must be >= 1, got {max_lag}")
    if (short := granger_shortfall(x.shape, max_lag)) is not None:
        raise DataValidationError(short)
    bad = ~np.isfinite(x).all(axis=(0, 1))
    if bad.any():
        raise DataValidationError(
            f"column {nodes[int(np.flatnonzero(bad)[0])]!r} has NaN or infinite values: "
            "fill or drop them before the Granger test"
        )
    negative = (x[..., :n_channels] < 0).any(axis=(0, 1))
    if negative.any():
        raise DataValidationError(
            f"channel {nodes[int(np.flatnonzero(negative)[0])]!r} has negative spend: the test "
            "reads log spend; fix or drop those rows"
        )
    return x


def granger_evidence(
    values: np.ndarray,
    nodes: Sequence[str],
    n_channels: int,
    *,
    controls: np.ndarray | None = None,
    max_lag: int = 4,
    same_period: bool = False,
    same_period_mediators: bool = False,
    prior_inclusion: float = 0.5,
) -> xr.Dataset:
    """Conditional Granger evidence of every candidate edge of a panel.

    Parameters
    ----------
    values : array, shape (series, date, node)
        Node values in the project's order: the ``n_channels`` channels, the mediators, then
        the target (last). Any positive scale: each series' node is divided by its mean.
    nodes : sequence of str
        Node names, in the same order.
    n_channels : int
        How many of the first nodes are channels (sources only).
    controls : array, shape (series, date, control), optional
        Exogenous columns, entered at the same date in every regression.
    max_lag : int
        Lags ``1..max_lag`` of every source and of the node itself.
    same_period : bool
        Let channels act from lag 0 too (a structural MMM's same-week effect).
    same_period_mediators : bool
        Let mediators act from lag 0 too (a structural decoder's default mediator edges).
    prior_inclusion : float
        Prior probability of an edge, in (0, 1). A mediator's probability is its Bayes
        factor's posterior at these odds; a channel's is averaged over models that weigh
        every candidate channel at these odds, so its Bayes factor moves with them too.

    Returns
    -------
    xarray.Dataset
        ``log_bayes_factor``, ``delta_fit`` (the fit term) and ``probability`` per
        ``(source, target)``, NaN off the candidate edges; attrs ``max_lag``, ``n_obs``.

    Examples
    --------
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=32, n_periods=60, seed=2)
    >>> cols = list(sim.truth["source"].values)
    >>> x = sim.df[cols].to_numpy().reshape(32, 60, 8)
    >>> ev = granger_evidence(x, cols, n_channels=5, max_lag=3)
    >>> picked = ev["probability"].fillna(0.0) > 0.5
    >>> true = sim.truth["graph"].astype(bool)  # 5 true edges of 19 candidates
    >>> int((picked & true).sum()), int((picked & ~true).sum()), int(true.sum())
    (5, 0, 5)
    """
    x = _checked_values(values, nodes, n_channels, max_lag)
    check_prior_inclusion(prior_inclusion)
    n_series, t_len, n_nodes = x.shape
    scale = np.abs(x).mean(axis=1, keepdims=True)
    x = x / np.where(scale > 0, scale, 1.0)
    cand = candidate_mask(nodes, nodes[:n_channels], nodes[-1]).values.astype(bool)
    first = [int(not same_period)] * n_channels + [int(not same_period_mediators)] * (
        n_nodes - n_channels
    )
    lag_sets = [range(first[j], max_lag + 1) for j in range(n_nodes)]
    log_spend = np.log(x[..., :n_channels] + LOG_OFFSET)  # [S, T, C]
    factor = _budget_factor(log_spend)
    curvature = _lags(factor**2, lag_sets[0], max_lag)
    innov = _innovations(x, log_spend, cand, lag_sets, max_lag, curvature)
    dates = n_series > 1
    base = [curvature]
    if controls is not None and np.asarray(controls).shape[-1]:
        base.append(np.asarray(controls, dtype=float)[:, max_lag:])
    if not dates:
        base.append(_season(n_series, t_len, max_lag))
    log_bf = np.full((n_nodes, n_nodes), np.nan)
    fit = np.full((n_nodes, n_nodes), np.nan)
    for i in range(n_channels, n_nodes):
        sources = np.flatnonzero(cand[:, i])
        channels = sources[sources < n_channels]
        mediators = sources[sources >= n_channels]
        own = _lags(x[..., i], range(1, max_lag + 1), max_lag)
        chan = [_lags(log_spend[..., j], lag_sets[j], max_lag) for j in channels]
        resp = x[:, max_lag:, i]
        base_i = np.concatenate([*base, own], axis=-1)
        n_ch = len(channels)
        # channels: beside the mediators' raw lags, which block mediated paths
        raw = [_lags(x[..., j], lag_sets[j], max_lag) for j in mediators]
        bf, fit_c = _channel_evidence(resp, base_i, chan, raw, dates, prior_inclusion)
        if len(mediators):
            # and without them: the smaller evidence, so that a channel is not credited for
            # decoding a mediator that is a curved function of the co-moving budget
            alone, fit_alone = _channel_evidence(resp, base_i, chan, [], dates, prior_inclusion)
            fit_c = np.where(alone < bf, fit_alone, fit_c)
            bf = np.minimum(alone, bf)
            # mediators: their innovations, beside every channel's block, all less the
            # per-series budget terms (a mediator's innovation shares the target's
            # per-series misfit of the budget's curves; its own shock is what it adds)
            innovations = [_lags(innov[j], lag_sets[j], max_lag) for j in mediators]
            if dates:  # one series has no misfits to co-vary across series
                base_m = base_i[..., curvature.shape[-1] :]  # the curvature is among the terms
                split = np.cumsum([base_m.shape[-1], *(b.shape[-1] for b in chan + innovations)])
                resp, base_i, *blocks = np.split(_without_series_budget(
                    np.concatenate([resp[..., None], base_m, *chan, *innovations], axis=-1),
                    factor, lag_sets[0], max_lag, dates), np.r_[1, split[:-1] + 1], axis=-1)  # fmt: skip
                resp = resp[..., 0]
            else:
                blocks = chan + innovations
            bf_m, fit_m = _block_bayes_factors(resp, base_i, blocks, dates)
            log_bf[mediators, i], fit[mediators, i] = bf_m[n_ch:], fit_m[n_ch:]
        log_bf[channels, i], fit[channels, i] = bf, fit_c
    prob = bayes_factor_probability(log_bf, prior_inclusion)
    coords = {"source": list(nodes), "target": list(nodes)}
    dims = ("source", "target")
    out = xr.Dataset(
        {"log_bayes_factor": (dims, log_bf), "delta_fit": (dims, fit), "probability": (dims, prob)},
        coords=coords,
    )
    out.attrs.update(max_lag=max_lag, n_obs=int(n_series * (t_len - max_lag)),
                     prior_inclusion=prior_inclusion, same_period=int(same_period),
                     same_period_mediators=int(same_period_mediators))  # fmt: skip
    return out
