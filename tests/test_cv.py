"""pymc-marketing's ``TimeSliceCrossValidator`` on a ``DiceMMM`` (``mmm.build_model`` gives its
fold model, :class:`pymc_dice.compat.TimeSliceFold`). Two folds of tiny fits, about 10 s."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from pymc_marketing.mmm.time_slice_cross_validation import TimeSliceCrossValidator

from pymc_dice import DiceMMM
from pymc_dice.compat import TimeSliceFold
from pymc_dice.exceptions import DataValidationError
from pymc_dice.simulate import national

N_INIT, HORIZON, STEP, N_PERIODS = 40, 4, 4, 48  # two folds: train 40 / 44 dates, test 4
SAMPLER = {"draws": 8, "random_seed": 0}


@pytest.fixture(scope="module")
def data():
    df = national(n_channels=2, n_periods=N_PERIODS, seed=0).df
    return df.drop(columns="y"), df["y"]


def _template() -> DiceMMM:
    return DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 30})


@pytest.fixture(scope="module")
def run(data):
    X, y = data
    mmm = _template()
    cv = TimeSliceCrossValidator(
        n_init=N_INIT, forecast_horizon=HORIZON, date_column="date", step_size=STEP
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree, folds = cv.run(X, y, mmm=mmm, sampler_config=SAMPLER, return_models=True)
    return mmm, cv, tree, folds


def test_validator_runs_two_folds_without_touching_the_template(run):
    mmm, cv, tree, folds = run
    assert mmm.idata is None and getattr(mmm, "ensemble_", None) is None
    assert [type(f) for f in folds] == [TimeSliceFold, TimeSliceFold]
    assert tree.posterior_predictive["y_original_scale"].dims == ("cv", "chain", "draw", "date")
    assert tree.posterior_predictive.sizes["draw"] == SAMPLER["draws"]
    for k, fold in enumerate(folds):  # fold k trains on the dates before its test slice
        assert len(fold.panel_.dates) == N_INIT + k * STEP
    crps = cv.summary.crps()
    assert sorted(crps["split"].unique()) == ["test", "train"] and len(crps) == 2 * len(folds)
    assert np.isfinite(crps["mean_crps"]).all() and (crps["mean_crps"] > 0).all()


def test_fold_predictions_are_the_fit_then_the_forecast(run, data):
    X, _ = data
    _, cv, tree, folds = run
    pp = tree.posterior_predictive["y_original_scale"]
    for label, fold in zip(pp["cv"].values, folds, strict=True):
        meta = tree.cv_metadata["metadata"].sel(cv=label).values.item()
        train, test = pd.DatetimeIndex(meta["X_train"]["date"]), meta["X_test"]
        got = pp.sel(cv=label)
        # test dates: the closed-loop forecast from the end of the fold's data (deterministic)
        forecast = fold.model.sample_posterior_predictive(test, extend_idata=False, combined=False)
        np.testing.assert_allclose(
            got.sel(date=forecast["date"]).values, forecast["y"].values, rtol=1e-12
        )
        # training dates: the fit's posterior predictive, in original units
        scale = float(fold.idata.constant_data["target_scale"])
        fit = fold.idata["posterior_predictive_fit"]["y"] * scale
        np.testing.assert_allclose(got.sel(date=train).values, fit.values, rtol=1e-12)
        assert not got.sel(date=train).isnull().any()


def test_folds_are_reproducible_from_the_sampler_config(run, data):
    X, y = data
    _, _, tree, folds = run
    fold = _template().build_model(X.iloc[:N_INIT], y.iloc[:N_INIT])
    fold.sampler_config = SAMPLER
    fold.fit(X.iloc[:N_INIT], y.iloc[:N_INIT])
    test = X.iloc[N_INIT : N_INIT + HORIZON]
    np.testing.assert_array_equal(fold.predict(test), folds[0].predict(test))


def test_build_model_checks_columns_and_leaves_a_fitted_model_alone(run, data):
    X, y = data
    fold = run[3][0]
    fresh = fold.build_model(X, y)
    assert fresh.idata is None and fold.idata is not None and fresh.model is not fold.model
    with pytest.raises(DataValidationError, match="social"):
        _template().build_model(X.drop(columns="social"), y)


def test_sampler_keywords_without_meaning_are_refused(data):
    X, y = data
    fold = _template().build_model(X, y)
    fold.sampler_config = {"tune": 500}
    with pytest.raises(TypeError, match="tune"):
        fold.fit(X, y)
