"""Column roles: which column is the date, the dims, the channels, mediators, controls and
the target, inferred from a pymc-marketing-shaped DataFrame or given by the caller.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"date": pd.date_range("2024-01-07", periods=3, freq="W"),
...                    "tv": [1.0, 2, 3], "y": [4.0, 5, 6]})
>>> infer_roles(df, channel_columns=["tv"]).nodes
('tv', 'y')
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pymc_dice.exceptions import DataValidationError

logger = logging.getLogger("pymc_dice")

TARGET_NAMES = ("y", "sales", "revenue", "target", "kpi", "gmv", "conversions", "orders")


@dataclass(frozen=True)
class Roles:
    """Which column plays which role.

    Examples
    --------
    >>> r = Roles("date", ("geo",), ("tv",), (), ("price",), "y")
    >>> r.nodes
    ('tv', 'y')
    >>> r.numeric_columns
    ('tv', 'y', 'price')
    >>> r.to_dict()["dims"]
    ['geo']
    """

    date_column: str
    dims: tuple[str, ...]
    channel_columns: tuple[str, ...]
    mediator_columns: tuple[str, ...]
    control_columns: tuple[str, ...]
    target_column: str

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in panel order: channels, mediators, target."""
        return (*self.channel_columns, *self.mediator_columns, self.target_column)

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        """Every column that must hold numbers."""
        return (*self.nodes, *self.control_columns)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-serialisable)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def _as_tuple(cols: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if cols is None:
        return None
    return (cols,) if isinstance(cols, str) else tuple(cols)


def infer_roles(
    df: pd.DataFrame,
    *,
    date_column: str | None = None,
    channel_columns: Sequence[str] | None = None,
    target_column: str | None = "y",
    mediator_columns: Sequence[str] | None = None,
    control_columns: Sequence[str] | None = None,
    dims: Sequence[str] | None = None,
) -> Roles:
    """Infer column roles for ``DiceMMM().fit(df)``; every argument overrides the inference.

    The one datetime-like column is the date; string or categorical columns are dims;
    ``y`` (or the only column named like a target) is the target; remaining numeric columns
    are channels unless named as mediators or controls. The result is logged.

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="W"),
    ...                    "geo": ["a"] * 3, "tv": [1.0, 2, 3], "y": [4.0, 5, 6]})
    >>> infer_roles(df).channel_columns
    ('tv',)
    """
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(df).__name__}")
    check_columns(df)
    columns = [str(c) for c in df.columns]
    mediators = _as_tuple(mediator_columns) or ()
    controls = _as_tuple(control_columns) or ()
    explicit = {
        "date_column": [date_column] if date_column else [],
        "channel_columns": list(_as_tuple(channel_columns) or ()),
        "mediator_columns": list(mediators),
        "control_columns": list(controls),
        "dims": list(_as_tuple(dims) or ()),
    }
    for arg, cols in explicit.items():
        missing = [c for c in cols if c not in columns]
        if missing:
            raise DataValidationError(
                f"{arg} names column(s) {missing} that are not in the DataFrame; "
                f"available columns: {columns}"
            )

    if date_column is None:
        datelike = [c for c in columns if pd.api.types.is_datetime64_any_dtype(df[c])]
        if not datelike:
            datelike = [c for c in columns if c.lower() in ("date", "week", "date_week", "ds")]
        if len(datelike) != 1:
            raise DataValidationError(
                f"cannot tell the date column: found {datelike or 'none'} among {columns}; "
                "pass date_column='...'"
            )
        date_column = datelike[0]

    if dims is None:
        dims_t = tuple(
            c
            for c in columns
            if c != date_column
            and (
                pd.api.types.is_object_dtype(df[c])
                or pd.api.types.is_string_dtype(df[c])
                or isinstance(df[c].dtype, pd.CategoricalDtype)
            )
            and c not in (*explicit["channel_columns"], *mediators, *controls, target_column)
        )
    else:
        dims_t = tuple(_as_tuple(dims) or ())

    if target_column is None or target_column not in columns:
        named = [c for c in columns if c.lower() in TARGET_NAMES]
        if target_column is not None and target_column != "y":
            raise DataValidationError(
                f"target_column {target_column!r} is not in the DataFrame; columns: {columns}"
            )
        if len(named) != 1:
            raise DataValidationError(
                f"cannot tell the target column: found {named or 'none'} named like a target "
                f"among {columns}; pass target_column='...'"
            )
        target_column = named[0]

    taken = {date_column, target_column, *dims_t, *mediators, *controls}
    if channel_columns is None:
        channels = tuple(
            c for c in columns if c not in taken and pd.api.types.is_numeric_dtype(df[c])
        )
        if not channels:
            raise DataValidationError(
                f"no channel columns found among {columns}: numeric columns that are not the "
                "date, target, dims, mediators or controls are channels; pass channel_columns=[...]"
            )
        warnings.warn(
            f"channel_columns not given: every numeric column without another role is taken as "
            f"a channel: channels={list(channels)}, target={target_column!r}, "
            f"mediators={list(mediators)}, controls={list(controls)}, dims={list(dims_t)}; "
            "pass channel_columns=[...] (and mediator_columns / control_columns) to choose",
            UserWarning,
            stacklevel=2,
        )
    else:
        channels = tuple(_as_tuple(channel_columns) or ())
    roles = Roles(date_column, dims_t, channels, mediators, controls, target_column)
    check_roles(roles, columns)
    logger.info(
        "pymc-dice columns: date=%r dims=%s channels=%s mediators=%s controls=%s target=%r",
        roles.date_column,
        list(roles.dims),
        list(roles.channel_columns),
        list(roles.mediator_columns),
        list(roles.control_columns),
        roles.target_column,
    )
    return roles


def check_columns(df: pd.DataFrame) -> None:
    """Refuse an empty frame and duplicated column labels, naming them.

    Examples
    --------
    >>> check_columns(pd.DataFrame([[1, 2]], columns=["tv", "tv"]))
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: duplicated column label(s) ['tv']: ...
    """
    dup = pd.Index([str(c) for c in df.columns])
    dup = sorted(set(dup[dup.duplicated()]))
    if dup:
        raise DataValidationError(
            f"duplicated column label(s) {dup}: each column needs one name; rename or drop the "
            "copies (e.g. df.loc[:, ~df.columns.duplicated()])"
        )
    if len(df) == 0:
        raise DataValidationError(
            f"the DataFrame has no rows (columns {[str(c) for c in df.columns]}); pass the data"
        )


#: characters a column name cannot hold: results are netCDF / DataTree files, where ``/`` is a
#: group separator
_FORBIDDEN = ("/",)


def check_roles(roles: Roles, columns: Sequence[str]) -> None:
    """Check that every role names a column of ``columns``, once, in a storable name.

    Examples
    --------
    >>> check_roles(Roles("date", (), ("tv",), (), (), "tv"), ["date", "tv"])
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: target column 'tv' is also listed as a channel; ...
    """
    for name in (*roles.dims, *roles.numeric_columns):
        bad = [ch for ch in _FORBIDDEN if ch in name]
        if bad:
            fixed = name.replace("/", "_")
            raise DataValidationError(
                f"column {name!r} contains {bad[0]!r}, which results files (netCDF / DataTree) "
                f"cannot hold in a name; rename it, e.g. df.rename(columns={{{name!r}: "
                f"{fixed!r}}})"
            )
    used = [roles.date_column, *roles.dims, *roles.numeric_columns]
    missing = [c for c in used if c not in columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} are missing from the DataFrame; available columns: {list(columns)}"
        )
    if roles.target_column in roles.channel_columns:
        raise DataValidationError(
            f"target column {roles.target_column!r} is also listed as a channel; "
            "remove it from channel_columns"
        )
    seen: dict[str, str] = {}
    for role, cols in (
        ("date_column", [roles.date_column]),
        ("dims", roles.dims),
        ("channel_columns", roles.channel_columns),
        ("mediator_columns", roles.mediator_columns),
        ("control_columns", roles.control_columns),
        ("target_column", [roles.target_column]),
    ):
        for c in cols:
            if c in seen:
                raise DataValidationError(
                    f"column {c!r} is given two roles ({seen[c]} and {role}); give it one"
                )
            seen[c] = role
    if not roles.channel_columns:
        raise DataValidationError("at least one channel column is needed; pass channel_columns")
