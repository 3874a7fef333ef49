"""The two-stage trainer and the comparison arms."""

import copy
import sys

import numpy as np
import pytest
import torch
from pydantic import ValidationError
from sklearn.metrics import roc_auc_score

import pymc_dice.train as train_mod
from pymc_dice.arms import arm_spec
from pymc_dice.config import ARMS, ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles
from pymc_dice.simulate import sparse_target
from pymc_dice.train import fit_arm, fit_ensemble

FAST = TrainerConfig(epochs_stage1=4, epochs_stage2=4, eval_every=2, progressbar=False)


def gru(arm: str, **kw) -> ModelConfig:
    """The arm with the paper's GRU stage 2 (what the epoch-loop tests below train)."""
    choice = {"decoder": "graph-safe"} if arm_spec(arm).decoder_choices else {}
    return ModelConfig(arm=arm, **choice, **kw)


@pytest.fixture(scope="module")
def small():
    sim = sparse_target(n_series=12, n_periods=48, seed=0)
    return sim, Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)


def test_unknown_config_keys_get_a_did_you_mean_hint():
    with pytest.raises(ValidationError, match="Did you mean 'epochs_stage1'"):
        TrainerConfig(epoch_stage1=3)
    with pytest.raises(ValidationError, match="arm"):
        ModelConfig(arm="dice-medium")


@pytest.mark.parametrize("arm", ARMS)
def test_every_arm_trains_and_deploys_a_graph(small, arm):
    sim, panel = small
    fit = fit_arm(panel, gru(arm, hidden_size=8), FAST, oracle=sim.truth["graph"])
    assert np.isfinite(fit.history["stage2"]["best_val_mse"])
    g = fit.graph_input()
    assert g.shape == (8, 8)
    assert np.all(g[~fit.candidates] == 0)  # never an edge outside the candidates
    if arm in ("dice-hard", "dice-soft", "causalmmm"):
        assert fit.edge_prob.shape == (12, 8, 8)


def test_cpu_training_is_reproducible(small):
    _, panel = small
    fast = FAST.updated(max_iter=40)  # bit-identity, not convergence, is under test
    a = fit_arm(panel, ModelConfig(arm="dice-hard", hidden_size=8), fast, seed=3)
    b = fit_arm(panel, ModelConfig(arm="dice-hard", hidden_size=8), fast, seed=3)
    assert a.history["stage2"]["loss"] == b.history["stage2"]["loss"]
    np.testing.assert_array_equal(a.edge_prob, b.edge_prob)


def test_stage2_leaves_every_encoder_parameter_bit_identical(small, monkeypatch):
    _, panel = small
    snapshots = []
    original = train_mod.edge_probabilities

    def spy(encoder, data):  # the last call before stage 2 sees the final stage-1 encoder
        snapshots.append(copy.deepcopy(encoder.state_dict()))
        return original(encoder, data)

    monkeypatch.setattr(train_mod, "edge_probabilities", spy)
    fit = fit_arm(panel, gru("dice-soft", hidden_size=8), FAST.updated(epochs_stage2=6))
    after = fit.encoder.state_dict()
    assert fit.history["stage2"]["epochs_run"] == 6  # stage 2 really trained
    for name, value in snapshots[-1].items():
        assert torch.equal(value, after[name]), name


def test_ctrl_c_keeps_best_weights_and_stops(small, monkeypatch):
    _, panel = small
    calls = {"n": 0}
    original = train_mod._masked_mse

    def interrupt_later(*args):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(train_mod, "_masked_mse", interrupt_later)
    fit = fit_arm(panel, ModelConfig(arm="nograph", hidden_size=8), FAST.updated(epochs_stage2=50))
    assert fit.interrupted
    assert fit.history["stage2"]["epochs_run"] < 50
    assert np.isfinite(fit.history["stage2"]["best_val_mse"])


def test_ensemble_builds_data_once_and_differs_by_seed(small, monkeypatch):
    sim, panel = small
    built = {"n": 0}
    original = train_mod.PanelTensors.from_panel.__func__

    def counting(cls, *a, **k):
        built["n"] += 1
        return original(cls, *a, **k)

    monkeypatch.setattr(train_mod.PanelTensors, "from_panel", classmethod(counting))
    fits = fit_ensemble(
        panel,
        ModelConfig(arm="oracle", hidden_size=8),
        FAST,
        seeds=(0, 1),
        oracle=sim.truth["graph"],
    )
    assert built["n"] == 1
    assert fits[0].history["stage2"]["loss"] != fits[1].history["stage2"]["loss"]


@pytest.mark.slow  # statistical: two 40-epoch fits at 32 x 60
def test_oracle_arm_forecasts_no_worse_than_nograph():
    """Measured on these seeds: oracle val MSE@7 0.009 vs nograph 0.020-0.022 (ratio ~0.45).
    The assertion only asks oracle <= nograph, a wide margin against seed noise."""
    sim = sparse_target(n_series=32, n_periods=60, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    cfg = TrainerConfig(epochs_stage2=40, eval_every=2, progressbar=False)
    mse = {
        arm: fit_arm(
            panel, ModelConfig(arm=arm, hidden_size=16), cfg, oracle=sim.truth["graph"]
        ).history["stage2"]["best_val_mse"]
        for arm in ("oracle", "nograph")
    }
    assert mse["oracle"] <= mse["nograph"]


@pytest.mark.slow
def test_stage1_puts_more_probability_on_true_edges():
    """Edge-probability AUROC of the stage-1 restricted decoder, mean over three seeds.

    With independent channels (comovement 0) and 64 series we measured AUROC 0.75, 0.85 and
    0.94 (mean 0.85); the assertion asks for a mean above 0.8. At the preset's co-movement of
    0.99 the channels are nearly collinear and stage 1 does not recover the graph (AUROC
    0.3-0.45 at 96 series): that is the graph-support selection bottleneck, not asserted here.
    """
    aucs = []
    for seed in (0, 1, 2):
        sim = sparse_target(n_series=64, n_periods=104, seed=seed, comovement=0.0)
        panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
        fit = fit_arm(
            panel,
            ModelConfig(arm="dice-hard", encoder="global"),
            TrainerConfig(epochs_stage1=60, epochs_stage2=1, progressbar=False),
            seed=seed,
        )
        truth = sim.truth["graph"].values
        aucs.append(roc_auc_score(truth[fit.candidates], fit.learned_graph[fit.candidates]))
    assert np.mean(aucs) > 0.8, aucs


@pytest.mark.parametrize("arm", ["dice-hard", "dice-soft"])
def test_structural_arms_fit_by_map_with_posterior_draws(small, arm):
    sim, panel = small
    fit = fit_arm(panel, ModelConfig(arm=arm), FAST.updated(max_iter=20), n_draws=3)
    assert fit.history["stage2"]["n_iter"] > 0 and np.isfinite(fit.history["stage2"]["loss"])
    assert all(v.shape[0] == 3 for v in fit.param_draws.values())
    g = fit.graph_input()
    assert np.all(g[~fit.candidates] == 0)
    # every channel keeps a path to the target (the channel-path guard)
    reach = g.astype(bool)
    for _ in range(len(g)):
        reach = reach | (reach.astype(int) @ g.astype(int) > 0)
    assert reach[: panel.n_channels, -1].all()


def test_an_epoch_without_validation_makes_no_host_sync(small, monkeypatch):
    """Losses are accumulated on the device: between two validations the loop never moves a
    value to the host (Tensor.item / .cpu / .tolist / .numpy / float()), so a GPU never waits
    on it; the history is transferred once, at validation and at the end."""
    _, panel = small
    counts = {"n": 0}
    names = ("item", "cpu", "tolist", "numpy", "__float__")
    originals = {n: getattr(torch.Tensor, n) for n in names}

    def counting(name):
        def wrapper(self, *args, **kwargs):
            # count the loop's own transfers (optimiser internals keep their step counters
            # on the CPU, so their .item() never waits on a device)
            if sys._getframe(1).f_code.co_filename == train_mod.__file__:
                counts["n"] += 1
            return originals[name](self, *args, **kwargs)

        return wrapper

    calls = {"validate": 0}

    def fake_validate():
        calls["validate"] += 1
        return 1.0 / calls["validate"]  # improving: no early stop

    data = train_mod.PanelTensors.from_panel(panel, 4, torch.device("cpu"))
    dec = train_mod.build_modules(gru("nograph", hidden_size=8), 8, 2, data.candidates)[0]
    graph = torch.ones(8, 8)

    def batch_loss(idx):
        return train_mod._masked_mse(dec(data.x_train[idx], data.c_train[idx], graph),
                                     data.x_train[idx, 1:], data.n_channels)  # fmt: skip

    for n in names:
        monkeypatch.setattr(torch.Tensor, n, counting(n))
    epochs = 6
    cfg = FAST.updated(eval_every=100, batch_size=4)  # 3 batches per epoch, validate twice
    hist = train_mod._optimise(list(dec.parameters()), batch_loss, fake_validate, [dec],
                               data.x_train.shape[0], epochs, cfg, np.random.default_rng(0),
                               "test", False)  # fmt: skip
    for n in names:
        monkeypatch.setattr(torch.Tensor, n, originals[n])
    assert hist["epochs_run"] == epochs and calls["validate"] == 2
    # one history transfer per validation and one at the end: fewer syncs than epochs,
    # and far fewer than the 3 per epoch (18) a per-batch .cpu() made
    assert counts["n"] <= epochs, counts
