"""The simulator's result, :class:`Simulation`, and the pieces every engine shares: the
saturation curves and the truth contributions by re-simulation (see ``docs/simulator.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.data import SeriesGrid
from pymc_dice.exceptions import DataValidationError
from pymc_dice.idata import roas_from_totals

__all__ = [
    "Engine",
    "Simulation",
    "hill",
    "logistic",
    "resimulate_contributions",
    "series_names",
    "truth_roas",
]


class Engine(Protocol):
    """What a simulation engine offers: its warm-up length and a (noise-free) run.

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> engine: Engine = national(n_periods=10, seed=0).system
    >>> engine.run(np.zeros((1, 10 + engine.burn_in, 3)), target_only=True).shape  # with warm-up
    (1, 62)
    """

    burn_in: int

    def run(
        self, spend: np.ndarray, noise: np.ndarray | None = None, *, target_only: bool = False
    ) -> np.ndarray:
        """Observed node values ``[..., S, T_total, N]`` (or the target ``[..., S, T_total]``)
        for channel spend ``[..., S, T_total, C]``; ``noise=None`` is the noise-free system.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> engine = national(n_periods=10, seed=0).system
        >>> engine.run(np.zeros((1, 10 + engine.burn_in, 3))).shape  # 3 channels and the target
        (1, 62, 4)
        """
        ...  # pragma: no cover


def hill(a: np.ndarray, half_sat: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Hill saturation ``r / (1 + r)``, ``r = (a / half_sat) ** slope``, for ``a >= 0``.

    Examples
    --------
    >>> hill(np.array([0.0, 2.0]), np.array(2.0), np.array(3.0)).tolist()
    [0.0, 0.5]
    """
    r = np.asarray(np.power(a / half_sat, slope))
    return r / (r + 1.0)


def logistic(a: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """pymc-marketing's logistic saturation ``(1 - exp(-lam a)) / (1 + exp(-lam a))``.

    Examples
    --------
    >>> logistic(np.array([0.0, 1e9]), np.array(2.0)).tolist()
    [0.0, 1.0]
    """
    e = np.exp(-lam * a)
    return (1.0 - e) / (1.0 + e)


def series_names(n_series: int) -> list[str]:
    """Geo labels ``geo_000``, ``geo_001``, ... (wider when needed).

    Examples
    --------
    >>> series_names(2)
    ['geo_000', 'geo_001']
    """
    width = max(3, len(str(n_series - 1)))
    return [f"geo_{s:0{width}d}" for s in range(n_series)]


def resimulate_contributions(engine: Engine, spend: np.ndarray) -> np.ndarray:
    """True channel contributions ``[T, S, C]`` by re-simulation, in target units.

    The noise-free target with the actual spend minus the noise-free target with channel
    ``c``'s spend set to zero over the observed window (after ``engine.burn_in``); the
    ``C + 1`` scenarios run stacked in one pass.

    Examples
    --------
    >>> from pymc_dice.simulate import simulate
    >>> sim = simulate(n_series=2, n_periods=6, seed=0)
    >>> contrib = resimulate_contributions(sim.system, sim.spend)
    >>> bool(np.array_equal(contrib, sim.truth["channel_contribution"].values))
    True
    """
    burn, n_c = engine.burn_in, spend.shape[-1]
    scen = np.repeat(spend[None], n_c + 1, axis=0)
    for c in range(n_c):
        scen[c + 1, :, burn:, c] = 0.0
    y_free = engine.run(scen, target_only=True)[:, :, burn:]  # [C + 1, S, T]
    return (y_free[0] - y_free[1:]).transpose(2, 1, 0)


def truth_roas(contribution: xr.DataArray, spend: np.ndarray) -> xr.DataArray:
    """True ROAS per channel: total contribution / total spend (zero spend: NaN).

    ``spend`` is ``[S, T, C]`` over the observed window, in the order of ``contribution``'s
    ``channel`` coordinate.

    Examples
    --------
    >>> c = xr.DataArray(np.ones((2, 1, 2)), dims=("date", "geo", "channel"))
    >>> truth_roas(c, np.full((1, 2, 2), 4.0)).values.tolist()
    [0.25, 0.25]
    """
    spent = xr.DataArray(spend, dims=("series", "date", "channel"))
    return roas_from_totals(contribution, spent)


@dataclass(frozen=True, eq=False)
class Simulation:
    """A simulated panel, its ground truth, and the engine that produced it.

    Attributes
    ----------
    df : pandas.DataFrame
        pymc-marketing layout: ``date``, the dims column ``geo`` (absent for one national
        series), channels, mediators, controls, ``y``; rows sorted by (geo, date).
    truth : xarray.Dataset
        ``graph`` (source, target), ``lag``, edge parameters, ``channel_contribution``
        (date, [geo,] channel) and ``roas`` (channel); see ``docs/simulator.md``.
    roles : dict
        ``date_column``, ``dims``, ``channel_columns``, ``mediator_columns``,
        ``control_columns``, ``target_column`` (``pymc_dice.data.Roles(**roles)`` works).
    system : Engine
        The drawn parameters; ``system.run(spend, noise)`` re-runs the dynamics.
    spend : numpy.ndarray
        Channel spend ``[S, T_total, C]`` including the ``system.burn_in`` warm-up periods.
    noise : numpy.ndarray
        The drawn noise (its layout is the engine's), for reproducing ``df`` exactly.

    Examples
    --------
    >>> from pymc_dice.simulate import simulate
    >>> sim = simulate(n_series=2, n_periods=12, seed=1)
    >>> sim.nodes[-1], sim.df.shape[0], sim.spend.shape
    ('y', 24, (2, 64, 5))
    >>> y = sim.system.run(sim.spend, sim.noise)[:, sim.system.burn_in :, -1]
    >>> bool(np.array_equal(y.reshape(-1), sim.df["y"].to_numpy()))
    True
    """

    df: pd.DataFrame
    truth: xr.Dataset
    roles: dict
    system: Any
    spend: np.ndarray
    noise: np.ndarray

    @property
    def nodes(self) -> list[str]:
        """Node names in order: channels, mediators, target.

        Examples
        --------
        >>> from pymc_dice.simulate import simulate
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
        >>> from pymc_dice.simulate import sparse_target
        >>> sparse_target(n_series=1, n_periods=8).channels[:2]
        ['tv', 'radio']
        """
        return list(self.roles["channel_columns"])

    def column_kwargs(self) -> dict[str, Any]:
        """The panel's column roles as ``DiceMMM`` keyword arguments, empty roles as None.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> kwargs = national(n_periods=8).column_kwargs()
        >>> kwargs["channel_columns"], kwargs["mediator_columns"], kwargs["dims"]
        (['tv', 'social', 'search'], None, None)
        """
        return {
            key: value if isinstance(value, str) else (list(value) or None)
            for key, value in self.roles.items()
        }

    @property
    def graph(self) -> xr.DataArray:
        """The graph shared by most series, ``(source, target)`` int8.

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> int(sparse_target(n_series=1, n_periods=8).graph.sel(target="y").sum())
        2
        """
        return self.truth["graph"]

    def expected_target(self, spend: pd.DataFrame | None = None) -> xr.DataArray:
        """Noise-free target ``(date, *dims)`` for any spend plan over the observed window.

        ``spend`` holds one row per date and series of :attr:`df` (other columns are
        ignored, so an edited copy of ``df`` works); the warm-up before the window keeps its
        actual spend. ``None`` uses the actual spend. Score a budget allocation against the
        truth by comparing ``expected_target(plan).sum()`` with ``expected_target().sum()``.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> sim = national(n_periods=20, seed=0)
        >>> plan = sim.df.assign(tv=0.0)
        >>> lift = sim.expected_target() - sim.expected_target(plan)
        >>> bool(np.allclose(lift, sim.truth["channel_contribution"].sel(channel="tv")))
        True
        """
        path = self.spend if spend is None else self._spend_path(spend)
        y = self.system.run(path, target_only=True)[:, self.system.burn_in :]  # [S, T]
        dims = tuple(self.roles["dims"])
        like = self.truth["channel_contribution"].isel(channel=0, drop=True)
        out = SeriesGrid.to_series_grid(y, like.transpose("date", *dims), dims)
        return out.rename(self.roles["target_column"])

    def _spend_path(self, frame: pd.DataFrame) -> np.ndarray:
        """``frame``'s channels on the window grid, with the actual warm-up before it."""
        roles, truth = self.roles, self.truth
        dims, channels = tuple(roles["dims"]), list(roles["channel_columns"])
        date_col = roles["date_column"]
        coords = {d: np.array([str(v) for v in truth[d].values]) for d in dims}
        dates = pd.DatetimeIndex(truth["date"].values)
        if date_col in frame.columns:
            outside = pd.DatetimeIndex(pd.to_datetime(frame[date_col])).difference(dates)
            if len(outside):
                raise DataValidationError(
                    f"spend has dates outside the simulated window {dates[0].date()}.."
                    f"{dates[-1].date()}, e.g. {outside[0].date()}; keep one row per "
                    "simulated date and series"
                )
        grid = SeriesGrid(date_col, dims, coords)
        values = SeriesGrid.series_values(grid.to_grid(frame, channels, dates, "spend"), dims)
        if (values < 0).any():
            col = channels[int(np.argwhere(values < 0)[0, -1])]
            raise DataValidationError(f"spend column {col!r} is negative: spend must be >= 0")
        path = self.spend.copy()
        path[:, self.system.burn_in :] = values
        return path
