"""The arms: one :class:`ArmSpec` per training recipe, and the fitted-arm type.

An arm is everything that differs between the recipes compared in the benchmarks (see
docs/concepts.md, "The two stages of DICE", and docs/decisions.md, "Stage 2 and arms"): which
decoder it builds, whether it runs stage 1 (encoder + restricted decoder, then support
selection), which graph stage 2 trains on and which graph the decoder is deployed with. The
trainer (:mod:`pymc_dice.train`), the fitted ensemble and the save file read these fields;
no other module tests an arm by name.

A stage-2 decoder is a named factory in :data:`DECODERS`; :func:`register_decoder` adds one
and an :class:`ArmSpec` names it in its ``decoder`` field, so a new decoder is one
registration and one spec (or ``dataclasses.replace`` of an existing spec).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import xarray as xr

from pymc_dice.config import ModelConfig
from pymc_dice.data import Panel
from pymc_dice.exceptions import ConfigError
from pymc_dice.graph import Selection
from pymc_dice.nn.decoders import (
    CausalMMMDecoder,
    Decoder,
    DenseDecoder,
    GraphSafeDecoder,
    RestrictedDecoder,
)
from pymc_dice.nn.encoder import GlobalLogits, GraphEncoder
from pymc_dice.nn.structural import StructuralDecoder
from pymc_dice.nn.transforms import LogDeviation, Stage1Encoder

__all__ = [
    "ARM_SPECS",
    "DECODERS",
    "ArmSpec",
    "TrainedArm",
    "arm_spec",
    "build_modules",
    "decoder_name",
    "is_structural",
    "prepare_panel",
    "register_decoder",
    "resolve_device",
]

#: ``factory(model_config, n_nodes, n_controls, n_channels, n_series) -> Decoder`` by name
DecoderFactory = Callable[[ModelConfig, int, int, int, int], Decoder]


def _structural(m: ModelConfig, n: int, c: int, n_channels: int, n_series: int) -> Decoder:
    return StructuralDecoder(
        n, c, n_channels, n_series, max_lag=m.adstock_max_lag, carryover=m.adstock,
        saturation=m.saturation, own_lag=m.own_history, residual=m.residual,
        same_period_mediators=m.same_period_mediators, media_share_prior=m.media_share_prior,
    )


DECODERS: dict[str, DecoderFactory] = {
    "structural": _structural,
    "graph-safe": lambda m, n, c, k, s: GraphSafeDecoder(n, c, m.hidden_size),
    "dense": lambda m, n, c, k, s: DenseDecoder(n, c, 2 * m.hidden_size),
    "causalmmm": lambda m, n, c, k, s: CausalMMMDecoder(n, c, m.hidden_size),
}

#: decoders fitted by MAP + Laplace (structural parameters with posterior draws), not by the
#: epoch loop
STRUCTURAL_DECODERS = frozenset({"structural"})


def register_decoder(name: str, factory: DecoderFactory, *, replace: bool = False) -> None:
    """Make ``factory(model_config, n_nodes, n_controls, n_channels, n_series)`` available as
    decoder ``name``.

    Examples
    --------
    >>> register_decoder("tiny", lambda m, n, c, k, s: GraphSafeDecoder(n, c, hidden=2))
    >>> type(DECODERS["tiny"](ModelConfig(), 3, 0, 1, 1)).__name__
    'GraphSafeDecoder'
    >>> del DECODERS["tiny"]
    """
    if name in DECODERS and not replace:
        raise ValueError(f"decoder {name!r} is registered already; pass replace=True")
    DECODERS[name] = factory


def _empty_graph(candidates: np.ndarray, oracle: np.ndarray | None) -> np.ndarray:
    n = candidates.shape[0]
    return np.zeros((n, n))


def _candidate_graph(candidates: np.ndarray, oracle: np.ndarray | None) -> np.ndarray:
    return candidates.astype(float)


def _oracle_graph(candidates: np.ndarray, oracle: np.ndarray | None) -> np.ndarray:
    if oracle is None:
        raise ValueError("the 'oracle' arm needs the true graph: pass oracle=truth['graph']")
    return oracle


@dataclass(frozen=True)
class ArmSpec:
    """How one arm builds, trains and deploys its graph.

    Attributes
    ----------
    name : str
        The ``ModelConfig.arm`` value.
    decoder : str
        Key of the stage-2 (or single-stage) decoder in :data:`DECODERS`.
    training : {"two-stage", "joint", "fixed"}
        ``two-stage``: stage 1 (encoder + restricted decoder), support selection, then stage 2
        with the encoder frozen; ``joint``: encoder and decoder trained together (causalmmm);
        ``fixed``: the decoder alone on a fixed graph.
    hard_edges : bool
        Gumbel-sigmoid graph samples are binary (straight-through) rather than soft.
    fixed_graph : callable, optional
        ``(candidates, oracle) -> [N, N]`` graph of a ``fixed`` arm (trained and deployed).
    deploys : {"selected", "learned", "fixed"}
        The graph the decoder is deployed with: the selected support, the series-mean edge
        probabilities, or the fixed graph.
    needs_oracle : bool
        The fixed graph is the known true graph (``DiceMMM(graph=...)`` is required).
    decoder_choices : tuple of str
        Decoders ``ModelConfig.decoder`` may choose instead of ``decoder`` (empty: none).
    has_edge_probability : bool
        Results carry an ``edge_probability`` per chain (False for ``dense``, which reads no
        graph).

    Examples
    --------
    >>> spec = arm_spec("dice-hard")
    >>> spec.decoder, spec.runs_stage1, spec.graph_draws, spec.deploys
    ('structural', True, True, 'selected')
    >>> spec.has_encoder, spec.stage2_label
    (True, 'dice-hard stage 2')
    """

    name: str
    decoder: str = "graph-safe"
    training: Literal["two-stage", "joint", "fixed"] = "fixed"
    hard_edges: bool = False
    fixed_graph: Callable[[np.ndarray, np.ndarray | None], np.ndarray] | None = None
    deploys: Literal["selected", "learned", "fixed"] = "fixed"
    needs_oracle: bool = False
    has_edge_probability: bool = True
    decoder_choices: tuple[str, ...] = ("structural", "graph-safe")

    @property
    def runs_stage1(self) -> bool:
        """Stage 1 and support selection run before the decoder is trained."""
        return self.training == "two-stage"

    @property
    def has_encoder(self) -> bool:
        """The arm trains a graph encoder (edge logits per series)."""
        return self.training in ("two-stage", "joint")

    @property
    def graph_draws(self) -> bool:
        """Predictions may average several graph samples of the frozen encoder (``draw``)."""
        return self.runs_stage1

    @property
    def stage2_label(self) -> str:
        """Progress-bar label of the decoder's training."""
        return f"{self.name} stage 2" if self.runs_stage1 else self.name


ARM_SPECS: dict[str, ArmSpec] = {
    spec.name: spec
    for spec in (
        ArmSpec(
            "dice-hard", "structural", training="two-stage", hard_edges=True, deploys="selected"
        ),
        ArmSpec("dice-soft", "structural", training="two-stage", deploys="selected"),
        ArmSpec(
            "causalmmm", decoder="causalmmm", training="joint", deploys="learned",
            decoder_choices=(),
        ),
        ArmSpec("nograph", fixed_graph=_empty_graph),
        ArmSpec("fullgraph", fixed_graph=_candidate_graph),
        ArmSpec("oracle", fixed_graph=_oracle_graph, needs_oracle=True),
        ArmSpec(
            "dense", decoder="dense", fixed_graph=_empty_graph, has_edge_probability=False,
            decoder_choices=(),
        ),
    )
}


def arm_spec(arm: str | ModelConfig) -> ArmSpec:
    """The :class:`ArmSpec` of an arm name (or of ``model_config.arm``).

    Examples
    --------
    >>> arm_spec(ModelConfig(arm="dense")).has_edge_probability
    False
    """
    name = arm.arm if isinstance(arm, ModelConfig) else arm
    try:
        return ARM_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown arm {name!r}; valid arms: {list(ARM_SPECS)}") from None


def decoder_name(mcfg: ModelConfig) -> str:
    """The decoder an arm trains: ``model_config.decoder`` where the arm allows a choice,
    else the arm's own.

    Examples
    --------
    >>> decoder_name(ModelConfig()), decoder_name(ModelConfig(arm="oracle"))
    ('structural', 'graph-safe')
    >>> decoder_name(ModelConfig(arm="oracle", decoder="structural"))
    'structural'
    """
    spec = arm_spec(mcfg)
    if mcfg.decoder is None:
        return spec.decoder
    if mcfg.decoder not in spec.decoder_choices:
        raise ConfigError(
            f"arm {spec.name!r} has its own decoder {spec.decoder!r}; decoder={mcfg.decoder!r} "
            f"applies to arms {[a for a, sp in ARM_SPECS.items() if sp.decoder_choices]}"
        )
    return mcfg.decoder


def is_structural(mcfg: ModelConfig) -> bool:
    """Whether the arm's decoder is fitted by MAP + Laplace (:data:`STRUCTURAL_DECODERS`).

    Examples
    --------
    >>> is_structural(ModelConfig()), is_structural(ModelConfig(decoder="graph-safe"))
    (True, False)
    """
    return decoder_name(mcfg) in STRUCTURAL_DECODERS


def prepare_panel(panel: Panel, mcfg: ModelConfig) -> Panel:
    """The panel an arm reads: with the time features (trend, yearly season) of a structural
    decoder, unchanged otherwise.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles))
    >>> prepare_panel(panel, ModelConfig()).decoder_controls.shape[-1]  # 2 controls + 5
    7
    >>> prepare_panel(panel, ModelConfig(decoder="graph-safe")) is panel
    True
    """
    if not is_structural(mcfg):
        return panel
    return panel.with_season(mcfg.yearly_seasonality, mcfg.trend)


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else the CPU.

    Examples
    --------
    >>> resolve_device("cpu").type
    'cpu'
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return dev


def _make_encoder(mcfg: ModelConfig, n_nodes: int, candidates: torch.Tensor) -> torch.nn.Module:
    if mcfg.encoder == "global":
        return GlobalLogits(n_nodes, candidates)
    return GraphEncoder(n_nodes, candidates, hidden=mcfg.encoder_hidden, max_lag=mcfg.max_lag)


def build_modules(
    mcfg: ModelConfig,
    n_nodes: int,
    n_controls: int,
    candidates: torch.Tensor,
    n_channels: int = 0,
    n_series: int = 1,
) -> tuple[Decoder, torch.nn.Module | None, RestrictedDecoder | None]:
    """Fresh, untrained ``(decoder, encoder, restricted)`` modules of an arm (None where the
    arm has no such part); training and loading a saved model both build them here.
    ``n_controls`` counts what the decoders read (controls, plus the time features of a
    structural arm: see :func:`prepare_panel`).

    Examples
    --------
    >>> dec, enc, res = build_modules(ModelConfig(arm="dense"), 3, 0, torch.ones(3, 3).bool())
    >>> type(dec).__name__, enc, res
    ('DenseDecoder', None, None)
    """
    spec = arm_spec(mcfg)
    encoder = restricted = None
    if spec.has_encoder:
        encoder = _make_encoder(mcfg, n_nodes, candidates)
    if spec.runs_stage1:
        if mcfg.stage1_space == "log":
            encoder = Stage1Encoder(LogDeviation(n_nodes), encoder)
        restricted = RestrictedDecoder(
            n_nodes, n_controls, mcfg.max_lag, mcfg.own_history, mcfg.own_history_max,
            mcfg.carryover,
        )
    decoder = DECODERS[decoder_name(mcfg)](mcfg, n_nodes, n_controls, n_channels, n_series)
    return decoder, encoder, restricted


def oracle_values(oracle: np.ndarray | xr.DataArray | None) -> np.ndarray | None:
    """A known graph as a float ``[source, target]`` array (None stays None).

    Examples
    --------
    >>> oracle_values([[0, 1], [0, 0]]).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    if oracle is None:
        return None
    if isinstance(oracle, xr.DataArray):
        oracle = oracle.transpose(..., "source", "target").values
    return np.asarray(oracle, dtype=float)


@dataclass
class TrainedArm:
    """One trained arm for one seed: modules, graphs and training history.

    Examples
    --------
    >>> from pymc_dice.data import Panel, Roles
    >>> from pymc_dice.config import TrainerConfig
    >>> from pymc_dice.simulate import sparse_target
    >>> from pymc_dice.train import fit_arm
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> arm = fit_arm(panel, ModelConfig(arm="fullgraph", hidden_size=4),
    ...               TrainerConfig(epochs_stage2=1, horizon=2), progressbar=False)
    >>> arm.learned_graph is None, int(arm.graph_input().sum())  # 19 candidate edges
    (True, 19)
    >>> arm.spec.deploys
    'fixed'
    """

    arm: str
    seed: int
    decoder: Decoder
    candidates: np.ndarray
    encoder: torch.nn.Module | None = None
    restricted: RestrictedDecoder | None = None
    edge_prob: np.ndarray | None = None  # [S, N, N] per training series
    selection: Selection | None = None
    fixed_graph: np.ndarray | None = None
    history: dict = field(default_factory=dict)
    fit_seconds: float = 0.0
    interrupted: bool = False
    #: posterior draws ``{name: [draw, *shape]}`` (float64) of a structural decoder's
    #: parameters (Laplace approximation at the MAP); None for decoders without them
    param_draws: dict | None = None

    @property
    def spec(self) -> ArmSpec:
        """The arm's :class:`ArmSpec`."""
        return arm_spec(self.arm)

    @property
    def learned_graph(self) -> np.ndarray | None:
        """Series-mean edge probabilities ``[N, N]`` (None for arms without an encoder)."""
        return None if self.edge_prob is None else self.edge_prob.mean(0)

    def graph_input(self) -> np.ndarray:
        """The graph the decoder is deployed with: the selected support for DICE arms, the
        learned probabilities for ``causalmmm``, the fixed graph otherwise."""
        if self.selection is not None:
            return self.selection.graph.values
        if self.spec.deploys == "learned":
            return self.learned_graph
        return self.fixed_graph

    def reported_graph(self) -> np.ndarray | None:
        """The arm's graph in results: learned probabilities, else the fixed graph, else None.

        Examples
        --------
        >>> arm = TrainedArm("nograph", 0, None, np.ones((2, 2), bool), fixed_graph=np.eye(2))
        >>> arm.reported_graph().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        if self.learned_graph is not None:
            return np.asarray(self.learned_graph, dtype=float)
        if self.fixed_graph is not None:
            return np.asarray(self.fixed_graph, dtype=float)
        if self.selection is not None:  # kept without an encoder (nothing to select)
            return np.asarray(self.selection.graph.values, dtype=float)
        return None

    def deployed_support(self, threshold: float) -> np.ndarray | None:
        """The binary deployed graph (probabilities thresholded for arms deploying them).

        Examples
        --------
        >>> arm = TrainedArm("causalmmm", 0, None, np.ones((2, 2), bool),
        ...                  edge_prob=np.array([[[0.0, 0.7], [0.2, 0.0]]]))
        >>> arm.deployed_support(0.5).tolist()
        [[False, True], [False, False]]
        """
        g = self.graph_input()
        if g is None:
            return None
        g = np.asarray(g, dtype=float)
        if self.spec.deploys == "learned":
            g = (g > threshold).astype(float)
        return g != 0
