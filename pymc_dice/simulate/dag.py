"""The random lagged-DAG engine behind :func:`~pymc_dice.simulate.simulate` and the
``sparse_target``, ``rdt`` and ``rawlog`` presets: graph and parameter draws, spend paths, and
the dynamics (see ``docs/simulator.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymc_dice.exceptions import ConfigError
from pymc_dice.simulate.config import SimConfig
from pymc_dice.simulate.result import hill

__all__ = ["DagSystem", "draw_edges", "draw_graphs", "draw_spend", "edge_list"]

# ranges of the uniform draws of the structural parameters (tuned, see ``simulate``)
_EFFECT = (0.8, 1.5)  # beta of an edge
_HALF_SAT = (0.6, 1.4)  # Hill K (normalised units, before the context shift)
_SLOPE = (1.0, 3.0)  # Hill n
_CONTEXT = (0.2, 0.5)  # |gamma|: context sensitivity of K
_BLOCK = 16  # weeks per block when evaluating the channel-sourced edges


@dataclass(frozen=True, eq=False)
class _Edges:
    """Edges of one source group, padded to ``E`` per series (internal).

    ``src`` indexes the group's sources (channels, or mediators and target), ``dst`` the
    endogenous nodes (mediators, target); all arrays are ``[S, E]`` but ``kernel``
    ``[S, E, D]`` (weight of the source's value at lag ``d + 1``). Padding edges have
    ``beta = 0``.
    """

    src: np.ndarray
    dst: np.ndarray
    beta: np.ndarray
    half_sat: np.ndarray
    hill_n: np.ndarray
    kernel: np.ndarray

    def effect(self, lagged: Sequence[np.ndarray]) -> np.ndarray:
        """Edge effects ``beta * hill(adstock)``; ``lagged[d]`` ``[..., S, E]`` holds the
        sources' values at lag ``d + 1``."""
        adstock = lagged[0] * self.kernel[..., 0]
        for d in range(1, len(lagged)):
            adstock += lagged[d] * self.kernel[..., d]
        out = hill(adstock, self.half_sat, self.hill_n)
        out *= self.beta
        return out

    def gather(self, values: np.ndarray) -> np.ndarray:
        """``values[..., S, sources]`` -> ``[..., S, E]`` (each series its own sources)."""
        return values[..., np.arange(self.src.shape[0])[:, None], self.src]

    def to_nodes(self, effect: np.ndarray, n_dst: int) -> np.ndarray:
        """Sum edge effects ``[..., S, E]`` into their destinations ``[..., S, n_dst]``."""
        onehot = (self.dst[..., None] == np.arange(n_dst)).astype(float)
        return np.einsum("...se,sen->...sn", effect, onehot)


@dataclass(frozen=True, eq=False)
class DagSystem:
    """Per-series parameters of the random-DAG dynamics, and the dynamics themselves.

    ``from_channels`` and ``from_nodes`` are the edges whose source is a channel or an
    endogenous node; ``base``/``level`` ``[S, N]``, ``persistence`` ``[N]``,
    ``control_drive`` ``[S, T_total, N]`` (additive term of each node's drive).

    Examples
    --------
    >>> from pymc_dice.simulate import simulate
    >>> sim = simulate(n_series=2, n_periods=6, seed=0)
    >>> sim.system.n_lags, sim.system.burn_in
    (3, 52)
    """

    n_channels: int
    from_channels: _Edges
    from_nodes: _Edges
    base: np.ndarray
    level: np.ndarray
    persistence: np.ndarray
    control_drive: np.ndarray
    burn_in: int

    @property
    def n_lags(self) -> int:
        """Longest lag of any edge kernel (edge lag plus carryover)."""
        return self.from_channels.kernel.shape[-1]

    def run(
        self,
        spend: np.ndarray,
        noise: np.ndarray | None = None,
        *,
        target_only: bool = False,
    ) -> np.ndarray:
        """Run the system for given channel spend paths; observed values, original units.

        Channel-sourced edges are evaluated for all weeks at once (channels are exogenous);
        the loop over weeks only carries the mediators' and target's states, vectorised over
        scenarios, series and nodes.

        Parameters
        ----------
        spend : ndarray
            ``[..., S, T_total, C]`` channel spend in original units, burn-in included;
            leading axes are scenarios (e.g. one per counterfactual), all run in one pass.
        noise : ndarray or None
            ``[2, S, T_total, N]``: log process shocks (``[0]``, propagated through the AR
            state) and log observation noise (``[1]``, not propagated) of every node; the
            channel entries are ignored. ``None`` or zeros gives the noise-free system.
        target_only : bool
            Return only the target, ``[..., S, T_total]`` (saves memory for many scenarios).

        Returns
        -------
        ndarray
            ``[..., S, T_total, N]`` observed node values (channels are the given spend).

        Examples
        --------
        >>> from pymc_dice.simulate import simulate
        >>> sim = simulate(n_series=2, n_periods=6, seed=0)
        >>> sim.system.run(sim.spend[None]).shape  # noise-free, one scenario
        (1, 2, 58, 8)
        """
        sy = self
        lead = spend.shape[:-3]
        n_s, n_t, n_c = spend.shape[-3:]
        spend = spend.reshape(-1, n_s, n_t, n_c)
        n_b = spend.shape[0]
        n_n = sy.level.shape[1]
        n_k = n_n - n_c  # endogenous nodes: mediators and target
        n_d = sy.n_lags
        # normalised channel values, time-major [n_d + T, B, S, C]; pre-sample rows at reference
        x = np.ones((n_d + n_t, n_b, n_s, n_c))
        np.divide(spend.transpose(2, 0, 1, 3), sy.level[:, :n_c], out=x[n_d:])
        # drive from channels, base and controls [T, B, S, K], in blocks of weeks to bound memory
        drive_ext = np.empty((n_t, n_b, n_s, n_k))
        for t0 in range(0, n_t, _BLOCK):
            t1 = min(t0 + _BLOCK, n_t)
            xg = sy.from_channels.gather(x[t0 : t1 + n_d - 1])  # [t1 - t0 + n_d - 1, B, S, Ec]
            lagged = [xg[n_d - d - 1 : n_d - d - 1 + t1 - t0] for d in range(n_d)]
            drive_ext[t0:t1] = sy.from_channels.to_nodes(sy.from_channels.effect(lagged), n_k)
        drive_ext += (sy.base[:, n_c:] + sy.control_drive[..., n_c:].transpose(1, 0, 2))[:, None]
        # endogenous states [n_d + T, B, S, K], pre-sample rows at base
        z = np.empty((n_d + n_t, n_b, n_s, n_k))
        z[:n_d] = sy.base[:, n_c:]
        rho = sy.persistence[n_c:]
        shock = 1.0 if noise is None else np.exp(noise[0, ..., n_c:].transpose(1, 0, 2))
        has_internal = sy.from_nodes.src.shape[1] > 0
        for t in range(n_t):
            drive = drive_ext[t]
            if has_internal:
                window = sy.from_nodes.gather(z[t : t + n_d][::-1])  # [D, B, S, E], lags 1..D
                drive = drive + sy.from_nodes.to_nodes(sy.from_nodes.effect(window), n_k)
            innovation = (1.0 - rho) * np.maximum(drive, 0.0)
            z[n_d + t] = rho * z[n_d + t - 1] + innovation * (shock if noise is None else shock[t])
        if target_only:
            y = z[n_d:, ..., -1].transpose(1, 2, 0) * sy.level[:, None, -1]
            if noise is not None:
                y *= np.exp(noise[1, ..., -1])
            return y.reshape(*lead, n_s, n_t)
        out = np.empty((n_b, n_s, n_t, n_n))
        out[..., :n_c] = spend
        np.multiply(z[n_d:].transpose(1, 2, 0, 3), sy.level[:, None, n_c:], out=out[..., n_c:])
        if noise is not None:
            out[..., n_c:] *= np.exp(noise[1, ..., n_c:])
        return out.reshape(*lead, n_s, n_t, n_n)


def _pick(rng: np.random.Generator, allowed: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Choose ``k`` distinct allowed entries along the last axis uniformly (vectorised)."""
    score = np.where(allowed, rng.random(allowed.shape), np.inf)
    rank = np.argsort(np.argsort(score, axis=-1), axis=-1)
    return (rank < k[..., None]) & allowed


def draw_graphs(
    rng: np.random.Generator,
    n_channels: int,
    n_mediators: int,
    n_target_parents: int,
    n_graphs: int,
    max_mediator_parents: int,
    max_tries: int = 50,
) -> np.ndarray:
    """``n_graphs`` distinct random DAGs ``[G, N, N]`` (int8, ``[source, target]``).

    Mediators are ordered by a random permutation per graph; a mediator draws
    ``1..max_mediator_parents`` parents among the channels and the mediators before it.
    The target draws exactly ``n_target_parents`` parents among channels and mediators.

    Examples
    --------
    >>> g = draw_graphs(np.random.default_rng(0), 2, 1, 2, 1, 1)
    >>> g.shape, int(g[0, :, -1].sum())
    ((1, 4, 4), 2)
    """
    c, m = n_channels, n_mediators
    n = c + m + 1
    graphs = np.zeros((0, n, n), dtype=np.int8)
    for _ in range(max_tries):
        g_new = n_graphs - len(graphs)
        adj = np.zeros((g_new, n, n), dtype=bool)
        if m:
            order = np.argsort(rng.random((g_new, m)), axis=1)  # order[g, r]: mediator at pos r
            pos = np.argsort(order, axis=1)  # pos[g, i]: DAG position of mediator i
            allowed = np.ones((g_new, m, c + m), dtype=bool)
            # mediator i may use mediator j only if j comes earlier in the DAG order
            allowed[:, :, c:] = pos[:, None, :] < pos[:, :, None]
            n_allowed = allowed.sum(-1)
            k = rng.integers(1, max_mediator_parents + 1, size=(g_new, m))
            chosen = _pick(rng, allowed, np.minimum(k, n_allowed))  # [G, target i, source]
            adj[:, : c + m, c : c + m] = chosen.transpose(0, 2, 1)
        allowed_y = np.ones((g_new, c + m), dtype=bool)
        adj[:, : c + m, -1] = _pick(rng, allowed_y, np.full(g_new, n_target_parents))
        graphs = np.concatenate([graphs, adj.astype(np.int8)])
        _, first = np.unique(graphs.reshape(len(graphs), -1), axis=0, return_index=True)
        graphs = graphs[np.sort(first)]
        if len(graphs) == n_graphs:
            return graphs
    raise ConfigError(
        f"could only draw {len(graphs)} distinct graphs out of n_graphs={n_graphs} with "
        f"{n_channels} channels, {n_mediators} mediators and {n_target_parents} target parents; "
        "ask for fewer graphs or more nodes"
    )


def draw_edges(
    rng: np.random.Generator,
    graphs: np.ndarray,
    max_lag: int,
    carryover_length: int,
    adstock_max: float,
) -> dict[str, np.ndarray]:
    """Edge parameters ``[G, N, N]`` (zero / neutral where there is no edge) and kernels.

    Half the edges get geometric carryover ``alpha**k``, half delayed carryover peaking one
    week after the lag, ``alpha**((k - 1)**2)``; ``alpha ~ U(0, adstock_max)``. ``kernel``
    ``[G, N, N, D]`` holds the weight of the source's value at lag ``d + 1`` (lag and
    carryover together, summing to one on edges).

    Examples
    --------
    >>> e = draw_edges(np.random.default_rng(0), np.array([[[0, 1], [0, 0]]]), 2, 2, 0.2)
    >>> e["kernel"].shape, round(float(e["kernel"][0, 0, 1].sum()), 6)
    ((1, 2, 2, 3), 1.0)
    """
    shape = graphs.shape
    on = graphs.astype(bool)
    lag = np.where(on, rng.integers(1, max_lag + 1, size=shape), 0)
    delayed = rng.random(shape) < 0.5
    alpha = rng.uniform(0.0, adstock_max, shape)
    theta = np.where(delayed, min(1, carryover_length - 1), 0)
    k = np.arange(carryover_length)
    expo = np.where(delayed[..., None], (k - theta[..., None]) ** 2, k)
    w = alpha[..., None] ** expo
    w /= w.sum(-1, keepdims=True)
    n_d = max_lag + carryover_length - 1
    d = np.arange(1, n_d + 1)
    pos = d - lag[..., None]  # carryover index of lag d
    inside = (pos >= 0) & (pos < carryover_length) & on[..., None]
    kernel = np.where(inside, np.take_along_axis(w, np.clip(pos, 0, carryover_length - 1), -1), 0)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return {
        "lag": lag.astype(np.int64),
        "carryover": np.where(on, delayed.astype(np.int8), -1).astype(np.int8),
        "adstock_alpha": np.where(on, alpha, 0.0),
        "adstock_delay": np.where(on, theta, 0).astype(np.int64),
        "kernel": kernel,
        "effect": np.where(on, rng.uniform(*_EFFECT, shape), 0.0),
        "half_saturation": np.where(on, rng.uniform(*_HALF_SAT, shape), 1.0),
        "hill_slope": np.where(on, rng.uniform(*_SLOPE, shape), 1.0),
        "context_sensitivity": np.where(on, sign * rng.uniform(*_CONTEXT, shape), 0.0),
    }


def draw_spend(
    rng: np.random.Generator, cfg: SimConfig, n_total: int
) -> tuple[np.ndarray, np.ndarray]:
    """Spend multipliers around the reference level ``[S, T, C]`` and channel volatilities.

    Log-spend is AR(1) (``cfg.spend_ar``) with innovations that share a white budget factor
    (``cfg.comovement``); ``cfg.raw_scale`` adds flighting zeros and Pareto bursts.

    Examples
    --------
    >>> mult, sigma = draw_spend(np.random.default_rng(0), SimConfig(n_series=2), 10)
    >>> mult.shape, sigma.shape
    ((2, 10, 5), (5,))
    """
    n_series, n_channels, spend_ar = cfg.n_series, cfg.n_channels, cfg.spend_ar
    comovement, zero_rate = cfg.comovement, cfg.zero_rate
    sigma = cfg.spend_volatility * rng.uniform(0.7, 1.3, n_channels)
    shared = rng.standard_normal((n_series, n_total, 1))  # white: not smooth
    own = rng.standard_normal((n_series, n_total, n_channels))
    innov = sigma * (np.sqrt(comovement) * shared + np.sqrt(1.0 - comovement) * own)
    z = np.empty_like(innov)
    z[:, 0] = innov[:, 0] / np.sqrt(1.0 - spend_ar**2)
    for t in range(1, n_total):
        z[:, t] = spend_ar * z[:, t - 1] + innov[:, t]
    mult = np.exp(z - 0.5 * sigma**2 / (1.0 - spend_ar**2))  # mean 1
    if cfg.raw_scale:
        # flighting: an on/off Markov chain per (series, channel), off about zero_rate of weeks
        p_off = 0.25 * zero_rate / max(1.0 - zero_rate, 1e-9)
        u = rng.random((n_series, n_total, n_channels))
        on = np.empty(u.shape, dtype=bool)
        on[:, 0] = rng.random((n_series, n_channels)) >= zero_rate
        for t in range(1, n_total):
            on[:, t] = np.where(on[:, t - 1], u[:, t] >= p_off, u[:, t] < 0.25)
        burst = rng.random(u.shape) < cfg.burst_rate
        size = 1.0 + 4.0 * rng.pareto(1.5, u.shape)
        mult = mult * np.where(burst, size, 1.0) * on
    return mult, sigma


def edge_list(
    adj: np.ndarray, params: dict[str, np.ndarray], sources: slice, n_channels: int
) -> _Edges:
    """Padded per-series edge list from ``adj[S, source in group, endogenous target]``.

    Examples
    --------
    >>> adj = np.array([[[True], [False]]])  # one series, sources 0..1 -> one target
    >>> params = {k: np.ones((1, 3, 3)) for k in ("beta", "half_sat", "hill_n")}
    >>> params["kernel"] = np.ones((1, 3, 3, 2))
    >>> edge_list(adj, params, slice(0, 2), 2).src.tolist()
    [[0]]
    """
    n_s, n_src, n_dst = adj.shape
    flat = adj.reshape(n_s, -1)
    n_e = int(flat.sum(1).max(initial=0))
    order = np.argsort(~flat, axis=1, kind="stable")[:, :n_e]  # edges first
    valid = np.take_along_axis(flat, order, 1)
    src, dst = order // n_dst, order % n_dst
    rows = np.arange(n_s)[:, None]

    def pick(name: str, fill: float) -> np.ndarray:
        vals = params[name][:, sources, n_channels:][rows, src, dst]
        return np.where(valid.reshape(valid.shape + (1,) * (vals.ndim - 2)), vals, fill)

    return _Edges(
        src=np.where(valid, src, 0),
        dst=np.where(valid, dst, 0),
        beta=pick("beta", 0.0),
        half_sat=pick("half_sat", 1.0),
        hill_n=pick("hill_n", 1.0),
        kernel=pick("kernel", 0.0),
    )
