"""Data layer: column inference, validation messages, scaling and splits."""

import numpy as np
import pandas as pd
import pytest

from pymc_dice.data import (
    DataValidationError,
    Panel,
    Scaler,
    forecast_origins,
    infer_roles,
    validate_frame,
)


def make_frame(n_geo=3, n_dates=20, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-07", periods=n_dates, freq="W")
    rows = []
    for g in range(n_geo):
        for d in dates:
            rows.append({"date": d, "geo": f"g{g}"})
    df = pd.DataFrame(rows)
    n = len(df)
    df["tv"] = rng.gamma(2.0, 50.0, n)
    df["search"] = rng.gamma(2.0, 20.0, n)
    df["visits"] = rng.gamma(2.0, 5.0, n)
    df["price"] = rng.normal(10, 1, n)
    df["y"] = rng.gamma(5.0, 100.0, n)
    return df


def test_inference_finds_roles_and_respects_overrides():
    df = make_frame()
    roles = infer_roles(df, mediator_columns=["visits"], control_columns=["price"])
    assert roles.date_column == "date"
    assert roles.dims == ("geo",)
    assert roles.target_column == "y"
    assert roles.channel_columns == ("tv", "search")
    assert roles.nodes == ("tv", "search", "visits", "y")
    roles2 = infer_roles(df, channel_columns=["tv"], control_columns=["price"], mediator_columns=["visits", "search"])
    assert roles2.channel_columns == ("tv",)


def test_inference_logs(caplog):
    with caplog.at_level("INFO", logger="pymc_dice"):
        infer_roles(make_frame())
    assert "channels=['tv', 'search', 'visits', 'price']" in caplog.text


def test_target_named_like_a_target_is_found():
    df = make_frame().rename(columns={"y": "sales"})
    assert infer_roles(df).target_column == "sales"


def test_ambiguous_frames_say_which_argument_to_pass():
    df = make_frame()
    df["other_date"] = df["date"]
    with pytest.raises(DataValidationError, match="date_column="):
        infer_roles(df)
    df = make_frame().rename(columns={"y": "sales"})
    df["revenue"] = df["sales"]
    with pytest.raises(DataValidationError, match="target_column="):
        infer_roles(df)


def test_unknown_columns_are_named():
    with pytest.raises(DataValidationError, match=r"\['radio'\].*available columns"):
        infer_roles(make_frame(), channel_columns=["tv", "radio"])


def test_target_also_listed_as_channel():
    with pytest.raises(DataValidationError, match="also listed as a channel"):
        infer_roles(make_frame(), channel_columns=["tv", "y"])


@pytest.mark.parametrize(
    "corrupt, pattern",
    [
        (lambda d: d.assign(tv=d.tv.where(d.index != 5)), r"'tv' has 1 NaN.*date=.*geo=g0"),
        (lambda d: d.assign(search=d.search.where(d.index != 7, np.inf)), r"'search' has 1 inf"),
        (lambda d: d.assign(tv=d.tv.where(d.index != 3, -5.0)), r"negative spend -5.0.*clip"),
        (lambda d: pd.concat([d, d.iloc[[4]]]), r"duplicated \(date, geo\) rows.*aggregate"),
        (lambda d: d.drop(index=[2, 22, 42]), r"not regular: gap"),
        (lambda d: d.drop(index=[2]), r"series \['g0'\] have \[19\] dates"),
        (lambda d: d.assign(tv=d.tv.astype(object).where(d.index != 9, "n/a")), r"'tv' holds text values \['n/a'\]"),
        (lambda d: d.assign(search=0.0), r"'search' is all zero"),
        (lambda d: d.assign(search=3.0), r"'search' is constant"),
        (lambda d: d.assign(y=np.nan), r"'y' has 60 NaN"),
    ],
)
def test_bad_input_raises_with_column_and_fix(corrupt, pattern):
    df = make_frame()
    roles = infer_roles(df, mediator_columns=["visits"], control_columns=["price"])
    bad = corrupt(df.copy())
    with pytest.raises(DataValidationError, match=pattern):
        validate_frame(bad, roles)


def test_missing_column_in_validate():
    df = make_frame()
    roles = infer_roles(df, mediator_columns=["visits"], control_columns=["price"])
    with pytest.raises(DataValidationError, match=r"\['visits'\] are missing"):
        validate_frame(df.drop(columns="visits"), roles)


def test_too_short_for_horizon():
    df = make_frame(n_dates=5)
    with pytest.raises(DataValidationError, match="only 5 dates but at least 12"):
        validate_frame(df, infer_roles(df), min_periods=12)
    with pytest.raises(DataValidationError, match="shorter than the horizon"):
        forecast_origins(18, 20, 7)


def test_caller_frame_is_not_mutated():
    df = make_frame()
    shuffled = df.sample(frac=1.0, random_state=1)
    before = shuffled.copy()
    Panel.from_frame(shuffled, infer_roles(shuffled), val_fraction=0.2)
    pd.testing.assert_frame_equal(shuffled, before)


def test_scaling_round_trips_and_uses_training_rows_only():
    df = make_frame(n_dates=20)
    roles = infer_roles(df, mediator_columns=["visits"], control_columns=["price"])
    # a huge value in the last (validation) date must not change the scale
    spiked = df.copy()
    spiked.loc[spiked.date == spiked.date.max(), "tv"] = 1e9
    panel = Panel.from_frame(spiked, roles, val_fraction=0.25)
    assert panel.train_end == 15
    train_rows = df[df.date < sorted(df.date.unique())[15]]
    assert panel.node_scaler.scales[0] == pytest.approx(train_rows.tv.abs().max())
    assert np.abs(panel.values[:, :15]).max() <= 1.0 + 1e-12
    back = panel.to_frame()
    expect = spiked.sort_values(["geo", "date"]).reset_index(drop=True)
    for col in ["tv", "search", "visits", "y", "price"]:
        np.testing.assert_allclose(back[col].to_numpy(), expect[col].to_numpy(), rtol=1e-12)
    assert (back.geo.to_numpy() == expect.geo.to_numpy()).all()


def test_panel_layout_and_xarray_labels():
    df = make_frame(n_geo=2, n_dates=10)
    panel = Panel.from_frame(df, infer_roles(df, mediator_columns=["visits"], control_columns=["price"]))
    assert panel.values.shape == (2, 10, 4)
    assert panel.controls.shape == (2, 10, 1)
    da = panel.to_dataarray(panel.values, ("series", "date", "node"))
    assert da.dims == ("geo", "date", "node")
    assert da.sel(geo="g1", node="y").values[3] == pytest.approx(
        df[(df.geo == "g1")].y.iloc[3] / panel.node_scaler.scales[-1]
    )


def test_no_dims_is_one_series():
    df = make_frame(n_geo=1).drop(columns="geo")
    panel = Panel.from_frame(df, infer_roles(df))
    assert panel.values.shape[0] == 1
    assert "series" not in panel.to_dataarray(panel.values, ("series", "date", "node")).dims


def test_split_never_leaks_future_rows():
    df = make_frame(n_dates=30)
    panel = Panel.from_frame(df, infer_roles(df), val_fraction=0.2)
    origins = forecast_origins(panel.train_end, len(panel.dates), horizon=3)
    # the first validation forecast starts at the last training date and predicts only held-out dates
    assert origins[0] == panel.train_end - 1
    assert origins[-1] + 3 == len(panel.dates) - 1
    sub = panel.select(time=slice(0, panel.train_end))
    assert sub.dates.max() < panel.dates[panel.train_end]


def test_scaler_zero_column_gets_unit_scale():
    s = Scaler.fit(np.zeros((2, 3, 1)), ["c"])
    assert s.scales.tolist() == [1.0]
