"""``DiceMMM``: a graph-based neural marketing mix model shaped like pymc-marketing's ``MMM``.

The class follows scikit-learn's estimator conventions: ``__init__`` stores its arguments
unchanged (no data is touched), :meth:`DiceMMM.fit` learns the state kept in attributes with a
trailing underscore (``roles_``, ``panel_``, ``arms_``, ...) and returns the results
``DataTree`` (``mmm.idata``) in pymc-marketing's MMM layout (:mod:`pymc_dice.idata`), so its
``MMMIDataWrapper``, ``MMMSummaryFactory`` and ``MMMPlotSuite`` read it unchanged.

Decisions (docs/decisions.md; results layout in docs/pymc-marketing.md):

- **Chains and draws.** The ``trainer_config.n_seeds`` seeds of the ensemble are the
  ``chain`` dim. For the DICE arms (``dice-hard``, ``dice-soft``) each chain has ``draws``
  (default 4) stochastic graph samples from its frozen encoder (Gumbel-sigmoid at the
  configured ``tau``, binary for ``dice-hard``; one graph per series and draw): the ``draw``
  dim carries graph uncertainty (with ``support="effect"``, the default, stage 2 is trained on
  the selected graph, so every draw is fed that graph). Every other arm has a single draw fed
  its deployed graph (``TrainedArm.graph_input()``). The samples are drawn once at fit time
  and kept (``graph_samples_``), so predictions are deterministic and survive
  :meth:`DiceMMM.save`.
  No observation noise is added: the spread over (chain, draw) is seed and graph
  uncertainty only.
- **Predictions and contributions are closed-loop rollouts.** Over the fitted window the
  first ``max_lag`` dates are a warm-up: the decoder reads them teacher-forced (observed
  values), then rolls out closed loop to the last date with channels and controls as given
  and mediators and the target fed back from its own predictions. ``mu`` / ``y`` on the
  warm-up dates is the observed target, and contributions there are 0. The contribution of
  channel ``j`` is ``y(actual spend) - y(spend of j set to 0 on every date, warm-up
  included)``; the ``C + 1`` scenarios x draws x series are stacked on one batch axis.
  ``channel_contribution`` in ``idata`` is in scaled target units (pymc-marketing's
  convention); :meth:`DiceMMM.compute_mean_contributions_over_time` and
  :meth:`DiceMMM.roas` report original units (scaled x ``target_scale``).
- **Predictions** (:meth:`DiceMMM.predict`, :meth:`DiceMMM.sample_posterior_predictive`,
  in :class:`pymc_dice.compat.PymcMarketingAPI` with the rest of pymc-marketing's post-fit
  API: ``summary``, ``plot``, response curves) answer the fitted dates with the fit's
  posterior predictive, and new dates, which must start right after the last fitted date,
  with a rollout from the decoder's state at the end of the fitted data (the whole history,
  not a finite adstock window). ``include_last_observations`` is accepted for
  pymc-marketing compatibility; the fitted history is always carried.
- **The ``graph`` argument** (a known or prior graph) is the oracle graph of the ``oracle``
  arm (required there) and, for every other arm, the reference graph that
  :meth:`DiceMMM.diagnose` scores the influence against when no ``truth`` is given. It never
  changes what a non-oracle arm learns.
- **One save file**: a netCDF-4 file (:meth:`DiceMMM.save`, format in :mod:`pymc_dice.io`)
  holding the configs, the fitted panel, the weights and ``idata``. Nothing is unpickled.

Where things are computed: the rollouts, counterfactuals, contributions, ROAS and forecasts
in :class:`pymc_dice.ensemble.FittedEnsemble`, the training in :mod:`pymc_dice.train`, the
arms in :mod:`pymc_dice.arms`, the results tree in :mod:`pymc_dice.idata`, the input checks
in :mod:`pymc_dice.inputs`, roles, graphs and the model id in :mod:`pymc_dice.spec`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice import budget as budget_mod
from pymc_dice import io as model_io
from pymc_dice.arms import arm_spec, is_structural, prepare_panel
from pymc_dice.compat import PymcMarketingAPI
from pymc_dice.config import EVIDENCE_SUPPORTS, ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles
from pymc_dice.diagnostics.edges import check_prior_inclusion, refit_evidence
from pymc_dice.ensemble import FittedEnsemble, sample_graphs
from pymc_dice.exceptions import ConfigError, DataValidationError, ModelFileError, NotFittedError
from pymc_dice.graph import graph_dataarray, select_posterior
from pymc_dice.inputs import align_target, min_periods
from pymc_dice.spec import (
    FIT_KEYWORDS_WITHOUT_MEANING,
    as_config,
    given_roles,
    graph_json,
    model_id,
    pymc_marketing_model_options,
    resolve_graph,
    resolve_roles,
    results_attrs,
    truth_graph,
)
from pymc_dice.train import edge_evidence, fit_ensemble

__all__ = ["DEFAULT_DRAWS", "DiceMMM", "ModelFileError", "NotFittedError"]

#: graph samples per chain for the DICE arms (the ``draw`` dim)
DEFAULT_DRAWS = 4
#: posterior draws per chain of a structural decoder (Laplace approximation)
DEFAULT_STRUCTURAL_DRAWS = 50

_PARAMS = (
    "date_column",
    "channel_columns",
    "target_column",
    "mediator_columns",
    "control_columns",
    "dims",
    "graph",
    "model_config",
    "trainer_config",
)


class _FromEnsemble:
    """A fitted attribute read from ``ensemble_`` (``AttributeError`` before ``fit``)."""

    def __init__(self, name: str, doc: str):
        self.name, self.__doc__ = name, doc

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        ens = getattr(obj, "ensemble_", None)
        if ens is None:
            raise AttributeError("not fitted: no ensemble_ (call .fit(df) first)")
        return getattr(ens, self.name)


class DiceMMM(PymcMarketingAPI):
    """Graph-based neural MMM trained with the two-stage DICE recipe (PyTorch).

    Shaped like ``pymc_marketing.mmm.MMM`` (``fit`` returns ``idata``; ``predict``, ROAS,
    contributions, ``summary``, ``plot``, ``save`` / ``load``); decisions in the module docstring.

    Parameters
    ----------
    date_column, channel_columns, target_column, mediator_columns, control_columns, dims
        Column roles; what is not given is inferred by :func:`pymc_dice.data.infer_roles`
        (mediators and controls never are).
    graph : DataArray, networkx.DiGraph or list of (source, target), optional
        A known or prior graph over the nodes: the oracle graph of ``arm="oracle"``, and the
        default reference graph of :meth:`diagnose`.
    model_config, trainer_config : ModelConfig, TrainerConfig or dict, optional
        Architecture and arm (default ``dice-hard``); epochs, seeds (``n_seeds`` = chains),
        horizon, validation share, device.
    adstock, saturation, yearly_seasonality : optional
        pymc-marketing's arguments (e.g. ``GeometricAdstock(l_max=8)``,
        ``LogisticSaturation()``, ``2``): they set the structural decoder's carryover and
        saturation families, its max lag and its Fourier order in ``model_config``.

    Attributes
    ----------
    roles_, panel_, arms_, seeds_, graph_samples_, n_draws_
        Fitted state, read from ``ensemble_`` (a :class:`pymc_dice.ensemble.FittedEnsemble`).

    Examples
    --------
    Fit on the first 30 dates, then forecast the last 4 (tiny settings for speed):

    >>> from pymc_dice.simulate import sparse_target
    >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df
    >>> df = df[["date", "geo", "tv", "radio", "visits", "y"]]
    >>> dates = sorted(df["date"].unique())
    >>> train, new = df[df["date"] < dates[30]], df[df["date"] >= dates[30]]
    >>> mmm = DiceMMM(mediator_columns=["visits"], model_config={"hidden_size": 4},
    ...               trainer_config={"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2})
    >>> idata = mmm.fit(train, progressbar=False, random_seed=0)
    >>> idata.posterior["channel_contribution"].dims, mmm.model_cfg.arm, mmm.trainer_cfg.n_seeds
    (('chain', 'draw', 'date', 'geo', 'channel'), 'dice-hard', 1)
    >>> mmm.roles_.mediator_columns, mmm.seeds_ == [a.seed for a in mmm.arms_], mmm.n_draws_
    (('visits',), True, 50)
    >>> mmm.graph_samples_.shape, mmm.panel_.n_channels  # chain, draw, series, nodes, nodes
    ((1, 50, 4, 4, 4), 2)
    >>> float(mmm.graph_.sel(source="y", target="tv")), mmm.selected_graph_.dims
    (0.0, ('source', 'target'))
    >>> mmm.graph_stage1_.dims  # stage 1's edge probabilities; graph_ is the posterior's
    ('source', 'target')
    >>> mmm.compute_mean_contributions_over_time().columns.tolist(), mmm.roas(by_dims=True).shape
    (['date', 'geo', 'tv', 'radio'], (4, 2))
    >>> mmm.predict(new).shape, mmm.sample_posterior_predictive(new)["y"].dims
    ((4, 4), ('date', 'geo', 'sample'))
    >>> ds = mmm.diagnose(truth=[("tv", "visits"), ("visits", "y")], horizon=2)
    >>> ds["ar_cig"].dims, mmm.summary.channels().columns.tolist()[-3:]
    (('chain', 'source', 'target'), ['roas_sd', 'edge_to_target', 'confounded_with'])
    >>> mmm.data.channels, type(mmm.plot).__name__
    (['tv', 'radio'], 'DiceMMMPlotSuite')
    """

    _model_type = "DiceMMM"
    #: model version entering the model id (bump when the saved layout changes meaning)
    version = "0.1"

    roles_ = _FromEnsemble("roles", "Resolved column roles.")
    panel_ = _FromEnsemble("panel", "The scaled fitted panel.")
    arms_ = _FromEnsemble("arms", "Fitted arms, one per seed (``chain``).")
    seeds_ = _FromEnsemble("seeds", "Seeds of the chains.")
    graph_samples_ = _FromEnsemble("graph_samples", "Graph inputs ``[chain, draw, S, N, N]``.")
    n_draws_ = _FromEnsemble("n_draws", "Graph samples per chain (``draw``).")

    def __init__(
        self,
        *,
        date_column: str | None = None,
        channel_columns: Sequence[str] | None = None,
        target_column: str = "y",
        mediator_columns: Sequence[str] | None = None,
        control_columns: Sequence[str] | None = None,
        dims: Sequence[str] | None = None,
        graph: Any = None,
        model_config: ModelConfig | dict | None = None,
        trainer_config: TrainerConfig | dict | None = None,
        adstock: Any = None,
        saturation: Any = None,
        yearly_seasonality: int | None = None,
    ):
        options = pymc_marketing_model_options(adstock, saturation, yearly_seasonality)
        if options:  # pymc-marketing's arguments become the structural decoder's settings
            base = as_config(model_config, ModelConfig, "model_config").model_dump()
            model_config = {**base, **options}
        self.date_column = date_column
        self.channel_columns = channel_columns
        self.target_column = target_column
        self.mediator_columns = mediator_columns
        self.control_columns = control_columns
        self.dims = dims
        self.graph = graph
        self.model_config = model_config
        self.trainer_config = trainer_config
        self.idata: xr.DataTree | None = None
        # fail fast on a typo in a config (the arguments themselves stay as given)
        as_config(model_config, ModelConfig, "model_config")
        as_config(trainer_config, TrainerConfig, "trainer_config")

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor arguments, as given (scikit-learn convention).

        Examples
        --------
        >>> DiceMMM(dims=["geo"]).get_params()["dims"]
        ['geo']
        """
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params: Any) -> DiceMMM:
        """Set constructor arguments (validated); returns ``self``.

        Examples
        --------
        >>> DiceMMM().set_params(model_config={"arm": "nograph"}).model_cfg.arm
        'nograph'
        """
        for key, value in params.items():
            if key not in _PARAMS:
                raise ValueError(f"DiceMMM has no parameter {key!r}; valid: {list(_PARAMS)}")
            setattr(self, key, value)
        as_config(self.model_config, ModelConfig, "model_config")
        as_config(self.trainer_config, TrainerConfig, "trainer_config")
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"DiceMMM({args})"

    @property
    def model_cfg(self) -> ModelConfig:
        """``model_config`` as a validated :class:`~pymc_dice.config.ModelConfig`."""
        return as_config(self.model_config, ModelConfig, "model_config")

    @property
    def trainer_cfg(self) -> TrainerConfig:
        """``trainer_config`` as a validated :class:`~pymc_dice.config.TrainerConfig`."""
        return as_config(self.trainer_config, TrainerConfig, "trainer_config")

    def _check_fitted(self) -> None:
        if getattr(self, "ensemble_", None) is None:
            raise NotFittedError("this DiceMMM is not fitted yet: call .fit(df) first")

    def _graph_json(self) -> list | None:
        return graph_json(self.graph, getattr(self, "graph_prior_", None))

    def _id(self, roles: Roles | None, graph: xr.DataArray | None) -> str:
        identity = {
            "model_config": self.model_cfg.model_dump(mode="json"),
            "trainer_config": self.trainer_cfg.model_dump(mode="json"),
            "roles": given_roles(self.get_params()) if roles is None else roles.to_dict(),
            "graph": graph_json(self.graph, graph),
        }
        return model_id(identity, self.version, self._model_type)

    @property
    def id(self) -> str:
        """16-hex-digit model id: SHA-256 of the configs, column roles (as resolved by ``fit``,
        else as given), the prior graph, the model version and type (as pymc-marketing's
        ``ModelIO.id``). :meth:`load` checks it.

        Examples
        --------
        >>> a, b = DiceMMM(), DiceMMM(model_config={"hidden_size": 8})
        >>> len(a.id), a.id == DiceMMM().id, a.id == b.id
        (16, True, False)
        """
        ens = getattr(self, "ensemble_", None)
        return self._id(None if ens is None else ens.roles, getattr(self, "graph_prior_", None))

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series | xr.DataArray | np.ndarray | Sequence[float] | None = None,
        *,
        progressbar: bool | None = None,
        random_seed: int | None = None,
        draws: int | None = None,
        chains: int | None = None,
        **sampler: Any,
    ) -> xr.DataTree:
        """Train the seed ensemble and build :attr:`idata` (layout in :mod:`pymc_dice.idata`).

        Fitted state is set only at the very end: a failed fit leaves the model as it was.
        Bad input raises a ``DataValidationError`` naming the column and the fix.

        Parameters
        ----------
        X : pd.DataFrame
            pymc-marketing layout: date, dims, channel / mediator / control columns, and the
            target column unless ``y`` is given.
        y : pd.Series, DataArray or array, optional
            A Series is aligned to ``X`` by labels (its index, or ``(date, *dims)`` levels),
            an array by position (:func:`pymc_dice.inputs.align_target`).
        progressbar : bool, optional
            Default ``trainer_config.progressbar``.
        random_seed : int, optional
            Seeds of the ensemble and of the graph draws derive from it (kept in ``seeds_``).
        draws : int, optional
            Posterior draws per chain of a structural decoder's parameters (default
            :data:`DEFAULT_STRUCTURAL_DRAWS`), or graph samples per chain of the GRU DICE arms
            (default :data:`DEFAULT_DRAWS`); other arms always have one draw.
        chains : int, optional
            pymc-marketing's ``chains``: the number of seeds (``trainer_config.n_seeds``,
            updated on the model). Sampler keywords without a meaning here (``tune``,
            ``target_accept``, ...) raise a ``TypeError`` that says why.

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 2, "horizon": 2, "n_seeds": 2})
        >>> idata = mmm.fit(df, progressbar=False, random_seed=1)
        >>> dict(idata.posterior.sizes)["chain"], len(mmm.seeds_)
        (2, 2)
        """
        for key in sampler:
            reason = FIT_KEYWORDS_WITHOUT_MEANING.get(key, "it is not a DiceMMM.fit argument")
            raise TypeError(
                f"DiceMMM.fit got {key}={sampler[key]!r}, which has no meaning here ({reason}); "
                "DiceMMM.fit takes X, y, progressbar, random_seed, draws, chains"
            )
        if chains is not None:  # pymc-marketing's chains are the seed ensemble here
            self.set_params(trainer_config={**self.trainer_cfg.model_dump(), "n_seeds": chains})
        mcfg, tcfg = self.model_cfg, self.trainer_cfg
        if not isinstance(X, pd.DataFrame):
            raise DataValidationError(
                f"X must be a pandas DataFrame in pymc-marketing's layout, got {type(X).__name__}"
            )
        if y is not None:
            X = align_target(X, y, self.target_column or "y")
        roles = resolve_roles(X, self.get_params())
        arm = arm_spec(mcfg)
        graph = resolve_graph(self.graph, roles, needs_oracle=arm.needs_oracle)
        periods = min_periods(mcfg.max_lag, tcfg.horizon, tcfg.val_fraction)
        panel = Panel.from_frame(X, roles, val_fraction=tcfg.val_fraction, min_periods=periods)
        panel = prepare_panel(panel, mcfg)
        structural = is_structural(mcfg)
        default = DEFAULT_STRUCTURAL_DRAWS if structural else DEFAULT_DRAWS
        n_draws = int(draws if draws is not None else default)
        if n_draws < 1:
            raise ValueError(f"draws must be >= 1, got {n_draws}")
        n_draws = n_draws if (arm.graph_draws or structural) else 1
        rng = np.random.default_rng(random_seed)
        seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=tcfg.n_seeds)]
        progress = tcfg.progressbar if progressbar is None else progressbar
        oracle = graph if arm.needs_oracle else None
        arms = fit_ensemble(
            panel, mcfg, tcfg, seeds=seeds, oracle=oracle, progressbar=progress, n_draws=n_draws,
            extra_loss=budget_mod.lift_loss_for(self, panel),
        )
        samples = sample_graphs(arms, panel, mcfg, n_draws)
        ensemble = FittedEnsemble(roles, panel, arms, seeds, samples, mcfg)
        fit_id = self._id(roles, graph)
        attrs = results_attrs(fit_id, self.version, mcfg, tcfg, roles, seeds, panel.train_end)
        refit = None  # support="refit": the refit Bayes factors' probabilities are the graph
        if structural and mcfg.support == "refit":
            refit = self._evidence(arms, panel, progress)["chain_probability"].fillna(0.0).values
        idata = ensemble.to_idata(attrs, edge_probability=refit)
        # the only assignment of fitted state: nothing above changed the model
        self.graph_prior_, self.ensemble_, self.idata = graph, ensemble, idata
        return idata

    @property
    def graph_(self) -> xr.DataArray:
        """Edge probabilities ``(source, target)``. A structural decoder reports, with the
        default ``support="granger"``, the conditional Granger tests' inclusion probabilities
        (:func:`~pymc_dice.diagnostics.granger.granger_evidence`); with ``"refit"`` the refit
        Bayes factors' (:meth:`edge_evidence`, computed by the fit); otherwise, and on a panel
        without mediators (nothing to select), the posterior probability that each edge's
        effect is material, mean over seeds
        (:meth:`~pymc_dice.ensemble.FittedEnsemble.edge_inclusion`; docs/structural.md, "Which
        edges carry an effect"). Other arms report their stage-1 probabilities
        (:attr:`graph_stage1_`), or their fixed graph without an encoder (zeros for ``dense``)."""
        self._check_fitted()
        if self.ensemble_.structural:  # computed once by the fit, kept in the results
            prob = self.idata.posterior["edge_probability"].isel(draw=0, drop=True)
            return prob.mean("chain").rename("edge_inclusion")
        return self.ensemble_.mean_graph()

    @property
    def graph_stage1_(self) -> xr.DataArray:
        """Stage 1's edge probabilities ``(source, target)``: series mean, then mean over seeds
        (the fixed graph for arms without an encoder)."""
        self._check_fitted()
        return self.ensemble_.mean_graph()

    @property
    def selected_graph_(self) -> xr.DataArray:
        """The binary deployed graph ``(source, target)``: edges deployed by at least half of
        the seeds (the selected support, thresholded ``causalmmm`` probabilities, or fixed);
        with ``support="posterior"``, ``"refit"`` or ``"granger"``, the edges whose
        :attr:`graph_` is at least ``threshold`` (:func:`~pymc_dice.graph.select_posterior`)."""
        self._check_fitted()
        if self.model_cfg.support in EVIDENCE_SUPPORTS and self.ensemble_.structural:
            cand = graph_dataarray(self.arms_[0].candidates, self.panel_.nodes)
            return select_posterior(self.graph_, cand, self.model_cfg.threshold).graph
        return self.ensemble_.selected_graph()

    def edge_evidence(
        self, prior_inclusion: float = 0.5, *, progressbar: bool | None = None, max_iter: int = 150
    ) -> xr.Dataset:
        """Does the fit need each edge, given every other edge? Per chain, the Laplace Bayes
        factor of the fit against a refit without the edge, one refit of ``max_iter`` L-BFGS
        iterations per deployed candidate edge (:func:`pymc_dice.train.edge_evidence`), as
        :func:`~pymc_dice.diagnostics.edges.refit_evidence` lays it out (docs/structural.md,
        "Refit Bayes factors"). With ``support="refit"`` the fit computes it for :attr:`graph_`."""
        self._check_fitted()
        if not self.ensemble_.structural:
            raise ConfigError("edge_evidence refits a structural decoder: fit with "
                              "model_config={'decoder': 'structural'}")  # fmt: skip
        progress = self.trainer_cfg.progressbar if progressbar is None else progressbar
        return self._evidence(self.arms_, self.panel_, progress, prior_inclusion, max_iter)

    def _evidence(self, arms, panel, progress, prior_inclusion=0.5, max_iter=150) -> xr.Dataset:
        check_prior_inclusion(prior_inclusion)  # before minutes of refits
        ev = edge_evidence(arms, panel, self.trainer_cfg, progressbar=progress, max_iter=max_iter,
                           extra_loss=budget_mod.lift_loss_for(self, panel))  # fmt: skip
        return refit_evidence(ev, panel.nodes, prior_inclusion)

    def roas(self, by_dims: bool = False) -> pd.Series | pd.DataFrame:
        """Return on ad spend per channel: total contribution (original units) / total spend
        over every fitted date, mean over chains and draws; zero spend gives NaN.
        ``by_dims=True``: one row per custom-dims value (e.g. per geo)."""
        self._check_fitted()
        return self.ensemble_.roas(self.idata, by_dims=by_dims)

    #: budget allocation and lift-test calibration (:mod:`pymc_dice.budget`)
    optimize_budget = budget_mod.optimize_budget
    add_lift_test_measurements = budget_mod.add_lift_test_measurements

    def diagnose(self, truth: Any = None, horizon: int = 7, *, seed: int = 0) -> xr.Dataset:
        """Attribution diagnostics (CIG / AR-CIG, graph swap, checks, verdict), stored as
        ``idata["dice"]`` and returned (:func:`pymc_dice.diagnostics.swap.diagnose_arms`).

        ``truth`` is the true direct graph (:func:`pymc_dice.spec.truth_graph`: the
        simulator's truth, a path to its netCDF, a graph DataArray, DiGraph or (source,
        target) pairs), default the constructor's ``graph``; without either, graph-swap
        nAUPRCs are NaN and the verdict is ``"not available"``. ``horizon`` is the H of AR-CIG
        and of the swap's MSE@H; ``seed`` seeds the swap's ``random`` input.
        """
        from pymc_dice.diagnostics.swap import diagnose_arms

        self._check_fitted()
        panel = self.panel_
        reference = self.graph_prior_ if truth is None else truth_graph(truth, panel.nodes)
        horizon = int(horizon)
        n_val = len(panel.dates) - panel.train_end
        if not 1 <= horizon <= n_val:
            raise ValueError(
                f"horizon={horizon} does not fit the {n_val} held-out dates; pass "
                f"1 <= horizon <= {n_val}"
            )
        label = "none" if reference is None else ("truth" if truth is not None else "graph")
        ds = diagnose_arms(self.arms_, panel, reference, horizon, seed=seed, reference_label=label)
        if "dice" in self.idata.children:
            del self.idata["dice"]
        self.idata["dice"] = ds
        return ds

    @property
    def data(self):
        """``MMMIDataWrapper`` over :attr:`idata` (as ``pymc_marketing.mmm.MMM.data``), for
        pymc-marketing's summary tables and plots."""
        from pymc_marketing.data.idata.mmm_wrapper import MMMIDataWrapper
        from pymc_marketing.data.idata.schema import MMMIdataSchema

        self._check_fitted()
        schema = MMMIdataSchema.from_model_config(custom_dims=tuple(self.roles_.dims))
        return MMMIDataWrapper(self.idata, schema=schema)

    # ------------------------------------------------------------------------------------
    # save / load
    # ------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the fitted model to ONE netCDF-4 file (any name; ``.nc`` is customary) and
        return its path; an existing file is replaced only with ``overwrite=True``. The
        results groups are ``idata``'s (``xarray.open_datatree`` / ``arviz.from_netcdf`` read
        them); ``/pymc_dice`` holds the manifest and the weights as plain arrays, no pickle
        (:func:`pymc_dice.io.save_model`; docs/pymc-marketing.md, "The save file").

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import xarray as xr
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> path = mmm.save(pathlib.Path(tempfile.mkdtemp()) / "model.nc")
        >>> sorted(xr.open_datatree(path).children)[:3]
        ['constant_data', 'fit_data', 'observed_data']
        >>> back, new = DiceMMM.load(path), df[df["date"] >= dates[30]]
        >>> back.id == mmm.id, bool((back.predict(new) == mmm.predict(new)).all())
        (True, True)
        >>> mmm.save(path)
        Traceback (most recent call last):
        ...
        FileExistsError: ... exists; pass overwrite=True to replace it
        """
        self._check_fitted()
        return model_io.save_model(
            self,
            path,
            overwrite=overwrite,
            model_type=self._model_type,
            graph_json=self._graph_json(),
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, check: bool = True) -> DiceMMM:
        """Load a model written by :meth:`save` (the example there), reading plain data only.

        The seal, declared sizes, manifest schema, dtypes and shapes, content SHA-256 and model
        id are checked (:func:`pymc_dice.io.load_model`; ``check=False`` skips the seal, the
        SHA-256 and the id); anything wrong raises ``ModelFileError`` naming the file, and
        nothing is written.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> notes = pathlib.Path(tempfile.mkdtemp()) / "notes.nc"
        >>> _ = notes.write_text("not a model")
        >>> DiceMMM.load(notes)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pymc_dice.exceptions.ModelFileError: ...notes.nc...
        """

        def factory(params: dict, graph: xr.DataArray | None) -> DiceMMM:
            return cls(**params, graph=graph)

        return model_io.load_model(path, check=check, model_type=cls._model_type, factory=factory)
