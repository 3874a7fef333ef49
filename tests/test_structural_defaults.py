"""The structural decoder's defaults for marketing panels: same-period mediator -> target edges
(exact graph safety still holds), the spend-share prior, every candidate edge deployed (stage
1's support kept as evidence) and the MALA refinement of the Laplace draws."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from pymc_dice.data import Panel, Roles
from pymc_dice.mmm import DiceMMM
from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.laplace import laplace_posterior
from pymc_dice.nn.mcmc import refine_draws
from pymc_dice.nn.response import channel_contributions
from pymc_dice.nn.structural import (
    StructuralDecoder,
    StructuralPriors,
    direct_roas_prior,
    fit_structural,
    gaussian_nll,
    neg_log_prior,
)
from pymc_dice.simulate import geo_panel, national


def make(n=5, k=2, lag=3, seed=0, carry="geometric", sat="logistic") -> StructuralDecoder:
    dec = StructuralDecoder(
        n, 2, k, n_series=2, max_lag=lag, carryover=carry, saturation=sat,
        same_period_mediators=True,
    ).double()  # fmt: skip
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in dec.named_parameters():
            p.copy_(0.7 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
        dec.level_pool.abs_().add_(1.0)  # positive predictions: Hill slopes stay > 0 on them
    return dec


def reachable(graph: np.ndarray, k: int, lag: int, j: int, horizon: int) -> np.ndarray:
    """``[horizon + 1, N]``: can ``x_j(t)`` move node ``i`` at date ``t + d`` in a rollout?
    Channel edges act at lags 0..L-1, mediator -> target edges too (same period, the target
    after its date's mediators), other edges at 1..L; own history at lag 1 (rho)."""
    n = graph.shape[0]
    infl = np.zeros((horizon + 1, n), bool)
    infl[0, j] = True
    for d in range(1, horizon + 1):
        for i in range(k, n):  # mediators before the target: same-date paths are complete
            for d0, m in itertools.product(range(d + 1), range(n)):
                if not infl[d0, m] or (d0 == d and m >= i):
                    continue
                gap = d - d0
                same_period = m < k or (m < n - 1 and i == n - 1)
                if m == i:
                    ok = gap == 1
                else:
                    lo, hi = (0, lag - 1) if same_period else (1, lag)
                    ok = graph[m, i] != 0 and lo <= gap <= hi
                infl[d, i] |= ok
    return infl


@pytest.mark.parametrize(
    ("carry", "sat"), [("geometric", "logistic"), ("delayed", "logistic"), ("free", "hill")]
)
def test_same_period_mediators_keep_exact_graph_safety(carry, sat):
    n, k, lag, horizon, t0 = 5, 2, 3, 4, 4
    for seed in range(3):
        rng = np.random.default_rng(seed)
        graphs = (rng.random((2, n, n)) < 0.4) * rng.uniform(0.5, 1.0, (2, n, n))
        dec = make(n, k, lag, seed, carry, sat)
        x = torch.tensor(rng.uniform(0.1, 1.0, (2, 12, n)), requires_grad=True)
        c = torch.zeros(2, 12, 2, dtype=torch.float64)  # with the level > 0: positive paths
        pred = rollout(dec, x, c, torch.tensor(graphs), torch.tensor([t0]), horizon, k)
        for s, d, i in itertools.product(range(2), range(1, horizon + 1), range(k, n)):
            (grad,) = torch.autograd.grad(pred[s, 0, d - 1, i], x, retain_graph=True)
            for j in range(n):
                expect = reachable(graphs[s], k, lag, j, horizon)[d, i]
                # every path is a product of positive factors: reachable <=> non-zero, exactly
                assert (grad[s, t0, j].item() != 0) == expect, (seed, s, d, i, j)


def test_the_target_reads_its_own_dates_mediator_only_through_an_edge():
    dec = make(4, 1, 2)
    x = torch.rand(1, 8, 4, dtype=torch.float64, requires_grad=True)
    c = torch.zeros(1, 8, 2, dtype=torch.float64)
    for edge in (0.0, 1.0):
        graph = torch.zeros(4, 4, dtype=torch.float64)
        graph[0, 1] = graph[0, 2] = 1.0
        graph[1, 3] = edge
        (g,) = torch.autograd.grad(dec(x, c, graph, series=[0])[0, 4, 3], x)  # target, date 5
        assert (g[0, 5, 1] != 0) == bool(edge)  # mediator 1, same date: only with its edge
        assert g[0, 5, 2] == 0  # mediator 2 has no edge into the target
    off = StructuralDecoder(4, 2, 1, max_lag=2).double()  # switched off: lags 1..L only
    (g,) = torch.autograd.grad(off(x, c, torch.ones(4, 4))[0, 4, 3], x)
    assert g[0, 5, 1] == 0 and g[0, 4, 1] != 0


def test_zeroing_a_channel_never_raises_a_prediction_with_same_period_mediators():
    n, k = 6, 3
    for seed in range(5):
        rng = np.random.default_rng(seed)
        dec = make(n, k, 4, seed, "free", "hill")
        graph = torch.tensor(rng.random((2, n, n)) * (rng.random((2, n, n)) < 0.6))
        x = torch.tensor(rng.uniform(0, 1, (2, 15, n)))
        c = torch.tensor(rng.normal(size=(2, 15, 2)))
        with torch.no_grad():
            out = channel_contributions(dec, x, c, graph)
        assert out.min() >= -1e-12, (seed, out.min().item())  # float64 rounding only


def test_spend_share_prior_scales_each_channels_beta_prior():
    sim = national(n_channels=3, n_periods=40, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    spend = sim.df[["tv", "social", "search"]].iloc[: panel.train_end].to_numpy().sum(0)
    np.testing.assert_allclose(panel.spend_share, spend / spend.sum(), rtol=1e-12)
    dec = StructuralDecoder(4, 0, 3).double()
    with torch.no_grad():
        dec.beta_raw.fill_(0.3)
    flat = neg_log_prior(dec, StructuralPriors())
    dec.set_spend_share(torch.tensor([0.9, 0.05, 0.05]))
    np.testing.assert_allclose(dec.beta_prior_scale[:, 0].numpy(), [2.7, 0.15, 0.15, 1.0])
    # the same effects cost more under the prior for the channels with a sliver of the spend
    assert float(neg_log_prior(dec, StructuralPriors()).detach()) > float(flat.detach())


def test_mala_moves_the_laplace_draws_with_a_sound_acceptance_rate():
    torch.manual_seed(0)
    x = torch.rand(1, 60, 2, dtype=torch.float64)
    x[..., 1] = 0.2 + 0.5 * x[..., 0] + 0.05 * torch.randn(1, 60, dtype=torch.float64)
    c, graph = torch.zeros(1, 60, 0), torch.ones(2, 2)
    dec = StructuralDecoder(2, 0, n_channels=1, max_lag=2).double()
    fit_structural(dec, x, c, graph, max_iter=200)
    post = laplace_posterior(dec, x, c, graph, n_draws=64, seed=0)
    before = post.draws.clone()
    res = refine_draws(dec, post, x, c, graph, n_steps=30, seed=0)
    # preconditioned by the Laplace covariance, the adapted step accepts near the 0.57 target
    # (0.3-0.9 leaves room for 64 chains x 15 sampling steps of noise)
    assert 0.3 < res.acceptance < 0.9, res.acceptance
    assert not torch.equal(post.draws, before) and torch.isfinite(post.draws).all()
    # started at the approximation, the draws stay in the posterior's bulk: the mean moves by
    # less than one posterior sd in every coordinate
    sd = before.std(0)
    assert ((post.draws.mean(0) - before.mean(0)).abs() < sd).all()


@pytest.fixture(scope="module")
def funnel():
    sim = geo_panel(n_geos=3, n_periods=40, n_channels=2, n_mediators=1, seed=0)
    r = sim.roles
    kw = {k: list(r[k]) for k in ("channel_columns", "mediator_columns", "control_columns")}
    return sim, {**kw, "dims": list(r["dims"])}


@pytest.mark.parametrize("deploy", [True, False])
def test_structural_arms_deploy_every_candidate_edge_unless_told(funnel, deploy):
    sim, roles = funnel
    mmm = DiceMMM(
        **roles,
        model_config={"deploy_candidates": deploy},
        trainer_config={"epochs_stage1": 2, "max_iter": 20, "progressbar": False},
    )
    mmm.fit(sim.df, random_seed=0, draws=4)
    arm = mmm.arms_[0]
    cand = arm.candidates.astype(float)
    deployed = arm.graph_input()
    if deploy:
        np.testing.assert_array_equal(deployed, cand)
        stage1 = arm.selection.evidence["stage1"].values
        assert ((stage1 != 0) <= (cand != 0)).all()  # stage 1's support is kept as evidence
    else:
        assert "stage1" not in arm.selection.evidence
        assert ((deployed != 0) <= (cand != 0)).all()


def test_direct_roas_prior_is_scale_free_and_gives_the_stated_roas_sd():
    torch.manual_seed(0)
    x = torch.rand(2, 30, 3, dtype=torch.float64)
    dec = StructuralDecoder(3, 0, n_channels=2, n_series=2).double()
    dec.set_series_scale(x)
    scales = torch.tensor([50.0, 5.0, 1000.0], dtype=torch.float64)
    sd = direct_roas_prior(dec, x, scales, 0.25)
    # independent calculation: ROAS of the edge at beta = sd is sum(sd * sat * target scale) /
    # sum(spend), which must equal 0.25 * total target / total spend
    u = x[..., :2] / dec.series_scale[:, None, :2]
    sat = torch.tanh(0.5 * torch.nn.functional.softplus(dec.lam_raw[:2, -1]) * u)
    target_scale = (dec.series_scale[:, -1] * scales[-1])[:, None, None]
    roas = (sd * sat * target_scale).sum((0, 1)) / (x[..., :2] * scales[:2]).sum((0, 1))
    ratio = (x[..., -1] * scales[-1]).sum() / (x[..., :2] * scales[:2]).sum()
    np.testing.assert_allclose(roas.detach().numpy(), 0.25 * float(ratio), rtol=1e-10)
    # scale-free: the target in other units (x 1000) leaves the beta prior (scaled units) alone
    again = direct_roas_prior(dec, x, scales * torch.tensor([1.0, 1.0, 1000.0]), 0.25)
    np.testing.assert_allclose(again.numpy(), sd.numpy(), rtol=1e-10)


def test_bagged_posterior_adds_the_bootstrap_variance_of_the_dates():
    torch.manual_seed(1)
    x = torch.rand(1, 50, 2, dtype=torch.float64)
    x[..., 1] = 0.3 + 0.4 * x[..., 0] + 0.05 * torch.randn(1, 50, dtype=torch.float64)
    c, graph = torch.zeros(1, 50, 0, dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64)
    dec = StructuralDecoder(2, 0, n_channels=1, max_lag=2).double()
    fit_structural(dec, x, c, graph, max_iter=200)
    plain = laplace_posterior(dec, x, c, graph, n_draws=4)
    bag = laplace_posterior(dec, x, c, graph, n_draws=4, bagged=True)
    # independent calculation: per-date gradients by autograd, one date at a time
    names, index = bag.names, bag.index
    params = dict(dec.named_parameters())
    rows = []
    for t in range(49):
        mask = torch.zeros(1, 50, dtype=torch.bool)
        mask[0, t + 1] = True
        dec.zero_grad()
        gaussian_nll(dec, x, c, graph, mask).backward()
        rows.append(torch.cat([params[k].grad.reshape(-1)[index[k]] for k in names]))
    g = torch.stack(rows)
    g = g - g.mean(0)
    unclamped = plain.cov + plain.cov @ (g.T @ g) @ plain.cov
    # no direction wider than posterior_sd_max (1), as for the plain approximation
    evals, evecs = torch.linalg.eigh(unclamped)
    expect = (evecs * evals.clamp_max(StructuralPriors().posterior_sd_max**2)) @ evecs.T
    torch.testing.assert_close(bag.cov, expect, rtol=1e-6, atol=1e-10)
    # wider than the plain posterior: the spread of the dates adds variance
    assert float(torch.diagonal(bag.cov).sum()) > float(torch.diagonal(plain.cov).sum())
