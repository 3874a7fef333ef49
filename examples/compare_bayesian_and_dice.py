"""Fit a Bayesian pymc-marketing MMM and a DiceMMM on the same DataFrame and compare them.

    python examples/compare_bayesian_and_dice.py [--out compare.png] [--quick]

The data come from the ground-truth simulator, so both models' ROAS can be checked against the
true counterfactual ROAS, and a placebo channel (spend shuffled in time: no effect) shows how
much credit each model gives to a channel that does nothing.
"""

from __future__ import annotations

import argparse
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation  # noqa: E402

from pymc_dice import DiceMMM, sparse_target  # noqa: E402
from pymc_dice.attribution import compare, to_table  # noqa: E402
from pymc_dice.workflow import add_placebo, split_held_out  # noqa: E402

CHANNELS = ["tv", "radio", "social", "search_ads", "display", "placebo"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="compare.png")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args()
    n_series, draws, epochs = (2, 50, 10) if args.quick else (8, 300, 150)

    sim = sparse_target(n_series=n_series, n_periods=80, seed=0)
    df = add_placebo(sim.df, source="tv", by="geo", seed=1)  # tv shuffled in time: no effect
    train = split_held_out(df, "date", n_hold=10)  # last 10 weeks held out

    bayes = MMM(
        date_column="date",
        channel_columns=CHANNELS,
        target_column="y",
        adstock=GeometricAdstock(l_max=4),
        saturation=LogisticSaturation(),
        dims=("geo",),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bayes.fit(train[["date", "geo", *CHANNELS]], train["y"], chains=2, draws=draws,
                  tune=draws, random_seed=0, progressbar=False)

    dice = DiceMMM(
        channel_columns=CHANNELS,
        mediator_columns=["visits", "branded_search"],
        control_columns=["price", "event"],
        dims=["geo"],
        trainer_config={"epochs_stage1": epochs, "epochs_stage2": epochs, "n_seeds": 2},
    )
    dice.fit(train, random_seed=0)

    result = compare({"bayesian": bayes, "dice": dice}, df, sim.truth, placebo="placebo")
    table = to_table(result)
    print(table.query("metric in ['roas_abs_error_mean', 'placebo_share', 'ar_cig_nauprc', "
                      "'mse_target']").pivot(index="metric", columns="model", values="value"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    roas = result["roas"].to_pandas().T
    roas["truth"] = result["true_roas"].isel(model=0).to_pandas()
    roas.plot.bar(ax=axes[0])
    axes[0].set_title("ROAS per channel: models vs truth")
    axes[0].set_ylabel("ROAS")
    share = result["placebo_share"].to_pandas()
    share.plot.bar(ax=axes[1], color=["tab:blue", "tab:orange"])
    axes[1].set_title("share of credit given to the placebo channel")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
