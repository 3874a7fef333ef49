"""pymc-marketing's post-fit API on a fitted :class:`~pymc_dice.mmm.DiceMMM` (docs/pymc-marketing.md).

:class:`PymcMarketingAPI` is the part of ``DiceMMM`` shaped like ``pymc_marketing.mmm.MMM``
after ``fit``: ``summary`` (a :class:`DiceSummaryFactory`, pymc-marketing's
``MMMSummaryFactory`` plus the per-channel table :meth:`DiceSummaryFactory.channels`), ``plot``
(a :class:`DiceMMMPlotSuite`, pymc-marketing's ``MMMPlotSuite`` plus the DICE figures),
``sample_posterior_predictive`` / ``predict`` on the fitted dates or on new ones,
``compute_mean_contributions_over_time`` and the response curves
(``sample_saturation_curve``, ``sample_adstock_curve``) of the structural decoder.

``build_model`` gives the fold model of pymc-marketing's ``TimeSliceCrossValidator``
(:class:`TimeSliceFold`), so ``TimeSliceCrossValidator(...).run(X, y, mmm=dice)`` runs.
What has no counterpart here (priors, a PyMC model, sensitivity sweeps) raises
``NotImplementedError`` naming what to use instead.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from pymc_marketing.data.idata.utils import subsample_draws
from pymc_marketing.mmm.plot import MMMPlotSuite
from pymc_marketing.mmm.summary import MMMSummaryFactory

from pymc_dice.data import SeriesGrid, parse_dates
from pymc_dice.diagnostics.edges import channel_evidence
from pymc_dice.diagnostics.identification import confounded_with
from pymc_dice.exceptions import DataValidationError
from pymc_dice.idata import SAMPLE_DIMS, channel_summary, contributions_over_time
from pymc_dice.inputs import align_target, future_inputs
from pymc_dice.plot import DicePlotSuite
from pymc_dice.spec import resolve_roles

__all__ = [
    "DiceMMMPlotSuite",
    "DiceSummaryFactory",
    "PymcMarketingAPI",
    "TimeSliceFold",
    "not_available",
]

#: variables ``sample_posterior_predictive`` can return
PREDICTIVE_VARS = ("y", "mu")
#: the posterior predictive of the fit, kept when ``extend_idata`` writes a forecast
FIT_PREDICTIVE_GROUP = "posterior_predictive_fit"


def not_available(what: str, instead: str):
    """A method that raises ``NotImplementedError``: ``what`` has no counterpart in a
    ``DiceMMM``; ``instead`` names the alternative.

    Examples
    --------
    >>> f = not_available("MMM.build_model", "DiceMMM.fit")
    >>> f(None)
    Traceback (most recent call last):
    ...
    NotImplementedError: MMM.build_model has no DiceMMM counterpart; use DiceMMM.fit
    """

    def method(self, *args: Any, **kwargs: Any):
        raise NotImplementedError(f"{what} has no DiceMMM counterpart; use {instead}")

    method.__doc__ = f"Not available on a DiceMMM (``NotImplementedError``); use {instead}."
    return method


def _channel_table(model: Any) -> pd.DataFrame:
    """One row per channel of a fitted ``DiceMMM`` (:func:`pymc_dice.idata.channel_summary`):
    spend, contribution, share, evidence (a structural decoder's channel without any edge of
    posterior inclusion probability >= 0.5 is ``"no evidence of effect"``; GRU arms ``"not
    assessed"``), ROAS mean and sd over seeds, edge probability into the target;
    ``attrs`` hold the arm, seeds, validation MSE@h per seed and the verdict (after
    ``diagnose``). Reached as ``mmm.summary.channels()``."""
    model._check_fitted()
    graph, channels = model.graph_, list(model.roles_.channel_columns)
    evidence = (
        channel_evidence(graph, channels)
        if model.ensemble_.structural
        else pd.Series("not assessed", index=channels)
    )
    out = channel_summary(model.idata, graph.sel(target=model.roles_.target_column), evidence)
    out["confounded_with"] = confounded_with(model.idata).reindex(out.index)
    out.attrs = {
        "arm": model.model_cfg.arm,
        "seeds": list(model.seeds_),
        "val_mse": [a.history.get("stage2", {}).get("best_val_mse") for a in model.arms_],
        "verdict": out.attrs["verdict"],
    }
    return out


class DiceSummaryFactory(MMMSummaryFactory):
    """pymc-marketing's ``MMMSummaryFactory`` on a fitted ``DiceMMM`` (``mmm.summary``).

    Every table of the base class reads the results tree (``contributions``, ``roas``,
    ``posterior_predictive``, ``waterfall``, ...); ``saturation_curves`` and
    ``adstock_curves`` come from the structural decoder's response curves
    (:meth:`PymcMarketingAPI.sample_saturation_curve`). :meth:`channels` is the per-channel
    table of pymc-dice.

    Examples
    --------
    >>> from pymc_dice import DiceMMM
    >>> from pymc_dice.simulate import national
    >>> df = national(n_channels=2, n_periods=44, seed=0).df
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 20})
    >>> _ = mmm.fit(df.iloc[:40], progressbar=False, random_seed=0, draws=4)
    >>> s = mmm.summary
    >>> s.channels().columns.tolist()[:3], s.roas(frequency="all_time")["channel"].tolist()
    (['spend', 'contribution', 'share'], ['tv', 'social'])
    >>> def refuses(f):  # NotImplementedError naming the alternative
    ...     try:
    ...         f()
    ...     except NotImplementedError as err:
    ...         return "use " in str(err)
    >>> stubs = [s.prior_predictive, s.prior_vs_posterior, s.sensitivity_analysis,
    ...          s.sensitivity_uplift, s.sensitivity_marginal, lambda: s.roas(method="incremental")]
    >>> all(refuses(f) for f in stubs)
    True
    """

    def channels(self) -> pd.DataFrame:
        """Per-channel table (:func:`channel_table`)."""
        return _channel_table(self.model)

    def roas(self, *args: Any, method: str = "elementwise", **kwargs: Any):
        """ROAS per channel (pymc-marketing's ``roas``); ``method="incremental"`` needs a PyMC
        model and raises ``NotImplementedError``: the contributions of a ``DiceMMM`` are
        already counterfactual (actual spend minus the channel's spend set to 0)."""
        if method == "incremental":
            raise NotImplementedError(
                "roas(method='incremental') evaluates a PyMC model; a DiceMMM's contributions "
                "are already counterfactual rollouts: use mmm.summary.roas() (elementwise) or "
                "mmm.roas()"
            )
        return super().roas(*args, method=method, **kwargs)

    prior_predictive = not_available(
        "summary.prior_predictive (no priors)", "summary.posterior_predictive()"
    )
    prior_vs_posterior = not_available(
        "summary.prior_vs_posterior (no priors)", "az.summary(mmm.idata)"
    )
    sensitivity_analysis = not_available(
        "summary.sensitivity_analysis", "mmm.diagnose() (CIG / AR-CIG)"
    )
    sensitivity_uplift = not_available(
        "summary.sensitivity_uplift", "mmm.diagnose() (CIG / AR-CIG)"
    )
    sensitivity_marginal = not_available(
        "summary.sensitivity_marginal", "mmm.summary.saturation_curves()"
    )


def _delegate(name: str):
    """A method of :class:`DiceMMMPlotSuite` that calls ``DicePlotSuite.<name>``."""
    target = getattr(DicePlotSuite, name)

    def method(self, *args: Any, **kwargs: Any):
        return getattr(self.dice, name)(*args, **kwargs)

    first = (target.__doc__ or "").split("\n\n")[0].strip()
    method.__name__ = name
    method.__doc__ = f"{first}\n\n(:meth:`pymc_dice.plot.DicePlotSuite.{name}`, examples there.)"
    return method


class DiceMMMPlotSuite(MMMPlotSuite):
    """pymc-marketing's ``MMMPlotSuite`` on a fitted ``DiceMMM`` (``mmm.plot``), with the
    figures of :class:`pymc_dice.plot.DicePlotSuite` (``graph``, ``influence``,
    ``graph_swap``, ``contributions``, ``forecast``, ``response_curves``) delegated to it.

    ``saturation_curves`` takes ``mmm.sample_saturation_curve()`` as its ``curve``, as in
    pymc-marketing; what needs priors, sensitivity sweeps or cross-validation raises
    ``NotImplementedError`` naming the alternative.

    Examples
    --------
    >>> from pymc_dice import DiceMMM
    >>> from pymc_dice.simulate import national
    >>> df = national(n_channels=2, n_periods=44, seed=0).df
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 20})
    >>> _ = mmm.fit(df.iloc[:40], progressbar=False, random_seed=0, draws=4)
    >>> p = mmm.plot
    >>> fig, axes = p.posterior_predictive()
    >>> type(p.graph()).__name__, type(p.response_curves()).__name__
    ('Figure', 'Figure')
    >>> type(p.contributions()).__name__, type(p.forecast(df.iloc[40:])).__name__
    ('Figure', 'Figure')
    >>> diagnostics = [p.influence, p.graph_swap]  # after mmm.diagnose()
    >>> def refuses(f):  # NotImplementedError naming the alternative
    ...     try:
    ...         f()
    ...     except NotImplementedError as err:
    ...         return "use " in str(err)
    >>> stubs = [p.prior_predictive, p.prior_vs_posterior, p.sensitivity_analysis, p.uplift_curve,
    ...          p.marginal_curve, p.cv_predictions, p.cv_crps, p.param_stability]
    >>> all(refuses(f) for f in stubs)
    True
    """

    def __init__(self, model: Any):
        super().__init__(data=model.data)
        self.dice = DicePlotSuite(model)

    graph = _delegate("graph")
    influence = _delegate("influence")
    graph_swap = _delegate("graph_swap")
    contributions = _delegate("contributions")
    forecast = _delegate("forecast")
    response_curves = _delegate("response_curves")

    prior_predictive = not_available(
        "plot.prior_predictive (no priors)", "mmm.plot.posterior_predictive()"
    )
    prior_vs_posterior = not_available(
        "plot.prior_vs_posterior (no priors)", "mmm.plot.posterior_distribution(var=...)"
    )
    sensitivity_analysis = not_available(
        "plot.sensitivity_analysis", "mmm.diagnose() then mmm.plot.influence()"
    )
    uplift_curve = not_available("plot.uplift_curve", "mmm.diagnose() then mmm.plot.influence()")
    marginal_curve = not_available(
        "plot.marginal_curve", "mmm.plot.saturation_curves(mmm.sample_saturation_curve())"
    )
    cv_predictions = not_available(
        "plot.cv_predictions", "cv.plot.predictions() after TimeSliceCrossValidator.run(mmm=mmm)"
    )
    cv_crps = not_available(
        "plot.cv_crps", "cv.plot.crps() after TimeSliceCrossValidator.run(mmm=mmm)"
    )
    param_stability = not_available(
        "plot.param_stability (no parameters)", "cv.summary.crps() and mmm.plot.graph()"
    )


def _check_fitted_inputs(model: Any, X: pd.DataFrame, dates: pd.DatetimeIndex) -> None:
    """``X`` on fitted ``dates`` must hold the fitted channels and controls: the posterior
    predictive of the fit is for the data it was fitted on."""
    roles = model.roles_
    grid = SeriesGrid(roles.date_column, tuple(roles.dims), model.ensemble_.dim_coords)
    const = model.idata.constant_data
    pairs = [("channel_data", "channel", roles.channel_columns)]
    if roles.control_columns:
        pairs.append(("control_data", "control", roles.control_columns))
    for var, dim, columns in pairs:
        given = grid.to_grid(X, list(columns), dates, what="X").values
        fitted = const[var].sel(date=dates.as_unit("ns")).transpose("date", *roles.dims, dim)
        same = np.isclose(given, fitted.values, rtol=1e-6, atol=1e-9)
        if not same.all():
            col = list(columns)[int(np.argwhere(~same)[0][-1])]
            raise NotImplementedError(
                f"X's column {col!r} differs from the fitted data on the fitted dates (or a "
                "series is missing): a DiceMMM answers the fitted dates with the posterior "
                "predictive of its fit. For another spend plan pass new dates starting after "
                "the last fitted date; for counterfactuals on the fitted dates use "
                "mmm.compute_mean_contributions_over_time() or mmm.summary.contributions()"
            )


def _predictive_scaled(model: Any, X: pd.DataFrame, var_names: Sequence[str]) -> xr.Dataset:
    """``var_names`` ``(chain, draw, date, *dims)`` in scaled target units on ``X``'s dates:
    all fitted (the fit's posterior predictive ``y`` and ``posterior.mu``) or all new (the
    forecast from the end of the fitted data, no observation noise: ``y`` = ``mu``)."""
    if not isinstance(X, pd.DataFrame):
        raise DataValidationError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    roles, panel = model.roles_, model.panel_
    if roles.date_column not in X.columns:
        raise DataValidationError(f"X has no date column {roles.date_column!r}")
    dates = pd.DatetimeIndex(np.unique(parse_dates(X[roles.date_column], roles.date_column)))
    fitted = dates.isin(panel.dates)
    if fitted.all():
        _check_fitted_inputs(model, X, dates)
        tree = model.idata
        group = (
            FIT_PREDICTIVE_GROUP
            if FIT_PREDICTIVE_GROUP in tree.children
            else "posterior_predictive"
        )
        sources = {"y": tree[group].dataset["y"], "mu": tree.posterior["mu"]}
        out = xr.Dataset({v: sources[v].sel(date=dates.as_unit("ns")) for v in var_names})
        return out.transpose("chain", "draw", "date", *roles.dims)
    if fitted.any():
        both = (
            [str(d.date()) for d in dates[fitted][:2]],
            [str(d.date()) for d in dates[~fitted][:2]],
        )
        raise DataValidationError(
            f"X mixes fitted dates {both[0]} with new dates {both[1]}; call "
            "sample_posterior_predictive once with the fitted dates (the fit's posterior "
            "predictive) and once with the new dates (the forecast)"
        )
    x, c, new = future_inputs(roles, panel, X)
    y = model.ensemble_.forecast(x, c, new) / float(panel.node_scaler.scales[-1])
    return xr.Dataset({v: y.rename(v).assign_attrs(units="scaled") for v in var_names})


def _curve_edges(model: Any, name: str, n_points: int = 41, max_share: float = 2.0):
    """The ``name`` curves (``saturation`` or ``carryover``) of the channel -> target edges
    ``(chain, draw, <grid>, channel)``; 0 where the deployed graph has no direct edge."""
    model._check_fitted()
    ens = model.ensemble_
    if not ens.structural:
        raise NotImplementedError(
            f"response curves need the structural decoder (the default); arm "
            f"{model.model_cfg.arm!r} has none: use mmm.plot.graph() and mmm.diagnose() "
            "(CIG / AR-CIG) for its channel effects"
        )
    roles = model.roles_
    curves = ens.response_curves(n_points=n_points, max_share=max_share)
    da = curves[name].sel(target=roles.target_column, source=list(roles.channel_columns))
    return da.rename(source="channel").drop_vars("target").fillna(0.0)


class PymcMarketingAPI:
    """pymc-marketing's ``MMM`` post-fit methods, mixed into :class:`~pymc_dice.mmm.DiceMMM`
    (it reads the fitted model's ``idata``, ``data``, ``ensemble_``, ``roles_``, ``panel_``).

    Examples
    --------
    >>> from pymc_dice import DiceMMM
    >>> from pymc_dice.simulate import national
    >>> df = national(n_channels=2, n_periods=44, seed=0).df
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 20})
    >>> _ = mmm.fit(df.iloc[:40], progressbar=False, random_seed=0, draws=4)
    >>> mmm.sample_posterior_predictive(df.iloc[:40])["y"].dims  # the fit's predictive
    ('date', 'sample')
    >>> mmm.predict(df.iloc[40:]).shape  # a forecast of the new dates
    (4,)
    >>> type(mmm.summary).__name__, mmm.summary.roas().shape[0] > 0
    ('DiceSummaryFactory', True)
    >>> mmm.sample_saturation_curve(num_points=5).dims
    ('chain', 'draw', 'x', 'channel')
    >>> mmm.sample_adstock_curve(amount=100.0).dims
    ('chain', 'draw', 'time since exposure', 'channel')
    >>> mmm.compute_mean_contributions_over_time(central_tendency="median").columns.tolist()
    ['date', 'tv', 'social']
    >>> type(mmm.plot).__name__, mmm.add_original_scale_contribution_variable(
    ...     ["channel_contribution"]) is mmm
    ('DiceMMMPlotSuite', True)
    >>> def refuses(f):  # NotImplementedError naming the alternative
    ...     try:
    ...         f()
    ...     except NotImplementedError as err:
    ...         return "use " in str(err)
    >>> type(mmm.build_model(df.iloc[:40])).__name__  # TimeSliceCrossValidator's fold model
    'TimeSliceFold'
    >>> stubs = [mmm.sample_prior_predictive, mmm.approximate_fit,
    ...          mmm.add_events, lambda: mmm.sensitivity, lambda: mmm.incrementality,
    ...          lambda: mmm.output_var]  # pymc-marketing's mlflow.log_mmm reads output_var
    >>> all(refuses(f) for f in stubs)
    True
    """

    @property
    def summary(self) -> DiceSummaryFactory:
        """pymc-marketing's summary tables on this model (:class:`DiceSummaryFactory`);
        ``mmm.summary.channels()`` is the per-channel table."""
        return DiceSummaryFactory(self.data, model=self)

    @property
    def plot(self) -> DiceMMMPlotSuite:
        """pymc-marketing's plots and the DICE figures (:class:`DiceMMMPlotSuite`)."""
        return DiceMMMPlotSuite(self)

    def sample_posterior_predictive(
        self,
        X: pd.DataFrame,
        extend_idata: bool = True,
        combined: bool = True,
        include_last_observations: bool = False,
        original_scale: bool = True,
        var_names: Sequence[str] | None = None,
        random_seed: Any = None,
        progressbar: bool | None = None,
        clone_model: bool = True,
    ) -> xr.Dataset:
        """The target on ``X``'s dates for every chain and draw, as pymc-marketing's.

        ``X`` holds fitted dates (with the fitted channel and control values: the posterior
        predictive of the fit, as ``idata.posterior_predictive`` holds it) or new dates
        starting right after the last fitted one (the closed-loop forecast from the end of
        the fitted data, :func:`pymc_dice.inputs.future_inputs`); mixing both is an error.
        ``var_names`` from ``("y", "mu")`` (default ``["y"]``); ``original_scale`` gives
        original units (else scaled); ``combined`` stacks ``(chain, draw)`` into ``sample``
        (dims ``(date, *dims, sample)``); ``extend_idata`` writes the result (scaled, with
        ``y``) as ``idata.posterior_predictive``, keeping the fit's as
        ``posterior_predictive_fit``. ``include_last_observations``, ``random_seed``,
        ``progressbar`` and ``clone_model`` are accepted for compatibility: the rollout
        always carries the fitted history and is deterministic.
        """
        if not isinstance(include_last_observations, bool):
            raise TypeError("include_last_observations must be a bool")
        names = ["y"] if var_names is None else [str(v) for v in var_names]
        unknown = [v for v in names if v not in PREDICTIVE_VARS]
        if unknown or not names:
            raise ValueError(
                f"var_names {unknown or names} not available; a DiceMMM predicts "
                f"{list(PREDICTIVE_VARS)}"
            )
        self._check_fitted()
        scaled = _predictive_scaled(self, X, names)
        if extend_idata:
            self._extend_posterior_predictive(
                scaled if "y" in scaled else _predictive_scaled(self, X, ["y", *names])
            )
        out = scaled * float(self.panel_.node_scaler.scales[-1]) if original_scale else scaled
        for v in out.data_vars:
            out[v].attrs["units"] = "original" if original_scale else "scaled"
        return out.stack(sample=SAMPLE_DIMS) if combined else out

    def _extend_posterior_predictive(self, scaled: xr.Dataset) -> None:
        """Write ``scaled`` as ``idata.posterior_predictive`` (the fit's first kept as
        ``posterior_predictive_fit``, which fitted-date predictions keep reading)."""
        tree = self.idata
        if FIT_PREDICTIVE_GROUP not in tree.children:
            tree[FIT_PREDICTIVE_GROUP] = tree["posterior_predictive"].dataset
        attrs = tree["posterior_predictive"].attrs
        del tree["posterior_predictive"]
        tree["posterior_predictive"] = scaled.assign_attrs(attrs)

    def predict(self, X: pd.DataFrame, extend_idata: bool = False, **kwargs: Any) -> np.ndarray:
        """Mean over chains and draws of :meth:`sample_posterior_predictive` ``y``
        ``(date, *dims)``, original units unless ``original_scale=False``; ``extend_idata``
        defaults to False here, so a forecast never replaces the fit's posterior predictive
        unasked."""
        pp = self.sample_posterior_predictive(
            X, extend_idata=extend_idata, combined=False, **kwargs
        )
        return pp["y"].mean(SAMPLE_DIMS).values

    def compute_mean_contributions_over_time(
        self,
        original_units: bool | None = None,
        *,
        original_scale: bool = True,
        central_tendency: str = "mean",
        period: str = "original",
    ) -> pd.DataFrame:
        """Channel contributions per date over (chain, draw), like pymc-marketing's: columns
        ``date``, the dims, one per channel; 0 on the ``max_lag`` warm-up dates of a GRU arm.
        ``central_tendency`` ``"mean"`` or ``"median"``; ``original_scale=False`` (or the
        older ``original_units=False``) gives scaled units. Only ``period="original"``: for
        other periods use ``mmm.summary.contributions(frequency=...)``."""
        self._check_fitted()
        if period != "original":
            raise NotImplementedError(
                f"period={period!r}: use mmm.summary.contributions(frequency={period!r})"
            )
        if central_tendency not in ("mean", "median"):
            raise ValueError(
                f"central_tendency must be 'mean' or 'median', got {central_tendency!r}"
            )
        scale = original_scale if original_units is None else bool(original_units)
        if central_tendency == "mean":
            return contributions_over_time(self.idata, original_units=scale).reset_index()
        post = self.idata.posterior
        da = post["channel_contribution_original_scale" if scale else "channel_contribution"]
        mid = da.median(SAMPLE_DIMS)
        keys = [d for d in mid.dims if d != "channel"]
        df = mid.transpose(*keys, "channel").to_series().unstack("channel")
        df = df[list(mid["channel"].values)]
        df.columns.name = None
        return df.reset_index()

    def sample_saturation_curve(
        self,
        max_value: float = 1.0,
        num_points: int = 100,
        num_samples: int | None = 500,
        random_state: Any = None,
        original_scale: bool = True,
        idata: Any = None,
    ) -> xr.DataArray:
        """Saturation curves of the channel -> target edges of the structural decoder
        ``(chain, draw, x, channel)`` (:meth:`pymc_dice.ensemble.FittedEnsemble.response_curves`):
        ``x`` is the adstocked spend as a share of the channel's max (pymc-marketing's scaled
        space) from 0 to ``max_value``; the response is in original target units
        (``original_scale``), 0 for a channel without a direct edge. ``num_samples`` draws are
        kept at random (``random_state``), as pymc-marketing's."""
        if idata is not None and idata is not self.idata:
            raise NotImplementedError("curves come from the fitted decoder: leave idata=None")
        sat = _curve_edges(self, "saturation", n_points=num_points, max_share=max_value)
        curve = sat.rename(share="x").transpose("chain", "draw", "x", "channel")
        if original_scale:
            curve = curve * float(self.panel_.node_scaler.scales[-1])
        sub = subsample_draws(
            curve.to_dataset(name="curve"), num_samples=num_samples, random_state=random_state
        )
        return sub["curve"].rename("saturation_curve")

    def sample_adstock_curve(
        self,
        amount: float = 1.0,
        num_samples: int | None = 500,
        random_state: Any = None,
        idata: Any = None,
    ) -> xr.DataArray:
        """Carryover weights of the channel -> target edges of the structural decoder times
        ``amount`` ``(chain, draw, time since exposure, channel)``: the response to one unit
        impulse at lag 0, as pymc-marketing's; 0 for a channel without a direct edge."""
        if idata is not None and idata is not self.idata:
            raise NotImplementedError("curves come from the fitted decoder: leave idata=None")
        carry = _curve_edges(self, "carryover", n_points=2) * float(amount)
        curve = carry.rename(lag="time since exposure")
        curve = curve.transpose("chain", "draw", "time since exposure", "channel")
        sub = subsample_draws(
            curve.to_dataset(name="curve"), num_samples=num_samples, random_state=random_state
        )
        return sub["curve"].rename("adstock_curve")

    def add_original_scale_contribution_variable(self, var: Sequence[str]) -> Any:
        """pymc-marketing's: ``channel_contribution_original_scale`` is always in
        ``idata.posterior``; other variables raise ``NotImplementedError``."""
        other = [v for v in var if v != "channel_contribution"]
        if other:
            raise NotImplementedError(
                f"{other} have no original-scale variable in a DiceMMM: only "
                "channel_contribution (already in idata.posterior as "
                "channel_contribution_original_scale); mmm.data.to_original_scale(...) for others"
            )
        return self

    sample_prior_predictive = not_available(
        "sample_prior_predictive (no priors: MAP + Laplace)", "mmm.sample_posterior_predictive(X)"
    )

    def build_model(self, X: pd.DataFrame, y: Any = None, **kwargs: Any) -> TimeSliceFold:
        """An unfitted copy of this model for ``X`` (``y`` as in ``fit``), as the
        :class:`TimeSliceFold` that pymc-marketing's ``TimeSliceCrossValidator`` fits on each
        fold; there is no PyMC model to build. ``X``'s columns are checked against the roles;
        this model and its fit are left alone. ``kwargs`` are accepted for compatibility."""
        if y is not None:
            X = align_target(X, y, self.target_column or "y")
        resolve_roles(X, self.get_params())
        fresh = copy.copy(self)
        for name in ("ensemble_", "graph_prior_"):
            fresh.__dict__.pop(name, None)
        fresh.idata = None
        return TimeSliceFold(copy.deepcopy(fresh))

    #: no ``output_var``: pymc-marketing's ``mlflow.log_mmm`` reads it to pickle the model
    output_var = property(
        not_available(
            "pymc_marketing.mlflow.log_mmm (it pickles the whole model; a DiceMMM is stored "
            "as its save file)",
            "pymc_dice.mlflow.log_mmm(mmm) and pymc_dice.mlflow.load_mmm(run_id)",
        )
    )
    approximate_fit = not_available("approximate_fit", "DiceMMM.fit(X, y)")
    add_events = not_available("add_events", "control_columns=[...] with 0/1 event columns")
    sensitivity = property(
        not_available("mmm.sensitivity (a PyMC sweep)", "mmm.diagnose() (CIG / AR-CIG)")
    )
    incrementality = property(
        not_available("mmm.incrementality (a PyMC model)", "mmm.roas() or mmm.summary.roas()")
    )


class TimeSliceFold:
    """A ``DiceMMM`` as the fold model of pymc-marketing's ``TimeSliceCrossValidator``
    (returned by ``mmm.build_model(X, y)``; docs/pymc-marketing.md, "Time-slice
    cross-validation").

    ``fit(X, y)`` fits the wrapped model (:attr:`model`) with ``sampler_config`` (``draws``,
    ``chains``, ``random_seed``, ``progressbar``; the validator sets it) under the keywords
    given; ``sample_posterior_predictive`` answers the training dates followed by the test
    dates, as the validator asks: the fit's posterior predictive, then the closed-loop
    forecast. With ``extend_idata`` it writes ``y`` (scaled) and ``y_original_scale`` to
    ``idata.posterior_predictive``, which ``cv.summary`` and ``cv.plot`` read. Every other
    attribute is the wrapped model's.

    Examples
    --------
    >>> from pymc_marketing.mmm.time_slice_cross_validation import TimeSliceCrossValidator
    >>> from pymc_dice import DiceMMM
    >>> from pymc_dice.simulate import national
    >>> df = national(n_channels=2, n_periods=44, seed=0).df
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 10})
    >>> cv = TimeSliceCrossValidator(n_init=40, forecast_horizon=2, date_column="date",
    ...                              step_size=2, sampler_config={"draws": 2, "random_seed": 0})
    >>> X, y = df.drop(columns="y"), df["y"]
    >>> tree, folds = cv.run(X, y, mmm=mmm, return_models=True)  # two folds
    >>> tree.posterior_predictive["y_original_scale"].dims
    ('cv', 'chain', 'draw', 'date')
    >>> cv.summary.crps().columns.tolist(), cv.summary.crps().shape  # train / test per fold
    (['split', 'cv', 'mean_crps'], (4, 3))
    >>> type(folds[0]).__name__, folds[0].roas().index.tolist(), mmm.idata is None
    ('TimeSliceFold', ['tv', 'social'], True)
    >>> fold = mmm.build_model(X.iloc[:40], y.iloc[:40])  # what the validator does per fold
    >>> fold.sampler_config = {"draws": 2, "random_seed": 0}
    >>> _ = fold.fit(X.iloc[:40], y.iloc[:40])
    >>> fold.sample_posterior_predictive(X.iloc[:42])["y"].sizes  # 40 fitted, 2 forecast dates
    Frozen({'date': 42, 'sample': 2})
    """

    #: the target's name in ``posterior_predictive``, as pymc-marketing's ``MMM.output_var``
    output_var = "y"

    def __init__(self, model: Any):
        self.model = model
        self.sampler_config: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        model = self.__dict__.get("model")
        if name.startswith("_") or model is None:
            raise AttributeError(name)
        return getattr(model, name)

    @property
    def idata(self) -> xr.DataTree | None:
        """The wrapped model's results tree."""
        return self.model.idata

    def fit(self, X: pd.DataFrame, y: Any = None, **kwargs: Any) -> xr.DataTree:
        """``DiceMMM.fit`` with ``sampler_config`` then ``kwargs`` (progress bar off unless
        asked); the fit's posterior predictive is also kept as ``posterior_predictive_fit``,
        which predictions on the training dates read after the validator drops
        ``posterior_predictive``."""
        keywords = {"progressbar": False, **(self.sampler_config or {}), **kwargs}
        tree = self.model.fit(X, y, **keywords)
        tree[FIT_PREDICTIVE_GROUP] = tree["posterior_predictive"].dataset
        return tree

    def sample_posterior_predictive(
        self,
        X: pd.DataFrame,
        extend_idata: bool = True,
        combined: bool = True,
        original_scale: bool = True,
        **kwargs: Any,
    ) -> xr.Dataset:
        """``y`` on ``X``'s dates: fitted dates from the fit, then new dates from the
        forecast (:meth:`PymcMarketingAPI.sample_posterior_predictive` on each part);
        ``kwargs`` (``include_last_observations``, ``progressbar``, ...) pass through."""
        model = self.model
        model._check_fitted()
        kwargs = {**kwargs, "extend_idata": False, "combined": False, "original_scale": False}
        date_col = model.roles_.date_column
        if not isinstance(X, pd.DataFrame) or date_col not in X.columns:
            raise DataValidationError(f"X must be a DataFrame with the date column {date_col!r}")
        fitted = parse_dates(X[date_col], date_col).isin(model.panel_.dates)
        parts = [X[mask] for mask in (fitted, ~fitted) if mask.any()]
        scaled = xr.concat(
            [model.sample_posterior_predictive(part, **kwargs) for part in parts], dim="date"
        )
        scale = float(model.panel_.node_scaler.scales[-1])
        if extend_idata:
            tree = model.idata
            attrs = {}
            if "posterior_predictive" in tree.children:
                attrs = dict(tree["posterior_predictive"].attrs)
                del tree["posterior_predictive"]
            y = scaled["y"]
            pp = xr.Dataset(
                {"y": y, "y_original_scale": (y * scale).assign_attrs(units="original")}
            )
            tree["posterior_predictive"] = pp.assign_attrs(attrs)
        out = scaled * scale if original_scale else scaled
        for v in out.data_vars:
            out[v].attrs["units"] = "original" if original_scale else "scaled"
        return out.stack(sample=SAMPLE_DIMS) if combined else out
