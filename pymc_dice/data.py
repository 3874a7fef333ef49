"""From a pymc-marketing-shaped DataFrame to a scaled panel and back.

A panel is ``S`` series (the combinations of the dims columns, e.g. ``geo``) by ``T`` dates
by ``N`` nodes, the nodes ordered channels, mediators, target (docs/concepts.md).
Controls are kept apart, ``S x T x C``. Every column is scaled by its max-abs over the
training dates only. Everything here is plain numpy / pandas / xarray.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.exceptions import DataValidationError
from pymc_dice.roles import TARGET_NAMES, Roles, check_columns, check_roles, infer_roles

__all__ = [
    "TARGET_NAMES",
    "Panel",
    "Roles",
    "Scaler",
    "SeriesGrid",
    "check_columns",
    "check_regular_dates",
    "check_roles",
    "forecast_origins",
    "infer_roles",
    "parse_dates",
    "time_features",
    "validate_frame",
]

logger = logging.getLogger("pymc_dice")


def _rows(frame: pd.DataFrame, mask: np.ndarray, keys: Sequence[str], limit: int = 3) -> str:
    sub = frame.loc[mask, list(keys)].head(limit)
    return "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for _, row in sub.iterrows())


def parse_dates(values: pd.Series, column: str) -> pd.Series:
    """Dates as naive ``datetime64[ns]``: strings parsed, time zones dropped (the local
    wall-clock date is kept, so weekly dates across a DST change stay one week apart).

    Examples
    --------
    >>> s = pd.Series(pd.date_range("2024-03-18", periods=3, freq="W-MON", tz="Europe/Berlin"))
    >>> parse_dates(s, "date").dt.strftime("%Y-%m-%d %H:%M").tolist()
    ['2024-03-18 00:00', '2024-03-25 00:00', '2024-04-01 00:00']
    >>> parse_dates(pd.Series(["2024-01-07", None]), "date")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: date column 'date' has missing dates in rows [1]; ...
    """
    try:
        parsed = pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise DataValidationError(
            f"date column {column!r} has values that are not dates ({err}); "
            "convert it with pd.to_datetime"
        ) from err
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    if parsed.isna().any():
        rows = np.flatnonzero(parsed.isna().to_numpy())[:5].tolist()
        raise DataValidationError(
            f"date column {column!r} has missing dates in rows {rows}; drop or fill them"
        )
    return parsed.astype("datetime64[ns]")


def _calendar_candidates(first: pd.Timestamp) -> list[str]:
    weekday = first.day_name()[:3].upper()
    return ["D", f"W-{weekday}", "MS", "ME", "QS", "QE", "YS", "YE"]


def check_regular_dates(dates: pd.DatetimeIndex, column: str = "date") -> str | None:
    """Check that sorted unique ``dates`` are regular by calendar and return their frequency.

    Regular means one step of a calendar frequency: days, weeks with any anchor, month starts
    or ends, quarters, years. A missing date is named.

    Examples
    --------
    >>> check_regular_dates(pd.date_range("2020-01-01", periods=4, freq="MS"))
    'MS'
    >>> check_regular_dates(pd.DatetimeIndex(["2024-01-07", "2024-01-14", "2024-01-28"]))
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: dates in 'date' are not regular: gap: 2024-01-21 missing ...
    """
    dates = pd.DatetimeIndex(dates).as_unit("ns")
    if len(dates) < 2:
        return None
    steps = pd.Series(np.diff(dates.asi8)).map(pd.Timedelta)
    if (steps == steps.iloc[0]).all():  # one fixed step (e.g. every 14 days) is regular
        return pd.tseries.frequencies.to_offset(steps.iloc[0]).freqstr
    best: tuple[int, str, pd.DatetimeIndex] | None = None
    for freq in _calendar_candidates(dates[0]):
        grid = pd.date_range(dates[0], dates[-1], freq=freq)
        if len(grid) < 2 or not dates.isin(grid).all():
            continue
        missing = grid.difference(dates)
        if best is None or len(missing) < best[0]:
            best = (len(missing), freq, missing)
    if best is not None and best[0] == 0:
        return best[1]
    if best is not None and best[0] < len(dates):
        shown = ", ".join(str(d.date()) for d in best[2][:3])
        more = f" and {best[0] - 3} more" if best[0] > 3 else ""
        raise DataValidationError(
            f"dates in {column!r} are not regular: gap: {shown}{more} missing from the "
            f"{best[1]!r} calendar from {dates[0].date()} to {dates[-1].date()}; "
            "add rows for the missing dates (spend 0) so every series is regular"
        )
    usual = steps.mode().iloc[0]
    k = int(np.flatnonzero((steps != usual).to_numpy())[0])
    raise DataValidationError(
        f"dates in {column!r} are not regular: step from {dates[k].date()} to "
        f"{dates[k + 1].date()} is {steps[k]} where the usual step is {usual}; "
        "pass one row per regular date (daily, weekly, monthly, ...)"
    )


def validate_frame(df: pd.DataFrame, roles: Roles, *, min_periods: int = 2) -> pd.DataFrame:
    """Check ``df`` against ``roles`` and return a clean, sorted copy (``df`` is not mutated).

    Raises a :class:`DataValidationError` naming the column, the offending values or rows,
    and the fix, for: missing columns, text in numeric columns, NaN/inf, negative spend,
    duplicated (date, dims) rows, irregular or misaligned dates, all-zero or constant
    channels, and fewer dates than ``min_periods``.

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="W"),
    ...                    "tv": [1.0, -2, 3], "y": [4.0, 5, 6]})
    >>> validate_frame(df, infer_roles(df))
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: channel 'tv' has negative spend -2.0 ...
    """
    check_columns(df)
    check_roles(roles, [str(c) for c in df.columns])
    keys = [roles.date_column, *roles.dims]
    frame = df.loc[:, [*keys, *roles.numeric_columns]].copy()
    frame[roles.date_column] = parse_dates(frame[roles.date_column], roles.date_column)
    for c in roles.dims:
        if frame[c].isna().any():
            raise DataValidationError(f"dims column {c!r} has missing values; fill or drop them")
        frame[c] = frame[c].astype(str)

    for c in roles.numeric_columns:
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            if bad.any():
                vals = list(col[bad].astype(str).unique()[:3])
                raise DataValidationError(
                    f"column {c!r} holds text values {vals} (rows: {_rows(frame, bad.values, keys)}); "
                    "it must be numeric: clean or convert it with pd.to_numeric"
                )
            frame[c] = num
        frame[c] = frame[c].astype(np.float64)
        values = frame[c].to_numpy()
        bad = ~np.isfinite(values)
        if bad.any():
            kind = "NaN" if np.isnan(values[bad]).any() else "inf"
            raise DataValidationError(
                f"column {c!r} has {int(bad.sum())} {kind} value(s) (rows: {_rows(frame, bad, keys)}); "
                "fill them (e.g. 0 for no spend) or drop those dates"
            )
    for c in roles.channel_columns:
        values = frame[c].to_numpy()
        if (values < 0).any():
            neg = values < 0
            raise DataValidationError(
                f"channel {c!r} has negative spend {values[neg].min()} (rows: {_rows(frame, neg, keys)}); "
                "spend must be >= 0: fix the data or clip refunds to 0"
            )
        if np.all(values == 0):
            raise DataValidationError(
                f"channel {c!r} is all zero: it carries no information; drop it from channel_columns"
            )
        if np.all(values == values[0]):
            raise DataValidationError(
                f"channel {c!r} is constant ({values[0]}): its effect cannot be told from the "
                "baseline; drop it or use it as a control"
            )

    dup = frame.duplicated(subset=keys, keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"duplicated ({', '.join(keys)}) rows: {_rows(frame, dup, keys)}; "
            "aggregate them (e.g. df.groupby(keys).sum()) so each series has one row per date"
        )

    frame = frame.sort_values([*roles.dims, roles.date_column], kind="stable").reset_index(
        drop=True
    )
    dates = pd.DatetimeIndex(np.sort(frame[roles.date_column].unique()))
    if len(dates) < min_periods:
        raise DataValidationError(
            f"only {len(dates)} dates but at least {min_periods} are needed (context window + "
            "horizon); pass a longer history or lower the horizon / max_lag"
        )
    check_regular_dates(dates, roles.date_column)
    if roles.dims:
        counts = frame.groupby(list(roles.dims), sort=False)[roles.date_column].count()
        short = counts[counts != len(dates)]
        if len(short):
            raise DataValidationError(
                f"series {list(short.index[:3])} have {[int(v) for v in short.values[:3]]} dates but the panel "
                f"has {len(dates)} ({dates[0].date()} to {dates[-1].date()}); every series needs "
                "every date: fill the missing rows"
            )
    return frame


@dataclass(frozen=True)
class Scaler:
    """Per-column max-abs scales fitted on training dates (as pymc-marketing does).

    Examples
    --------
    >>> s = Scaler(("tv", "y"), np.array([2.0, 4.0]))
    >>> s.transform(np.array([[1.0, 2.0]]))
    array([[0.5, 0.5]])
    >>> s.inverse(np.array([[0.5, 0.5]]))
    array([[1., 2.]])
    >>> Scaler.fit(np.array([[1.0, 0.0], [-3.0, 0.0]]), ["tv", "y"]).scales  # all-zero: 1
    array([3., 1.])
    """

    columns: tuple[str, ...]
    scales: np.ndarray

    @classmethod
    def fit(
        cls, values: np.ndarray, columns: Sequence[str], fallback: np.ndarray | None = None
    ) -> Scaler:
        """Fit on ``values[..., column]``.

        A column that is all zero there takes its scale from ``fallback`` (e.g. every date,
        for a channel that starts spending after the training dates), with a warning that
        names it; a column that is zero in both gets scale 1.
        """
        scales = cls._max_abs(values)
        if fallback is not None:
            late = (scales == 0) & (cls._max_abs(fallback) > 0)
            if late.any():
                names = [c for c, bad in zip(columns, late, strict=True) if bad]
                warnings.warn(
                    f"column(s) {names} are all zero on the training dates and non-zero only "
                    "later: their scale comes from the later dates, and their effect can only "
                    "be learned from those few dates; fit on a window where they vary",
                    UserWarning,
                    stacklevel=3,
                )
                scales = np.where(late, cls._max_abs(fallback), scales)
        return cls(tuple(columns), np.where(scales > 0, scales, 1.0).astype(np.float64))

    @staticmethod
    def _max_abs(values: np.ndarray) -> np.ndarray:
        n_cols = values.shape[-1]
        flat = np.abs(values.reshape(-1, n_cols)) if n_cols else np.zeros((0, 0))
        return flat.max(axis=0) if flat.size else np.zeros(n_cols)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale to max-abs units."""
        return values / self.scales

    def inverse(self, values: np.ndarray) -> np.ndarray:
        """Back to original units."""
        return values * self.scales


@dataclass(frozen=True)
class Panel:
    """A scaled panel: ``values`` is ``[S, T, N]`` (channels, mediators, target), ``controls``
    is ``[S, T, C]``; both in max-abs units. ``series`` indexes the dims combinations.

    Examples
    --------
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> p = Panel.from_frame(sim.df, Roles(**sim.roles))
    >>> p.values.shape
    (4, 30, 8)
    >>> p.nodes[p.target_index], p.n_channels
    ('y', 5)
    >>> p.spend_share.shape, bool(np.isclose(p.spend_share.sum(), 1.0))
    ((5,), True)
    >>> p.select(series=slice(0, 2), time=slice(0, 10)).values.shape
    (2, 10, 8)
    >>> p.to_dataarray(p.values, ("series", "date", "node")).dims
    ('geo', 'date', 'node')
    >>> p.to_frame().shape == sim.df.shape
    True
    """

    values: np.ndarray
    controls: np.ndarray
    roles: Roles
    dates: pd.DatetimeIndex
    series: pd.Index
    node_scaler: Scaler
    control_scaler: Scaler
    train_end: int = field(default=0)
    #: ``(yearly_order, trend)`` of the time features the structural decoder reads beside the
    #: controls (:meth:`decoder_controls`), None for none; ``season_origin`` is the trend's 0
    season: tuple[int, bool] | None = None
    season_origin: pd.Timestamp | None = None

    def with_season(self, yearly_order: int, trend: bool) -> Panel:
        """The same panel with time features (trend, yearly Fourier terms) for the decoder.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> sim = national(n_periods=52, seed=0)
        >>> p = Panel.from_frame(sim.df, Roles(**sim.roles)).with_season(2, True)
        >>> p.controls.shape, p.decoder_controls.shape  # price, event + trend + 4 Fourier terms
        ((1, 52, 2), (1, 52, 7))
        """
        if yearly_order == 0 and not trend:
            return replace(self, season=None, season_origin=None)
        return replace(self, season=(int(yearly_order), bool(trend)), season_origin=self.dates[0])

    def time_features_for(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Time features ``[T, F]`` of any ``dates`` (trend counted from the fitted origin).

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> p = Panel.from_frame(national(n_periods=20, seed=0).df, Roles(**national(
        ...     n_periods=20, seed=0).roles)).with_season(1, True)
        >>> p.time_features_for(p.dates[-2:]).shape
        (2, 3)
        """
        if self.season is None:
            return np.zeros((len(dates), 0))
        order, trend = self.season
        return time_features(dates, order, trend, origin=self.season_origin)

    @property
    def decoder_controls(self) -> np.ndarray:
        """Controls plus time features ``[S, T, C + F]``: what a decoder reads.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> sim = national(n_periods=52, seed=0)
        >>> p = Panel.from_frame(sim.df, Roles(**sim.roles))
        >>> p.decoder_controls is p.controls  # no time features: the controls themselves
        True
        >>> c = p.with_season(1, False).decoder_controls  # price, event + 2 Fourier terms
        >>> c.shape, bool((c[..., :2] == p.controls).all())
        ((1, 52, 4), True)
        """
        feats = self.time_features_for(self.dates)
        if not feats.shape[1]:
            return self.controls
        tiled = np.broadcast_to(feats, (self.controls.shape[0], *feats.shape))
        return np.concatenate([self.controls, tiled], -1)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in panel order (the last axis of ``values``)."""
        return self.roles.nodes

    @property
    def n_channels(self) -> int:
        """Number of channels (the first nodes)."""
        return len(self.roles.channel_columns)

    @property
    def spend_share(self) -> np.ndarray:
        """Each channel's share of the total spend (original units) over the training dates
        of every series, ``[K]``; uniform when nothing was spent."""
        k = self.n_channels
        spend = np.nansum(self.values[:, : self.train_end, :k], axis=(0, 1))
        total = spend * self.node_scaler.scales[:k]
        if k == 0 or not total.sum() > 0:
            return np.full(k, 1.0 / max(k, 1))
        return total / total.sum()

    @property
    def target_index(self) -> int:
        """Position of the target node (the last one)."""
        return len(self.nodes) - 1

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        roles: Roles,
        *,
        val_fraction: float = 0.0,
        min_periods: int = 2,
        node_scaler: Scaler | None = None,
        control_scaler: Scaler | None = None,
    ) -> Panel:
        """Validate, pivot and scale ``df``.

        Scales are fitted on the first ``T - round(val_fraction * T)`` dates only (the
        training dates), unless fitted scalers are passed (new data for a fitted model).
        """
        frame = validate_frame(df, roles, min_periods=min_periods)
        dates = pd.DatetimeIndex(np.sort(frame[roles.date_column].unique()))
        if roles.dims:
            series = pd.MultiIndex.from_frame(frame[list(roles.dims)].drop_duplicates())
            if len(roles.dims) == 1:
                series = series.get_level_values(0)
        else:
            series = pd.Index(["all"], name="series")
        n_s, n_t = len(series), len(dates)

        def cube(cols: Sequence[str]) -> np.ndarray:
            return frame[list(cols)].to_numpy(np.float64).reshape(n_s, n_t, len(cols))

        raw_nodes = cube(roles.nodes)
        raw_controls = cube(roles.control_columns)
        train_end = n_t - int(round(val_fraction * n_t))
        if node_scaler is None:
            node_scaler = Scaler.fit(raw_nodes[:, :train_end], roles.nodes, fallback=raw_nodes)
        if control_scaler is None:
            control_scaler = Scaler.fit(raw_controls[:, :train_end], roles.control_columns)
        return cls(
            values=node_scaler.transform(raw_nodes),
            controls=control_scaler.transform(raw_controls),
            roles=roles,
            dates=dates,
            series=series,
            node_scaler=node_scaler,
            control_scaler=control_scaler,
            train_end=train_end,
        )

    def select(self, series: slice | np.ndarray | None = None, time: slice | None = None) -> Panel:
        """A sub-panel over some series and/or a date range (scales unchanged)."""
        s = slice(None) if series is None else series
        t = slice(None) if time is None else time
        return replace(
            self,
            values=self.values[s][:, t],
            controls=self.controls[s][:, t],
            dates=self.dates[t],
            series=self.series[s],
            train_end=min(self.train_end, len(self.dates[t])),
        )

    def to_dataarray(
        self, array: np.ndarray, dims: Sequence[str], *, name: str | None = None, **coords
    ) -> xr.DataArray:
        """Label an array whose dims include ``series`` / ``date`` / ``node`` / ``channel``.

        ``series`` is unstacked into the panel's dims columns (e.g. ``geo``); without dims
        columns it is dropped (a single series).
        """
        base = {
            "date": self.dates,
            "node": list(self.nodes),
            "channel": list(self.roles.channel_columns),
            "source": list(self.nodes),
            "target": list(self.nodes),
        }
        use = {d: base[d] for d in dims if d in base}
        use.update(coords)
        da = xr.DataArray(array, dims=tuple(dims), coords=use, name=name)
        if "series" not in dims:
            return da
        if not self.roles.dims:
            return da.isel(series=0, drop=True)
        if isinstance(self.series, pd.MultiIndex):
            mi = xr.Coordinates.from_pandas_multiindex(self.series, "series")
            return da.assign_coords(mi).unstack("series")
        return da.assign_coords(series=np.asarray(self.series)).rename(series=self.roles.dims[0])

    def to_frame(self, values: np.ndarray | None = None) -> pd.DataFrame:
        """Back to a pymc-marketing-shaped DataFrame in original units."""
        vals = self.node_scaler.inverse(self.values if values is None else values)
        ctrl = self.control_scaler.inverse(self.controls)
        n_s, n_t = vals.shape[:2]
        out = pd.DataFrame({self.roles.date_column: np.tile(self.dates.values, n_s)})
        if self.roles.dims:
            idx = self.series if isinstance(self.series, pd.MultiIndex) else None
            for k, d in enumerate(self.roles.dims):
                level = idx.get_level_values(k) if idx is not None else self.series
                out[d] = np.repeat(np.asarray(level), n_t)
        for k, c in enumerate(self.nodes):
            out[c] = vals[..., k].reshape(-1)
        for k, c in enumerate(self.roles.control_columns):
            out[c] = ctrl[..., k].reshape(-1)
        return out


def time_features(dates, yearly_order: int = 2, trend: bool = True, origin=None) -> np.ndarray:
    """Trend and yearly Fourier columns ``[T, F]`` that the structural decoder reads beside the
    controls.

    The trend is the time since ``origin`` (default: the first date) in years; the season is
    ``sin / cos(2 pi k doy / 365.25)`` for ``k = 1..yearly_order`` (day of the year, so the
    columns of a later window continue those of the training window: pass the training
    ``origin`` when building features for new dates).

    Examples
    --------
    >>> dates = pd.date_range("2022-01-03", periods=104, freq="W-MON")
    >>> f = time_features(dates, yearly_order=2)
    >>> f.shape, float(f[0, 0]), round(float(f[-1, 0]), 2)  # trend in years
    ((104, 5), 0.0, 1.97)
    >>> time_features(dates, yearly_order=0, trend=False).shape
    (104, 0)
    """
    dates = pd.DatetimeIndex(dates)
    origin = dates[0] if origin is None else pd.Timestamp(origin)
    cols = []
    if trend:
        cols.append(((dates - origin) / pd.Timedelta(days=1)).to_numpy(float) / 365.25)
    doy = dates.day_of_year.to_numpy(float)
    for k in range(1, yearly_order + 1):
        phase = 2 * np.pi * k * doy / 365.25
        cols += [np.sin(phase), np.cos(phase)]
    return np.stack(cols, -1) if cols else np.zeros((len(dates), 0))


def forecast_origins(start: int, stop: int, horizon: int) -> np.ndarray:
    """Origins ``t`` whose targets ``t+1..t+horizon`` all lie in ``[start, stop)``.

    Examples
    --------
    >>> forecast_origins(10, 15, 2).tolist()
    [9, 10, 11, 12]
    """
    first = max(start - 1, 0)
    last = stop - horizon - 1
    if last < first:
        raise DataValidationError(
            f"held-out window of {stop - start} dates is shorter than the horizon {horizon}; "
            "use a larger val_fraction, a longer history or a shorter horizon"
        )
    return np.arange(first, last + 1)


@dataclass(frozen=True)
class SeriesGrid:
    """The one conversion between a long table (one row per date and series) and the
    ``(date, *dims, variable)`` grid, and between that grid and ``[series, date, ...]`` arrays.

    Series are numbered in C order of ``dims`` (the first dim varies slowest), the order
    every array of the package uses.

    Parameters
    ----------
    date_column : str
        The table's date column (the grid's dim is always ``date``).
    dims : sequence of str
        Series dims (e.g. ``("geo",)``); empty for one national series.
    dim_coords : mapping of str to array
        The labels of each dim, as strings.

    Examples
    --------
    >>> frame = pd.DataFrame({"date": pd.to_datetime(["2024-01-07", "2024-01-07", "2024-01-14",
    ...                       "2024-01-14"]), "geo": ["a", "b", "a", "b"], "tv": [1., 2., 3., 4.]})
    >>> grid = SeriesGrid("date", ("geo",), {"geo": np.array(["a", "b"])})
    >>> da = grid.to_grid(frame, ["tv"], pd.DatetimeIndex(frame["date"].unique()))
    >>> da.dims, SeriesGrid.series_values(da, ("geo",))[..., 0].tolist()
    (('date', 'geo', 'variable'), [[1.0, 3.0], [2.0, 4.0]])
    >>> SeriesGrid.from_grid(da, "date")["tv"].tolist()
    [1.0, 2.0, 3.0, 4.0]
    """

    date_column: str
    dims: tuple[str, ...]
    dim_coords: dict = field(default_factory=dict)

    def to_grid(
        self,
        frame: pd.DataFrame,
        columns: Sequence[str],
        dates: pd.DatetimeIndex,
        what: str = "data",
    ) -> xr.DataArray:
        """``frame[columns]`` as a DataArray ``(date, *dims, variable)`` on the grid's coords;
        rows are matched by label (date and dims), never by position."""
        date_column, dims, dim_coords = self.date_column, tuple(self.dims), self.dim_coords
        missing = [c for c in (date_column, *dims, *columns) if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"{what} lacks column(s) {missing}; its columns are {list(frame.columns)}"
            )
        sub = frame[[date_column, *dims, *columns]].copy()
        sub[date_column] = pd.to_datetime(sub[date_column])
        for d in dims:
            sub[d] = sub[d].astype(str)
        idx = sub.set_index([date_column, *dims])
        if idx.index.duplicated().any():
            dup = idx.index[idx.index.duplicated()][:3].tolist()
            raise DataValidationError(
                f"{what} has duplicated ({date_column}, *dims) rows, e.g. {dup}"
            )
        shape = (len(dates), *(len(dim_coords[d]) for d in dims), len(columns))
        arr = np.full(shape, np.nan)
        if len(idx):
            date_pos = pd.Index(pd.DatetimeIndex(dates).as_unit("ns")).get_indexer(
                pd.DatetimeIndex(idx.index.get_level_values(0)).as_unit("ns")
            )
            keep = date_pos >= 0
            pos = [date_pos]
            for k, d in enumerate(dims):
                labels = pd.Index([str(v) for v in dim_coords[d]])
                p = labels.get_indexer(idx.index.get_level_values(k + 1))
                keep &= p >= 0
                pos.append(p)
            arr[tuple(p[keep] for p in pos)] = idx.to_numpy(dtype=float)[keep]
        da = xr.DataArray(
            arr,
            dims=("date", *dims, "variable"),
            coords={
                "date": pd.DatetimeIndex(dates).as_unit("ns"),
                **{d: dim_coords[d] for d in dims},
                "variable": list(columns),
            },
        )
        if np.isnan(arr).any():
            cell = np.argwhere(np.isnan(arr))[0]
            first = {d: str(da[d].values[i]) for d, i in zip(da.dims, cell, strict=True)}
            raise DataValidationError(
                f"{what} has no value for some (date, *dims) cells of the columns "
                f"{list(columns)}, e.g. {first}; pass one row per date and series with no "
                "missing values"
            )
        return da

    @staticmethod
    def from_grid(da: xr.DataArray, date_column: str) -> pd.DataFrame:
        """Inverse of :meth:`to_grid`: a flat frame with one column per ``variable``.

        Examples
        --------
        >>> da = xr.DataArray([[1.0]], dims=("date", "variable"),
        ...                   coords={"date": pd.to_datetime(["2024-01-07"]), "variable": ["tv"]})
        >>> SeriesGrid.from_grid(da, "week").columns.tolist()
        ['week', 'tv']
        """
        df = da.to_dataset("variable").to_dataframe().reset_index()
        return df.rename(columns={"date": date_column})

    @staticmethod
    def series_values(da: xr.DataArray, dims: Sequence[str]) -> np.ndarray:
        """``(date, *dims[, extra])`` -> ``[S, T(, extra)]``, series in C order of ``dims``.

        Examples
        --------
        >>> da = xr.DataArray(np.arange(6.0).reshape(3, 2), dims=("date", "geo"))
        >>> SeriesGrid.series_values(da, ("geo",)).tolist()
        [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
        """
        extra = [d for d in da.dims if d not in ("date", *dims)]
        v = da.transpose("date", *dims, *extra).values
        v = v.reshape(v.shape[0], -1, *v.shape[1 + len(dims) :])
        return np.swapaxes(v, 0, 1)

    @staticmethod
    def to_series_grid(x: np.ndarray, like: xr.DataArray, dims: Sequence[str]) -> xr.DataArray:
        """Inverse of :meth:`series_values` onto the coords of ``like``.

        Examples
        --------
        >>> like = xr.DataArray(np.zeros((3, 2)), dims=("date", "geo"))
        >>> SeriesGrid.to_series_grid(np.array([[0., 2, 4], [1, 3, 5]]), like, ("geo",)).values[1]
        array([2., 3.])
        """
        v = np.swapaxes(x, 0, 1)
        shape = (v.shape[0], *(like.sizes[d] for d in dims), *v.shape[2:])
        return like.copy(data=v.reshape(shape))
