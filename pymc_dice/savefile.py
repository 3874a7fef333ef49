"""The schema and the content digest of a :class:`~pymc_dice.mmm.DiceMMM` save file.

:mod:`pymc_dice.io` writes and reads the file (layout in docs/pymc-marketing.md, "The save
file"); this module says what its ``/pymc_dice`` group must hold: the JSON manifest
(:class:`Manifest`, with the arrays it declares, :class:`ArraySpec`, and every arm's fields,
:class:`ArmEntry` / :class:`FieldSpec`) and the SHA-256 of the whole content
(:func:`content_digest`), computed in a canonical form that does not depend on how netCDF
encodes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pymc_dice.arms import ARM_SPECS
from pymc_dice.config import ModelConfig, TrainerConfig

__all__ = [
    "DTYPES",
    "FORMAT",
    "FORMAT_VERSION",
    "GROUP",
    "TORCH_DTYPES",
    "ArmEntry",
    "ArraySpec",
    "FieldSpec",
    "Manifest",
    "ParamsSpec",
    "RolesSpec",
    "content_digest",
]

FORMAT = "pymc-dice/DiceMMM"
FORMAT_VERSION = 2
#: group holding the manifest and the arrays of the fitted model
GROUP = "pymc_dice"

#: numpy dtypes an array of the file may have (``bool`` is stored as ``uint8``)
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
#: dtypes a stored torch tensor may have had (``bfloat16`` is stored as ``float32``)
TORCH_DTYPES = (*DTYPES, "bfloat16")

VarName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")]
Count = Annotated[int, Field(ge=0, le=2**62)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ArraySpec(_Strict):
    """Declared dtype and shape of one stored array (``torch_dtype`` set: a torch tensor).

    Examples
    --------
    >>> ArraySpec(dtype="float32", shape=[2, 3], torch_dtype="bfloat16").shape
    [2, 3]
    >>> try:  # strings and objects are never stored as arrays
    ...     ArraySpec(dtype="object", shape=[1])
    ... except ValueError as err:
    ...     print(type(err).__name__, err.errors()[0]["loc"])
    ValidationError ('dtype',)
    """

    dtype: Literal[DTYPES]  # type: ignore[valid-type]
    shape: list[Count] = Field(max_length=8)
    torch_dtype: Literal[TORCH_DTYPES] | None = None  # type: ignore[valid-type]


class FieldSpec(_Strict):
    """How one :class:`~pymc_dice.arms.TrainedArm` field is stored.

    ``none``; ``json`` (``value``); ``array`` (one array ``arm<k>.<field>``); ``dict`` and
    ``module`` (arrays ``arm<k>.<field>.<key>`` for each of ``keys``: a dict of arrays or
    tensors, a network's ``state_dict``); ``selection`` (``.graph`` and ``.evidence.<var>``).

    Examples
    --------
    >>> FieldSpec(kind="json", value=3).value, FieldSpec(kind="module", keys=["w"]).keys
    (3, ['w'])
    >>> try:
    ...     FieldSpec(kind="module")
    ... except ValueError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, a 'module' field needs 'keys'
    """

    kind: Literal["none", "json", "array", "dict", "module", "selection"]
    value: Any = None
    keys: list[VarName] | None = None
    method: str | None = None
    name: str | None = None
    evidence: dict[VarName, list[str]] | None = None

    @model_validator(mode="after")
    def _complete(self) -> FieldSpec:
        if self.kind in ("dict", "module") and self.keys is None:
            raise ValueError(f"a {self.kind!r} field needs 'keys'")
        if self.kind == "selection" and (self.method is None or self.evidence is None):
            raise ValueError("a 'selection' field needs 'method' and 'evidence'")
        return self


class ArmEntry(_Strict):
    """The stored fields of one fitted arm (one chain).

    It must name a known arm, an int seed, the decoder's weights and the candidate edges.

    Examples
    --------
    >>> fields = {"arm": FieldSpec(kind="json", value="nograph"),
    ...           "seed": FieldSpec(kind="json", value=0),
    ...           "decoder": FieldSpec(kind="module", keys=["w"]),
    ...           "candidates": FieldSpec(kind="array")}
    >>> sorted(ArmEntry(fields=fields).fields)
    ['arm', 'candidates', 'decoder', 'seed']
    >>> try:
    ...     ArmEntry(fields={**fields, "arm": FieldSpec(kind="json", value="no-such-arm")})
    ... except ValueError as err:
    ...     print(err.errors()[0]["msg"].split(";")[0])
    Value error, unknown arm 'no-such-arm'
    """

    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _known_arm(self) -> ArmEntry:
        f = self.fields
        arm = f["arm"].value if "arm" in f else None
        if not isinstance(arm, str) or arm not in ARM_SPECS:
            raise ValueError(f"unknown arm {arm!r}; valid arms: {list(ARM_SPECS)}")
        seed = f["seed"].value if "seed" in f else None
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"seed must be an int, not {seed!r}")
        for name, kind in (("decoder", "module"), ("candidates", "array")):
            if name not in f or f[name].kind != kind:
                raise ValueError(f"field {name!r} must be stored as {kind!r}")
        return self


class RolesSpec(_Strict):
    """Column roles (as :class:`~pymc_dice.roles.Roles`).

    Examples
    --------
    >>> from pymc_dice.data import Roles
    >>> roles = Roles("date", ("geo",), ("tv",), (), (), "y")
    >>> RolesSpec(**roles.to_dict()).channel_columns
    ['tv']
    """

    date_column: str
    dims: list[str]
    channel_columns: list[str] = Field(min_length=1)
    mediator_columns: list[str]
    control_columns: list[str]
    target_column: str


class ParamsSpec(BaseModel):
    """Constructor arguments; further JSON arguments are passed on to the constructor.

    Examples
    --------
    >>> params = ParamsSpec.model_validate(
    ...     {"date_column": "date", "channel_columns": ["tv"], "target_column": "y",
    ...      "mediator_columns": None, "control_columns": None, "dims": None,
    ...      "model_config": {"arm": "nograph"}, "trainer_config": {}})
    >>> params.model_cfg.arm, params.trainer_cfg == TrainerConfig(), params.model_extra
    ('nograph', True, {})
    """

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True, frozen=True)

    date_column: str | None
    channel_columns: list[str] | None
    target_column: str
    mediator_columns: list[str] | None
    control_columns: list[str] | None
    dims: list[str] | None
    model_cfg: ModelConfig = Field(alias="model_config")
    trainer_cfg: TrainerConfig = Field(alias="trainer_config")


class Manifest(_Strict):
    """Schema of the ``manifest`` attribute of a save file's ``/pymc_dice`` group.

    Examples
    --------
    >>> sorted(Manifest.model_json_schema()["required"])[:4]
    ['arms', 'arrays', 'format', 'format_version']
    """

    format: Literal[FORMAT]  # type: ignore[valid-type]
    format_version: Literal[FORMAT_VERSION]  # type: ignore[valid-type]
    model_type: str
    version: str
    pymc_dice_version: str
    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    params: ParamsSpec
    roles: RolesSpec
    graph: list[list[str | float]] | None
    seeds: list[int] = Field(min_length=1)
    n_draws: int = Field(ge=1)
    train_end: int = Field(ge=1)
    series_names: list[str | None] = Field(min_length=1)
    series: list[list[str]] = Field(min_length=1)
    arms: list[ArmEntry] = Field(min_length=1)
    arrays: dict[VarName, ArraySpec]
    results: dict[str, list[str]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if len(self.series) != len(self.series_names):
            raise ValueError("series and series_names differ in length")
        if len({len(level) for level in self.series}) != 1 or not self.series[0]:
            raise ValueError("series levels must be non-empty and of one length")
        if len(self.arms) != len(self.seeds):
            raise ValueError(f"{len(self.arms)} arms but {len(self.seeds)} seeds")
        arm = self.params.model_cfg.arm
        if any(a.fields["arm"].value != arm for a in self.arms):
            raise ValueError(f"every arm must be model_config.arm={arm!r}")
        return self


def _feed(h: Any, label: str, data: bytes) -> None:
    h.update(f"{len(label)}:{label}{len(data)}:".encode())
    h.update(data)


def _canonical(arr: np.ndarray) -> tuple[str, bytes]:
    """(kind, bytes) of an array, independent of how netCDF encodes it."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "OUS":
        return "str", json.dumps(arr.astype(str).ravel().tolist()).encode()
    if arr.dtype.kind in "mM":
        arr = arr.astype(f"{arr.dtype.kind}8[ns]").view(np.int64)
    if arr.dtype.kind == "b":
        return "bool", np.ascontiguousarray(arr).view(np.uint8).tobytes()
    return arr.dtype.name, np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()


def _plain(value: Any) -> Any:
    """Attribute values as plain JSON (netCDF returns numpy arrays and one-element scalars)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return _plain(value[0]) if len(value) == 1 else [_plain(v) for v in value]
    return value


def content_digest(manifest_text: str, arrays: dict[str, np.ndarray], idata: xr.DataTree) -> str:
    """SHA-256 (hex) of a save file's content: the manifest text, the ``/pymc_dice`` arrays and
    every variable and attribute of the results tree, in a canonical form that does not depend
    on how netCDF encodes them.

    Examples
    --------
    >>> tree = xr.DataTree(xr.Dataset({"x": ("i", np.arange(3.0))}))
    >>> a = content_digest("{}", {"w": np.ones(2, "float32")}, tree)
    >>> a == content_digest("{}", {"w": np.ones(2, "float32")}, tree), len(a)
    (True, 64)
    >>> a == content_digest("{}", {"w": np.zeros(2, "float32")}, tree)
    False
    """
    h = hashlib.sha256()
    _feed(h, "manifest", manifest_text.encode())
    for name in sorted(arrays):
        kind, data = _canonical(arrays[name])
        _feed(h, f"{GROUP}/{name}:{kind}:{arrays[name].shape}", data)
    for node in sorted(idata.subtree, key=lambda n: n.path):
        _feed(
            h, f"attrs:{node.path}", json.dumps(_plain(dict(node.attrs)), sort_keys=True).encode()
        )
        ds = node.to_dataset(inherit=False)
        for name in sorted(map(str, ds.variables)):
            var = ds.variables[name]
            kind, data = _canonical(var.values)
            _feed(h, f"{node.path}/{name}:{var.dims}:{kind}:{var.shape}", data)
    return h.hexdigest()
