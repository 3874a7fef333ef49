"""Quickstart: simulate a panel with a known graph, fit a DiceMMM, diagnose its attribution.

    python examples/quickstart.py [--out quickstart] [--quick]

Writes two figures to the ``--out`` folder: the learned graph next to the true one
(``graph.png``) and the graph swap of the trained decoder (``graph_swap.png``), and prints the
channel summary, the verdict and the review checks. ``--quick`` runs tiny sizes (seconds); the
default sizes take a few minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pymc_dice import DiceMMM, sparse_target  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="quickstart", help="folder for the figures")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        n_series, n_periods, epochs, seeds, horizon = 4, 40, 3, 1, 3
    else:
        n_series, n_periods, epochs, seeds, horizon = 32, 104, 100, 3, 7

    # 1. data: a pymc-marketing-shaped DataFrame and the truth behind it
    sim = sparse_target(n_series=n_series, n_periods=n_periods, seed=0)
    print(f"{len(sim.df)} rows; true ROAS:")
    print(sim.truth["roas"].to_series().round(3).to_string())

    # 2. fit: seeds of the ensemble become the `chain` dim of mmm.idata
    mmm = DiceMMM(
        mediator_columns=["visits", "branded_search"],
        control_columns=["price", "event"],
        trainer_config={
            "epochs_stage1": epochs,
            "epochs_stage2": epochs,
            "n_seeds": seeds,
            "horizon": horizon,
            "progressbar": False,
        },
    )
    mmm.fit(sim.df, random_seed=0)
    print("\nDiceMMM summary (original units):")
    print(mmm.summary.channels().round(3).to_string())

    # 3. diagnose: does the model's counterfactual influence follow the graph it reports?
    ds = mmm.diagnose(truth=sim.truth["graph"], horizon=horizon)
    print(f"\nverdict: {ds['verdict'].item()}")
    print(ds["graph_swap"].mean("chain").to_pandas().round(3).to_string())
    for check, status in ds["check_status"].to_series().items():
        print(f"  {check:22s} {status}")

    # 4. figures
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mmm.plot.graph(truth=sim.truth["graph"]).savefig(out / "graph.png", dpi=110)
    mmm.plot.graph_swap().savefig(out / "graph_swap.png", dpi=110)
    plt.close("all")
    print(f"\nfigures written to {out}/graph.png and {out}/graph_swap.png")


if __name__ == "__main__":
    main()
