"""The save file: exact round trip, readable by xarray/arviz/pymc-marketing, never overwritten
by accident, and no damaged or hostile file gets past ``load`` with anything but
``ModelFileError`` (one tiny model fitted once per module)."""

import dataclasses
import hashlib
import io
import json
import os
import pickle
import re
import tempfile
import zipfile

import arviz as az
import h5netcdf
import h5py
import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
from pymc_marketing.data.idata.mmm_wrapper import MMMIDataWrapper
from pymc_marketing.data.idata.schema import MMMIdataSchema

from pymc_dice import io as model_io
from pymc_dice.exceptions import ModelFileError, NotFittedError
from pymc_dice.idata import validate_idata
from pymc_dice.mmm import DiceMMM
from pymc_dice.simulate import sparse_target

TRAINER = {"epochs_stage1": 2, "epochs_stage2": 2, "horizon": 2, "progressbar": False}
CHANNELS = ["tv", "radio", "social", "search_ads", "display"]
# the GRU stage 2: every stored part (encoder, restricted decoder, graph samples) is present;
# the structural default has its own round trip below
SMALL = {"hidden_size": 4, "encoder_hidden": 4, "max_lag": 2, "decoder": "graph-safe"}
SEAL = re.compile(rb"\n#pymc-dice-seal sha256=[0-9a-f]{64} bytes=[0-9]+\n\Z")


@pytest.fixture(scope="module")
def sim():
    return sparse_target(n_series=2, n_periods=34, seed=0)


@pytest.fixture(scope="module")
def split(sim):
    dates = np.sort(sim.df["date"].unique())
    return sim.df[sim.df["date"] < dates[30]], sim.df[sim.df["date"] >= dates[30]]


@pytest.fixture(scope="module")
def fitted(sim, split):
    """dice-hard with mediators, controls and a prior graph (every stored part is present)."""
    mmm = DiceMMM(
        channel_columns=CHANNELS,
        mediator_columns=["visits", "branded_search"],
        control_columns=["price", "event"],
        graph=sim.truth["graph"],
        model_config=SMALL,
        trainer_config=TRAINER,
    )
    mmm.fit(split[0], random_seed=0)
    return mmm


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    return fitted.save(tmp_path_factory.mktemp("saved") / "model.nc")


@pytest.fixture(scope="module")
def other(split):
    mmm = DiceMMM(
        channel_columns=["tv", "radio"],
        model_config={**SMALL, "arm": "nograph"},
        trainer_config={**TRAINER, "epochs_stage2": 1},
    )
    mmm.fit(split[0][["date", "geo", "tv", "radio", "y"]], random_seed=1)
    return mmm


# ----------------------------------------------------------------------------------------
# forging helpers: what an editor of the file would do (format from docs/pymc-marketing.md)
# ----------------------------------------------------------------------------------------


def _reseal(path):
    """Replace the seal line by one matching the bytes before it."""
    data = path.read_bytes()
    m = SEAL.search(data)
    body = data[: m.start()] if m else data
    seal = f"\n#pymc-dice-seal sha256={hashlib.sha256(body).hexdigest()} bytes={len(body)}\n"
    path.write_bytes(body + seal.encode())


def _redigest(path, results=None):
    """Recompute /pymc_dice content_sha256 from the file's present content (``results``: the
    results tree when unchanged, to save reading it again)."""
    with h5py.File(path, "r") as f:
        text = f["pymc_dice"].attrs["manifest"]
        try:
            bools = {n for n, s in json.loads(text)["arrays"].items() if s["dtype"] == "bool"}
        except (TypeError, KeyError, ValueError):  # a forged manifest: digest of what is there
            bools = set()
        arrays = {
            n: v[()].astype(bool) if n in bools else v[()]
            for n, v in f["pymc_dice"].items()
            if v.attrs.get("CLASS") != b"DIMENSION_SCALE"
        }
    if results is None:
        with xr.open_datatree(path, engine="h5netcdf", phony_dims="sort") as tree:
            results = tree.drop_nodes("pymc_dice").load()
    digest = model_io.content_digest(text, arrays, results)
    with h5py.File(path, "r+") as f:
        f["pymc_dice"].attrs["content_sha256"] = digest


def _forge(src, dst, *, manifest=None, edit=None, redigest=True, reseal=True, results=None):
    """Copy a save file; edit its manifest (a function of the dict) and/or its HDF5 content
    (a function of the open h5py file); then recompute the digest and the seal."""
    data = src.read_bytes()
    dst.write_bytes(SEAL.sub(b"", data))
    with h5py.File(dst, "r+") as f:
        if manifest is not None:
            m = json.loads(f["pymc_dice"].attrs["manifest"])
            m = manifest(m) or m
            f["pymc_dice"].attrs["manifest"] = m if isinstance(m, str) else json.dumps(m)
        if edit is not None:
            edit(f)
    if redigest:
        _redigest(dst, results)
    if reseal:
        _reseal(dst)
    else:  # the seal of the original file, now stale
        dst.write_bytes(dst.read_bytes() + SEAL.search(data)[0])
    return dst


# ----------------------------------------------------------------------------------------
# round trip and readers
# ----------------------------------------------------------------------------------------


def test_save_load_round_trip(fitted, split, saved):
    assert saved.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n" and SEAL.search(saved.read_bytes())
    back = DiceMMM.load(saved)
    X = split[1][
        ["date", "geo", "tv", "radio", "social", "search_ads", "display", "price", "event"]
    ]
    np.testing.assert_array_equal(back.predict(X), fitted.predict(X))
    pd.testing.assert_series_equal(back.roas(), fitted.roas())
    xr.testing.assert_identical(back.idata, fitted.idata)
    assert back.id == fitted.id and back.roles_ == fitted.roles_ and back.seeds_ == fitted.seeds_
    assert back.model_cfg == fitted.model_cfg and back.trainer_cfg == fitted.trainer_cfg
    xr.testing.assert_identical(back.graph_prior_, fitted.graph_prior_)
    xr.testing.assert_equal(back.selected_graph_, fitted.selected_graph_)
    assert validate_idata(back.idata) == []
    for a, b in zip(fitted.arms_, back.arms_, strict=True):
        for name in ("decoder", "encoder", "restricted"):
            sa, sb = getattr(a, name).state_dict(), getattr(b, name).state_dict()
            assert list(sa) == list(sb)
            assert all(sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]) for k in sa)
        np.testing.assert_array_equal(a.edge_prob, b.edge_prob)
        np.testing.assert_array_equal(a.candidates, b.candidates)
        assert a.history == b.history and a.seed == b.seed
        assert a.selection.method == b.selection.method
        xr.testing.assert_identical(a.selection.evidence, b.selection.evidence)
    np.testing.assert_array_equal(back.graph_samples_, fitted.graph_samples_)


def test_xarray_arviz_and_pymc_marketing_read_it(fitted, saved):
    tree = xr.open_datatree(saved)  # engine guessed from the file, as a user would
    assert set(fitted.idata.children) < set(tree.children) and "pymc_dice" in tree.children
    xr.testing.assert_identical(tree["posterior"].to_dataset(), fitted.idata.posterior.to_dataset())
    assert json.loads(tree["pymc_dice"].attrs["manifest"])["id"] == fitted.id
    idata = az.from_netcdf(saved)
    table = az.summary(idata, var_names=["channel_contribution"], kind="stats")
    assert len(table) == fitted.idata.posterior["channel_contribution"][0, 0].size
    assert np.isfinite(table["mean"].to_numpy(dtype=float)).all()
    schema = MMMIdataSchema.from_model_config(custom_dims=("geo",))
    wrapper = MMMIDataWrapper(idata, schema=schema)
    xr.testing.assert_equal(
        wrapper.get_channel_contributions(original_scale=True),
        MMMIDataWrapper(fitted.idata, schema=schema).get_channel_contributions(original_scale=True),
    )


def test_tensor_payloads_of_an_arm_are_saved_generically(fitted, tmp_path, monkeypatch):
    """``TrainedArm.param_draws`` (a dict of ``[D, *shape]`` tensors) round-trips with its
    dtypes; an arm without it (the GRU stage 2) loads with None."""
    plain = DiceMMM.load(fitted.save(tmp_path / "plain.nc"))
    assert all(a.param_draws is None for a in plain.arms_)
    draws = {
        "beta": torch.randn(5, 3, 2, generator=torch.Generator().manual_seed(0)),
        "lag.logits": torch.arange(6, dtype=torch.bfloat16).reshape(3, 2),
        "mask": torch.tensor([True, False]),
    }
    arms = [dataclasses.replace(a, param_draws=draws) for a in fitted.arms_]
    monkeypatch.setattr(fitted.ensemble_, "arms", arms)
    back = DiceMMM.load(fitted.save(tmp_path / "draws.nc"))
    got = back.arms_[0].param_draws
    assert list(got) == list(draws)
    assert all(got[k].dtype == draws[k].dtype and torch.equal(got[k], draws[k]) for k in draws)


# ----------------------------------------------------------------------------------------
# overwrite, and loading writes nothing
# ----------------------------------------------------------------------------------------


def test_save_refuses_overwrite(fitted, other, tmp_path):
    path = fitted.save(tmp_path / "model.nc")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        other.save(path)
    assert path.read_bytes() == before
    assert other.save(path, overwrite=True) == path and path.read_bytes() != before
    assert DiceMMM.load(path).id == other.id
    assert sorted(os.listdir(tmp_path)) == ["model.nc"]  # no temporary file left
    with pytest.raises(NotFittedError):
        DiceMMM().save(tmp_path / "other.nc")
    assert fitted.save(tmp_path / "any.suffix").name == "any.suffix"


def test_load_writes_nothing(saved, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    broken = tmp_path / "broken.nc"
    broken.write_bytes(saved.read_bytes()[:-200])
    watched = [saved.parent, tmp_path]
    before = {d: sorted(os.listdir(d)) for d in watched}
    stamp = (saved.read_bytes(), saved.stat().st_mtime_ns)
    DiceMMM.load(saved)
    with pytest.raises(ModelFileError):
        DiceMMM.load(broken)
    assert {d: sorted(os.listdir(d)) for d in watched} == before
    assert os.listdir(scratch) == []
    assert (saved.read_bytes(), saved.stat().st_mtime_ns) == stamp


# ----------------------------------------------------------------------------------------
# foreign, old and hostile files
# ----------------------------------------------------------------------------------------


class Boom:
    """Unpickling it would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_load_rejects_foreign_and_tampered_files(fitted, other, saved, tmp_path):
    nc = tmp_path / "mmm.nc"  # what pymc-marketing's MMM.save writes: results only
    fitted.idata.to_netcdf(nc, engine="h5netcdf")
    with pytest.raises(ModelFileError, match="not a DiceMMM save file.*MMM.load"):
        DiceMMM.load(nc)

    def other_type(m):
        m["model_type"] = "MMMM (Multi-Dimensional Marketing Mix Model)"

    with pytest.raises(ModelFileError, match="saved by model type 'MMMM"):
        DiceMMM.load(_forge(saved, tmp_path / "a.nc", manifest=other_type))

    def zero_weights(f):
        f["pymc_dice"]["arm0.decoder.readout.0.bias"][...] = 0.0

    with pytest.raises(ModelFileError, match="sealed at its end"):  # edited, not resealed
        DiceMMM.load(
            _forge(saved, tmp_path / "b.nc", edit=zero_weights, reseal=False, redigest=False)
        )
    with pytest.raises(ModelFileError, match="content_sha256"):  # resealed, digest stale
        DiceMMM.load(_forge(saved, tmp_path / "c.nc", edit=zero_weights, redigest=False))

    def edit_config(m):
        m["params"]["model_config"]["tau"] = 0.9

    with pytest.raises(ModelFileError, match="model id"):  # a fully forged file
        DiceMMM.load(_forge(saved, tmp_path / "d.nc", manifest=edit_config))

    def other_id(m):
        m["id"] = other.id

    with pytest.raises(ModelFileError, match="model id"):
        DiceMMM.load(_forge(saved, tmp_path / "e.nc", manifest=other_id))

    other_path = other.save(tmp_path / "other.nc")

    def swap_results(f):  # the results of another model, same groups and variables
        with h5py.File(other_path, "r") as g:
            for key, value in g.attrs.items():
                f.attrs[key] = value

    with pytest.raises(ModelFileError, match="belong to model"):
        DiceMMM.load(_forge(saved, tmp_path / "f.nc", edit=swap_results))
    with pytest.raises(FileNotFoundError):
        DiceMMM.load(tmp_path / "missing.nc")


def test_old_zip_files_and_pickles_are_refused_unread(tmp_path):
    marker = tmp_path / "ran"
    weights = io.BytesIO()
    torch.save({"decoder": Boom(marker)}, weights)
    old = tmp_path / "model.dice"  # the layout written by pymc-dice 0.1
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "pymc-dice/DiceMMM"}))
        zf.writestr("weights/chain_0.pt", weights.getvalue())
        zf.writestr("../../evil", b"x")
    with pytest.raises(ModelFileError, match="zip archive.*pickle.*refused.*save it again"):
        DiceMMM.load(old)
    raw = tmp_path / "model.pkl"
    raw.write_bytes(pickle.dumps(Boom(marker)))
    with pytest.raises(ModelFileError, match="refused: it holds a Python pickle, which could run"):
        DiceMMM.load(raw)
    assert not marker.exists()


def test_declared_sizes_are_checked_before_reading(saved, tmp_path, monkeypatch):
    path = _forge(saved, tmp_path / "h.nc", redigest=False, reseal=False)
    with h5netcdf.File(path, "a") as f:  # 8 TiB declared, nothing written
        grp = f.groups["pymc_dice"]
        grp.dimensions.update({"big": 2**20, "big2": 2**20})
        grp.create_variable("huge", ("big", "big2"), float, chunks=(16, 16))
    _reseal(path)
    with pytest.raises(ModelFileError, match=r"declare 87960930\d{5} bytes, over the limit"):
        DiceMMM.load(path)
    monkeypatch.setattr(model_io, "MAX_BYTES", 1000)
    with pytest.raises(ModelFileError, match="over the limit of 1000"):
        DiceMMM.load(saved)


# ----------------------------------------------------------------------------------------
# fuzz: damaged and edited files
# ----------------------------------------------------------------------------------------


def _set(*keys, value):
    def edit(m):
        d = m
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value

    return edit


def _drop(*keys):
    def edit(m):
        d = m
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]

    return edit


BIAS = "arm0.decoder.readout.0.bias"
MANIFEST_EDITS = {
    "roles-int": _set("roles", value=3),
    "series-names-empty": _set("series_names", value=[]),
    "series-empty": _set("series", value=[[]]),
    "series-int": _set("series", value=[[1, 2]]),
    "seeds-empty": _set("seeds", value=[]),
    "seeds-str": _set("seeds", value=["1"]),
    "arms-empty": _set("arms", value=[]),
    "unknown-arm": lambda m: _set("value", value="dice-xxl")(m["arms"][0]["fields"]["arm"]),
    "n-draws-str": _set("n_draws", value="4"),
    "train-end-negative": _set("train_end", value=-1),
    "train-end-late": _set("train_end", value=10**6),
    "unknown-setting": _set("params", "model_config", "taux", value=1),
    "bad-setting": _set("params", "trainer_config", "epochs_stage1", value=-1),
    "huge-shape": _set("arrays", "panel.values", "shape", value=[2**40, 2, 2]),
    "wrong-shape": _set("arrays", BIAS, "shape", value=[5]),
    "object-dtype": _set("arrays", BIAS, "dtype", value="object"),
    "path-name": _set("arrays", "../../evil", value={"dtype": "float64", "shape": [1]}),
    "manifest-list": lambda m: "[]",
    "manifest-not-json": lambda m: "{",
    "old-version": _set("format_version", value=1),
    "bad-id": _set("id", value="xyz"),
    "unknown-field": lambda m: _set("evil", value={"kind": "json"})(m["arms"][0]["fields"]),
    "decoder-json": lambda m: _set("decoder", value={"kind": "json"})(m["arms"][0]["fields"]),
    "wrong-keys": lambda m: _set("keys", value=["nope"])(m["arms"][0]["fields"]["decoder"]),
    "no-channels": _set("roles", "channel_columns", value=[]),
    "no-target": _drop("params", "target_column"),
    "extra-key": _set("evil", value=1),
    "results-group": _drop("results", "/posterior"),
    "graph-int": _set("graph", value=5),
    "sha-list": lambda m: _set("sha256", value=[1])(m),
}


def _swap(a, b=None):
    """Swap the values of two variables (b: the first other weight array of a's shape)."""

    def edit(f):
        other = b or next(
            f"pymc_dice/{n}"
            for n, v in f["pymc_dice"].items()
            if n.startswith("arm0.") and v.shape == f[a].shape and f"pymc_dice/{n}" != a
        )
        va, vb = f[a][()], f[other][()]
        f[a][...], f[other][...] = vb, va

    return edit


def _replace(name, data):
    def edit(f):
        del f["pymc_dice"][name]
        f["pymc_dice"][name] = data

    return edit


def _attr(name, value):
    def edit(f):
        if value is None:
            del f["pymc_dice"].attrs[name]
        else:
            f["pymc_dice"].attrs[name] = value

    return edit


def _delete(name):
    def edit(f):
        del f[name]

    return edit


STRUCTURE_EDITS = {  # (edit, recompute the content digest)
    "swapped-weights": (_swap(f"pymc_dice/{BIAS}"), False),
    "swapped-results": (
        _swap("posterior/channel_contribution", "posterior/channel_contribution_original_scale"),
        False,
    ),
    "float64-weights": (_replace(BIAS, np.zeros(4)), True),
    "pickle-array": (_replace(BIAS, np.frombuffer(pickle.dumps(Boom("x")), np.uint8)), True),
    "missing-weights": (_delete(f"pymc_dice/{BIAS}"), True),
    "missing-group": (_delete("posterior"), True),
    "missing-variable": (_delete("posterior/mu"), True),
    "no-pymc-dice-group": (_delete("pymc_dice"), False),
    "digest-list": (_attr("content_sha256", [1, 2]), False),
    "digest-wrong": (_attr("content_sha256", "0" * 64), False),
    "no-manifest": (_attr("manifest", None), False),
    "manifest-number": (_attr("manifest", 3), False),
}


@pytest.mark.slow  # about 100 damaged files, 27 s; test_load_rejects_foreign_and_tampered_files
# keeps the named cases in the default run
def test_fuzz_damaged_and_edited_files_raise_only_model_file_error(fitted, saved, tmp_path):
    rng = np.random.default_rng(0)
    data = saved.read_bytes()
    size = len(data)
    cases = {}  # name -> (path, may load: a resealed flip in unused bytes changes nothing)

    def damaged(name, blob, may_load=False):
        path = tmp_path / f"{name}.nc"
        path.write_bytes(blob)
        cases[name] = (path, may_load)

    for k, offset in enumerate([*rng.integers(0, size, 40), *rng.integers(size - 100, size, 8)]):
        blob = bytearray(data)
        blob[offset] ^= int(rng.integers(1, 256))
        damaged(f"flip-{k}", bytes(blob))
    for k, length in enumerate([0, 1, 7, 8, 512, size - 1, *rng.integers(0, size, 16)]):
        damaged(f"cut-{k}", data[:length])
    for k, tail in enumerate([b"\x00", b"x" * 1000, data[-120:]]):
        damaged(f"tail-{k}", data + tail)
    body = SEAL.sub(b"", data)
    for k, offset in enumerate(rng.integers(0, len(body), 12)):
        blob = bytearray(body)
        blob[offset] ^= int(rng.integers(1, 256))
        damaged(f"resealed-flip-{k}", bytes(blob), may_load=True)
        _reseal(cases[f"resealed-flip-{k}"][0])
    results = fitted.idata  # equal to the file's (round-trip test)
    for name, edit in MANIFEST_EDITS.items():
        path = _forge(saved, tmp_path / f"{name}.nc", manifest=edit, results=results)
        cases[name] = (path, False)
    for name, (edit, redigest) in STRUCTURE_EDITS.items():
        path = _forge(saved, tmp_path / f"{name}.nc", edit=edit, redigest=redigest)
        cases[name] = (path, False)
    assert len(cases) >= 100
    wrong = {}
    for name, (path, may_load) in cases.items():
        try:
            model = DiceMMM.load(path)
        except ModelFileError as err:
            if str(path) not in str(err):  # the message names the file
                wrong[name] = f"message without the path: {err}"
        except Exception as err:  # noqa: BLE001 - the point of the test
            wrong[name] = repr(err)[:300]
        else:
            if not may_load:
                wrong[name] = "loaded"
            else:  # content digest passed: the model is the saved one
                assert model.id == json.loads(_manifest_text(saved))["id"]
    assert wrong == {}


def _manifest_text(path):
    with h5py.File(path, "r") as f:
        return f["pymc_dice"].attrs["manifest"]


def test_structural_round_trip_keeps_posterior_draws_scales_and_season(tmp_path):
    from pymc_dice.simulate import geo_panel

    sim = geo_panel(n_geos=3, n_periods=40, n_channels=2, n_mediators=1, seed=0)
    dates = np.sort(sim.df["date"].unique())
    train, new = sim.df[sim.df["date"] < dates[36]], sim.df[sim.df["date"] >= dates[36]]
    mmm = DiceMMM(
        **sim.column_kwargs(),
        trainer_config={"epochs_stage1": 2, "max_iter": 20, "progressbar": False},
    )
    mmm.fit(train, random_seed=0, draws=6)
    back = DiceMMM.load(mmm.save(tmp_path / "structural.nc"))
    a, b = mmm.arms_[0], back.arms_[0]
    assert set(a.param_draws) == set(b.param_draws)
    assert all(torch.equal(a.param_draws[k], b.param_draws[k]) for k in a.param_draws)
    assert torch.equal(a.decoder.series_scale, b.decoder.series_scale)
    assert back.panel_.season == mmm.panel_.season
    np.testing.assert_array_equal(back.predict(new), mmm.predict(new))
    xr.testing.assert_identical(back.idata.posterior, mmm.idata.posterior)


def test_default_national_fit_without_mediators_round_trips(tmp_path):
    # no mediators: stage 1 has nothing to select and the arm is saved without an encoder;
    # loading must not ask for one (it once did, so no default national fit could be loaded)
    from pymc_dice.simulate import national

    sim = national(n_channels=2, n_periods=40, seed=0)
    train, new = sim.df.iloc[:36], sim.df.iloc[36:]
    mmm = DiceMMM(
        channel_columns=["tv", "social"],
        control_columns=list(sim.roles["control_columns"]),
        trainer_config={"max_iter": 20, "posterior_steps": 2, "progressbar": False},
    )
    mmm.fit(train, random_seed=0, draws=4)
    assert mmm.arms_[0].encoder is None
    back = DiceMMM.load(mmm.save(tmp_path / "national.nc"))
    assert back.arms_[0].encoder is None
    np.testing.assert_array_equal(back.predict(new), mmm.predict(new))
    xr.testing.assert_identical(back.idata.posterior, mmm.idata.posterior)
