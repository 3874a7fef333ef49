"""Tests of the ground-truth simulator (docs/simulator.md)."""

from dataclasses import replace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pymc_dice.simulate import rawlog, rdt, simulate, sparse_target


@pytest.fixture(scope="module")
def sparse():
    """The default sparse-target panel (96 series x 104 weeks), shared by several tests."""
    return sparse_target()


def _cube(sim, columns):
    """``df[columns]`` as ``[S, T, len(columns)]``."""
    n_s = sim.df["geo"].nunique()
    return sim.df[list(columns)].to_numpy(np.float64).reshape(n_s, -1, len(columns))


def _oos_r2(sim, node, use_parents, train_frac=0.7):
    """Out-of-sample R^2 of a pooled least-squares model of ``node`` on its own two lags and
    the controls (plus, with ``use_parents``, each true parent's lagged adstocked value and
    its square, the square allowing for the Hill curvature), on max-abs scaled data.

    Every variable is centred on its per-series training mean (series fixed effects), so the
    R^2 measures how well the week-to-week dynamics are predicted, not the between-series
    level differences (which any model gets for free). Train: first 70% of dates; test: the
    rest.
    """
    nodes, controls = sim.nodes, list(sim.roles["control_columns"])
    x = _cube(sim, nodes + controls)
    x = x / np.abs(x).max(axis=(0, 1))
    i = nodes.index(node)
    main = sim.truth.attrs["main_graph_id"]
    kernel = sim.truth["kernel"].sel(graph_id=main).values  # [source, target, lag]
    n_d = kernel.shape[-1]
    t = np.arange(max(n_d, 2), x.shape[1])
    feats = [x[:, t - 1, i], x[:, t - 2, i]]
    if node == sim.roles["target_column"]:
        feats += [x[:, t, len(nodes) + k] for k in range(len(controls))]
    if use_parents:
        for j in np.flatnonzero(sim.truth["graph"].values[:, i]):
            a = sum(kernel[j, i, d] * x[:, t - d - 1, j] for d in range(n_d))
            feats += [a, a * a]
    f = np.stack(feats, -1)
    y = x[:, t, i]
    n_tr = int(train_frac * len(t))
    f = f - f[:, :n_tr].mean(1, keepdims=True)
    y = y - y[:, :n_tr].mean(1, keepdims=True)
    f_tr, y_tr = f[:, :n_tr].reshape(-1, f.shape[-1]), y[:, :n_tr].reshape(-1)
    f_te, y_te = f[:, n_tr:].reshape(-1, f.shape[-1]), y[:, n_tr:].reshape(-1)
    coef = np.linalg.lstsq(f_tr, y_tr, rcond=None)[0]
    resid = y_te - f_te @ coef
    return 1.0 - (resid**2).sum() / ((y_te - y_te.mean()) ** 2).sum()


def _log_spend_innovations(sim):
    """``log spend_t - spend_ar * log spend_{t-1}``, centred per (series, channel)."""
    z = np.log(_cube(sim, sim.channels))
    u = z[:, 1:] - sim.truth.attrs["spend_ar"] * z[:, :-1]
    return u - u.mean(1, keepdims=True)


# ----------------------------------------------------------------------------- determinism


def test_same_seed_is_bit_identical_and_another_seed_differs():
    a = sparse_target(n_series=6, n_periods=30, seed=3)
    b = sparse_target(n_series=6, n_periods=30, seed=3)
    c = sparse_target(n_series=6, n_periods=30, seed=4)
    pd.testing.assert_frame_equal(a.df, b.df, check_exact=True)
    xr.testing.assert_identical(a.truth, b.truth)
    assert not np.array_equal(a.df["y"].to_numpy(), c.df["y"].to_numpy())
    assert not np.array_equal(a.df["tv"].to_numpy(), c.df["tv"].to_numpy())


# ----------------------------------------------------------------------------- graphs


def _check_graph(adj, sim):
    """Every truth graph: a DAG over candidate edges, with the documented roles."""
    nodes = sim.nodes
    channels = set(sim.channels)
    mediators = list(sim.roles["mediator_columns"])
    target = sim.roles["target_column"]
    g = nx.from_numpy_array(adj, create_using=nx.DiGraph)
    g = nx.relabel_nodes(g, dict(enumerate(nodes)))
    assert nx.is_directed_acyclic_graph(g)
    for src, dst in g.edges:
        # candidate edges only (docs/concepts.md)
        assert src != dst and dst not in channels and src != target
    assert g.in_degree(target) == sim.truth.attrs["n_target_parents"]
    assert all(g.in_degree(m) >= 1 for m in mediators)
    assert all(g.in_degree(c) == 0 for c in channels)
    assert g.out_degree(target) == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: sparse_target(n_series=4, n_periods=10),
        lambda: simulate(
            n_channels=3,
            n_mediators=3,
            n_target_parents=5,
            n_series=8,
            n_periods=10,
            n_graphs=8,
            max_lag=3,
            seed=2,
        ),
        lambda: simulate(n_channels=2, n_mediators=0, n_target_parents=1, n_series=2, n_periods=10),
        lambda: rdt(5, 12, 10, n_series=10, seed=1),
        lambda: rawlog(n_series=20, n_periods=10, seed=5),
    ],
)
def test_truth_graphs_are_candidate_dags_with_the_requested_target_parents(make):
    sim = make()
    truth = sim.truth
    max_lag = truth.attrs["max_lag"]
    for gid in truth["graph_id"].values:
        adj = truth["graphs"].sel(graph_id=gid).values
        assert adj.dtype == np.int8 and set(np.unique(adj)) <= {0, 1}
        _check_graph(adj, sim)
        lag = truth["lag"].sel(graph_id=gid).values
        # lag > 0 exactly on edges (no instantaneous edges), within 1..max_lag
        assert np.array_equal(lag > 0, adj == 1) and lag.max() <= max_lag
    # `graph` is the graph of the most common series_graph (the only one when n_graphs=1)
    counts = np.bincount(truth["series_graph"].values)
    np.testing.assert_array_equal(truth["graph"].values, truth["graphs"].values[counts.argmax()])
    assert truth["graph"].dims == ("source", "target")
    assert list(truth["source"].values) == sim.nodes == list(truth["target"].values)


# ----------------------------------------------------------------------------- truth


def test_contributions_equal_a_resimulated_noise_free_counterfactual():
    sim = simulate(n_series=5, n_periods=40, n_graphs=3, seed=7)
    system, spend, burn = sim.system, sim.spend, sim.truth.attrs["burn_in"]
    # the observed data come from the same dynamics function, with the drawn noise
    observed = system.run(spend, sim.noise)[:, burn:]
    np.testing.assert_array_equal(_cube(sim, sim.nodes), observed)
    # contributions: noise-free y minus noise-free y with one channel zeroed over the
    # window, each scenario run on its own here (the simulator stacks them in one pass)
    y_all = system.run(spend)[:, burn:, -1]
    contrib = sim.truth["channel_contribution"]
    for c, name in enumerate(sim.channels):
        zeroed = spend.copy()
        zeroed[:, burn:, c] = 0.0
        expected = y_all - system.run(zeroed)[:, burn:, -1]  # [S, T]
        got = contrib.sel(channel=name).transpose("geo", "date").values
        # same arithmetic up to the order of floating-point sums: relative 1e-9 of y
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9 * np.abs(y_all).max())
    # positive monotone effects: zeroing a channel can only lower y; a channel without a
    # directed path to y in a series' graph contributes exactly nothing there
    assert (contrib.values >= -1e-9 * np.abs(y_all).max()).all()
    for s, gid in enumerate(sim.truth["series_graph"].values):
        g = nx.from_numpy_array(sim.truth["graphs"].values[gid], create_using=nx.DiGraph)
        for c in range(len(sim.channels)):
            total = contrib.isel(geo=s, channel=c).sum().item()
            if nx.has_path(g, c, len(sim.nodes) - 1):
                assert total > 0
            else:
                assert total == 0.0
    # ROAS = total contribution / total spend, in original units
    spent = sim.df[sim.channels].sum().to_numpy()
    np.testing.assert_allclose(sim.truth["roas"].values, contrib.sum(("date", "geo")) / spent)


def test_controls_enter_only_the_target_equation():
    sim = sparse_target(n_series=4, n_periods=30, seed=1)
    system = sim.system
    base = system.run(sim.spend)
    flat = replace(system, control_drive=np.zeros_like(system.control_drive)).run(sim.spend)
    n_c = len(sim.channels)
    np.testing.assert_array_equal(base[..., :-1], flat[..., :-1])  # channels and mediators
    assert np.abs(base[..., -1] - flat[..., -1]).max() > 1e-3 * base[..., -1].mean()
    assert system.control_drive[..., : n_c + len(sim.roles["mediator_columns"])].max() == 0


# ----------------------------------------------------------------------------- co-movement


def test_channels_comove_as_requested(sparse):
    # 96 x 103 innovations per channel: the sampling sd of a correlation near 0.99 is about
    # (1 - 0.99**2) / sqrt(9888) = 2e-4 and near 0 about 0.01, so +-0.05 is a wide margin
    # for a bias, not for noise.
    def corr(sim):
        u = _log_spend_innovations(sim).reshape(-1, len(sim.channels))
        cc = np.corrcoef(u.T)
        return cc[np.triu_indices_from(cc, 1)]

    assert np.all(np.abs(corr(sparse) - 0.99) < 0.05)
    assert np.all(np.abs(corr(sparse_target(comovement=0.0, seed=1))) < 0.05)
    assert np.all(np.abs(corr(sparse_target(comovement=0.5, seed=2)) - 0.5) < 0.05)
    # the shared budget factor is not smooth: the cross-channel mean innovation has no
    # lag-1 autocorrelation (sampling sd about 0.01)
    f = _log_spend_innovations(sparse).mean(-1)
    ac1 = (f[:, 1:] * f[:, :-1]).sum() / (f * f).sum()
    assert abs(ac1) < 0.05


# ----------------------------------------------------------------------------- learnability


def test_sparse_target_is_non_degenerate(sparse):
    # The bait is real: own history alone predicts y well (target_ar = 0.85 gives at least
    # 0.85**2 = 0.72 for a white drive) ...
    r2_ar = _oos_r2(sparse, "y", use_parents=False)
    r2_oracle = _oos_r2(sparse, "y", use_parents=True)
    assert r2_ar > 0.6
    # ... yet the true parents predict clearly more. With an AR(1) coefficient of 0.85 the
    # parents can add at most 1 - 0.85**2 = 0.28; 0.1 is a "clear" share of that (seed 0
    # gives about 0.18).
    assert r2_ar + 0.1 < r2_oracle


def test_non_degeneracy_holds_for_most_seeds():
    # Robustness of the tuning: the gap varies with the drawn graph (co-moving parents at
    # different lags make the drive smoother, hence more predictable from y's past). On
    # seeds 0..9 it ranges 0.09-0.19 with 8 of 10 above 0.1; require 7 and all above 0.05.
    gaps = []
    for seed in range(10):
        sim = sparse_target(n_series=96, n_periods=104, seed=seed)
        gaps.append(_oos_r2(sim, "y", True) - _oos_r2(sim, "y", False))
    gaps = np.array(gaps)
    assert (gaps > 0.1).sum() >= 7 and gaps.min() > 0.05


def test_true_edges_carry_a_visible_share_of_each_mediators_variance(sparse):
    # Mediators are only mildly persistent, so their parents explain most of them: the gain
    # over own lags is about 0.5-0.8 on sparse_target; 0.2 is a loose floor.
    for m in sparse.roles["mediator_columns"]:
        assert _oos_r2(sparse, m, True) > _oos_r2(sparse, m, False) + 0.2


# ----------------------------------------------------------------------------- presets


def test_rdt_gives_r_distinct_graphs_shared_across_series():
    sim = rdt(4, 10, 30, n_series=12, seed=3)
    graphs = sim.truth["graphs"].values
    assert graphs.shape == (4, 10, 10)
    assert len(np.unique(graphs.reshape(4, -1), axis=0)) == 4
    # balanced assignment: each of the R graphs serves n_series / R series
    assert np.array_equal(np.bincount(sim.truth["series_graph"].values), [3, 3, 3, 3])
    assert len(sim.nodes) == 10 and sim.df["date"].nunique() == 30
    with pytest.raises(ValueError, match="distinct graphs"):
        rdt(3, 3, 10, n_series=6)  # one channel, one mediator: a single possible graph


def test_rawlog_has_zeros_heavy_tails_and_a_graph_per_series():
    raw = rawlog(n_series=32, n_periods=52, seed=0)
    ref = sparse_target(n_series=32, n_periods=52, seed=0)

    def stats(sim):
        x = _cube(sim, sim.channels)
        med = np.nanmedian(np.where(x > 0, x, np.nan), axis=1, keepdims=True)
        return (x == 0).mean(), (x / med > 10).mean(), x.max() / np.median(x[x > 0])

    zeros, bursts, spread = stats(raw)
    ref_zeros, ref_bursts, ref_spread = stats(ref)
    # flighting: about zero_rate = 20% of weeks dark (3200 series-weeks per channel, so the
    # 0.1..0.3 band is many standard errors wide)
    assert 0.1 < zeros < 0.3 and ref_zeros == 0
    # bursts: weeks above 10x their series' median spend (Pareto tail) vs none without
    assert bursts > 0.002 and ref_bursts == 0
    # log-normal levels plus bursts: pooled max / median in the hundreds (about 10 without)
    assert spread > 100 > 3 * ref_spread
    assert (_cube(raw, raw.nodes) >= 0).all()
    graphs = raw.truth["graphs"].values
    assert len(np.unique(graphs.reshape(len(graphs), -1), axis=0)) == 32
    assert sorted(raw.truth["series_graph"].values) == list(range(32))


# ----------------------------------------------------------------------------- layout


def test_dataframe_layout_and_roles():
    sim = sparse_target(n_series=3, n_periods=8, seed=0)
    df, roles = sim.df, sim.roles
    channels = ["tv", "radio", "social", "search_ads", "display"]
    mediators = ["visits", "branded_search"]
    assert list(df.columns) == ["date", "geo", *channels, *mediators, "price", "event", "y"]
    assert sim.nodes == [*channels, *mediators, "y"]
    assert roles == {
        "date_column": "date",
        "dims": ("geo",),
        "channel_columns": tuple(channels),
        "mediator_columns": tuple(mediators),
        "control_columns": ("price", "event"),
        "target_column": "y",
    }
    assert df["date"].dtype == "datetime64[ns]"
    assert pd.api.types.is_string_dtype(df["geo"]) and df["geo"].iloc[0] == "geo_000"
    numeric = df.columns[2:]
    assert all(df[c].dtype == np.float64 for c in numeric)
    assert (df[numeric] >= 0).all().all() and not df.isna().any().any()
    assert len(df) == 3 * 8
    assert df.equals(df.sort_values(["geo", "date"]).reset_index(drop=True))
    weekly = df.groupby("geo")["date"].diff().dropna()
    assert (weekly == pd.Timedelta(weeks=1)).all() and df["date"].min() == pd.Timestamp(
        "2024-01-01"
    )
    assert set(np.unique(df["event"])) <= {0.0, 1.0}
    gen = simulate(n_channels=2, n_mediators=1, n_series=2, n_periods=5, controls=("event",))
    assert list(gen.df.columns) == [
        "date",
        "geo",
        "channel_0",
        "channel_1",
        "mediator_0",
        "event",
        "y",
    ]


def test_truth_layout_and_netcdf_round_trip(tmp_path):
    sim = simulate(n_series=4, n_periods=12, n_graphs=2, seed=0)
    truth = sim.truth
    assert truth["graph"].dtype == np.int8 and truth["graphs"].dtype == np.int8
    assert truth["graphs"].dims == ("graph_id", "source", "target")
    assert truth["series_graph"].dims == ("geo",)
    assert truth["lag"].dims == ("graph_id", "source", "target")
    assert truth["channel_contribution"].dims == ("date", "geo", "channel")
    assert truth["channel_contribution"].dtype == np.float64
    assert truth["roas"].dims == ("channel",)
    assert truth.attrs["preset"] == "simulate" and truth.attrs["seed"] == 0
    assert all(isinstance(v, int | float | str) for v in truth.attrs.values())
    path = tmp_path / "truth.nc"
    truth.to_netcdf(path)
    xr.testing.assert_identical(xr.load_dataset(path), truth)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_channels": 2, "n_mediators": 1, "n_target_parents": 4}, "n_target_parents"),
        ({"n_target_parents": 0}, "n_target_parents"),
        ({"comovement": 1.0}, "comovement"),
        ({"comovement": -0.1}, "comovement"),
        ({"target_ar": 1.0}, "target_ar"),
        ({"n_graphs": 5, "n_series": 4}, "n_graphs"),
        ({"max_lag": 0}, "max_lag"),
        ({"controls": ("price", "weather")}, "controls"),
        ({"channel_names": ["a", "b"]}, "channel_names"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_impossible_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(**{"n_series": 4, "n_periods": 5, **kwargs})


# ----------------------------------------------------------------------------- module


def test_simulate_is_always_the_module():
    import types

    import pymc_dice
    import pymc_dice.simulate as sim

    assert isinstance(sim, types.ModuleType) and pymc_dice.simulate is sim
    assert callable(sim.simulate) and sim.sparse_target is pymc_dice.sparse_target
    assert pymc_dice.national is sim.national and pymc_dice.geo_panel is sim.geo_panel
    assert set(sim.PRESETS) >= {"sparse_target", "rawlog", "national", "geo_panel"}
    # the same in a fresh interpreter, whichever import comes first
    code = (
        "import pymc_dice, types; import pymc_dice.simulate as sim; "
        "from pymc_dice import simulate as s2; "
        "assert isinstance(sim, types.ModuleType) and s2 is sim and sim.sparse_target; "
        "from pymc_dice.simulate import simulate; assert callable(simulate)"
    )
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_settings_raise_with_a_hint():
    from pymc_dice.exceptions import ConfigError
    from pymc_dice.simulate import SimConfig, national

    with pytest.raises(ConfigError, match="Did you mean 'comovement'"):
        sparse_target(n_series=2, n_periods=5, comovment=0.5)
    with pytest.raises(ConfigError, match="Did you mean 'target_ar'"):
        national(n_periods=10, target_arr=0.2)
    cfg = SimConfig.create(n_series=2, n_periods=5, seed=3)
    with pytest.raises(Exception, match="frozen|cannot assign"):
        cfg.seed = 4
    # a config and the same keywords give the same panel
    pd.testing.assert_frame_equal(simulate(cfg).df, simulate(n_series=2, n_periods=5, seed=3).df)


# ----------------------------------------------------------------------------- fingerprints

# Fingerprints of the outputs of the original single-function simulator (before it became a
# package), for fixed seeds: every df column and every truth variable, floats written with 13
# significant digits (so a platform's last-ulp differences in exp/pow do not matter, but any
# change of the random draws or their order does).
FINGERPRINTS = {
    "sparse_s0": "ac219df8f831708d",
    "sparse_s3": "61be65f863d00260",
    "rdt": "840095db7f2963f6",
    "rawlog": "abd49fdd7126fefc",
    "generic": "e485f310b56305c4",
}
FINGERPRINT_CALLS = {
    "sparse_s0": lambda: sparse_target(n_series=6, n_periods=30, seed=0),
    "sparse_s3": lambda: sparse_target(n_series=4, n_periods=20, seed=3),
    "rdt": lambda: rdt(3, 6, 20, n_series=6, seed=1),
    "rawlog": lambda: rawlog(n_series=5, n_periods=25, seed=2),
    "generic": lambda: simulate(
        n_channels=3,
        n_mediators=3,
        n_target_parents=4,
        n_series=5,
        n_periods=15,
        n_graphs=2,
        max_lag=3,
        carryover_length=3,
        spend_ar=0.5,
        controls=("event",),
        seed=9,
    ),
}


def _fingerprint(sim):
    import hashlib

    arrays = {}
    for c in sim.df.columns:
        v = sim.df[c].to_numpy()
        arrays["df." + c] = v.astype(str) if v.dtype == object else v
    for k, v in sim.truth.data_vars.items():
        arrays["truth." + k] = v.values
    h = hashlib.sha256()
    for k in sorted(arrays):
        v = np.asarray(arrays[k])
        if v.dtype.kind == "f":
            v = np.char.mod("%.12e", v.ravel())
        h.update(k.encode())
        h.update(np.ascontiguousarray(v.astype(str)).tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("name", list(FINGERPRINTS))
def test_old_presets_reproduce_the_recorded_outputs(name):
    assert _fingerprint(FINGERPRINT_CALLS[name]()) == FINGERPRINTS[name]


# ----------------------------------------------------------------------------- marketing presets


@pytest.fixture(scope="module")
def nat():
    from pymc_dice.simulate import national

    return national(seed=0)


@pytest.fixture(scope="module")
def panel():
    from pymc_dice.simulate import geo_panel

    return geo_panel(seed=0)


def _zeroed_contribution(sim, channel):
    """Independent re-simulation through the public expected-target function."""
    plan = sim.df.copy()
    plan[channel] = 0.0
    return sim.expected_target() - sim.expected_target(plan)


@pytest.mark.parametrize("which", ["nat", "panel", "nat_geos_delayed_hill"])
def test_marketing_contributions_are_re_simulated_and_roas_is_their_ratio(which, request):
    from pymc_dice.simulate import national

    if which == "nat_geos_delayed_hill":
        sim = national(
            n_channels=4,
            n_periods=60,
            n_geos=3,
            carryover="delayed",
            saturation="hill",
            target_ar=0.4,
            seed=2,
        )
    else:
        sim = request.getfixturevalue(which)
    truth, dims = sim.truth, tuple(sim.roles["dims"])
    contrib = truth["channel_contribution"]
    assert contrib.dims == ("date", *dims, "channel")
    y_scale = float(np.abs(sim.expected_target()).max())
    for ch in sim.channels:
        expected = _zeroed_contribution(sim, ch).transpose("date", *dims)
        # same engine, scenarios stacked vs run alone: equal up to float summation order
        np.testing.assert_allclose(
            contrib.sel(channel=ch).values, expected.values, rtol=0, atol=1e-9 * y_scale
        )
    spent = sim.df[sim.channels].sum().to_numpy()
    np.testing.assert_allclose(
        truth["roas"].values, contrib.sum([*dims, "date"]) / spent, rtol=1e-12
    )
    roas = truth["roas"].to_series()
    real = [c for c in sim.channels if c != "placebo"]
    # realistic and distinct: one draw per slice of roas_range (0.7-6), exact by calibration
    assert (roas[real] > 0.5).all() and (roas[real] < 8).all()
    np.testing.assert_allclose(np.sort(roas[real]), np.unique(roas[real].round(6)), rtol=1e-6)
    if "placebo" in sim.channels:
        assert roas["placebo"] == 0.0 and (contrib.sel(channel="placebo") == 0).all()


def test_national_layout_has_no_dims_column(nat):
    df = nat.df
    assert list(df.columns) == ["date", "tv", "social", "search", "price", "event", "y"]
    assert nat.roles["dims"] == () and len(df) == 156 and df["date"].is_monotonic_increasing
    assert (df["date"].diff().dropna() == pd.Timedelta(weeks=1)).all()
    assert not df.isna().any().any() and (df[nat.channels] >= 0).all().all()
    # spend in currency units: hundreds to thousands per week, flighting with dark weeks
    on = df[nat.channels].where(df[nat.channels] > 0)
    assert (on.median() > 100).all() and (on.median() < 10_000).all()
    assert ((df[nat.channels] == 0).mean() > 0.02).all()
    assert (df["y"] > 1000).all() and set(df["event"].unique()) == {0.0, 1.0}
    # the price index has a negative effect, the event a positive one
    coef = nat.truth["control_coef"].to_series()
    assert coef["price"] < 0 < coef["event"]
    # carryover from the same week on, kernels summing to one, 3 direct edges
    kernel = nat.truth["kernel"].sel(target="y", source=nat.channels)
    assert (kernel.sel(kernel_lag=0) > 0).all()
    np.testing.assert_allclose(kernel.sum("kernel_lag"), 1.0)
    assert int(nat.truth["graph"].sum()) == 3
    assert nat.truth.attrs["target_ar"] == 0.0


def test_national_is_deterministic_per_seed():
    from pymc_dice.simulate import national

    a, b, c = (
        national(n_periods=40, seed=5),
        national(n_periods=40, seed=5),
        national(n_periods=40, seed=6),
    )
    pd.testing.assert_frame_equal(a.df, b.df, check_exact=True)
    xr.testing.assert_identical(a.truth, b.truth)
    assert not np.array_equal(a.df["y"], c.df["y"])


def test_national_with_geos_and_daily_frequency():
    from pymc_dice.simulate import national

    geo = national(n_geos=3, n_periods=30, seed=1)
    assert list(geo.df.columns[:2]) == ["date", "geo"] and geo.roles["dims"] == ("geo",)
    assert geo.truth["channel_contribution"].dims == ("date", "geo", "channel")
    daily = national(n_periods=60, freq="D", carryover="delayed", seed=1)
    assert (daily.df["date"].diff().dropna() == pd.Timedelta(days=1)).all()
    # a delayed kernel peaks 1-2 weeks (7-14 days) after the spend
    peak = daily.truth["adstock_delay"].sel(target="y", source=daily.channels)
    assert set(peak.values.tolist()) <= {7, 14}


def test_geo_panel_layout_funnel_and_placebo(panel):
    df, truth = panel.df, panel.truth
    channels = ["tv", "social", "search", "display", "video", "radio", "placebo"]
    assert list(df.columns) == [
        "date",
        "geo",
        *channels,
        "visits",
        "branded_search",
        "price",
        "event",
        "y",
    ]
    assert len(df) == 60 * 120 and not df.isna().any().any()
    assert (df[[*channels, "visits", "branded_search", "y"]] >= 0).all().all()
    graph = truth["graph"]
    assert int(graph.sel(source="placebo").sum()) == 0
    assert (graph.sel(source=["visits", "branded_search"], target="y") == 1).all()
    assert graph.sel(source=channels[:-1], target=["visits", "branded_search"]).sum() > 0
    assert graph.sel(source=channels[:-1], target="y").sum() > 0
    assert (truth["carryover"] == 1).any() and (truth["saturation"] == 1).any()
    assert truth.attrs["target_ar"] == 0.55 and truth["market_size"].dims == ("geo",)


def test_geo_panel_comovement_and_placebo_correlation(panel):
    # Within-geo correlation of log spend (geo means removed). 70% of the shared factor is
    # national: its realised variance over 120 AR(1) weeks has a relative sd of about
    # sqrt(2 / 72) = 0.17, which moves every pairwise correlation together by about
    # 0.1 * 0.7 * 0.17 = 0.012 (seeds 0-4 give 0.874-0.905); 0.04 is about 3 sd. The placebo
    # follows tv through its own geo-level term only (seeds 0-4: 0.964-0.971).
    x = np.log(panel.df[panel.channels].to_numpy()).reshape(60, 120, -1)
    x = (x - x.mean(1, keepdims=True)).reshape(-1, x.shape[-1])
    cc = np.corrcoef(x.T)
    real = cc[:-1, :-1][np.triu_indices(len(panel.channels) - 1, 1)]
    assert np.all(np.abs(real - 0.9) < 0.04)
    assert abs(cc[-1, 0] - 0.97) < 0.02  # the placebo follows tv


def test_expected_target_rejects_bad_spend_frames(nat):
    from pymc_dice.exceptions import DataValidationError

    with pytest.raises(DataValidationError, match="lacks column"):
        nat.expected_target(nat.df.drop(columns="tv"))
    with pytest.raises(DataValidationError, match="outside the simulated window"):
        nat.expected_target(nat.df.assign(date=nat.df["date"] + pd.Timedelta(weeks=1)))
    with pytest.raises(DataValidationError, match="negative"):
        nat.expected_target(nat.df.assign(tv=-1.0))
    # more budget on the best channel raises the expected target
    best = nat.truth["roas"].to_series().idxmax()
    assert float(nat.expected_target(nat.df.assign(**{best: nat.df[best] * 1.2})).sum()) > float(
        nat.expected_target().sum()
    )
