"""The marketing-mix engine behind :func:`~pymc_dice.simulate.national` and
:func:`~pymc_dice.simulate.geo_panel`: additive response, carryover from the same period on,
logistic or Hill saturation, a funnel through mediators, target autoregression (see
``docs/simulator.md``).

All quantities are per unit of market size (one series: size 1); observed values are
``size * value``. For series ``s``, period ``t``, channel ``c`` with spend ``x``:

- ``u_c = x_c / (size_s * spend_scale_c)``; an edge ``c -> i`` adds
  ``beta * sat(sum_k kernel[k] * u_c[t - k])`` to node ``i``'s drive (``k = 0`` is the same
  period);
- a mediator ``m`` follows ``m_t = rho_m * m_{t-1} + base_m(t) + channel edges + shock``;
- the target ``y_t = rho_y * y_{t-1} + base_y(t) + channel edges
  + sum_m gamma_m * sum_k kernel_m[k] * m[t - k] + shock``.

Everything but the channel saturation is linear, so the total effect of a channel is the sum
of its edges' effects propagated through mediators and autoregression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymc_dice.simulate.result import hill, logistic

__all__ = ["MediaSystem", "adstock", "ar_filter", "carryover_kernels"]


def adstock(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Carryover ``out[t] = sum_k kernel[:, k] * x[t - k]`` along axis ``-2`` (zeros before).

    ``x`` is ``[..., T, E]``, ``kernel`` ``[E, L]`` (``k = 0`` is the same period).

    Examples
    --------
    >>> adstock(np.array([[1.0], [0.0], [0.0]]), np.array([[0.5, 0.3, 0.2]]))[:, 0].tolist()
    [0.5, 0.3, 0.2]
    """
    out = x * kernel[:, 0]
    for k in range(1, kernel.shape[1]):
        out[..., k:, :] += x[..., :-k, :] * kernel[:, k]
    return out


def ar_filter(x: np.ndarray, rho: np.ndarray, init: np.ndarray | None = None) -> np.ndarray:
    """``y_t = rho * y_{t-1} + x_t`` along axis ``-2`` for every column (rho ``[K]``).

    ``y_0`` is ``init`` or, by default, the steady state ``x_0 / (1 - rho)``. Computed by a
    log-depth prefix scan (no loop over periods).

    Examples
    --------
    >>> ar_filter(np.array([[1.0], [1.0], [0.0]]), np.array([0.5]))[:, 0].tolist()
    [2.0, 2.0, 1.0]
    """
    y = x.copy()
    y[..., 0, :] = x[..., 0, :] / (1.0 - rho) if init is None else init
    coef, shift, n_t = np.asarray(rho, dtype=float), 1, x.shape[-2]
    while shift < n_t:
        y[..., shift:, :] = y[..., shift:, :] + coef * y[..., :-shift, :]
        coef, shift = coef * coef, 2 * shift
    return y


def carryover_kernels(
    delayed: np.ndarray, alpha: np.ndarray, peak: np.ndarray, length: int, steps_per_week: int
) -> np.ndarray:
    """Normalised carryover weights ``[E, length]`` from lag 0 (the same period).

    Geometric ``alpha ** w`` or delayed (bell-shaped, pymc-marketing's delayed adstock)
    ``alpha ** ((w - peak) ** 2)``, with ``w`` the lag in weeks; weights sum to one.

    Examples
    --------
    >>> k = carryover_kernels(np.array([False, True]), np.array([0.5, 0.5]),
    ...                       np.array([0, 1]), 4, 1)
    >>> k.round(3).tolist()
    [[0.533, 0.267, 0.133, 0.067], [0.242, 0.485, 0.242, 0.03]]
    """
    weeks = np.arange(length) / steps_per_week
    expo = np.where(delayed[:, None], (weeks - peak[:, None]) ** 2, weeks)
    w = alpha[:, None] ** expo
    return w / w.sum(-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class MediaSystem:
    """Parameters of the marketing-mix dynamics (per unit market size) and the dynamics.

    Channel edges ``e`` go from channel ``edge_src[e]`` to endogenous node ``edge_dst[e]``
    (mediators ``0..M-1``, the target ``M``); ``edge_saturation`` is 0 (logistic,
    ``edge_lam``) or 1 (Hill, ``edge_half_sat``, ``edge_slope``). ``base_drive``
    ``[S, T_total, M + 1]`` holds intercept, trend, seasonality and controls.

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_periods=10, seed=0)
    >>> sim.system.n_mediators
    0
    >>> sim.system.edge_src.tolist(), sim.system.burn_in
    ([0, 1, 2], 52)
    """

    n_channels: int
    size: np.ndarray
    spend_scale: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_kernel: np.ndarray
    edge_beta: np.ndarray
    edge_saturation: np.ndarray
    edge_lam: np.ndarray
    edge_half_sat: np.ndarray
    edge_slope: np.ndarray
    mediator_kernel: np.ndarray
    mediator_effect: np.ndarray
    base_drive: np.ndarray
    persistence: np.ndarray
    burn_in: int

    @property
    def n_mediators(self) -> int:
        """Number of mediators ``M``."""
        return self.mediator_effect.shape[0]

    def channel_drive(self, spend: np.ndarray) -> np.ndarray:
        """Drive of every endogenous node from the channels, ``[..., S, T, M + 1]``.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> sim = national(n_periods=10, seed=0)
        >>> sim.system.channel_drive(sim.spend).shape
        (1, 62, 1)
        """
        u = spend / (self.size[:, None, None] * self.spend_scale)
        a = adstock(u[..., self.edge_src], self.edge_kernel)  # [..., S, T, E]
        sat = np.where(
            self.edge_saturation == 1,
            hill(a, self.edge_half_sat, self.edge_slope),
            logistic(a, self.edge_lam),
        )
        onehot = (self.edge_dst[:, None] == np.arange(self.n_mediators + 1)).astype(float)
        return (sat * self.edge_beta) @ onehot

    def run(
        self, spend: np.ndarray, noise: np.ndarray | None = None, *, target_only: bool = False
    ) -> np.ndarray:
        """Observed values ``[..., S, T_total, C + M + 1]`` for spend ``[..., S, T_total, C]``.

        ``noise`` ``[S, T_total, M + 1]`` holds additive shocks (per unit size) of the
        mediators and the target, propagated through their dynamics; ``None`` is the
        noise-free system. Leading axes of ``spend`` are scenarios, run in one pass.
        ``target_only`` returns the target ``[..., S, T_total]`` only.

        Examples
        --------
        >>> from pymc_dice.simulate import national
        >>> sim = national(n_periods=10, seed=0)
        >>> y = sim.system.run(sim.spend, sim.noise)[:, sim.system.burn_in :, -1]
        >>> bool(np.array_equal(y[0], sim.df["y"].to_numpy()))
        True
        """
        m = self.n_mediators
        drive = self.base_drive + self.channel_drive(spend)
        if noise is not None:
            drive = drive + noise
        mediators = ar_filter(drive[..., :m], self.persistence[:m])
        y_drive = drive[..., m:]
        if m:
            y_drive = (
                y_drive
                + (adstock(mediators, self.mediator_kernel) @ self.mediator_effect)[..., None]
            )
        y = ar_filter(y_drive, self.persistence[m:])[..., 0] * self.size[:, None]
        if target_only:
            return y
        size = self.size[:, None, None]
        return np.concatenate([spend, mediators * size, y[..., None]], axis=-1)
