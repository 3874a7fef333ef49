"""Refit Bayes factors of a fitted structural decoder's edges: does the fit need each edge,
given every other edge?

For a candidate edge ``e`` the model with the edge (``M1``, the fitted one) is compared with
the model without it (``M0``: the same decoder with the edge switched off in the graph) by
the Laplace approximation of each model's evidence. Both models share the same parameters
and priors, so the priors' normalising constants cancel and

``log BF_e = [U0(theta0) - U1(theta1)] + 1/2 log|H_prior,e Sigma_e|``

- ``U0(theta0) - U1(theta1)``: how much worse the best fit without the edge is. The fitted
  model is first polished (twice ``max_iter`` more L-BFGS iterations: the Laplace covariance
  is only right at the mode); then both models are refitted warm from there for the same
  ``max_iter`` iterations (``M1`` too, as a control), so a mode that is still creeping along
  flat directions does not pass for evidence.
- ``1/2 log|H_prior,e Sigma_e|`` (negative): the Occam factor of the edge's own parameters,
  the ratio of their posterior volume under ``M1`` (``Sigma_e``, their block of the Laplace
  covariance) to their prior volume under ``M0`` (``H_prior,e``, the prior's curvature at
  ``M0``'s optimum, where nothing but the prior acts on them).

The test is conditional: an edge that another edge can stand in for (a placebo channel that
follows a real one, a mediator that only echoes the shared budget) costs its Occam factor
and buys little fit, so its Bayes factor falls below one. See ``docs/structural.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch.func import functional_call, hessian

from pymc_dice.nn.laplace import EDGE_PARAMS, Bound, LaplacePosterior, laplace_posterior
from pymc_dice.nn.structural import (
    StructuralDecoder,
    StructuralPriors,
    date_mask,
    direct_roas_prior,
    fit_structural,
    neg_log_posterior,
    neg_log_prior,
)

__all__ = ["EdgeEvidence", "edge_bayes_factors", "set_data_priors"]

#: L-BFGS iterations of each refit (and of the control): on a 60-geo x 120-week panel the
#: control's objective still moves by about 1 nat between 100 and 150 iterations, well
#: under the Occam factor of one edge (2-13 nats), at 3-4 s a refit on 2 CPU cores
REFIT_ITERATIONS = 150


@dataclass
class EdgeEvidence:
    """What :func:`edge_bayes_factors` returns, each ``[N, N]`` (source, target; NaN on edges
    not tested): ``log_bf`` = ``delta_fit + occam``, ``delta_fit`` the refitted objective
    without the edge minus the control's, ``occam`` the (negative) Occam factor.

    Examples
    --------
    >>> ev = EdgeEvidence(torch.zeros(2, 2), torch.ones(2, 2), -torch.ones(2, 2))
    >>> ev.log_bf.shape
    torch.Size([2, 2])
    """

    log_bf: torch.Tensor
    delta_fit: torch.Tensor
    occam: torch.Tensor


def set_data_priors(dec: StructuralDecoder, x: torch.Tensor, spend_share=None, node_scales=None):
    """Set the priors a structural fit reads off the data ``x: [S, T, N]`` (scaled values):
    the spend shares (``[C]``) and the direct edges' ROAS prior (:func:`direct_roas_prior`,
    from the original units per scaled unit ``node_scales: [N]``); a refit then optimises
    the objective of the original fit.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 0, n_channels=2, media_share_prior=0.25).double()
    >>> x = torch.rand(1, 30, 3, dtype=torch.float64)
    >>> set_data_priors(dec, x, torch.tensor([0.5, 0.5]), torch.tensor([1.0, 1.0, 10.0]))
    >>> bool((dec.beta_prior_scale[:2, 2] != 1).all())
    True
    """
    if spend_share is not None:
        dec.set_spend_share(spend_share)
    if dec.media_share_prior and node_scales is not None and dec.n_channels:
        dec.set_series_scale(x)  # as the fit's start does; the ROAS prior reads the scales
        sd = direct_roas_prior(dec, x, node_scales, dec.media_share_prior)
        dec.set_direct_prior(sd / StructuralPriors().beta_sd)


def _edge_positions(post: LaplacePosterior, n_nodes: int) -> dict[tuple[int, int], list[int]]:
    """Entries of each edge's parameters in the posterior vector ``post.mean``."""
    out: dict[tuple[int, int], list[int]] = {}
    start = 0
    for name in post.names:
        idx = post.index[name]
        if name in EDGE_PARAMS:
            per = post.map_params[name][0, 0].numel()  # 1, or L for the free kernel
            for k, flat in enumerate(idx.tolist()):
                out.setdefault(divmod(flat // per, n_nodes), []).append(start + k)
        start += len(idx)
    return out


def _prior_curvature(dec: StructuralDecoder, priors: StructuralPriors, j: int, i: int):
    """Hessian of the prior over edge ``j -> i``'s own parameters, at their current values."""
    names = [n for n in EDGE_PARAMS if hasattr(dec, n)]
    params = {n: getattr(dec, n).detach() for n in names}
    sizes = [params[n][j, i].numel() for n in names]
    call = Bound(dec, lambda d: neg_log_prior(d, priors))

    def prior_of(v):
        swapped, k = {}, 0
        for n, size in zip(names, sizes, strict=True):
            entry = v[k : k + size].reshape(params[n][j, i].shape)
            at = (torch.tensor(j, device=v.device), torch.tensor(i, device=v.device))
            swapped["dec." + n] = params[n].index_put(at, entry)
            k += size
        return functional_call(call, swapped, ())

    v0 = torch.cat([params[n][j, i].reshape(-1) for n in names])
    return hessian(prior_of)(v0)


def edge_bayes_factors(
    dec: StructuralDecoder,
    x: torch.Tensor,
    c: torch.Tensor,
    graph: torch.Tensor,
    edges: Sequence[tuple[int, int]],
    *,
    max_iter: int = REFIT_ITERATIONS,
    priors: StructuralPriors | None = None,
    extra_loss: Callable | None = None,
    progress: Callable | None = None,
) -> EdgeEvidence:
    """Laplace Bayes factor of each edge in ``edges`` for the decoder ``dec`` fitted (MAP) on
    ``x: [S, T, N]``, ``c`` and ``graph: [N, N]`` (module docstring). ``dec`` is not changed:
    the refits run on float64 copies, on every date, with the fit's ``priors`` and
    ``extra_loss`` (lift tests). ``progress(iterable)`` wraps the loop over edges.

    Examples
    --------
    >>> torch.manual_seed(0) is not None
    True
    >>> spend = torch.rand(1, 80, 2, dtype=torch.float64)
    >>> spend[..., 1] = 0.9 * spend[..., 0] + 0.1 * torch.rand(1, 80)  # a placebo follows it
    >>> y = 0.3 + 0.4 * spend[..., :1] + 0.02 * torch.randn(1, 80, 1, dtype=torch.float64)
    >>> x, c = torch.cat([spend, y], -1), torch.zeros(1, 80, 0, dtype=torch.float64)
    >>> dec = StructuralDecoder(3, 0, n_channels=2, max_lag=2).double()
    >>> graph = torch.zeros(3, 3, dtype=torch.float64)
    >>> graph[:2, 2] = 1.0
    >>> _ = fit_structural(dec, x, c, graph, max_iter=300)
    >>> ev = edge_bayes_factors(dec, x, c, graph, [(0, 2), (1, 2)], max_iter=100)
    >>> bool(ev.log_bf[0, 2] > 5), bool(ev.log_bf[1, 2] < 0), bool(ev.log_bf[0, 0].isnan())
    (True, True, True)
    """
    priors = priors or StructuralPriors()
    dt = torch.float64
    x, c, graph = x.to(dt), c.to(dt), graph.to(dt)
    base = copy.deepcopy(dec).to(dt)
    n = base.n_nodes
    mask = date_mask(None, x.shape[0], x.shape[1], x.device)

    def refit(g: torch.Tensor, iterations: int = max_iter):
        d = copy.deepcopy(base)
        fit_structural(d, x, c, g, max_iter=iterations, init=False, priors=priors,
                       extra_loss=extra_loss)  # fmt: skip
        with torch.no_grad():
            u = neg_log_posterior(d, x, c, g, mask, priors)
            if extra_loss is not None:
                u = u + extra_loss(d, x, c, g)
        return d, float(u)

    base, _ = refit(graph, 2 * max_iter)  # polish: the Laplace covariance needs the mode
    post = laplace_posterior(base, x, c, graph, priors=priors, n_draws=1)
    positions = _edge_positions(post, n)
    _, control = refit(graph)
    out = torch.full((3, n, n), float("nan"), dtype=dt)
    for j, i in progress(edges) if progress else edges:
        if (j, i) not in positions:
            raise ValueError(f"edge ({j}, {i}) is not an active edge of the graph: cannot test it")
        g0 = graph.clone()
        g0[j, i] = 0.0
        dropped, u0 = refit(g0)
        pos = positions[(j, i)]
        sigma = post.cov[pos][:, pos]
        h_prior = _prior_curvature(dropped, priors, j, i)
        # every raw value has at least its normal prior's curvature 1 / raw_sd^2 (a prior
        # that is not convex in raw space, the Gamma on a softplus, can dip below it)
        floor = 1.0 / priors.raw_sd**2
        log_det = torch.linalg.eigvalsh(0.5 * (h_prior + h_prior.T)).clamp_min(floor).log().sum()
        occam = 0.5 * float(log_det + torch.linalg.slogdet(sigma)[1])
        out[:, j, i] = torch.tensor([u0 - control + occam, u0 - control, occam], dtype=dt)
    return EdgeEvidence(out[0], out[1], out[2])
