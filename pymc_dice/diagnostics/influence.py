"""Counterfactual influence graphs: CIG and AR-CIG (docs/concepts.md, "Measuring where the
attribution runs").

For a source node ``j`` and a forecast origin ``t`` the input ``x_j(t)`` is pulsed and the
change of the model's predictions is read:

- ``CIG[j, i]`` = mean over series and origins of ``|d xhat_i(t+1) / d x_j(t)|``, the
  one-step (teacher-forced) sensitivity;
- ``AR-CIG[j, i]`` = mean over series and origins of ``sum_{k=1..H} |d xhat_i(t+k) / d x_j(t)|``
  along the closed-loop rollout from ``t``: channels are exogenous and fed their *observed*
  values (a pulse on a channel at ``t`` does not change its future spend), mediators and the
  target are fed back from the model's own predictions. With ``H = 1`` AR-CIG equals CIG.

Decoders whose channels act in their own period (``uses_exog``, e.g. the structural decoder)
also respond on the pulse date itself: for a channel source ``j`` both add the same-date term
``|d xhat_i(t) / d x_j(t)|`` (``k = 0``), so a channel whose effect is entirely same-week is
not scored as having no edge (docs/concepts.md, "Measuring where the attribution runs").

``xhat_i`` is the model's prediction of node ``i`` for every node, channels included (a
channel's prediction is never fed back, and channels are never candidate targets, so those
columns do not enter any graph score). The state at origin ``t`` summarises ``x[:, :t]`` and
is not changed by the pulse. Origins default to the held-out validation windows:
``forecast_origins(train_end, T, H)``, the origins whose ``H`` targets all lie in validation
dates (``PanelTensors.val_origins`` when ``H`` is the trainer's horizon); CIG uses the same
origins so the two are comparable.

Two computations give the same numbers:

- :func:`cig` / :func:`ar_cig` (torch models): exact derivatives by forward-mode autograd
  (``torch.func.jvp`` vmapped over the ``N`` one-hot source tangents), batched over series x
  origins from the states of ONE teacher-forced pass. The only Python loops are over series
  chunks (memory) and the ``H`` rollout steps.
- :func:`cig_finite_difference` (any black box, e.g. a pymc-marketing MMM): central or
  forward differences of a numpy ``predict``, with the perturbed copies stacked on the batch
  axis. :func:`pymc_dice.diagnostics.reference.decoder_predictor` wraps a torch decoder as
  such a black box.

:func:`pymc_dice.diagnostics.reference.cig_naive` / ``ar_cig_naive`` perturb one (series,
origin, source) at a time and exist only as a reference for tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
import xarray as xr
from torch.func import jvp, vmap

from pymc_dice.data import Panel, forecast_origins
from pymc_dice.diagnostics.finite_difference import check_origins, cig_finite_difference
from pymc_dice.ensemble import PanelTensors
from pymc_dice.nn.decoders import Decoder, rollout_steps, teacher_forced

__all__ = [
    "FittedArmLike",
    "ar_cig",
    "cig",
    "cig_finite_difference",
    "decoder_tensors",
    "influence",
    "influence_origins",
    "param_like",
]

#: elements of the tangent states held at once by the autograd path (measured on CPU: larger
#: batches are memory-bound and slower); sets the default series chunk
_TANGENT_BUDGET = 2**20
#: elements of the teacher-forced states held at once (sets the series block of the one pass)
_STATE_BUDGET = 2**25


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------


@runtime_checkable
class FittedArmLike(Protocol):
    """What the diagnostics read of a fitted arm (e.g. :class:`pymc_dice.arms.TrainedArm`):
    its decoder, its graph inputs and its labels.

    Examples
    --------
    >>> from pymc_dice.arms import TrainedArm
    >>> arm = TrainedArm("nograph", 0, None, np.ones((2, 2), bool), fixed_graph=np.zeros((2, 2)))
    >>> isinstance(arm, FittedArmLike), arm.graph_input().sum(), arm.learned_graph
    (True, np.float64(0.0), None)
    """

    arm: str
    seed: int
    decoder: Decoder
    selection: Any  # a graph.Selection or None

    @property
    def learned_graph(self) -> np.ndarray | None:
        """Series-mean edge probabilities ``[N, N]``, or None without an encoder."""

    def graph_input(self) -> np.ndarray | None:
        """The graph the decoder is deployed with."""


def param_like(decoder: Decoder) -> tuple[torch.device, torch.dtype]:
    """The device and dtype of a decoder's parameters (CPU / default dtype without any).

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> param_like(GraphSafeDecoder(2, 0).double())
    (device(type='cpu'), torch.float64)
    """
    p = next(decoder.parameters(), None)
    return (
        (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.get_default_dtype())
    )


#: former private name, kept for callers that imported it
_param_like = param_like


def graph_values(graph: Any) -> Any:
    """A DataArray graph as its ``[..., source, target]`` values; anything else unchanged.

    Examples
    --------
    >>> from pymc_dice.graph import graph_dataarray
    >>> graph_values(graph_dataarray(np.eye(2, k=1), ["a", "b"]).T).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    if isinstance(graph, xr.DataArray):
        return graph.transpose(..., "source", "target").values
    return graph


def decoder_tensors(
    decoder: Decoder, x, c, graph
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x`` ``[S, T, N]``, controls ``c`` (zeros ``[S, T, n_controls]`` when None) and a
    ``[N, N]`` / ``[S, N, N]`` graph as tensors in the decoder's device and dtype, checked.

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> dec = GraphSafeDecoder(3, 0).double()
    >>> x, c, g = decoder_tensors(dec, np.zeros((2, 5, 3)), None, np.ones((3, 3)))
    >>> tuple(c.shape), g.dtype
    ((2, 5, 0), torch.float64)
    >>> decoder_tensors(dec, np.zeros((2, 5, 3)), None, np.ones((2, 2)))
    Traceback (most recent call last):
    ...
    ValueError: graph has shape (2, 2); expected [N, N] or [S, N, N] with N=3, S=2 ...
    """
    device, dtype = param_like(decoder)
    x = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=dtype, device=device)
    if x.dim() != 3:
        raise ValueError(f"x must be [series, time, node], got shape {tuple(x.shape)}")
    s, t_len, n = x.shape
    if c is None:
        c = x.new_zeros(s, t_len, decoder.n_controls)
    c = torch.as_tensor(c, dtype=dtype, device=device)
    if c.shape[:2] != (s, t_len):
        raise ValueError(f"c has shape {tuple(c.shape)} but x has {tuple(x.shape)}: need [S, T, C]")
    graph = graph_values(graph)
    graph = torch.as_tensor(graph, dtype=dtype, device=device)
    if (
        graph.shape[-2:] != (n, n)
        or graph.dim() not in (2, 3)
        or (graph.dim() == 3 and len(graph) != s)
    ):
        raise ValueError(
            f"graph has shape {tuple(graph.shape)}; expected [N, N] or [S, N, N] with N={n}, S={s} "
            "in [source, target] layout"
        )
    return x, c, graph


def influence_origins(data: Panel | PanelTensors, horizon: int = 7) -> np.ndarray:
    """Default forecast origins of the influence diagnostics: the held-out windows.

    ``forecast_origins(train_end, T, horizon)``: every origin whose ``horizon`` targets lie
    in the validation dates (equal to ``PanelTensors.val_origins`` when ``horizon`` is the
    trainer's horizon).

    Examples
    --------
    >>> import types
    >>> data = types.SimpleNamespace(train_end=10, x=np.zeros((1, 15, 2)))
    >>> influence_origins(data, horizon=2).tolist()
    [9, 10, 11, 12]
    """
    t_len = len(data.dates) if isinstance(data, Panel) else int(data.x.shape[1])
    return forecast_origins(int(data.train_end), t_len, int(horizon))


# --------------------------------------------------------------------------------------------
# exact autograd path
# --------------------------------------------------------------------------------------------


def _state_numel(decoder: Decoder, x: torch.Tensor) -> int:
    kw = {"series": [0]} if getattr(decoder, "per_series", False) else {}
    return decoder.init_state(1, x[:1], **kw).numel()


def _default_chunk(decoder: Decoder, x: torch.Tensor, n_origins: int) -> int:
    per_series = n_origins * x.shape[-1] * (_state_numel(decoder, x) + x.shape[-1])
    return max(1, _TANGENT_BUDGET // max(per_series, 1))


def _influence(
    decoder: Decoder,
    x,
    c,
    graph,
    origins,
    n_channels: int,
    horizon: int,
    chunk_size: int | None,
) -> torch.Tensor:
    """Per-series influence ``[S, source, target]``: sum over ``k = 1..horizon`` of
    ``|d xhat(t+k) / d x_j(t)|`` along the closed loop, averaged over origins."""
    x, c, graph = decoder_tensors(decoder, x, c, graph)
    s_len, t_len, n = x.shape
    horizon = int(horizon)
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if not 0 <= n_channels <= n:
        raise ValueError(f"n_channels={n_channels} must lie in [0, {n}]")
    o_np = check_origins(origins, t_len, horizon)
    same_date = bool(getattr(decoder, "uses_exog", False)) and n_channels > 0
    if same_date and o_np.min() < 1:
        raise ValueError(
            "origins must be >= 1 for a decoder with same-date channel effects (the response "
            "at the pulse date is predicted from the date before)"
        )
    origins_t = torch.as_tensor(o_np, device=x.device)
    n_o = len(o_np)
    chunk = chunk_size or _default_chunk(decoder, x, n_o)
    window = origins_t[:, None] + torch.arange(horizon + 1, device=x.device)  # [O, H+1]
    eye = torch.eye(n, dtype=x.dtype, device=x.device)
    stop = int(o_np.max()) + 2  # states up to the last origin (+1: a non-empty loop)
    state_numel = _state_numel(decoder, x)
    pass_chunk = max(chunk, _STATE_BUDGET // max(stop * state_numel, 1))
    out = []
    with torch.no_grad():  # forward-mode AD (jvp) is unaffected; no backward graph is kept
        for first in range(0, s_len, pass_chunk):
            # ONE teacher-forced pass over a large block of series; keep the origins' states
            sl = slice(first, first + pass_chunk)
            b_pass = x[sl].shape[0]
            g_pass = graph[sl] if graph.dim() == 3 else graph.expand(b_pass, n, n)
            rows_pass = torch.arange(first, first + b_pass, device=x.device)
            _, states = teacher_forced(
                decoder, x[sl, :stop], c[sl, :stop], g_pass, series=rows_pass, return_states=True
            )
            at_origins = states[:, origins_t]  # [b_pass, O, ...]
            before = states[:, origins_t - 1] if same_date else None  # states at t - 1
            del states
            for start in range(0, b_pass, chunk):  # the jvp in small, cache-friendly chunks
                idx = slice(first + start, first + start + chunk)
                xs, cs = x[idx], c[idx]
                b = xs.shape[0]
                gs = graph[idx] if graph.dim() == 3 else graph.expand(b, n, n)
                rows = b * n_o
                state0 = at_origins[start : start + b].reshape(rows, *at_origins.shape[2:])
                xw = xs[:, window].reshape(rows, horizon + 1, n)
                cw = cs[:, window].reshape(rows, horizon + 1, -1)
                g = gs.unsqueeze(1).expand(b, n_o, n, n).reshape(rows, n, n)

                observed = [xw[:, k + 1] for k in range(horizon)]
                controls = [cw[:, k + 1] for k in range(horizon)]

                def rolled(x0, state0=state0, observed=observed, controls=controls, g=g):
                    return rollout_steps(decoder, state0, x0, observed, controls, g, n_channels)

                def tangent_out(v, x0=xw[:, 0], f=rolled):
                    return jvp(f, (x0,), (v,))[1]

                tangents = eye[:, None, :].expand(n, rows, n)  # one-hot pulse on source j
                d = vmap(tangent_out)(tangents)  # [source, rows, H, target]
                per = d.abs().sum(2).reshape(n, b, n_o, n).mean(2)  # [source, b, target]
                if same_date:  # k = 0: a channel acts on its own date
                    prev = before[start : start + b].reshape(rows, *before.shape[2:])
                    x_prev = xs[:, origins_t - 1].reshape(rows, n)
                    k0 = same_date_response(
                        decoder, prev, x_prev, cw[:, 0], g, xw[:, 0], n_channels
                    )
                    per[:n_channels] += k0.abs().reshape(n_channels, b, n_o, n).mean(2)
                out.append(per.permute(1, 0, 2).to(torch.float64))
    return torch.cat(out, 0)


def same_date_response(decoder: Decoder, state, x_prev, c_now, graph, x_now, n_channels: int):
    """``d xhat(t) / d x_j(t)`` for channel sources ``j``: ``[n_channels, rows, N]``, the
    same-date (k = 0) response of a decoder whose channels act in their own period.

    ``state`` summarises the history before ``t - 1``, ``x_prev`` is ``x(t - 1)``, ``c_now``
    and ``x_now`` the controls and values of date ``t``.

    Examples
    --------
    >>> from pymc_dice.nn.structural import StructuralDecoder
    >>> dec = StructuralDecoder(3, 0, n_channels=1, max_lag=2)
    >>> x, g = torch.rand(1, 4, 3), torch.ones(3, 3)
    >>> _, states = dec(x, torch.zeros(1, 4, 0), g, return_states=True)
    >>> d0 = same_date_response(dec, states[:, 1], x[:, 1], torch.zeros(1, 0), g, x[:, 2], 1)
    >>> d0.shape, bool(d0[0, 0, 2] > 0)  # tv moves y on its own date
    (torch.Size([1, 1, 3]), True)
    """
    exog = x_now[:, :n_channels]

    def pred(e):
        return decoder.step(state, x_prev, c_now, graph, exog_next=e)[1]

    eye = torch.eye(n_channels, dtype=exog.dtype, device=exog.device)
    tangents = eye[:, None, :].expand(n_channels, exog.shape[0], n_channels)
    out = vmap(lambda v: jvp(pred, (exog,), (v,))[1])(tangents)
    # a channel's "prediction" is its given value: no response of one channel to another
    return torch.cat([torch.zeros_like(out[..., :n_channels]), out[..., n_channels:]], -1)


def _reduce(per_series: torch.Tensor | np.ndarray, reduce: bool) -> np.ndarray:
    arr = per_series.cpu().numpy() if torch.is_tensor(per_series) else np.asarray(per_series)
    return arr.mean(0) if reduce else arr


def cig(
    decoder: Decoder,
    x,
    c,
    graph,
    origins,
    n_channels: int,
    *,
    reduce: bool = True,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Counterfactual influence graph ``CIG[source, target]`` by exact forward-mode autograd.

    ``CIG[j, i]`` = mean over series and origins ``t`` of ``|d xhat_i(t+1) / d x_j(t)|``,
    the teacher-forced one-step prediction from the state at ``t``.

    Parameters
    ----------
    decoder : Decoder
        Any decoder with the ``step`` interface (its dtype and device are used).
    x, c : array or tensor
        Panel ``[S, T, N]`` and controls ``[S, T, C]`` (``c=None``: no controls), scaled.
    graph : array, tensor or DataArray
        Graph input ``[N, N]`` or per series ``[S, N, N]``, ``[source, target]`` layout.
    origins : sequence of int
        Forecast origins ``t`` (``t + 1 <= T - 1``).
    n_channels : int
        Leading channel nodes (exogenous; kept for a signature shared with :func:`ar_cig`).
    reduce : bool
        False returns the per-series values ``[S, N, N]`` (mean over origins only).
    chunk_size : int, optional
        Series per vectorised batch (default: bounded by a tangent-memory budget).

    Returns
    -------
    numpy.ndarray
        ``[N, N]`` (or ``[S, N, N]``), float64, ``[source, target]``.

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> _ = torch.manual_seed(0)
    >>> dec = GraphSafeDecoder(3, 0, hidden=4)
    >>> graph = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0.0]])
    >>> out = cig(dec, np.random.rand(2, 6, 3), None, graph, [2, 3], n_channels=1)
    >>> out.shape, bool(out[0, 2] == 0), bool(out[0, 1] > 0)
    ((3, 3), True, True)
    """
    return _reduce(_influence(decoder, x, c, graph, origins, n_channels, 1, chunk_size), reduce)


def ar_cig(
    decoder: Decoder,
    x,
    c,
    graph,
    origins,
    n_channels: int,
    horizon: int = 7,
    *,
    reduce: bool = True,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Autoregressive CIG ``AR-CIG[source, target]`` by exact forward-mode autograd.

    ``AR-CIG[j, i]`` = mean over series and origins ``t`` of
    ``sum_{k=1..H} |d xhat_i(t+k) / d x_j(t)|`` along the closed-loop rollout from ``t``
    (channels fed observed, mediators and target fed back). Arguments as in :func:`cig`;
    origins need ``t + horizon <= T - 1``.

    Returns
    -------
    numpy.ndarray
        ``[N, N]`` (or ``[S, N, N]`` with ``reduce=False``), float64.

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> _ = torch.manual_seed(0)
    >>> dec = GraphSafeDecoder(3, 0, hidden=4)
    >>> graph = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0.0]])
    >>> x = np.random.rand(2, 8, 3)
    >>> bool(ar_cig(dec, x, None, graph, [2, 3], 1, horizon=1)[0, 2] == 0)  # no 1-step path
    True
    >>> bool(ar_cig(dec, x, None, graph, [2, 3], 1, horizon=2)[0, 2] > 0)  # 0 -> 1 -> 2
    True
    """
    return _reduce(
        _influence(decoder, x, c, graph, origins, n_channels, horizon, chunk_size), reduce
    )


# --------------------------------------------------------------------------------------------
# trained arms -> labelled Dataset
# --------------------------------------------------------------------------------------------


def node_names(trained: FittedArmLike, data: Panel | PanelTensors, n: int, nodes) -> list[str]:
    """Node names of ``n`` nodes: ``nodes``, else a Panel's, else the arm's selected graph's.

    Examples
    --------
    >>> import types
    >>> node_names(types.SimpleNamespace(selection=None), None, 2, None)
    ['node_0', 'node_1']
    """
    if nodes is not None:
        names = [str(v) for v in nodes]
    elif isinstance(data, Panel):
        names = list(data.nodes)
    elif trained.selection is not None:
        names = [str(v) for v in trained.selection.graph["source"].values]
    else:
        names = [f"node_{k}" for k in range(n)]
    if len(names) != n:
        raise ValueError(f"{len(names)} node names {names} for a panel of {n} nodes")
    return names


def as_panel_tensors(
    data: Panel | PanelTensors, horizon: int, device: torch.device
) -> PanelTensors:
    """A Panel as :class:`~pymc_dice.ensemble.PanelTensors` on ``device`` (tensors unchanged).

    Examples
    --------
    >>> as_panel_tensors(np.zeros(2), 1, torch.device("cpu"))
    Traceback (most recent call last):
    ...
    TypeError: expected a Panel or PanelTensors, got ndarray
    """
    if isinstance(data, Panel):
        return PanelTensors.from_panel(data, horizon, device)
    if isinstance(data, PanelTensors):
        return data
    raise TypeError(f"expected a Panel or PanelTensors, got {type(data).__name__}")


def influence(
    trained: FittedArmLike | Sequence[FittedArmLike],
    panel_or_data: Panel | PanelTensors,
    graph=None,
    horizon: int = 7,
    origins=None,
    *,
    nodes: Sequence[str] | None = None,
    chunk_size: int | None = None,
) -> xr.Dataset:
    """CIG and AR-CIG of a trained arm (or a seed ensemble) as a labelled Dataset.

    Parameters
    ----------
    trained : FittedArmLike or list of FittedArmLike
        A list (seed ensemble) adds a leading ``chain`` dim (with a ``seed`` coordinate).
    panel_or_data : Panel or PanelTensors
        The scaled panel the arm was trained on.
    graph : array or DataArray, optional
        Graph input ``[N, N]`` / ``[S, N, N]``; default ``trained.graph_input()`` (the graph the
        decoder is deployed with).
    horizon : int
        H of AR-CIG (default 7).
    origins : sequence of int, optional
        Forecast origins; default :func:`influence_origins` (the held-out validation windows
        for this horizon).
    nodes : sequence of str, optional
        Node names (taken from a Panel, else from the arm's selected graph).
    chunk_size : int, optional
        Series per vectorised batch.

    Returns
    -------
    xarray.Dataset
        ``cig`` and ``ar_cig`` with dims ``([chain,] source, target)``; attrs ``horizon`` and
        ``n_origins``.

    Examples
    --------
    >>> from pymc_dice.config import ModelConfig, TrainerConfig
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> from pymc_dice.train import fit_arm
    >>> sim = sparse_target(n_series=4, n_periods=40, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> arm = fit_arm(panel, ModelConfig(arm="fullgraph", hidden_size=4),
    ...               TrainerConfig(epochs_stage2=1), progressbar=False)
    >>> ds = influence(arm, panel, horizon=2)
    >>> ds["ar_cig"].dims, float(ds["ar_cig"].sel(source="y", target="visits"))  # no y -> visits
    (('source', 'target'), 0.0)
    """
    if isinstance(trained, (list, tuple)):
        if not trained:
            raise ValueError("influence: empty seed ensemble")
        parts = [
            influence(t, panel_or_data, graph, horizon, origins, nodes=nodes, chunk_size=chunk_size)
            for t in trained
        ]
        out = xr.concat(parts, dim="chain", combine_attrs="override")
        return out.assign_coords(
            chain=np.arange(len(parts)), seed=("chain", [t.seed for t in trained])
        )
    device, _ = param_like(trained.decoder)
    data = as_panel_tensors(panel_or_data, horizon, device)
    n = int(data.x.shape[-1])
    names = node_names(trained, panel_or_data, n, nodes)
    g = trained.graph_input() if graph is None else graph
    if isinstance(g, xr.DataArray) and "source" in g.coords:
        g = g.reindex(source=names, target=names)  # node order of the panel, never transposed
    if g is None:
        raise ValueError(f"arm {trained.arm!r} has no graph input; pass graph=...")
    o = influence_origins(data, horizon) if origins is None else origins
    args = (trained.decoder, data.x, data.c, g, o, data.n_channels)
    coords = {"source": names, "target": names}
    dims = ("source", "target")
    return xr.Dataset(
        {
            "cig": xr.DataArray(cig(*args, chunk_size=chunk_size), dims=dims, coords=coords),
            "ar_cig": xr.DataArray(
                ar_cig(*args, horizon, chunk_size=chunk_size), dims=dims, coords=coords
            ),
        },
        attrs={
            "horizon": int(horizon),
            "n_origins": len(np.asarray(o).reshape(-1)),
            "arm": trained.arm,
        },
    )
