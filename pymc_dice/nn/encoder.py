"""Stage-1 graph encoders, Gumbel-sigmoid edge sampling and the sparse Bernoulli prior."""

from __future__ import annotations

import math

import torch
from torch import nn


def gumbel_sigmoid(logits: torch.Tensor, tau: float, hard: bool, generator=None) -> torch.Tensor:
    """Sample relaxed Bernoulli edges (binary Gumbel-softmax) at temperature ``tau``.

    With ``hard=True`` the forward value is the binary sample and the gradient is the relaxed
    one (straight-through), the "DICE-hard" estimator.

    Examples
    --------
    >>> a = gumbel_sigmoid(torch.zeros(3, 3), tau=0.5, hard=True)
    >>> set(a.unique().tolist()) <= {0.0, 1.0}
    True
    """
    u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    u = u.clamp(1e-6, 1 - 1e-6)
    soft = torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / tau)
    if not hard:
        return soft
    return (soft > 0.5).to(soft.dtype) + (soft - soft.detach())  # exactly binary forward


def kl_bernoulli(prob: torch.Tensor, rate: float, mask: torch.Tensor) -> torch.Tensor:
    """KL( Bernoulli(prob) || Bernoulli(rate) ), summed over ``mask``ed edges and averaged
    over leading dims.

    Examples
    --------
    >>> m = torch.ones(2, 2, dtype=torch.bool)
    >>> abs(float(kl_bernoulli(torch.full((2, 2), 0.3), 0.3, m))) < 1e-6
    True
    """
    p = prob.clamp(1e-6, 1 - 1e-6)
    kl = p * (torch.log(p) - math.log(rate)) + (1 - p) * (torch.log1p(-p) - math.log1p(-rate))
    kl = torch.where(mask, kl, torch.zeros_like(kl))
    return kl.sum(dim=(-2, -1)).mean()


class GlobalLogits(nn.Module):
    """One learnable edge-logit matrix shared by every series (single-graph data).

    Examples
    --------
    >>> candidates = ~torch.eye(3, dtype=torch.bool)  # no self-loops
    >>> logits = GlobalLogits(3, candidates).forward(torch.zeros(2, 5, 3))
    >>> logits.shape, bool(logits.diagonal(dim1=1, dim2=2).isneginf().all())
    (torch.Size([2, 3, 3]), True)
    """

    def __init__(self, n_nodes: int, candidates: torch.Tensor, init: float = 0.0):
        super().__init__()
        self.register_buffer("candidates", candidates.bool())
        self.logits = nn.Parameter(torch.full((n_nodes, n_nodes), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, N, N]`` (non-candidates at -inf) for a batch ``x: [B, T, N]``."""
        logits = self.logits.masked_fill(~self.candidates, float("-inf"))
        return logits.expand(x.shape[0], -1, -1)


class GraphEncoder(nn.Module):
    """Amortized NRI-style encoder: edge logits per series from that series' history.

    Node embeddings come from a temporal convolution over each node's (differenced and raw)
    series, pooled over time, plus a learned node-identity embedding; two rounds of
    node -> edge -> node message passing (as in NRI) give one logit per ordered pair.
    Pair features also include lagged cross-correlations of the source's past with the
    target's present, the statistic a Granger graph is about.

    Examples
    --------
    >>> enc = GraphEncoder(3, ~torch.eye(3, dtype=torch.bool), hidden=8, max_lag=2)
    >>> x = torch.randn(2, 12, 3)
    >>> enc.lagged_correlation(x).shape  # [B, source, target, lag]
    torch.Size([2, 3, 3, 2])
    >>> logits = enc.forward(x)
    >>> logits.shape, bool(logits.diagonal(dim1=1, dim2=2).isneginf().all())
    (torch.Size([2, 3, 3]), True)
    """

    def __init__(
        self,
        n_nodes: int,
        candidates: torch.Tensor,
        hidden: int = 32,
        max_lag: int = 4,
        kernel: int = 5,
    ):
        super().__init__()
        self.n_nodes = n_nodes
        self.max_lag = max_lag
        self.register_buffer("candidates", candidates.bool())
        self.node_id = nn.Embedding(n_nodes, hidden)
        self.conv = nn.Sequential(
            nn.Conv1d(2, hidden, kernel, padding=kernel // 2),
            nn.ELU(),
            nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2),
            nn.ELU(),
        )
        self.node_mlp = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ELU())
        self.edge_mlp1 = nn.Sequential(nn.Linear(2 * hidden + max_lag, hidden), nn.ELU())
        self.node_mlp2 = nn.Sequential(nn.Linear(hidden, hidden), nn.ELU())
        self.edge_out = nn.Sequential(
            nn.Linear(3 * hidden + max_lag, hidden), nn.ELU(), nn.Linear(hidden, 1)
        )

    def lagged_correlation(self, x: torch.Tensor) -> torch.Tensor:
        """Correlation of ``diff(x_j)(t - l)`` with ``diff(x_i)(t)``, ``[B, N, N, L]``."""
        d = torch.diff(x, dim=1)
        d = (d - d.mean(1, keepdim=True)) / (d.std(1, keepdim=True) + 1e-6)
        t_len = d.shape[1]
        out = []
        for lag in range(1, self.max_lag + 1):  # L is small (a handful of lags)
            src = d[:, : t_len - lag]
            tgt = d[:, lag:]
            out.append(torch.einsum("btj,bti->bji", src, tgt) / max(t_len - lag, 1))
        return torch.stack(out, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, N, N]`` (source, target); non-candidates at -inf."""
        b, t_len, n = x.shape
        diff = torch.diff(x, dim=1, prepend=x[:, :1])
        z = torch.stack([x, diff], dim=2).permute(0, 3, 2, 1).reshape(b * n, 2, t_len)
        h = self.conv(z).mean(-1).reshape(b, n, -1)
        ids = self.node_id.weight.unsqueeze(0).expand(b, -1, -1)
        h = self.node_mlp(torch.cat([h, ids], -1))
        corr = self.lagged_correlation(x)
        pair = torch.cat(
            [h.unsqueeze(2).expand(-1, -1, n, -1), h.unsqueeze(1).expand(-1, n, -1, -1), corr], -1
        )
        e = self.edge_mlp1(pair)  # [B, src, tgt, H]
        cand = self.candidates.to(e.dtype).unsqueeze(-1)
        h2 = self.node_mlp2((e * cand).sum(1) / n)  # incoming edges -> target node
        pair2 = torch.cat(
            [h2.unsqueeze(2).expand(-1, -1, n, -1), h2.unsqueeze(1).expand(-1, n, -1, -1), e, corr],
            -1,
        )
        logits = self.edge_out(pair2).squeeze(-1)
        return logits.masked_fill(~self.candidates, float("-inf"))
