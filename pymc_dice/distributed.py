"""The seeds of an ensemble fitted as parallel Ray tasks (``TrainerConfig(executor="ray")``).

Each seed (one ``chain`` of the results) is one Ray task running
:func:`pymc_dice.train.fit_arm` on the same panel, with the torch settings of the calling
process (intra-op threads, deterministic algorithms), so a fit through Ray gives the same
numbers as the in-process fit for the same seeds. Without ``ray_address`` a local Ray is
started on the available CPUs and shut down when the fit is over; a cluster given by address
(or a Ray already running in this process) is used and left running. See docs/scaling.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from pymc_dice.arms import TrainedArm, prepare_panel, resolve_device
from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.data import Panel
from pymc_dice.ensemble import PanelTensors
from pymc_dice.exceptions import ConfigError

__all__ = ["TorchSettings", "available_cpus", "fit_seeds_ray", "import_ray"]

RAY_HINT = 'install Ray with: pip install "pymc-dice[ray]"'


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`~pymc_dice.exceptions.ConfigError` with the install
    hint when it is missing.

    Examples
    --------
    >>> hasattr(import_ray(), "remote")  # ray is in the ".[ray]" extra, installed for the tests
    True
    """
    try:
        import ray
    except ImportError as err:
        raise ConfigError(
            f'trainer_config executor="ray" needs the ray package, which is not installed: '
            f'{RAY_HINT}, or use executor="local"'
        ) from err
    return ray


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one).

    Examples
    --------
    >>> available_cpus() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class TorchSettings:
    """The torch settings that decide a fit's numbers, carried from the caller to each task.

    Examples
    --------
    >>> s = TorchSettings.current()
    >>> s.apply()
    >>> s == TorchSettings.current()
    True
    """

    num_threads: int
    deterministic: bool

    @classmethod
    def current(cls) -> TorchSettings:
        """The settings of this process."""
        return cls(torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())

    def apply(self) -> None:
        """Set them in this process."""
        torch.set_num_threads(self.num_threads)
        torch.use_deterministic_algorithms(self.deterministic)


def _fit_one(fit_arm, panel, mcfg, tcfg, seed, oracle, n_draws, settings) -> TrainedArm:
    """One seed inside a Ray task (the panel is already prepared for the arm)."""
    settings.apply()
    data = PanelTensors.from_panel(panel, tcfg.horizon, resolve_device(tcfg.device))
    arm = fit_arm(
        panel, mcfg, tcfg, seed=seed, oracle=oracle, data=data, progressbar=False, n_draws=n_draws
    )
    return arm


def fit_seeds_ray(
    fit_arm: Callable[..., TrainedArm],
    panel: Panel,
    model_config: ModelConfig | None = None,
    trainer_config: TrainerConfig | None = None,
    *,
    seeds: Sequence[int] = (0,),
    oracle=None,
    n_draws: int = 50,
    num_cpus: int | None = None,
) -> list[TrainedArm]:
    """:func:`pymc_dice.train.fit_ensemble` with one Ray task per seed; arms in seed order.

    ``fit_arm`` is :func:`pymc_dice.train.fit_arm` (passed in by the trainer, which calls
    this function), run in each task on the prepared panel.

    ``trainer_config.ray_address`` names a running cluster (left running); without it a Ray
    already started in this process is used, else a local one is started on ``num_cpus``
    (default: the available CPUs) and shut down on return. Each task asks for one CPU and
    ``ray_num_gpus`` GPUs, and runs with this process's torch threads and determinism
    (:class:`TorchSettings`), so its arm equals the in-process one; progress bars are off in
    the tasks.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> from pymc_dice.train import fit_arm
    >>> arms = fit_seeds_ray(fit_arm, panel, ModelConfig(arm="nograph", hidden_size=4),
    ...                      TrainerConfig(epochs_stage2=1, horizon=2), seeds=(3, 1),
    ...                      num_cpus=2)  # doctest: +SKIP
    >>> [a.seed for a in arms]  # doctest: +SKIP
    [3, 1]
    """
    ray = import_ray()
    mcfg = model_config or ModelConfig()
    tcfg = trainer_config or TrainerConfig()
    panel = prepare_panel(panel, mcfg)
    started = False
    if tcfg.ray_address is not None:
        if not ray.is_initialized():
            ray.init(address=tcfg.ray_address, log_to_driver=False)
    elif not ray.is_initialized():
        ray.init(
            num_cpus=num_cpus or available_cpus(),
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": _worker_env()},
        )
        started = True
    try:
        task = ray.remote(num_cpus=1, num_gpus=tcfg.ray_num_gpus)(_fit_one)
        panel_ref = ray.put(panel)
        settings = TorchSettings.current()
        refs = [
            task.remote(fit_arm, panel_ref, mcfg, tcfg, int(s), oracle, n_draws, settings)
            for s in seeds
        ]
        return list(ray.get(refs))
    finally:
        if started:
            ray.shutdown()


def _worker_env() -> dict[str, str]:
    """Environment of local Ray workers: this process's import path, so they import the same
    ``pymc_dice``."""
    import pymc_dice

    root = os.path.dirname(os.path.dirname(os.path.abspath(pymc_dice.__file__)))
    path = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join(p for p in (root, path) if p)}
