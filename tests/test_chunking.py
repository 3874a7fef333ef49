"""Predictions over many series in series chunks, and counterfactual scenarios in one
batched pass, give the numbers of the unchunked / one-at-a-time computations."""

import numpy as np
import pandas as pd
import pytest

from pymc_dice import ensemble as ensemble_module
from pymc_dice.attribution.adapters import DiceAdapter
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import geo_panel

N_FIT = 32  # weeks fitted; the rest are the scenarios' forecast dates
# Chunked and unchunked runs evaluate the same float64 (structural) / float32 (GRU) rows in
# batches of other sizes; BLAS may then sum in another order, so equality is up to rounding:
# 1e-10 relative in float64 and 1e-5 in float32 are far below any modelling difference.
RTOL64, RTOL32 = 1e-10, 1e-5


def fit(model_config=None, trainer=None):
    sim = geo_panel(n_geos=5, n_periods=40, n_channels=2, n_mediators=1, seed=1)
    df, roles = sim.df, sim.roles
    dates = np.sort(df["date"].unique())
    mmm = DiceMMM(
        **sim.column_kwargs(),
        model_config=model_config or {},
        trainer_config={"max_iter": 20, "epochs_stage1": 2, "horizon": 2, "progressbar": False,
                        **(trainer or {})},
    )
    mmm.fit(df[df["date"] < dates[N_FIT]], progressbar=False, random_seed=3, draws=5)
    return mmm, df[df["date"] >= dates[N_FIT]].drop(columns=[roles["target_column"]])


@pytest.fixture(scope="module")
def structural():
    return fit()


@pytest.fixture(scope="module")
def gru():
    return fit({"arm": "fullgraph", "hidden_size": 4, "max_lag": 2}, {"epochs_stage2": 2})


def one_series_chunks(monkeypatch, ens):
    """Make every chunk one series (checked), so the chunked path really runs."""
    monkeypatch.setattr(ensemble_module, "CHUNK_BYTES", 1)
    chunks = ens.series_chunks(10)
    assert len(chunks) == len(ens.panel.series) == 5


def test_structural_predictions_in_series_chunks(structural, monkeypatch):
    mmm, future = structural
    ens = mmm.ensemble_
    assert ens.structural and len(ens.series_chunks(ens.path_bytes(3, 40))) == 1
    y_full, contrib_full = ens.contributions()
    ll_full = ens.log_likelihood()
    one_series_chunks(monkeypatch, ens)
    y, contrib = ens.contributions()
    assert contrib.shape == contrib_full.shape == (1, 5, 5, N_FIT, 3)  # tv, social, placebo
    np.testing.assert_allclose(y, y_full, rtol=RTOL64, atol=0)
    np.testing.assert_allclose(contrib, contrib_full, rtol=RTOL64, atol=1e-14)
    np.testing.assert_allclose(ens.log_likelihood(), ll_full, rtol=RTOL64, atol=0)
    assert np.abs(contrib).max() > 1e-3  # not trivially equal


def test_gru_rollout_in_series_chunks(gru, monkeypatch):
    mmm, _ = gru
    ens = mmm.ensemble_
    assert not ens.structural
    y_full, contrib_full = ens.contributions()
    one_series_chunks(monkeypatch, ens)
    y, contrib = ens.contributions()
    np.testing.assert_allclose(y, y_full, rtol=RTOL32, atol=1e-6)
    np.testing.assert_allclose(contrib, contrib_full, rtol=RTOL32, atol=1e-6)


def scenarios(future, channels):
    """Actual spend, each channel doubled, and all spend off."""
    out = [future]
    for ch in channels:
        f = future.copy()
        f[ch] = 2 * f[ch]
        out.append(f)
    off = future.copy()
    off[list(channels)] = 0.0
    return [*out, off]


@pytest.mark.parametrize("which", ["structural", "gru"])
def test_batched_counterfactuals_equal_the_per_scenario_loop(which, request, monkeypatch):
    mmm, future = request.getfixturevalue(which)
    adapter = DiceAdapter(mmm)
    frames = scenarios(future, adapter.channels)
    batched = adapter.counterfactual_predict(frames)
    # reference: one DiceMMM.predict per scenario (the fitted history rerun each time)
    loop = np.stack([np.asarray(mmm.predict(f[adapter.columns]), dtype=float) for f in frames])
    assert batched.dims == ("scenario", "date", "geo") and batched.shape == loop.shape
    rtol = RTOL64 if which == "structural" else RTOL32
    np.testing.assert_allclose(batched.values, loop, rtol=rtol, atol=0)
    assert np.abs(loop[0] - loop[-1]).max() > 1e-3 * np.abs(loop[0]).max()  # scenarios differ
    # frames on other dates fall back to one pass each, with the same numbers
    short = frames[0][frames[0]["date"] < frames[0]["date"].max()]
    mixed = adapter.counterfactual_predict([frames[1], short])
    np.testing.assert_allclose(mixed.isel(scenario=0).values, loop[1], rtol=rtol, atol=0)
    assert pd.Index(mixed["date"].values).equals(batched.indexes["date"])
    # chunked batched scenarios: the same again
    one_series_chunks(monkeypatch, mmm.ensemble_)
    chunked = adapter.counterfactual_predict(frames)
    np.testing.assert_allclose(chunked.values, batched.values, rtol=rtol, atol=0)


def test_laplace_hessian_in_series_chunks(monkeypatch):
    import torch

    from pymc_dice.nn import laplace
    from pymc_dice.nn.structural import StructuralDecoder, fit_structural

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(6, 30, 3, generator=gen, dtype=torch.float64)
    c = torch.zeros(6, 30, 1, dtype=torch.float64)
    graph = torch.ones(3, 3, dtype=torch.float64)
    dec = StructuralDecoder(3, 1, n_channels=1, n_series=6, max_lag=2).double()
    fit_structural(dec, x, c, graph, max_iter=30)
    whole = laplace.laplace_posterior(dec, x, c, graph, n_draws=8, joint_levels=64)
    monkeypatch.setattr(laplace, "HESSIAN_BYTES", 1)  # one series per chunk
    assert laplace.hessian_rows(32, 10, 30, dec) == 1
    chunked = laplace.laplace_posterior(dec, x, c, graph, n_draws=8, joint_levels=64)
    assert whole.n_joint == len(whole.mean)  # the 12 per-series levels are in the joint block
    # the same Hessian summed in another order: the same posterior covariance to float64
    # rounding (the draws themselves may rotate within eigenvalues floored to one value)
    torch.testing.assert_close(chunked.cov, whole.cov, rtol=1e-9, atol=1e-12)
    assert whole.n_floored < len(whole.mean) and float(whole.cov.diagonal().min()) > 0
