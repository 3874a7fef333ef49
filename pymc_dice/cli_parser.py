"""The argument parser of the ``pymc-dice`` command line (:mod:`pymc_dice.cli` runs it).

Every subcommand with its options, help and examples; the functions the subcommands run are
passed in (:func:`make_parser`), so this module imports none of the work.

Examples
--------
>>> make_parser(dict.fromkeys(COMMANDS, len)).parse_args(["demo", "--quick"]).quick
True
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

from pymc_dice.exceptions import CliError

__all__ = ["COMMANDS", "PRESETS", "Command", "make_parser"]

#: the subcommands whose function :func:`make_parser` is given (``bench`` is built in)
COMMANDS = ("demo", "fit", "diagnose", "simulate")
#: simulator presets ``pymc-dice simulate`` writes
PRESETS = ("sparse_target", "rawlog", "national", "geo_panel")

#: what a subcommand runs: parsed arguments in, exit code out
Command = Callable[[argparse.Namespace], int]


def _bench_unavailable(err: Exception):
    def run(args: argparse.Namespace) -> int:
        raise CliError(f"the bench command is not available in this installation ({err})")

    return run


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
  pymc-dice diagnose fit-report/model.nc sales.csv --out diag
  pymc-dice diagnose dice-report/model.nc dice-report/data.csv \\
                     --truth dice-report/truth.nc --out diag

The CSV must hold the dates the model was fitted on (the same values) and may add later dates,
which are scored as held-out dates. Exit code 0 whatever the verdict ("ok", "graph-support
selection", "decoder bypass", "not available" without a reference graph); with --strict, 1
when the verdict is not "ok". Exit code 2 for a missing file, unknown column or bad data.
"""


def make_parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    """The ``pymc-dice`` argument parser; ``commands`` maps each of :data:`COMMANDS` to the
    function it runs (``args.func``); ``bench`` runs :mod:`pymc_dice.bench`.

    Examples
    --------
    >>> parser = make_parser(dict.fromkeys(COMMANDS, len))
    >>> args = parser.parse_args(["simulate", "rawlog", "--out", "x"])
    >>> args.preset, args.func is len
    ('rawlog', True)
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
    demo.set_defaults(func=commands["demo"])

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
    fit.add_argument("--model", help="model file to write (default: <out>/model.nc)")
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
    fit.set_defaults(func=commands["fit"])

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
    diag.set_defaults(func=commands["diagnose"])

    sim = sub.add_parser(
        "simulate",
        help="write a simulator preset to CSV plus its truth",
        epilog="example:\n  pymc-dice simulate sparse_target --out sim --n-series 24",
        formatter_class=raw,
    )
    sim.add_argument("preset", choices=PRESETS)
    sim.add_argument("--out", required=True, help="output folder")
    sim.add_argument(
        "--n-series",
        type=int,
        default=None,
        help="series (geos for national / geo_panel); default: the preset's own",
    )
    sim.add_argument("--n-periods", type=int, default=104)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument(
        "--overwrite", action="store_true", help="allow writing into a non-empty folder"
    )
    sim.set_defaults(func=commands["simulate"])

    bench = sub.add_parser("bench", help="the paper's benchmarks (sparse-target, R/d/T, rawlog)")
    try:
        from pymc_dice.bench import add_arguments, run_from_args
    except ImportError as err:
        bench.set_defaults(func=_bench_unavailable(err))
    else:
        add_arguments(bench)
        bench.set_defaults(func=run_from_args)
    return parser
