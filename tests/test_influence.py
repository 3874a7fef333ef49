"""CIG / AR-CIG: exact values on linear decoders, autograd vs finite differences vs naive."""

import numpy as np
import pytest
import torch
from torch import nn

from pymc_dice.diagnostics.influence import (
    ar_cig,
    cig,
    cig_finite_difference,
    influence,
    influence_origins,
)
from pymc_dice.diagnostics.reference import ar_cig_naive, cig_naive, decoder_predictor
from pymc_dice.graph import candidate_mask, graph_dataarray
from pymc_dice.nn.decoders import Decoder, GraphSafeDecoder, rollout
from pymc_dice.train import PanelTensors, TrainedArm


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread is faster and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class LinearDecoder(Decoder):
    """``xhat(t+1) = x(t) @ (W * graph)``: its Jacobians are known in closed form."""

    def __init__(self, weight: np.ndarray, n_controls: int = 0):
        super().__init__(len(weight), n_controls)
        self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float64))

    def init_state(self, batch, like):
        return like.new_zeros(batch, 1)

    def step(self, state, x_t, c_next, graph):
        return state + 1, torch.einsum("bj,bji->bi", x_t, graph * self.weight)


def closed_loop_ar_cig(w: np.ndarray, n_channels: int, horizon: int) -> np.ndarray:
    """By hand: d xhat(t+k) / d x(t) = W (D W)^(k-1), D zeroing the channels (fed observed)."""
    d = np.diag((np.arange(len(w)) >= n_channels).astype(float))
    out, m = np.zeros_like(w), w.copy()
    for _ in range(horizon):
        out += np.abs(m)
        m = m @ d @ w
    return out


def panel(s=3, t=14, n=4, c=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((s, t, n)), rng.random((s, t, c))


def test_linear_decoder_cig_is_abs_weight_and_ar_cig_matches_hand_computation():
    rng = np.random.default_rng(1)
    n, nc = 5, 2
    w = rng.normal(size=(n, n))
    dec = LinearDecoder(w)
    x, _ = panel(n=n)
    origins = [2, 5, 6]
    ones = np.ones((n, n))
    np.testing.assert_allclose(cig(dec, x, None, ones, origins, nc), np.abs(w), rtol=1e-12)
    for h in (1, 2, 4):
        got = ar_cig(dec, x, None, ones, origins, nc, horizon=h)
        np.testing.assert_allclose(got, closed_loop_ar_cig(w, nc, h), rtol=1e-12)
    # the channels' future is observed: with every node a channel only k = 1 counts
    np.testing.assert_allclose(ar_cig(dec, x, None, ones, origins, n, 4), np.abs(w), rtol=1e-12)
    # origin 0 (state = the initial state) works on both paths
    np.testing.assert_allclose(cig(dec, x, None, ones, [0], nc), np.abs(w), rtol=1e-12)
    loop = decoder_predictor(dec, None, ones, nc, closed_loop=True, horizon=2)
    fd = cig_finite_difference(loop, x, [0], horizon=2)
    np.testing.assert_allclose(fd, closed_loop_ar_cig(w, nc, 2), rtol=1e-9)
    # per series: identical for a linear model
    per = ar_cig(dec, x, None, ones, origins, nc, 3, reduce=False)
    assert per.shape == (3, n, n)
    np.testing.assert_allclose(per, np.broadcast_to(closed_loop_ar_cig(w, nc, 3), per.shape))


def test_chain_reaches_only_through_the_rollout():
    # a (channel) -> b -> c: no direct a -> c edge
    w = np.zeros((3, 3))
    w[0, 1], w[1, 2] = 0.7, -1.3
    dec = LinearDecoder(w)
    x, _ = panel(n=3)
    g = np.ones((3, 3))
    assert ar_cig(dec, x, None, g, [3, 4], 1, horizon=1)[0, 2] == 0.0
    np.testing.assert_allclose(ar_cig(dec, x, None, g, [3, 4], 1, horizon=2)[0, 2], 0.7 * 1.3)
    # the same on a graph-safe decoder fed the chain as its graph: exactly 0 one step ahead
    torch.manual_seed(0)
    safe = GraphSafeDecoder(3, 0, hidden=6).double()
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0.0]])
    assert ar_cig(safe, x, None, chain, [3, 4], 1, horizon=1)[0, 2] == 0.0
    assert ar_cig(safe, x, None, chain, [3, 4], 1, horizon=2)[0, 2] > 1e-6
    assert ar_cig(safe, x, None, chain, [3, 4], 1, horizon=5)[2, :2].max() == 0.0  # c has no children


def test_graph_masking_and_per_series_graphs():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(4, 4))
    dec = LinearDecoder(w)
    x, _ = panel(s=2, n=4)
    graphs = (rng.random((2, 4, 4)) < 0.5).astype(float)
    per = cig(dec, x, None, graphs, [2, 3], 1, reduce=False)
    np.testing.assert_allclose(per, np.abs(w) * graphs)


@pytest.fixture(scope="module")
def safe_decoder():
    torch.manual_seed(3)
    return GraphSafeDecoder(4, 2, hidden=6).double()


def test_vectorised_equals_naive(safe_decoder):
    x, c = panel(s=2, t=10, n=4)
    g = (np.random.default_rng(4).random((4, 4)) < 0.6).astype(float)
    origins = [3, 5]
    kw = {"reduce": False}
    np.testing.assert_allclose(
        cig(safe_decoder, x, c, g, origins, 1, **kw),
        cig_naive(safe_decoder, x, c, g, origins, 1, delta=1e-6, **kw),
        rtol=1e-6, atol=1e-10,
    )
    np.testing.assert_allclose(
        ar_cig(safe_decoder, x, c, g, origins, 1, 3, **kw),
        ar_cig_naive(safe_decoder, x, c, g, origins, 1, 3, delta=1e-6, **kw),
        rtol=1e-6, atol=1e-10,
    )


def test_chunking_and_float32_do_not_change_the_result(safe_decoder):
    x, c = panel(s=5, t=12, n=4)
    g = np.ones((4, 4))
    full = ar_cig(safe_decoder, x, c, g, [4, 5, 6], 1, 4)
    np.testing.assert_allclose(ar_cig(safe_decoder, x, c, g, [4, 5, 6], 1, 4, chunk_size=2), full)
    f32 = GraphSafeDecoder(4, 2, hidden=6)
    f32.load_state_dict({k: v.float() for k, v in safe_decoder.state_dict().items()})
    np.testing.assert_allclose(ar_cig(f32, x, c, g, [4, 5, 6], 1, 4), full, rtol=1e-4, atol=1e-6)


def test_finite_difference_agrees_with_autograd(safe_decoder):
    x, c = panel(s=3, t=12, n=4)
    g = (np.random.default_rng(5).random((3, 4, 4)) < 0.6).astype(float)  # per-series graphs
    origins = [2, 4, 7]
    exact_cig = cig(safe_decoder, x, c, g, origins, 1, reduce=False)
    teacher = decoder_predictor(safe_decoder, c, g, 1)
    fd = cig_finite_difference(teacher, x, origins, delta=1e-5, reduce=False)
    np.testing.assert_allclose(fd, exact_cig, rtol=1e-3, atol=1e-9)
    exact_ar = ar_cig(safe_decoder, x, c, g, origins, 1, horizon=4)
    loop = decoder_predictor(safe_decoder, c, g, 1, closed_loop=True, horizon=4)
    for scheme, tol in (("central", 1e-3), ("forward", 1e-2)):
        fd_ar = cig_finite_difference(loop, x, origins, delta=1e-5, horizon=4, scheme=scheme, batch_size=7)
        np.testing.assert_allclose(fd_ar, exact_ar, rtol=tol, atol=1e-8)
    # a subset of sources, rows in the given order
    sub = cig_finite_difference(teacher, x, origins, delta=1e-5, sources=[3, 0])
    np.testing.assert_allclose(sub, exact_cig.mean(0)[[3, 0]], rtol=1e-3, atol=1e-9)


def test_closed_loop_predictor_matches_rollout(safe_decoder):
    x, c = panel(s=2, t=12, n=4)
    g = np.ones((4, 4))
    loop = decoder_predictor(safe_decoder, c, g, 1, closed_loop=True, horizon=3)
    pred = loop(x, series=np.arange(2), origin=np.array([4, 4]))
    xt, ct = torch.as_tensor(x), torch.as_tensor(c)
    ref = rollout(safe_decoder, xt, ct, torch.ones(4, 4, dtype=torch.float64), torch.tensor([4]), 3, 1)
    np.testing.assert_allclose(pred[:, 5:8], ref[:, 0].detach().numpy())
    assert np.isnan(pred[:, :5]).all() and np.isnan(pred[:, 8:]).all()


def test_finite_difference_forward_without_origin_and_contemporaneous_offset():
    w = np.array([[0.0, 2.0], [-1.0, 0.5]])

    def same_date(xb):  # a contemporaneous regression: y(t) reads x(t)
        return xb @ w

    x, _ = panel(n=2)
    out = cig_finite_difference(same_date, x, [0, 5], offset=0, scheme="forward", delta=0.1)
    np.testing.assert_allclose(out, np.abs(w), rtol=1e-12)
    assert cig_finite_difference(same_date, x, [0, 5], offset=1).max() == 0.0


def test_input_errors(safe_decoder):
    x, c = panel(s=2, t=8, n=4)
    with pytest.raises(ValueError, match="origins"):
        ar_cig(safe_decoder, x, c, np.ones((4, 4)), [5], 1, horizon=3)
    with pytest.raises(ValueError, match="graph"):
        cig(safe_decoder, x, c, np.ones((3, 3)), [2], 1)
    with pytest.raises(ValueError, match="scheme"):
        cig_finite_difference(lambda xb: xb, x, [2], scheme="backward")


def _arm(seed: int, n: int, n_channels: int, graph: np.ndarray) -> TrainedArm:
    torch.manual_seed(seed)
    cand = candidate_mask([f"n{k}" for k in range(n)], [f"n{k}" for k in range(n_channels)], f"n{n - 1}")
    return TrainedArm(
        arm="fullgraph", seed=seed, decoder=GraphSafeDecoder(n, 1, hidden=4),
        candidates=cand.values, fixed_graph=graph,
    )


def test_influence_dataset_and_chain_dim():
    n, nc = 4, 2
    nodes = [f"n{k}" for k in range(n)]
    cand = candidate_mask(nodes, nodes[:nc], nodes[-1])
    rng = np.random.default_rng(0)
    data = PanelTensors(
        x=torch.as_tensor(rng.random((3, 20, n)), dtype=torch.float32),
        c=torch.as_tensor(rng.random((3, 20, 1)), dtype=torch.float32),
        train_end=14, n_channels=nc, candidates=torch.as_tensor(cand.values),
        val_origins=torch.arange(13, 17),
    )
    assert influence_origins(data, 3).tolist() == [13, 14, 15, 16]
    arms = [_arm(s, n, nc, cand.values.astype(float)) for s in (0, 1)]
    ds = influence(arms[0], data, horizon=3, nodes=nodes)
    assert ds["cig"].dims == ("source", "target") and ds.attrs["n_origins"] == 4
    assert list(ds["ar_cig"].source.values) == nodes
    direct = ar_cig(arms[0].decoder, data.x, data.c, arms[0].fixed_graph, [13, 14, 15, 16], nc, 3)
    np.testing.assert_allclose(ds["ar_cig"].values, direct)
    # off-graph influence is exactly zero (e.g. into channels, out of the target)
    assert float(ds["ar_cig"].sel(source="n3", target="n2")) == 0.0
    ens = influence(arms, data, horizon=3, nodes=nodes)
    assert ens["ar_cig"].dims == ("chain", "source", "target")
    assert ens.sizes["chain"] == 2 and ens["seed"].values.tolist() == [0, 1]
    np.testing.assert_allclose(ens["ar_cig"].isel(chain=0), ds["ar_cig"])
    assert not np.allclose(ens["cig"].isel(chain=0), ens["cig"].isel(chain=1))
    # a labelled graph is aligned on node names, whatever its order
    g_da = graph_dataarray(cand.values.astype(float), nodes)
    shuffled = g_da.isel(source=[3, 1, 0, 2], target=[2, 0, 3, 1])
    np.testing.assert_allclose(influence(arms[0], data, shuffled, 3, nodes=nodes)["ar_cig"], ds["ar_cig"])
    # an explicit graph input overrides the arm's own
    empty = influence(arms[0], data, graph=np.zeros((n, n)), horizon=3, nodes=nodes)
    off_diag = empty["ar_cig"].values[~np.eye(n, dtype=bool)]
    assert (off_diag == 0).all()
