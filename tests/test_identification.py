"""Posterior ROAS correlation and the channels the data do not tell apart."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pymc_dice.diagnostics.identification import (
    confounded_channels,
    confounded_with,
    roas_correlation,
    roas_draws,
)


def _draws(total_sd: float, n: int = 400, seed: int = 0) -> xr.DataArray:
    """tv and radio share a total (sd ``total_sd``) and split it at random (sd 1); search is
    on its own; video never varies."""
    rng = np.random.default_rng(seed)
    total, split, own = rng.normal(size=(3, 2, n // 2))
    values = np.stack(
        [total_sd * total + split, total_sd * total - split, own, np.zeros_like(own)], -1
    )
    return xr.DataArray(
        values + 5.0,
        dims=("chain", "draw", "channel"),
        coords={"channel": ["tv", "radio", "search", "video"]},
    )


def test_a_well_measured_total_with_an_unknown_split_is_flagged():
    # corr(tv, radio) = (s^2 - 1) / (s^2 + 1) = -0.98 at s = 0.1; 400 draws put the sample
    # correlation within +-0.01 of it, far below -0.5
    pairs = confounded_channels(_draws(0.1))
    assert pairs[["channel", "with"]].values.tolist() == [["tv", "radio"]]
    assert pairs["roas_correlation"].iloc[0] < -0.9
    assert np.isnan(pairs["spend_correlation"].iloc[0])  # bare draws: no spend to read
    assert confounded_with(_draws(0.1)).tolist() == ["radio", "tv", "", ""]


def test_channels_told_apart_are_not_flagged():
    # s = 1: the correlation is 0 in expectation (sd 0.05 at 400 draws): never below -0.5
    assert confounded_channels(_draws(1.0)).empty
    corr = roas_correlation(_draws(1.0))
    assert np.isnan(corr.loc["video", "tv"])  # a constant channel: no correlation, no flag


def test_the_threshold_is_respected():
    # s = 0.6: expected correlation (0.36 - 1) / 1.36 = -0.47, flagged at -0.3 only
    assert confounded_channels(_draws(0.6), threshold=-0.5).empty
    assert len(confounded_channels(_draws(0.6), threshold=-0.3)) == 1


@pytest.fixture(scope="module")
def fitted():
    from pymc_dice import DiceMMM
    from pymc_dice.simulate import national

    sim = national(n_channels=3, n_periods=80, seed=0)
    mmm = DiceMMM(
        **sim.column_kwargs(), trainer_config={"max_iter": 60, "progressbar": False}
    )
    mmm.fit(sim.df, random_seed=0, draws=30)
    return mmm


def test_draw_roas_averages_to_the_models_roas(fitted):
    # ROAS per draw has the same spend in its denominator, so its mean over draws is the
    # ROAS of the mean contribution: equal up to float64 rounding
    per_draw = roas_draws(fitted.idata).mean("draw").mean("chain")
    roas = fitted.roas()
    np.testing.assert_allclose(
        per_draw.sel(channel=list(roas.index)).values, roas.values, rtol=1e-9
    )


def test_the_channels_table_names_the_confounded_channels(fitted):
    table = fitted.summary.channels()
    expected = confounded_with(fitted.idata)
    assert table["confounded_with"].tolist() == expected.reindex(table.index).tolist()
    pairs = confounded_channels(fitted.idata)
    assert list(pairs.columns) == ["channel", "with", "spend_correlation", "roas_correlation"]
    # national spends vary on their own (within-series correlation under 0.4 on every seed
    # of the roas bench): a pair here can only come from the posterior criterion
    assert (pairs["spend_correlation"] < 0.8).all() and (pairs["roas_correlation"] <= -0.5).all()


def test_co_moving_spend_is_flagged_from_the_data_alone():
    # geo_panel's channels share a flighting factor (log-spend correlation 0.9 within every
    # geo) and the placebo follows tv at 0.97: every pair's within-geo spend correlation is
    # above 0.8 (0.85-0.97 on the roas bench's seeds), whatever the posterior says
    import pandas as pd

    from pymc_dice.idata import build_idata
    from pymc_dice.simulate import geo_panel

    sim = geo_panel(n_geos=8, n_periods=60, seed=0)
    ch = list(sim.roles["channel_columns"])
    spend = sim.df.set_index(["date", "geo"])[ch].to_xarray().to_array("channel")
    spend = spend.transpose("date", "geo", "channel")
    n_t, n_g, n_c = spend.shape
    tree = build_idata(
        dates=pd.DatetimeIndex(spend["date"].values),
        dims={"geo": spend["geo"].values},
        channels=ch,
        nodes=[*ch, "y"],
        channel_contribution=np.zeros((1, 2, n_t, n_g, n_c)),
        y_pred=np.zeros((1, 2, n_t, n_g)),
        edge_probability=None,
        channel_data=spend.values,
        target_data=np.ones((n_t, n_g)),
        channel_scale=np.ones(n_c),
        target_scale=1.0,
    )
    pairs = confounded_channels(tree)
    assert len(pairs) == n_c * (n_c - 1) // 2  # every pair
    top = pairs.iloc[0]
    assert {top["channel"], top["with"]} == {"tv", "placebo"} and top["spend_correlation"] > 0.9
    assert set(confounded_with(tree)["placebo"].split(", ")) == set(ch) - {"placebo"}
