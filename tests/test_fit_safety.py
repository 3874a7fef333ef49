"""Fit safety of DiceMMM: ``y`` aligned to ``X`` by labels, a failed fit changes nothing,
``diagnose(truth=...)`` takes the simulator's truth in every form it is stored in, and the
caller's frames are never mutated (tiny panels, a few epochs: each test takes seconds)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import pymc_dice.ensemble
import pymc_dice.mmm
from pymc_dice.exceptions import DataValidationError, NotFittedError
from pymc_dice.inputs import align_target
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import sparse_target

CHANNELS = ["tv", "radio", "social", "search_ads", "display"]
MEDIATORS = ["visits", "branded_search"]
CONTROLS = ["price", "event"]
SMALL_MODEL = {"hidden_size": 8, "encoder_hidden": 8, "max_lag": 2}
TRAINER = {"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 3, "n_seeds": 1, "progressbar": False}


@pytest.fixture(scope="module")
def sim():
    return sparse_target(n_series=3, n_periods=40, seed=0)


@pytest.fixture(scope="module")
def plain(sim):
    """date, geo, the channels and y; the last 4 dates are kept for forecasts."""
    df = sim.df[["date", "geo", *CHANNELS, "y"]]
    return df[df["date"] < np.sort(df["date"].unique())[-4]].reset_index(drop=True)


@pytest.fixture(scope="module")
def new_dates(sim, plain):
    df = sim.df[["date", "geo", *CHANNELS]]
    return df[df["date"] > plain["date"].max()].reset_index(drop=True)


def _model(**kwargs) -> DiceMMM:
    return DiceMMM(
        channel_columns=CHANNELS,
        model_config={**SMALL_MODEL, "arm": "nograph"},
        trainer_config=TRAINER,
        **kwargs,
    )


@pytest.fixture(scope="module")
def reference(plain):
    """The fit on the frame that carries y itself: what every aligned y must reproduce."""
    return _model().fit(plain, random_seed=5)


# ----------------------------------------------------------------------------------------
# y is aligned to X by labels
# ----------------------------------------------------------------------------------------


def _shuffled(y: pd.Series) -> pd.Series:
    return y.sample(frac=1.0, random_state=1)


@pytest.mark.parametrize(
    "make_y",
    [
        lambda df: _shuffled(df["y"]),  # X's index, another row order
        lambda df: _shuffled(df.set_index(["date", "geo"])["y"]),  # (date, dims) MultiIndex
        lambda df: _shuffled(df.set_index(["geo", "date"])["y"]),  # levels in any order
        lambda df: df.set_index(["date", "geo"])["y"].to_xarray(),  # a (date, geo) DataArray
        lambda df: df["y"].tolist(),  # a list: by position
        lambda df: df["y"].to_numpy(),  # an array: by position
    ],
    ids=["series-index", "multiindex", "multiindex-swapped", "dataarray", "list", "array"],
)
def test_y_is_aligned_to_x(plain, reference, make_y):
    X = plain.drop(columns="y")
    got = _model().fit(X, make_y(plain), random_seed=5)
    # identical data in identical order gives bit-identical fits (fixed seed, CPU)
    xr.testing.assert_equal(got.posterior["mu"], reference.posterior["mu"])
    xr.testing.assert_equal(
        got.constant_data["target_data"], reference.constant_data["target_data"]
    )


def test_y_on_a_shuffled_x_matches_by_label(plain, reference):
    """X and y both reordered, differently: labels still pair each row with its target."""
    X = plain.drop(columns="y").sample(frac=1.0, random_state=2)
    got = _model().fit(X, _shuffled(plain["y"]), random_seed=5)
    xr.testing.assert_equal(got.posterior["mu"], reference.posterior["mu"])


def test_y_labels_that_do_not_match_x_raise(plain):
    X = plain.drop(columns="y")
    y = plain["y"]
    cases = [
        (y.iloc[1:], r"y has no value for 1 row\(s\) of X \(labels \['0'\]"),
        (pd.concat([y, pd.Series([1.0], index=[999])]), r"1 label\(s\) that match no row.*999"),
        (pd.concat([y, y.iloc[:1]]), r"duplicated labels \['0'\]"),
        (y.set_axis(y.index + 1000), "no value for"),
        (y.rename_axis("row"), r"index levels \['row'\] are neither columns of X"),
        (plain.set_index(["date", "geo"])["y"].iloc[:-1], r"no value for 1 row.*'geo_002'"),
    ]
    for bad, message in cases:
        mmm = _model()
        with pytest.raises(DataValidationError, match=message):
            mmm.fit(X, bad)
        assert mmm.idata is None
    with pytest.raises(DataValidationError, match="duplicated labels"):
        align_target(X.set_axis([0] * len(X)), y, "y")


def test_positional_y_must_have_one_value_per_row(plain):
    X = plain.drop(columns="y")
    with pytest.raises(DataValidationError, match=r"y has shape \(2,\) but X has"):
        _model().fit(X, [1.0, 2.0])


# ----------------------------------------------------------------------------------------
# a failed fit leaves the model as it was
# ----------------------------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("injected failure")


@pytest.mark.parametrize(
    "target",
    [(pymc_dice.ensemble, "build_idata"), (pymc_dice.mmm, "sample_graphs")],
    ids=["idata-builder", "graph-draws"],
)
def test_failed_fit_leaves_an_unfitted_model_unfitted(
    plain, new_dates, tmp_path, monkeypatch, target
):
    monkeypatch.setattr(*target, _boom)
    mmm = _model()
    with pytest.raises(RuntimeError, match="injected failure"):
        mmm.fit(plain, random_seed=0)
    assert mmm.idata is None
    assert "ensemble_" not in vars(mmm) and "graph_prior_" not in vars(mmm)
    for call in (
        lambda: mmm.predict(new_dates),
        mmm.roas,
        lambda: mmm.summary.channels(),
        lambda: mmm.diagnose(horizon=2),
        lambda: mmm.save(tmp_path / "model.dice"),
    ):
        with pytest.raises(NotFittedError):
            call()
    assert not (tmp_path / "model.dice").exists()


def test_failed_refit_keeps_the_previous_results(plain, new_dates, monkeypatch):
    mmm = _model()
    mmm.fit(plain, random_seed=0)
    before = {
        "ensemble": mmm.ensemble_,
        "idata": mmm.idata,
        "id": mmm.id,
        "seeds": list(mmm.seeds_),
        "predict": mmm.predict(new_dates),
        "roas": mmm.roas(),
    }
    monkeypatch.setattr(pymc_dice.ensemble, "build_idata", _boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        mmm.fit(plain.iloc[: len(plain) // 2 * 2], random_seed=1)  # other seeds, other data
    assert mmm.ensemble_ is before["ensemble"] and mmm.idata is before["idata"]
    assert mmm.id == before["id"] and mmm.seeds_ == before["seeds"]
    np.testing.assert_array_equal(mmm.predict(new_dates), before["predict"])
    pd.testing.assert_series_equal(mmm.roas(), before["roas"])
    # a bad input on refit leaves it alone too
    with pytest.raises(DataValidationError):
        mmm.fit(plain.assign(tv=-1.0))
    assert mmm.ensemble_ is before["ensemble"] and mmm.idata is before["idata"]


# ----------------------------------------------------------------------------------------
# diagnose(truth=...)
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(sim):
    """Every node of the simulator, so its truth graph names the model's nodes."""
    df = sim.df[sim.df["geo"].isin(sorted(sim.df["geo"].unique())[:2])]
    mmm = DiceMMM(
        mediator_columns=MEDIATORS,
        control_columns=CONTROLS,
        model_config=SMALL_MODEL,
        trainer_config=TRAINER,
    )
    mmm.fit(df.reset_index(drop=True), random_seed=0)
    return mmm


def _diagnose(mmm, truth):
    with warnings.catch_warnings():  # NaN nAUPRC of all-zero influence (the empty input)
        warnings.simplefilter("ignore", UserWarning)
        return mmm.diagnose(truth=truth, horizon=3)


def test_diagnose_takes_the_simulators_truth(full, sim, tmp_path):
    path = tmp_path / "truth.nc"
    sim.truth.to_netcdf(path)
    want = _diagnose(full, sim.truth["graph"])  # a graph DataArray
    assert want.attrs["reference"] == "truth"
    for truth in (sim.truth, path, str(path)):
        got = _diagnose(full, truth)
        assert got.attrs["reference"] == "truth"
        xr.testing.assert_equal(got["swap_input_graph"], want["swap_input_graph"])
        xr.testing.assert_equal(got["graph_swap"], want["graph_swap"])
    assert full.idata["dice"].attrs["reference"] == "truth"


def test_diagnose_rejects_what_is_not_a_truth(full, sim, tmp_path):
    not_nc = tmp_path / "truth.txt"
    not_nc.write_text("not a netCDF file")
    cases = [
        (42, r"truth must be the simulator's truth Dataset .*; got int"),
        ({"tv": "y"}, "got dict"),
        (sim.truth.drop_vars("graph"), r"no 'graph' variable \(it holds \["),
        (tmp_path / "missing.nc", "truth: no file at .*missing.nc"),
        (not_nc, "truth: .*truth.txt is not a readable netCDF file"),
        ([("tv", "sales")], r"truth: graph names unknown node\(s\) \['sales'\]"),
    ]
    for truth, message in cases:
        with pytest.raises(DataValidationError, match=message):
            full.diagnose(truth=truth, horizon=3)


# ----------------------------------------------------------------------------------------
# the caller's frames are never mutated
# ----------------------------------------------------------------------------------------


def test_fit_and_predict_never_mutate_the_callers_frames(plain, new_dates):
    # text dates, shuffled rows, a categorical dims column: every one would be rewritten by
    # the data layer if it worked in place
    df = plain.sample(frac=1.0, random_state=3).assign(
        date=lambda d: d["date"].dt.strftime("%Y-%m-%d"), geo=lambda d: d["geo"].astype("category")
    )
    X, y = df.drop(columns="y"), df["y"]
    frames = {"df": df, "X": X, "new": new_dates}
    copies = {k: v.copy(deep=True) for k, v in frames.items()}
    y_copy = y.copy(deep=True)
    mmm = _model(date_column="date")
    mmm.fit(df, random_seed=0)
    _model(date_column="date").fit(X, y, random_seed=0)
    _model(date_column="date").fit(X, y.to_numpy(), random_seed=0)
    mmm.predict(new_dates)
    for key, frame in frames.items():
        pd.testing.assert_frame_equal(frame, copies[key])
    pd.testing.assert_series_equal(y, y_copy)


def test_pymc_marketing_arguments_set_the_structural_decoder():
    from pymc_marketing.mmm import DelayedAdstock, GeometricAdstock, HillSaturation

    from pymc_dice.simulate import national

    mmm = DiceMMM(
        channel_columns=["tv", "social"],
        adstock=GeometricAdstock(l_max=6),
        saturation=HillSaturation(),
        yearly_seasonality=3,
    )
    cfg = mmm.model_cfg
    assert (cfg.adstock, cfg.adstock_max_lag, cfg.saturation, cfg.yearly_seasonality) == (
        "geometric", 6, "hill", 3,
    )  # fmt: skip
    assert DiceMMM(adstock=DelayedAdstock(l_max=4)).model_cfg.adstock == "delayed"
    with pytest.raises(ValueError, match="not a pymc-marketing adstock"):
        DiceMMM(adstock="geometric")
    df = national(n_channels=2, n_periods=40, seed=0).df
    fast = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 10})
    fast.fit(df, chains=2, draws=3, random_seed=0, progressbar=False)
    assert dict(fast.idata.posterior.sizes)["chain"] == 2 and fast.trainer_cfg.n_seeds == 2
    with pytest.raises(TypeError, match="tune=500.*no MCMC warm-up"):
        fast.fit(df, tune=500)
