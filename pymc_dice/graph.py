"""Graphs over nodes: candidate masks, conversions, and support selection.

A graph is an ``xarray.DataArray`` with dims ``("source", "target")`` and node-name
coordinates; ``A[source, target] = 1`` means the past of ``source`` drives ``target``
(DESIGN.md section 3). The same layout ``[..., source, target]`` is used in numpy/torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    return xr.DataArray(arr, dims=(*lead, *GRAPH_DIMS), coords={"source": nodes, "target": nodes}, name=name)


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
        g = graph.transpose(..., *GRAPH_DIMS)
        missing = [n for n in nodes if n not in set(map(str, g["source"].values))]
        g = g.reindex(source=nodes, target=nodes, fill_value=0)
        del missing
        return graph_dataarray(np.asarray(g.values, dtype=float), nodes, name)
    try:
        import networkx as nx

        if isinstance(graph, nx.DiGraph):
            check(map(str, graph.nodes))
            graph = list(graph.edges)
    except ImportError:  # pragma: no cover - networkx is a dependency
        pass
    arr = np.asarray(graph, dtype=object) if not isinstance(graph, np.ndarray) else graph
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
    del arr
    raise TypeError(
        "graph must be an xarray.DataArray (source, target), a networkx.DiGraph, a list of "
        f"(source, target) pairs or a square array; got {type(graph).__name__}"
    )


def check_candidates(graph: xr.DataArray, candidates: xr.DataArray) -> None:
    """Raise a ``ValueError`` if ``graph`` has an edge outside the candidate set."""
    bad = (graph != 0) & ~candidates
    if bool(bad.any()):
        pairs = [
            (str(s), str(t))
            for s, t in zip(*np.nonzero(bad.transpose(..., *GRAPH_DIMS).values.reshape(bad.shape[-2:])), strict=True)
        ]
        names = list(map(str, graph["source"].values))
        raise ValueError(
            f"graph has edges that are not candidates: {[(names[int(s)], names[int(t)]) for s, t in pairs]}; "
            "edges into a channel, out of the target, and self loops are not allowed"
        )
