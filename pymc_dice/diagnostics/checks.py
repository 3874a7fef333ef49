"""Review checks and verdicts on a graph-swap table (docs/concepts.md, "Verdicts").

Modelled on Google Meridian's ``analysis/review``: each check is a small frozen pydantic
model whose fields are its validated thresholds; ``check.run(swap)`` returns a frozen
:class:`CheckResult` with a :class:`Status`, the numbers it used, a message, and a one-sentence
recommendation. :func:`run_checks` runs them all, :func:`verdict` localises the problem as one
of ``"ok"``, ``"graph-support selection"`` or ``"decoder bypass"``, and :func:`report` /
:func:`to_markdown` render the results.

Input layout: an ``xarray.Dataset`` (or the ``dice`` DataTree node) with a DataArray
``graph_swap`` of dims ``("graph_input", "metric")``, optionally with a leading ``chain`` dim
(a seed ensemble: checks use the mean over chains and report the spread). ``graph_input``
labels: ``learned`` (edge probabilities), ``selected`` (binary support), ``oracle`` (only
when the true graph is known), ``empty``, ``full``, ``random``. ``metric`` labels:
``mse_target@7``, ``mse_all@7``, ``cig_nauprc``, ``ar_cig_nauprc``. Missing inputs, missing
metrics and NaN values never crash a check: it returns ``REVIEW`` with ``skipped=True`` and
says what is missing.

Default thresholds (argued where they are defined below):

- nAUPRC >= 0.5 is "high" (aligned), nAUPRC < 0.2 is "low" (not distinguishable from chance
  on small graphs);
- a graph input "is used" when the oracle beats a random graph by >= 0.3 nAUPRC, and "is not
  used" below a 0.1 gap;
- a forecast is "comparable" to the best graph input within a 1.25 MSE ratio.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pymc_dice.diagnostics.swap_table import SwapTable, first_available, swap_values

__all__ = [
    "BypassCheck",
    "CheckResult",
    "ForecastAttributionCheck",
    "GraphUseCheck",
    "Status",
    "SupportSelectionCheck",
    "Verdict",
    "report",
    "run_checks",
    "to_markdown",
    "verdict",
]

Verdict = Literal["ok", "graph-support selection", "decoder bypass"]

# nAUPRC = 0.5 is half-way from a chance ranking (0) to a perfect one (1): the influence ranks
# true edges clearly above the rest. Every aligned figure of the paper sits well above it
# (oracle 0.807 +- 0.129 across seeds, oracle swap 0.894 +- 0.027) and every bypassed one far
# below (learned swap -0.044 +- 0.006, nograph/fullgraph near or below 0).
NAUPRC_HIGH = 0.5
# nAUPRC < 0.2 is "low": untied random scores already average (H_N - 1) / (N - 1) = 0.14 on
# the 19 candidate edges of an 8-node sparse_target panel (sd about 0.19), so below 0.2 the
# influence is not distinguishable from chance on graphs of that size.
NAUPRC_LOW = 0.2
# A graph input is "used" when swapping the oracle for a same-density random graph costs >= 0.3
# nAUPRC (more than twice the oracle's seed-to-seed sd of 0.129), and "not used" below 0.1,
# which is within seed noise.
GRAPH_USE_PASS_GAP = 0.3
GRAPH_USE_FAIL_GAP = 0.1
# The learned graph is "as good as the oracle" when it trails it by < 0.2 nAUPRC, about 1.5
# seed sds of the oracle's own nAUPRC: a smaller shortfall is not a selection problem.
SUPPORT_MIN_GAP = 0.2
# Closed-loop MSE@7 typically varies by 10-20% across seeds, so a forecast within 25% of the
# best graph input's would be accepted by anyone choosing models by forecast accuracy: that is
# the trap the forecast-attribution check guards against.
FORECAST_MSE_RATIO = 1.25


class Status(enum.StrEnum):
    """Outcome of one check.

    Examples
    --------
    >>> Status.FAIL.value, Status("REVIEW") is Status.REVIEW
    ('FAIL', True)
    """

    PASS = "PASS"
    REVIEW = "REVIEW"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    """The frozen outcome of one check.

    Attributes
    ----------
    name : str
        The check's name (``graph_use``, ``bypass``, ``support_selection``,
        ``forecast_attribution``).
    status : Status
        PASS, REVIEW or FAIL.
    values : Mapping[str, float]
        The chain-mean numbers the check used (``*_sd``: sd over chains, when there are
        several).
    message : str
        What was found.
    recommendation : str
        One sentence telling the user what to do.
    skipped : bool
        True when the check could not be evaluated (missing oracle, input, metric or NaN);
        the status is then REVIEW.

    Examples
    --------
    >>> r = CheckResult("bypass", Status.PASS, {"oracle": 0.9}, "fine", "Nothing to do.")
    >>> str(r)
    '[PASS] bypass: fine Nothing to do.'
    """

    name: str
    status: Status
    values: Mapping[str, float] = field(default_factory=dict)
    message: str = ""
    recommendation: str = ""
    skipped: bool = False

    def __str__(self) -> str:
        return f"[{self.status.value}] {self.name}: {self.message} {self.recommendation}".strip()


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


class _Check(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str] = "check"

    metric: str = Field(
        default="ar_cig_nauprc", min_length=1, description="nAUPRC metric label to read"
    )

    def run(self, swap: Any) -> CheckResult:
        """Run the check on a swap Dataset (see the module docstring)."""
        return self._evaluate(SwapTable(swap))

    def _evaluate(self, table: SwapTable) -> CheckResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _skip(self, table: SwapTable, what: str, recommendation: str) -> CheckResult:
        return CheckResult(
            self.name,
            Status.REVIEW,
            {},
            f"not evaluated: {what} (graph inputs {table.inputs}, metrics {table.metrics}).",
            recommendation,
            skipped=True,
        )


class _Levels(_Check):
    high: float = Field(default=NAUPRC_HIGH, gt=0, le=1, description="nAUPRC called high")
    low: float = Field(default=NAUPRC_LOW, gt=0, le=1, description="nAUPRC called low")

    @model_validator(mode="after")
    def _ordered(self) -> _Levels:
        if not self.low < self.high:
            raise ValueError(
                f"{type(self).__name__}: need low < high, got low={self.low}, high={self.high}"
            )
        return self


class GraphUseCheck(_Check):
    """Does the decoder use its graph input at all?

    Gap in nAUPRC between the oracle graph input and a baseline input (``random``, same
    density as the oracle; else ``full``, else ``empty``). Without an oracle the ``selected``
    (else ``learned``) input stands in for it. PASS if gap >= ``pass_gap``, FAIL if
    gap < ``fail_gap``, REVIEW in between.

    Examples
    --------
    >>> import xarray as xr
    >>> swap = xr.Dataset({"graph_swap": xr.DataArray(
    ...     [[0.9], [0.05]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "random"], "metric": ["ar_cig_nauprc"]})})
    >>> r = GraphUseCheck().run(swap)
    >>> r.status.value, round(r.values["gap"], 2)
    ('PASS', 0.85)
    >>> GraphUseCheck(pass_gap=0.05, fail_gap=0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: ...
    """

    name: ClassVar[str] = "graph_use"

    pass_gap: float = Field(default=GRAPH_USE_PASS_GAP, gt=0, le=2)
    fail_gap: float = Field(default=GRAPH_USE_FAIL_GAP, gt=0, le=2)
    baselines: tuple[str, ...] = Field(default=("random", "full", "empty"), min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> GraphUseCheck:
        if not self.fail_gap < self.pass_gap:
            raise ValueError(
                f"GraphUseCheck: need fail_gap < pass_gap, got fail_gap={self.fail_gap}, "
                f"pass_gap={self.pass_gap}"
            )
        return self

    def _evaluate(self, table: SwapTable) -> CheckResult:
        ref = first_available(table, ("oracle", "selected", "learned"), self.metric)
        base = first_available(table, self.baselines, self.metric)
        if ref is None or base is None:
            return self._skip(
                table,
                f"needs {self.metric!r} for the oracle (or selected/learned) input and for one "
                f"of {list(self.baselines)}",
                "Run the graph swap with a random graph input and score its influence.",
            )
        (rname, r), (bname, b) = ref, base
        gap = r.mean - b.mean
        vals = swap_values(**{rname: r, bname: b, "gap": gap})
        found = (
            f"{self.metric} with the {rname} graph {r.text()} vs the {bname} graph "
            f"{b.text()}: gap {gap:.3f}"
        )
        if rname != "oracle":
            found += f" (no oracle input: the {rname} graph stands in for it)"
        if gap >= self.pass_gap:
            return CheckResult(
                self.name,
                Status.PASS,
                vals,
                f"The decoder uses its graph input: {found}.",
                "No action needed.",
            )
        if gap < self.fail_gap:
            return CheckResult(
                self.name,
                Status.FAIL,
                vals,
                f"The decoder's influence barely changes with its graph input: {found}.",
                "Use a graph-safe decoder whose only cross-node route is the graph (docs/concepts.md) "
                "before reading its graph as the attribution.",
            )
        return CheckResult(
            self.name,
            Status.REVIEW,
            vals,
            f"The decoder uses its graph input only partly: {found}.",
            "Check the decoder for cross-node paths that bypass the graph and rerun with more "
            "seeds to tighten the gap.",
        )


class BypassCheck(_Levels):
    """Decoder bypass: even the oracle graph input gives low nAUPRC.

    Reads nAUPRC of the ``oracle`` input (without an oracle: ``selected``, else ``learned``,
    which then should have been scored against that same reported graph). PASS if
    >= ``high``, FAIL if < ``low``, REVIEW in between.

    Examples
    --------
    >>> import xarray as xr
    >>> swap = xr.Dataset({"graph_swap": xr.DataArray(
    ...     [[0.05], [0.0]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "learned"], "metric": ["ar_cig_nauprc"]})})
    >>> BypassCheck().run(swap).status.value
    'FAIL'
    """

    name: ClassVar[str] = "bypass"

    def _evaluate(self, table: SwapTable) -> CheckResult:
        ref = first_available(table, ("oracle", "selected", "learned"), self.metric)
        if ref is None:
            return self._skip(
                table,
                f"needs {self.metric!r} for the oracle (or selected/learned) input",
                "Score the influence of the swapped decoder against a reference graph.",
            )
        rname, r = ref
        vals = swap_values(**{rname: r})
        found = f"{self.metric} with the {rname} graph input is {r.text()}"
        if rname != "oracle":
            found += (
                f" (no oracle input: the {rname} graph stands in for it, read against the "
                "reference graph its influence was scored on)"
            )
        if r.mean >= self.high:
            return CheckResult(
                self.name,
                Status.PASS,
                vals,
                f"The decoder's influence follows its graph: {found} >= {self.high}.",
                "No action needed.",
            )
        if r.mean < self.low:
            return CheckResult(
                self.name,
                Status.FAIL,
                vals,
                f"Decoder bypass: {found} < {self.low}, so the influence ignores the graph.",
                "Do not report this model's graph as the attribution: retrain with a graph-safe "
                "decoder (no cross-node path except the graph, weak own history).",
            )
        return CheckResult(
            self.name,
            Status.REVIEW,
            vals,
            f"The influence only partly follows the graph: {found}, between {self.low} and "
            f"{self.high}.",
            "Weaken the decoder's own-history and latent paths, or add seeds to see whether "
            "the alignment is stable.",
        )


class SupportSelectionCheck(_Levels):
    """Graph-support selection bottleneck: oracle high, learned/selected low.

    Needs the ``oracle`` input (REVIEW/skipped without one). Compares it with the first
    present of ``learned_inputs`` (default the deployable ``selected`` graph, else the
    ``learned`` probabilities). PASS if the learned input is >= ``high`` or trails the oracle
    by < ``min_gap``; FAIL if the oracle is >= ``high`` and the learned input < ``low``;
    REVIEW otherwise.

    Examples
    --------
    >>> import xarray as xr
    >>> swap = xr.Dataset({"graph_swap": xr.DataArray(
    ...     [[0.89], [-0.04]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "selected"], "metric": ["ar_cig_nauprc"]})})
    >>> SupportSelectionCheck().run(swap).status.value
    'FAIL'
    """

    name: ClassVar[str] = "support_selection"

    min_gap: float = Field(default=SUPPORT_MIN_GAP, gt=0, le=2)
    learned_inputs: tuple[str, ...] = Field(default=("selected", "learned"), min_length=1)

    def _evaluate(self, table: SwapTable) -> CheckResult:
        o = table.get("oracle", self.metric)
        if o is None:
            return self._skip(
                table,
                f"needs {self.metric!r} for the oracle graph input, which exists only when the "
                "true graph is known",
                "Run the same diagnostics on simulated data with a known graph (pymc_dice "
                "simulator) to tell selection problems from decoder bypass.",
            )
        learned = first_available(table, self.learned_inputs, self.metric)
        if learned is None:
            return self._skip(
                table,
                f"needs {self.metric!r} for one of the inputs {list(self.learned_inputs)}",
                "Include the learned and selected graphs in the graph swap.",
            )
        lname, s = learned
        shortfall = o.mean - s.mean
        vals = swap_values(**{"oracle": o, lname: s, "shortfall": shortfall})
        found = (
            f"{self.metric} with the {lname} graph {s.text()} vs the oracle {o.text()} "
            f"(shortfall {shortfall:.3f})"
        )
        if s.mean >= self.high or shortfall < self.min_gap:
            note = "" if o.mean >= self.high else "; both are low: see the bypass check"
            return CheckResult(
                self.name,
                Status.PASS,
                vals,
                f"Support selection is not the bottleneck: {found}{note}.",
                "No action needed.",
            )
        if o.mean >= self.high and s.mean < self.low:
            return CheckResult(
                self.name,
                Status.FAIL,
                vals,
                f"Graph-support selection bottleneck: the decoder follows the oracle graph but "
                f"not the {lname} one: {found}.",
                "Improve support selection (stability selection over seeds, or the sparsest "
                "graph within one SE of the best validation MSE@h) rather than the decoder.",
            )
        return CheckResult(
            self.name,
            Status.REVIEW,
            vals,
            f"The {lname} graph trails the oracle: {found}.",
            "Compare selection rules (threshold, top-k, stability, validation MSE) and keep "
            "the one whose graph's nAUPRC is closest to the oracle's.",
        )


class ForecastAttributionCheck(_Levels):
    """Forecast-attribution divergence: good forecast, misaligned attribution.

    The learned input (first present of ``learned_inputs``) has MSE within ``mse_ratio`` of
    the best graph input's (lowest MSE of all inputs), yet its nAUPRC is < ``low``: FAIL.
    PASS if its nAUPRC is >= ``high``; REVIEW otherwise (middling nAUPRC, or a worse forecast
    too). ``mse_metric`` defaults to the only ``mse_target@h`` metric of the table.

    Examples
    --------
    >>> import xarray as xr
    >>> swap = xr.Dataset({"graph_swap": xr.DataArray(
    ...     [[0.0040, 0.9], [0.0042, -0.04]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "learned"],
    ...             "metric": ["mse_target@7", "ar_cig_nauprc"]})})
    >>> r = ForecastAttributionCheck(learned_inputs=("learned",)).run(swap)
    >>> r.status.value, round(r.values["mse_ratio"], 2)
    ('FAIL', 1.05)
    """

    name: ClassVar[str] = "forecast_attribution"

    mse_metric: str | None = Field(default=None, description="e.g. 'mse_target@7'")
    mse_ratio: float = Field(default=FORECAST_MSE_RATIO, ge=1, allow_inf_nan=False)
    learned_inputs: tuple[str, ...] = Field(default=("selected", "learned"), min_length=1)

    def _evaluate(self, table: SwapTable) -> CheckResult:
        mse_metric = self.mse_metric
        if mse_metric is None:
            found = [m for m in table.metrics if m.startswith("mse_target@")]
            if len(found) != 1:
                return self._skip(
                    table,
                    f"cannot pick the MSE metric automatically (found {found})",
                    "Set ForecastAttributionCheck(mse_metric=...) to one of the table's metrics.",
                )
            mse_metric = found[0]
        learned = first_available(table, self.learned_inputs, self.metric)
        mse_best = [(g, v) for g in table.inputs if (v := table.get(g, mse_metric)) is not None]
        lname = learned[0] if learned is not None else None
        mse_l = table.get(lname, mse_metric) if lname is not None else None
        if learned is None or mse_l is None:
            return self._skip(
                table,
                f"needs {self.metric!r} and {mse_metric!r} for one of {list(self.learned_inputs)}",
                "Include the learned graph input and its MSE@h in the graph swap.",
            )
        n = learned[1]
        bname, best = min(mse_best, key=lambda gv: gv[1].mean)
        if best.mean > 0:
            ratio = mse_l.mean / best.mean
        else:
            ratio = 1.0 if mse_l.mean <= best.mean else math.inf
        vals = swap_values(
            **{f"{lname}_nauprc": n, f"{lname}_mse": mse_l, "best_mse": best, "mse_ratio": ratio}
        )
        found = (
            f"{mse_metric} of the {lname} graph {mse_l.text('.4g')} is {ratio:.2f}x the best "
            f"({bname}, {best.text('.4g')}); its {self.metric} is {n.text()}"
        )
        if n.mean >= self.high:
            return CheckResult(
                self.name,
                Status.PASS,
                vals,
                f"Forecast and attribution agree: {found}.",
                "No action needed.",
            )
        if ratio <= self.mse_ratio and n.mean < self.low:
            return CheckResult(
                self.name,
                Status.FAIL,
                vals,
                f"Forecasting is not attribution: {found}, so a good forecast hides a "
                "misaligned attribution.",
                "Do not select or trust this model's attribution by forecast accuracy; judge it "
                "by the graph-swap nAUPRC instead.",
            )
        if ratio > self.mse_ratio:
            return CheckResult(
                self.name,
                Status.REVIEW,
                vals,
                f"The {lname} graph is weaker for both forecast and attribution: {found}.",
                "Retrain or reselect the graph: it is not competitive on either count.",
            )
        return CheckResult(
            self.name,
            Status.REVIEW,
            vals,
            f"Comparable forecast, middling attribution: {found}.",
            "Treat the attribution as tentative and confirm it with more seeds or the oracle "
            "comparison on simulated data.",
        )


# --------------------------------------------------------------------------------------------
# running, verdict, rendering
# --------------------------------------------------------------------------------------------

_DEFAULT_CHECKS: tuple[type[_Check], ...] = (
    GraphUseCheck,
    BypassCheck,
    SupportSelectionCheck,
    ForecastAttributionCheck,
)


def run_checks(swap: Any, configs: Iterable[_Check] | None = None) -> list[CheckResult]:
    """Run every review check on a graph-swap table.

    Parameters
    ----------
    swap : xarray.Dataset, xarray.DataArray or DataTree node
        Holds ``graph_swap`` (dims ``[chain,] graph_input, metric``).
    configs : iterable of check instances, optional
        Checks with non-default thresholds; each replaces the default check of its type
        (the other defaults still run). Instances of other ``_Check`` subclasses are appended.

    Returns
    -------
    list of CheckResult
        In the order graph_use, bypass, support_selection, forecast_attribution.

    Examples
    --------
    >>> import xarray as xr
    >>> swap = xr.Dataset({"graph_swap": xr.DataArray(
    ...     [[0.004, 0.9], [0.0042, -0.04], [0.004, 0.05]], dims=("graph_input", "metric"),
    ...     coords={"graph_input": ["oracle", "selected", "random"],
    ...             "metric": ["mse_target@7", "ar_cig_nauprc"]})})
    >>> [r.status.value for r in run_checks(swap, [BypassCheck(high=0.8, low=0.3)])]
    ['PASS', 'PASS', 'FAIL', 'FAIL']
    """
    checks: list[_Check] = [cls() for cls in _DEFAULT_CHECKS]
    seen: set[type] = set()
    for cfg in configs or ():
        if not isinstance(cfg, _Check):
            raise TypeError(
                f"configs must hold check instances such as BypassCheck(high=0.6), got "
                f"{type(cfg).__name__}"
            )
        if type(cfg) in seen:
            raise ValueError(f"configs has more than one {type(cfg).__name__}")
        seen.add(type(cfg))
        for k, default in enumerate(checks):
            if type(default) is type(cfg):
                checks[k] = cfg
                break
        else:
            checks.append(cfg)
    table = SwapTable(swap)
    return [c._evaluate(table) for c in checks]


def verdict(results: Iterable[CheckResult]) -> Verdict:
    """Localise the problem from check results: one of the three verdicts of docs/concepts.md.

    Decision list (skipped checks are ignored; forecast_attribution never decides):

    1. ``bypass`` or ``graph_use`` FAIL -> ``"decoder bypass"`` (even the oracle gives low
       nAUPRC, or the influence does not depend on the graph input);
    2. ``support_selection`` FAIL or REVIEW -> ``"graph-support selection"`` (the oracle does
       clearly better than the learned graph);
    3. ``bypass`` REVIEW -> ``"decoder bypass"`` (the learned graph is as good as the oracle,
       but even the oracle is only partly followed);
    4. otherwise ``"ok"`` (learned graph aligned).

    Without an oracle input, only rules 1, 3 and 4 can fire, read on the selected graph.

    Raises
    ------
    ValueError
        If neither the bypass nor the support-selection check could be evaluated (no
        nAUPRC at all): there is nothing to localise.

    Examples
    --------
    >>> rs = [CheckResult("bypass", Status.PASS), CheckResult("support_selection", Status.FAIL)]
    >>> verdict(rs)
    'graph-support selection'
    """
    by = {r.name: r for r in results if not r.skipped}
    if "bypass" not in by and "support_selection" not in by:
        raise ValueError(
            "verdict: neither the bypass nor the support_selection check could be evaluated "
            "(no nAUPRC for the oracle, selected or learned graph inputs); score the graph "
            "swap's influence against a reference graph first"
        )

    def status(name: str) -> Status | None:
        return by[name].status if name in by else None

    if Status.FAIL in (status("bypass"), status("graph_use")):
        return "decoder bypass"
    if status("support_selection") in (Status.FAIL, Status.REVIEW):
        return "graph-support selection"
    if status("bypass") is Status.REVIEW:
        return "decoder bypass"
    return "ok"


def _fmt_values(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in values.items())


def report(results: Iterable[CheckResult]) -> pd.DataFrame:
    """One row per check: name, status, skipped, values, message, recommendation.

    Examples
    --------
    >>> df = report([CheckResult("bypass", Status.PASS, {"oracle": 0.9}, "fine", "None.")])
    >>> df.loc[0, ["check", "status", "values"]].tolist()
    ['bypass', 'PASS', 'oracle=0.9']
    """
    rows = [
        {
            "check": r.name,
            "status": r.status.value,
            "skipped": r.skipped,
            "values": _fmt_values(r.values),
            "message": r.message,
            "recommendation": r.recommendation,
        }
        for r in results
    ]
    cols = ["check", "status", "skipped", "values", "message", "recommendation"]
    return pd.DataFrame(rows, columns=cols)


def to_markdown(results: Sequence[CheckResult]) -> str:
    """Render results as a Markdown table preceded by the verdict (no extra dependency).

    Examples
    --------
    >>> rs = [CheckResult("bypass", Status.FAIL, {"oracle": 0.05}, "low", "Retrain.")]
    >>> print(to_markdown(rs))
    **Verdict: decoder bypass**
    <BLANKLINE>
    | check | status | values | message | recommendation |
    |---|---|---|---|---|
    | bypass | FAIL | oracle=0.05 | low | Retrain. |
    """
    results = list(results)
    try:
        head = f"**Verdict: {verdict(results)}**"
    except ValueError as err:
        head = f"**Verdict: not available** ({err})"

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        head,
        "",
        "| check | status | values | message | recommendation |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        status = r.status.value + (" (skipped)" if r.skipped else "")
        lines.append(
            f"| {cell(r.name)} | {status} | {cell(_fmt_values(r.values))} | "
            f"{cell(r.message)} | {cell(r.recommendation)} |"
        )
    return "\n".join(lines)
