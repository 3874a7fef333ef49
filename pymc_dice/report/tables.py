"""Tables of a report: the one-row-per-model summary, ROAS per channel, and their Markdown /
HTML forms."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["format_value", "html_table", "md_table", "roas_table", "summary_table"]


def _scalar(ds: xr.Dataset, name: str, model: str) -> float:
    if name not in ds:
        return float("nan")
    return float(ds[name].sel(model=model))


def summary_table(
    comparison: xr.Dataset,
    diagnostics: xr.Dataset | None = None,
    dice_model: str | None = None,
) -> pd.DataFrame:
    """One row per model: MSE@h, AR-CIG nAUPRC, graph-swap verdict, mean |ROAS error|,
    placebo share. Columns that are NaN for every model (no truth, no placebo) are dropped.

    Parameters
    ----------
    comparison : xr.Dataset
        :func:`pymc_dice.attribution.compare` result (``model`` dim).
    diagnostics : xr.Dataset, optional
        :meth:`DiceMMM.diagnose` result of the model labelled ``dice_model``.
    dice_model : str, optional
        Label of the DiceMMM in ``comparison``.

    Examples
    --------
    >>> ds = xr.Dataset({"mse_target": ("model", [0.1, 0.2]),
    ...                  "ar_cig_nauprc": ("model", [np.nan, np.nan])},
    ...                 coords={"model": ["bayesian", "dice"],
    ...                         "model_type": ("model", ["pymc-marketing", "dice"])})
    >>> diag = xr.Dataset({"verdict": ((), "ok")})
    >>> summary_table(ds, diag, "dice").to_dict("records")[1]
    {'model': 'dice', 'type': 'dice', 'MSE@7': 0.2, 'graph-swap verdict': 'ok'}
    """
    h = int(comparison.attrs.get("horizon", 7))
    rows = []
    for m in [str(v) for v in comparison["model"].values]:
        kind = (
            str(comparison["model_type"].sel(model=m).values)
            if "model_type" in comparison.coords
            else ""
        )
        if diagnostics is not None and m == dice_model and "verdict" in diagnostics:
            verdict = str(diagnostics["verdict"].values)
        elif kind == "dice":
            verdict = "not run"
        else:
            verdict = "n/a (no graph input)"
        rows.append(
            {
                "model": m,
                "type": kind,
                f"MSE@{h}": _scalar(comparison, "mse_target", m),
                "AR-CIG nAUPRC": _scalar(comparison, "ar_cig_nauprc", m),
                "graph-swap verdict": verdict,
                "mean |ROAS error|": _scalar(comparison, "roas_abs_error_mean", m),
                "placebo share": _scalar(comparison, "placebo_share", m),
            }
        )
    table = pd.DataFrame(rows)
    numeric = [c for c in table.columns if c not in ("model", "type", "graph-swap verdict")]
    drop = [c for c in numeric if table[c].isna().all() and c != f"MSE@{h}"]
    return table.drop(columns=drop)


def roas_table(ds: xr.Dataset) -> pd.DataFrame:
    """ROAS per channel (rows) of every model of a :func:`pymc_dice.attribution.compare`
    result: the estimate with its 90 % interval over posterior draws (``"<model>"``, text
    ``"2.1 [1.8, 2.4]"``), the truth (``"truth"``) and each model's relative error
    (``"<model> error"``) when the truth is known.

    Examples
    --------
    >>> ds = xr.Dataset({"roas": (("model", "channel"), [[1.0, 2.0]]),
    ...                  "roas_lower": (("model", "channel"), [[0.8, 1.5]]),
    ...                  "roas_upper": (("model", "channel"), [[1.3, 2.6]]),
    ...                  "true_roas": (("model", "channel"), [[1.1, 2.0]])},
    ...                 coords={"model": ["dice"], "channel": ["tv", "radio"]})
    >>> roas_table(ds).to_dict("records")[0]
    {'channel': 'tv', 'truth': 1.1, 'dice': '1 [0.8, 1.3]', 'dice error': '-9 %'}
    """
    out: dict[str, Any] = {}
    true = None
    if "true_roas" in ds:
        t = ds["true_roas"].max("model", skipna=True).to_series()
        if np.isfinite(t.values).any():
            true = out["truth"] = t
    for m in [str(v) for v in ds["model"].values]:
        est = ds["roas"].sel(model=m).to_series()
        if "roas_lower" in ds and np.isfinite(ds["roas_lower"].sel(model=m).values).any():
            lo = ds["roas_lower"].sel(model=m).to_series()
            hi = ds["roas_upper"].sel(model=m).to_series()
            out[m] = [
                f"{format_value(e)} [{format_value(a)}, {format_value(b)}]"
                for e, a, b in zip(est, lo, hi, strict=True)
            ]
        else:
            out[m] = est
        if true is not None:
            rel = (est - true) / true.where(true != 0)
            out[f"{m} error"] = [f"{v:+.0%}".replace("%", " %") if np.isfinite(v) else "–"
                                 for v in rel]  # fmt: skip
    table = pd.DataFrame(out, index=ds["channel"].values)
    table.index.name = "channel"
    return table.reset_index()


def format_value(v: Any) -> str:
    """A table cell as text: floats to 3 significant digits, NaN as a dash.

    Examples
    --------
    >>> format_value(0.123456), format_value(float("nan")), format_value(1e-5), format_value("ok")
    ('0.123', '–', '1.00e-05', 'ok')
    """
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            return "–"
        return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"
    return str(v)


def md_table(df: pd.DataFrame) -> str:
    """A Markdown table of ``df`` (cells through :func:`format_value`, ``|`` escaped).

    Examples
    --------
    >>> print(md_table(pd.DataFrame({"model": ["a|b"], "MSE@7": [0.5]})))
    | model | MSE@7 |
    |---|---|
    | a\\|b | 0.5 |
    """
    cols = [str(c).replace("|", "\\|") for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(format_value(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def html_table(df: pd.DataFrame) -> str:
    """An HTML table of ``df`` (cells through :func:`format_value`, numbers right-aligned).

    Examples
    --------
    >>> html_table(pd.DataFrame({"x": [0.5]}))
    '<table><thead><tr><th>x</th></tr></thead><tbody><tr><td class="num">0.5</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            cls = ' class="num"' if isinstance(v, float | np.floating) else ""
            cells.append(f"<td{cls}>{html.escape(format_value(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
