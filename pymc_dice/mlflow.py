"""MLflow logging of ``DiceMMM`` fits, shaped like pymc-marketing's ``pymc_marketing.mlflow``
(docs/pymc-marketing.md, "MLflow").

- :func:`autolog` patches ``DiceMMM.fit``: a fit inside an active MLflow run logs its params
  (:func:`fit_params`: model type and id, configs, column roles, draws), its metrics
  (:func:`fit_metrics`: fit seconds, in-sample R^2, ROAS per channel) and, with
  ``log_mmm=True``, the artifacts of :func:`log_mmm`. Outside a run a fit logs nothing.
- :func:`log_mmm` logs a fitted model under ``artifact_path``: its save file (``model.nc``,
  :meth:`~pymc_dice.mmm.DiceMMM.save`), the per-channel table
  (``summary.csv``, ``mmm.summary.channels()``) and the ROAS figure (``roas.png``).
- :func:`load_mmm` downloads a run's save file and returns
  :meth:`~pymc_dice.mmm.DiceMMM.load` of it.

MLflow is an optional dependency (``pip install "pymc-dice[mlflow]"``); without it these
functions raise a :class:`~pymc_dice.exceptions.ConfigError` that says so. pymc-marketing's own
``pymc_marketing.mlflow.log_mmm`` pickles the whole model and refuses a ``DiceMMM``, naming
:func:`log_mmm`.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from pymc_dice import __version__
from pymc_dice.exceptions import ConfigError, ModelFileError
from pymc_dice.idata import roas as roas_per_chain
from pymc_dice.mmm import DiceMMM
from pymc_dice.plot import plot_roas

__all__ = [
    "ROAS_FIGURE",
    "SAVE_FILE",
    "SUMMARY_FILE",
    "autolog",
    "fit_metrics",
    "fit_params",
    "load_mmm",
    "log_mmm",
    "require_mlflow",
]

#: artifact names under ``artifact_path``
SAVE_FILE, SUMMARY_FILE, ROAS_FIGURE = "model.nc", "summary.csv", "roas.png"
#: marks the ``DiceMMM.fit`` that :func:`autolog` installed; holds the original
PATCH_ATTR = "__pymc_dice_autolog__"


def require_mlflow() -> Any:
    """The ``mlflow`` module, or a ``ConfigError`` with the install command.

    Examples
    --------
    >>> require_mlflow().__name__
    'mlflow'
    """
    try:
        import mlflow
    except ImportError as err:
        raise ConfigError(
            "MLflow logging needs the mlflow extra: pip install 'pymc-dice[mlflow]' "
            f"(or pip install mlflow-skinny); import failed: {err}"
        ) from err
    return mlflow


def fit_params(mmm: DiceMMM) -> dict[str, str]:
    """The params a fit logs: ``model_type``, ``model_id``, ``pymc_dice_version``, ``draws``,
    ``chains``, every ``model_config.*`` and ``trainer_config.*`` setting and the column roles
    (``roles.*``), as strings (lists as JSON). Nothing here depends on the fitted dates, so
    refits in one run (cross-validation folds) log the same params.

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 5})
    >>> _ = mmm.fit(national(n_channels=2, n_periods=40, seed=0).df, random_seed=0, draws=2)
    >>> p = fit_params(mmm)
    >>> p["model_type"], p["roles.channel_columns"], p["draws"], p["trainer_config.max_iter"]
    ('DiceMMM', '["tv", "social"]', '2', '5')
    """
    mmm._check_fitted()
    out = {
        "model_type": mmm._model_type,
        "model_id": mmm.id,
        "pymc_dice_version": __version__,
        "draws": mmm.n_draws_,
        "chains": len(mmm.seeds_),
    }
    for name, cfg in (("model_config", mmm.model_cfg), ("trainer_config", mmm.trainer_cfg)):
        out.update({f"{name}.{k}": v for k, v in cfg.model_dump(mode="json").items()})
    out.update({f"roles.{k}": v for k, v in mmm.roles_.to_dict().items()})
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in out.items()}


def metric_name(text: str) -> str:
    """``text`` with the characters MLflow refuses in a metric name replaced by ``_``.

    Examples
    --------
    >>> metric_name("roas_tv (linear)")
    'roas_tv _linear_'
    """
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", text)


def fit_metrics(mmm: DiceMMM, seconds: float | None = None) -> dict[str, float]:
    """The metrics a fit logs: ``fit_seconds`` (when given), ``r2`` (in-sample R^2 of the
    posterior mean ``mu`` against the observed target over every fitted date and series; the
    ``max_lag`` warm-up dates, where ``mu`` is the observed target, count too), ``n_dates``
    and ``roas_<channel>`` (``mmm.roas()``, mean over chains and draws; a channel without spend
    is left out, its ROAS is NaN).

    Examples
    --------
    >>> from pymc_dice.simulate import national
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 5})
    >>> _ = mmm.fit(national(n_channels=2, n_periods=40, seed=0).df, random_seed=0, draws=2)
    >>> m = fit_metrics(mmm, seconds=1.5)
    >>> sorted(m), m["fit_seconds"], m["r2"] <= 1.0
    (['fit_seconds', 'n_dates', 'r2', 'roas_social', 'roas_tv'], 1.5, True)
    """
    mmm._check_fitted()
    observed = mmm.idata.observed_data["y"]
    mu = mmm.idata.posterior["mu"].mean(("chain", "draw")).transpose(*observed.dims)
    y, fit = observed.values.ravel(), mu.values.ravel()
    total = float(((y - y.mean()) ** 2).sum())
    out = {"r2": 1.0 - float(((y - fit) ** 2).sum()) / total if total > 0 else float("nan")}
    out["n_dates"] = float(len(mmm.panel_.dates))
    if seconds is not None:
        out["fit_seconds"] = float(seconds)
    for channel, value in mmm.roas().items():
        if np.isfinite(value):
            out[metric_name(f"roas_{channel}")] = float(value)
    return out


def _roas_figure(mmm: DiceMMM):
    """ROAS per channel with the 5-95 % range over chains (seeds), as the report draws it
    (:func:`pymc_dice.plot.plot_roas`)."""
    per_chain = roas_per_chain(mmm.idata)
    ds = xr.Dataset(
        {
            "roas": per_chain.mean("chain"),
            "roas_lower": per_chain.quantile(0.05, "chain").drop_vars("quantile"),
            "roas_upper": per_chain.quantile(0.95, "chain").drop_vars("quantile"),
        }
    ).expand_dims(model=["DiceMMM"])
    return plot_roas(ds)


def log_mmm(mmm: DiceMMM, artifact_path: str = "model") -> str:
    """Log a fitted model to the active MLflow run (one is started if none is active) and
    return the artifact URI of its save file: under ``artifact_path``, ``model.nc`` (the
    save file), ``summary.csv`` (``mmm.summary.channels()``) and ``roas.png``. The save file is
    the whole model; :func:`load_mmm` reads it back (the example there).

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> import mlflow
    >>> from pymc_dice.simulate import national
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # a local folder as tracking store
    >>> mlflow.set_tracking_uri((pathlib.Path(tempfile.mkdtemp()) / "mlruns").as_uri())
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 5})
    >>> _ = mmm.fit(national(n_channels=2, n_periods=40, seed=0).df, random_seed=0, draws=2)
    >>> with mlflow.start_run() as run:
    ...     uri = log_mmm(mmm, artifact_path="dice")
    >>> sorted(a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "dice"))
    ['dice/model.nc', 'dice/roas.png', 'dice/summary.csv']
    """
    mlflow = require_mlflow()
    mmm._check_fitted()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mmm.save(folder / SAVE_FILE)
        mmm.summary.channels().to_csv(folder / SUMMARY_FILE)
        _roas_figure(mmm).savefig(folder / ROAS_FIGURE)
        for name in (SAVE_FILE, SUMMARY_FILE, ROAS_FIGURE):
            mlflow.log_artifact(str(folder / name), artifact_path=artifact_path)
    return f"{mlflow.get_artifact_uri(artifact_path)}/{SAVE_FILE}"


_log_mmm = log_mmm  # autolog's ``log_mmm`` argument shadows the function there


def load_mmm(run_id: str, artifact_path: str = "model", dst_path: str | None = None) -> DiceMMM:
    """The ``DiceMMM`` that :func:`log_mmm` (or an :func:`autolog` fit) logged in run
    ``run_id``: its save file is downloaded (into ``dst_path``, else a temporary folder that is
    removed) and read with ``DiceMMM.load``, which checks it.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> import mlflow
    >>> from pymc_dice.simulate import national
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # a local folder as tracking store
    >>> mlflow.set_tracking_uri((pathlib.Path(tempfile.mkdtemp()) / "mlruns").as_uri())
    >>> df = national(n_channels=2, n_periods=44, seed=0).df
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 5})
    >>> _ = mmm.fit(df.iloc[:40], random_seed=0, draws=2, progressbar=False)
    >>> with mlflow.start_run() as run:
    ...     uri = log_mmm(mmm)
    >>> back = load_mmm(run.info.run_id)
    >>> uri.endswith("model/model.nc"), bool((back.predict(df.iloc[40:]) ==
    ...                                        mmm.predict(df.iloc[40:])).all())
    (True, True)
    """
    mlflow = require_mlflow()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id,
                artifact_path=f"{artifact_path}/{SAVE_FILE}",
                dst_path=dst_path or tmp,
            )
        except Exception as err:  # noqa: BLE001 - MLflow raises several types; one message
            raise ModelFileError(
                f"run {run_id!r} has no artifact {artifact_path}/{SAVE_FILE}: log the model with "
                f"pymc_dice.mlflow.log_mmm(mmm, artifact_path={artifact_path!r}) ({err})"
            ) from err
        return DiceMMM.load(local)


def autolog(log_mmm: bool = True, disable: bool = False) -> None:
    """Patch ``DiceMMM.fit`` so that a fit inside an active MLflow run logs its params
    (:func:`fit_params`), metrics (:func:`fit_metrics`) and, with ``log_mmm``, the artifacts
    of :func:`log_mmm` under ``model/``; the run id is stamped on ``idata.attrs``
    (``mlflow_run_id``), as pymc-marketing's ``autolog`` does. A fit outside a run logs
    nothing. Calling it again replaces the patch; ``disable=True`` restores ``DiceMMM.fit``.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> import mlflow
    >>> from pymc_dice.simulate import national
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # a local folder as tracking store
    >>> mlflow.set_tracking_uri((pathlib.Path(tempfile.mkdtemp()) / "mlruns").as_uri())
    >>> autolog(log_mmm=False)
    >>> mmm = DiceMMM(channel_columns=["tv", "social"], trainer_config={"max_iter": 5})
    >>> with mlflow.start_run() as run:
    ...     _ = mmm.fit(national(n_channels=2, n_periods=40, seed=0).df, random_seed=0, draws=2)
    >>> logged = mlflow.get_run(run.info.run_id).data
    >>> logged.params["model_type"], "r2" in logged.metrics
    ('DiceMMM', True)
    >>> mmm.idata.attrs["mlflow_run_id"] == run.info.run_id
    True
    >>> autolog(disable=True)
    """
    require_mlflow()
    original = getattr(DiceMMM.fit, PATCH_ATTR, DiceMMM.fit)
    if disable:
        DiceMMM.fit = original
        return

    @functools.wraps(original)
    def fit(self: DiceMMM, *args: Any, **kwargs: Any) -> xr.DataTree:
        mlflow = require_mlflow()
        run = mlflow.active_run()
        if run is None:
            return original(self, *args, **kwargs)
        start = time.perf_counter()
        idata = original(self, *args, **kwargs)
        seconds = time.perf_counter() - start
        idata.attrs["mlflow_run_id"] = run.info.run_id
        mlflow.log_params(fit_params(self))
        mlflow.log_metrics(fit_metrics(self, seconds))
        if log_mmm:
            _log_mmm(self)
        return idata

    setattr(fit, PATCH_ATTR, original)
    DiceMMM.fit = fit
