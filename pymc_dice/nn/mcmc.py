"""Refine Laplace draws into posterior draws with preconditioned Langevin MCMC (MALA).

The Laplace approximation (:mod:`pymc_dice.nn.laplace`) is Gaussian in the unconstrained
parameters around one mode. Where the posterior is skewed (an effect near zero, a saturation
the data hardly see) its intervals are too narrow or misplaced. Each Laplace draw starts one
Metropolis-adjusted Langevin chain on the exact log posterior of the fit, preconditioned by the
Laplace covariance; every chain runs the same number of steps, all chains in one ``vmap``, and
its last state is the draw. Started from the approximation, a few dozen steps move the draws to
the exact posterior's shape; the Metropolis test keeps it exact in the limit. See
``docs/structural.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.func import grad_and_value, vmap

from pymc_dice.nn.laplace import LaplacePosterior
from pymc_dice.nn.structural import StructuralDecoder, StructuralPriors, date_mask
from pymc_dice.nn.structural import neg_log_posterior as structural_nlp

__all__ = ["MalaResult", "refine_draws"]


@dataclass
class MalaResult:
    """What :func:`refine_draws` did: steps, final step size (in units of the Laplace
    covariance) and the mean acceptance rate over the sampling steps.

    Examples
    --------
    >>> MalaResult(n_steps=40, step_size=0.5, acceptance=0.6).acceptance
    0.6
    """

    n_steps: int
    step_size: float
    acceptance: float


def refine_draws(
    dec: StructuralDecoder,
    post: LaplacePosterior,
    x: torch.Tensor,
    c: torch.Tensor,
    graph: torch.Tensor,
    *,
    priors: StructuralPriors | None = None,
    n_steps: int = 40,
    seed: int = 0,
    series=None,
    target_accept: float = 0.57,
    chunk_size: int | None = None,
    extra_loss=None,
) -> MalaResult:
    """Move ``post.draws`` (in place) towards the exact posterior with ``n_steps`` MALA steps.

    The proposal is ``theta' = theta - h^2/2 Sigma grad U(theta) + h L z`` with ``Sigma = L L^T``
    the Laplace covariance (per-series levels outside the joint block: their variances) and
    ``U`` the negative log posterior of the fit (all dates, same priors, plus
    ``extra_loss(dec, x, c, graph)`` when given, e.g. lift tests). The step size ``h``
    starts at ``1.65 / P^(1/6)`` and adapts (Robbins-Monro on the log scale, towards
    ``target_accept``) during the first half of the steps, then stays fixed.

    Examples
    --------
    >>> from pymc_dice.nn.laplace import laplace_posterior
    >>> from pymc_dice.nn.structural import fit_structural
    >>> torch.manual_seed(0) is not None
    True
    >>> x, c = torch.rand(1, 30, 2, dtype=torch.float64), torch.zeros(1, 30, 0)
    >>> dec = StructuralDecoder(2, 0, n_channels=1, max_lag=2).double()
    >>> _ = fit_structural(dec, x, c, torch.ones(2, 2), max_iter=50)
    >>> post = laplace_posterior(dec, x, c, torch.ones(2, 2), n_draws=8)
    >>> before = post.draws.clone()
    >>> res = refine_draws(dec, post, x, c, torch.ones(2, 2), n_steps=10)
    >>> post.draws.shape == before.shape, 0.0 <= res.acceptance <= 1.0
    (True, True)
    """
    priors = priors or StructuralPriors()
    dt = torch.float64
    x, c, graph = x.to(dt), c.to(dt), graph.to(dt)
    mask = date_mask(None, x.shape[0], x.shape[1], x.device)
    def objective(d):
        out = structural_nlp(d, x, c, graph, mask, priors, series)
        return out if extra_loss is None else out + extra_loss(d, x, c, graph)

    grad_u = vmap(grad_and_value(post.bind(dec, objective)), chunk_size=chunk_size)
    n_joint, n_all = post.n_joint, post.mean.shape[0]
    chol = torch.linalg.cholesky(post.cov)  # [J, J]
    extra_sd = post.level_var.sqrt() if n_all > n_joint else post.mean.new_zeros(0)

    def precond(v):  # Sigma v, [D, P]
        return torch.cat([v[:, :n_joint] @ post.cov, v[:, n_joint:] * extra_sd.square()], -1)

    def noise(z):  # L z
        return torch.cat([z[:, :n_joint] @ chol.T, z[:, n_joint:] * extra_sd], -1)

    def inv_quad(v):  # v^T Sigma^-1 v per row, via the Cholesky factor
        w = torch.linalg.solve_triangular(chol, v[:, :n_joint].T, upper=False).T
        extra = (v[:, n_joint:] / extra_sd).square().sum(-1) if n_all > n_joint else 0.0
        return w.square().sum(-1) + extra

    gen = torch.Generator(device="cpu").manual_seed(seed)
    theta = post.draws.clone()
    g, u = grad_u(theta)
    h = 1.65 / n_all ** (1 / 6)
    log_h, accepted = math.log(h), []
    for step in range(n_steps):  # a Markov chain: steps are sequential, chains batched
        h = math.exp(log_h)
        z = torch.randn(theta.shape, generator=gen, dtype=dt).to(theta.device)
        mean_fwd = theta - 0.5 * h**2 * precond(g)
        prop = mean_fwd + h * noise(z)
        g_new, u_new = grad_u(prop)
        mean_back = prop - 0.5 * h**2 * precond(g_new)
        log_q_fwd = -0.5 * inv_quad(prop - mean_fwd) / h**2
        log_q_back = -0.5 * inv_quad(theta - mean_back) / h**2
        log_alpha = (u - u_new + log_q_back - log_q_fwd).nan_to_num(nan=-math.inf)
        uniform = torch.rand(theta.shape[0], generator=gen, dtype=dt).to(theta.device)
        take = torch.log(uniform) < log_alpha
        theta = torch.where(take[:, None], prop, theta)
        g = torch.where(take[:, None], g_new, g)
        u = torch.where(take, u_new, u)
        rate = take.to(dt).mean()
        if step < n_steps // 2:
            log_h += (float(rate) - target_accept) / math.sqrt(step + 1)
        else:
            accepted.append(rate)
    post.draws = theta
    acceptance = float(torch.stack(accepted).mean()) if accepted else float("nan")
    return MalaResult(n_steps=n_steps, step_size=math.exp(log_h), acceptance=acceptance)
