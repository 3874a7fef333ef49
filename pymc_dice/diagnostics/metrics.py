"""Graph-recovery and forecast metrics on labelled graphs (docs/concepts.md).

Scores, truths and candidate masks are ``xarray.DataArray`` objects with dims
``("source", "target")`` and node-name coordinates, possibly with extra dims (``chain``,
``geo``, ...). Every graph metric is computed over candidate edges only.

Slicing rule (the same for every graph metric here): ``scores``, ``truth`` and
``candidates`` are aligned on node names and broadcast against each other. Each extra dim of
the broadcast result is either

- *kept* (the default): the metric is computed separately for each slice, and the result is a
  DataArray over the kept dims (0-d when there are none: use ``float(result)``), or
- *pooled* (listed in ``pool=``): the candidate edges of every slice along that dim are
  concatenated and scored together, e.g. ``pool=("geo",)`` when each series has its own true
  graph and one number per chain is wanted.

Only numpy and xarray are used, so the metrics serve torch models and pymc-marketing models
alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from pymc_dice.graph import GRAPH_DIMS

__all__ = [
    "auprc",
    "auroc",
    "expected_random_nauprc",
    "f1",
    "graph_scores",
    "mse_at_h",
    "nauprc",
    "precision_recall",
    "shd",
]


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


def _check_graph(x: Any, what: str, fname: str) -> xr.DataArray:
    if not isinstance(x, xr.DataArray):
        raise TypeError(
            f"{fname}: {what} must be an xarray.DataArray with dims {GRAPH_DIMS}, got "
            f"{type(x).__name__}; wrap arrays with pymc_dice.graph.graph_dataarray"
        )
    missing = [d for d in GRAPH_DIMS if d not in x.dims]
    if missing:
        raise ValueError(f"{fname}: {what} lacks dim(s) {missing}; its dims are {x.dims}")
    return x


def _prepare(
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    pool: Sequence[Hashable],
    fname: str,
    scores_name: str = "scores",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, xr.DataArray, list[Hashable]]:
    """Align and flatten the inputs to ``(n_slices, n_items)`` arrays.

    Returns scores, truth (int 0/1, arbitrary off candidates), candidate mask, a template
    DataArray over the kept dims, and the kept dims.
    """
    scores = _check_graph(scores, scores_name, fname)
    truth = _check_graph(truth, "truth", fname)
    candidates = _check_graph(candidates, "candidates", fname)
    nodes_s = list(scores["source"].values)
    nodes_t = list(scores["target"].values)
    for arr, what in ((truth, "truth"), (candidates, "candidates")):
        for dim, ref in (("source", nodes_s), ("target", nodes_t)):
            if set(arr[dim].values.tolist()) != set(ref):
                raise ValueError(
                    f"{fname}: {what} has {dim} nodes {list(arr[dim].values)} but {scores_name} "
                    f"has {ref}; all inputs must cover the same nodes"
                )
    truth = truth.reindex(source=nodes_s, target=nodes_t)
    candidates = candidates.reindex(source=nodes_s, target=nodes_t)
    try:
        scores, truth, candidates = xr.align(scores, truth, candidates, join="exact")
    except ValueError as err:
        raise ValueError(
            f"{fname}: the inputs' coordinates on a shared extra dim differ ({err}); "
            "select or reindex them to the same labels first"
        ) from None
    scores, truth, candidates = xr.broadcast(scores, truth, candidates)
    extra = [d for d in scores.dims if d not in GRAPH_DIMS]
    pool = list(pool)
    bad = [p for p in pool if p not in extra]
    if bad:
        raise ValueError(
            f"{fname}: pool={tuple(pool)} names dim(s) {bad} that the inputs do not have; "
            f"extra dims are {tuple(extra)} (source/target are always pooled)"
        )
    keep = [d for d in extra if d not in pool]
    order = [*keep, *pool, *GRAPH_DIMS]
    n_slices = int(np.prod([scores.sizes[d] for d in keep], dtype=int))
    flat = [
        np.asarray(a.transpose(*order).values).reshape(n_slices, -1)
        for a in (scores, truth, candidates)
    ]
    s, t, c = flat
    if c.dtype != bool:
        if not np.isin(c, (0, 1)).all():
            raise ValueError(f"{fname}: candidates must be boolean (or 0/1)")
        c = c.astype(bool)
    tc = t[c]
    if not np.isin(tc, (0, 1)).all():
        raise ValueError(
            f"{fname}: truth must be a binary 0/1 graph on candidate edges; found values "
            f"{np.unique(tc[~np.isin(tc, (0, 1))])[:5].tolist()}"
        )
    t = np.where(c, t, 0).astype(np.int64)
    if not np.isfinite(s[c].astype(float)).all():
        raise ValueError(f"{fname}: {scores_name} has NaN or infinite values on candidate edges")
    template = scores.isel({d: 0 for d in (*pool, *GRAPH_DIMS)}, drop=True).transpose(*keep)
    return s, t, c, template, keep


def _slice_label(template: xr.DataArray, keep: list[Hashable], k: int) -> str:
    if not keep:
        return "the input"
    idx = np.unravel_index(k, [template.sizes[d] for d in keep])
    parts = []
    for d, i in zip(keep, idx, strict=True):
        label = template[d].values[i] if d in template.coords else i
        parts.append(f"{d}={label}")
    return "slice " + ", ".join(parts)


def _wrap(template: xr.DataArray, values: np.ndarray, name: str) -> xr.DataArray:
    out = template.copy(data=values.reshape(template.shape))
    out.name = name
    out.attrs = {}
    return out


def _per_slice(
    fn: Callable[[np.ndarray, np.ndarray], float],
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    pool: Sequence[Hashable],
    name: str,
) -> xr.DataArray:
    s, t, c, template, keep = _prepare(scores, truth, candidates, pool, name)
    out = np.empty(s.shape[0])
    for k in range(s.shape[0]):
        y, x = t[k][c[k]], s[k][c[k]].astype(float)
        n, p = y.size, int(y.sum())
        if n == 0 or p == 0 or p == n:
            what = (
                "no candidate edges"
                if n == 0
                else ("no true edges" if p == 0 else "only true edges")
            )
            raise ValueError(
                f"{name}: {_slice_label(template, keep, k)} has {what} among its {n} candidate "
                f"edge(s), so {name} is undefined; score a graph with both true and absent "
                "candidate edges, or pool slices together with pool=(dim,)"
            )
        out[k] = fn(y, x)
    return _wrap(template, out, name)


# --------------------------------------------------------------------------------------------
# ranking metrics (tie-aware)
# --------------------------------------------------------------------------------------------


def _ap(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision with tied scores forming one threshold step."""
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last index of each tie group
    tp = np.cumsum(y)[ends]
    precision = tp / (ends + 1)
    recall_step = np.diff(np.r_[0, tp]) / tp[-1]
    return float(np.sum(recall_step * precision))


def _nap(y: np.ndarray, s: np.ndarray) -> float:
    pi = int(y.sum()) / y.size  # same arithmetic as the constant-score AP: exact 0 there
    return (_ap(y, s) - pi) / (1.0 - pi)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney AUROC with mid-ranks for ties (a tie counts one half)."""
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    mid = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = mid[inv.ravel()]
    p = int(y.sum())
    n = y.size - p
    return float((ranks[y == 1].sum() - p * (p + 1) / 2.0) / (p * n))


def auroc(
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Area under the ROC curve of edge scores against the true graph, over candidate edges.

    Ties count one half (mid-ranks), so a constant score gives exactly 0.5. See the module
    docstring for how extra dims are kept or pooled.

    Parameters
    ----------
    scores : xarray.DataArray
        Edge scores (CIG, AR-CIG, edge probabilities), dims ``(..., "source", "target")``.
    truth : xarray.DataArray
        Binary true graph, broadcastable against ``scores``.
    candidates : xarray.DataArray
        Boolean candidate-edge mask (:func:`pymc_dice.graph.candidate_mask`).
    pool : sequence of str, optional
        Extra dims whose slices are concatenated before scoring.

    Returns
    -------
    xarray.DataArray
        AUROC per slice of the kept extra dims (0-d if none).

    Raises
    ------
    ValueError
        If a slice has no true edge, or only true edges, among its candidates.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "radio", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv", "radio"], "y")
    >>> truth = graph_dataarray([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], nodes)
    >>> float(auroc(truth.astype(float), truth, cand)), float(auroc(0 * truth, truth, cand))
    (1.0, 0.5)
    """
    return _per_slice(_auc, scores, truth, candidates, pool, "auroc")


def auprc(
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Area under the precision-recall curve (average precision) over candidate edges.

    ``AP = sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds, highest first;
    tied scores form one step whose precision is positives / items down to that threshold
    (as in scikit-learn's ``average_precision_score``). A constant score thus gives exactly
    the prevalence pi. Extra dims: see the module docstring.

    Parameters
    ----------
    scores, truth, candidates : xarray.DataArray
        As in :func:`auroc`.
    pool : sequence of str, optional
        Extra dims whose slices are concatenated before scoring.

    Returns
    -------
    xarray.DataArray
        Average precision per slice of the kept extra dims.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "radio", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv", "radio"], "y")  # 5 candidate edges
    >>> truth = graph_dataarray([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], nodes)
    >>> float(auprc(0 * truth, truth, cand))  # prevalence 3 / 5
    0.6
    """
    return _per_slice(_ap, scores, truth, candidates, pool, "auprc")


def nauprc(
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Normalised AUPRC, ``(AUPRC - pi) / (1 - pi)``, with pi = true / candidate edges.

    1 for a perfect ranking, exactly 0 for a constant score, negative for a worse-than-chance
    ranking. Note the finite-sample bias of untied *random* scores: their expected nAUPRC is
    ``(H_N - 1) / (N - 1)`` for N candidate edges (:func:`expected_random_nauprc`), e.g.
    0.14 for the 19 candidates of an 8-node ``sparse_target`` panel. Extra dims: see the
    module docstring.

    Parameters
    ----------
    scores, truth, candidates : xarray.DataArray
        As in :func:`auroc`.
    pool : sequence of str, optional
        Extra dims whose slices are concatenated before scoring.

    Returns
    -------
    xarray.DataArray
        nAUPRC per slice of the kept extra dims.

    Examples
    --------
    >>> import numpy as np
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "radio", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv", "radio"], "y")
    >>> truth = graph_dataarray([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], nodes)
    >>> float(nauprc(truth.astype(float), truth, cand)), float(nauprc(0 * truth, truth, cand))
    (1.0, 0.0)
    >>> reversed_scores = graph_dataarray(np.arange(16.0).reshape(4, 4), nodes) - 100 * truth
    >>> bool(nauprc(reversed_scores, truth, cand) < 0)  # true edges ranked last
    True
    """
    return _per_slice(_nap, scores, truth, candidates, pool, "nauprc")


def expected_random_nauprc(n_candidates: int) -> float:
    """Expected nAUPRC of untied uniformly random scores over ``n_candidates`` edges.

    Equal to ``(H_N - 1) / (N - 1)`` with ``H_N`` the N-th harmonic number, whatever the
    number of true edges; it tends to 0 as N grows but is far from 0 for small graphs. Use it
    as the chance level when reading nAUPRC of small panels.

    Examples
    --------
    >>> round(expected_random_nauprc(19), 3)
    0.142
    >>> expected_random_nauprc(1000) < 0.01
    True
    """
    n = int(n_candidates)
    if n < 2:
        raise ValueError(f"expected_random_nauprc needs at least 2 candidate edges, got {n}")
    harmonic = float(np.sum(1.0 / np.arange(1, n + 1)))
    return (harmonic - 1.0) / (n - 1)


def graph_scores(
    scores: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.Dataset:
    """All ranking scores of an edge-score matrix against a true graph, in one Dataset.

    Parameters
    ----------
    scores, truth, candidates : xarray.DataArray
        As in :func:`auroc`.
    pool : sequence of str, optional
        Extra dims whose slices are concatenated before scoring.

    Returns
    -------
    xarray.Dataset
        Variables ``auroc``, ``auprc``, ``nauprc``, ``prevalence`` (true / candidate edges),
        ``n_candidates`` and ``nauprc_random`` (:func:`expected_random_nauprc`, the chance
        level), each over the kept extra dims.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "radio", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv", "radio"], "y")
    >>> truth = graph_dataarray([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], nodes)
    >>> ds = graph_scores(truth.astype(float), truth, cand)
    >>> float(ds["nauprc"]), float(ds["prevalence"]), int(ds["n_candidates"])
    (1.0, 0.6, 5)
    """
    out = {
        "auroc": auroc(scores, truth, candidates, pool=pool),
        "auprc": auprc(scores, truth, candidates, pool=pool),
        "nauprc": nauprc(scores, truth, candidates, pool=pool),
    }
    _, t, c, template, _ = _prepare(scores, truth, candidates, pool, "graph_scores")
    n = c.sum(axis=1)
    out["prevalence"] = _wrap(template, t.sum(axis=1) / n, "prevalence")
    out["n_candidates"] = _wrap(template, n.astype(np.int64), "n_candidates")
    chance = np.array([expected_random_nauprc(int(k)) for k in n])
    out["nauprc_random"] = _wrap(template, chance, "nauprc_random")
    return xr.Dataset(out)


# --------------------------------------------------------------------------------------------
# binary graphs
# --------------------------------------------------------------------------------------------


def _confusion(
    pred: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    pool: Sequence[Hashable],
    fname: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, xr.DataArray]:
    p, t, c, template, _ = _prepare(pred, truth, candidates, pool, fname, scores_name="pred")
    pc = p[c]
    if not np.isin(pc, (0, 1)).all():
        raise ValueError(
            f"{fname}: pred must be a binary 0/1 graph on candidate edges; threshold or "
            "select a support first (e.g. probabilities > 0.5)"
        )
    p = np.where(c, p, 0).astype(np.int64)
    tp = ((p == 1) & (t == 1) & c).sum(axis=1)
    fp = ((p == 1) & (t == 0) & c).sum(axis=1)
    fn = ((p == 0) & (t == 1) & c).sum(axis=1)
    return tp, fp, fn, template


def shd(
    pred: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Structural Hamming distance: missing + extra edges among the candidate edges.

    Roles are fixed (directed temporal graph), so a "reversed" edge is simply one missing
    and one extra edge. Pooled dims are summed. Extra dims: see the module docstring.

    Parameters
    ----------
    pred, truth : xarray.DataArray
        Binary graphs (bool or 0/1) with dims ``(..., "source", "target")``.
    candidates : xarray.DataArray
        Boolean candidate-edge mask.
    pool : sequence of str, optional
        Extra dims to sum over.

    Returns
    -------
    xarray.DataArray
        Integer SHD per slice of the kept extra dims.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv"], "y")
    >>> truth = graph_dataarray([[0, 1, 0], [0, 0, 1], [0, 0, 0]], nodes)
    >>> pred = graph_dataarray([[0, 0, 1], [0, 0, 1], [0, 0, 0]], nodes)
    >>> int(shd(pred, truth, cand))  # tv->visits missing, tv->y extra
    2
    """
    tp, fp, fn, template = _confusion(pred, truth, candidates, pool, "shd")
    return _wrap(template, (fp + fn).astype(np.int64), "shd")


def precision_recall(
    pred: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.Dataset:
    """Edge precision and recall of a binary graph over candidate edges.

    Precision is NaN where ``pred`` has no edge, recall NaN where ``truth`` has none.
    Pooled dims are micro-averaged (counts summed first).

    Parameters
    ----------
    pred, truth, candidates : xarray.DataArray
        As in :func:`shd`.
    pool : sequence of str, optional
        Extra dims whose counts are summed.

    Returns
    -------
    xarray.Dataset
        Variables ``precision`` and ``recall`` over the kept extra dims.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv"], "y")
    >>> truth = graph_dataarray([[0, 1, 0], [0, 0, 1], [0, 0, 0]], nodes)
    >>> pred = graph_dataarray([[0, 0, 1], [0, 0, 1], [0, 0, 0]], nodes)
    >>> ds = precision_recall(pred, truth, cand)
    >>> float(ds["precision"]), float(ds["recall"])
    (0.5, 0.5)
    """
    tp, fp, fn, template = _confusion(pred, truth, candidates, pool, "precision_recall")
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)
        rec = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), np.nan)
    return xr.Dataset(
        {"precision": _wrap(template, prec, "precision"), "recall": _wrap(template, rec, "recall")}
    )


def f1(
    pred: xr.DataArray,
    truth: xr.DataArray,
    candidates: xr.DataArray,
    *,
    pool: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Edge F1 score ``2 TP / (2 TP + FP + FN)`` of a binary graph over candidate edges.

    NaN when both graphs are empty on the candidates (0 / 0). Pooled dims are
    micro-averaged.

    Parameters
    ----------
    pred, truth, candidates : xarray.DataArray
        As in :func:`shd`.
    pool : sequence of str, optional
        Extra dims whose counts are summed.

    Returns
    -------
    xarray.DataArray
        F1 per slice of the kept extra dims.

    Examples
    --------
    >>> from pymc_dice.graph import candidate_mask, graph_dataarray
    >>> nodes = ["tv", "visits", "y"]
    >>> cand = candidate_mask(nodes, ["tv"], "y")
    >>> truth = graph_dataarray([[0, 1, 0], [0, 0, 1], [0, 0, 0]], nodes)
    >>> float(f1(truth, truth, cand)), float(f1(0 * truth, truth, cand))
    (1.0, 0.0)
    """
    tp, fp, fn, template = _confusion(pred, truth, candidates, pool, "f1")
    den = 2 * tp + fp + fn
    val = np.where(den > 0, 2 * tp / np.maximum(den, 1), np.nan)
    return _wrap(template, val, "f1")


# --------------------------------------------------------------------------------------------
# forecasts
# --------------------------------------------------------------------------------------------


def mse_at_h(
    pred: xr.DataArray,
    obs: xr.DataArray,
    *,
    h: int | None = None,
    nodes: Sequence[str] | None = None,
    node_dim: str = "node",
    keep: Sequence[Hashable] = (),
) -> xr.DataArray:
    """Mean squared error of closed-loop rollouts up to horizon ``h`` (MSE@h).

    ``pred`` and ``obs`` must have a dim ``horizon`` whose coordinate is the step ahead
    (1, 2, ...). The squared error is averaged over every dim except those in ``keep``
    (e.g. ``keep=("chain",)`` for one value per seed, ``keep=("horizon",)`` for the error
    curve); NaNs (e.g. rollout steps past the end of a window) are skipped. ``pred`` may carry
    extra dims that ``obs`` lacks (``chain``, ``draw``); shared dims must have identical
    coordinates.

    Parameters
    ----------
    pred, obs : xarray.DataArray
        Rolled-out predictions and the matching observations (scaled units).
    h : int, optional
        Keep horizons ``1..h`` only (by coordinate); default all.
    nodes : sequence of str, optional
        Restrict to these labels of ``node_dim`` (e.g. ``[target]``, or the non-channel nodes).
    node_dim : str
        Name of the node dim, used only with ``nodes``.
    keep : sequence of str
        Dims not averaged over.

    Returns
    -------
    xarray.DataArray
        MSE over the kept dims (0-d when ``keep`` is empty).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> obs = xr.DataArray(np.zeros((2, 3)), dims=("origin", "horizon"),
    ...                    coords={"horizon": [1, 2, 3]})
    >>> pred = obs + xr.DataArray([1.0, 2.0, 3.0], dims="horizon", coords={"horizon": [1, 2, 3]})
    >>> float(mse_at_h(pred, obs)), float(mse_at_h(pred, obs, h=2))
    (4.666666666666667, 2.5)
    >>> mse_at_h(pred, obs, keep=("horizon",)).values.tolist()
    [1.0, 4.0, 9.0]
    """
    for arr, what in ((pred, "pred"), (obs, "obs")):
        if not isinstance(arr, xr.DataArray) or "horizon" not in arr.dims:
            raise ValueError(f"mse_at_h: {what} must be an xarray.DataArray with a 'horizon' dim")
    try:
        pred, obs = xr.align(pred, obs, join="exact")
    except ValueError as err:
        raise ValueError(
            f"mse_at_h: pred and obs have different coordinates on a shared dim ({err})"
        ) from None
    if h is not None:
        if int(h) < 1:
            raise ValueError(f"mse_at_h: h must be >= 1, got {h}")
        if "horizon" not in pred.coords:
            pred = pred.assign_coords(horizon=np.arange(1, pred.sizes["horizon"] + 1))
            obs = obs.assign_coords(horizon=pred["horizon"])
        steps = pred["horizon"].values
        if int(h) > steps.max():
            raise ValueError(f"mse_at_h: h={h} exceeds the rollout's longest horizon {steps.max()}")
        pred = pred.sel(horizon=steps <= int(h))
        obs = obs.sel(horizon=steps <= int(h))
    if nodes is not None:
        if node_dim not in pred.dims and node_dim not in obs.dims:
            raise ValueError(f"mse_at_h: nodes given but neither input has a {node_dim!r} dim")
        pred = pred.sel({node_dim: list(nodes)}) if node_dim in pred.dims else pred
        obs = obs.sel({node_dim: list(nodes)}) if node_dim in obs.dims else obs
    err2 = (pred - obs) ** 2
    bad = [k for k in keep if k not in err2.dims]
    if bad:
        raise ValueError(f"mse_at_h: keep names dim(s) {bad} not in the inputs {err2.dims}")
    out = err2.mean([d for d in err2.dims if d not in keep], skipna=True)
    out.name = "mse" if h is None else f"mse@{int(h)}"
    return out
