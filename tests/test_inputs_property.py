"""Property-based input test: random frames (dtypes, date frequencies, time zones, row orders,
names, injected faults) either become a panel or raise the project's error; nothing else, and
the caller's frame is never mutated."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pymc_dice.data import Panel, infer_roles
from pymc_dice.exceptions import PymcDiceError

FREQS = ["D", "W-SUN", "W-WED", "MS", "ME", "irregular"]
TZS = [None, "UTC", "Europe/Berlin", "America/New_York"]
FAULTS = [
    None,
    "nan",
    "inf",
    "negative",
    "duplicate_row",
    "missing_row",
    "text",
    "all_zero",
    "duplicate_label",
    "empty",
    "slash_name",
    "constant",
    "string_dates",
]
NAMES = st.sampled_from(["tv", "radio", "Search Ads", "ñ_print", "ch-1", "x"])


@st.composite
def frames(draw):
    n_dates = draw(st.integers(2, 30))
    n_geos = draw(st.integers(0, 3))
    freq = draw(st.sampled_from(FREQS))
    tz = draw(st.sampled_from(TZS))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if freq == "irregular":
        dates = pd.DatetimeIndex(
            pd.Timestamp("2021-01-04")
            + pd.to_timedelta(np.cumsum(rng.integers(1, 9, n_dates)), "D")
        )
    else:
        dates = pd.date_range("2021-01-04", periods=n_dates, freq=freq)
    if tz:
        dates = dates.tz_localize(tz, nonexistent="shift_forward", ambiguous="NaT")
    channels = list(dict.fromkeys(draw(st.lists(NAMES, min_size=1, max_size=3))))
    geos = [f"g{k}" for k in range(max(n_geos, 1))]
    rows = []
    for g in geos:
        for d in dates:
            rows.append({"date": d, **({"geo": g} if n_geos else {})})
    df = pd.DataFrame(rows)
    n = len(df)
    dtype = draw(st.sampled_from(["float", "int", "object"]))
    for c in channels:
        values = rng.uniform(0, 100, n)
        if dtype == "int":
            values = values.astype(int) + 1
        df[c] = values.astype(object) if dtype == "object" else values
    df["y"] = rng.uniform(10, 20, n)
    fault = draw(st.sampled_from(FAULTS))
    c0 = channels[0]
    if fault == "nan":
        df.loc[rng.integers(n), c0] = np.nan
    elif fault == "inf":
        df.loc[rng.integers(n), "y"] = np.inf
    elif fault == "negative":
        df.loc[rng.integers(n), c0] = -1
    elif fault == "duplicate_row":
        df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    elif fault == "missing_row" and n > 2:
        df = df.drop(index=int(rng.integers(1, n - 1))).reset_index(drop=True)
    elif fault == "text":
        df[c0] = df[c0].astype(object)
        df.loc[rng.integers(n), c0] = "n/a"
    elif fault == "all_zero":
        df[c0] = 0.0
    elif fault == "constant":
        df[c0] = 3.0
    elif fault == "duplicate_label":
        df = pd.concat([df, df[[c0]]], axis=1)
    elif fault == "empty":
        df = df.iloc[:0]
    elif fault == "slash_name":
        df = df.rename(columns={c0: c0 + "/FM"})
        channels = [c0 + "/FM", *channels[1:]]
    elif fault == "string_dates":
        df["date"] = df["date"].astype(str)
    if draw(st.booleans()):
        df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df, channels, bool(n_geos)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(frames(), st.booleans())
def test_a_frame_becomes_a_panel_or_a_clear_error(case, name_channels):
    df, channels, has_geo = case
    before = df.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            roles = infer_roles(
                df,
                date_column="date",
                channel_columns=channels if name_channels else None,
                dims=["geo"] if has_geo else [],
            )
            panel = Panel.from_frame(df, roles)
        except PymcDiceError as err:
            assert str(err), "an error must say what is wrong"
        else:
            assert np.isfinite(panel.values).all()
            assert panel.values.shape[1] == len(panel.dates)
    pd.testing.assert_frame_equal(df, before)  # never mutated


@pytest.mark.parametrize("freq", ["W-SUN", "MS", "D"])
def test_shuffled_rows_give_the_same_panel(freq):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2021-01-03", periods=12, freq=freq)
    df = pd.DataFrame({"date": np.tile(dates, 2), "geo": np.repeat(["a", "b"], 12)}).assign(
        tv=rng.uniform(1, 5, 24), y=rng.uniform(5, 9, 24)
    )
    roles = infer_roles(df, channel_columns=["tv"], dims=["geo"])
    a = Panel.from_frame(df, roles)
    b = Panel.from_frame(df.sample(frac=1.0, random_state=1), roles)
    np.testing.assert_array_equal(a.values, b.values)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(frames())
def test_fit_succeeds_or_raises_the_projects_error(case):
    """The same random frames through ``DiceMMM.fit`` (structural default, a few L-BFGS
    iterations): a fitted model or a ``PymcDiceError``, never another exception, and the
    caller's frame unchanged."""
    from pymc_dice import DiceMMM

    df, channels, has_geo = case
    before = df.copy(deep=True)
    mmm = DiceMMM(
        date_column="date",
        channel_columns=channels,
        dims=["geo"] if has_geo else [],
        trainer_config={"n_seeds": 1, "max_iter": 5, "horizon": 1, "progressbar": False},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mmm.fit(df, random_seed=0, draws=2)
        except PymcDiceError as err:
            assert str(err)
        else:
            assert np.isfinite(mmm.roas().to_numpy()).all()
    pd.testing.assert_frame_equal(df, before)


def test_time_zone_aware_dates_fit_and_predict():
    from pymc_dice import DiceMMM
    from pymc_dice.simulate import national

    df = national(n_channels=2, n_periods=40, seed=0).df
    df["date"] = df["date"].dt.tz_localize("UTC")
    mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"n_seeds": 1, "max_iter": 10})
    mmm.fit(df.iloc[:36], progressbar=False, random_seed=0, draws=2)
    pred = mmm.predict(df.iloc[36:])
    assert pred.shape == (4,) and np.isfinite(pred).all()
