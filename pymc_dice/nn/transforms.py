"""The stage-1 input space: standardised log-deviations of each series from its own level."""

from __future__ import annotations

import torch
from torch import nn


class LogDeviation(nn.Module):
    """``u = (log(x + eps * m) - mean_t log(x + eps * m)) / scale`` per series and node.

    ``m`` is the series' own mean over the window given, so the per-series level (geo size)
    drops out and a multiplicative shared budget factor becomes additive: co-moving channels
    then differ by their idiosyncratic log-spend, which a graph-mediated decoder can use.
    ``scale`` (a buffer, one value per node) is fitted once on the training window and saved
    with the model.

    Examples
    --------
    >>> x = torch.rand(3, 20, 4) + 0.5
    >>> t = LogDeviation.fit(x)
    >>> u = t(x)
    >>> u.shape, bool(u.mean(1).abs().max() < 1e-5)
    (torch.Size([3, 20, 4]), True)
    >>> torch.allclose(t(2.0 * x), u, atol=1e-5)  # invariant to a series' level
    True
    >>> torch.equal(t.forward(x), t.deviation(x) / t.scale)
    True
    >>> bool(t.forward(x, window=6)[:, :6].mean(1).abs().max() < 1e-5)  # centred on the window
    True
    """

    def __init__(self, n_nodes: int, eps: float = 0.1):
        super().__init__()
        self.eps = eps
        self.register_buffer("scale", torch.ones(n_nodes))

    @classmethod
    def fit(cls, x_train: torch.Tensor, eps: float = 0.1) -> LogDeviation:
        """Fit the per-node scale on training values ``[S, T, N]``."""
        t = cls(x_train.shape[-1], eps).to(x_train.device)
        with torch.no_grad():
            t.scale.copy_(t.deviation(x_train).std(dim=(0, 1)).clamp_min(1e-6))
        return t

    def deviation(self, x: torch.Tensor, window: int | None = None) -> torch.Tensor:
        """Unscaled log-deviations; the level is taken over the first ``window`` dates."""
        w = x[:, :window] if window is not None else x
        level = w.abs().mean(1, keepdim=True)
        logx = torch.log(x.clamp_min(0) + self.eps * level + 1e-8)
        return logx - logx[:, :window].mean(1, keepdim=True)

    def forward(self, x: torch.Tensor, window: int | None = None) -> torch.Tensor:
        """Standardised log-deviations ``[S, T, N]`` (statistics over ``x[:, :window]``)."""
        return self.deviation(x, window) / self.scale


class Stage1Encoder(nn.Module):
    """An edge encoder that reads its input through :class:`LogDeviation`.

    Examples
    --------
    >>> from pymc_dice.nn.encoder import GraphEncoder
    >>> x = torch.rand(2, 12, 3) + 0.5
    >>> candidates = ~torch.eye(3, dtype=torch.bool)
    >>> enc = Stage1Encoder(LogDeviation.fit(x), GraphEncoder(3, candidates, hidden=8, max_lag=2))
    >>> enc.forward(x).shape, torch.equal(enc.candidates, candidates)
    (torch.Size([2, 3, 3]), True)
    >>> torch.allclose(enc.forward(3.0 * x), enc.forward(x), atol=1e-5)  # level-free logits
    True
    """

    def __init__(self, transform: LogDeviation, encoder: nn.Module):
        super().__init__()
        self.transform = transform
        self.encoder = encoder

    @property
    def candidates(self) -> torch.Tensor:
        """Candidate-edge mask of the wrapped encoder."""
        return self.encoder.candidates

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Edge logits ``[B, N, N]`` from scaled values ``x: [B, T, N]``."""
        return self.encoder(self.transform(x))
