"""Graph helpers: candidates, conversions, support selection."""

import networkx as nx
import numpy as np
import pytest
import xarray as xr

from pymc_dice.graph import (
    candidate_mask,
    check_candidates,
    graph_dataarray,
    select_stability,
    select_threshold,
    select_topk,
    select_validation,
    to_graph,
)

NODES = ["tv", "radio", "visits", "y"]
CAND = candidate_mask(NODES, ["tv", "radio"], "y")


def test_candidates_follow_the_convention():
    c = CAND.to_pandas()
    assert not c.loc[:, ["tv", "radio"]].any().any()  # channels have no parents
    assert not c.loc["y"].any()  # the target has no children
    assert not np.diag(c.values).any()
    assert c.loc["tv", "visits"] and c.loc["visits", "y"]
    assert int(CAND.sum()) == 5  # tv, radio -> visits, y; visits -> y


@pytest.mark.parametrize(
    "given",
    [
        [("tv", "visits"), ("visits", "y")],
        nx.DiGraph([("tv", "visits"), ("visits", "y")]),
        graph_dataarray([[0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], NODES),
    ],
)
def test_to_graph_accepts_edge_lists_networkx_and_dataarrays(given):
    g = to_graph(given, NODES)
    assert g.dims == ("source", "target")
    assert g.sel(source="tv", target="visits") == 1 and g.sel(source="visits", target="y") == 1
    assert int(g.sum()) == 2


def test_dataarray_graph_cannot_be_read_transposed():
    g = graph_dataarray([[0, 1], [0, 0]], ["tv", "y"]).transpose("target", "source")
    assert to_graph(g, ["tv", "y"]).sel(source="tv", target="y") == 1


def test_wrong_node_names_are_named_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown node\(s\) \['TV'\].*valid node names"):
        to_graph([("TV", "y")], NODES)


def test_non_candidate_edges_are_rejected():
    with pytest.raises(ValueError, match=r"\('y', 'visits'\)"):
        check_candidates(to_graph([("y", "visits")], NODES), CAND)


PROB = graph_dataarray(
    [[0, 0, 0.9, 0.3], [0, 0, 0.2, 0.6], [0, 0, 0, 0.8], [0, 0, 0, 0]], NODES
)


def edges(sel):
    g = sel.graph
    return {(s, t) for s in NODES for t in NODES if g.sel(source=s, target=t) > 0}


def test_threshold_and_topk():
    assert edges(select_threshold(PROB, CAND, 0.5)) == {("tv", "visits"), ("radio", "y"), ("visits", "y")}
    assert edges(select_topk(PROB, CAND, 0.4)) == {("tv", "visits"), ("visits", "y")}
    with pytest.raises(ValueError, match="density"):
        select_topk(PROB, CAND, 0.0)


def test_stability_keeps_edges_frequent_across_resamples():
    samples = xr.concat([PROB, PROB * 0.5, PROB], dim="resample")
    sel = select_stability(samples, CAND, threshold=0.5, frequency=0.6)
    assert edges(sel) == {("tv", "visits"), ("radio", "y"), ("visits", "y")}
    assert float(sel.evidence["edge_frequency"].sel(source="tv", target="visits")) == pytest.approx(2 / 3)
    assert edges(select_stability(samples, CAND, threshold=0.5, frequency=1.0)) == set()


def test_validation_picks_sparsest_within_one_standard_error():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, 200)

    def errors(g):  # only tv->visits and visits->y help; extra edges do nothing
        return 1.0 - 0.4 * g[0, 2] - 0.4 * g[2, 3] + noise

    sel = select_validation(PROB, CAND, errors)
    assert edges(sel) == {("tv", "visits"), ("visits", "y")}
    assert int(sel.evidence["chosen_n_edges"]) == 2
