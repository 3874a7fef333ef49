"""The random-DAG presets of the graph benchmarks: :func:`sparse_target`, :func:`rdt` and
:func:`rawlog` (see ``docs/simulator.md``).
"""

from __future__ import annotations

from typing import Any

from pymc_dice.simulate.config import check
from pymc_dice.simulate.core import simulate
from pymc_dice.simulate.result import Simulation

__all__ = ["rawlog", "rdt", "sparse_target"]

SPARSE_CHANNELS = ("tv", "radio", "social", "search_ads", "display")
SPARSE_MEDIATORS = ("visits", "branded_search")


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


def rdt(R: int, d: int, T: int, n_series: int = 96, seed: int = 0, **overrides: Any) -> Simulation:
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
    check(d >= 3, f"rdt needs d >= 3 nodes (a channel, a mediator and the target), got {d}")
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


def rawlog(n_series: int = 96, n_periods: int = 104, seed: int = 0, **overrides: Any) -> Simulation:
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
