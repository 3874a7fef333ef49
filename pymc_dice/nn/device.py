"""Device placement and precision of the training loops: pinned host-to-GPU transfers, and
bfloat16 autocast / ``torch.compile`` of the neural training loops' batch loss
(``TrainerConfig.autocast`` / ``TrainerConfig.compile``; docs/scaling.md)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

__all__ = ["precision_wrapped", "to_device"]


def to_device(values: np.ndarray, device: torch.device, dtype=torch.float32) -> torch.Tensor:
    """``values`` as a ``dtype`` tensor on ``device``; to a GPU through pinned (page-locked)
    host memory with a non-blocking copy, so the transfer overlaps the host's work.

    Examples
    --------
    >>> to_device(np.ones((2, 3)), torch.device("cpu")).dtype
    torch.float32
    """
    tensor = torch.as_tensor(values, dtype=dtype)
    if device.type != "cuda":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def precision_wrapped(batch_loss: Callable, cfg, device: torch.device) -> Callable:
    """``batch_loss`` under the trainer's ``autocast`` (bfloat16 forward passes, the loss
    returned in float32) and ``compile`` (``torch.compile`` with dynamic batch sizes).

    Examples
    --------
    >>> from pymc_dice.config import TrainerConfig
    >>> lin = torch.nn.Linear(3, 1)
    >>> fn = precision_wrapped(lambda idx: lin(torch.ones(len(idx), 3)).square().mean(),
    ...                        TrainerConfig(autocast="bf16"), torch.device("cpu"))
    >>> fn(torch.arange(4)).dtype
    torch.float32
    """
    fn = batch_loss
    if cfg.compile:
        fn = torch.compile(fn, dynamic=True)
    if cfg.autocast == "off":
        return fn

    def autocast_loss(idx):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = fn(idx)
        return loss.float()

    return autocast_loss
