"""One attribution test suite for Bayesian and neural MMMs (DESIGN.md sections 1 and 7).

:func:`attribution_tests` runs the SAME tests on any fitted model through a small adapter
(:class:`AttributionAdapter`): :class:`PymcMarketingAdapter` for a fitted
``pymc_marketing.mmm.MMM``, :class:`DiceAdapter` for a fitted :class:`pymc_dice.mmm.DiceMMM`,
or a subclass of your own. :func:`compare` stacks the results of several models on a ``model``
dim and :func:`to_table` flattens them to a tidy ``DataFrame``.

Conventions (the operational definitions; they are what the tests check):

- **Data and windows.** ``data`` is one pymc-marketing-shaped frame holding every date: the
  dates the model was fitted on (the *fitted window*) and, optionally, later dates the model
  has not seen (the *held-out window*: every date of ``data`` after the model's last fitted
  date). Fit the models on ``data`` without its last dates to get one. Each adapter reads only
  its own columns (date, dims, channels, controls; the target for scoring), so one frame
  serves a channels-only pymc-marketing MMM and a DiceMMM with mediators alike. The spend of
  ``data`` on the fitted dates must equal the spend the model was fitted on (checked).
- **Contribution** of channel ``j`` (DESIGN 7): the model's mean prediction of the target
  with the actual inputs minus its prediction with channel ``j``'s spend set to zero on every
  fitted date, rolled out, in original target units, per (date, *dims) over the fitted
  window. pymc-marketing: two posterior-predictive evaluations of ``mu`` per channel (the
  difference is taken per draw, then averaged); DiceMMM: its own closed-loop rollouts
  (``idata.posterior.channel_contribution`` x ``target_scale``, which is this definition).
  ``contribution`` is the total over the fitted window and series.
- **ROAS** = total contribution / total spend over the fitted window and series (NaN for zero
  spend). ``roas_sd_across_chains``: the standard deviation (ddof 1) over ``chain`` of the
  per-chain ROAS: MCMC chains for pymc-marketing, seeds for DiceMMM.
- **Against the truth** (:func:`pymc_dice.simulate.simulate`'s ``truth``): the true
  contributions restricted to the fitted dates (summed over truth dims the model lacks);
  ``true_roas`` over the same dates and spend; ``roas_error = roas - true_roas``;
  ``roas_abs_error_mean`` its mean absolute value over channels; ``contribution_corr`` the
  Pearson correlation of model and true contributions over the fitted (date, *dims) cells
  (NaN where either is constant, e.g. a channel with no true effect). A channel absent from
  the truth has no true effect only if it is the ``placebo``; otherwise its truth is NaN.
- **CIG / AR-CIG** of channels -> target, for any model, by forward finite differences
  (:func:`pymc_dice.diagnostics.finite_difference.cig_finite_difference`) of a black box built from
  the adapter's counterfactual forecasts of the held-out window: spend of channel ``j`` at
  origin ``t`` is raised by ``delta`` x (the channel's max-abs spend on the fitted window),
  and the change of the predicted target at ``t+1 .. t+H`` (``H = 1`` for CIG, ``horizon``
  for AR-CIG) is divided by the target's max-abs, so both are in the DESIGN's scaled units.
  The same-date effect at ``t`` is not read (no instantaneous edges, DESIGN 3). Origins are
  every held-out index ``t`` with ``t + horizon`` inside the window (both CIG and AR-CIG use
  them). The black box is the model's mean forecast, which starts at the end of the fitted
  data and rolls closed loop (DiceMMM) or reads only spend (pymc-marketing). Pulses in
  different series are evaluated in one scenario (both model classes predict each series from
  its own inputs); pulses within a series never share a scenario. Forward differences keep
  spend non-negative.
- **Graph scores**: CIG and AR-CIG of the channel -> target candidate edges scored against
  the true *direct* graph (``truth["graph"]``, or per series from ``truth["graphs"]`` and
  ``truth["series_graph"]`` pooled over series when series differ) with
  :func:`~pymc_dice.diagnostics.metrics.nauprc` and
  :func:`~pymc_dice.diagnostics.metrics.auroc`. A channel reaching the target only through
  mediators is a negative. With no true edge, or only true edges, among the candidates the
  scores are NaN and a note says why.
- **placebo_share**: ``|contribution[placebo]| / sum_j |contribution[j]|``, the share of the
  total absolute attributed contribution that goes to a column the caller knows has no effect
  (e.g. a shuffled copy of a channel, added to the data before fitting every model).
- **mse_target**: MSE@h of the target, ``h = horizon``: mean over series of the squared error
  of the mean forecast on the first ``h`` held-out dates (an ``h``-step rollout from the end
  of the fitted data), both scaled by the target's max-abs on the fitted window.

Every variable is always present (NaN when it does not apply; ``attrs["notes"]`` says why),
so results of different models stack. This module uses numpy, pandas and xarray only; the
finite-difference engine is imported when needed, and a model is reached only through its
public methods.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Hashable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.data import SeriesGrid
from pymc_dice.idata import roas_from_totals

__all__ = [
    "VARIABLES",
    "AttributionAdapter",
    "DiceAdapter",
    "PymcMarketingAdapter",
    "as_adapter",
    "attribution_tests",
    "compare",
    "to_table",
]

#: the variables of every :func:`attribution_tests` result, in order, with their dims
VARIABLES: dict[str, tuple[str, ...]] = {
    "spend": ("channel",),
    "contribution": ("channel",),
    "roas": ("channel",),
    "roas_sd_across_chains": ("channel",),
    "true_contribution": ("channel",),
    "true_roas": ("channel",),
    "roas_error": ("channel",),
    "roas_abs_error_mean": (),
    "contribution_corr": ("channel",),
    "cig": ("channel",),
    "ar_cig": ("channel",),
    "cig_nauprc": (),
    "cig_auroc": (),
    "ar_cig_nauprc": (),
    "ar_cig_auroc": (),
    "placebo_share": (),
    "mse_target": (),
}

_DESCRIPTIONS = {
    "spend": "total spend over the fitted window and series (original units)",
    "contribution": "total channel contribution over the fitted window (original target units)",
    "roas": "contribution / spend",
    "roas_sd_across_chains": "sd over chains (MCMC chains or seeds) of the per-chain ROAS",
    "true_contribution": "true total contribution over the fitted window",
    "true_roas": "true contribution / spend over the fitted window",
    "roas_error": "roas - true_roas",
    "roas_abs_error_mean": "mean over channels of |roas_error|",
    "contribution_corr": "Pearson correlation of model and true contributions over cells",
    "cig": "channel -> target one-step influence (scaled units), finite differences",
    "ar_cig": "channel -> target influence summed over t+1..t+H (scaled units)",
    "cig_nauprc": "nAUPRC of cig against the true direct channel -> target edges",
    "cig_auroc": "AUROC of cig against the true direct channel -> target edges",
    "ar_cig_nauprc": "nAUPRC of ar_cig against the true direct channel -> target edges",
    "ar_cig_auroc": "AUROC of ar_cig against the true direct channel -> target edges",
    "placebo_share": "|contribution[placebo]| / sum of |contribution| over channels",
    "mse_target": "MSE@h of the target forecast on the first h held-out dates (scaled)",
}


# --------------------------------------------------------------------------------------------
# frame <-> grid helpers
# --------------------------------------------------------------------------------------------


def _fingerprint(arr: np.ndarray) -> str:
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


# --------------------------------------------------------------------------------------------
# adapters
# --------------------------------------------------------------------------------------------


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
        return SeriesGrid(self.date_column, self.dims, self.dim_coords).to_grid(frame, columns, dates)

    def contributions(self, data: pd.DataFrame | None = None) -> xr.DataArray:
        """Mean over chains of :meth:`contributions_by_chain`: ``(date, *dims, channel)``.

        Examples
        --------
        >>> model, data = _demo()
        >>> model.contributions(data).dims, model.contributions(data).shape
        (('date', 'channel'), (8, 1))
        """
        return self.contributions_by_chain(data).mean("chain")

    def roas(self, data: pd.DataFrame | None = None, *, by_chain: bool = False) -> xr.DataArray:
        """Total contribution / total spend over the fitted window: ``(channel)`` or, with
        ``by_chain``, ``(chain, channel)``. Spend comes from ``data`` (default the model's).

        Examples
        --------
        >>> model, data = _demo()  # y(t) = 2 tv(t - 1)
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
        >>> model, data = _demo()
        >>> pred = model.predict(data)  # dates 9..12
        >>> bool(np.allclose(pred.values, data["y"].to_numpy()[8:]))
        True
        """
        window = self._window_dates(data)
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

    def _window_dates(self, data: pd.DataFrame) -> pd.DatetimeIndex:
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
        key = f"{_fingerprint(hashed)}{list(frame.columns)}{after_fit}"
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
        frame = self._fit_frame(data)
        actual = self._response(frame, after_fit=False)
        parts = []
        for ch in self.channels:
            zeroed = frame.assign(**{ch: 0.0})
            parts.append((actual - self._response(zeroed, after_fit=False)).mean("draw"))
        out = xr.concat(parts, dim=pd.Index(list(self.channels), name="channel"))
        return out.transpose("chain", "date", *self.dims, "channel").rename("channel_contribution")

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
    >>> holdout = sim.df[sim.df["date"] >= sim.df["date"].unique()[24]]
    >>> adapter.counterfactual_predict([holdout]).sizes["date"]
    6
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
        idata = self.model.idata
        scale = idata["constant_data"].dataset["target_scale"]
        scale = scale.squeeze([d for d in scale.dims if d not in self.dims], drop=True)
        contrib = idata["posterior"].dataset["channel_contribution"] * scale
        out = contrib.mean("draw").transpose("chain", "date", *self.dims, "channel")
        return out.rename("channel_contribution")

    def counterfactual_predict(self, scenarios: Sequence[pd.DataFrame]) -> xr.DataArray:
        """``DiceMMM.predict`` of each scenario frame: ``(scenario, date, *dims)``.

        Examples
        --------
        >>> DiceAdapter(dice).counterfactual_predict([holdout]).dims  # doctest: +SKIP
        ('scenario', 'date', 'geo')
        """
        out = []
        for f in scenarios:
            frame = f[self.columns]
            dates = pd.DatetimeIndex(np.unique(pd.to_datetime(frame[self.date_column])))
            values = np.asarray(self.model.predict(frame), dtype=float)
            out.append(
                xr.DataArray(
                    values,
                    dims=("date", *self.dims),
                    coords={"date": dates.as_unit("ns"), **self.dim_coords},
                )
            )
        return xr.concat(out, dim="scenario")


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


class _Lag1(AttributionAdapter):
    """Toy model ``y(t) = 2 tv(t - 1)`` for examples (see :func:`_demo`)."""

    def __init__(self, data: pd.DataFrame, n_fit: int):
        super().__init__(
            channels=["tv"], target="y", date_column="date", fitted_dates=data["date"][:n_fit]
        )
        self.data = data

    def counterfactual_predict(self, scenarios):
        n = len(self.fitted_dates)
        out = [2 * np.r_[self.data["tv"].to_numpy()[:n], f["tv"]][n - 1 : -1] for f in scenarios]
        return xr.DataArray(
            np.array(out),
            dims=("scenario", "date"),
            coords={"date": scenarios[0]["date"].to_numpy()},
        )

    def contributions_by_chain(self, data=None):
        spend = (self.data if data is None else data)["tv"].to_numpy()[: len(self.fitted_dates)]
        c = 2 * np.r_[0.0, spend[:-1]]
        return xr.DataArray(
            c[None, :, None],
            dims=("chain", "date", "channel"),
            coords={"date": self.fitted_dates, "channel": ["tv"]},
        )


def _demo(n_dates: int = 12, n_fit: int = 8, seed: int = 0) -> tuple[_Lag1, pd.DataFrame]:
    """A toy adapter ``y(t) = 2 tv(t - 1)`` fitted on the first ``n_fit`` dates, and its data.

    Examples
    --------
    >>> model, data = _demo()
    >>> len(model.fitted_dates), len(data)
    (8, 12)
    """
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="W-MON")
    tv = np.random.default_rng(seed).uniform(1.0, 2.0, n_dates)
    data = pd.DataFrame({"date": dates, "tv": tv, "y": 2 * np.r_[0.0, tv[:-1]]})
    return _Lag1(data, n_fit), data


# --------------------------------------------------------------------------------------------
# the black box for finite differences
# --------------------------------------------------------------------------------------------


class _BlackBox:
    """``predict(x_batch [B, T, C], series [B]) -> [B, T, 1]`` in scaled units, from the
    adapter's counterfactual forecasts of the held-out window.

    Rows are packed into full-panel scenarios (the k-th row of each series goes to scenario
    k; other series keep their actual spend) and each distinct scenario is forecast once
    (cached by content), so CIG and AR-CIG share every model call.
    """

    def __init__(self, adapter: AttributionAdapter, window: xr.DataArray, scale_x, scale_y):
        self.adapter = adapter
        self.window = window  # (date, *dims, variable): channels then controls
        self.n_ch = len(adapter.channels)
        self.scale_x = np.asarray(scale_x, dtype=float)
        self.scale_y = float(scale_y)
        self.base = SeriesGrid.series_values(window, adapter.dims)[..., : self.n_ch] / self.scale_x
        self.cache: dict[str, np.ndarray] = {}
        self.n_calls = 0

    def _frame(self, x: np.ndarray) -> pd.DataFrame:
        grid = SeriesGrid.series_values(self.window, self.adapter.dims).copy()
        grid[..., : self.n_ch] = x * self.scale_x
        return SeriesGrid.from_grid(
            SeriesGrid.to_series_grid(grid, self.window, self.adapter.dims), self.adapter.date_column
        )

    def forecast(self, scenarios: list[np.ndarray]) -> list[np.ndarray]:
        keys = [_fingerprint(x) for x in scenarios]
        todo = {k: x for k, x in zip(keys, scenarios, strict=True) if k not in self.cache}
        if todo:
            frames = [self._frame(x) for x in todo.values()]
            pred = self.adapter.counterfactual_predict(frames)
            pred = pred.transpose("scenario", "date", *self.adapter.dims)
            dims = self.adapter.dims
            pred = pred.reindex(
                date=self.window["date"].values, **{d: self.window[d].values for d in dims}
            )
            self.n_calls += len(frames)
            for k, p in zip(todo, pred.values, strict=True):
                v = p.reshape(p.shape[0], -1).T / self.scale_y  # [S, T]
                self.cache[k] = v
        return [self.cache[k] for k in keys]

    def __call__(self, x_batch: np.ndarray, series: np.ndarray) -> np.ndarray:
        series = np.asarray(series)
        slot = np.zeros(len(series), dtype=int)
        seen: dict[int, int] = {}
        for i, s in enumerate(series.tolist()):
            slot[i] = seen.get(s, 0)
            seen[s] = slot[i] + 1
        scenarios = []
        for k in range(int(slot.max()) + 1 if len(slot) else 0):
            x = self.base.copy()
            rows = np.flatnonzero(slot == k)
            x[series[rows]] = x_batch[rows]
            scenarios.append(x)
        preds = self.forecast(scenarios)
        return np.stack([preds[slot[i]][series[i]] for i in range(len(series))])[..., None]


# --------------------------------------------------------------------------------------------
# the suite
# --------------------------------------------------------------------------------------------


def _truth_dataset(truth: Any) -> xr.Dataset | None:
    if truth is None:
        return None
    if hasattr(truth, "truth") and isinstance(truth.truth, xr.Dataset):  # a Simulation
        return truth.truth
    if isinstance(truth, xr.Dataset):
        return truth
    raise TypeError(f"truth must be an xarray.Dataset or a Simulation, got {type(truth).__name__}")


def _true_contributions(
    truth: xr.Dataset, adapter: AttributionAdapter, placebo: str | None, notes: list[str]
) -> xr.DataArray | None:
    """Truth contributions on the model's ``(date, *dims, channel)`` grid, or None."""
    if "channel_contribution" not in truth:
        notes.append("truth has no channel_contribution: truth comparisons are NaN")
        return None
    tc = truth["channel_contribution"]
    missing_dims = [d for d in adapter.dims if d not in tc.dims]
    if missing_dims:
        notes.append(f"truth contributions lack the model's dim(s) {missing_dims}: NaN")
        return None
    extra = [d for d in tc.dims if d not in ("date", "channel", *adapter.dims)]
    tc = tc.sum(extra) if extra else tc
    dates = pd.DatetimeIndex(tc["date"].values).as_unit("ns")
    absent = adapter.fitted_dates.difference(dates)
    if len(absent):
        notes.append(f"truth lacks fitted dates (e.g. {absent[0].date()}): truth comparisons NaN")
        return None
    tc = tc.assign_coords(date=dates).sel(date=adapter.fitted_dates)
    for d in adapter.dims:
        tc = tc.assign_coords({d: [str(v) for v in tc[d].values]}).reindex(
            {d: adapter.dim_coords[d]}
        )
    known = [str(c) for c in tc["channel"].values]
    tc = tc.assign_coords(channel=known).reindex(channel=list(adapter.channels))
    for ch in adapter.channels:
        if ch not in known:
            if ch == placebo:
                tc.loc[{"channel": ch}] = 0.0
            else:
                notes.append(f"channel {ch!r} is not in the truth: its truth is NaN")
    return tc.transpose("date", *adapter.dims, "channel")


def _true_edges(
    truth: xr.Dataset, adapter: AttributionAdapter, notes: list[str]
) -> xr.DataArray | None:
    """True direct channel -> target labels ``(channel)`` or ``(series, channel)``."""
    if "graph" not in truth:
        notes.append("truth has no graph: influence scores are NaN")
        return None
    graph = truth["graph"]
    nodes = [str(v) for v in graph["source"].values]
    if adapter.target not in nodes:
        notes.append(f"target {adapter.target!r} is not a node of the truth graph: scores NaN")
        return None
    per_series = None
    dim = adapter.dims[0] if len(adapter.dims) == 1 else None
    if {"graphs", "series_graph"} <= set(truth.data_vars) and dim in truth["series_graph"].dims:
        sg = truth["series_graph"]
        sg = sg.assign_coords({dim: [str(v) for v in sg[dim].values]}).reindex(
            {dim: adapter.dim_coords[dim]}
        )
        if not sg.isnull().any():
            per_series = truth["graphs"].sel(graph_id=sg.values.astype(int))
            per_series = per_series.rename(graph_id="series").drop_vars("series", errors="ignore")
            if (per_series == per_series.isel(series=0)).all():  # one graph: the shared case
                graph, per_series = per_series.isel(series=0), None

    def labels(g: xr.DataArray) -> xr.DataArray:
        g = g.assign_coords(
            source=[str(v) for v in g["source"].values], target=[str(v) for v in g["target"].values]
        )
        col = g.sel(target=adapter.target).reindex(source=list(adapter.channels), fill_value=0)
        return (col != 0).astype(int).rename(source="channel")

    return labels(per_series if per_series is not None else graph)


def _edge_scores(
    scores: np.ndarray,
    labels: xr.DataArray,
    adapter: AttributionAdapter,
    what: str,
    notes: list[str],
) -> tuple[float, float]:
    """nAUPRC and AUROC of channel -> target scores (``[C]`` or ``[S, C]``)."""
    from pymc_dice.diagnostics.metrics import auroc, nauprc
    from pymc_dice.graph import graph_dataarray

    nodes = [*adapter.channels, adapter.target]
    n = len(nodes)
    per_series = "series" in labels.dims
    lab = labels.transpose(..., "channel").values
    sc = scores if per_series else scores.mean(0)
    lead = sc.shape[:-1]
    s_mat = np.zeros((*lead, n, n))
    t_mat = np.zeros((*lead, n, n), dtype=int)
    s_mat[..., : len(adapter.channels), -1] = sc
    t_mat[..., : len(adapter.channels), -1] = lab
    cand = np.zeros((n, n), dtype=bool)
    cand[: len(adapter.channels), -1] = True
    s_da = graph_dataarray(s_mat, nodes, "scores")
    t_da = graph_dataarray(t_mat, nodes, "truth")
    pool: tuple[Hashable, ...] = ("dim_0",) if per_series else ()
    n_pos, n_all = int(lab.sum()), lab.size
    if n_pos == 0 or n_pos == n_all:
        kind = "no true edge" if n_pos == 0 else "only true edges"
        notes.append(
            f"{what} scores: {kind} among the {len(adapter.channels)} channel -> "
            f"{adapter.target} candidate edges of the truth's direct graph, so nAUPRC/AUROC are "
            "undefined (NaN)"
        )
        return np.nan, np.nan
    c_da = graph_dataarray(cand, nodes, "candidates")
    try:
        return (
            float(nauprc(s_da, t_da, c_da, pool=pool)),
            float(auroc(s_da, t_da, c_da, pool=pool)),
        )
    except ValueError as err:  # a degenerate slice the checks above did not catch
        notes.append(f"{what} scores: {err}")
        return np.nan, np.nan


def attribution_tests(
    model: Any,
    data: pd.DataFrame,
    truth: xr.Dataset | Any | None = None,
    *,
    horizon: int = 7,
    placebo: str | None = None,
    delta: float = 0.01,
    name: str | None = None,
) -> xr.Dataset:
    """Run the attribution test suite on one fitted model.

    Definitions are in the module docstring; every variable of :data:`VARIABLES` is always
    present (NaN where it does not apply, with a reason in ``attrs["notes"]``).

    Parameters
    ----------
    model : pymc_marketing.mmm.MMM, pymc_dice.DiceMMM or AttributionAdapter
        A fitted model.
    data : pd.DataFrame
        pymc-marketing layout with the fitted dates and, for the forecast and influence tests,
        held-out dates after them; the target column is needed for ``mse_target``.
    truth : xr.Dataset or pymc_dice.simulate.Simulation, optional
        Simulator truth: ``channel_contribution`` (date, *dims, channel) in original units,
        ``graph`` (source, target), optionally ``graphs`` / ``series_graph``.
    horizon : int, default 7
        ``H`` of AR-CIG and ``h`` of MSE@h. AR-CIG needs ``horizon + 1`` held-out dates.
    placebo : str, optional
        A channel of the model with no true effect; reported as ``placebo_share``.
    delta : float, default 0.01
        Finite-difference pulse, as a fraction of each channel's max-abs fitted spend.
    name : str, optional
        Label of the model (``attrs["model"]``).

    Returns
    -------
    xr.Dataset
        Variables of :data:`VARIABLES` over ``channel``; attrs ``model``, ``model_type``,
        ``horizon``, ``delta``, ``placebo``, ``n_chains``, ``fitted_window``,
        ``held_out_window``, ``n_origins``, ``n_forecasts`` (model calls of the influence
        tests) and ``notes``.

    Examples
    --------
    A tiny DiceMMM fitted on the first 24 of 30 weeks; ``sim.df`` holds all 30, so the last
    6 are the held-out window of the forecast and influence tests:

    >>> from pymc_dice import DiceMMM, sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=30, seed=0)
    >>> dice = DiceMMM(channel_columns=["tv", "radio"], dims=["geo"],
    ...                trainer_config={"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2})
    >>> _ = dice.fit(sim.df[sim.df["date"] < sim.df["date"].unique()[24]], progressbar=False,
    ...              random_seed=0)
    >>> ds = attribution_tests(dice, sim.df, sim.truth, horizon=2)
    >>> ds["roas_error"].dims, ds.attrs["n_origins"]
    (('channel',), 4)

    A pymc-marketing ``MMM`` goes in the same way (``tests/test_attribution.py`` runs it):

    >>> ds = attribution_tests(mmm, data, sim.truth, placebo="placebo")  # doctest: +SKIP

    See :class:`AttributionAdapter` for an exact example on a toy model.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    adapter = as_adapter(model, name=name)
    truth_ds = _truth_dataset(truth)
    notes: list[str] = []
    channels = list(adapter.channels)
    dims = adapter.dims
    cells = ("date", *dims)
    if placebo is not None and placebo not in channels:
        raise ValueError(
            f"placebo {placebo!r} is not a channel of model {adapter.name!r} (channels "
            f"{channels}); add the placebo column to the data and to every model's channels "
            "before fitting"
        )

    # -- contributions and ROAS on the fitted window ------------------------------------
    spend_grid = adapter.grid(data, channels).rename(variable="channel")
    fitted = adapter.fitted_spend()
    if fitted is not None:
        ref = fitted.reindex_like(spend_grid).transpose(*spend_grid.dims)
        if not np.allclose(spend_grid.values, ref.values, rtol=1e-6, atol=1e-9):
            raise ValueError(
                f"the spend in data on the fitted dates differs from the spend model "
                f"{adapter.name!r} was fitted on; pass the frame the model was fitted on "
                "(plus later held-out dates)"
            )
    contrib_chain = adapter.contributions_by_chain(data).reindex(channel=channels)
    contrib_cells = contrib_chain.mean("chain")
    spend = spend_grid.sum(cells)
    contribution = contrib_cells.sum(cells)
    roas = roas_from_totals(contrib_cells, spend_grid)
    roas_chain = roas_from_totals(contrib_chain, spend_grid, ("chain", "channel"))
    n_chains = contrib_chain.sizes["chain"]
    if n_chains > 1:
        roas_sd = roas_chain.std("chain", ddof=1)
    else:
        roas_sd = xr.full_like(roas, np.nan)
        notes.append("one chain: roas_sd_across_chains is NaN")

    placebo_share = np.nan
    if placebo is not None:
        total_abs = float(np.abs(contribution).sum())
        placebo_share = (
            float(np.abs(contribution.sel(channel=placebo))) / total_abs
            if (total_abs > 0)
            else np.nan
        )

    # -- against the truth --------------------------------------------------------------
    nan_ch = xr.full_like(roas, np.nan)
    true_contribution, true_roas, corr = nan_ch.copy(), nan_ch.copy(), nan_ch.copy()
    labels = None
    if truth_ds is not None:
        tc = _true_contributions(truth_ds, adapter, placebo, notes)
        if tc is not None:
            true_contribution = tc.sum(cells, skipna=False)
            true_roas = roas_from_totals(tc, spend_grid)
            for ch in channels:
                a = contrib_cells.sel(channel=ch).values.ravel()
                b = tc.sel(channel=ch).values.ravel()
                if np.isnan(b).any() or np.std(a) == 0 or np.std(b) == 0:
                    if not np.isnan(b).any():
                        notes.append(
                            f"contribution_corr[{ch}] is NaN: "
                            f"{'the true' if np.std(b) == 0 else 'the model'} contribution is "
                            "constant over the fitted cells"
                        )
                    continue
                corr.loc[{"channel": ch}] = float(np.corrcoef(a, b)[0, 1])
        labels = _true_edges(truth_ds, adapter, notes)
    else:
        notes.append("no truth: truth comparisons and influence scores are NaN")
    roas_error = roas - true_roas
    roas_abs_error_mean = float(np.abs(roas_error).mean()) if truth_ds is not None else np.nan

    # -- held-out window: influence and forecast ----------------------------------------
    window_dates = adapter._window_dates(data)
    cig = nan_ch.copy()
    ar_cig = nan_ch.copy()
    scores = dict.fromkeys(("cig_nauprc", "cig_auroc", "ar_cig_nauprc", "ar_cig_auroc"), np.nan)
    mse = np.nan
    n_origins = 0
    n_forecasts = 0
    scale_x = np.abs(spend_grid).max(cells).values
    scale_x = np.where(scale_x > 0, scale_x, 1.0)
    if adapter.target in data.columns:
        y_fit = adapter.grid(data, [adapter.target]).isel(variable=0)
        scale_y = float(np.abs(y_fit).max())
        scale_y = scale_y if scale_y > 0 else 1.0
    else:
        scale_y = float("nan")
        notes.append(f"data has no target column {adapter.target!r}: nothing is scaled or scored")
    if len(window_dates) == 0:
        notes.append(
            "no held-out dates after the fitted window: cig, ar_cig and mse_target are NaN "
            "(fit the model on data without its last dates)"
        )
    elif np.isfinite(scale_y):
        window = adapter.grid(data, [*channels, *adapter.controls], window_dates)
        box = _BlackBox(adapter, window, scale_x, scale_y)
        base = box.forecast([box.base])[0]  # [S, T] scaled mean forecast
        if len(window_dates) >= horizon:
            y_win = adapter.grid(data, [adapter.target], window_dates).isel(variable=0)
            obs = SeriesGrid.series_values(y_win, dims) / scale_y
            mse = float(np.mean((base[:, :horizon] - obs[:, :horizon]) ** 2))
        else:
            notes.append(f"{len(window_dates)} held-out dates < horizon {horizon}: mse_target NaN")
        if len(window_dates) >= horizon + 1:
            from pymc_dice.diagnostics.finite_difference import cig_finite_difference

            origins = np.arange(len(window_dates) - horizon)
            n_origins = len(origins)
            kw = {"delta": delta, "scheme": "forward", "offset": 1, "reduce": False}
            ar = cig_finite_difference(box, box.base, origins, horizon=horizon, **kw)[..., 0]
            one = cig_finite_difference(box, box.base, origins, horizon=1, **kw)[..., 0]
            n_forecasts = box.n_calls
            ar_cig = xr.DataArray(ar.mean(0), dims=("channel",), coords={"channel": channels})
            cig = xr.DataArray(one.mean(0), dims=("channel",), coords={"channel": channels})
            if labels is not None:
                scores["cig_nauprc"], scores["cig_auroc"] = _edge_scores(
                    one, labels, adapter, "cig", notes
                )
                scores["ar_cig_nauprc"], scores["ar_cig_auroc"] = _edge_scores(
                    ar, labels, adapter, "ar_cig", notes
                )
        else:
            notes.append(
                f"{len(window_dates)} held-out dates < horizon + 1 = {horizon + 1}: cig and "
                "ar_cig are NaN"
            )

    values: dict[str, Any] = {
        "spend": spend,
        "contribution": contribution,
        "roas": roas,
        "roas_sd_across_chains": roas_sd,
        "true_contribution": true_contribution,
        "true_roas": true_roas,
        "roas_error": roas_error,
        "roas_abs_error_mean": roas_abs_error_mean,
        "contribution_corr": corr,
        "cig": cig,
        "ar_cig": ar_cig,
        **scores,
        "placebo_share": placebo_share,
        "mse_target": mse,
    }
    data_vars = {}
    for key, dims_of in VARIABLES.items():
        v = values[key]
        if dims_of:
            arr = np.asarray(v.reindex(channel=channels).values, dtype=float)
        else:
            arr = np.asarray(float(v))
        data_vars[key] = xr.Variable(dims_of, arr, attrs={"description": _DESCRIPTIONS[key]})
    ds = xr.Dataset(data_vars, coords={"channel": channels})
    ds.attrs = {
        "model": adapter.name,
        "model_type": adapter.model_type,
        "horizon": int(horizon),
        "delta": float(delta),
        "placebo": placebo or "",
        "n_chains": int(n_chains),
        "fitted_window": f"{adapter.fitted_dates[0].date()} to {adapter.fitted_dates[-1].date()}",
        "held_out_window": (
            f"{window_dates[0].date()} to {window_dates[-1].date()}" if len(window_dates) else ""
        ),
        "n_origins": int(n_origins),
        "n_forecasts": int(n_forecasts),
        "notes": "\n".join(dict.fromkeys(notes)),
    }
    return ds


def compare(
    models: Mapping[str, Any],
    data: pd.DataFrame,
    truth: xr.Dataset | Any | None = None,
    **kwargs: Any,
) -> xr.Dataset:
    """Run :func:`attribution_tests` on several models and stack them on a ``model`` dim.

    Parameters
    ----------
    models : mapping of str to model
        Label -> fitted model (pymc-marketing ``MMM``, ``DiceMMM`` or an adapter).
    data, truth
        As in :func:`attribution_tests`, shared by every model.
    **kwargs
        ``horizon``, ``placebo``, ``delta``: as in :func:`attribution_tests`.

    Returns
    -------
    xr.Dataset
        The variables of :data:`VARIABLES` with a leading ``model`` dim (channels outer-joined:
        NaN for a channel a model does not have), coord ``model_type`` (model); attrs of the
        run and ``notes`` (one ``"model: note"`` line each).

    Examples
    --------
    Two toy models ``y(t) = 2 tv(t - 1)`` (see :class:`AttributionAdapter`), fitted on the
    first 8 of 12 weeks:

    >>> model, data = _demo()
    >>> ds = compare({"a": model, "b": model}, data, horizon=2)
    >>> ds["ar_cig"].dims, ds["model"].values.tolist()
    (('model', 'channel'), ['a', 'b'])

    With real models (``examples/compare_bayesian_and_dice.py`` runs this end to end):

    >>> ds = compare({"bayesian": mmm, "dice": dice}, data, sim.truth)  # doctest: +SKIP
    >>> to_table(ds)  # doctest: +SKIP
    """
    if not models:
        raise ValueError("compare needs at least one model")
    results = []
    notes = []
    for label, model in models.items():
        ds = attribution_tests(model, data, truth, name=str(label), **kwargs)
        notes += [f"{label}: {line}" for line in ds.attrs["notes"].splitlines()]
        ds = ds.expand_dims(model=[str(label)]).assign_coords(
            model_type=("model", [ds.attrs["model_type"]])
        )
        results.append(ds)
    out = xr.concat(results, dim="model", join="outer", combine_attrs="drop")
    first = results[0].attrs
    out.attrs = {
        k: first[k] for k in ("horizon", "delta", "placebo", "fitted_window", "held_out_window")
    }
    out.attrs["notes"] = "\n".join(notes)
    return out


def to_table(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy table of a :func:`compare` (or :func:`attribution_tests`) result.

    One row per (model, metric, channel): columns ``model``, ``metric``, ``channel`` (None for
    scalar metrics) and ``value``, metrics in :data:`VARIABLES` order. Pivot it for a wide
    view, e.g. ``table.pivot_table(index=["model", "channel"], columns="metric",
    values="value")``.

    Examples
    --------
    >>> ds = xr.Dataset({"roas": (("model", "channel"), [[1.0, 2.0]]),
    ...                  "mse_target": ("model", [0.5])},
    ...                 coords={"model": ["m"], "channel": ["tv", "radio"]})
    >>> to_table(ds)
      model      metric channel  value
    0     m        roas      tv    1.0
    1     m        roas   radio    2.0
    2     m  mse_target     NaN    0.5
    """
    if "model" not in ds.dims:
        ds = ds.expand_dims(model=[str(ds.attrs.get("model", "model"))])
    order = [v for v in VARIABLES if v in ds.data_vars] + [
        v for v in ds.data_vars if v not in VARIABLES
    ]
    rows = []
    for model in ds["model"].values:
        sub = ds.sel(model=model)
        for metric in order:
            da = sub[metric]
            if "channel" in da.dims:
                for ch, val in zip(da["channel"].values, da.values, strict=True):
                    rows.append((str(model), metric, str(ch), float(val)))
            else:
                rows.append((str(model), metric, None, float(da)))
    return pd.DataFrame(rows, columns=["model", "metric", "channel", "value"])
