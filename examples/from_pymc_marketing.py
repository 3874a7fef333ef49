"""A pymc-marketing MMM script, run on a DiceMMM: only the import and the class name change.

    # pymc-marketing                             # pymc-dice
    from pymc_marketing.mmm import MMM           from pymc_dice import DiceMMM
    mmm = MMM(                                   mmm = DiceMMM(

Everything else (fit, summary tables, plots, predict, ROAS, contributions, save) is
pymc-marketing's post-fit workflow, unchanged. Run ``python examples/from_pymc_marketing.py``
(``--quick`` for tiny sizes, ``--out`` for the figures' folder).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation  # noqa: E402

from pymc_dice import DiceMMM  # noqa: E402  (pymc-marketing: from pymc_marketing.mmm import MMM)
from pymc_dice.simulate import national  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--out", default="from_pymc_marketing", help="folder for the figures")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", category=UserWarning)

    # data: weekly spend of three channels, a price index and an event flag, the target y
    n_new = 8
    df = national(n_channels=3, n_periods=60 if args.quick else 156, seed=0).df
    train, new = df.iloc[:-n_new], df.iloc[-n_new:]
    X, y = train.drop(columns="y"), train["y"]
    X_new = new.drop(columns="y")

    # ---- from here on, a pymc-marketing MMM script ----
    mmm = DiceMMM(  # pymc-marketing: mmm = MMM(
        date_column="date",
        channel_columns=["tv", "social", "search"],
        control_columns=["price", "event"],
        target_column="y",
        adstock=GeometricAdstock(l_max=4),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    mmm.fit(X, y, chains=2, draws=20 if args.quick else 200, random_seed=0, progressbar=False)

    print("ROAS per channel:")
    print(mmm.summary.roas(frequency="all_time").round(3).to_string())
    print("contributions per date and channel:")
    print(mmm.summary.contributions().head().round(1).to_string())
    print("posterior predictive:")
    print(mmm.summary.posterior_predictive().head().round(1).to_string())

    fig, _ = mmm.plot.posterior_predictive()
    fig.savefig(out / "posterior_predictive.png")
    fig, _ = mmm.plot.contributions_over_time(var=["channel_contribution"])
    fig.savefig(out / "contributions_over_time.png")
    fig, _ = mmm.plot.saturation_curves(curve=mmm.sample_saturation_curve())
    fig.savefig(out / "saturation_curves.png")

    contributions = mmm.compute_mean_contributions_over_time()
    print("mean contributions, last dates:")
    print(contributions.tail(3).round(1).to_string())
    prediction = mmm.predict(X_new)
    predictive = mmm.sample_posterior_predictive(X_new)
    print("forecast of the new dates:", prediction.round(1).tolist())
    print("posterior predictive dims:", dict(predictive.sizes))
    (out / "model.nc").unlink(missing_ok=True)  # DiceMMM.save replaces a file only if asked
    mmm.save(str(out / "model.nc"))
    print(f"wrote {out}/posterior_predictive.png, contributions_over_time.png, ...")


if __name__ == "__main__":
    main()
