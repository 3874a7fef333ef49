"""Graph swap: table layout on a tiny trained arm, and oracle-vs-random on sparse_target."""

import numpy as np
import pytest
import torch

from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles
from pymc_dice.diagnostics.checks import run_checks
from pymc_dice.diagnostics.influence import ar_cig, influence_origins
from pymc_dice.diagnostics.swap import graph_swap, swap_graphs
from pymc_dice.simulate import sparse_target
from pymc_dice.train import PanelTensors, fit_arm

METRICS = ["mse_target@3", "mse_all@3", "cig_nauprc", "ar_cig_nauprc"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread is faster and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny():
    sim = sparse_target(n_series=16, n_periods=48, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    cfg = ModelConfig(arm="dice-hard", hidden_size=8, support="threshold", encoder="global")
    tcfg = TrainerConfig(epochs_stage1=3, epochs_stage2=3, horizon=3, eval_every=1)
    data = PanelTensors.from_panel(panel, 3, torch.device("cpu"))
    arms = [fit_arm(panel, cfg, tcfg, seed=s, data=data, progressbar=False) for s in (0, 1)]
    return sim, panel, data, arms


def test_table_layout_with_truth(tiny):
    sim, panel, data, arms = tiny
    ds = graph_swap(arms[0], data, sim.truth["graph"], horizon=3, nodes=panel.nodes)
    assert ds["graph_swap"].dims == ("graph_input", "metric")
    inputs = ["learned", "selected", "oracle", "empty", "full", "random"]
    assert ds["graph_input"].values.tolist() == inputs
    assert ds["metric"].values.tolist() == METRICS
    assert np.isfinite(ds["graph_swap"].values).all()
    for name in ("cig", "ar_cig", "input_graph"):
        assert ds[name].dims == ("graph_input", "source", "target")
        assert ds[name]["source"].values.tolist() == list(panel.nodes)
    g = ds["input_graph"]
    cand = data.candidates.numpy()
    assert float(g.sel(graph_input="empty").sum()) == 0.0
    np.testing.assert_array_equal(g.sel(graph_input="full").values, cand)
    rand = g.sel(graph_input="random").values
    assert rand.sum() == sim.truth["graph"].values.sum() and (rand <= cand).all()
    # the same frozen decoder: the learned input reproduces influence() with that graph
    o = influence_origins(data, 3)
    direct = ar_cig(arms[0].decoder, data.x, data.c, g.sel(graph_input="learned").values, o, 5, 3)
    np.testing.assert_allclose(ds["ar_cig"].sel(graph_input="learned").values, direct)
    # the empty graph cuts every cross-node route
    off = ~np.eye(len(panel.nodes), dtype=bool)
    assert (ds["ar_cig"].sel(graph_input="empty").values[off] == 0).all()
    assert len(run_checks(ds)) > 0  # the review checks read the table


def test_without_truth_and_with_a_panel(tiny):
    _, panel, _, arms = tiny
    ds = graph_swap(arms[0], panel, None, horizon=3)
    assert "oracle" not in ds["graph_input"].values
    assert {"empty", "full", "random"} <= set(ds["graph_input"].values.tolist())
    nap = ds["graph_swap"].sel(metric=["cig_nauprc", "ar_cig_nauprc"])
    assert np.isnan(nap.values).all()
    assert np.isfinite(ds["graph_swap"].sel(metric=METRICS[:2]).values).all()
    sel = ds["input_graph"].sel(graph_input="selected").values
    assert ds["input_graph"].sel(graph_input="random").sum() == max(sel.sum(), 1)


def test_seed_ensemble_adds_chain(tiny):
    sim, panel, _, arms = tiny
    ds = graph_swap(arms, panel, sim.truth["graph"], horizon=3)
    assert ds["graph_swap"].dims == ("chain", "graph_input", "metric")
    assert ds["ar_cig"].dims == ("chain", "graph_input", "source", "target")
    assert ds["seed"].values.tolist() == [0, 1]
    # fixed-seed random graph at the oracle's density: identical for every chain
    r = ds["input_graph"].sel(graph_input="random")
    np.testing.assert_array_equal(r.isel(chain=0), r.isel(chain=1))


def test_swap_graphs_density_fallbacks():
    cand = np.ones((4, 4), bool) & ~np.eye(4, dtype=bool)

    class Arm:
        learned_graph, selection = None, None

        @staticmethod
        def graph_input():
            return np.zeros((4, 4))

    g = swap_graphs(Arm(), cand)
    assert list(g) == ["empty", "full", "random"] and g["random"].sum() == 1  # at least one edge
    a, b = swap_graphs(Arm(), cand, np.eye(4, k=1), seed=3), swap_graphs(Arm(), cand, np.eye(4, k=1), seed=3)
    np.testing.assert_array_equal(a["random"], b["random"])


def test_oracle_input_beats_random_input_on_sparse_target():
    """AR-CIG nAUPRC of the oracle arm's frozen decoder: oracle input >> random input.

    Tolerance. With a graph-safe decoder, AR-CIG is exactly zero for every pair the input graph
    does not connect within H steps, so the oracle input ranks the true edges above all absent
    ones unless an indirect (channel -> mediator -> target) path outranks a true edge. At this
    size it gave nAUPRC 1.0 on 10 of 10 simulator seeds (and already after one epoch: this part
    is structural). The same-density random input can only score through its chance overlap
    with the truth: over 10 simulator seeds x 5 random-graph seeds it ranged from -0.02 to 0.50.
    We require oracle >= 0.9 and a gap >= 0.3, the review checks' "graph is used" threshold
    (GRAPH_USE_PASS_GAP); all 50 combinations passed it by >= 0.2. The part that needs training
    is the forecast: oracle MSE@7 <= empty-graph MSE@7 held on 10 of 10 seeds after 15 epochs but
    failed on 3 of 4 after one epoch. CPU training is seeded, so the run is deterministic.
    """
    sim = sparse_target(n_series=24, n_periods=52, seed=1)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    arm = fit_arm(
        panel,
        ModelConfig(arm="oracle", hidden_size=16),
        TrainerConfig(epochs_stage2=15, batch_size=16),
        seed=0,
        oracle=sim.truth["graph"],
        progressbar=False,
    )
    ds = graph_swap(arm, panel, sim.truth["graph"], horizon=7, seed=0)
    table = ds["graph_swap"]
    oracle = float(table.sel(graph_input="oracle", metric="ar_cig_nauprc"))
    random = float(table.sel(graph_input="random", metric="ar_cig_nauprc"))
    assert oracle >= 0.9
    assert oracle - random >= 0.3
    # and the oracle input forecasts at least as well as the empty graph
    mse = table.sel(metric="mse_all@7")
    assert float(mse.sel(graph_input="oracle")) <= float(mse.sel(graph_input="empty"))
