"""The structural graph-safe decoder: exact graph safety, monotonicity in the channels, the
teacher-forced / closed-loop identity, ROAS recovery on a simulated national series and its
Laplace posterior."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr

from pymc_dice.data import time_features
from pymc_dice.exceptions import ConfigError, DataValidationError, PymcDiceError
from pymc_dice.idata import roas_from_totals
from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.laplace import (
    contribution_draws,
    laplace_posterior,
    log_likelihood_draws,
    map_draws,
    predict_draws,
)
from pymc_dice.nn.response import carryover_weights, channel_contributions, saturation_curves
from pymc_dice.nn.structural import StructuralDecoder, fit_structural

CONFIGS = list(itertools.product(("geometric", "delayed", "free"), ("logistic", "hill"), (0, 4)))


def randomise(dec: StructuralDecoder, seed: int) -> StructuralDecoder:
    """Random parameters of moderate size (so no saturation underflows to an exact zero)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in dec.named_parameters():
            p.copy_(0.7 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return dec


def make(n=5, k=2, s=2, lag=3, carry="geometric", sat="logistic", res=0, seed=0):
    dec = StructuralDecoder(
        n, 2, k, n_series=s, max_lag=lag, carryover=carry, saturation=sat, residual=res
    ).double()
    return randomise(dec, seed)


def reachable(graph: np.ndarray, k: int, lag: int, j: int, horizon: int, own: bool, res: bool):
    """``[horizon + 1, N]``: can ``x_j(t)`` move node ``i`` at date ``t + d`` in a rollout from
    origin ``t`` (channels observed, other nodes fed back)? Lags: channel edges 0..L-1, other
    edges 1..L, own history 1 (rho) or 1..L (residual); no edge into channels or self-edge."""
    n = graph.shape[0]
    infl = np.zeros((horizon + 1, n), bool)
    infl[0, j] = True
    for d in range(1, horizon + 1):
        for i in range(k, n):
            for d0, m in itertools.product(range(d), range(n)):
                if not infl[d0, m]:
                    continue
                gap = d - d0
                if m == i:
                    ok = (own and gap == 1) or (res and gap <= lag)
                else:
                    ok = graph[m, i] != 0 and gap <= (lag - 1 if m < k else lag)
                infl[d, i] |= ok
    return infl


@pytest.mark.parametrize(("carry", "sat", "res"), CONFIGS)
def test_closed_loop_derivative_is_exactly_zero_without_a_path(carry, sat, res):
    n, k, lag, horizon, t0 = 5, 2, 3, 5, 4
    for seed in range(3):
        rng = np.random.default_rng(seed)
        graphs = (rng.random((2, n, n)) < 0.35) * rng.uniform(0.5, 1.0, (2, n, n))
        dec = make(n, k, 2, lag, carry, sat, res, seed)
        x = torch.tensor(rng.uniform(0.1, 1.0, (2, 12, n)), requires_grad=True)
        c = torch.tensor(rng.normal(size=(2, 12, 2)))
        pred = rollout(dec, x, c, torch.tensor(graphs), torch.tensor([t0]), horizon, k)
        for s, d, i in itertools.product(range(2), range(1, horizon + 1), range(k, n)):
            (grad,) = torch.autograd.grad(pred[s, 0, d - 1, i], x, retain_graph=True)
            for j in range(n):
                expect = reachable(graphs[s], k, lag, j, horizon, True, res > 0)[d, i]
                got = grad[s, t0, j].item()
                # every path is a product of positive factors (beta, rho, slopes > 0 on
                # positive data, the residual non-decreasing with positive weights), so
                # reachable <=> non-zero, exactly
                assert (got != 0) == expect, (seed, s, d, i, j, got)
                assert grad[1 - s].abs().max() == 0  # series never mix


def test_a_channel_acts_in_its_own_period_a_mediator_only_later():
    dec = make(3, 1, 1, 2)
    graph = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    x = torch.rand(1, 8, 3, dtype=torch.float64, requires_grad=True)
    pred = dec(x, torch.zeros(1, 8, 2, dtype=torch.float64), graph)  # pred[:, t-1] is date t
    (g1,) = torch.autograd.grad(pred[0, 4, 1], x, retain_graph=True)  # mediator at date 5
    (g2,) = torch.autograd.grad(pred[0, 4, 2], x)  # target at date 5
    assert g1[0, 5, 0] != 0 and g1[0, 4, 0] != 0 and g1[0, 3, 0] == 0  # channel lags 0..1
    assert g2[0, 5, 1] == 0 and g2[0, 4, 1] != 0 and g2[0, 3, 1] != 0  # mediator lags 1..2
    assert g2[0, :, 0].abs().max() == 0  # no edge 0 -> 2


@pytest.mark.parametrize(("carry", "sat", "res"), CONFIGS)
def test_zeroing_a_channel_never_raises_any_prediction(carry, sat, res):
    n, k = 6, 3
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        dec = make(n, k, 3, 4, carry, sat, res, 100 + seed)
        graph = torch.tensor(rng.random((3, n, n)) * (rng.random((3, n, n)) < 0.6))
        x = torch.tensor(rng.uniform(0, 1, (3, 15, n)) * (rng.random((3, 15, n)) < 0.8))
        c = torch.tensor(rng.normal(size=(3, 15, 2)))
        with torch.no_grad():
            out = channel_contributions(dec, x, c, graph)
        assert out.shape == (3, 15, k, n)
        assert out.min() >= -1e-12, (seed, out.min().item())  # float64 rounding only
        assert out[..., :k].abs().max() == 0


def test_carryover_kernels_sum_to_one_and_peak_where_their_family_says():
    """Geometric: ``alpha^l`` normalised (peak at lag 0); delayed: pymc-marketing's
    ``alpha^((l - theta)^2)`` normalised, whose peak follows ``theta``."""
    geo = StructuralDecoder(3, 0, 1, max_lag=6, carryover="geometric").double()
    delayed = StructuralDecoder(3, 0, 1, max_lag=6, carryover="delayed").double()
    alpha, theta = 0.6, 2.0
    with torch.no_grad():
        for dec in (geo, delayed):
            dec.decay_raw.fill_(math.log(alpha / (1 - alpha)))
        delayed.delay_raw.fill_(math.log(theta / (5 - theta)))  # theta = 5 sigmoid(raw)
    lags = torch.arange(6, dtype=torch.float64)
    expected = alpha**lags / (alpha**lags).sum()
    torch.testing.assert_close(geo.carryover()[0, 2], expected)
    bell = alpha ** (lags - theta).square()
    torch.testing.assert_close(delayed.carryover()[0, 2], bell / bell.sum())
    assert int(delayed.carryover()[0, 2].argmax()) == 2
    torch.testing.assert_close(delayed.carryover().sum(-1), torch.ones(3, 3, dtype=torch.float64))


def test_rollout_of_one_step_equals_teacher_forcing_with_any_graph():
    dec = make(5, 2, 3, 3, "free", "hill", 4)
    x = torch.rand(3, 10, 5, dtype=torch.float64)
    c = torch.randn(3, 10, 2, dtype=torch.float64)
    for graph in (torch.ones(5, 5), torch.rand(5, 5), torch.rand(3, 5, 5).round()):
        graph = graph.double()
        one = rollout(dec, x, c, graph, torch.arange(9), horizon=1, n_channels=2)
        assert torch.allclose(one[:, :, 0], dec(x, c, graph), atol=1e-12)
    empty = dec(x, c, torch.zeros(5, 5, dtype=torch.float64))
    full = dec(x, c, torch.ones(5, 5, dtype=torch.float64))
    assert not torch.allclose(empty[..., 2:], full[..., 2:])  # the graph input is read
    soft = dec(x, c, 0.5 * torch.ones(5, 5, dtype=torch.float64))
    assert torch.allclose(soft[..., 2:] - empty[..., 2:], 0.5 * (full - empty)[..., 2:])


def test_errors_name_the_fix():
    with pytest.raises(ConfigError, match="carryover"):
        StructuralDecoder(3, 0, 1, carryover="weibull")
    dec = make(3, 1, 2)
    x = torch.rand(3, 6, 3, dtype=torch.float64)
    with pytest.raises(DataValidationError, match="series="):
        dec(x, torch.zeros(3, 6, 2, dtype=torch.float64), torch.ones(3, 3))
    with pytest.raises(PymcDiceError, match="exog_next"):
        dec.step(dec.init_state(2, x), x[:2, 0], x[:2, 0, :2], torch.ones(3, 3))


def test_time_features_continue_across_windows():
    dates = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    full = time_features(dates, yearly_order=2)
    later = time_features(dates[40:], yearly_order=2, origin=dates[0])
    assert full.shape == (60, 5)
    np.testing.assert_allclose(later, full[40:])
    assert abs(full[52, 1] - full[0, 1]) < 0.1  # yearly period


def simulate_national(seed: int, n_dates: int = 156, noise: float = 0.02):
    """One weekly series: 3 channels with geometric adstock from lag 0 (8 lags, normalised),
    logistic saturation, a trend, a yearly season, a control and Gaussian noise; true
    contributions by re-simulating without each channel (zero history before date 0)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-04", periods=n_dates, freq="W-MON")
    on = rng.random((n_dates, 3)) < np.array([0.8, 0.6, 0.9])
    spend = np.array([100.0, 50.0, 200.0]) * rng.gamma(2.0, 0.5, (n_dates, 3)) * on
    alpha, lam, beta = (
        np.array([0.5, 0.3, 0.7]),
        np.array([2.0, 3.0, 1.5]),
        np.array([0.25, 0.15, 0.2]),
    )
    w = alpha[:, None] ** np.arange(8)
    w /= w.sum(1, keepdims=True)

    def response(sp):
        ad = np.stack(
            [np.convolve(sp[:, j] / spend[:, j].max(), w[j])[:n_dates] for j in range(3)], 1
        )
        return beta * np.tanh(0.5 * lam * ad)

    ctrl = rng.normal(size=n_dates)
    tf = time_features(dates, 2)
    base = 0.3 + 0.05 * tf[:, 0] + 0.04 * tf[:, 1] + 0.02 * tf[:, 2] + 0.02 * ctrl
    y = (base + response(spend).sum(1) + noise * rng.normal(size=n_dates)) * 1000.0
    truth = (
        np.stack(
            [(response(spend) - response(spend * (np.arange(3) != j)))[:, j] for j in range(3)], 1
        )
        * 1000.0
    )
    return dates, spend, ctrl, y, truth


def roas(contribution: np.ndarray, spend: np.ndarray) -> np.ndarray:
    dims = ("date", "channel")
    return roas_from_totals(
        xr.DataArray(contribution, dims=dims), xr.DataArray(spend, dims=dims)
    ).values


def test_recovers_roas_on_a_national_series_with_calibrated_intervals():
    dates, spend, ctrl, y, truth = simulate_national(seed=0)
    true_roas = roas(truth, spend)
    sx, sy = spend.max(0), np.abs(y).max()
    x = torch.tensor(np.concatenate([spend / sx, (y / sy)[:, None]], 1)[None])
    c = torch.tensor(np.concatenate([time_features(dates, 2), ctrl[:, None]], 1)[None])
    graph = torch.ones(4, 4, dtype=torch.float64)
    dec = StructuralDecoder(4, c.shape[-1], 3, max_lag=8).double()
    fit = fit_structural(dec, x, c, graph, train=slice(0, 140), val=slice(140, 156))
    assert fit.val_loss is not None and fit.val_loss < -2.0  # held-out NLL/obs (sd ~ 0.03)
    with torch.no_grad():
        contrib = channel_contributions(dec, x, c, graph)[0, :, :, -1].numpy() * sy
    est = roas(contrib, spend)
    post = laplace_posterior(dec, x, c, graph, train=slice(0, 140), n_draws=400, seed=1)
    draws = contribution_draws(dec, post, x, c, graph)[:, 0, :, :, -1].numpy() * sy
    draw_roas = draws.sum(1) / spend.sum(0)
    lo, hi = np.quantile(draw_roas, [0.05, 0.95], axis=0)
    sd = draw_roas.std(0)
    assert (est > 0).all() and (draw_roas > 0).all()
    assert (np.argsort(est) == np.argsort(true_roas)).all()
    # Tolerance: on this series the posterior sd of each ROAS is 14-33 % of its value (the
    # weak, slow third channel is the least identified, as in any MMM); a point error within
    # 2.5 posterior sd and under 30 % is what a calibrated fit achieves on most seeds
    # (measured over seeds 0-3: the largest error of the two strong channels was 16 %).
    err = np.abs(est / true_roas - 1)
    assert (err < 0.30).all(), (est, true_roas)
    assert (np.abs(est - true_roas) < 2.5 * sd).all(), (est, true_roas, sd)
    # 90 % intervals: with 3 channels, "most" = at least 2 (10 of 12 covered over seeds 0-3)
    assert ((lo <= true_roas) & (true_roas <= hi)).sum() >= 2, (lo, hi, true_roas)
    ll = log_likelihood_draws(dec, post, x, c, graph)
    assert ll.shape == (400, 1, 155) and torch.isfinite(ll).all()
    preds = predict_draws(dec, post, x, c, graph)
    assert preds.shape == (400, 1, 155, 4)
    band = torch.quantile(preds[..., 3], torch.tensor([0.05, 0.95], dtype=torch.float64), dim=0)
    map_pred = dec(x, c, graph)[..., 3].detach()
    # draws are Gaussian in the raw (logit / softplus) coordinates, so their mean may sit off
    # the MAP (rho near 0 is skewed); the MAP must still lie inside the 90 % band (almost) always
    assert ((band[0] <= map_pred) & (map_pred <= band[1])).double().mean() > 0.9


def test_curves_and_carryover_per_draw():
    x = torch.rand(2, 30, 4, dtype=torch.float64)
    dec = StructuralDecoder(4, 0, 2, n_series=2, max_lag=3, saturation="hill").double()
    c, graph = torch.zeros(2, 30, 0, dtype=torch.float64), torch.ones(4, 4, dtype=torch.float64)
    fit_structural(dec, x, c, graph, max_iter=50)
    post = laplace_posterior(dec, x, c, graph, n_draws=20, joint_levels=0)
    grid = torch.linspace(0, 1, 7)
    curves = map_draws(dec, post, saturation_curves, grid)
    assert curves.shape == (20, 4, 4, 7)
    assert (curves.diff(dim=-1) >= 0).all() and (curves[..., 0] == 0).all()
    assert curves[:, :, :2].abs().max() == 0  # nothing points into a channel
    weights = map_draws(dec, post, carryover_weights)
    assert weights.shape == (20, 4, 4, 4)
    assert torch.allclose(weights.sum(-1), torch.ones(20, 4, 4, dtype=torch.float64))
    assert (weights[:, :2, :, -1] == 0).all() and (weights[:, 2:, :, 0] == 0).all()
    assert post.level_var.shape == (4,)  # per-series levels of the 2 scored nodes: diagonal
