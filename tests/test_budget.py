"""Budget optimisation and lift-test calibration (pymc_dice.budget)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr

from pymc_dice.budget import lift_test_loss, optimize_budget, predicted_lift
from pymc_dice.exceptions import ConfigError, DataValidationError, NotFittedError, PymcDiceError
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import national, sparse_target

CHANNELS = ["tv", "social", "search"]


def _fit(df, **kw) -> DiceMMM:
    mmm = DiceMMM(channel_columns=CHANNELS, control_columns=["price", "event"], **kw)
    mmm.fit(df, progressbar=False, random_seed=0, draws=8)
    return mmm


@pytest.fixture(scope="module")
def sim():
    return national(n_periods=104, seed=0)


@pytest.fixture(scope="module")
def fitted(sim):
    return _fit(sim.df)


def test_allocation_sums_to_the_budget_and_respects_bounds(fitted):
    bounds = {"tv": (100.0, 900.0), "search": (300.0, 2000.0)}
    budgets, res = fitted.optimize_budget(2000.0, 13, bounds)
    assert budgets.dims == ("channel",) and list(budgets["channel"].values) == CHANNELS
    assert res.success
    assert float(budgets.sum()) == pytest.approx(2000.0, rel=1e-9)
    tv, search = float(budgets.sel(channel="tv")), float(budgets.sel(channel="search"))
    # SLSQP meets box bounds to ~1e-10 of the budget share; 1e-6 in spend units is far tighter
    # than any effect on the response and far looser than the solver's slack
    assert 100.0 - 1e-6 <= tv <= 900.0 + 1e-6
    assert 300.0 - 1e-6 <= search <= 2000.0 + 1e-6
    assert (budgets.values >= -1e-9).all()


def test_optimum_is_no_worse_than_the_current_mix_and_deterministic(fitted):
    first = optimize_budget(fitted, 2500.0, 13)
    again = optimize_budget(fitted, 2500.0, 13)
    assert np.array_equal(first.budgets.values, again.budgets.values)
    assert first.response.dims == ("chain", "draw") and first.response.shape == (1, 8)
    assert float(first.uplift) >= 0.0
    # the baseline is the current mix, rescaled to the budget: its response is lower
    assert float(first.response.mean()) >= float(first.baseline.mean())


def _boost_channel(mmm: DiceMMM, channel: str) -> DiceMMM:
    """A copy whose every draw has a strong edge ``channel -> y`` and near-zero other edges."""
    out = copy.deepcopy(mmm)
    nodes = list(out.panel_.nodes)
    k, y = nodes.index(channel), nodes.index("y")
    for arm in out.arms_:
        raw = arm.param_draws["beta_raw"].clone()
        raw[:, : out.panel_.n_channels, y] = -10.0  # softplus(-10) ~ 5e-5
        raw[:, k, y] = 2.0
        arm.param_draws["beta_raw"] = raw
    return out


def test_spend_moves_to_the_channel_with_the_highest_return(fitted, sim):
    boosted = _boost_channel(fitted, "social")
    current = sim.df[CHANNELS].iloc[-13:].mean()
    res = boosted.optimize_budget(float(current.sum()), 13)
    share = float(res.budgets.sel(channel="social")) / float(current.sum())
    before = float(current["social"]) / float(current.sum())
    assert before < 0.5 and share > 0.9, (before, share)
    assert float(res.uplift) > 0


def test_dims_allocation_and_dataarray_bounds():
    sim = national(n_periods=80, seed=1, n_geos=2)
    mmm = _fit(sim.df)
    geos = list(mmm.ensemble_.dim_coords["geo"])
    bounds = xr.DataArray(
        np.zeros((2, 3, 2)),
        dims=("geo", "channel", "bound"),
        coords={"geo": geos, "channel": CHANNELS, "bound": ["low", "high"]},
    )
    bounds[..., 1] = 1000.0
    bounds.loc[{"geo": geos[1], "channel": "tv", "bound": "low"}] = 400.0
    res = mmm.optimize_budget(3000.0, 8, bounds.transpose("channel", "bound", "geo"))
    assert res.budgets.dims == ("geo", "channel") and res.budgets.shape == (2, 3)
    assert float(res.budgets.sum()) == pytest.approx(3000.0, rel=1e-9)
    assert float(res.budgets.sel(geo=geos[1], channel="tv")) >= 400.0 - 1e-6
    assert (res.budgets.values <= 1000.0 + 1e-6).all()
    # lift tests on a panel with dims must say which series they ran on
    mmm.add_lift_test_measurements(_lifts())
    with pytest.raises(DataValidationError, match="dims column"):
        mmm.fit(sim.df, progressbar=False, random_seed=0)


def test_future_controls_are_read_from_X(fitted, sim):
    dates = fitted.panel_.dates[-1] + pd.to_timedelta(7 * np.arange(1, 5), "D")
    X = pd.DataFrame({"date": dates, "price": 1.0, "event": [0, 1, 0, 0]})
    res = fitted.optimize_budget(2000.0, 4, X=X)
    assert float(res.budgets.sum()) == pytest.approx(2000.0, rel=1e-9)
    with pytest.raises(DataValidationError, match="num_periods=5"):
        fitted.optimize_budget(2000.0, 5, X=X)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"budget": 0.0}, PymcDiceError, "positive finite"),
        ({"budget": float("nan")}, PymcDiceError, "positive finite"),
        ({"budget": "a lot"}, PymcDiceError, "positive finite"),
        ({"num_periods": 0}, PymcDiceError, "num_periods"),
        ({"num_periods": 2.5}, PymcDiceError, "num_periods"),
        ({"budget_bounds": {"radio": (0, 1)}}, ConfigError, "unknown channel"),
        ({"budget_bounds": {"tv": (5.0, 1.0)}}, ConfigError, "low <= high"),
        ({"budget_bounds": {c: (0.0, 10.0) for c in CHANNELS}}, ConfigError, "cannot meet"),
        ({"budget_bounds": {"tv": (2000.0, 3000.0)}}, ConfigError, "cannot meet"),
        ({"budget_bounds": [1, 2]}, ConfigError, "dict or a DataArray"),
    ],
)
def test_bad_budgets_and_bounds_raise(fitted, kwargs, error, match):
    args = {"budget": 1000.0, "num_periods": 4, **kwargs}
    with pytest.raises(error, match=match):
        optimize_budget(fitted, **args)


def test_unfitted_and_non_structural_models_raise():
    with pytest.raises(NotFittedError, match="fit"):
        DiceMMM().optimize_budget(100.0, 4)
    df = sparse_target(n_series=4, n_periods=30, seed=0).df[["date", "geo", "tv", "y"]]
    gru = DiceMMM(
        model_config={"arm": "nograph"}, trainer_config={"epochs_stage2": 1, "horizon": 2}
    )
    gru.fit(df, progressbar=False, random_seed=0)
    with pytest.raises(ConfigError, match="structural decoder"):
        gru.optimize_budget(100.0, 4)
    gru.add_lift_test_measurements(
        pd.DataFrame(
            {
                "geo": ["geo_000"],
                "channel": ["tv"],
                "x": [1.0],
                "delta_x": [1.0],
                "delta_y": [1.0],
                "sigma": [1.0],
            }
        )
    )
    with pytest.raises(ConfigError, match="structural decoder"):
        gru.fit(df, progressbar=False, random_seed=0)


# ---- lift tests -------------------------------------------------------------------------------


def _lifts(**values) -> pd.DataFrame:
    row = {"channel": "search", "x": 400.0, "delta_x": 200.0, "delta_y": 300.0, "sigma": 10.0}
    return pd.DataFrame([{**row, **values}])


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (_lifts().drop(columns="sigma"), "missing column"),
        (_lifts(sigma=-1.0), "'sigma' must be > 0"),
        (_lifts(x=-1.0), ">= 0"),
        (_lifts(delta_x=-500.0), ">= 0"),
        (_lifts(delta_y=np.inf), "finite"),
        (_lifts(channel="radio"), "not among"),
    ],
)
def test_bad_lift_tables_raise(frame, match):
    mmm = DiceMMM(channel_columns=CHANNELS)
    with pytest.raises(DataValidationError, match=match):
        mmm.add_lift_test_measurements(frame)
    assert getattr(mmm, "lift_test_measurements", None) is None


def test_lift_loss_gradient_matches_finite_differences(fitted):
    panel = fitted.panel_
    loss = lift_test_loss(_lifts(delta_y=5000.0), panel)
    dec = copy.deepcopy(fitted.arms_[0].decoder).double()
    x = torch.as_tensor(panel.values, dtype=torch.float64)
    c = torch.as_tensor(panel.decoder_controls, dtype=torch.float64)
    g = torch.as_tensor(fitted.arms_[0].graph_input(), dtype=torch.float64)
    value = loss(dec, x, c, g)
    (grad,) = torch.autograd.grad(value, dec.beta_raw)
    k, y = CHANNELS.index("search"), len(panel.nodes) - 1
    # the measured lift is far above the model's: a larger search -> y effect lowers the loss
    assert grad[k, y] < 0
    eps = 1e-6  # central differences in float64: error O(eps^2) plus rounding ~1e-10 / eps
    with torch.no_grad():
        dec.beta_raw[k, y] += eps
        up = loss(dec, x, c, g)
        dec.beta_raw[k, y] -= 2 * eps
        down = loss(dec, x, c, g)
    fd = (up - down) / (2 * eps)
    assert float(fd) == pytest.approx(float(grad[k, y]), rel=1e-5)


def test_strong_lift_pulls_the_channel_response_towards_it(fitted, sim):
    panel = fitted.panel_
    k = CHANNELS.index("search")
    scale = panel.node_scaler.scales
    x0 = float(sim.df["search"].mean())

    def model_lift(mmm):
        dec = copy.deepcopy(mmm.arms_[0].decoder).double()
        x = torch.as_tensor(mmm.panel_.values, dtype=torch.float64)
        c = torch.as_tensor(mmm.panel_.decoder_controls, dtype=torch.float64)
        g = torch.as_tensor(mmm.arms_[0].graph_input(), dtype=torch.float64)
        with torch.no_grad():
            lift = predicted_lift(
                dec,
                x,
                c,
                g,
                torch.tensor([k]),
                torch.tensor([0]),
                torch.tensor([x0 / scale[k]]),
                torch.tensor([1.5 * x0 / scale[k]]),
            )
        return float(lift[0]) * float(scale[-1])

    before = model_lift(fitted)
    target = 3.0 * before  # the lift test says search works three times as well
    calibrated = DiceMMM(channel_columns=CHANNELS, control_columns=["price", "event"])
    calibrated.add_lift_test_measurements(
        _lifts(x=x0, delta_x=0.5 * x0, delta_y=target, sigma=0.01 * target)
    )
    calibrated.fit(sim.df, progressbar=False, random_seed=0, draws=8)
    after = model_lift(calibrated)
    # a 1%-sd measurement dominates ~100 weekly observations: the fitted lift must close at
    # least half of the gap (the data still pull back)
    assert abs(after - target) < 0.5 * abs(before - target), (before, after, target)
    roas_before = float(fitted.roas()["search"])
    roas_after = float(calibrated.roas()["search"])
    assert roas_after > 1.5 * roas_before, (roas_before, roas_after)
    # other channels are not the point of the lift: they keep their order of magnitude
    assert float(calibrated.roas()["tv"]) == pytest.approx(float(fitted.roas()["tv"]), rel=0.5)
