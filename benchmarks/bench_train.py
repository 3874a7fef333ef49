"""Training cost per arm: seconds per epoch and peak memory, S in {100, 1000}, N in {8, 32}.

Each (arm, S, N) runs in a fresh subprocess so its peak RSS is its own. Prints a table and the
same-run ratios: causalmmm / dice-hard, S=1000 / S=100 (linear would be 10) and N=32 / N=8.

    python benchmarks/bench_train.py [--epochs 2] [--arms dice-hard,causalmmm,...]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one(arm: str, n_series: int, n_nodes: int, epochs: int) -> dict:
    import torch

    torch.set_num_threads(1)  # one thread: stable figures on a shared 2-core machine
    from pymc_dice.config import ModelConfig, TrainerConfig
    from pymc_dice.data import Panel, Roles
    from pymc_dice.simulate import rdt
    from pymc_dice.train import fit_arm

    sim = rdt(1, n_nodes, 104, n_series=n_series, seed=0)
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    cfg = TrainerConfig(
        epochs_stage1=epochs, epochs_stage2=epochs, eval_every=10_000, patience=10_000,
        progressbar=False, batch_size=64,
    )
    start = time.perf_counter()
    fit = fit_arm(panel, ModelConfig(arm=arm, support="threshold"), cfg, oracle=sim.truth["graph"])
    seconds = time.perf_counter() - start
    stages = len(fit.history)
    return {
        "arm": arm, "S": n_series, "N": n_nodes,
        "sec_per_epoch": seconds / (epochs * stages),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--arms", default="dice-hard,dice-soft,nograph,fullgraph,oracle,dense,causalmmm")
    parser.add_argument("--series", default="100,1000")
    parser.add_argument("--nodes", default="8,32")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        arm, s, n = args.one.split(":")
        print(json.dumps(one(arm, int(s), int(n), args.epochs)))
        return
    rows = []
    for n in map(int, args.nodes.split(",")):
        for s in map(int, args.series.split(",")):
            for arm in args.arms.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", f"{arm}:{s}:{n}", "--epochs", str(args.epochs)],
                    capture_output=True, text=True, check=True,
                )
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(f"{arm:10s} S={s:5d} N={n:3d}  {row['sec_per_epoch']:8.3f} s/epoch  "
                      f"{row['peak_rss_mb']:8.0f} MB peak RSS", flush=True)
    get = {(r["arm"], r["S"], r["N"]): r["sec_per_epoch"] for r in rows}
    print("\nratios (same run):")
    for (arm, s, n), v in get.items():
        if arm == "causalmmm" and ("dice-hard", s, n) in get:
            print(f"  causalmmm / dice-hard  S={s} N={n}: {v / get[('dice-hard', s, n)]:.2f}")
        if s == 1000 and (arm, 100, n) in get:
            print(f"  S=1000 / S=100  {arm} N={n}: {v / get[(arm, 100, n)]:.2f} (linear: 10)")
        if n == 32 and (arm, s, 8) in get:
            print(f"  N=32 / N=8  {arm} S={s}: {v / get[(arm, s, 8)]:.2f} (linear: 4, quadratic: 16)")


if __name__ == "__main__":
    main()
