"""Command line: ``pymc-dice demo | fit | diagnose | simulate | bench``.

``demo`` is the main job: simulate the default panel (or read ``--data my.csv``), fit a
DiceMMM and a Bayesian pymc-marketing MMM on the same DataFrame (its last dates held out),
run the one attribution test suite on both, and write a report folder (:mod:`pymc_dice.report`).
The options of every command are defined in :mod:`pymc_dice.cli_parser`.

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
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pymc_dice.cli_parser import make_parser
from pymc_dice.exceptions import CliError, PymcDiceError
from pymc_dice.workflow import prepare_out, read_csv, remove_created

#: presets whose series count is ``n_geos`` (``national`` has one series without it)
GEO_PRESETS = ("national", "geo_panel")

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


def _simulate(preset: str, n_series: int | None, n_periods: int, seed: int):
    import pymc_dice.simulate as sim

    kwargs = {"n_periods": n_periods, "seed": seed}
    if n_series is not None:
        kwargs["n_geos" if preset in GEO_PRESETS else "n_series"] = n_series
    return sim.PRESETS[preset](**kwargs)


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
        from pymc_dice.report import format_value

        if self.rich is not None:
            from rich.table import Table

            df = df.drop(columns=["type"], errors="ignore")
            t = Table(title=title, title_justify="left")
            for c in df.columns:
                text = df[c].dtype == object
                t.add_column(str(c), justify="left" if text else "right", no_wrap=text)
            for row in df.itertuples(index=False):
                t.add_row(*[format_value(v) for v in row])
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
    """Run the study (:func:`pymc_dice.workflow.run_study`) and print its summary."""
    import numpy as np
    import pandas as pd

    from pymc_dice.report import summary_table
    from pymc_dice.workflow import StudySettings, run_study

    con = _Console()
    horizon = settings["horizon"]
    dates = np.sort(pd.to_datetime(df[roles.date_column]).unique())
    n_hold = _holdout(len(dates), horizon, getattr(args, "holdout", None))
    study = StudySettings(
        epochs=settings["epochs"],
        seeds=settings["seeds"],
        chains=settings["chains"],
        draws=settings["draws"],
        horizon=horizon,
        seed=args.seed,
        graph_draws=settings.get("graph_draws"),
        bayesian=bayesian,
        cores=1 if args.quick else None,
        progress=not args.no_progress and sys.stderr.isatty(),
        on_interrupt="stop",  # Ctrl-C stops the run: exit 130, nothing half-written kept
    )
    result = run_study(
        df,
        roles,
        study,
        n_hold=n_hold,
        out=out,
        truth=truth,
        placebo=placebo,
        title=title,
        meta=meta,
        save_model=save_model,
        extra_files=extra_files,
        on_step=con.step,
    )
    con.print()
    con.table(summary_table(result.comparison, result.diagnostics, "dice"), title)
    verdict = result.verdict
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
    ...     args.created = []  # folders this run creates (main sets it)
    ...     cmd_simulate(args)  # doctest: +ELLIPSIS
    wrote ... (24 rows) and ...truth.nc
    0
    """
    out = prepare_out(Path(args.out), args.overwrite, created=args.created)
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
    settings = _settings(args)
    if args.data is not None:
        df = read_csv(args.data)
        roles = _roles_from_args(df, args, str(args.data))
        if args.placebo is not None and args.placebo not in roles.channel_columns:
            raise CliError(
                f"--placebo {args.placebo!r} is not one of the channels "
                f"{list(roles.channel_columns)}"
            )
        out = prepare_out(Path(args.out), args.overwrite, created=args.created)
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
    from pymc_dice.workflow import add_placebo, edge_list

    out = prepare_out(Path(args.out), args.overwrite, created=args.created)
    con = _Console()
    con.print(
        f"pymc-dice demo: simulating sparse_target ({settings['n_series']} series x "
        f"{settings['n_periods']} weeks)",
        style="bold",
    )
    sim = _simulate("sparse_target", settings["n_series"], settings["n_periods"], args.seed)
    # a placebo channel: tv's spend shuffled over dates within each series (no effect)
    df = add_placebo(sim.df, source="tv", by="geo", seed=args.seed + 1)
    roles_d = dict(sim.roles)
    roles_d["channel_columns"] = (*roles_d["channel_columns"], "placebo")
    roles = Roles(**roles_d)
    edges = edge_list(sim.truth["graph"])
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
        save_model=out / "model.nc",
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
    df = read_csv(args.csv)
    roles = _roles_from_args(df, args, str(args.csv))
    if args.placebo is not None and args.placebo not in roles.channel_columns:
        raise CliError(
            f"--placebo {args.placebo!r} is not one of the channels {list(roles.channel_columns)}"
        )
    out = Path(args.out)
    model_path = Path(args.model) if args.model else out / "model.nc"
    if model_path.exists() and not args.overwrite:
        raise CliError(f"{model_path} exists; pass --overwrite to replace it or choose --model")
    out = prepare_out(out, args.overwrite, created=args.created)
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


def _check_columns(df, roles, source: str) -> None:
    """Refuse a CSV that lacks one of the model's columns."""
    needed = (
        roles.date_column,
        *roles.dims,
        *roles.channel_columns,
        *roles.control_columns,
        roles.target_column,
    )
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise CliError(
            f"{source} lacks the model's column(s) {missing}; its columns are "
            f"{[str(c) for c in df.columns]}"
        )


def cmd_diagnose(args: argparse.Namespace) -> int:
    """Diagnose a saved DiceMMM on a CSV (its fitted dates plus later held-out dates).

    Returns 0 whatever the verdict, 1 with ``--strict`` when the verdict is not ``ok``.

    Examples
    --------
    >>> args = build_parser().parse_args(["diagnose", "r/model.nc", "sales.csv", "--out", "d"])
    >>> args.model, args.strict
    ('r/model.nc', False)
    >>> cmd_diagnose(args)  # doctest: +SKIP
    0
    """
    import xarray as xr

    from pymc_dice.mmm import DiceMMM
    from pymc_dice.report import summary_table
    from pymc_dice.workflow import diagnose_saved

    model_path = Path(args.model)
    if not model_path.exists():
        raise CliError(f"no such model file: {model_path}")
    df = read_csv(args.csv)
    truth = None
    if args.truth is not None:
        if not Path(args.truth).exists():
            raise CliError(f"no such truth file: {args.truth}")
        truth = xr.load_dataset(args.truth)
    out = prepare_out(Path(args.out), args.overwrite, created=args.created)
    con = _Console()
    con.step(1, 3, f"loading {model_path}")
    dice = DiceMMM.load(model_path)
    _check_columns(df, dice.roles_, str(args.csv))
    result = diagnose_saved(
        dice,
        df,
        out=out,
        truth=truth,
        horizon=args.horizon,
        placebo=args.placebo,
        meta={"model": str(model_path), "data": str(args.csv)},
        on_step=con.step,
    )
    diagnostics = result.diagnostics
    con.table(summary_table(result.comparison, diagnostics, "dice"), "pymc-dice diagnostics")
    checks = list(zip(diagnostics["check"].values, diagnostics["check_status"].values, strict=True))
    con.print("checks: " + ", ".join(f"{c}={s}" for c, s in checks))
    verdict = str(diagnostics["verdict"].values)
    con.print(f"VERDICT: {verdict}", style="bold green" if verdict == "ok" else "bold yellow")
    con.print(
        f"diagnostics: {(out / 'diagnostics.nc').resolve()}; report: "
        f"{(out / 'index.html').resolve()}"
    )
    return 1 if args.strict and verdict != "ok" else 0


def build_parser() -> argparse.ArgumentParser:
    """The ``pymc-dice`` argument parser (:func:`pymc_dice.cli_parser.make_parser` with the
    commands of this module).

    Examples
    --------
    >>> build_parser().parse_args(["simulate", "rawlog", "--out", "x"]).preset
    'rawlog'
    """
    commands = {"demo": cmd_demo, "fit": cmd_fit, "diagnose": cmd_diagnose}
    return make_parser({**commands, "simulate": cmd_simulate})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pymc-dice`` console script; returns the exit code.

    Examples
    --------
    >>> main(["diagnose", "no-such.dice", "no-such.csv", "--out", "x"])
    2
    """
    args = build_parser().parse_args(argv)
    args.created = []  # output folders this run creates: removed again if it fails
    try:
        try:
            return int(args.func(args) or 0)
        except BaseException:
            remove_created(args.created)
            raise
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
