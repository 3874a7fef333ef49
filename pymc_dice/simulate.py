"""Ground-truth simulator and the paper's benchmark presets (DESIGN.md section 8).

A panel of ``S`` series (geos) x ``T`` weeks x ``N`` nodes (channels, mediators, target) is
generated from a random lagged DAG ``channels -> mediators -> target``:

- **Channels** (spend, currency): ``log spend = log ref + z`` with
  ``z_t = spend_ar * z_{t-1} + sigma_c * (sqrt(comovement) * f_t + sqrt(1 - comovement) * e_t)``.
  The shared budget factor ``f`` is white noise per (series, week), so the correlation of the
  log-spend innovations between two channels is ``comovement`` and the factor is not smooth.
  With ``raw_scale=True`` spend is heavy-tailed: log-normal levels across series and channels,
  flighting (runs of exactly zero spend) and Pareto bursts.
- **Edges** ``j -> i``: lag ``l`` in ``1..max_lag`` (no instantaneous edges), carryover
  (geometric ``alpha**k`` or delayed ``alpha**((k - 1)**2)`` peaking one week after the lag,
  ``k < carryover_length``, weights summing to one), Hill saturation ``h = r / (1 + r)``, ``r = (a / K_s)**n`` of the
  adstocked normalised source ``a``, and a positive effect ``beta``. The half-saturation
  ``K_s = K * exp(gamma * context_s)`` is shifted by a static per-series context.
- **Mediators and target** (normalised state ``x``, about 1 on average):
  ``x_t = rho * x_{t-1} + (1 - rho) * drive_t * exp(shock_t)`` with
  ``drive_t = base + sum_j beta_j * h_j(t) + controls_t``. ``rho`` is ``target_ar`` for the
  target (the bypass bait) and mild for mediators. Controls (``price``, ``event``) are
  exogenous and enter the target's own equation only. Mediators drive mediators in a random
  DAG order. Observed values are ``level * x * exp(obs_noise)``; channels are observed exactly.

The truth contributions are not a formula: :func:`_dynamics` is re-run without noise once
with the actual spend and once per channel with that channel's spend set to zero over the
whole observed window (the ``C + 1`` scenarios stacked on a leading axis, one pass), and
``contribution = y(all) - y(channel zeroed)`` in original target units (DESIGN.md section 7).

Tuning. With ``target_ar = 0.85`` the target's own past explains at least ``0.85**2 = 0.72``
of its (within-series) variance, so its parents can add at most about 0.28, and only if the
drive is close to white: every smoothing of the drive (persistent spend, long carryover,
co-moving parents at different lags, persistent mediators) is predictable from y's own past
and eats into that share. The defaults therefore use white log-spend (``spend_ar = 0``),
short carryover (``carryover_length = 2``, ``alpha < 0.2``), mildly persistent mediators
(``rho < 0.2``) and small noise (``noise = 0.05``, ``obs_noise = 0.01``). On
``sparse_target`` seeds 0..9 an AR(2) model of y reaches an out-of-sample R^2 of 0.75-0.86
and adding the true parents' adstocked inputs gains 0.09-0.19 (0.19 on seed 0); see
``tests/test_simulate.py``. Longer carryover is one argument away, at the price of a more
self-predictable target.

To build a ``pymc_dice.data.Panel`` pass ``Roles(**sim.roles)``: mediators and controls
cannot be told from channels by their names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["Simulation", "rawlog", "rdt", "simulate", "sparse_target"]

SPARSE_CHANNELS = ("tv", "radio", "social", "search_ads", "display")
SPARSE_MEDIATORS = ("visits", "branded_search")
CONTROLS = ("price", "event")
TARGET = "y"
# ranges of the uniform draws of the structural parameters (tuned, see ``simulate``)
_EFFECT = (0.8, 1.5)  # beta of an edge
_HALF_SAT = (0.6, 1.4)  # Hill K (normalised units, before the context shift)
_SLOPE = (1.0, 3.0)  # Hill n
_CONTEXT = (0.2, 0.5)  # |gamma|: context sensitivity of K
_BASE = (0.2, 0.4)  # intercept of mediators and target
_PRICE_COEF = (0.4, 0.8)  # target lift per unit relative discount
_EVENT_COEF = (0.1, 0.2)  # target lift in event weeks
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
        out = _hill(adstock, self.half_sat, self.hill_n)
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
class _System:
    """Per-series parameters of the dynamics (internal).

    ``from_channels`` and ``from_nodes`` are the edges whose source is a channel or an
    endogenous node; ``base``/``level`` ``[S, N]``, ``persistence`` ``[N]``,
    ``control_drive`` ``[S, T_total, N]`` (additive term of each node's drive).
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
        return self.from_channels.kernel.shape[-1]


@dataclass(frozen=True, eq=False)
class Simulation:
    """A simulated panel and its ground truth.

    Attributes
    ----------
    df : pandas.DataFrame
        pymc-marketing layout: ``date``, ``geo``, channels, mediators, controls, ``y``;
        rows sorted by (geo, date).
    truth : xarray.Dataset
        ``graph`` (source, target), ``graphs`` (graph_id, source, target), ``series_graph``
        (geo), ``lag`` (graph_id, source, target), ``channel_contribution``
        (date, geo, channel), ``roas`` (channel), edge parameters; attrs hold the parameters.
    roles : dict
        ``date_column``, ``dims``, ``channel_columns``, ``mediator_columns``,
        ``control_columns``, ``target_column`` (``pymc_dice.data.Roles(**roles)`` works).
    _system, _spend, _noise
        Internal: the drawn parameters, the spend ``[S, T_total, C]`` and noise
        ``[2, S, T_total, N]`` including the burn-in, for re-running ``_dynamics``
        (e.g. other counterfactuals).

    Examples
    --------
    >>> sim = simulate(n_series=2, n_periods=12, seed=1)
    >>> sim.nodes[-1], sim.df.shape[0]
    ('y', 24)
    """

    df: pd.DataFrame
    truth: xr.Dataset
    roles: dict
    _system: _System | None = field(default=None, repr=False)
    _spend: np.ndarray | None = field(default=None, repr=False)
    _noise: np.ndarray | None = field(default=None, repr=False)

    @property
    def nodes(self) -> list[str]:
        """Node names in order: channels, mediators, target.

        Examples
        --------
        >>> simulate(n_channels=2, n_mediators=1, n_series=1, n_periods=8).nodes
        ['channel_0', 'channel_1', 'mediator_0', 'y']
        """
        r = self.roles
        return [*r["channel_columns"], *r["mediator_columns"], r["target_column"]]

    @property
    def channels(self) -> list[str]:
        """Channel names.

        Examples
        --------
        >>> sparse_target(n_series=1, n_periods=8).channels[:2]
        ['tv', 'radio']
        """
        return list(self.roles["channel_columns"])

    @property
    def graph(self) -> xr.DataArray:
        """The graph shared by most series, ``(source, target)`` int8.

        Examples
        --------
        >>> int(sparse_target(n_series=1, n_periods=8).graph.sel(target="y").sum())
        2
        """
        return self.truth["graph"]


# --------------------------------------------------------------------------------------
# dynamics


def _hill(a: np.ndarray, half_sat: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Hill saturation ``r / (1 + r)``, ``r = (a / half_sat) ** slope``, for ``a >= 0``.

    Examples
    --------
    >>> _hill(np.array([0.0, 2.0]), np.array(2.0), np.array(3.0)).tolist()
    [0.0, 0.5]
    """
    r = np.asarray(np.power(a / half_sat, slope))
    return r / (r + 1.0)


def _dynamics(
    system: _System,
    spend: np.ndarray,
    noise: np.ndarray | None = None,
    *,
    target_only: bool = False,
) -> np.ndarray:
    """Run the system for given channel spend paths; returns observed values, original units.

    Channel-sourced edges are evaluated for all weeks at once (channels are exogenous);
    the loop over weeks only carries the mediators' and target's states, vectorised over
    scenarios, series and nodes.

    Parameters
    ----------
    system : _System
        Parameters from :func:`simulate` (``Simulation._system``).
    spend : ndarray
        ``[..., S, T_total, C]`` channel spend in original units, burn-in included; leading
        axes are scenarios (e.g. one per counterfactual), all run in one pass.
    noise : ndarray or None
        ``[2, S, T_total, N]``: log process shocks (``[0]``, propagated through the AR state)
        and log observation noise (``[1]``, not propagated) of every node; the channel
        entries are ignored. ``None`` or zeros gives the noise-free system.
    target_only : bool
        Return only the target, ``[..., S, T_total]`` (saves memory for many scenarios).

    Returns
    -------
    ndarray
        ``[..., S, T_total, N]`` observed node values (channels are the given spend).

    Examples
    --------
    >>> sim = simulate(n_series=2, n_periods=6, seed=0)
    >>> out = _dynamics(sim._system, sim._spend[None])  # noise-free
    >>> out.shape
    (1, 2, 58, 8)
    """
    sy = system
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


# --------------------------------------------------------------------------------------
# random graphs and parameters


def _pick(rng: np.random.Generator, allowed: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Choose ``k`` distinct allowed entries along the last axis uniformly (vectorised)."""
    score = np.where(allowed, rng.random(allowed.shape), np.inf)
    rank = np.argsort(np.argsort(score, axis=-1), axis=-1)
    return (rank < k[..., None]) & allowed


def _draw_graphs(
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
    >>> g = _draw_graphs(np.random.default_rng(0), 2, 1, 2, 1, 1)
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
    raise ValueError(
        f"could only draw {len(graphs)} distinct graphs out of n_graphs={n_graphs} with "
        f"{n_channels} channels, {n_mediators} mediators and {n_target_parents} target parents; "
        "ask for fewer graphs or more nodes"
    )


def _draw_edges(
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
    >>> e = _draw_edges(np.random.default_rng(0), np.array([[[0, 1], [0, 0]]]), 2, 2, 0.2)
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


def _draw_spend(
    rng: np.random.Generator,
    n_series: int,
    n_total: int,
    n_channels: int,
    comovement: float,
    spend_ar: float,
    spend_volatility: float,
    raw_scale: bool,
    zero_rate: float,
    burst_rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Spend multipliers around the reference level ``[S, T, C]`` and channel volatilities."""
    sigma = spend_volatility * rng.uniform(0.7, 1.3, n_channels)
    shared = rng.standard_normal((n_series, n_total, 1))  # white: not smooth
    own = rng.standard_normal((n_series, n_total, n_channels))
    innov = sigma * (np.sqrt(comovement) * shared + np.sqrt(1.0 - comovement) * own)
    z = np.empty_like(innov)
    z[:, 0] = innov[:, 0] / np.sqrt(1.0 - spend_ar**2)
    for t in range(1, n_total):
        z[:, t] = spend_ar * z[:, t - 1] + innov[:, t]
    mult = np.exp(z - 0.5 * sigma**2 / (1.0 - spend_ar**2))  # mean 1
    if raw_scale:
        # flighting: an on/off Markov chain per (series, channel), off about zero_rate of weeks
        p_off = 0.25 * zero_rate / max(1.0 - zero_rate, 1e-9)
        u = rng.random((n_series, n_total, n_channels))
        on = np.empty(u.shape, dtype=bool)
        on[:, 0] = rng.random((n_series, n_channels)) >= zero_rate
        for t in range(1, n_total):
            on[:, t] = np.where(on[:, t - 1], u[:, t] >= p_off, u[:, t] < 0.25)
        burst = rng.random(u.shape) < burst_rate
        size = 1.0 + 4.0 * rng.pareto(1.5, u.shape)
        mult = mult * np.where(burst, size, 1.0) * on
    return mult, sigma


def _edge_list(
    adj: np.ndarray, params: dict[str, np.ndarray], sources: slice, n_channels: int
) -> _Edges:
    """Padded per-series edge list from ``adj[S, source in group, endogenous target]``."""
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


def _series_names(n_series: int) -> list[str]:
    width = max(3, len(str(n_series - 1)))
    return [f"geo_{s:0{width}d}" for s in range(n_series)]


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


# --------------------------------------------------------------------------------------
# public API


def simulate(
    n_channels: int = 5,
    n_mediators: int = 2,
    n_target_parents: int = 2,
    n_series: int = 96,
    n_periods: int = 104,
    n_graphs: int = 1,
    comovement: float = 0.99,
    target_ar: float = 0.85,
    noise: float = 0.05,
    max_lag: int = 2,
    raw_scale: bool = False,
    seed: int = 0,
    *,
    obs_noise: float = 0.01,
    mediator_ar: float = 0.2,
    spend_ar: float = 0.0,
    spend_volatility: float = 0.5,
    carryover_length: int = 2,
    adstock_max: float = 0.2,
    max_mediator_parents: int = 2,
    controls: Sequence[str] = CONTROLS,
    zero_rate: float = 0.2,
    burst_rate: float = 0.05,
    burn_in: int = 52,
    channel_names: Sequence[str] | None = None,
    mediator_names: Sequence[str] | None = None,
    start_date: str = "2024-01-01",
    preset: str = "simulate",
) -> Simulation:
    """Simulate a panel from a random lagged DAG with known noise-free contributions.

    Parameters
    ----------
    n_channels, n_mediators : int
        Node counts; the target ``y`` is always one node.
    n_target_parents : int
        Exact number of parents of the target (channels and/or mediators).
    n_series, n_periods : int
        Panel size ``S`` (geos) x ``T`` (weeks).
    n_graphs : int
        Distinct graphs, assigned to series in balanced random groups.
    comovement : float
        Correlation of log-spend innovations between channels, in ``[0, 1)``.
    target_ar : float
        The target's own lag-1 persistence, in ``[0, 1)``.
    noise, obs_noise : float
        Standard deviations of the log process shocks (mediators, target) and of the log
        observation noise.
    max_lag : int
        Edge lags are drawn in ``1..max_lag``.
    raw_scale : bool
        Heavy-tailed raw spend: wide log-normal levels, flighting zeros (about
        ``zero_rate`` of weeks) and Pareto bursts (``burst_rate`` of weeks).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives bit-identical output.
    mediator_ar, spend_ar, spend_volatility : float
        Mediator persistence upper bound (each drawn in ``[0, mediator_ar]``), AR(1)
        coefficient and innovation scale of channel log-spend.
    carryover_length : int
        Adstock window (weeks from the edge's lag on).
    adstock_max : float
        Upper bound of the adstock decay ``alpha`` (drawn per edge in ``[0, adstock_max)``).
    max_mediator_parents, burn_in : int
        Mediator in-degree bound, and discarded warm-up weeks.
    controls : sequence of str
        Subset of ``("price", "event")``: exogenous controls of the target's equation.
    channel_names, mediator_names : sequence of str, optional
        Column names (default ``channel_0..``, ``mediator_0..``).
    start_date : str
        First (Monday) week.
    preset : str
        Name stored in ``truth.attrs["preset"]``.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> sim = simulate(n_channels=3, n_mediators=1, n_series=3, n_periods=10, seed=0)
    >>> list(sim.df.columns)
    ['date', 'geo', 'channel_0', 'channel_1', 'channel_2', 'mediator_0', 'price', 'event', 'y']
    >>> sim.truth["channel_contribution"].dims
    ('date', 'geo', 'channel')
    """
    controls = tuple(controls)
    n_sources = n_channels + n_mediators
    _check(n_channels >= 1, f"n_channels must be >= 1, got {n_channels}")
    _check(n_mediators >= 0, f"n_mediators must be >= 0, got {n_mediators}")
    _check(
        1 <= n_target_parents <= n_sources,
        f"n_target_parents={n_target_parents} is impossible: the target can have 1 to "
        f"{n_sources} parents (the {n_channels} channels and {n_mediators} mediators)",
    )
    _check(n_series >= 1, f"n_series must be >= 1, got {n_series}")
    _check(n_periods >= 2, f"n_periods must be >= 2, got {n_periods}")
    _check(
        1 <= n_graphs <= n_series,
        f"n_graphs={n_graphs} must be between 1 and n_series={n_series} (each graph needs a "
        "series)",
    )
    _check(0.0 <= comovement < 1.0, f"comovement must be in [0, 1), got {comovement}")
    _check(0.0 <= target_ar < 1.0, f"target_ar must be in [0, 1), got {target_ar}")
    _check(0.0 <= mediator_ar < 1.0, f"mediator_ar must be in [0, 1), got {mediator_ar}")
    _check(0.0 <= spend_ar < 1.0, f"spend_ar must be in [0, 1), got {spend_ar}")
    _check(noise >= 0 and obs_noise >= 0, "noise and obs_noise must be >= 0")
    _check(spend_volatility > 0, f"spend_volatility must be > 0, got {spend_volatility}")
    _check(max_lag >= 1, f"max_lag must be >= 1 (no instantaneous edges), got {max_lag}")
    _check(carryover_length >= 1, f"carryover_length must be >= 1, got {carryover_length}")
    _check(0.0 <= adstock_max < 1.0, f"adstock_max must be in [0, 1), got {adstock_max}")
    _check(max_mediator_parents >= 1, "max_mediator_parents must be >= 1")
    _check(0.0 <= zero_rate < 1.0, f"zero_rate must be in [0, 1), got {zero_rate}")
    _check(0.0 <= burst_rate <= 1.0, f"burst_rate must be in [0, 1], got {burst_rate}")
    _check(burn_in >= 0, f"burn_in must be >= 0, got {burn_in}")
    _check(
        set(controls) <= set(CONTROLS) and len(set(controls)) == len(controls),
        f"controls must be distinct names among {CONTROLS}, got {controls}",
    )
    channels = list(channel_names or [f"channel_{i}" for i in range(n_channels)])
    mediators = list(mediator_names or [f"mediator_{i}" for i in range(n_mediators)])
    _check(len(channels) == n_channels, f"{len(channels)} channel_names for {n_channels}")
    _check(len(mediators) == n_mediators, f"{len(mediators)} mediator_names for {n_mediators}")
    nodes = [*channels, *mediators, TARGET]
    _check(
        len(set(nodes) | set(controls)) == len(nodes) + len(controls)
        and not {"date", "geo"} & set(nodes),
        f"node and control names must be distinct and not 'date'/'geo': {nodes + list(controls)}",
    )

    _check(isinstance(seed, int | np.integer), f"seed must be an int, got {seed!r}")
    rng = np.random.default_rng(seed)
    n_c, n_n, n_s = n_channels, len(nodes), n_series
    n_total = burn_in + n_periods

    # graphs, their assignment to series, edge parameters
    graphs = _draw_graphs(rng, n_c, n_mediators, n_target_parents, n_graphs, max_mediator_parents)
    series_graph = rng.permutation(np.arange(n_s) % n_graphs)
    edges = _draw_edges(rng, graphs, max_lag, carryover_length, adstock_max)

    # static per-series context and size; node levels in original units
    context = rng.standard_normal(n_s)
    size = np.exp(rng.normal(0.0, 1.0 if raw_scale else 0.4, n_s))
    spend0 = 1000.0 * np.exp(rng.normal(1.5, 1.0 if raw_scale else 0.5, n_c))
    level = np.empty((n_s, n_n))
    level[:, :n_c] = size[:, None] * spend0
    if raw_scale:  # log-normal levels per (series, channel) too
        level[:, :n_c] *= np.exp(rng.normal(0.0, 1.0, (n_s, n_c)))
    level[:, n_c:-1] = size[:, None] * 10_000.0 * np.exp(rng.normal(0.0, 0.5, n_mediators))
    level[:, -1] = size * 40_000.0
    base = np.empty((n_s, n_n))
    base[:, :n_c] = 0.0
    base[:, n_c:] = rng.uniform(*_BASE, n_n - n_c)
    persistence = np.zeros(n_n)
    persistence[n_c:-1] = rng.uniform(0.0, mediator_ar, n_mediators)
    persistence[-1] = target_ar

    # controls: price (discount weeks, per series) and event (national dates), target only
    control_values, control_drive = {}, np.zeros((n_s, n_total, n_n))
    ref_price = rng.uniform(8.0, 12.0, n_s)
    discount = rng.random((n_s, n_total)) < 0.1
    wiggle = np.exp(0.03 * rng.standard_normal((n_s, n_total)))
    price = ref_price[:, None] * wiggle * np.where(discount, 0.85, 1.0)
    event = (rng.random(n_total) < 0.06).astype(float)[None, :].repeat(n_s, 0)
    price_coef, event_coef = rng.uniform(*_PRICE_COEF), rng.uniform(*_EVENT_COEF)
    if "price" in controls:
        control_values["price"] = price
        control_drive[..., -1] += price_coef * (1.0 - price / ref_price[:, None])
    if "event" in controls:
        control_values["event"] = event
        control_drive[..., -1] += event_coef * event

    # spend and noise
    mult, sigma = _draw_spend(
        rng, n_s, n_total, n_c, comovement, spend_ar, spend_volatility, raw_scale, zero_rate,
        burst_rate,
    )
    spend = mult * level[:, None, :n_c]
    noise_arr = np.zeros((2, n_s, n_total, n_n))
    noise_arr[0, ..., n_c:] = rng.normal(-0.5 * noise**2, noise, (n_s, n_total, n_n - n_c))
    noise_arr[1, ..., n_c:] = rng.normal(-0.5 * obs_noise**2, obs_noise, (n_s, n_total, n_n - n_c))

    # per-series padded edge lists, split by source group
    k_sens = edges["context_sensitivity"][series_graph] * context[:, None, None]
    per_series = {
        "beta": edges["effect"][series_graph],
        "half_sat": edges["half_saturation"][series_graph] * np.exp(k_sens),
        "hill_n": edges["hill_slope"][series_graph],
        "kernel": edges["kernel"][series_graph],
    }
    adj = graphs[series_graph].astype(bool)  # [S, N, N]
    system = _System(
        n_channels=n_c,
        from_channels=_edge_list(adj[:, :n_c, n_c:], per_series, slice(0, n_c), n_c),
        from_nodes=_edge_list(adj[:, n_c:, n_c:], per_series, slice(n_c, n_n), n_c),
        base=base,
        level=level,
        persistence=persistence,
        control_drive=control_drive,
        burn_in=burn_in,
    )

    observed = _dynamics(system, spend, noise_arr)[:, burn_in:]  # [S, T, N]
    # truth: noise-free, actual spend and each channel zeroed over the observed window
    scen = np.repeat(spend[None], n_c + 1, axis=0)
    for c in range(n_c):
        scen[c + 1, :, burn_in:, c] = 0.0
    y_free = _dynamics(system, scen, target_only=True)[:, :, burn_in:]  # [C + 1, S, T]
    contribution = (y_free[0] - y_free[1:]).transpose(2, 1, 0)  # [T, S, C]

    # data frame in pymc-marketing layout
    dates = pd.date_range(start_date, periods=n_periods, freq="W-MON").as_unit("ns")
    geos = _series_names(n_s)
    cols: dict[str, Any] = {
        "date": np.tile(dates.values, n_s),
        "geo": np.repeat(np.array(geos, dtype=object), n_periods),
    }
    for k, name in enumerate(nodes[:-1]):
        cols[name] = observed[..., k].reshape(-1)
    for name in controls:
        cols[name] = control_values[name][:, burn_in:].reshape(-1)
    cols[TARGET] = observed[..., -1].reshape(-1)
    df = pd.DataFrame(cols)
    df["geo"] = df["geo"].astype(str)

    # truth
    g_ids = np.arange(len(graphs))
    counts = np.bincount(series_graph, minlength=len(graphs))
    main = int(np.argmax(counts))
    gdims = ("graph_id", "source", "target")
    total_spend = spend[:, burn_in:].sum(axis=(0, 1))
    total_contrib = contribution.sum(axis=(0, 1))
    roas = np.divide(total_contrib, total_spend, out=np.zeros(n_c), where=total_spend > 0)
    attrs = {
        "preset": preset,
        "n_channels": n_c,
        "n_mediators": n_mediators,
        "n_target_parents": n_target_parents,
        "n_series": n_s,
        "n_periods": n_periods,
        "n_graphs": n_graphs,
        "comovement": float(comovement),
        "target_ar": float(target_ar),
        "noise": float(noise),
        "obs_noise": float(obs_noise),
        "max_lag": max_lag,
        "raw_scale": int(raw_scale),
        "seed": seed,
        "mediator_ar": float(mediator_ar),
        "spend_ar": float(spend_ar),
        "spend_volatility": float(spend_volatility),
        "carryover_length": carryover_length,
        "adstock_max": float(adstock_max),
        "max_mediator_parents": max_mediator_parents,
        "controls": ",".join(controls),
        "zero_rate": float(zero_rate),
        "burst_rate": float(burst_rate),
        "burn_in": burn_in,
        "start_date": str(start_date),
        "main_graph_id": main,
        "price_coef": float(price_coef),
        "event_coef": float(event_coef),
    }
    truth = xr.Dataset(
        {
            "graph": (("source", "target"), graphs[main]),
            "graphs": (gdims, graphs),
            "series_graph": (("geo",), series_graph.astype(np.int64)),
            "lag": (gdims, edges["lag"]),
            "carryover": (gdims, edges["carryover"]),
            "adstock_alpha": (gdims, edges["adstock_alpha"]),
            "adstock_delay": (gdims, edges["adstock_delay"]),
            "kernel": ((*gdims, "kernel_lag"), edges["kernel"]),
            "effect": (gdims, edges["effect"]),
            "half_saturation": (gdims, edges["half_saturation"]),
            "hill_slope": (gdims, edges["hill_slope"]),
            "context_sensitivity": (gdims, edges["context_sensitivity"]),
            "context": (("geo",), context),
            "persistence": (("node",), persistence),
            "base": (("node",), base[0]),
            "log_spend_sd": (("channel",), sigma),
            "channel_contribution": (("date", "geo", "channel"), contribution),
            "roas": (("channel",), roas),
        },
        coords={
            "source": nodes,
            "target": nodes,
            "node": nodes,
            "graph_id": g_ids,
            "geo": geos,
            "date": dates.values,
            "channel": channels,
            "kernel_lag": np.arange(1, system.n_lags + 1),
        },
        attrs=attrs,
    )
    truth["carryover"].attrs["codes"] = "-1: no edge, 0: geometric, 1: delayed"
    truth["kernel"].attrs["description"] = "weight of the source's value at lag kernel_lag"
    truth["channel_contribution"].attrs["units"] = "original target units (noise-free)"
    roles = {
        "date_column": "date",
        "dims": ("geo",),
        "channel_columns": tuple(channels),
        "mediator_columns": tuple(mediators),
        "control_columns": controls,
        "target_column": TARGET,
    }
    return Simulation(df, truth, roles, system, spend, noise_arr)


def sparse_target(
    n_series: int = 96, n_periods: int = 104, seed: int = 0, **overrides: Any
) -> Simulation:
    """The paper's sparse-target preset: 8 nodes, a 2-parent target, strong bait.

    5 channels (``tv``, ``radio``, ``social``, ``search_ads``, ``display``), 2 mediators
    (``visits``, ``branded_search``), target ``y`` with exactly 2 parents; channel
    co-movement 0.99 and target autoregression 0.85, yet the target's innovations are driven
    by its parents (not predictable from its own past alone). ``overrides`` go to
    :func:`simulate`.

    Examples
    --------
    >>> sim = sparse_target(n_series=2, n_periods=10)
    >>> sim.nodes
    ['tv', 'radio', 'social', 'search_ads', 'display', 'visits', 'branded_search', 'y']
    """
    kwargs: dict[str, Any] = {
        "n_channels": 5,
        "n_mediators": 2,
        "n_target_parents": 2,
        "comovement": 0.99,
        "target_ar": 0.85,
        "preset": "sparse_target",
    }
    kwargs.update(overrides)
    if kwargs["n_channels"] == 5:
        kwargs.setdefault("channel_names", SPARSE_CHANNELS)
    if kwargs["n_mediators"] == 2:
        kwargs.setdefault("mediator_names", SPARSE_MEDIATORS)
    return simulate(n_series=n_series, n_periods=n_periods, seed=seed, **kwargs)


def rdt(
    R: int, d: int, T: int, n_series: int = 96, seed: int = 0, **overrides: Any
) -> Simulation:
    """Controlled swaps: ``R`` distinct graphs shared across the series, ``d`` nodes, ``T`` weeks.

    Mediators are ``max(1, round(d / 4))``, channels the rest but the target (``d = 8``
    gives the sparse-target layout); the target has 2 parents; the bait is that of
    :func:`sparse_target`. Series are split into ``R`` balanced random groups.

    Examples
    --------
    >>> sim = rdt(2, 5, 12, n_series=4)
    >>> sim.truth.sizes["graph_id"], len(sim.nodes), sim.df["date"].nunique()
    (2, 5, 12)
    """
    _check(d >= 3, f"rdt needs d >= 3 nodes (a channel, a mediator and the target), got {d}")
    n_med = max(1, round(d / 4))
    kwargs: dict[str, Any] = {
        "n_channels": d - 1 - n_med,
        "n_mediators": n_med,
        "n_target_parents": 2,
        "n_graphs": R,
        "comovement": 0.99,
        "target_ar": 0.85,
        "preset": f"rdt(R={R},d={d},T={T})",
    }
    kwargs.update(overrides)
    return simulate(n_series=n_series, n_periods=T, seed=seed, **kwargs)


def rawlog(
    n_series: int = 96, n_periods: int = 104, seed: int = 0, **overrides: Any
) -> Simulation:
    """Multi-graph stress test: a distinct graph per series and raw heavy-tailed spend.

    8 nodes as in :func:`sparse_target` (generic names), ``raw_scale=True`` (log-normal
    levels, flighting zeros, Pareto bursts), ``n_graphs = n_series``, co-movement 0.9.

    Examples
    --------
    >>> sim = rawlog(n_series=3, n_periods=10)
    >>> sim.truth.sizes["graph_id"], sorted(set(sim.truth["series_graph"].values.tolist()))
    (3, [0, 1, 2])
    """
    kwargs: dict[str, Any] = {
        "n_channels": 5,
        "n_mediators": 2,
        "n_target_parents": 2,
        "n_graphs": n_series,
        "comovement": 0.9,
        "target_ar": 0.85,
        "raw_scale": True,
        "preset": "rawlog",
    }
    kwargs.update(overrides)
    return simulate(n_series=n_series, n_periods=n_periods, seed=seed, **kwargs)
