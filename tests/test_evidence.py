"""Refit Bayes factors of a structural decoder's edges (pymc_dice.nn.evidence and
DiceMMM.edge_evidence): a real channel's edge is needed, a placebo that follows it is not,
the parts add up, and bad requests fail clearly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pymc_dice import DiceMMM
from pymc_dice.exceptions import ConfigError
from pymc_dice.graph import graph_dataarray
from pymc_dice.nn.evidence import edge_bayes_factors, set_data_priors
from pymc_dice.nn.structural import StructuralDecoder, StructuralPriors, fit_structural
from pymc_dice.simulate import national


def placebo_panel(seed: int, n_dates: int = 120, follow: float = 0.8):
    """One series: channel 0 drives y (with carryover), channel 1 follows channel 0's spend
    (``follow=0.8``: correlation 0.97, as geo_panel's placebo follows tv) and has no effect."""
    gen = torch.Generator().manual_seed(seed)
    t = n_dates
    spend = torch.rand(1, t, 2, generator=gen, dtype=torch.float64)
    spend[..., 1] = follow * spend[..., 0] + (1 - follow) * spend[..., 1]
    lagged = torch.cat([spend[:, :1, 0], spend[:, :-1, 0]], 1)
    effect = 0.3 * spend[..., 0] + 0.15 * lagged
    noise = 0.02 * torch.randn(1, t, generator=gen, dtype=torch.float64)
    y = (0.4 + effect + noise).unsqueeze(-1)
    x, c = torch.cat([spend, y], -1), torch.zeros(1, t, 0, dtype=torch.float64)
    graph = torch.zeros(3, 3, dtype=torch.float64)
    graph[:2, 2] = 1.0
    return x, c, graph


def fitted(x, c, graph) -> StructuralDecoder:
    dec = StructuralDecoder(3, 0, n_channels=2, max_lag=3).double()
    fit_structural(dec, x, c, graph, max_iter=400)
    return dec


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_edge_needed_placebo_not(seed):
    # At a spend correlation of 0.97 the placebo can stand in for most of the real edge, so
    # dropping the real edge costs only what the placebo's 3 % of own variation cannot
    # mimic: log BF 20-30 on seeds 0-4, so > 10 leaves room. The placebo's edge buys a
    # nat or less of fit (-0.8 to +0.7) and costs an Occam factor of 1.4-2.5 nats: log BF
    # -1.8 to -2.3 on seeds 0-4, so < 0 is the claim (a placebo is not selected at even odds).
    x, c, graph = placebo_panel(seed)
    dec = fitted(x, c, graph)
    before = {k: v.clone() for k, v in dec.state_dict().items()}
    ev = edge_bayes_factors(dec, x, c, graph, [(0, 2), (1, 2)], max_iter=100)
    assert ev.log_bf[0, 2] > 10
    assert ev.log_bf[1, 2] < 0
    assert ev.occam[0, 2] < 0 and ev.occam[1, 2] < 0  # an edge always costs prior volume
    torch.testing.assert_close(ev.log_bf, ev.delta_fit + ev.occam, equal_nan=True)
    assert torch.isnan(ev.log_bf[2]).all() and torch.isnan(ev.log_bf[:, :2]).all()
    for k, v in dec.state_dict().items():  # the fitted decoder is left as it was
        assert torch.equal(v, before[k]), k


def test_inactive_edge_is_refused():
    x, c, graph = placebo_panel(0, n_dates=40)
    graph[1, 2] = 0.0
    dec = fitted(x, c, graph)
    with pytest.raises(ValueError, match=r"edge \(1, 2\) is not an active edge"):
        edge_bayes_factors(dec, x, c, graph, [(1, 2)], max_iter=5)


def test_control_refit_cancels_an_unconverged_fit():
    # Stopped after 20 iterations the MAP is still moving: refits from there improve the
    # objective for reasons unrelated to any edge. Against the control refit (same start,
    # same iterations) the real edge still wins by a wide margin, and the placebo is not
    # credited with the optimiser's progress.
    x, c, graph = placebo_panel(3)
    dec = StructuralDecoder(3, 0, n_channels=2, max_lag=3).double()
    fit_structural(dec, x, c, graph, max_iter=20)
    ev = edge_bayes_factors(dec, x, c, graph, [(0, 2), (1, 2)], max_iter=150)
    assert ev.log_bf[0, 2] > 10
    assert ev.delta_fit[1, 2] < 3


def test_set_data_priors_matches_the_fit():
    # The refit must optimise the objective of the original fit: the priors that the fit
    # reads off the data (spend shares, the direct edges' ROAS prior) are set again.
    dec = StructuralDecoder(3, 0, n_channels=2, n_series=2, media_share_prior=0.25).double()
    x = torch.rand(2, 30, 3, dtype=torch.float64)
    assert torch.equal(dec.beta_prior_scale, torch.ones(3, 3))
    set_data_priors(dec, x, torch.tensor([0.8, 0.2]), torch.tensor([1.0, 1.0, 50.0]))
    scale = dec.beta_prior_scale
    assert scale[0, 2] != scale[1, 2]  # per channel, from its spend and reach
    assert torch.equal(scale[2], torch.ones(3))  # the target's own row is untouched
    assert StructuralPriors().beta_sd == 1.0


@pytest.fixture(scope="module")
def national_fit():
    sim = national(n_channels=2, n_periods=80, seed=0)
    mmm = DiceMMM(date_column="date", channel_columns=["tv", "social"],
                  control_columns=["price", "event"])  # fmt: skip
    mmm.fit(sim.df, progressbar=False, random_seed=0, chains=2)
    return mmm


def test_facade_dataset(national_fit):
    ev = national_fit.edge_evidence(max_iter=40)
    names = {"log_bayes_factor", "delta_fit", "occam", "chain_probability", "probability"}
    assert set(ev.data_vars) == names
    assert ev["log_bayes_factor"].sizes["chain"] == 2
    # both channels drive y in the simulator with ROAS of about 1-5 on 80 weeks: needed
    assert (ev["probability"].sel(source=["tv", "social"], target="y") > 0.9).all()
    tested = np.isfinite(ev["log_bayes_factor"].values)
    assert tested.sum() == 2 * 2  # two channel -> y edges, two chains
    xr_close = np.testing.assert_allclose
    xr_close(ev["probability"], ev["chain_probability"].mean("chain"))
    # the prior odds enter as a shift of the log Bayes factor: at prior 0.1 the logit of
    # each chain's probability is log(9) lower (where it is not saturated at 0 or 1)
    low = national_fit.edge_evidence(prior_inclusion=0.1, max_iter=40)["chain_probability"]
    p, q = ev["chain_probability"].values[tested], low.values[tested]
    inside = (p > 1e-9) & (p < 1 - 1e-9) & (q > 1e-9) & (q < 1 - 1e-9)
    logit = lambda v: np.log(v / (1 - v))  # noqa: E731
    xr_close(logit(p[inside]) - logit(q[inside]), math.log(9), atol=1e-6)
    assert (q <= p + 1e-12).all()


def test_facade_errors(national_fit):
    with pytest.raises(ValueError, match="prior_inclusion"):
        national_fit.edge_evidence(prior_inclusion=1.0)
    tcfg = {"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2}
    gru = DiceMMM(date_column="date", channel_columns=["tv", "social"],
                  model_config={"decoder": "graph-safe", "hidden_size": 4},
                  trainer_config=tcfg)  # fmt: skip
    gru.fit(national(n_channels=2, n_periods=40, seed=0).df.drop(columns=["price", "event"]),
            progressbar=False, random_seed=0)  # fmt: skip
    with pytest.raises(ConfigError, match="structural"):
        gru.edge_evidence()


def test_support_refit_reports_and_selects_by_the_bayes_factors():
    # support="refit": the fit computes the refit Bayes factors and they become the graph
    # (graph_), the selection (selected_graph_) and the summary's evidence column. Two
    # channels, the placebo and one mediator: 7 candidate edges, one refit each.
    from pymc_dice.simulate import geo_panel

    sim = geo_panel(n_geos=3, n_periods=60, n_channels=2, n_mediators=1, seed=0)
    mmm = DiceMMM(**sim.column_kwargs(), model_config={"support": "refit"},
                  trainer_config={"max_iter": 150, "epochs_stage1": 5})  # fmt: skip
    mmm.fit(sim.df, progressbar=False, random_seed=0)
    graph = mmm.graph_
    cand = graph_dataarray(mmm.arms_[0].candidates, mmm.panel_.nodes)
    again = mmm.edge_evidence()["probability"].fillna(0.0)
    np.testing.assert_allclose(graph.values, again.values, atol=1e-6)  # deterministic refits
    assert ((graph > 0) <= cand).all()  # only candidate edges are tested
    expected = ((graph >= mmm.model_cfg.threshold) & cand).astype(float)
    np.testing.assert_array_equal(mmm.selected_graph_.values, expected.values)
    evidence = mmm.summary.channels()["evidence"]
    for ch in sim.channels:
        has_edge = bool((graph.sel(source=ch) >= 0.5).any())
        assert (evidence[ch] == "effect") == has_edge, ch


def test_support_refit_needs_the_structural_decoder():
    mmm = DiceMMM(date_column="date", channel_columns=["tv", "social"],
                  model_config={"support": "refit", "decoder": "graph-safe"})  # fmt: skip
    df = national(n_channels=2, n_periods=60, seed=0).df.drop(columns=["price", "event"])
    with pytest.raises(ConfigError, match="support='refit'.*decoder='structural'"):
        mmm.fit(df, progressbar=False, random_seed=0)
