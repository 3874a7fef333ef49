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


def test_simulate_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "sim"
    args = ["simulate", "sparse_target", "--out", str(out), "--n-series", "2", "--n-periods", "20"]
    assert main(args) == 0
    try:
        main(args)
    except SystemExit as exc:
        assert "--overwrite" in str(exc)
    else:  # pragma: no cover - the test must fail if nothing was refused
        raise AssertionError("second write into a non-empty folder was not refused")
    assert main([*args, "--overwrite"]) == 0


def test_demo_writes_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--n-series", "4", "--n-periods", "30"]) == 0
    assert (out / "panel.png").stat().st_size > 1000
    assert "true edges" in capsys.readouterr().out
