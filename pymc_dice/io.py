"""Save and load a fitted :class:`~pymc_dice.mmm.DiceMMM` as ONE netCDF-4 file.

The file (layout in docs/pymc-marketing.md, "The save file") is an ``xarray.DataTree`` written
with the ``h5netcdf`` engine: the results groups exactly as ``mmm.idata``, readable by
``xr.open_datatree`` and ``arviz.from_netcdf``; the group ``/pymc_dice`` with the JSON manifest
(schema :class:`~pymc_dice.savefile.Manifest`), its ``content_sha256``
(:func:`~pymc_dice.savefile.content_digest`) and plain numeric arrays (panel, scalers, graph
samples, every arm's fields and network weights); then a seal line, the SHA-256 of all bytes
before it, checked before any HDF5 parsing. Nothing is pickled
or unpickled. Any check failing on load is a :class:`~pymc_dice.exceptions.ModelFileError`
naming the file; zip files of pymc-dice 0.1 are refused unread (their weights are pickles).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5netcdf
import numpy as np
import pandas as pd
import torch
import xarray as xr
from pydantic import ValidationError

from pymc_dice.arms import TrainedArm, build_modules, prepare_panel, resolve_device
from pymc_dice.data import Panel, Roles, Scaler
from pymc_dice.ensemble import FittedEnsemble
from pymc_dice.exceptions import ModelFileError
from pymc_dice.graph import Selection, graph_dataarray
from pymc_dice.savefile import (
    DTYPES,
    FORMAT,
    FORMAT_VERSION,
    GROUP,
    TORCH_DTYPES,
    ArmEntry,
    ArraySpec,
    Manifest,
    content_digest,
)
from pymc_dice.spec import as_list

__all__ = [
    "ENGINE",
    "FORMAT",
    "FORMAT_VERSION",
    "GROUP",
    "MAX_BYTES",
    "Manifest",
    "as_list",
    "content_digest",
    "load_model",
    "save_model",
]

logger = logging.getLogger("pymc_dice")

#: netCDF engine (netCDF-4 groups need HDF5; scipy's netCDF-3 has no groups)
ENGINE = "h5netcdf"
#: largest total size (bytes) the variables of a file may declare; checked before reading
MAX_BYTES = 4 * 2**30

SEAL_RE = re.compile(rb"\n#pymc-dice-seal sha256=([0-9a-f]{64}) bytes=([0-9]{1,15})\n\Z")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
PICKLE_REFUSED = "refused: it holds a Python pickle, which could run code; nothing was loaded"


def _package_version() -> str:
    try:
        return importlib.metadata.version("pymc-dice")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


class _Arrays:
    """Arrays to store, with their :class:`ArraySpec` entries."""

    def __init__(self) -> None:
        self.values: dict[str, np.ndarray] = {}
        self.specs: dict[str, dict] = {}

    def put(self, name: str, value: Any) -> None:
        torch_dtype = None
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu()
            torch_dtype = str(t.dtype).removeprefix("torch.")
            arr = (t.float() if t.dtype == torch.bfloat16 else t).numpy()
        else:
            arr = np.asarray(value)
        if arr.dtype.name not in DTYPES or (torch_dtype and torch_dtype not in TORCH_DTYPES):
            raise TypeError(
                f"cannot save {name!r}: dtype {torch_dtype or arr.dtype} is not numeric"
            )
        ArraySpec.model_validate({"dtype": arr.dtype.name, "shape": list(arr.shape)})
        self.values[name] = np.array(arr, order="C")  # a copy; keeps 0-d arrays 0-d
        spec = {"dtype": arr.dtype.name, "shape": list(arr.shape)}
        if torch_dtype is not None:
            spec["torch_dtype"] = torch_dtype
        self.specs[name] = spec


def _field_entry(store: _Arrays, prefix: str, value: Any) -> dict:
    """Store one TrainedArm field; returns its :class:`FieldSpec` entry."""
    if value is None:
        return {"kind": "none"}
    if isinstance(value, torch.nn.Module):
        sd = value.state_dict()
        for key, t in sd.items():
            store.put(f"{prefix}.{key}", t)
        return {"kind": "module", "keys": list(sd)}
    if isinstance(value, np.ndarray | torch.Tensor):
        store.put(prefix, value)
        return {"kind": "array"}
    if isinstance(value, Selection):
        store.put(f"{prefix}.graph", value.graph.transpose("source", "target").values)
        evidence = {}
        for var, da in value.evidence.data_vars.items():
            store.put(f"{prefix}.evidence.{var}", da.values)
            evidence[str(var)] = [str(d) for d in da.dims]
        name = None if value.graph.name is None else str(value.graph.name)
        return {"kind": "selection", "method": value.method, "name": name, "evidence": evidence}
    if isinstance(value, dict) and value:
        if all(isinstance(v, np.ndarray | torch.Tensor) for v in value.values()):
            for key, v in value.items():
                store.put(f"{prefix}.{key}", v)
            return {"kind": "dict", "keys": [str(k) for k in value]}
    try:
        json.dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"cannot save {prefix}: {type(value).__name__} is not storable") from err
    return {"kind": "json", "value": value}


def _manifest(model: Any, store: _Arrays, model_type: str, graph_json: Any) -> dict:
    ens: FittedEnsemble = model.ensemble_
    panel = ens.panel
    for name, value in (
        ("panel.values", panel.values),
        ("panel.controls", panel.controls),
        ("panel.dates", panel.dates.as_unit("ns").asi8),
        ("panel.node_scales", panel.node_scaler.scales),
        ("panel.control_scales", panel.control_scaler.scales),
        ("graph_samples", ens.graph_samples),
    ):
        store.put(name, value)
    if model.graph_prior_ is not None:
        store.put("graph_prior", model.graph_prior_.transpose("source", "target").values)
    arms = []
    for k, arm in enumerate(ens.arms):
        fields = {
            f.name: _field_entry(store, f"arm{k}.{f.name}", getattr(arm, f.name))
            for f in dataclasses.fields(arm)
        }
        arms.append({"fields": fields})
    series = panel.series
    levels = [series.get_level_values(k) for k in range(series.nlevels)]
    params = {k: v for k, v in model.get_params().items() if k != "graph"}
    params["model_config"] = model.model_cfg.model_dump(mode="json")
    params["trainer_config"] = model.trainer_cfg.model_dump(mode="json")
    for key in ("channel_columns", "mediator_columns", "control_columns", "dims"):
        params[key] = as_list(params[key])
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_type": model_type,
        "version": model.version,
        "pymc_dice_version": _package_version(),
        "id": model.id,
        "params": params,
        "roles": ens.roles.to_dict(),
        "graph": graph_json,
        "seeds": [int(s) for s in ens.seeds],
        "n_draws": int(ens.n_draws),
        "train_end": int(panel.train_end),
        "series_names": [None if n is None else str(n) for n in series.names],
        "series": [np.asarray(level).astype(str).tolist() for level in levels],
        "arms": arms,
        "arrays": store.specs,
        "results": _results_layout(model.idata),
    }


def _dims(shape: tuple[int, ...]) -> list[str]:
    """Dimension names by size, distinct within one variable: ``(3, 3)`` -> n3, n3_1."""
    dims: list[str] = []
    for n in shape:
        name, j = f"n{n}", 0
        while name in dims:
            j += 1
            name = f"n{n}_{j}"
        dims.append(name)
    return dims


def save_model(
    model: Any, path: str | os.PathLike, *, overwrite: bool, model_type: str, graph_json: Any
) -> Path:
    """Write a fitted ``model`` (a :class:`~pymc_dice.mmm.DiceMMM`) to ``path``; see
    :meth:`pymc_dice.mmm.DiceMMM.save`, which calls this.

    Examples
    --------
    >>> import tempfile
    >>> from pymc_dice.mmm import DiceMMM
    >>> from pymc_dice.simulate import sparse_target
    >>> df = sparse_target(n_series=2, n_periods=24, seed=0).df[["date", "geo", "tv", "y"]]
    >>> mmm = DiceMMM(model_config={"arm": "nograph"},
    ...               trainer_config={"epochs_stage2": 1, "horizon": 2})
    >>> _ = mmm.fit(df, progressbar=False, random_seed=0)
    >>> path = save_model(mmm, Path(tempfile.mkdtemp()) / "m.nc", overwrite=False,
    ...                   model_type="DiceMMM", graph_json=None)
    >>> back = load_model(path, check=True, model_type="DiceMMM",
    ...                   factory=lambda params, graph: DiceMMM(**params, graph=graph))
    >>> back.id == mmm.id, b"#pymc-dice-seal sha256=" in path.read_bytes()[-128:]
    (True, True)
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; pass a file path")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    idata: xr.DataTree = model.idata
    if GROUP in idata.children:
        raise ValueError(f"idata has a group {GROUP!r}; the save file reserves that name")
    store = _Arrays()
    manifest = _manifest(model, store, model_type, graph_json)
    Manifest.model_validate(manifest)  # what load will demand
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    digest = content_digest(text, store.values, idata)
    enc = {name: {"_FillValue": None} for name in store.values}
    data_vars = {
        name: (_dims(arr.shape), arr.view(np.uint8) if arr.dtype == bool else arr)
        for name, arr in store.values.items()
    }
    group = xr.Dataset(data_vars, attrs={"manifest": text, "content_sha256": digest})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        idata.to_netcdf(tmp_name, mode="w", engine=ENGINE)
        group.to_netcdf(tmp_name, mode="a", group=GROUP, engine=ENGINE, encoding=enc)
        with open(tmp_name, "r+b") as fh:
            body = _sha256_of(fh, os.fstat(fh.fileno()).st_size)
            fh.seek(0, os.SEEK_END)
            fh.write(f"\n#pymc-dice-seal sha256={body} bytes={fh.tell()}\n".encode())
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return path


def _sha256_of(fh: Any, n_bytes: int) -> str:
    """SHA-256 of the first ``n_bytes`` of an open binary file (read in 1 MiB blocks)."""
    h, _ = hashlib.sha256(), fh.seek(0)
    while n_bytes > 0 and (block := fh.read(min(n_bytes, 2**20))):
        h.update(block)
        n_bytes -= len(block)
    return h.hexdigest()


def _refuse_unknown_kinds(path: Path) -> None:
    """Refuse zip archives, pickles and anything else that is not HDF5, unread."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        raise ModelFileError(
            f"{path} is a zip archive (the save format of pymc-dice 0.1, or torch.save output), "
            f"{PICKLE_REFUSED.removeprefix('refused: it holds')}; it was refused. Re-fit the "
            "model and save it again with this pymc-dice (one netCDF file)"
        )
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise ModelFileError(f"{path}: {PICKLE_REFUSED}")
    if head != HDF5_MAGIC:
        raise ModelFileError(
            f"{path} is not a DiceMMM save file (a netCDF-4 file written by DiceMMM.save): "
            "it is truncated, damaged or of another kind"
        )


def _check_seal(path: Path, check: bool) -> bool:
    """Whether the file ends with a seal; with ``check``, the seal must match the bytes."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 128))
        m = SEAL_RE.search(fh.read())
        if m is None:
            return False
        if not check:
            return True
        n_body = size - len(m[0])
        if int(m[2]) != n_body or _sha256_of(fh, n_body) != m[1].decode():
            raise ModelFileError(
                f"{path} does not match the SHA-256 sealed at its end: the file is corrupted or "
                "was modified after saving; nothing was loaded"
            )
    return True


def _results_layout(tree: xr.DataTree) -> dict[str, list[str]]:
    """Variable names per results group (the ``results`` entry of the manifest)."""
    return {
        n.path: sorted(map(str, n.to_dataset(inherit=False).variables))
        for n in tree.subtree
        if n.path != f"/{GROUP}"
    }


def _h5_layout(group: Any, out: dict[str, list[str]]) -> dict[str, list[str]]:
    """Variable names per netCDF group, unread (as :func:`_results_layout`)."""
    if group.name != f"/{GROUP}":
        out[group.name] = sorted(group.variables)
        for sub in group.groups.values():
            _h5_layout(sub, out)
    return out


def _declared_bytes(group: Any) -> int:
    """Bytes the variables of an h5netcdf group (and its subgroups) declare, unread."""
    total = 0
    for var in group.variables.values():
        dtype = np.dtype(var.dtype) if isinstance(var.dtype, np.dtype) else np.dtype(object)
        total += int(np.prod(var.shape, dtype=object)) * max(dtype.itemsize, 1)
    return total + sum(_declared_bytes(g) for g in group.groups.values())


def _validated_manifest(path: Path, text: Any, model_type: str) -> Manifest:
    if not isinstance(text, str):
        raise ModelFileError(f"{path}: /{GROUP} has no manifest text (found {type(text).__name__})")
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise ModelFileError(f"{path}: the manifest is not valid JSON ({err})") from err
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: the manifest is a {type(raw).__name__}, not an object")
    if raw.get("format") != FORMAT or raw.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format {raw.get('format')!r} version {raw.get('format_version')!r}; "
            f"this pymc-dice reads {FORMAT!r} version {FORMAT_VERSION}"
        )
    if raw.get("model_type") != model_type:
        raise ModelFileError(
            f"{path} was saved by model type {raw.get('model_type')!r}, not {model_type!r}"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'manifest'}: {e['msg']}" for e in err.errors()[:3]
        )
        raise ModelFileError(f"{path}: invalid manifest ({problems})") from None


def _check_layout(path: Path, m: Manifest, limit: int) -> None:
    """The arrays the manifest declares: total size and the panel's shapes, before reading."""
    specs = m.arrays
    total = sum(
        int(np.prod(s.shape, dtype=object)) * np.dtype(s.dtype).itemsize for s in specs.values()
    )
    if total > limit:
        raise ModelFileError(
            f"{path}: its arrays declare {total} bytes, over the limit of {limit} "
            "(pymc_dice.io.MAX_BYTES); nothing was read"
        )
    s_len, n_nodes = (
        len(m.series[0]),
        len(m.roles.channel_columns) + len(m.roles.mediator_columns) + 1,
    )
    dates = specs.get("panel.dates")
    t_len = dates.shape[0] if dates is not None and len(dates.shape) == 1 else -1
    c_len = len(m.roles.control_columns)
    expected = {
        "panel.values": [s_len, t_len, n_nodes],
        "panel.controls": [s_len, t_len, c_len],
        "panel.dates": [t_len],
        "panel.node_scales": [n_nodes],
        "panel.control_scales": [c_len],
        "graph_samples": [len(m.seeds), m.n_draws, s_len, n_nodes, n_nodes],
    }
    if "graph_prior" in specs:
        expected["graph_prior"] = [n_nodes, n_nodes]
    for name, shape in expected.items():
        if name not in specs or specs[name].shape != shape:
            found = specs[name].shape if name in specs else "nothing"
            raise ModelFileError(f"{path}: array {name!r} should have shape {shape}, not {found}")
    if specs["panel.dates"].dtype != "int64" or m.train_end > t_len:
        raise ModelFileError(f"{path}: panel.dates must be int64 with train_end <= {t_len}")


def _read_arrays(path: Path, grp: Any, m: Manifest) -> dict[str, np.ndarray]:
    """Every declared array, after checking names, dtypes and shapes against the file."""
    found, declared = set(grp.variables), set(m.arrays)
    if found != declared:
        missing, extra = sorted(declared - found)[:3], sorted(found - declared)[:3]
        raise ModelFileError(
            f"{path}: /{GROUP} variables differ from the manifest (missing {missing}, "
            f"unexpected {extra})"
        )
    for name, spec in m.arrays.items():
        var = grp.variables[name]
        want = np.dtype("uint8" if spec.dtype == "bool" else spec.dtype)
        if (
            not isinstance(var.dtype, np.dtype)
            or var.dtype != want
            or list(var.shape) != spec.shape
        ):
            raise ModelFileError(
                f"{path}: /{GROUP}/{name} is {var.dtype} {list(var.shape)}, but the manifest "
                f"declares {spec.dtype} {spec.shape}; nothing was loaded"
            )
    arrays = {}
    for name, spec in m.arrays.items():
        arr = np.asarray(grp.variables[name][...])
        arrays[name] = arr.astype(bool) if spec.dtype == "bool" else arr
    return arrays


def _read_file(
    path: Path, model_type: str, check: bool, limit: int
) -> tuple[Manifest, str, dict[str, np.ndarray], xr.DataTree]:
    sealed = _check_seal(path, check)
    with h5netcdf.File(path, "r") as f:
        if GROUP not in f.groups:
            raise ModelFileError(
                f"{path} is a netCDF file but not a DiceMMM save file (it has no /{GROUP} "
                "group); a pymc-marketing MMM's file loads with pymc_marketing.mmm.MMM.load"
            )
        if check and not sealed:
            raise ModelFileError(
                f"{path} lacks the SHA-256 seal at its end: it was truncated, extended or "
                "modified after saving (DiceMMM.load(path, check=False) skips the checks)"
            )
        total = _declared_bytes(f)
        if total > limit:
            raise ModelFileError(
                f"{path}: its variables declare {total} bytes, over the limit of {limit} "
                "(pymc_dice.io.MAX_BYTES); nothing was read"
            )
        grp = f.groups[GROUP]
        text, digest = grp.attrs.get("manifest"), grp.attrs.get("content_sha256")
        manifest = _validated_manifest(path, text, model_type)
        _check_layout(path, manifest, limit)
        layout = _h5_layout(f, {})
        if layout != manifest.results:
            want = manifest.results
            bad = sorted(k for k in layout.keys() | want.keys() if layout.get(k) != want.get(k))
            raise ModelFileError(
                f"{path}: results group(s) {bad[:3]} differ from the manifest: a group or "
                "variable is missing, added or renamed; nothing was loaded"
            )
        arrays = _read_arrays(path, grp, manifest)
    with xr.open_datatree(path, engine=ENGINE) as tree:
        idata = tree.drop_nodes(GROUP).load()
    if check and (not isinstance(digest, str) or digest != content_digest(text, arrays, idata)):
        raise ModelFileError(
            f"{path}: its content does not match the SHA-256 stored in /{GROUP} "
            "(content_sha256): the file was modified after saving; nothing was loaded"
        )
    return manifest, text, arrays, idata


def load_model(
    path: str | os.PathLike,
    *,
    check: bool,
    model_type: str,
    factory: Callable[[dict, xr.DataArray | None], Any],
    max_bytes: int | None = None,
) -> Any:
    """Read a save file; ``factory(params, graph)`` builds the unfitted model, which gets
    ``ensemble_``, ``graph_prior_`` and ``idata``. See :meth:`pymc_dice.mmm.DiceMMM.load`
    (which calls this) for the checks, and :func:`save_model` for a round trip;
    ``max_bytes`` defaults to :data:`MAX_BYTES`.

    Examples
    --------
    A zip archive (the format of pymc-dice 0.1) or a pickle is refused unread:

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "old.dice"
    >>> _ = path.write_bytes(b"PK\x03\x04 a zip archive")
    >>> load_model(path, check=True, model_type="DiceMMM", factory=dict)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ModelFileError: ... is a zip archive ... it was refused. ...
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    limit = MAX_BYTES if max_bytes is None else int(max_bytes)
    try:
        _refuse_unknown_kinds(path)
        manifest, text, arrays, idata = _read_file(path, model_type, check, limit)
        return _restore(
            manifest, json.loads(text), arrays, idata, check=check, path=path, factory=factory
        )
    except ModelFileError as err:
        if str(path) in str(err):
            raise
        raise ModelFileError(f"{path}: {err}") from None
    except Exception as err:  # HDF5/netCDF, OSError, zlib, torch: never a raw exception
        raise ModelFileError(
            f"{path}: cannot read this save file ({type(err).__name__}: {err}); "
            "it is damaged or was not written by DiceMMM.save"
        ) from err


def _value(arr: np.ndarray, spec: ArraySpec, device: torch.device) -> Any:
    """A stored array as numpy, or as the torch tensor it was saved from."""
    if spec.torch_dtype is None:
        return arr
    return torch.from_numpy(np.array(arr)).to(device=device, dtype=getattr(torch, spec.torch_dtype))


def _arm(
    k: int, entry: ArmEntry, arrays: dict, m: Manifest, mcfg, panel: Panel, device: torch.device
) -> TrainedArm:
    roles = panel.roles
    nodes = list(roles.nodes)
    known = {f.name for f in dataclasses.fields(TrainedArm)}
    unknown = sorted(set(entry.fields) - known)
    if unknown:
        raise ModelFileError(f"arm {k} stores fields {unknown} unknown to this pymc-dice version")
    cand = arrays[f"arm{k}.candidates"]
    if cand.shape != (len(nodes), len(nodes)):
        raise ModelFileError(f"arm {k}: candidates have shape {cand.shape}, not {len(nodes)}^2")
    cand_t, n_ctrl = torch.as_tensor(cand, device=device), panel.decoder_controls.shape[-1]
    n_series = panel.values.shape[0]
    built = build_modules(mcfg, len(nodes), n_ctrl, cand_t, panel.n_channels, n_series)
    modules = dict(zip(("decoder", "encoder", "restricted"), built, strict=True))
    kwargs: dict[str, Any] = {}
    for name, spec in entry.fields.items():
        prefix = f"arm{k}.{name}"
        if spec.kind == "json":
            kwargs[name] = spec.value
        elif spec.kind == "array":
            kwargs[name] = _value(arrays[prefix], m.arrays[prefix], device)
        elif spec.kind == "dict":
            kwargs[name] = {
                key: _value(arrays[f"{prefix}.{key}"], m.arrays[f"{prefix}.{key}"], device)
                for key in spec.keys
            }
        elif spec.kind == "selection":
            graph = graph_dataarray(arrays[f"{prefix}.graph"], nodes, name=spec.name)
            used = {d for dims in spec.evidence.values() for d in dims}
            evidence = xr.Dataset(
                {v: (dims, arrays[f"{prefix}.evidence.{v}"]) for v, dims in spec.evidence.items()},
                coords={d: nodes for d in ("source", "target") if d in used},
            )
            kwargs[name] = Selection(graph, spec.method, evidence)
        elif spec.kind == "module":
            kwargs[name] = modules.get(name)
            if kwargs[name] is None:
                raise ModelFileError(f"arm {k} stores weights of {name!r}, which this arm lacks")
            state = {
                key: _value(
                    arrays[f"{prefix}.{key}"], m.arrays[f"{prefix}.{key}"], torch.device("cpu")
                )
                for key in spec.keys
            }
            kwargs[name].load_state_dict(state)
            kwargs[name].to(device).eval()
        else:
            kwargs[name] = None
    for name, module in modules.items():
        # a module the arm was saved without (e.g. no stage-1 encoder when nothing was to
        # select) stays None; one the file does not mention at all is a damaged file
        if module is not None and name not in entry.fields:
            raise ModelFileError(f"arm {k} lacks the weights of its {name!r}")
    if kwargs.get("encoder") is not None:
        for p in kwargs["encoder"].parameters():
            p.requires_grad_(False)
    return TrainedArm(**kwargs)


def _restore(
    m: Manifest,
    raw: dict,
    arrays: dict,
    idata: xr.DataTree,
    *,
    check: bool,
    path: Path,
    factory: Callable,
) -> Any:
    roles = Roles(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw["roles"].items()})
    nodes = list(roles.nodes)
    graph = None
    if "graph_prior" in arrays:
        graph = graph_dataarray(arrays["graph_prior"], nodes, name="graph")
    model = factory(dict(raw["params"]), graph)
    mcfg, tcfg = model.model_cfg, model.trainer_cfg
    try:
        device = resolve_device(tcfg.device)
    except ValueError:
        logger.warning("device %r is not available: loading on the CPU", tcfg.device)
        device = torch.device("cpu")
    if len(m.series) > 1:
        series = pd.MultiIndex.from_arrays(m.series, names=m.series_names)
    else:
        series = pd.Index(m.series[0], name=m.series_names[0])
    dates = pd.DatetimeIndex(arrays["panel.dates"].astype("datetime64[ns]"))
    node_scaler = Scaler(roles.nodes, arrays["panel.node_scales"])
    control_scaler = Scaler(roles.control_columns, arrays["panel.control_scales"])
    panel = Panel(arrays["panel.values"], arrays["panel.controls"], roles, dates, series,
                  node_scaler, control_scaler, m.train_end)  # fmt: skip
    panel = prepare_panel(panel, mcfg)  # the time features a structural decoder reads
    arms = [_arm(k, entry, arrays, m, mcfg, panel, device) for k, entry in enumerate(m.arms)]
    model.graph_prior_ = graph
    samples = arrays["graph_samples"]
    model.ensemble_ = FittedEnsemble(roles, panel, arms, list(m.seeds), samples, mcfg)
    if check and model.id != m.id:
        raise ModelFileError(
            f"{path}: the model id recomputed from the stored configuration ({model.id}) "
            f"differs from the stored id ({m.id}): the configuration was modified after "
            "saving, or the file comes from an incompatible DiceMMM version"
        )
    if check and idata.attrs.get("id") != m.id:
        raise ModelFileError(
            f"{path}: its results belong to model {idata.attrs.get('id')!r}, not {m.id!r}"
        )
    model.idata = idata
    return model
