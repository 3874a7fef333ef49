"""The frames a :class:`~pymc_dice.mmm.DiceMMM` is given, checked and shaped: the target
``y`` aligned to ``X`` for ``fit``, the new dates of a forecast, and the fewest dates a fit
needs. Validation itself is the data layer's (:mod:`pymc_dice.data`); the caller's frames are
never changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.data import Panel, Roles, check_regular_dates, parse_dates
from pymc_dice.exceptions import DataValidationError

__all__ = ["align_target", "future_inputs", "min_periods"]


def min_periods(max_lag: int, horizon: int, val_fraction: float) -> int:
    """Fewest dates with ``max_lag + 2`` training dates and a held-out window >= horizon.

    Examples
    --------
    >>> min_periods(max_lag=4, horizon=2, val_fraction=0.2)
    8
    """
    t = max_lag + horizon + 2
    while True:
        n_val = int(round(val_fraction * t))
        if n_val >= horizon and t - n_val >= max_lag + 2:
            return t
        t += 1


def _shown(labels: pd.Index) -> list:
    return [tuple(map(str, v)) if isinstance(v, tuple) else str(v) for v in labels[:3]]


def _key_index(frame_keys: pd.DataFrame, y_index: pd.Index) -> tuple[pd.Index, pd.Index]:
    """Comparable (X, y) indexes on the key columns: dates parsed, other keys as text."""
    x_levels, y_levels = [], []
    for k, name in enumerate(frame_keys.columns):
        xs = frame_keys[name]
        ys = pd.Series(y_index.get_level_values(k))
        if pd.api.types.is_datetime64_any_dtype(xs) or pd.api.types.is_datetime64_any_dtype(ys):
            xs, ys = parse_dates(xs, str(name)), parse_dates(ys, f"y's index level {name!r}")
        x_levels.append(xs.astype(str).to_numpy())
        y_levels.append(ys.astype(str).to_numpy())
    return pd.MultiIndex.from_arrays(x_levels), pd.MultiIndex.from_arrays(y_levels)


def _label_positions(X: pd.DataFrame, y: pd.Series) -> np.ndarray:
    """Position in ``y`` of each row of ``X``, matched by labels."""
    names = list(y.index.names)
    if all(n is not None and n in X.columns for n in names):
        x_idx, y_idx = _key_index(X[names], y.index)
        where = f"X's {names} columns"
    elif any(n is not None for n in names) and names != list(X.index.names):
        raise DataValidationError(
            f"y's index levels {names} are neither columns of X nor X's index levels "
            f"{list(X.index.names)}; index y by (date, *dims) columns of X, by X's index, or "
            "pass y.to_numpy() to take it by position"
        )
    else:
        x_idx, y_idx, where = X.index, y.index, "X's index"
        if x_idx.has_duplicates:
            raise DataValidationError(
                f"X's index has duplicated labels {_shown(x_idx[x_idx.duplicated()])}: y cannot "
                "be aligned to it by label; reset X's index or pass y.to_numpy() (by position)"
            )
    if y_idx.has_duplicates:
        raise DataValidationError(
            f"y has duplicated labels {_shown(y.index[y_idx.duplicated()])}; pass one target "
            "value per row of X"
        )
    pos = y_idx.get_indexer(x_idx)
    if (pos < 0).any():
        missing = X.index[pos < 0] if where == "X's index" else x_idx[pos < 0]
        raise DataValidationError(
            f"y has no value for {int((pos < 0).sum())} row(s) of X (labels {_shown(missing)} of "
            f"{where}); y is aligned to X by labels: give y a value for every row of X, or "
            "pass y.to_numpy() to take it by position"
        )
    unused = np.setdiff1d(np.arange(len(y_idx)), pos)
    if unused.size:
        raise DataValidationError(
            f"y has {unused.size} label(s) that match no row of X ({_shown(y.index[unused])} "
            f"not in {where}); select y for the rows of X only"
        )
    return pos


def align_target(X: pd.DataFrame, y: Any, target_column: str) -> pd.DataFrame:
    """A copy of ``X`` with ``y`` as its ``target_column`` (neither input is changed).

    As pymc-marketing's ``MMM.fit`` aligns ``y``: a Series (or a DataArray, as its Series) is
    matched by labels, in any order: by the columns of ``X`` its index levels are named after
    (``(date, *dims)``), else by ``X``'s index. Every row of ``X`` needs exactly one label and
    no label may be left over. An array or list is taken by position.

    Examples
    --------
    >>> X = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="W-MON"),
    ...                   "tv": [1.0, 2, 3]})
    >>> y = pd.Series([30.0, 10, 20], index=[2, 0, 1])
    >>> align_target(X, y, "y")["y"].tolist()
    [10.0, 20.0, 30.0]
    >>> align_target(X, [1.0, 2.0], "y")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: y has shape (2,) but X has 3 rows; ...
    """
    if isinstance(y, xr.DataArray):
        y = y.to_series()
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        values = y.to_numpy()[_label_positions(X, y)]
    else:
        values = np.asarray(y)
        if values.shape != (len(X),):
            raise DataValidationError(
                f"y has shape {values.shape} but X has {len(X)} rows; pass one target "
                "value per row of X"
            )
    return X.assign(**{target_column: values})


def _check_new_dates(new: pd.DatetimeIndex, fitted: pd.DatetimeIndex, column: str) -> None:
    """New dates must follow the fitted ones on their calendar, without overlap or gap."""
    if len(new) == 0:
        raise DataValidationError("X has no rows: pass the new dates to predict")
    freq = check_regular_dates(fitted, column)
    step = pd.tseries.frequencies.to_offset(freq) if freq else None
    first = fitted[-1] + step if step is not None else new[0]
    overlap = new.intersection(fitted)
    if len(overlap):
        raise DataValidationError(
            f"X's dates {[str(d.date()) for d in overlap[:3]]} overlap the fitted dates "
            f"({fitted[0].date()} to {fitted[-1].date()}); predict takes new dates only, "
            f"starting on {first.date()}"
        )
    if new[0] != first:
        raise DataValidationError(
            f"X must start on {first.date()}, the date after the last fitted date "
            f"{fitted[-1].date()} (step {freq}); its first date is {new[0].date()}"
        )
    check_regular_dates(fitted.append(new), column)


def future_inputs(
    roles: Roles, panel: Panel, X: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Scaled ``x`` ``[S, T + H, N]`` and ``c`` over fitted + new dates, and the ``H`` new
    dates, for a forecast from the end of the fitted ``panel``.

    ``X`` needs the date, dims, channel and control columns of every fitted series on dates
    right after the fitted ones (mediators and the target may be absent and are not read);
    its values are checked by :meth:`pymc_dice.data.Panel.from_frame` with the fitted scalers.

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=6, freq="W-MON"),
    ...                    "tv": [1.0, 2, 3, 4, 5, 6], "y": [4.0, 5, 6, 7, 8, 9]})
    >>> roles = Roles("date", (), ("tv",), (), (), "y")
    >>> panel = Panel.from_frame(df.iloc[:4], roles)
    >>> x, c, dates = future_inputs(roles, panel, df.iloc[4:].drop(columns="y"))
    >>> x.shape, c.shape, [str(d.date()) for d in dates]
    ((1, 6, 2), (1, 6, 0), ['2024-01-29', '2024-02-05'])
    """
    if not isinstance(X, pd.DataFrame):
        raise DataValidationError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    needed = [roles.date_column, *roles.dims, *roles.channel_columns, *roles.control_columns]
    missing = [c for c in needed if c not in X.columns]
    if missing:
        raise DataValidationError(
            f"X is missing column(s) {missing} needed to predict; X needs the date, dims, "
            "channel and control columns of the new dates (mediators and the target may "
            "be absent)"
        )
    frame = X.loc[:, needed].copy()
    for col in (*roles.mediator_columns, roles.target_column):
        frame[col] = 0.0
    frame[roles.date_column] = parse_dates(frame[roles.date_column], roles.date_column)
    _check_new_dates(
        pd.DatetimeIndex(np.unique(frame[roles.date_column])), panel.dates, roles.date_column
    )
    if roles.dims:
        keys = frame[list(roles.dims)].astype(str).drop_duplicates()
        got = set(map(tuple, keys.to_numpy())) if len(roles.dims) > 1 else set(keys.iloc[:, 0])
        want = set(panel.series) if len(roles.dims) > 1 else set(map(str, panel.series))
        if got != want:
            raise DataValidationError(
                f"X's {list(roles.dims)} values differ from the fitted series: unknown "
                f"{sorted(got - want)[:3]}, absent {sorted(want - got)[:3]}; pass every "
                "fitted series for every new date"
            )
    history = panel.to_frame()
    combined = pd.concat([history, frame[list(history.columns)]], ignore_index=True)
    full = Panel.from_frame(
        combined,
        roles,
        min_periods=1,
        node_scaler=panel.node_scaler,
        control_scaler=panel.control_scaler,
    )
    t_len = len(panel.dates)
    x = np.concatenate([panel.values, full.values[:, t_len:]], axis=1)
    c = np.concatenate([panel.controls, full.controls[:, t_len:]], axis=1)
    return x, c, full.dates[t_len:]
