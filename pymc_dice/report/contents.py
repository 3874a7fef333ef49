"""What a report shows, read from fitted models: :class:`ReportData` and :func:`collect`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ReportData", "collect"]


@dataclass
class ReportData:
    """Everything a report shows, as plain pandas / xarray objects.

    Examples
    --------
    >>> ReportData(comparison=xr.Dataset()).has_truth
    False
    """

    comparison: xr.Dataset
    diagnostics: xr.Dataset | None = None
    dice_model: str | None = None
    learned_graph: xr.DataArray | None = None
    selected_graph: xr.DataArray | None = None
    true_graph: xr.DataArray | None = None
    candidates: xr.DataArray | None = None
    target: str = "y"
    contributions: dict[str, pd.DataFrame] = field(default_factory=dict)
    fitted: dict[str, xr.DataArray] = field(default_factory=dict)
    forecast: dict[str, pd.Series] = field(default_factory=dict)
    observed: pd.Series | None = None
    held_out_start: pd.Timestamp | None = None
    title: str = "pymc-dice report"
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def has_truth(self) -> bool:
        """Whether truth-based results exist (a true graph or true ROAS).

        Examples
        --------
        >>> ReportData(comparison=xr.Dataset(), true_graph=xr.DataArray([[0]])).has_truth
        True
        """
        if self.true_graph is not None:
            return True
        return "true_roas" in self.comparison and bool(
            np.isfinite(self.comparison["true_roas"].values).any()
        )

    @property
    def models(self) -> list[str]:
        """Model labels of the comparison.

        Examples
        --------
        >>> ReportData(comparison=xr.Dataset(coords={"model": ["a", "b"]})).models
        ['a', 'b']
        """
        return (
            [str(m) for m in self.comparison["model"].values]
            if "model" in self.comparison.coords
            else []
        )


def _fitted_response(adapter: Any, dims: Sequence[str]) -> xr.DataArray | None:
    """Fitted-window response ``(chain, draw, date)`` in original units, summed over dims."""
    model = getattr(adapter, "model", None)
    idata = getattr(model, "idata", None)
    if idata is None:
        return None
    const = idata["constant_data"].dataset
    scale = const["target_scale"]
    scale = scale.squeeze([d for d in scale.dims if d not in dims], drop=True)
    if adapter.model_type == "dice" and "posterior_predictive" in idata.children:
        resp = idata["posterior_predictive"].dataset["y"] * scale
    elif adapter.model_type == "pymc-marketing" and "mu" in idata["posterior"].dataset:
        mu = idata["posterior"].dataset["mu"]
        link = str(getattr(adapter, "link", "identity"))
        resp = (np.exp(mu) if link == "log" else mu) * scale
    else:
        return None
    extra = [d for d in resp.dims if d not in ("chain", "draw", "date")]
    return resp.sum(extra).transpose("chain", "draw", "date")


def collect(
    models: Mapping[str, Any],
    data: pd.DataFrame,
    comparison: xr.Dataset,
    *,
    diagnostics: xr.Dataset | None = None,
    truth: Any = None,
    title: str = "pymc-dice report",
    meta: Mapping[str, str] | None = None,
) -> ReportData:
    """Read a report's contents from fitted models (through the attribution adapters).

    Parameters
    ----------
    models : mapping of str to model
        The labels and fitted models of ``comparison`` (pymc-marketing ``MMM``, ``DiceMMM``).
    data : pd.DataFrame
        The frame of ``comparison``: fitted dates plus held-out dates.
    comparison : xr.Dataset
        :func:`pymc_dice.attribution.compare` of ``models`` on ``data``.
    diagnostics : xr.Dataset, optional
        :meth:`DiceMMM.diagnose` of the (first) DiceMMM in ``models``.
    truth : xr.Dataset or Simulation, optional
        Simulator truth (``graph``, ``channel_contribution``).
    title, meta
        Page title and ``label -> text`` facts shown under it.

    Returns
    -------
    ReportData

    Examples
    --------
    >>> from pymc_dice.attribution import compare
    >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
    >>> rd = collect({"toy": model}, data, compare({"toy": model}, data))
    >>> rd.models, list(rd.contributions["toy"].columns), len(rd.forecast["toy"])
    (['toy'], ['tv'], 4)
    """
    from pymc_dice.attribution import as_adapter
    from pymc_dice.graph import candidate_mask

    truth_ds = getattr(truth, "truth", truth)
    rd = ReportData(comparison=comparison, diagnostics=diagnostics, title=title)
    rd.meta = dict(meta or {})
    adapters = {label: as_adapter(m, name=label) for label, m in models.items()}
    first = next(iter(adapters.values()))
    rd.target = first.target
    dates = pd.to_datetime(data[first.date_column])
    rd.observed = (
        data[first.target].groupby(dates.values).sum().sort_index()
        if first.target in data
        else None
    )
    last_fit = max(a.fitted_dates[-1] for a in adapters.values())
    later = dates[dates > last_fit]
    rd.held_out_start = pd.Timestamp(later.min()) if len(later) else None
    for label, adapter in adapters.items():
        contrib = adapter.contributions(data)
        per_date = contrib.sum([d for d in contrib.dims if d not in ("date", "channel")])
        rd.contributions[label] = per_date.transpose("date", "channel").to_pandas()
        rd.contributions[label].columns = [str(c) for c in rd.contributions[label].columns]
        fitted = _fitted_response(adapter, adapter.dims)
        if fitted is not None:
            rd.fitted[label] = fitted
        if rd.held_out_start is not None:
            pred = adapter.predict(data)
            rd.forecast[label] = pred.sum([d for d in pred.dims if d != "date"]).to_series()
        if adapter.model_type == "dice" and rd.dice_model is None:
            dice = adapter.model
            rd.dice_model = label
            rd.learned_graph = dice.graph_
            rd.selected_graph = dice.selected_graph_
            roles = dice.roles_
            rd.candidates = candidate_mask(
                list(roles.nodes), roles.channel_columns, roles.target_column
            )
            nodes = list(roles.nodes)
    if truth_ds is not None and "graph" in truth_ds:
        graph = truth_ds["graph"]
        if rd.learned_graph is not None:
            graph = graph.reindex(source=nodes, target=nodes, fill_value=0)
        rd.true_graph = graph
    if truth_ds is not None and "channel_contribution" in truth_ds:
        tc = truth_ds["channel_contribution"]
        tc = tc.sum([d for d in tc.dims if d not in ("date", "channel")])
        fit_dates = first.fitted_dates
        tc = tc.sel(date=tc["date"].isin(fit_dates))
        rd.contributions["truth"] = tc.transpose("date", "channel").to_pandas()
        rd.contributions["truth"].columns = [str(c) for c in rd.contributions["truth"].columns]
    return rd
