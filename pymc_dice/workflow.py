"""The study the demo runs: split, fit both models, compare, diagnose, report.

One frame in pymc-marketing's layout holds every date. Its last dates are held out
(:func:`split_held_out`); a Bayesian pymc-marketing MMM (:func:`fit_bayesian`) and a DiceMMM
(:func:`fit_dice`) are fitted on the rest; :func:`pymc_dice.attribution.compare` runs the one
attribution test suite on both over the whole frame; the DiceMMM is diagnosed (CIG / AR-CIG,
graph swap) and a report folder is written (:func:`pymc_dice.report.build_report`).
:func:`run_study` chains these steps; the ``pymc-dice`` command line and the examples call it.

Examples
--------
>>> from pymc_dice.simulate import sparse_target
>>> sim = sparse_target(n_series=2, n_periods=20, seed=0)
>>> df = add_placebo(sim.df, source="tv", by="geo", seed=1)
>>> train = split_held_out(df, "date", n_hold=5)
>>> df["date"].nunique() - train["date"].nunique(), "placebo" in train
(5, True)
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.exceptions import CliError
from pymc_dice.graph import edge_list

__all__ = [
    "MARKER",
    "StudyResult",
    "StudySettings",
    "add_placebo",
    "diagnose_saved",
    "edge_list",
    "fit_bayesian",
    "fit_dice",
    "prepare_out",
    "read_csv",
    "run_study",
    "split_held_out",
]

#: the file that marks a folder as written by pymc-dice (it may then be written into again)
MARKER = ".pymc-dice-output"


def prepare_out(path: Path, overwrite: bool, *, created: list | None = None) -> Path:
    """Create ``path``; refuse a non-empty folder unless pymc-dice wrote it or ``overwrite``.

    A folder this call creates is appended to ``created``, so that a run that then fails or
    is interrupted can remove it (:func:`remove_created`) and leave nothing half-done.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "notes.txt").write_text("mine")
    ...     prepare_out(Path(tmp), overwrite=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.CliError: ... was not written by pymc-dice; pass --overwrite or choose another --out
    """
    if path.exists() and not path.is_dir():
        raise CliError(f"{path} exists and is not a folder; choose another --out")
    ours = (path / MARKER).exists()
    if path.exists() and any(path.iterdir()) and not (ours or overwrite):
        raise CliError(
            f"{path} exists, is not empty and was not written by pymc-dice; "
            "pass --overwrite or choose another --out"
        )
    if not path.exists() and created is not None:
        created.append(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def remove_created(created: list) -> None:
    """Remove the output folders a failed or interrupted run created (and nothing else).

    Examples
    --------
    >>> import tempfile
    >>> made = []
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = prepare_out(Path(tmp) / "report", overwrite=False, created=made)
    ...     remove_created(made)
    ...     out.exists()
    False
    """
    for path in reversed(created):
        if (Path(path) / MARKER).exists():
            shutil.rmtree(path, ignore_errors=True)
    created.clear()


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV with one clear error for a missing or unreadable file.

    Examples
    --------
    >>> read_csv("no-such.csv")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.CliError: no such file: no-such.csv
    """
    path = Path(path)
    if not path.exists():
        raise CliError(f"no such file: {path}")
    if path.is_dir():
        raise CliError(f"{path} is a folder; pass a CSV file")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CliError(f"cannot read {path} as CSV: {first}") from err
    if df.empty:
        raise CliError(f"{path} has no data rows")
    return df


def add_placebo(df: pd.DataFrame, *, source: str, by: str, seed: int) -> pd.DataFrame:
    """A copy of ``df`` with a ``placebo`` channel: ``source``'s spend shuffled over dates
    within each ``by`` series, so it has no effect by construction.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["a"] * 3, "tv": [1.0, 2.0, 3.0]})
    >>> sorted(add_placebo(df, source="tv", by="geo", seed=0)["placebo"])
    [1.0, 2.0, 3.0]
    """
    out = df.copy()
    rng = np.random.default_rng(seed)
    out["placebo"] = out.groupby(by)[source].transform(lambda s: rng.permutation(s.to_numpy()))
    return out


def split_held_out(df: pd.DataFrame, date_column: str, n_hold: int) -> pd.DataFrame:
    """The rows of ``df`` before its last ``n_hold`` dates (all rows when ``n_hold`` is 0).

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=4, freq="W-MON")})
    >>> len(split_held_out(df, "date", 1)), len(split_held_out(df, "date", 0))
    (3, 4)
    """
    dates = np.sort(pd.to_datetime(df[date_column]).unique())
    train = df[pd.to_datetime(df[date_column]) < dates[-n_hold]] if n_hold else df
    return train.reset_index(drop=True)


def fit_bayesian(
    train: pd.DataFrame,
    roles: Any,
    *,
    chains: int,
    draws: int,
    seed: int,
    progress: bool = False,
    cores: int | None = None,
):
    """A pymc-marketing MMM on the channels and controls; media parameters pooled over dims.

    Geometric adstock (``l_max`` 4) and logistic saturation; ``draws`` tuning steps and draws
    per chain; ``cores`` defaults to one per chain, up to the CPU count.

    Examples
    --------
    >>> mmm = fit_bayesian(train, roles, chains=2, draws=100, seed=0)  # doctest: +SKIP
    >>> sorted(mmm.idata.posterior.sizes)[:2]  # doctest: +SKIP
    ['chain', 'channel']
    """
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    controls = list(roles.control_columns)
    model_config: dict[str, Any] = {}
    if controls:
        model_config["gamma_control"] = Prior("Normal", mu=0, sigma=2, dims="control")
    mmm = MMM(
        date_column=roles.date_column,
        channel_columns=list(roles.channel_columns),
        control_columns=controls or None,
        target_column=roles.target_column,
        adstock=GeometricAdstock(
            l_max=4, priors={"alpha": Prior("Beta", alpha=1, beta=3, dims="channel")}
        ),
        saturation=LogisticSaturation(
            priors={
                "lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
                "beta": Prior("HalfNormal", sigma=2, dims="channel"),
            }
        ),
        model_config=model_config,
        dims=tuple(roles.dims),
    )
    cols = [roles.date_column, *roles.dims, *roles.channel_columns, *controls]
    if cores is None:
        cores = max(1, min(chains, os.cpu_count() or 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(
            train[cols],
            train[roles.target_column],
            chains=chains,
            draws=draws,
            tune=draws,
            cores=cores,
            random_seed=seed,
            progressbar=progress,
        )
    return mmm


def fit_dice(
    train: pd.DataFrame,
    roles: Any,
    *,
    seeds: int,
    seed: int,
    epochs: int | None = None,
    horizon: int | None = None,
    progress: bool = False,
    draws: int | None = None,
    on_interrupt: str = "keep-best",
    decoder: str | None = None,
):
    """A DiceMMM with the column roles ``roles`` and ``seeds`` seeds, fitted on ``train``;
    ``epochs`` per stage, ``horizon``, ``decoder`` (``ModelConfig``) and ``on_interrupt``
    (:class:`pymc_dice.config.TrainerConfig`) keep their defaults when None.

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=30, seed=0)
    >>> dice = fit_dice(sim.df, Roles(**sim.roles), epochs=1, seeds=1, horizon=2, seed=0)
    >>> dice.idata["posterior"]["channel_contribution"].sizes["chain"]
    1
    """
    from pymc_dice.mmm import DiceMMM

    trainer = {"n_seeds": seeds, "on_interrupt": on_interrupt}
    if epochs is not None:
        trainer.update(epochs_stage1=epochs, epochs_stage2=epochs)
    if horizon is not None:
        trainer["horizon"] = horizon
    dice = DiceMMM(
        date_column=roles.date_column,
        channel_columns=list(roles.channel_columns),
        target_column=roles.target_column,
        mediator_columns=list(roles.mediator_columns),
        control_columns=list(roles.control_columns),
        dims=list(roles.dims),
        model_config={"decoder": decoder} if decoder else None,
        trainer_config=trainer,
    )
    dice.fit(train, random_seed=seed, progressbar=progress, draws=draws)
    return dice


@dataclass
class StudySettings:
    """Sizes of a study: DiceMMM ``epochs`` / ``seeds`` / ``graph_draws``, pymc-marketing
    ``chains`` / ``draws`` / ``cores``, the ``horizon`` of MSE@h and AR-CIG, the seed.

    Examples
    --------
    >>> StudySettings(horizon=3).bayesian, StudySettings().horizon
    (True, 7)
    """

    epochs: int = 150
    seeds: int = 2
    chains: int = 2
    draws: int = 200
    horizon: int = 7
    seed: int = 0
    graph_draws: int | None = None
    bayesian: bool = True
    cores: int | None = None
    progress: bool = False
    on_interrupt: str = "keep-best"


@dataclass
class StudyResult:
    """What :func:`run_study` produced: the fitted models (``"bayesian"``, ``"dice"``), the
    attribution ``comparison``, the DiceMMM ``diagnostics`` and the report files.

    Examples
    --------
    >>> StudyResult(models={}, comparison=xr.Dataset(), diagnostics=xr.Dataset()).verdict
    ''
    """

    models: dict[str, Any]
    comparison: xr.Dataset
    diagnostics: xr.Dataset
    n_hold: int = 0
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """The DiceMMM's graph-swap verdict ('' when not diagnosed).

        Examples
        --------
        >>> StudyResult({}, xr.Dataset(), xr.Dataset({"verdict": ((), "ok")})).verdict
        'ok'
        """
        return str(self.diagnostics["verdict"].values) if "verdict" in self.diagnostics else ""


def run_study(
    df: pd.DataFrame,
    roles: Any,
    settings: StudySettings,
    *,
    n_hold: int,
    out: Path,
    truth: Any = None,
    placebo: str | None = None,
    title: str = "pymc-dice report",
    meta: Mapping[str, str] | None = None,
    save_model: Path | None = None,
    extra_files: Mapping[str, Any] | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> StudyResult:
    """Hold out the last ``n_hold`` dates, fit, test, diagnose and write the report to ``out``.

    ``on_step(k, n, text)`` is called before each of the ``n`` steps (the CLI prints them).

    Examples
    --------
    >>> result = run_study(df, roles, StudySettings(), n_hold=12, out=Path("r"))  # doctest: +SKIP
    >>> result.verdict  # doctest: +SKIP
    'graph-support selection'
    """
    from pymc_dice.attribution import compare
    from pymc_dice.report import build_report

    step = _Steps(4 + int(settings.bayesian), on_step)
    horizon = settings.horizon
    train = split_held_out(df, roles.date_column, n_hold)
    models: dict[str, Any] = {}
    if settings.bayesian:
        step(
            f"fitting the Bayesian MMM (pymc-marketing, {settings.chains} chains "
            f"x {settings.draws} draws; compiles once, cached afterwards)"
        )
        models["bayesian"] = fit_bayesian(
            train,
            roles,
            chains=settings.chains,
            draws=settings.draws,
            seed=settings.seed,
            progress=settings.progress,
            cores=settings.cores,
        )
    step(
        f"fitting DiceMMM ({settings.seeds} seeds, up to {settings.epochs} "
        "epochs per stage, early stopping)"
    )
    models["dice"] = fit_dice(
        train,
        roles,
        epochs=settings.epochs,
        seeds=settings.seeds,
        horizon=horizon,
        seed=settings.seed,
        progress=settings.progress,
        draws=settings.graph_draws,
        on_interrupt=settings.on_interrupt,
    )
    if save_model is not None:
        models["dice"].save(save_model, overwrite=True)
    step(
        "running the attribution test suite on "
        + " and ".join(models)
        + f" ({n_hold} held-out dates)"
    )
    comparison = compare(
        models, df, truth, horizon=horizon, placebo=placebo, progress=settings.progress
    )
    step("DiceMMM diagnostics: CIG / AR-CIG and graph swap")
    graph = None if truth is None else getattr(truth, "truth", truth)["graph"]
    diagnostics = models["dice"].diagnose(truth=graph, horizon=horizon)
    step("writing the report")
    netcdf = {"bayesian_idata.nc": models["bayesian"].idata} if settings.bayesian else {}
    netcdf.update(extra_files or {})
    held_out = f"last {n_hold} ({comparison.attrs.get('held_out_window', '')})"
    files = build_report(
        out,
        models,
        df,
        comparison,
        diagnostics=diagnostics,
        truth=truth,
        title=title,
        meta={**(meta or {}), "held-out dates": held_out},
        netcdf=netcdf,
    )
    return StudyResult(models, comparison, diagnostics, n_hold, files)


class _Steps:
    """Numbers the steps of a study and hands each to the caller's ``on_step``."""

    def __init__(self, n: int, on_step: Callable[[int, int, str], None] | None):
        self.n, self.k, self.on_step = n, 0, on_step

    def __call__(self, text: str) -> None:
        self.k += 1
        if self.on_step is not None:
            self.on_step(self.k, self.n, text)


def diagnose_saved(
    dice: Any,
    df: pd.DataFrame,
    *,
    out: Path,
    truth: xr.Dataset | None = None,
    horizon: int | None = None,
    placebo: str | None = None,
    meta: Mapping[str, str] | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> StudyResult:
    """Attribution tests and diagnostics of a fitted DiceMMM on ``df`` (its fitted dates plus
    later held-out dates), written as a report to ``out``.

    ``on_step(k, 3, text)`` is called before steps 2 (tests) and 3 (report); step 1, loading
    the model, is the caller's.

    Examples
    --------
    >>> dice = DiceMMM.load("r/model.nc")  # doctest: +SKIP
    >>> diagnose_saved(dice, df, out=Path("d")).verdict  # doctest: +SKIP
    'ok'
    """
    from pymc_dice.attribution import compare
    from pymc_dice.report import build_report

    step = _Steps(3, on_step)
    step.k = 1  # step 1 (loading the model) is the caller's
    horizon = horizon if horizon is not None else dice.trainer_cfg.horizon
    step("attribution tests and diagnostics (CIG / AR-CIG, graph swap)")
    comparison = compare({"dice": dice}, df, truth, horizon=horizon, placebo=placebo)
    diagnostics = dice.diagnose(truth=None if truth is None else truth["graph"], horizon=horizon)
    step("writing the report")
    files = build_report(
        out,
        {"dice": dice},
        df,
        comparison,
        diagnostics=diagnostics,
        truth=truth,
        title="pymc-dice diagnostics",
        meta=meta,
    )
    return StudyResult({"dice": dice}, comparison, diagnostics, files=files)
