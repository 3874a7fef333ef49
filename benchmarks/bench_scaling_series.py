"""Scaling of the default DiceMMM (structural decoder) in the number of series S.

Data: ``pymc_dice.simulate.geo_panel(n_geos=S, n_periods=156)``: 156 weeks x 10 nodes per
series (6 channels, a placebo channel, 2 mediators, the target) plus price and event
controls. Per S, in a fresh subprocess (so its peak memory is its own):

- ``fit``: ``DiceMMM().fit(df, draws=D)`` with the default model and trainer (stage 1 on the
  mediators, support selection, the structural MAP fit, its Laplace posterior, and the
  results tree, whose contributions and log-likelihood run over every draw);
- ``contrib``: ``ensemble_.contributions()`` again on its own (the series-chunked rollouts);
- ``results``: ``ensemble_.to_idata(...)`` again on its own, with the peak memory reset
  before it where the kernel allows: the memory that building the results tree takes above
  what the process held before it.

Printed per point: seconds of each phase, the process's peak resident memory (VmHWM, the
whole process: Python, torch, data and results) at the end of the fit and at the end of the
point, the bytes of the results tree's arrays, and the extra peak of ``results``; at the end
the exponent ``b`` of a
least-squares fit ``seconds = a S^b`` on log-log axes (1: linear). Writes
``scaling_series.json`` to ``--out``.

Usage::

    python benchmarks/bench_scaling_series.py [--sizes 100,1000,10000] [--device auto]
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent))
import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _memory import reset_peak, status_kb  # noqa: E402

N_PERIODS = 156


def run_point(n_series: int, args: argparse.Namespace) -> dict:
    """Fit and contributions at ``n_series`` series in this process; seconds and peak GB.

    Examples
    --------
    >>> ns = argparse.Namespace(device="cpu", draws=2, max_iter=5, epochs_stage1=1, seeds=1)
    >>> r = run_point(3, ns)  # doctest: +SKIP
    >>> sorted(r)  # doctest: +SKIP
    ['S', 'contrib_s', 'fit_peak_gb', 'fit_s', 'n_params', 'peak_gb', 'results_gb', 'rows',
     'tree_gb']
    """
    import torch

    from pymc_dice.mmm import DiceMMM
    from pymc_dice.simulate import geo_panel

    torch.set_num_threads(args.threads)
    sim = geo_panel(n_geos=n_series, n_periods=N_PERIODS, seed=0)
    trainer = {"device": args.device, "progressbar": False, "n_seeds": args.seeds}
    if args.max_iter:
        trainer["max_iter"] = args.max_iter
    if args.epochs_stage1:
        trainer["epochs_stage1"] = args.epochs_stage1
    mmm = DiceMMM(**sim.column_kwargs(), trainer_config=trainer)
    start = time.perf_counter()
    mmm.fit(sim.df, progressbar=False, random_seed=0, draws=args.draws)
    fit_s = time.perf_counter() - start
    fit_peak_gb = (status_kb("VmHWM") or 0) / 2**20
    tree_gb = sum(v.nbytes for node in mmm.idata.subtree for v in node.dataset.data_vars.values())
    start = time.perf_counter()
    mmm.ensemble_.contributions()
    contrib_s = time.perf_counter() - start
    peak_gb = (status_kb("VmHWM") or 0) / 2**20
    attrs = dict(mmm.idata.attrs)
    mmm.idata = None  # the tree is rebuilt below: measure its building on its own
    gc.collect()
    base_gb = (status_kb("VmRSS") or 0) / 2**20
    results_gb = None
    if reset_peak():
        mmm.ensemble_.to_idata(attrs)
        results_gb = (status_kb("VmHWM") or 0) / 2**20 - base_gb
    hist = mmm.arms_[0].history["stage2"]
    return {
        "S": n_series,
        "rows": len(sim.df),
        "fit_s": fit_s,
        "contrib_s": contrib_s,
        "fit_peak_gb": fit_peak_gb,
        "peak_gb": peak_gb,
        "tree_gb": tree_gb / 2**30,
        "results_gb": results_gb,
        "n_params": hist.get("n_params"),
    }


def slope(xs, ys) -> float:
    """Exponent ``b`` of ``y = a x^b`` (least squares on log-log axes).

    Examples
    --------
    >>> round(slope([1, 10, 100], [2, 20, 200]), 3)
    1.0
    """
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main() -> None:
    """Run every size in its own subprocess and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated S")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA when available), 'cpu'")
    parser.add_argument("--draws", type=int, default=50, help="posterior draws per chain")
    parser.add_argument("--seeds", type=int, default=1, help="chains")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--max-iter", type=int, default=0, help="L-BFGS iterations (0: default)")
    parser.add_argument("--epochs-stage1", type=int, default=0, help="0: the default")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(run_point(args.worker, args)))
        return
    rows = []
    print(
        f"{'S':>7} {'rows':>9} {'fit s':>9} {'contrib s':>10} {'fit peak GB':>12} "
        f"{'peak GB':>8} {'tree GB':>8} {'results GB':>11} {'params':>7}"
    )
    for s in [int(v) for v in args.sizes.split(",")]:
        cmd = [sys.executable, __file__, "--worker", str(s)]
        for flag in ("device", "draws", "seeds", "threads", "max_iter", "epochs_stage1"):
            cmd += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if done.returncode:
            print(f"{s:>7} failed:\n{done.stderr[-2000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(r)
        res = "n/a" if r["results_gb"] is None else f"{r['results_gb']:.3f}"
        print(
            f"{r['S']:>7} {r['rows']:>9} {r['fit_s']:>9.1f} {r['contrib_s']:>10.2f} "
            f"{r['fit_peak_gb']:>12.2f} {r['peak_gb']:>8.2f} {r['tree_gb']:>8.3f} {res:>11} "
            f"{r['n_params']!s:>7}",
            flush=True,
        )
    if len(rows) >= 2:
        xs = [r["S"] for r in rows]
        print(f"exponent in S: fit {slope(xs, [r['fit_s'] for r in rows]):.2f}, "
              f"contributions {slope(xs, [r['contrib_s'] for r in rows]):.2f}, "
              f"peak memory {slope(xs, [r['peak_gb'] for r in rows]):.2f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling_series.json").write_text(json.dumps({"args": vars(args), "points": rows}))


if __name__ == "__main__":
    main()
