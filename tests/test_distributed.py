"""Seeds as Ray tasks (``TrainerConfig(executor="ray")``): the same results as in process,
a clear error without Ray, and the trainer settings that drive it."""

import builtins

import numpy as np
import pytest

from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.distributed import TorchSettings, fit_seeds_ray, import_ray
from pymc_dice.exceptions import ConfigError
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import geo_panel

# The default model (structural decoder, dice-hard with stage 1 on the mediators), kept tiny:
# 4 geos x 40 weeks, 2 channels, 1 mediator, few iterations. Two seeds on two CPUs.
TRAINER = {
    "n_seeds": 2,
    "epochs_stage1": 2,
    "max_iter": 20,
    "horizon": 2,
    "progressbar": False,
}


@pytest.fixture(scope="module")
def panel_df():
    sim = geo_panel(n_geos=4, n_periods=40, n_channels=2, n_mediators=1, seed=0)
    return sim.df, sim.column_kwargs()


def fit(df, columns, executor):
    mmm = DiceMMM(**columns, trainer_config={**TRAINER, "executor": executor})
    return mmm.fit(df, progressbar=False, random_seed=7, draws=4)


def test_ray_fit_equals_in_process_fit(panel_df):
    ray = pytest.importorskip("ray")
    df, columns = panel_df
    local = fit(df, columns, "local")
    remote = fit(df, columns, "ray")
    assert not ray.is_initialized()  # the local Ray this fit started is shut down again
    post_l, post_r = local["posterior"].dataset, remote["posterior"].dataset
    assert sorted(post_l.data_vars) == sorted(post_r.data_vars)
    for name in post_l.data_vars:  # bit for bit: same seeds, same torch settings per task
        assert np.array_equal(post_l[name].values, post_r[name].values, equal_nan=True), name
    ll_l = local["log_likelihood"].dataset["y"].values
    assert np.array_equal(ll_l, remote["log_likelihood"].dataset["y"].values)


def test_missing_ray_is_a_config_error_with_the_install_hint(monkeypatch):
    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ConfigError, match=r'pip install "pymc-dice\[ray\]"'):
        import_ray()
    with pytest.raises(ConfigError, match="executor"):
        fit_seeds_ray(None, None, ModelConfig(), TrainerConfig(executor="ray"))


def test_trainer_settings_validate():
    cfg = TrainerConfig(executor="ray", ray_address="ray://head:10001", ray_num_gpus=0.25)
    assert (cfg.executor, cfg.ray_address, cfg.ray_num_gpus) == ("ray", "ray://head:10001", 0.25)
    with pytest.raises(ValueError, match="executor"):
        TrainerConfig(executor="dask")
    with pytest.raises(ValueError, match="ray_num_gpus"):
        TrainerConfig(ray_num_gpus=-1)


def test_torch_settings_round_trip():
    import torch

    before = TorchSettings.current()
    try:
        TorchSettings(1, True).apply()
        assert TorchSettings.current() == TorchSettings(1, True)
    finally:
        before.apply()
    assert torch.get_num_threads() == before.num_threads
