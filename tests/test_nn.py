"""Decoders and encoders: the graph-safe guarantee, vectorised forms, sampling."""

import numpy as np
import pytest
import torch

from pymc_dice.nn.decoders import (
    CausalMMMDecoder,
    Decoder,
    DenseDecoder,
    GraphSafeDecoder,
    RestrictedDecoder,
    rollout,
)
from pymc_dice.nn.encoder import GlobalLogits, GraphEncoder, gumbel_sigmoid, kl_bernoulli

N, C, T = 6, 2, 12


def reachable(graph: np.ndarray, k: int) -> np.ndarray:
    """``R[j, i]``: a path j -> i of length <= k exists (own node always reaches itself)."""
    step = (graph != 0).astype(int) + np.eye(len(graph), dtype=int)
    out = np.eye(len(graph), dtype=int)
    for _ in range(k):
        out = ((out @ step) > 0).astype(int)
    return out.astype(bool)


def teacher_forced_jacobian(decoder: Decoder, graph: np.ndarray, t: int, k: int, seed=0):
    """``J[j, i] = d xhat_i(t + k) / d x_j(t)`` by autograd, one series."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(1, T, N, generator=gen, dtype=torch.float64)
    c = torch.rand(1, T, C, generator=gen, dtype=torch.float64)
    g = torch.as_tensor(graph, dtype=torch.float64)

    def f(xt):
        xx = torch.cat([x[:, :t], xt.reshape(1, 1, N), x[:, t + 1 :]], 1)
        return decoder(xx, c, g)[0, t + k - 1]

    return torch.autograd.functional.jacobian(f, x[0, t]).T.numpy()  # [source j, target i]


def random_graph(rng, p=0.25):
    g = (rng.random((N, N)) < p).astype(float)
    np.fill_diagonal(g, 0)
    return g


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("decoder_cls", [GraphSafeDecoder, CausalMMMDecoder])
def test_graph_safe_guarantee_exact_zero_off_paths(decoder_cls, k):
    torch.manual_seed(0)
    dec = decoder_cls(N, C, hidden=8).double()
    rng = np.random.default_rng(k)
    n_zero_checked = n_nonzero = 0
    for trial in range(4):
        graph = random_graph(rng)
        jac = teacher_forced_jacobian(dec, graph, t=4, k=k, seed=trial)
        reach = reachable(graph, k)
        # exactly zero, not merely small, wherever no path of length <= k exists
        assert np.all(jac[~reach] == 0.0)
        n_zero_checked += int((~reach).sum())
        n_nonzero += int((jac[reach & ~np.eye(N, dtype=bool)] != 0).sum())
    assert n_zero_checked > 20  # the assertion above had something to bite on
    assert n_nonzero > 0  # real edges do carry influence


def test_graph_safe_guarantee_holds_in_closed_loop_rollout():
    torch.manual_seed(1)
    dec = GraphSafeDecoder(N, C, hidden=8).double()
    rng = np.random.default_rng(5)
    graph = torch.as_tensor(random_graph(rng, 0.2))
    x = torch.rand(1, T, N, dtype=torch.float64)
    c = torch.rand(1, T, C, dtype=torch.float64)
    origin, horizon, n_channels = 3, 4, 2
    _, states = dec(x, c, graph, return_states=True)

    def f(x_origin):
        xx = torch.cat([x[:, :origin], x_origin.reshape(1, 1, N), x[:, origin + 1 :]], 1)
        return rollout(dec, xx, c, graph, torch.tensor([origin]), horizon, n_channels, states=states)[0, 0]

    jac = torch.autograd.functional.jacobian(f, x[0, origin])  # [horizon, N_out, N_in]
    for k in range(1, horizon + 1):
        reach = reachable(graph.numpy(), k)
        assert np.all(jac[k - 1].T.numpy()[~reach] == 0.0)


def test_dense_decoder_violates_the_guarantee():
    """The same test fails for the bypass-prone joint decoder: the test can fail."""
    torch.manual_seed(0)
    dec = DenseDecoder(N, C, hidden=8).double()
    empty = np.zeros((N, N))
    jac = teacher_forced_jacobian(dec, empty, t=4, k=1)
    reach = reachable(empty, 1)
    assert np.any(jac[~reach] != 0.0)


def test_restricted_decoder_vectorised_forward_equals_step_loop():
    torch.manual_seed(0)
    dec = RestrictedDecoder(N, C, max_lag=3).double()
    with torch.no_grad():
        for p in dec.parameters():
            p.normal_()
    x = torch.rand(2, T, N, dtype=torch.float64)
    c = torch.rand(2, T, C, dtype=torch.float64)
    g = torch.as_tensor(random_graph(np.random.default_rng(0), 0.5))
    fast, fast_states = dec(x, c, g, return_states=True)
    slow, slow_states = Decoder.forward(dec, x, c, g, return_states=True)
    torch.testing.assert_close(fast, slow)
    torch.testing.assert_close(fast_states, slow_states)


def test_restricted_decoder_only_uses_parents():
    torch.manual_seed(0)
    dec = RestrictedDecoder(N, C, max_lag=3, own_history=False).double()
    g = random_graph(np.random.default_rng(3), 0.3)
    jac = teacher_forced_jacobian(dec, g, t=5, k=1)
    assert np.all(jac[g == 0] == 0.0)
    assert np.all(jac[g != 0] > 0.0)  # monotone, positive effects on real edges


def test_gumbel_sigmoid_hard_is_binary_with_soft_gradient():
    logits = torch.zeros(200, 4, 4, requires_grad=True)
    a = gumbel_sigmoid(logits, 0.5, hard=True, generator=torch.Generator().manual_seed(0))
    assert set(a.unique().tolist()) == {0.0, 1.0}
    a.sum().backward()
    assert logits.grad.abs().sum() > 0
    # with logits 0 the sample is Bernoulli(0.5): 3200 draws, sd of the mean 0.009
    assert abs(a.detach().mean().item() - 0.5) < 0.04


def test_kl_is_zero_at_prior_and_positive_elsewhere():
    mask = torch.ones(3, 3, dtype=torch.bool)
    assert kl_bernoulli(torch.full((3, 3), 0.2), 0.2, mask).item() == pytest.approx(0.0, abs=1e-6)
    assert kl_bernoulli(torch.full((3, 3), 0.9), 0.2, mask).item() > 0.5


@pytest.mark.parametrize("encoder_cls", [GraphEncoder, GlobalLogits])
def test_encoders_mask_non_candidates(encoder_cls):
    cand = torch.ones(N, N, dtype=torch.bool)
    cand[:, :2] = False  # channels 0, 1 have no parents
    cand.fill_diagonal_(False)
    enc = encoder_cls(N, cand)
    logits = enc(torch.rand(3, T, N))
    assert logits.shape == (3, N, N)
    assert torch.isinf(logits[:, ~cand]).all()
    assert torch.isfinite(logits[:, cand]).all()
