"""Time and peak memory of ``pymc_dice.simulate.simulate`` (8 nodes), and its scaling.

Runs S=1000 x T=104, then S=500 (series scaling) and T=52 (time scaling) in the same process,
and prints seconds (best of ``--repeats``), peak traced memory (``tracemalloc``, one separate
run so that tracing does not slow the timed runs) and the ratios
``time(S=1000) / time(S=500)`` and ``time(T=104) / time(T=52)`` (2.0 = linear). Then times the marketing presets
``national`` (one series, 156 weeks) and ``geo_panel`` (200 geos x 156 weeks), truth included.

Usage::

    python benchmarks/bench_simulate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from pymc_dice.simulate import geo_panel, national, simulate

CASES = {"S=1000 T=104": (1000, 104), "S=500 T=104": (500, 104), "S=1000 T=52": (1000, 52)}


def measure(n_series: int, n_periods: int, repeats: int) -> tuple[float, float]:
    """Best wall time (s) over ``repeats`` runs and peak traced memory (MB) of one run.

    Examples
    --------
    >>> sec, mb = measure(4, 10, 1)
    >>> sec > 0 and mb > 0
    True
    """
    kwargs = {"n_channels": 5, "n_mediators": 2, "n_series": n_series, "n_periods": n_periods}
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(**kwargs)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    simulate(**kwargs)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak


def main() -> None:
    """Run the cases and print the table and the scaling ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    simulate(n_series=8, n_periods=20)  # warm-up (imports, first-call costs)
    times = {}
    print(f"{'case':<14}{'seconds':>10}{'peak MB':>10}")
    for name, (n_series, n_periods) in CASES.items():
        sec, peak = measure(n_series, n_periods, args.repeats)
        times[name] = sec
        print(f"{name:<14}{sec:>10.3f}{peak:>10.1f}")
    print(f"time(S=1000)/time(S=500) = {times['S=1000 T=104'] / times['S=500 T=104']:.2f}")
    print(f"time(T=104)/time(T=52)   = {times['S=1000 T=104'] / times['S=1000 T=52']:.2f}")
    burn = 52  # simulate's default burn_in: T=104 runs 156 weeks, T=52 runs 104
    print(f"  (linear in simulated weeks would be {(104 + burn) / (52 + burn):.2f})")
    for name, make in (
        ("national", lambda: national(n_periods=156)),
        ("geo_panel S=200", lambda: geo_panel(n_geos=200, n_periods=156)),
    ):
        start = time.perf_counter()
        make()
        print(f"{name:<16}{time.perf_counter() - start:>8.3f} s")


if __name__ == "__main__":
    main()
