"""Command line of the benchmarks: ``pymc-dice bench SUITE`` / ``python -m pymc_dice.bench``.

The paper suites (``sparse-target``, ``rdt``, ``rawlog``, ``graph-swap``, ``all``) run
:func:`pymc_dice.bench.paper.run_bench`; ``roas`` runs :func:`pymc_dice.bench.roas.run_roas`
(DiceMMM vs pymc-marketing's MMM on a marketing-mix preset).

Examples
--------
>>> args = add_arguments(argparse.ArgumentParser()).parse_args(["roas", "--preset", "geo_panel"])
>>> args.suite, args.preset, args.decoder
('roas', 'geo_panel', None)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from pymc_dice.bench.paper import (
    ALL_SUPPORTS,
    ARMS,
    DECODER_CHOICES,
    PAPER_DECODER,
    SUITES,
    run_bench,
)
from pymc_dice.bench.roas import PRESETS, run_roas

__all__ = ["add_arguments", "main", "parse_sizes", "run_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``bench`` options to ``parser`` (used by ``pymc-dice bench`` and ``main``).

    Examples
    --------
    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["rdt", "--quick"])
    >>> args.suite, args.quick, args.executor
    ('rdt', True, 'local')
    """
    parser.add_argument(
        "suite",
        choices=(*SUITES, "all", "roas"),
        help="benchmark suite ('all': every paper suite; 'roas': DiceMMM vs pymc-marketing's MMM)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes on a laptop)")
    parser.add_argument(
        "--seeds", type=int, default=None, help="replicates (default 3 quick, 5 full)"
    )
    parser.add_argument(
        "--arms",
        nargs="+",
        default=None,
        help=f"arms, space or comma separated (default: all of {', '.join(ARMS)})",
    )
    parser.add_argument(
        "--support",
        nargs="+",
        default=None,
        choices=ALL_SUPPORTS,
        help="support-selection variants of the DICE arms (default: config default when "
        "--quick, every rule otherwise; 'posterior' needs --decoder structural)",
    )
    parser.add_argument(
        "--decoder",
        choices=DECODER_CHOICES,
        default=None,
        help=f"decoder of the arms that accept a choice (paper suites: default {PAPER_DECODER!r}, "
        "the paper's; roas: default the DiceMMM default)",
    )
    parser.add_argument(
        "--preset", choices=PRESETS, default="national", help="roas: simulator preset"
    )
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument(
        "--ray-address", default=None, help="existing Ray cluster (default: start one)"
    )
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of a Ray started here")
    parser.add_argument("--out", default="dice-bench", help="report folder (default: dice-bench)")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder not made by pymc-dice",
    )
    parser.add_argument("--no-resume", action="store_true", help="ignore and clear the job cache")
    parser.add_argument("--root-seed", type=int, default=0, help="root of every job's seeds")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a size parameter, repeatable (e.g. --size n_series=16 --size epochs_stage2=20;"
        " roas: n_periods, n_channels, n_geos, n_hold, chains, draws, tune, n_seeds, warmup)",
    )
    return parser


def parse_sizes(items: Sequence[str]) -> dict[str, Any]:
    """``["n_series=8", "swap=false"]`` -> ``{"n_series": 8, "swap": False}``.

    Examples
    --------
    >>> parse_sizes(["n_series=8", "device=cpu"])
    {'n_series': 8, 'device': 'cpu'}
    """
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--size expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def run_from_args(args: argparse.Namespace) -> int:
    """Run :func:`run_bench` from parsed :func:`add_arguments` options; print the report.

    Examples
    --------
    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["rdt"])
    >>> run_from_args(args)  # doctest: +SKIP
    """
    if args.suite == "roas":
        out = run_roas(
            args.out, preset=args.preset, quick=args.quick, seeds=args.seeds,
            root_seed=args.root_seed, overwrite=args.overwrite, decoder=args.decoder,
            resume=not args.no_resume, progressbar=not args.no_progress,
            overrides=parse_sizes(args.size) or None,
        )  # fmt: skip
        print((out / "results.md").read_text())
        print(f"results written to {out.resolve()}")
        return 0
    arms = None
    if args.arms:
        arms = [a for item in args.arms for a in item.split(",") if a]
    out = run_bench(
        args.suite,
        args.out,
        quick=args.quick,
        seeds=args.seeds,
        arms=arms,
        supports=args.support,
        executor=args.executor,
        ray_address=args.ray_address,
        root_seed=args.root_seed,
        overwrite=args.overwrite,
        resume=not args.no_resume,
        progressbar=not args.no_progress,
        num_cpus=args.num_cpus,
        overrides=parse_sizes(args.size) or None,
        decoder=args.decoder or PAPER_DECODER,
    )
    print((out / "results.md").read_text())
    print(f"results written to {out.resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pymc_dice.bench SUITE [options]``; returns the exit code.

    Examples
    --------
    >>> import contextlib, io
    >>> buf = io.StringIO()
    >>> try:
    ...     with contextlib.redirect_stdout(buf):
    ...         main(["--help"])
    ... except SystemExit as stop:
    ...     code = stop.code
    >>> code, buf.getvalue().startswith("usage: python -m pymc_dice.bench")
    (0, True)
    >>> main(["rdt", "--size", "n_series"])  # a bad option value: exit code 2, nothing run
    2
    """
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="python -m pymc_dice.bench", description=__doc__.split("\n")[0]
        )
    )
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
