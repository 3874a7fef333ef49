"""The default DiceMMM on a CUDA device (skipped without one): a fit there, and
contributions there matching the CPU's. ``benchmarks/gpu.sh`` runs these."""

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import geo_panel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

TRAINER = {"max_iter": 30, "epochs_stage1": 3, "horizon": 2, "progressbar": False}


def fit(device):
    sim = geo_panel(n_geos=6, n_periods=52, n_channels=2, n_mediators=1, seed=0)
    mmm = DiceMMM(**sim.column_kwargs(), trainer_config={**TRAINER, "device": device})
    return mmm, mmm.fit(sim.df, progressbar=False, random_seed=0, draws=8)


def test_fit_on_cuda_has_the_cpu_layout_and_finite_results():
    mmm, idata = fit("cuda")
    assert mmm.ensemble_.device.type == "cuda"
    _, idata_cpu = fit("cpu")
    post, post_cpu = idata["posterior"].dataset, idata_cpu["posterior"].dataset
    assert dict(post.sizes) == dict(post_cpu.sizes)
    for name in post.data_vars:
        assert np.isfinite(post[name].values).all(), name


def test_contributions_on_cuda_match_the_cpu():
    mmm, _ = fit("cpu")
    ens = mmm.ensemble_
    y_cpu, contrib_cpu = ens.contributions()
    arms = []
    for arm in ens.arms:  # the same fitted arms, moved to the GPU
        arm = copy.deepcopy(arm)
        arm.decoder = arm.decoder.to("cuda")
        arm.param_draws = {k: v.to("cuda") for k, v in arm.param_draws.items()}
        arms.append(arm)
    y, contrib = replace(ens, arms=arms).contributions()
    # float64 on both devices; CUDA kernels sum in other orders: 1e-5 (scaled units ~1)
    np.testing.assert_allclose(y, y_cpu, rtol=0, atol=1e-5)
    np.testing.assert_allclose(contrib, contrib_cpu, rtol=0, atol=1e-5)
