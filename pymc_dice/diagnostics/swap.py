"""Graph swap: one frozen decoder evaluated with different graph inputs (docs/concepts.md,
"Measuring where the attribution runs").

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
from dataclasses import dataclass, replace

import numpy as np
import torch
import xarray as xr

from pymc_dice.data import Panel
from pymc_dice.diagnostics.checks import run_checks, to_markdown, verdict
from pymc_dice.diagnostics.influence import (
    FittedArmLike,
    ar_cig,
    as_panel_tensors,
    cig,
    graph_values,
    influence_origins,
    node_names,
    param_like,
)
from pymc_dice.diagnostics.metrics import nauprc
from pymc_dice.ensemble import PanelTensors, rollout_errors
from pymc_dice.graph import graph_dataarray

__all__ = [
    "GRAPH_INPUTS",
    "GraphInputScore",
    "diagnose_arms",
    "graph_swap",     "score_graph_input",
    "swap_graphs",
]

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
    arr = np.asarray(graph_values(truth), dtype=float)
    if arr.shape != (len(nodes), len(nodes)) or not np.isfinite(arr).all():
        raise ValueError(
            f"truth_graph must be a finite [source, target] graph over {list(nodes)}, "
            f"got shape {arr.shape}"
        )
    return arr


def swap_graphs(
    trained: FittedArmLike,
    candidates: np.ndarray,
    truth: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The graph inputs of a graph swap, ``{name: [N, N] float array}`` in table order.

    Parameters
    ----------
    trained : FittedArmLike
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


def _nauprc_or_nan(values: np.ndarray, truth_da, cand_da, nodes, what: str, label: str) -> float:
    if truth_da is None:
        return float("nan")
    try:
        return float(nauprc(graph_dataarray(values, nodes), truth_da, cand_da))
    except ValueError as err:
        warnings.warn(f"graph_swap: {what} nAUPRC of input {label!r} is NaN: {err}", stacklevel=4)
        return float("nan")


@dataclass
class GraphInputScore:
    """Scores of one decoder fed one graph input (scaled units; NaN nAUPRC without a truth).

    Examples
    --------
    >>> s = GraphInputScore(0.5, 0.25, np.zeros((2, 2)), np.zeros((2, 2)), 0.1, 0.2)
    >>> s.row()
    [0.5, 0.25, 0.1, 0.2]
    """

    mse_target: float
    mse_all: float
    cig: np.ndarray  # [source, target]
    ar_cig: np.ndarray  # [source, target]
    cig_nauprc: float
    ar_cig_nauprc: float

    def row(self) -> list[float]:
        """``[mse_target@H, mse_all@H, cig_nauprc, ar_cig_nauprc]`` (the swap table's row)."""
        return [self.mse_target, self.mse_all, self.cig_nauprc, self.ar_cig_nauprc]


def score_graph_input(
    decoder,
    data: PanelTensors,
    graph: np.ndarray,
    horizon: int,
    *,
    nodes: Sequence[str],
    truth: xr.DataArray | None = None,
    candidates: xr.DataArray | None = None,
    label: str = "graph",
    chunk_size: int | None = None,
) -> GraphInputScore:
    """Score a frozen decoder fed ``graph``: closed-loop MSE@H and CIG / AR-CIG with their
    nAUPRC against ``truth``, over the held-out origins for ``horizon``
    (:func:`~pymc_dice.diagnostics.influence.influence_origins`).

    Parameters
    ----------
    decoder : Decoder
    data : PanelTensors
        The scaled panel the decoder was trained on.
    graph : array ``[N, N]`` or ``[S, N, N]``
    horizon : int
    nodes : sequence of str
    truth : DataArray ``(source, target)`` of 0 / 1, optional
        Labels of the nAUPRC (NaN without it); ``candidates`` are then required.
    candidates : DataArray ``(source, target)`` of bool, optional
    label : str
        Name of the input in warnings.
    chunk_size : int, optional
        Series per vectorised influence batch.

    Examples
    --------
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> data = PanelTensors(torch.rand(2, 12, 3), torch.zeros(2, 12, 0), 8, 1,
    ...                     torch.ones(3, 3).bool(), torch.tensor([7, 8]))
    >>> s = score_graph_input(GraphSafeDecoder(3, 0, hidden=4), data, np.ones((3, 3)), 2,
    ...                       nodes=["a", "b", "c"])
    >>> s.ar_cig.shape, bool(np.isnan(s.ar_cig_nauprc))
    ((3, 3), True)
    """
    device, dtype = param_like(decoder)
    origins = influence_origins(data, horizon)
    val = replace(data, val_origins=torch.as_tensor(origins, device=data.x.device))
    g_t = torch.as_tensor(graph, dtype=dtype, device=device)
    err = rollout_errors(decoder, val, g_t, horizon)  # [S, O, H, N - n_channels]
    args = (decoder, data.x, data.c, graph, origins, data.n_channels)
    c_val = cig(*args, chunk_size=chunk_size)
    a_val = ar_cig(*args, horizon, chunk_size=chunk_size)
    return GraphInputScore(
        float(err[..., -1].mean()),
        float(err.mean()),
        c_val,
        a_val,
        _nauprc_or_nan(c_val, truth, candidates, nodes, "CIG", label),
        _nauprc_or_nan(a_val, truth, candidates, nodes, "AR-CIG", label),
    )


def _same_input(a, b) -> bool:
    """Whether two graphs become the same float32 tensor (so every score is the same)."""
    a32, b32 = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return a32.shape == b32.shape and np.array_equal(a32, b32)


def graph_swap(
    trained: FittedArmLike | Sequence[FittedArmLike],
    data: PanelTensors | Panel,
    truth_graph: xr.DataArray | np.ndarray | None = None,
    horizon: int = 7,
    seed: int = 0,
    nodes: Sequence[str] | None = None,
    *,
    chunk_size: int | None = None,
    deployed: bool = False,
) -> xr.Dataset:
    """Evaluate one frozen trained decoder with every graph input (no retraining).

    Parameters
    ----------
    trained : TrainedArm or list of TrainedArm
        Any fitted arm (:class:`~pymc_dice.diagnostics.influence.FittedArmLike`); a list
        (seed ensemble) adds a leading ``chain`` dim (``seed`` coordinate).
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
    deployed : bool, default False
        Also return ``deployed_cig`` and ``deployed_ar_cig`` ``([chain,] source, target)``:
        the influence with the arm's deployed graph (``graph_input()``), taken from the
        swap input that equals it when there is one, so it is computed once.

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
            graph_swap(
                t, data, truth_graph, horizon, seed, nodes, chunk_size=chunk_size, deployed=deployed
            )
            for t in trained
        ]
        out = xr.concat(parts, dim="chain", join="outer", combine_attrs="override")
        return out.assign_coords(
            chain=np.arange(len(parts)), seed=("chain", [t.seed for t in trained])
        )
    device, _ = param_like(trained.decoder)
    tensors = as_panel_tensors(data, horizon, device)
    n = int(tensors.x.shape[-1])
    if nodes is None and isinstance(truth_graph, xr.DataArray) and not isinstance(data, Panel):
        nodes = [str(v) for v in truth_graph["source"].values]
    names = node_names(trained, data, n, nodes)
    truth = None if truth_graph is None else _truth_values(truth_graph, names)
    cand = tensors.candidates.cpu().numpy().astype(bool)
    inputs = swap_graphs(trained, cand, truth, seed)

    truth_da = None if truth is None else graph_dataarray((truth != 0).astype(int), names)
    cand_da = graph_dataarray(cand, names)
    metrics = [f"mse_target@{horizon}", f"mse_all@{horizon}", "cig_nauprc", "ar_cig_nauprc"]
    kw = dict(nodes=names, truth=truth_da, candidates=cand_da, chunk_size=chunk_size)
    scores = {
        label: score_graph_input(trained.decoder, tensors, g, horizon, label=label, **kw)
        for label, g in inputs.items()
    }
    labels = list(inputs)
    coords = {"graph_input": labels, "source": names, "target": names}
    gdims = ("graph_input", "source", "target")
    out = xr.Dataset(
        {
            "graph_swap": xr.DataArray(
                np.asarray([s.row() for s in scores.values()]), dims=("graph_input", "metric"),
                coords={"graph_input": labels, "metric": metrics},
            ),
            "cig": xr.DataArray(np.stack([s.cig for s in scores.values()]), dims=gdims, coords=coords),
            "ar_cig": xr.DataArray(
                np.stack([s.ar_cig for s in scores.values()]), dims=gdims, coords=coords
            ),
            "input_graph": xr.DataArray(np.stack(list(inputs.values())), dims=gdims, coords=coords),
        },
        attrs={
            "horizon": int(horizon),
            "n_origins": len(influence_origins(tensors, horizon)),
            "arm": trained.arm,
            "random_seed": seed,
        },
    )
    if deployed:
        out = out.assign(_deployed_influence(trained, tensors, inputs, scores, horizon, names, kw))
    return out


def _deployed_influence(trained, tensors, inputs, scores, horizon, names, kw) -> dict:
    g = trained.graph_input()
    if g is None:
        raise ValueError(f"arm {trained.arm!r} has no graph input; pass graph=...")
    same = [label for label, inp in inputs.items() if _same_input(inp, g)]
    if same:
        score = scores[same[0]]
    else:
        score = score_graph_input(trained.decoder, tensors, g, horizon, label="deployed", **kw)
    dims, coords = ("source", "target"), {"source": names, "target": names}
    return {
        "deployed_cig": xr.DataArray(score.cig, dims=dims, coords=coords),
        "deployed_ar_cig": xr.DataArray(score.ar_cig, dims=dims, coords=coords),
    }


def diagnose_arms(
    trained: Sequence[FittedArmLike],
    panel: Panel,
    reference: xr.DataArray | None,
    horizon: int,
    *,
    seed: int = 0,
    reference_label: str = "truth",
) -> xr.Dataset:
    """The ``dice`` diagnostics of a seed ensemble: CIG / AR-CIG with the deployed graph,
    the graph swap against ``reference``, the review checks and the verdict (each graph
    input scored once, see :func:`graph_swap` with ``deployed=True``).

    Returns the Dataset :meth:`pymc_dice.mmm.DiceMMM.diagnose` documents.

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
    >>> ds = diagnose_arms([arm], panel, sim.truth["graph"], 2)
    >>> ds["ar_cig"].dims, ds.attrs["reference"]
    (('chain', 'source', 'target'), 'truth')
    """
    swap = graph_swap(
        trained, panel, reference, horizon=horizon, seed=seed, nodes=list(panel.nodes),
        deployed=True,
    )
    inf = xr.Dataset(
        {"cig": swap["deployed_cig"], "ar_cig": swap["deployed_ar_cig"]},
        attrs={k: swap.attrs[k] for k in ("horizon", "n_origins", "arm")},
    )
    swap = swap.drop_vars(["deployed_cig", "deployed_ar_cig"])
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
            "reference": reference_label,
            "report": to_markdown(results),
        }
    )
    return ds
