"""Save and load a fitted :class:`~pymc_dice.mmm.DiceMMM` as ONE zip file.

The archive holds ``manifest.json`` (configs, roles, seeds, model id, SHA-256 of every
member), ``arrays.npz`` (scalers, fitted panel, graph samples, learned graphs; loaded with
``allow_pickle=False``), ``weights/chain_<k>.pt`` (``torch.save`` of ``state_dict`` s; loaded
with ``weights_only=True``) and ``idata.nc`` (the results tree, netCDF). Nothing is unpickled;
an existing file is replaced only with ``overwrite=True``, through a temporary file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import xarray as xr

from pymc_dice.arms import TrainedArm, build_modules, resolve_device
from pymc_dice.data import Panel, Roles, Scaler
from pymc_dice.ensemble import FittedEnsemble
from pymc_dice.exceptions import ModelFileError
from pymc_dice.graph import Selection, graph_dataarray

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

logger = logging.getLogger("pymc_dice")

FORMAT = "pymc-dice/DiceMMM"
FORMAT_VERSION = 1


def as_list(cols: str | Sequence[str] | None) -> list[str] | None:
    """Column argument(s) as a list of str (None stays None).

    Examples
    --------
    >>> as_list("tv"), as_list(("tv", "radio")), as_list(None)
    (['tv'], ['tv', 'radio'], None)
    """
    if cols is None:
        return None
    return [cols] if isinstance(cols, str) else [str(c) for c in cols]


def _package_version() -> str:
    try:
        return importlib.metadata.version("pymc-dice")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _arm_members(ens: FittedEnsemble, arrays: dict, members: dict) -> list[dict]:
    """Arrays and weights of every fitted arm; returns their manifest entries."""
    arm_meta = []
    for k, arm in enumerate(ens.arms):
        for name in ("edge_prob", "fixed_graph"):
            value = getattr(arm, name)
            if value is not None:
                arrays[f"{name}_{k}"] = np.asarray(value, dtype=float)
        if arm.selection is not None:
            arrays[f"selection_{k}"] = np.asarray(arm.selection.graph.values, dtype=float)
        weights = {"decoder": arm.decoder.state_dict()}
        if arm.encoder is not None:
            weights["encoder"] = arm.encoder.state_dict()
        if arm.restricted is not None:
            weights["restricted"] = arm.restricted.state_dict()
        weights = {
            m: {key: t.detach().cpu() for key, t in sd.items()} for m, sd in weights.items()
        }
        buf = io.BytesIO()
        torch.save(weights, buf)
        members[f"weights/chain_{k}.pt"] = buf.getvalue()
        arm_meta.append(
            {
                "arm": arm.arm,
                "seed": int(arm.seed),
                "selection_method": None if arm.selection is None else arm.selection.method,
                "history": arm.history,
                "fit_seconds": float(arm.fit_seconds),
                "interrupted": bool(arm.interrupted),
            }
        )
    return arm_meta


def save_model(
    model: Any, path: str | os.PathLike, *, overwrite: bool, model_type: str, graph_json: Any
) -> Path:
    """Write a fitted ``model`` (a :class:`~pymc_dice.mmm.DiceMMM`) to ``path``; see
    :meth:`pymc_dice.mmm.DiceMMM.save` (which calls this, with an example)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; pass a file path")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    ens: FittedEnsemble = model.ensemble_
    panel = ens.panel
    members: dict[str, bytes] = {}
    arrays: dict[str, np.ndarray] = {
        "values": panel.values,
        "controls": panel.controls,
        "dates": panel.dates.as_unit("ns").asi8,
        "node_scales": panel.node_scaler.scales,
        "control_scales": panel.control_scaler.scales,
        "graph_samples": ens.graph_samples,
        "candidates": np.asarray(ens.arms[0].candidates, dtype=bool),
    }
    if isinstance(panel.series, pd.MultiIndex):
        for k in range(panel.series.nlevels):
            arrays[f"series_{k}"] = np.asarray(panel.series.get_level_values(k)).astype(str)
    else:
        arrays["series_0"] = np.asarray(panel.series).astype(str)
    if model.graph_prior_ is not None:
        arrays["graph_prior"] = model.graph_prior_.transpose("source", "target").values
    arm_meta = _arm_members(ens, arrays, members)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    members["arrays.npz"] = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        nc = Path(tmp) / "idata.nc"
        model.idata.to_netcdf(nc, engine="h5netcdf")
        members["idata.nc"] = nc.read_bytes()

    params = {k: v for k, v in model.get_params().items() if k != "graph"}
    params["model_config"] = model.model_cfg.model_dump(mode="json")
    params["trainer_config"] = model.trainer_cfg.model_dump(mode="json")
    for key in ("channel_columns", "mediator_columns", "control_columns", "dims"):
        params[key] = as_list(params[key])
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_type": model_type,
        "version": model.version,
        "pymc_dice_version": _package_version(),
        "id": model.id,
        "params": params,
        "roles": ens.roles.to_dict(),
        "graph": graph_json,
        "seeds": list(ens.seeds),
        "n_draws": int(ens.n_draws),
        "train_end": int(panel.train_end),
        "series_names": [str(n) for n in panel.series.names],
        "arms": arm_meta,
        "sha256": {name: _sha256(data) for name, data in members.items()},
    }
    _write_zip(path, manifest, members)
    return path


def _write_zip(path: Path, manifest: dict, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
            for name, data in members.items():
                zf.writestr(name, data)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


def _read_zip(path: Path, model_type: str, check: bool) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the members of a save file, with its format and digests checked."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            raise ModelFileError(f"{path} is a zip archive but not a DiceMMM save file")
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ModelFileError(f"{path}: manifest.json is not valid JSON ({err})") from err
        if not isinstance(manifest, dict) or manifest.get("model_type") != model_type:
            found = manifest.get("model_type") if isinstance(manifest, dict) else None
            raise ModelFileError(f"{path} was saved by model type {found!r}, not {model_type!r}")
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{path} has format {manifest.get('format')!r} version "
                f"{manifest.get('format_version')!r}; this pymc-dice reads {FORMAT!r} "
                f"version {FORMAT_VERSION}"
            )
        digests = manifest.get("sha256", {})
        members: dict[str, bytes] = {}
        for name in digests:
            if name not in names:
                raise ModelFileError(f"{path} lacks member {name!r}: the file is incomplete")
            members[name] = zf.read(name)
            if check and _sha256(members[name]) != digests[name]:
                raise ModelFileError(
                    f"{path}: member {name!r} does not match its SHA-256 in the manifest: "
                    "the file is corrupted or was modified after saving"
                )
    return manifest, members


def load_model(
    path: str | os.PathLike,
    *,
    check: bool,
    model_type: str,
    factory: Callable[[dict, xr.DataArray | None], Any],
) -> Any:
    """Read a save file; ``factory(params, graph)`` builds the unfitted model, which gets
    ``ensemble_``, ``graph_prior_`` and ``idata``. See :meth:`pymc_dice.mmm.DiceMMM.load`
    (which calls this, with an example) for the checks."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a DiceMMM save file (a zip archive written by DiceMMM.save); "
            "a pymc-marketing MMM saves a netCDF file: load it with "
            "pymc_marketing.mmm.MMM.load"
        )
    manifest, members = _read_zip(path, model_type, check)
    try:
        return _restore(manifest, members, check=check, path=path, factory=factory)
    except ModelFileError:
        raise
    except (KeyError, ValueError, TypeError, RuntimeError) as err:
        raise ModelFileError(f"{path}: cannot restore the model ({err})") from err


def _panel(manifest: dict, arrays: dict, roles: Roles) -> Panel:
    levels = [arrays[f"series_{k}"] for k in range(len(manifest["series_names"]))]
    if len(levels) > 1:
        series = pd.MultiIndex.from_arrays(levels, names=manifest["series_names"])
    else:
        series = pd.Index(levels[0], name=manifest["series_names"][0])
    return Panel(
        values=arrays["values"],
        controls=arrays["controls"],
        roles=roles,
        dates=pd.DatetimeIndex(arrays["dates"].astype("datetime64[ns]")),
        series=series,
        node_scaler=Scaler(roles.nodes, arrays["node_scales"]),
        control_scaler=Scaler(roles.control_columns, arrays["control_scales"]),
        train_end=int(manifest["train_end"]),
    )


def _arms(manifest, members, arrays, mcfg, tcfg, roles: Roles) -> list[TrainedArm]:
    try:
        device = resolve_device(tcfg.device)
    except ValueError:
        logger.warning("device %r is not available: loading on the CPU", tcfg.device)
        device = torch.device("cpu")
    nodes = list(roles.nodes)
    cand_np = arrays["candidates"]
    cand = torch.as_tensor(cand_np, device=device)
    n, n_ctrl = len(nodes), len(roles.control_columns)
    arms = []
    for k, meta in enumerate(manifest["arms"]):
        weights = torch.load(
            io.BytesIO(members[f"weights/chain_{k}.pt"]), map_location="cpu", weights_only=True
        )
        decoder, encoder, restricted = build_modules(mcfg, n, n_ctrl, cand)
        for module, key in ((decoder, "decoder"), (encoder, "encoder"), (restricted, "restricted")):
            if module is not None:
                module.load_state_dict(weights[key])
                module.to(device).eval()
                if key == "encoder":
                    for p in module.parameters():
                        p.requires_grad_(False)
        selection = None
        if f"selection_{k}" in arrays:
            sel = graph_dataarray(arrays[f"selection_{k}"], nodes, name="selected_graph")
            selection = Selection(sel, meta["selection_method"], xr.Dataset())
        arms.append(
            TrainedArm(
                arm=meta["arm"],
                seed=int(meta["seed"]),
                decoder=decoder,
                candidates=cand_np,
                encoder=encoder,
                restricted=restricted,
                edge_prob=arrays.get(f"edge_prob_{k}"),
                selection=selection,
                fixed_graph=arrays.get(f"fixed_graph_{k}"),
                history=meta["history"],
                fit_seconds=float(meta["fit_seconds"]),
                interrupted=bool(meta["interrupted"]),
            )
        )
    return arms


def _restore(manifest: dict, members: dict[str, bytes], *, check: bool, path, factory) -> Any:
    params = dict(manifest["params"])
    arrays = dict(np.load(io.BytesIO(members["arrays.npz"]), allow_pickle=False))
    roles = Roles(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in manifest["roles"].items()}
    )
    graph = None
    if "graph_prior" in arrays:
        graph = graph_dataarray(arrays["graph_prior"], list(roles.nodes), name="graph")
    model = factory(params, graph)
    mcfg, tcfg = model.model_cfg, model.trainer_cfg
    panel = _panel(manifest, arrays, roles)
    arms = _arms(manifest, members, arrays, mcfg, tcfg, roles)
    model.graph_prior_ = graph
    model.ensemble_ = FittedEnsemble(
        roles=roles,
        panel=panel,
        arms=arms,
        seeds=[int(s) for s in manifest["seeds"]],
        graph_samples=arrays["graph_samples"],
        model_config=mcfg,
    )
    if check and model.id != manifest["id"]:
        raise ModelFileError(
            f"{path}: the model id recomputed from the stored configuration ({model.id}) "
            f"differs from the stored id ({manifest['id']}): the configuration was modified "
            "after saving, or the file comes from an incompatible DiceMMM version"
        )
    with tempfile.TemporaryDirectory() as tmp:
        nc = Path(tmp) / "idata.nc"
        nc.write_bytes(members["idata.nc"])
        with xr.open_datatree(nc, engine="h5netcdf") as tree:
            model.idata = tree.load()
    if check and model.idata.attrs.get("id") != manifest["id"]:
        raise ModelFileError(
            f"{path}: idata.nc belongs to model {model.idata.attrs.get('id')!r}, "
            f"not {manifest['id']!r}"
        )
    return model
