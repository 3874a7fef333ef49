"""The graph-swap table read by the review checks: validation and chain-mean look-ups.

Layout: a DataArray ``graph_swap`` with dims ``("graph_input", "metric")`` and optionally a
leading ``chain`` dim (docs/concepts.md, "Graph swap").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr


@dataclass(frozen=True)
class SwapValue:
    """Chain mean, sd and count of one graph-swap cell.

    Examples
    --------
    >>> SwapValue(0.9, 0.1, 2).text(".1f")
    '0.9 +- 0.1 (sd over 2 chains)'
    """

    mean: float
    sd: float  # NaN with a single chain
    n: int

    def text(self, fmt: str = ".3f") -> str:
        """The value as text, with its spread over chains when there are several."""
        if self.n > 1:
            return f"{self.mean:{fmt}} +- {self.sd:{fmt}} (sd over {self.n} chains)"
        return f"{self.mean:{fmt}}"


class SwapTable:
    """The ``graph_swap`` DataArray, validated, with chain-mean look-ups.

    Examples
    --------
    >>> da = xr.DataArray([[0.9], [0.1]], dims=("graph_input", "metric"),
    ...                   coords={"graph_input": ["oracle", "random"], "metric": ["ar_cig_nauprc"]})
    >>> table = SwapTable(da)
    >>> table.get("oracle", "ar_cig_nauprc").mean, table.get("full", "x") is None
    (0.9, True)
    >>> table.inputs, table.metrics
    (['oracle', 'random'], ['ar_cig_nauprc'])
    """

    def __init__(self, swap: Any) -> None:
        if isinstance(swap, SwapTable):
            self.da: xr.DataArray = swap.da
            return
        if not isinstance(swap, (xr.Dataset, xr.DataArray)) and hasattr(swap, "to_dataset"):
            swap = swap.to_dataset()  # a DataTree node such as tree["dice"]
        if isinstance(swap, xr.Dataset):
            if "graph_swap" not in swap.data_vars:
                raise ValueError(
                    "the swap Dataset has no 'graph_swap' variable; variables are "
                    f"{list(swap.data_vars)}"
                )
            swap = swap["graph_swap"]
        if not isinstance(swap, xr.DataArray):
            raise TypeError(
                "swap must be an xarray.Dataset with a 'graph_swap' variable (or that "
                f"DataArray), got {type(swap).__name__}"
            )
        need = {"graph_input", "metric"}
        extra = set(swap.dims) - need - {"chain"}
        if not need.issubset(swap.dims) or extra:
            raise ValueError(
                "graph_swap must have dims ('graph_input', 'metric') and optionally 'chain'; "
                f"got {swap.dims}"
            )
        for dim in need:
            if dim not in swap.coords:
                raise ValueError(f"graph_swap needs labels on its {dim!r} dim")
        if "chain" not in swap.dims:
            swap = swap.expand_dims("chain")
        self.da = swap.transpose("chain", "graph_input", "metric").astype(float)

    @property
    def inputs(self) -> list[str]:
        """The graph inputs of the table."""
        return [str(v) for v in self.da["graph_input"].values]

    @property
    def metrics(self) -> list[str]:
        """The metrics of the table."""
        return [str(v) for v in self.da["metric"].values]

    def get(self, graph_input: str, metric: str) -> SwapValue | None:
        """Chain mean / sd of one cell, or None when missing or all NaN."""
        if graph_input not in self.inputs or metric not in self.metrics:
            return None
        x = self.da.sel(graph_input=graph_input, metric=metric).values
        x = x[np.isfinite(x)]
        if x.size == 0:
            return None
        sd = float(np.std(x, ddof=1)) if x.size > 1 else math.nan
        return SwapValue(float(np.mean(x)), sd, int(x.size))


def swap_values(**vals: SwapValue | float | None) -> dict[str, float]:
    """The numbers a check reports: means, plus ``*_sd`` over chains when there are several.

    Examples
    --------
    >>> swap_values(oracle=SwapValue(0.9, 0.1, 2), gap=0.5, missing=None)
    {'oracle': 0.9, 'oracle_sd': 0.1, 'gap': 0.5}
    """
    out: dict[str, float] = {}
    for key, v in vals.items():
        if v is None:
            continue
        if isinstance(v, SwapValue):
            out[key] = v.mean
            if v.n > 1:
                out[f"{key}_sd"] = v.sd
        else:
            out[key] = float(v)
    return out


def first_available(
    table: SwapTable, inputs: Sequence[str], metric: str
) -> tuple[str, SwapValue] | None:
    """The first of ``inputs`` that has a value of ``metric``, with that value.

    Examples
    --------
    >>> da = xr.DataArray([[0.4]], dims=("graph_input", "metric"),
    ...                   coords={"graph_input": ["selected"], "metric": ["cig_nauprc"]})
    >>> first_available(SwapTable(da), ["oracle", "selected"], "cig_nauprc")[0]
    'selected'
    """
    for name in inputs:
        v = table.get(name, metric)
        if v is not None:
            return name, v
    return None
