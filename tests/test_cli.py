"""Command line: exit codes, outputs, one-line errors and refusal to overwrite.

One ``demo --quick`` run (both model classes, module fixture) backs the report tests; the
``--data`` and ``fit`` / ``diagnose`` runs fit a tiny DiceMMM only.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pymc_dice.cli import main
from pymc_dice.report import SECTIONS, find_chromium, screenshot
from pymc_dice.simulate import sparse_target


def run(args, capsys):
    """``main(args)`` -> (exit code, stdout, stderr)."""
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report"
    rc = main(["demo", "--quick", "--out", str(out), "--no-progress"])
    return rc, out


@pytest.fixture(scope="module")
def user_csv(tmp_path_factory):
    """A user's CSV (no truth): renamed columns, a few dates."""
    df = sparse_target(n_series=2, n_periods=36, seed=3).df
    df = df.rename(columns={"date": "week", "y": "sales", "geo": "region"})
    path = tmp_path_factory.mktemp("csv") / "sales.csv"
    df[["week", "region", "tv", "radio", "search_ads", "price", "sales"]].to_csv(path, index=False)
    return path


COLUMNS = [
    "--date-column", "week", "--channels", "tv,radio,search_ads", "--target", "sales",
    "--dims", "region", "--controls", "price",
]  # fmt: skip
TINY = ["--quick", "--no-progress", "--epochs", "2", "--seeds", "1"]


# -- simulate and folders -------------------------------------------------------------------


def test_simulate_writes_csv_and_truth(tmp_path):
    out = tmp_path / "sim"
    assert (
        main(
            ["simulate", "sparse_target", "--out", str(out), "--n-series", "3", "--n-periods", "20"]
        )
        == 0
    )
    df = pd.read_csv(out / "data.csv")
    assert len(df) == 60 and "y" in df
    assert xr.open_dataset(out / "truth.nc")["graph"].dims == ("source", "target")


def test_outputs_never_overwrite_a_users_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = ["simulate", "sparse_target", "--out", out, "--n-series", "2", "--n-periods", "20"]
    rc, _, err = run(args, capsys)
    assert rc == 2 and "--overwrite" in err and err.count("\n") == 1
    assert not (out / "data.csv").exists()
    assert run([*args, "--overwrite"], capsys)[0] == 0
    assert (out / "notes.txt").read_text() == "keep me"  # only our files are written


def test_rerunning_into_our_own_output_folder_is_allowed(tmp_path):
    args = [
        "simulate",
        "sparse_target",
        "--out",
        str(tmp_path / "r"),
        "--n-series",
        "2",
        "--n-periods",
        "20",
    ]
    assert main(args) == 0
    assert main(args) == 0


def test_help_texts_have_examples(capsys):
    for cmd in ("demo", "fit", "diagnose"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"pymc-dice {cmd}" in text


# -- demo -----------------------------------------------------------------------------------


def test_quick_demo_writes_the_full_report(quick_demo):
    rc, out = quick_demo
    assert rc == 0
    md = (out / "report.md").read_text()
    page = (out / "index.html").read_text()
    for heading in SECTIONS.values():
        assert f"## {heading}" in md
        assert f"<h2>{heading}</h2>" in page
    # both models in the comparison table, with the truth-based columns
    assert "| bayesian | pymc-marketing |" in md and "| dice | dice |" in md
    for column in ("MSE@3", "AR-CIG nAUPRC", "graph-swap verdict", "placebo share"):
        assert column in md
    for name in (
        "graph.png",
        "influence_channels.png",
        "influence_dice.png",
        "graph_swap.png",
        "contributions.png",
        "forecast.png",
        "roas.png",
    ):
        assert f"src='{name}'" in page
        assert (out / name).stat().st_size > 5000
    idata = xr.open_datatree(out / "idata.nc")
    assert "posterior" in idata.children and "dice" in idata.children
    diag = xr.load_dataset(out / "diagnostics.nc")
    assert str(diag["verdict"].values) in ("ok", "graph-support selection", "decoder bypass")
    comparison = xr.load_dataset(out / "attribution.nc")
    assert comparison["model"].values.tolist() == ["bayesian", "dice"]
    assert np.isfinite(comparison["roas_abs_error_mean"].values).all()
    assert (out / "model.nc").exists() and (out / "truth.nc").exists()


def test_quick_demo_report_screenshot(quick_demo, tmp_path):
    exe = find_chromium()
    # never skipped silently: `make test` installs Debian's chromium when it can
    assert exe is not None, (
        "no chromium executable: the report's browser test needs one; install it with "
        "`apt-get install chromium` (make test does this when run as root)"
    )
    rc, out = quick_demo
    assert rc == 0
    png = screenshot(out / "index.html", tmp_path / "report.png", height=7000, chromium=exe)
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == (1400, 7000)
        small = np.asarray(im.convert("L").resize((140, 700)), dtype=float)
    assert png.stat().st_size > 50_000
    # rendered figures, not a blank page: many distinct shades in the upper half
    assert small[:350].std() > 20
    assert len(np.unique(small[:350].round())) > 50


def test_demo_on_a_users_csv_has_no_truth_sections(tmp_path, user_csv, capsys):
    out = tmp_path / "mine"
    rc, stdout, err = run(
        ["demo", "--data", user_csv, *COLUMNS, *TINY, "--no-bayesian", "--out", out], capsys
    )
    assert rc == 0, err
    md = (out / "report.md").read_text()
    assert "## Learned graph" in md and "Learned vs true graph" not in md
    assert "AR-CIG nAUPRC" not in md and "ROAS error" not in md
    assert "## Graph swap" in md and "## Forecast vs observed" in md
    assert "true edges" not in md
    # the graph swap shows forecasts only: no nAUPRC columns without a reference graph
    assert "No reference graph is known" in md
    assert "| graph_input | mse_target@3 | mse_all@3 |\n" in md
    assert (out / "graph_swap.png").exists()
    assert "report:" in stdout and str(out / "index.html") in stdout
    assert xr.load_dataset(out / "diagnostics.nc")["graph_swap"].sizes["graph_input"] >= 3


# -- fit / diagnose -------------------------------------------------------------------------


def test_fit_then_diagnose_round_trip(tmp_path, capsys):
    sim_dir = tmp_path / "sim"
    assert (
        main(
            [
                "simulate",
                "sparse_target",
                "--out",
                str(sim_dir),
                "--n-series",
                "2",
                "--n-periods",
                "36",
            ]
        )
        == 0
    )
    csv, truth = sim_dir / "data.csv", sim_dir / "truth.nc"
    fit_dir = tmp_path / "fit"
    cols = ["--mediators", "visits,branded_search", "--controls", "price,event", "--dims", "geo"]
    rc, stdout, err = run(["fit", csv, *cols, *TINY, "--out", fit_dir], capsys)
    assert rc == 0, err
    model = fit_dir / "model.nc"
    assert model.exists() and (fit_dir / "index.html").exists()
    # the saved model is never replaced without --overwrite
    before = model.read_bytes()
    rc, _, err = run(["fit", csv, *cols, *TINY, "--out", fit_dir], capsys)
    assert rc == 2 and "model.nc exists" in err and model.read_bytes() == before

    diag_dir = tmp_path / "diag"
    rc, stdout, err = run(["diagnose", model, csv, "--truth", truth, "--out", diag_dir], capsys)
    assert rc == 0, err
    ds = xr.load_dataset(diag_dir / "diagnostics.nc")
    verdict = str(ds["verdict"].values)
    assert verdict in ("ok", "graph-support selection", "decoder bypass")
    assert f"VERDICT: {verdict}" in stdout
    assert "oracle" in ds["graph_input"].values  # scored against the given truth
    md = (diag_dir / "report.md").read_text()
    assert "## Learned vs true graph" in md and "## Graph swap" in md
    # --strict turns a verdict other than ok into exit code 1 (every verdict:
    # test_diagnose_strict_exits_1_unless_the_verdict_is_ok)
    rc, _, _ = run(
        ["diagnose", model, csv, "--truth", truth, "--out", diag_dir, "--strict"], capsys
    )
    assert rc == (0 if verdict == "ok" else 1)


# -- bad input ------------------------------------------------------------------------------


def test_missing_files_give_one_line_errors(tmp_path, capsys, user_csv):
    rc, _, err = run(["demo", "--data", tmp_path / "nope.csv", "--out", tmp_path / "o"], capsys)
    assert rc == 2 and "nope.csv" in err and err.count("\n") == 1
    rc, _, err = run(
        ["diagnose", tmp_path / "none.dice", user_csv, "--out", tmp_path / "d"], capsys
    )
    assert rc == 2 and "none.dice" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()  # nothing written on bad input


def test_unknown_column_is_named(tmp_path, capsys, user_csv):
    rc, _, err = run(
        ["fit", user_csv, "--channels", "tv,podcast", "--target", "sales", "--out", tmp_path / "f"],
        capsys,
    )
    assert rc == 2 and "'podcast'" in err and "--channels" in err and "sales" in err


def test_bad_csv_is_reported(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,tv,y\n2024-01-01,1,2\n2024-01-08,1,2,3,4\n")
    rc, _, err = run(["fit", bad, "--out", tmp_path / "f"], capsys)
    assert rc == 2 and "bad.csv" in err and "CSV" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    rc, _, err = run(["fit", empty, "--out", tmp_path / "f"], capsys)
    assert rc == 2 and "empty.csv" in err


def test_invalid_data_and_corrupt_model_are_reported(tmp_path, capsys, user_csv):
    df = pd.read_csv(user_csv)
    df.loc[3, "tv"] = -5.0  # negative spend
    neg = tmp_path / "neg.csv"
    df.to_csv(neg, index=False)
    rc, _, err = run(["fit", neg, *COLUMNS, *TINY, "--out", tmp_path / "f"], capsys)
    assert rc == 2 and "tv" in err and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert not (tmp_path / "f").exists()  # a refused run leaves no output folder behind
    junk = tmp_path / "junk.dice"
    junk.write_bytes(b"not a zip file at all")
    rc, _, err = run(["diagnose", junk, user_csv, "--out", tmp_path / "d"], capsys)
    assert rc == 2 and "junk.dice" in err
    assert not (tmp_path / "d").exists()


def test_bench_without_its_module_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc_dice.bench", None)  # import fails
    rc, _, err = run(["bench"], capsys)
    assert rc == 2 and "bench" in err and "not available" in err


@pytest.mark.slow
def test_demo_on_a_users_csv_with_both_models(tmp_path, user_csv, capsys):
    out = tmp_path / "both"
    rc, stdout, err = run(
        [
            "demo",
            "--data",
            user_csv,
            *COLUMNS,
            "--quick",
            "--no-progress",
            "--placebo",
            "radio",
            "--out",
            out,
        ],
        capsys,
    )
    assert rc == 0, err
    md = (out / "report.md").read_text()
    assert "| bayesian |" in md and "placebo share" in md and "ROAS error" not in md
    assert Path(out / "bayesian_idata.nc").exists()


def test_ctrl_c_stops_the_run_with_130_and_keeps_nothing(tmp_path, capsys, user_csv, monkeypatch):
    import pymc_dice.train as train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C arrived in the middle of training

    monkeypatch.setattr(train, "fit_structural_arm", interrupted)
    out = tmp_path / "f"
    rc, _, err = run(["fit", user_csv, *COLUMNS, *TINY, "--out", out], capsys)
    assert rc == 130 and "interrupted" in err
    assert not out.exists()  # nothing half-done is kept


def test_the_cli_asks_training_to_stop_on_ctrl_c(tmp_path, capsys, user_csv, monkeypatch):
    import pymc_dice.workflow as workflow

    seen = {}
    original = workflow.fit_dice

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "fit_dice", spy)
    rc, _, err = run(["fit", user_csv, *COLUMNS, *TINY, "--out", tmp_path / "f"], capsys)
    assert rc == 0, err
    assert seen["on_interrupt"] == "stop"


def test_diagnose_strict_exits_1_unless_the_verdict_is_ok(tmp_path, capsys, monkeypatch):
    import pymc_dice.workflow as workflow

    sim_dir = tmp_path / "sim"
    assert main(["simulate", "sparse_target", "--out", str(sim_dir), "--n-series", "2",
                 "--n-periods", "36"]) == 0  # fmt: skip
    csv = sim_dir / "data.csv"
    cols = ["--mediators", "visits,branded_search", "--controls", "price,event", "--dims", "geo"]
    rc, _, err = run(["fit", csv, *cols, *TINY, "--out", tmp_path / "fit"], capsys)
    assert rc == 0, err
    model = tmp_path / "fit" / "model.nc"
    original = workflow.diagnose_saved
    computed = []  # the exit code is under test, not the diagnostics: compute them once

    def with_verdict(verdict):
        def diagnose(*args, **kwargs):
            if not computed:
                computed.append(original(*args, **kwargs))
            computed[0].diagnostics["verdict"] = verdict
            return computed[0]

        return diagnose

    for verdict, strict_rc in (("decoder bypass", 1), ("graph-support selection", 1), ("ok", 0)):
        monkeypatch.setattr(workflow, "diagnose_saved", with_verdict(verdict))
        out = tmp_path / f"d-{verdict[:3]}"
        rc, stdout, err = run(["diagnose", model, csv, "--strict", "--out", out], capsys)
        assert rc == strict_rc, (verdict, err)
        assert f"VERDICT: {verdict}" in stdout
        rc, _, _ = run(["diagnose", model, csv, "--out", out, "--overwrite"], capsys)
        assert rc == 0  # without --strict every verdict exits 0
