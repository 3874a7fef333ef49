"""Graph swap: one frozen decoder evaluated with different graph inputs (DESIGN.md section 7).

The decoder of a trained arm is never retrained; only its graph input changes:

- ``learned``: series-mean edge probabilities of the arm's encoder (arms with an encoder);
- ``selected``: the binary support the arm selected (DICE arms);
- ``oracle``: the true graph (when it is known);
- ``empty``: no edge; ``full``: every candidate edge;
- ``random``: a fixed-seed uniformly random set of candidate edges with as many edges as the
  oracle (without a truth: as the selected graph, else as the arm's deployed graph, at least
  one).

Metrics per input: ``mse_target@H`` and ``mse_all@H`` (closed-loop MSE over the held-out
validation origins, scaled units, on the target and on all non-channel nodes), and
``cig_nauprc`` / ``ar_cig_nauprc`` (the CIG / AR-CIG scored against the true graph over
candidate edges; NaN without a truth). The result is the ``graph_swap`` table read by
:mod:`pymc_dice.diagnostics.checks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
import xarray as xr

from pymc_dice.data import Panel
from pymc_dice.diagnostics.influence import (
    _as_data,
    _graph_values,
    _node_names,
    _param_like,
    ar_cig,
    cig,
    influence_origins,
)
from pymc_dice.diagnostics.metrics import nauprc
from pymc_dice.graph import graph_dataarray
from pymc_dice.train import PanelTensors, TrainedArm, rollout_errors

__all__ = ["GRAPH_INPUTS", "graph_swap", "swap_graphs"]

#: graph inputs in table order (those that do not apply to an arm are left out)
GRAPH_INPUTS = ("learned", "selected", "oracle", "empty", "full", "random")


def _truth_values(truth: xr.DataArray | np.ndarray, nodes: Sequence[str]) -> np.ndarray:
    if isinstance(truth, xr.DataArray):
        extra = [d for d in truth.dims if d not in ("source", "target")]
        if extra:
            raise ValueError(
                f"truth_graph has extra dims {extra}; pass one (source, target) graph, e.g. "
                "truth['graph'] of a single-graph simulation"
            )
        for dim in ("source", "target"):
            have = [str(v) for v in truth[dim].values]
            if set(have) != set(nodes):
                raise ValueError(
                    f"truth_graph's {dim} nodes {have} differ from the panel's nodes {list(nodes)}"
                )
        truth = truth.reindex(source=list(nodes), target=list(nodes)).transpose("source", "target")
    arr = np.asarray(_graph_values(truth), dtype=float)
    if arr.shape != (len(nodes), len(nodes)) or not np.isfinite(arr).all():
        raise ValueError(
            f"truth_graph must be a finite [source, target] graph over {list(nodes)}, "
            f"got shape {arr.shape}"
        )
    return arr


def swap_graphs(
    trained: TrainedArm,
    candidates: np.ndarray,
    truth: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The graph inputs of a graph swap, ``{name: [N, N] float array}`` in table order.

    Parameters
    ----------
    trained : TrainedArm
    candidates : bool array ``[N, N]``
    truth : array ``[N, N]``, optional
    seed : int
        Seed of the ``random`` input (the same graph for every chain of an ensemble whenever
        its density comes from the truth).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> cand = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]], bool)
    >>> arm = SimpleNamespace(learned_graph=None, selection=None, graph_input=lambda: cand * 1.0)
    >>> g = swap_graphs(arm, cand, truth=np.eye(3, k=1))
    >>> list(g), int(g["random"].sum()), bool((g["random"] <= cand).all())
    (['oracle', 'empty', 'full', 'random'], 2, True)
    """
    cand = np.asarray(candidates, dtype=bool)
    out: dict[str, np.ndarray] = {}
    if trained.learned_graph is not None:
        out["learned"] = np.where(cand, trained.learned_graph, 0.0)
    if trained.selection is not None:
        out["selected"] = np.asarray(trained.selection.graph.values, dtype=float)
    if truth is not None:
        out["oracle"] = np.asarray(truth, dtype=float)
    out["empty"] = np.zeros(cand.shape)
    out["full"] = cand.astype(float)
    if truth is not None:
        n_edges = int(np.count_nonzero(out["oracle"][cand]))
    elif "selected" in out:
        n_edges = int(np.count_nonzero(out["selected"][cand]))
    else:
        deployed = trained.graph_input()
        n_edges = 0 if deployed is None else int(round(float(np.asarray(deployed)[cand].sum())))
    n_edges = min(max(n_edges, 1), int(cand.sum()))
    rng = np.random.default_rng(seed)
    flat = np.flatnonzero(cand)
    rand = np.zeros(cand.size)
    rand[rng.choice(flat, size=n_edges, replace=False)] = 1.0
    out["random"] = rand.reshape(cand.shape)
    return out


def _score(values: np.ndarray, truth_da, cand_da, nodes, what: str, label: str) -> float:
    if truth_da is None:
        return float("nan")
    try:
        return float(nauprc(graph_dataarray(values, nodes), truth_da, cand_da))
    except ValueError as err:
        warnings.warn(f"graph_swap: {what} nAUPRC of input {label!r} is NaN: {err}", stacklevel=3)
        return float("nan")


def graph_swap(
    trained: TrainedArm | Sequence[TrainedArm],
    data: PanelTensors | Panel,
    truth_graph: xr.DataArray | np.ndarray | None = None,
    horizon: int = 7,
    seed: int = 0,
    nodes: Sequence[str] | None = None,
    *,
    chunk_size: int | None = None,
) -> xr.Dataset:
    """Evaluate one frozen trained decoder with every graph input (no retraining).

    Parameters
    ----------
    trained : TrainedArm or list of TrainedArm
        A list (seed ensemble) adds a leading ``chain`` dim (``seed`` coordinate).
    data : PanelTensors or Panel
        The panel the arm was trained on (scaled).
    truth_graph : DataArray ``(source, target)`` or array, optional
        The true direct graph; without it there is no ``oracle`` input and the nAUPRC metrics
        are NaN.
    horizon : int
        H of ``mse_*@H`` and of AR-CIG; origins are the held-out windows for this horizon
        (:func:`pymc_dice.diagnostics.influence.influence_origins`).
    seed : int
        Seed of the ``random`` input.
    nodes : sequence of str, optional
        Node names (from a Panel, else the truth's or the selected graph's coordinates).
    chunk_size : int, optional
        Series per vectorised influence batch.

    Returns
    -------
    xarray.Dataset
        ``graph_swap`` ``([chain,] graph_input, metric)`` with metrics ``mse_target@H``,
        ``mse_all@H``, ``cig_nauprc``, ``ar_cig_nauprc``; ``cig`` and ``ar_cig``
        ``([chain,] graph_input, source, target)``; ``input_graph`` (the graphs fed).

    Examples
    --------
    >>> from pymc_dice.config import ModelConfig, TrainerConfig
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> from pymc_dice.train import fit_arm
    >>> sim = sparse_target(n_series=4, n_periods=40, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> arm = fit_arm(panel, ModelConfig(arm="nograph", hidden_size=4),
    ...               TrainerConfig(epochs_stage2=1, horizon=2), progressbar=False)
    >>> ds = graph_swap(arm, panel, sim.truth["graph"], horizon=2)
    >>> ds["graph_swap"].sel(graph_input="empty").to_series().index.tolist()
    ['mse_target@2', 'mse_all@2', 'cig_nauprc', 'ar_cig_nauprc']
    """
    if isinstance(trained, (list, tuple)):
        if not trained:
            raise ValueError("graph_swap: empty seed ensemble")
        parts = [
            graph_swap(t, data, truth_graph, horizon, seed, nodes, chunk_size=chunk_size)
            for t in trained
        ]
        out = xr.concat(parts, dim="chain", join="outer", combine_attrs="override")
        return out.assign_coords(
            chain=np.arange(len(parts)), seed=("chain", [t.seed for t in trained])
        )
    device, dtype = _param_like(trained.decoder)
    tensors = _as_data(data, horizon, device)
    n = int(tensors.x.shape[-1])
    if nodes is None and isinstance(truth_graph, xr.DataArray) and not isinstance(data, Panel):
        nodes = [str(v) for v in truth_graph["source"].values]
    names = _node_names(trained, data, n, nodes)
    truth = None if truth_graph is None else _truth_values(truth_graph, names)
    cand = tensors.candidates.cpu().numpy().astype(bool)
    inputs = swap_graphs(trained, cand, truth, seed)

    origins = influence_origins(tensors, horizon)
    val = replace(tensors, val_origins=torch.as_tensor(origins, device=tensors.x.device))
    truth_da = None if truth is None else graph_dataarray((truth != 0).astype(int), names)
    cand_da = graph_dataarray(cand, names)
    metrics = [f"mse_target@{horizon}", f"mse_all@{horizon}", "cig_nauprc", "ar_cig_nauprc"]
    table, cigs, ar_cigs = [], [], []
    for label, g in inputs.items():
        g_t = torch.as_tensor(g, dtype=dtype, device=device)
        err = rollout_errors(trained.decoder, val, g_t, horizon)  # [S, O, H, N - n_channels]
        args = (trained.decoder, tensors.x, tensors.c, g, origins, tensors.n_channels)
        c_val = cig(*args, chunk_size=chunk_size)
        a_val = ar_cig(*args, horizon, chunk_size=chunk_size)
        cigs.append(c_val)
        ar_cigs.append(a_val)
        table.append(
            [
                float(err[..., -1].mean()),
                float(err.mean()),
                _score(c_val, truth_da, cand_da, names, "CIG", label),
                _score(a_val, truth_da, cand_da, names, "AR-CIG", label),
            ]
        )
    labels = list(inputs)
    coords = {"graph_input": labels, "source": names, "target": names}
    gdims = ("graph_input", "source", "target")
    return xr.Dataset(
        {
            "graph_swap": xr.DataArray(
                np.asarray(table), dims=("graph_input", "metric"),
                coords={"graph_input": labels, "metric": metrics},
            ),
            "cig": xr.DataArray(np.stack(cigs), dims=gdims, coords=coords),
            "ar_cig": xr.DataArray(np.stack(ar_cigs), dims=gdims, coords=coords),
            "input_graph": xr.DataArray(np.stack(list(inputs.values())), dims=gdims, coords=coords),
        },
        attrs={"horizon": int(horizon), "n_origins": len(origins), "arm": trained.arm, "random_seed": seed},
    )
