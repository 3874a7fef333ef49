"""The results DataTree against pymc-marketing's own readers (schema, wrapper, summary, plots)."""

import doctest

import arviz as az
import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from pymc_marketing.data.idata.mmm_wrapper import MMMIDataWrapper  # noqa: E402
from pymc_marketing.data.idata.schema import MMMIdataSchema  # noqa: E402
from pymc_marketing.mmm.plot import MMMPlotSuite  # noqa: E402
from pymc_marketing.mmm.summary import MMMSummaryFactory  # noqa: E402

import pymc_dice.idata as idata_mod  # noqa: E402
from pymc_dice.idata import (  # noqa: E402
    build_idata,
    contributions_over_time,
    roas,
    validate_idata,
)

N_CHAIN, N_DRAW, N_T = 2, 3, 10
CHANNELS = ["tv", "radio", "search"]
NODES = [*CHANNELS, "visits", "y"]
GEOS = np.array(["north", "south"])
TS = 200.0  # target scale
# True ROAS per chain (seed) and channel; the mean over chains is [2, 3, 4].
R = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])


def _spend(n_geo: int) -> np.ndarray:
    t = np.arange(N_T)[:, None, None]
    g = np.arange(n_geo)[None, :, None]
    k = np.arange(len(CHANNELS))[None, None, :]
    return 10.0 * (k + 1) * (g + 1) * (1 + 0.1 * t)  # [date, geo, channel]


def _inputs(geo: bool = True) -> dict:
    """Known numbers: contribution = R[chain] * spend / TS plus a zero-mean draw offset."""
    n_geo = len(GEOS) if geo else 1
    spend = _spend(n_geo)
    offset = (np.arange(N_DRAW) - 1.0) * 0.01  # sums to zero over draws
    cc = R[:, None, None, None, :] * spend[None, None] / TS
    cc = cc + offset[None, :, None, None, None]  # [chain, draw, date, geo, channel]
    y_pred = cc.sum(-1) + 0.5
    target = y_pred.mean((0, 1)) * TS
    rng = np.random.default_rng(0)
    n_n = len(NODES)
    dates = pd.date_range("2024-01-01", periods=N_T, freq="W-MON")
    control = np.linspace(-1, 1, N_T * n_geo).reshape(N_T, n_geo, 1)
    frame = pd.DataFrame(
        {
            "date": np.repeat(dates.values, n_geo),
            **({"geo": np.tile(GEOS, N_T)} if geo else {}),
            **{c: spend[..., i].ravel() for i, c in enumerate(CHANNELS)},
            "visits": 1.0,
            "price": control.ravel(),
            "y": target.ravel(),
        }
    ).sample(frac=1.0, random_state=0)  # unsorted, as a user may give it
    dice = xr.Dataset(
        {
            "cig": (("chain", "source", "target"), rng.uniform(size=(N_CHAIN, n_n, n_n))),
            "graph_swap": (("chain", "graph_input", "metric"), rng.uniform(size=(N_CHAIN, 2, 2))),
            "verdict": (("chain",), np.array(["ok", "decoder bypass"])),
            "mse_h7": 0.25,
        },
        coords={
            "source": NODES,
            "target": NODES,
            "graph_input": ["learned", "oracle"],
            "metric": ["mse", "nauprc"],
        },
    )
    squeeze = (slice(None),) * 3 + ((slice(None),) if geo else (0,))
    return dict(
        dates=dates,
        dims={"geo": GEOS} if geo else {},
        channels=CHANNELS,
        nodes=NODES,
        channel_contribution=cc[squeeze],
        y_pred=y_pred[squeeze],
        edge_probability=rng.uniform(size=(N_CHAIN, n_n, n_n)),
        channel_data=spend[(slice(None), slice(None) if geo else 0)],
        target_data=target[(slice(None), slice(None) if geo else 0)],
        channel_scale=spend.max((0, 1)),
        target_scale=TS,
        control_data=control[(slice(None), slice(None) if geo else 0)],
        control_names=["price"],
        fit_data=frame,
        dice=dice,
        attrs={"model_id": "abc123", "config": {"hidden": 16}, "n_seeds": 2},
    )


@pytest.fixture(scope="module")
def inputs():
    return _inputs(geo=True)


@pytest.fixture(scope="module")
def tree(inputs):
    return build_idata(**inputs)


@pytest.fixture(scope="module")
def schema():
    return MMMIdataSchema.from_model_config(custom_dims=("geo",))


def test_layout(tree, inputs):
    post = tree.posterior
    assert post["channel_contribution"].dims == ("chain", "draw", "date", "geo", "channel")
    assert post["channel_contribution"].dtype == np.float64
    np.testing.assert_allclose(
        post["channel_contribution_original_scale"], inputs["channel_contribution"] * TS
    )
    assert post["mu"].dims == ("chain", "draw", "date", "geo")
    assert post["edge_probability"].dims == ("chain", "draw", "source", "target")
    # a per-seed probability is the same for every draw of that seed
    np.testing.assert_array_equal(post["edge_probability"].isel(draw=2), inputs["edge_probability"])
    assert post["source"].values.tolist() == NODES
    assert tree.posterior_predictive["y"].dims == ("chain", "draw", "date", "geo")
    np.testing.assert_allclose(
        tree.observed_data["y"], inputs["target_data"] / TS
    )  # scaled, as pymc stores it
    const = tree.constant_data
    assert const["target_scale"].dims == () and float(const["target_scale"]) == TS
    assert const["control_data"].dims == ("date", "geo", "control")
    fit = tree.fit_data.dataset
    assert fit["tv"].dims == ("date", "geo")
    assert set(fit.data_vars) == {*CHANNELS, "visits", "price", "y"}
    np.testing.assert_allclose(fit["tv"].transpose("date", "geo"), inputs["channel_data"][..., 0])
    xr.testing.assert_identical(tree.dice.to_dataset(), inputs["dice"])
    assert tree.attrs["link"] == "identity"
    assert tree.attrs["dims"] == '["geo"]'
    assert tree.attrs["config"] == '{"hidden": 16}' and tree.attrs["n_seeds"] == 2


def test_validate(tree):
    assert validate_idata(tree) == []
    broken = tree.copy()
    broken["posterior"] = tree.posterior.to_dataset().isel(geo=0, drop=True)
    errors = validate_idata(broken)
    assert any("channel_contribution" in e for e in errors), errors
    broken = tree.copy()
    broken["constant_data"] = tree.constant_data.to_dataset().drop_vars("target_scale")
    assert validate_idata(broken) == [
        "Required variable 'target_scale' not found in group 'constant_data'"
    ]


def test_wrapper_contributions(tree, inputs, schema):
    wrapper = MMMIDataWrapper(tree, schema=schema)  # validates on init
    assert wrapper.custom_dims == ["geo"]
    assert wrapper.channels == CHANNELS
    assert wrapper.dates.equals(inputs["dates"])
    got = wrapper.get_channel_contributions(original_scale=True)
    np.testing.assert_allclose(
        got.transpose("chain", "draw", "date", "geo", "channel"),
        inputs["channel_contribution"] * TS,
    )
    np.testing.assert_allclose(wrapper.get_channel_spend(), inputs["channel_data"])


def test_contributions_over_time(tree, inputs):
    df = contributions_over_time(tree)
    assert list(df.columns) == CHANNELS
    assert df.index.names == ["date", "geo"]
    expected = R.mean(0) * _spend(len(GEOS))  # the draw offsets average out
    np.testing.assert_allclose(df.to_numpy().reshape(N_T, len(GEOS), -1), expected)
    scaled = contributions_over_time(tree, original_units=False)
    np.testing.assert_allclose(scaled.to_numpy() * TS, df.to_numpy())
    # the same numbers as pymc-marketing's summary table
    table = MMMSummaryFactory(MMMIDataWrapper(tree)).contributions()
    means = table.set_index(["date", "geo", "channel"])["mean"].unstack("channel")[CHANNELS]
    np.testing.assert_allclose(means.to_numpy(), df.to_numpy())


def test_roas_matches_summary_factory(tree, schema):
    ours = roas(tree)
    assert ours.dims == ("chain", "channel")
    np.testing.assert_allclose(ours, R)
    by_geo = roas(tree, by_dims=True)
    assert by_geo.dims == ("chain", "geo", "channel")
    factory = MMMSummaryFactory(MMMIDataWrapper(tree, schema=schema))
    table = factory.roas(frequency="all_time")
    got = table.set_index(["geo", "channel"])["mean"]
    want = by_geo.mean("chain").to_series().reorder_levels(["geo", "channel"])
    np.testing.assert_allclose(got.loc[want.index], want)
    np.testing.assert_allclose(want.unstack("channel")[CHANNELS], [R.mean(0)] * len(GEOS))
    # per-date table too: elementwise ROAS of the chain-mean is the chain-mean of R
    per_date = factory.roas()
    assert len(per_date) == N_T * len(GEOS) * len(CHANNELS)


def test_roas_zero_spend_is_nan(inputs):
    args = dict(inputs, channel_data=inputs["channel_data"].copy())
    args["channel_data"][..., 0] = 0.0
    assert np.isnan(roas(build_idata(**args)).sel(channel="tv")).all()


def test_summary_factory_posterior_predictive(tree):
    df = MMMSummaryFactory(MMMIDataWrapper(tree)).posterior_predictive()
    assert {"date", "geo", "mean", "observed"} <= set(df.columns)
    np.testing.assert_allclose(
        df.set_index(["date", "geo"])["observed"].unstack("geo").to_numpy(),
        tree.constant_data["target_data"].values,
    )


def test_arviz_summary(tree, inputs):
    cc = az.summary(tree, var_names=["channel_contribution"])
    assert len(cc) == N_T * len(GEOS) * len(CHANNELS)
    ep = az.summary(tree, var_names=["edge_probability"], kind="stats", round_to="none")
    assert len(ep) == len(NODES) ** 2
    np.testing.assert_allclose(ep["mean"].to_numpy(), inputs["edge_probability"].mean(0).ravel())
    assert len(az.summary(tree)) > 0  # the whole posterior at once


def test_plot_suite(tree):
    suite = MMMPlotSuite(idata=tree)
    fig, axes = suite.posterior_predictive()
    assert isinstance(fig, Figure) and axes.shape == (len(GEOS), 1)
    fig2, _ = suite.contributions_over_time(var=["channel_contribution"], combine_dims=True)
    assert isinstance(fig2, Figure)
    fig3, _ = suite.channel_contribution_share_hdi()
    assert isinstance(fig3, Figure)
    plt.close("all")


def test_single_series():
    inp = _inputs(geo=False)
    tree = build_idata(**inp)
    assert tree.posterior["channel_contribution"].dims == ("chain", "draw", "date", "channel")
    assert validate_idata(tree) == []
    wrapper = MMMIDataWrapper(tree, schema=MMMIdataSchema.from_model_config())
    assert wrapper.custom_dims == []
    np.testing.assert_allclose(roas(tree), R)
    table = MMMSummaryFactory(wrapper).roas(frequency="all_time")
    np.testing.assert_allclose(table.set_index("channel")["mean"][CHANNELS], R.mean(0))
    df = contributions_over_time(tree)
    assert df.index.name == "date" and list(df.columns) == CHANNELS
    assert list(tree.fit_data.dataset.dims) == ["date"]
    fig, _ = MMMPlotSuite(idata=tree).posterior_predictive()
    assert isinstance(fig, Figure)
    plt.close("all")


def test_minimal_tree():
    inp = _inputs(geo=False)
    for key in ("control_data", "control_names", "fit_data", "dice", "attrs"):
        inp.pop(key)
    inp["edge_probability"] = None
    tree = build_idata(**inp)
    assert set(tree.children) == {
        "posterior",
        "posterior_predictive",
        "constant_data",
        "observed_data",
    }
    assert "edge_probability" not in tree.posterior
    assert validate_idata(tree) == []
    # per-draw edge probabilities (sampled graphs) are stored as they are
    ep = np.random.default_rng(1).uniform(size=(N_CHAIN, N_DRAW, len(NODES), len(NODES)))
    tree = build_idata(**dict(inp, edge_probability=ep))
    np.testing.assert_array_equal(tree.posterior["edge_probability"], ep)


def test_netcdf_round_trip(tree, tmp_path):
    path = tmp_path / "results.nc"
    tree.to_netcdf(path)
    with xr.open_datatree(path) as opened:
        back = opened.load()
    assert validate_idata(back) == []
    assert set(back.children) == set(tree.children)
    for group in tree.children:
        xr.testing.assert_equal(back[group].to_dataset(), tree[group].to_dataset())
    assert back.attrs["model_id"] == "abc123" and back.attrs["dims"] == '["geo"]'
    pd.testing.assert_frame_equal(contributions_over_time(back), contributions_over_time(tree))
    xr.testing.assert_allclose(roas(back), roas(tree))
    assert len(az.summary(back, var_names=["edge_probability"], kind="stats")) == len(NODES) ** 2
    MMMSummaryFactory(MMMIDataWrapper(back, schema=MMMIdataSchema.from_model_config(("geo",))))


def test_bad_inputs(inputs):
    with pytest.raises(ValueError, match=r"channel_contribution has shape"):
        build_idata(**dict(inputs, channel_contribution=inputs["channel_contribution"][..., :2]))
    with pytest.raises(ValueError, match=r"edge_probability has shape"):
        build_idata(**dict(inputs, edge_probability=np.zeros((N_CHAIN, 2, 2))))
    with pytest.raises(ValueError, match="control_names"):
        build_idata(**dict(inputs, control_names=None))
    with pytest.raises(ValueError, match="target_scale"):
        build_idata(**dict(inputs, target_scale=0.0))
    with pytest.raises(TypeError, match="attrs"):
        build_idata(**dict(inputs, attrs={"bad": object()}))


def test_doctests():
    result = doctest.testmod(idata_mod)
    assert result.attempted > 0 and result.failed == 0
