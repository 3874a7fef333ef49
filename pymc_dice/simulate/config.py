"""Frozen, strict parameter sets of the simulator: :class:`SimConfig` (the random-DAG panel of
:func:`~pymc_dice.simulate.simulate`) and :class:`MediaConfig` (the marketing presets
:func:`~pymc_dice.simulate.national` and :func:`~pymc_dice.simulate.geo_panel`).

Unknown keys raise :class:`~pymc_dice.exceptions.ConfigError` with a did-you-mean hint, and
every value is checked when the config is built, so a typo never silently falls back to a
default.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from pymc_dice.exceptions import ConfigError

__all__ = ["CONTROLS", "MediaConfig", "SimConfig", "StrictParams", "check"]

CONTROLS = ("price", "event")
RESERVED = {"date", "geo"}


def check(cond: bool, message: str) -> None:
    """Raise :class:`~pymc_dice.exceptions.ConfigError` with ``message`` unless ``cond``.

    Examples
    --------
    >>> check(True, "never shown")
    >>> check(False, "n_periods must be >= 2, got 1")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ConfigError: n_periods must be >= 2, got 1
    """
    if not cond:
        raise ConfigError(message)


class StrictParams:
    """Mixin of the frozen configs: build from keywords with did-you-mean on unknown keys.

    Examples
    --------
    >>> SimConfig.create(n_series=3).n_series
    3
    >>> SimConfig.create(n_seres=3)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ConfigError: SimConfig has no setting 'n_seres'. Did you mean 'n_series'? ...
    """

    @classmethod
    def create(cls, **kwargs: Any) -> Self:
        """Validated config from keywords; unknown keys raise with a did-you-mean hint."""
        known = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        for key in kwargs:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{cls.__name__} has no setting {key!r}.{hint} Valid settings: "
                    f"{', '.join(sorted(known))}"
                )
        return cls(**kwargs)

    def updated(self, **changes: Any) -> Self:
        """A validated copy with ``changes`` applied (same checks as :meth:`create`).

        Examples
        --------
        >>> SimConfig().updated(seed=4).seed
        4
        """
        return self.create(**{**dataclasses.asdict(self), **changes})  # type: ignore[call-overload]


def _names(given: Sequence[str] | None, default: Sequence[str], n: int, what: str) -> tuple:
    """``given`` names, or ``default`` completed by ``{what}_{i}`` up to ``n``."""
    if given is None:
        return (*default[:n], *(f"{what}_{i}" for i in range(min(len(default), n), n)))
    names = tuple(given)
    check(len(names) == n, f"{len(names)} {what}_names for {n} {what}s: pass exactly {n} names")
    return names


def _distinct(names: Sequence[str]) -> None:
    check(
        len(set(names)) == len(names) and not RESERVED & set(names),
        f"node and control names must be distinct and not 'date'/'geo': {list(names)}",
    )


@dataclass(frozen=True)
class SimConfig(StrictParams):
    """Every parameter of :func:`~pymc_dice.simulate.simulate` (a random lagged DAG panel).

    See :func:`~pymc_dice.simulate.simulate` for the meaning of each field; the values are
    checked on construction.

    Examples
    --------
    >>> cfg = SimConfig.create(n_channels=2, n_mediators=1, n_series=2, n_periods=8)
    >>> cfg.nodes
    ('channel_0', 'channel_1', 'mediator_0', 'y')
    >>> SimConfig.create(comovement=1.0)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ConfigError: comovement must be in [0, 1), got 1.0
    """

    n_channels: int = 5
    n_mediators: int = 2
    n_target_parents: int = 2
    n_series: int = 96
    n_periods: int = 104
    n_graphs: int = 1
    comovement: float = 0.99
    target_ar: float = 0.85
    noise: float = 0.05
    max_lag: int = 2
    raw_scale: bool = False
    seed: int = 0
    obs_noise: float = 0.01
    mediator_ar: float = 0.2
    spend_ar: float = 0.0
    spend_volatility: float = 0.5
    carryover_length: int = 2
    adstock_max: float = 0.2
    max_mediator_parents: int = 2
    controls: Sequence[str] = CONTROLS
    zero_rate: float = 0.2
    burst_rate: float = 0.05
    burn_in: int = 52
    channel_names: Sequence[str] | None = None
    mediator_names: Sequence[str] | None = None
    start_date: str = "2024-01-01"
    preset: str = "simulate"

    def __post_init__(self) -> None:
        for name in ("controls", "channel_names", "mediator_names"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        self._check_sizes()
        self._check_rates()
        self._check_names()

    def _check_sizes(self) -> None:
        c, m, k = self.n_channels, self.n_mediators, self.n_target_parents
        check(isinstance(self.seed, int | np.integer), f"seed must be an int, got {self.seed!r}")
        check(c >= 1, f"n_channels must be >= 1, got {c}")
        check(m >= 0, f"n_mediators must be >= 0, got {m}")
        check(
            1 <= k <= c + m,
            f"n_target_parents={k} is impossible: the target can have 1 to {c + m} parents "
            f"(the {c} channels and {m} mediators)",
        )
        check(self.n_series >= 1, f"n_series must be >= 1, got {self.n_series}")
        check(self.n_periods >= 2, f"n_periods must be >= 2, got {self.n_periods}")
        check(
            1 <= self.n_graphs <= self.n_series,
            f"n_graphs={self.n_graphs} must be between 1 and n_series={self.n_series} (each "
            "graph needs a series)",
        )
        check(
            self.max_lag >= 1,
            f"max_lag must be >= 1 (no instantaneous edges), got {self.max_lag}",
        )
        check(
            self.carryover_length >= 1,
            f"carryover_length must be >= 1, got {self.carryover_length}",
        )
        check(self.max_mediator_parents >= 1, "max_mediator_parents must be >= 1")
        check(self.burn_in >= 0, f"burn_in must be >= 0, got {self.burn_in}")

    def _check_rates(self) -> None:
        for name in ("comovement", "target_ar", "mediator_ar", "spend_ar", "adstock_max"):
            value = getattr(self, name)
            check(0.0 <= value < 1.0, f"{name} must be in [0, 1), got {value}")
        check(self.noise >= 0 and self.obs_noise >= 0, "noise and obs_noise must be >= 0")
        check(
            self.spend_volatility > 0,
            f"spend_volatility must be > 0, got {self.spend_volatility}",
        )
        check(0.0 <= self.zero_rate < 1.0, f"zero_rate must be in [0, 1), got {self.zero_rate}")
        check(0.0 <= self.burst_rate <= 1.0, f"burst_rate must be in [0, 1], got {self.burst_rate}")

    def _check_names(self) -> None:
        controls = self.controls
        check(
            set(controls) <= set(CONTROLS) and len(set(controls)) == len(controls),
            f"controls must be distinct names among {CONTROLS}, got {controls}",
        )
        _distinct([*self.nodes, *controls])

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names (``channel_names`` or ``channel_0..``).

        Examples
        --------
        >>> SimConfig(n_channels=2).channels
        ('channel_0', 'channel_1')
        """
        return _names(self.channel_names, (), self.n_channels, "channel")

    @property
    def mediators(self) -> tuple[str, ...]:
        """Mediator names (``mediator_names`` or ``mediator_0..``).

        Examples
        --------
        >>> SimConfig(n_mediators=1).mediators
        ('mediator_0',)
        """
        return _names(self.mediator_names, (), self.n_mediators, "mediator")

    @property
    def nodes(self) -> tuple[str, ...]:
        """Channels, mediators and the target ``y``, in panel order."""
        return (*self.channels, *self.mediators, "y")


CHANNEL_NAMES = ("tv", "social", "search", "display", "video", "radio", "ooh", "podcast")
MEDIATOR_NAMES = ("visits", "branded_search")


@dataclass(frozen=True)
class MediaConfig(StrictParams):
    """Every parameter of the marketing presets :func:`~pymc_dice.simulate.national` and
    :func:`~pymc_dice.simulate.geo_panel` (see ``docs/simulator.md``).

    Examples
    --------
    >>> cfg = MediaConfig.create(n_channels=3, n_geos=None)
    >>> cfg.channels, cfg.dims
    (('tv', 'social', 'search'), ())
    >>> MediaConfig(n_channels=1, n_mediators=1, placebo=True).nodes
    ('tv', 'placebo', 'visits', 'y')
    >>> MediaConfig(n_mediators=3).mediators
    ('visits', 'branded_search', 'mediator_2')
    >>> MediaConfig.create(saturation="tanh")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ConfigError: saturation must be one of ('logistic', 'hill'), got 'tanh'
    """

    preset: str = "national"
    n_channels: int = 3
    n_mediators: int = 0
    n_geos: int | None = None
    n_periods: int = 156
    seed: int = 0
    carryover: str = "geometric"
    saturation: str = "logistic"
    freq: str = "W-MON"
    noise: float = 0.05
    target_ar: float = 0.0
    mediator_ar: float = 0.3
    comovement: float = 0.3
    spend_ar: float = 0.5
    flighting: bool = True
    zero_rate: float = 0.15
    budget_seasonality: float = 0.2
    placebo: bool = False
    placebo_correlation: float = 0.97
    trend: float = 0.05
    seasonality: float = 0.12
    media_share: float = 0.3
    roas_range: tuple[float, float] = (0.7, 6.0)
    max_carryover: int = 8
    burn_in: int = 52
    channel_names: Sequence[str] | None = None
    mediator_names: Sequence[str] | None = None
    start_date: str = "2022-01-03"

    def __post_init__(self) -> None:
        for name in ("channel_names", "mediator_names", "roas_range"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        check(isinstance(self.seed, int | np.integer), f"seed must be an int, got {self.seed!r}")
        check(self.n_channels >= 1, f"n_channels must be >= 1, got {self.n_channels}")
        check(self.n_mediators >= 0, f"n_mediators must be >= 0, got {self.n_mediators}")
        check(
            self.n_geos is None or self.n_geos >= 1,
            f"n_geos must be None (one national series) or >= 1, got {self.n_geos}",
        )
        check(self.n_periods >= 2, f"n_periods must be >= 2, got {self.n_periods}")
        for name, allowed in (
            ("carryover", ("geometric", "delayed", "mixed")),
            ("saturation", ("logistic", "hill")),
        ):
            value = getattr(self, name)
            check(value in allowed, f"{name} must be one of {allowed}, got {value!r}")
        for name in ("target_ar", "mediator_ar", "comovement", "spend_ar", "zero_rate"):
            value = getattr(self, name)
            check(0.0 <= value < 1.0, f"{name} must be in [0, 1), got {value}")
        for name in ("placebo_correlation", "media_share"):
            value = getattr(self, name)
            check(0.0 < value < 1.0, f"{name} must be in (0, 1), got {value}")
        for name in ("noise", "budget_seasonality", "seasonality"):
            value = getattr(self, name)
            check(value >= 0, f"{name} must be >= 0, got {value}")
        lo, hi = self.roas_range
        check(0 < lo < hi, f"roas_range must be (low, high) with 0 < low < high, got {lo, hi}")
        check(self.max_carryover >= 1, f"max_carryover must be >= 1, got {self.max_carryover}")
        check(self.burn_in >= 0, f"burn_in must be >= 0, got {self.burn_in}")
        self.steps_per_week  # noqa: B018  (validates freq)
        _distinct([*self.nodes, *CONTROLS])

    @property
    def steps_per_week(self) -> int:
        """Periods per week of ``freq`` (1 weekly, 7 daily).

        Examples
        --------
        >>> MediaConfig(freq="D").steps_per_week
        7
        """
        try:
            dates = pd.date_range(self.start_date, periods=2, freq=self.freq)
        except ValueError as err:
            raise ConfigError(f"freq={self.freq!r} is not a pandas frequency: {err}") from None
        step = dates[1] - dates[0]
        ratio = pd.Timedelta(days=7) / step
        check(
            ratio >= 1 and float(ratio).is_integer(),
            f"freq={self.freq!r} has periods of {step}: use a weekly ('W-MON') or daily ('D') "
            "frequency",
        )
        return int(ratio)

    @property
    def dims(self) -> tuple[str, ...]:
        """``()`` for one national series (``n_geos=None``), else ``("geo",)``."""
        return () if self.n_geos is None else ("geo",)

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel names, the placebo (named ``placebo``) last when there is one."""
        names = _names(self.channel_names, CHANNEL_NAMES, self.n_channels, "channel")
        return (*names, "placebo") if self.placebo else names

    @property
    def mediators(self) -> tuple[str, ...]:
        """Mediator names (``visits``, ``branded_search``, then ``mediator_2..``)."""
        return _names(self.mediator_names, MEDIATOR_NAMES, self.n_mediators, "mediator")

    @property
    def nodes(self) -> tuple[str, ...]:
        """Channels, mediators and the target ``y``, in panel order."""
        return (*self.channels, *self.mediators, "y")
