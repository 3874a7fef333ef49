"""Scaling of DiceMMM training (both stages) and of CIG + AR-CIG in S, T and N.

Each curve varies one of S (series), T (periods) and N (nodes) around a base point, the
others held at the base. Data: ``pymc_dice.simulate.rdt(R=1, d=N, T=T, n_series=S)`` (one
graph; ``round(N / 4)`` mediators, the rest channels but the target), scaled by
``Panel.from_frame`` with the last 20% of dates held out.

Per point, in a fresh subprocess (so its peak memory is its own):

- ``fit_arm`` of ``--arm`` (default ``dice-hard``, support ``threshold``) for ``--epochs``
  per stage, preceded by a 1-epoch warm-up fit on 4 series (first-call costs of torch and the
  allocator). The trainer's loop is wrapped (``pymc_dice.train._optimise``, no library
  change) to time each epoch and each validation call: ``s/epoch`` is the median over a
  stage's epochs of the wall time from an epoch's first batch to the next epoch's, less the
  validations in between (closed-loop MSE@7 rollouts at the first and last epoch, as
  ``eval_every`` is set above the epochs; ``val s`` is their mean time per call, stage 2);
- ``CIG + AR-CIG``: :func:`pymc_dice.diagnostics.influence.influence` of the trained arm with
  its deployed graph, ``H = 7``, origins ``influence_origins`` (every origin of the held-out
  window, so their number grows with T: printed as ``O``); best of ``--repeats`` runs.

Peak memory: the process's peak resident set size during the phase (VmHWM reset through
``/proc/self/clear_refs`` just before; ``ru_maxrss`` where that is unavailable) minus its
resident size when the phase began: what the phase itself adds. On CUDA also
``torch.cuda.max_memory_allocated`` per phase. ``slope`` is the exponent ``b`` of a
least-squares fit ``y = a x^b`` on log-log axes (1: linear, 2: quadratic).

Writes ``scaling.png`` (the curves) and ``scaling.json`` (every figure) to ``--out``.
``--quick`` sizes take a few minutes on one CPU thread; the full sizes are meant for a GPU
(``--device auto`` picks CUDA when available).

Usage::

    python benchmarks/bench_scaling.py [--quick] [--device auto] [--epochs 5] [--out DIR]
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent))
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _memory import reset_peak, status_kb  # noqa: E402

#: (base S, T, N) and the values swept per axis
SIZES = {
    "quick": {
        "base": {"S": 32, "T": 64, "N": 8},
        "S": [16, 32, 64, 128, 256],
        "T": [48, 64, 96, 128],
        "N": [6, 8, 12, 16],
    },
    "full": {
        "base": {"S": 512, "T": 104, "N": 16},
        "S": [128, 256, 512, 1024, 2048, 4096],
        "T": [52, 104, 208, 416],
        "N": [8, 16, 32, 64],
    },
}
METRICS = {
    "stage1_s_per_epoch": "stage 1 s/epoch",
    "stage2_s_per_epoch": "stage 2 s/epoch",
    "influence_s": "CIG + AR-CIG s",
}
HORIZON = 7




class Phase:
    """Context manager: wall seconds and the peak RSS (and CUDA memory) the block adds.

    Examples
    --------
    >>> with Phase("cpu") as p:
    ...     _ = sum(range(1000))
    >>> p.seconds >= 0 and p.peak_mb >= 0
    True
    """

    def __init__(self, device: str):
        self.cuda = device.startswith("cuda")

    def __enter__(self) -> Phase:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.cuda0 = torch.cuda.memory_allocated()
        self.rss0 = status_kb("VmRSS")
        self.exact = reset_peak() and self.rss0 is not None
        self.ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
        self.seconds = time.perf_counter() - self.start
        if self.exact:
            peak, base = status_kb("VmHWM"), self.rss0
        else:
            peak, base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, self.ru0
        self.peak_mb = max(peak - base, 0) / 1024
        self.cuda_mb = (
            (torch.cuda.max_memory_allocated() - self.cuda0) / 2**20 if self.cuda else None
        )


def run_point(n_series: int, n_periods: int, n_nodes: int, args: argparse.Namespace) -> dict:
    """Train and diagnose one (S, T, N) point; figures of both stages and of the influence.

    Examples
    --------
    >>> ns = argparse.Namespace(arm="nograph", epochs=1, device="cpu", batch_size=64, repeats=1)
    >>> r = run_point(4, 40, 4, ns)
    >>> r["stage2_s_per_epoch"] > 0, r["origins"]
    (True, 2)
    """
    import torch

    import pymc_dice.train as train
    from pymc_dice.config import ModelConfig, TrainerConfig
    from pymc_dice.data import Panel, Roles
    from pymc_dice.diagnostics.influence import influence
    from pymc_dice.simulate import rdt

    stages: list[dict] = []
    original = train._optimise

    def timed_optimise(params, batch_loss, validate, modules, n_series, epochs, cfg, *rest):
        starts: list[float] = []  # wall time at each batch
        vals: list[tuple[float, float]] = []  # (start, end) of each validation

        def timed_batch_loss(idx):
            starts.append(time.perf_counter())
            return batch_loss(idx)

        def timed_validate():
            begin = time.perf_counter()
            out = validate()
            vals.append((begin, time.perf_counter()))
            return out

        hist = original(
            params, timed_batch_loss, timed_validate, modules, n_series, epochs, cfg, *rest
        )
        end = time.perf_counter()
        per_epoch = -(-n_series // cfg.batch_size)  # batches per epoch
        firsts = starts[::per_epoch]
        durations = []
        for e, t0 in enumerate(firsts):  # an epoch: its first batch to the next epoch's
            t1 = firsts[e + 1] if e + 1 < len(firsts) else end
            durations.append(t1 - t0 - sum(b - a for a, b in vals if t0 <= a < t1))
        stages.append(
            {
                "epoch_seconds": durations,
                "val_seconds": sum(b - a for a, b in vals),
                "val_calls": len(vals),
            }
        )
        return hist

    train._optimise = timed_optimise
    device = str(train.resolve_device(args.device))
    mcfg = ModelConfig(arm=args.arm, support="threshold")

    def fit(s: int, epochs: int):
        sim = rdt(1, n_nodes, n_periods, n_series=s, seed=0)
        panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
        tcfg = TrainerConfig(
            epochs_stage1=epochs,
            epochs_stage2=epochs,
            eval_every=10 * epochs + 10,
            patience=10 * epochs + 10,
            batch_size=args.batch_size,
            device=device,
            progressbar=False,
            horizon=HORIZON,
        )
        return panel, train.fit_arm(panel, mcfg, tcfg, oracle=sim.truth["graph"])

    panel, arm = fit(4, 1)  # warm-up
    influence(arm, panel, horizon=HORIZON)
    stages.clear()
    with Phase(device) as p_fit:
        panel, arm = fit(n_series, args.epochs)
    with Phase(device) as p_inf:
        ds = influence(arm, panel, horizon=HORIZON)
    inf_seconds = [p_inf.seconds]
    for _ in range(args.repeats - 1):  # best of the repeats (memory from the first)
        start = time.perf_counter()
        influence(arm, panel, horizon=HORIZON)
        inf_seconds.append(time.perf_counter() - start)
    train._optimise = original
    row = {
        "S": n_series,
        "T": n_periods,
        "N": n_nodes,
        "arm": args.arm,
        "device": device,
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "origins": int(ds.attrs["n_origins"]),
        "fit_s": p_fit.seconds,
        "fit_peak_mb": p_fit.peak_mb,
        "fit_cuda_mb": p_fit.cuda_mb,
        "influence_s": min(inf_seconds),
        "influence_peak_mb": p_inf.peak_mb,
        "influence_cuda_mb": p_inf.cuda_mb,
    }
    names = ["stage1", "stage2"] if len(stages) == 2 else ["stage2"]
    for name, st in zip(names, stages, strict=True):
        row[f"{name}_s_per_epoch"] = float(np.median(st["epoch_seconds"]))
        row[f"{name}_epoch_seconds"] = st["epoch_seconds"]
        row[f"{name}_val_s_per_call"] = st["val_seconds"] / max(st["val_calls"], 1)
    return row


def slope(xs, ys) -> float:
    """Exponent ``b`` of ``y = a x^b`` (least squares on log-log axes); NaN if undefined.

    Examples
    --------
    >>> round(slope([1, 2, 4], [3, 12, 48]), 6)
    2.0
    """
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    ok = (x > 0) & (y > 0) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(np.log(x[ok])) == 0:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def _subprocess(point: tuple[int, int, int], args: argparse.Namespace) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        *map(str, point),
        "--arm",
        args.arm,
        "--epochs",
        str(args.epochs),
        "--device",
        args.device,
        "--threads",
        str(args.threads),
        "--batch-size",
        str(args.batch_size),
        "--repeats",
        str(args.repeats),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"point S,T,N={point} failed (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _plot(curves: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex="col")
    for col, (axis, rows) in enumerate(curves.items()):
        xs = [r[axis] for r in rows]
        ax = axes[0, col]
        for key, label in METRICS.items():
            ys = [r.get(key, np.nan) for r in rows]
            ax.loglog(xs, ys, "o-", label=f"{label} (slope {slope(xs, ys):.2f})")
        ax.set_title(f"time vs {axis}")
        ax.set_ylabel("seconds")
        ax.legend(fontsize=7)
        ax = axes[1, col]
        for key, label in (("fit_peak_mb", "fit"), ("influence_peak_mb", "CIG + AR-CIG")):
            ys = [r[key] for r in rows]
            ax.loglog(xs, ys, "s--", label=f"{label} RSS (slope {slope(xs, ys):.2f})")
        for key, label in (("fit_cuda_mb", "fit"), ("influence_cuda_mb", "CIG + AR-CIG")):
            ys = [r.get(key) for r in rows]
            if all(v is not None for v in ys):
                ax.loglog(xs, ys, "^:", label=f"{label} CUDA (slope {slope(xs, ys):.2f})")
        ax.set_xlabel(axis)
        ax.set_ylabel("peak MB added")
        ax.legend(fontsize=7)
        for a in axes[:, col]:
            a.set_xticks(xs, [str(v) for v in xs])
            a.minorticks_off()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Run every point in a subprocess; print the tables and slopes; write PNG and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CPU-sized points (a few minutes)")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA when available), 'cpu', ...")
    parser.add_argument("--arm", default="dice-hard")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per stage")
    parser.add_argument("--repeats", type=int, default=2, help="CIG + AR-CIG: best of")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--axes", default="S,T,N", help="which curves to run")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument(
        "--worker", nargs=3, type=int, metavar=("S", "T", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(run_point(*args.worker, args)))
        return
    from pymc_dice.train import resolve_device

    sizes = SIZES["quick" if args.quick else "full"]
    base = sizes["base"]
    device = str(resolve_device(args.device))
    title = (
        f"{args.arm}, {args.epochs} epochs/stage, batch {args.batch_size}, {device}, "
        f"{args.threads} thread(s), torch {torch.__version__}; base S={base['S']} "
        f"T={base['T']} N={base['N']}"
    )
    print(title)
    done: dict[tuple[int, int, int], dict] = {}
    curves: dict[str, list[dict]] = {}
    head = (
        f"{'S':>6}{'T':>6}{'N':>5}{'O':>4}{'st1 s/ep':>10}{'st2 s/ep':>10}{'val s':>8}"
        f"{'fit MB':>8}{'CIG+AR s':>10}{'CIG MB':>8}"
    )
    if device.startswith("cuda"):
        head += f"{'fit GPU MB':>11}{'CIG GPU MB':>11}"
    for axis in args.axes.split(","):
        print(f"\n-- varying {axis} --\n{head}")
        rows = []
        for value in sizes[axis]:
            point = {**base, axis: value}
            key = (point["S"], point["T"], point["N"])
            if key not in done:
                done[key] = _subprocess(key, args)
            r = done[key]
            rows.append(r)
            val = r.get("stage2_val_s_per_call", float("nan"))
            line = (
                f"{r['S']:>6}{r['T']:>6}{r['N']:>5}{r['origins']:>4}"
                f"{r.get('stage1_s_per_epoch', float('nan')):>10.3f}"
                f"{r['stage2_s_per_epoch']:>10.3f}{val:>8.3f}{r['fit_peak_mb']:>8.0f}"
                f"{r['influence_s']:>10.3f}{r['influence_peak_mb']:>8.0f}"
            )
            if r["fit_cuda_mb"] is not None:
                line += f"{r['fit_cuda_mb']:>11.0f}{r['influence_cuda_mb']:>11.0f}"
            print(line, flush=True)
        curves[axis] = rows
    print("\nfitted exponents b of y = a x^b (log-log least squares; 1 = linear):")
    keys = {**METRICS, "fit_peak_mb": "fit peak RSS", "influence_peak_mb": "CIG peak RSS"}
    if device.startswith("cuda"):
        keys.update(fit_cuda_mb="fit peak CUDA", influence_cuda_mb="CIG peak CUDA")
    print(f"{'':<18}" + "".join(f"{'in ' + a:>8}" for a in curves))
    slopes: dict[str, dict[str, float]] = {}
    for key, label in keys.items():
        slopes[key] = {
            a: slope([r[a] for r in rows], [r.get(key) or np.nan for r in rows])
            for a, rows in curves.items()
        }
        print(f"{label:<18}" + "".join(f"{slopes[key][a]:>8.2f}" for a in curves))
    print(
        "  (T also grows the influence origins O = 0.2 T - 6: CIG + AR-CIG per origin is "
        "nearer linear in T)"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _plot(curves, out / "scaling.png", title)
    payload = {"title": title, "args": vars(args), "base": base, "curves": curves, "slopes": slopes}
    (out / "scaling.json").write_text(json.dumps(payload, indent=1))
    print(f"written: {out / 'scaling.png'}, {out / 'scaling.json'}")


if __name__ == "__main__":
    main()
