"""Budget optimisation and lift-test calibration of a fitted structural ``DiceMMM``.

- :func:`optimize_budget` allocates a per-period budget over channels (and the model's dims)
  for the next ``num_periods`` dates, as pymc-marketing's ``optimize_budget`` does, by
  maximising the expected total target over that window. The response of an allocation is
  the fitted model's closed-loop rollout from the end of the fitted data
  (the closed-loop rollout): carryover, saturation, mediators and the target's own lags all
  count, and it is averaged over every posterior draw of every chain (the expected response
  under the posterior, which is what a risk-neutral decision maximises; the posterior-mean
  parameters would ignore that saturation is curved and the draws disagree). SLSQP
  (scipy) moves the shares of the budget, with the gradient of that average from torch.
- :func:`add_lift_test_measurements` stores lift tests on the model; the next ``fit`` adds
  :func:`lift_test_loss` (a Gaussian likelihood of each measured lift) to the structural
  decoder's MAP objective. See ``docs/budget.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import xarray as xr
from scipy.optimize import OptimizeResult, minimize

from pymc_dice.arms import is_structural
from pymc_dice.data import Panel
from pymc_dice.ensemble import DRAW_CHUNK, FittedEnsemble
from pymc_dice.exceptions import ConfigError, DataValidationError, NotFittedError, PymcDiceError
from pymc_dice.inputs import future_inputs
from pymc_dice.nn.decoders import rollout
from pymc_dice.nn.laplace import map_draws

__all__ = [
    "LIFT_COLUMNS",
    "BudgetResult",
    "add_lift_test_measurements",
    "lift_loss_for",
    "lift_test_loss",
    "optimize_budget",
    "predicted_lift",
]

#: columns of a lift-test table (pymc-marketing's ``df_lift_test``), plus the model's dims
LIFT_COLUMNS = ("channel", "x", "delta_x", "delta_y", "sigma")


# ---------------------------------------------------------------------------------------------
# the response of an allocation
# ---------------------------------------------------------------------------------------------


def structural_ensemble(model: Any) -> FittedEnsemble:
    """The fitted ensemble of ``model``, which must have a structural decoder.

    Examples
    --------
    >>> from pymc_dice.mmm import DiceMMM
    >>> structural_ensemble(DiceMMM())
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.NotFittedError: this DiceMMM is not fitted yet: call .fit(df) first
    """
    ens = getattr(model, "ensemble_", None)
    if ens is None:
        raise NotFittedError("this DiceMMM is not fitted yet: call .fit(df) first")
    if not ens.structural:
        raise ConfigError(
            f"budget optimisation needs a structural decoder (posterior draws of its response "
            f"curves); this model's arm is {ens.model_config.arm!r} with decoder "
            f"{ens.model_config.decoder!r}: refit with the default model_config"
        )
    return ens


def _future_window(
    ens: FittedEnsemble, num_periods: int, X: pd.DataFrame | None = None
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Scaled ``x`` ``[S, T + H, N]`` (zero spend on the ``H = num_periods`` new dates) and
    decoder controls ``c`` (with the time features) over fitted + new dates, and the new dates.

    ``X`` gives the controls of the new dates (date, dims and control columns; channel
    columns are not read); by default each control keeps its last fitted value.
    """
    panel = ens.panel
    roles = panel.roles
    if X is None:
        step = panel.dates[-1] - panel.dates[-2]
        dates = pd.DatetimeIndex([panel.dates[-1] + step * (h + 1) for h in range(num_periods)])
        new_x = np.zeros((panel.values.shape[0], num_periods, panel.values.shape[-1]))
        x = np.concatenate([panel.values, new_x], 1)
        c = np.concatenate([panel.controls, np.repeat(panel.controls[:, -1:], num_periods, 1)], 1)
    else:
        frame = X.copy()
        for col in roles.channel_columns:
            frame[col] = 0.0
        x, c, dates = future_inputs(roles, panel, frame)
        if len(dates) != num_periods:
            raise DataValidationError(
                f"X has {len(dates)} new dates but num_periods={num_periods}: pass the controls "
                "of exactly the num_periods dates after the fitted ones"
            )
        x[:, len(panel.dates) :, panel.n_channels :] = 0.0
    feats = panel.time_features_for(panel.dates.append(dates))
    if feats.shape[1]:
        c = np.concatenate([c, np.broadcast_to(feats, (c.shape[0], *feats.shape))], -1)
    return x, c, dates


def _window_response(
    ens: FittedEnsemble, spend: torch.Tensor, x: torch.Tensor, c: torch.Tensor
) -> torch.Tensor:
    """Total target over the new dates ``[chain, draw]`` (original units) when every series
    spends ``spend: [S, C]`` (scaled) per period on them; differentiable in ``spend``.

    ``x`` and ``c`` are :func:`_future_window`'s arrays as float64 tensors. Teacher forcing over
    the fitted dates, then the closed-loop rollout (mediators and the target fed back), under
    every posterior draw (vectorised over draws and series).
    """
    t_fit, n_ch = len(ens.panel.dates), ens.panel.n_channels
    s_len, t_len, n = x.shape
    horizon = t_len - t_fit
    future = torch.cat(
        [spend[:, None, :].expand(s_len, horizon, n_ch), x.new_zeros(s_len, horizon, n - n_ch)],
        -1,
    )
    xt = torch.cat([x[:, :t_fit], future], 1)
    origin = torch.as_tensor([t_fit - 1], device=x.device)
    out = []
    for k, arm in enumerate(ens.arms):
        g = torch.as_tensor(ens.graph_samples[k, 0, 0], dtype=torch.float64, device=x.device)

        def total(d, g=g):
            _, states = d(xt[:, :t_fit], c[:, :t_fit], g, return_states=True)
            return rollout(d, xt, c, g, origin, horizon, n_ch, states=states)[:, 0, :, -1].sum()

        out.append(map_draws(arm.decoder, arm.param_draws, total, chunk_size=DRAW_CHUNK))
    return torch.stack(out) * float(ens.panel.node_scaler.scales[-1])


# ---------------------------------------------------------------------------------------------
# budget optimisation
# ---------------------------------------------------------------------------------------------


@dataclass
class BudgetResult:
    """What :func:`optimize_budget` returns; unpacks as ``budgets, scipy_result`` (as
    pymc-marketing's ``BudgetOptimizationResult``).

    Attributes
    ----------
    budgets : DataArray ``(*dims, channel)``
        Spend per period of each cell (original units); sums to the budget.
    scipy_result : scipy.optimize.OptimizeResult
        The SLSQP result (``x``: shares of the budget, in the order of ``budgets.values``).
    response : DataArray ``(chain, draw)``
        Total target over the ``num_periods`` new dates under ``budgets``, per draw.
    baseline : DataArray ``(chain, draw)``
        The same under the starting allocation (``x0``: the current mix by default).

    Examples
    --------
    >>> res = BudgetResult(xr.DataArray([1.0], dims="channel"), OptimizeResult(x=[1.0]),
    ...                    xr.DataArray([[2.0]], dims=("chain", "draw")),
    ...                    xr.DataArray([[1.5]], dims=("chain", "draw")))
    >>> budgets, scipy_result = res
    >>> budgets.values.tolist(), float(res.uplift)
    ([1.0], 0.5)
    """

    budgets: xr.DataArray
    scipy_result: OptimizeResult
    response: xr.DataArray
    baseline: xr.DataArray

    def __iter__(self):
        return iter((self.budgets, self.scipy_result))

    @property
    def uplift(self) -> xr.DataArray:
        """Expected gain of ``budgets`` over the starting allocation (mean over draws)."""
        return (self.response - self.baseline).mean()


def _cell_template(ens: FittedEnsemble) -> xr.DataArray:
    """Zeros ``(*dims, channel)``: the cells of an allocation."""
    dim_coords = ens.dim_coords
    channels = list(ens.roles.channel_columns)
    shape = (*(len(v) for v in dim_coords.values()), len(channels))
    return xr.DataArray(
        np.zeros(shape), dims=(*dim_coords, "channel"), coords={**dim_coords, "channel": channels}
    )


def _parse_bounds(bounds: Any, template: xr.DataArray, budget: float) -> tuple[np.ndarray, ...]:
    """Lower and upper spend per period of each cell, arrays shaped like ``template``, from
    ``None`` (``[0, budget]``), a dict ``{channel: (low, high)}`` or a DataArray with dims
    ``(*dims, channel, bound)`` (``bound``: 0 low, 1 high; any order of dims)."""
    lo, hi = np.zeros(template.shape), np.full(template.shape, float(budget))
    channels = [str(c) for c in template["channel"].values]
    if isinstance(bounds, dict):
        unknown = sorted(set(map(str, bounds)) - set(channels))
        if unknown:
            raise ConfigError(
                f"budget_bounds names unknown channel(s) {unknown}; channels: {channels}"
            )
        for ch, pair in bounds.items():
            if len(pair) != 2:
                raise ConfigError(f"budget_bounds[{ch!r}] must be (low, high), got {pair!r}")
            j = channels.index(str(ch))
            lo[..., j], hi[..., j] = float(pair[0]), float(pair[1])
    elif isinstance(bounds, xr.DataArray):
        want = {*template.dims, "bound"}
        if set(bounds.dims) != want or bounds.sizes["bound"] != 2:
            raise ConfigError(
                f"budget_bounds has dims {dict(bounds.sizes)}: expected dims "
                f"{sorted(want)} with bound of size 2 (low, high)"
            )
        arr = bounds.transpose(*template.dims, "bound")
        arr = arr.sel({d: template[d].values for d in template.dims})
        lo, hi = arr.values[..., 0].astype(float), arr.values[..., 1].astype(float)
    elif bounds is not None:
        raise ConfigError(
            f"budget_bounds must be None, a dict or a DataArray, got {type(bounds).__name__}"
        )
    bad = ~np.isfinite(lo) | ~np.isfinite(hi) | (lo < 0) | (hi < lo)
    if bad.any():
        raise ConfigError(
            "budget_bounds need finite 0 <= low <= high per cell; bad cells: "
            f"{np.argwhere(bad)[:3].tolist()}"
        )
    if lo.sum() > budget * (1 + 1e-9) or hi.sum() < budget * (1 - 1e-9):
        raise ConfigError(
            f"budget_bounds cannot meet the budget {budget}: lows sum to "
            f"{lo.sum():.6g}, highs to {hi.sum():.6g}; widen them"
        )
    return lo, hi


def _current_mix(ens: FittedEnsemble, num_periods: int) -> xr.DataArray:
    """Mean spend per period of each cell over the last ``num_periods`` fitted dates
    ``(*dims, channel)``, original units (the allocation a plan is compared against)."""
    panel = ens.panel
    n_ch = panel.n_channels
    spend = panel.values[:, -num_periods:, :n_ch] * panel.node_scaler.scales[:n_ch]
    out = _cell_template(ens)
    out.values = ens.to_grid(spend.mean(1), 0)
    return out


def _check_budget(budget: Any, num_periods: Any) -> tuple[float, int]:
    """``budget`` as a positive finite float and ``num_periods`` as a positive int."""
    try:
        b = float(budget)
    except (TypeError, ValueError):
        b = float("nan")
    if not np.isfinite(b) or b <= 0:
        raise PymcDiceError(
            f"budget must be a positive finite number (spend per period over "
            f"all channels), got {budget!r}"
        )
    if (
        isinstance(num_periods, bool)
        or not isinstance(num_periods, int | np.integer)
        or (num_periods < 1)
    ):
        raise PymcDiceError(f"num_periods must be an integer >= 1, got {num_periods!r}")
    return b, int(num_periods)


def optimize_budget(
    model: Any,
    budget: float,
    num_periods: int,
    budget_bounds: dict | xr.DataArray | None = None,
    *,
    X: pd.DataFrame | None = None,
    x0: xr.DataArray | None = None,
    minimize_kwargs: dict | None = None,
) -> BudgetResult:
    """Allocate ``budget`` (total spend per period) over the channels and dims of a fitted
    structural ``DiceMMM`` for the next ``num_periods`` dates.

    Maximises the expected total target over those dates (the
    closed-loop rollout, mean over chains and posterior draws) by SLSQP on the shares of the
    budget, each cell's spend held constant over the window (pymc-marketing's default).
    Deterministic.

    Parameters
    ----------
    model : DiceMMM
        Fitted, with a structural decoder (the default).
    budget : float
        Spend per period, summed over cells, in the channels' units.
    num_periods : int
        Dates planned, right after the fitted ones.
    budget_bounds : dict or DataArray, optional
        Per-period spend bounds of each cell: ``{channel: (low, high)}`` or a DataArray with
        dims ``(*dims, channel, bound)``; default ``[0, budget]``.
    X : DataFrame, optional
        Controls of the new dates (date, dims, control columns); default: last fitted value.
    x0 : DataArray ``(*dims, channel)``, optional
        Starting allocation, also the baseline of :attr:`BudgetResult.uplift`; default the
        current mix (:func:`_current_mix`) rescaled to the budget and clipped to the bounds.
    minimize_kwargs : dict, optional
        Merged into ``scipy.optimize.minimize``'s options (default ``ftol=1e-10``,
        ``maxiter=200``).

    Examples
    --------
    >>> from pymc_dice.mmm import DiceMMM
    >>> from pymc_dice.simulate import national
    >>> mmm = DiceMMM(channel_columns=["tv", "social", "search"], control_columns=["price", "event"],
    ...               trainer_config={"max_iter": 50})
    >>> _ = mmm.fit(national(n_periods=60, seed=0).df, progressbar=False, random_seed=0, draws=4)
    >>> res = optimize_budget(mmm, 3000.0, 4, {"tv": (500.0, 2000.0)})
    >>> res.budgets.dims, round(float(res.budgets.sum()), 6), bool(res.uplift >= -1e-6)
    (('channel',), 3000.0, True)
    >>> 500.0 - 1e-6 <= float(res.budgets.sel(channel="tv")) <= 2000.0 + 1e-6
    True
    """
    ens = structural_ensemble(model)
    budget, num_periods = _check_budget(budget, num_periods)
    template = _cell_template(ens)
    lo, hi = _parse_bounds(budget_bounds, template, budget)
    start = _current_mix(ens, min(num_periods, len(ens.panel.dates))) if x0 is None else x0
    start = np.asarray(start.transpose(*template.dims).values, dtype=float)
    if start.sum() <= 0:
        start = np.ones(template.shape)
    z0 = np.clip(start / start.sum(), lo / budget, hi / budget)
    objective = _Objective(ens, budget, num_periods, X)
    opts = {"ftol": 1e-10, "maxiter": 200, **(minimize_kwargs or {})}
    res = minimize(
        objective,
        z0.ravel(),
        jac=True,
        method="SLSQP",
        bounds=list(zip((lo / budget).ravel(), (hi / budget).ravel(), strict=True)),
        constraints=[
            {"type": "eq", "fun": lambda z: z.sum() - 1.0, "jac": lambda z: np.ones_like(z)}
        ],
        options=opts,
    )
    z = np.clip(res.x, (lo / budget).ravel(), (hi / budget).ravel())
    budgets = template.copy(data=(z / z.sum()).reshape(template.shape) * budget)
    budgets.name = "allocation"
    return BudgetResult(
        budgets=budgets,
        scipy_result=res,
        response=objective.response(budgets.values),
        baseline=objective.response(z0 * budget),
    )


class _Objective:
    """Minus the expected response of budget shares ``z`` (flat, grid order), normalised by
    the media effect of the starting point, and its gradient (for scipy)."""

    def __init__(self, ens: FittedEnsemble, budget: float, num_periods: int, X):
        self.ens, self.budget = ens, budget
        x, c, _ = _future_window(ens, num_periods, X)
        self.x, self.c = ens.float64(x, c)
        n_ch = ens.panel.n_channels
        self.scale = torch.as_tensor(ens.panel.node_scaler.scales[:n_ch], dtype=torch.float64)
        shape = (len(ens.grid[1]), n_ch)
        with torch.no_grad():
            none = self.mean_response(torch.zeros(shape, dtype=torch.float64))
            full = self.mean_response(torch.full(shape, budget / np.prod(shape)) / self.scale)
        self.norm = max(abs(float(full - none)), 1e-12)

    def mean_response(self, spend: torch.Tensor) -> torch.Tensor:
        return _window_response(self.ens, spend, self.x, self.c).mean()

    def scaled_spend(self, cells: torch.Tensor) -> torch.Tensor:
        """``(*dims, channel)`` spend (original units) as ``[S, C]`` scaled."""
        grid = torch.as_tensor(self.ens.grid[1])
        flat = cells.reshape(len(grid), -1)
        inverse = torch.empty_like(grid)
        inverse[grid] = torch.arange(len(grid))
        return flat[inverse] / self.scale

    def __call__(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        zt = torch.as_tensor(z, dtype=torch.float64).requires_grad_(True)
        value = -self.mean_response(self.scaled_spend(zt * self.budget)) / self.norm
        (grad,) = torch.autograd.grad(value, zt)
        return float(value.detach()), grad.numpy()

    def response(self, cells: np.ndarray) -> xr.DataArray:
        with torch.no_grad():
            spend = self.scaled_spend(torch.as_tensor(cells, dtype=torch.float64))
            out = _window_response(self.ens, spend, self.x, self.c).numpy()
        return xr.DataArray(
            out, dims=("chain", "draw"), name="response", attrs={"units": "original"}
        )


# ---------------------------------------------------------------------------------------------
# lift tests
# ---------------------------------------------------------------------------------------------


def add_lift_test_measurements(model: Any, df_lift_test: pd.DataFrame) -> pd.DataFrame:
    """Store lift tests on ``model`` (appended to ``model.lift_test_measurements``); the next
    ``fit`` adds their likelihood to the structural MAP objective (:func:`lift_test_loss`).

    ``df_lift_test`` has pymc-marketing's columns ``channel``, ``x`` (spend per period before
    the test), ``delta_x`` (its change), ``delta_y`` (the measured change of the target per
    period) and ``sigma`` (its standard deviation), plus one column per dim of the model.

    Examples
    --------
    >>> from pymc_dice.mmm import DiceMMM
    >>> mmm = DiceMMM()
    >>> lifts = pd.DataFrame({"channel": ["tv"], "x": [100.0], "delta_x": [50.0],
    ...                       "delta_y": [120.0], "sigma": [10.0]})
    >>> add_lift_test_measurements(mmm, lifts).shape, mmm.lift_test_measurements.shape
    ((1, 5), (1, 5))
    >>> add_lift_test_measurements(mmm, lifts.assign(sigma=0.0))
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: lift test column 'sigma' must be > 0 ...
    """
    if not isinstance(df_lift_test, pd.DataFrame):
        raise DataValidationError(
            f"df_lift_test must be a pandas DataFrame, got {type(df_lift_test).__name__}"
        )
    dims = list(model.dims or [])
    missing = [c for c in (*LIFT_COLUMNS, *dims) if c not in df_lift_test.columns]
    if missing:
        raise DataValidationError(
            f"df_lift_test is missing column(s) {missing}: it needs {[*LIFT_COLUMNS, *dims]}"
        )
    df = df_lift_test[[*dims, *LIFT_COLUMNS]].reset_index(drop=True)
    if model.channel_columns is not None:
        unknown = sorted(set(df["channel"].astype(str)) - set(model.channel_columns))
        if unknown:
            raise DataValidationError(
                f"lift test channel(s) {unknown} are not among the model's "
                f"channel_columns {list(model.channel_columns)}"
            )
    values = df[list(LIFT_COLUMNS[1:])].astype(float)
    if not np.isfinite(values.to_numpy()).all():
        raise DataValidationError("lift test columns x, delta_x, delta_y, sigma must be finite")
    if (values["sigma"] <= 0).any():
        raise DataValidationError("lift test column 'sigma' must be > 0 (the sd of delta_y)")
    if (values["x"] < 0).any() or (values["x"] + values["delta_x"] < 0).any():
        raise DataValidationError(
            "lift test spend must stay >= 0: need x >= 0 and x + delta_x >= 0"
        )
    old = getattr(model, "lift_test_measurements", None)
    model.lift_test_measurements = df if old is None else pd.concat([old, df], ignore_index=True)
    return model.lift_test_measurements


def predicted_lift(dec, x, c, graph, channel, series, level, new_level) -> torch.Tensor:
    """Predicted change of the target per period ``[R]`` (scaled) when channel ``channel[r]``
    of series ``series[r]`` spends ``new_level[r]`` instead of ``level[r]`` (scaled) per period.

    Both levels are held over the last ``2 L`` fitted dates (``L``: the decoder's max lag),
    rolled out closed loop from the teacher-forced state before them (mediators and own lags
    fed back); the lift is the mean difference over the last ``L`` dates, once the channel's
    carryover has ramped up. Differentiable in the decoder's parameters.

    Examples
    --------
    >>> from pymc_dice.nn.structural import StructuralDecoder
    >>> dec = StructuralDecoder(3, 1, n_channels=2, max_lag=2).double()
    >>> x, c = torch.rand(1, 10, 3, dtype=torch.float64), torch.rand(1, 10, 1, dtype=torch.float64)
    >>> lift = predicted_lift(dec, x, c, torch.ones(3, 3), torch.tensor([0, 1]),
    ...                       torch.tensor([0, 0]), torch.tensor([0.2, 0.2]), torch.tensor([0.5, 0.2]))
    >>> lift.shape, bool(lift[0] > 0), float(lift[1])
    (torch.Size([2]), True, 0.0)
    """
    t_len, n_ch, lag = x.shape[1], dec.n_channels, dec.max_lag
    window = min(2 * lag, t_len - 1)
    start = t_len - 1 - window
    rows = len(channel)
    idx = torch.as_tensor(series, dtype=torch.long).repeat(2)
    levels = torch.cat([torch.as_tensor(level), torch.as_tensor(new_level)]).to(x.dtype)
    onehot = torch.nn.functional.one_hot(torch.as_tensor(channel).repeat(2), x.shape[-1])
    on = (torch.arange(t_len) > start)[None, :, None] & onehot[:, None, :].bool()
    xs = torch.where(on, levels[:, None, None], x[idx])
    cs = c[idx]
    _, states = dec(xs[:, : start + 1], cs[:, : start + 1], graph, return_states=True, series=idx)
    origin = torch.as_tensor([start])
    pred = rollout(dec, xs, cs, graph, origin, window, n_ch, states=states)[:, 0, :, -1]
    return (pred[rows:] - pred[:rows])[:, -min(lag, window) :].mean(-1)


def lift_test_loss(df_lift_test: pd.DataFrame, panel: Panel) -> Callable:
    """``loss(dec, x, c, graph)``: the negative log-likelihood of the lift tests, a Gaussian of
    each measured ``delta_y`` (sd ``sigma``) around :func:`predicted_lift` in original units;
    what :func:`pymc_dice.nn.structural.fit_structural` adds to its MAP objective.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.nn.structural import StructuralDecoder
    >>> from pymc_dice.simulate import national
    >>> sim = national(n_periods=30, seed=0)
    >>> panel = Panel.from_frame(sim.df, Roles(**sim.roles))
    >>> lifts = pd.DataFrame({"channel": ["tv"], "x": [500.0], "delta_x": [500.0],
    ...                       "delta_y": [800.0], "sigma": [50.0]})
    >>> loss = lift_test_loss(lifts, panel)
    >>> dec = StructuralDecoder(4, 2, n_channels=3, max_lag=4).double()
    >>> x, c = torch.as_tensor(panel.values), torch.as_tensor(panel.controls)
    >>> value = loss(dec, x, c, torch.ones(4, 4, dtype=torch.float64))
    >>> value.shape, bool(value > 0)
    (torch.Size([]), True)
    """
    roles = panel.roles
    channels = list(roles.channel_columns)
    unknown = sorted(set(df_lift_test["channel"].astype(str)) - set(channels))
    if unknown:
        raise DataValidationError(
            f"lift test channel(s) {unknown} are not among the fitted channels {channels}"
        )
    ch = np.array([channels.index(str(v)) for v in df_lift_test["channel"]])
    if roles.dims:
        missing = [d for d in roles.dims if d not in df_lift_test.columns]
        if missing:
            raise DataValidationError(
                f"the lift tests lack the dims column(s) {missing} of the fitted data: add the "
                "series each test ran on"
            )
        keys = df_lift_test[list(roles.dims)].astype(str)
        labels = keys.iloc[:, 0] if len(roles.dims) == 1 else list(map(tuple, keys.to_numpy()))
        series = pd.Index(panel.series.map(str) if len(roles.dims) == 1 else panel.series)
        pos = series.get_indexer(labels)
        if (pos < 0).any():
            raise DataValidationError(
                f"lift tests name series {list(np.asarray(labels)[pos < 0])[:3]}"
                f" that were not fitted ({list(roles.dims)})"
            )
    else:
        pos = np.zeros(len(ch), dtype=int)
    scale = panel.node_scaler.scales
    x0 = df_lift_test["x"].to_numpy(float) / scale[ch]
    x1 = x0 + df_lift_test["delta_x"].to_numpy(float) / scale[ch]
    dy = torch.tensor(df_lift_test["delta_y"].to_numpy(float))
    sd = torch.tensor(df_lift_test["sigma"].to_numpy(float))
    target_scale = float(scale[-1])
    args = tuple(torch.as_tensor(a) for a in (ch, pos, x0, x1))

    def loss(dec, x, c, graph) -> torch.Tensor:
        pred = predicted_lift(dec, x, c, graph, *args) * target_scale
        return (0.5 * ((pred - dy.to(pred.dtype)) / sd.to(pred.dtype)).square()).sum()

    return loss


def lift_loss_for(model: Any, panel: Panel) -> Callable | None:
    """The :func:`lift_test_loss` of the lift tests stored on ``model`` (None without any);
    what ``DiceMMM.fit`` hands to the trainer.

    Examples
    --------
    >>> from pymc_dice.mmm import DiceMMM
    >>> lift_loss_for(DiceMMM(), None) is None
    True
    """
    df = getattr(model, "lift_test_measurements", None)
    if df is None or not len(df):
        return None
    if not is_structural(model.model_cfg):
        raise ConfigError(
            f"lift tests calibrate the structural decoder only; this model's "
            f"decoder is {model.model_cfg.decoder!r}: use the default model_config"
        )
    return lift_test_loss(df, panel)
