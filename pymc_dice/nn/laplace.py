"""Laplace posterior of a fitted :class:`~pymc_dice.nn.structural.StructuralDecoder`.

At the MAP ``theta*`` of the negative log posterior ``U`` (the objective of
:func:`~pymc_dice.nn.structural.fit_structural`), ``theta ~ N(theta*, H^-1)`` with ``H`` the
Hessian of ``U`` over the unconstrained parameters (torch.func). Draws of every parameter are
then pushed through any function of the decoder, vectorised over draws with
``torch.func.vmap`` + ``functional_call``: predictions, channel contributions, response curves
and the pointwise log-likelihood that ``az.loo`` reads. See ``docs/structural.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from pymc_dice.exceptions import NotFittedError
from pymc_dice.nn.response import channel_contributions
from pymc_dice.nn.structural import (
    StructuralDecoder,
    StructuralPriors,
    date_mask,
    gaussian_nll,
    neg_log_prior,
    series_sigma,
)

#: per-edge parameters ``[N, N]`` or ``[N, N, L]``: in the posterior where the edge is active
EDGE_PARAMS = (
    "beta_raw", "lag_logits", "decay_raw", "delay_raw", "lam_raw", "half_raw", "shape_raw"
)  # fmt: skip
#: per-node parameters ``[N]`` / ``[C, N]``: in the posterior for scored nodes
NODE_PARAMS = ("level_pool", "rho_raw", "noise_raw", "control_weight")
#: memory of one series chunk of the Hessian (the likelihood is a sum over series, so its
#: Hessian is summed over series chunks: memory stays flat in the number of series)
HESSIAN_BYTES = 256 * 2**20
#: float64 copies of the lag window ``[T, L + 1, N]`` per Hessian column and series kept by
#: reverse-over-reverse differentiation (measured: ~30 MB per series at T=156, N=10, L=8
#: with 32 columns at a time)
HESSIAN_COPIES = 8


def hessian_rows(chunk_size: int | None, n_params: int, t_len: int, dec) -> int:
    """Series per chunk of the likelihood's Hessian within :data:`HESSIAN_BYTES`.

    Examples
    --------
    >>> hessian_rows(32, 66, 156, StructuralDecoder(10, 2, n_channels=7))  # 156 weeks, 10 nodes
    9
    """
    cols = min(chunk_size or n_params, n_params)
    per_row = cols * t_len * dec.n_nodes * (dec.max_lag + 1) * 8 * HESSIAN_COPIES
    return max(1, HESSIAN_BYTES // per_row)


class Bound(nn.Module):
    """``fn(decoder, *args)`` as a module, so ``functional_call`` can swap the decoder's
    parameters (keys ``"dec.<name>"``) for any function, not only ``forward``.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=1)
    >>> call = Bound(dec, lambda d: d.beta().sum())
    >>> raw = {"dec.beta_raw": torch.zeros(3, 3)}
    >>> round(float(functional_call(call, raw, ())), 4)  # 9 * softplus(0)
    6.2383
    >>> call.forward().shape  # the decoder's own parameters
    torch.Size([])
    """

    def __init__(self, dec: nn.Module, fn: Callable):
        super().__init__()
        self.dec, self.fn = dec, fn

    def forward(self, *args):
        """``fn(self.dec, *args)``."""
        return self.fn(self.dec, *args)


@dataclass
class LaplacePosterior:
    """Gaussian approximation of the posterior, and its draws.

    ``map_params`` are the full MAP tensors (float64); ``index[name]`` the flat entries of
    each parameter in the posterior (the rest stay at the MAP: edges the graph switches off,
    channel rows, the residual network); ``mean`` / ``draws`` the vector ``[P]`` /
    ``[n_draws, P]`` of those entries, in ``names`` order. ``n_joint`` entries form the full
    covariance block ``cov``; the remaining ones (per-series levels when there are many) have
    independent variances ``level_var``.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1).double()
    >>> x = torch.rand(1, 20, 2, dtype=torch.float64)
    >>> post = laplace_posterior(dec, x, torch.zeros(1, 20, 0), torch.ones(2, 2), n_draws=6)
    >>> post.n_draws, post.param_draws()["level_pool"].shape
    (6, torch.Size([6, 2]))
    >>> at_map = post.unflatten(post.mean)
    >>> torch.equal(at_map["beta_raw"], post.map_params["beta_raw"])
    True
    >>> beta_sum = post.bind(dec, lambda d: d.beta().sum())  # a function of the entries
    >>> bool(torch.isclose(beta_sum(post.mean), dec.beta().sum()))
    True
    """

    names: tuple[str, ...]
    index: dict
    map_params: dict
    mean: torch.Tensor
    draws: torch.Tensor
    cov: torch.Tensor
    level_var: torch.Tensor
    n_joint: int
    eig_floor: float
    n_floored: int

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return self.draws.shape[0]

    def unflatten(self, flat: torch.Tensor) -> dict:
        """Full parameter tensors ``{name: [*batch, *shape]}`` from vectors ``[*batch, P]``."""
        out, start = {}, 0
        for name in self.names:
            base, idx = self.map_params[name], self.index[name]
            lead = flat.shape[:-1]
            full = base.reshape(-1).expand(*lead, -1)
            full = full.index_copy(-1, idx, flat[..., start : start + len(idx)])
            out[name] = full.reshape(*lead, *base.shape)
            start += len(idx)
        return out

    def param_draws(self) -> dict:
        """Every posterior parameter per draw, ``{name: [n_draws, *shape]}``."""
        return self.unflatten(self.draws)

    def bind(self, dec: nn.Module, fn: Callable) -> Callable:
        """``theta [P] -> fn(dec)`` with the posterior's entries of ``dec`` set to ``theta``
        (the rest at the MAP): what torch.func differentiates and vmaps."""
        call = Bound(dec, fn)

        def at(theta):
            params = {"dec." + k: v for k, v in self.unflatten(theta).items()}
            return functional_call(call, params, ())

        return at


def posterior_index(dec: StructuralDecoder, graph: torch.Tensor) -> dict:
    """Flat entries of each parameter that the data can inform under ``graph``: edge
    parameters of allowed edges with a non-zero weight in any series, per-node parameters of
    the modelled (non-channel) nodes.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=1)
    >>> graph = torch.zeros(3, 3)
    >>> graph[0, 2] = 1.0
    >>> index = posterior_index(dec, graph)
    >>> index["beta_raw"].tolist(), index["level_pool"].tolist()  # edge 0 -> 2; nodes 1, 2
    ([2], [1, 2])
    """
    active = dec.allowed.bool() & (graph != 0).reshape(-1, dec.n_nodes, dec.n_nodes).any(0)
    scored = dec.scored
    index = {}
    for name, p in dec.named_parameters():
        if name in EDGE_PARAMS:
            mask = active.reshape(*active.shape, *([1] * (p.dim() - 2))).expand_as(p)
        elif name in NODE_PARAMS or name == "level_dev":
            mask = scored.expand_as(p)
        else:
            continue
        index[name] = mask.reshape(-1).nonzero().squeeze(-1)
    return index


def floored_eigh(hess: torch.Tensor, floor: float):
    """Eigenvalues (floored at ``floor``), eigenvectors and the number floored of a Hessian,
    symmetrised; non-finite entries (e.g. a Hill curve at exactly zero spend) fall back on the
    floor with a warning.

    Examples
    --------
    >>> vals, vecs, n = floored_eigh(torch.tensor([[4.0, 0.0], [0.0, -1.0]]), 0.5)
    >>> vals.tolist(), n
    ([0.5, 4.0], 1)
    """
    hess = 0.5 * (hess + hess.T)
    if not torch.isfinite(hess).all():
        warnings.warn(
            "the Hessian of the posterior has non-finite entries: those directions fall back "
            "on the prior's curvature (intervals there are as wide as the prior)",
            RuntimeWarning,
            stacklevel=3,
        )
        hess = torch.nan_to_num(hess, nan=0.0, posinf=0.0, neginf=0.0)
    try:
        evals, evecs = torch.linalg.eigh(hess)
    except torch.linalg.LinAlgError:  # ill-conditioned: a small ridge at the prior floor
        ridge = floor * torch.eye(hess.shape[0], dtype=hess.dtype, device=hess.device)
        evals, evecs = torch.linalg.eigh(hess + ridge)
    return evals.clamp_min(floor), evecs, int((evals < floor).sum())


def bagged_covariance(cov: torch.Tensor, scores: torch.Tensor, sd_max: float):
    """BayesBag over dates: ``cov + cov J cov`` with ``J`` the covariance of the per-date
    ``scores: [T, P]``, no direction wider than ``sd_max``; returns the covariance and its
    eigen-decomposition as precisions and vectors (what the draws read).

    Examples
    --------
    >>> cov, scores = torch.eye(2, dtype=torch.float64) * 0.1, torch.randn(30, 2).double()
    >>> bag, prec, vecs = bagged_covariance(cov, scores, 1.0)
    >>> bool((torch.diagonal(bag) > 0.1).all()), bool((1 / prec <= 1.0 + 1e-12).all())
    (True, True)
    """
    centred = scores - scores.mean(0)
    spread = cov @ (centred.T @ centred) @ cov
    evals, evecs = torch.linalg.eigh(cov + 0.5 * (spread + spread.T))
    evals = 1.0 / evals.clamp(1e-12 * float(evals.max()), sd_max**2)  # precisions
    return (evecs / evals) @ evecs.T, evals, evecs


def laplace_posterior(
    dec: StructuralDecoder,
    x: torch.Tensor,
    c: torch.Tensor,
    graph: torch.Tensor,
    *,
    train=None,
    priors: StructuralPriors | None = None,
    n_draws: int = 200,
    seed: int = 0,
    series=None,
    joint_levels: int = 64,
    chunk_size: int | None = 32,
    bagged: bool = False,
) -> LaplacePosterior:
    """Laplace approximation at the MAP of :func:`~pymc_dice.nn.structural.fit_structural`.

    The Hessian of the negative log posterior (same ``train`` dates and ``priors`` as the
    fit) is taken in float64 with ``torch.func`` (reverse-over-reverse, ``chunk_size``
    columns at a time; the likelihood's part summed over series chunks of
    :func:`hessian_rows`, so memory does not grow with the series) over the structural
    parameters: edge parameters of active edges,
    pooled levels, control weights, ``rho`` and noise scales. The per-series level
    deviations join that block only while there are at most ``joint_levels`` of them; beyond
    that they get their exact diagonal curvature ``n_obs / sigma^2 + 1 / series_sd^2`` and
    are drawn independently (a block-diagonal approximation: their correlation with the
    shared parameters goes through the pooled level, which stays in the joint block).

    ``bagged=True`` returns the Laplace form of the bagged posterior (BayesBag: the average
    of the posteriors of bootstrap resamples of the dates): ``Sigma + Sigma J Sigma``, with
    ``Sigma`` the (floored) inverse Hessian and ``J`` the covariance of the per-date scores of
    the likelihood. Where the model is right ``J`` is about the likelihood's Hessian and the
    intervals widen by up to ``sqrt(2)``; where it is wrong (residuals that the model does not
    explain), by as much as the data's own spread demands, up to ``posterior_sd_max`` in any
    direction (as for the plain approximation).

    Eigenvalues of the joint block are floored at the smallest prior precision
    ``min(1 / sd^2)`` of the normal priors: every direction has at least that curvature
    from the priors alone, so a lower (or negative) eigenvalue can only come from the
    likelihood being evaluated off its exact optimum (early stopping) or from a
    non-identified direction (the softmax carryover's shift); the floor then makes the
    posterior no wider than the prior in that direction, never wider.

    Examples
    --------
    >>> from pymc_dice.nn.structural import fit_structural
    >>> x, c = torch.rand(1, 30, 2, dtype=torch.float64), torch.zeros(1, 30, 0)
    >>> dec = StructuralDecoder(2, 0, n_channels=1, max_lag=2).double()
    >>> _ = fit_structural(dec, x, c, torch.ones(2, 2), max_iter=50)
    >>> post = laplace_posterior(dec, x, c, torch.ones(2, 2), n_draws=10)
    >>> post.draws.shape[0], post.draws.shape[1] == post.mean.shape[0]
    (10, True)
    >>> post.param_draws()["beta_raw"].shape
    torch.Size([10, 2, 2])
    """
    priors = priors or StructuralPriors()
    dt = torch.float64
    x, c, graph = x.to(dt), c.to(dt), graph.to(dt)
    s, t_len, _ = x.shape
    mask = date_mask(train, s, t_len, x.device)
    index = posterior_index(dec, graph)
    map_params = {k: p.detach().to(dt).clone() for k, p in dec.named_parameters()}
    n_dev = len(index["level_dev"])
    joint = n_dev <= joint_levels
    names = tuple(k for k in index if k != "level_dev") + ("level_dev",)
    mean = torch.cat([map_params[k].reshape(-1)[index[k]] for k in names])
    n_joint = len(mean) - (0 if joint else n_dev)
    post = LaplacePosterior(
        names, index, map_params, mean, mean[None], torch.empty(0), torch.empty(0), n_joint, 0.0, 0
    )
    rows = dec.series_index(s, series, x.device)

    def derivative(fn, order: int):  # jacobian (1) or Hessian (2) in the joint parameters
        at = post.bind(dec, fn)

        def objective(theta_joint):
            return at(torch.cat([theta_joint, mean[n_joint:]]))

        inner = jacrev(objective) if order == 2 else objective
        return jacrev(inner, chunk_size=chunk_size)(mean[:n_joint])

    def hessian(fn):
        return derivative(fn, 2)

    def jacobian(fn):  # [T - 1, P]: each date's gradient
        return derivative(fn, 1)

    hess = hessian(lambda d: neg_log_prior(d, priors))
    step = hessian_rows(chunk_size, n_joint, t_len, dec)
    scores = mean.new_zeros(t_len - 1, n_joint)  # per-date score of the likelihood (bagged)
    for lo in range(0, s, step):  # the likelihood, a sum over series, in series chunks
        sl = slice(lo, lo + step)
        part = (x[sl], c[sl], graph, mask[sl], rows[sl])
        hess = hess + hessian(lambda d, part=part: gaussian_nll(d, *part))
        if bagged:
            scores = scores + jacobian(lambda d, part=part: gaussian_nll(d, *part, per_date=True))
    sds = [priors.raw_sd, priors.level_sd, priors.series_sd, priors.gamma_sd]
    floor = max(min(1.0 / sd**2 for sd in sds), 1.0 / priors.posterior_sd_max**2)
    evals, evecs, n_floored = floored_eigh(hess, floor)
    post.cov = (evecs / evals) @ evecs.T
    post.eig_floor, post.n_floored = floor, n_floored
    if bagged:
        post.cov, evals, evecs = bagged_covariance(post.cov, scores, priors.posterior_sd_max)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    z = torch.randn(n_draws, len(mean), generator=gen, dtype=dt).to(x.device)
    draws = mean[:n_joint] + (z[:, :n_joint] / evals.sqrt()) @ evecs.T
    if not joint:
        sigma = torch.exp(map_params["noise_raw"]) * dec.series_scale.to(dt)  # [S, N]
        n_obs = (mask[:, 1:] & ~torch.isnan(x[:, 1:]).any(-1)).sum(1).to(dt)  # [S]
        prec = n_obs[:, None] / sigma.square() + 1.0 / priors.series_sd**2  # [S, N]
        post.level_var = 1.0 / prec.reshape(-1)[index["level_dev"]]
        draws = torch.cat([draws, mean[n_joint:] + z[:, n_joint:] * post.level_var.sqrt()], -1)
    post.draws = draws
    return post


def map_draws(
    dec: StructuralDecoder,
    post: LaplacePosterior,
    fn: Callable,
    *args,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """``fn(decoder, *args)`` under every draw, stacked ``[n_draws, ...]`` (one ``vmap``).

    ``post`` is a :class:`LaplacePosterior` or its ``param_draws()`` dict (as saved with a
    fitted model); parameters without draws stay at the decoder's values.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1).double()
    >>> x = torch.rand(1, 20, 2, dtype=torch.float64)
    >>> post = laplace_posterior(dec, x, torch.zeros(1, 20, 0), torch.ones(2, 2), n_draws=5)
    >>> map_draws(dec, post, lambda d: d.beta()).shape
    torch.Size([5, 2, 2])
    """
    if post is None:
        raise NotFittedError("no posterior: call laplace_posterior(decoder, x, c, graph) first")
    draws = post if isinstance(post, dict) else post.param_draws()
    call = Bound(dec, fn)
    full = {k: v.to(torch.float64) for k, v in dec.named_parameters()}

    def one(params):
        merged = {"dec." + k: params.get(k, v) for k, v in full.items()}
        return functional_call(call, merged, args)

    return vmap(one, chunk_size=chunk_size)(draws)


def predict_draws(dec, post, x, c, graph, series=None, chunk_size=None) -> torch.Tensor:
    """Teacher-forced predictions per draw, ``[n_draws, S, T-1, N]``.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1).double()
    >>> x, c = torch.rand(1, 20, 2, dtype=torch.float64), torch.zeros(1, 20, 0)
    >>> post = laplace_posterior(dec, x, c, torch.ones(2, 2), n_draws=4)
    >>> predict_draws(dec, post, x, c, torch.ones(2, 2)).shape
    torch.Size([4, 1, 19, 2])
    """
    x, c, graph = (v.to(torch.float64) for v in (x, c, graph))
    return map_draws(dec, post, lambda d: d(x, c, graph, series=series), chunk_size=chunk_size)


def contribution_draws(dec, post, x, c, graph, series=None, chunk_size=None) -> torch.Tensor:
    """:func:`~pymc_dice.nn.response.channel_contributions` per draw, ``[n_draws, S, T, K, N]``.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=2, max_lag=2).double()
    >>> x, c = torch.rand(1, 12, 3, dtype=torch.float64), torch.zeros(1, 12, 0)
    >>> post = laplace_posterior(dec, x, c, torch.ones(3, 3), n_draws=3)
    >>> contribution_draws(dec, post, x, c, torch.ones(3, 3)).shape
    torch.Size([3, 1, 12, 2, 3])
    """
    x, c, graph = (v.to(torch.float64) for v in (x, c, graph))

    def fn(d):
        return channel_contributions(d, x, c, graph, series=series)

    return map_draws(dec, post, fn, chunk_size=chunk_size)


def log_likelihood_draws(
    dec, post, x, c, graph, node: int = -1, series=None, chunk_size=None
) -> torch.Tensor:
    """Pointwise Gaussian log-likelihood of ``node`` (default: the target) per draw and
    observation, ``[n_draws, S, T-1]`` (dates ``1..T-1``, teacher-forced; NaN where the value
    is missing), the ``log_likelihood`` group ``az.loo`` reads.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1).double()
    >>> x, c = torch.rand(2, 20, 2, dtype=torch.float64), torch.zeros(2, 20, 0)
    >>> post = laplace_posterior(dec, x, c, torch.ones(2, 2), n_draws=4)
    >>> ll = log_likelihood_draws(dec, post, x, c, torch.ones(2, 2))
    >>> ll.shape, bool(torch.isfinite(ll).all())
    (torch.Size([4, 2, 19]), True)
    """
    x, c, graph = (v.to(torch.float64) for v in (x, c, graph))
    obs = x[:, 1:, node]

    def fn(d):
        mu = d(torch.nan_to_num(x), c, graph, series=series)[..., node]
        sigma = series_sigma(d, x.shape[0], series)[:, None, node]
        z = (obs - mu) / sigma
        return -0.5 * z.square() - torch.log(sigma) - 0.5 * math.log(2 * math.pi)

    return map_draws(dec, post, fn, chunk_size=chunk_size)
