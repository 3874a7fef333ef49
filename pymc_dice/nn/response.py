"""What a fitted :class:`~pymc_dice.nn.structural.StructuralDecoder` implies: closed-loop
counterfactual paths, channel contributions, response curves (saturation and carryover per
edge) and each edge's mean effect size; and the closed-loop predictions of any decoder from a
teacher-forced history (:func:`closed_loop`). See ``docs/structural.md``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.structural import StructuralDecoder

__all__ = [
    "carryover_weights",
    "channel_contributions",
    "closed_loop",
    "counterfactual_paths",
    "edge_effect_sizes",
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


def edge_effect_sizes(dec: StructuralDecoder, x, graph, *, series=None) -> torch.Tensor:
    """Mean effect of every edge as a share of its target node's mean level, per series:
    ``[B, N_src, N_tgt]``.

    Entry ``[s, j, i]`` is ``mean_t A_ji beta_ji sat_ji(adstock_ji(u_j))(t) / mean_t u_i(t)``
    with ``u = x / scale`` the series' values in the decoder's own relative units (each node
    divided by its series max), so the share does not depend on the series' size. Zero on
    edges the graph ``[N, N]`` switches off and on edges the model never uses. The mean over
    series is the edge's effect size; its draws give the posterior of the effect
    (:meth:`pymc_dice.ensemble.FittedEnsemble.edge_inclusion`).

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=1, max_lag=2)
    >>> x = torch.rand(2, 10, 3)
    >>> size = edge_effect_sizes(dec, x, torch.ones(3, 3), series=[0, 0])
    >>> size.shape, bool((size >= 0).all()), bool((size[:, :, 0] == 0).all())
    (torch.Size([2, 3, 3]), True, True)
    >>> bool((edge_effect_sizes(dec, x, torch.zeros(3, 3), series=[0, 0]) == 0).all())
    True
    """
    b = x.shape[0]
    idx = dec.series_index(b, series, x.device)
    u = torch.nan_to_num(x) / dec.row_scale(idx).to(x.dtype)[:, None]  # [B, T, N]
    padded = F.pad(u, (0, 0, dec.max_lag, 0))
    lagged = padded.unfold(1, dec.max_lag + 1, 1).flip(-1).transpose(-1, -2)  # [B, T, L+1, N]
    effect = dec.edge_effect(lagged).mean(1)  # [B, N, N], every date at once
    level = u.mean(1).abs().clamp_min(1e-12)[:, None, :]  # [B, 1, N]: the target's mean level
    return effect * (graph * dec.allowed).to(effect.dtype) / level


def closed_loop(decoder, x, c, graph, start: int, horizon: int, n_channels: int, row_chunk: int):
    """Predictions ``[B, horizon, N]`` of dates ``start + 1 .. start + horizon`` of any
    decoder: teacher forcing up to ``start``, then :func:`~pymc_dice.nn.decoders.rollout`,
    ``row_chunk`` rows at a time (``graph``: ``[B, N, N]``).

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=1, max_lag=2)
    >>> x, c, g = torch.rand(3, 8, 3), torch.rand(3, 8, 1), torch.ones(3, 3, 3)
    >>> closed_loop(dec, x, c, g, start=4, horizon=3, n_channels=1, row_chunk=2).shape
    torch.Size([3, 3, 3])
    """
    out = []
    origin = torch.as_tensor([start], device=x.device)
    with torch.no_grad():
        for lo in range(0, x.shape[0], row_chunk):
            sl = slice(lo, lo + row_chunk)
            xb, cb, gb = x[sl], c[sl], graph[sl]
            _, states = decoder(xb[:, : start + 1], cb[:, : start + 1], gb, return_states=True)
            pred = rollout(decoder, xb, cb, gb, origin, horizon, n_channels, states=states)
            out.append(pred[:, 0])
    return torch.cat(out, 0)
