"""Edge recovery of the conditional Granger tests (``support="granger"``) on every preset.

No model is fitted: :func:`pymc_dice.diagnostics.granger.granger_evidence` scores every
candidate edge from the data in a fraction of a second, so many seeds are affordable. Per
seed: edge AUROC and nAUPRC of the log Bayes factors against the simulator's true direct
graph, the edges selected at probability >= 0.5 (true / false positives, misses), and on
``geo_panel`` the placebo's largest probability; pooled over seeds, the calibration table.
``rdt`` and ``rawlog`` (a graph per group or per series) also get per-series AUROCs: of the
pooled test against each series' own graph (as the paper benches score the encoder), and of
the test run on each series alone. ``--posterior`` fits the default DiceMMM on each
``geo_panel`` seed and adds its posterior inclusion probabilities and their mean with the
Granger probabilities.

    python benchmarks/bench_granger.py [--preset sparse_target] [--seeds 20] [--size full]
                                       [--max-lag 4] [--posterior]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from pymc_dice import simulate as sim_mod  # noqa: E402
from pymc_dice.bench.report import md_table  # noqa: E402
from pymc_dice.data import Panel, Roles  # noqa: E402
from pymc_dice.diagnostics.edges import calibration_table  # noqa: E402
from pymc_dice.diagnostics.granger import granger_evidence, granger_shortfall  # noqa: E402
from pymc_dice.diagnostics.metrics import auroc, nauprc  # noqa: E402
from pymc_dice.graph import candidate_mask  # noqa: E402

#: panel sizes: the paper benches' quick and full sizes, geo_panel's quick and preset sizes
SIZES = {
    "sparse_target": {"quick": {"n_series": 32, "n_periods": 60},
                      "full": {"n_series": 96, "n_periods": 104}},
    "rdt": {"quick": {"R": 2, "d": 8, "T": 60, "n_series": 32},
            "full": {"R": 4, "d": 8, "T": 104, "n_series": 96}},
    "rawlog": {"quick": {"n_series": 32, "n_periods": 60},
               "full": {"n_series": 96, "n_periods": 104}},
    "geo_panel": {"quick": {"n_geos": 10, "n_periods": 80},
                  "full": {"n_geos": 60, "n_periods": 120}},
}  # fmt: skip


def simulate(preset: str, size: str, seed: int):
    """One panel of ``preset`` at ``size``."""
    return getattr(sim_mod, preset)(seed=seed, **SIZES[preset][size])


def score(sim, max_lag: int, same_period: bool, same_period_mediators: bool = False) -> dict:
    """Granger evidence of one simulated panel, scored against its true graph(s)."""
    panel = Panel.from_frame(sim.df, Roles(**sim.roles), val_fraction=0.2)
    nodes, n_ch = list(panel.nodes), panel.n_channels
    x = panel.values
    controls = panel.controls if panel.roles.control_columns else None
    start = time.perf_counter()
    ev = granger_evidence(x, nodes, n_ch, controls=controls, max_lag=max_lag,
                          same_period=same_period,
                          same_period_mediators=same_period_mediators)  # fmt: skip
    seconds = time.perf_counter() - start
    cand = candidate_mask(nodes, panel.roles.channel_columns, panel.roles.target_column)
    graphs = sim.truth["graphs"].reindex(source=nodes, target=nodes)
    union = (graphs.max("graph_id") > 0).astype(int).drop_vars("graph_id", errors="ignore")
    lbf, prob = ev["log_bayes_factor"].fillna(-1e6), ev["probability"].fillna(0.0)
    picked = (prob >= 0.5) & cand.astype(bool)
    true = union.astype(bool) & cand.astype(bool)
    every = bool(true.sum() == cand.sum())  # rawlog: the union of its graphs covers them all
    out = {
        "auroc": np.nan if every else float(auroc(lbf, union, cand)),
        "nauprc": np.nan if every else float(nauprc(lbf, union, cand)),
        "tp": int((picked & true).sum()), "fp": int((picked & ~true).sum()),
        "fn": int((~picked & true).sum()), "n_true": int(true.sum()), "seconds": seconds,
        "prob": prob, "truth": union, "cand": cand,
    }  # fmt: skip
    if "placebo" in nodes:
        out["placebo_max"] = float(prob.sel(source="placebo").where(cand.sel(source="placebo"))
                                   .max())  # fmt: skip
    if len(graphs["graph_id"]) > 1:  # a graph per group or per series: score each series
        dims = ("series", "source", "target")
        truth = xr.DataArray(graphs.values[sim.truth["series_graph"].values] > 0, dims=dims,
                             coords={"source": nodes, "target": nodes}).astype(int)  # fmt: skip
        pooled = xr.DataArray(np.broadcast_to(lbf.values, truth.shape), dims=dims,
                              coords=truth.coords)  # fmt: skip
        # the pooled test's one graph against each series' own (as the encoder is scored)
        out["auroc_series"] = float(auroc(pooled, truth, cand, pool=("series",)))
        # the test run on each series alone, with the most lags one series allows
        lag = max(k for k in range(1, max_lag + 1)
                  if granger_shortfall((1, *x.shape[1:]), k) is None)  # fmt: skip
        per = np.stack([
            granger_evidence(x[s : s + 1], nodes, n_ch, max_lag=lag, same_period=same_period,
                             same_period_mediators=same_period_mediators)["log_bayes_factor"]
            .fillna(-1e6).values
            for s in range(x.shape[0])
        ])  # fmt: skip
        out["auroc_each"] = float(auroc(xr.DataArray(per, dims=dims, coords=truth.coords),
                                        truth, cand, pool=("series",)))  # fmt: skip
        out["each_lag"] = lag
    return out


def posterior_scores(sim, run: dict, seed: int) -> None:
    """Fit the default DiceMMM with ``support="granger"`` and add to ``run`` the AUROC of its
    ``graph_`` (the test on the fit's training dates, same-week edges), of the posterior
    inclusion probabilities of the same fit and of their mean, and the real channels each
    rule flags "no evidence of effect"."""
    from pymc_dice import DiceMMM
    from pymc_dice.diagnostics.edges import NO_EVIDENCE, channel_evidence

    mmm = DiceMMM(**sim.column_kwargs(), model_config={"support": "granger"})
    start = time.perf_counter()
    mmm.fit(sim.df, progressbar=False, random_seed=seed)
    run["fit_s"] = time.perf_counter() - start
    granger = mmm.graph_.reindex_like(run["prob"])
    post = mmm.ensemble_.edge_inclusion(mean=True).reindex_like(run["prob"])
    truth, cand = run["truth"], run["cand"]
    run["auroc_fit"] = float(auroc(granger, truth, cand))
    run["auroc_posterior"] = float(auroc(post, truth, cand))
    run["auroc_mean"] = float(auroc((post + granger) / 2, truth, cand))
    roas = sim.truth["roas"]
    real = [c for c in sim.channels if float(roas.sel(channel=c)) > 0]
    for name, prob in (("granger", granger), ("posterior", post)):
        flags = channel_evidence(prob.where(cand, 0.0), sim.channels)
        run[f"flagged_{name}"] = [c for c in real if flags[c] == NO_EVIDENCE]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(SIZES), default="sparse_target")
    parser.add_argument("--size", choices=["quick", "full"], default="quick")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--max-lag", type=int, default=4, help="ModelConfig.max_lag")
    parser.add_argument("--same-period", action="store_true",
                        help="channels act from lag 0 (what a structural DiceMMM uses)")
    parser.add_argument("--same-period-mediators", action="store_true",
                        help="mediators act from lag 0 too (a structural DiceMMM's default)")
    parser.add_argument("--posterior", action="store_true",
                        help="geo_panel: also fit DiceMMM(support='granger') and score its "
                        "graph_ and posterior inclusion (about 1 min a seed)")
    args = parser.parse_args(argv)
    runs = []
    for seed in range(args.seeds):
        sim = simulate(args.preset, args.size, seed)
        run = score(sim, args.max_lag, args.same_period, args.same_period_mediators)
        if args.posterior:
            posterior_scores(sim, run, seed)
        runs.append(run)
    keys = [k for k in ("auroc", "nauprc", "auroc_series", "auroc_each", "auroc_fit",
                        "auroc_posterior",
                        "auroc_mean", "placebo_max") if k in runs[0]]  # fmt: skip
    header = ["seed", *keys, "selected true / false / missed", "seconds"]
    rows = [[str(s), *[f"{r[k]:.3f}" for k in keys], f"{r['tp']} / {r['fp']} / {r['fn']}",
             f"{r['seconds']:.3f}"] for s, r in enumerate(runs)]  # fmt: skip
    rows.append(["mean", *[f"{np.mean([r[k] for r in runs]):.3f}" for k in keys],
                 "{} / {} / {}".format(*(sum(r[k] for r in runs) for k in ("tp", "fp", "fn"))),
                 f"{np.mean([r['seconds'] for r in runs]):.3f}"])  # fmt: skip
    print(f"\n{args.preset} ({args.size}: {SIZES[args.preset][args.size]}), max_lag "
          f"{args.max_lag}, same_period {args.same_period}, same_period_mediators "
          f"{args.same_period_mediators}, {args.seeds} seeds\n")  # fmt: skip
    print("\n".join(md_table(header, rows)))
    print(f"\nmin AUROC {np.min([r['auroc'] for r in runs]):.3f}, min nAUPRC "
          f"{np.min([r['nauprc'] for r in runs]):.3f}")  # fmt: skip
    if "each_lag" in runs[0]:
        print(f"auroc_series: the pooled test against each series' own graph; auroc_each: the "
              f"test on each series alone (max_lag {runs[0]['each_lag']})")
    if "placebo_max" in runs[0]:
        hits = sum(r["placebo_max"] >= 0.5 for r in runs)
        print(f"placebo edge selected on {hits} of {len(runs)} seeds")
    if args.posterior:
        for name in ("granger", "posterior"):
            flagged = [f"{s}: {', '.join(r[f'flagged_{name}'])}" for s, r in enumerate(runs)
                       if r[f"flagged_{name}"]]  # fmt: skip
            print(f"real channels flagged 'no evidence of effect' by {name}: "
                  f"{'; '.join(flagged) or 'none'}")  # fmt: skip
        print(f"fit s: {np.mean([r['fit_s'] for r in runs]):.0f} on average")
    table = calibration_table([r["prob"] for r in runs], [r["truth"] for r in runs],
                              [r["cand"] for r in runs])  # fmt: skip
    print("\ncalibration of the Granger probabilities (pooled over seeds)\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
