"""What a fitted :class:`~pymc_dice.nn.structural.StructuralDecoder` implies: closed-loop
counterfactual paths, channel contributions and response curves (saturation and carryover per
edge). See ``docs/structural.md``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.structural import StructuralDecoder

__all__ = [
    "carryover_weights",
    "channel_contributions",
    "counterfactual_paths",
    "saturation_curves",
]


def counterfactual_paths(dec: StructuralDecoder, x, c, graph, *, series=None) -> torch.Tensor:
    """Closed-loop paths ``[K + 1, B, T, N]`` of every node from zero history over all ``T``
    dates: path 0 with the actual channels, path ``k + 1`` with channel ``k`` set to zero on
    every date (mediators and own lags fed back by :func:`~pymc_dice.nn.decoders.rollout`).

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=2, max_lag=2)
    >>> x, c = torch.rand(2, 6, 3), torch.rand(2, 6, 1)
    >>> paths = counterfactual_paths(dec, x, c, torch.ones(3, 3), series=[0, 0])
    >>> paths.shape, bool((paths[0, ..., -1] >= paths[1:, ..., -1]).all())
    (torch.Size([3, 2, 6, 3]), True)
    """
    b, t_len, n = x.shape
    k = dec.n_channels
    idx = dec.series_index(b, series, x.device)
    keep = torch.ones(k + 1, 1, 1, n, dtype=x.dtype, device=x.device)
    keep[1:, 0, 0, :k] -= torch.eye(k, dtype=x.dtype, device=x.device)
    xs = F.pad((x.unsqueeze(0) * keep).reshape((k + 1) * b, t_len, n), (0, 0, 1, 0))
    cs = F.pad(c, (0, 0, 1, 0)).repeat(k + 1, 1, 1)
    g = graph if graph.dim() == 2 else graph.repeat(k + 1, 1, 1)
    states = dec.init_state((k + 1) * b, xs, series=idx.repeat(k + 1)).unsqueeze(1)
    origin = torch.zeros(1, dtype=torch.long, device=x.device)
    out = rollout(dec, xs, cs, g, origin, t_len, k, states=states)
    return out.reshape(k + 1, b, t_len, n)


def channel_contributions(dec: StructuralDecoder, x, c, graph, *, series=None) -> torch.Tensor:
    """Closed-loop contribution of each channel to each node, ``[B, T, K, N]``.

    Prediction with the actual channels minus the prediction with channel ``k`` set to zero
    on every date, both rolled out from zero history over all ``T`` dates with
    :func:`~pymc_dice.nn.decoders.rollout` (mediators and own lags fed back, so the long-run
    multiplier of ``rho`` and of mediator paths is included). Channel columns are zero.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=2, max_lag=2)
    >>> x, c = torch.rand(2, 6, 3), torch.rand(2, 6, 1)
    >>> out = channel_contributions(dec, x, c, torch.ones(3, 3), series=[0, 0])
    >>> out.shape, bool((out >= 0).all())
    (torch.Size([2, 6, 2, 3]), True)
    """
    out = counterfactual_paths(dec, x, c, graph, series=series)
    contrib = (out[:1] - out[1:]).permute(1, 2, 0, 3)
    return contrib * dec.scored.to(x.dtype)


def saturation_curves(dec: StructuralDecoder, spend_grid: torch.Tensor) -> torch.Tensor:
    """``beta_ji * sat_ji(grid)`` per edge over a grid of adstocked values (scaled units):
    ``[N_src, N_tgt, G]``, zero on edges the model never uses (into channels, self-edges).

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=1)
    >>> curves = saturation_curves(dec, torch.linspace(0, 1, 5))
    >>> curves.shape, bool((curves[..., 0] == 0).all()), bool((curves.diff(dim=-1) >= 0).all())
    (torch.Size([3, 3, 5]), True, True)
    """
    a = spend_grid.to(dec.beta_raw.dtype).reshape(-1, 1, 1)
    out = dec.beta() * dec.allowed * dec.saturate(a)
    return out.permute(1, 2, 0)


def carryover_weights(dec: StructuralDecoder) -> torch.Tensor:
    """Lag weights ``[N, N, L + 1]`` per edge on a common lag axis ``0..L``: ``[..., l]`` is
    lag ``l`` (a same-period edge's last and any other edge's lag 0 are zero).

    Examples
    --------
    >>> w = carryover_weights(StructuralDecoder(3, 0, n_channels=1, max_lag=4))
    >>> w.shape, bool(torch.allclose(w.sum(-1), torch.ones(3, 3))), bool(w[1, 2, 0] == 0)
    (torch.Size([3, 3, 5]), True, True)
    """
    return dec.edge_weights()
