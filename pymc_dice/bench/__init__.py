"""Benchmarks: the paper suites and the ``roas`` suite (``pymc-dice bench SUITE``,
``python -m pymc_dice.bench SUITE``).

- :mod:`pymc_dice.bench.paper`: ``sparse-target``, ``rdt``, ``rawlog``, ``graph-swap``
  (docs/benchmarks.md) over arms, seeds and sizes, with the paper's decoders.
- :mod:`pymc_dice.bench.roas`: the default DiceMMM vs pymc-marketing's MMM on a
  marketing-mix preset, ROAS against the simulator's truth.
- :mod:`pymc_dice.bench.metrics`: the roas suite's scores (numpy / xarray).
- :mod:`pymc_dice.bench.report`: results files, tables and plots.
- :mod:`pymc_dice.bench.cli`: the command line.

Examples
--------
>>> from pymc_dice import bench
>>> bench.parse_arm("dice-hard/topk"), "roas" in bench.ALL_SUITES
(('dice-hard', 'topk'), True)
"""

from pymc_dice.bench.cli import add_arguments, main, parse_sizes, run_from_args
from pymc_dice.bench.metrics import (
    contribution_correlation,
    interval_coverage,
    mape,
    mean_abs_relative_error,
    r_squared,
    relative_error,
    spearman,
)
from pymc_dice.bench.paper import (
    ARMS,
    DECODER_CHOICES,
    PAPER_DECODER,
    SUITES,
    SUPPORTS,
    SWAP_DECODERS,
    bench_job,
    evaluate_arm,
    expand_arms,
    model_config,
    parse_arm,
    run_bench,
    suite_settings,
)
from pymc_dice.bench.report import write_report, write_roas_report
from pymc_dice.bench.roas import PRESETS, roas_settings, run_roas, score_model

#: every suite the command line runs
ALL_SUITES = (*SUITES, "roas")

__all__ = [
    "ALL_SUITES",
    "ARMS",
    "DECODER_CHOICES",
    "PAPER_DECODER",
    "PRESETS",
    "SUITES",
    "SUPPORTS",
    "SWAP_DECODERS",
    "add_arguments",
    "bench_job",
    "contribution_correlation",
    "evaluate_arm",
    "expand_arms",
    "interval_coverage",
    "main",
    "mape",
    "mean_abs_relative_error",
    "model_config",
    "parse_arm",
    "parse_sizes",
    "r_squared",
    "relative_error",
    "roas_settings",
    "run_bench",
    "run_from_args",
    "run_roas",
    "score_model",
    "spearman",
    "suite_settings",
    "write_report",
    "write_roas_report",
]
