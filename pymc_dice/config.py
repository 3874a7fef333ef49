"""Pydantic configurations for models, training and diagnostics.

Every config rejects unknown keys with a did-you-mean hint, so a typo such as
``TrainerConfig(epoch=5)`` fails loudly instead of being silently ignored.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Arm = Literal["dice-hard", "dice-soft", "nograph", "fullgraph", "oracle", "dense", "causalmmm"]
ARMS: tuple[str, ...] = Arm.__args__  # type: ignore[attr-defined]
SupportMethod = Literal[
    "threshold", "topk", "stability", "validation", "effect", "granger", "posterior", "refit"
]
#: support rules read off a fitted structural decoder (its posterior, or refits of it)
STRUCTURAL_SUPPORTS: tuple[str, ...] = ("posterior", "refit")
#: support rules whose graph the encoder did not sample: stage 2 trains and predicts on it
FIXED_SUPPORTS: tuple[str, ...] = ("effect", "granger")
#: support rules whose edge probabilities a structural fit reports as its graph
EVIDENCE_SUPPORTS: tuple[str, ...] = (*STRUCTURAL_SUPPORTS, "granger")


class StrictConfig(BaseModel):
    """Base for configs: frozen, no unknown keys, did-you-mean hints on typos.

    Examples
    --------
    >>> try:
    ...     TrainerConfig(epochs_stage_1=5)
    ... except ValueError as err:
    ...     print("Did you mean 'epochs_stage1'?" in str(err))
    True
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1)
                    hint = f" Did you mean {close[0]!r}?" if close else ""
                    raise ValueError(
                        f"{cls.__name__} has no setting {key!r}.{hint} "
                        f"Valid settings: {', '.join(sorted(known))}"
                    )
        return data

    def updated(self, **changes: Any) -> StrictConfig:
        """Return a validated copy with ``changes`` applied.

        Examples
        --------
        >>> TrainerConfig().updated(epochs_stage1=3).epochs_stage1
        3
        """
        return type(self).model_validate({**self.model_dump(), **changes})


class ModelConfig(StrictConfig):
    """Architecture of a graph-based neural MMM (docs/concepts.md, "The two stages of DICE";
    docs/decisions.md, "Stage 2 and arms").

    Examples
    --------
    >>> ModelConfig(arm="oracle").arm
    'oracle'
    """

    arm: Arm = Field("dice-hard", description="comparison arm / training recipe")
    hidden_size: int = Field(32, ge=2, le=1024, description="latent state size per node")
    max_lag: int = Field(4, ge=1, le=52, description="lags 1..L seen by the restricted decoder")
    own_history: bool = Field(True, description="let each node use a weak term of its own past")
    own_history_max: float = Field(
        0.3, ge=0, le=1, description="upper bound of the stage-1 own-history coefficient"
    )
    carryover: Literal["free", "geometric"] = Field(
        "free", description="stage-1 lag kernel per edge: any non-negative one, or geometric"
    )
    stage1_space: Literal["log", "scaled"] = Field(
        "log",
        description="stage-1 input: per-series standardised log-deviations, or scaled values",
    )
    encoder: Literal["amortized", "global"] = Field(
        "amortized", description="per-series NRI-style edge logits, or one global logit matrix"
    )
    encoder_hidden: int = Field(32, ge=2, le=1024)
    tau: float = Field(0.5, gt=0, le=10, description="Gumbel-softmax temperature")
    prior_rate: float = Field(0.2, gt=0, lt=1, description="sparse Bernoulli prior rate rho")
    kl_weight: float = Field(1.0, ge=0, description="weight of the KL term per candidate edge")
    support: SupportMethod = Field(
        "granger", description="support-selection method (see docs/concepts.md)"
    )
    threshold: float = Field(
        0.5, gt=0, lt=1, description="edge-probability threshold; relative strength for 'effect'"
    )
    density: float | None = Field(
        None, gt=0, le=1, description="top-k density (fraction of candidate edges) for 'topk'"
    )
    stability_resamples: int = Field(5, ge=2, le=200, description="bootstraps for 'stability'")
    stability_frequency: float = Field(0.6, gt=0, le=1)
    causalmmm_kl_weight: float = Field(0.1, ge=0, description="lambda of the causalmmm loss")
    decoder: Literal["structural", "graph-safe"] | None = Field(
        None,
        description=(
            "decoder of the two-stage and fixed-graph arms: 'structural' (a graph-gated MMM per "
            "node, docs/structural.md; the default of dice-hard and dice-soft) or 'graph-safe' "
            "(the per-node GRU of the paper's benchmarks; the default of nograph, fullgraph, "
            "oracle); None: the arm's default"
        ),
    )
    adstock: Literal["geometric", "delayed", "free"] = Field(
        "geometric",
        description=(
            "structural carryover per edge: geometric, delayed (bell-shaped around a learned "
            "peak, pymc-marketing's DelayedAdstock), or any kernel"
        ),
    )
    saturation: Literal["logistic", "hill"] = Field(
        "logistic", description="structural saturation per edge"
    )
    adstock_max_lag: int = Field(
        8, ge=1, le=52, description="structural lags: channels 0..L-1, other sources 1..L"
    )
    yearly_seasonality: int = Field(
        2, ge=0, le=10, description="Fourier order of the structural decoder's yearly season"
    )
    trend: bool = Field(True, description="a linear trend in the structural decoder's baseline")
    same_period_mediators: bool = Field(
        True, description="structural mediator -> target edges act from the same period (lag 0)"
    )
    residual: int = Field(
        0, ge=0, le=64, description="width of the structural decoder's own-past residual (0: off)"
    )
    media_share_prior: float | None = Field(
        0.25,
        gt=0,
        le=10,
        description=(
            "structural prior: each channel's direct ROAS is half-normal with sd this share of "
            "total target / total spend (media expected to drive about 0.8x this share of the "
            "target); None: the spend-share prior alone"
        ),
    )
    deploy_candidates: bool = Field(
        True,
        description=(
            "structural arms deploy every candidate edge (each effect shrunk by its prior, "
            "none cut); stage 1's selected support is kept as evidence"
        ),
    )
    keep_channel_paths: bool = Field(
        True,
        description=(
            "give every channel that support selection cut off from the target its direct edge "
            "back (its effect is then shrunk by the prior, not cut)"
        ),
    )


class TrainerConfig(StrictConfig):
    """Training settings shared by both stages and every arm.

    Examples
    --------
    >>> TrainerConfig(epochs_stage1=10).epochs_stage1
    10
    """

    epochs_stage1: int = Field(150, ge=1, description="max epochs of stage 1 (encoder)")
    epochs_stage2: int = Field(150, ge=1, description="max epochs of stage 2 / single-stage arms")
    batch_size: int = Field(64, ge=1, description="series per mini-batch")
    lr: float = Field(1e-2, gt=0, lt=10)
    weight_decay: float = Field(0.0, ge=0)
    grad_clip: float = Field(1.0, gt=0)
    patience: int = Field(25, ge=1, description="epochs without validation gain before stopping")
    eval_every: int = Field(5, ge=1, description="epochs between validation MSE@h evaluations")
    horizon: int = Field(7, ge=1, le=104, description="h of the closed-loop validation MSE@h")
    val_fraction: float = Field(0.2, gt=0, lt=0.8, description="final share of dates held out")
    n_seeds: int = Field(1, ge=1, le=64, description="seed ensemble size (the `chain` dim)")
    on_interrupt: Literal["keep-best", "stop"] = Field(
        "keep-best",
        description=(
            "Ctrl-C during an epoch loop: keep the stage's best weights so far and go on "
            "('keep-best', for notebooks), or stop the fit ('stop', what the CLI uses)"
        ),
    )
    max_iter: int = Field(
        500, ge=1, le=100_000, description="L-BFGS iterations of the structural decoder's MAP fit"
    )
    bagged_posterior: bool = Field(
        True,
        description=(
            "structural posterior: the Laplace approximation of the bagged posterior "
            "(BayesBag over dates: + the bootstrap variance of its mean), robust to a "
            "misspecified model; False: the plain Laplace approximation"
        ),
    )
    posterior_steps: int = Field(
        0,
        ge=0,
        le=10_000,
        description=(
            "MALA steps refining each Laplace draw of the structural decoder towards the exact "
            "posterior (0: the Laplace draws)"
        ),
    )
    device: str = Field("auto", description="'auto' (CUDA when available), 'cpu', 'cuda', ...")
    autocast: Literal["off", "bf16"] = Field(
        "off",
        description=(
            "mixed precision of the neural training loops (encoder, GRU and restricted "
            "decoders): 'bf16' runs their forward passes under bfloat16 autocast (fast on "
            "recent GPUs); the structural MAP fit, its posterior and the results stay float64"
        ),
    )
    compile: bool = Field(
        False,
        description=(
            "torch.compile each neural training loop's batch loss (pays a one-off compile, "
            "worth it on long GPU fits; needs a C++ compiler on CPU)"
        ),
    )
    progressbar: bool = True
    executor: Literal["local", "ray"] = Field(
        "local",
        description=(
            "where the seeds are fitted: one after another in this process ('local'), or as "
            "parallel Ray tasks ('ray', needs pip install \"pymc-dice[ray]\"; docs/scaling.md)"
        ),
    )
    ray_address: str | None = Field(
        None,
        description=(
            "address of a running Ray cluster (left running); None: a local Ray is started on "
            "the available CPUs and shut down after the fit"
        ),
    )
    ray_num_gpus: float = Field(
        0.0, ge=0, le=8, description="GPUs per Ray task (fractional: 0.25 runs 4 chains per GPU)"
    )
