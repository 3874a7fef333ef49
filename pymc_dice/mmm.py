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
  the selected graph, so every draw is fed that graph). Every other arm has a single draw fed its deployed graph
  (``TrainedArm.graph_input()``). The samples are drawn once at fit time and kept
  (``graph_samples_``), so predictions are deterministic and survive :meth:`DiceMMM.save`.
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
- **New dates** (:meth:`DiceMMM.predict`, :meth:`DiceMMM.sample_posterior_predictive`)
  must start right after the last fitted date: the rollout continues from the decoder's
  state at the end of the fitted data (the whole history, not a finite adstock window).
  ``include_last_observations`` is accepted for pymc-marketing compatibility; a recurrent
  model always carries the fitted history, which is what that flag asks for.
- **The ``graph`` argument** (a known or prior graph) is the oracle graph of the ``oracle``
  arm (required there) and, for every other arm, the reference graph that
  :meth:`DiceMMM.diagnose` scores the influence against when no ``truth`` is given. It never
  changes what a non-oracle arm learns.
- **One save file**: a zip archive (:meth:`DiceMMM.save`, format in :mod:`pymc_dice.io`)
  holding the configs, the fitted panel, the weights and ``idata``. Nothing is unpickled.

Where things are computed: the rollouts, counterfactuals, contributions, ROAS and forecasts
in :class:`pymc_dice.ensemble.FittedEnsemble`, the training in :mod:`pymc_dice.train`, the
arms in :mod:`pymc_dice.arms`, the results tree in :mod:`pymc_dice.idata`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice import io as model_io
from pymc_dice.arms import TrainedArm, arm_spec
from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles, infer_roles
from pymc_dice.ensemble import FittedEnsemble, sample_graphs
from pymc_dice.exceptions import DataValidationError, ModelFileError, NotFittedError
from pymc_dice.graph import candidate_mask, check_candidates, to_graph
from pymc_dice.idata import contributions_over_time
from pymc_dice.io import as_list
from pymc_dice.train import fit_ensemble

__all__ = ["DEFAULT_DRAWS", "DiceMMM", "ModelFileError", "NotFittedError"]

#: graph samples per chain for the DICE arms (the ``draw`` dim)
DEFAULT_DRAWS = 4


def _validated(value: Any, cls: type, name: str):
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.model_validate(value)
    raise TypeError(f"{name} must be a {cls.__name__} or a dict, got {type(value).__name__}")


def _min_periods(max_lag: int, horizon: int, val_fraction: float) -> int:
    """Fewest dates with ``max_lag + 2`` training dates and a held-out window >= horizon."""
    t = max_lag + horizon + 2
    while True:
        n_val = int(round(val_fraction * t))
        if n_val >= horizon and t - n_val >= max_lag + 2:
            return t
        t += 1



def _future_inputs(
    roles: Roles, panel: Panel, X: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Scaled ``x`` and ``c`` over fitted + new dates, and the new dates (``X`` checked:
    columns, dates right after the fitted ones, every fitted series)."""
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
    frame = X.copy()
    for col in (*roles.mediator_columns, roles.target_column):
        if col not in frame.columns:
            frame[col] = 0.0
    try:
        new = pd.DatetimeIndex(np.unique(pd.to_datetime(frame[roles.date_column])))
    except (ValueError, TypeError) as err:
        raise DataValidationError(
            f"date column {roles.date_column!r} of X has values that are not dates ({err})"
        ) from err
    if len(new) == 0:
        raise DataValidationError("X has no rows: pass the new dates to predict")
    fitted = panel.dates
    step = fitted[1] - fitted[0]
    overlap = new.intersection(fitted)
    if len(overlap):
        raise DataValidationError(
            f"X's dates {[str(d.date()) for d in overlap[:3]]} overlap the fitted dates "
            f"({fitted[0].date()} to {fitted[-1].date()}); predict takes new dates only, "
            f"starting on {(fitted[-1] + step).date()}"
        )
    if new[0] != fitted[-1] + step:
        raise DataValidationError(
            f"X must start on {(fitted[-1] + step).date()}, the date after the last fitted "
            f"date {fitted[-1].date()} (step {step}); its first date is {new[0].date()}"
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
    t_len = len(fitted)
    x = np.concatenate([panel.values, full.values[:, t_len:]], axis=1)
    c = np.concatenate([panel.controls, full.controls[:, t_len:]], axis=1)
    return x, c, full.dates[t_len:]



class DiceMMM:
    """Graph-based neural MMM trained with the two-stage DICE recipe (PyTorch).

    Same shape of interface as ``pymc_marketing.mmm.MMM``: ``fit`` returns ``idata``,
    ``predict`` / ``sample_posterior_predictive`` forecast new dates, contributions, ROAS,
    ``summary``, ``plot``, ``save`` / ``load``. See the module docstring for the decisions.

    Parameters
    ----------
    date_column : str, optional
        The date column; ``None``: the one datetime column.
    channel_columns : sequence of str, optional
        Channel (spend) columns; ``None``: every numeric column that has no other role.
    target_column : str, default "y"
        The target column; without a ``y`` column, the one target-like name (``sales``, ...).
    mediator_columns : sequence of str, optional
        Intermediate KPIs that channels may drive; never inferred.
    control_columns : sequence of str, optional
        Exogenous time-varying columns (price, events); never inferred.
    dims : sequence of str, optional
        Series columns such as ``geo``; ``None``: the text / categorical columns.
        Column roles follow :func:`pymc_dice.data.infer_roles`.
    graph : DataArray, networkx.DiGraph or list of (source, target), optional
        A known or prior graph over the nodes (channels, mediators, target): the oracle
        graph of ``arm="oracle"``, and the default reference graph of :meth:`diagnose`.
    model_config : ModelConfig or dict, optional
        Architecture and arm (default ``dice-hard``).
    trainer_config : TrainerConfig or dict, optional
        Epochs, seeds (``n_seeds`` = chains), horizon, validation share, device.

    Examples
    --------
    >>> from pymc_dice.simulate import sparse_target
    >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "radio", "y"]]
    >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2})
    >>> idata = mmm.fit(df, progressbar=False, random_seed=0)
    >>> idata.posterior["channel_contribution"].dims
    ('chain', 'draw', 'date', 'geo', 'channel')
    >>> mmm.roles_.channel_columns
    ('tv', 'radio')
    >>> len(mmm.arms_), mmm.seeds_ == [a.seed for a in mmm.arms_], mmm.n_draws_
    (1, True, 4)
    >>> mmm.graph_samples_.shape, mmm.panel_.n_channels  # chain, draw, series, nodes, nodes
    ((1, 4, 4, 3, 3), 2)
    """

    _model_type = "DiceMMM"
    #: model version entering the model id (bump when the saved layout changes meaning)
    version = "0.1"

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
    ):
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
        _validated(model_config, ModelConfig, "model_config")
        _validated(trainer_config, TrainerConfig, "trainer_config")

    # ------------------------------------------------------------------------------------
    # scikit-learn conventions
    # ------------------------------------------------------------------------------------

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

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor arguments, as given (scikit-learn convention).

        Examples
        --------
        >>> DiceMMM(dims=["geo"]).get_params()["dims"]
        ['geo']
        """
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params: Any) -> DiceMMM:
        """Set constructor arguments (validated); returns ``self``.

        Examples
        --------
        >>> DiceMMM().set_params(model_config={"arm": "nograph"}).model_cfg.arm
        'nograph'
        """
        for key, value in params.items():
            if key not in self._PARAMS:
                raise ValueError(f"DiceMMM has no parameter {key!r}; valid: {list(self._PARAMS)}")
            setattr(self, key, value)
        _validated(self.model_config, ModelConfig, "model_config")
        _validated(self.trainer_config, TrainerConfig, "trainer_config")
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"DiceMMM({args})"

    @property
    def model_cfg(self) -> ModelConfig:
        """``model_config`` as a validated :class:`~pymc_dice.config.ModelConfig`.

        Examples
        --------
        >>> DiceMMM(model_config={"hidden_size": 8}).model_cfg.hidden_size
        8
        """
        return _validated(self.model_config, ModelConfig, "model_config")

    @property
    def trainer_cfg(self) -> TrainerConfig:
        """``trainer_config`` as a validated :class:`~pymc_dice.config.TrainerConfig`.

        Examples
        --------
        >>> DiceMMM(trainer_config={"n_seeds": 2}).trainer_cfg.n_seeds
        2
        """
        return _validated(self.trainer_config, TrainerConfig, "trainer_config")

    def _check_fitted(self) -> None:
        if getattr(self, "ensemble_", None) is None:
            raise NotFittedError("this DiceMMM is not fitted yet: call .fit(df) first")

    # fitted state, read from the ensemble (scikit-learn style trailing underscores)
    @property
    def roles_(self) -> Roles:
        """Resolved column roles."""
        return self._fitted().roles

    @property
    def panel_(self) -> Panel:
        """The scaled fitted panel."""
        return self._fitted().panel

    @property
    def arms_(self) -> list[TrainedArm]:
        """Fitted arms, one per seed (``chain``)."""
        return self._fitted().arms

    @property
    def seeds_(self) -> list[int]:
        """Seeds of the chains."""
        return self._fitted().seeds

    @property
    def graph_samples_(self) -> np.ndarray:
        """Graph inputs of every prediction ``[chain, draw, S, N, N]``."""
        return self._fitted().graph_samples

    @property
    def n_draws_(self) -> int:
        """Graph samples per chain (``draw``)."""
        return self._fitted().n_draws

    def _fitted(self) -> FittedEnsemble:
        ens = getattr(self, "ensemble_", None)
        if ens is None:
            raise AttributeError("not fitted: no ensemble_ (call .fit(df) first)")
        return ens

    # ------------------------------------------------------------------------------------
    # identity
    # ------------------------------------------------------------------------------------

    def _roles_dict(self) -> dict:
        if getattr(self, "ensemble_", None) is not None:
            return self.roles_.to_dict()
        return {
            "date_column": self.date_column,
            "dims": as_list(self.dims),
            "channel_columns": as_list(self.channel_columns),
            "mediator_columns": as_list(self.mediator_columns),
            "control_columns": as_list(self.control_columns),
            "target_column": self.target_column,
        }

    def _graph_json(self) -> list | None:
        g = getattr(self, "graph_prior_", None)
        if g is None:
            if self.graph is None:
                return None
            if isinstance(self.graph, xr.DataArray):
                g = self.graph
            else:
                try:
                    import networkx as nx

                    if isinstance(self.graph, nx.DiGraph):
                        return sorted([str(s), str(t), 1.0] for s, t in self.graph.edges)
                except ImportError:  # pragma: no cover
                    pass
                if isinstance(self.graph, np.ndarray):
                    return np.asarray(self.graph, dtype=float).tolist()
                return sorted([str(s), str(t), 1.0] for s, t in self.graph)
        g = g.transpose("source", "target")
        return sorted(
            [str(s), str(t), float(g.values[i, j])]
            for i, s in enumerate(g["source"].values)
            for j, t in enumerate(g["target"].values)
            if g.values[i, j] != 0
        )

    def _identity(self) -> dict:
        return {
            "model_config": self.model_cfg.model_dump(mode="json"),
            "trainer_config": self.trainer_cfg.model_dump(mode="json"),
            "roles": self._roles_dict(),
            "graph": self._graph_json(),
        }

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
        hasher = hashlib.sha256()
        hasher.update(json.dumps(self._identity(), sort_keys=True).encode())
        hasher.update(self.version.encode())
        hasher.update(self._model_type.encode())
        return hasher.hexdigest()[:16]

    # ------------------------------------------------------------------------------------
    # fit
    # ------------------------------------------------------------------------------------

    def _resolve_roles(self, X: pd.DataFrame) -> Roles:
        return infer_roles(
            X,
            date_column=self.date_column,
            channel_columns=as_list(self.channel_columns),
            target_column=self.target_column,
            mediator_columns=as_list(self.mediator_columns),
            control_columns=as_list(self.control_columns),
            dims=as_list(self.dims),
        )

    def _resolve_graph(self, roles: Roles) -> xr.DataArray | None:
        if self.graph is None:
            if arm_spec(self.model_cfg).needs_oracle:
                raise ValueError(
                    "arm='oracle' trains on a known graph: pass DiceMMM(graph=...) (a (source, "
                    "target) DataArray, a networkx.DiGraph or a list of (source, target) pairs)"
                )
            return None
        try:
            g = to_graph(self.graph, roles.nodes, name="graph")
            check_candidates(
                g, candidate_mask(roles.nodes, roles.channel_columns, roles.target_column)
            )
        except (ValueError, TypeError) as err:
            raise DataValidationError(f"graph: {err}") from err
        return g

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series | np.ndarray | None = None,
        *,
        progressbar: bool | None = None,
        random_seed: int | None = None,
        draws: int | None = None,
    ) -> xr.DataTree:
        """Train the seed ensemble and build :attr:`idata`.

        Parameters
        ----------
        X : pd.DataFrame
            pymc-marketing layout: a date column, optional dims columns, one column per
            channel / mediator / control, and the target column (unless ``y`` is given).
        y : pd.Series or array, optional
            The target, aligned with the rows of ``X`` (stored as ``target_column``).
        progressbar : bool, optional
            Default ``trainer_config.progressbar``.
        random_seed : int, optional
            Seeds of the ensemble and of the graph draws are derived from it; ``None`` draws
            fresh entropy (the seeds used are kept in ``seeds_``).
        draws : int, optional
            Graph samples per chain for the DICE arms (default :data:`DEFAULT_DRAWS`);
            other arms always have one draw.

        Returns
        -------
        xr.DataTree
            ``self.idata`` (layout in :mod:`pymc_dice.idata`).

        Raises
        ------
        DataValidationError
            Bad input, with the data layer's message naming the column and the fix (NaN,
            negative spend, duplicated dates, too few dates for ``max_lag`` + ``horizon``,
            unknown columns, an all-zero channel, a graph naming unknown nodes, ...).

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
        mcfg, tcfg = self.model_cfg, self.trainer_cfg
        if not isinstance(X, pd.DataFrame):
            raise DataValidationError(
                f"X must be a pandas DataFrame in pymc-marketing's layout, got {type(X).__name__}"
            )
        if y is not None:
            values = np.asarray(y)
            if values.shape != (len(X),):
                raise DataValidationError(
                    f"y has shape {values.shape} but X has {len(X)} rows; pass one target "
                    "value per row of X"
                )
            X = X.assign(**{self.target_column or "y": values})
        roles = self._resolve_roles(X)
        graph = self._resolve_graph(roles)
        panel = Panel.from_frame(
            X,
            roles,
            val_fraction=tcfg.val_fraction,
            min_periods=_min_periods(mcfg.max_lag, tcfg.horizon, tcfg.val_fraction),
        )
        n_draws = int(draws if draws is not None else DEFAULT_DRAWS)
        if n_draws < 1:
            raise ValueError(f"draws must be >= 1, got {n_draws}")
        if not arm_spec(mcfg).graph_draws:
            n_draws = 1
        seeds = [
            int(s)
            for s in np.random.default_rng(random_seed).integers(0, 2**31 - 1, size=tcfg.n_seeds)
        ]
        progress = tcfg.progressbar if progressbar is None else progressbar
        oracle = graph if arm_spec(mcfg).needs_oracle else None
        arms = fit_ensemble(panel, mcfg, tcfg, seeds=seeds, oracle=oracle, progressbar=progress)
        self.graph_prior_ = graph
        self.ensemble_ = FittedEnsemble(
            roles, panel, arms, seeds, sample_graphs(arms, panel, mcfg, n_draws), mcfg
        )
        self.idata = self._build_idata()
        return self.idata


    def _build_idata(self) -> xr.DataTree:
        mcfg, panel = self.model_cfg, self.ensemble_.panel
        attrs = {
            "id": self.id,
            "version": self.version,
            "arm": mcfg.arm,
            "model_config": mcfg.model_dump(mode="json"),
            "trainer_config": self.trainer_cfg.model_dump(mode="json"),
            "roles": panel.roles.to_dict(),
            "seeds": self.seeds_,
            "warmup_dates": mcfg.max_lag,
            "train_end": panel.train_end,
        }
        return self.ensemble_.to_idata(attrs)


    # ------------------------------------------------------------------------------------
    # graphs
    # ------------------------------------------------------------------------------------

    @property
    def graph_(self) -> xr.DataArray:
        """Edge probabilities ``(source, target)``: series mean, then mean over seeds.

        Arms without an encoder report their fixed graph (``nograph``, ``fullgraph``,
        ``oracle``; zeros for ``dense``, which reads no graph).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> mmm.graph_.dims, float(mmm.graph_.sel(source="y", target="tv"))
        (('source', 'target'), 0.0)
        """
        self._check_fitted()
        return self.ensemble_.mean_graph()

    @property
    def selected_graph_(self) -> xr.DataArray:
        """The binary deployed graph ``(source, target)``: edges in the deployed graph of at
        least half of the seeds (the selected support for DICE arms, the edge probabilities
        thresholded at ``model_config.threshold`` for ``causalmmm``, the fixed graph
        otherwise).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "fullgraph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> mmm.selected_graph_.values.astype(int).tolist()
        [[0, 1], [0, 0]]
        """
        self._check_fitted()
        return self.ensemble_.selected_graph()

    # ------------------------------------------------------------------------------------
    # contributions
    # ------------------------------------------------------------------------------------

    def compute_mean_contributions_over_time(self, original_units: bool = True) -> pd.DataFrame:
        """Mean (over chain and draw) channel contributions per date, like pymc-marketing's.

        Parameters
        ----------
        original_units : bool, default True
            Target units (scaled contribution x ``target_scale``); False gives scaled units.

        Returns
        -------
        pd.DataFrame
            Columns ``date``, the dims columns, then one column per channel. Contributions
            on the ``max_lag`` warm-up dates are 0.

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> out = mmm.compute_mean_contributions_over_time()
        >>> list(out.columns), len(out)
        (['date', 'geo', 'tv'], 120)
        """
        self._check_fitted()
        return contributions_over_time(self.idata, original_units=original_units).reset_index()

    def roas(self, by_dims: bool = False) -> pd.Series | pd.DataFrame:
        """Return on ad spend per channel: total contribution (original units) / total spend.

        Totals run over every fitted date (and series unless ``by_dims``); the mean is over
        chains (seeds) and draws. Zero spend gives NaN.

        Parameters
        ----------
        by_dims : bool, default False
            One row per custom-dims value (e.g. per geo) instead of one total.

        Returns
        -------
        pd.Series (index ``channel``) or pd.DataFrame (index dims, one column per channel)

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> mmm.roas().index.tolist(), mmm.roas(by_dims=True).shape
        (['tv'], (4, 1))
        """
        self._check_fitted()
        return self.ensemble_.roas(self.idata, by_dims=by_dims)

    # ------------------------------------------------------------------------------------
    # new dates
    # ------------------------------------------------------------------------------------

    def sample_posterior_predictive(
        self,
        X: pd.DataFrame,
        *,
        include_last_observations: bool = False,
        combined: bool = False,
    ) -> xr.Dataset:
        """Forecast the target on new dates for every chain and draw, in original units.

        The rollout starts from the decoder's state at the end of the fitted data; channels
        and controls come from ``X``, mediators and the target are fed back from the model.

        Parameters
        ----------
        X : pd.DataFrame
            The new dates (starting right after the last fitted date) with the date, dims,
            channel and control columns; mediators and the target may be absent.
        include_last_observations : bool, default False
            Accepted for pymc-marketing compatibility; the forecast always carries the fitted
            history (what pymc-marketing's ``True`` asks for).
        combined : bool, default False
            Stack ``(chain, draw)`` into one ``sample`` dim.

        Returns
        -------
        xr.Dataset
            ``y`` with dims ``(chain, draw, date, *dims)`` (or ``(date, *dims, sample)``).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> pp = mmm.sample_posterior_predictive(df[df["date"] >= dates[30]].drop(columns="y"))
        >>> pp["y"].dims, pp["y"].shape
        (('chain', 'draw', 'date', 'geo'), (1, 1, 4, 4))
        """
        if not isinstance(include_last_observations, bool):
            raise TypeError("include_last_observations must be a bool")
        self._check_fitted()
        x, c, dates = _future_inputs(self.roles_, self.panel_, X)
        ds = self.ensemble_.forecast(x, c, dates).to_dataset()
        return ds.stack(sample=("chain", "draw")) if combined else ds

    def predict(self, X: pd.DataFrame, *, include_last_observations: bool = False) -> np.ndarray:
        """Mean forecast of the target on new dates (original units), as pymc-marketing's
        ``predict`` returns the posterior-mean ``.data`` array.

        Parameters
        ----------
        X : pd.DataFrame
            As in :meth:`sample_posterior_predictive`.
        include_last_observations : bool, default False
            As in :meth:`sample_posterior_predictive`.

        Returns
        -------
        np.ndarray
            Shape ``(date, *dims)`` (dims in sorted order, as in ``idata``).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> mmm.predict(df[df["date"] >= dates[30]]).shape
        (4, 4)
        """
        pp = self.sample_posterior_predictive(
            X, include_last_observations=include_last_observations
        )
        return pp["y"].mean(("chain", "draw")).values


    # ------------------------------------------------------------------------------------
    # diagnostics and summaries
    # ------------------------------------------------------------------------------------

    def diagnose(self, truth: Any = None, horizon: int = 7, *, seed: int = 0) -> xr.Dataset:
        """Attribution diagnostics: CIG / AR-CIG, graph swap, review checks and verdict.

        Stored as ``idata["dice"]`` and returned.

        Parameters
        ----------
        truth : DataArray, networkx.DiGraph or list of (source, target), optional
            The true direct graph; default the ``graph`` given to the constructor. Without
            either, graph-swap nAUPRCs are NaN and the verdict is ``"not available"``.
        horizon : int, default 7
            H of AR-CIG and of the graph swap's MSE@H (held-out windows of this length).
        seed : int, default 0
            Seed of the graph swap's ``random`` input.

        Returns
        -------
        xr.Dataset
            ``cig``, ``ar_cig`` (chain, source, target) with the deployed graph;
            ``graph_swap`` (chain, graph_input, metric) and ``swap_cig``, ``swap_ar_cig``,
            ``swap_input_graph`` (chain, graph_input, source, target); ``verdict`` (0-d),
            ``check_status`` and ``check_message`` (check); attrs ``report`` (Markdown).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df
        >>> df = df[["date", "geo", "tv", "radio", "visits", "y"]]
        >>> mmm = DiceMMM(mediator_columns=["visits"], model_config={"hidden_size": 4},
        ...               trainer_config={"epochs_stage1": 1, "epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> ds = mmm.diagnose(truth=[("tv", "visits"), ("visits", "y")], horizon=2)
        >>> ds["ar_cig"].dims, str(ds["verdict"].values) in (
        ...     "ok", "graph-support selection", "decoder bypass", "not available")
        (('chain', 'source', 'target'), True)
        """
        from pymc_dice.diagnostics.swap import diagnose_arms

        self._check_fitted()
        panel = self.panel_
        nodes = list(panel.nodes)
        reference = self.graph_prior_
        if truth is not None:
            try:
                reference = to_graph(truth, nodes, name="truth")
            except (ValueError, TypeError) as err:
                raise ValueError(f"truth: {err}") from err
        horizon = int(horizon)
        n_val = len(panel.dates) - panel.train_end
        if not 1 <= horizon <= n_val:
            raise ValueError(
                f"horizon={horizon} does not fit the {n_val} held-out dates; pass "
                f"1 <= horizon <= {n_val}"
            )
        label = "none" if reference is None else ("truth" if truth is not None else "graph")
        ds = diagnose_arms(self.arms_, panel, reference, horizon, seed=seed, reference_label=label)
        if self.idata is not None:
            if "dice" in self.idata.children:
                del self.idata["dice"]
            self.idata["dice"] = ds
        return ds

    def summary(self) -> pd.DataFrame:
        """One row per channel: spend, contribution (original units), its share, ROAS (mean
        and sd over seeds) and the mean edge probability into the target.

        ``attrs`` hold the arm, seeds, validation MSE@h per seed and the verdict (when
        :meth:`diagnose` has run).

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> list(mmm.summary().columns)
        ['spend', 'contribution', 'share', 'roas', 'roas_sd', 'edge_to_target']
        """
        self._check_fitted()
        idata = self.idata
        spend = idata.constant_data["channel_data"]
        spend = spend.sum([d for d in spend.dims if d != "channel"])
        contrib = idata.posterior["channel_contribution_original_scale"]
        per_chain = contrib.sum([d for d in contrib.dims if d not in ("chain", "draw", "channel")])
        per_chain = per_chain.mean("draw")
        total = per_chain.mean("chain")
        roas = self.ensemble_.roas_per_chain(idata)
        target = self.roles_.target_column
        edge = self.graph_.sel(target=target).reindex(source=list(self.roles_.channel_columns))
        denom = float(total.sum())
        out = pd.DataFrame(
            {
                "spend": spend.to_series(),
                "contribution": total.to_series(),
                "share": total.to_series() / denom if denom != 0 else np.nan,
                "roas": roas.mean("chain").to_series(),
                "roas_sd": roas.std("chain").to_series(),
                "edge_to_target": edge.rename(source="channel").to_series(),
            }
        )
        out.index.name = "channel"
        out.attrs = {
            "arm": self.model_cfg.arm,
            "seeds": list(self.seeds_),
            "val_mse": [a.history.get("stage2", {}).get("best_val_mse") for a in self.arms_],
            "verdict": str(idata["dice"]["verdict"].values) if "dice" in idata.children else None,
        }
        return out

    @property
    def data(self):
        """``MMMIDataWrapper`` over :attr:`idata` (as ``pymc_marketing.mmm.MMM.data``), for
        pymc-marketing's summary tables and plots.

        Examples
        --------
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> mmm.data.channels
        ['tv']
        """
        from pymc_marketing.data.idata.mmm_wrapper import MMMIDataWrapper
        from pymc_marketing.data.idata.schema import MMMIdataSchema

        self._check_fitted()
        schema = MMMIdataSchema.from_model_config(custom_dims=tuple(self.roles_.dims))
        return MMMIDataWrapper(self.idata, schema=schema)

    @property
    def plot(self):
        """Matplotlib figures of this model (:class:`pymc_dice.plot.DicePlotSuite`).

        Examples
        --------
        >>> type(DiceMMM().plot).__name__
        'DicePlotSuite'
        """
        from pymc_dice.plot import DicePlotSuite

        return DicePlotSuite(self)


    # ------------------------------------------------------------------------------------
    # save / load
    # ------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the fitted model to ONE netCDF-4 file (docs/pymc-marketing.md, "The save file").

        The results groups are ``idata``'s, so ``xarray.open_datatree(path)`` and
        ``arviz.from_netcdf(path)`` read them; the group ``/pymc_dice`` holds the manifest and
        the network weights as plain arrays (no pickle). Written through a temporary file.

        Parameters
        ----------
        path : str or PathLike
            File to write (any name; ``.nc`` is customary).
        overwrite : bool, default False
            Replace an existing file; otherwise an existing path raises ``FileExistsError``
            and is left untouched.

        Returns
        -------
        Path
            The written file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import xarray as xr
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> path = mmm.save(pathlib.Path(tempfile.mkdtemp()) / "model.nc")
        >>> sorted(xr.open_datatree(path).children)[:3]
        ['constant_data', 'fit_data', 'observed_data']
        >>> mmm.save(path)
        Traceback (most recent call last):
        ...
        FileExistsError: ... exists; pass overwrite=True to replace it
        """
        self._check_fitted()
        return model_io.save_model(
            self, path, overwrite=overwrite, model_type=self._model_type,
            graph_json=self._graph_json(),
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, check: bool = True) -> DiceMMM:
        """Load a model written by :meth:`save`.

        Only plain data is read: no pickle, no ``torch.load``. Before any netCDF parsing the
        SHA-256 seal at the end of the file is checked; then the declared array sizes
        (``pymc_dice.io.MAX_BYTES``), the manifest schema, every array's dtype and shape, the
        SHA-256 of the content, and the model id. Nothing is written, not even a temporary
        file.

        Parameters
        ----------
        path : str or PathLike
        check : bool, default True
            Check the seal, the content SHA-256 and the model id (``False`` skips them to
            salvage a file modified on purpose; the schema and size checks always run).

        Raises
        ------
        ModelFileError
            Not a DiceMMM file (e.g. a pymc-marketing netCDF), a zip file of pymc-dice 0.1 or
            a pickle (refused unread), a file saved by another model type or format version,
            a corrupted, truncated or modified file, or a model id mismatch.
        FileNotFoundError
            No file at ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> path = mmm.save(pathlib.Path(tempfile.mkdtemp()) / "model.nc")
        >>> back = DiceMMM.load(path)
        >>> new = df[df["date"] >= dates[30]]
        >>> back.id == mmm.id, bool((back.predict(new) == mmm.predict(new)).all())
        (True, True)
        """
        def factory(params: dict, graph: xr.DataArray | None) -> DiceMMM:
            return cls(**params, graph=graph)

        return model_io.load_model(path, check=check, model_type=cls._model_type, factory=factory)

