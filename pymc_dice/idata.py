"""Results of a fitted neural MMM as an ``xarray.DataTree`` laid out like pymc-marketing's.

The tree passes ``MMMIdataSchema`` validation and is read unchanged by ``MMMIDataWrapper``,
``MMMSummaryFactory``, ``MMMPlotSuite`` and ArviZ (docs/pymc-marketing.md, "DiceMMM results in
pymc-marketing's tools"). Seeds of an
ensemble are ``chain``, stochastic graph samples are ``draw``.

Layout (``*dims`` are the custom dims, e.g. ``geo``; none for a single series):

- ``posterior``: ``channel_contribution`` (chain, draw, date, *dims, channel) and ``mu``
  (chain, draw, date, *dims), both in scaled target units;
  ``channel_contribution_original_scale`` (its product with ``target_scale``, which
  ``MMMPlotSuite.channel_contribution_share_hdi`` and ``saturation_scatterplot`` require, as
  ``MMM.add_original_scale_contribution_variable`` would add it); ``edge_probability``
  (chain, draw, source, target). A per-seed edge probability is repeated over ``draw``:
  a ``(chain, source, target)`` variable in ``posterior`` makes ``arviz.summary`` of the
  group raise, and a length-1 ``draw`` cannot sit next to the other variables' draws.
- ``posterior_predictive``: ``y`` (chain, draw, date, *dims), scaled.
- ``log_likelihood`` (structural fits, added by the fitted ensemble): ``y``
  (chain, draw, date, *dims), pointwise, as ``arviz.loo`` reads it.
- ``constant_data``: ``channel_data`` (date, *dims, channel) and ``target_data``
  (date, *dims) in original units, ``channel_scale`` (channel), ``target_scale`` (0-d),
  and ``control_data`` (date, *dims, control), named as a fitted MMM stores it (the schema's
  optional ``control_data_`` is read by nothing). Nothing with another dim may go here:
  ``MMMIDataWrapper.custom_dims`` takes every dim of this group but date, channel and
  control for a custom dim.
- ``observed_data``: ``y`` (date, *dims) = target_data / target_scale, scaled, as pymc stores
  the observed likelihood data.
- ``fit_data``: the training frame, one variable per column on (date_column, *dims), as
  ``MMM.create_fit_data`` stores it.
- ``dice``: the diagnostics Dataset, as given.
- ``date`` is datetime64[ns] everywhere, so netCDF round trips are exact.
- The per-draw arrays hold chain x draw x date x series values each and are the bulk of the
  tree's memory (:func:`results_nbytes`). Those pymc-marketing's schema types
  (``channel_contribution``, ``mu``, ``posterior_predictive.y``) are float64
  (:data:`SCHEMA_DTYPE`: ``MMMIdataSchema`` requires it and ``MMMIDataWrapper`` checks it
  on creation); the others (``channel_contribution_original_scale``, ``log_likelihood.y``)
  are float32 (:data:`RESULT_DTYPE`: computed in float64, cast when written). Scales, edge
  probabilities and the data groups are float64.
- root ``attrs``: ``link="identity"`` (read by the wrapper), ``dims``, ``date_column``,
  ``channel_columns``, ``target_column``, ``nodes`` (JSON strings, as pymc-marketing
  writes them), then the caller's ``attrs``.
"""

from __future__ import annotations

import datetime
import json
import os
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.exceptions import DataValidationError

__all__ = [
    "RESULTS_BUDGET_BYTES",
    "RESULT_DTYPE",
    "SCHEMA_DTYPE",
    "ResultsMemoryWarning",
    "build_idata",
    "channel_summary",
    "check_results_memory",
    "contributions_over_time",
    "results_nbytes",
    "roas",
    "roas_from_totals",
    "roas_table",
    "series_grid",
    "validate_idata",
]

SAMPLE_DIMS = ("chain", "draw")
# Dims of constant_data that MMMIDataWrapper.custom_dims does not count as custom dims.
_STANDARD_DIMS = {"date", "channel", "control", "fourier_mode", "chain", "draw"}
#: dtype of the per-draw arrays pymc-marketing's ``MMMIdataSchema`` types (float64 required)
SCHEMA_DTYPE = np.dtype(np.float64)
#: dtype of the other per-draw arrays (original-scale contributions, log-likelihood)
RESULT_DTYPE = np.dtype(np.float32)


def _total_memory_bytes() -> int | None:
    """The machine's physical memory in bytes, or None where the OS does not say."""
    try:  # no sysconf (Windows) or no such name: None
        return max(int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")), 0) or None
    except (AttributeError, ValueError, OSError):
        return None


#: bytes the stored per-draw results may take before a fit warns: a quarter of the machine's
#: memory (4 GiB where the OS does not report it)
RESULTS_BUDGET_BYTES = (_total_memory_bytes() or 16 * 2**30) // 4


class ResultsMemoryWarning(UserWarning):
    """Results estimated over :data:`RESULTS_BUDGET_BYTES` (a ``UserWarning``: shown by default).

    Examples
    --------
    >>> issubclass(ResultsMemoryWarning, UserWarning)
    True
    """


def results_nbytes(n_chain: int, n_draw: int, n_series: int, n_dates: int, n_channels: int) -> int:
    """Bytes of the per-draw arrays of a results tree, chain x draw x series x date values
    each: ``C + 2`` of :data:`SCHEMA_DTYPE` (``channel_contribution``, ``mu``,
    ``posterior_predictive.y``) and ``C + 1`` of :data:`RESULT_DTYPE`
    (``channel_contribution_original_scale``, ``log_likelihood.y``).

    Examples
    --------
    >>> round(results_nbytes(2, 50, 10_000, 156, 7) / 1e9, 1)  # GB: 10,000 series x 156 weeks
    16.2
    """
    per_value = (n_channels + 2) * SCHEMA_DTYPE.itemsize + (n_channels + 1) * RESULT_DTYPE.itemsize
    return n_chain * n_draw * n_series * n_dates * per_value


def check_results_memory(
    n_chain: int, n_draw: int, n_series: int, n_dates: int, n_channels: int, stacklevel: int = 2
) -> int:
    """Warn (:class:`ResultsMemoryWarning`) when :func:`results_nbytes` exceeds
    :data:`RESULTS_BUDGET_BYTES`; return the estimate.

    Examples
    --------
    >>> check_results_memory(1, 4, 3, 30, 2)  # 1 x 4 x 3 x 30 x (4 x 8 + 3 x 4) bytes: no warning
    15840
    """
    need = results_nbytes(n_chain, n_draw, n_series, n_dates, n_channels)
    if need > RESULTS_BUDGET_BYTES:
        per_draw = max(1, need // max(1, n_draw))
        fits = max(1, RESULTS_BUDGET_BYTES // per_draw)
        warnings.warn(
            f"the results of this fit take about {need / 1e9:.1f} GB ({n_chain} chains x "
            f"{n_draw} draws x {n_series} series x {n_dates} dates x {n_channels} channels), "
            f"over the budget of {RESULTS_BUDGET_BYTES / 1e9:.1f} GB "
            "(pymc_dice.idata.RESULTS_BUDGET_BYTES, a quarter of this machine's memory); "
            f"fit with fewer posterior draws, e.g. fit(..., draws={fits})",
            ResultsMemoryWarning,
            stacklevel=stacklevel + 1,
        )
    return need


def series_grid(series: pd.Index, dims: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Custom-dim coords and, per grid cell (C order), the panel series it holds.

    Examples
    --------
    >>> coords, order = series_grid(pd.Index(["b", "a"], name="geo"), ["geo"])
    >>> coords["geo"].tolist(), order.tolist()
    (['b', 'a'], [0, 1])
    """
    if not dims:
        return {}, np.zeros(1, dtype=int)
    if len(dims) == 1:
        return {dims[0]: np.asarray(series).astype(str)}, np.arange(len(series))
    levels = [pd.unique(series.get_level_values(k)) for k in range(len(dims))]
    full = pd.MultiIndex.from_product(levels)
    if len(full) != len(series):
        have = set(series)
        missing = [combo for combo in full if combo not in have][:3]
        raise DataValidationError(
            f"the dims {list(dims)} do not form a full grid: combinations {missing} have no "
            "rows; every combination of the dims values needs one row per date (fill them)"
        )
    order = np.argsort(full.get_indexer(series))
    return {d: np.asarray(lv).astype(str) for d, lv in zip(dims, levels, strict=True)}, order


def _coord(values) -> np.ndarray:
    """Coordinate array; object arrays of strings become fixed-width strings."""
    arr = np.asarray(values)
    if arr.dtype == object and all(isinstance(v, str) for v in arr.ravel()):
        arr = arr.astype(str)
    return arr


def _as_float(name: str, values, shape: tuple[int, ...], labels: Sequence[str]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)  # no copy of a float64 array
    if arr.shape != shape:
        raise ValueError(
            f"{name} has shape {arr.shape}, expected {shape} for dims ({', '.join(labels)})"
        )
    return arr


def _attr_value(key: str, value):
    """netCDF-safe attribute: strings and numbers as they are, anything else as JSON."""
    if isinstance(value, str | int | float | np.integer | np.floating) and not isinstance(
        value, bool
    ):
        return value
    try:
        return json.dumps(value)
    except TypeError as err:
        raise TypeError(
            f"attrs[{key!r}] of type {type(value).__name__} is not JSON-serialisable; "
            "pass a string or a number"
        ) from err


def _group_attrs(sample_dims: bool) -> dict:
    attrs = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "creation_library": "pymc-dice",
        "inference_library": "pymc_dice",
    }
    if sample_dims:
        attrs["sample_dims"] = list(SAMPLE_DIMS)
    return attrs


def _fit_dataset(
    frame: pd.DataFrame, date_column: str | None, dims: Sequence[str]
) -> tuple[xr.Dataset, str]:
    """The training frame as ``MMM.create_fit_data`` stores it, and its date column."""
    df = frame.copy()
    if date_column is None:
        if "date" in df.columns:
            date_column = "date"
        else:
            datelike = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
            if len(datelike) != 1 and isinstance(df.index, pd.DatetimeIndex):
                df = df.reset_index(names=df.index.name or "date")
                datelike = [df.columns[0]]
            if len(datelike) != 1:
                raise ValueError(
                    f"fit_data has {len(datelike)} datetime columns {datelike}; "
                    "pass date_column='...'"
                )
            date_column = datelike[0]
    if date_column not in df.columns and df.index.name == date_column:
        df = df.reset_index()
    if date_column not in df.columns:
        raise ValueError(f"fit_data has no date column {date_column!r}")
    df[date_column] = pd.to_datetime(df[date_column]).dt.as_unit("ns")
    keys = [date_column, *(d for d in dims if d in df.columns)]
    return df.sort_values(keys).set_index(keys).to_xarray(), date_column


class _Layout:
    """Dims, coords and shapes of one results tree, and its checked groups."""

    def __init__(self, dates, dim_coords: dict, channels: Sequence, nodes: Sequence):
        self.dates, self.dim_coords = dates, dim_coords
        self.dim_names = list(dim_coords)
        self.channels = [str(c) for c in channels]
        self.nodes = [str(n) for n in nodes]
        self.dim_shape = tuple(len(v) for v in dim_coords.values())
        self.data_dims = ("date", *self.dim_names)
        self.sample_dims = (*SAMPLE_DIMS, *self.data_dims)
        self.data_coords = {"date": dates, **dim_coords}
        self.coords = {**self.data_coords, "channel": np.array(self.channels)}
        self.sample_coords: dict = {}

    def checked(self, channel_contribution, y_pred, channel_data, target_data, channel_scale):
        """The arrays as float64 (:data:`SCHEMA_DTYPE`), shapes checked (this sets the chain
        and draw sizes); no copy of float64 arrays."""
        cc = np.asarray(channel_contribution, dtype=SCHEMA_DTYPE)
        if cc.ndim < 2:
            raise ValueError(
                f"channel_contribution has {cc.ndim} dims; expected (chain, draw, ...)"
            )
        self.n_chain, self.n_draw = cc.shape[:2]
        self.sample_coords = {"chain": np.arange(self.n_chain), "draw": np.arange(self.n_draw)}
        n_t, n_c, dd = len(self.dates), len(self.channels), self.data_dims
        sample = (self.n_chain, self.n_draw, n_t, *self.dim_shape)
        return (
            _as_float("channel_contribution", cc, (*sample, n_c), (*self.sample_dims, "channel")),
            _as_float("y_pred", y_pred, sample, self.sample_dims),
            _as_float("channel_data", channel_data, (n_t, *self.dim_shape, n_c), (*dd, "channel")),
            _as_float("target_data", target_data, (n_t, *self.dim_shape), dd),
            _as_float("channel_scale", channel_scale, (n_c,), ("channel",)),
        )

    def posterior(self, cc, yp, t_scale: float, edge_probability) -> xr.Dataset:
        # float64 products written straight into RESULT_DTYPE: no float64 temporary
        original = np.multiply(cc, t_scale, out=np.empty(cc.shape, RESULT_DTYPE), casting="unsafe")
        posterior = {
            "channel_contribution": ((*self.sample_dims, "channel"), cc),
            "channel_contribution_original_scale": ((*self.sample_dims, "channel"), original),
            "mu": (self.sample_dims, yp.copy()),
        }
        coords = {**self.sample_coords, **self.coords}
        if edge_probability is not None:
            ep = np.asarray(edge_probability, dtype=np.float64)
            n_n = len(self.nodes)
            if ep.shape == (self.n_chain, n_n, n_n):
                ep = np.repeat(ep[:, None], self.n_draw, axis=1)
            shape = (self.n_chain, self.n_draw, n_n, n_n)
            _as_float("edge_probability", ep, shape, ("chain", "[draw]", "source", "target"))
            posterior["edge_probability"] = ((*SAMPLE_DIMS, "source", "target"), ep)
            coords |= {"source": np.array(self.nodes), "target": np.array(self.nodes)}
        return xr.Dataset(posterior, coords=coords, attrs=_group_attrs(True))

    def dataset(self, variables: dict, sample: bool) -> xr.Dataset:
        """A group over (date, *dims), with (chain, draw) first when ``sample``."""
        coords = {**self.sample_coords, **self.data_coords} if sample else self.data_coords
        return xr.Dataset(variables, coords=coords, attrs=_group_attrs(sample))

    def root_attrs(self, date_column, control_names, attrs) -> dict:
        """Root attributes as pymc-marketing writes them, then the caller's ``attrs``."""
        root = {
            "model_type": "DiceMMM",
            "link": "identity",
            "dims": self.dim_names,
            "date_column": date_column or "date",
            "channel_columns": self.channels,
            "target_column": self.nodes[-1] if self.nodes else "y",
            "nodes": self.nodes,
            "control_columns": [str(c) for c in control_names or []],
        }
        root.update(attrs or {})
        return {str(k): _attr_value(str(k), v) for k, v in root.items()}

    def constant_data(self, x, y, ch_scale, t_scale: float, control_data, control_names):
        constant = {
            "channel_data": ((*self.data_dims, "channel"), x),
            "target_data": (self.data_dims, y),
            "channel_scale": (("channel",), ch_scale),
            "target_scale": ((), np.float64(t_scale)),
        }
        coords = dict(self.coords)
        if control_data is not None:
            if control_names is None:
                raise ValueError("control_data needs control_names")
            names = [str(c) for c in control_names]
            shape = (len(self.dates), *self.dim_shape, len(names))
            ctrl = _as_float("control_data", control_data, shape, (*self.data_dims, "control"))
            constant["control_data"] = ((*self.data_dims, "control"), ctrl)
            coords["control"] = np.array(names)
        return xr.Dataset(constant, coords=coords, attrs=_group_attrs(False))


def build_idata(
    *,
    dates: pd.DatetimeIndex,
    dims: Mapping[str, Sequence],
    channels: Sequence[str],
    nodes: Sequence[str],
    channel_contribution: np.ndarray,
    y_pred: np.ndarray,
    edge_probability: np.ndarray | None,
    channel_data: np.ndarray,
    target_data: np.ndarray,
    channel_scale: np.ndarray,
    target_scale: float,
    control_data: np.ndarray | None = None,
    control_names: Sequence[str] | None = None,
    fit_data: pd.DataFrame | None = None,
    dice: xr.Dataset | None = None,
    attrs: Mapping | None = None,
    date_column: str | None = None,
) -> xr.DataTree:
    """Assemble the results ``DataTree`` (layout in the module docstring).

    Parameters
    ----------
    dates : pd.DatetimeIndex
        The ``T`` dates.
    dims : dict of str to array
        Custom dims and their coordinates, in order (e.g. ``{"geo": ["a", "b"]}``); may be empty.
    channels : list of str
        The ``C`` channel names.
    nodes : list of str
        Graph nodes (channels, mediators, target): the ``source`` and ``target`` coords.
    channel_contribution : array, shape (chain, draw, T, *dims, C)
        Contributions in scaled target units (original units / ``target_scale``); a float64
        array is stored without a copy, its original-scale product as :data:`RESULT_DTYPE`.
    y_pred : array, shape (chain, draw, T, *dims)
        Predictions in scaled target units: ``posterior_predictive.y`` and ``posterior.mu``.
    edge_probability : array, shape (chain, N, N) or (chain, draw, N, N), or None
        Edge probabilities source -> target; a per-chain array is repeated over ``draw``.
    channel_data, target_data : array, shape (T, *dims, C) and (T, *dims)
        Channel spend and target in original units.
    channel_scale, target_scale : array, shape (C,), and float
        Max-abs channel scales; the target scale (original units = scaled x ``target_scale``).
    control_data : array, shape (T, *dims, K), optional
        Controls in original units; ``control_names`` gives the ``control`` coords.
    control_names : list of str, optional
        Names of the ``K`` controls.
    fit_data : pd.DataFrame, optional
        The training frame as given (long format: date column, dims columns, values).
    dice : xr.Dataset, optional
        Diagnostics (cig, ar_cig, graph_swap, verdict, metrics), stored as the ``dice`` group.
    attrs : dict, optional
        Root attributes (model id, config, ...); non-string, non-number values are stored as JSON.
    date_column : str, optional
        Date column of ``fit_data``; inferred ("date", else its one datetime column) if None.

    Returns
    -------
    xr.DataTree
        Groups ``posterior``, ``posterior_predictive``, ``constant_data``, ``observed_data``
        and, when given, ``fit_data`` and ``dice``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.full((1, 1, 2, 1), 0.1), y_pred=np.full((1, 1, 2), 0.5),
    ...     edge_probability=np.array([[[0.0, 0.9], [0.0, 0.0]]]),
    ...     channel_data=np.array([[10.0], [20.0]]), target_data=np.array([40.0, 60.0]),
    ...     channel_scale=np.array([20.0]), target_scale=100.0)
    >>> sorted(tree.children)
    ['constant_data', 'observed_data', 'posterior', 'posterior_predictive']
    >>> tree.posterior["edge_probability"].dims
    ('chain', 'draw', 'source', 'target')
    >>> tree.observed_data["y"].values.tolist()
    [0.4, 0.6]
    """
    dates = pd.DatetimeIndex(dates).as_unit("ns")  # netCDF's unit: round trips stay exact
    layout = _Layout(dates, {d: _coord(v) for d, v in dims.items()}, channels, nodes)
    arrays = layout.checked(channel_contribution, y_pred, channel_data, target_data, channel_scale)
    t_scale = float(target_scale)
    if not np.isfinite(t_scale) or t_scale == 0:
        raise ValueError(f"target_scale must be finite and non-zero, got {target_scale}")
    cc, yp, x, y, ch_scale = arrays
    groups: dict[str, xr.Dataset] = {
        "posterior": layout.posterior(cc, yp, t_scale, edge_probability),
        "posterior_predictive": layout.dataset({"y": (layout.sample_dims, yp)}, sample=True),
        "constant_data": layout.constant_data(x, y, ch_scale, t_scale, control_data, control_names),
        "observed_data": layout.dataset({"y": (layout.data_dims, y / t_scale)}, sample=False),
    }
    if fit_data is not None:
        groups["fit_data"], date_column = _fit_dataset(fit_data, date_column, layout.dim_names)
    if dice is not None:
        if not isinstance(dice, xr.Dataset):
            raise TypeError(f"dice must be an xr.Dataset, got {type(dice).__name__}")
        groups["dice"] = dice
    tree = xr.DataTree.from_dict({f"/{k}": v for k, v in groups.items()})
    tree.attrs = layout.root_attrs(date_column, control_names, attrs)
    return tree


def _custom_dims(idata: xr.DataTree) -> tuple[str, ...]:
    """Custom dims as ``MMMIDataWrapper.custom_dims`` finds them, in ``channel_data`` order."""
    const = idata["constant_data"].dataset
    found = [
        d
        for d in const.dims
        if d not in _STANDARD_DIMS and not (str(d).startswith("target_scale_dim_"))
    ]
    if "channel_data" in const:
        order = list(const["channel_data"].dims)
        found.sort(key=lambda d: order.index(d) if d in order else len(order))
    return tuple(str(d) for d in found)


def validate_idata(idata: xr.DataTree) -> list[str]:
    """Check ``idata`` against pymc-marketing's ``MMMIdataSchema``.

    Custom dims are read from ``constant_data`` as ``MMMIDataWrapper.custom_dims`` does;
    control contributions are required only if ``posterior`` holds ``control_contribution``
    (a DiceMMM has controls as inputs but no per-control contribution).

    Parameters
    ----------
    idata : xr.DataTree
        A tree from :func:`build_idata` (or a fitted pymc-marketing MMM).

    Returns
    -------
    list of str
        The schema's errors; empty when the tree is valid.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.zeros((1, 1, 2, 1)), y_pred=np.zeros((1, 1, 2)),
    ...     edge_probability=None, channel_data=np.ones((2, 1)), target_data=np.ones(2),
    ...     channel_scale=np.ones(1), target_scale=1.0)
    >>> validate_idata(tree)
    []
    >>> del tree["constant_data"]
    >>> validate_idata(tree)
    ["Required group 'constant_data' not found in DataTree"]
    """
    from pymc_marketing.data.idata.schema import MMMIdataSchema

    if "constant_data" not in idata.children:
        custom: tuple[str, ...] = ()
    else:
        custom = _custom_dims(idata)
    has_controls = "posterior" in idata.children and "control_contribution" in idata.posterior
    schema = MMMIdataSchema.from_model_config(custom_dims=custom, has_controls=has_controls)
    return schema.validate(idata)


def _original_mean(idata: xr.DataTree, dims: Sequence[str]) -> xr.DataArray:
    """Mean over ``dims`` of the contributions in original units, in float64: the stored
    original-scale variable unless it is less precise than ``channel_contribution``
    (float32), else ``channel_contribution`` x ``target_scale``, scaled after the mean."""
    post = idata.posterior
    stored = post.get("channel_contribution_original_scale")
    if stored is not None and (stored.dtype == np.float64 or "channel_contribution" not in post):
        return stored.mean(dims, dtype=np.float64)
    scale = idata.constant_data["target_scale"]
    synthetic = [d for d in scale.dims if str(d).startswith("target_scale_dim_")]
    scale = scale.squeeze(synthetic, drop=True) if synthetic else scale
    return post["channel_contribution"].mean(dims, dtype=np.float64) * scale


def contributions_over_time(idata: xr.DataTree, original_units: bool = True) -> pd.DataFrame:
    """Posterior-mean channel contributions per date (and custom dims).

    The identity-link case of pymc-marketing's ``MMM.compute_mean_contributions_over_time``
    for the channels: the mean over (chain, draw) of ``channel_contribution`` times
    ``target_scale``. ``.reset_index()`` gives pymc-marketing's flat layout.

    Parameters
    ----------
    idata : xr.DataTree
        A tree from :func:`build_idata`.
    original_units : bool, default True
        Multiply by ``target_scale``; if False, scaled units.

    Returns
    -------
    pd.DataFrame
        One column per channel; index ``date`` or a MultiIndex (date, *dims).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.array([[[[0.1], [0.2]], [[0.3], [0.4]]]]),
    ...     y_pred=np.zeros((1, 2, 2)), edge_probability=None,
    ...     channel_data=np.ones((2, 1)), target_data=np.ones(2),
    ...     channel_scale=np.ones(1), target_scale=10.0)
    >>> df = contributions_over_time(tree)
    >>> df.index.name, list(df.columns), df["tv"].round(6).tolist()
    ('date', ['tv'], [2.0, 3.0])
    """
    if original_units:
        mean = _original_mean(idata, SAMPLE_DIMS)
    else:
        mean = idata.posterior["channel_contribution"].mean(SAMPLE_DIMS, dtype=np.float64)
    index_dims = [d for d in mean.dims if d != "channel"]
    df = mean.transpose(*index_dims, "channel").to_series().unstack("channel")
    df = df[[c for c in mean["channel"].values]]
    df.columns.name = None
    return df


def roas_from_totals(
    contribution: xr.DataArray, spend: xr.DataArray, keep: Sequence[str] = ("channel",)
) -> xr.DataArray:
    """The one ROAS formula: total contribution / total spend, per ``keep`` dims.

    Both arrays are summed over every dim not in ``keep`` (a NaN anywhere gives NaN, never a
    silently shorter total); a zero total spend gives NaN. Used
    by :func:`roas`, the fitted ensemble and the attribution suite alike, for any model and
    for the simulator's truth.

    Examples
    --------
    >>> c = xr.DataArray([[1.0, 2.0], [3.0, 0.0]], dims=("date", "channel"))
    >>> s = xr.DataArray([[2.0, 0.0], [2.0, 0.0]], dims=("date", "channel"))
    >>> roas_from_totals(c, s).values.tolist()  # (1 + 3) / (2 + 2); zero spend: NaN
    [1.0, nan]
    """
    # totals accumulate in float64 (float32 results: no float64 copy of the array is made)
    summed = [d for d in contribution.dims if d not in keep]
    total = contribution.sum(summed, skipna=False, dtype=np.float64)
    spent = spend.sum([d for d in spend.dims if d not in keep], skipna=False, dtype=np.float64)
    return (total / spent.where(spent != 0)).rename("roas")


def roas(idata: xr.DataTree, by_dims: bool = False, per_draw: bool = False) -> xr.DataArray:
    """Return on ad spend per chain and channel: total contribution / total spend.

    Totals run over all dates (and custom dims unless ``by_dims``); the contribution is in
    original units and averaged over ``draw``. Spend is ``constant_data.channel_spend`` if
    present, else ``channel_data`` (as ``MMMIDataWrapper.get_channel_spend``). Zero spend
    gives NaN. With ``by_dims=True`` this equals pymc-marketing's
    ``MMMSummaryFactory.roas(frequency="all_time")`` averaged over chains.

    Parameters
    ----------
    idata : xr.DataTree
        A tree from :func:`build_idata`.
    by_dims : bool, default False
        Keep the custom dims instead of summing over them.
    per_draw : bool, default False
        One ROAS per posterior draw (dim ``draw`` after ``chain``) instead of the draws' mean.

    Returns
    -------
    xr.DataArray
        Dims ``(chain, [draw,] [*dims,] channel)``: draw with per_draw, dims with by_dims.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.full((1, 1, 2, 1), 0.1), y_pred=np.zeros((1, 1, 2)),
    ...     edge_probability=None, channel_data=np.array([[10.0], [30.0]]),
    ...     target_data=np.ones(2), channel_scale=np.ones(1), target_scale=100.0)
    >>> roas(tree).values.tolist()  # (10 + 10) / (10 + 30)
    [[0.5]]
    """
    const = idata.constant_data
    spend = const["channel_spend"] if "channel_spend" in const else const["channel_data"]
    lead, averaged = (("chain", "draw"), ()) if per_draw else (("chain",), ("draw",))
    keep = {*lead, "channel"} | (set(_custom_dims(idata)) if by_dims else set())
    out = roas_from_totals(_original_mean(idata, averaged), spend, tuple(keep))
    return out.transpose(*lead, ..., "channel").rename("roas")


def roas_table(idata: xr.DataTree, by_dims: bool = False) -> pd.Series | pd.DataFrame:
    """ROAS per channel, mean over chains (:func:`roas`): a Series (index ``channel``) or,
    with ``by_dims``, a DataFrame (index the custom dims, one column per channel).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={"geo": ["a", "b"]},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.full((1, 1, 2, 2, 1), 0.5), y_pred=np.zeros((1, 1, 2, 2)),
    ...     edge_probability=None, channel_data=np.array([[[10.0], [80.0]], [[30.0], [80.0]]]),
    ...     target_data=np.ones((2, 2)), channel_scale=np.ones(1), target_scale=100.0)
    >>> roas_table(tree).to_dict(), roas_table(tree, by_dims=True)["tv"].to_dict()
    ({'tv': 1.0}, {'a': 2.5, 'b': 0.625})
    """
    da = roas(idata, by_dims=by_dims).mean("chain")
    if not by_dims or da.ndim == 1:
        return da.to_series().rename("roas")
    dims = [d for d in da.dims if d != "channel"]
    out = da.transpose(*dims, "channel").to_series().unstack("channel")
    out.columns.name = None
    return out[[str(c) for c in da["channel"].values]]


def channel_summary(
    idata: xr.DataTree,
    edge_to_target: xr.DataArray | None = None,
    evidence: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per channel: total spend, contribution (original units, mean over draws and
    chains), its share of the total, ROAS (mean and sd over chains, :func:`roas`) and, when
    given, the edge probability into the target (``edge_to_target`` over ``source``) and an
    ``evidence`` column just before ``roas`` (e.g. ``"no evidence of effect"``: the ROAS of
    that row is a shrunk estimate the data do not support, reported rather than zeroed).

    ``attrs["verdict"]`` is the diagnostics' verdict when the tree has a ``dice`` group.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> tree = build_idata(
    ...     dates=pd.date_range("2024-01-01", periods=2, freq="W-MON"), dims={},
    ...     channels=["tv"], nodes=["tv", "y"],
    ...     channel_contribution=np.full((1, 1, 2, 1), 0.1), y_pred=np.zeros((1, 1, 2)),
    ...     edge_probability=None, channel_data=np.array([[10.0], [30.0]]),
    ...     target_data=np.ones(2), channel_scale=np.ones(1), target_scale=100.0)
    >>> channel_summary(tree)[["spend", "contribution", "share", "roas"]].values.tolist()
    [[40.0, 20.0, 1.0, 0.5]]
    """
    spend = idata.constant_data["channel_data"]
    spend = spend.sum([d for d in spend.dims if d != "channel"])
    contrib = _original_mean(idata, ("draw",))
    total = contrib.sum([d for d in contrib.dims if d not in ("chain", "channel")]).mean("chain")
    per_chain_roas = roas(idata)
    denom = float(total.sum())
    out = pd.DataFrame(
        {
            "spend": spend.to_series(),
            "contribution": total.to_series(),
            "share": total.to_series() / denom if denom != 0 else np.nan,
            "roas": per_chain_roas.mean("chain").to_series(),
            "roas_sd": per_chain_roas.std("chain").to_series(),
        }
    )
    if evidence is not None:
        out.insert(out.columns.get_loc("roas"), "evidence", evidence.reindex(out.index))
    if edge_to_target is not None:
        edge = edge_to_target.reindex(source=list(out.index)).rename(source="channel")
        out["edge_to_target"] = edge.to_series()
    out.index.name = "channel"
    out.attrs["verdict"] = (
        str(idata["dice"]["verdict"].values) if "dice" in idata.children else None
    )
    return out
