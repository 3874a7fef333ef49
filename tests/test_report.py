"""Report folder: tables, sections with and without a truth, files, screenshots.

Fast tests on the toy model ``y(t) = 2 tv(t - 1)`` of ``tests/toy_models.py``; the report
of real fitted models (both model classes) is covered by the ``demo --quick`` tests of
``tests/test_cli.py``.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pymc_dice.attribution import compare
from pymc_dice.report import (
    SECTIONS,
    build_report,
    collect,
    md_table,
    screenshot,
    summary_table,
)
from tests.toy_models import demo


def toy_truth(data: pd.DataFrame) -> xr.Dataset:
    """The toy's truth: contribution 2 tv(t - 1), the one edge tv -> y."""
    contrib = 2 * np.r_[0.0, data["tv"].to_numpy()[:-1]]
    return xr.Dataset(
        {
            "channel_contribution": (("date", "channel"), contrib[:, None]),
            "graph": (("source", "target"), [[0, 1], [0, 0]]),
        },
        coords={
            "date": pd.DatetimeIndex(data["date"]),
            "channel": ["tv"],
            "source": ["tv", "y"],
            "target": ["tv", "y"],
        },
    )


@pytest.fixture
def toy():
    model, data = demo(n_dates=16, n_fit=8)
    return model, data


def test_report_without_truth_has_every_section_but_no_truth_columns(tmp_path, toy):
    model, data = toy
    comparison = compare({"toy": model}, data, horizon=3)
    files = build_report(tmp_path, {"toy": model}, data, comparison)
    md = (tmp_path / "report.md").read_text()
    page = (tmp_path / "index.html").read_text()
    for key, heading in SECTIONS.items():
        shown = "Learned graph" if key == "graph" else heading
        assert f"## {shown}" in md
        assert f"<h2>{shown}</h2>" in page
    assert "Learned vs true graph" not in md
    assert "ROAS error" not in md
    assert "AR-CIG nAUPRC" not in md
    # every figure the page links exists and is a real PNG
    for name in [n for n in files if n.endswith(".png")]:
        assert f"src='{name}'" in page
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert "<style>" in page and "<link" not in page  # CSS inline, no external stylesheet
    ds = xr.load_dataset(tmp_path / "attribution.nc")
    assert ds["mse_target"].dims == ("model",)
    assert float(ds["mse_target"].sel(model="toy")) == pytest.approx(0.0)


def test_report_with_truth_shows_truth_columns_and_true_contributions(tmp_path, toy):
    model, data = toy
    truth = toy_truth(data)
    comparison = compare({"toy": model}, data, truth, horizon=3)
    build_report(tmp_path, {"toy": model}, data, comparison, truth=truth)
    md = (tmp_path / "report.md").read_text()
    assert "## Learned vs true graph" in md
    assert "mean \\|ROAS error\\|" in md  # the column, escaped for Markdown
    assert "noise-free truth" in md  # the true contributions panel is described
    rd = collect({"toy": model}, data, comparison, truth=truth)
    assert rd.has_truth
    assert set(rd.contributions) == {"toy", "truth"}
    # the toy is exact: its contributions equal the truth on the fitted dates
    assert np.allclose(rd.contributions["toy"]["tv"].to_numpy(), rd.contributions["truth"]["tv"])


def test_collect_reads_forecast_of_held_out_dates(toy):
    model, data = toy
    rd = collect({"toy": model}, data, compare({"toy": model}, data, horizon=3))
    assert rd.held_out_start == pd.Timestamp(data["date"].iloc[8])
    assert len(rd.forecast["toy"]) == 8
    np.testing.assert_allclose(rd.forecast["toy"].to_numpy(), data["y"].to_numpy()[8:])


def test_summary_table_columns_follow_what_is_known():
    ds = xr.Dataset(
        {
            "mse_target": ("model", [0.1, 0.2]),
            "ar_cig_nauprc": ("model", [0.3, np.nan]),
            "roas_abs_error_mean": ("model", [1.0, 2.0]),
            "placebo_share": ("model", [np.nan, np.nan]),
        },
        coords={"model": ["bayes", "dice"], "model_type": ("model", ["pymc-marketing", "dice"])},
        attrs={"horizon": 5},
    )
    table = summary_table(ds, xr.Dataset({"verdict": ((), "decoder bypass")}), "dice")
    assert list(table.columns) == [
        "model",
        "type",
        "MSE@5",
        "AR-CIG nAUPRC",
        "graph-swap verdict",
        "mean |ROAS error|",
    ]
    assert table["graph-swap verdict"].tolist() == ["n/a (no graph input)", "decoder bypass"]
    # a DiceMMM that was not diagnosed says so instead of inventing a verdict
    assert summary_table(ds)["graph-swap verdict"].tolist()[1] == "not run"


def test_markdown_table_escapes_pipes_and_marks_missing_values():
    md = md_table(pd.DataFrame({"a|b": ["x|y"], "v": [np.nan]}))
    lines = md.splitlines()
    assert lines[0] == "| a\\|b | v |"
    assert lines[2] == "| x\\|y | – |"


def test_screenshot_needs_the_page(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such page"):
        screenshot(tmp_path / "missing.html", tmp_path / "x.png")
