"""Tests of pymc_dice.diagnostics.metrics: graph-recovery scores and MSE@h."""

import numpy as np
import pytest
import xarray as xr
from sklearn.metrics import average_precision_score, roc_auc_score

from pymc_dice.diagnostics.metrics import (
    auprc,
    auroc,
    expected_random_nauprc,
    f1,
    graph_scores,
    mse_at_h,
    nauprc,
    precision_recall,
    shd,
)
from pymc_dice.graph import candidate_mask, graph_dataarray

CHANNELS = ["c0", "c1", "c2", "c3", "c4"]
NODES = [*CHANNELS, "m0", "m1", "y"]  # the sparse_target layout: 19 candidate edges


@pytest.fixture
def cand():
    return candidate_mask(NODES, CHANNELS, "y")


def _graph(edges, nodes=NODES):
    a = np.zeros((len(nodes), len(nodes)))
    for s, t in edges:
        a[nodes.index(s), nodes.index(t)] = 1
    return graph_dataarray(a, nodes, name="truth")


@pytest.fixture
def truth():
    return _graph([("c0", "m0"), ("c1", "m1"), ("m0", "y"), ("m1", "y")])


def _flat(x, cand):
    """Candidate entries of a (source, target) DataArray, in row-major order."""
    return x.values[cand.values]


def test_candidate_count(cand):
    assert int(cand.sum()) == 19


def test_true_graph_scores_one(truth, cand):
    scores = truth.astype(float)
    assert float(nauprc(scores, truth, cand)) == 1.0
    assert float(auroc(scores, truth, cand)) == 1.0
    assert float(auprc(scores, truth, cand)) == 1.0


@pytest.mark.parametrize("value", [0.0, 1.0, -3.5, 1e-12])
def test_constant_score_is_exactly_chance(truth, cand, value):
    scores = xr.full_like(truth, value, dtype=float)
    assert float(nauprc(scores, truth, cand)) == 0.0
    assert float(auroc(scores, truth, cand)) == 0.5
    assert float(auprc(scores, truth, cand)) == 4 / 19


def test_constant_exact_over_many_prevalences(cand):
    rng = np.random.default_rng(1)
    for _ in range(50):
        t = graph_dataarray((rng.random((8, 8)) < rng.uniform(0.05, 0.9)) & cand.values, NODES)
        k = int(t.values[cand.values].sum())
        if 0 < k < 19:
            assert float(nauprc(0 * t.astype(float) + 0.3, t, cand)) == 0.0
            assert float(auroc(0 * t.astype(float) + 0.3, t, cand)) == 0.5


def test_reversed_ranking_is_negative(truth, cand):
    distinct = graph_dataarray(np.arange(64.0).reshape(8, 8), NODES)
    reversed_scores = distinct - 1000 * truth  # every true edge below every absent one
    assert float(nauprc(reversed_scores, truth, cand)) < 0
    assert float(auroc(reversed_scores, truth, cand)) == 0.0


def test_random_scores_match_chance_level(truth, cand):
    # Untied random scores have E[nAUPRC] = (H_N - 1) / (N - 1) exactly (0.14 for N = 19),
    # so on small graphs "random" is not 0. 2000 seeded draws; the per-draw sd is about 0.2,
    # so the mean's standard error is about 0.0045: a 4-se tolerance fails by chance with
    # probability < 1e-4.
    rng = np.random.default_rng(0)
    draws = xr.DataArray(rng.random((2000, 8, 8)), dims=("draw", "source", "target"))
    draws = draws.assign_coords(source=NODES, target=NODES)
    vals = nauprc(draws, truth, cand).values
    se = vals.std(ddof=1) / np.sqrt(vals.size)
    assert abs(vals.mean() - expected_random_nauprc(19)) < 4 * se


def test_random_scores_near_zero_on_large_graph():
    # 10 channels, 29 mediators, 1 target: 1141 candidate edges, chance level 0.0058.
    # Per-draw sd is about 0.02, so 200 draws give a standard error of about 0.0015; we ask
    # for |mean| < 0.02 (near 0) and agreement with the exact chance level within 4 se.
    chans = [f"c{i}" for i in range(10)]
    nodes = [*chans, *[f"m{i}" for i in range(29)], "y"]
    cand = candidate_mask(nodes, chans, "y")
    rng = np.random.default_rng(3)
    n = len(nodes)
    truth = graph_dataarray((rng.random((n, n)) < 0.05) & cand.values, nodes)
    draws = xr.DataArray(rng.random((200, n, n)), dims=("draw", "source", "target"))
    draws = draws.assign_coords(source=nodes, target=nodes)
    vals = nauprc(draws, truth, cand).values
    se = vals.std(ddof=1) / np.sqrt(vals.size)
    assert abs(vals.mean()) < 0.02
    assert abs(vals.mean() - expected_random_nauprc(int(cand.sum()))) < 4 * se


def test_only_candidate_edges_count(truth, cand):
    rng = np.random.default_rng(2)
    scores = graph_dataarray(rng.random((8, 8)), NODES)
    base = graph_scores(scores, truth, cand)
    poked = scores.copy()
    poked.loc[{"source": "y", "target": "m0"}] = 1e9  # out of the target: not a candidate
    poked.loc[{"source": "m0", "target": "m0"}] = 1e9  # self loop
    poked.loc[{"source": "c0", "target": "c1"}] = np.nan  # into a channel
    fake_truth = truth.copy()
    fake_truth.loc[{"source": "y", "target": "m0"}] = 1
    xr.testing.assert_identical(graph_scores(poked, fake_truth, cand), base)


def test_matches_sklearn_on_untied_and_tied_data(truth, cand):
    rng = np.random.default_rng(4)
    y = _flat(truth, cand)
    for decimals in (None, 1):
        for _ in range(20):
            raw = rng.random((8, 8))
            raw = raw if decimals is None else np.round(raw, decimals)
            scores = graph_dataarray(raw, NODES)
            s = _flat(scores, cand)
            # untied: the spec's requirement; tied: both count a tie as one half
            assert float(auroc(scores, truth, cand)) == pytest.approx(roc_auc_score(y, s))
            ap = average_precision_score(y, s)
            assert float(auprc(scores, truth, cand)) == pytest.approx(ap)


def test_node_order_is_irrelevant(truth, cand):
    rng = np.random.default_rng(5)
    scores = graph_dataarray(rng.random((8, 8)), NODES)
    perm = list(reversed(NODES))
    truth_p = truth.sel(source=perm, target=perm)
    cand_p = cand.sel(source=perm, target=perm)
    assert float(nauprc(scores, truth_p, cand_p)) == float(nauprc(scores, truth, cand))


def test_per_chain_output(truth, cand):
    rng = np.random.default_rng(6)
    scores = xr.DataArray(
        rng.random((3, 8, 8)),
        dims=("chain", "source", "target"),
        coords={"chain": [10, 11, 12], "source": NODES, "target": NODES},
    )
    out = nauprc(scores, truth, cand)
    assert out.dims == ("chain",) and out["chain"].values.tolist() == [10, 11, 12]
    for c in [10, 11, 12]:
        assert out.sel(chain=c).item() == float(nauprc(scores.sel(chain=c), truth, cand))
    ds = graph_scores(scores, truth, cand)
    assert set(ds.data_vars) >= {"auroc", "auprc", "nauprc", "prevalence"}
    assert ds["prevalence"].dims == ("chain",)
    np.testing.assert_allclose(ds["prevalence"], 4 / 19)


def test_pooled_geo_equals_concatenation(truth, cand):
    rng = np.random.default_rng(7)
    truth2 = _graph([("c2", "m0"), ("m1", "y")])
    truth_geo = xr.concat([truth, truth2], dim="geo").assign_coords(geo=["a", "b"])
    scores = xr.DataArray(
        rng.random((2, 2, 8, 8)),
        dims=("chain", "geo", "source", "target"),
        coords={"chain": [0, 1], "geo": ["a", "b"], "source": NODES, "target": NODES},
    )
    pooled = nauprc(scores, truth_geo, cand, pool=("geo",))
    assert pooled.dims == ("chain",)
    for c in [0, 1]:
        y = np.concatenate([_flat(truth_geo.sel(geo=g), cand) for g in "ab"])
        s = np.concatenate([_flat(scores.sel(chain=c, geo=g), cand) for g in "ab"])
        pi = y.mean()
        expected = (average_precision_score(y, s) - pi) / (1 - pi)
        assert pooled.sel(chain=c).item() == pytest.approx(expected)
    per_geo = nauprc(scores, truth_geo, cand)
    assert per_geo.dims == ("chain", "geo")
    assert per_geo.sel(chain=1, geo="b").item() == pytest.approx(
        float(nauprc(scores.sel(chain=1, geo="b"), truth2, cand))
    )


def test_degenerate_and_bad_inputs_raise(truth, cand):
    scores = truth.astype(float)
    with pytest.raises(ValueError, match="no true edges"):
        nauprc(scores, 0 * truth, cand)
    with pytest.raises(ValueError, match="only true edges"):
        auroc(scores, cand.astype(int), cand)
    with pytest.raises(ValueError, match="pool"):
        nauprc(scores, truth, cand, pool=("geo",))
    with pytest.raises(ValueError, match="binary"):
        nauprc(scores, truth * 0.5, cand)
    with pytest.raises(ValueError, match="NaN"):
        nauprc(scores.where(truth == 0), truth, cand)
    with pytest.raises(ValueError, match="same nodes"):
        nauprc(scores.isel(source=slice(1, None)), truth, cand)
    with pytest.raises(TypeError, match="DataArray"):
        auprc(scores.values, truth, cand)
    geo_truth = xr.concat([truth, 0 * truth], "geo")
    with pytest.raises(ValueError, match="geo=1"):
        nauprc(scores, geo_truth.assign_coords(geo=[0, 1]), cand)
    with pytest.raises(ValueError, match="at least 2"):
        expected_random_nauprc(1)


def test_shd_f1_known_answers(truth, cand):
    # truth: c0->m0, c1->m1, m0->y, m1->y. pred: c0->m0 (TP), c2->m1 (FP), m0->y (TP).
    pred = _graph([("c0", "m0"), ("c2", "m1"), ("m0", "y")])
    assert int(shd(pred, truth, cand)) == 3  # 1 extra + 2 missing
    assert float(f1(pred, truth, cand)) == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    pr = precision_recall(pred, truth, cand)
    assert float(pr["precision"]) == pytest.approx(2 / 3)
    assert float(pr["recall"]) == pytest.approx(2 / 4)
    assert int(shd(truth, truth, cand)) == 0 and float(f1(truth, truth, cand)) == 1.0
    assert float(f1(0 * truth, truth, cand)) == 0.0
    assert np.isnan(float(precision_recall(0 * truth, truth, cand)["precision"]))
    assert np.isnan(float(f1(0 * truth, 0 * truth, cand)))
    # a non-candidate edge in pred is ignored
    assert int(shd(pred + _graph([("y", "m0")]), truth, cand)) == 3
    # pooled geos sum, kept geos do not
    both = xr.concat([pred, truth], "geo")
    assert int(shd(both, truth, cand, pool=("geo",))) == 3
    assert shd(both, truth, cand).values.tolist() == [3, 0]
    with pytest.raises(ValueError, match="binary"):
        shd(pred * 0.7, truth, cand)


def test_mse_at_h():
    obs = xr.DataArray(
        np.zeros((2, 4, 3)),
        dims=("origin", "horizon", "node"),
        coords={"horizon": [1, 2, 3, 4], "node": ["m0", "m1", "y"]},
    )
    err = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="horizon", coords={"horizon": [1, 2, 3, 4]})
    node_w = xr.DataArray([0.0, 1.0, 2.0], dims="node", coords={"node": ["m0", "m1", "y"]})
    pred = obs + err * node_w
    assert float(mse_at_h(pred, obs, h=1, nodes=["y"])) == 4.0
    assert float(mse_at_h(pred, obs, h=2, nodes=["y"])) == pytest.approx((4 + 16) / 2)
    assert float(mse_at_h(pred, obs)) == pytest.approx(np.mean((err * node_w).values ** 2))
    curve = mse_at_h(pred, obs, nodes=["y"], keep=("horizon",))
    assert curve.values.tolist() == [4.0, 16.0, 36.0, 64.0]
    chains = xr.concat([pred, 2 * pred], "chain")
    assert mse_at_h(chains, obs, h=1, nodes=["y"], keep=("chain",)).values.tolist() == [4, 16]
    with pytest.raises(ValueError, match="exceeds"):
        mse_at_h(pred, obs, h=9)
    with pytest.raises(ValueError, match="horizon"):
        mse_at_h(pred.rename(horizon="step"), obs)
    with pytest.raises(ValueError, match="different coordinates"):
        mse_at_h(pred.assign_coords(horizon=[0, 1, 2, 3]), obs)
