"""What a :class:`~pymc_dice.mmm.DiceMMM` is before and apart from its weights: validated
configs, column roles and the prior graph resolved against a frame, the reference graph of
the diagnostics, and the model id.

Plain numpy / pandas / xarray: nothing here trains or loads torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from pymc_dice.data import Roles, infer_roles
from pymc_dice.exceptions import ConfigError, DataValidationError
from pymc_dice.graph import candidate_mask, check_candidates, to_graph

__all__ = [
    "FIT_KEYWORDS_WITHOUT_MEANING",
    "as_config",
    "pymc_marketing_model_options",
    "as_list",
    "given_roles",
    "graph_json",
    "model_id",
    "resolve_graph",
    "resolve_roles",
    "results_attrs",
    "truth_graph",
]


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


def as_config(value: Any, cls: type, name: str):
    """``value`` (None, a ``cls`` or a dict) as a validated ``cls``.

    Examples
    --------
    >>> from pymc_dice.config import ModelConfig
    >>> as_config({"hidden_size": 8}, ModelConfig, "model_config").hidden_size
    8
    >>> as_config("dice-hard", ModelConfig, "model_config")
    Traceback (most recent call last):
    ...
    TypeError: model_config must be a ModelConfig or a dict, got str
    """
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.model_validate(value)
    raise TypeError(f"{name} must be a {cls.__name__} or a dict, got {type(value).__name__}")


#: pymc-marketing transformation classes -> the structural decoder's family
_ADSTOCKS = {
    "GeometricAdstock": "geometric",
    "DelayedAdstock": "delayed",
    "WeibullPDFAdstock": "free",
    "WeibullCDFAdstock": "free",
}
_SATURATIONS = {
    "LogisticSaturation": "logistic",
    "TanhSaturation": "logistic",
    "TanhSaturationBaselined": "logistic",
    "HillSaturation": "hill",
    "HillSaturationSigmoid": "hill",
    "MichaelisMentenSaturation": "hill",
}

#: ``fit`` keywords of pymc-marketing's MMM that have no meaning for DiceMMM, with the reason
FIT_KEYWORDS_WITHOUT_MEANING = {
    "tune": "there is no MCMC warm-up: the posterior draws come from a Laplace approximation",
    "target_accept": "there is no NUTS sampler",
    "nuts_sampler": "there is no NUTS sampler",
    "cores": "chains are the seed ensemble, fitted in this process",
    "init": "there is no MCMC initialisation",
}


def pymc_marketing_model_options(
    adstock: Any = None, saturation: Any = None, yearly_seasonality: int | None = None
) -> dict:
    """``ModelConfig`` settings for pymc-marketing's MMM arguments: the adstock and saturation
    families (and ``l_max``) of the structural decoder, and the Fourier order of its season.

    Examples
    --------
    >>> from pymc_marketing.mmm import GeometricAdstock, HillSaturation
    >>> pymc_marketing_model_options(GeometricAdstock(l_max=6), HillSaturation(), 3)
    {'adstock': 'geometric', 'adstock_max_lag': 6, 'saturation': 'hill', 'yearly_seasonality': 3}
    >>> pymc_marketing_model_options(saturation="logistic")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ConfigError: saturation 'logistic' is not a pymc-marketing saturation ...
    """
    out: dict[str, Any] = {}
    if adstock is not None:
        kind = _ADSTOCKS.get(type(adstock).__name__)
        if kind is None:
            raise ConfigError(
                f"adstock {adstock!r} is not a pymc-marketing adstock DiceMMM can follow "
                f"({sorted(_ADSTOCKS)}); or set model_config={{'adstock': 'geometric' | "
                "'delayed' | 'free'}}"
            )
        out["adstock"] = kind
        if getattr(adstock, "l_max", None):
            out["adstock_max_lag"] = int(adstock.l_max)
    if saturation is not None:
        kind = _SATURATIONS.get(type(saturation).__name__)
        if kind is None:
            raise ConfigError(
                f"saturation {saturation!r} is not a pymc-marketing saturation DiceMMM can "
                f"follow ({sorted(_SATURATIONS)}); or set model_config={{'saturation': "
                "'logistic' | 'hill'}}"
            )
        out["saturation"] = kind
    if yearly_seasonality is not None:
        out["yearly_seasonality"] = int(yearly_seasonality)
    return out


def given_roles(params: Mapping[str, Any]) -> dict:
    """The column roles as given to the constructor (``None``: to be inferred by ``fit``).

    Examples
    --------
    >>> given_roles({"date_column": None, "dims": "geo", "channel_columns": ["tv"],
    ...              "mediator_columns": None, "control_columns": None, "target_column": "y"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'date_column': None, 'dims': ['geo'], 'channel_columns': ['tv'], 'mediator_columns': None,
     'control_columns': None, 'target_column': 'y'}
    """
    return {
        "date_column": params["date_column"],
        "dims": as_list(params["dims"]),
        "channel_columns": as_list(params["channel_columns"]),
        "mediator_columns": as_list(params["mediator_columns"]),
        "control_columns": as_list(params["control_columns"]),
        "target_column": params["target_column"],
    }


def resolve_roles(X: pd.DataFrame, params: Mapping[str, Any]) -> Roles:
    """Column roles of ``X`` from the constructor arguments
    (:func:`pymc_dice.data.infer_roles` fills what is not given).

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="W"),
    ...                    "tv": [1.0, 2, 3], "y": [4.0, 5, 6]})
    >>> params = {"date_column": None, "dims": None, "channel_columns": "tv",
    ...           "mediator_columns": None, "control_columns": None, "target_column": "y"}
    >>> resolve_roles(df, params).nodes
    ('tv', 'y')
    """
    return infer_roles(X, **given_roles(params))


def resolve_graph(graph: Any, roles: Roles, *, needs_oracle: bool) -> xr.DataArray | None:
    """The constructor's ``graph`` over the nodes of ``roles``, checked against the candidate
    edges; ``None`` when no graph was given (an error for an arm that needs one).

    Examples
    --------
    >>> roles = Roles("date", (), ("tv",), (), (), "y")
    >>> resolve_graph([("tv", "y")], roles, needs_oracle=True).values.tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    >>> resolve_graph([("y", "tv")], roles, needs_oracle=False)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: graph: graph has edges that are not candidates: ...
    """
    if graph is None:
        if needs_oracle:
            raise ValueError(
                "arm='oracle' trains on a known graph: pass DiceMMM(graph=...) (a (source, "
                "target) DataArray, a networkx.DiGraph or a list of (source, target) pairs)"
            )
        return None
    try:
        g = to_graph(graph, roles.nodes, name="graph")
        check_candidates(g, candidate_mask(roles.nodes, roles.channel_columns, roles.target_column))
    except (ValueError, TypeError) as err:
        raise DataValidationError(f"graph: {err}") from err
    return g


def graph_json(graph: Any, resolved: xr.DataArray | None = None) -> list | None:
    """The prior graph as sorted ``[source, target, weight]`` triples (its part of the model
    id): the ``resolved`` graph once fitted, else the graph as given.

    Examples
    --------
    >>> graph_json([("tv", "y")]), graph_json(None)
    ([['tv', 'y', 1.0]], None)
    """
    g = resolved
    if g is None:
        if graph is None:
            return None
        if isinstance(graph, xr.DataArray):
            g = graph
        else:
            try:
                import networkx as nx

                if isinstance(graph, nx.DiGraph):
                    return sorted([str(s), str(t), 1.0] for s, t in graph.edges)
            except ImportError:  # pragma: no cover
                pass
            if isinstance(graph, np.ndarray):
                return np.asarray(graph, dtype=float).tolist()
            return sorted([str(s), str(t), 1.0] for s, t in graph)
    g = g.transpose("source", "target")
    return sorted(
        [str(s), str(t), float(g.values[i, j])]
        for i, s in enumerate(g["source"].values)
        for j, t in enumerate(g["target"].values)
        if g.values[i, j] != 0
    )


def model_id(identity: Mapping[str, Any], version: str, model_type: str) -> str:
    """16 hex digits: SHA-256 of the ``identity`` (configs, roles, graph as JSON), the model
    version and type, as pymc-marketing's ``ModelIO.id``.

    Examples
    --------
    >>> a = model_id({"graph": None}, "0.1", "DiceMMM")
    >>> len(a), a == model_id({"graph": None}, "0.2", "DiceMMM")
    (16, False)
    """
    hasher = hashlib.sha256()
    hasher.update(json.dumps(dict(identity), sort_keys=True).encode())
    hasher.update(version.encode())
    hasher.update(model_type.encode())
    return hasher.hexdigest()[:16]


def results_attrs(
    model_id: str,
    version: str,
    model_config: Any,
    trainer_config: Any,
    roles: Roles,
    seeds: Sequence[int],
    train_end: int,
) -> dict:
    """Root attributes of a fitted model's results tree: its id and version, arm, configs,
    resolved roles, seeds, warm-up dates (``max_lag``) and the end of the training dates.

    Examples
    --------
    >>> from pymc_dice.config import ModelConfig, TrainerConfig
    >>> roles = Roles("date", (), ("tv",), (), (), "y")
    >>> attrs = results_attrs("0123abcd", "0.1", ModelConfig(), TrainerConfig(), roles, [7], 20)
    >>> attrs["arm"], attrs["seeds"], attrs["warmup_dates"] == ModelConfig().max_lag
    ('dice-hard', [7], True)
    """
    return {
        "id": model_id,
        "version": version,
        "arm": model_config.arm,
        "model_config": model_config.model_dump(mode="json"),
        "trainer_config": trainer_config.model_dump(mode="json"),
        "roles": roles.to_dict(),
        "seeds": list(seeds),
        "warmup_dates": model_config.max_lag,
        "train_end": train_end,
    }


_TRUTH_KINDS = (
    "the simulator's truth Dataset (sim.truth, with a 'graph' variable), a (source, target) "
    "graph DataArray, a path to a netCDF file of the truth (e.g. truth.nc of `pymc-dice "
    "simulate`), a networkx.DiGraph or a list of (source, target) pairs"
)


def _is_digraph(value: Any) -> bool:
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover - networkx is a dependency
        return False
    return isinstance(value, nx.DiGraph)


def truth_graph(truth: Any, nodes: Sequence[str]) -> xr.DataArray:
    """The true direct graph over ``nodes`` from what ``DiceMMM.diagnose(truth=...)`` takes.

    Accepts the simulator's truth Dataset (its ``graph``), a path to a netCDF file of it, a
    graph DataArray, a ``networkx.DiGraph``, a square array or a list of (source, target)
    pairs. Anything else, a Dataset without ``graph``, a missing file or a graph naming
    unknown nodes raises a :class:`~pymc_dice.exceptions.DataValidationError` naming it.

    Examples
    --------
    >>> from pymc_dice.simulate import sparse_target
    >>> sim = sparse_target(n_series=2, n_periods=20, seed=0)
    >>> nodes = sim.truth["graph"]["source"].values.tolist()
    >>> bool((truth_graph(sim.truth, nodes) == sim.truth["graph"]).all())
    True
    >>> truth_graph(3, nodes)
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: truth must be the simulator's truth Dataset ...
    """
    given = truth
    if isinstance(truth, str | os.PathLike):
        truth = _read_truth(Path(truth))
    if isinstance(truth, xr.Dataset):
        if "graph" not in truth.data_vars:
            raise DataValidationError(
                f"the truth Dataset has no 'graph' variable (it holds {sorted(truth.data_vars)}); "
                "pass the simulator's truth (sim.truth) or a (source, target) graph DataArray"
            )
        truth = truth["graph"]
    kinds = (xr.DataArray, np.ndarray, list, tuple, set, frozenset)
    if not (isinstance(truth, kinds) or _is_digraph(truth)):
        raise DataValidationError(f"truth must be {_TRUTH_KINDS}; got {type(given).__name__}")
    try:
        return to_graph(truth, list(nodes), name="truth")
    except (ValueError, TypeError) as err:
        raise DataValidationError(f"truth: {err}") from err


def _read_truth(path: Path) -> xr.Dataset:
    if not path.is_file():
        raise DataValidationError(
            f"truth: no file at {path}; pass the path of a truth netCDF (the truth.nc that "
            "`pymc-dice simulate` writes) or the truth itself"
        )
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as err:
        raise DataValidationError(f"truth: {path} is not a readable netCDF file ({err})") from err
