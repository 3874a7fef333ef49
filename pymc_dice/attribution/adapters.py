"""Adapters: what the attribution suite needs from a fitted model, and one per model class.

:class:`AttributionAdapter` is the small protocol (contributions per chain, counterfactual
forecasts of held-out dates); :class:`PymcMarketingAdapter` wraps a fitted
``pymc_marketing.mmm.MMM``, :class:`DiceAdapter` a fitted :class:`pymc_dice.mmm.DiceMMM`, and
:func:`as_adapter` picks the right one. The definitions they implement are in
:mod:`pymc_dice.attribution` and in docs/concepts.md ("Contributions and ROAS").
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.data import SeriesGrid
from pymc_dice.idata import roas_from_totals
from pymc_dice.inputs import future_inputs

__all__ = [
    "AttributionAdapter",
    "DiceAdapter",
    "PymcMarketingAdapter",
    "as_adapter",
    "fingerprint",
]


def fingerprint(arr: np.ndarray) -> str:
    """A content hash of an array (the cache key of forecasts of the same inputs).

    Examples
    --------
    >>> fingerprint(np.zeros(3)) == fingerprint(np.zeros(3)), len(fingerprint(np.ones(2)))
    (True, 40)
    """
    return hashlib.sha1(np.ascontiguousarray(arr).tobytes()).hexdigest()


@contextmanager
def _quiet(*names: str):
    """Silence INFO logs of the named loggers (pymc prints ``Sampling: []`` per call)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, levels, strict=True):
            lg.setLevel(lvl)


class AttributionAdapter:
    """What the suite needs from a fitted model; subclass it to test any model.

    A subclass implements :meth:`contributions_by_chain` and :meth:`counterfactual_predict`
    (and may override :meth:`fitted_spend`); everything else is derived here.

    Parameters
    ----------
    channels : sequence of str
        Channel columns, in the model's order.
    target : str
        Target column.
    date_column : str
        Date column.
    fitted_dates : sequence of dates
        Dates the model was fitted on.
    dims : sequence of str, optional
        Custom dims (series), e.g. ``("geo",)``.
    dim_coords : mapping, optional
        Labels of each dim, in the model's order (required with ``dims``).
    controls : sequence of str, optional
        Control columns the model's predictions need.
    name : str, optional
        Label of the model in results (default ``model_type``).

    Examples
    --------
    A toy model ``y(t) = 2 tv(t - 1)`` fitted on the first 8 of 12 dates:

    >>> dates = pd.date_range("2024-01-01", periods=12, freq="W-MON")
    >>> tv = np.random.default_rng(0).uniform(1.0, 2.0, 12)
    >>> data = pd.DataFrame({"date": dates, "tv": tv, "y": 2 * np.r_[0.0, tv[:-1]]})
    >>> class Lag1(AttributionAdapter):
    ...     def counterfactual_predict(self, scenarios):
    ...         out = []
    ...         for f in scenarios:  # history before the window, then the scenario's spend
    ...             spend = np.r_[data["tv"].to_numpy()[: len(self.fitted_dates)], f["tv"]]
    ...             out.append(2 * spend[len(self.fitted_dates) - 1 : -1])
    ...         return xr.DataArray(np.array(out), dims=("scenario", "date"),
    ...                             coords={"date": scenarios[0]["date"].to_numpy()})
    ...     def contributions_by_chain(self, data=None):
    ...         spend = data["tv"].to_numpy()[: len(self.fitted_dates)]
    ...         c = 2 * np.r_[0.0, spend[:-1]]
    ...         return xr.DataArray(c[None, :, None], dims=("chain", "date", "channel"),
    ...                             coords={"date": self.fitted_dates, "channel": ["tv"]})
    >>> model = Lag1(channels=["tv"], target="y", date_column="date", fitted_dates=dates[:8])
    >>> from pymc_dice.attribution import attribution_tests
    >>> ds = attribution_tests(model, data, horizon=2)
    >>> scale_tv, scale_y = tv[:8].max(), data["y"][:8].max()
    >>> bool(np.isclose(ds["ar_cig"].item(), 2 * scale_tv / scale_y))
    True
    >>> float(ds["mse_target"]), bool(np.isclose(ds["roas"].item(), 2 * tv[:7].sum() / tv[:8].sum()))
    (0.0, True)
    """

    model_type = "custom"

    def __init__(
        self,
        *,
        channels: Sequence[str],
        target: str,
        date_column: str,
        fitted_dates: Sequence[Any],
        dims: Sequence[str] = (),
        dim_coords: Mapping[str, Sequence[Any]] | None = None,
        controls: Sequence[str] = (),
        name: str | None = None,
    ):
        self.channels = tuple(str(c) for c in channels)
        self.target = str(target)
        self.date_column = str(date_column)
        self.fitted_dates = pd.DatetimeIndex(pd.to_datetime(fitted_dates)).as_unit("ns")
        self.dims = tuple(dims)
        dim_coords = dict(dim_coords or {})
        missing = [d for d in self.dims if d not in dim_coords]
        if missing:
            raise ValueError(f"dim_coords lacks the labels of dim(s) {missing}")
        self.dim_coords = {d: np.asarray([str(v) for v in dim_coords[d]]) for d in self.dims}
        self.controls = tuple(controls)
        self.name = name or self.model_type
        if not self.channels:
            raise ValueError("a model needs at least one channel")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, channels={list(self.channels)})"

    # -- to implement -------------------------------------------------------------------

    def contributions_by_chain(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Channel contributions ``(chain, date, *dims, channel)`` on the fitted dates,
        original target units, each chain averaged over its draws (see the module docs).

        Examples
        --------
        >>> AttributionAdapter(channels=["tv"], target="y", date_column="date",
        ...                    fitted_dates=["2024-01-01"]).contributions_by_chain()
        Traceback (most recent call last):
        ...
        NotImplementedError: AttributionAdapter must implement contributions_by_chain
        """
        raise NotImplementedError(f"{type(self).__name__} must implement contributions_by_chain")

    def contribution_draws(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Channel contributions per posterior draw ``(chain, draw, date, *dims, channel)``,
        original units; a model without draws has one (its chain mean).

        Examples
        --------
        >>> model, data = toy_demo()
        >>> model.contribution_draws(data).sizes["draw"]
        1
        """
        return self.contributions_by_chain(data).expand_dims("draw", axis=1)

    def counterfactual_predict(self, scenarios: Sequence[pd.DataFrame]) -> xr.DataArray:
        """Mean forecast ``(scenario, date, *dims)`` of the target (original units) for each
        scenario frame: the held-out dates with the date, dims, channel and control columns.

        Examples
        --------
        >>> AttributionAdapter(channels=["tv"], target="y", date_column="date",
        ...                    fitted_dates=["2024-01-01"]).counterfactual_predict([])
        Traceback (most recent call last):
        ...
        NotImplementedError: AttributionAdapter must implement counterfactual_predict
        """
        raise NotImplementedError(f"{type(self).__name__} must implement counterfactual_predict")

    def fitted_spend(self) -> xr.DataArray | None:
        """The spend the model was fitted on, ``(date, *dims, channel)``, or None if unknown.

        Examples
        --------
        >>> AttributionAdapter(channels=["tv"], target="y", date_column="date",
        ...                    fitted_dates=["2024-01-01"]).fitted_spend() is None
        True
        """
        return None

    # -- derived ------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """Input columns of a forecast: date, dims, channels, controls.

        Examples
        --------
        >>> AttributionAdapter(channels=["tv"], target="y", date_column="date",
        ...                    fitted_dates=["2024-01-01"], controls=["price"]).columns
        ['date', 'tv', 'price']
        """
        return [self.date_column, *self.dims, *self.channels, *self.controls]

    def grid(self, frame: pd.DataFrame, columns: Sequence[str], dates=None) -> xr.DataArray:
        """``frame[columns]`` on this model's coords: ``(date, *dims, variable)``.

        ``dates`` defaults to the fitted dates.

        Examples
        --------
        >>> a = AttributionAdapter(channels=["tv"], target="y", date_column="date",
        ...                        fitted_dates=["2024-01-01"])
        >>> df = pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "tv": [3.0]})
        >>> a.grid(df, ["tv"]).values.tolist()
        [[3.0]]
        """
        dates = self.fitted_dates if dates is None else dates
        return SeriesGrid(self.date_column, self.dims, self.dim_coords).to_grid(
            frame, columns, dates
        )

    def contributions(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Mean over chains of :meth:`contributions_by_chain`: ``(date, *dims, channel)``.

        Examples
        --------
        >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
        >>> model.contributions(data).dims, model.contributions(data).shape
        (('date', 'channel'), (8, 1))
        """
        return self.contributions_by_chain(data).mean("chain")

    def roas(self, data: pd.DataFrame | None = None, *, by_chain: bool = False) -> xr.DataArray:
        """Total contribution / total spend over the fitted window: ``(channel)`` or, with
        ``by_chain``, ``(chain, channel)``. Spend comes from ``data`` (default the model's).

        Examples
        --------
        >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
        >>> tv = data["tv"].to_numpy()[:8]
        >>> bool(np.isclose(model.roas(data).item(), 2 * tv[:7].sum() / tv.sum()))
        True
        >>> model.roas(data, by_chain=True).dims
        ('chain', 'channel')
        """
        spend = self._spend(data)
        contrib = self.contributions_by_chain(data)
        out = roas_from_totals(contrib, spend, ("chain", "channel"))
        return (out if by_chain else out.mean("chain")).rename("roas")

    def predict(self, data: pd.DataFrame) -> xr.DataArray:
        """Mean forecast ``(date, *dims)`` of the held-out dates of ``data`` (the dates after
        the fitted window), original target units.

        Examples
        --------
        >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
        >>> pred = model.predict(data)  # dates 9..12
        >>> bool(np.allclose(pred.values, data["y"].to_numpy()[8:]))
        True
        """
        window = self.window_dates(data)
        if not len(window):
            raise ValueError(
                f"data has no date after the fitted window (last fitted date "
                f"{self.fitted_dates[-1].date()}); forecasts need held-out dates"
            )
        frame = SeriesGrid.from_grid(
            self.grid(data, self.columns[1 + len(self.dims) :], window), self.date_column
        )
        return self.counterfactual_predict([frame]).isel(scenario=0, drop=True)

    def _spend(self, data: pd.DataFrame | None) -> xr.DataArray:
        if data is None:
            spend = self.fitted_spend()
            if spend is None:
                raise ValueError(f"{type(self).__name__} does not know its fitted spend: pass data")
            return spend
        return self.grid(data, self.channels).rename(variable="channel")

    def window_dates(self, data: pd.DataFrame) -> pd.DatetimeIndex:
        """The held-out dates of ``data``: its dates after the fitted window, sorted.

        Examples
        --------
        >>> model, data = toy_demo()  # fitted on the first 8 of 12 dates
        >>> len(model.window_dates(data))
        4
        """
        dates = pd.DatetimeIndex(pd.to_datetime(data[self.date_column]).unique()).sort_values()
        return dates[dates > self.fitted_dates[-1]].as_unit("ns")


class PymcMarketingAdapter(AttributionAdapter):
    """Adapter for a fitted ``pymc_marketing.mmm.MMM``.

    Every prediction is the posterior mean of the model's response
    (``mu`` x ``target_scale``; ``exp(mu)`` x ``target_scale``, the conditional median, under
    the log link) from ``sample_posterior_predictive(X, var_names=["mu"])``: no observation
    noise. Contributions: ``mu`` with the actual spend minus ``mu`` with channel ``j``'s spend
    zeroed on every fitted date (``include_last_observations=False``, so carry-in starts at
    zero as in the fit), per draw, then averaged over draws; forecasts of held-out dates use
    ``include_last_observations=True`` (adstock carry-in from the fitted data). Under the
    identity link with a saturation through the origin this equals pymc-marketing's own
    ``compute_mean_contributions_over_time``.

    Parameters
    ----------
    mmm : pymc_marketing.mmm.MMM
        A fitted model (``mmm.idata`` with a posterior).
    name : str, optional
        Label in results (default ``"pymc-marketing"``).

    Examples
    --------
    >>> adapter = PymcMarketingAdapter(mmm)  # doctest: +SKIP
    >>> adapter.roas(by_chain=True).dims  # doctest: +SKIP
    ('chain', 'channel')
    """

    model_type = "pymc-marketing"

    def __init__(self, mmm: Any, *, name: str | None = None):
        idata = getattr(mmm, "idata", None)
        if idata is None or "posterior" not in idata.children:
            raise ValueError("the pymc-marketing MMM is not fitted: call mmm.fit(X, y) first")
        self.model = mmm
        const = idata["constant_data"].dataset
        dims = tuple(mmm.dims or ())
        super().__init__(
            channels=list(mmm.channel_columns),
            target=mmm.target_column,
            date_column=mmm.date_column,
            fitted_dates=const["channel_data"]["date"].values,
            dims=dims,
            dim_coords={d: const[d].values for d in dims},
            controls=list(mmm.control_columns or []),
            name=name,
        )
        link = getattr(mmm, "link", "identity")
        self.link = str(getattr(link, "value", link))
        self._cache: dict[str, xr.DataArray] = {}

    def fitted_spend(self) -> xr.DataArray:
        """``constant_data.channel_data`` ``(date, *dims, channel)``, original units.

        Examples
        --------
        >>> PymcMarketingAdapter(mmm).fitted_spend().dims  # doctest: +SKIP
        ('date', 'geo', 'channel')
        """
        spend = self.model.idata["constant_data"].dataset["channel_data"]
        return spend.transpose("date", *self.dims, "channel")

    def _response(self, frame: pd.DataFrame, *, after_fit: bool) -> xr.DataArray:
        """Posterior response ``(chain, draw, date, *dims)`` in original units."""
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        key = f"{fingerprint(hashed)}{list(frame.columns)}{after_fit}"
        if key in self._cache:
            return self._cache[key]
        mmm = self.model
        with _quiet("pymc", "pymc.sampling.forward"):
            pp = mmm.sample_posterior_predictive(
                frame,
                extend_idata=False,
                combined=False,
                include_last_observations=after_fit,
                var_names=["mu"],
                progressbar=False,
            )
        mu = pp["mu"]
        scale = mmm.idata["constant_data"].dataset["target_scale"]
        scale = scale.squeeze([d for d in scale.dims if d not in self.dims], drop=True)
        resp = (np.exp(mu) if self.link == "log" else mu) * scale
        resp = resp.transpose("chain", "draw", "date", *self.dims)
        self._cache[key] = resp
        return resp

    def _fit_frame(self, data: pd.DataFrame | None) -> pd.DataFrame:
        if data is None:
            data = self.model.idata["fit_data"].dataset.to_dataframe().reset_index()
        cols = [*self.channels, *self.controls]
        return SeriesGrid.from_grid(self.grid(data, cols), self.date_column)

    def contributions_by_chain(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Zero-spend counterfactual contributions ``(chain, date, *dims, channel)``.

        Examples
        --------
        >>> PymcMarketingAdapter(mmm).contributions_by_chain().dims  # doctest: +SKIP
        ('chain', 'date', 'geo', 'channel')
        """
        return self.contribution_draws(data).mean("draw")

    def contribution_draws(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Zero-spend counterfactual contributions per draw ``(chain, draw, date, *dims,
        channel)``, original units.

        Examples
        --------
        >>> PymcMarketingAdapter(mmm).contribution_draws().dims  # doctest: +SKIP
        ('chain', 'draw', 'date', 'geo', 'channel')
        """
        frame = self._fit_frame(data)
        actual = self._response(frame, after_fit=False)
        parts = []
        for ch in self.channels:
            zeroed = frame.assign(**{ch: 0.0})
            parts.append(actual - self._response(zeroed, after_fit=False))
        out = xr.concat(parts, dim=pd.Index(list(self.channels), name="channel"))
        order = ("chain", "draw", "date", *self.dims, "channel")
        return out.transpose(*order).rename("channel_contribution")

    def counterfactual_predict(self, scenarios: Sequence[pd.DataFrame]) -> xr.DataArray:
        """Posterior-mean forecasts ``(scenario, date, *dims)`` of held-out scenario frames.

        Examples
        --------
        >>> PymcMarketingAdapter(mmm).counterfactual_predict([holdout]).dims  # doctest: +SKIP
        ('scenario', 'date', 'geo')
        """
        cols = self.columns
        out = [self._response(f[cols], after_fit=True).mean(("chain", "draw")) for f in scenarios]
        return xr.concat(out, dim="scenario").transpose("scenario", "date", *self.dims)


class DiceAdapter(AttributionAdapter):
    """Adapter for a fitted :class:`pymc_dice.mmm.DiceMMM`, through its public methods only.

    Contributions are the model's own closed-loop zero-spend rollouts
    (``idata.posterior.channel_contribution`` x ``constant_data.target_scale``, averaged over
    ``draw``; zero on its warm-up dates); forecasts are ``DiceMMM.predict`` (mean over seeds
    and graph draws), which rolls out from the end of the fitted data, so scenario frames must
    start on the first held-out date. Chains are the seeds of the ensemble.

    Parameters
    ----------
    mmm : pymc_dice.mmm.DiceMMM
        A fitted model.
    name : str, optional
        Label in results (default ``"dice"``).

    Examples
    --------
    A tiny DiceMMM fitted on the first 24 of 30 weeks (the last 6 are held out):

    >>> from pymc_dice import DiceMMM, sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=30, seed=0)
    >>> fit_df = sim.df[sim.df["date"] < sim.df["date"].unique()[24]]
    >>> dice = DiceMMM(channel_columns=["tv", "radio"], dims=["geo"],
    ...                trainer_config={"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2})
    >>> _ = dice.fit(fit_df, progressbar=False, random_seed=0)
    >>> adapter = DiceAdapter(dice)
    >>> adapter.roas().dims, adapter.fitted_spend().dims
    (('channel',), ('date', 'geo', 'channel'))
    >>> adapter.contributions_by_chain().dims
    ('chain', 'date', 'geo', 'channel')
    >>> adapter.contribution_draws().dims  # the posterior draws behind the ROAS intervals
    ('chain', 'draw', 'date', 'geo', 'channel')
    >>> holdout = sim.df[sim.df["date"] >= sim.df["date"].unique()[24]]
    >>> adapter.counterfactual_predict([holdout]).sizes["date"]
    6
    >>> adapter.scenario_array(np.zeros((6, 2)), pd.DatetimeIndex(holdout["date"].unique())).dims
    ('date', 'geo')
    """

    model_type = "dice"

    def __init__(self, mmm: Any, *, name: str | None = None):
        idata = getattr(mmm, "idata", None)
        if idata is None or not hasattr(mmm, "roles_"):
            raise ValueError("the DiceMMM is not fitted: call mmm.fit(df) first")
        self.model = mmm
        roles = mmm.roles_
        post = idata["posterior"].dataset
        dims = tuple(roles.dims)
        super().__init__(
            channels=list(roles.channel_columns),
            target=roles.target_column,
            date_column=roles.date_column,
            fitted_dates=post["date"].values,
            dims=dims,
            dim_coords={d: post[d].values for d in dims},
            controls=list(roles.control_columns),
            name=name,
        )

    def fitted_spend(self) -> xr.DataArray:
        """``constant_data.channel_data`` ``(date, *dims, channel)``, original units.

        Examples
        --------
        >>> DiceAdapter(dice).fitted_spend().dims  # doctest: +SKIP
        ('date', 'geo', 'channel')
        """
        spend = self.model.idata["constant_data"].dataset["channel_data"]
        return spend.transpose("date", *self.dims, "channel")

    def contributions_by_chain(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """The model's contributions ``(chain, date, *dims, channel)``, original units.

        ``data`` is not needed (the rollouts were run on the fitted data at fit time).

        Examples
        --------
        >>> DiceAdapter(dice).contributions_by_chain().dims  # doctest: +SKIP
        ('chain', 'date', 'geo', 'channel')
        """
        return self.contribution_draws(data).mean("draw")

    def contribution_draws(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """``posterior.channel_contribution`` x ``target_scale``: ``(chain, draw, date,
        *dims, channel)``, original units (posterior draws of a structural decoder, graph
        samples of the GRU arms).

        Examples
        --------
        >>> DiceAdapter(dice).contribution_draws().dims  # doctest: +SKIP
        ('chain', 'draw', 'date', 'geo', 'channel')
        """
        idata = self.model.idata
        scale = idata["constant_data"].dataset["target_scale"]
        scale = scale.squeeze([d for d in scale.dims if d not in self.dims], drop=True)
        contrib = idata["posterior"].dataset["channel_contribution"] * scale
        out = contrib.transpose("chain", "draw", "date", *self.dims, "channel")
        return out.rename("channel_contribution")

    def counterfactual_predict(self, scenarios: Sequence[pd.DataFrame]) -> xr.DataArray:
        """``DiceMMM.predict`` of each scenario frame: ``(scenario, date, *dims)``.

        Scenarios on the same dates are forecast in one pass (stacked on the rollout's batch
        axis, the fitted history run once); others one at a time.
        """
        mmm = self.model
        inputs = [future_inputs(mmm.roles_, mmm.panel_, f[self.columns]) for f in scenarios]
        if inputs and all(d.equals(inputs[0][2]) for *_, d in inputs):
            x, c = np.stack([i[0] for i in inputs]), np.stack([i[1] for i in inputs])
            fc = mmm.ensemble_.forecast(x, c, inputs[0][2]).mean(("chain", "draw"))
            values = fc.transpose("scenario", "date", *self.dims).values
            return xr.concat([self.scenario_array(v, inputs[0][2]) for v in values], "scenario")
        out = [
            self.scenario_array(np.asarray(mmm.predict(f[self.columns]), dtype=float), d)
            for f, (*_, d) in zip(scenarios, inputs, strict=True)
        ]
        return xr.concat(out, dim="scenario", join="outer")  # dates not shared: NaN-padded

    def scenario_array(self, values: np.ndarray, dates: pd.DatetimeIndex) -> xr.DataArray:
        """One scenario's forecast ``(date, *dims)`` as a DataArray.
        """
        coords = {"date": dates.as_unit("ns"), **self.dim_coords}
        return xr.DataArray(values, dims=("date", *self.dims), coords=coords)


def as_adapter(model: Any, name: str | None = None) -> AttributionAdapter:
    """Wrap a fitted model in its adapter (an adapter is returned as is, renamed if asked).

    Parameters
    ----------
    model : AttributionAdapter, pymc_marketing.mmm.MMM or pymc_dice.mmm.DiceMMM
    name : str, optional
        Label of the model in results.

    Examples
    --------
    >>> as_adapter(object())
    Traceback (most recent call last):
    ...
    TypeError: no attribution adapter for object: pass a fitted pymc_marketing.mmm.MMM, a fitted pymc_dice.DiceMMM or an AttributionAdapter
    """
    if isinstance(model, AttributionAdapter):
        if name is not None and name != model.name:
            model = copy.copy(model)  # a renamed view; forecasts caches stay shared
            model.name = name
        return model
    cls = type(model)
    if cls.__name__ == "DiceMMM" and cls.__module__.startswith("pymc_dice"):
        return DiceAdapter(model, name=name)
    if cls.__module__.startswith("pymc_marketing"):
        from pymc_marketing.mmm import MMM

        if isinstance(model, MMM):
            return PymcMarketingAdapter(model, name=name)
    raise TypeError(
        f"no attribution adapter for {cls.__name__}: pass a fitted pymc_marketing.mmm.MMM, a "
        "fitted pymc_dice.DiceMMM or an AttributionAdapter"
    )
