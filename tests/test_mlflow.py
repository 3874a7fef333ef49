"""MLflow logging of DiceMMM fits (``pymc_dice.mlflow``) against a local folder tracking store;
pymc-marketing's own ``log_mmm`` refuses a DiceMMM with the alternative. About 15 s."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")

import pymc_marketing.mlflow as pmm_mlflow  # noqa: E402

from pymc_dice import DiceMMM  # noqa: E402
from pymc_dice import mlflow as dice_mlflow  # noqa: E402
from pymc_dice.exceptions import ConfigError, ModelFileError  # noqa: E402
from pymc_dice.simulate import national  # noqa: E402

N_FIT = 40
ARTIFACTS = {"model/model.nc", "model/roas.png", "model/summary.csv"}


@pytest.fixture()
def tracking(tmp_path, monkeypatch):
    """A fresh local tracking store; the autolog patch is removed afterwards."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it on a folder
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    yield tmp_path
    dice_mlflow.autolog(disable=True)


@pytest.fixture(scope="module")
def df():
    return national(n_channels=2, n_periods=N_FIT + 4, seed=0).df


def _model() -> DiceMMM:
    return DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 20})


def _artifacts(run_id: str, path: str = "model") -> set[str]:
    return {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, path)}


def test_autolog_logs_params_metrics_and_artifacts(tracking, df):
    dice_mlflow.autolog()
    mmm = _model()
    mmm.fit(df.iloc[:N_FIT], random_seed=0, draws=3, progressbar=False)  # no run: no logging
    assert "mlflow_run_id" not in mmm.idata.attrs and mlflow.active_run() is None
    with mlflow.start_run() as run:
        mmm.fit(df.iloc[:N_FIT], random_seed=0, draws=3, progressbar=False)
    data = mlflow.get_run(run.info.run_id).data
    assert data.params["model_type"] == "DiceMMM" and data.params["model_id"] == mmm.id
    assert data.params["roles.channel_columns"] == '["tv", "social"]'
    assert data.params["draws"] == "3" and data.params["trainer_config.max_iter"] == "20"
    assert {"fit_seconds", "r2", "n_dates", "roas_tv", "roas_social"} <= set(data.metrics)
    assert data.metrics["roas_tv"] == pytest.approx(float(mmm.roas()["tv"]), rel=1e-12)
    assert data.metrics["n_dates"] == N_FIT and data.metrics["fit_seconds"] > 0
    assert -1.0 < data.metrics["r2"] <= 1.0
    assert _artifacts(run.info.run_id) == ARTIFACTS
    assert mmm.idata.attrs["mlflow_run_id"] == run.info.run_id
    summary = pd.read_csv(
        mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="model/summary.csv"
        ),
        index_col=0,
    )
    np.testing.assert_allclose(summary["roas"], mmm.roas()[summary.index], rtol=1e-9)
    # a second autolog replaces the patch instead of stacking it; disable restores fit
    dice_mlflow.autolog(log_mmm=False)
    assert getattr(DiceMMM.fit, dice_mlflow.PATCH_ATTR).__name__ == "fit"
    assert not hasattr(getattr(DiceMMM.fit, dice_mlflow.PATCH_ATTR), dice_mlflow.PATCH_ATTR)
    dice_mlflow.autolog(disable=True)
    assert not hasattr(DiceMMM.fit, dice_mlflow.PATCH_ATTR)


def test_log_mmm_load_mmm_round_trip_predicts_identically(tracking, df):
    mmm = _model()
    mmm.fit(df.iloc[:N_FIT], random_seed=1, draws=3, progressbar=False)
    with mlflow.start_run() as run:
        uri = dice_mlflow.log_mmm(mmm, artifact_path="dice")
    assert uri.endswith("dice/model.nc")
    assert _artifacts(run.info.run_id, "dice") == {a.replace("model/", "dice/") for a in ARTIFACTS}
    back = dice_mlflow.load_mmm(run.info.run_id, artifact_path="dice")
    new = df.iloc[N_FIT:]
    assert back.id == mmm.id
    np.testing.assert_array_equal(back.predict(new), mmm.predict(new))  # exact: same weights
    with pytest.raises(ModelFileError, match="log_mmm"):
        dice_mlflow.load_mmm(run.info.run_id, artifact_path="nowhere")


def test_pymc_marketing_log_mmm_names_the_alternative(tracking, df):
    mmm = _model()
    mmm.fit(df.iloc[:N_FIT], random_seed=0, draws=2, progressbar=False)
    with mlflow.start_run(), pytest.raises(NotImplementedError, match="pymc_dice.mlflow.log_mmm"):
        pmm_mlflow.log_mmm(mmm)


def test_missing_mlflow_is_a_config_error_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now raises ImportError
    with pytest.raises(ConfigError, match=r"pymc-dice\[mlflow\]"):
        dice_mlflow.require_mlflow()
    with pytest.raises(ConfigError, match="pip install"):
        dice_mlflow.autolog()
