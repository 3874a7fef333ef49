"""Time and peak memory of CIG and AR-CIG (H=7): vectorised autograd vs one pulse at a time.

Set-up: a randomly initialised ``GraphSafeDecoder`` (hidden 32, 2 controls, float32, CPU) on
random data ``S=1000 x T=104 x N`` for ``N = 8`` and ``N = 32``, a random graph (density
0.3); origins are every forecast origin of the held-out last 21 dates,
``forecast_origins(T - 21, T, 7)`` (15 origins, the same for CIG and AR-CIG).

Methods, each case in a fresh subprocess so its peak memory is its own:

- ``vectorised``: :func:`~pymc_dice.diagnostics.influence.ar_cig` (``horizon=1`` is
  exactly :func:`~pymc_dice.diagnostics.influence.cig`) on all ``S`` series (jvp + vmap);
- ``naive``: :func:`~pymc_dice.diagnostics.reference.ar_cig_naive` (``horizon=1`` is
  :func:`~pymc_dice.diagnostics.reference.cig_naive`; central differences, one
  (series, origin, source) pulse at a time) on the first ``--naive-series`` series only; its
  time per pulse is EXTRAPOLATED linearly to all ``S x origins x N`` pulses;
- ``black-box FD``: :func:`~pymc_dice.diagnostics.influence.cig_finite_difference` of the
  teacher-forced / closed-loop :func:`~pymc_dice.diagnostics.reference.decoder_predictor`
  (copies stacked on the batch axis, a full ``T``-step pass per copy) on the first
  ``--fd-series`` series, also extrapolated.

Peak memory is the process's peak resident set size during the call minus its resident size
just before (``VmHWM`` reset through ``/proc/self/clear_refs``; ``ru_maxrss`` where that is
unavailable). The ratio printed is extrapolated naive time / vectorised time, same run.

Usage::

    python benchmarks/bench_influence.py [--series 1000] [--nodes 8 32] [--threads 1]
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

import torch
from _memory import reset_peak, status_kb  # noqa: E402

from pymc_dice.data import forecast_origins
from pymc_dice.diagnostics.influence import ar_cig, cig_finite_difference
from pymc_dice.diagnostics.reference import ar_cig_naive, decoder_predictor
from pymc_dice.nn.decoders import GraphSafeDecoder

T, HORIZON, HELD_OUT, HIDDEN, N_CONTROLS, N_CHANNELS = 104, 7, 21, 32, 2, 4




def setup(n_series: int, n_nodes: int, seed: int = 0):
    """Decoder, data, graph and origins of one case.

    Examples
    --------
    >>> dec, x, c, g, o = setup(2, 3)
    >>> tuple(x.shape), len(o)
    ((2, 104, 3), 15)
    """
    torch.manual_seed(seed)
    dec = GraphSafeDecoder(n_nodes, N_CONTROLS, hidden=HIDDEN)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n_series, T, n_nodes, generator=gen)
    c = torch.rand(n_series, T, N_CONTROLS, generator=gen)
    g = (torch.rand(n_nodes, n_nodes, generator=gen) < 0.3).float()
    origins = forecast_origins(T - HELD_OUT, T, HORIZON)
    return dec, x, c, g, origins


def run_case(what: str, method: str, n_series: int, n_nodes: int) -> dict:
    """Time one (metric, method) case on ``n_series`` series; returns seconds and peak MB.

    Examples
    --------
    >>> r = run_case("cig", "vectorised", 2, 3)
    >>> r["pulses"], r["seconds"] > 0
    (90, True)
    """
    nc = min(N_CHANNELS, n_nodes - 1)
    dec, x, c, g, origins = setup(n_series, n_nodes)
    h = 1 if what == "cig" else HORIZON
    def fn(x=x, c=c, origins=origins):
        if method == "vectorised":
            return ar_cig(dec, x, c, g, origins, nc, h)  # h = 1 is CIG
        if method == "naive":
            return ar_cig_naive(dec, x, c, g, origins, nc, h, delta=1e-2)
        pred = decoder_predictor(dec, c, g, nc, closed_loop=h > 1, horizon=h)
        return cig_finite_difference(pred, x.numpy(), origins, delta=1e-2, horizon=h, batch_size=1024)

    fn(x[:1], c[:1], origins[:1])  # warm-up: first-call costs of torch.func and the allocator
    rss0 = status_kb("VmRSS")
    exact = reset_peak() and rss0 is not None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    fn()
    sec = time.perf_counter() - start
    peak_kb = status_kb("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = rss0 if exact else before
    return {
        "what": what,
        "method": method,
        "series": n_series,
        "nodes": n_nodes,
        "origins": len(origins),
        "pulses": n_series * len(origins) * n_nodes,
        "seconds": sec,
        "peak_mb": max(peak_kb - base, 0) / 1024,
    }


def _subprocess(args: list[str], threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, __file__, "--worker", *args, "--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run every case in a subprocess and print the table and the same-run ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--nodes", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--naive-series", type=int, default=2)
    parser.add_argument("--fd-series", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--worker", nargs=4, metavar=("WHAT", "METHOD", "S", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        what, method, s, n = args.worker
        print(json.dumps(run_case(what, method, int(s), int(n))))
        return
    print(
        f"torch {torch.__version__}, CPU, {args.threads} thread(s); GraphSafeDecoder hidden "
        f"{HIDDEN}; S={args.series}, T={T}, H={HORIZON}, origins = forecast_origins(T-21, T, 7)"
    )
    header = f"{'metric':<7}{'N':>4}{'method':>14}{'series':>8}{'seconds':>10}{'peak MB':>9}"
    header += f"{'us/pulse':>10}{'full-S s':>11}"
    print(header)
    rows = []
    for n in args.nodes:
        for what in ("cig", "ar_cig"):
            res = {}
            for method, s in (
                ("vectorised", args.series),
                ("naive", args.naive_series),
                ("black-box FD", args.fd_series),
            ):
                r = _subprocess([what, method, str(s), str(n)], args.threads)
                r["full_seconds"] = r["seconds"] / r["pulses"] * args.series * r["origins"] * n
                res[method] = r
                rows.append(r)
                extrap = "" if s == args.series else " (extrapolated)"
                print(
                    f"{what:<7}{n:>4}{method:>14}{s:>8}{r['seconds']:>10.2f}{r['peak_mb']:>9.0f}"
                    f"{1e6 * r['seconds'] / r['pulses']:>10.1f}{r['full_seconds']:>11.1f}{extrap}",
                    flush=True,
                )
            for other in ("naive", "black-box FD"):
                ratio = res[other]["full_seconds"] / res["vectorised"]["seconds"]
                print(f"  {what} N={n}: {other} (extrapolated) / vectorised = {ratio:.1f}x")


if __name__ == "__main__":
    main()
