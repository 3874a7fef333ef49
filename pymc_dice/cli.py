"""Command line: ``pymc-dice demo | fit | diagnose | simulate | bench``.

``demo`` is the main job: simulate the default panel (or read ``--data my.csv``), fit a
DiceMMM and a Bayesian pymc-marketing MMM on the same DataFrame (its last dates held out),
run the one attribution test suite on both, and write a report folder (:mod:`pymc_dice.report`).

Exit codes: 0 success (a diagnostic verdict other than ``ok`` is a finding, not an error: it
is printed, and the exit code stays 0 unless ``diagnose --strict``); 1 ``diagnose --strict``
with a verdict other than ``ok``; 2 bad usage or bad input (missing file, unknown column,
unreadable CSV, invalid data, refused overwrite); 130 interrupted.

Examples
--------
>>> build_parser().parse_args(["demo", "--quick"]).quick
True
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pymc_dice.exceptions import CliError, PymcDiceError

PRESETS = ("sparse_target", "rawlog")
MARKER = ".pymc-dice-output"

#: full-size and ``--quick`` settings of ``demo`` (``fit`` uses the same model settings)
DEMO_DEFAULTS = {
    "n_series": 16,
    "n_periods": 104,
    "epochs": 150,
    "seeds": 2,
    "chains": 2,
    "draws": 200,
    "horizon": 7,
}
QUICK = {
    "n_series": 3,
    "n_periods": 40,
    "epochs": 3,
    "seeds": 2,
    "chains": 2,
    "draws": 25,
    "horizon": 3,
}


def _simulate(preset: str, n_series: int, n_periods: int, seed: int):
    import importlib

    module = importlib.import_module("pymc_dice.simulate")  # the module, not the function
    return getattr(module, preset)(n_series=n_series, n_periods=n_periods, seed=seed)


def _prepare_out(path: Path, overwrite: bool) -> Path:
    """Create ``path``; refuse a non-empty folder unless pymc-dice wrote it or ``overwrite``."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{path} exists and is not a folder; choose another --out")
    ours = (path / MARKER).exists()
    if path.exists() and any(path.iterdir()) and not (ours or overwrite):
        raise CliError(
            f"{path} exists, is not empty and was not written by pymc-dice; "
            "pass --overwrite or choose another --out"
        )
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


# --------------------------------------------------------------------------------------------
# console output
# --------------------------------------------------------------------------------------------


class _Console:
    """Step headers and tables through ``rich`` when installed, plain text otherwise."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.t0 = time.perf_counter()
        try:
            from rich.console import Console

            self.rich = Console(highlight=False)
            if not self.rich.is_terminal:  # a pipe or a log file: no 80-column squeeze
                self.rich = Console(highlight=False, width=120)
        except ImportError:  # pragma: no cover - rich is a pymc dependency
            self.rich = None

    def print(self, text: str = "", style: str | None = None) -> None:
        if self.rich is not None:
            self.rich.print(text, style=style, markup=False)
        else:  # pragma: no cover
            print(text)

    def step(self, k: int, n: int, text: str) -> None:
        elapsed = time.perf_counter() - self.t0
        self.print(f"[{k}/{n}] {text}  (t={elapsed:.0f}s)", style="bold cyan")

    def table(self, df, title: str) -> None:
        from pymc_dice.report import _fmt

        if self.rich is not None:
            from rich.table import Table

            df = df.drop(columns=["type"], errors="ignore")
            t = Table(title=title, title_justify="left")
            for c in df.columns:
                text = df[c].dtype == object
                t.add_column(str(c), justify="left" if text else "right", no_wrap=text)
            for row in df.itertuples(index=False):
                t.add_row(*[_fmt(v) for v in row])
            self.rich.print(t)
        else:  # pragma: no cover
            print(title)
            print(df.to_string(index=False))


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _read_csv(path: str | Path):
    """Read a CSV with one clear error for a missing or unreadable file."""
    import pandas as pd

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


def _roles_from_args(df, args: argparse.Namespace, source: str):
    """Column roles from the CLI options, every named column checked against ``df``."""
    from pymc_dice.data import infer_roles

    named = {
        "--date-column": [args.date_column] if args.date_column else [],
        "--channels": _split(args.channels) or [],
        "--target": [args.target] if args.target else [],
        "--dims": _split(args.dims) or [],
        "--controls": _split(args.controls) or [],
        "--mediators": _split(args.mediators) or [],
    }
    columns = [str(c) for c in df.columns]
    for option, cols in named.items():
        for c in cols:
            if c not in columns:
                raise CliError(
                    f"column {c!r} ({option}) is not in {source}; its columns are {columns}"
                )
    if args.date_column:
        import pandas as pd

        try:
            df[args.date_column] = pd.to_datetime(df[args.date_column])
        except (ValueError, TypeError) as err:
            raise CliError(
                f"column {args.date_column!r} (--date-column) of {source} does not hold "
                f"dates: {err}"
            ) from err
    return infer_roles(
        df,
        date_column=args.date_column,
        channel_columns=_split(args.channels),
        target_column=args.target or "y",
        mediator_columns=_split(args.mediators),
        control_columns=_split(args.controls),
        dims=_split(args.dims),
    )


# --------------------------------------------------------------------------------------------
# the pipeline shared by demo and fit
# --------------------------------------------------------------------------------------------


def _holdout(n_dates: int, horizon: int, requested: int | None) -> int:
    """Held-out dates at the end: ``horizon + 5`` by default (5 influence origins)."""
    n_hold = horizon + 5 if requested is None else int(requested)
    if n_hold < 0:
        raise CliError(f"--holdout must be >= 0, got {n_hold}")
    if n_hold and n_hold < horizon + 1:
        raise CliError(
            f"--holdout {n_hold} is too short for --horizon {horizon}: pass at least "
            f"{horizon + 1} (or 0 to fit on every date and skip the held-out tests)"
        )
    if n_dates - n_hold < 4 * horizon:
        raise CliError(
            f"the data have {n_dates} dates: too few to hold out {n_hold} and fit on the rest "
            f"(need at least {n_hold + 4 * horizon}); lower --horizon or --holdout"
        )
    return n_hold


def _fit_bayesian(train, roles, *, chains: int, draws: int, seed: int, progress: bool, quick: bool):
    """pymc-marketing MMM on the channels and controls; media parameters pooled over dims."""
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
    cores = 1 if quick else max(1, min(chains, os.cpu_count() or 1))
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


def _fit_dice(
    train,
    roles,
    *,
    epochs: int,
    seeds: int,
    horizon: int,
    seed: int,
    progress: bool,
    draws: int | None = None,
):
    from pymc_dice.mmm import DiceMMM

    dice = DiceMMM(
        date_column=roles.date_column,
        channel_columns=list(roles.channel_columns),
        target_column=roles.target_column,
        mediator_columns=list(roles.mediator_columns),
        control_columns=list(roles.control_columns),
        dims=list(roles.dims),
        trainer_config={
            "epochs_stage1": epochs,
            "epochs_stage2": epochs,
            "n_seeds": seeds,
            "horizon": horizon,
        },
    )
    dice.fit(train, random_seed=seed, progressbar=progress, draws=draws)
    return dice


def _compare(models: dict, df, truth, *, horizon: int, placebo: str | None, progress: bool):
    """:func:`pymc_dice.attribution.compare`, one model at a time under a progress bar."""
    import xarray as xr
    from tqdm.auto import tqdm

    from pymc_dice.attribution import compare

    parts = []
    for label in tqdm(list(models), desc="attribution tests", disable=not progress, leave=False):
        parts.append(compare({label: models[label]}, df, truth, horizon=horizon, placebo=placebo))
    out = xr.concat(parts, dim="model", join="outer", combine_attrs="drop_conflicts")
    out.attrs["notes"] = "\n".join(p.attrs.get("notes", "") for p in parts if p.attrs.get("notes"))
    return out


def _run(
    df,
    roles,
    *,
    out: Path,
    args: argparse.Namespace,
    settings: dict,
    truth=None,
    placebo: str | None = None,
    bayesian: bool = True,
    title: str,
    meta: dict,
    save_model: Path | None = None,
    extra_files: dict | None = None,
) -> int:
    """Hold out the last dates, fit, test, diagnose, write the report, print the summary."""
    import numpy as np
    import pandas as pd

    from pymc_dice.report import build_report, summary_table

    con = _Console()
    progress = not args.no_progress and sys.stderr.isatty()
    horizon = settings["horizon"]
    dates = np.sort(pd.to_datetime(df[roles.date_column]).unique())
    n_hold = _holdout(len(dates), horizon, getattr(args, "holdout", None))
    train = df[pd.to_datetime(df[roles.date_column]) < dates[-n_hold]] if n_hold else df
    train = train.reset_index(drop=True)
    steps = 4 + int(bayesian)
    k = 0
    models: dict[str, Any] = {}
    if bayesian:
        k += 1
        con.step(
            k,
            steps,
            f"fitting the Bayesian MMM (pymc-marketing, {settings['chains']} chains "
            f"x {settings['draws']} draws; compiles once, cached afterwards)",
        )
        models["bayesian"] = _fit_bayesian(
            train,
            roles,
            chains=settings["chains"],
            draws=settings["draws"],
            seed=args.seed,
            progress=progress,
            quick=args.quick,
        )
    k += 1
    con.step(
        k,
        steps,
        f"fitting DiceMMM ({settings['seeds']} seeds, up to {settings['epochs']} "
        "epochs per stage, early stopping)",
    )
    models["dice"] = _fit_dice(
        train,
        roles,
        epochs=settings["epochs"],
        seeds=settings["seeds"],
        horizon=horizon,
        seed=args.seed,
        progress=progress,
        draws=settings.get("graph_draws"),
    )
    if save_model is not None:
        models["dice"].save(save_model, overwrite=True)
    k += 1
    con.step(
        k,
        steps,
        "running the attribution test suite on "
        + " and ".join(models)
        + f" ({n_hold} held-out dates)",
    )
    comparison = _compare(models, df, truth, horizon=horizon, placebo=placebo, progress=progress)
    k += 1
    con.step(k, steps, "DiceMMM diagnostics: CIG / AR-CIG and graph swap")
    graph = None if truth is None else getattr(truth, "truth", truth)["graph"]
    diagnostics = models["dice"].diagnose(truth=graph, horizon=horizon)
    k += 1
    con.step(k, steps, "writing the report")
    netcdf = {}
    if bayesian:
        netcdf["bayesian_idata.nc"] = models["bayesian"].idata
    for name, obj in (extra_files or {}).items():
        netcdf[name] = obj
    meta = {
        **meta,
        "held-out dates": f"last {n_hold} ({comparison.attrs.get('held_out_window', '')})",
    }
    build_report(
        out,
        models,
        df,
        comparison,
        diagnostics=diagnostics,
        truth=truth,
        title=title,
        meta=meta,
        netcdf=netcdf,
    )
    table = summary_table(comparison, diagnostics, "dice")
    con.print()
    con.table(table, title)
    verdict = str(diagnostics["verdict"].values)
    con.print(
        f"graph-swap verdict (DiceMMM): {verdict}",
        style="bold green" if verdict == "ok" else "bold yellow",
    )
    con.print(
        f"report: {(out / 'index.html').resolve()}  ({time.perf_counter() - con.t0:.0f}s)",
        style="bold",
    )
    return 0


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    """Write a simulator preset to ``<out>/data.csv`` and its truth to ``<out>/truth.nc``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     args = build_parser().parse_args(["simulate", "sparse_target", "--out", tmp,
    ...                                       "--n-series", "2", "--n-periods", "12"])
    ...     cmd_simulate(args)  # doctest: +ELLIPSIS
    wrote ... (24 rows) and ...truth.nc
    0
    """
    out = _prepare_out(Path(args.out), args.overwrite)
    sim = _simulate(args.preset, args.n_series, args.n_periods, args.seed)
    sim.df.to_csv(out / "data.csv", index=False)
    sim.truth.to_netcdf(out / "truth.nc")
    print(f"wrote {out / 'data.csv'} ({len(sim.df)} rows) and {out / 'truth.nc'}")
    return 0


def _settings(args: argparse.Namespace) -> dict:
    base = dict(QUICK if args.quick else DEMO_DEFAULTS)
    for key in ("n_series", "n_periods", "epochs", "seeds", "chains", "draws", "horizon"):
        value = getattr(args, key, None)
        if value is not None:
            base[key] = value
    if args.quick:
        base["graph_draws"] = 2
    return base


def cmd_demo(args: argparse.Namespace) -> int:
    """Fit DiceMMM and a pymc-marketing MMM on the same data and write the report folder.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--quick", "--out", "r"])
    >>> args.quick, args.data is None
    (True, True)
    >>> cmd_demo(args)  # doctest: +SKIP
    0
    """
    import numpy as np

    settings = _settings(args)
    if args.data is not None:
        df = _read_csv(args.data)
        roles = _roles_from_args(df, args, str(args.data))
        if args.placebo is not None and args.placebo not in roles.channel_columns:
            raise CliError(
                f"--placebo {args.placebo!r} is not one of the channels "
                f"{list(roles.channel_columns)}"
            )
        out = _prepare_out(Path(args.out), args.overwrite)
        meta = {
            "data": f"{args.data}: {len(df)} rows, channels {', '.join(roles.channel_columns)}, "
            f"target {roles.target_column}"
            + (f", dims {', '.join(roles.dims)}" if roles.dims else ""),
            "truth": "none (graph-recovery and ROAS-error results are left out)",
        }
        return _run(
            df,
            roles,
            out=out,
            args=args,
            settings=settings,
            placebo=args.placebo,
            bayesian=not args.no_bayesian,
            title="pymc-dice report",
            meta=meta,
        )

    from pymc_dice.data import Roles

    out = _prepare_out(Path(args.out), args.overwrite)
    con = _Console()
    con.print(
        f"pymc-dice demo: simulating sparse_target ({settings['n_series']} series x "
        f"{settings['n_periods']} weeks)",
        style="bold",
    )
    sim = _simulate("sparse_target", settings["n_series"], settings["n_periods"], args.seed)
    df = sim.df.copy()
    rng = np.random.default_rng(args.seed + 1)
    # a placebo channel: tv's spend shuffled over dates within each series (no effect)
    df["placebo"] = df.groupby("geo")["tv"].transform(lambda s: rng.permutation(s.to_numpy()))
    roles_d = dict(sim.roles)
    roles_d["channel_columns"] = (*roles_d["channel_columns"], "placebo")
    roles = Roles(**roles_d)
    graph = sim.truth["graph"]
    edges = [
        f"{s}->{t}"
        for s in graph.source.values
        for t in graph.target.values
        if graph.sel(source=s, target=t) > 0
    ]
    con.print("  true edges: " + ", ".join(edges))
    df.to_csv(out / "data.csv", index=False)
    sim.truth.to_netcdf(out / "truth.nc")
    meta = {
        "data": f"simulated sparse_target panel: {settings['n_series']} geos x "
        f"{settings['n_periods']} weeks, channels {', '.join(roles.channel_columns)} "
        "(placebo = tv shuffled in time), mediators visits, branded_search, target y",
        "true edges": ", ".join(edges),
        "models": f"pymc-marketing MMM ({settings['chains']} chains x {settings['draws']} draws), "
        f"DiceMMM dice-hard ({settings['seeds']} seeds)",
    }
    return _run(
        df,
        roles,
        out=out,
        args=args,
        settings=settings,
        truth=sim.truth,
        placebo="placebo",
        bayesian=not args.no_bayesian,
        title="pymc-dice demo report",
        meta=meta,
        save_model=out / "model.dice",
    )


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit a DiceMMM on a CSV: saved model file plus a report folder.

    Examples
    --------
    >>> args = build_parser().parse_args(["fit", "sales.csv", "--out", "r", "--epochs", "50"])
    >>> args.csv, args.epochs
    ('sales.csv', 50)
    >>> cmd_fit(args)  # doctest: +SKIP
    0
    """
    settings = _settings(args)
    df = _read_csv(args.csv)
    roles = _roles_from_args(df, args, str(args.csv))
    if args.placebo is not None and args.placebo not in roles.channel_columns:
        raise CliError(
            f"--placebo {args.placebo!r} is not one of the channels {list(roles.channel_columns)}"
        )
    out = Path(args.out)
    model_path = Path(args.model) if args.model else out / "model.dice"
    if model_path.exists() and not args.overwrite:
        raise CliError(f"{model_path} exists; pass --overwrite to replace it or choose --model")
    out = _prepare_out(out, args.overwrite)
    meta = {
        "data": f"{args.csv}: {len(df)} rows, channels {', '.join(roles.channel_columns)}, "
        f"target {roles.target_column}",
        "model file": str(model_path),
    }
    return _run(
        df,
        roles,
        out=out,
        args=args,
        settings=settings,
        placebo=args.placebo,
        bayesian=args.bayesian,
        title="pymc-dice fit report",
        meta=meta,
        save_model=model_path,
    )


def cmd_diagnose(args: argparse.Namespace) -> int:
    """Diagnose a saved DiceMMM on a CSV (its fitted dates plus later held-out dates).

    Returns 0 whatever the verdict, 1 with ``--strict`` when the verdict is not ``ok``.

    Examples
    --------
    >>> args = build_parser().parse_args(["diagnose", "r/model.dice", "sales.csv", "--out", "d"])
    >>> args.model, args.strict
    ('r/model.dice', False)
    >>> cmd_diagnose(args)  # doctest: +SKIP
    0
    """
    import xarray as xr

    from pymc_dice.mmm import DiceMMM
    from pymc_dice.report import build_report, summary_table

    model_path = Path(args.model)
    if not model_path.exists():
        raise CliError(f"no such model file: {model_path}")
    df = _read_csv(args.csv)
    truth = None
    if args.truth is not None:
        if not Path(args.truth).exists():
            raise CliError(f"no such truth file: {args.truth}")
        truth = xr.load_dataset(args.truth)
    out = _prepare_out(Path(args.out), args.overwrite)
    con = _Console()
    con.step(1, 3, f"loading {model_path}")
    dice = DiceMMM.load(model_path)
    roles = dice.roles_
    missing = [
        c
        for c in (
            roles.date_column,
            *roles.dims,
            *roles.channel_columns,
            *roles.control_columns,
            roles.target_column,
        )
        if c not in df.columns
    ]
    if missing:
        raise CliError(
            f"{args.csv} lacks the model's column(s) {missing}; its columns are "
            f"{[str(c) for c in df.columns]}"
        )
    horizon = args.horizon if args.horizon is not None else dice.trainer_cfg.horizon
    con.step(2, 3, "attribution tests and diagnostics (CIG / AR-CIG, graph swap)")
    comparison = _compare(
        {"dice": dice}, df, truth, horizon=horizon, placebo=args.placebo, progress=False
    )
    diagnostics = dice.diagnose(truth=None if truth is None else truth["graph"], horizon=horizon)
    con.step(3, 3, "writing the report")
    build_report(
        out,
        {"dice": dice},
        df,
        comparison,
        diagnostics=diagnostics,
        truth=truth,
        title="pymc-dice diagnostics",
        meta={"model": str(model_path), "data": str(args.csv)},
    )
    con.table(summary_table(comparison, diagnostics, "dice"), "pymc-dice diagnostics")
    checks = list(zip(diagnostics["check"].values, diagnostics["check_status"].values, strict=True))
    con.print("checks: " + ", ".join(f"{c}={s}" for c, s in checks))
    verdict = str(diagnostics["verdict"].values)
    con.print(f"VERDICT: {verdict}", style="bold green" if verdict == "ok" else "bold yellow")
    con.print(
        f"diagnostics: {(out / 'diagnostics.nc').resolve()}; report: "
        f"{(out / 'index.html').resolve()}"
    )
    return 1 if args.strict and verdict != "ok" else 0


def _bench_unavailable(err: Exception):
    def run(args: argparse.Namespace) -> int:
        raise CliError(f"the bench command is not available in this installation ({err})")

    return run


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------


def _add_columns(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("columns of the CSV (inferred when not given)")
    g.add_argument("--date-column", help="date column (default: the one date-like column)")
    g.add_argument("--channels", help="comma-separated channel (spend) columns")
    g.add_argument("--target", help="target column (default: y)")
    g.add_argument("--dims", help="comma-separated series columns, e.g. geo")
    g.add_argument("--controls", help="comma-separated control columns (events, price, ...)")
    g.add_argument("--mediators", help="comma-separated mediator columns (visits, clicks, ...)")
    g.add_argument("--placebo", help="a channel known to have no effect (reports its credit share)")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model settings")
    g.add_argument("--epochs", type=int, help="max epochs per DICE stage (early stopping)")
    g.add_argument("--seeds", type=int, help="DiceMMM seeds (the chain dim)")
    g.add_argument("--chains", type=int, help="pymc-marketing chains")
    g.add_argument("--draws", type=int, help="pymc-marketing draws (and tuning steps) per chain")
    g.add_argument("--horizon", type=int, help="h of MSE@h and AR-CIG (default 7)")
    g.add_argument(
        "--holdout",
        type=int,
        help="last dates held out of the fit and scored (default horizon + 5; 0: none)",
    )
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in about a minute")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


_EPILOG_DEMO = """examples:
  pymc-dice demo                          # simulated panel, both models, report in ./dice-report
  pymc-dice demo --quick --out /tmp/r     # tiny sizes, about a minute
  pymc-dice demo --data sales.csv --date-column date --channels tv,radio,search --target sales \\
                 --dims geo --controls price,holiday --out my-report

The report folder holds index.html (open it in a browser), report.md, figures, idata.nc
(DiceMMM results), diagnostics.nc, attribution.nc and bayesian_idata.nc. A folder not written
by pymc-dice is never written into without --overwrite.
"""

_EPILOG_FIT = """examples:
  pymc-dice fit sales.csv --channels tv,radio --target sales --dims geo --out fit-report
  pymc-dice fit sales.csv --epochs 300 --seeds 4 --model models/sales.dice --out fit-report

The last --holdout dates (default horizon + 5) are held out of the fit and used to score the
forecast and the influence tests; pass --holdout 0 to fit on every date.
"""

_EPILOG_DIAGNOSE = """examples:
  pymc-dice diagnose fit-report/model.dice sales.csv --out diag
  pymc-dice diagnose dice-report/model.dice dice-report/data.csv \\
                     --truth dice-report/truth.nc --out diag

The CSV must hold the dates the model was fitted on (the same values) and may add later dates,
which are scored as held-out dates. Exit code 0 whatever the verdict ("ok", "graph-support
selection", "decoder bypass", "not available" without a reference graph); with --strict, 1
when the verdict is not "ok". Exit code 2 for a missing file, unknown column or bad data.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``pymc-dice`` argument parser.

    Examples
    --------
    >>> build_parser().parse_args(["simulate", "rawlog", "--out", "x"]).preset
    'rawlog'
    """
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="pymc-dice",
        description="Graph-based neural MMMs (DICE) and attribution diagnostics for "
        "pymc-marketing.",
        epilog="run `pymc-dice <command> --help` for a command's options and examples",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    demo = sub.add_parser(
        "demo",
        help="fit DiceMMM and a pymc-marketing MMM, compare them, write a report",
        description="Simulate the default sparse_target panel (or read --data), fit a DiceMMM "
        "and a Bayesian pymc-marketing MMM on the same DataFrame, run the attribution test "
        "suite on both and write a report folder.",
        epilog=_EPILOG_DEMO,
        formatter_class=raw,
    )
    demo.add_argument("--out", default="dice-report", help="report folder (default: dice-report)")
    demo.add_argument("--data", help="your CSV instead of the simulated panel (no truth sections)")
    demo.add_argument("--n-series", type=int, help="simulated series (default 16; quick 3)")
    demo.add_argument("--n-periods", type=int, help="simulated weeks (default 104; quick 40)")
    demo.add_argument("--no-bayesian", action="store_true", help="skip the pymc-marketing MMM")
    demo.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder not made by pymc-dice",
    )
    _add_columns(demo)
    _add_model_options(demo)
    demo.set_defaults(func=cmd_demo)

    fit = sub.add_parser(
        "fit",
        help="fit a DiceMMM on a CSV: saved model plus report folder",
        description="Fit a DiceMMM on a CSV in pymc-marketing's layout, save it (one zip file) "
        "and write a report folder.",
        epilog=_EPILOG_FIT,
        formatter_class=raw,
    )
    fit.add_argument("csv", help="input CSV (a date column, channels, target, optional dims)")
    fit.add_argument("--out", required=True, help="report folder")
    fit.add_argument("--model", help="model file to write (default: <out>/model.dice)")
    fit.add_argument(
        "--bayesian",
        action="store_true",
        help="also fit a pymc-marketing MMM and compare it in the report",
    )
    fit.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing model file / write into a user's folder",
    )
    _add_columns(fit)
    _add_model_options(fit)
    fit.set_defaults(func=cmd_fit)

    diag = sub.add_parser(
        "diagnose",
        help="diagnose a saved DiceMMM: diagnostics netCDF, report, verdict",
        description="Run CIG / AR-CIG, graph swap and the attribution tests on a saved "
        "DiceMMM and write diagnostics.nc, report.md and index.html.",
        epilog=_EPILOG_DIAGNOSE,
        formatter_class=raw,
    )
    diag.add_argument("model", help="saved model file (pymc-dice fit / DiceMMM.save)")
    diag.add_argument("csv", help="the fitted data, optionally with later held-out dates")
    diag.add_argument("--out", required=True, help="output folder")
    diag.add_argument(
        "--truth", help="truth netCDF (pymc-dice simulate's truth.nc) to score against"
    )
    diag.add_argument("--horizon", type=int, help="H of AR-CIG and MSE@H (default: the model's)")
    diag.add_argument("--placebo", help="a channel known to have no effect")
    diag.add_argument("--strict", action="store_true", help="exit code 1 unless the verdict is ok")
    diag.add_argument("--overwrite", action="store_true", help="write into a user's folder")
    diag.set_defaults(func=cmd_diagnose)

    sim = sub.add_parser(
        "simulate",
        help="write a simulator preset to CSV plus its truth",
        epilog="example:\n  pymc-dice simulate sparse_target --out sim --n-series 24",
        formatter_class=raw,
    )
    sim.add_argument("preset", choices=PRESETS)
    sim.add_argument("--out", required=True, help="output folder")
    sim.add_argument("--n-series", type=int, default=96)
    sim.add_argument("--n-periods", type=int, default=104)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument(
        "--overwrite", action="store_true", help="allow writing into a non-empty folder"
    )
    sim.set_defaults(func=cmd_simulate)

    bench = sub.add_parser("bench", help="the paper's benchmarks (sparse-target, R/d/T, rawlog)")
    try:
        from pymc_dice.bench import add_arguments, run_from_args
    except ImportError as err:
        bench.set_defaults(func=_bench_unavailable(err))
    else:
        add_arguments(bench)
        bench.set_defaults(func=run_from_args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pymc-dice`` console script; returns the exit code.

    Examples
    --------
    >>> main(["diagnose", "no-such.dice", "no-such.csv", "--out", "x"])
    2
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PymcDiceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, FileExistsError, IsADirectoryError, PermissionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:  # bad data or arguments: one clear line, non-zero exit
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
