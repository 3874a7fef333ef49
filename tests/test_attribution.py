"""Tests of the model-agnostic attribution suite (pymc_dice.attribution).

Toy adapters with known derivatives check the definitions exactly and fast; one tiny
pymc-marketing MMM and one tiny DiceMMM (module fixtures) check the adapters and the comparison.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pymc_dice.attribution import (
    VARIABLES,
    AttributionAdapter,
    DiceAdapter,
    PymcMarketingAdapter,
    as_adapter,
    attribution_tests,
    compare,
    to_table,
)
from pymc_dice.simulate import sparse_target
from tests.toy_models import demo

CHANNELS = ["tv", "search_ads", "display", "placebo"]
N_HOLD = 10
HORIZON = 3


# --------------------------------------------------------------------------------------------
# toy models: exact answers
# --------------------------------------------------------------------------------------------


class PanelLag(AttributionAdapter):
    """Two geos: ``y_g(t) = w[g, tv] tv_g(t - 1) + w[g, radio] radio_g(t - lag)``."""

    def __init__(self, data, n_fit, weights, lag=1):
        geos = sorted(data["geo"].unique())
        dates = sorted(data["date"].unique())
        super().__init__(
            channels=["tv", "radio"],
            target="y",
            date_column="date",
            fitted_dates=dates[:n_fit],
            dims=("geo",),
            dim_coords={"geo": geos},
        )
        self.data, self.weights, self.lag = data, np.asarray(weights, dtype=float), lag

    def _y(self, spend):  # spend (date, geo, variable) -> (date, geo)
        x = spend.values
        y = np.zeros(x.shape[:2])
        y[1:] += self.weights[:, 0] * x[:-1, :, 0]
        y[self.lag :] += self.weights[:, 1] * x[: -self.lag, :, 1]
        return y

    def counterfactual_predict(self, scenarios):
        n = len(self.fitted_dates)
        hist = self.grid(self.data, self.channels)
        out = []
        for f in scenarios:
            dates = pd.DatetimeIndex(sorted(f["date"].unique()))
            new = self.grid(f, self.channels, dates)
            full = xr.concat([hist, new], dim="date")
            out.append(self._y(full)[n:])
        return xr.DataArray(
            np.array(out),
            dims=("scenario", "date", "geo"),
            coords={"date": dates, "geo": self.dim_coords["geo"]},
        )

    def contributions_by_chain(self, data=None):
        spend = self.grid(self.data if data is None else data, self.channels)
        parts = []
        for j in range(2):
            zero = spend.copy()
            zero[..., j] = 0.0
            parts.append(self._y(spend) - self._y(zero))
        c = np.stack(parts, -1)[None]
        return xr.DataArray(
            c,
            dims=("chain", "date", "geo", "channel"),
            coords={
                "date": self.fitted_dates,
                "geo": self.dim_coords["geo"],
                "channel": ["tv", "radio"],
            },
        )


def panel_data(weights, lag=1, n_dates=14, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_dates, freq="W-MON")
    rows = []
    for g, geo in enumerate(["g0", "g1"]):
        tv, radio = rng.uniform(1, 2, n_dates), rng.uniform(1, 3, n_dates)
        y = np.zeros(n_dates)
        y[1:] += weights[g][0] * tv[:-1]
        y[lag:] += weights[g][1] * radio[:-lag]
        rows.append(pd.DataFrame({"date": dates, "geo": geo, "tv": tv, "radio": radio, "y": y}))
    return pd.concat(rows, ignore_index=True)


def toy_truth(edges_by_geo, data):
    """A truth Dataset with one graph per geo (nodes tv, radio, y) and zero contributions."""
    nodes = ["tv", "radio", "y"]
    graphs = np.zeros((len(edges_by_geo), 3, 3), dtype=int)
    for k, edges in enumerate(edges_by_geo):
        for s in edges:
            graphs[k, nodes.index(s), 2] = 1
    dates = pd.DatetimeIndex(sorted(data["date"].unique()))
    return xr.Dataset(
        {
            "graph": (("source", "target"), graphs[0]),
            "graphs": (("graph_id", "source", "target"), graphs),
            "series_graph": ("geo", np.arange(len(edges_by_geo)) % len(graphs)),
            "channel_contribution": (
                ("date", "geo", "channel"),
                np.zeros((len(dates), 2, 2)),
            ),
        },
        coords={
            "source": nodes,
            "target": nodes,
            "geo": ["g0", "g1"],
            "date": dates,
            "channel": ["tv", "radio"],
        },
    )


def test_toy_influence_is_exact_in_scaled_units():
    weights = [[2.0, 0.5], [1.0, 0.5]]
    data = panel_data(weights, lag=2)
    model = PanelLag(data, 9, weights, lag=2)
    ds = attribution_tests(model, data, horizon=2)
    fit = data[data["date"] <= model.fitted_dates[-1]]
    s_tv, s_radio, s_y = fit["tv"].max(), fit["radio"].max(), fit["y"].abs().max()
    # CIG reads t+1 only: tv's lag-1 effect; radio acts at lag 2
    assert ds["cig"].sel(channel="tv").item() == pytest.approx(1.5 * s_tv / s_y, rel=1e-6)
    assert ds["cig"].sel(channel="radio").item() == pytest.approx(0.0, abs=1e-9)
    # AR-CIG sums t+1..t+2: both
    assert ds["ar_cig"].sel(channel="tv").item() == pytest.approx(1.5 * s_tv / s_y, rel=1e-6)
    assert ds["ar_cig"].sel(channel="radio").item() == pytest.approx(0.5 * s_radio / s_y, rel=1e-6)
    assert ds["mse_target"].item() == pytest.approx(0.0, abs=1e-20)
    # 5 held-out dates, H = 2: origins 0..2; one base forecast + 3 origins x 2 channels,
    # the two series packed into one scenario, CIG served from the cache
    assert ds.attrs["n_origins"] == 3 and ds.attrs["n_forecasts"] == 1 + 3 * 2
    # ROAS = total contribution / total spend over the fitted window
    contrib = model.contributions(data).sum(("date", "geo"))
    spend = model.grid(data, ["tv", "radio"]).sum(("date", "geo")).values
    np.testing.assert_allclose(ds["roas"].values, contrib.values / spend)


def test_toy_scores_pool_per_series_truth():
    # geo g0 is driven by tv only, g1 by radio only: per-series truth, pooled scores are perfect
    weights = [[2.0, 0.0], [0.0, 3.0]]
    data = panel_data(weights)
    model = PanelLag(data, 9, weights)
    ds = attribution_tests(model, data, toy_truth([["tv"], ["radio"]], data), horizon=2)
    assert ds["ar_cig_nauprc"].item() == pytest.approx(1.0)
    assert ds["cig_auroc"].item() == pytest.approx(1.0)
    # one graph shared by the series: the series-mean influence is scored; radio's mean
    # (0 + 3 s_radio) / 2 beats tv's (2 s_tv + 0) / 2, so a radio -> y truth is perfect and a
    # tv -> y truth ranks its only edge last
    ds = attribution_tests(model, data, toy_truth([["radio"], ["radio"]], data), horizon=2)
    assert ds["ar_cig_nauprc"].item() == pytest.approx(1.0)
    ds = attribution_tests(model, data, toy_truth([["tv"], ["tv"]], data), horizon=2)
    assert ds["ar_cig_nauprc"].item() == pytest.approx(0.0)
    assert ds["ar_cig_auroc"].item() == pytest.approx(0.0)


def test_degenerate_truth_gives_nan_with_a_note():
    weights = [[2.0, 0.5], [1.0, 0.5]]
    data = panel_data(weights)
    model = PanelLag(data, 9, weights)
    for edges, kind in (([[], []], "no true edge"), ([["tv", "radio"]] * 2, "only true edges")):
        ds = attribution_tests(model, data, toy_truth(edges, data), horizon=2)
        assert np.isnan(ds["ar_cig_nauprc"].item()) and np.isnan(ds["cig_auroc"].item())
        assert kind in ds.attrs["notes"]
        assert np.isfinite(ds["ar_cig"].values).all()  # the influence itself is still there


def test_windows_too_short_and_no_truth():
    model, data = demo(n_dates=10, n_fit=8)  # 2 held-out dates
    ds = attribution_tests(model, data, horizon=2)
    assert np.isnan(ds["ar_cig"]).all() and np.isfinite(ds["mse_target"].item())
    assert "horizon + 1" in ds.attrs["notes"] and "no truth" in ds.attrs["notes"]
    ds = attribution_tests(model, data[data["date"] <= model.fitted_dates[-1]], horizon=2)
    assert np.isnan(ds["mse_target"].item()) and "no held-out dates" in ds.attrs["notes"]
    assert list(ds.data_vars) == list(VARIABLES)


def test_input_errors():
    model, data = demo()
    with pytest.raises(ValueError, match="not a channel"):
        attribution_tests(model, data, placebo="radio")
    with pytest.raises(ValueError, match="no value for some"):
        attribution_tests(model, data.iloc[1:], horizon=2)
    with pytest.raises(ValueError, match="horizon"):
        attribution_tests(model, data, horizon=0)
    with pytest.raises(TypeError, match="no attribution adapter"):
        as_adapter("not a model")


def test_to_table_is_tidy():
    model, data = demo()
    ds = compare({"a": model, "b": demo(seed=1)[0]}, data, horizon=2)
    table = to_table(ds)
    assert list(table.columns) == ["model", "metric", "channel", "value"]
    assert not table.duplicated(["model", "metric", "channel"]).any()
    n_channel_vars = sum(1 for d in VARIABLES.values() if d)
    assert len(table) == 2 * (n_channel_vars * 1 + len(VARIABLES) - n_channel_vars)
    assert set(table["metric"]) == set(VARIABLES)


# --------------------------------------------------------------------------------------------
# a tiny pymc-marketing MMM and a tiny DiceMMM on sparse_target
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_data():
    sim = sparse_target(n_series=2, n_periods=60, seed=0)
    df = sim.df.copy()
    rng = np.random.default_rng(1)
    # placebo: search_ads shuffled over dates within each geo (no effect by construction)
    df["placebo"] = df.groupby("geo")["search_ads"].transform(lambda s: rng.permutation(s.values))
    dates = sorted(df["date"].unique())
    train = df[df["date"] < dates[-N_HOLD]].reset_index(drop=True)
    return sim, df, train


@pytest.fixture(scope="module")
def pymc_mmm(sim_data):
    pytest.importorskip("pymc_marketing")
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    _, _, train = sim_data
    mmm = MMM(
        date_column="date",
        channel_columns=CHANNELS,
        target_column="y",
        adstock=GeometricAdstock(l_max=4),
        saturation=LogisticSaturation(),
        dims=("geo",),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(
            train[["date", "geo", *CHANNELS]],
            train["y"],
            chains=2,
            draws=50,
            tune=50,
            cores=1,
            random_seed=0,
            progressbar=False,
        )
    return mmm


@pytest.fixture(scope="module")
def pymc_adapter(pymc_mmm):
    return PymcMarketingAdapter(pymc_mmm, name="bayesian")


@pytest.fixture(scope="module")
def pymc_result(pymc_adapter, sim_data):
    sim, df, _ = sim_data
    return attribution_tests(pymc_adapter, df, sim.truth, horizon=HORIZON, placebo="placebo")


@pytest.fixture(scope="module")
def dice_mmm(sim_data):
    from pymc_dice.mmm import DiceMMM

    _, _, train = sim_data
    mmm = DiceMMM(
        channel_columns=CHANNELS,
        mediator_columns=["visits", "branded_search"],
        control_columns=["price", "event"],
        dims=["geo"],
        trainer_config={
            "epochs_stage1": 5,
            "epochs_stage2": 5,
            "horizon": HORIZON,
            "n_seeds": 2,
            "progressbar": False,
        },
    )
    mmm.fit(train, random_seed=0, draws=2)
    return mmm


def test_pymc_marketing_suite_has_every_variable(pymc_result):
    ds = pymc_result
    assert list(ds.data_vars) == list(VARIABLES)
    for name, dims in VARIABLES.items():
        assert ds[name].dims == dims
    finite = [
        "spend",
        "contribution",
        "roas",
        "roas_sd_across_chains",
        "true_contribution",
        "true_roas",
        "roas_error",
        "cig",
        "ar_cig",
    ]
    for name in finite:
        assert np.isfinite(ds[name].values).all(), name
    # the 90 % interval over (chain, draw) brackets the posterior-mean ROAS
    assert (ds["roas_lower"] <= ds["roas"]).all() and (ds["roas"] <= ds["roas_upper"]).all()
    assert (ds["roas_upper"] > ds["roas_lower"]).all()  # real draws, not one point
    scalars = [
        "roas_abs_error_mean",
        "ar_cig_nauprc",
        "ar_cig_auroc",
        "placebo_share",
        "mse_target",
    ]
    for name in scalars:
        assert np.isfinite(ds[name].item()), name
    # channels with an effect correlate; tv and the placebo have no true effect: NaN + note
    assert np.isfinite(ds["contribution_corr"].sel(channel=["search_ads", "display"])).all()
    assert np.isnan(ds["contribution_corr"].sel(channel=["tv", "placebo"])).all()
    assert "contribution_corr[tv]" in ds.attrs["notes"]
    np.testing.assert_allclose(ds["roas_error"], ds["roas"] - ds["true_roas"])
    assert ds["true_roas"].sel(channel="placebo").item() == 0.0
    assert 0.0 <= ds["placebo_share"].item() <= 1.0
    assert ds.attrs["n_chains"] == 2 and ds.attrs["n_origins"] == N_HOLD - HORIZON


def test_counterfactual_contributions_equal_pymc_marketing(pymc_mmm, pymc_adapter, sim_data):
    # Identity link, and LogisticSaturation(0) = 0: mu(actual) - mu(channel j zeroed) is, draw
    # by draw, exactly channel j's term in mu, which is what pymc-marketing's own
    # compute_mean_contributions_over_time reports. Only float rounding may differ.
    _, df, _ = sim_data
    ours = pymc_adapter.contributions(df)
    ref = pymc_mmm.compute_mean_contributions_over_time()
    ref = (
        ref.set_index(["date", "geo"])[CHANNELS]
        .to_xarray()
        .to_dataarray("channel")
        .transpose("date", "geo", "channel")
    )
    ref = ref.assign_coords(geo=[str(g) for g in ref["geo"].values]).reindex_like(ours)
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(ours.values, ref.values, rtol=1e-9, atol=1e-9 * scale)


def test_pymc_forecast_matches_posterior_predictive_mean(pymc_mmm, pymc_adapter, sim_data):
    _, df, _ = sim_data
    pred = pymc_adapter.predict(df)
    assert pred.dims == ("date", "geo") and pred.sizes["date"] == N_HOLD
    hold = df[df["date"] > pymc_adapter.fitted_dates[-1]]
    pp = pymc_mmm.sample_posterior_predictive(
        hold[["date", "geo", *CHANNELS]],
        extend_idata=False,
        include_last_observations=True,
        var_names=["mu"],
        progressbar=False,
    )
    scale = float(pymc_mmm.idata.constant_data["target_scale"])
    ref = (pp["mu"].mean("sample") * scale).transpose("date", "geo")
    np.testing.assert_allclose(pred.values, ref.values, rtol=1e-10)


def test_pymc_data_must_match_the_fit(pymc_adapter, sim_data):
    _, df, _ = sim_data
    bad = df.assign(tv=df["tv"] * 1.01)
    with pytest.raises(ValueError, match="differs from the spend"):
        attribution_tests(pymc_adapter, bad, horizon=HORIZON)


def test_dice_adapter_uses_the_models_contributions(dice_mmm, sim_data):
    _, df, _ = sim_data
    adapter = as_adapter(dice_mmm)
    assert isinstance(adapter, DiceAdapter) and adapter.channels == tuple(CHANNELS)
    ours = adapter.contributions(df).to_series().unstack("channel")[CHANNELS]
    ref = dice_mmm.compute_mean_contributions_over_time().set_index(["date", "geo"])[CHANNELS]
    ours.index = ours.index.set_levels([str(g) for g in ours.index.levels[1]], level=1)
    np.testing.assert_allclose(ours.loc[ref.index].values, ref.values, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(adapter.roas().values, dice_mmm.roas()[CHANNELS].values, rtol=1e-9)


def test_compare_bayesian_and_dice(pymc_adapter, dice_mmm, sim_data):
    sim, df, _ = sim_data
    ds = compare(
        {"bayesian": pymc_adapter, "dice": dice_mmm},
        df,
        sim.truth,
        horizon=HORIZON,
        placebo="placebo",
    )
    assert list(ds["model"].values) == ["bayesian", "dice"]
    assert list(ds["model_type"].values) == ["pymc-marketing", "dice"]
    assert list(ds.data_vars) == list(VARIABLES)
    for name, dims in VARIABLES.items():
        assert ds[name].dims == ("model", *dims)
    for name in ("roas", "roas_error", "ar_cig", "cig", "roas_sd_across_chains"):
        assert np.isfinite(ds[name].values).all(), name
    for name in ("placebo_share", "mse_target", "roas_abs_error_mean", "ar_cig_nauprc"):
        assert np.isfinite(ds[name].values).all(), name
    # the same truth for both models
    np.testing.assert_array_equal(
        ds["true_roas"].sel(model="bayesian"), ds["true_roas"].sel(model="dice")
    )
    table = to_table(ds)
    assert not table.duplicated(["model", "metric", "channel"]).any()
    share = table.query("metric == 'placebo_share'").set_index("model")["value"]
    assert ((share >= 0) & (share <= 1)).all()


def test_draw_roas_reads_pymc_marketings_results(pymc_mmm, pymc_adapter):
    # the identification diagnostic reads pymc-marketing's tree as it is: per-draw ROAS
    # averaged over draws is the adapter's per-chain ROAS (same spend in every draw)
    from pymc_dice.diagnostics.identification import roas_correlation, roas_draws

    per_draw = roas_draws(pymc_mmm.idata).mean("draw")
    expected = pymc_adapter.roas(by_chain=True)
    np.testing.assert_allclose(
        per_draw.transpose(*expected.dims).values, expected.values, rtol=1e-9
    )
    corr = roas_correlation(pymc_mmm.idata)
    assert list(corr.index) == CHANNELS and np.allclose(np.diag(corr.values), 1.0)
