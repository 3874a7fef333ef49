"""The fitted seed ensemble: panel, fitted arms, graph draws, and what is computed from them.

:class:`FittedEnsemble` is where every prediction of a fitted model is made, each in one
place (see docs/concepts.md, "Contributions and ROAS", and docs/decisions.md):

- :meth:`FittedEnsemble.rollout_target`: THE closed-loop rollout of the target for every
  chain (seed) and draw (graph sample), through :func:`pymc_dice.nn.decoders.rollout`; the
  scenario axis carries the counterfactuals (each channel's spend set to zero);
- :meth:`FittedEnsemble.contributions`: fitted-window predictions and channel contributions
  (for a structural decoder, under every posterior draw of its parameters: the ``draw`` dim);
- :meth:`FittedEnsemble.roas`: ROAS from the results tree, through
  :func:`pymc_dice.idata.roas_from_totals`;
- :meth:`FittedEnsemble.forecast`: the target on new dates.

:class:`PanelTensors` (a panel on a torch device) and :func:`rollout_errors` (closed-loop
squared errors from the validation origins) serve the trainer and the diagnostics alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import xarray as xr
from torch.nn import functional as F

from pymc_dice.arms import TrainedArm, arm_spec
from pymc_dice.config import FIXED_SUPPORTS, ModelConfig
from pymc_dice.data import Panel, Roles, forecast_origins
from pymc_dice.diagnostics.edges import EFFECT_DELTA, inclusion_probability
from pymc_dice.exceptions import ConfigError
from pymc_dice.graph import candidate_mask, graph_dataarray
from pymc_dice.idata import (
    RESULT_DTYPE,
    SCHEMA_DTYPE,
    build_idata,
    check_results_memory,
    roas_table,
    series_grid,
)
from pymc_dice.idata import roas as idata_roas
from pymc_dice.nn import response as rsp
from pymc_dice.nn.decoders import Decoder, rollout
from pymc_dice.nn.device import to_device
from pymc_dice.nn.encoder import gumbel_sigmoid
from pymc_dice.nn.laplace import map_draws
from pymc_dice.nn.structural import series_sigma

__all__ = ["ROW_CHUNK", "FittedEnsemble", "PanelTensors", "rollout_errors", "series_grid"]

#: posterior draws evaluated together (vmap chunk) by structural decoders
DRAW_CHUNK = 16

#: batch rows (scenario x draw x series) per rollout chunk
ROW_CHUNK = 4096

#: bytes of the paths computed at once (scenario x draw x series x date x node): predictions
#: over many series run in series chunks of at most this size (docs/scaling.md)
CHUNK_BYTES = 256 * 2**20


@dataclass
class PanelTensors:
    """Device tensors of a panel, built once and shared by every seed and arm.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> data = PanelTensors.from_panel(panel, horizon=2, device=torch.device("cpu"))
    >>> tuple(data.x.shape), tuple(data.x_train.shape), tuple(data.c_train.shape)
    ((4, 30, 8), (4, 22, 8), (4, 22, 2))
    """

    x: torch.Tensor  # [S, T, N]
    c: torch.Tensor  # [S, T, C]
    train_end: int
    n_channels: int
    candidates: torch.Tensor  # [N, N] bool
    val_origins: torch.Tensor
    #: each channel's share of the total spend (original units) on the training dates, [K]
    spend_share: torch.Tensor | None = None
    node_scales: torch.Tensor | None = None  #: original units per scaled unit, [N]

    @classmethod
    def from_panel(cls, panel: Panel, horizon: int, device: torch.device) -> PanelTensors:
        """Tensors of ``panel`` on ``device``, with the forecast origins for ``horizon``."""
        t_len = len(panel.dates)
        origins = forecast_origins(panel.train_end, t_len, horizon)
        cand = candidate_mask(panel.nodes, panel.roles.channel_columns, panel.roles.target_column)
        return cls(
            x=to_device(panel.values, device),
            c=to_device(panel.decoder_controls, device),
            train_end=panel.train_end,
            n_channels=panel.n_channels,
            candidates=torch.as_tensor(cand.values, device=device),
            val_origins=torch.as_tensor(origins, device=device),
            spend_share=torch.as_tensor(panel.spend_share, device=device),
            node_scales=torch.as_tensor(panel.node_scaler.scales, device=device),
        )

    @property
    def x_train(self) -> torch.Tensor:
        """Node values on training dates, ``[S, train_end, N]``."""
        return self.x[:, : self.train_end]

    @property
    def c_train(self) -> torch.Tensor:
        """Controls on training dates, ``[S, train_end, C]``."""
        return self.c[:, : self.train_end]


def rollout_errors(
    decoder: Decoder, data: PanelTensors, graph: torch.Tensor, horizon: int, chunk: int = 256
) -> torch.Tensor:
    """Squared closed-loop errors on non-channel nodes, ``[S, O, horizon, N - n_channels]``,
    from every validation origin (no gradients; series in chunks to bound memory).

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> data = PanelTensors(torch.rand(4, 12, 8), torch.rand(4, 12, 2), 9, 5,
    ...                     torch.ones(8, 8).bool(), torch.tensor([8, 9]))
    >>> err = rollout_errors(GraphSafeDecoder(8, 2, hidden=4), data, torch.zeros(8, 8), 2)
    >>> tuple(err.shape)  # series, origins, horizon, non-channel nodes
    (4, 2, 2, 3)
    """
    out = []
    with torch.no_grad():
        for start in range(0, data.x.shape[0], chunk):
            sl = slice(start, start + chunk)
            g = graph[sl] if graph.dim() == 3 else graph
            pred = rollout(decoder, data.x[sl], data.c[sl], g, data.val_origins, horizon, data.n_channels)
            idx = data.val_origins[:, None] + torch.arange(1, horizon + 1, device=data.x.device)
            obs = data.x[sl][:, idx]
            out.append((pred - obs)[..., data.n_channels :] ** 2)
    return torch.cat(out, 0)


def sample_graphs(
    arms: Sequence[TrainedArm], panel: Panel, mcfg: ModelConfig, n_draws: int
) -> np.ndarray:
    """Graph inputs ``[chain, draw, S, N, N]`` (float32) for predictions: ``n_draws``
    Gumbel-sigmoid samples of each frozen encoder for arms with graph draws (unless stage 2
    trained on the selected graph, ``support="effect"`` or ``"granger"``, or is structural:
    its draws are parameter draws), else the deployed graph.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=20, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> arm = TrainedArm("nograph", 0, GraphSafeDecoder(8, 2, 4), None, fixed_graph=np.ones((8, 8)))
    >>> sample_graphs([arm], panel, ModelConfig(arm="nograph"), 1).shape
    (1, 1, 2, 8, 8)
    """
    device = next(arms[0].decoder.parameters()).device
    s_len, n = panel.values.shape[0], len(panel.nodes)
    out = np.zeros((len(arms), n_draws, s_len, n, n), dtype=np.float32)
    x_train = None
    # support="effect" / "granger" train stage 2 on the selected graph: predict with that graph
    sample = mcfg.support not in FIXED_SUPPORTS
    for k, arm in enumerate(arms):
        spec = arm.spec
        if sample and spec.graph_draws and arm.encoder is not None and arm.param_draws is None:
            if x_train is None:
                x_train = torch.as_tensor(
                    panel.values[:, : panel.train_end], dtype=torch.float32, device=device
                )
            cand = torch.as_tensor(arm.candidates, device=device)
            gen = torch.Generator(device=device).manual_seed(int(arm.seed))
            with torch.no_grad():
                logits = arm.encoder(x_train)
                for d in range(n_draws):
                    g = gumbel_sigmoid(logits, mcfg.tau, spec.hard_edges, generator=gen)
                    out[k, d] = g.masked_fill(~cand, 0.0).cpu().numpy()
        else:
            g = arm.graph_input()
            out[k] = 0.0 if g is None else np.asarray(g, dtype=np.float32)
    return out


@dataclass
class FittedEnsemble:
    """A fitted seed ensemble (``chain``) with its graph draws (``draw``).

    Attributes
    ----------
    roles : Roles
    panel : Panel
        The scaled fitted panel (with its scalers).
    arms : list of TrainedArm
        One fitted arm per seed.
    seeds : list of int
    graph_samples : ndarray ``[chain, draw, S, N, N]``
        Graph inputs of every prediction (drawn once, see :func:`sample_graphs`).
    model_config : ModelConfig

    Examples
    --------
    The default model has a structural decoder: its ``draw`` dim holds posterior draws of the
    decoder's parameters (one national series, two channels, tiny settings for speed):

    >>> from pymc_dice.mmm import DiceMMM
    >>> from pymc_dice.simulate import national, sparse_target
    >>> df = national(n_channels=2, n_periods=40, seed=0).df
    >>> mmm = DiceMMM(control_columns=["price", "event"],
    ...               trainer_config={"n_seeds": 1, "max_iter": 30})
    >>> idata = mmm.fit(df, progressbar=False, random_seed=0, draws=4)
    >>> ens = mmm.ensemble_
    >>> ens.structural, ens.n_draws, ens.device.type, ens.dim_coords  # no dims: one series
    (True, 4, 'cpu', {})
    >>> y_pred, contrib = ens.contributions()
    >>> same = bool(np.array_equal(contrib, ens.structural_contributions()[1]))
    >>> y_pred.shape, contrib.shape, same  # chain, draw, series, date (, channel)
    ((1, 4, 1, 40), (1, 4, 1, 40, 2), True)
    >>> ens.to_grid(y_pred, 2).shape  # series onto the custom dims: none here, dropped
    (1, 4, 40)

    Noise scale and pointwise log-likelihood of every draw (the ``log_likelihood`` group):

    >>> sigma, ll = ens.target_sigma(), ens.log_likelihood()
    >>> sigma.shape, bool((sigma > 0).all()), ll.shape, bool(np.isfinite(ll).all())
    ((1, 4, 1), True, (1, 4, 1, 40), True)
    >>> ds = ens.log_likelihood_dataset()
    >>> ds["y"].dims, bool(np.allclose(ds["y"], idata["log_likelihood"]["y"]))
    (('chain', 'draw', 'date'), True)
    >>> (x,) = ens.float64(ens.panel.values)
    >>> node_sigma = ens.map_arms(lambda g: lambda d: d.sigma())  # any function of a draw
    >>> scale = ens.arms[0].decoder.series_scale[:, -1].numpy()  # per series: sigma x scale
    >>> x.dtype, node_sigma.shape, bool(np.allclose(node_sigma[..., -1:] * scale, sigma))
    (torch.float64, (1, 4, 3), True)
    >>> chunks = ens.series_chunks(ens.path_bytes(3, 40))  # bounded memory: series in chunks
    >>> chunks, ens.map_series(lambda sl, i: lambda g: lambda d: d.sigma(), 1, axis=0).shape
    ([slice(0, 1, None)], (1, 4, 3))
    >>> ens.edge_inclusion().dims, float(ens.edge_inclusion(mean=True).max()) <= 1.0
    (('chain', 'source', 'target'), True)

    Response curves per deployed edge and draw (monotone, zero at zero spend; lag weights
    summing to one):

    >>> curves = ens.response_curves(n_points=5)
    >>> sat = curves["saturation"].sel(target="y", source=["tv", "social"])
    >>> sat.dims, bool((sat.isel(share=0) == 0).all()), bool((sat.diff("share") >= 0).all())
    (('chain', 'draw', 'source', 'share'), True, True)
    >>> bool(np.allclose(curves["carryover"].sel(target="y", source="tv").sum("lag"), 1.0))
    True

    The results tree is rebuilt exactly; ROAS and graphs are read from it and the arms:

    >>> tree = ens.to_idata(dict(idata.attrs))
    >>> sorted(tree.children) == sorted(idata.children), tree["log_likelihood"]["y"].dtype.name
    (True, 'float32')
    >>> bool(tree["posterior_predictive"]["y"].equals(idata["posterior_predictive"]["y"]))
    True
    >>> per_chain = ens.roas_per_chain(idata)
    >>> per_chain.dims, bool(np.allclose(ens.roas(idata), per_chain.mean("chain")))
    (('chain', 'channel'), True)
    >>> prob = ens.edge_probability()
    >>> prob.shape, bool(np.allclose(ens.mean_graph(), prob.mean(0)))  # chain, source, target
    ((1, 3, 3), True)
    >>> ens.selected_graph().sel(target="y").values.tolist()  # tv, social -> y
    [1.0, 1.0, 0.0]

    Forecast three weeks past the fitted dates, spend and controls held at their last value
    (``x`` and ``c`` span fitted and new dates, scaled):

    >>> p = ens.panel
    >>> dates = p.dates[-1] + pd.to_timedelta([7, 14, 21], "D")
    >>> x = np.concatenate([p.values, np.repeat(p.values[:, -1:], 3, 1)], 1)
    >>> c = np.concatenate([p.controls, np.repeat(p.controls[:, -1:], 3, 1)], 1)
    >>> fc = ens.forecast(x, c, dates)
    >>> fc.dims, fc.shape, fc.attrs["units"]
    (('chain', 'draw', 'date'), (1, 4, 3), 'original')
    >>> feats = p.time_features_for(p.dates.append(dates))[None]  # what the decoder reads
    >>> ahead = ens.structural_forecast(x, np.concatenate([c, feats], -1), 3)  # scaled
    >>> ahead.shape, bool(np.allclose(fc, ahead[:, :, 0] * p.node_scaler.scales[-1]))
    ((1, 4, 1, 3), True)

    A GRU arm has no parameter draws: its contributions come from :meth:`rollout_target`,
    actual spend minus each channel zeroed, after a teacher-forced warm-up of ``max_lag``:

    >>> df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
    >>> mmm = DiceMMM(model_config={"arm": "nograph"},
    ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
    >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
    >>> ens = mmm.ensemble_
    >>> y_pred, contrib = ens.contributions()
    >>> ens.structural, y_pred.shape, contrib.shape
    (False, (1, 1, 4, 30), (1, 1, 4, 30, 1))
    >>> p, warm = ens.panel, ens.model_config.max_lag
    >>> pred = ens.rollout_target(p.values, p.controls, warm - 1, 30 - warm, zero_channels=True)
    >>> pred.shape  # chain, draw, scenario (actual, tv zeroed), series, date
    (1, 1, 2, 4, 26)
    >>> bool(np.allclose(pred[:, :, 0], y_pred[..., warm:]))
    True
    >>> bool(np.allclose(pred[:, :, 0] - pred[:, :, 1], contrib[..., warm:, 0]))
    True
    >>> ens.dim_coords["geo"].tolist()[:2], ens.to_grid(y_pred, 2).shape
    (['geo_000', 'geo_001'], (1, 1, 4, 30))
    """

    roles: Roles
    panel: Panel
    arms: list[TrainedArm]
    seeds: list[int]
    graph_samples: np.ndarray
    model_config: ModelConfig

    def __post_init__(self) -> None:
        self.grid = series_grid(self.panel.series, self.roles.dims)
        self.cells = np.argsort(self.grid[1])  # grid cell (C order) of each panel series

    @property
    def n_draws(self) -> int:
        """Graph samples per chain."""
        return int(self.graph_samples.shape[1])

    @property
    def device(self) -> torch.device:
        """The device of the fitted modules."""
        return next(self.arms[0].decoder.parameters()).device

    @property
    def dim_coords(self) -> dict[str, np.ndarray]:
        """Custom-dim coordinates of the results (C-order grid of the series)."""
        return self.grid[0]

    def to_grid(self, arr: np.ndarray, series_axis: int) -> np.ndarray:
        """Move the series axis to the custom dims (C-order grid); dropped without dims."""
        return self._cells_to_dims(np.take(arr, self.grid[1], axis=series_axis), series_axis)

    def _cells_to_dims(self, arr: np.ndarray, axis: int) -> np.ndarray:
        """Split ``axis`` (grid cells, C order) into the custom dims (a view)."""
        shape = tuple(len(v) for v in self.dim_coords.values())
        return arr.reshape(arr.shape[:axis] + shape + arr.shape[axis + 1 :])

    def _write_cells(self, out: np.ndarray | None, sl: slice, part: np.ndarray, dtype) -> np.ndarray:
        """``part`` ``[chain, draw, s, T, ...]`` of series ``sl`` written into ``out`` ``[chain,
        draw, T, cell, ...]`` (cells in :meth:`to_grid` order; ``out=None``: new, ``dtype``)."""
        if out is None:
            shape = (*part.shape[:2], part.shape[3], len(self.cells), *part.shape[4:])
            out = np.empty(shape, dtype)
        out[:, :, :, self.cells[sl]] = part.swapaxes(2, 3)
        return out


    def rollout_target(
        self, x: np.ndarray, c: np.ndarray, start: int, horizon: int, zero_channels: bool
    ) -> np.ndarray:
        """Target predictions ``[chain, draw, scenario, S, horizon]`` (scaled) of dates
        ``start + 1 .. start + horizon``: teacher forcing up to ``start``, then closed loop.
        ``x`` is ``[S, T, N]`` (scenario 0; with ``zero_channels``, scenario ``j + 1`` has
        channel ``j`` zeroed on every date: the counterfactuals of the contributions) or
        ``[K, S, T, N]`` (K given scenarios, ``c`` shared or ``[K, S, T, C]``). Series run in
        chunks of :data:`CHUNK_BYTES`."""
        device, n_ch = self.device, self.panel.n_channels
        xt = torch.as_tensor(x, dtype=torch.float32, device=device)
        ct = torch.as_tensor(c, dtype=torch.float32, device=device)
        scen = list(xt) if xt.dim() == 4 else [xt]
        if zero_channels:
            scen += [xt.index_fill(-1, torch.tensor([j], device=device), 0.0) for j in range(n_ch)]
        xs = torch.stack(scen)  # [K, S, T, N]
        n_k, s_len, t_len, n = xs.shape
        ct = ct.expand(n_k, *ct.shape[-3:])  # [K, S, T, C]
        n_chain, n_draw = self.graph_samples.shape[:2]
        out = np.zeros((n_chain, n_draw, n_k, s_len, horizon))
        for sl in self.series_chunks(n_draw * n_k * t_len * n // 2):  # float32: half of 8 bytes
            xc, cc, b = xs[:, sl], ct[:, sl], sl.stop - sl.start
            for k, arm in enumerate(self.arms):
                g = torch.as_tensor(self.graph_samples[k, :, sl], device=device)  # [D, b, N, N]
                rows = n_draw * n_k * b
                xb = xc[None].expand(n_draw, -1, -1, -1, -1).reshape(rows, t_len, n)
                cb = cc[None].expand(n_draw, -1, -1, -1, -1).reshape(rows, t_len, ct.shape[-1])
                gb = g[:, None].expand(-1, n_k, -1, -1, -1).reshape(-1, n, n)
                pred = rsp.closed_loop(arm.decoder, xb, cb, gb, start, horizon, n_ch, ROW_CHUNK)
                pred = pred[..., -1].reshape(n_draw, n_k, b, horizon)
                out[k, :, :, sl] = pred.double().cpu().numpy()
        return out

    # ---- contributions, ROAS, forecasts ----

    def contributions(self) -> tuple[np.ndarray, np.ndarray]:
        """Fitted-window target ``[chain, draw, S, T]`` and channel contributions
        ``[chain, draw, S, T, C]``, scaled units.

        The first ``max_lag`` dates are a teacher-forced warm-up: the prediction there is the
        observed target and the contributions are 0. The contribution of channel ``j`` is the
        prediction with actual spend minus the prediction with ``j``'s spend zeroed on every
        date, warm-up included. Structural decoders: :meth:`structural_contributions`.
        """
        if self.structural:
            return self.structural_contributions()
        panel, warm, t_len = self.panel, self.model_config.max_lag, len(self.panel.dates)
        pred = self.rollout_target(
            panel.values, panel.controls, warm - 1, t_len - warm, zero_channels=True
        )  # [chain, draw, C + 1, S, T - warm]
        n_chain, n_draw, _, s_len, _ = pred.shape
        y_obs = panel.values[..., -1]  # [S, T] scaled
        y_pred = np.broadcast_to(y_obs, (n_chain, n_draw, s_len, t_len)).copy()
        y_pred[..., warm:] = pred[:, :, 0]
        contrib = np.zeros((n_chain, n_draw, s_len, t_len, panel.n_channels))
        contrib[..., warm:, :] = np.moveaxis(pred[:, :, :1] - pred[:, :, 1:], 2, -1)
        return y_pred, contrib

    # ---- structural decoders: the draw dim is the posterior of their parameters ----

    @property
    def structural(self) -> bool:
        """Whether the arms carry posterior draws of a structural decoder's parameters."""
        return all(a.param_draws is not None for a in self.arms)

    def map_arms(self, make_fn) -> np.ndarray:
        """``make_fn(graph)(decoder)`` under every posterior draw of every arm (``graph``: the
        arm's deployed graph, float64), stacked ``[chain, draw, ...]``; vectorised over
        draws, :data:`DRAW_CHUNK` at a time."""
        out = []
        for k, arm in enumerate(self.arms):
            g = torch.as_tensor(self.graph_samples[k, 0, 0], dtype=torch.float64, device=self.device)
            with torch.no_grad():
                res = map_draws(arm.decoder, arm.param_draws, make_fn(g), chunk_size=DRAW_CHUNK)
            out.append(res.cpu().numpy())
        return np.stack(out)

    def float64(self, *arrays: np.ndarray) -> list[torch.Tensor]:
        """Arrays as float64 tensors on the ensemble's device."""
        return [torch.as_tensor(a, dtype=torch.float64, device=self.device) for a in arrays]

    def series_chunks(self, per_series: int) -> list[slice]:
        """Slices of the series such that ``per_series`` float64 values per series stay
        within :data:`CHUNK_BYTES` per chunk (at least one series a chunk)."""
        s_len, size = len(self.panel.series), max(1, CHUNK_BYTES // max(1, 8 * per_series))
        return [slice(lo, min(lo + size, s_len)) for lo in range(0, s_len, size)]

    def _series_parts(self, make_fn, per_series: int):
        """:meth:`map_arms` per series chunk (:meth:`series_chunks`), yielding its slice and
        result: ``make_fn(sl, idx)`` is the ``make_fn`` of the series ``sl`` (indices ``idx``)."""
        for sl in self.series_chunks(per_series):
            idx = torch.arange(sl.start, sl.stop, device=self.device)
            yield sl, self.map_arms(make_fn(sl, idx))

    def map_series(self, make_fn, per_series: int, axis: int) -> np.ndarray:
        """:meth:`_series_parts` filling ``axis`` of one ``[chain, draw, ...]`` output."""
        out = None
        for sl, part in self._series_parts(make_fn, per_series):
            if out is None:
                shape = (*part.shape[:axis], len(self.panel.series), *part.shape[axis + 1 :])
                out = np.empty(shape, part.dtype)
            out[(slice(None),) * axis + (sl,)] = part
        return out

    def path_bytes(self, n_scenarios: int, n_dates: int) -> int:
        """The ``per_series`` of :meth:`series_chunks` for structural paths (lag window in)."""
        width = len(self.panel.nodes) * (self.model_config.adstock_max_lag + 2)
        return DRAW_CHUNK * n_scenarios * n_dates * width

    def _structural_parts(self):
        """:meth:`structural_contributions` per series chunk: yields its slice, target
        ``[chain, draw, s, T]`` and contributions ``[chain, draw, s, T, C]`` (float64)."""
        x, c = self.float64(self.panel.values, self.panel.decoder_controls)

        def make(sl, idx):
            return lambda g: lambda d: rsp.counterfactual_paths(d, x[sl], c[sl], g, series=idx)[..., -1]

        per_series = self.path_bytes(self.panel.n_channels + 1, x.shape[1])
        for sl, p in self._series_parts(make, per_series):  # p: [chain, draw, C + 1, s, T]
            yield sl, p[:, :, 0], np.moveaxis(p[:, :, :1] - p[:, :, 1:], 2, -1)

    def structural_contributions(self) -> tuple[np.ndarray, np.ndarray]:
        """Fitted-window target ``[chain, draw, S, T]`` and channel contributions
        ``[chain, draw, S, T, C]`` (scaled, float64) under
        every posterior draw: closed-loop paths from zero history over every fitted date,
        actual minus each channel zeroed (no warm-up: carryover from before the first date is
        unknown, as in pymc-marketing's MMM)."""
        y = contrib = None
        for sl, yp, cp in self._structural_parts():
            if y is None:  # [chain, draw, S, T (, C)]
                y = np.empty((*yp.shape[:2], len(self.panel.series), yp.shape[-1]))
                contrib = np.empty((*y.shape, cp.shape[-1]))
            y[:, :, sl], contrib[:, :, sl] = yp, cp
        return y, contrib

    def _result_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The tree's fitted target ``(chain, draw, date, *dims)`` (a structural decoder's with
        each draw's noise: the posterior predictive) and contributions ``(..., channel)``,
        scaled, :data:`~pymc_dice.idata.SCHEMA_DTYPE`: written series chunk by chunk."""
        whole = [(slice(None), *self.contributions())] if not self.structural else None
        y = contrib = None
        for sl, yp, cp in whole or self._structural_parts():
            y = self._write_cells(y, sl, yp, SCHEMA_DTYPE)
            contrib = self._write_cells(contrib, sl, cp, SCHEMA_DTYPE)
        if self.structural:  # posterior predictive: each draw's mean plus its noise
            gen, sigma = np.random.default_rng(list(self.seeds)), self.target_sigma()  # [c, d, S]
            # the [chain, draw, S, T] normal stream, one (chain, draw) at a time: no full array
            for k, d in np.ndindex(y.shape[:2]):
                noise = sigma[k, d, :, None] * gen.standard_normal((y.shape[3], y.shape[2]))
                y[k, d][:, self.cells] += noise.T
        return self._cells_to_dims(y, 3), self._cells_to_dims(contrib, 3)

    def target_sigma(self) -> np.ndarray:
        """Noise scale of the target ``[chain, draw, S]`` (scaled) of each draw and series."""
        return self.map_arms(lambda g: lambda d: series_sigma(d, len(self.panel.series))[:, -1])

    def log_likelihood(self) -> np.ndarray:
        """Pointwise Gaussian log-likelihood of the observed target ``[chain, draw, S, T]``
        (scaled), one step ahead (the first date from zero history): what ``az.loo`` reads."""
        return self.map_series(*self._log_likelihood_fn(), axis=2)

    def _log_likelihood_fn(self):
        """``make_fn`` and ``per_series`` of :meth:`log_likelihood` (:meth:`_series_parts`)."""
        x, c = self.float64(self.panel.values, self.panel.decoder_controls)
        xp, cp = F.pad(x, (0, 0, 1, 0)), F.pad(c, (0, 0, 1, 0))

        def make(sl, idx):
            def loglik(g, d):
                sigma = series_sigma(d, len(idx), idx)[:, None, -1]  # [s, 1]
                z = (x[sl, :, -1] - d(xp[sl], cp[sl], g, series=idx)[..., -1]) / sigma
                return -0.5 * z.square() - torch.log(sigma) - 0.5 * math.log(2 * math.pi)

            return lambda g: lambda d: loglik(g, d)

        n = len(self.panel.nodes)  # teacher forcing: every date at once, per edge
        return make, self.path_bytes(n, x.shape[1] + 1)

    def structural_forecast(self, x: np.ndarray, c: np.ndarray, horizon: int) -> np.ndarray:
        """Target ``[chain, draw, S, horizon]`` (scaled) after the fitted dates, per draw:
        teacher forcing over the fitted dates, then the closed loop. ``x``, ``c`` of shape
        ``[K, S, T, .]`` give ``K`` scenarios (``[chain, draw, K, S, horizon]``) that share
        the fitted dates: the history is run once and every scenario's rollout starts from it,
        all scenarios on one batch axis."""
        xt, ct = self.float64(x, c)
        batched = xt.dim() == 4
        xt, ct = (xt, ct.expand(xt.shape[0], *ct.shape[-3:])) if batched else (xt[None], ct[None])
        (n_k, _, t_len, n), t_fit, n_ch = xt.shape, len(self.panel.dates), self.panel.n_channels
        origin = torch.zeros(1, dtype=torch.long, device=xt.device)

        def make(sl, idx):
            xs, cs, b = xt[:, sl], ct[:, sl], len(idx)
            xf = xs[:, :, t_fit - 1 :].reshape(n_k * b, -1, n)  # the last fitted date onwards
            cf = cs[:, :, t_fit - 1 :].reshape(n_k * b, xf.shape[1], -1)

            def ahead(g, d):
                hist = (xs[0, :, :t_fit], cs[0, :, :t_fit], g)
                _, states = d(*hist, return_states=True, series=idx)
                st = states[:, -1:].repeat(n_k, 1, 1, 1)  # scenario-major, as xf
                pred = rollout(d, xf, cf, g, origin, horizon, n_ch, states=st)[:, 0, :, -1]
                return pred.reshape(n_k, b, horizon)

            return lambda g: lambda d: ahead(g, d)

        out = self.map_series(make, self.path_bytes(n_k + n, t_len), axis=3)  # [chain, draw, K, S, H]
        return out if batched else out[:, :, 0]

    def response_curves(self, n_points: int = 41, max_share: float = 2.0) -> xr.Dataset:
        """Response curves of every deployed edge under every draw: ``saturation`` (chain,
        draw, source, target, share) is ``beta * sat(a)``, the steady-state response of the
        target node to an adstocked source level ``a`` given as a ``share`` of the series' max
        (``0 .. max_share``), as a share of the target's series max; ``carryover`` (chain,
        draw, source, target, lag) the lag weights (a channel from lag 0, other sources from
        lag 1). Edges outside the deployed graph are NaN. Relative units are the decoder's
        own (every series is divided by its max), so one curve serves every geo."""
        grid = torch.linspace(0.0, max_share, n_points, dtype=torch.float64, device=self.device)
        sat = self.map_arms(lambda g: lambda d: rsp.saturation_curves(d, grid))
        carry = self.map_arms(lambda g: lambda d: rsp.carryover_weights(d))
        deployed = np.stack([np.asarray(a.graph_input(), dtype=float) != 0 for a in self.arms])
        mask = deployed[:, None, :, :, None]
        nodes, dims = list(self.panel.nodes), ("chain", "draw", "source", "target")
        coords = dict(chain=np.arange(sat.shape[0]), draw=np.arange(sat.shape[1]), source=nodes)
        coords.update(target=nodes, share=grid.cpu().numpy(), lag=np.arange(carry.shape[-1]))
        saturation = (dims + ("share",), np.where(mask, sat, np.nan))
        carryover = (dims + ("lag",), np.where(mask, carry, np.nan))
        return xr.Dataset({"saturation": saturation, "carryover": carryover}, coords=coords)

    def to_idata(self, attrs: dict, edge_probability=None) -> xr.DataTree:
        """The results tree (:func:`pymc_dice.idata.build_idata`): :meth:`_result_arrays`, edge
        probabilities (``edge_probability`` ``[chain, N, N]``, else the support's or arms'),
        data, scales; warns when the per-draw arrays would take over a quarter of the memory."""
        panel, roles, n_ch = self.panel, self.panel.roles, self.panel.n_channels
        sizes = (len(self.arms), self.n_draws, len(panel.series), len(panel.dates), n_ch)
        check_results_memory(*sizes, stacklevel=3)  # to_idata, fit, the caller of fit
        y_pred, contrib = self._result_arrays()
        raw = panel.node_scaler.inverse(panel.values)  # [S, T, N]
        ctrl = panel.control_scaler.inverse(panel.controls)
        edge_prob, sel = edge_probability, [a.selection for a in self.arms if a.selection]
        if edge_prob is None and self.structural and sel and sel[0].method == "granger":
            edge_prob = np.stack([s.evidence["probability"].fillna(0.0).values for s in sel])
        if edge_prob is None:
            edge_prob = self.edge_inclusion().values if self.structural else self.edge_probability()
        tree = build_idata(
            dates=panel.dates,
            dims=self.dim_coords,
            channels=roles.channel_columns,
            nodes=panel.nodes,
            channel_contribution=contrib,
            y_pred=y_pred,
            edge_probability=edge_prob,
            channel_data=self.to_grid(raw[..., :n_ch].swapaxes(0, 1), 1),
            target_data=self.to_grid(raw[..., -1].T, 1),
            channel_scale=panel.node_scaler.scales[:n_ch],
            target_scale=float(panel.node_scaler.scales[-1]),
            control_data=self.to_grid(ctrl.swapaxes(0, 1), 1) if roles.control_columns else None,
            control_names=list(roles.control_columns) or None,
            fit_data=panel.to_frame(),
            date_column=roles.date_column,
            attrs=attrs,
        )
        if self.structural:
            tree["log_likelihood"] = xr.DataTree(self.log_likelihood_dataset())
        return tree

    def log_likelihood_dataset(self) -> xr.Dataset:
        """The ``log_likelihood`` group: ``y`` ``(chain, draw, date, *dims)``, float32."""
        ll = None
        for sl, part in self._series_parts(*self._log_likelihood_fn()):
            ll = self._write_cells(ll, sl, part, RESULT_DTYPE)  # [chain, draw, T, cell]
        ll = self._cells_to_dims(ll, 3)
        coords = {"chain": np.arange(ll.shape[0]), "draw": np.arange(ll.shape[1])}
        coords.update(date=self.panel.dates.as_unit("ns"), **self.dim_coords)
        da = xr.DataArray(ll, dims=("chain", "draw", "date", *self.dim_coords), coords=coords)
        return xr.Dataset({"y": da})

    @staticmethod
    def roas_per_chain(idata: xr.DataTree, by_dims: bool = False) -> xr.DataArray:
        """ROAS ``(chain, [*dims,] channel)`` of a results tree: :func:`pymc_dice.idata.roas`."""
        return idata_roas(idata, by_dims=by_dims)

    @classmethod
    def roas(cls, idata: xr.DataTree, by_dims: bool = False) -> pd.Series | pd.DataFrame:
        """ROAS per channel, mean over chains: :func:`pymc_dice.idata.roas_table`."""
        return roas_table(idata, by_dims=by_dims)

    def forecast(self, x: np.ndarray, c: np.ndarray, dates: pd.DatetimeIndex) -> xr.DataArray:
        """Target on new ``dates`` ``(chain, draw, date, *dims)`` in original units, rolled
        out from the end of the fitted data; ``x``, ``c`` span fitted + new dates (scaled
        controls; the panel's time features are appended here). ``x`` of shape ``[K, S, T, N]``
        (``c`` shared or ``[K, S, T, C]``): ``K`` scenarios in one pass, a ``scenario`` dim."""
        t_len = len(self.panel.dates)
        feats = self.panel.time_features_for(self.panel.dates.append(dates))
        if feats.shape[1]:
            c = np.concatenate([c, np.broadcast_to(feats, (*c.shape[:-2], *feats.shape))], -1)
        scen = ("scenario",) if np.ndim(x) == 4 else ()
        if self.structural:
            pred = self.structural_forecast(x, c, len(dates))
        else:
            pred = self.rollout_target(x, c, t_len - 1, len(dates), zero_channels=False)
            pred = pred if scen else pred[:, :, 0]
        y = pred * float(self.panel.node_scaler.scales[-1])  # [chain, draw, (K,) S, H]
        y = self.to_grid(np.moveaxis(y, -1, -2), y.ndim - 1)
        coords = {"chain": np.arange(y.shape[0]), "draw": np.arange(y.shape[1])}
        dims = ("chain", "draw", *scen, "date", *self.dim_coords)
        coords.update(date=dates.as_unit("ns"), **self.dim_coords)
        return xr.DataArray(y, dims=dims, coords=coords, name="y", attrs={"units": "original"})

    def edge_probability(self) -> np.ndarray | None:
        """``[chain, N, N]`` graphs of the results (None when an arm has none, or for arms
        without edge probabilities)."""
        graphs = [a.reported_graph() for a in self.arms]
        if not arm_spec(self.model_config).has_edge_probability or any(g is None for g in graphs):
            return None
        return np.stack(graphs)

    def mean_graph(self) -> xr.DataArray:
        """Series-mean, then seed-mean edge probabilities ``(source, target)``."""
        n = len(self.panel.nodes)
        graphs = [a.reported_graph() for a in self.arms]
        mean = np.mean([np.zeros((n, n)) if g is None else g for g in graphs], axis=0)
        return graph_dataarray(mean, self.panel.nodes, name="edge_probability")

    def edge_inclusion(self, delta: float = EFFECT_DELTA, mean: bool = False) -> xr.DataArray:
        """Posterior probability that each deployed edge's mean effect exceeds ``delta`` of its
        target's mean level (:func:`~pymc_dice.nn.response.edge_effect_sizes` per draw):
        ``(chain, source, target)``, averaged over chains with ``mean=True``."""
        if not self.structural:
            raise ConfigError("edge_inclusion needs a structural decoder's posterior draws: "
                              "fit with model_config={'decoder': 'structural'}")
        (x,) = self.float64(self.panel.values)
        make = lambda sl, idx: lambda g: lambda d: rsp.edge_effect_sizes(d, x[sl], g, series=idx)  # noqa: E731
        per_series = self.path_bytes(len(self.panel.nodes), x.shape[1])
        # mean over series (summed chunk by chunk), then draws
        total = sum(p.sum(2) for _, p in self._series_parts(make, per_series))
        prob = inclusion_probability(total / len(self.panel.series), delta)
        prob = graph_dataarray(prob, self.panel.nodes, "edge_inclusion").rename(dim_0="chain")
        return prob.mean("chain") if mean else prob

    def selected_graph(self) -> xr.DataArray:
        """Edges in the deployed graph of at least half of the seeds ``(source, target)``."""
        n, threshold = len(self.panel.nodes), self.model_config.threshold
        supports = [arm.deployed_support(threshold) for arm in self.arms]
        votes = [np.zeros((n, n), dtype=bool) if g is None else g for g in supports]
        sel = (np.mean(votes, axis=0) >= 0.5).astype(float)
        return graph_dataarray(sel, self.panel.nodes, name="selected_graph")

