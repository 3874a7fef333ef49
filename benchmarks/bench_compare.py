"""One run, one data set: DiceMMM (dice-hard) vs the causalmmm arm vs a pymc-marketing MMM.

Data: the demo panel ``pymc_dice.simulate.sparse_target`` (5 channels, 2 mediators, 2
controls, target ``y``) at a pymc-marketing-friendly size (default 8 geos x 104 weeks; the
``pymc-dice demo`` default is 96 geos, pass ``--n-series 96`` for it), the last
``--holdout`` weeks held out, as in ``examples/compare_bayesian_and_dice.py``. Every model
fits the same training rows:

- ``dice-hard``: ``DiceMMM(model_config={"decoder": "graph-safe"})`` (default arm, validation
  support selection, the per-node GRU stage 2 trained by epochs: the structural default is
  fitted by MAP + Laplace and timed by ``pymc-dice bench roas``), ``--epochs`` for each
  stage, early stopping off (``patience`` larger than the epochs) so both neural arms run
  exactly the same epochs, ``n_seeds = --chains`` (its ``chain`` dim);
- ``causalmmm``: ``DiceMMM(model_config={"arm": "causalmmm"})``, same trainer settings (a
  single stage: ``--epochs`` epochs);
- ``pymc-marketing``: ``MMM`` (geometric adstock ``l_max=4``, logistic saturation, dims
  ``geo``), its default NUTS sampler, ``--chains`` chains x ``--draws`` draws, ``--tune``
  tuning steps, ``cores=1`` (chains in sequence, in this process, so its RSS is measured).
  ``fit #1`` runs with an empty pytensor compile cache (a temporary ``base_compiledir``,
  i.e. the C compilation a first-time user pays; ``--keep-pytensor-cache`` uses the normal
  cache), ``fit #2`` is a fresh ``MMM`` on the same data in the same process (warm cache).

Diagnostics, timed after the fits:

- ``CIG + AR-CIG``: :func:`pymc_dice.diagnostics.influence.influence` on the fitted arms
  (exact forward-mode autograd, every seed, the held-out origins, H = 7);
- ``attribution_tests``: :func:`pymc_dice.attribution.attribution_tests` on the same frame
  (contributions and ROAS on the fitted window, plus finite-difference CIG and AR-CIG of the
  held-out window through the model's own predictions: ``n_forecasts`` model calls). This is
  the only influence path for a pymc-marketing MMM, so it is timed for all three models.

Each model runs in a fresh subprocess with ``OMP_NUM_THREADS=1`` and
``torch.set_num_threads(1)``. Peak memory is the process's peak resident set size (VmHWM,
reset through ``/proc/self/clear_refs`` before each phase; ``ru_maxrss``, the peak since the
start, where that is unavailable) and, in brackets, its growth over the RSS when the phase
began. Compiler subprocesses (pytensor's C compiler) are not counted. Ratios are of the
same run.

Usage::

    python benchmarks/bench_compare.py [--quick] [--epochs 150] [--chains 2] [--draws 200]
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent))
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _memory import reset_peak, status_kb  # noqa: E402

CHANNELS = ["tv", "radio", "social", "search_ads", "display"]
MEDIATORS = ["visits", "branded_search"]
CONTROLS = ["price", "event"]
HORIZON = 7




def timed(phase: str, fn, **extra) -> tuple[dict, object]:
    """Run ``fn()``; return ``({"phase", "seconds", "peak_rss_mb", "growth_mb", ...}, value)``.

    Examples
    --------
    >>> row, value = timed("sum", lambda: sum(range(10)))
    >>> row["phase"], value, row["seconds"] >= 0
    ('sum', 45, True)
    """
    rss0 = status_kb("VmRSS")
    exact = reset_peak() and rss0 is not None
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    ru_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_kb = status_kb("VmHWM") if exact else ru_kb
    base = rss0 if rss0 is not None else peak_kb
    row = {
        "phase": phase,
        "seconds": seconds,
        "peak_rss_mb": peak_kb / 1024,
        "growth_mb": max(peak_kb - base, 0) / 1024,
        **extra,
    }
    return row, value


def make_data(n_series: int, n_periods: int, holdout: int, seed: int = 0):
    """``(sim, df, train)``: the sparse-target panel, the full frame and its fitted rows.

    Examples
    --------
    >>> sim, df, train = make_data(2, 30, 10)
    >>> df["date"].nunique() - train["date"].nunique()
    10
    """
    from pymc_dice.simulate import sparse_target

    sim = sparse_target(n_series=n_series, n_periods=n_periods, seed=seed)
    df = sim.df
    dates = sorted(df["date"].unique())
    train = df[df["date"] < dates[-holdout]].reset_index(drop=True)
    return sim, df, train


def run_dice(arm: str, args: argparse.Namespace) -> list[dict]:
    """Fit a DiceMMM arm, then time its influence diagnostics and the attribution suite."""
    import torch

    torch.set_num_threads(1)
    from pymc_dice import DiceMMM
    from pymc_dice.arms import arm_spec
    from pymc_dice.attribution import attribution_tests
    from pymc_dice.diagnostics.influence import influence

    sim, df, train = make_data(args.n_series, args.n_periods, args.holdout)
    mmm = DiceMMM(
        channel_columns=CHANNELS,
        mediator_columns=MEDIATORS,
        control_columns=CONTROLS,
        dims=["geo"],
        # the epoch-trained GRU stage 2 where the arm has a decoder choice (see the docstring)
        model_config={
            "arm": arm,
            **({"decoder": "graph-safe"} if arm_spec(arm).decoder_choices else {}),
        },
        trainer_config={
            "epochs_stage1": args.epochs,
            "epochs_stage2": args.epochs,
            "patience": 10 * args.epochs + 10,  # never stops early: same epochs for every arm
            "n_seeds": args.chains,
            "horizon": HORIZON,
            "device": args.device,
            "progressbar": False,
        },
    )
    rows = []
    row, _ = timed("fit", lambda: mmm.fit(train, random_seed=0))
    epochs = sum(len(h["loss"]) for a in mmm.arms_ for h in a.history.values())
    train_s = sum(a.fit_seconds for a in mmm.arms_)
    row.update(epochs=epochs, sec_per_epoch=train_s / epochs, train_seconds=train_s)
    rows.append(row)
    row, ds = timed("CIG + AR-CIG", lambda: influence(mmm.arms_, mmm.panel_, horizon=HORIZON))
    row["origins"] = int(ds.attrs["n_origins"])
    rows.append(row)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row, res = timed(
            "attribution_tests",
            lambda: attribution_tests(mmm, df, sim.truth, horizon=HORIZON, name=arm),
        )
    row["n_forecasts"] = int(res.attrs["n_forecasts"])
    row["ar_cig_nauprc"] = float(res["ar_cig_nauprc"])
    rows.append(row)
    return rows


def run_pymc(args: argparse.Namespace) -> list[dict]:
    """Fit the pymc-marketing MMM twice (cold then warm compile cache), then the suite."""
    import logging

    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from pymc_dice.attribution import attribution_tests

    logging.getLogger("pymc").setLevel(logging.ERROR)
    sim, df, train = make_data(args.n_series, args.n_periods, args.holdout)

    def fit():
        mmm = MMM(
            date_column="date",
            channel_columns=CHANNELS,
            target_column="y",
            adstock=GeometricAdstock(l_max=4),
            saturation=LogisticSaturation(),
            dims=("geo",),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mmm.fit(
                train[["date", "geo", *CHANNELS]],
                train["y"],
                chains=args.chains,
                draws=args.draws,
                tune=args.tune,
                cores=1,
                random_seed=0,
                progressbar=False,
            )
        return mmm

    rows = []
    row, _ = timed("fit #1 (cold compile)", fit)
    rows.append(row)
    row, mmm = timed("fit #2 (warm cache)", fit)
    rows.append(row)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row, res = timed(
            "attribution_tests",
            lambda: attribution_tests(mmm, df, sim.truth, horizon=HORIZON, name="pymc-marketing"),
        )
    row["n_forecasts"] = int(res.attrs["n_forecasts"])
    row["ar_cig_nauprc"] = float(res["ar_cig_nauprc"])
    rows.append(row)
    return rows


def _subprocess(model: str, argv: list[str], keep_cache: bool) -> list[dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    tmp = None
    if model == "pymc-marketing" and not keep_cache:
        tmp = tempfile.mkdtemp(prefix="bench-pytensor-")
        flags = env.get("PYTENSOR_FLAGS", "")
        env["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, f"base_compiledir={tmp}") if f)
    try:
        cmd = [sys.executable, __file__, "--worker", model, *argv]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-4000:])
            raise SystemExit(f"{model} worker failed (exit {out.returncode})")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Run every model in a subprocess; print the table and the same-run ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--n-series", type=int, default=None, help="geos (default 8; quick 2)")
    parser.add_argument("--n-periods", type=int, default=None, help="weeks (default 104; quick 60)")
    parser.add_argument("--holdout", type=int, default=10, help="last weeks held out")
    parser.add_argument("--epochs", type=int, default=None, help="per stage (default 150; quick 5)")
    parser.add_argument("--chains", type=int, default=2, help="pymc chains = DiceMMM seeds")
    parser.add_argument("--draws", type=int, default=None, help="default 200; quick 50")
    parser.add_argument("--tune", type=int, default=None, help="default 200; quick 50")
    parser.add_argument("--models", default="dice-hard,causalmmm,pymc-marketing")
    parser.add_argument("--device", default="cpu", help="torch device of the neural arms")
    parser.add_argument(
        "--keep-pytensor-cache",
        action="store_true",
        help="fit #1 uses the normal pytensor cache instead of an empty one",
    )
    parser.add_argument("--out", default=None, help="optional JSON file of the rows")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    defaults = {
        "n_series": (8, 2),
        "n_periods": (104, 60),
        "epochs": (150, 5),
        "draws": (200, 50),
        "tune": (200, 50),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    if args.worker:
        rows = run_pymc(args) if args.worker == "pymc-marketing" else run_dice(args.worker, args)
        print(json.dumps(rows))
        return
    argv = [
        f"--n-series={args.n_series}",
        f"--n-periods={args.n_periods}",
        f"--holdout={args.holdout}",
        f"--epochs={args.epochs}",
        f"--chains={args.chains}",
        f"--draws={args.draws}",
        f"--tune={args.tune}",
        f"--device={args.device}",
    ]
    print(
        f"sparse_target {args.n_series} geos x {args.n_periods} weeks (last {args.holdout} held "
        f"out); neural arms {args.epochs} epochs/stage x {args.chains} seeds on {args.device}; "
        f"pymc-marketing {args.chains} chains x {args.draws} draws (tune {args.tune}), cores=1; "
        "1 thread per process"
    )
    head = f"{'model':<16}{'phase':<23}{'seconds':>9}{'peak RSS MB':>13}{'(+MB)':>8}  notes"
    print(head)
    print("-" * len(head))
    table: dict[tuple[str, str], dict] = {}
    for model in args.models.split(","):
        for r in _subprocess(model, argv, args.keep_pytensor_cache):
            table[(model, r["phase"])] = r
            notes = []
            if "sec_per_epoch" in r:
                notes.append(f"{r['epochs']} epochs, {r['sec_per_epoch']:.3f} s/epoch")
            if "origins" in r:
                notes.append(f"{r['origins']} origins x {args.chains} seeds")
            if "n_forecasts" in r:
                notes.append(
                    f"{r['n_forecasts']} FD forecasts, AR-CIG nAUPRC {r['ar_cig_nauprc']:.2f}"
                )
            print(
                f"{model:<16}{r['phase']:<23}{r['seconds']:>9.2f}{r['peak_rss_mb']:>13.0f}"
                f"{r['growth_mb']:>8.0f}  {'; '.join(notes)}",
                flush=True,
            )

    def ratio(label: str, num: tuple[str, str], den: tuple[str, str], key: str = "seconds"):
        if num in table and den in table and table[den][key] > 0:
            print(f"  {label:<64}{table[num][key] / table[den][key]:>8.2f}")

    print("\nratios (same run):")
    dh, cm, pm = "dice-hard", "causalmmm", "pymc-marketing"
    ratio(
        "pymc-marketing fit #1 (cold) / dice-hard fit", (pm, "fit #1 (cold compile)"), (dh, "fit")
    )
    ratio("pymc-marketing fit #2 (warm) / dice-hard fit", (pm, "fit #2 (warm cache)"), (dh, "fit"))
    ratio(
        "pymc-marketing attribution_tests / dice-hard's",
        (pm, "attribution_tests"),
        (dh, "attribution_tests"),
    )
    ratio(
        "pymc-marketing peak RSS (fit #2) / dice-hard's (fit)",
        (pm, "fit #2 (warm cache)"),
        (dh, "fit"),
        "peak_rss_mb",
    )
    ratio("causalmmm fit / dice-hard fit", (cm, "fit"), (dh, "fit"))
    ratio("causalmmm s/epoch / dice-hard s/epoch", (cm, "fit"), (dh, "fit"), "sec_per_epoch")
    ratio("causalmmm CIG + AR-CIG / dice-hard's", (cm, "CIG + AR-CIG"), (dh, "CIG + AR-CIG"))
    ratio(
        "dice-hard attribution_tests (FD) / its CIG + AR-CIG (autograd)",
        (dh, "attribution_tests"),
        (dh, "CIG + AR-CIG"),
    )
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"model": m, **r} for (m, _), r in table.items()]
        path.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
        print(f"rows written to {path}")


if __name__ == "__main__":
    main()
