"""Graph recovery of the default DiceMMM: stage-1 edge probabilities against the structural
decoder's posterior edge inclusion probabilities.

On ``geo_panel`` (co-moving channels, a placebo that follows tv at 0.97, two mediators) the
default DiceMMM is fitted per seed and scored against the simulator's true direct graph over
the candidate edges: edge AUROC of (a) stage 1's probabilities (``graph_stage1_``) and (b) the
posterior inclusion probabilities (``graph_``), the placebo's largest edge probability, the
channels the summary flags as "no evidence of effect", and the calibration table of (b)
pooled over seeds. ``--refit`` adds (c) the refit Bayes factors' inclusion probabilities
(``DiceMMM.edge_evidence``: one refit without each edge): their AUROC, the placebo's largest
probability, whether a placebo edge is selected (probability >= 0.5) and their calibration
table. ``--sparse-target`` adds the paper's ``sparse_target`` panel (quick size)
with a structural decoder and ``support="posterior"``: nAUPRC of the inclusion
probabilities, of stage 1, and of AR-CIG on the deployed and on the selected graph.

    python benchmarks/bench_edges.py [--geos 10] [--weeks 80] [--seeds 0 1 2] [--refit]
                                     [--sparse-target] [--skip-geo] [--adstock delayed]
                                     [--saturation hill]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from pymc_dice import DiceMMM  # noqa: E402
from pymc_dice.bench.report import md_table  # noqa: E402
from pymc_dice.diagnostics.edges import NO_EVIDENCE, calibration_table  # noqa: E402
from pymc_dice.diagnostics.metrics import auroc, nauprc  # noqa: E402
from pymc_dice.graph import candidate_mask  # noqa: E402
from pymc_dice.spec import truth_graph  # noqa: E402


def _model(sim, **model_config) -> DiceMMM:
    return DiceMMM(**sim.column_kwargs(), model_config=model_config or None)


def geo_run(n_geos: int, n_weeks: int, seed: int, refit: bool = False, **mc) -> dict:
    """Fit the default DiceMMM on one geo_panel and score its graphs (``refit``: and the
    refit Bayes factors' inclusion probabilities)."""
    from pymc_dice.simulate import geo_panel

    sim = geo_panel(n_geos=n_geos, n_periods=n_weeks, seed=seed)
    mmm = _model(sim, **mc)
    start = time.perf_counter()
    mmm.fit(sim.df, progressbar=False, random_seed=seed)
    fit_s = time.perf_counter() - start
    nodes = list(mmm.panel_.nodes)
    truth = truth_graph(sim.truth, nodes)
    cand = candidate_mask(nodes, mmm.roles_.channel_columns, mmm.roles_.target_column)
    start = time.perf_counter()
    post = mmm.graph_
    incl_s = time.perf_counter() - start
    stage1 = mmm.graph_stage1_
    table = mmm.summary.channels()
    refit_out = {}
    if refit:
        start = time.perf_counter()
        prob = mmm.edge_evidence(progressbar=False)["probability"].fillna(0.0)
        refit_out = {
            "refit": prob,
            "refit_s": time.perf_counter() - start,
            "auroc_refit": float(auroc(prob, truth, cand)),
            "placebo_refit_max": float(prob.sel(source="placebo").max()),
        }
    return {
        **refit_out,
        "seed": seed,
        "fit_s": fit_s,
        "inclusion_s": incl_s,
        "auroc_stage1": float(auroc(stage1, truth, cand)),
        "auroc_posterior": float(auroc(post, truth, cand)),
        "placebo_max": float(post.sel(source="placebo").max()),
        "placebo_stage1_max": float(
            stage1.sel(source="placebo").where(cand.sel(source="placebo")).max()
        ),
        "flagged": [c for c, e in table["evidence"].items() if e == NO_EVIDENCE],
        "placebo_roas": float(table.loc["placebo", "roas"]),
        "n_true": int(truth.where(cand, 0).sum()),
        "n_cand": int(cand.sum()),
        "post": post,
        "stage1": stage1,
        "truth": truth,
        "cand": cand,
    }


def sparse_run(seed: int, refit: bool = False, **mc) -> dict:
    """Structural decoder with support="posterior" on the paper's sparse_target (quick size);
    ``refit``: also the refit Bayes factors' probabilities and AR-CIG on the graph they
    select (probability >= 0.5)."""
    from pymc_dice.bench.paper import QUICK, evaluate_arm
    from pymc_dice.diagnostics.influence import ar_cig, influence_origins
    from pymc_dice.ensemble import PanelTensors
    from pymc_dice.simulate import sparse_target

    sim = sparse_target(n_series=QUICK["n_series"], n_periods=QUICK["n_periods"], seed=seed)
    mmm = _model(sim, **{"decoder": "structural", "support": "posterior", **mc})
    start = time.perf_counter()
    mmm.fit(sim.df, progressbar=False, random_seed=seed)
    fit_s = time.perf_counter() - start
    panel, arm = mmm.panel_, mmm.arms_[0]
    nodes = list(panel.nodes)
    graphs = sim.truth["graphs"].reindex(source=nodes, target=nodes)
    union = (graphs.max("graph_id") > 0).astype(int).drop_vars("graph_id", errors="ignore")
    cand = candidate_mask(nodes, panel.roles.channel_columns, panel.roles.target_column)
    res = evaluate_arm(arm, panel, sim.truth, horizon=7)
    data = PanelTensors.from_panel(panel, 7, torch.device("cpu"))
    origins = influence_origins(data, 7)
    selected = mmm.selected_graph_
    sel_arcig = ar_cig(arm.decoder, data.x, data.c, selected.values, origins, data.n_channels, 7)
    sel_da = selected.copy(data=sel_arcig)
    refit_out = {}
    if refit:
        prob = mmm.edge_evidence(progressbar=False)["probability"].fillna(0.0)
        chosen = (prob >= 0.5).astype(float)
        arcig = ar_cig(arm.decoder, data.x, data.c, chosen.values, origins, data.n_channels, 7)
        refit_out = {
            "nauprc_refit": float(nauprc(prob, union, cand)),
            "ar_cig_refit": float(nauprc(chosen.copy(data=arcig), union, cand)),
            "n_refit": int(chosen.where(cand, 0).sum()),
        }
    return {
        **refit_out,
        "seed": seed,
        "fit_s": fit_s,
        "nauprc_posterior": float(nauprc(mmm.graph_, union, cand)),
        "nauprc_stage1": float(nauprc(mmm.graph_stage1_, union, cand)),
        "ar_cig_deployed": float(res["ar_cig_nauprc"]),
        "ar_cig_selected": float(nauprc(sel_da, union, cand)),
        "n_selected": int(selected.where(cand, 0).sum()),
        "n_true": int(union.where(cand, 0).sum()),
        "n_cand": int(cand.sum()),
        "random": float(res["nauprc_random"]),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geos", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=80)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sparse-target", action="store_true")
    parser.add_argument("--refit", action="store_true", help="refit Bayes factors too")
    parser.add_argument("--adstock", choices=["geometric", "delayed", "free"], default=None,
                        help="the structural carryover family (default: the model's)")
    parser.add_argument("--saturation", choices=["logistic", "hill"], default=None,
                        help="the structural saturation family (default: the model's)")
    parser.add_argument("--skip-geo", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    mc = {k: v for k, v in (("adstock", args.adstock), ("saturation", args.saturation)) if v}
    if not args.skip_geo:
        runs = [geo_run(args.geos, args.weeks, s, args.refit, **mc) for s in args.seeds]
        print(f"\ngeo_panel {args.geos} geos x {args.weeks} weeks (default DiceMMM, 1 chain)\n")
        header = ["seed", "edge AUROC stage 1", "edge AUROC posterior", "placebo max p",
                  "placebo ROAS", "flagged 'no evidence'", "fit s", "inclusion s"]  # fmt: skip
        rows = [
            [str(r["seed"]), f"{r['auroc_stage1']:.3f}", f"{r['auroc_posterior']:.3f}",
             f"{r['placebo_max']:.2f}", f"{r['placebo_roas']:.3f}",
             ", ".join(r["flagged"]) or "-", f"{r['fit_s']:.0f}", f"{r['inclusion_s']:.2f}"]
            for r in runs
        ]  # fmt: skip
        mean = {k: np.mean([r[k] for r in runs]) for k in ("auroc_stage1", "auroc_posterior")}
        rows.append(["mean", f"{mean['auroc_stage1']:.3f}", f"{mean['auroc_posterior']:.3f}",
                     *[""] * 5])  # fmt: skip
        print("\n".join(md_table(header, rows)))
        print(f"\n{runs[0]['n_true']} true edges among {runs[0]['n_cand']} candidates")
        kinds = [("posterior inclusion", "post"), ("stage 1", "stage1")]
        if args.refit:
            print("\nrefit Bayes factors (DiceMMM.edge_evidence, prior inclusion 0.5)\n")
            header = ["seed", "edge AUROC refit", "placebo max p", "placebo selected", "refit s"]
            rows = [
                [str(r["seed"]), f"{r['auroc_refit']:.3f}", f"{r['placebo_refit_max']:.2f}",
                 "yes" if r["placebo_refit_max"] >= 0.5 else "no", f"{r['refit_s']:.0f}"]
                for r in runs
            ]  # fmt: skip
            rows.append(["mean", f"{np.mean([r['auroc_refit'] for r in runs]):.3f}", "", "", ""])
            print("\n".join(md_table(header, rows)))
            kinds.append(("refit Bayes factor", "refit"))
        for name, key in kinds:
            table = calibration_table(
                [r[key] for r in runs], [r["truth"] for r in runs], [r["cand"] for r in runs]
            )
            print(f"\ncalibration of {name} probabilities (pooled over seeds)\n")
            rows = [
                [label, *(f"{v:.0f}" if k.startswith("n_") else f"{v:.2f}" for k, v in row.items())]
                for label, row in table.iterrows()
            ]
            print("\n".join(md_table(["bin", *table.columns], rows)))
    if args.sparse_target:
        runs = [sparse_run(s, args.refit, **mc) for s in args.seeds]
        print("\nsparse_target (quick size), structural decoder, support='posterior'\n")
        header = ["seed", "nAUPRC inclusion", "nAUPRC stage 1", "AR-CIG nAUPRC deployed",
                  "AR-CIG nAUPRC selected", "selected / true / candidates", "fit s"]  # fmt: skip
        rows = [
            [str(r["seed"]), f"{r['nauprc_posterior']:.3f}", f"{r['nauprc_stage1']:.3f}",
             f"{r['ar_cig_deployed']:.3f}", f"{r['ar_cig_selected']:.3f}",
             f"{r['n_selected']} / {r['n_true']} / {r['n_cand']}", f"{r['fit_s']:.0f}"]
            for r in runs
        ]  # fmt: skip
        print("\n".join(md_table(header, rows)))
        if args.refit:
            print("\nrefit Bayes factors on sparse_target\n")
            rows = [[str(r["seed"]), f"{r['nauprc_refit']:.3f}", f"{r['ar_cig_refit']:.3f}",
                     f"{r['n_refit']} / {r['n_true']}"] for r in runs]  # fmt: skip
            header = ["seed", "nAUPRC refit", "AR-CIG nAUPRC refit-selected", "selected / true"]
            print("\n".join(md_table(header, rows)))
        print(f"\nexpected nAUPRC of a random score: {runs[0]['random']:.3f}")

if __name__ == "__main__":
    main()
