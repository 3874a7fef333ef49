"""Conditional Granger tests of candidate edges (pymc_dice.diagnostics.granger) and the
``support="granger"`` rule: the paper's sparse_target graph is recovered, a co-moving placebo
is not credited, the evidence does not depend on a series' scale, and bad input fails
clearly."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from pymc_dice import DiceMMM
from pymc_dice.data import Panel, Roles
from pymc_dice.diagnostics.granger import granger_evidence, granger_shortfall
from pymc_dice.diagnostics.metrics import nauprc
from pymc_dice.ensemble import sample_graphs
from pymc_dice.exceptions import DataValidationError
from pymc_dice.graph import candidate_mask
from pymc_dice.simulate import geo_panel, national, sparse_target


def evidence(sim, **kwargs):
    """The Granger evidence of a simulated panel, its nodes and its candidate mask."""
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    controls = panel.controls if panel.roles.control_columns else None
    ev = granger_evidence(panel.values, panel.nodes, panel.n_channels, controls=controls,
                          **kwargs)  # fmt: skip
    cand = candidate_mask(panel.nodes, panel.roles.channel_columns, panel.roles.target_column)
    return ev, cand


def model(sim, **model_config) -> DiceMMM:
    return DiceMMM(
        **sim.column_kwargs(), model_config=model_config,
        # the support rule is under test, not the training: short fits
        trainer_config={"epochs_stage1": 5, "epochs_stage2": 5, "max_iter": 60},
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_recovers_sparse_target_graph(seed):
    # The paper's panel (96 series x 104 weeks, co-movement 0.99): on seeds 0-7 the test's
    # selection is the true graph exactly but on seeds 4 and 6 (one and two false edges), so
    # any change that loses an edge or credits a proxy fails here. Seed 1 is the case of
    # test_channel_not_credited_for_decoding_a_mediator.
    sim = sparse_target(seed=seed)
    ev, cand = evidence(sim, max_lag=4)
    picked = (ev["probability"].fillna(0.0) >= 0.5) & cand.astype(bool)
    truth = sim.truth["graph"].astype(bool).reindex_like(picked)
    assert (picked == truth).all(), (picked != truth).to_series()[lambda s: s].index.tolist()


@pytest.mark.parametrize("seed", [1, 3])
def test_ranks_sparse_target_edges_at_quick_size(seed):
    # 32 series x 60 weeks: seeds 1 and 3 give nAUPRC 0.94 and 1.00 (0.77 and 1.00 before
    # the lag windows); 0.7 leaves room for rounding while a random score averages 0.
    sim = sparse_target(n_series=32, n_periods=60, seed=seed)
    ev, cand = evidence(sim, max_lag=4)
    assert nauprc(ev["log_bayes_factor"].fillna(-1e6), sim.truth["graph"], cand) > 0.7


def test_channel_not_credited_for_decoding_a_mediator():
    # sparse_target seed 1: radio drives visits two weeks on, display drives branded_search
    # one week on, and every channel follows one budget at correlation 0.99, so
    # branded_search a week back is a curved function of the budget two weeks back. Beside
    # branded_search's lags, display's log spend decodes it into the part of radio's
    # saturation curve that a pooled regression misses: tested only there, display ->
    # visits got log Bayes factor 123. The smaller evidence of the tests with and without
    # the mediators' lags does not credit it, and radio -> visits stays certain.
    sim = sparse_target(seed=1)
    ev, _ = evidence(sim, max_lag=4)
    lbf = ev["log_bayes_factor"].sel(target="visits")
    assert float(lbf.sel(source="display")) < 0
    assert float(lbf.sel(source="radio")) > 100


@pytest.mark.parametrize(
    ("size", "seed", "target"), [((96, 104), 8, "y"), ((32, 60), 2, "branded_search")]
)
def test_mediator_innovation_carries_no_shared_saturation_misfit(size, seed, target):
    # visits is not a parent of the target here, but it reads the same co-moving budget
    # through per-series saturation curves. With a quadratic per-series correction of its
    # innovation, what the pooled fit misses of those curves stayed in it and predicted the
    # target: probability 0.75 (seed 8, 96 x 104, visits -> y) and 0.54 (seed 2, 32 x 60,
    # visits -> branded_search); the cubic gives 0.05 and 0.08. 0.2 leaves room for
    # rounding and fails on the quadratic.
    sim = sparse_target(n_series=size[0], n_periods=size[1], seed=seed)
    assert not sim.truth["graph"].sel(source="visits", target=target)
    ev, _ = evidence(sim, max_lag=4)
    assert float(ev["probability"].sel(source="visits", target=target)) < 0.2


def quick_paper_evidence(seed):
    """The evidence of a 32 x 60 sparse_target panel's first 45 weeks (the quick paper
    benchmark's training weeks; ``seed`` is one of its derived data seeds)."""
    sim = sparse_target(n_series=32, n_periods=60, seed=seed)
    x = sim.df[sim.nodes].to_numpy().reshape(32, 60, len(sim.nodes))[:, :45]
    c = sim.df[list(sim.roles["control_columns"])].to_numpy().reshape(32, 60, -1)[:, :45]
    return sim, granger_evidence(x, sim.nodes, 5, controls=c, max_lag=4)


@pytest.mark.parametrize(
    ("seed", "source", "target"),
    [(2025095540, "radio", "y"), (1038274004, "tv", "y"), (1723227104, "radio", "branded_search")],
)
def test_channel_parent_found_among_co_moving_channels(seed, source, target):
    # Five channels follow one budget at 0.99: in the one regression with every other
    # channel a parent's own lags add little (probabilities 0.01, 0.40 and 0.36 there, the
    # edges missed), while among the models of a few channels its lags are the ones that fit
    # (0.95, 1.00, 0.99). 0.9 leaves room for rounding and fails on the single regression.
    sim, ev = quick_paper_evidence(seed)
    assert sim.truth["graph"].sel(source=source, target=target)
    assert float(ev["probability"].sel(source=source, target=target)) > 0.9


@pytest.mark.parametrize(
    ("seed", "source", "target"),
    [(435175520, "visits", "branded_search"), (1601412779, "visits", "y"),
     (1750488248, "branded_search", "visits")],
)  # fmt: skip
def test_mediator_not_credited_with_the_targets_budget_misfit(seed, source, target):
    # No edge, but both nodes read the budget through saturation curves whose levels each
    # series shares, so what the pooled fits miss of them co-varies across series: the
    # source's innovation predicted the target at probability 1.00, 1.00 and 0.97. Less the
    # per-series budget terms, 0.001, 0.007 and 0.06; 0.2 fails long before selection.
    sim, ev = quick_paper_evidence(seed)
    assert not sim.truth["graph"].sel(source=source, target=target)
    assert float(ev["probability"].sel(source=source, target=target)) < 0.2


def test_lag_windows_find_an_edge_at_any_lag():
    # An edge acting only at lag 4 (the last of max_lag = 4), in a panel with another
    # channel and no mediators: the evidence averages the windows (1, 2), (2, 3), (3, 4),
    # so the edge is found wherever its window sits, and the channel without an effect is not.
    rng = np.random.default_rng(0)
    n_series, t_len = 20, 60
    spend = np.exp(rng.normal(0.0, 0.5, (n_series, t_len, 2)))
    y = np.ones((n_series, t_len))
    y[:, 4:] += 0.3 * np.log(spend[:, :-4, 0]) + rng.normal(0.0, 0.1, (n_series, t_len - 4))
    values = np.concatenate([spend, y[..., None]], axis=-1)
    ev = granger_evidence(values, ["a", "b", "y"], n_channels=2, max_lag=4)
    prob = ev["probability"].sel(target="y")
    assert float(prob.sel(source="a")) > 0.99
    assert float(prob.sel(source="b")) < 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_placebo_not_credited(seed):
    # geo_panel's placebo follows tv's spend at correlation 0.97 (and its dark weeks) and
    # has no effect. At 60 geos x 120 weeks its largest edge probability is below 0.01 on
    # seeds 0 and 1, beside 7 and 5 real edges selected; 0.1 fails long before selection.
    sim = geo_panel(seed=seed)
    ev, cand = evidence(sim, max_lag=4, same_period=True)
    prob = ev["probability"].fillna(0.0)
    assert float(prob.sel(source="placebo").max()) < 0.1
    real = sim.truth["graph"].astype(bool).reindex_like(prob)
    assert int(((prob >= 0.5) & real).sum()) >= 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_placebo_not_selected_on_a_small_panel(seed):
    # At 10 geos x 80 weeks the data barely tell the placebo from tv: among the models of a
    # few channels the two stand in for each other, and the placebo's probability reaches
    # 0.42 on seed 1 (where tv's is 1.00) and up to 0.47 on 20 seeds but for one (seed 13,
    # 0.92, tv missed; docs/benchmarks.md). Not selected here, beside 3-6 real edges.
    sim = geo_panel(n_geos=10, n_periods=80, seed=seed)
    ev, cand = evidence(sim, max_lag=4, same_period=True)
    prob = ev["probability"].fillna(0.0)
    assert float(prob.sel(source="placebo").max()) < 0.5
    real = sim.truth["graph"].astype(bool).reindex_like(prob)
    assert int(((prob >= 0.5) & real).sum()) >= 3


def test_series_scale_and_prior_odds():
    sim = sparse_target(n_series=8, n_periods=60, seed=0)
    nodes = list(sim.truth["source"].values)
    x = sim.df[nodes].to_numpy().reshape(8, 60, len(nodes))
    ev = granger_evidence(x, nodes, 5, max_lag=2)
    scaled = x.copy()
    scaled[3] *= 1000.0  # one market a thousand times larger: each series is normalised
    np.testing.assert_allclose(
        granger_evidence(scaled, nodes, 5, max_lag=2)["log_bayes_factor"], ev["log_bayes_factor"],
        rtol=1e-6, atol=1e-6,
    )
    lbf = ev["log_bayes_factor"]
    assert int(np.isfinite(lbf).sum()) == int(candidate_mask(nodes, nodes[:5], "y").sum())
    odds = granger_evidence(x, nodes, 5, max_lag=2, prior_inclusion=0.9)["probability"]
    inner = (abs(lbf) < 20).values  # off the clip at +-50
    logit = np.log(odds / (1 - odds)) - np.log(ev["probability"] / (1 - ev["probability"]))
    mediator = np.isin(lbf["source"].values, nodes[5:])[:, None] & inner
    # a mediator's probability is its Bayes factor's posterior at the prior odds (9 = 0.9 /
    # 0.1 against 1); a channel's is averaged over models whose other channels are weighed at
    # the same prior, so its odds rise by some other factor
    np.testing.assert_allclose(logit.values[mediator], np.log(9.0), rtol=1e-6)
    assert mediator.sum() >= 3 and (logit.values[inner & ~mediator] > 0).all()
    assert not np.allclose(logit.values[inner & ~mediator], np.log(9.0))


def test_single_series_gets_seasonal_terms():
    sim = national(n_periods=156, seed=0)  # one series: no date fixed effects
    ev, cand = evidence(sim, max_lag=3, same_period=True)
    lbf = ev["log_bayes_factor"].where(cand)
    assert np.isfinite(lbf.sel(target="y", source=sim.channels)).all()
    assert ev.attrs["n_obs"] == 156 - 3 and ev.attrs["same_period"] == 1


def test_bad_input_is_named():
    nodes = ["tv", "radio", "visits", "y"]
    x = np.random.default_rng(0).uniform(1, 2, (6, 40, 4))
    with pytest.raises(DataValidationError, match="4 nodes"):
        granger_evidence(x[..., :3], nodes, 2)
    bad = x.copy()
    bad[1, 5, 2] = np.nan
    with pytest.raises(DataValidationError, match="'visits'.*NaN"):
        granger_evidence(bad, nodes, 2)
    neg = x.copy()
    neg[0, 3, 1] = -1.0
    with pytest.raises(DataValidationError, match="'radio' has negative spend"):
        granger_evidence(neg, nodes, 2)
    with pytest.raises(DataValidationError, match="too few.*max_lag=38"):
        granger_evidence(x, nodes, 2, max_lag=38)
    with pytest.raises(DataValidationError, match="prior_inclusion"):
        granger_evidence(x, nodes, 2, prior_inclusion=1.0)
    with pytest.raises(DataValidationError, match="max_lag"):
        granger_evidence(x, nodes, 2, max_lag=0)


def test_short_panel_falls_back_to_effect_and_says_so(caplog):
    # 2 series x 32 training dates: 60 rows for the test's 78 coefficients (30 lags, 16
    # per-series terms, 32 dates)
    sim = sparse_target(n_series=2, n_periods=40, seed=0)
    assert granger_shortfall((2, 32, 8), 2).startswith("2 series x 32 dates are too few")
    assert granger_shortfall((4, 32, 8), 2) is None
    mmm = model(sim, decoder="graph-safe", hidden_size=4, max_lag=2)
    with caplog.at_level(logging.WARNING, logger="pymc_dice"):
        mmm.fit(sim.df, progressbar=False, random_seed=0, draws=1)
    assert mmm.arms_[0].selection.method == "effect"
    assert "support='granger': 2 series x 32 dates are too few" in caplog.text


def test_one_series_is_not_charged_for_per_series_terms():
    # one series has no per-series budget terms and no date effects: 60 dates take lags up
    # to 3 (57 rows for 40 lag coefficients, a mean and 5 trend and season terms, plus the
    # margin of 10), as they did before the panel's per-series terms; lag 4 leaves 56 rows
    assert granger_shortfall((1, 60, 8), 3) is None
    assert granger_shortfall((1, 60, 8), 4).startswith("1 series x 60 dates are too few")
    sim = sparse_target(n_series=1, n_periods=60, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles))
    ev = granger_evidence(panel.values, panel.nodes, panel.n_channels, max_lag=3)
    assert ev.attrs["max_lag"] == 3 and np.isfinite(ev["log_bayes_factor"]).sum() > 0


def test_graph_safe_arm_trains_on_the_granger_graph():
    sim = sparse_target(n_series=16, n_periods=50, seed=0)
    mmm = model(sim, decoder="graph-safe", support="granger", hidden_size=8)
    mmm.fit(sim.df, progressbar=False, random_seed=0, draws=2)
    arm = mmm.arms_[0]
    ev = arm.selection.evidence
    assert arm.selection.method == "granger"
    expected = (ev["probability"].fillna(0.0) > mmm.model_cfg.threshold).astype(float)
    assert (arm.selection.graph == expected).all()
    assert (mmm.selected_graph_ == expected).all()
    # the encoder did not pick this graph: predictions use it, never encoder samples
    graphs = sample_graphs(mmm.arms_, mmm.panel_, mmm.model_cfg, 2)
    assert (graphs == expected.values.astype(np.float32)).all()
    np.testing.assert_array_equal(arm.graph_input(), expected.values)


def test_structural_fit_reports_granger_graph():
    sim = geo_panel(n_geos=6, n_periods=60, seed=0)
    mmm = model(sim, support="granger", max_lag=3)
    torch.manual_seed(0)
    mmm.fit(sim.df, progressbar=False, random_seed=0, draws=4)
    ev = mmm.arms_[0].selection.evidence
    np.testing.assert_allclose(mmm.graph_, ev["probability"].fillna(0.0))
    assert (mmm.selected_graph_ == (mmm.graph_ >= mmm.model_cfg.threshold)).all()
    # every candidate edge stays deployed: ROAS does not depend on the test
    assert mmm.arms_[0].graph_input().sum() == candidate_mask(
        list(mmm.panel_.nodes), sim.channels, "y"
    ).sum()


def test_structural_roas_does_not_depend_on_the_support_rule():
    # every candidate edge is deployed whatever the rule, and the structural fit starts from
    # the same seeded point: the rule changes the reported graph, never an attribution
    sim = geo_panel(n_geos=4, n_periods=60, seed=1)
    fits = []
    for support in ("granger", "effect"):
        mmm = model(sim, support=support, max_lag=3)
        mmm.fit(sim.df, progressbar=False, random_seed=0, draws=3)
        fits.append(mmm)
    a, b = (m.idata.posterior["channel_contribution"] for m in fits)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(fits[0].graph_, fits[1].graph_)  # the graphs do differ
