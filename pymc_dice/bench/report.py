"""Reports of bench runs: ``results.json`` / ``results.nc`` / ``results.md`` and plots.

:func:`write_report` writes a paper suite's folder (tables per setting, the graph swap, the
"paper claim vs measured" block, the trade-off and swap plots); :func:`write_roas_report`
writes the ``roas`` suite's (side-by-side table per seed and model, mean ± sd rows, the
criteria as yes/no rows, a ROAS-vs-truth plot).

Examples
--------
>>> mean_sd([1.0, 3.0]), md_table(["a", "b"], [["1", "2"]])
('2.000 ± 1.414', ['| a | b |', '|---|---|', '| 1 | 2 |'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from pymc_dice.arms import arm_spec
from pymc_dice.sweep import write_json

__all__ = [
    "COLUMNS",
    "PAPER",
    "ROAS_COLUMNS",
    "md_table",
    "mean_sd",
    "roas_criteria",
    "roas_summary",
    "write_report",
    "write_roas_report",
    "yes",
]

#: the paper's numbers (docs/benchmarks.md), mean and sd over seeds
PAPER = {
    "oracle_ar_cig": (0.807, 0.129),
    "swap_learned": (-0.044, 0.006),
    "swap_oracle": (0.894, 0.027),
}

COLUMNS = (
    ("mse_target@7", "MSE@7 target"),
    ("mse_all@7", "MSE@7 all"),
    ("cig_nauprc", "CIG nAUPRC"),
    ("ar_cig_nauprc", "AR-CIG nAUPRC"),
    ("edge_auroc", "edge AUROC"),
    ("selected_f1", "selected F1"),
    ("fit_seconds", "fit s"),
)


def mean_sd(values: Sequence[float] | np.ndarray, digits: int = 3) -> str:
    """``"mean ± sd"`` (sample sd, 0 for one value) of the finite values; ``"n/a"`` if none.

    Examples
    --------
    >>> mean_sd([0.5, float("nan")]), mean_sd([])
    ('0.500 ± 0.000', 'n/a')
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return "n/a"
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.{digits}f} ± {sd:.{digits}f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a markdown table.

    Examples
    --------
    >>> md_table(["x"], [["1"], ["2"]])[-1]
    '| 2 |'
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def yes(ok: bool) -> str:
    """``"yes"`` / ``"no"``.

    Examples
    --------
    >>> yes(1 > 0), yes(False)
    ('yes', 'no')
    """
    return "yes" if bool(ok) else "no"


def _marker(label: str) -> str:
    """Plot marker of an arm label: diamonds / squares for hard / soft two-stage arms."""
    spec = arm_spec(label.split("/")[0])
    if not spec.runs_stage1:
        return "o"
    return "D" if spec.hard_edges else "s"


def _results_json(ds: xr.Dataset) -> dict:
    """``{"arms": {arm: {size: {metric: [per seed]}}}, "graph_swap": {arm: {size: {input:
    {metric: [per seed]}}}}}`` from a suite's Dataset."""
    scalars = [v for v in ds.data_vars if set(ds[v].dims) == {"arm", "size", "seed"}]
    out: dict[str, Any] = {
        "seeds": ds["seed"].values.tolist(),
        "sizes": [str(s) for s in ds["size"].values],
        "arms": {},
    }
    for arm in ds["arm"].values:
        out["arms"][str(arm)] = {
            str(size): {v: ds[v].sel(arm=arm, size=size).values.tolist() for v in scalars}
            for size in ds["size"].values
        }
    if "graph_swap" in ds:
        sw = ds["graph_swap"]
        out["graph_swap"] = {}
        for arm in sw["arm"].values:
            cell = sw.sel(arm=arm)
            if bool(cell.isnull().all()):
                continue
            out["graph_swap"][str(arm)] = {
                str(size): {
                    str(g): {
                        str(m): cell.sel(size=size, graph_input=g, metric=m).values.tolist()
                        for m in sw["metric"].values
                    }
                    for g in sw["graph_input"].values
                    if not bool(cell.sel(size=size, graph_input=g).isnull().all())
                }
                for size in sw["size"].values
            }
    return out


def _swap_arm(ds: xr.Dataset, decoder: str) -> str | None:
    if "graph_swap" not in ds:
        return None
    for arm in ds["arm"].values:
        if str(arm).split("/")[0] == decoder and not bool(
            ds["graph_swap"].sel(arm=arm).isnull().all()
        ):
            return str(arm)
    return None


def _claims(ds: xr.Dataset, size: str) -> list[str]:
    """The 'paper claim vs measured' block (sparse-target / graph-swap suites)."""
    d = ds.sel(size=size)
    arms = [str(a) for a in d["arm"].values]
    chance = float(np.nanmean(d["nauprc_random"].values))
    rows = []

    def ar(arm):
        return d["ar_cig_nauprc"].sel(arm=arm).values

    def mse(arm):
        return float(np.nanmean(d["mse_target@7"].sel(arm=arm).values))

    for arm in ("nograph", "fullgraph"):
        if arm in arms:
            ok = np.nanmean(ar(arm)) <= 0.05
            rows.append([f"{arm}: AR-CIG nAUPRC near or below 0", "≤ 0", mean_sd(ar(arm)), yes(ok)])
            if "oracle" in arms:
                ratio = mse(arm) / mse("oracle")
                rows.append(
                    [
                        f"{arm}: MSE@7 target comparable to oracle",
                        "about 1x",
                        f"{ratio:.2f}x",
                        yes(1 / 3 <= ratio <= 3),
                    ]
                )
    if "oracle" in arms:
        m, s = PAPER["oracle_ar_cig"]
        ok = np.nanmean(ar("oracle")) >= m - s
        rows.append(["oracle: AR-CIG nAUPRC", f"{m} ± {s}", mean_sd(ar("oracle")), yes(ok)])
    hard = _swap_arm(d, "dice-hard")
    if hard is not None:
        sw = d["graph_swap"].sel(arm=hard, metric="ar_cig_nauprc")
        inputs = [str(g) for g in sw["graph_input"].values]
        if "learned" in inputs:
            m, s = PAPER["swap_learned"]
            v = sw.sel(graph_input="learned").values
            ok = np.nanmean(v) <= chance
            rows.append([f"graph swap {hard}: learned input", f"{m} ± {s}", mean_sd(v), yes(ok)])
        if "oracle" in inputs:
            m, s = PAPER["swap_oracle"]
            v = sw.sel(graph_input="oracle").values
            ok = np.nanmean(v) >= m - s
            rows.append([f"graph swap {hard}: oracle input", f"{m} ± {s}", mean_sd(v), yes(ok)])
    rows.append(["random-score chance level (nAUPRC)", "—", f"{chance:.3f}", ""])
    header = ["claim", "paper", "measured", "consistent"]
    return ["", "Paper claim vs measured:", "", *md_table(header, rows)]


def _suite_markdown(suite: str, ds: xr.Dataset) -> list[str]:
    lines = [f"## {suite}", ""]
    sizes = [str(s) for s in ds["size"].values]
    n_seeds = ds.sizes["seed"]
    header = ["arm", *(label for _, label in COLUMNS)]
    for size in sizes:
        d = ds.sel(size=size)
        lines.append(f"Setting {size}, mean ± sd over seeds (n = {n_seeds}):")
        lines.append("")
        rows = [
            [
                str(arm),
                *(mean_sd(d[v].sel(arm=arm).values) if v in d else "n/a" for v, _ in COLUMNS),
            ]
            for arm in d["arm"].values
        ]
        lines += md_table(header, rows)
        lines.append("")
        if suite == "rdt":  # one table per setting would be long: the rest are compact below
            break
    if suite == "rdt":
        for var, label in (
            ("ar_cig_nauprc", "AR-CIG nAUPRC"),
            ("edge_auroc", "edge AUROC"),
            ("mse_target@7", "MSE@7 target"),
        ):
            lines.append(f"{label} per setting (R graphs, d nodes, T weeks):")
            lines.append("")
            rows = [
                [str(arm), *(mean_sd(ds[var].sel(arm=arm, size=s).values) for s in sizes)]
                for arm in ds["arm"].values
            ]
            lines += [*md_table(["arm", *sizes], rows), ""]
    if suite in ("rdt", "rawlog"):
        lines.append("Per-series scoring (each series against its own true graph):")
        lines.append("")
        cols = (("cig_nauprc_series", "CIG nAUPRC"), ("ar_cig_nauprc_series", "AR-CIG nAUPRC"))
        rows = [
            [
                str(arm),
                *(mean_sd(ds[v].sel(arm=arm, size=s).values) for v, _ in cols for s in sizes),
            ]
            for arm in ds["arm"].values
        ]
        lines += [*md_table(["arm", *(f"{lab} {s}" for _, lab in cols for s in sizes)], rows), ""]
    if "graph_swap" in ds:
        sw = ds["graph_swap"]
        inputs = [str(g) for g in sw["graph_input"].values]
        arms = [str(a) for a in sw["arm"].values if not bool(sw.sel(arm=a).isnull().all())]
        for metric, label in (("ar_cig_nauprc", "AR-CIG nAUPRC"), ("mse_target@7", "MSE@7 target")):
            for size in sizes:
                lines.append(
                    f"Graph swap, {label} of each frozen decoder per graph input ({size}):"
                )
                lines.append("")
                rows = [
                    [
                        a,
                        *(
                            mean_sd(sw.sel(arm=a, size=size, graph_input=g, metric=metric).values)
                            for g in inputs
                        ),
                    ]
                    for a in arms
                ]
                lines += [*md_table(["decoder", *inputs], rows), ""]
    if suite in ("sparse-target", "graph-swap"):
        lines += _claims(ds, sizes[0])
        lines.append("")
    return lines


def _plots(suite: str, ds: xr.Dataset, out: Path) -> list[str]:
    from matplotlib.figure import Figure

    written = []
    size = str(ds["size"].values[0])
    d = ds.sel(size=size)
    from matplotlib import colormaps
    from matplotlib.ticker import LogLocator, NullFormatter

    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.add_subplot()
    arms = [str(a) for a in d["arm"].values]
    yvar = "ar_cig_nauprc"  # undefined when the union of true graphs has every edge (rawlog)
    if bool(d[yvar].isnull().all()) and "ar_cig_nauprc_series" in d:
        yvar = "ar_cig_nauprc_series"
    colours = colormaps["tab20"](np.linspace(0, 1, 20))
    for k, arm in enumerate(arms):
        x = d["mse_target@7"].sel(arm=arm).values
        y = d[yvar].sel(arm=arm).values
        colour = colours[(2 * k) % 20 if k < 10 else (2 * k + 1) % 20]
        marker = _marker(arm)
        ax.scatter(x, y, s=16, alpha=0.45, color=colour, marker=marker)
        ax.scatter(
            np.nanmean(x),
            np.nanmean(y),
            s=90,
            marker=marker,
            color=colour,
            edgecolor="k",
            linewidth=0.6,
            label=arm,
        )
    ax.axhline(0.0, color="k", lw=0.6)
    ax.axhline(float(np.nanmean(d["nauprc_random"])), color="grey", ls="--", lw=0.8, label="chance")
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(LogLocator(subs=(2, 5)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("MSE@7 target (scaled, log; lower is better)")
    ax.set_ylabel(f"{yvar.replace('_', ' ')} (higher is better)")
    ax.set_title(f"{suite} {size}: forecasting vs attribution (big: mean, small: seeds)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(out / "tradeoff.png", dpi=110)
    written.append("tradeoff.png")
    if "graph_swap" in ds and not bool(ds["graph_swap"].isnull().all()):
        sw = ds["graph_swap"].sel(size=size, metric="ar_cig_nauprc")
        arms = [str(a) for a in sw["arm"].values if not bool(sw.sel(arm=a).isnull().all())]
        inputs = [str(g) for g in sw["graph_input"].values]
        fig = Figure(figsize=(9.5, 4))
        ax = fig.add_subplot()
        width = 0.8 / max(len(arms), 1)
        bar_colours = colormaps["tab20"](np.linspace(0, 1, 20))
        for k, arm in enumerate(arms):
            vals = sw.sel(arm=arm)
            mean = vals.mean("seed").values
            sd = vals.std("seed", ddof=1).values if vals.sizes["seed"] > 1 else 0 * mean
            ax.bar(
                np.arange(len(inputs)) + k * width,
                mean,
                width,
                yerr=sd,
                label=arm,
                capsize=2,
                color=bar_colours[k % 20],
                error_kw={"lw": 0.8},
            )
        ax.set_xticks(np.arange(len(inputs)) + width * (len(arms) - 1) / 2, inputs)
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_ylabel("AR-CIG nAUPRC")
        ax.set_title("graph swap: one frozen decoder, different graph inputs (mean +- sd)")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.tight_layout()
        fig.savefig(out / "graph_swap.png", dpi=110)
        written.append("graph_swap.png")
    if suite == "rdt" and "R" in ds.coords:
        base = {k: int(ds[k].values[0]) for k in ("R", "d", "T")}
        fig = Figure(figsize=(11, 6.5))
        axes = fig.subplots(2, 3, squeeze=False)
        for col, dim in enumerate(("R", "d", "T")):
            others = [k for k in ("R", "d", "T") if k != dim]
            keep = [
                s
                for s in ds["size"].values
                if all(int(ds[k].sel(size=s)) == base[k] for k in others)
            ]
            sub = ds.sel(size=keep).sortby(dim)
            for row, (var, label) in enumerate(
                (("ar_cig_nauprc", "AR-CIG nAUPRC"), ("edge_auroc", "edge AUROC"))
            ):
                ax = axes[row][col]
                for k, arm in enumerate(sub["arm"].values):
                    vals = sub[var].sel(arm=arm)
                    if bool(vals.isnull().all()):
                        continue
                    ax.errorbar(
                        sub[dim].values,
                        vals.mean("seed").values,
                        yerr=vals.std("seed").values,
                        marker="o",
                        ms=4,
                        capsize=2,
                        color=f"C{k % 10}",
                        label=str(arm),
                    )
                ax.set_xticks(sub[dim].values)
                ax.set_xlabel(dim)
                ax.set_ylabel(label)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"rdt: one of R, d, T varied around {base}")
        fig.tight_layout()
        fig.savefig(out / "rdt.png", dpi=110)
        written.append("rdt.png")
    return written


def write_report(suite: str, ds: xr.Dataset, out: Path | str) -> str:
    """Write ``results.json``, ``results.nc``, ``results.md`` and the plots of one suite into
    ``out``; return the markdown.

    Examples
    --------
    >>> import tempfile
    >>> from pymc_dice.sweep import make_jobs, to_dataset
    >>> jobs = make_jobs(["sparse-target"], ["nograph"], 2, {"S4-T40": {}})
    >>> res = [{"mse_target@7": 0.1, "mse_all@7": 0.1, "ar_cig_nauprc": 0.0,
    ...         "nauprc_random": 0.142}] * 2
    >>> md = write_report("sparse-target", to_dataset(jobs, res), tempfile.mkdtemp())
    >>> "| nograph | 0.100 ± 0.000 |" in md
    True
    """
    out = Path(out)
    ds = ds.copy()
    ds.attrs.update(suite=suite)
    ds.to_netcdf(out / "results.nc")
    write_json(out / "results.json", {"suites": {suite: _results_json(ds)}})
    md = "\n".join([f"# pymc-dice bench: {suite}", "", *_suite_markdown(suite, ds)]) + "\n"
    (out / "results.md").write_text(md)
    _plots(suite, ds, out)
    return md


# --------------------------------------------------------------------------------------------
# roas suite
# --------------------------------------------------------------------------------------------

#: per-(model, seed) scores of the roas table: key, label, digits
ROAS_COLUMNS = (
    ("mean_abs_relative_error", "mean rel. abs. ROAS error", 3),
    ("spearman", "Spearman ROAS", 3),
    ("contribution_corr", "contribution corr.", 3),
    ("r2_in_sample", "R² in-sample", 3),
    ("mape_in_sample", "MAPE in-sample", 3),
    ("r2_held_out", "R² held-out", 3),
    ("mape_held_out", "MAPE held-out", 3),
    ("coverage_90", "90 % coverage", 2),
    ("n_negative_roas", "negative ROAS (true > 0)", 0),
    ("fit_seconds", "fit s", 1),
    ("compile_seconds", "compile s", 1),
)
#: held-out R² may fall this far below the MMM's
R2_MARGIN = 0.05
#: share of (channel, seed) pairs whose 90 % interval must contain the truth
COVERAGE_TARGET = 0.8


def _values(result: Mapping[str, Any], model: str, key: str) -> np.ndarray:
    runs = result["runs"][model]
    values = [runs[s].get(key) for s in runs]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def roas_summary(result: Mapping[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """``{model: {score: {"mean", "sd"}}}`` over seeds (sample sd; NaN seeds left out).

    Examples
    --------
    >>> res = {"runs": {"m": {"seed0": {"r2_held_out": 0.5}, "seed1": {"r2_held_out": 0.7}}}}
    >>> round(roas_summary(res)["m"]["r2_held_out"]["mean"], 6)
    0.6
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for model, runs in result["runs"].items():
        keys = [k for k in next(iter(runs.values())) if k in {c for c, _, _ in ROAS_COLUMNS}]
        out[model] = {}
        for key in keys:
            v = _values(result, model, key)
            v = v[np.isfinite(v)]
            sd = float(v.std(ddof=1)) if len(v) > 1 else (0.0 if len(v) else float("nan"))
            out[model][key] = {"mean": float(v.mean()) if len(v) else float("nan"), "sd": sd}
    return out


def roas_criteria(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The yes/no checks of a roas run: ``[{"criterion", "DiceMMM", "MMM", "met"}]``
    (``met`` None for the fit-time ratio, which is reported, not judged).

    Examples
    --------
    >>> run = {"mean_abs_relative_error": 0.1, "n_negative_roas": 0, "r2_held_out": 0.8,
    ...        "covered": {"tv": True}, "fit_seconds": 10.0}
    >>> res = {"runs": {"DiceMMM": {"seed0": run},
    ...                 "MMM": {"seed0": {**run, "r2_held_out": 0.9, "fit_seconds": 30.0}}}}
    >>> [c["met"] for c in roas_criteria(res)]
    [True, True, False, True, None]
    """

    def mean(model: str, key: str) -> float:
        return float(np.nanmean(_values(result, model, key)))

    def pooled_coverage(model: str) -> float:
        flags = [v for run in result["runs"][model].values() for v in run["covered"].values()]
        return float(np.mean(flags))

    err = {m: mean(m, "mean_abs_relative_error") for m in ("DiceMMM", "MMM")}
    neg = {m: int(np.nansum(_values(result, m, "n_negative_roas"))) for m in ("DiceMMM", "MMM")}
    r2 = {m: mean(m, "r2_held_out") for m in ("DiceMMM", "MMM")}
    cov = {m: pooled_coverage(m) for m in ("DiceMMM", "MMM")}
    ratio = mean("MMM", "fit_seconds") / mean("DiceMMM", "fit_seconds")
    return [
        {"criterion": "mean relative abs. ROAS error: DiceMMM <= MMM", **err,
         "met": bool(err["DiceMMM"] <= err["MMM"])},
        {"criterion": "no negative ROAS where the truth is positive (count)", **neg,
         "met": neg["DiceMMM"] == 0},
        {"criterion": f"held-out R²: DiceMMM >= MMM - {R2_MARGIN}", **r2,
         "met": bool(r2["DiceMMM"] >= r2["MMM"] - R2_MARGIN)},
        {"criterion": f"90 % interval covers the truth in >= {COVERAGE_TARGET:.0%} of "
         "(channel, seed) pairs", **cov, "met": bool(cov["DiceMMM"] >= COVERAGE_TARGET)},
        {"criterion": "fit time ratio MMM / DiceMMM", "DiceMMM": 1.0, "MMM": ratio,
         "met": None},
    ]  # fmt: skip


def _fmt(value: Any, digits: int) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _roas_markdown(result: Mapping[str, Any], summary: Mapping, criteria: list) -> list[str]:
    models, seeds = list(result["runs"]), list(next(iter(result["runs"].values())))
    channels = list(result["channels"])
    header = ["model", "seed", *(label for _, label, _ in ROAS_COLUMNS)]
    rows = [
        [m, s, *(_fmt(result["runs"][m][s].get(k), d) for k, _, d in ROAS_COLUMNS)]
        for s in seeds for m in models
    ]  # fmt: skip
    rows += [
        [m, "mean ± sd", *(mean_sd(_values(result, m, k), d) for k, _, d in ROAS_COLUMNS)]
        for m in models
    ]
    lines = [
        f"# pymc-dice bench: roas ({result['preset']})",
        "",
        f"Sizes: {dict(result['settings'])}; seeds {result['seeds']}.",
        "",
        *md_table(header, rows),
        "",
        "ROAS per channel (estimate [5 %, 95 %]; truth):",
        "",
    ]
    roas_rows = []
    for s in seeds:
        true = result["runs"][models[0]][s]["roas_true"]
        roas_rows.append(["truth", s, *(_fmt(true[c], 2) for c in channels)])
        for m in models:
            r = result["runs"][m][s]
            roas_rows.append(
                [
                    m,
                    s,
                    *(
                        f"{r['roas'][c]:.2f} [{r['roas_lower'][c]:.2f}, {r['roas_upper'][c]:.2f}]"
                        for c in channels
                    ),
                ]
            )
    lines += [*md_table(["model", "seed", *channels], roas_rows), ""]
    zero = sorted({c for m in models for s in seeds for c in result["runs"][m][s]["zero_truth"]})
    if zero:
        lines += [
            "Channels with a true ROAS of 0 (left out of the relative errors): "
            "estimated ROAS and contribution share:",
            "",
        ]
        zrows = [[m, s, *(f"{result['runs'][m][s]['zero_truth'][c]['roas']:.3f} / "
                          f"{result['runs'][m][s]['zero_truth'][c]['share']:.1%}" for c in zero)]
                 for s in seeds for m in models]  # fmt: skip
        lines += [*md_table(["model", "seed", *zero], zrows), ""]
    crow = [[c["criterion"], _fmt(c["DiceMMM"], 3), _fmt(c["MMM"], 3),
             "—" if c["met"] is None else yes(c["met"])] for c in criteria]  # fmt: skip
    return [
        *lines,
        "What must show:",
        "",
        *md_table(["criterion", "DiceMMM", "MMM", "met"], crow),
        "",
    ]


def _roas_plot(result: Mapping[str, Any], out: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot()
    top = 0.0
    for k, (model, runs) in enumerate(result["runs"].items()):
        x, y, lo, hi = (
            np.array([r[key][c] for r in runs.values() for c in result["channels"]])
            for key in ("roas_true", "roas", "roas_lower", "roas_upper")
        )
        shift = (k - 0.5) * 0.02 * max(float(np.nanmax(x)), 1.0)  # side by side at one truth
        ax.errorbar(
            x + shift,
            y,
            yerr=[y - lo, hi - y],
            fmt="o",
            ms=5,
            capsize=2,
            lw=0.8,
            color=f"C{k}",
            label=f"{model} (90 % interval)",
        )
        top = max(top, float(np.nanmax(np.r_[x, hi])))
    ax.plot([0, top], [0, top], color="k", lw=0.7, ls="--", label="truth (y = x)")
    ax.axhline(0.0, color="grey", lw=0.5)
    ax.set_xlabel("true ROAS over the fitted window")
    ax.set_ylabel("estimated ROAS")
    ax.set_title(f"roas ({result['preset']}): every channel and seed")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "roas.png", dpi=110)


def write_roas_report(result: Mapping[str, Any], out: Path | str) -> str:
    """Write a roas run's ``results.json`` (the run plus ``summary`` and ``criteria``),
    ``results.md`` and ``roas.png`` into ``out``; return the markdown.

    Examples
    --------
    >>> import tempfile
    >>> run = {"roas": {"tv": 1.1}, "roas_true": {"tv": 1.0}, "roas_lower": {"tv": 0.9},
    ...        "roas_upper": {"tv": 1.3}, "covered": {"tv": True}, "zero_truth": {},
    ...        "mean_abs_relative_error": 0.1, "n_negative_roas": 0, "r2_held_out": 0.8,
    ...        "fit_seconds": 10.0}
    >>> res = {"preset": "national", "settings": {}, "seeds": [0], "channels": ["tv"],
    ...        "runs": {"DiceMMM": {"seed0": run}, "MMM": {"seed0": run}}}
    >>> md = write_roas_report(res, tempfile.mkdtemp())
    >>> "| DiceMMM | seed0 | 0.100 |" in md, "| fit time ratio MMM / DiceMMM | 1.000 |" in md
    (True, True)
    """
    out = Path(out)
    summary, criteria = roas_summary(result), roas_criteria(result)
    write_json(out / "results.json", {**result, "summary": summary, "criteria": criteria})
    md = "\n".join(_roas_markdown(result, summary, criteria)) + "\n"
    (out / "results.md").write_text(md)
    _roas_plot(result, out)
    return md
