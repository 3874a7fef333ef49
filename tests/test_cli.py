"""Command line: exit codes, outputs, and refusal to overwrite."""

import pandas as pd
import xarray as xr

from pymc_dice.cli import main


def test_simulate_writes_csv_and_truth(tmp_path):
    out = tmp_path / "sim"
    assert main(["simulate", "sparse_target", "--out", str(out), "--n-series", "3", "--n-periods", "20"]) == 0
    df = pd.read_csv(out / "data.csv")
    assert len(df) == 60 and "y" in df
    assert xr.open_dataset(out / "truth.nc")["graph"].dims == ("source", "target")


def test_outputs_never_overwrite_a_users_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = ["simulate", "sparse_target", "--out", str(out), "--n-series", "2", "--n-periods", "20"]
    try:
        main(args)
    except SystemExit as exc:
        assert "--overwrite" in str(exc)
    else:  # pragma: no cover - the test must fail if nothing was refused
        raise AssertionError("writing into a user's non-empty folder was not refused")
    assert (out / "notes.txt").read_text() == "keep me"
    assert main([*args, "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"  # only our files are written


def test_rerunning_into_our_own_output_folder_is_allowed(tmp_path):
    out = tmp_path / "report"
    args = ["demo", "--out", str(out), "--n-series", "3", "--n-periods", "30"]
    assert main(args) == 0
    assert main(args) == 0


def test_demo_writes_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--n-series", "4", "--n-periods", "30"]) == 0
    assert (out / "panel.png").stat().st_size > 1000
    assert "true edges" in capsys.readouterr().out
