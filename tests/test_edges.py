"""Posterior edge inclusion probabilities, the placebo guard, ``support="posterior"`` and the
calibration table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pymc_dice.diagnostics.edges import (
    NO_EVIDENCE,
    calibration_table,
    channel_evidence,
    inclusion_probability,
)
from pymc_dice.exceptions import ConfigError, DataValidationError
from pymc_dice.graph import candidate_mask, graph_dataarray, select_posterior
from pymc_dice.mmm import DiceMMM
from pymc_dice.nn.laplace import map_draws
from pymc_dice.nn.response import edge_effect_sizes
from pymc_dice.nn.structural import StructuralDecoder, softplus_inv
from pymc_dice.simulate import geo_panel, sparse_target

NODES = ["tv", "radio", "visits", "y"]


def test_probabilities_are_shares_of_draws_with_the_graphs_shape():
    rng = np.random.default_rng(0)
    sizes = rng.exponential(0.01, size=(3, 40, 4, 4))  # chain, draw, source, target
    prob = inclusion_probability(sizes)
    assert prob.shape == (3, 4, 4)
    assert ((prob >= 0) & (prob <= 1)).all()
    np.testing.assert_array_equal(prob * 40, np.round(prob * 40))  # a count of 40 draws
    assert (inclusion_probability(sizes, delta=10.0) == 0).all()
    with pytest.raises(DataValidationError, match="delta"):
        inclusion_probability(sizes, delta=0.0)
    with pytest.raises(DataValidationError, match="draw"):
        inclusion_probability(np.zeros((4, 4)))


def _draws(dec: StructuralDecoder, n_draws: int, seed: int) -> dict:
    """Draws of beta_raw around the decoder's values (sd 0.3 on the softplus scale)."""
    gen = torch.Generator().manual_seed(seed)
    noise = 0.3 * torch.randn(n_draws, *dec.beta_raw.shape, generator=gen, dtype=torch.float64)
    return {"beta_raw": dec.beta_raw.detach()[None] + noise}


def test_zero_effect_edges_get_probability_zero_and_strong_ones_one():
    dec = StructuralDecoder(4, 0, n_channels=2, n_series=2, max_lag=3).double()
    with torch.no_grad():
        dec.beta_raw.fill_(softplus_inv(0.2))
        dec.beta_raw[1, :] = -30.0  # radio: beta = softplus(-30) ~ 1e-13, a null channel
    gen = torch.Generator().manual_seed(0)
    x = 0.2 + torch.rand(2, 30, 4, generator=gen, dtype=torch.float64)
    dec.set_series_scale(x)
    graph = torch.ones(4, 4, dtype=torch.float64)
    graph[0, 2] = 0.0  # tv -> visits switched off by the graph

    def size(d):
        return edge_effect_sizes(d, x, graph).mean(0)

    with torch.no_grad():
        sizes = map_draws(dec, _draws(dec, 50, 0), size).numpy()  # [draw, N, N]
    assert sizes.shape == (50, 4, 4)
    prob = inclusion_probability(sizes)
    assert prob[1, 2] == 0 and prob[1, 3] == 0  # the null channel's edges
    assert prob[0, 2] == 0  # not deployed: no effect, whatever beta says
    # beta 0.2 (x e^{+-0.3}) times sat(u ~ 0.6) ~ 0.06 of a mean level ~ 0.6: about 10 % of
    # the level, ten times delta, in every draw
    assert prob[0, 3] == 1 and prob[2, 3] == 1
    assert (prob[:, :2] == 0).all() and (np.diag(prob) == 0).all()  # never-used edges
    np.testing.assert_allclose(sizes[:, 0, 3].min(), 0.1, rtol=0.6)


def test_calibration_table_counts_every_candidate_edge_once():
    cand = candidate_mask(NODES, ["tv", "radio"], "y")
    truth = graph_dataarray(np.zeros((4, 4)), NODES)
    truth.loc["tv", "visits"] = truth.loc["visits", "y"] = truth.loc["radio", "y"] = 1
    rng = np.random.default_rng(1)
    probs = [graph_dataarray(rng.random((4, 4)), NODES) for _ in range(3)]
    table = calibration_table(probs, [truth] * 3, [cand] * 3)
    assert table.index.tolist() == ["0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0"]
    assert table["n_edges"].sum() == 3 * int(cand.sum())
    assert table["n_true"].sum() == 3 * 3
    filled = table[table["n_edges"] > 0]
    assert ((filled["observed"] >= 0) & (filled["observed"] <= 1)).all()
    lo = np.array([0.0, 0.2, 0.4, 0.6, 0.8])[table["n_edges"].to_numpy() > 0]
    assert ((filled["mean_probability"] >= lo) & (filled["mean_probability"] <= lo + 0.2)).all()
    exact = calibration_table([truth.astype(float)], [truth], [cand])  # 0 and 1 only
    assert exact["observed"].iloc[0] == 0 and exact["observed"].iloc[-1] == 1
    with pytest.raises(DataValidationError, match="one of each"):
        calibration_table(probs, [truth], [cand])


def test_posterior_rule_keeps_edges_at_or_above_the_threshold():
    cand = candidate_mask(NODES, ["tv", "radio"], "y")
    p = graph_dataarray(np.zeros((4, 4)), NODES)
    p.loc["tv", "visits"], p.loc["visits", "y"], p.loc["radio", "y"] = 0.5, 0.9, 0.49
    p.loc["y", "tv"] = 1.0  # not a candidate
    sel = select_posterior(p, cand, threshold=0.5)
    assert sel.method == "posterior"
    assert sorted(map(tuple, np.argwhere(sel.graph.values))) == [(0, 2), (2, 3)]


def test_channel_evidence_flags_channels_without_a_material_edge():
    p = graph_dataarray(np.zeros((4, 4)), NODES)
    p.loc["tv", "visits"] = 0.6  # tv acts through visits only: evidence
    p.loc["radio", "visits"], p.loc["radio", "y"] = 0.49, 0.3
    ev = channel_evidence(p, ["tv", "radio"])
    assert ev.to_dict() == {"tv": "effect", "radio": NO_EVIDENCE}


@pytest.fixture(scope="module")
def placebo_fit():
    """A geo panel whose placebo is clearly null: its spend is nearly independent of tv's
    (correlation 0.05 instead of 0.97, so it cannot borrow tv's effect), fitted with
    ``support="posterior"`` (one chain, 30 draws; about 5 s)."""
    sim = geo_panel(
        n_geos=6, n_periods=80, n_channels=2, n_mediators=1, seed=0, placebo_correlation=0.05
    )
    mmm = DiceMMM(
        **sim.column_kwargs(),
        model_config={"support": "posterior"},
        trainer_config={"epochs_stage1": 5, "progressbar": False},
    )
    mmm.fit(sim.df, random_seed=0, draws=30)
    return sim, mmm


def test_placebo_is_reported_without_evidence_and_kept(placebo_fit):
    sim, mmm = placebo_fit
    table = mmm.summary.channels()
    assert list(table.columns[3:5]) == ["evidence", "roas"]
    # true ROAS exactly 0 and nothing to borrow: measured 0.17 (seed 0), far from 0.5; with 30
    # draws one draw moves the probability by 0.03
    assert table.loc["placebo", "evidence"] == NO_EVIDENCE
    assert float(mmm.graph_.sel(source="placebo").max()) < 0.4
    assert np.isfinite(table.loc["placebo", "roas"])  # reported, not zeroed or dropped
    real = [c for c in sim.channels if c != "placebo"]
    assert (table.loc[real, "evidence"] == "effect").any()
    incl = mmm.ensemble_.edge_inclusion()
    assert incl.dims == ("chain", "source", "target") and incl.shape[0] == 1
    assert ((incl >= 0) & (incl <= 1)).all()
    np.testing.assert_allclose(incl.mean("chain"), mmm.graph_)


def test_posterior_support_selects_a_subset_of_the_candidates(placebo_fit):
    _, mmm = placebo_fit
    cand = mmm.arms_[0].candidates
    np.testing.assert_array_equal(mmm.arms_[0].graph_input(), cand)  # fitted on every one
    selected = mmm.selected_graph_.values != 0
    assert (selected <= cand).all() and 0 < selected.sum() < cand.sum()
    np.testing.assert_array_equal(selected, (mmm.graph_.values >= 0.5) & cand)
    assert "stage1" in mmm.arms_[0].selection.evidence  # stage 1 kept as evidence
    assert mmm.graph_stage1_.dims == ("source", "target")


def test_posterior_support_and_inclusion_need_a_structural_decoder():
    df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "visits", "y"]]
    small = {"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2, "progressbar": False}
    mmm = DiceMMM(
        mediator_columns=["visits"],
        trainer_config=small,
        model_config={"decoder": "graph-safe", "support": "posterior", "hidden_size": 4},
    )
    with pytest.raises(ConfigError, match="support='posterior'"):
        mmm.fit(df, random_seed=0)
    gru = DiceMMM(model_config={"arm": "nograph", "hidden_size": 4}, trainer_config=small)
    gru.fit(df[["date", "geo", "tv", "y"]], random_seed=0)
    with pytest.raises(ConfigError, match="structural"):
        gru.ensemble_.edge_inclusion()
    assert (gru.summary.channels()["evidence"] == "not assessed").all()
