"""Toy models with known answers for the attribution suite and the report.

``Lag1`` is ``y(t) = 2 tv(t - 1)``: its contributions, ROAS and influence are known exactly.
``demo()`` returns one fitted on the first dates of a small frame; the root ``conftest.py`` hands
it to doctests as ``toy_demo``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.attribution import AttributionAdapter


class Lag1(AttributionAdapter):
    """Toy model ``y(t) = 2 tv(t - 1)`` fitted on the first ``n_fit`` dates of ``data``."""

    def __init__(self, data: pd.DataFrame, n_fit: int):
        super().__init__(
            channels=["tv"], target="y", date_column="date", fitted_dates=data["date"][:n_fit]
        )
        self.data = data

    def counterfactual_predict(self, scenarios):
        n = len(self.fitted_dates)
        out = [2 * np.r_[self.data["tv"].to_numpy()[:n], f["tv"]][n - 1 : -1] for f in scenarios]
        return xr.DataArray(
            np.array(out),
            dims=("scenario", "date"),
            coords={"date": scenarios[0]["date"].to_numpy()},
        )

    def contributions_by_chain(self, data=None):
        spend = (self.data if data is None else data)["tv"].to_numpy()[: len(self.fitted_dates)]
        c = 2 * np.r_[0.0, spend[:-1]]
        return xr.DataArray(
            c[None, :, None],
            dims=("chain", "date", "channel"),
            coords={"date": self.fitted_dates, "channel": ["tv"]},
        )


def demo(n_dates: int = 12, n_fit: int = 8, seed: int = 0) -> tuple[Lag1, pd.DataFrame]:
    """A toy adapter ``y(t) = 2 tv(t - 1)`` fitted on the first ``n_fit`` dates, and its data."""
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="W-MON")
    tv = np.random.default_rng(seed).uniform(1.0, 2.0, n_dates)
    data = pd.DataFrame({"date": dates, "tv": tv, "y": 2 * np.r_[0.0, tv[:-1]]})
    return Lag1(data, n_fit), data
