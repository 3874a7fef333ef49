"""Ground-truth simulator and its presets (see ``docs/simulator.md``).

``pymc_dice.simulate`` is this module; the function is :func:`simulate` inside it.

- :func:`simulate`: a panel from a random lagged DAG ``channels -> mediators -> target``;
  presets :func:`sparse_target`, :func:`rdt` and :func:`rawlog` (the graph benchmarks);
- :func:`national` and :func:`geo_panel`: marketing-mix panels in pymc-marketing's layout
  with a known true ROAS per channel (the ROAS benchmarks).

Every preset returns a :class:`Simulation`: ``df`` (the data), ``truth`` (an xarray
Dataset: graph, lags, response parameters, noise-free channel contributions and ROAS, always
by re-simulation) and :meth:`Simulation.expected_target` (the noise-free target for any
spend plan).

Examples
--------
>>> import pymc_dice.simulate as sim
>>> sim.sparse_target(n_series=2, n_periods=8).df.shape
(16, 12)
>>> sorted(sim.PRESETS)[:3]
['geo_panel', 'national', 'rawlog']
"""

from __future__ import annotations

from collections.abc import Callable

from pymc_dice.simulate.config import MediaConfig, SimConfig
from pymc_dice.simulate.core import simulate
from pymc_dice.simulate.marketing import geo_panel, national
from pymc_dice.simulate.presets import rawlog, rdt, sparse_target
from pymc_dice.simulate.result import Simulation

__all__ = [
    "PRESETS",
    "MediaConfig",
    "SimConfig",
    "Simulation",
    "geo_panel",
    "national",
    "rawlog",
    "rdt",
    "simulate",
    "sparse_target",
]

#: every preset by name; each accepts ``n_periods`` and ``seed`` keywords
PRESETS: dict[str, Callable[..., Simulation]] = {
    "sparse_target": sparse_target,
    "rawlog": rawlog,
    "national": national,
    "geo_panel": geo_panel,
}
