"""Which edges carry an effect: posterior edge inclusion probabilities and their calibration.

A fitted structural decoder deploys every candidate edge and lets its priors shrink the ones
without support (docs/structural.md). Whether an edge carries an effect is then read off the
posterior: the share of draws in which the edge's mean effect exceeds a small fraction
``delta`` of its target node's mean level. Plain numpy / xarray: the per-draw effect sizes
come from :meth:`pymc_dice.ensemble.FittedEnsemble.edge_inclusion`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.exceptions import DataValidationError
from pymc_dice.graph import GRAPH_DIMS

__all__ = [
    "CALIBRATION_BINS",
    "EFFECT_DELTA",
    "NO_EVIDENCE",
    "bayes_factor_probability",
    "calibration_table",
    "check_prior_inclusion",
    "channel_evidence",
    "inclusion_probability",
    "refit_evidence",
]

#: An edge is material when its mean effect exceeds 1 % of its target's mean level. Below
#: that an edge moves the target by less than the week-to-week noise of any real KPI and
#: far less than the precision of an MMM's ROAS (tens of percent), and the shrinkage priors
#: put a null edge's draws one to two orders of magnitude below it; a tenfold smaller cut
#: would call the prior's own spread an effect, a tenfold larger one would miss a channel
#: that drives 5 % of sales through two mediators.
EFFECT_DELTA = 0.01

#: edges of predicted probability in [0, 0.2), [0.2, 0.4), ... [0.8, 1.0] (the last closed)
CALIBRATION_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

#: what :func:`channel_evidence` reports for a channel without a material edge
NO_EVIDENCE = "no evidence of effect"


def inclusion_probability(sizes: np.ndarray, delta: float = EFFECT_DELTA) -> np.ndarray:
    """Share of draws in which each edge's effect size exceeds ``delta``.

    ``sizes: [..., draw, N, N]`` are effect sizes as a share of the target's mean level (one
    per posterior draw); the result is ``[..., N, N]`` in ``[0, 1]``.

    Examples
    --------
    >>> sizes = np.array([[[0.0, 0.5]], [[0.0, 0.002]], [[0.0, 0.03]], [[0.0, 0.2]]])
    >>> inclusion_probability(sizes).tolist()  # 4 draws of a 1 x 2 graph
    [[0.0, 0.75]]
    """
    sizes = np.asarray(sizes, dtype=float)
    if sizes.ndim < 3:
        raise DataValidationError(
            f"effect sizes of shape {sizes.shape}: expected [..., draw, source, target]"
        )
    if not delta > 0:
        raise DataValidationError(f"delta must be > 0 (a share of the mean level), got {delta}")
    return (sizes > delta).mean(axis=-3)


def _flat(values: xr.DataArray | np.ndarray) -> np.ndarray:
    if isinstance(values, xr.DataArray):
        order = [d for d in values.dims if d not in GRAPH_DIMS] + list(GRAPH_DIMS)
        values = values.transpose(*order).values
    return np.asarray(values, dtype=float).reshape(-1)


def calibration_table(
    probabilities: Sequence[xr.DataArray | np.ndarray],
    truths: Sequence[xr.DataArray | np.ndarray],
    candidates: Sequence[xr.DataArray | np.ndarray],
    bins: Sequence[float] = CALIBRATION_BINS,
) -> pd.DataFrame:
    """Predicted edge probability against the observed share of true edges, per bin, pooled
    over every ``(probability, truth, candidates)`` triple (seeds, panels).

    Only candidate edges enter. A calibrated probability has ``observed`` close to
    ``mean_probability`` in every bin with edges; ``n_edges`` sums to the number of candidate
    edges pooled.

    Examples
    --------
    >>> p = np.array([[0.0, 0.9], [0.1, 0.0]])
    >>> truth, cand = np.array([[0, 1], [0, 0]]), np.array([[0, 1], [1, 0]], bool)
    >>> t = calibration_table([p, p], [truth, truth], [cand, cand])
    >>> t["n_edges"].tolist(), t["observed"].tolist()[::4]
    ([2, 0, 0, 0, 2], [0.0, 1.0])
    """
    if not len(probabilities) == len(truths) == len(candidates):
        raise DataValidationError(
            f"calibration_table: {len(probabilities)} probability graphs, {len(truths)} "
            f"truths and {len(candidates)} candidate masks; pass one of each per fit"
        )
    edges = np.asarray(bins, dtype=float)
    prob, true = [], []
    for p, t, c in zip(probabilities, truths, candidates, strict=True):
        keep = _flat(c) != 0
        prob.append(_flat(p)[keep])
        true.append(_flat(t)[keep] != 0)
    prob, true = np.concatenate(prob), np.concatenate(true)
    idx = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, len(edges) - 2)
    n = np.bincount(idx, minlength=len(edges) - 1)
    hits = np.bincount(idx, weights=true, minlength=len(edges) - 1)
    psum = np.bincount(idx, weights=prob, minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed, mean_p = hits / n, psum / n
    labels = [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return pd.DataFrame(
        {
            "n_edges": n,
            "n_true": hits.astype(int),
            "mean_probability": mean_p,
            "observed": observed,
        },
        index=pd.Index(labels, name="bin"),
    )


def channel_evidence(
    inclusion: xr.DataArray, channels: Sequence[str], threshold: float = 0.5
) -> pd.Series:
    """Per channel: ``"effect"`` when some outgoing edge has inclusion probability at least
    ``threshold``, else :data:`NO_EVIDENCE` (the channel's ROAS is then the shrunk
    estimate of an effect the data do not support; it is reported, not set to zero).

    Examples
    --------
    >>> from pymc_dice.graph import graph_dataarray
    >>> p = graph_dataarray([[0, 0, 0.9], [0, 0, 0.2], [0, 0, 0]], ["tv", "placebo", "y"])
    >>> channel_evidence(p, ["tv", "placebo"]).tolist()
    ['effect', 'no evidence of effect']
    """
    best = inclusion.sel(source=list(channels)).max("target")
    values = np.where(best.values >= threshold, "effect", NO_EVIDENCE)
    return pd.Series(values, index=pd.Index(list(channels), name="channel"), name="evidence")


def check_prior_inclusion(prior_inclusion: float) -> None:
    """Raise a :class:`~pymc_dice.exceptions.DataValidationError` unless it is in (0, 1).

    Examples
    --------
    >>> check_prior_inclusion(0.2)
    >>> check_prior_inclusion(1.0)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: prior_inclusion must be in (0, 1), got 1.0
    """
    if not 0 < prior_inclusion < 1:
        raise DataValidationError(f"prior_inclusion must be in (0, 1), got {prior_inclusion}")


def bayes_factor_probability(log_bayes_factor, prior_inclusion: float = 0.5):
    """Posterior inclusion probability of an edge with log Bayes factor ``log_bayes_factor``
    (array or DataArray) at prior inclusion probability ``prior_inclusion``.

    Examples
    --------
    >>> float(bayes_factor_probability(np.log(3.0)))  # Bayes factor 3 at even odds
    0.75
    """
    odds = np.log(prior_inclusion / (1 - prior_inclusion))
    return 1.0 / (1.0 + np.exp(-np.clip(log_bayes_factor + odds, -50, 50)))


def refit_evidence(
    values: np.ndarray, nodes: Sequence[str], prior_inclusion: float = 0.5
) -> xr.Dataset:
    """Refit Bayes factors ``values: [chain, 3, N, N]`` (log Bayes factor, fit change, Occam
    factor per edge; NaN on edges not tested) as a Dataset: ``log_bayes_factor``,
    ``delta_fit`` and ``occam`` per ``(chain, source, target)``; ``chain_probability``, the
    inclusion probability at prior inclusion probability ``prior_inclusion``; and
    ``probability``, its mean over chains (what ``DiceMMM.graph_`` reports with
    ``support="refit"``).

    Examples
    --------
    >>> v = np.full((1, 3, 2, 2), np.nan)
    >>> v[0, :, 0, 1] = [np.log(3.0), 3.0, np.log(3.0) - 3.0]  # Bayes factor 3
    >>> ds = refit_evidence(v, ["tv", "y"])
    >>> round(float(ds["probability"].sel(source="tv", target="y")), 3)  # 3 / (3 + 1)
    0.75
    >>> round(float(refit_evidence(v, ["tv", "y"], 0.25)["probability"][0, 1]), 3)  # 1 / 2
    0.5
    """
    check_prior_inclusion(prior_inclusion)
    values = np.asarray(values, dtype=float)
    names = ("log_bayes_factor", "delta_fit", "occam")
    coords = {"chain": np.arange(values.shape[0]), "source": list(nodes), "target": list(nodes)}
    dims = ("chain", "source", "target")
    out = xr.Dataset({n: (dims, values[:, k]) for k, n in enumerate(names)}, coords=coords)
    out["chain_probability"] = bayes_factor_probability(out["log_bayes_factor"], prior_inclusion)
    out["probability"] = out["chain_probability"].mean("chain")
    out.attrs["prior_inclusion"] = prior_inclusion
    return out
