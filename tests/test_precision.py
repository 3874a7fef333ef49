"""Mixed precision and compilation of the neural training loops (TrainerConfig.autocast /
TrainerConfig.compile) and the device transfer of the panel tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pymc_dice.config import TrainerConfig
from pymc_dice.nn.device import precision_wrapped, to_device


def _loss_recording(seen: list):
    torch.manual_seed(0)  # the same weights on every call
    lin = torch.nn.Linear(3, 1)

    def batch_loss(idx):
        out = lin(torch.linspace(0, 1, 3 * len(idx)).reshape(len(idx), 3))
        seen.append(out.dtype)
        return out.square().mean()

    return batch_loss


def test_bf16_autocast_runs_the_forward_pass_in_bfloat16_and_returns_float32():
    seen: list = []
    fn = precision_wrapped(
        _loss_recording(seen), TrainerConfig(autocast="bf16"), torch.device("cpu")
    )
    loss = fn(torch.arange(4))
    assert seen == [torch.bfloat16]  # the layer really ran in bfloat16
    assert loss.dtype == torch.float32 and torch.isfinite(loss)


def test_autocast_off_leaves_the_loss_untouched():
    seen: list = []
    batch_loss = _loss_recording(seen)
    fn = precision_wrapped(batch_loss, TrainerConfig(), torch.device("cpu"))
    assert fn is batch_loss


def test_a_neural_fit_under_bf16_autocast_trains():
    from pymc_dice import DiceMMM
    from pymc_dice.simulate import sparse_target

    sim = sparse_target(n_series=4, n_periods=40, seed=0)
    trainer = {"epochs_stage1": 3, "epochs_stage2": 3, "progressbar": False, "autocast": "bf16"}
    mmm = DiceMMM(**sim.column_kwargs(), model_config={"decoder": "graph-safe"},
                  trainer_config=trainer)  # fmt: skip
    mmm.fit(sim.df, random_seed=0)
    losses = mmm.arms_[0].history["stage2"]["loss"]
    assert len(losses) >= 1 and np.isfinite(losses).all()
    assert np.isfinite(mmm.idata.posterior["channel_contribution"].values).all()


@pytest.mark.slow
def test_compiled_batch_loss_equals_the_eager_one():
    # torch.compile traces the same float32 graph: fused kernels may reorder sums, so the
    # two agree to float32 rounding (1e-6 relative), not bit for bit
    eager = _loss_recording([])
    compiled = precision_wrapped(
        _loss_recording([]), TrainerConfig(compile=True), torch.device("cpu")
    )
    for n in (4, 3):  # a second batch size: dynamic shapes, no failure on the last batch
        a, b = eager(torch.arange(n)), compiled(torch.arange(n))
        torch.testing.assert_close(b, a, rtol=1e-6, atol=0)


def test_to_device_on_cpu_copies_to_float32():
    values = np.arange(6.0).reshape(2, 3)
    t = to_device(values, torch.device("cpu"))
    assert t.dtype == torch.float32 and t.device.type == "cpu"
    np.testing.assert_array_equal(t.numpy(), values)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_to_device_on_cuda_goes_through_pinned_memory():
    values = np.arange(6.0).reshape(2, 3)
    t = to_device(values, torch.device("cuda"))
    torch.cuda.synchronize()
    assert t.is_cuda
    np.testing.assert_array_equal(t.cpu().numpy(), values)
