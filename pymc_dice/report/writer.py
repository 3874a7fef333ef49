"""Writing a report folder: figures (from :mod:`pymc_dice.plot`), ``index.html``, ``report.md``
and netCDF results, one function per section."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.report.contents import ReportData, collect
from pymc_dice.report.tables import html_table, md_table, roas_table, summary_table

__all__ = ["SECTIONS", "build_report", "write_report"]

#: section id -> heading (the graph heading drops "vs true" without a truth)
SECTIONS: dict[str, str] = {
    "comparison": "Model comparison",
    "graph": "Learned vs true graph",
    "influence": "Influence (CIG / AR-CIG)",
    "swap": "Graph swap",
    "contributions": "Contributions over time",
    "forecast": "Forecast vs observed",
    "files": "Files",
}

_DPI = 100

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;
 background:#f5f6f8;color:#1d2430}
header{background:#1d2a44;color:#fff;padding:22px 40px}
header h1{margin:0 0 6px;font-size:26px}
header p{margin:2px 0;color:#c9d3e6;font-size:14px}
main{max-width:1320px;margin:0 auto;padding:10px 30px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin:22px 0;
 padding:14px 26px 20px}
h2{font-size:20px;border-bottom:2px solid #e3e7ee;padding-bottom:6px}
h3{font-size:16px;margin:18px 0 6px}
p.lead{color:#4a5568;font-size:14px;max-width:1100px}
table{border-collapse:collapse;font-size:14px;margin:8px 0 14px}
th,td{border:1px solid #dde2ea;padding:5px 10px;text-align:left}
th{background:#eef1f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:6px 0}
.verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;font-size:14px}
.v-ok{background:#d4f3dd;color:#17652f}.v-warn{background:#fde8c8;color:#8a4b00}
.v-na{background:#e3e7ee;color:#374151}
ul.files{font-family:monospace;font-size:13px}
pre{background:#f2f4f7;padding:8px;font-size:12px;white-space:pre-wrap}
"""

_FILES = {
    "index.html": "this page",
    "report.md": "the same report in Markdown",
    "idata.nc": "the DiceMMM results DataTree (pymc-marketing layout, with the `dice` group)",
    "diagnostics.nc": "DiceMMM diagnostics: CIG, AR-CIG, graph swap, checks, verdict",
    "attribution.nc": "the attribution test suite of every model (`model` dim)",
    "bayesian_idata.nc": "the pymc-marketing MMM's InferenceData DataTree",
    "model.nc": "the saved DiceMMM (DiceMMM.load)",
    "data.csv": "the panel the models were fitted on (plus held-out dates)",
    "truth.nc": "the simulator's truth (graph, contributions, ROAS)",
}


def _verdict_class(v: str) -> str:
    if v == "ok":
        return "v-ok"
    if v in ("graph-support selection", "decoder bypass"):
        return "v-warn"
    return "v-na"


Item = tuple[str, Any]  # ("p" | "h3" | "table" | "img" | "verdict" | "files", value)
Block = tuple[str, str, list[Item]]  # (section id, heading, items)


class _Figures:
    """Saves figures into the report folder and records them as written files."""

    def __init__(self, out: Path, written: dict[str, Path]):
        self.out, self.written = out, written

    def __call__(self, name: str, fig) -> Item:
        fig.savefig(self.out / name, dpi=_DPI)
        self.written[name] = self.out / name
        return ("img", name)


def write_report(
    out: str | Path,
    rd: ReportData,
    *,
    netcdf: Mapping[str, xr.Dataset | xr.DataTree] | None = None,
) -> dict[str, Path]:
    """Write ``rd`` to the folder ``out`` (created): figures, ``index.html``, ``report.md``
    and each ``netcdf`` entry (``file name -> Dataset or DataTree``).

    Returns
    -------
    dict of str to Path
        Every file written, by name.

    Examples
    --------
    >>> import tempfile
    >>> from pymc_dice.attribution import compare
    >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
    >>> rd = collect({"toy": model}, data, compare({"toy": model}, data))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_report(tmp, rd)
    ...     "## Model comparison" in files["report.md"].read_text()
    True
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    img = _Figures(out, written)
    blocks = [
        _comparison_section(rd, img),
        _graph_section(rd, img),
        _influence_section(rd, img),
        _swap_section(rd, img),
        _contributions_section(rd, img),
        _forecast_section(rd, img),
    ]
    for name, obj in (netcdf or {}).items():
        path = out / name
        if path.exists():
            path.unlink()
        obj.to_netcdf(path)
        written[name] = path
    written["index.html"] = out / "index.html"
    written["report.md"] = out / "report.md"
    blocks.append(_files_section(out, written))
    (out / "index.html").write_text(_render_html(rd, blocks), encoding="utf-8")
    (out / "report.md").write_text(_render_md(rd, blocks), encoding="utf-8")
    return written


def _horizon(rd: ReportData) -> int:
    return int(rd.comparison.attrs.get("horizon", 7))


def _comparison_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_roas

    h = _horizon(rd)
    lead = (
        f"The same attribution tests on every model (pymc_dice.attribution): MSE@{h} of the "
        f"target on the first {h} held-out dates (scaled units); "
        + (
            "AR-CIG nAUPRC of the channel -> target influence against the true direct graph "
            "(1 perfect, 0 chance); mean |ROAS error| against the noise-free true ROAS; "
            if rd.has_truth
            else "no truth is known, so graph-recovery and ROAS-error columns are left out; "
        )
        + "placebo share: credit given to a channel known to have no effect. The graph-swap "
        "verdict needs a graph input (DiceMMM only)."
    )
    roas = roas_table(rd.comparison)
    items: list[Item] = [
        ("p", lead),
        (
            "h3",
            "ROAS per channel, with 90 % intervals"
            + (" against the truth" if rd.has_truth else ""),
        ),
        ("table", roas),
        ("h3", "Attribution tests"),
        ("table", summary_table(rd.comparison, rd.diagnostics, rd.dice_model)),
        img("roas.png", plot_roas(rd.comparison)),
    ]
    return ("comparison", SECTIONS["comparison"], items)


def _graph_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_graph

    heading = SECTIONS["graph"] if rd.true_graph is not None else "Learned graph"
    if rd.learned_graph is None:
        return ("graph", heading, [("p", "No DiceMMM in this report: no learned graph.")])
    lead = (
        "Edge probabilities of the DiceMMM's encoder (mean over series and seeds); the "
        "selected (deployed) support is outlined in red"
        + (", the true graph is on the right." if rd.true_graph is not None else ".")
    )
    fig = plot_graph(
        rd.learned_graph.round(2),  # two decimals: no overlapping 1e-07 labels
        rd.selected_graph,
        rd.true_graph,
        title="learned edge probability",
    )
    return ("graph", heading, [("p", lead), img("graph.png", fig)])


def _influence_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_channel_influence, plot_influence

    items: list[Item] = [
        (
            "p",
            "Counterfactual influence of each channel on the target, by finite differences of "
            "every model's forecasts on held-out dates (same units for all models); AR-CIG "
            f"sums the effect over {_horizon(rd)} closed-loop steps."
            + (" True direct edges are outlined in red." if rd.has_truth else ""),
        )
    ]
    fig = plot_channel_influence(rd.comparison, rd.true_graph, rd.target)
    if fig is not None:
        items.append(img("influence_channels.png", fig))
    else:
        items.append(("p", "Not available: too few held-out dates for the influence tests."))
    if rd.diagnostics is not None and "cig" in rd.diagnostics:
        items.append(("h3", f"DiceMMM ({rd.dice_model}): every node pair"))
        fig = plot_influence(rd.diagnostics, truth=rd.true_graph, candidates=rd.candidates)
        items.append(img("influence_dice.png", fig))
    return ("influence", SECTIONS["influence"], items)


def _swap_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_graph_swap

    diag = rd.diagnostics
    if diag is None or "graph_swap" not in diag:
        return ("swap", SECTIONS["swap"], [("p", "No DiceMMM diagnostics in this report.")])
    items: list[Item] = [
        ("verdict", str(diag["verdict"].values)),
        (
            "p",
            "One frozen DiceMMM decoder fed different graph inputs. If the oracle graph "
            "gives high nAUPRC but the learned one does not, the problem is graph-support "
            "selection; if even the oracle gives low nAUPRC, the decoder bypasses its graph.",
        ),
    ]
    swap = diag["graph_swap"]
    swap = swap.mean("chain") if "chain" in swap.dims else swap
    # metrics with no value for any input (nAUPRC without a reference graph) are left out
    metrics = [
        str(m)
        for m in swap["metric"].values
        if np.isfinite(swap.sel(metric=m).values.astype(float)).any()
    ]
    if len(metrics) < swap.sizes["metric"]:
        items.append(
            (
                "p",
                "No reference graph is known, so only the forecasts of the graph inputs are "
                "shown: influence nAUPRC and the verdict need the true (or a trusted) graph "
                "(pymc-dice diagnose --truth).",
            )
        )
    swap_df = swap.sel(metric=metrics).transpose("graph_input", "metric").to_pandas()
    swap_df = swap_df.reset_index()
    swap_df.columns = [str(c) for c in swap_df.columns]
    items.append(("table", swap_df))
    if metrics:
        items.append(img("graph_swap.png", plot_graph_swap(diag, metrics)))
    if "check_status" in diag:
        checks = pd.DataFrame(
            {
                "check": [str(c) for c in diag["check"].values],
                "status": [str(s) for s in diag["check_status"].values],
                "message": [str(s) for s in diag["check_message"].values],
            }
        )
        items += [("h3", "Review checks"), ("table", checks)]
    return ("swap", SECTIONS["swap"], items)


def _contributions_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_contribution_panels

    lead = (
        "Prediction with the actual spend minus the prediction with the channel's spend "
        "set to zero, in target units, summed over series (fitted dates)."
        + (
            " The bottom panel is the simulator's noise-free truth."
            if "truth" in rd.contributions
            else ""
        )
    )
    fig = plot_contribution_panels(rd.contributions, rd.target)
    return (
        "contributions",
        SECTIONS["contributions"],
        [("p", lead), img("contributions.png", fig)],
    )


def _forecast_section(rd: ReportData, img: _Figures) -> Block:
    from pymc_dice.plot import plot_model_forecasts

    lead = (
        "Observed target against each model's fitted values and its forecast of the "
        "held-out dates (DiceMMM: closed-loop rollout; pymc-marketing: posterior mean)."
    )
    fig = plot_model_forecasts(
        rd.models,
        observed=rd.observed,
        fitted=rd.fitted,
        forecast=rd.forecast,
        held_out_start=rd.held_out_start,
        target=rd.target,
    )
    return ("forecast", SECTIONS["forecast"], [("p", lead), img("forecast.png", fig)])


def _files_section(out: Path, written: Mapping[str, Path]) -> Block:
    present = sorted(
        {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")} | set(written)
    )
    files = [(n, _FILES.get(n, "figure" if n.endswith(".png") else "")) for n in present]
    return ("files", SECTIONS["files"], [("files", files)])


def _render_html(rd: ReportData, blocks) -> str:
    meta = "".join(f"<p><b>{html.escape(k)}:</b> {html.escape(v)}</p>" for k, v in rd.meta.items())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(rd.title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(rd.title)}</h1>{meta}</header><main>",
    ]
    for sid, heading, items in blocks:
        parts.append(f"<section id='{sid}'><h2>{html.escape(heading)}</h2>")
        for kind, value in items:
            if kind == "p":
                parts.append(f"<p class='lead'>{html.escape(value)}</p>")
            elif kind == "h3":
                parts.append(f"<h3>{html.escape(value)}</h3>")
            elif kind == "table":
                parts.append(html_table(value))
            elif kind == "img":
                parts.append(f"<img src='{html.escape(value)}' alt='{html.escape(value)}'>")
            elif kind == "verdict":
                parts.append(
                    f"<p>Verdict: <span class='verdict {_verdict_class(value)}'>"
                    f"{html.escape(value)}</span></p>"
                )
            elif kind == "files":
                lis = "".join(
                    f"<li><a href='{html.escape(n)}'>{html.escape(n)}</a> {html.escape(d)}</li>"
                    for n, d in value
                )
                parts.append(f"<ul class='files'>{lis}</ul>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _render_md(rd: ReportData, blocks) -> str:
    lines = [f"# {rd.title}", ""]
    lines += [f"- **{k}:** {v}" for k, v in rd.meta.items()]
    for _sid, heading, items in blocks:
        lines += ["", f"## {heading}", ""]
        for kind, value in items:
            if kind == "p":
                lines += [value, ""]
            elif kind == "h3":
                lines += [f"### {value}", ""]
            elif kind == "table":
                lines += [md_table(value), ""]
            elif kind == "img":
                lines += [f"![{value}]({value})", ""]
            elif kind == "verdict":
                lines += [f"**Verdict: {value}**", ""]
            elif kind == "files":
                lines += [f"- `{n}` {d}" for n, d in value]
    return "\n".join(lines).rstrip() + "\n"


def build_report(
    out: str | Path,
    models: Mapping[str, Any],
    data: pd.DataFrame,
    comparison: xr.Dataset,
    *,
    diagnostics: xr.Dataset | None = None,
    truth: Any = None,
    title: str = "pymc-dice report",
    meta: Mapping[str, str] | None = None,
    netcdf: Mapping[str, xr.Dataset | xr.DataTree] | None = None,
) -> dict[str, Path]:
    """:func:`collect` then :func:`write_report`; the DiceMMM's ``idata`` goes to
    ``idata.nc``, ``diagnostics`` to ``diagnostics.nc`` and ``comparison`` to
    ``attribution.nc`` (plus any ``netcdf`` entries).

    Examples
    --------
    >>> import tempfile
    >>> from pymc_dice.attribution import compare
    >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = build_report(tmp, {"toy": model}, data, compare({"toy": model}, data))
    ...     sorted(n for n in files if not n.endswith(".png"))
    ['attribution.nc', 'index.html', 'report.md']
    """
    rd = collect(
        models, data, comparison, diagnostics=diagnostics, truth=truth, title=title, meta=meta
    )
    files: dict[str, xr.Dataset | xr.DataTree] = {"attribution.nc": _netcdf_safe(comparison)}
    if rd.dice_model is not None:
        dice = models[rd.dice_model]
        files["idata.nc"] = dice.idata
    if diagnostics is not None:
        files["diagnostics.nc"] = _netcdf_safe(diagnostics)
    files.update(netcdf or {})
    return write_report(out, rd, netcdf=files)


def _netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """Attributes netCDF can store (str / numbers); others as their ``str``."""
    ds = ds.copy()
    ds.attrs = {
        k: v if isinstance(v, str | int | float | np.number) else str(v)
        for k, v in ds.attrs.items()
    }
    return ds
