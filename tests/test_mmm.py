"""DiceMMM: fit on a plain DataFrame, idata layout, contributions and ROAS units, forecasts,
bad input, diagnostics and plots (small panels, a few epochs)."""

import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from pymc_marketing.data.idata.mmm_wrapper import MMMIDataWrapper  # noqa: E402
from pymc_marketing.data.idata.schema import MMMIdataSchema  # noqa: E402
from pymc_marketing.mmm.summary import MMMSummaryFactory  # noqa: E402

from pymc_dice.config import ModelConfig, TrainerConfig  # noqa: E402
from pymc_dice.exceptions import DataValidationError, NotFittedError  # noqa: E402
from pymc_dice.idata import contributions_over_time, validate_idata  # noqa: E402
from pymc_dice.mmm import DiceMMM  # noqa: E402
from pymc_dice.simulate import sparse_target  # noqa: E402

CHANNELS = ["tv", "radio", "social", "search_ads", "display"]
MEDIATORS = ["visits", "branded_search"]
CONTROLS = ["price", "event"]
N_SERIES, N_DATES, N_NEW = 8, 52, 4
# The facade tests run the paper's GRU stage 2 (fast, and its graph draws are what several of
# them check); the structural default is tested in test_truth.py and test_structural_mmm.py.
SMALL_MODEL = {"hidden_size": 8, "encoder_hidden": 8, "max_lag": 2, "decoder": "graph-safe"}
SMALL_TRAINER = {
    "epochs_stage1": 3,
    "epochs_stage2": 3,
    "horizon": 3,
    "n_seeds": 2,
    "progressbar": False,
}


@pytest.fixture(scope="module")
def sim():
    return sparse_target(n_series=N_SERIES, n_periods=N_DATES, seed=0)


@pytest.fixture(scope="module")
def split(sim):
    """(train, new): the last N_NEW dates are new dates for the forecasts."""
    dates = np.sort(sim.df["date"].unique())
    cut = dates[-N_NEW]
    return sim.df[sim.df["date"] < cut].reset_index(drop=True), sim.df[
        sim.df["date"] >= cut
    ].reset_index(drop=True)


@pytest.fixture(scope="module")
def plain(split):
    """A plain DataFrame: date, geo, the channels and y (no role arguments needed)."""
    return split[0].drop(columns=[*MEDIATORS, *CONTROLS])


@pytest.fixture(scope="module")
def fitted(plain):
    mmm = DiceMMM(model_config=SMALL_MODEL, trainer_config=SMALL_TRAINER)
    mmm.fit(plain, random_seed=0)
    return mmm


@pytest.fixture(scope="module")
def full(sim, split):
    """Mediators, controls and the true graph as the reference graph; diagnosed."""
    mmm = DiceMMM(
        mediator_columns=MEDIATORS,
        control_columns=CONTROLS,
        graph=sim.truth["graph"],
        model_config=SMALL_MODEL,
        trainer_config={**SMALL_TRAINER, "n_seeds": 1},
    )
    mmm.fit(split[0], random_seed=1)
    with warnings.catch_warnings():  # NaN nAUPRC of all-zero influence (the empty input)
        warnings.simplefilter("ignore", UserWarning)
        mmm.diagnose(horizon=3)
    return mmm


def _few_series(df: pd.DataFrame, n: int = 4) -> pd.DataFrame:
    return df[df["geo"].isin(sorted(df["geo"].unique())[:n])].reset_index(drop=True)


def _nograph(**trainer) -> DiceMMM:
    return DiceMMM(
        model_config={**SMALL_MODEL, "arm": "nograph"},
        trainer_config={**SMALL_TRAINER, "n_seeds": 1, **trainer},
    )


# ----------------------------------------------------------------------------------------
# fit and idata
# ----------------------------------------------------------------------------------------


def test_fit_plain_dataframe(fitted, plain):
    roles = fitted.roles_
    assert roles.channel_columns == tuple(CHANNELS)
    assert roles.dims == ("geo",) and roles.target_column == "y"
    assert roles.mediator_columns == () and roles.control_columns == ()
    idata = fitted.idata
    assert validate_idata(idata) == []
    sizes = dict(idata.posterior.sizes)
    assert (sizes["chain"], sizes["draw"]) == (2, 4)
    assert (sizes["date"], sizes["geo"], sizes["channel"]) == (N_DATES - N_NEW, N_SERIES, 5)
    assert idata.posterior["channel_contribution"].dtype == np.float64
    assert len(fitted.seeds_) == 2 and fitted.graph_samples_.shape[:2] == (2, 4)
    assert idata.attrs["id"] == fitted.id
    # pymc-marketing's readers take the tree unchanged
    schema = MMMIdataSchema.from_model_config(custom_dims=("geo",))
    table = MMMSummaryFactory(MMMIDataWrapper(idata, schema=schema)).roas(frequency="all_time")
    assert isinstance(table, pd.DataFrame) and len(table) == N_SERIES * len(CHANNELS)
    assert {"geo", "channel", "mean"} <= set(table.columns)
    assert fitted.data.channels == CHANNELS


def test_default_effect_support_predicts_with_the_selected_graph(fitted):
    """Stage 2 of support='effect' is trained on the selected graph: every draw uses it."""
    samples = fitted.graph_samples_  # [chain, draw, S, N, N]
    for k, arm in enumerate(fitted.arms_):
        assert (samples[k] == arm.graph_input()).all()
    assert float(fitted.idata.posterior["mu"].std("draw").max()) == 0.0


def test_dice_draws_are_graph_samples(plain):
    mmm = DiceMMM(model_config={**SMALL_MODEL, "support": "threshold"}, trainer_config=SMALL_TRAINER)
    mmm.fit(plain, random_seed=0)
    samples = mmm.graph_samples_  # [chain, draw, S, N, N], dice-hard: binary
    assert set(np.unique(samples)) <= {0.0, 1.0}
    cand = mmm.arms_[0].candidates
    assert not samples[..., ~cand].any()
    mu = mmm.idata.posterior["mu"]
    assert float(mu.std("draw").max()) > 0  # different graphs, different predictions


def test_y_given_separately_and_reproducible(plain):
    df = _few_series(plain)
    X, y = df.drop(columns="y"), df["y"]
    a = _nograph().fit(X, y, random_seed=3)
    b = _nograph().fit(df, random_seed=3)
    xr.testing.assert_equal(a.posterior["mu"], b.posterior["mu"])
    with pytest.raises(DataValidationError, match="one target value per row"):
        _nograph().fit(X, y.to_numpy()[:-1])


def test_configs_validated():
    with pytest.raises(ValueError, match="no setting 'epochs'. Did you mean"):
        DiceMMM(trainer_config={"epochs": 3})
    mmm = DiceMMM(model_config=ModelConfig(arm="nograph"), trainer_config=TrainerConfig())
    assert mmm.model_cfg.arm == "nograph" and isinstance(mmm.model_config, ModelConfig)
    assert mmm.get_params()["dims"] is None
    assert mmm.set_params(dims=["geo"]).dims == ["geo"]
    with pytest.raises(ValueError, match="no parameter"):
        mmm.set_params(epochs=3)
    with pytest.raises(TypeError, match="ModelConfig or a dict"):
        DiceMMM(model_config="dice-hard")


# ----------------------------------------------------------------------------------------
# contributions and ROAS
# ----------------------------------------------------------------------------------------


def test_contribution_units_and_shapes(fitted, plain):
    idata = fitted.idata
    scale = float(idata.constant_data["target_scale"])
    train_dates = np.sort(plain["date"].unique())[: fitted.panel_.train_end]
    assert scale == plain.loc[plain["date"].isin(train_dates), "y"].abs().max()
    df = fitted.compute_mean_contributions_over_time()
    assert list(df.columns) == ["date", "geo", *CHANNELS]
    assert len(df) == (N_DATES - N_NEW) * N_SERIES
    values = df[CHANNELS].to_numpy()
    assert np.isfinite(values).all() and np.isfinite(values.sum())
    scaled = fitted.compute_mean_contributions_over_time(original_units=False)
    np.testing.assert_allclose(values, scaled[CHANNELS].to_numpy() * scale)
    np.testing.assert_allclose(
        contributions_over_time(idata).reset_index()[CHANNELS].to_numpy(), values
    )
    # the warm-up dates (max_lag of them) carry no contribution; mu there is the observation
    warm = fitted.panel_.dates[: SMALL_MODEL["max_lag"]]
    assert (df[df["date"].isin(warm)][CHANNELS] == 0).all().all()
    np.testing.assert_allclose(
        idata.posterior["mu"].sel(date=warm).isel(chain=0, draw=0),
        idata.observed_data["y"].sel(date=warm),
    )
    # ROAS: total contribution (original units) / total spend of the input frame
    roas = fitted.roas()
    assert list(roas.index) == CHANNELS
    want = df[CHANNELS].sum() / plain[CHANNELS].sum()
    np.testing.assert_allclose(roas[CHANNELS].to_numpy(), want.to_numpy(), rtol=1e-9)
    by_geo = fitted.roas(by_dims=True)
    assert by_geo.shape == (N_SERIES, len(CHANNELS)) and list(by_geo.columns) == CHANNELS
    summary = fitted.summary.channels()
    assert list(summary.index) == CHANNELS
    np.testing.assert_allclose(summary["roas"], roas)
    np.testing.assert_allclose(summary["contribution"], df[CHANNELS].sum())
    np.testing.assert_allclose(summary["spend"], plain[CHANNELS].sum())


def test_nograph_contributions_are_exactly_zero(plain):
    """The graph-safe decoder with an empty graph has no path from a channel to the target."""
    mmm = _nograph()
    mmm.fit(_few_series(plain), random_seed=0)
    assert (mmm.idata.posterior["channel_contribution"] == 0).all()
    assert (mmm.roas() == 0).all()
    assert float(mmm.graph_.sum()) == 0 and float(mmm.selected_graph_.sum()) == 0


def test_oracle_contributions_follow_the_graph(plain):
    """Only channels with a path to the target in the given graph contribute: the C + 1
    stacked scenarios map channel j to column j."""
    parents = ["search_ads", "display"]
    mmm = DiceMMM(
        graph=[(c, "y") for c in parents],
        model_config={**SMALL_MODEL, "arm": "oracle"},
        trainer_config={**SMALL_TRAINER, "n_seeds": 1},
    )
    mmm.fit(_few_series(plain), random_seed=0)
    total = mmm.compute_mean_contributions_over_time()[CHANNELS].abs().sum()
    assert (total.drop(parents) == 0).all()
    assert (total[parents] > 0).all()
    assert mmm.selected_graph_.sel(target="y").sum() == len(parents)


def test_graphs(fitted):
    g, sel = fitted.graph_, fitted.selected_graph_
    assert g.dims == sel.dims == ("source", "target")
    assert list(g["source"].values) == [*CHANNELS, "y"]
    cand = fitted.arms_[0].candidates
    assert ((g >= 0) & (g <= 1)).all() and not g.values[~cand].any()
    assert set(np.unique(sel.values)) <= {0.0, 1.0} and not sel.values[~cand].any()
    ep = fitted.idata.posterior["edge_probability"]
    np.testing.assert_allclose(ep.mean(("chain", "draw")), g)


# ----------------------------------------------------------------------------------------
# forecasts on new dates
# ----------------------------------------------------------------------------------------


def test_predict_new_dates(fitted, split):
    new = split[1]
    X = new[["date", "geo", *CHANNELS]]
    pred = fitted.predict(X)
    assert pred.shape == (N_NEW, N_SERIES) and np.isfinite(pred).all()
    pp = fitted.sample_posterior_predictive(X, combined=False)
    assert pp["y"].dims == ("chain", "draw", "date", "geo")
    assert pp["y"].shape == (2, 4, N_NEW, N_SERIES)
    np.testing.assert_array_equal(pp["date"].values, np.sort(new["date"].unique()))
    np.testing.assert_allclose(pp["y"].mean(("chain", "draw")).values, pred)
    # the target and mediators in X are not used; rows may come in any order
    shuffled = new.assign(y=new["y"] * 2).sample(frac=1.0, random_state=0)
    np.testing.assert_array_equal(fitted.predict(shuffled), pred)
    stacked = fitted.sample_posterior_predictive(X, combined=True)
    assert stacked["y"].dims == ("date", "geo", "sample")
    # original units: the same order of magnitude as the observed target
    assert 0.1 < pred.mean() / new["y"].mean() < 10


def test_predict_errors(fitted, split, plain):
    new = split[1][["date", "geo", *CHANNELS]]
    dates = np.sort(new["date"].unique())
    # fitted dates answer with the fit's posterior predictive; mixed with new dates: refused
    tree = fitted.idata  # a forecast written by extend_idata keeps the fit's predictive aside
    fit_pp = tree.get("posterior_predictive_fit", tree["posterior_predictive"])["y"]
    fit_pp = fit_pp.mean(("chain", "draw"))
    scale = float(fitted.idata.constant_data["target_scale"])
    np.testing.assert_allclose(fitted.predict(plain.drop(columns="y")), fit_pp.values * scale)
    with pytest.raises(DataValidationError, match="mixes fitted dates"):
        fitted.predict(pd.concat([plain.drop(columns="y"), new]))
    with pytest.raises(DataValidationError, match="must start on"):
        fitted.predict(new[new["date"] > dates[0]])
    with pytest.raises(DataValidationError, match=r"missing column\(s\) \['tv'\]"):
        fitted.predict(new.drop(columns="tv"))
    with pytest.raises(DataValidationError, match="differ from the fitted series"):
        fitted.predict(new.assign(geo=new["geo"].replace({"geo_000": "mars"})))
    bad = new.copy()
    bad.loc[3, "tv"] = np.nan
    with pytest.raises(DataValidationError, match="'tv' has 1 NaN"):
        fitted.predict(bad)
    with pytest.raises(DataValidationError, match="not regular"):
        fitted.predict(new[new["date"] != dates[1]])
    with pytest.raises(NotFittedError, match="fit"):
        DiceMMM().predict(new)


# ----------------------------------------------------------------------------------------
# bad input surfaces through fit with the data layer's message
# ----------------------------------------------------------------------------------------


def _edit(df, fn):
    out = df.copy()
    fn(out)
    return out


def _nan(d):
    d.loc[5, "tv"] = np.nan


def _negative(d):
    d.loc[5, "radio"] = -3.0


def _zero(d):
    d["social"] = 0.0


@pytest.mark.parametrize(
    ("kwargs", "frame", "message"),
    [
        ({}, lambda df: _edit(df, _nan), "column 'tv' has 1 NaN"),
        ({}, lambda df: _edit(df, _negative), "channel 'radio' has negative spend"),
        ({}, lambda df: pd.concat([df, df.iloc[[0]]]), r"duplicated \(date, geo\) rows"),
        ({}, lambda df: df[df["date"] < df["date"].min() + pd.Timedelta(weeks=10)], "at least"),
        ({"channel_columns": ["tv", "nope"]}, lambda df: df, r"\['nope'\] that are not in"),
        ({}, lambda df: _edit(df, _zero), "channel 'social' is all zero"),
        ({"graph": [("tv", "sales")]}, lambda df: df, r"unknown node\(s\) \['sales'\]"),
        ({"graph": [("y", "tv")]}, lambda df: df, "not candidates"),
        ({}, lambda df: df.to_numpy(), "pandas DataFrame"),
    ],
    ids=[
        "nan",
        "negative",
        "duplicated",
        "too-short",
        "unknown-column",
        "zero-channel",
        "graph-names",
        "graph-edge",
        "not-a-frame",
    ],
)
def test_bad_input_surfaces_through_fit(plain, kwargs, frame, message):
    mmm = DiceMMM(**kwargs, model_config=SMALL_MODEL, trainer_config=SMALL_TRAINER)
    with pytest.raises(DataValidationError, match=message):
        mmm.fit(frame(plain))
    assert not hasattr(mmm, "arms_") and mmm.idata is None


def test_oracle_arm_needs_a_graph(plain):
    with pytest.raises(ValueError, match="pass DiceMMM\\(graph=...\\)"):
        DiceMMM(model_config={"arm": "oracle"}).fit(plain)


# ----------------------------------------------------------------------------------------
# diagnostics and plots
# ----------------------------------------------------------------------------------------


def test_diagnose_stores_dice_group(full):
    dice = full.idata["dice"].to_dataset()
    assert dice["cig"].dims == dice["ar_cig"].dims == ("chain", "source", "target")
    assert dice["graph_swap"].dims == ("chain", "graph_input", "metric")
    assert "oracle" in dice["graph_input"].values  # the constructor's graph is the reference
    assert dice.attrs["reference"] == "graph"
    assert str(dice["verdict"].values) in ("ok", "graph-support selection", "decoder bypass")
    assert full.summary.channels().attrs["verdict"] == str(dice["verdict"].values)
    # mediators and controls reach idata
    idata = full.idata
    assert list(idata.constant_data["control"].values) == CONTROLS
    assert list(idata.posterior["source"].values) == [*CHANNELS, *MEDIATORS, "y"]
    assert validate_idata(idata) == []


def test_plots_return_figures(full, split, fitted):
    new = split[1]
    figs = [
        full.plot.graph(),
        full.plot.influence(),
        full.plot.graph_swap(),
        full.plot.contributions(),
        full.plot.forecast(),
        full.plot.forecast(new),
        fitted.plot.graph(truth=[("search_ads", "y"), ("display", "y")]),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    with pytest.raises(ValueError, match="diagnose"):
        fitted.plot.influence()
