"""``DiceMMM``: a graph-based neural marketing mix model shaped like pymc-marketing's ``MMM``.

The class follows scikit-learn's estimator conventions: ``__init__`` stores its arguments
unchanged (no data is touched), :meth:`DiceMMM.fit` learns the state kept in attributes with a
trailing underscore (``roles_``, ``panel_``, ``arms_``, ...) and returns the results
``DataTree`` (``mmm.idata``) in pymc-marketing's MMM layout (:mod:`pymc_dice.idata`), so its
``MMMIDataWrapper``, ``MMMSummaryFactory`` and ``MMMPlotSuite`` read it unchanged.

Decisions (DESIGN.md sections 1, 2, 7 and 10):

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
- **One save file**: a zip archive (:meth:`DiceMMM.save`) holding ``manifest.json``
  (configs, roles, seeds, model id, SHA-256 of every member), ``arrays.npz`` (scalers,
  fitted panel, graph samples, learned graphs; loaded with ``allow_pickle=False``),
  ``weights/chain_<k>.pt`` (``torch.save`` of ``state_dict`` s; loaded with
  ``weights_only=True``) and ``idata.nc`` (the results tree, netCDF). Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import xarray as xr

from pymc_dice.config import ModelConfig, TrainerConfig
from pymc_dice.data import Panel, Roles, Scaler, infer_roles
from pymc_dice.exceptions import DataValidationError, ModelFileError, NotFittedError
from pymc_dice.graph import (
    Selection,
    candidate_mask,
    check_candidates,
    graph_dataarray,
    to_graph,
)
from pymc_dice.idata import build_idata, contributions_over_time
from pymc_dice.idata import roas as idata_roas
from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.encoder import gumbel_sigmoid
from pymc_dice.train import (
    DICE_ARMS,
    TrainedArm,
    build_modules,
    fit_ensemble,
    resolve_device,
)

__all__ = ["DEFAULT_DRAWS", "DiceMMM", "ModelFileError", "NotFittedError"]

logger = logging.getLogger("pymc_dice")

#: graph samples per chain for the DICE arms (the ``draw`` dim)
DEFAULT_DRAWS = 4
#: batch rows (scenario x draw x series) per rollout chunk
_ROW_CHUNK = 4096
_FORMAT = "pymc-dice/DiceMMM"
_FORMAT_VERSION = 1


def _as_list(cols: str | Sequence[str] | None) -> list[str] | None:
    if cols is None:
        return None
    return [cols] if isinstance(cols, str) else [str(c) for c in cols]


def _validated(value: Any, cls: type, name: str):
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.model_validate(value)
    raise TypeError(f"{name} must be a {cls.__name__} or a dict, got {type(value).__name__}")


def _package_version() -> str:
    try:
        return importlib.metadata.version("pymc-dice")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _min_periods(max_lag: int, horizon: int, val_fraction: float) -> int:
    """Fewest dates with ``max_lag + 2`` training dates and a held-out window >= horizon."""
    t = max_lag + horizon + 2
    while True:
        n_val = int(round(val_fraction * t))
        if n_val >= horizon and t - n_val >= max_lag + 2:
            return t
        t += 1


def _series_grid(series: pd.Index, dims: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Custom-dim coords and, per grid cell (C order), the panel series it holds."""
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
    pos = full.get_indexer(series)
    return {d: np.asarray(lv).astype(str) for d, lv in zip(dims, levels, strict=True)}, np.argsort(
        pos
    )


def _closed_loop(decoder, x, c, graph, start: int, horizon: int, n_channels: int) -> torch.Tensor:
    """Predictions ``[B, horizon, N]`` of dates ``start + 1 .. start + horizon``: teacher
    forcing up to ``start``, then a closed-loop rollout (channels as given), in row chunks."""
    out = []
    origin = torch.as_tensor([start], device=x.device)
    with torch.no_grad():
        for lo in range(0, x.shape[0], _ROW_CHUNK):
            sl = slice(lo, lo + _ROW_CHUNK)
            xb, cb, gb = x[sl], c[sl], graph[sl]
            _, states = decoder(xb[:, : start + 1], cb[:, : start + 1], gb, return_states=True)
            pred = rollout(decoder, xb, cb, gb, origin, horizon, n_channels, states=states)
            out.append(pred[:, 0])
    return torch.cat(out, 0)


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
        if not hasattr(self, "arms_"):
            raise NotFittedError("this DiceMMM is not fitted yet: call .fit(df) first")

    # ------------------------------------------------------------------------------------
    # identity
    # ------------------------------------------------------------------------------------

    def _roles_dict(self) -> dict:
        if hasattr(self, "roles_"):
            return self.roles_.to_dict()
        return {
            "date_column": self.date_column,
            "dims": _as_list(self.dims),
            "channel_columns": _as_list(self.channel_columns),
            "mediator_columns": _as_list(self.mediator_columns),
            "control_columns": _as_list(self.control_columns),
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
            channel_columns=_as_list(self.channel_columns),
            target_column=self.target_column,
            mediator_columns=_as_list(self.mediator_columns),
            control_columns=_as_list(self.control_columns),
            dims=_as_list(self.dims),
        )

    def _resolve_graph(self, roles: Roles) -> xr.DataArray | None:
        if self.graph is None:
            if self.model_cfg.arm == "oracle":
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
        dim_coords, grid = _series_grid(panel.series, roles.dims)
        n_draws = int(draws if draws is not None else DEFAULT_DRAWS)
        if n_draws < 1:
            raise ValueError(f"draws must be >= 1, got {n_draws}")
        if mcfg.arm not in DICE_ARMS:
            n_draws = 1
        seeds = [
            int(s)
            for s in np.random.default_rng(random_seed).integers(0, 2**31 - 1, size=tcfg.n_seeds)
        ]
        progress = tcfg.progressbar if progressbar is None else progressbar
        oracle = None if mcfg.arm != "oracle" else graph
        arms = fit_ensemble(panel, mcfg, tcfg, seeds=seeds, oracle=oracle, progressbar=progress)

        self.roles_ = roles
        self.graph_prior_ = graph
        self.panel_ = panel
        self.seeds_ = seeds
        self.arms_ = arms
        self._grid = (dim_coords, grid)
        self.graph_samples_ = self._sample_graphs(n_draws)
        self.n_draws_ = n_draws
        self.idata = self._build_idata()
        return self.idata

    @property
    def _device(self) -> torch.device:
        return next(self.arms_[0].decoder.parameters()).device

    def _sample_graphs(self, n_draws: int) -> np.ndarray:
        """Graph inputs ``[chain, draw, S, N, N]`` (float32) for predictions."""
        mcfg = self.model_cfg
        panel, device = self.panel_, self._device
        s_len, n = panel.values.shape[0], len(panel.nodes)
        out = np.zeros((len(self.arms_), n_draws, s_len, n, n), dtype=np.float32)
        x_train = None
        # support="effect" trains stage 2 on the selected graph only: predict with that graph
        sample = mcfg.support != "effect"
        for k, arm in enumerate(self.arms_):
            if sample and arm.arm in DICE_ARMS and arm.encoder is not None:
                if x_train is None:
                    x_train = torch.as_tensor(
                        panel.values[:, : panel.train_end], dtype=torch.float32, device=device
                    )
                cand = torch.as_tensor(arm.candidates, device=device)
                gen = torch.Generator(device=device).manual_seed(int(arm.seed))
                with torch.no_grad():
                    logits = arm.encoder(x_train)
                    for d in range(n_draws):
                        g = gumbel_sigmoid(logits, mcfg.tau, arm.arm == "dice-hard", generator=gen)
                        out[k, d] = g.masked_fill(~cand, 0.0).cpu().numpy()
            else:
                g = arm.graph_input()
                out[k] = 0.0 if g is None else np.asarray(g, dtype=np.float32)
        return out

    def _rollout_target(
        self, x: np.ndarray, c: np.ndarray, start: int, horizon: int, zero_channels: bool
    ) -> np.ndarray:
        """Target predictions ``[chain, draw, scenario, S, horizon]`` (scaled) of dates
        ``start + 1 .. start + horizon``; scenario 0 is ``x`` as given, scenario ``j + 1`` has
        channel ``j`` zeroed on every date (only with ``zero_channels``)."""
        device = self._device
        n_ch = self.panel_.n_channels
        xt = torch.as_tensor(x, dtype=torch.float32, device=device)  # [S, T, N]
        ct = torch.as_tensor(c, dtype=torch.float32, device=device)
        scen = [xt]
        if zero_channels:
            for j in range(n_ch):
                z = xt.clone()
                z[..., j] = 0.0
                scen.append(z)
        xs = torch.stack(scen)  # [K, S, T, N]
        n_k, s_len, t_len, n = xs.shape
        n_chain, n_draw = self.graph_samples_.shape[:2]
        out = np.zeros((n_chain, n_draw, n_k, s_len, horizon))
        for k, arm in enumerate(self.arms_):
            g = torch.as_tensor(self.graph_samples_[k], device=device)  # [D, S, N, N]
            xb = xs[None].expand(n_draw, -1, -1, -1, -1).reshape(-1, t_len, n)
            rows = n_draw * n_k * s_len
            cb = ct[None, None].expand(n_draw, n_k, -1, -1, -1).reshape(rows, t_len, ct.shape[-1])
            gb = g[:, None].expand(-1, n_k, -1, -1, -1).reshape(-1, n, n)
            pred = _closed_loop(arm.decoder, xb, cb, gb, start, horizon, n_ch)
            out[k] = pred[..., -1].reshape(n_draw, n_k, s_len, horizon).double().cpu().numpy()
        return out

    def _to_grid(self, arr: np.ndarray, series_axis: int) -> np.ndarray:
        """Move the series axis to the custom dims (C-order grid); dropped without dims."""
        dim_coords, grid = self._grid
        arr = np.take(arr, grid, axis=series_axis)
        shape = tuple(len(v) for v in dim_coords.values())
        return arr.reshape(arr.shape[:series_axis] + shape + arr.shape[series_axis + 1 :])

    def _build_idata(self) -> xr.DataTree:
        panel, mcfg = self.panel_, self.model_cfg
        roles = panel.roles
        warm = mcfg.max_lag
        t_len = len(panel.dates)
        pred = self._rollout_target(
            panel.values, panel.controls, warm - 1, t_len - warm, zero_channels=True
        )  # [chain, draw, C + 1, S, T - warm]
        n_chain, n_draw, _, s_len, _ = pred.shape
        y_obs = panel.values[..., -1]  # [S, T] scaled
        y_pred = np.broadcast_to(y_obs, (n_chain, n_draw, s_len, t_len)).copy()
        y_pred[..., warm:] = pred[:, :, 0]
        contrib = np.zeros((n_chain, n_draw, s_len, t_len, panel.n_channels))
        contrib[..., warm:, :] = np.moveaxis(pred[:, :, :1] - pred[:, :, 1:], 2, -1)

        raw = panel.node_scaler.inverse(panel.values)  # [S, T, N]
        ctrl = panel.control_scaler.inverse(panel.controls)
        n_ch = panel.n_channels
        edge_prob = self._edge_probability()
        attrs = {
            "id": self.id,
            "version": self.version,
            "arm": mcfg.arm,
            "model_config": mcfg.model_dump(mode="json"),
            "trainer_config": self.trainer_cfg.model_dump(mode="json"),
            "roles": roles.to_dict(),
            "seeds": self.seeds_,
            "warmup_dates": warm,
            "train_end": panel.train_end,
        }
        return build_idata(
            dates=panel.dates,
            dims=self._grid[0],
            channels=roles.channel_columns,
            nodes=panel.nodes,
            channel_contribution=self._to_grid(np.moveaxis(contrib, 2, 3), 3),
            y_pred=self._to_grid(np.moveaxis(y_pred, 2, 3), 3),
            edge_probability=edge_prob,
            channel_data=self._to_grid(raw[..., :n_ch].swapaxes(0, 1), 1),
            target_data=self._to_grid(raw[..., -1].T, 1),
            channel_scale=panel.node_scaler.scales[:n_ch],
            target_scale=float(panel.node_scaler.scales[-1]),
            control_data=self._to_grid(ctrl.swapaxes(0, 1), 1) if roles.control_columns else None,
            control_names=list(roles.control_columns) or None,
            fit_data=panel.to_frame(),
            date_column=roles.date_column,
            attrs=attrs,
        )

    def _arm_graph(self, arm: TrainedArm) -> np.ndarray | None:
        if arm.learned_graph is not None:
            return np.asarray(arm.learned_graph, dtype=float)
        if arm.fixed_graph is not None:
            return np.asarray(arm.fixed_graph, dtype=float)
        return None

    def _edge_probability(self) -> np.ndarray | None:
        graphs = [self._arm_graph(a) for a in self.arms_]
        if self.model_cfg.arm == "dense" or any(g is None for g in graphs):
            return None
        return np.stack(graphs)

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
        n = len(self.panel_.nodes)
        graphs = [self._arm_graph(a) for a in self.arms_]
        mean = np.mean([np.zeros((n, n)) if g is None else g for g in graphs], axis=0)
        return graph_dataarray(mean, self.panel_.nodes, name="edge_probability")

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
        n = len(self.panel_.nodes)
        votes = []
        for arm in self.arms_:
            g = arm.graph_input()
            g = np.zeros((n, n)) if g is None else np.asarray(g, dtype=float)
            if arm.arm == "causalmmm":
                g = (g > self.model_cfg.threshold).astype(float)
            votes.append(g != 0)
        sel = (np.mean(votes, axis=0) >= 0.5).astype(float)
        return graph_dataarray(sel, self.panel_.nodes, name="selected_graph")

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
        da = idata_roas(self.idata, by_dims=by_dims).mean("chain")
        if not by_dims or da.ndim == 1:
            return da.to_series().rename("roas")
        dims = [d for d in da.dims if d != "channel"]
        out = da.transpose(*dims, "channel").to_series().unstack("channel")
        out.columns.name = None
        return out[[str(c) for c in da["channel"].values]]

    # ------------------------------------------------------------------------------------
    # new dates
    # ------------------------------------------------------------------------------------

    def _future_inputs(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
        """Scaled ``x`` and ``c`` over fitted + new dates, and the new dates."""
        self._check_fitted()
        roles, panel = self.roles_, self.panel_
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
        x, c, dates = self._future_inputs(X)
        t_len = len(self.panel_.dates)
        pred = self._rollout_target(x, c, t_len - 1, len(dates), zero_channels=False)[:, :, 0]
        y = pred * float(self.panel_.node_scaler.scales[-1])  # [chain, draw, S, H]
        y = self._to_grid(np.moveaxis(y, 2, 3), 3)
        dim_coords = self._grid[0]
        n_chain, n_draw = y.shape[:2]
        da = xr.DataArray(
            y,
            dims=("chain", "draw", "date", *dim_coords),
            coords={
                "chain": np.arange(n_chain),
                "draw": np.arange(n_draw),
                "date": dates.as_unit("ns"),
                **dim_coords,
            },
            name="y",
            attrs={"units": "original"},
        )
        ds = da.to_dataset()
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
        from pymc_dice.diagnostics.checks import run_checks, to_markdown, verdict
        from pymc_dice.diagnostics.influence import influence
        from pymc_dice.diagnostics.swap import graph_swap

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
        inf = influence(self.arms_, panel, horizon=horizon, nodes=nodes)
        swap = graph_swap(self.arms_, panel, reference, horizon=horizon, seed=seed, nodes=nodes)
        results = run_checks(swap)
        try:
            final = verdict(results)
        except ValueError:
            final = "not available"
        swap = swap.rename({"cig": "swap_cig", "ar_cig": "swap_ar_cig"})
        swap = swap.rename({"input_graph": "swap_input_graph"})
        ds = xr.merge([inf, swap], combine_attrs="drop_conflicts", compat="override")
        names = [r.name for r in results]
        ds["verdict"] = xr.DataArray(np.str_(final))
        ds["check_status"] = xr.DataArray(
            np.array([r.status.value for r in results]), dims="check", coords={"check": names}
        )
        ds["check_message"] = xr.DataArray(
            np.array([r.message for r in results]), dims="check", coords={"check": names}
        )
        ds.attrs.update(
            {
                "horizon": horizon,
                "seed": int(seed),
                "reference": "none"
                if reference is None
                else ("truth" if truth is not None else "graph"),
                "report": to_markdown(results),
            }
        )
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
        roas = idata_roas(idata)
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
        """Write the fitted model to ONE zip file (layout in the module docstring).

        Parameters
        ----------
        path : str or PathLike
            File to write (any name; ``.dice`` or ``.zip`` is customary).
        overwrite : bool, default False
            Replace an existing file; otherwise an existing path raises ``FileExistsError``.

        Returns
        -------
        Path
            The written file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.dice"
        >>> mmm.save(path).name
        'model.dice'
        >>> mmm.save(path)
        Traceback (most recent call last):
        ...
        FileExistsError: ... exists; pass overwrite=True to replace it
        """
        self._check_fitted()
        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory; pass a file path")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        panel = self.panel_
        members: dict[str, bytes] = {}

        arrays: dict[str, np.ndarray] = {
            "values": panel.values,
            "controls": panel.controls,
            "dates": panel.dates.as_unit("ns").asi8,
            "node_scales": panel.node_scaler.scales,
            "control_scales": panel.control_scaler.scales,
            "graph_samples": self.graph_samples_,
            "candidates": np.asarray(self.arms_[0].candidates, dtype=bool),
        }
        if isinstance(panel.series, pd.MultiIndex):
            for k in range(panel.series.nlevels):
                arrays[f"series_{k}"] = np.asarray(panel.series.get_level_values(k)).astype(str)
        else:
            arrays["series_0"] = np.asarray(panel.series).astype(str)
        if self.graph_prior_ is not None:
            arrays["graph_prior"] = self.graph_prior_.transpose("source", "target").values
        arm_meta = []
        for k, arm in enumerate(self.arms_):
            for name in ("edge_prob", "fixed_graph"):
                value = getattr(arm, name)
                if value is not None:
                    arrays[f"{name}_{k}"] = np.asarray(value, dtype=float)
            if arm.selection is not None:
                arrays[f"selection_{k}"] = np.asarray(arm.selection.graph.values, dtype=float)
            weights = {"decoder": arm.decoder.state_dict()}
            if arm.encoder is not None:
                weights["encoder"] = arm.encoder.state_dict()
            if arm.restricted is not None:
                weights["restricted"] = arm.restricted.state_dict()
            weights = {
                m: {key: t.detach().cpu() for key, t in sd.items()} for m, sd in weights.items()
            }
            buf = io.BytesIO()
            torch.save(weights, buf)
            members[f"weights/chain_{k}.pt"] = buf.getvalue()
            arm_meta.append(
                {
                    "arm": arm.arm,
                    "seed": int(arm.seed),
                    "selection_method": None if arm.selection is None else arm.selection.method,
                    "history": arm.history,
                    "fit_seconds": float(arm.fit_seconds),
                    "interrupted": bool(arm.interrupted),
                }
            )
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        members["arrays.npz"] = buf.getvalue()
        with tempfile.TemporaryDirectory() as tmp:
            nc = Path(tmp) / "idata.nc"
            self.idata.to_netcdf(nc, engine="h5netcdf")
            members["idata.nc"] = nc.read_bytes()

        params = {k: getattr(self, k) for k in self._PARAMS if k not in ("graph",)}
        params["model_config"] = self.model_cfg.model_dump(mode="json")
        params["trainer_config"] = self.trainer_cfg.model_dump(mode="json")
        for key in ("channel_columns", "mediator_columns", "control_columns", "dims"):
            params[key] = _as_list(params[key])
        manifest = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "model_type": self._model_type,
            "version": self.version,
            "pymc_dice_version": _package_version(),
            "id": self.id,
            "params": params,
            "roles": self.roles_.to_dict(),
            "graph": self._graph_json(),
            "seeds": list(self.seeds_),
            "n_draws": int(self.n_draws_),
            "train_end": int(panel.train_end),
            "series_names": [str(n) for n in panel.series.names],
            "arms": arm_meta,
            "sha256": {name: _sha256(data) for name, data in members.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("manifest.json", json.dumps(manifest, indent=1))
                for name, data in members.items():
                    zf.writestr(name, data)
            os.replace(tmp_name, path)
        finally:
            if os.path.exists(tmp_name):
                os.remove(tmp_name)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, check: bool = True) -> DiceMMM:
        """Load a model written by :meth:`save`.

        Only plain data is read: JSON, ``npz`` with ``allow_pickle=False``, ``torch.load``
        with ``weights_only=True`` and netCDF.

        Parameters
        ----------
        path : str or PathLike
        check : bool, default True
            Check the model id recomputed from the stored configuration against the stored
            one, and each member's SHA-256.

        Raises
        ------
        ModelFileError
            Not a DiceMMM file (e.g. a pymc-marketing netCDF), a file saved by another model
            type or format version, a corrupted or modified member, or a model id mismatch.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from pymc_dice.simulate import sparse_target
        >>> df = sparse_target(n_series=4, n_periods=34, seed=0).df[["date", "geo", "tv", "y"]]
        >>> dates = sorted(df["date"].unique())
        >>> mmm = DiceMMM(model_config={"arm": "nograph"},
        ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
        >>> _ = mmm.fit(df[df["date"] < dates[30]], progressbar=False, random_seed=0)
        >>> path = mmm.save(pathlib.Path(tempfile.mkdtemp()) / "model.dice")
        >>> back = DiceMMM.load(path)
        >>> new = df[df["date"] >= dates[30]]
        >>> back.id == mmm.id, bool((back.predict(new) == mmm.predict(new)).all())
        (True, True)
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}")
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"{path} is not a DiceMMM save file (a zip archive written by DiceMMM.save); "
                "a pymc-marketing MMM saves a netCDF file: load it with "
                "pymc_marketing.mmm.MMM.load"
            )
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "manifest.json" not in names:
                raise ModelFileError(f"{path} is a zip archive but not a DiceMMM save file")
            try:
                manifest = json.loads(zf.read("manifest.json"))
            except (ValueError, UnicodeDecodeError) as err:
                raise ModelFileError(f"{path}: manifest.json is not valid JSON ({err})") from err
            if not isinstance(manifest, dict) or manifest.get("model_type") != cls._model_type:
                found = manifest.get("model_type") if isinstance(manifest, dict) else None
                raise ModelFileError(
                    f"{path} was saved by model type {found!r}, not {cls._model_type!r}"
                )
            if (
                manifest.get("format") != _FORMAT
                or manifest.get("format_version") != _FORMAT_VERSION
            ):
                raise ModelFileError(
                    f"{path} has format {manifest.get('format')!r} version "
                    f"{manifest.get('format_version')!r}; this pymc-dice reads {_FORMAT!r} "
                    f"version {_FORMAT_VERSION}"
                )
            digests = manifest.get("sha256", {})
            members: dict[str, bytes] = {}
            for name in digests:
                if name not in names:
                    raise ModelFileError(f"{path} lacks member {name!r}: the file is incomplete")
                members[name] = zf.read(name)
                if check and _sha256(members[name]) != digests[name]:
                    raise ModelFileError(
                        f"{path}: member {name!r} does not match its SHA-256 in the manifest: "
                        "the file is corrupted or was modified after saving"
                    )
        try:
            return cls._restore(manifest, members, check=check, path=path)
        except ModelFileError:
            raise
        except (KeyError, ValueError, TypeError, RuntimeError) as err:
            raise ModelFileError(f"{path}: cannot restore the model ({err})") from err

    @classmethod
    def _restore(cls, manifest: dict, members: dict[str, bytes], *, check: bool, path) -> DiceMMM:
        params = dict(manifest["params"])
        arrays = dict(np.load(io.BytesIO(members["arrays.npz"]), allow_pickle=False))
        roles = Roles(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in manifest["roles"].items()}
        )
        nodes = list(roles.nodes)
        graph = None
        if "graph_prior" in arrays:
            graph = graph_dataarray(arrays["graph_prior"], nodes, name="graph")
        model = cls(**params, graph=graph)
        mcfg, tcfg = model.model_cfg, model.trainer_cfg

        levels = [arrays[f"series_{k}"] for k in range(len(manifest["series_names"]))]
        if len(levels) > 1:
            series = pd.MultiIndex.from_arrays(levels, names=manifest["series_names"])
        else:
            series = pd.Index(levels[0], name=manifest["series_names"][0])
        panel = Panel(
            values=arrays["values"],
            controls=arrays["controls"],
            roles=roles,
            dates=pd.DatetimeIndex(arrays["dates"].astype("datetime64[ns]")),
            series=series,
            node_scaler=Scaler(roles.nodes, arrays["node_scales"]),
            control_scaler=Scaler(roles.control_columns, arrays["control_scales"]),
            train_end=int(manifest["train_end"]),
        )
        try:
            device = resolve_device(tcfg.device)
        except ValueError:
            logger.warning("device %r is not available: loading on the CPU", tcfg.device)
            device = torch.device("cpu")
        cand_np = arrays["candidates"]
        cand = torch.as_tensor(cand_np, device=device)
        n, n_ctrl = len(nodes), len(roles.control_columns)
        arms = []
        for k, meta in enumerate(manifest["arms"]):
            weights = torch.load(
                io.BytesIO(members[f"weights/chain_{k}.pt"]), map_location="cpu", weights_only=True
            )
            decoder, encoder, restricted = build_modules(mcfg, n, n_ctrl, cand)
            for module, key in (
                (decoder, "decoder"),
                (encoder, "encoder"),
                (restricted, "restricted"),
            ):
                if module is not None:
                    module.load_state_dict(weights[key])
                    module.to(device).eval()
                    if key == "encoder":
                        for p in module.parameters():
                            p.requires_grad_(False)
            selection = None
            if f"selection_{k}" in arrays:
                sel = graph_dataarray(arrays[f"selection_{k}"], nodes, name="selected_graph")
                selection = Selection(sel, meta["selection_method"], xr.Dataset())
            arms.append(
                TrainedArm(
                    arm=meta["arm"],
                    seed=int(meta["seed"]),
                    decoder=decoder,
                    candidates=cand_np,
                    encoder=encoder,
                    restricted=restricted,
                    edge_prob=arrays.get(f"edge_prob_{k}"),
                    selection=selection,
                    fixed_graph=arrays.get(f"fixed_graph_{k}"),
                    history=meta["history"],
                    fit_seconds=float(meta["fit_seconds"]),
                    interrupted=bool(meta["interrupted"]),
                )
            )
        model.roles_ = roles
        model.graph_prior_ = graph
        model.panel_ = panel
        model.seeds_ = [int(s) for s in manifest["seeds"]]
        model.arms_ = arms
        model._grid = _series_grid(panel.series, roles.dims)
        model.graph_samples_ = arrays["graph_samples"]
        model.n_draws_ = int(manifest["n_draws"])
        if check and model.id != manifest["id"]:
            raise ModelFileError(
                f"{path}: the model id recomputed from the stored configuration ({model.id}) "
                f"differs from the stored id ({manifest['id']}): the configuration was modified "
                "after saving, or the file comes from an incompatible DiceMMM version"
            )
        with tempfile.TemporaryDirectory() as tmp:
            nc = Path(tmp) / "idata.nc"
            nc.write_bytes(members["idata.nc"])
            with xr.open_datatree(nc, engine="h5netcdf") as tree:
                model.idata = tree.load()
        if check and model.idata.attrs.get("id") != manifest["id"]:
            raise ModelFileError(
                f"{path}: idata.nc belongs to model {model.idata.attrs.get('id')!r}, "
                f"not {manifest['id']!r}"
            )
        return model
