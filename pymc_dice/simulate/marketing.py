"""Marketing-mix presets for pymc-marketing users: :func:`national` (one series, or a few
geos) and :func:`geo_panel` (many geos, a funnel through mediators, co-moving channels, a
placebo), each with its true ROAS per channel by re-simulation (see ``docs/simulator.md``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.simulate.config import CONTROLS, MediaConfig
from pymc_dice.simulate.media import MediaSystem, ar_filter, carryover_kernels
from pymc_dice.simulate.result import (
    Simulation,
    resimulate_contributions,
    series_names,
    truth_roas,
)

__all__ = ["geo_panel", "national"]

TARGET = "y"


def national(
    n_channels: int = 3,
    n_periods: int = 156,
    seed: int = 0,
    n_geos: int | None = None,
    carryover: str = "geometric",
    saturation: str = "logistic",
    freq: str = "W-MON",
    noise: float = 0.05,
    **overrides: Any,
) -> Simulation:
    """A national marketing-mix panel: one series (no dims column), or ``n_geos`` geos.

    Channels (``tv``, ``social``, ``search``, ...) spend hundreds to thousands per week in
    on/off bursts (some zero weeks); carryover from the same week on (``"geometric"``, or
    ``"delayed"``: bell-shaped, peaking at lag 1-2 weeks); ``"logistic"`` or ``"hill"``
    saturation; a trend, yearly seasonality, a holiday/event column (0/1) and a price index
    with a negative effect; additive noise (``noise`` = its coefficient of variation). The
    true ROAS of each channel is distinct, in about 0.7-6. ``overrides`` set any other field of
    :class:`~pymc_dice.simulate.MediaConfig` (e.g. ``target_ar=0.3``).

    Examples
    --------
    >>> sim = national(n_periods=52, seed=1)
    >>> list(sim.df.columns)
    ['date', 'tv', 'social', 'search', 'price', 'event', 'y']
    >>> sim.truth["roas"].round(2).values.tolist()
    [0.75, 4.53, 2.64]
    """
    settings = {
        "preset": "national", "n_channels": n_channels, "n_periods": n_periods, "seed": seed,
        "n_geos": n_geos, "carryover": carryover, "saturation": saturation, "freq": freq,
        "noise": noise,
    }  # fmt: skip
    return build(MediaConfig.create(**{**settings, **overrides}))


def geo_panel(
    n_geos: int = 60,
    n_periods: int = 120,
    n_channels: int = 6,
    n_mediators: int = 2,
    seed: int = 0,
    comovement: float = 0.9,
    placebo: bool = True,
    target_ar: float = 0.55,
    **overrides: Any,
) -> Simulation:
    """A geo panel: shared media parameters with a per-geo market size, a funnel
    channels -> mediators (``visits``, ``branded_search``) -> ``y`` plus direct edges, Hill
    saturation, mixed geometric/delayed carryover, co-moving channels and a placebo.

    The channels' log spend co-moves within each geo through a shared flighting factor
    (pairwise correlation ``comovement``); the ``placebo`` channel's log spend follows
    ``tv``'s at correlation 0.97 but has no effect (true ROAS exactly 0). ``overrides`` set
    any other field of :class:`~pymc_dice.simulate.MediaConfig`.

    Examples
    --------
    >>> sim = geo_panel(n_geos=4, n_periods=30, seed=0)
    >>> sim.channels[-1], sim.roles["mediator_columns"], float(sim.truth["roas"][-1])
    ('placebo', ('visits', 'branded_search'), 0.0)
    """
    settings = {
        "preset": "geo_panel", "n_geos": n_geos, "n_periods": n_periods,
        "n_channels": n_channels, "n_mediators": n_mediators, "seed": seed,
        "comovement": comovement, "placebo": placebo, "target_ar": target_ar,
        "carryover": "mixed", "saturation": "hill", "flighting": False,
        "budget_seasonality": 0.0, "trend": 0.03,
    }  # fmt: skip
    return build(MediaConfig.create(**{**settings, **overrides}))


def build(cfg: MediaConfig) -> Simulation:
    """Draw and run a marketing-mix panel for ``cfg`` (what the presets call).

    Examples
    --------
    >>> build(MediaConfig(n_periods=8)).df.shape
    (8, 7)
    """
    rng = np.random.default_rng(cfg.seed)
    spw = cfg.steps_per_week
    n_s = 1 if cfg.n_geos is None else cfg.n_geos
    n_total = cfg.burn_in * spw + cfg.n_periods
    dates = _all_dates(cfg, n_total)
    size = np.ones(1) if cfg.n_geos is None else _market_size(rng, n_s)
    spend, scale = _draw_spend(rng, cfg, dates, size)
    edges = _draw_edges(rng, cfg)
    roas_target = _roas_targets(rng, cfg)
    levels = _draw_levels(rng, cfg, spend, size, roas_target, n_total - cfg.n_periods)
    controls = _draw_controls(rng, cfg, dates, n_s)
    base = _base_drive(cfg, dates, levels, controls)
    system = MediaSystem(
        n_channels=len(cfg.channels), size=size, spend_scale=scale, edge_src=edges["src"],
        edge_dst=edges["dst"], edge_kernel=edges["kernel"], edge_beta=edges["beta"],
        edge_saturation=edges["saturation"], edge_lam=edges["lam"],
        edge_half_sat=edges["half_sat"], edge_slope=edges["slope"],
        mediator_kernel=levels["mediator_kernel"], mediator_effect=levels["gamma"],
        base_drive=base, persistence=levels["persistence"], burn_in=n_total - cfg.n_periods,
    )  # fmt: skip
    system = _calibrate(system, spend, roas_target)
    levels.update(edge_alpha=edges["alpha"], edge_delayed=edges["delayed"])
    noise = rng.standard_normal((n_s, n_total, cfg.n_mediators + 1)) * levels["shock_sd"]
    observed = system.run(spend, noise)[:, system.burn_in :]
    contribution = resimulate_contributions(system, spend)  # [T, S, C]
    df = _frame(cfg, dates[system.burn_in :], observed, controls, system.burn_in)
    truth = _truth(cfg, dates[system.burn_in :], system, spend, contribution, levels, controls)
    roles = {
        "date_column": "date",
        "dims": cfg.dims,
        "channel_columns": cfg.channels,
        "mediator_columns": cfg.mediators,
        "control_columns": CONTROLS,
        "target_column": TARGET,
    }
    return Simulation(df, truth, roles, system, spend, noise)


# ----------------------------------------------------------------------------------- draws


def _all_dates(cfg: MediaConfig, n_total: int) -> pd.DatetimeIndex:
    """Warm-up and window dates; the window starts at ``cfg.start_date``."""
    window = pd.date_range(cfg.start_date, periods=2, freq=cfg.freq)
    first = window[0] - (n_total - cfg.n_periods) * (window[1] - window[0])
    return pd.date_range(first, periods=n_total, freq=cfg.freq).as_unit("ns")


def _market_size(rng: np.random.Generator, n_s: int) -> np.ndarray:
    """Log-normal market sizes with mean 1."""
    size = np.exp(rng.normal(0.0, 0.6, n_s))
    return size / size.mean()


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) paths along axis ``-2``."""
    e = rng.standard_normal(shape)
    x = e * np.sqrt(1.0 - phi**2)
    return ar_filter(x, np.full(shape[-1], phi), init=e[..., 0, :])


def _draw_spend(
    rng: np.random.Generator, cfg: MediaConfig, dates: pd.DatetimeIndex, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Spend ``[S, T_total, C]`` (placebo last) and the per-size spend scale ``[C]``.

    Log spend is ``log(size * ref) + sigma * g - sigma**2 / 2`` (+ budget seasonality) with
    ``g = sqrt(comovement) * F + sqrt(1 - comovement) * e``: ``F`` the shared flighting
    factor (70% national, 30% per geo), ``e`` the channel's own; all unit-variance AR(1).
    """
    n_c, n_s, n_t, spw = cfg.n_channels, len(size), len(dates), cfg.steps_per_week
    phi = cfg.spend_ar ** (1.0 / spw)
    ref = np.exp(rng.uniform(np.log(300.0), np.log(5000.0), n_c)) / spw
    sigma = rng.uniform(0.25, 0.5, n_c)
    shared = np.sqrt(0.7) * _ar1(rng, (1, n_t, 1), phi)
    shared = shared + np.sqrt(0.3) * _ar1(rng, (n_s, n_t, 1), phi)
    g = np.sqrt(cfg.comovement) * shared
    g = g + np.sqrt(1.0 - cfg.comovement) * _ar1(rng, (n_s, n_t, n_c), phi)
    if cfg.placebo:
        r = cfg.placebo_correlation
        own = _ar1(rng, (n_s, n_t, 1), phi)
        g = np.concatenate([g, r * g[..., :1] + np.sqrt(1.0 - r**2) * own], axis=-1)
        ref, sigma = np.append(ref, ref[0]), np.append(sigma, sigma[0])
    season = cfg.budget_seasonality * np.cos(2 * np.pi * (_year_fraction(dates) - 0.9))
    log_mult = sigma * g - 0.5 * sigma**2 + season[None, :, None]
    spend = size[:, None, None] * ref * np.exp(log_mult)
    if cfg.flighting:
        spend = spend * _flighting(rng, cfg, n_t, len(ref))[None]
    return spend, ref


def _flighting(rng: np.random.Generator, cfg: MediaConfig, n_t: int, n_c: int) -> np.ndarray:
    """On/off bursts ``[T, C]`` (national): alternating geometric runs, dark about
    ``zero_rate`` of the time (per channel 0.5-1.5 times it), off runs of about 2.5 weeks."""
    spw = cfg.steps_per_week
    dark = np.clip(cfg.zero_rate * rng.uniform(0.5, 1.5, n_c), 0.0, 0.9)
    off_len = 2.5 * spw
    on_len = off_len * (1.0 - dark) / np.maximum(dark, 1e-9)
    on = np.ones((n_t, n_c))
    for c in range(n_c):  # channels, not periods: runs are drawn all at once
        runs = np.empty(2 * n_t)
        runs[0::2] = rng.geometric(1.0 / max(on_len[c], 1.0), n_t)
        runs[1::2] = rng.geometric(1.0 / off_len, n_t)
        start = rng.integers(0, int(runs[0]) + 1)  # random phase inside the first run
        state = np.searchsorted(np.cumsum(runs), np.arange(n_t) + start, side="right")
        on[:, c] = (state % 2 == 0) | (dark[c] == 0)
    if cfg.placebo:
        on[:, -1] = on[:, 0]  # the placebo follows its leader on and off
    on[-1, on.sum(0) == 0] = 1.0  # every channel spends at least once
    return on


def _draw_edges(rng: np.random.Generator, cfg: MediaConfig) -> dict[str, np.ndarray]:
    """Channel edges (placebo: none): direct to ``y`` and, with mediators, a random funnel.

    Every channel has a path to ``y``, every mediator a parent channel, and at least one
    channel a direct edge; unit effects are rescaled by :func:`_calibrate`.
    """
    n_c, n_m = cfg.n_channels, cfg.n_mediators
    adj = np.zeros((n_c, n_m + 1), dtype=bool)  # [channel, mediators + target]
    if n_m == 0:
        adj[:, 0] = True
    else:
        adj = rng.random((n_c, n_m + 1)) < 0.5
        for c in np.flatnonzero(~adj.any(1)):
            adj[c, rng.integers(n_m)] = True
        for m in np.flatnonzero(~adj[:, :n_m].any(0)):
            adj[rng.integers(n_c), m] = True
        if not adj[:, n_m].any():
            adj[rng.integers(n_c), n_m] = True
    src, dst = np.nonzero(adj)
    n_e, spw = len(src), cfg.steps_per_week
    delayed = np.full(n_e, cfg.carryover == "delayed")
    if cfg.carryover == "mixed":
        delayed = rng.random(n_e) < 0.5
        delayed[rng.integers(n_e)] = True
    alpha = np.where(delayed, rng.uniform(0.3, 0.6, n_e), rng.uniform(0.2, 0.7, n_e))
    peak = np.where(delayed, rng.integers(1, 3, n_e), 0)
    hill_edges = np.full(n_e, cfg.saturation == "hill")
    return {
        "src": src, "dst": dst, "delayed": delayed, "alpha": alpha, "peak": peak * spw,
        "kernel": carryover_kernels(delayed, alpha, peak, cfg.max_carryover * spw, spw),
        "saturation": hill_edges.astype(np.int8),
        "lam": np.where(hill_edges, 1.0, rng.uniform(0.8, 2.5, n_e)),
        "half_sat": np.where(hill_edges, rng.uniform(0.5, 1.5, n_e), 1.0),
        "slope": np.where(hill_edges, rng.uniform(1.0, 2.5, n_e), 1.0),
        "beta": rng.uniform(0.5, 1.5, n_e),  # unit shares, before calibration
    }  # fmt: skip


def _roas_targets(rng: np.random.Generator, cfg: MediaConfig) -> np.ndarray:
    """Distinct true ROAS per channel: one log-uniform draw per equal slice of
    ``roas_range``, shuffled (the placebo's is 0)."""
    lo, hi = np.log(cfg.roas_range)
    edges = np.linspace(lo, hi, cfg.n_channels + 1)
    roas = np.exp(rng.uniform(edges[:-1], edges[1:]))[rng.permutation(cfg.n_channels)]
    return np.append(roas, 0.0) if cfg.placebo else roas


def _draw_levels(
    rng: np.random.Generator,
    cfg: MediaConfig,
    spend: np.ndarray,
    size: np.ndarray,
    roas: np.ndarray,
    burn: int,
) -> dict[str, Any]:
    """Baseline ``B`` (media = ``media_share`` of sales), mediator levels and effects,
    persistence and shock scales, all per unit size and period."""
    n_m, rho_y = cfg.n_mediators, cfg.target_ar
    per_size = spend[:, burn:] / size[:, None, None]
    media = float((roas * per_size.mean(axis=(0, 1))).sum())
    baseline = media * (1.0 - cfg.media_share) / cfg.media_share
    spw = cfg.steps_per_week
    level_m = np.exp(rng.uniform(np.log(2000.0), np.log(20000.0), n_m)) / spw
    share_m = rng.uniform(0.1, 0.2, n_m)
    rho_m = rng.uniform(0.1, cfg.mediator_ar, n_m) if cfg.mediator_ar > 0.1 else np.zeros(n_m)
    alpha_m = rng.uniform(0.0, 0.3, n_m)
    kernel_m = carryover_kernels(np.zeros(n_m, bool), alpha_m, np.zeros(n_m), 4 * spw, spw)
    persistence = np.append(rho_m, rho_y)
    level = np.append(level_m, baseline)
    return {
        "baseline": baseline, "mediator_level": level_m, "intercept": baseline * (
            1.0 - share_m.sum()), "gamma": share_m * baseline * (1.0 - rho_y) / level_m,
        "mediator_kernel": kernel_m, "mediator_alpha": alpha_m, "persistence": persistence,
        "shock_sd": cfg.noise * level * np.sqrt(1.0 - persistence**2),
        "phase": rng.uniform(0.0, 2 * np.pi, 2), "season_m": rng.uniform(0.5, 1.0, n_m),
    }  # fmt: skip


def _year_fraction(dates: pd.DatetimeIndex) -> np.ndarray:
    return ((dates.day_of_year.to_numpy() - 1) / 365.25).astype(float)


def _holidays(dates: pd.DatetimeIndex) -> np.ndarray:
    """1 in periods holding Black Friday (4th Thursday of November) or December 24."""
    step = dates[1] - dates[0]
    days = []
    for year in range(dates[0].year, dates[-1].year + 1):
        nov = pd.date_range(f"{year}-11-01", f"{year}-11-30", freq="W-THU")
        days += [nov[3], pd.Timestamp(f"{year}-12-24")]
    out = np.zeros(len(dates))
    idx = dates.searchsorted(pd.DatetimeIndex(days), side="right") - 1
    ok = (idx >= 0) & (pd.DatetimeIndex(days) < dates[np.clip(idx, 0, None)] + step)
    out[idx[ok]] = 1.0
    return out


def _draw_controls(
    rng: np.random.Generator, cfg: MediaConfig, dates: pd.DatetimeIndex, n_s: int
) -> dict[str, Any]:
    """``event`` (holidays and a few promotions, national) and ``price`` (an index around 1
    with discount periods, national with a small per-geo wiggle), and their effects on ``y``
    as fractions of the baseline (event up, price down)."""
    n_t, spw = len(dates), cfg.steps_per_week
    event = np.maximum(_holidays(dates), rng.random(n_t) < 0.03 / spw)
    log_price = 0.02 * _ar1(rng, (1, n_t, 1), 0.7 ** (1.0 / spw))[0, :, 0]
    discount = np.where(rng.random(n_t) < 0.08 / spw, rng.uniform(0.08, 0.15, n_t), 0.0)
    price = np.exp(log_price + 0.01 * rng.standard_normal((n_s, n_t))) * (1.0 - discount)
    return {
        "values": {"price": price, "event": np.repeat(event[None], n_s, 0)},
        "relative_coef": {"price": -rng.uniform(1.0, 2.0), "event": rng.uniform(0.1, 0.25)},
    }


def _base_drive(
    cfg: MediaConfig, dates: pd.DatetimeIndex, levels: dict[str, Any], controls: dict[str, Any]
) -> np.ndarray:
    """``[S, T_total, M + 1]``: intercept x (trend + seasonality) + controls, times
    ``1 - rho`` so that each node's level does not depend on its persistence."""
    n_m = cfg.n_mediators
    tau = _year_fraction(dates)
    burn = len(dates) - cfg.n_periods
    years = (np.arange(len(dates)) - burn) / (52.0 * cfg.steps_per_week)
    p1, p2 = levels["phase"]
    wave = (np.sin(2 * np.pi * tau + p1) + 0.4 * np.sin(4 * np.pi * tau + p2)) / 1.4
    shape = 1.0 + cfg.trend * years + cfg.seasonality * wave  # [T]
    b = levels["baseline"]
    values, coef = controls["values"], controls["relative_coef"]
    y_base = levels["intercept"] * shape[None] + coef["event"] * b * values["event"]
    y_base = y_base + coef["price"] * b * (values["price"] - 1.0)
    med = levels["mediator_level"] * (
        1.0 + cfg.trend * years[:, None] + cfg.seasonality * levels["season_m"] * wave[:, None]
    )  # [T, M]
    out = np.empty((y_base.shape[0], len(dates), n_m + 1))
    out[..., :n_m] = med[None]
    out[..., n_m] = y_base
    return out * (1.0 - levels["persistence"])


def _calibrate(system: MediaSystem, spend: np.ndarray, roas: np.ndarray) -> MediaSystem:
    """Rescale each channel's edge effects so that its true ROAS (by re-simulation) is
    ``roas``: a channel's contribution is linear in the scale of its edges' effects."""
    unit = resimulate_contributions(system, spend).sum(axis=(0, 1))  # [C]
    spent = spend[:, system.burn_in :].sum(axis=(0, 1))
    scale = np.divide(roas * spent, unit, out=np.zeros_like(unit), where=unit > 0)
    return replace(system, edge_beta=system.edge_beta * scale[system.edge_src])


# ---------------------------------------------------------------------------- frame, truth


def _frame(
    cfg: MediaConfig,
    dates: pd.DatetimeIndex,
    observed: np.ndarray,
    controls: dict[str, Any],
    burn: int,
) -> pd.DataFrame:
    """pymc-marketing layout: ``date``, ``geo`` (with geos only), nodes, controls, ``y``."""
    n_s, n_t = observed.shape[:2]
    cols: dict[str, Any] = {"date": np.tile(dates.values, n_s)}
    if cfg.dims:
        cols["geo"] = np.repeat(np.array(series_names(n_s)), n_t).astype(str)
    for k, name in enumerate(cfg.nodes[:-1]):
        cols[name] = observed[..., k].reshape(-1)
    for name in CONTROLS:
        cols[name] = controls["values"][name][:, burn:].reshape(-1)
    cols[TARGET] = observed[..., -1].reshape(-1)
    return pd.DataFrame(cols)


def _edge_arrays(cfg: MediaConfig, system: MediaSystem, levels: dict[str, Any]) -> dict:
    """Edge parameters on the ``(source, target)`` node grid (``kernel`` with ``kernel_lag``)."""
    n_c, n_n, n_m = len(cfg.channels), len(cfg.nodes), cfg.n_mediators
    n_l = max(system.edge_kernel.shape[1], system.mediator_kernel.shape[1])
    src, dst = system.edge_src, n_c + system.edge_dst
    med, y = np.arange(n_c, n_c + n_m), n_n - 1
    out = {
        "graph": np.zeros((n_n, n_n), np.int8), "kernel": np.zeros((n_n, n_n, n_l)),
        "carryover": np.full((n_n, n_n), -1, np.int8), "adstock_alpha": np.zeros((n_n, n_n)),
        "adstock_delay": np.zeros((n_n, n_n), np.int64), "lag": np.zeros((n_n, n_n), np.int64),
        "saturation": np.full((n_n, n_n), -1, np.int8), "effect": np.zeros((n_n, n_n)),
        "saturation_lam": np.full((n_n, n_n), np.nan),
        "half_saturation": np.full((n_n, n_n), np.nan),
        "hill_slope": np.full((n_n, n_n), np.nan),
    }  # fmt: skip
    kern = system.edge_kernel
    delayed = levels["edge_delayed"]
    out["graph"][src, dst] = 1
    out["graph"][med, y] = 1
    out["kernel"][src, dst, : kern.shape[1]] = kern
    out["kernel"][med, y, : system.mediator_kernel.shape[1]] = system.mediator_kernel
    out["carryover"][src, dst] = delayed
    out["carryover"][med, y] = 0
    out["adstock_alpha"][src, dst] = levels["edge_alpha"]
    out["adstock_alpha"][med, y] = levels["mediator_alpha"]
    out["adstock_delay"][src, dst] = kern.argmax(1)
    out["saturation"][src, dst] = system.edge_saturation
    out["saturation"][med, y] = 2
    logistic_edges = system.edge_saturation == 0
    out["saturation_lam"][src[logistic_edges], dst[logistic_edges]] = system.edge_lam[
        logistic_edges
    ]
    out["half_saturation"][src[~logistic_edges], dst[~logistic_edges]] = system.edge_half_sat[
        ~logistic_edges
    ]
    out["hill_slope"][src[~logistic_edges], dst[~logistic_edges]] = system.edge_slope[
        ~logistic_edges
    ]
    out["effect"][src, dst] = system.edge_beta
    out["effect"][med, y] = system.mediator_effect
    return out


def _attrs(cfg: MediaConfig, levels: dict[str, Any]) -> dict[str, Any]:
    """netCDF-safe scalar settings for ``truth.attrs``."""
    attrs: dict[str, Any] = {}
    for name, value in vars(cfg).items():
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = int(value)
        elif name == "roas_range":
            attrs["roas_low"], attrs["roas_high"] = map(float, value)
            continue
        elif isinstance(value, tuple):
            value = ",".join(value)
        attrs[name] = value
    attrs["placebo_of"] = cfg.channels[0] if cfg.placebo else ""
    attrs["baseline"] = float(levels["baseline"])
    attrs["steps_per_week"] = cfg.steps_per_week
    return attrs


def _truth(
    cfg: MediaConfig,
    dates: pd.DatetimeIndex,
    system: MediaSystem,
    spend: np.ndarray,
    contribution: np.ndarray,
    levels: dict[str, Any],
    controls: dict[str, Any],
) -> xr.Dataset:
    """Graph, response parameters, contributions ``(date, [geo,] channel)`` and ROAS."""
    dims = cfg.dims
    contrib = contribution if dims else contribution[:, 0]
    contrib_da = xr.DataArray(contrib, dims=("date", *dims, "channel"))
    roas = truth_roas(contrib_da, spend[:, system.burn_in :])
    edges = _edge_arrays(cfg, system, levels)
    pair = ("source", "target")
    coef = controls["relative_coef"]
    data: dict[str, Any] = {
        "graph": (pair, edges.pop("graph")),
        "kernel": ((*pair, "kernel_lag"), edges.pop("kernel")),
        **{name: (pair, value) for name, value in edges.items()},
        "spend_scale": (("channel",), system.spend_scale),
        "persistence": (("node",), np.append(np.zeros(len(cfg.channels)), system.persistence)),
        "control_coef": (("control",), [coef[c] * levels["baseline"] for c in CONTROLS]),
        "channel_contribution": (contrib_da.dims, contrib),
        "roas": (("channel",), roas.values),
    }
    data = {"graph": data["graph"], "graphs": (("graph_id", *pair), data["graph"][1][None]), **data}
    coords: dict[str, Any] = {
        "source": list(cfg.nodes), "target": list(cfg.nodes), "node": list(cfg.nodes),
        "graph_id": [0], "date": dates.values, "channel": list(cfg.channels),
        "control": list(CONTROLS), "kernel_lag": np.arange(data["kernel"][1].shape[-1]),
    }  # fmt: skip
    if dims:
        coords["geo"] = series_names(len(system.size))
        data["series_graph"] = (("geo",), np.zeros(len(system.size), np.int64))
        data["market_size"] = (("geo",), system.size)
    truth = xr.Dataset(data, coords=coords, attrs=_attrs(cfg, levels))
    truth["carryover"].attrs["codes"] = "-1: no edge, 0: geometric, 1: delayed"
    truth["saturation"].attrs["codes"] = "-1: no edge, 0: logistic, 1: hill, 2: linear"
    truth["kernel"].attrs["description"] = "weight of the source's value at lag kernel_lag"
    truth["channel_contribution"].attrs["units"] = "original target units (noise-free)"
    return truth
