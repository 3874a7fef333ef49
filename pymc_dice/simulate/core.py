"""The random lagged-DAG simulator :func:`simulate` (see ``docs/simulator.md``).

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
  ``k < carryover_length``, weights summing to one), Hill saturation ``h = r / (1 + r)``,
  ``r = (a / K_s)**n`` of the adstocked normalised source ``a``, and a positive effect
  ``beta``. The half-saturation ``K_s = K * exp(gamma * context_s)`` is shifted by a static
  per-series context.
- **Mediators and target** (normalised state ``x``, about 1 on average):
  ``x_t = rho * x_{t-1} + (1 - rho) * drive_t * exp(shock_t)`` with
  ``drive_t = base + sum_j beta_j * h_j(t) + controls_t``. ``rho`` is ``target_ar`` for the
  target (the bypass bait) and mild for mediators. Controls (``price``, ``event``) are
  exogenous and enter the target's own equation only. Mediators drive mediators in a random
  DAG order. Observed values are ``level * x * exp(obs_noise)``; channels are observed exactly.

The truth contributions are not a formula: the dynamics are re-run without noise once with
the actual spend and once per channel with that channel's spend set to zero over the whole
observed window (the ``C + 1`` scenarios stacked on a leading axis, one pass), and
``contribution = y(all) - y(channel zeroed)`` in original target units.

Tuning. With ``target_ar = 0.85`` the target's own past explains at least ``0.85**2 = 0.72``
of its (within-series) variance, so its parents can add at most about 0.28, and only if the
drive is close to white: every smoothing of the drive (persistent spend, long carryover,
co-moving parents at different lags, persistent mediators) is predictable from y's own past
and eats into that share. The defaults therefore use white log-spend (``spend_ar = 0``),
short carryover (``carryover_length = 2``, ``alpha < 0.2``), mildly persistent mediators
(``rho < 0.2``) and small noise (``noise = 0.05``, ``obs_noise = 0.01``). On
``sparse_target`` seeds 0..9 an AR(2) model of y reaches an out-of-sample R^2 of 0.75-0.86
and adding the true parents' adstocked inputs gains 0.09-0.19 (0.19 on seed 0); see
``tests/test_simulate.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.simulate.config import SimConfig
from pymc_dice.simulate.dag import DagSystem, draw_edges, draw_graphs, draw_spend, edge_list
from pymc_dice.simulate.result import (
    Simulation,
    resimulate_contributions,
    series_names,
    truth_roas,
)

__all__ = ["simulate"]

TARGET = "y"
_BASE = (0.2, 0.4)  # intercept of mediators and target
_PRICE_COEF = (0.4, 0.8)  # target lift per unit relative discount
_EVENT_COEF = (0.1, 0.2)  # target lift in event weeks


def simulate(config: SimConfig | None = None, /, **kwargs: Any) -> Simulation:
    """Simulate a panel from a random lagged DAG with known noise-free contributions.

    Parameters
    ----------
    config : SimConfig, optional
        A ready parameter set; ``kwargs`` update it (or build one from the defaults).
    **kwargs
        Settings of :class:`SimConfig`, below.

    Other Parameters
    ----------------
    n_channels, n_mediators : int
        Node counts (default 5 and 2); the target ``y`` is always one node.
    n_target_parents : int
        Exact number of parents of the target (channels and/or mediators; default 2).
    n_series, n_periods : int
        Panel size ``S`` (geos, default 96) x ``T`` (weeks, default 104).
    n_graphs : int
        Distinct graphs, assigned to series in balanced random groups (default 1).
    comovement : float
        Correlation of log-spend innovations between channels, in ``[0, 1)`` (0.99).
    target_ar : float
        The target's own lag-1 persistence, in ``[0, 1)`` (0.85).
    noise, obs_noise : float
        Standard deviations of the log process shocks (mediators, target; 0.05) and of the
        log observation noise (0.01).
    max_lag : int
        Edge lags are drawn in ``1..max_lag`` (2).
    raw_scale : bool
        Heavy-tailed raw spend: wide log-normal levels, flighting zeros (about
        ``zero_rate`` = 0.2 of weeks) and Pareto bursts (``burst_rate`` = 0.05 of weeks).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives bit-identical output.
    mediator_ar, spend_ar, spend_volatility : float
        Mediator persistence upper bound (0.2), AR(1) coefficient (0) and innovation scale
        (0.5) of channel log-spend.
    carryover_length, adstock_max : int, float
        Adstock window (weeks from the edge's lag on; 2) and upper bound of the decay
        ``alpha`` (0.2).
    max_mediator_parents, burn_in : int
        Mediator in-degree bound (2), and discarded warm-up weeks (52).
    controls : sequence of str
        Subset of ``("price", "event")``: exogenous controls of the target's equation.
    channel_names, mediator_names : sequence of str, optional
        Column names (default ``channel_0..``, ``mediator_0..``).
    start_date, preset : str
        First (Monday) week, and the name stored in ``truth.attrs["preset"]``.

    Returns
    -------
    Simulation

    Raises
    ------
    pymc_dice.exceptions.ConfigError
        An unknown keyword (with a did-you-mean hint) or an impossible value.

    Examples
    --------
    >>> sim = simulate(n_channels=3, n_mediators=1, n_series=3, n_periods=10, seed=0)
    >>> list(sim.df.columns)
    ['date', 'geo', 'channel_0', 'channel_1', 'channel_2', 'mediator_0', 'price', 'event', 'y']
    >>> sim.truth["channel_contribution"].dims
    ('date', 'geo', 'channel')
    """
    cfg = SimConfig.create(**kwargs) if config is None else config.updated(**kwargs)
    rng = np.random.default_rng(cfg.seed)
    n_total = cfg.burn_in + cfg.n_periods
    graphs = draw_graphs(
        rng, cfg.n_channels, cfg.n_mediators, cfg.n_target_parents, cfg.n_graphs,
        cfg.max_mediator_parents,
    )  # fmt: skip
    series_graph = rng.permutation(np.arange(cfg.n_series) % cfg.n_graphs)
    edges = draw_edges(rng, graphs, cfg.max_lag, cfg.carryover_length, cfg.adstock_max)
    context, level, base, persistence = _draw_levels(rng, cfg)
    controls = _draw_controls(rng, cfg, n_total)
    mult, sigma = draw_spend(rng, cfg, n_total)
    spend = mult * level[:, None, : cfg.n_channels]
    noise = _draw_noise(rng, cfg, n_total)
    system = _build_system(cfg, graphs, series_graph, edges, context, level, base, persistence,
                           controls["drive"])  # fmt: skip
    observed = system.run(spend, noise)[:, cfg.burn_in :]  # [S, T, N]
    contribution = resimulate_contributions(system, spend)  # [T, S, C]
    df = _frame(cfg, observed, controls)
    parts = {
        "graphs": graphs, "series_graph": series_graph, "edges": edges, "context": context,
        "persistence": persistence, "base": base, "sigma": sigma, "spend": spend,
        "contribution": contribution, "coefs": controls["coefs"],
    }  # fmt: skip
    truth = _truth(cfg, parts, system.n_lags)
    roles = {
        "date_column": "date",
        "dims": ("geo",),
        "channel_columns": cfg.channels,
        "mediator_columns": cfg.mediators,
        "control_columns": cfg.controls,
        "target_column": TARGET,
    }
    return Simulation(df, truth, roles, system, spend, noise)


def _draw_levels(rng: np.random.Generator, cfg: SimConfig) -> tuple[np.ndarray, ...]:
    """Static per-series context, node levels (original units), intercepts, persistence."""
    n_c, n_m, n_s = cfg.n_channels, cfg.n_mediators, cfg.n_series
    n_n = n_c + n_m + 1
    context = rng.standard_normal(n_s)
    size = np.exp(rng.normal(0.0, 1.0 if cfg.raw_scale else 0.4, n_s))
    spend0 = 1000.0 * np.exp(rng.normal(1.5, 1.0 if cfg.raw_scale else 0.5, n_c))
    level = np.empty((n_s, n_n))
    level[:, :n_c] = size[:, None] * spend0
    if cfg.raw_scale:  # log-normal levels per (series, channel) too
        level[:, :n_c] *= np.exp(rng.normal(0.0, 1.0, (n_s, n_c)))
    level[:, n_c:-1] = size[:, None] * 10_000.0 * np.exp(rng.normal(0.0, 0.5, n_m))
    level[:, -1] = size * 40_000.0
    base = np.empty((n_s, n_n))
    base[:, :n_c] = 0.0
    base[:, n_c:] = rng.uniform(*_BASE, n_n - n_c)
    persistence = np.zeros(n_n)
    persistence[n_c:-1] = rng.uniform(0.0, cfg.mediator_ar, n_m)
    persistence[-1] = cfg.target_ar
    return context, level, base, persistence


def _draw_controls(rng: np.random.Generator, cfg: SimConfig, n_total: int) -> dict[str, Any]:
    """``price`` (discount weeks, per series) and ``event`` (national dates), target only.

    Both are drawn whatever ``cfg.controls`` holds, so the other draws do not move.
    """
    n_s, n_n = cfg.n_series, len(cfg.nodes)
    values, drive = {}, np.zeros((n_s, n_total, n_n))
    ref_price = rng.uniform(8.0, 12.0, n_s)
    discount = rng.random((n_s, n_total)) < 0.1
    wiggle = np.exp(0.03 * rng.standard_normal((n_s, n_total)))
    price = ref_price[:, None] * wiggle * np.where(discount, 0.85, 1.0)
    event = (rng.random(n_total) < 0.06).astype(float)[None, :].repeat(n_s, 0)
    price_coef, event_coef = rng.uniform(*_PRICE_COEF), rng.uniform(*_EVENT_COEF)
    if "price" in cfg.controls:
        values["price"] = price
        drive[..., -1] += price_coef * (1.0 - price / ref_price[:, None])
    if "event" in cfg.controls:
        values["event"] = event
        drive[..., -1] += event_coef * event
    return {"values": values, "drive": drive, "coefs": (price_coef, event_coef)}


def _draw_noise(rng: np.random.Generator, cfg: SimConfig, n_total: int) -> np.ndarray:
    """Log process shocks ``[0]`` and log observation noise ``[1]``, ``[2, S, T_total, N]``."""
    n_c, n_n, n_s = cfg.n_channels, len(cfg.nodes), cfg.n_series
    noise = np.zeros((2, n_s, n_total, n_n))
    shape = (n_s, n_total, n_n - n_c)
    noise[0, ..., n_c:] = rng.normal(-0.5 * cfg.noise**2, cfg.noise, shape)
    noise[1, ..., n_c:] = rng.normal(-0.5 * cfg.obs_noise**2, cfg.obs_noise, shape)
    return noise


def _build_system(
    cfg: SimConfig,
    graphs: np.ndarray,
    series_graph: np.ndarray,
    edges: dict[str, np.ndarray],
    context: np.ndarray,
    level: np.ndarray,
    base: np.ndarray,
    persistence: np.ndarray,
    control_drive: np.ndarray,
) -> DagSystem:
    """Per-series padded edge lists, split by source group, and the node parameters."""
    n_c, n_n = cfg.n_channels, len(cfg.nodes)
    k_sens = edges["context_sensitivity"][series_graph] * context[:, None, None]
    per_series = {
        "beta": edges["effect"][series_graph],
        "half_sat": edges["half_saturation"][series_graph] * np.exp(k_sens),
        "hill_n": edges["hill_slope"][series_graph],
        "kernel": edges["kernel"][series_graph],
    }
    adj = graphs[series_graph].astype(bool)  # [S, N, N]
    return DagSystem(
        n_channels=n_c,
        from_channels=edge_list(adj[:, :n_c, n_c:], per_series, slice(0, n_c), n_c),
        from_nodes=edge_list(adj[:, n_c:, n_c:], per_series, slice(n_c, n_n), n_c),
        base=base,
        level=level,
        persistence=persistence,
        control_drive=control_drive,
        burn_in=cfg.burn_in,
    )


def _frame(cfg: SimConfig, observed: np.ndarray, controls: dict[str, Any]) -> pd.DataFrame:
    """The panel in pymc-marketing layout, rows sorted by (geo, date)."""
    n_s, n_t = cfg.n_series, cfg.n_periods
    dates = pd.date_range(cfg.start_date, periods=n_t, freq="W-MON").as_unit("ns")
    cols: dict[str, Any] = {
        "date": np.tile(dates.values, n_s),
        "geo": np.repeat(np.array(series_names(n_s), dtype=object), n_t),
    }
    for k, name in enumerate(cfg.nodes[:-1]):
        cols[name] = observed[..., k].reshape(-1)
    for name in cfg.controls:
        cols[name] = controls["values"][name][:, cfg.burn_in :].reshape(-1)
    cols[TARGET] = observed[..., -1].reshape(-1)
    df = pd.DataFrame(cols)
    df["geo"] = df["geo"].astype(str)
    return df


def _attrs(cfg: SimConfig, main: int, coefs: tuple[float, float]) -> dict[str, Any]:
    """Scalar parameters for ``truth.attrs`` (netCDF-safe types)."""
    attrs: dict[str, Any] = {}
    for name in (
        "preset", "n_channels", "n_mediators", "n_target_parents", "n_series", "n_periods",
        "n_graphs", "comovement", "target_ar", "noise", "obs_noise", "max_lag", "raw_scale",
        "seed", "mediator_ar", "spend_ar", "spend_volatility", "carryover_length",
        "adstock_max", "max_mediator_parents", "controls", "zero_rate", "burst_rate",
        "burn_in", "start_date",
    ):  # fmt: skip
        value = getattr(cfg, name)
        if name == "controls":
            value = ",".join(value)
        elif name == "raw_scale":
            value = int(value)
        elif name == "start_date":
            value = str(value)
        elif isinstance(value, float):
            value = float(value)
        attrs[name] = value
    attrs["main_graph_id"] = main
    attrs["price_coef"], attrs["event_coef"] = float(coefs[0]), float(coefs[1])
    return attrs


def _truth(cfg: SimConfig, parts: dict[str, Any], n_lags: int) -> xr.Dataset:
    """The truth Dataset: graphs, edge parameters, contributions and ROAS."""
    graphs, edges = parts["graphs"], parts["edges"]
    counts = np.bincount(parts["series_graph"], minlength=len(graphs))
    main = int(np.argmax(counts))
    gdims = ("graph_id", "source", "target")
    geos = series_names(cfg.n_series)
    dates = pd.date_range(cfg.start_date, periods=cfg.n_periods, freq="W-MON").as_unit("ns")
    contribution = xr.DataArray(parts["contribution"], dims=("date", "geo", "channel"))
    roas = truth_roas(contribution, parts["spend"][:, cfg.burn_in :])
    edge_vars = {name: (gdims, edges[name]) for name in (
        "lag", "carryover", "adstock_alpha", "adstock_delay",
    )}  # fmt: skip
    edge_vars["kernel"] = ((*gdims, "kernel_lag"), edges["kernel"])
    for name in ("effect", "half_saturation", "hill_slope", "context_sensitivity"):
        edge_vars[name] = (gdims, edges[name])
    truth = xr.Dataset(
        {
            "graph": (("source", "target"), graphs[main]),
            "graphs": (gdims, graphs),
            "series_graph": (("geo",), parts["series_graph"].astype(np.int64)),
            **edge_vars,
            "context": (("geo",), parts["context"]),
            "persistence": (("node",), parts["persistence"]),
            "base": (("node",), parts["base"][0]),
            "log_spend_sd": (("channel",), parts["sigma"]),
            "channel_contribution": (contribution.dims, contribution.values),
            "roas": (("channel",), roas.values),
        },
        coords={
            "source": list(cfg.nodes),
            "target": list(cfg.nodes),
            "node": list(cfg.nodes),
            "graph_id": np.arange(len(graphs)),
            "geo": geos,
            "date": dates.values,
            "channel": list(cfg.channels),
            "kernel_lag": np.arange(1, n_lags + 1),
        },
        attrs=_attrs(cfg, main, parts["coefs"]),
    )
    truth["carryover"].attrs["codes"] = "-1: no edge, 0: geometric, 1: delayed"
    truth["kernel"].attrs["description"] = "weight of the source's value at lag kernel_lag"
    truth["channel_contribution"].attrs["units"] = "original target units (noise-free)"
    return truth
