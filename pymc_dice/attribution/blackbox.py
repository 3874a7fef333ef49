"""The black box the finite-difference influence engine probes.

:class:`BlackBox` turns a model's forecasts of the held-out window (through its
:class:`~pymc_dice.attribution.adapters.AttributionAdapter`) into the ``predict`` function of
:func:`pymc_dice.diagnostics.finite_difference.cig_finite_difference`, in scaled units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.attribution.adapters import AttributionAdapter, fingerprint
from pymc_dice.data import SeriesGrid

__all__ = ["BlackBox"]


class BlackBox:
    """``predict(x_batch [B, T, C], series [B]) -> [B, T, 1]`` in scaled units, from the
    adapter's counterfactual forecasts of the held-out window.

    Rows are packed into full-panel scenarios (the k-th row of each series goes to scenario
    k; other series keep their actual spend) and each distinct scenario is forecast once
    (cached by content), so CIG and AR-CIG share every model call.

    Parameters
    ----------
    adapter : AttributionAdapter
        The fitted model.
    window : xr.DataArray
        ``(date, *dims, variable)`` inputs of the held-out window: channels, then controls.
    scale_x : array-like
        Max-abs spend of each channel on the fitted window (the scaled units of the inputs).
    scale_y : float
        Max-abs target on the fitted window (the scaled units of the outputs).

    Examples
    --------
    >>> model, data = toy_demo()  # y(t) = 2 tv(t - 1), fitted on 8 of 12 dates
    >>> window = model.grid(data, ["tv"], model.window_dates(data))
    >>> box = BlackBox(model, window, scale_x=[1.0], scale_y=1.0)
    >>> y = box(box.base, np.array([0]))  # [B, T, 1]: the forecast of the 4 held-out dates
    >>> bool(np.allclose(y[0, :, 0], data["y"].to_numpy()[8:])), box.n_calls
    (True, 1)
    """

    def __init__(self, adapter: AttributionAdapter, window: xr.DataArray, scale_x, scale_y):
        self.adapter = adapter
        self.window = window  # (date, *dims, variable): channels then controls
        self.n_ch = len(adapter.channels)
        self.scale_x = np.asarray(scale_x, dtype=float)
        self.scale_y = float(scale_y)
        self.base = SeriesGrid.series_values(window, adapter.dims)[..., : self.n_ch] / self.scale_x
        self.cache: dict[str, np.ndarray] = {}
        self.n_calls = 0

    def _frame(self, x: np.ndarray) -> pd.DataFrame:
        grid = SeriesGrid.series_values(self.window, self.adapter.dims).copy()
        grid[..., : self.n_ch] = x * self.scale_x
        return SeriesGrid.from_grid(
            SeriesGrid.to_series_grid(grid, self.window, self.adapter.dims),
            self.adapter.date_column,
        )

    def forecast(self, scenarios: list[np.ndarray]) -> list[np.ndarray]:
        """Scaled mean forecasts ``[S, T]`` of full-panel scaled spend scenarios ``[S, T, C]``
        (each distinct scenario is sent to the model once).

        Examples
        --------
        >>> model, data = toy_demo()
        >>> box = BlackBox(model, model.grid(data, ["tv"], model.window_dates(data)), [1.0], 1.0)
        >>> box.forecast([box.base, box.base])[1].shape, box.n_calls
        ((1, 4), 1)
        """
        keys = [fingerprint(x) for x in scenarios]
        todo = {k: x for k, x in zip(keys, scenarios, strict=True) if k not in self.cache}
        if todo:
            frames = [self._frame(x) for x in todo.values()]
            pred = self.adapter.counterfactual_predict(frames)
            pred = pred.transpose("scenario", "date", *self.adapter.dims)
            dims = self.adapter.dims
            pred = pred.reindex(
                date=self.window["date"].values, **{d: self.window[d].values for d in dims}
            )
            self.n_calls += len(frames)
            for k, p in zip(todo, pred.values, strict=True):
                v = p.reshape(p.shape[0], -1).T / self.scale_y  # [S, T]
                self.cache[k] = v
        return [self.cache[k] for k in keys]

    def __call__(self, x_batch: np.ndarray, series: np.ndarray) -> np.ndarray:
        series = np.asarray(series)
        slot = np.zeros(len(series), dtype=int)
        seen: dict[int, int] = {}
        for i, s in enumerate(series.tolist()):
            slot[i] = seen.get(s, 0)
            seen[s] = slot[i] + 1
        scenarios = []
        for k in range(int(slot.max()) + 1 if len(slot) else 0):
            x = self.base.copy()
            rows = np.flatnonzero(slot == k)
            x[series[rows]] = x_batch[rows]
            scenarios.append(x)
        preds = self.forecast(scenarios)
        return np.stack([preds[slot[i]][series[i]] for i in range(len(series))])[..., None]
