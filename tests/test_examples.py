"""Every script in ``examples/`` runs at small size (``--quick``) and writes its figures.

Each script runs in a subprocess with the interpreter running the tests, in a temporary working
folder, one thread per library. A script that takes more than about a minute at ``--quick``
is marked ``slow``; ``quickstart.py`` stays fast so that the default run always runs an
example end to end. Measured on 2 shared CPU cores: ``quickstart.py --quick`` 11-12 s,
``compare_bayesian_and_dice.py --quick`` 43-58 s (two MCMC chains and a DiceMMM; slow, and the
same comparison runs in the default suite as ``tests/test_attribution.py``'s
``test_compare_bayesian_and_dice``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# script -> (arguments after the script, files it must write, relative to the working folder)
RUNS: dict[str, tuple[list[str], list[str]]] = {
    "quickstart.py": (["--quick", "--out", "out"], ["out/graph.png", "out/graph_swap.png"]),
    "compare_bayesian_and_dice.py": (["--quick", "--out", "compare.png"], ["compare.png"]),
    "from_pymc_marketing.py": (["--quick", "--out", "out"], ["out/posterior_predictive.png"]),
}
# from_pymc_marketing.py also runs in the default suite, inside tests/test_dropin.py
SLOW: set[str] = {"compare_bayesian_and_dice.py", "from_pymc_marketing.py"}


def test_every_example_is_run():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(RUNS), f"add the new examples to RUNS: {sorted(scripts ^ set(RUNS))}"
    assert "quickstart.py" not in SLOW


def _params():
    for name in RUNS:
        marks = [pytest.mark.slow] if name in SLOW else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("script", list(_params()))
def test_example_runs(script, tmp_path):
    args, outputs = RUNS[script]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONWARNINGS": "ignore",
    }
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    for rel in outputs:
        path = tmp_path / rel
        assert path.is_file() and path.stat().st_size > 1000, f"{script} did not write {rel}"
