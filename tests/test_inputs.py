"""Hostile and unusual inputs at the data layer: every one works or raises the project's error.

Each case asserts the behaviour (it works, or a ``DataValidationError`` naming the column or
value and the fix), and that the caller's frame is not mutated.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from pymc_dice.data import Panel, Roles, check_regular_dates, infer_roles, validate_frame
from pymc_dice.exceptions import DataValidationError, PymcDiceError


def _frame(dates, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(dates)
    return pd.DataFrame(
        {
            "date": dates,
            "tv": rng.uniform(1, 10, n),
            "radio": rng.uniform(1, 10, n),
            "y": rng.uniform(50, 100, n),
        }
    )


ROLES = Roles("date", (), ("tv", "radio"), (), (), "y")


@pytest.mark.parametrize(
    "freq", ["MS", "ME", "D", "W-SUN", "W-MON", "W-THU", "QS"], ids=lambda f: f"freq={f}"
)
def test_calendar_regular_dates_are_accepted(freq):
    df = _frame(pd.date_range("2020-01-01", periods=30, freq=freq))
    before = df.copy()
    panel = Panel.from_frame(df, ROLES)
    assert panel.values.shape == (1, 30, 3)
    pd.testing.assert_frame_equal(df, before)  # the input is never mutated


def test_missing_month_names_the_missing_date():
    dates = pd.date_range("2020-01-01", periods=12, freq="MS").delete(4)
    with pytest.raises(DataValidationError, match=r"gap: 2020-05-01 missing from the 'MS'"):
        validate_frame(_frame(dates), ROLES)


def test_csv_dates_report_the_missing_week_not_a_nanosecond_step():
    # pandas 3 parses CSV dates at microsecond resolution; the message must still read weeks
    dates = pd.date_range("2024-01-07", periods=20, freq="W-SUN").delete(7)
    text = _frame(dates).to_csv(index=False)
    df = pd.read_csv(io.StringIO(text))
    with pytest.raises(DataValidationError) as err:
        validate_frame(df, ROLES)
    message = str(err.value)
    assert "2024-02-25 missing" in message and "'W-SUN'" in message
    assert "00:10:04" not in message and "days 00:" not in message


def test_irregular_dates_report_steps_in_days():
    dates = pd.DatetimeIndex(["2024-01-01", "2024-01-08", "2024-01-10", "2024-01-17"])
    with pytest.raises(DataValidationError, match=r"step from 2024-01-08 to 2024-01-10 is 2 days"):
        check_regular_dates(dates)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC", "America/New_York"])
def test_time_zone_aware_weekly_dates_fit(tz):
    # 2024-03-31 is a DST change in Berlin; local wall-clock weeks stay one week apart
    dates = pd.date_range("2024-01-01", periods=20, freq="W-MON", tz=tz)
    panel = Panel.from_frame(_frame(dates), ROLES)
    assert panel.dates.tz is None
    assert (np.diff(panel.dates.asi8) == pd.Timedelta(weeks=1).value).all()


def test_empty_frame_is_named_as_empty():
    df = _frame(pd.date_range("2024-01-07", periods=5, freq="W")).iloc[:0]
    with pytest.raises(DataValidationError, match="has no rows"):
        validate_frame(df, ROLES)


def test_duplicated_column_labels_are_named():
    df = _frame(pd.date_range("2024-01-07", periods=5, freq="W"))
    df = pd.concat([df, df[["tv"]]], axis=1)
    with pytest.raises(DataValidationError, match=r"duplicated column label\(s\) \['tv'\]"):
        infer_roles(df, channel_columns=["tv", "radio"])
    with pytest.raises(DataValidationError, match="duplicated column label"):
        validate_frame(df, ROLES)


def test_slash_in_a_column_name_is_refused_before_any_work():
    df = _frame(pd.date_range("2024-01-07", periods=5, freq="W")).rename(
        columns={"radio": "radio/FM"}
    )
    roles = Roles("date", (), ("tv", "radio/FM"), (), (), "y")
    with pytest.raises(DataValidationError, match=r"'radio/FM' contains '/'.*'radio_FM'"):
        validate_frame(df, roles)


def test_missing_dates_message_lists_plain_row_numbers():
    df = _frame(pd.date_range("2024-01-07", periods=8, freq="W"))
    df["date"] = df["date"].astype(object)
    df.loc[5, "date"] = None
    with pytest.raises(DataValidationError, match=r"missing dates in rows \[5\]"):
        validate_frame(df, ROLES)


def test_late_starting_channel_takes_its_scale_from_where_it_spends():
    df = _frame(pd.date_range("2024-01-07", periods=50, freq="W"))
    df.loc[:44, "radio"] = 0.0  # spends only in the last 5 weeks, all beyond the training dates
    with pytest.warns(UserWarning, match=r"\['radio'\] are all zero on the training dates"):
        panel = Panel.from_frame(df, ROLES, val_fraction=0.2)
    radio = panel.nodes.index("radio")
    # the scale is the max over the dates where it spends, so scaled spend is at most 1
    assert panel.node_scaler.scales[radio] == pytest.approx(df["radio"].max())
    assert panel.values[..., radio].max() == pytest.approx(1.0)


def test_inferred_channels_are_announced():
    df = _frame(pd.date_range("2024-01-07", periods=5, freq="W")).assign(price=1.0)
    with pytest.warns(UserWarning, match=r"channels=\['tv', 'radio', 'price'\]"):
        infer_roles(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named channels: nothing to announce
        infer_roles(df, channel_columns=["tv", "radio"], control_columns=["price"])


def test_every_error_is_a_pymc_dice_error_and_a_value_error():
    assert issubclass(DataValidationError, PymcDiceError)
    assert issubclass(PymcDiceError, ValueError)
