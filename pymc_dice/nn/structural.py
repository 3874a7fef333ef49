"""The structural graph-safe decoder: an MMM per node, with edges only where the graph has them.

For node ``i`` (a mediator or the target) of series ``s`` at date ``t``::

    x_i(t) = level_si + gamma_i . c(t)
             + sum_j A[j, i] * beta_ji * sat_ji(adstock_ji(x_j)(t))
             + rho_i * x_i(t-1) [+ r_i(own past, c(t))]

Channel sources act at lags ``0..L-1`` (lag 0 is the same period, as in every MMM's adstock);
mediator (and target) sources at lags ``1..L``. Carryover weights are non-negative and sum to
one, saturations are increasing with ``sat(0) = 0``, ``beta >= 0`` and ``0 <= rho < 1``: setting
a channel to zero can never raise any prediction. See ``docs/structural.md``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from pymc_dice.exceptions import ConfigError, DataValidationError, PymcDiceError
from pymc_dice.nn.decoders import Decoder


def softplus_inv(y: float) -> float:
    """Inverse of ``softplus``: the raw value whose softplus is ``y > 0``.

    Examples
    --------
    >>> round(float(F.softplus(torch.tensor(softplus_inv(0.3)))), 6)
    0.3
    """
    return y + math.log(-math.expm1(-y))


class StructuralDecoder(Decoder):
    """Structural graph-safe decoder (module docstring for the equation).

    ``n_series`` per-series levels are shrunk towards a pooled level; every other parameter is
    shared across series, and acts on values divided by each series' scale (max-abs per node
    over the training dates, :meth:`set_series_scale`), so geos of different sizes share one
    response in relative terms. The state is ``[B, L + 2, N]``: row 0 the series' level, row 1
    its scale, rows ``2..L+1`` the lag window ``x(t-1) .. x(t-L)``, so rollouts over any batch
    keep each series' level and scale. Edges into channels and self-edges are ignored (own history is ``rho`` and the
    residual); channel columns of a prediction are the observed channels of that date.

    Parameters
    ----------
    n_nodes, n_controls, n_channels : int
        Nodes (channels first, target last), control columns, channels.
    n_series : int
        Series with their own level.
    max_lag : int
        ``L``: channel lags ``0..L-1``, other sources ``1..L``.
    carryover : {"geometric", "delayed", "free"}
        ``alpha^l`` normalised; pymc-marketing's delayed (bell-shaped) ``alpha^((l - theta)^2)``
        normalised, with a peak ``theta`` in ``[0, L - 1]`` per edge; or a softmax kernel.
    saturation : {"logistic", "hill"}
        ``(1 - exp(-lam a)) / (1 + exp(-lam a))`` or ``a^s / (a^s + k^s)`` with ``s >= 1``.
    own_lag : bool
        Whether ``rho_i x_i(t-1)`` enters.
    residual : int
        Hidden width of the optional residual of a node's OWN lags and the controls (0: off).
        It is non-decreasing in the own lags, so zeroing a channel still cannot raise a node.
    same_period_mediators : bool
        Whether mediator -> target edges act from lag 0 (this week's visits drive this week's
        sales): the target is then predicted after the mediators of its own date.
    media_share_prior : float, optional
        The ROAS prior of each channel's direct edge into the target, set by the fit from the
        data (:func:`direct_roas_prior`); None: the spend-share prior alone.

    Examples
    --------
    >>> dec = StructuralDecoder(n_nodes=3, n_controls=1, n_channels=1, n_series=2, max_lag=3)
    >>> x, c, graph = torch.rand(2, 6, 3), torch.rand(2, 6, 1), torch.ones(3, 3)
    >>> pred, states = dec(x, c, graph, return_states=True)
    >>> pred.shape, states.shape
    (torch.Size([2, 5, 3]), torch.Size([2, 6, 5, 3]))
    >>> torch.equal(pred[..., 0], x[:, 1:, 0])  # channels: the observed values
    True
    >>> state, p1 = dec.step(states[:, 0], x[:, 0], c[:, 1], graph, exog_next=x[:, 1, :1])
    >>> torch.allclose(p1, pred[:, 0])
    True
    >>> torch.equal(dec.forward(x, c, graph, series=[0, 1]), pred)
    True
    >>> dec.scored.tolist(), dec.beta().shape, dec.rho().shape, dec.sigma().shape
    ([False, True, True], torch.Size([3, 3]), torch.Size([3]), torch.Size([3]))
    >>> dec.carryover().shape, dec.saturate(torch.zeros(3, 3)).abs().max().item()
    (torch.Size([3, 3, 3]), 0.0)
    >>> lagged = torch.rand(2, 4, 3)  # [B, L + 1, N], lag 0 first
    >>> dec.edge_weights().shape, dec.edge_effect(lagged).shape
    (torch.Size([3, 3, 4]), torch.Size([2, 3, 3]))
    >>> level = dec.init_state(2, x)[:, 0]
    >>> dec.predict(lagged, c[:, 1], graph, level).shape, dec.series_index(2, None, "cpu").tolist()
    (torch.Size([2, 3]), [0, 1])
    >>> dec.set_series_scale(x)
    >>> torch.equal(dec.row_scale(torch.tensor([1])), x[1].amax(0, keepdim=True))
    True
    >>> dec.set_spend_share(torch.tensor([1.0]))  # one channel, all of the spend: prior x 1
    >>> dec.set_direct_prior(torch.tensor([0.5]))  # the channel's edge into the target
    >>> dec.beta_prior_scale[0].tolist()
    [1.0, 1.0, 0.5]
    >>> with_res = StructuralDecoder(3, 1, n_channels=1, max_lag=3, residual=4)
    >>> with_res.residual_term(lagged[:, 1:], c[:, 1]).shape
    torch.Size([2, 3])
    """

    uses_exog = True
    per_series = True

    def __init__(
        self,
        n_nodes: int,
        n_controls: int,
        n_channels: int,
        n_series: int = 1,
        max_lag: int = 8,
        carryover: str = "geometric",
        saturation: str = "logistic",
        own_lag: bool = True,
        residual: int = 0,
        same_period_mediators: bool = False,
        media_share_prior: float | None = None,
    ):
        super().__init__(n_nodes, n_controls)
        if carryover not in ("geometric", "delayed", "free"):
            raise ConfigError(f"carryover must be geometric, delayed or free, got {carryover!r}")
        if saturation not in ("logistic", "hill"):
            raise ConfigError(f"saturation must be 'logistic' or 'hill', got {saturation!r}")
        if not 0 <= n_channels < n_nodes or max_lag < 1 or n_series < 1:
            raise ConfigError(
                f"need 0 <= n_channels < n_nodes, max_lag >= 1, n_series >= 1; got n_channels="
                f"{n_channels}, n_nodes={n_nodes}, max_lag={max_lag}, n_series={n_series}"
            )
        n, lag = n_nodes, max_lag
        self.n_channels, self.n_series, self.max_lag = n_channels, n_series, max_lag
        self.carryover_kind, self.saturation_kind = carryover, saturation
        self.own_lag, self.residual = own_lag, residual
        self.same_period_mediators = same_period_mediators and n - n_channels > 1
        self.media_share_prior = media_share_prior
        # edges acting from lag 0 (lags 0..L-1): every channel edge and, when switched on,
        # mediator -> target edges (evaluated after the mediators: the target is last)
        same_period = torch.zeros(n, n, dtype=torch.bool)
        same_period[:n_channels] = True
        if self.same_period_mediators:
            same_period[n_channels:-1, -1] = True
        self.register_buffer("same_period", same_period)
        allowed = torch.ones(n, n)
        allowed[:, :n_channels] = 0.0  # channels are exogenous: nothing points into them
        allowed.fill_diagonal_(0.0)  # own history is rho / the residual, never an edge
        self.register_buffer("allowed", allowed)
        # per-series scale of every node (max-abs over the training dates, set by the fit):
        # the structural terms act on x / scale, so geos of different sizes share one response
        self.register_buffer("series_scale", torch.ones(n_series, n))
        # per-source scale of the beta prior (set by set_spend_share before a fit; only the
        # fit reads it, so it is not saved)
        self.register_buffer("beta_prior_scale", torch.ones(n, n), persistent=False)
        self.level_pool = nn.Parameter(torch.zeros(n))
        self.level_dev = nn.Parameter(torch.zeros(n_series, n))
        self.control_weight = nn.Parameter(torch.zeros(n_controls, n))
        self.beta_raw = nn.Parameter(torch.full((n, n), softplus_inv(0.05)))
        if carryover == "free":
            self.lag_logits = nn.Parameter(
                -0.3 * torch.arange(lag).float().expand(n, n, lag).clone()
            )
        else:
            self.decay_raw = nn.Parameter(torch.full((n, n), -1.0))
        if carryover == "delayed":  # peak theta = (L - 1) sigmoid(delay_raw), 0.5 at the start
            self.delay_raw = nn.Parameter(torch.full((n, n), -math.log(max(2.0 * lag - 3, 1))))
        if saturation == "logistic":
            self.lam_raw = nn.Parameter(torch.full((n, n), softplus_inv(2.0)))
        else:
            self.half_raw = nn.Parameter(torch.full((n, n), softplus_inv(0.5)))
            self.shape_raw = nn.Parameter(torch.full((n, n), softplus_inv(0.5)))
        if own_lag:
            self.rho_raw = nn.Parameter(torch.full((n,), -2.0))
        self.noise_raw = nn.Parameter(torch.full((n,), math.log(0.1)))
        if residual:
            self.res_own_raw = nn.Parameter(torch.randn(n, lag, residual) - 2.0)
            self.res_ctrl = nn.Parameter(0.1 * torch.randn(n, n_controls, residual))
            self.res_bias = nn.Parameter(torch.zeros(n, residual))
            self.res_out_raw = nn.Parameter(torch.full((n, residual), -4.0))

    # ---- constrained parameters -------------------------------------------------------------
    @property
    def scored(self) -> torch.Tensor:
        """Boolean ``[N]``: the nodes the model predicts (not the channels)."""
        return torch.arange(self.n_nodes, device=self.allowed.device) >= self.n_channels

    def beta(self) -> torch.Tensor:
        """Non-negative edge effects ``[N, N]`` (source, target)."""
        return F.softplus(self.beta_raw)

    def rho(self) -> torch.Tensor:
        """Own autoregression ``[N]`` in ``[0, 1)`` (zero where ``own_lag`` is off)."""
        if not self.own_lag:
            return self.noise_raw.new_zeros(self.n_nodes)
        return torch.sigmoid(self.rho_raw)

    def sigma(self) -> torch.Tensor:
        """Per-node noise scale ``[N]``."""
        return torch.exp(self.noise_raw)

    def carryover(self) -> torch.Tensor:
        """Carryover weights ``[N, N, L]``, summing to one; entry ``l`` is the ``l``-th lag of
        the source (``l`` for a channel, ``l + 1`` for any other source)."""
        if self.carryover_kind == "free":
            return torch.softmax(self.lag_logits, -1)
        log_alpha = F.logsigmoid(self.decay_raw).unsqueeze(-1)
        lags = torch.arange(self.max_lag, device=log_alpha.device, dtype=log_alpha.dtype)
        if self.carryover_kind == "delayed":  # bell-shaped around the peak theta
            theta = (self.max_lag - 1) * torch.sigmoid(self.delay_raw).unsqueeze(-1)
            return torch.softmax(log_alpha * (lags - theta).square(), -1)
        return torch.softmax(log_alpha * lags, -1)

    def saturate(self, a: torch.Tensor) -> torch.Tensor:
        """Per-edge saturation of adstocked values ``a: [..., N, N]`` (increasing, 0 at 0)."""
        if self.saturation_kind == "logistic":
            return torch.tanh(0.5 * F.softplus(self.lam_raw) * a)
        half = F.softplus(self.half_raw) + 1e-3
        shape = 1.0 + F.softplus(self.shape_raw)
        p = a.clamp_min(0) ** shape
        return p / (p + half**shape)

    # ---- prediction ------------------------------------------------------------------------
    def edge_weights(self) -> torch.Tensor:
        """Lag weights ``[N, N, L + 1]`` per edge on the common lag axis ``0..L``: same-period
        edges (channels; mediator -> target when switched on) at lags ``0..L-1``, every other
        edge at ``1..L``."""
        w = self.carryover()
        return torch.where(self.same_period[..., None], F.pad(w, (0, 1)), F.pad(w, (1, 0)))

    def edge_effect(self, lagged: torch.Tensor) -> torch.Tensor:
        """``beta_ji * sat_ji(adstock_ji(x_j))`` for every edge, ``[..., N, N]``, from
        ``lagged[..., l, j] = x_j(t - l)``, ``l = 0..L``."""
        adstock = torch.einsum("...lj,jil->...ji", lagged, self.edge_weights())
        return self.beta() * self.saturate(adstock)

    def residual_term(self, own: torch.Tensor, c_next: torch.Tensor) -> torch.Tensor:
        """``r_i`` from node i's own lags ``own: [..., L, N]`` and the controls: ``[..., N]``."""
        h = torch.einsum("...li,ilh->...ih", own, F.softplus(self.res_own_raw))
        h = torch.tanh(h + torch.einsum("...c,ich->...ih", c_next, self.res_ctrl) + self.res_bias)
        return (h * F.softplus(self.res_out_raw)).sum(-1)

    def predict(self, lagged, c_next, graph, level, scale=None):
        """Predictions ``[..., N]`` from ``lagged: [..., L + 1, N]`` (lag 0 first), the controls
        ``c_next: [..., C]``, ``graph: [..., N, N]``, the level ``[..., N]`` and the series'
        scale ``[..., N]`` (default 1): the structural terms act on ``lagged / scale`` and
        the prediction is scaled back."""
        u = lagged if scale is None else lagged / scale.unsqueeze(-2)
        media = (graph * self.allowed * self.edge_effect(u)).sum(-2)
        pred = level + c_next @ self.control_weight + media + self.rho() * u[..., 1, :]
        if self.residual:
            pred = pred + self.residual_term(u[..., 1:, :], c_next)
        if scale is not None:
            pred = pred * scale
        k = self.n_channels
        return torch.cat([lagged[..., 0, :k], pred[..., k:]], -1)

    @torch.no_grad()
    def set_series_scale(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        """Per-series max-abs of every node over the dates of ``mask: [S, T]`` (all dates by
        default); a node that is zero there keeps scale 1."""
        xs = torch.nan_to_num(x).abs()
        if mask is not None:
            xs = torch.where(mask[..., None], xs, 0.0)
        top = xs.amax(1)
        self.series_scale.copy_(torch.where(top > 0, top, torch.ones_like(top)).to(top.dtype))

    @torch.no_grad()
    def set_spend_share(self, share: torch.Tensor) -> None:
        """Scale the beta prior of every edge out of channel ``k`` by ``K * share[k]`` (its
        share of the total spend; pymc-marketing's recommended spend-share prior): a channel
        with a sliver of the budget is not given the prior effect of the largest one."""
        k = self.n_channels
        share = torch.as_tensor(share, dtype=self.beta_prior_scale.dtype).to(self.allowed.device)
        self.beta_prior_scale.fill_(1.0)
        self.beta_prior_scale[:k] = (k * share).clamp_min(1e-3)[:, None]

    @torch.no_grad()
    def set_direct_prior(self, scale: torch.Tensor) -> None:
        """Scale the beta prior of each channel's direct edge into the target by ``scale[k]``
        (see :func:`direct_roas_prior`)."""
        k = self.n_channels
        self.beta_prior_scale[:k, -1] = torch.as_tensor(scale).to(self.beta_prior_scale)

    def row_scale(self, idx: torch.Tensor) -> torch.Tensor:
        """Scale ``[B, N]`` of the series of each row."""
        return self.series_scale[idx]

    def series_index(self, batch: int, series, device) -> torch.Tensor:
        """Series of each batch row: ``series`` if given, else all series in order."""
        if series is not None:
            return torch.as_tensor(series, device=device, dtype=torch.long)
        if batch == self.n_series or self.n_series == 1:
            return torch.arange(batch, device=device) % self.n_series
        raise DataValidationError(
            f"batch of {batch} series but the decoder has {self.n_series} series levels: pass "
            "series= (the level index of each row)"
        )

    def init_state(self, batch, like, series=None):
        """Level row, scale row, then a zero lag window: ``[B, L + 2, N]``."""
        idx = self.series_index(batch, series, like.device)
        level = (self.level_pool + self.level_dev[idx]).to(like.dtype)
        scale = self.row_scale(idx).to(like.dtype)
        window = like.new_zeros(batch, self.max_lag, self.n_nodes)
        return torch.cat([level.unsqueeze(1), scale.unsqueeze(1), window], 1)

    def step(self, state, x_t, c_next, graph, exog_next=None):
        """Push ``x_t`` into the window and predict the next date; ``exog_next`` (the channels
        of the predicted date) is required: channels act in their own period."""
        if exog_next is None and self.n_channels:
            raise PymcDiceError(
                "StructuralDecoder.step needs exog_next (the channels of the predicted date); "
                "pymc_dice.nn.decoders.rollout passes it"
            )
        window = torch.cat([x_t.unsqueeze(1), state[:, 2:-1]], 1)
        exog = x_t.new_zeros(x_t.shape[0], 0) if exog_next is None else exog_next
        now = torch.cat([exog, x_t.new_zeros(x_t.shape[0], self.n_nodes - self.n_channels)], -1)
        lagged = torch.cat([now.unsqueeze(1), window], 1)
        graph = graph.expand(x_t.shape[0], -1, -1) if graph.dim() == 2 else graph
        pred = self.predict(lagged, c_next, graph, state[:, 0], state[:, 1])
        if self.same_period_mediators:  # the target reads the mediators of its own date
            now = torch.cat([pred[:, :-1], torch.zeros_like(pred[:, -1:])], -1)
            lagged = torch.cat([now.unsqueeze(1), window], 1)
            pred = self.predict(lagged, c_next, graph, state[:, 0], state[:, 1])
        return torch.cat([state[:, :2], window], 1), pred

    def forward(self, x, c, graph, return_states=False, series=None):
        """Teacher-forced predictions ``[B, T-1, N]`` of ``x[:, 1:]``, vectorised over time."""
        b, t_len, _ = x.shape
        padded = F.pad(x, (0, 0, self.max_lag, 0))
        lagged = padded.unfold(1, self.max_lag + 1, 1).flip(-1).transpose(-1, -2)  # [B,T,L+1,N]
        head = self.init_state(b, x, series)[:, :2]  # level and scale rows
        level, scale = head[:, 0], head[:, 1]
        g = graph.unsqueeze(1) if graph.dim() == 3 else graph
        preds = self.predict(lagged[:, 1:], c[:, 1:], g, level.unsqueeze(1), scale.unsqueeze(1))
        if not return_states:
            return preds
        states = torch.cat([head[:, None].expand(-1, t_len, -1, -1), lagged[:, :, 1:]], 2)
        return preds, states


@dataclass(frozen=True)
class StructuralPriors:
    """Weak priors, written as penalties (negative log densities up to constants), in scaled
    units (max-abs scaled nodes, so the target is of order one).

    ``level_sd``: normal on the pooled level; ``series_sd``: normal on each series' deviation
    from it (the shrinkage); ``beta_sd``: half-normal on ``beta``; ``gamma_sd``: normal on the
    control weights; ``rho_ab``: Beta on ``rho``; ``decay_ab``: Beta on the geometric decay;
    ``delay_ab``: Beta on the delayed carryover's peak as a share of ``L - 1``;
    ``lam_ab``: Gamma (shape, rate) on the logistic ``lam``; ``half_ab``: Gamma on the Hill
    half-saturation; ``raw_sd``: normal on every unconstrained raw value (keeps the posterior
    proper where the data are silent); ``residual_sd``: normal on the residual's weights.

    Examples
    --------
    >>> StructuralPriors().beta_sd, StructuralPriors(beta_sd=0.5).beta_sd
    (1.0, 0.5)
    """

    level_sd: float = 1.0
    series_sd: float = 0.5
    beta_sd: float = 1.0
    gamma_sd: float = 1.0
    rho_ab: tuple[float, float] = (1.0, 3.0)
    #: Beta(2, 2): no lean to short carryover (Beta(1, 3)'s biased ROAS down; docs/benchmarks.md)
    decay_ab: tuple[float, float] = (2.0, 2.0)
    delay_ab: tuple[float, float] = (1.0, 2.0)
    lam_ab: tuple[float, float] = (3.0, 1.0)
    half_ab: tuple[float, float] = (3.0, 4.0)
    raw_sd: float = 3.0
    residual_sd: float = 0.5
    #: widest Laplace sd in any direction of the unconstrained parameters (a factor e on a
    #: softplus or logit scale): directions the data leave flat keep their prior in the
    #: constrained space, which a wider Gaussian in raw space would overshoot into huge effects
    posterior_sd_max: float = 1.0


RAW_NAMES = (
    "beta_raw",
    "lag_logits",
    "decay_raw",
    "delay_raw",
    "lam_raw",
    "half_raw",
    "shape_raw",
    "rho_raw",
    "noise_raw",
)


def neg_log_prior(dec: StructuralDecoder, priors: StructuralPriors) -> torch.Tensor:
    """The penalty: negative log prior of every parameter of ``dec``.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=1)
    >>> bool(torch.isfinite(neg_log_prior(dec, StructuralPriors())))
    True
    """
    p = priors
    out = 0.5 * (dec.level_pool / p.level_sd).square().sum()
    out = out + 0.5 * (dec.level_dev / p.series_sd).square().sum()
    out = out + 0.5 * (dec.control_weight / p.gamma_sd).square().sum()
    beta_sd = p.beta_sd * dec.beta_prior_scale
    out = out + 0.5 * (dec.beta() / beta_sd).square().sum()
    for name in RAW_NAMES:
        if hasattr(dec, name):
            out = out + 0.5 * (getattr(dec, name) / p.raw_sd).square().sum()

    def beta_pen(raw, ab):  # -log Beta(a, b) of sigmoid(raw), written with logsigmoid
        return -((ab[0] - 1) * F.logsigmoid(raw) + (ab[1] - 1) * F.logsigmoid(-raw)).sum()

    def gamma_pen(v, ab):
        return -((ab[0] - 1) * torch.log(v) - ab[1] * v).sum()

    for name, ab in (("rho_raw", p.rho_ab), ("decay_raw", p.decay_ab), ("delay_raw", p.delay_ab)):
        if hasattr(dec, name):  # own lag on; geometric or delayed carryover; delayed
            out = out + beta_pen(getattr(dec, name), ab)
    if dec.saturation_kind == "logistic":
        out = out + gamma_pen(F.softplus(dec.lam_raw), p.lam_ab)
    else:
        out = out + gamma_pen(F.softplus(dec.half_raw) + 1e-3, p.half_ab)
    if dec.residual:
        res = (dec.res_own_raw, dec.res_ctrl, dec.res_bias, dec.res_out_raw)
        out = out + sum(0.5 * (w / p.residual_sd).square().sum() for w in res)
    return out


@torch.no_grad()
def direct_roas_prior(
    dec: StructuralDecoder, x: torch.Tensor, node_scales: torch.Tensor, media_share: float
) -> torch.Tensor:
    """Prior sd of each channel's direct-edge ``beta`` (scaled units) that gives its ROAS a
    half-normal prior with sd ``media_share * (total target / total spend)``.

    Scale-free: the prior sd of a ROAS is a share of the business's own target per unit of
    spend, so it holds for revenue, units or visits alike; with every channel at that sd,
    media is expected to drive about ``0.8 * media_share`` of the target. The ROAS of an edge
    is ``beta * sum(sat(u) * target scale) / sum(spend)``; ``sat`` is taken at the decoder's
    current (initial) saturation, carryover summing to one. ``x: [S, T, N]`` in scaled units,
    ``node_scales: [N]`` original units per scaled unit; the decoder's series scales must be
    set (:meth:`StructuralDecoder.set_series_scale`).

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1).double()
    >>> x = torch.rand(1, 30, 2, dtype=torch.float64)
    >>> dec.set_series_scale(x)
    >>> sd = direct_roas_prior(dec, x, torch.tensor([10.0, 100.0]), 0.25)
    >>> sd.shape, bool(sd[0] > 0)
    (torch.Size([1]), True)
    """
    k, n = dec.n_channels, dec.n_nodes
    scales = node_scales.to(x)
    spend = (x[..., :k] * scales[:k]).nansum((0, 1))
    ratio = (x[..., -1] * scales[-1]).nansum() / spend.sum().clamp_min(1e-12)
    rows = torch.linspace(0, x.shape[0] - 1, min(x.shape[0], 256)).round().long()  # enough
    xs, series_scale = x[rows], dec.series_scale[rows].to(x)
    a = xs.new_zeros(*xs.shape[:2], n, n)
    a[..., :k, :] = (torch.nan_to_num(xs[..., :k]) / series_scale[:, None, :k]).unsqueeze(-1)
    sat = dec.saturate(a)[..., :k, -1]  # [S', T, K]: each channel's edge into the target
    target = series_scale[:, -1] * scales[-1]  # [S']
    reach = (target[:, None, None] * sat).sum((0, 1))
    spend_rows = (xs[..., :k] * scales[:k]).nansum((0, 1))
    return media_share * ratio * spend_rows / reach.clamp_min(1e-12)


def date_mask(spec, n_series: int, n_dates: int, device=None) -> torch.Tensor:
    """A boolean ``[S, T]`` date mask from ``None`` (all), a ``slice`` or a ``[T]`` /
    ``[S, T]`` boolean array.

    Examples
    --------
    >>> date_mask(slice(0, 3), 2, 5).int().tolist()
    [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0]]
    """
    if spec is None:
        return torch.ones(n_series, n_dates, dtype=torch.bool, device=device)
    if isinstance(spec, slice):
        m = torch.zeros(n_dates, dtype=torch.bool, device=device)
        m[spec] = True
        return m.expand(n_series, -1)
    m = torch.as_tensor(spec, dtype=torch.bool, device=device)
    if m.shape not in ((n_dates,), (n_series, n_dates)):
        raise DataValidationError(
            f"date mask of shape {tuple(m.shape)}: expected ({n_dates},) or ({n_series}, {n_dates})"
        )
    return m.expand(n_series, -1)


def gaussian_nll(
    dec: StructuralDecoder, x, c, graph, mask, series=None, per_date: bool = False
) -> torch.Tensor:
    """Teacher-forced Gaussian negative log-likelihood of the scored (non-channel) nodes on the
    dates where ``mask: [S, T]`` is true (date 0 is never predicted). NaN values are skipped.
    ``per_date``: one term per predicted date ``[T - 1]`` (summed over series and nodes).

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=1)
    >>> x, c = torch.rand(1, 8, 3), torch.rand(1, 8, 1)
    >>> nll = gaussian_nll(dec, x, c, torch.ones(3, 3), torch.ones(1, 8, dtype=torch.bool))
    >>> nll.shape, bool(torch.isfinite(nll))
    (torch.Size([]), True)
    >>> m = torch.ones(1, 8, dtype=torch.bool)
    >>> gaussian_nll(dec, x, c, torch.ones(3, 3), m, per_date=True).shape
    torch.Size([7])
    """
    pred = dec(torch.nan_to_num(x), c, graph, series=series)
    obs = x[:, 1:]
    keep = mask[:, 1:, None] & dec.scored & ~torch.isnan(obs)
    sigma = series_sigma(dec, x.shape[0], series).unsqueeze(1)  # [S, 1, N]
    z = (torch.nan_to_num(obs) - pred) / sigma
    terms = torch.where(keep, 0.5 * z.square() + torch.log(sigma), 0.0)
    return terms.sum((0, 2)) if per_date else terms.sum()


def series_sigma(dec: StructuralDecoder, batch: int, series=None) -> torch.Tensor:
    """Noise scale ``[B, N]`` of each row's series: ``sigma`` times the series' scale.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1, n_series=2)
    >>> series_sigma(dec, 2).shape
    torch.Size([2, 2])
    """
    idx = dec.series_index(batch, series, dec.series_scale.device)
    return dec.sigma() * dec.row_scale(idx)


def neg_log_posterior(dec, x, c, graph, mask, priors, series=None) -> torch.Tensor:
    """:func:`gaussian_nll` plus :func:`neg_log_prior`: the MAP objective.

    Examples
    --------
    >>> dec = StructuralDecoder(3, 1, n_channels=1)
    >>> x, c, m = torch.rand(1, 8, 3), torch.rand(1, 8, 1), torch.ones(1, 8, dtype=torch.bool)
    >>> bool(neg_log_posterior(dec, x, c, torch.ones(3, 3), m, StructuralPriors()) > 0)
    True
    """
    return gaussian_nll(dec, x, c, graph, mask, series) + neg_log_prior(dec, priors)


@dataclass
class StructuralFit:
    """What :func:`fit_structural` returns: the final objective per scored observation, the
    best held-out NLL per observation (None without held-out dates), L-BFGS iterations,
    seconds and the history ``(iterations, train, val)`` per check.

    Examples
    --------
    >>> StructuralFit(loss=-2.5, val_loss=None, n_iter=40, seconds=0.3).n_iter
    40
    """

    loss: float
    val_loss: float | None
    n_iter: int
    seconds: float
    history: list = field(default_factory=list)


@torch.no_grad()
def init_from_data(dec: StructuralDecoder, x, mask) -> None:
    """Start the levels at the mean of each scored node and the noise at its spread.

    Examples
    --------
    >>> dec = StructuralDecoder(2, 0, n_channels=1)
    >>> init_from_data(dec, torch.full((1, 5, 2), 0.4), torch.ones(1, 5, dtype=torch.bool))
    >>> round(dec.level_pool[1].item(), 3)
    0.4
    """
    x = x / dec.series_scale[:, None] if dec.n_series == x.shape[0] else x
    w = mask[..., None] & ~torch.isnan(x)
    xs = torch.where(w, x, 0.0)
    n = w.sum((0, 1)).clamp_min(1)
    mean = xs.sum((0, 1)) / n
    sd = ((torch.where(w, x - mean, 0.0)).square().sum((0, 1)) / n).sqrt().clamp_min(1e-3)
    dec.level_pool.copy_(mean.to(dec.level_pool.dtype))
    dec.noise_raw.copy_(torch.log(0.5 * sd).to(dec.noise_raw.dtype))


def fit_structural(
    dec: StructuralDecoder,
    x: torch.Tensor,
    c: torch.Tensor,
    graph: torch.Tensor,
    *,
    train=None,
    val=None,
    priors: StructuralPriors | None = None,
    max_iter: int = 500,
    check_every: int = 25,
    patience: int = 2,
    val_tol: float = 0.01,
    series=None,
    seed: int = 0,
    init: bool = True,
    tol: float = 1e-9,
    extra_loss=None,
    history_size: int = 100,
) -> StructuralFit:
    """MAP fit by L-BFGS of :func:`neg_log_posterior`, early-stopped on held-out dates.

    ``train`` / ``val`` are date masks (see :func:`date_mask`); the held-out NLL per
    observation is checked every ``check_every`` iterations. The fit stops after ``patience``
    checks whose held-out NLL exceeds the best by more than ``val_tol`` (overfitting), and
    then returns to the best parameters; differences under ``val_tol`` are noise of a
    posterior mode that is still moving along weakly identified directions (level against a
    slow channel), so the fit keeps converging through them. It also stops when a check improves the objective per
    observation by less than ``tol`` (relative). The objective is vectorised over series and
    time. ``x``, ``c`` and ``graph`` are cast to the decoder's dtype (float64 recommended).
    ``extra_loss(dec, x, c, graph)``, if given, is added to the objective (e.g. the lift
    tests' likelihood, :func:`pymc_dice.budget.lift_test_loss`). ``history_size``: L-BFGS
    memory; on a 60-geo panel 100 pairs reach in 500 iterations the objective that 20 pairs
    reach in 2,000 (the curvature of co-moving channels' effects needs a long memory).

    Examples
    --------
    >>> torch.manual_seed(0) is not None
    True
    >>> x = torch.rand(1, 40, 2)
    >>> x[..., 1] = 0.2 + 0.5 * x[..., 0] + 0.01 * torch.randn(1, 40)
    >>> dec = StructuralDecoder(2, 0, n_channels=1, max_lag=2)
    >>> fit = fit_structural(dec, x, torch.zeros(1, 40, 0), torch.ones(2, 2),
    ...                      train=slice(0, 30), val=slice(30, 40), max_iter=100)
    >>> fit.val_loss < 0, fit.n_iter > 0  # a good held-out fit: NLL per observation < 0
    (True, True)
    """
    torch.manual_seed(seed)
    priors = priors or StructuralPriors()
    dt = dec.level_pool.dtype
    x, c, graph = x.to(dt), c.to(dt), graph.to(dt)
    s, t_len, _ = x.shape
    tr = date_mask(train, s, t_len, x.device)
    va = None if val is None else date_mask(val, s, t_len, x.device)
    if init:
        if dec.n_series == s:
            dec.set_series_scale(x, tr)
        init_from_data(dec, x, tr)
    n_obs = max(int((tr[:, 1:, None] & dec.scored).sum()), 1)
    n_val = 0 if va is None else max(int((va[:, 1:, None] & dec.scored).sum()), 1)
    opt = torch.optim.LBFGS(
        dec.parameters(),
        lr=1.0,
        max_iter=check_every,
        history_size=history_size,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
    )

    def closure():
        opt.zero_grad()
        loss = neg_log_posterior(dec, x, c, graph, tr, priors, series)
        if extra_loss is not None:
            loss = loss + extra_loss(dec, x, c, graph)
        loss = loss / n_obs
        loss.backward()
        return loss

    start = time.perf_counter()
    best, best_state, since, history, n_iter = math.inf, None, 0, [], 0
    loss = math.inf
    while n_iter < max_iter:
        loss = float(opt.step(closure).detach())
        done = opt.state[opt.param_groups[0]["params"][0]].get("n_iter", 0)
        moved, n_iter = done > n_iter, done
        with torch.no_grad():
            v = None if va is None else float(gaussian_nll(dec, x, c, graph, va, series)) / n_val
        history.append((n_iter, loss, v))
        score = loss if v is None else v
        if score < best:
            best, best_state = score, {k: p.detach().clone() for k, p in dec.state_dict().items()}
        since = since + 1 if score > best + val_tol else 0
        stalled = len(history) > 1 and history[-2][1] - loss < tol * max(1.0, abs(loss))
        if not moved or stalled or since >= patience or not math.isfinite(loss):
            break
    final = history[-1][1] if va is None else history[-1][2]
    if best_state is not None and not final <= best + val_tol:  # overfitting (or NaN): go back
        dec.load_state_dict(best_state)
    with torch.no_grad():
        v = None if va is None else float(gaussian_nll(dec, x, c, graph, va, series)) / n_val
        loss = float(neg_log_posterior(dec, x, c, graph, tr, priors, series)) / n_obs
    return StructuralFit(
        loss=loss,
        val_loss=v,
        n_iter=n_iter,
        seconds=time.perf_counter() - start,
        history=history,
    )
