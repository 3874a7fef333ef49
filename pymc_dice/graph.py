"""Graphs over nodes: candidate masks, conversions, and support selection.

A graph is an ``xarray.DataArray`` with dims ``("source", "target")`` and node-name
coordinates; ``A[source, target] = 1`` means the past of ``source`` drives ``target``
(docs/concepts.md, "The graph"). The same layout ``[..., source, target]`` is used in numpy/torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

GRAPH_DIMS = ("source", "target")


def graph_dataarray(values: Any, nodes: Sequence[str], name: str = "graph") -> xr.DataArray:
    """Wrap a ``[..., source, target]`` array as a labelled graph.

    Leading dimensions (if any) are named ``dim_0``, ``dim_1``, ... and can be renamed by
    the caller.

    Examples
    --------
    >>> g = graph_dataarray([[0, 1], [0, 0]], ["tv", "y"])
    >>> int(g.sel(source="tv", target="y"))
    1
    """
    arr = np.asarray(values)
    nodes = list(nodes)
    if arr.shape[-2:] != (len(nodes), len(nodes)):
        raise ValueError(
            f"graph has shape {arr.shape[-2:]} over its last two axes but {len(nodes)} nodes were "
            f"given ({nodes}); pass a square [source, target] array with one row per node"
        )
    lead = [f"dim_{k}" for k in range(arr.ndim - 2)]
    return xr.DataArray(
        arr, dims=(*lead, *GRAPH_DIMS), coords={"source": nodes, "target": nodes}, name=name
    )


def candidate_mask(nodes: Sequence[str], channels: Iterable[str], target: str) -> xr.DataArray:
    """Boolean mask of candidate edges: ``source != target node``, target is not a channel,
    source is not the target node, and no self loops.

    Examples
    --------
    >>> m = candidate_mask(["tv", "visits", "y"], ["tv"], "y")
    >>> int(m.sum())  # tv->visits, tv->y, visits->y
    3
    """
    nodes = list(nodes)
    channels = set(channels)
    unknown = channels.difference(nodes)
    if unknown or target not in nodes:
        raise ValueError(f"candidate_mask: {sorted(unknown) or target!r} not among nodes {nodes}")
    src = np.array(nodes)[:, None]
    tgt = np.array(nodes)[None, :]
    is_channel_tgt = np.isin(tgt, list(channels))
    mask = (src != tgt) & ~is_channel_tgt & (src != target)
    return graph_dataarray(mask, nodes, name="candidate")


def to_graph(graph: Any, nodes: Sequence[str], name: str = "graph") -> xr.DataArray:
    """Convert a user-supplied graph into a float ``(source, target)`` DataArray over ``nodes``.

    Accepts an ``xarray.DataArray`` with ``source``/``target`` dims, a ``networkx.DiGraph``,
    an iterable of ``(source, target)`` pairs, or a square array in node order.
    Node names are checked: an unknown name raises a ``ValueError`` naming it and the valid
    names.

    Examples
    --------
    >>> g = to_graph([("tv", "y")], ["tv", "radio", "y"])
    >>> g.sel(source="tv", target="y").item(), float(g.sum())
    (1.0, 1.0)
    """
    nodes = list(nodes)
    out = np.zeros((len(nodes), len(nodes)))

    def check(names: Iterable[str]) -> None:
        bad = sorted(set(names).difference(nodes))
        if bad:
            raise ValueError(
                f"graph names unknown node(s) {bad}; valid node names are {nodes} "
                "(channels, mediators and the target column): rename the graph's nodes to match"
            )

    if isinstance(graph, xr.DataArray):
        if set(GRAPH_DIMS).difference(graph.dims):
            raise ValueError(f"graph DataArray must have dims {GRAPH_DIMS}, got {graph.dims}")
        check(map(str, graph["source"].values))
        check(map(str, graph["target"].values))
        g = graph.transpose(..., *GRAPH_DIMS).reindex(source=nodes, target=nodes, fill_value=0)
        return graph_dataarray(np.asarray(g.values, dtype=float), nodes, name)
    try:
        import networkx as nx

        if isinstance(graph, nx.DiGraph):
            check(map(str, graph.nodes))
            graph = list(graph.edges)
    except ImportError:  # pragma: no cover - networkx is a dependency
        pass
    if isinstance(graph, np.ndarray) and graph.ndim == 2 and graph.shape[0] == graph.shape[1]:
        return graph_dataarray(np.asarray(graph, dtype=float), nodes, name)
    pairs = list(graph)
    if pairs and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        check(n for p in pairs for n in map(str, p))
        idx = {n: k for k, n in enumerate(nodes)}
        for s, t in pairs:
            out[idx[str(s)], idx[str(t)]] = 1.0
        return graph_dataarray(out, nodes, name)
    if not pairs:
        return graph_dataarray(out, nodes, name)
    raise TypeError(
        "graph must be an xarray.DataArray (source, target), a networkx.DiGraph, a list of "
        f"(source, target) pairs or a square array; got {type(graph).__name__}"
    )


def check_candidates(graph: xr.DataArray, candidates: xr.DataArray) -> None:
    """Raise a ``ValueError`` if ``graph`` has an edge outside the candidate set.

    Examples
    --------
    >>> check_candidates(to_graph([("y", "tv")], ["tv", "y"]), candidate_mask(["tv", "y"], ["tv"], "y"))
    Traceback (most recent call last):
    ...
    ValueError: graph has edges that are not candidates: [('y', 'tv')]; ...
    """
    bad = ((graph != 0) & ~candidates).any([d for d in graph.dims if d not in GRAPH_DIMS])
    if bool(bad.any()):
        pairs = bad.to_series()
        pairs = [(str(s), str(t)) for (s, t), v in pairs.items() if v]
        raise ValueError(
            f"graph has edges that are not candidates: {pairs}; edges into a channel, out of "
            "the target node, and self loops are not allowed"
        )


@dataclass(frozen=True)
class Selection:
    """A selected binary graph and the evidence behind it.

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.9], [0, 0]], ["tv", "y"])
    >>> sel = select_threshold(p, candidate_mask(["tv", "y"], ["tv"], "y"), threshold=0.5)
    >>> sel.method, int(sel.evidence["n_edges"]), sel.graph.dims
    ('threshold', 1, ('source', 'target'))
    """

    graph: xr.DataArray
    method: str
    evidence: xr.Dataset


def _ranked_candidates(
    prob: xr.DataArray, candidates: xr.DataArray
) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(prob.transpose(*GRAPH_DIMS).values, dtype=float)
    mask = np.asarray(candidates.transpose(*GRAPH_DIMS).values, dtype=bool)
    flat = np.flatnonzero(mask)
    order = flat[np.argsort(-p.reshape(-1)[flat], kind="stable")]
    return order, p


def _from_flat(idx: np.ndarray, like: xr.DataArray) -> xr.DataArray:
    out = np.zeros(like.shape[-2] * like.shape[-1])
    out[idx] = 1.0
    nodes = list(map(str, like["source"].values))
    return graph_dataarray(out.reshape(len(nodes), len(nodes)), nodes, name="selected_graph")


def select_threshold(
    prob: xr.DataArray, candidates: xr.DataArray, threshold: float = 0.5
) -> Selection:
    """Edges whose probability exceeds ``threshold`` (candidates only).

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.9], [0, 0]], ["tv", "y"])
    >>> int(select_threshold(p, candidate_mask(["tv", "y"], ["tv"], "y")).graph.sum())
    1
    """
    order, p = _ranked_candidates(prob, candidates)
    chosen = order[p.reshape(-1)[order] > threshold]
    ev = xr.Dataset({"threshold": threshold, "n_edges": len(chosen)})
    return Selection(_from_flat(chosen, prob), "threshold", ev)


def select_topk(prob: xr.DataArray, candidates: xr.DataArray, density: float) -> Selection:
    """The ``round(density * n_candidates)`` most probable candidate edges.

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.2, 0.9], [0, 0, 0.1], [0, 0, 0]], ["tv", "m", "y"])
    >>> c = candidate_mask(["tv", "m", "y"], ["tv"], "y")
    >>> select_topk(p, c, density=1 / 3).graph.sel(source="tv", target="y").item()
    1.0
    """
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density}")
    order, _ = _ranked_candidates(prob, candidates)
    k = int(round(density * len(order)))
    ev = xr.Dataset({"density": density, "n_edges": k})
    return Selection(_from_flat(order[:k], prob), "topk", ev)


def select_stability(
    prob_samples: xr.DataArray,
    candidates: xr.DataArray,
    threshold: float = 0.5,
    frequency: float = 0.6,
) -> Selection:
    """Stability selection: edges above ``threshold`` in at least ``frequency`` of the
    resamples (seeds or bootstraps) stacked on the first dim of ``prob_samples``.

    Examples
    --------
    >>> p = graph_dataarray([[[0, 0.9], [0, 0]], [[0, 0.4], [0, 0]]], ["tv", "y"])
    >>> c = candidate_mask(["tv", "y"], ["tv"], "y")
    >>> int(select_stability(p, c, frequency=0.5).graph.sum()), int(select_stability(p, c).graph.sum())
    (1, 0)
    """
    sample_dim = [d for d in prob_samples.dims if d not in GRAPH_DIMS]
    freq = (prob_samples > threshold).mean(sample_dim).where(candidates, 0.0)
    chosen = np.flatnonzero(freq.transpose(*GRAPH_DIMS).values.reshape(-1) >= frequency)
    ev = xr.Dataset({"edge_frequency": freq, "threshold": threshold, "frequency": frequency})
    return Selection(_from_flat(chosen, freq), "stability", ev)


def select_validation(
    prob: xr.DataArray,
    candidates: xr.DataArray,
    errors: Callable[[np.ndarray], np.ndarray],
    max_graphs: int = 33,
) -> Selection:
    """The sparsest top-k graph whose validation MSE is within one standard error of the best.

    ``errors(graph)`` gets a binary ``[source, target]`` array and returns the validation
    squared errors (one per series x origin, say) of a decoder fed that graph. The nested
    top-k graphs (k from 0 to all candidates, at most ``max_graphs`` values of k) are scored.

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.2, 0.9], [0, 0, 0.1], [0, 0, 0]], ["tv", "m", "y"])
    >>> c = candidate_mask(["tv", "m", "y"], ["tv"], "y")
    >>> err = lambda g: np.full(10, 1.0 - g[0, 2]) + np.linspace(0, 0.01, 10)
    >>> select_validation(p, c, err).graph.values.sum()
    np.float64(1.0)
    """
    order, _ = _ranked_candidates(prob, candidates)
    ks = np.unique(
        np.round(np.linspace(0, len(order), min(len(order) + 1, max_graphs))).astype(int)
    )
    means, ses = [], []
    for k in ks:
        g = _from_flat(order[:k], prob).values
        e = np.asarray(errors(g), dtype=float).reshape(-1)
        means.append(e.mean())
        ses.append(e.std(ddof=1) / np.sqrt(len(e)) if len(e) > 1 else 0.0)
    means, ses = np.asarray(means), np.asarray(ses)
    best = int(np.argmin(means))
    chosen_k = int(ks[np.flatnonzero(means <= means[best] + ses[best])[0]])
    ev = xr.Dataset(
        {"mse": ("n_edges", means), "se": ("n_edges", ses), "chosen_n_edges": chosen_k},
        coords={"n_edges": ks},
    )
    return Selection(_from_flat(order[:chosen_k], prob), "validation", ev)


def select_effect(
    strength: xr.DataArray, candidates: xr.DataArray, threshold: float = 0.5
) -> Selection:
    """Keep the edges whose strength is at least ``threshold`` times the strongest candidate
    parent of the same target (each target keeps at least one parent when any has strength).

    ``strength`` is a non-negative ``(source, target)`` score such as the effect spread of
    :func:`pymc_dice.train.fit_effect_strength`; a relative cut per target does not depend on
    the targets' different scales.

    Examples
    --------
    >>> s = graph_dataarray([[0, 0.2, 0.9], [0, 0, 0.6], [0, 0, 0]], ["tv", "m", "y"])
    >>> c = candidate_mask(["tv", "m", "y"], ["tv"], "y")
    >>> sel = select_effect(s, c, threshold=0.5)
    >>> sel.graph.sel(target="y").values.tolist(), sel.graph.sel(target="m").values.tolist()
    ([1.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    """
    s = np.asarray(strength.transpose(*GRAPH_DIMS).values, dtype=float)
    mask = np.asarray(candidates.transpose(*GRAPH_DIMS).values, dtype=bool)
    s = np.where(mask, np.clip(s, 0.0, None), 0.0)
    top = s.max(axis=0, keepdims=True)
    relative = np.divide(s, top, out=np.zeros_like(s), where=top > 0)
    graph = ((relative >= threshold) & mask & (s > 0)).astype(float)
    rel_da = strength.copy(data=relative.T if strength.dims != GRAPH_DIMS else relative)
    ev = xr.Dataset(
        {"effect_strength": strength, "relative_strength": rel_da, "n_edges": int(graph.sum())}
    )
    return Selection(graph_dataarray(graph, list(strength["source"].values)), "effect", ev)


def select_posterior(
    inclusion: xr.DataArray, candidates: xr.DataArray, threshold: float = 0.5
) -> Selection:
    """Edges whose posterior inclusion probability is at least ``threshold`` (candidates only).

    ``inclusion`` is a structural fit's ``(source, target)`` probability that each edge's
    effect is material (:meth:`pymc_dice.ensemble.FittedEnsemble.edge_inclusion`); the rule
    reads the fit on every candidate edge, so nothing is refitted.

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.3, 0.5], [0, 0, 0.9], [0, 0, 0]], ["tv", "m", "y"])
    >>> sel = select_posterior(p, candidate_mask(["tv", "m", "y"], ["tv"], "y"))
    >>> edge_list(sel.graph), int(sel.evidence["n_edges"])
    (['tv->y', 'm->y'], 2)
    """
    order, p = _ranked_candidates(inclusion, candidates)
    chosen = order[p.reshape(-1)[order] >= threshold]
    ev = xr.Dataset({"inclusion": inclusion, "threshold": threshold, "n_edges": len(chosen)})
    return Selection(_from_flat(chosen, inclusion), "posterior", ev)


def select_granger(
    evidence: xr.Dataset, candidates: xr.DataArray, threshold: float = 0.5
) -> Selection:
    """Edges whose conditional Granger inclusion probability is at least ``threshold``.

    ``evidence`` is :func:`pymc_dice.diagnostics.granger.granger_evidence`'s Dataset (its
    ``probability``, NaN off the candidate edges); it is kept as the selection's evidence.

    Examples
    --------
    >>> p = graph_dataarray([[0, 0.2, 0.7], [0, 0, 0.9], [0, 0, 0]], ["tv", "m", "y"])
    >>> sel = select_granger(xr.Dataset({"probability": p}), candidate_mask(["tv", "m", "y"],
    ...                      ["tv"], "y"))
    >>> edge_list(sel.graph), sel.method, int(sel.evidence["n_edges"])
    (['tv->y', 'm->y'], 'granger', 2)
    """
    chosen = select_posterior(evidence["probability"].fillna(0.0), candidates, threshold)
    ev = evidence.assign(threshold=threshold, n_edges=chosen.evidence["n_edges"])
    return Selection(chosen.graph, "granger", ev)


def keep_channel_paths(selection: Selection, channels: Sequence[str], target: str) -> Selection:
    """Give back every channel a path to the target that support selection cut.

    Where the data cannot tell (one series, a hundred dates), cutting a channel the user listed
    would silently set its ROAS to zero. A channel left without any directed path to the target
    gets its direct edge back; the structural decoder's shrinkage prior on the edge effect then
    keeps a channel without effect near zero (shrunk, not cut). The restored edges are listed
    in ``evidence["restored"]`` (a ``(source, target)`` 0/1 graph; :func:`edge_list` names
    them).

    Examples
    --------
    >>> nodes = ["tv", "radio", "visits", "y"]
    >>> cut = graph_dataarray(np.zeros((4, 4)), nodes)
    >>> cut.loc["tv", "visits"] = cut.loc["visits", "y"] = 1.0
    >>> sel = keep_channel_paths(Selection(cut, "effect", xr.Dataset()), ["tv", "radio"], "y")
    >>> edge_list(sel.evidence["restored"]), float(sel.graph.loc["radio", "y"])
    (['radio->y'], 1.0)
    """
    graph = selection.graph.transpose(*GRAPH_DIMS)
    nodes = [str(v) for v in graph["source"].values]
    adj = np.asarray(graph.values, dtype=float) != 0
    reach = adj.copy()
    for _ in range(len(nodes)):  # transitive closure by repeated squaring-free extension
        reach = reach | (reach.astype(int) @ adj.astype(int) > 0)
    t = nodes.index(target)
    new = np.asarray(graph.values, dtype=float).copy()
    restored = np.zeros_like(new)
    for ch in channels:
        j = nodes.index(ch)
        if not reach[j, t]:
            new[j, t] = restored[j, t] = 1.0
    evidence = selection.evidence.assign(restored=graph.copy(data=restored).rename("restored"))
    return Selection(graph.copy(data=new), selection.method, evidence)


def deploy_candidates(selection: Selection, candidates: xr.DataArray) -> Selection:
    """Deploy every candidate edge; stage 1's support stays in ``evidence["stage1"]``.

    On funnel panels stage 1 can prefer a mediator that co-moves with the budget over the
    channels' own edges, and a cut edge sets an effect to zero for good. A structural decoder
    has non-negative effects with shrinkage priors, so it can keep every candidate edge and let
    the data and priors size each effect (docs/structural.md).

    Examples
    --------
    >>> nodes = ["tv", "visits", "y"]
    >>> cand = graph_dataarray(np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]], float), nodes)
    >>> picked = cand.copy(data=np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], float))
    >>> sel = deploy_candidates(Selection(picked, "effect", xr.Dataset()), cand)
    >>> edge_list(sel.graph), edge_list(sel.evidence["stage1"])
    (['tv->visits', 'tv->y', 'visits->y'], ['tv->visits', 'visits->y'])
    """
    stage1 = selection.graph.transpose(*GRAPH_DIMS)
    graph = stage1.copy(data=np.asarray(candidates.transpose(*GRAPH_DIMS).values, dtype=float))
    evidence = selection.evidence.assign(stage1=stage1.rename("stage1"))
    return Selection(graph, selection.method, evidence)


def edge_list(graph: xr.DataArray) -> list[str]:
    """The edges of a ``(source, target)`` graph as ``"source->target"`` strings.

    Examples
    --------
    >>> edge_list(graph_dataarray([[0, 1], [0, 0]], ["tv", "y"]))
    ['tv->y']
    """
    g = graph.transpose(*GRAPH_DIMS)
    src, tgt = np.nonzero(np.asarray(g.values) != 0)
    names = [str(v) for v in g["source"].values]
    return [f"{names[i]}->{names[j]}" for i, j in zip(src, tgt, strict=True)]
