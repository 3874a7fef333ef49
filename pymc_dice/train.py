"""The two-stage DICE trainer of every arm (see docs/concepts.md, "The two stages of DICE").

One optimisation loop (:func:`_optimise`) serves both stages and every arm: mini-batches of
series, teacher-forced one-step losses, gradient clipping, early stopping on the closed-loop
validation MSE@h, a progress bar, and a clean Ctrl-C (the current stage stops and keeps its
best weights so far). What differs between arms is read from their
:class:`~pymc_dice.arms.ArmSpec`.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import xarray as xr
from tqdm.auto import tqdm

from pymc_dice.arms import (
    ArmSpec,
    TrainedArm,
    arm_spec,
    build_modules,
    decoder_name,
    is_structural,
    oracle_values,
    prepare_panel,
    resolve_device,
)
from pymc_dice.config import FIXED_SUPPORTS, STRUCTURAL_SUPPORTS, ModelConfig, TrainerConfig
from pymc_dice.data import Panel
from pymc_dice.diagnostics.granger import granger_evidence, granger_shortfall
from pymc_dice.distributed import fit_seeds_ray
from pymc_dice.ensemble import PanelTensors, rollout_errors
from pymc_dice.exceptions import ConfigError
from pymc_dice.graph import (
    Selection,
    deploy_candidates,
    graph_dataarray,
    keep_channel_paths,
    select_effect,
    select_granger,
    select_stability,
    select_threshold,
    select_topk,
    select_validation,
)
from pymc_dice.nn.decoders import Decoder, RestrictedDecoder
from pymc_dice.nn.device import precision_wrapped
from pymc_dice.nn.encoder import gumbel_sigmoid, kl_bernoulli
from pymc_dice.nn.evidence import edge_bayes_factors, set_data_priors
from pymc_dice.nn.laplace import laplace_posterior
from pymc_dice.nn.mcmc import refine_draws
from pymc_dice.nn.structural import fit_structural
from pymc_dice.nn.transforms import LogDeviation, Stage1Encoder

__all__ = [
    "PanelTensors",
    "fit_structural_arm",
    "TrainedArm",
    "build_modules",
    "edge_evidence",
    "edge_probabilities",
    "fit_arm",
    "fit_effect_strength",
    "fit_ensemble",
    "resolve_device",
    "rollout_errors",
    "stage1_tensors",
]

logger = logging.getLogger("pymc_dice")


def _masked_mse(pred: torch.Tensor, target: torch.Tensor, n_channels: int) -> torch.Tensor:
    return ((pred[..., n_channels:] - target[..., n_channels:]) ** 2).mean()


def _optimise(
    params: Sequence[torch.nn.Parameter],
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
    validate: Callable[[], float],
    modules: Sequence[torch.nn.Module],
    n_series: int,
    epochs: int,
    cfg: TrainerConfig,
    rng: np.random.Generator,
    desc: str,
    progressbar: bool,
) -> dict:
    """The one training loop: returns the history; restores the best weights."""
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    step_loss = precision_wrapped(batch_loss, cfg, params[0].device)
    best, best_state, since_best = float("inf"), None, 0
    history: dict = {"loss": [], "val_mse": [], "val_epoch": [], "interrupted": False}
    losses: list[torch.Tensor] = []
    bar = tqdm(range(epochs), desc=desc, disable=not progressbar, leave=False, dynamic_ncols=True)
    try:
        for epoch in bar:
            for m in modules:
                m.train()
            perm = rng.permutation(n_series)
            total = None  # the epoch's loss stays on the device: no host sync per batch
            for start in range(0, n_series, cfg.batch_size):
                idx = torch.as_tensor(perm[start : start + cfg.batch_size])
                loss = step_loss(idx)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                opt.step()
                part = loss.detach() * len(idx)
                total = part if total is None else total + part
            losses.append(total)
            if epoch % cfg.eval_every == 0 or epoch == epochs - 1:
                history["loss"] = [v / n_series for v in torch.stack(losses).tolist()]
                for m in modules:
                    m.eval()
                val = validate()
                history["val_mse"].append(val)
                history["val_epoch"].append(epoch)
                if val < best - 1e-7:
                    best, since_best = val, 0
                    best_state = [copy.deepcopy(m.state_dict()) for m in modules]
                else:
                    since_best += cfg.eval_every
                bar.set_postfix(loss=f"{history['loss'][-1]:.4g}", val=f"{val:.4g}")
                if since_best >= cfg.patience:
                    break
    except KeyboardInterrupt:
        history["interrupted"] = True
        if cfg.on_interrupt == "stop":
            raise
        logger.warning("%s interrupted: keeping the best weights so far", desc)
    finally:
        bar.close()
    if best_state is not None:
        for m, s in zip(modules, best_state, strict=True):
            m.load_state_dict(s)
    for m in modules:
        m.eval()
    if losses:  # one transfer for the whole history
        history["loss"] = [v / n_series for v in torch.stack(losses).tolist()]
    history["best_val_mse"] = best
    history["epochs_run"] = len(history["loss"])
    return history


def _stage1(data: PanelTensors, mcfg: ModelConfig, tcfg: TrainerConfig, rng, progressbar,
            series=None, desc=""):  # fmt: skip
    """Train encoder + restricted decoder; return them, the history and the stage-1 tensors
    (the panel in the restricted decoder's space, see :func:`stage1_tensors`)."""
    n = data.x.shape[-1]
    _, encoder, restricted = build_modules(mcfg, n, data.c.shape[-1], data.candidates)
    encoder, restricted = encoder.to(data.x.device), restricted.to(data.x.device)
    data1 = stage1_tensors(data, encoder)
    x_tr, c_tr, u_tr = data.x_train, data.c_train, data1.x_train
    if series is not None:
        x_tr, c_tr, u_tr = x_tr[series], c_tr[series], u_tr[series]
    hard = arm_spec(mcfg).hard_edges

    def batch_loss(idx):
        logits = encoder(x_tr[idx])
        graph = gumbel_sigmoid(logits, mcfg.tau, hard).masked_fill(~data.candidates, 0.0)
        pred = restricted(u_tr[idx], c_tr[idx], graph)
        mse = _masked_mse(pred, u_tr[idx, 1:], data.n_channels)
        kl = kl_bernoulli(torch.sigmoid(logits), mcfg.prior_rate, data.candidates)
        n_obs = (x_tr.shape[1] - 1) * (n - data.n_channels)
        # ELBO per observation with a plug-in Gaussian variance (sigma^2 = current MSE):
        # NLL / n_obs = MSE / (2 sigma^2), so the KL enters with weight 2 sigma^2 / n_obs.
        return mse + mcfg.kl_weight * 2 * mse.detach() * kl / n_obs

    def validate():
        prob = edge_probabilities(encoder, data)
        return float(rollout_errors(restricted, data1, prob, tcfg.horizon).mean())

    hist = _optimise(
        [*encoder.parameters(), *restricted.parameters()], batch_loss, validate,
        [encoder, restricted], x_tr.shape[0], tcfg.epochs_stage1, tcfg, rng,
        desc or f"{mcfg.arm} stage 1", progressbar,
    )  # fmt: skip
    return encoder, restricted, hist, data1


def stage1_tensors(data: PanelTensors, encoder: torch.nn.Module) -> PanelTensors:
    """The panel as the stage-1 restricted decoder sees it.

    With a :class:`~pymc_dice.nn.transforms.Stage1Encoder` (``stage1_space="log"``) the
    transform's scale is fitted on the training window here and the values become standardised
    log-deviations (statistics from the training dates only); otherwise ``data`` itself.

    Examples
    --------
    >>> from pymc_dice.data import Panel, Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> data = PanelTensors.from_panel(panel, 2,
    ...                                torch.device("cpu"))
    >>> _, enc, _ = build_modules(ModelConfig(), 8, 2, data.candidates)
    >>> u = stage1_tensors(data, enc).x_train
    >>> bool(u.mean(1).abs().max() < 1e-4), round(float(u.std()), 1)
    (True, 1.0)
    """
    if not isinstance(encoder, Stage1Encoder):
        return data
    with torch.no_grad():
        fitted = LogDeviation.fit(data.x_train, encoder.transform.eps)
        encoder.transform.scale.copy_(fitted.scale)
        u = encoder.transform(data.x, window=data.train_end)
    return replace(data, x=u)


def fit_effect_strength(
    data1: PanelTensors,
    mcfg: ModelConfig,
    tcfg: TrainerConfig,
    seed: int = 0,
    progressbar: bool = False,
) -> tuple[RestrictedDecoder, np.ndarray]:
    """Fit a restricted decoder on every candidate edge at once and score each edge by the
    spread of its saturated carryover effect over the training data (a Granger-style strength).

    ``data1`` is the panel in the stage-1 space (:func:`stage1_tensors`). The fit is full-batch
    (every training series each step, at least 300 steps) with early stopping on the
    closed-loop validation MSE, so its cost does not depend on the batch size.

    Returns
    -------
    (RestrictedDecoder, ndarray)
        The fitted decoder and the ``[source, target]`` strengths (0 off the candidates).

    Examples
    --------
    >>> from pymc_dice.data import Panel, Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> data = PanelTensors.from_panel(panel, 2,
    ...                                torch.device("cpu"))
    >>> dec, s = fit_effect_strength(data, ModelConfig(), TrainerConfig(epochs_stage1=1, horizon=2))
    >>> s.shape, bool((s[~data.candidates.numpy()] == 0).all())
    ((8, 8), True)
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    n = data1.x.shape[-1]
    dec = RestrictedDecoder(
        n, data1.c.shape[-1], mcfg.max_lag, mcfg.own_history, mcfg.own_history_max, mcfg.carryover
    ).to(data1.x.device)
    full = data1.candidates.to(data1.x.dtype)
    u, c = data1.x_train, data1.c_train
    n_series = u.shape[0]
    cfg = tcfg.updated(batch_size=n_series, lr=max(tcfg.lr, 2e-2), patience=max(tcfg.patience, 50))

    def batch_loss(idx):
        return _masked_mse(dec(u[idx], c[idx], full), u[idx, 1:], data1.n_channels)

    def validate():
        return float(rollout_errors(dec, data1, full, tcfg.horizon).mean())

    epochs = max(300, tcfg.epochs_stage1)
    _optimise(list(dec.parameters()), batch_loss, validate, [dec], n_series, epochs, cfg, rng,
              "edge effects", progressbar)  # fmt: skip
    with torch.no_grad():
        _, lagged = dec(u, c, full, return_states=True)  # [S, T, L, N], lag 1 first
        strength = dec.edge_effect(lagged[:, 1:]).std(dim=(0, 1))
    return dec, (strength * data1.candidates).cpu().numpy()


def edge_probabilities(encoder: torch.nn.Module, data: PanelTensors) -> torch.Tensor:
    """Edge probabilities ``[S, N, N]`` from each series' training window (no gradients).

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> data = PanelTensors.from_panel(panel, 2, torch.device("cpu"))
    >>> _, enc, _ = build_modules(ModelConfig(), 8, 2, data.candidates)
    >>> p = edge_probabilities(enc, data)
    >>> tuple(p.shape), bool(p[:, ~data.candidates].eq(0).all())
    ((4, 8, 8), True)
    """
    with torch.no_grad():
        return torch.sigmoid(encoder(data.x_train)).masked_fill(~data.candidates, 0.0)


def _select_support(
    mcfg: ModelConfig,
    tcfg: TrainerConfig,
    data: PanelTensors,
    data1: PanelTensors,
    nodes: Sequence[str],
    prob: np.ndarray,
    restricted: RestrictedDecoder,
    seed: int,
    progressbar: bool,
) -> Selection:
    prob_da = graph_dataarray(prob.mean(0), nodes, name="edge_probability")
    cand = graph_dataarray(data.candidates.cpu().numpy(), nodes, name="candidate")
    if mcfg.support == "threshold":
        return select_threshold(prob_da, cand, mcfg.threshold)
    if mcfg.support == "topk":
        return select_topk(prob_da, cand, mcfg.density or mcfg.prior_rate)
    granger = mcfg.support == "granger"
    if granger and (short := granger_shortfall(tuple(data.x_train.shape), mcfg.max_lag)) is None:
        x_tr, c_tr = (t.double().cpu().numpy() for t in (data.x_train, data.c_train))
        same = is_structural(mcfg)  # a structural decoder's edges act from the same week
        evidence = granger_evidence(x_tr, nodes, data.n_channels, controls=c_tr, same_period=same,
            max_lag=mcfg.max_lag, same_period_mediators=same and mcfg.same_period_mediators)
        return select_granger(evidence, cand, mcfg.threshold)
    if mcfg.support in FIXED_SUPPORTS:  # "effect", or "granger" on a panel too short for it
        if granger:  # conditional Granger tests need more rows than this panel has
            logger.warning("support='granger': %s; selecting with support='effect'", short)
        _, strength = fit_effect_strength(data1, mcfg, tcfg, seed, progressbar)
        return select_effect(graph_dataarray(strength, nodes), cand, mcfg.threshold)
    if mcfg.support in STRUCTURAL_SUPPORTS:  # stage 1 is evidence; the structural fit selects
        if not is_structural(mcfg):
            raise ConfigError(
                f"support={mcfg.support!r} reads a structural decoder's fit; decoder "
                f"{decoder_name(mcfg)!r} has none: set decoder='structural' or another support"
            )
        first = select_threshold(prob_da, cand, mcfg.threshold)
        first = Selection(first.graph, mcfg.support, first.evidence)
        return first if mcfg.deploy_candidates else deploy_candidates(first, cand)
    if mcfg.support == "validation":

        def errors(graph: np.ndarray) -> np.ndarray:
            g = torch.as_tensor(graph, dtype=torch.float32, device=data.x.device)
            err = rollout_errors(restricted, data1, g, tcfg.horizon)
            return err.mean((-1, -2)).reshape(-1).cpu().numpy()

        return select_validation(prob_da, cand, errors)
    # stability: refit stage 1 on bootstrap resamples of the series
    samples = [prob.mean(0)]
    n_series = data.x.shape[0]
    for r in range(1, mcfg.stability_resamples):
        rng = np.random.default_rng([seed, r])
        torch.manual_seed(int(rng.integers(2**31)))
        idx = torch.as_tensor(rng.integers(0, n_series, n_series), device=data.x.device)
        enc, *_ = _stage1(data, mcfg, tcfg, rng, progressbar, series=idx, desc=f"stability {r}")
        samples.append(edge_probabilities(enc, data).mean(0).cpu().numpy())
    stacked = graph_dataarray(np.stack(samples), nodes, name="edge_probability").rename(
        dim_0="resample"
    )
    return select_stability(stacked, cand, mcfg.threshold, mcfg.stability_frequency)


def _decoder(mcfg: ModelConfig, data: PanelTensors, nodes: Sequence[str]):
    """A fresh stage-2 decoder of the arm, on the data's device."""
    n_series = data.x.shape[0]
    return build_modules(
        mcfg, len(nodes), data.c.shape[-1], data.candidates, data.n_channels, n_series
    )[0].to(data.x.device)


def fit_structural_arm(
    result: TrainedArm, decoder: torch.nn.Module, data: PanelTensors, tcfg: TrainerConfig,
    *, seed: int, n_draws: int, extra_loss=None,
) -> dict:
    """MAP fit (L-BFGS) of a structural decoder on its deployed graph, then ``n_draws`` draws
    of its parameters from the Laplace approximation (``result.param_draws``); the decoder is
    left at the MAP, in float32 like every other decoder. Returns the fit's history.
    ``extra_loss`` is added to the MAP objective (:func:`~pymc_dice.nn.structural.fit_structural`).

    Every fitted date is used: the weak priors regularise the fit (docs/structural.md), and
    with a hundred weekly dates a held-out fifth is too much data to leave out.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_periods=60, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    >>> panel = prepare_panel(panel, ModelConfig())
    >>> data = PanelTensors.from_panel(panel, 2, torch.device("cpu"))
    >>> arm = TrainedArm("dice-hard", 0, None, data.candidates.numpy(),
    ...                  fixed_graph=data.candidates.numpy().astype(float))
    >>> dec = _decoder(ModelConfig(), data, panel.nodes)
    >>> hist = fit_structural_arm(arm, dec, data, TrainerConfig(max_iter=30), seed=0, n_draws=5)
    >>> arm.param_draws["beta_raw"].shape, hist["n_iter"] > 0
    (torch.Size([5, 4, 4]), True)
    """
    graph = torch.as_tensor(result.graph_input(), dtype=torch.float64, device=data.x.device)
    dec = decoder.double()
    x, c = data.x.double(), data.c.double()
    set_data_priors(dec, x, data.spend_share, data.node_scales)
    fit = fit_structural(dec, x, c, graph, max_iter=tcfg.max_iter, seed=seed, extra_loss=extra_loss)
    post = laplace_posterior(
        dec, x, c, graph, n_draws=n_draws, seed=seed, bagged=tcfg.bagged_posterior
    )
    mala = None
    if tcfg.posterior_steps:
        mala = refine_draws(
            dec, post, x, c, graph, n_steps=tcfg.posterior_steps, seed=seed, extra_loss=extra_loss
        )
    result.param_draws = {k: v.detach() for k, v in post.param_draws().items()}
    dec.float()
    return {
        "loss": fit.loss,
        "n_iter": fit.n_iter,
        "seconds": fit.seconds,
        "eig_floored": post.n_floored,
        "n_params": int(post.mean.numel()),
        "mala_acceptance": None if mala is None else mala.acceptance,
        "interrupted": False,
    }


@dataclass
class _Stage2:
    """What the decoder's training needs: the modules trained together and the loss and
    validation closures."""

    decoder: Decoder
    batch_loss: Callable[[torch.Tensor], torch.Tensor]
    validate: Callable[[], float]
    joint: list[torch.nn.Module]  # modules trained with the decoder (the causalmmm encoder)


def _nothing_to_select(mcfg: ModelConfig, data: PanelTensors) -> bool:
    """A structural arm that keeps every channel's path, on a panel without mediators: every
    candidate edge is a channel -> target edge that would be given back anyway."""
    n_mediators = data.x.shape[-1] - data.n_channels - 1
    return is_structural(mcfg) and mcfg.keep_channel_paths and n_mediators == 0


def _select_graph(result, mcfg, tcfg, data, nodes, rng, seed, progressbar) -> None:
    """Stage 1 and support selection (``result.encoder``, ``edge_prob``, ``selection``), then
    the channel-path guard of a structural arm, which by default then deploys every candidate
    edge (``deploy_candidates``: shrunk by its priors, not cut; stage 1's support is kept in
    the selection's evidence). On a panel without mediators a structural arm keeps every
    candidate edge and skips stage 1 (:func:`_nothing_to_select`)."""
    guard = is_structural(mcfg) and mcfg.keep_channel_paths
    if _nothing_to_select(mcfg, data):
        cand = graph_dataarray(data.candidates.cpu().numpy().astype(float), nodes)
        result.selection = Selection(cand.rename("selected_graph"), "all-channels", xr.Dataset())
    else:
        encoder, restricted, hist1, data1 = _stage1(data, mcfg, tcfg, rng, progressbar)
        result.history["stage1"] = hist1
        result.encoder, result.restricted = encoder, restricted
        result.edge_prob = edge_probabilities(encoder, data).cpu().numpy()
        result.selection = _select_support(
            mcfg, tcfg, data, data1, nodes, result.edge_prob, restricted, seed, progressbar
        )
        for p in encoder.parameters():  # stage 1 is over: the encoder is frozen from here on
            p.requires_grad_(False)
        encoder.eval()
    if guard:
        result.selection = keep_channel_paths(result.selection, nodes[: data.n_channels], nodes[-1])
    if is_structural(mcfg) and mcfg.deploy_candidates:
        cand = graph_dataarray(data.candidates.cpu().numpy().astype(float), nodes)
        result.selection = deploy_candidates(result.selection, cand)


def _two_stage(result, spec: ArmSpec, mcfg, tcfg, data, nodes) -> _Stage2:
    """The epoch-loop stage 2 on the selected graph, with the stage-1 encoder frozen."""
    device = data.x.device
    x_tr, c_tr = data.x_train, data.c_train
    logits_all = result.encoder(x_tr).detach()  # frozen by _select_graph
    deploy = torch.as_tensor(result.selection.graph.values, dtype=torch.float32, device=device)
    decoder = _decoder(mcfg, data, nodes)

    def batch_loss(idx):
        if mcfg.support in FIXED_SUPPORTS:  # the encoder did not pick this graph: train on it
            graph = deploy
        else:
            with torch.no_grad():
                graph = gumbel_sigmoid(logits_all[idx], mcfg.tau, spec.hard_edges)
                graph = graph.masked_fill(~data.candidates, 0.0)
        return _masked_mse(decoder(x_tr[idx], c_tr[idx], graph), x_tr[idx, 1:], data.n_channels)

    def validate():
        return float(rollout_errors(decoder, data, deploy, tcfg.horizon).mean())

    return _Stage2(decoder, batch_loss, validate, [])


def _joint(result, mcfg, data, tcfg) -> _Stage2:
    """Encoder and decoder trained together on a KL + Gaussian NLL loss (causalmmm)."""
    device = data.x.device
    x_tr, c_tr = data.x_train, data.c_train
    n = data.x.shape[-1]
    decoder, encoder, _ = build_modules(mcfg, n, data.c.shape[-1], data.candidates)
    decoder, encoder = decoder.to(device), encoder.to(device)
    result.encoder = encoder
    n_obs = (x_tr.shape[1] - 1) * (n - data.n_channels)

    def batch_loss(idx):
        logits = encoder(x_tr[idx])
        graph = gumbel_sigmoid(logits, 0.5, hard=False).masked_fill(~data.candidates, 0.0)
        pred = decoder(x_tr[idx], c_tr[idx], graph)
        log_var = decoder.log_var[data.n_channels :]
        err = (pred - x_tr[idx, 1:])[..., data.n_channels :]
        nll = 0.5 * (log_var + err**2 * torch.exp(-log_var)).mean()
        kl = kl_bernoulli(torch.sigmoid(logits), mcfg.prior_rate, data.candidates)
        return nll + mcfg.causalmmm_kl_weight * kl / n_obs

    def validate():
        prob = edge_probabilities(encoder, data)
        return float(rollout_errors(decoder, data, prob, tcfg.horizon).mean())

    return _Stage2(decoder, batch_loss, validate, [encoder])


def _set_fixed_graph(result, spec: ArmSpec, nodes, oracle) -> None:
    """``result.fixed_graph``: the graph a fixed-graph arm trains and deploys."""
    n = len(nodes)
    fixed = spec.fixed_graph(result.candidates, oracle_values(oracle))
    if fixed.shape != (n, n):
        raise ValueError(f"oracle graph has shape {fixed.shape}, expected {(n, n)} over {nodes}")
    result.fixed_graph = fixed


def _fixed(result, mcfg, data, tcfg, nodes) -> _Stage2:
    """The epoch-loop decoder alone on the arm's fixed graph (trained and deployed)."""
    device = data.x.device
    x_tr, c_tr = data.x_train, data.c_train
    decoder = _decoder(mcfg, data, nodes)
    graph_t = torch.as_tensor(result.fixed_graph, dtype=torch.float32, device=device)

    def batch_loss(idx):
        return _masked_mse(decoder(x_tr[idx], c_tr[idx], graph_t), x_tr[idx, 1:], data.n_channels)

    def validate():
        return float(rollout_errors(decoder, data, graph_t, tcfg.horizon).mean())

    return _Stage2(decoder, batch_loss, validate, [])


def fit_arm(
    panel: Panel,
    model_config: ModelConfig | None = None,
    trainer_config: TrainerConfig | None = None,
    *,
    seed: int = 0,
    oracle: np.ndarray | xr.DataArray | None = None,
    data: PanelTensors | None = None,
    progressbar: bool | None = None,
    n_draws: int = 50,
    extra_loss=None,
) -> TrainedArm:
    """Train one arm (both DICE stages where the arm has them) for one seed.

    Parameters
    ----------
    panel : Panel
        Scaled panel; ``panel.train_end`` splits training from validation dates.
    model_config, trainer_config : configs (defaults when None).
    seed : int
        Seeds torch and the batch order; CPU runs are reproducible.
    oracle : array or DataArray, optional
        The true ``[source, target]`` graph, required by the ``oracle`` arm.
    data : PanelTensors, optional
        Pre-built tensors (share them across seeds and arms).
    n_draws : int, default 50
        Posterior draws of a structural decoder's parameters (the ``draw`` dim).
    extra_loss : callable, optional
        Added to a structural decoder's MAP objective (lift tests).

    Examples
    --------
    >>> from pymc_dice.simulate import sparse_target
    >>> from pymc_dice.data import Roles
    >>> sim = sparse_target(n_series=8, n_periods=40, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> fit = fit_arm(panel, ModelConfig(arm="nograph"), TrainerConfig(epochs_stage2=2), progressbar=False)
    >>> fit.graph_input().sum()
    np.float64(0.0)
    """
    mcfg = model_config or ModelConfig()
    tcfg = trainer_config or TrainerConfig()
    spec = arm_spec(mcfg)
    progressbar = tcfg.progressbar if progressbar is None else progressbar
    device = resolve_device(tcfg.device)
    panel = prepare_panel(panel, mcfg)
    data = data or PanelTensors.from_panel(panel, tcfg.horizon, device)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    nodes = list(panel.nodes)
    start = time.perf_counter()
    cand_np = data.candidates.cpu().numpy()
    result = TrainedArm(arm=spec.name, seed=seed, decoder=None, candidates=cand_np)  # type: ignore[arg-type]
    if spec.runs_stage1:
        _select_graph(result, mcfg, tcfg, data, nodes, rng, seed, progressbar)
    elif spec.training == "fixed":
        _set_fixed_graph(result, spec, nodes, oracle)
    if is_structural(mcfg):  # MAP + Laplace on the graph just chosen: no epoch loop
        decoder = _decoder(mcfg, data, nodes)
        hist = fit_structural_arm(
            result, decoder, data, tcfg, seed=seed, n_draws=n_draws, extra_loss=extra_loss
        )
    else:
        if spec.runs_stage1:
            stage2 = _two_stage(result, spec, mcfg, tcfg, data, nodes)
        elif spec.training == "joint":
            stage2 = _joint(result, mcfg, data, tcfg)
        else:
            stage2 = _fixed(result, mcfg, data, tcfg, nodes)
        decoder = stage2.decoder
        trainable = [p for p in decoder.parameters()]
        for m in stage2.joint:
            trainable += list(m.parameters())
        hist = _optimise(
            trainable,
            stage2.batch_loss,
            stage2.validate,
            [decoder, *stage2.joint],
            data.x_train.shape[0],
            tcfg.epochs_stage2,
            tcfg,
            rng,
            spec.stage2_label,
            progressbar,
        )
    result.history["stage2"] = hist
    result.decoder = decoder
    if spec.training == "joint":
        result.edge_prob = edge_probabilities(result.encoder, data).cpu().numpy()
    result.interrupted = any(h.get("interrupted", False) for h in result.history.values())
    result.fit_seconds = time.perf_counter() - start
    return result


def fit_ensemble(
    panel: Panel,
    model_config: ModelConfig | None = None,
    trainer_config: TrainerConfig | None = None,
    *,
    seeds: Sequence[int] = (0,),
    oracle=None,
    progressbar: bool | None = None,
    n_draws: int = 50,
    extra_loss=None,
) -> list[TrainedArm]:
    """Train one arm for several seeds on tensors built once (the ``chain`` dim of results).

    With ``trainer_config.executor="ray"`` the seeds are fitted as parallel Ray tasks
    (:func:`pymc_dice.distributed.fit_seeds_ray`), with the same results.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=4, n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.25)
    >>> arms = fit_ensemble(panel, ModelConfig(arm="nograph", hidden_size=4),
    ...                     TrainerConfig(epochs_stage2=1, horizon=2), seeds=(0, 1),
    ...                     progressbar=False)
    >>> [a.seed for a in arms]
    [0, 1]
    """
    tcfg = trainer_config or TrainerConfig()
    if tcfg.executor == "ray":
        return fit_seeds_ray(
            fit_arm, panel, model_config, tcfg, seeds=seeds, oracle=oracle, n_draws=n_draws
        )
    panel = prepare_panel(panel, model_config or ModelConfig())
    data = PanelTensors.from_panel(panel, tcfg.horizon, resolve_device(tcfg.device))
    kw = {"oracle": oracle, "data": data, "progressbar": progressbar, "n_draws": n_draws}
    return [fit_arm(panel, model_config, tcfg, seed=s, extra_loss=extra_loss, **kw) for s in seeds]


def edge_evidence(arms, panel: Panel, tcfg: TrainerConfig, *, progressbar=None, **kw) -> np.ndarray:
    """Refit Bayes factors (:func:`~pymc_dice.nn.evidence.edge_bayes_factors`) of every
    deployed candidate edge of each structural arm fitted on ``panel`` (prepared as for the
    fit): ``[chain, 3, N, N]`` (log Bayes factor, fit change, Occam factor; NaN elsewhere).
    ``kw`` go to :func:`~pymc_dice.nn.evidence.edge_bayes_factors`.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_channels=2, n_periods=40, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    >>> panel, tcfg = prepare_panel(panel, ModelConfig()), TrainerConfig(max_iter=50, horizon=2)
    >>> ev = edge_evidence(fit_ensemble(panel, None, tcfg), panel, tcfg, max_iter=20)
    >>> ev.shape, int(np.isfinite(ev[0, 0]).sum())  # two channel -> y edges
    ((1, 3, 3, 3), 2)
    """
    data = PanelTensors.from_panel(panel, tcfg.horizon, resolve_device(tcfg.device))
    out, x, c = [], data.x.double(), data.c.double()
    for k, arm in enumerate(arms):
        dec = copy.deepcopy(arm.decoder).double()
        set_data_priors(dec, x, data.spend_share, data.node_scales)
        graph = torch.as_tensor(arm.graph_input(), dtype=torch.float64, device=x.device)
        live = graph.ne(0) & data.candidates & dec.allowed.bool()
        edges = [tuple(e) for e in live.nonzero().tolist()]

        def bar(it, k=k):  # one progress bar per chain
            return tqdm(it, desc=f"edge evidence {k}", disable=not progressbar, leave=False)

        ev = edge_bayes_factors(dec, x, c, graph, edges, progress=bar, **kw)
        out.append(torch.stack([ev.log_bf, ev.delta_fit, ev.occam]).cpu().numpy())
    return np.stack(out)
