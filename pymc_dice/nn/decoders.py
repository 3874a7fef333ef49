"""Decoders: one-step recurrent forecasters over a panel ``x: [B, T, N]``.

Every decoder exposes the same functional step, so training, closed-loop rollouts and the
influence diagnostics treat them alike::

    state_{t+1}, xhat_{t+1} = decoder.step(state_t, x_t, c_{t+1}, graph)

``state_t`` summarises ``x_0 .. x_{t-1}``; ``c_{t+1}`` are the (exogenous, known) controls
of the predicted date; ``graph`` is ``[B, N, N]`` or ``[N, N]`` in ``[source, target]``
layout. Channels are predicted too but never scored: they are exogenous and fed observed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F


def _batched_graph(graph: torch.Tensor, batch: int) -> torch.Tensor:
    return graph.expand(batch, -1, -1) if graph.dim() == 2 else graph


class Decoder(nn.Module):
    """Base class: a loop of :meth:`step` over time (subclasses may vectorise it).

    Examples
    --------
    Any subclass, here :class:`GraphSafeDecoder`; one step, then the teacher-forced loop:

    >>> dec = GraphSafeDecoder(n_nodes=3, n_controls=2)
    >>> x, c, graph = torch.zeros(2, 5, 3), torch.zeros(2, 5, 2), torch.ones(3, 3)
    >>> state = dec.init_state(2, x)
    >>> state, pred = dec.step(state, x[:, 0], c[:, 1], graph.expand(2, -1, -1))
    >>> state.shape, pred.shape
    (torch.Size([2, 3, 32]), torch.Size([2, 3]))
    >>> preds, states = dec.forward(x, c, graph, return_states=True)
    >>> preds.shape, states.shape
    (torch.Size([2, 4, 3]), torch.Size([2, 5, 3, 32]))
    """

    #: whether the decoder reads its graph input (False only for the bypass-prone ``dense``)
    uses_graph = True
    #: whether ``step`` takes ``exog_next`` (the channels of the predicted date, for
    #: same-period channel effects); rollouts pass it only to such decoders
    uses_exog = False
    #: whether the decoder has per-series parameters (``forward(..., series=rows)``)
    per_series = False

    def __init__(self, n_nodes: int, n_controls: int):
        super().__init__()
        self.n_nodes = n_nodes
        self.n_controls = n_controls

    def init_state(self, batch: int, like: torch.Tensor) -> torch.Tensor:
        """The state before any observation, for ``batch`` series (device and dtype of ``like``)."""
        raise NotImplementedError

    def step(self, state, x_t, c_next, graph):
        """One step: ``(state_{t+1}, xhat_{t+1})`` from ``state_t``, ``x_t: [B, N]``, the
        controls ``c_{t+1}: [B, C]`` and ``graph: [B, N, N]``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, c: torch.Tensor, graph: torch.Tensor, return_states=False):
        """Teacher-forced one-step predictions ``[B, T-1, N]`` of ``x[:, 1:]``.

        With ``return_states=True`` also returns the states ``[B, T, ...]`` where entry ``t``
        summarises ``x[:, :t]`` (the state a rollout from origin ``t`` starts from).
        """
        b, t_len, _ = x.shape
        graph = _batched_graph(graph, b)
        state = self.init_state(b, x)
        states, preds = [state], []
        for t in range(t_len - 1):
            state, pred = self.step(state, x[:, t], c[:, t + 1], graph)
            states.append(state)
            preds.append(pred)
        out = torch.stack(preds, 1)
        return (out, torch.stack(states, 1)) if return_states else out


class RestrictedDecoder(Decoder):
    """Stage-1 graph-mediated decoder: node ``i`` is predicted only from its graph-gated
    parents through a carryover over lags ``1..L`` (non-negative weights summing to one, so
    the response is monotone in the source) and a logistic saturation, plus a bias, a linear
    control term and (optionally) a weak own-history term bounded by ``own_max``. No latent
    memory and no other cross-node path.

    ``carryover="free"`` learns any non-negative lag kernel per edge (a delayed peak
    included); ``"geometric"`` is the decaying adstock ``w_l ~ alpha^(l-1)``.

    Examples
    --------
    >>> dec = RestrictedDecoder(n_nodes=3, n_controls=1, max_lag=2)
    >>> w = dec.carryover()
    >>> w.shape, bool(torch.allclose(w.sum(-1), torch.ones(3, 3)))  # lag weights sum to one
    (torch.Size([3, 3, 2]), True)
    >>> x, c, graph = torch.rand(2, 6, 3), torch.rand(2, 6, 1), torch.ones(3, 3)
    >>> lagged = torch.ones(2, 2, 3)  # [B, L, N], lag 1 first
    >>> dec.edge_effect(lagged).shape, dec.predict(lagged, c[:, 1], graph).shape
    (torch.Size([2, 3, 3]), torch.Size([2, 3]))
    >>> state, pred = dec.step(dec.init_state(2, x), x[:, 0], c[:, 1], graph)
    >>> state.shape, pred.shape
    (torch.Size([2, 2, 3]), torch.Size([2, 3]))
    >>> torch.allclose(dec.forward(x, c, graph), Decoder.forward(dec, x, c, graph))  # = step loop
    True
    """

    def __init__(
        self, n_nodes, n_controls, max_lag=4, own_history=True, own_max=0.3, carryover="free"
    ):
        super().__init__(n_nodes, n_controls)
        if carryover not in ("free", "geometric"):
            raise ValueError(f"carryover must be 'free' or 'geometric', got {carryover!r}")
        self.max_lag = max_lag
        self.own_history = own_history
        self.own_max = own_max
        self.carryover_kind = carryover
        n = n_nodes
        if carryover == "free":
            self.lag_logits = nn.Parameter(torch.zeros(n, n, max_lag))
        else:
            self.decay_raw = nn.Parameter(torch.zeros(n, n))
        self.lam_raw = nn.Parameter(torch.zeros(n, n))
        self.beta_raw = nn.Parameter(torch.full((n, n), -1.0))
        self.bias = nn.Parameter(torch.zeros(n))
        self.own_raw = nn.Parameter(torch.zeros(n))
        self.control_weight = nn.Parameter(torch.zeros(n_controls, n))

    def carryover(self) -> torch.Tensor:
        """Normalised carryover weights ``[N, N, L]`` (lag 1 first)."""
        if self.carryover_kind == "free":
            return torch.softmax(self.lag_logits, -1)
        decay = torch.sigmoid(self.decay_raw).unsqueeze(-1)
        lags = torch.arange(self.max_lag, device=decay.device, dtype=decay.dtype)
        w = decay**lags
        return w / w.sum(-1, keepdim=True)

    def edge_effect(self, lagged: torch.Tensor) -> torch.Tensor:
        """Saturated carryover effect of each source on each target, ``[..., N, N]``.

        ``lagged[..., l, j]`` is ``x_j`` at lag ``l + 1`` (most recent first).
        """
        adstock = torch.einsum("...lj,jil->...ji", lagged, self.carryover())
        lam = F.softplus(self.lam_raw) + 0.1
        return F.softplus(self.beta_raw) * torch.tanh(lam * adstock)

    def predict(self, lagged, c_next, graph):
        """Predictions ``[..., N]`` from lag windows ``[..., L, N]`` (lag 1 first), the controls
        ``c_next`` and ``graph``."""
        effect = (graph * self.edge_effect(lagged)).sum(-2)
        pred = self.bias + effect + c_next @ self.control_weight
        if self.own_history:
            pred = pred + self.own_max * torch.sigmoid(self.own_raw) * lagged[..., 0, :]
        return pred

    def init_state(self, batch, like):
        """Zero lag window ``[B, L, N]`` (dates before the first are zero)."""
        return like.new_zeros(batch, self.max_lag, self.n_nodes)

    def step(self, state, x_t, c_next, graph):
        """Shift ``x_t`` into the lag window; the new window is also the next state."""
        lagged = torch.cat([x_t.unsqueeze(1), state[:, :-1]], 1)
        return lagged, self.predict(lagged, c_next, graph)

    def forward(self, x, c, graph, return_states=False):
        """Vectorised over time (no loop): lag windows are gathered with ``unfold``."""
        b, t_len, n = x.shape
        padded = F.pad(x, (0, 0, self.max_lag, 0))  # [B, L + T, N]
        windows = padded.unfold(1, self.max_lag, 1)  # [B, T + 1, N, L], oldest lag first
        lagged = windows.flip(-1).transpose(-1, -2)  # [B, T + 1, L, N], lag 1 first
        graph = _batched_graph(graph, b).unsqueeze(1)
        preds = self.predict(lagged[:, 1:t_len], c[:, 1:], graph)
        return (preds, lagged[:, :t_len]) if return_states else preds


class GraphSafeDecoder(Decoder):
    """Stage-2 graph-safe latent decoder (docs/concepts.md, "The two stages of DICE").

    Each node ``i`` keeps a latent state ``h_i`` updated by one GRU cell (weights shared
    across nodes, node identity given as an embedding) from its own input ``x_i(t)``, the
    controls and the message ``m_i(t) = sum_j A[j, i] psi(h_j(t), x_j(t))``. There is no
    other path between nodes, so ``d xhat_i(t+k) / d x_j(t) = 0`` unless ``A`` has a path
    ``j -> i`` of length ``<= k``. ``psi`` does not see the source's identity.

    Examples
    --------
    With the single edge ``0 -> 1``, node 2 is blind to node 0 and node 1 is not:

    >>> dec = GraphSafeDecoder(n_nodes=3, n_controls=1)
    >>> x, c = torch.rand(1, 6, 3, requires_grad=True), torch.zeros(1, 6, 1)
    >>> graph = torch.zeros(3, 3)
    >>> graph[0, 1] = 1.0
    >>> pred = dec.forward(x, c, graph)
    >>> (to_2,) = torch.autograd.grad(pred[0, -1, 2], x, retain_graph=True)
    >>> (to_1,) = torch.autograd.grad(pred[0, -1, 1], x)
    >>> bool(to_2[..., 0].abs().max() == 0), bool(to_1[..., 0].abs().max() > 0)
    (True, True)
    >>> state = dec.init_state(1, x)
    >>> m = dec.messages(state, x[:, 0], torch.zeros(1, 3, 3))  # no edges, no messages
    >>> m.shape, bool(m.abs().max() == 0)
    (torch.Size([1, 3, 16]), True)
    >>> state, pred = dec.step(state, x[:, 0], c[:, 1], graph.expand(1, -1, -1))
    >>> state.shape, pred.shape
    (torch.Size([1, 3, 32]), torch.Size([1, 3]))
    """

    def __init__(self, n_nodes, n_controls, hidden=32, message=16, embed=8):
        super().__init__(n_nodes, n_controls)
        self.hidden = hidden
        self.node_embedding = nn.Parameter(0.5 * torch.randn(n_nodes, embed))
        self.psi = nn.Sequential(nn.Linear(hidden + 1, message), nn.Tanh(), nn.Linear(message, message))
        self.cell = nn.GRUCell(1 + n_controls + message + embed, hidden)
        self.readout = nn.Sequential(nn.Linear(hidden + embed, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def init_state(self, batch, like):
        """Zero latent states ``[B, N, hidden]``."""
        return like.new_zeros(batch, self.n_nodes, self.hidden)

    def messages(self, state, x_t, graph):
        """``m[b, i] = sum_j graph[b, j, i] * psi(h_j, x_j)``."""
        out = self.psi(torch.cat([state, x_t.unsqueeze(-1)], -1))
        return torch.einsum("bji,bjm->bim", graph, out)

    def step(self, state, x_t, c_next, graph):
        """GRU update of every node from its input, the controls and its incoming messages."""
        b, n = x_t.shape
        emb = self.node_embedding.expand(b, -1, -1)
        inp = torch.cat(
            [x_t.unsqueeze(-1), c_next.unsqueeze(1).expand(-1, n, -1), self.messages(state, x_t, graph), emb],
            -1,
        )
        new = self.cell(inp.reshape(b * n, -1), state.reshape(b * n, -1)).reshape(b, n, -1)
        pred = self.readout(torch.cat([new, emb], -1)).squeeze(-1)
        return new, pred


class DenseDecoder(Decoder):
    """The bypass-prone baseline: one joint recurrent state over all nodes, no graph.

    Examples
    --------
    >>> dec = DenseDecoder(n_nodes=3, n_controls=1)
    >>> x, c = torch.rand(2, 5, 3), torch.zeros(2, 5, 1)
    >>> empty, full = torch.zeros(3, 3), torch.ones(3, 3)
    >>> same = torch.equal(dec.forward(x, c, empty), dec.forward(x, c, full))
    >>> dec.uses_graph, same  # the graph is ignored
    (False, True)
    >>> state, pred = dec.step(dec.init_state(2, x), x[:, 0], c[:, 1], None)
    >>> state.shape, pred.shape
    (torch.Size([2, 64]), torch.Size([2, 3]))
    """

    uses_graph = False

    def __init__(self, n_nodes, n_controls, hidden=64):
        super().__init__(n_nodes, n_controls)
        self.hidden = hidden
        self.cell = nn.GRUCell(n_nodes + n_controls, hidden)
        self.readout = nn.Linear(hidden, n_nodes)

    def init_state(self, batch, like):
        """Zero joint state ``[B, hidden]``."""
        return like.new_zeros(batch, self.hidden)

    def step(self, state, x_t, c_next, graph):
        """GRU update of the joint state from all nodes and the controls (``graph`` unused)."""
        new = self.cell(torch.cat([x_t, c_next], -1), state)
        return new, self.readout(new)


class CausalMMMDecoder(GraphSafeDecoder):
    """Gated recurrent decoder of the ``causalmmm`` baseline (after Gong et al., WSDM 2024).

    Edge-weighted messages drive per-node GRU states (as in :class:`GraphSafeDecoder`); the
    target additionally receives a Hill response of each parent's current value whose
    half-saturation and shape come from the target's own latent context. It predicts a mean
    and a per-node log-variance for the Gaussian NLL.

    Examples
    --------
    The Hill response changes the target's (last node's) prediction only:

    >>> dec = CausalMMMDecoder(n_nodes=3, n_controls=1)
    >>> x, c, graph = torch.rand(2, 5, 3), torch.zeros(2, 5, 1), torch.ones(2, 3, 3)
    >>> state = dec.init_state(2, x)
    >>> _, pred = dec.step(state, x[:, 0], c[:, 1], graph)
    >>> _, base = GraphSafeDecoder.step(dec, state, x[:, 0], c[:, 1], graph)
    >>> pred.shape, dec.log_var.shape, torch.equal(pred[:, :-1], base[:, :-1])
    (torch.Size([2, 3]), torch.Size([3]), True)
    """

    def __init__(self, n_nodes, n_controls, hidden=32, message=16, embed=8):
        super().__init__(n_nodes, n_controls, hidden, message, embed)
        self.hill_context = nn.Linear(hidden, 2 * n_nodes)
        self.hill_beta_raw = nn.Parameter(torch.full((n_nodes,), -1.0))
        self.log_var = nn.Parameter(torch.full((n_nodes,), -4.0))

    def step(self, state, x_t, c_next, graph):
        """The :class:`GraphSafeDecoder` step plus the parents' Hill response at the target."""
        new, pred = super().step(state, x_t, c_next, graph)
        k_raw, s_raw = self.hill_context(state[:, -1]).chunk(2, -1)
        half = F.softplus(k_raw) + 0.05
        shape = F.softplus(s_raw) + 0.5
        xp = x_t.clamp_min(0) + 1e-6
        hill = xp**shape / (xp**shape + half**shape)
        response = (graph[:, :, -1] * F.softplus(self.hill_beta_raw) * hill).sum(-1)
        pred = torch.cat([pred[:, :-1], (pred[:, -1] + response).unsqueeze(-1)], -1)
        return new, pred


def rollout(
    decoder: Decoder,
    x: torch.Tensor,
    c: torch.Tensor,
    graph: torch.Tensor,
    origins: torch.Tensor,
    horizon: int,
    n_channels: int,
    states: torch.Tensor | None = None,
) -> torch.Tensor:
    """Closed-loop forecasts ``[B, O, horizon, N]`` from every origin in ``origins``.

    From origin ``t`` (``x[:, t]`` observed), step ``horizon`` times; channels are fed their
    observed values, mediators and target the model's own predictions. Batched over series
    and origins; the only loop is over the ``horizon`` steps.

    Examples
    --------
    >>> dec = RestrictedDecoder(n_nodes=3, n_controls=1)
    >>> x, c, graph = torch.rand(2, 10, 3), torch.rand(2, 10, 1), torch.ones(3, 3)
    >>> rollout(dec, x, c, graph, torch.tensor([2, 5]), horizon=3, n_channels=1).shape
    torch.Size([2, 2, 3, 3])
    >>> one = rollout(dec, x, c, graph, torch.arange(9), horizon=1, n_channels=1)
    >>> torch.allclose(one[:, :, 0], dec(x, c, graph))  # one step ahead = teacher forcing
    True
    """
    b, _, n = x.shape
    o = len(origins)
    graph = _batched_graph(graph, b)
    if states is None:
        _, states = decoder(x, c, graph, return_states=True)
    state = states[:, origins].reshape(b * o, *states.shape[2:])
    g = graph.unsqueeze(1).expand(-1, o, -1, -1).reshape(b * o, n, n)
    x_in = x[:, origins].reshape(b * o, n)
    controls = [c[:, origins + k + 1].reshape(b * o, -1) for k in range(horizon)]
    observed = [x[:, origins + k + 1].reshape(b * o, n) for k in range(horizon)]
    pred = rollout_steps(decoder, state, x_in, observed, controls, g, n_channels)
    return pred.reshape(b, o, horizon, n)


def teacher_forced(decoder: Decoder, x, c, graph, *, series=None, return_states: bool = False):
    """``decoder(x, c, graph)`` for any block of series rows: decoders with per-series
    parameters (``per_series``) are told which series each row is (``series``, default all
    series in order).

    Examples
    --------
    >>> dec = RestrictedDecoder(n_nodes=3, n_controls=1)
    >>> x, c = torch.rand(2, 5, 3), torch.rand(2, 5, 1)
    >>> torch.equal(teacher_forced(dec, x, c, torch.ones(3, 3), series=[1, 0]),
    ...             dec(x, c, torch.ones(3, 3)))
    True
    """
    if getattr(decoder, "per_series", False):
        return decoder(x, c, graph, return_states=return_states, series=series)
    return decoder(x, c, graph, return_states=return_states)


def rollout_steps(
    decoder: Decoder,
    state: torch.Tensor,
    x0: torch.Tensor,
    observed: Sequence[torch.Tensor],
    controls: Sequence[torch.Tensor],
    graph: torch.Tensor,
    n_channels: int,
) -> torch.Tensor:
    """THE closed-loop step loop: predictions ``[R, H, N]`` of ``H = len(controls)`` dates.

    ``state`` summarises the history before the origin, ``x0: [R, N]`` is the observed value
    at the origin; ``observed[k]: [R, N]`` and ``controls[k]: [R, C]`` are the observed
    values and the controls of the ``k + 1``-th predicted date. Channels are fed their
    observed values (and, to decoders with ``uses_exog``, passed as ``exog_next``), mediators
    and the target the model's own predictions. :func:`rollout`, the fitted ensemble and the
    influence diagnostics all step through this function (it is differentiable in ``x0``).

    Examples
    --------
    >>> dec = RestrictedDecoder(n_nodes=3, n_controls=1)
    >>> x, c, g = torch.rand(2, 4, 3), torch.rand(2, 4, 1), torch.ones(2, 3, 3)
    >>> state = dec.init_state(2, x)
    >>> out = rollout_steps(dec, state, x[:, 0], [x[:, 1], x[:, 2]], [c[:, 1], c[:, 2]], g, 1)
    >>> out.shape
    torch.Size([2, 2, 3])
    """
    horizon = len(controls)
    exog = getattr(decoder, "uses_exog", False)
    x_in, preds = x0, []
    for k in range(horizon):
        obs_channels = observed[k][:, :n_channels]
        if exog:  # same-period channel effects read the channels of the predicted date
            state, pred = decoder.step(state, x_in, controls[k], graph, exog_next=obs_channels)
        else:
            state, pred = decoder.step(state, x_in, controls[k], graph)
        preds.append(pred)
        if k + 1 < horizon:
            x_in = torch.cat([obs_channels, pred[:, n_channels:]], -1)
    return torch.stack(preds, 1)
