"""Tests of pymc_dice.diagnostics.checks: review checks and verdicts on graph-swap tables."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pydantic import ValidationError

from pymc_dice.diagnostics.checks import (
    BypassCheck,
    CheckResult,
    ForecastAttributionCheck,
    GraphUseCheck,
    Status,
    SupportSelectionCheck,
    report,
    run_checks,
    to_markdown,
    verdict,
)

METRICS = ["mse_target@7", "mse_all@7", "cig_nauprc", "ar_cig_nauprc"]


def swap(rows, chains=None):
    """Build a swap Dataset from ``{input: (mse_target, ar_cig_nauprc)}``.

    With ``chains``, each value may be a list (one per chain).
    """
    inputs = list(rows)
    data = []
    for g in inputs:
        mse, nau = rows[g]
        data.append([mse, mse, nau, nau])  # cig_nauprc mirrors ar_cig_nauprc here
    arr = np.array(data, dtype=object)
    if chains:
        arr = np.stack(
            [
                np.vectorize(lambda v, c=c: v[c] if isinstance(v, list) else v)(arr)
                for c in range(chains)
            ]
        ).astype(float)
        da = xr.DataArray(arr, dims=("chain", "graph_input", "metric"))
    else:
        da = xr.DataArray(arr.astype(float), dims=("graph_input", "metric"))
    da = da.assign_coords(graph_input=inputs, metric=METRICS)
    return xr.Dataset({"graph_swap": da})


OK = {
    "learned": (0.0040, 0.80),
    "selected": (0.0041, 0.85),
    "oracle": (0.0040, 0.90),
    "empty": (0.0100, 0.00),
    "full": (0.0042, 0.30),
    "random": (0.0070, 0.05),
}
SELECTION = {  # the paper's finding: one frozen decoder, learned -0.044, oracle 0.894
    "learned": (0.0041, -0.040),
    "selected": (0.0042, -0.044),
    "oracle": (0.0040, 0.894),
    "empty": (0.0100, 0.000),
    "full": (0.0041, 0.050),
    "random": (0.0060, 0.020),
}
BYPASS = {
    "learned": (0.0040, 0.01),
    "selected": (0.0040, 0.00),
    "oracle": (0.0040, 0.05),
    "empty": (0.0040, 0.02),
    "full": (0.0040, 0.04),
    "random": (0.0040, 0.03),
}


def by_name(results):
    return {r.name: r for r in results}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(OK, "ok"), (SELECTION, "graph-support selection"), (BYPASS, "decoder bypass")],
)
def test_three_verdicts(rows, expected):
    results = run_checks(swap(rows))
    assert [r.name for r in results] == [
        "graph_use",
        "bypass",
        "support_selection",
        "forecast_attribution",
    ]
    assert verdict(results) == expected
    assert f"Verdict: {expected}" in to_markdown(results)


def test_paper_finding_statuses():
    r = by_name(run_checks(swap(SELECTION)))
    assert r["bypass"].status is Status.PASS
    assert r["support_selection"].status is Status.FAIL
    assert r["graph_use"].status is Status.PASS
    assert r["forecast_attribution"].status is Status.FAIL  # good MSE, nAUPRC -0.044
    assert r["support_selection"].values["selected"] == pytest.approx(-0.044)
    assert all(res.recommendation.endswith(".") for res in r.values())


@pytest.mark.parametrize(
    ("gap", "status"),
    [(0.31, Status.PASS), (0.29, Status.REVIEW), (0.11, Status.REVIEW), (0.09, Status.FAIL)],
)
def test_graph_use_thresholds(gap, status):
    ds = swap({"oracle": (0.004, 0.4 + gap), "random": (0.004, 0.4)})
    assert GraphUseCheck().run(ds).status is status


@pytest.mark.parametrize(
    ("oracle", "status"),
    [(0.51, Status.PASS), (0.49, Status.REVIEW), (0.21, Status.REVIEW), (0.19, Status.FAIL)],
)
def test_bypass_thresholds(oracle, status):
    ds = swap({"oracle": (0.004, oracle), "selected": (0.004, 0.0)})
    assert BypassCheck().run(ds).status is status


@pytest.mark.parametrize(
    ("oracle", "selected", "status"),
    [
        (0.90, 0.51, Status.PASS),  # learned high
        (0.90, 0.49, Status.REVIEW),
        (0.90, 0.21, Status.REVIEW),
        (0.90, 0.19, Status.FAIL),  # oracle high, learned low
        (0.49, 0.30, Status.PASS),  # shortfall 0.19 < min_gap 0.2
        (0.49, 0.28, Status.REVIEW),  # shortfall 0.21, but the oracle is not high
        (0.45, 0.05, Status.REVIEW),
    ],
)
def test_support_selection_thresholds(oracle, selected, status):
    ds = swap({"oracle": (0.004, oracle), "selected": (0.004, selected)})
    assert SupportSelectionCheck().run(ds).status is status


@pytest.mark.parametrize(
    ("mse", "nau", "status"),
    [
        (0.00124, 0.19, Status.FAIL),  # ratio 1.24, low nAUPRC: divergence
        (0.00126, 0.19, Status.REVIEW),  # ratio 1.26: forecast not comparable
        (0.00100, 0.21, Status.REVIEW),  # comparable forecast, middling nAUPRC
        (0.00300, 0.51, Status.PASS),  # aligned attribution
    ],
)
def test_forecast_attribution_thresholds(mse, nau, status):
    ds = swap({"oracle": (0.001, 0.9), "learned": (mse, nau)})
    r = ForecastAttributionCheck().run(ds)
    assert r.status is status
    assert r.values["mse_ratio"] == pytest.approx(mse / 0.001)


def test_custom_config_moves_the_boundary():
    ds = swap(SELECTION)
    strict = run_checks(ds, [BypassCheck(high=0.95, low=0.9)])
    assert by_name(strict)["bypass"].status is Status.FAIL
    assert verdict(strict) == "decoder bypass"
    assert len(strict) == 4  # the other defaults still run


@pytest.mark.parametrize(
    "make",
    [
        lambda: BypassCheck(low=0.6, high=0.5),
        lambda: BypassCheck(high=1.5),
        lambda: SupportSelectionCheck(low=0.0),
        lambda: SupportSelectionCheck(min_gap=-0.1),
        lambda: GraphUseCheck(pass_gap=0.1, fail_gap=0.2),
        lambda: GraphUseCheck(pass_gap=-1),
        lambda: ForecastAttributionCheck(mse_ratio=0.9),
        lambda: ForecastAttributionCheck(mse_ratio=float("inf")),
        lambda: BypassCheck(hihg=0.6),  # typo: extra fields are forbidden
    ],
)
def test_invalid_config_raises(make):
    with pytest.raises(ValidationError):
        make()


def test_configs_are_frozen_and_validated_in_run_checks():
    cfg = BypassCheck()
    with pytest.raises(ValidationError):
        cfg.high = 0.9
    with pytest.raises(ValueError, match="more than one"):
        run_checks(swap(OK), [BypassCheck(), BypassCheck(high=0.6)])
    with pytest.raises(TypeError, match="check instances"):
        run_checks(swap(OK), [{"high": 0.6}])


def test_no_oracle_gives_review_not_crash():
    rows = {k: v for k, v in SELECTION.items() if k != "oracle"}
    results = by_name(run_checks(swap(rows)))
    sup = results["support_selection"]
    assert sup.status is Status.REVIEW and sup.skipped and "oracle" in sup.message
    # the selected graph stands in for the oracle where that is meaningful
    assert "no oracle" in results["bypass"].message
    assert results["bypass"].status is Status.FAIL
    assert verdict(results.values()) == "decoder bypass"
    ok_rows = {k: v for k, v in OK.items() if k != "oracle"}
    assert verdict(run_checks(swap(ok_rows))) == "ok"


def test_no_nauprc_at_all_is_review_and_verdict_says_so():
    rows = {k: (v[0], np.nan) for k, v in OK.items() if k != "oracle"}
    results = run_checks(swap(rows))
    assert all(r.status is Status.REVIEW and r.skipped for r in results)
    with pytest.raises(ValueError, match="could be evaluated"):
        verdict(results)
    assert "not available" in to_markdown(results)


def test_chain_dim_is_averaged():
    rows = dict(SELECTION)
    rows["oracle"] = (0.004, [0.10, 0.80])  # chain 0 alone would be a bypass FAIL
    ds = swap(rows, chains=2)
    assert ds["graph_swap"].dims == ("chain", "graph_input", "metric")
    r = by_name(run_checks(ds))["bypass"]
    assert r.values["oracle"] == pytest.approx(0.45)
    assert r.values["oracle_sd"] == pytest.approx(np.std([0.1, 0.8], ddof=1))
    assert r.status is Status.REVIEW and "over 2 chains" in r.message


def test_report_and_rendering():
    results = run_checks(swap(SELECTION))
    df = report(results)
    assert isinstance(df, pd.DataFrame) and len(df) == 4
    assert list(df.columns) == ["check", "status", "skipped", "values", "message", "recommendation"]
    assert df.set_index("check").loc["support_selection", "status"] == "FAIL"
    text = to_markdown(results)
    assert text.count("\n| ") == 5  # header + 4 rows
    assert str(results[2]).startswith("[FAIL] support_selection:")
    assert isinstance(results[0], CheckResult)


def test_accepts_dataarray_and_datatree():
    ds = swap(OK)
    assert verdict(run_checks(ds["graph_swap"])) == "ok"
    assert verdict(run_checks(xr.DataTree(ds))) == "ok"


def test_malformed_swap_raises():
    with pytest.raises(ValueError, match="graph_swap"):
        run_checks(xr.Dataset({"other": xr.DataArray([1.0])}))
    bad = swap(OK)["graph_swap"].expand_dims(geo=2)
    with pytest.raises(ValueError, match="dims"):
        run_checks(bad)


def test_ambiguous_mse_metric_is_skipped_with_advice():
    ds = swap(SELECTION)["graph_swap"]
    ds = ds.assign_coords(metric=["mse_target@7", "mse_target@14", "cig_nauprc", "ar_cig_nauprc"])
    r = ForecastAttributionCheck().run(ds)
    assert r.skipped and "mse_metric" in r.recommendation
    r = ForecastAttributionCheck(mse_metric="mse_target@14").run(ds)
    assert r.status is Status.FAIL
