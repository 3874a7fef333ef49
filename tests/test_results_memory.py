"""The results of a structural fit are built series chunk by series chunk into their stored
layout and dtypes, with the numbers of a float64 recomputation, and a fit warns when they
would not fit in memory."""

import warnings
from dataclasses import replace

import numpy as np
import pytest

from pymc_dice import ensemble as ensemble_module
from pymc_dice import idata as idata_module
from pymc_dice.idata import ResultsMemoryWarning, build_idata, results_nbytes, validate_idata
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import geo_panel

N_GEOS, N_DATES, N_DRAWS = 3, 40, 4
# float32 rounds each value to within 2**-24 (6e-8) of itself, so a float32 copy of an array
# is within 6e-8 x its max-abs everywhere; 1e-6 of the max-abs leaves a margin of 16 and is
# far below any modelling difference
F32_RTOL = 1e-6
# Chunked and unchunked runs evaluate the same float64 rows in batches of other sizes; BLAS
# may sum in another order: agreement to 1e-10 relative
RTOL64 = 1e-10


def make_model() -> DiceMMM:
    sim = geo_panel(n_geos=N_GEOS, n_periods=N_DATES, n_channels=2, n_mediators=1, seed=0)
    return DiceMMM(
        **sim.column_kwargs(),
        trainer_config={"epochs_stage1": 2, "max_iter": 20, "horizon": 2, "progressbar": False},
    )


@pytest.fixture(scope="module")
def fitted():
    df = geo_panel(n_geos=N_GEOS, n_periods=N_DATES, n_channels=2, n_mediators=1, seed=0).df
    mmm = make_model()
    mmm.fit(df, random_seed=0, draws=N_DRAWS)
    return mmm, df


def per_draw_arrays(tree):
    """The per-draw arrays of a results tree, by name."""
    post = tree["posterior"]
    return {
        "channel_contribution": post["channel_contribution"],
        "channel_contribution_original_scale": post["channel_contribution_original_scale"],
        "mu": post["mu"],
        "y": tree["posterior_predictive"]["y"],
        "log_likelihood": tree["log_likelihood"]["y"],
    }


def max_abs_close(actual, expected, rtol=F32_RTOL):
    """``actual`` within ``rtol`` x max|expected| of ``expected`` everywhere."""
    expected = np.asarray(expected, dtype=np.float64)
    atol = rtol * float(np.abs(expected).max())
    assert atol > 0  # not trivially equal
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=0, atol=atol)


def test_stored_dtypes_follow_the_schema(fitted):
    mmm, _ = fitted
    tree = mmm.idata
    arrays = per_draw_arrays(tree)
    # pymc-marketing's MMMIdataSchema types these three as float64; the rest are float32
    for name in ("channel_contribution", "mu", "y"):
        assert arrays[name].dtype == np.float64, name
    for name in ("channel_contribution_original_scale", "log_likelihood"):
        assert arrays[name].dtype == np.float32, name
    const = tree["constant_data"]
    assert const["target_scale"].dtype == const["channel_data"].dtype == np.float64
    assert const["channel_scale"].dtype == np.float64
    assert tree["posterior"]["edge_probability"].dtype == np.float64
    assert validate_idata(tree) == []
    mmm.data.get_channel_contributions(original_scale=True)  # the wrapper validates on init


def test_results_nbytes_is_what_the_tree_stores(fitted):
    mmm, _ = fitted
    stored = sum(int(a.nbytes) for a in per_draw_arrays(mmm.idata).values())
    n_chain = mmm.idata.posterior.sizes["chain"]
    assert stored == results_nbytes(n_chain, N_DRAWS, N_GEOS, N_DATES, 3)  # tv, social, placebo


def test_stored_results_equal_a_float64_recomputation(fitted):
    mmm, _ = fitted
    ens = mmm.ensemble_
    arrays = per_draw_arrays(mmm.idata)
    y64, contrib64 = ens.structural_contributions()  # [chain, draw, S, T (, C)], float64
    contrib = ens.to_grid(np.moveaxis(contrib64, 2, 3), 3)  # (chain, draw, date, geo, channel)
    np.testing.assert_array_equal(arrays["channel_contribution"].values, contrib)
    scale = float(ens.panel.node_scaler.scales[-1])
    max_abs_close(arrays["channel_contribution_original_scale"], contrib * scale)
    # the posterior predictive: each draw's mean plus its noise, the stream of the seeds
    gen = np.random.default_rng(list(ens.seeds))
    noisy = y64 + ens.target_sigma()[..., None] * gen.standard_normal(y64.shape)
    np.testing.assert_array_equal(arrays["y"].values, ens.to_grid(np.moveaxis(noisy, 2, 3), 3))
    np.testing.assert_array_equal(arrays["mu"].values, arrays["y"].values)
    ll = ens.to_grid(np.moveaxis(ens.log_likelihood(), 2, 3), 3)
    max_abs_close(arrays["log_likelihood"], ll)


def test_roas_equals_the_float64_computation(fitted):
    mmm, _ = fitted
    ens = mmm.ensemble_
    panel = ens.panel
    _, contrib64 = ens.structural_contributions()  # [chain, draw, S, T, C] scaled
    total = contrib64.sum((2, 3)).mean(1) * panel.node_scaler.scales[-1]  # [chain, C]
    spend = panel.node_scaler.inverse(panel.values)[..., : panel.n_channels].sum((0, 1))
    expected = (total / spend).mean(0)
    got = mmm.roas()
    assert list(got.index) == list(ens.roles.channel_columns)
    assert np.abs(expected).max() > 1e-3  # not trivially equal
    # ROAS reads the float64 channel_contribution (not the float32 original-scale copy) and
    # sums in float64: the same sums in another order, equal to far better than 1e-9
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-9, atol=0)
    # the original-scale copy is float32: its totals within float32 rounding (6e-8 relative)
    stored = mmm.idata.posterior["channel_contribution_original_scale"]
    totals = stored.mean("draw", dtype=np.float64).sum(("date", "geo")).values  # [chain, C]
    np.testing.assert_allclose(totals, total, rtol=1e-6, atol=0)


def test_results_identical_in_one_series_chunks(fitted, monkeypatch):
    mmm, _ = fitted
    ens = mmm.ensemble_
    assert len(ens.series_chunks(ens.path_bytes(4, N_DATES))) == 1
    monkeypatch.setattr(ensemble_module, "CHUNK_BYTES", 1)
    assert len(ens.series_chunks(ens.path_bytes(4, N_DATES))) == N_GEOS  # one series a chunk
    tree = ens.to_idata(dict(mmm.idata.attrs))
    chunked, full = per_draw_arrays(tree), per_draw_arrays(mmm.idata)
    for name in ("channel_contribution", "mu", "y"):
        np.testing.assert_allclose(chunked[name], full[name], rtol=RTOL64, atol=1e-14)
    for name in ("channel_contribution_original_scale", "log_likelihood"):
        assert chunked[name].dtype == np.float32
        max_abs_close(chunked[name], full[name])  # float32 casts of float64 values 1e-10 apart
    assert tree["posterior"]["edge_probability"].equals(mmm.idata["posterior"]["edge_probability"])


def test_memory_warning_only_over_the_budget(fitted, monkeypatch):
    mmm, df = fitted
    ens = mmm.ensemble_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsMemoryWarning)
        ens.to_idata(dict(mmm.idata.attrs))  # tiny results: no warning
    monkeypatch.setattr(idata_module, "RESULTS_BUDGET_BYTES", 1000)
    with pytest.warns(
        ResultsMemoryWarning, match=r"GB .*4 draws x 3 series.*budget of 0\.0 GB .*draws=1\)"
    ) as rec:
        make_model().fit(df, random_seed=0, draws=N_DRAWS)
    assert rec[0].filename == __file__  # points at the call of fit


def test_build_idata_casts_float32_input_to_the_schema_dtype():
    rng = np.random.default_rng(0)
    tree = build_idata(
        dates=np.array(["2024-01-07", "2024-01-14"], dtype="datetime64[ns]"),
        dims={},
        channels=["tv"],
        nodes=["tv", "y"],
        channel_contribution=rng.random((1, 2, 2, 1), dtype=np.float32),
        y_pred=rng.random((1, 2, 2), dtype=np.float32),
        edge_probability=None,
        channel_data=np.ones((2, 1)),
        target_data=np.ones(2),
        channel_scale=np.ones(1),
        target_scale=3.0,
    )
    post = tree["posterior"]
    assert post["channel_contribution"].dtype == post["mu"].dtype == np.float64
    assert post["channel_contribution_original_scale"].dtype == np.float32
    max_abs_close(post["channel_contribution_original_scale"], post["channel_contribution"] * 3)
    assert validate_idata(tree) == []


def test_write_cells_matches_to_grid_for_a_permuted_grid(fitted):
    """Series written chunk by chunk land where :meth:`to_grid` puts them, in any grid order."""
    ens = replace(fitted[0].ensemble_)
    perm = np.array([2, 0, 1])  # grid cell k holds panel series perm[k]
    ens.grid = ({"geo": ens.dim_coords["geo"][perm]}, perm)
    ens.cells = np.argsort(perm)
    part = np.random.default_rng(0).random((2, 4, N_GEOS, N_DATES, 3))  # [chain, draw, S, T, C]
    out = None
    for sl in (slice(0, 2), slice(2, 3)):
        out = ens._write_cells(out, sl, part[:, :, sl], np.float64)
    expected = ens.to_grid(np.moveaxis(part, 2, 3), 3)
    assert not np.array_equal(expected, np.moveaxis(part, 2, 3))  # the order matters
    np.testing.assert_array_equal(ens._cells_to_dims(out, 3), expected)
