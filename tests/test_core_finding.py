"""The paper's core finding on sparse_target: forecasting is not attribution."""

import numpy as np
import pytest

from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles
from pymc_dice.diagnostics.influence import influence
from pymc_dice.diagnostics.metrics import nauprc
from pymc_dice.diagnostics.swap import graph_swap
from pymc_dice.graph import candidate_mask
from pymc_dice.simulate import sparse_target
from pymc_dice.train import fit_arm


@pytest.fixture(scope="module")
def arms():
    sim = sparse_target(n_series=32, n_periods=60, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    cfg = TrainerConfig(epochs_stage2=40, eval_every=2, progressbar=False)
    fits = {
        arm: fit_arm(panel, ModelConfig(arm=arm, hidden_size=16), cfg, oracle=sim.truth["graph"])
        for arm in ("oracle", "nograph", "fullgraph")
    }
    return sim, panel, fits


def test_oracle_attribution_beats_nograph_and_fullgraph_at_comparable_mse(arms):
    """Measured (seeds 0 and 1 of this setting): AR-CIG nAUPRC oracle 1.0, nograph 0.0,
    fullgraph 0.41 / 0.62; MSE@7 oracle 0.009, fullgraph 0.010-0.019, nograph 0.019-0.022.

    The oracle is 1.0 by construction (a graph-safe decoder has no influence off its graph);
    what the test guards is that the forecasters with no or every edge do not score like it
    although they forecast in the same range. Tolerances: a nAUPRC gap of 0.3 (the review
    checks' "graph is used" threshold; 19 candidate edges give a random-score nAUPRC of about
    0.14 +- 0.19) and an MSE@7 ratio below 3 (measured at most 2.5).
    """
    sim, panel, fits = arms
    cand = candidate_mask(panel.nodes, panel.roles.channel_columns, panel.roles.target_column)
    score = {
        arm: float(nauprc(influence(fit, panel, horizon=7)["ar_cig"], sim.truth["graph"], cand))
        for arm, fit in fits.items()
    }
    mse = {arm: fit.history["stage2"]["best_val_mse"] for arm, fit in fits.items()}
    assert score["nograph"] == 0.0  # no edges: constant (zero) cross-node influence
    assert score["oracle"] - max(score["nograph"], score["fullgraph"]) >= 0.3, score
    assert max(mse["nograph"], mse["fullgraph"]) / mse["oracle"] < 3.0, mse


def test_graph_swap_oracle_input_beats_random_on_a_dice_hard_decoder():
    """A frozen dice-hard decoder fed the oracle graph instead of a random graph of the same
    density: AR-CIG nAUPRC must go up (measured 1.0 vs a random input's 0.0-0.5)."""
    sim = sparse_target(n_series=24, n_periods=52, seed=1)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    fit = fit_arm(
        panel,
        # the paper's GRU stage 2 (the finding is about it)
        ModelConfig(arm="dice-hard", hidden_size=16, support="threshold", decoder="graph-safe"),
        TrainerConfig(epochs_stage1=10, epochs_stage2=15, eval_every=5, progressbar=False),
    )
    swap = graph_swap(fit, panel, sim.truth["graph"], horizon=7)["graph_swap"]
    oracle = float(swap.sel(graph_input="oracle", metric="ar_cig_nauprc"))
    random = float(swap.sel(graph_input="random", metric="ar_cig_nauprc"))
    assert oracle > random + 0.3, (oracle, random)


def test_structural_dice_hard_follows_its_graph_in_the_swap():
    """The structural stage 2 is graph-safe by construction: fed the oracle graph its AR-CIG
    ranks the true edges (nAUPRC near 1) and an empty graph leaves no channel influence."""
    from pymc_dice.arms import prepare_panel

    sim = sparse_target(n_series=12, n_periods=52, seed=1)
    mcfg = ModelConfig(arm="dice-hard", support="threshold")
    panel = prepare_panel(Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25), mcfg)
    fit = fit_arm(
        panel, mcfg, TrainerConfig(epochs_stage1=5, max_iter=60, progressbar=False), n_draws=4
    )
    swap = graph_swap(fit, panel, sim.truth["graph"], horizon=7)["graph_swap"]
    oracle = float(swap.sel(graph_input="oracle", metric="ar_cig_nauprc"))
    empty = float(swap.sel(graph_input="empty", metric="ar_cig_nauprc"))
    # with the oracle graph every non-zero influence lies on a true path: the true direct
    # edges rank first (0.8 leaves room for mediated paths outranking a weak direct edge)
    assert oracle > 0.8, oracle
    assert not np.isfinite(empty) or empty <= 0.0, empty
