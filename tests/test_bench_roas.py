"""The roas suite: metric functions against hand calculations, and one tiny end-to-end run."""

import json

import numpy as np
import pytest
import xarray as xr

from pymc_dice.bench import metrics
from pymc_dice.bench.roas import roas_settings, run_roas


def test_relative_errors_leave_zero_truth_channels_out():
    est, true = np.array([3.0, 1.0, 0.4, -0.5]), np.array([2.0, 4.0, 0.0, 1.0])
    # by hand: (3-2)/2 = 0.5, (1-4)/4 = -0.75, placebo undefined, (-0.5-1)/1 = -1.5
    np.testing.assert_allclose(metrics.relative_error(est, true), [0.5, -0.75, np.nan, -1.5])
    assert metrics.mean_abs_relative_error(est, true) == pytest.approx((0.5 + 0.75 + 1.5) / 3)
    assert np.isnan(metrics.mean_abs_relative_error([1.0], [0.0]))


def test_spearman_matches_the_rank_formula_and_handles_ties():
    x, y = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0]
    # no ties: rho = 1 - 6 sum d^2 / (n (n^2 - 1)); d = (-1, 1, -1, 1, 0) -> 1 - 24 / 120
    assert metrics.spearman(x, y) == pytest.approx(0.8)
    # ties: ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]; Pearson r with [1, 2, 3, 4] by hand:
    # centred (-1.5, 0, 0, 1.5) . (-1.5, -0.5, 0.5, 1.5) = 4.5; norms sqrt(4.5) sqrt(5)
    assert metrics.spearman([1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]) == pytest.approx(
        4.5 / np.sqrt(4.5 * 5.0)
    )
    assert metrics.spearman([1.0, np.nan, 3.0], [2.0, 5.0, 1.0]) == pytest.approx(-1.0)
    assert np.isnan(metrics.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))


def test_coverage_uses_the_5_and_95_percent_quantiles_over_chain_and_draw():
    # 2 chains x 10 draws = 0, 1, ..., 19: linear quantiles at 0.05 * 19 = 0.95, 0.95 * 19 = 18.05
    draws = xr.DataArray(
        np.arange(20.0).reshape(2, 10, 1) * [1.0, 2.0], dims=("chain", "draw", "channel")
    )
    truth = xr.DataArray([18.0, 1.5], dims="channel")
    covered, lower, upper = metrics.interval_coverage(draws, truth)
    np.testing.assert_allclose(lower, [0.95, 1.9])
    np.testing.assert_allclose(upper, [18.05, 36.1])
    assert covered.values.tolist() == [True, False]  # 1.5 < 1.9


def test_r2_mape_and_contribution_scores_by_hand():
    y, p = np.array([2.0, 4.0, 6.0, 8.0]), np.array([3.0, 4.0, 5.0, 8.0])
    # SS_res = 1 + 0 + 1 + 0 = 2, SS_tot = 9 + 1 + 1 + 9 = 20
    assert metrics.r_squared(y, p) == pytest.approx(0.9)
    assert metrics.mape(y, p) == pytest.approx((0.5 + 0 + 1 / 6 + 0) / 4)
    assert metrics.mape([0.0, 2.0], [1.0, 1.0]) == pytest.approx(0.5)  # y = 0 left out
    truth = xr.DataArray(np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]), dims=("date", "channel"))
    est = xr.DataArray(np.array([[1.0, 1.0], [3.0, 2.0], [2.0, 0.0]]), dims=("date", "channel"))
    # channel 0: centred (-1, 0, 1) . (-1, 1, 0) = 1, norms sqrt(2) sqrt(2) -> 0.5; channel 1: NaN
    corr = metrics.contribution_correlation(est, truth)
    assert corr.values[0] == pytest.approx(0.5) and np.isnan(corr.values[1])
    np.testing.assert_allclose(metrics.contribution_share(est), [6 / 9, 3 / 9])


def test_unknown_sizes_and_presets_are_refused():
    with pytest.raises(ValueError, match="unknown roas size"):
        roas_settings("national", overrides={"n_period": 3})
    with pytest.raises(ValueError, match="unknown preset"):
        roas_settings("global")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """National, 1 series x 60 weeks x 2 channels, 1 seed; pymc-marketing 1 chain x 20 draws
    (about a minute on one CPU thread, most of it compiling the pymc model)."""
    out = tmp_path_factory.mktemp("roas") / "tiny"
    sizes = {"n_periods": 60, "n_channels": 2, "chains": 1, "draws": 20, "tune": 20}
    run_roas(out, seeds=1, overrides=sizes, progressbar=False, command="test")
    return out


def test_roas_suite_writes_its_files_and_layout(tiny):
    names = {p.name for p in tiny.iterdir()}
    assert {"results.json", "results.md", "roas.png", "config.json", ".pymc-dice-output"} <= names
    res = json.loads((tiny / "results.json").read_text())
    assert res["suite"] == "roas" and res["preset"] == "national"
    assert res["models"] == ["DiceMMM", "MMM"] and res["channels"] == ["tv", "social"]
    assert set(res["runs"]) == {"DiceMMM", "MMM"} and list(res["runs"]["MMM"]) == ["seed0"]
    assert [c["met"] is None for c in res["criteria"]] == [False] * 4 + [True]
    cfg = json.loads((tiny / "config.json").read_text())
    assert cfg["command"] == "test" and cfg["settings"]["draws"] == 20
    md = (tiny / "results.md").read_text()
    assert "| DiceMMM | seed0 |" in md and "| MMM | mean ± sd |" in md
    assert "| truth | seed0 |" in md and "What must show:" in md


def test_roas_suite_numbers_are_finite_and_consistent(tiny):
    res = json.loads((tiny / "results.json").read_text())
    for model, runs in res["runs"].items():
        run = runs["seed0"]
        for c in res["channels"]:
            roas, true = run["roas"][c], run["roas_true"][c]
            assert np.isfinite([roas, true, run["roas_lower"][c], run["roas_upper"][c]]).all()
            assert run["relative_error"][c] == pytest.approx((roas - true) / true, rel=1e-12)
            assert run["covered"][c] == (run["roas_lower"][c] <= true <= run["roas_upper"][c])
        rel = [abs(v) for v in run["relative_error"].values()]
        assert run["mean_abs_relative_error"] == pytest.approx(np.mean(rel), rel=1e-12)
        assert run["coverage_90"] == pytest.approx(np.mean(list(run["covered"].values())))
        for key in (
            "spearman",
            "contribution_corr",
            "r2_in_sample",
            "mape_in_sample",
            "r2_held_out",
            "mape_held_out",
            "fit_seconds",
        ):
            assert np.isfinite(run[key]), (model, key)
        assert run["fit_seconds"] > 0
    # the truth is the model-free part: both models see the same windows
    assert res["runs"]["DiceMMM"]["seed0"]["roas_true"] == res["runs"]["MMM"]["seed0"]["roas_true"]
    assert np.isfinite(res["runs"]["MMM"]["seed0"]["compile_seconds"])
    mean = res["summary"]["MMM"]["r2_held_out"]["mean"]
    assert mean == pytest.approx(res["runs"]["MMM"]["seed0"]["r2_held_out"])


def test_roas_suite_reuses_cached_fits(tiny, tmp_path):
    """A rerun with unchanged data, sizes and code reads every (model, seed) from the cache:
    the same scores, fit seconds included (a refit could not repeat a timing to the digit)."""
    import shutil

    again = tmp_path / "again"
    shutil.copytree(tiny, again)
    sizes = {"n_periods": 60, "n_channels": 2, "chains": 1, "draws": 20, "tune": 20}
    run_roas(again, seeds=1, overrides=sizes, progressbar=False, command="test")
    before = json.loads((tiny / "results.json").read_text())["runs"]
    after = json.loads((again / "results.json").read_text())["runs"]
    assert len(list((again / "cache").glob("*.json"))) == 2
    for model in ("DiceMMM", "MMM"):
        assert after[model]["seed0"]["fit_seconds"] == before[model]["seed0"]["fit_seconds"]
        assert after[model]["seed0"]["roas"] == before[model]["seed0"]["roas"]
