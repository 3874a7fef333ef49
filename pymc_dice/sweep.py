"""Grid runner for seed x suite x arm x size sweeps, in-process or on Ray (docs/benchmarks.md).

A sweep is a list of :class:`Job` objects and one job function ``fn(job) -> dict``. Every job
carries its own seeds, derived from one root seed and the job's key alone, so adding or
reordering jobs never changes another job's seeds. Finished jobs are cached on disk as one JSON
file per job (written atomically), so an interrupted sweep resumes where it stopped.

Result dicts map names to numbers (one variable over the job dims in the merged Dataset), to
nested dicts of numbers (a variable with extra dims, named in the result's ``"_dims"`` entry),
or to anything else JSON can hold (kept in the JSON, left out of the Dataset). Keys ending in
``_seconds`` are timings: they differ between runs and executors.

Examples
--------
>>> jobs = make_jobs(suites=["toy"], arms=["a", "b"], seeds=[0, 1], sizes={"small": {"n": 5}})
>>> ds = to_dataset(jobs, run_grid(jobs, toy_job, progressbar=False))
>>> ds["mean"].dims, ds["mean"].shape
(('arm', 'size', 'seed'), (2, 1, 2))
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

__all__ = [
    "Job",
    "derive_seed",
    "load_cached",
    "make_jobs",
    "run_grid",
    "store_cached",
    "to_dataset",
    "toy_job",
]

JOB_DIMS = ("suite", "arm", "size", "seed")
RAY_MISSING = "the 'ray' executor needs Ray: pip install 'pymc-dice[ray]'"


def derive_seed(root: int, *parts: Any) -> int:
    """A seed in ``[0, 2**31)`` from a root seed and a key (any JSON-able parts).

    The key is hashed (SHA-256) into the entropy of a ``numpy.random.SeedSequence`` together
    with the root seed, so seeds of different keys are independent and a key's seed depends
    on nothing else.

    Examples
    --------
    >>> derive_seed(0, "sparse-target", "oracle", 1) == derive_seed(0, "sparse-target", "oracle", 1)
    True
    >>> derive_seed(0, "a") != derive_seed(1, "a") != derive_seed(0, "b")
    True
    """
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    words = [int.from_bytes(digest[k : k + 4], "little") for k in range(0, 16, 4)]
    state = np.random.SeedSequence([int(root), *words]).generate_state(1, np.uint32)[0]
    return int(state) % 2**31


def _freeze(params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    items = params.items() if isinstance(params, Mapping) else params
    out = []
    for key, value in sorted(items):
        if isinstance(value, list):
            value = tuple(value)
        out.append((str(key), value))
    return tuple(out)


@dataclass(frozen=True)
class Job:
    """One cell of a sweep: a suite (data setting), an arm, a replicate seed and a size.

    Parameters
    ----------
    suite, arm : str
        Names (e.g. ``"sparse-target"``, ``"dice-hard/topk"``).
    seed : int
        Replicate index (0, 1, ...); the seeds actually used are :attr:`data_seed` and
        :attr:`job_seed`.
    size : str
        Label of the size or setting (e.g. ``"S32-T60"``, ``"R2-d8-T60"``).
    params : mapping
        Everything else the job function needs (JSON-able scalars); part of the cache key.
    root_seed : int
        The sweep's root seed.

    Examples
    --------
    >>> job = Job("toy", "a", 0, "small", {"n": 3})
    >>> job.params_dict, len(job.key)
    ({'n': 3}, 16)
    >>> job.data_seed == Job("toy", "b", 0, "small", {"n": 3}).data_seed  # same data for every arm
    True
    >>> job.job_seed == Job("toy", "a", 0, "small", {"n": 3}).job_seed  # deterministic
    True
    >>> job.job_seed != Job("toy", "b", 0, "small", {"n": 3}).job_seed  # training differs per arm
    True
    >>> job.label, job.to_dict()["params"]
    ('toy/a/small/seed0', {'n': 3})
    """

    suite: str
    arm: str
    seed: int
    size: str = "default"
    params: tuple[tuple[str, Any], ...] = field(default=())
    root_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _freeze(self.params))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "root_seed", int(self.root_seed))

    @property
    def params_dict(self) -> dict[str, Any]:
        """The parameters as a dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.params}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (also the input of the cache key)."""
        return {
            "suite": self.suite,
            "arm": self.arm,
            "seed": self.seed,
            "size": self.size,
            "params": self.params_dict,
            "root_seed": self.root_seed,
        }

    @property
    def key(self) -> str:
        """Stable 16-hex-digit hash of :meth:`to_dict` (the cache file name)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def data_seed(self) -> int:
        """Seed of the job's data: depends on (root, suite, size, seed), not on the arm, so
        every arm of a replicate sees the same panel."""
        return derive_seed(self.root_seed, "data", self.suite, self.size, self.seed)

    @property
    def job_seed(self) -> int:
        """Seed of the job's own randomness (training): depends on the whole job."""
        return derive_seed(
            self.root_seed, "job", self.suite, self.arm, self.size, self.seed, self.params_dict
        )

    @property
    def label(self) -> str:
        """Short human-readable name."""
        return f"{self.suite}/{self.arm}/{self.size}/seed{self.seed}"


def make_jobs(
    suites: Sequence[str],
    arms: Sequence[str],
    seeds: Sequence[int] | int,
    sizes: Mapping[str, Mapping[str, Any]] | None = None,
    root_seed: int = 0,
) -> list[Job]:
    """The full grid ``suites x sizes x arms x seeds`` as jobs.

    Examples
    --------
    >>> jobs = make_jobs(["toy"], ["a", "b"], 3)
    >>> len(jobs), jobs[0].label
    (6, 'toy/a/default/seed0')
    """
    seeds = range(seeds) if isinstance(seeds, int) else seeds
    sizes = sizes or {"default": {}}
    return [
        Job(suite, arm, s, label, params, root_seed)
        for suite in suites
        for label, params in sizes.items()
        for arm in arms
        for s in seeds
    ]


def toy_job(job: Job) -> dict[str, Any]:
    """A cheap numpy job (tests, examples and a Ray smoke test): statistics of ``n`` draws.

    Examples
    --------
    >>> res = toy_job(Job("toy", "a", 0, "small", {"n": 4}))
    >>> sorted(res)
    ['_dims', 'first', 'mean', 'quantiles']
    """
    rng = np.random.default_rng(job.job_seed)
    n = int(job.params_dict.get("n", 10))
    shifted = job.arm.endswith("b")  # the toy's second arm is shifted by one
    x = rng.normal(size=n) + (1.0 if shifted else 0.0)
    q = np.quantile(x, [0.1, 0.9])
    return {
        "mean": float(x.mean()),
        "first": None if shifted else float(x[0]),  # NaN where it does not apply
        "quantiles": {"q10": float(q[0]), "q90": float(q[1])},
        "_dims": {"quantiles": ["quantile"]},
    }


# --------------------------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------------------------


def _jsonable(x: Any) -> Any:
    """NaN/inf -> None and numpy scalars -> Python, recursively (strict JSON)."""
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_json(path: Path | str, obj: Any) -> None:
    """Write ``obj`` as strict JSON atomically (temporary file in the same folder, then rename).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> write_json(p, {"a": float("nan")}); p.read_text()
    '{\\n  "a": null\\n}'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(_jsonable(obj), fh, indent=2, allow_nan=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_cached(job: Job, cache_dir: Path | str | None) -> dict | None:
    """The cached result of ``job``, or None (no cache, not run yet, or unreadable).

    Examples
    --------
    >>> load_cached(Job("toy", "a", 0), None) is None
    True
    """
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"{job.key}.json"
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("job") != _jsonable(job.to_dict()):  # a hash collision or a hand-edited file
        return None
    return entry["result"]


def store_cached(job: Job, result: dict, cache_dir: Path | str | None) -> None:
    """Write ``result`` as the cached result of ``job`` (nothing without a cache folder); what
    :func:`load_cached` reads back.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> store_cached(Job("toy", "a", 0), {"mse": 0.5}, folder)
    >>> load_cached(Job("toy", "a", 0), folder), load_cached(Job("toy", "b", 0), folder)
    ({'mse': 0.5}, None)
    """
    if cache_dir is not None:
        write_json(Path(cache_dir) / f"{job.key}.json", {"job": job.to_dict(), "result": result})


# --------------------------------------------------------------------------------------------
# executors
# --------------------------------------------------------------------------------------------


def _call(fn: Callable[[Job], dict], job: Job, threads: int | None) -> dict:
    """Run one job with ``threads`` torch threads (restored afterwards), JSON-normalised."""
    old = None
    if threads is not None:
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is a dependency
            torch = None
        if torch is not None:
            old = torch.get_num_threads()
            torch.set_num_threads(int(threads))
    try:
        result = fn(job)
    finally:
        if old is not None:
            torch.set_num_threads(old)
    if not isinstance(result, Mapping):
        raise TypeError(f"job function returned {type(result).__name__} for {job.label}; expected a dict")
    return _jsonable(dict(result))


def _run_local(todo, fn, threads, cache_dir, bar) -> dict[str, dict]:
    out = {}
    for job in todo:
        bar.set_postfix_str(job.label)
        try:
            out[job.key] = _call(fn, job, threads)
        except Exception as err:
            raise RuntimeError(f"job {job.label} failed: {err}") from err
        store_cached(job, out[job.key], cache_dir)
        bar.update()
    return out


def _gpu_request(ray_mod, gpus_per_job: float | None) -> float:
    """GPUs per task: as asked, else a quarter GPU when the cluster has any, else none."""
    if gpus_per_job is not None:
        return float(gpus_per_job)
    return 0.25 if float(ray_mod.cluster_resources().get("GPU", 0)) > 0 else 0.0


def _run_ray(
    todo, fn, threads, cache_dir, bar, ray_address, num_cpus, gpus_per_job
) -> dict[str, dict]:
    try:
        import ray
    except ImportError as err:
        raise ImportError(RAY_MISSING) from err
    started = False
    if not ray.is_initialized():
        if ray_address is None:
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads or 1)}},
            )
        else:
            ray.init(address=ray_address, log_to_driver=False)
        started = True
    try:
        task = ray.remote(_call).options(num_cpus=threads or 1, num_gpus=_gpu_request(ray, gpus_per_job))
        pending = {task.remote(fn, job, threads): job for job in todo}
        out = {}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(done[0])
            try:
                out[job.key] = ray.get(done[0])
            except Exception as err:
                for ref in pending:
                    ray.cancel(ref)
                raise RuntimeError(f"job {job.label} failed on Ray: {err}") from err
            store_cached(job, out[job.key], cache_dir)
            bar.set_postfix_str(job.label)
            bar.update()
        return out
    finally:
        if started:
            ray.shutdown()


def run_grid(
    jobs: Sequence[Job],
    fn: Callable[[Job], dict],
    executor: Literal["local", "ray"] = "local",
    cache_dir: Path | str | None = None,
    ray_address: str | None = None,
    progressbar: bool = True,
    *,
    num_cpus: int | None = None,
    threads: int | None = 1,
    gpus_per_job: float | None = None,
    desc: str = "sweep",
) -> list[dict]:
    """Run ``fn`` on every job not already cached; return the results in job order.

    Parameters
    ----------
    jobs : sequence of Job
        Keys must be unique.
    fn : callable
        ``fn(job) -> dict``; for Ray it is shipped to the workers with cloudpickle: a
        module-level function of an installed module (:func:`toy_job`,
        :func:`pymc_dice.bench.bench_job`) or a closure over such functions.
    executor : {"local", "ray"}
        ``"local"`` runs jobs one after the other in this process; ``"ray"`` runs them as Ray
        tasks (``threads`` CPUs each, plus ``gpus_per_job`` GPUs).
    cache_dir : path, optional
        One JSON per finished job (``<key>.json``); cached jobs are not run again.
    ray_address : str, optional
        Address of a running Ray cluster (e.g. ``"ray://head:10001"`` or ``"auto"``); without
        it a local Ray with ``num_cpus`` CPUs is started and shut down at the end. A Ray that
        is already initialised in this process is used as it is.
    progressbar : bool
        A tqdm bar over jobs.
    num_cpus : int, optional
        CPUs of the local Ray (default: all).
    threads : int or None
        Torch threads per job (None: leave as is).
    gpus_per_job : float, optional
        GPUs per Ray task; default 0.25 when the cluster has GPUs, else 0.
    desc : str
        Progress bar label.

    Returns
    -------
    list of dict
        One JSON-normalised result per job (NaN stored as None).

    Examples
    --------
    >>> jobs = make_jobs(["toy"], ["a"], 2, {"small": {"n": 5}})
    >>> [round(r["mean"], 3) for r in run_grid(jobs, toy_job, progressbar=False)]
    [0.051, 0.015]
    """
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("run_grid: duplicate jobs in the grid")
    if executor not in ("local", "ray"):
        raise ValueError(f"executor must be 'local' or 'ray', got {executor!r}")
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    results = {job.key: load_cached(job, cache_dir) for job in jobs}
    todo = [job for job in jobs if results[job.key] is None]
    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc=desc,
        disable=not progressbar,
        dynamic_ncols=True,
    )
    try:
        if todo and executor == "local":
            results.update(_run_local(todo, fn, threads, cache_dir, bar))
        elif todo:
            results.update(
                _run_ray(todo, fn, threads, cache_dir, bar, ray_address, num_cpus, gpus_per_job)
            )
    finally:
        bar.close()
    return [results[k] for k in keys]


# --------------------------------------------------------------------------------------------
# merge
# --------------------------------------------------------------------------------------------


def _nested_labels(value: Any, depth: int, acc: list[list[str]]) -> None:
    if not isinstance(value, Mapping):
        return
    while len(acc) <= depth:
        acc.append([])
    for k, v in value.items():
        if k not in acc[depth]:
            acc[depth].append(k)
        _nested_labels(v, depth + 1, acc)


def _fill(arr: np.ndarray, idx: tuple, value: Any, labels: list[list[str]], depth: int) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _fill(arr, (*idx, labels[depth].index(k)), v, labels, depth + 1)
    elif isinstance(value, (int, float, bool)) and value is not None:
        arr[idx] = float(value)


def _is_numeric_tree(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_is_numeric_tree(v) for v in value.values())
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, str))


def to_dataset(
    jobs: Sequence[Job], results: Sequence[Mapping[str, Any]], dims: Sequence[str] | None = None
) -> xr.Dataset:
    """Merge job results into one Dataset: one variable per metric, NaN where it is missing.

    Parameters
    ----------
    jobs, results : sequences
        As given to and returned by :func:`run_grid`.
    dims : sequence of str, optional
        Job fields used as dims, from ``("suite", "arm", "size", "seed")``; default
        ``("arm", "size", "seed")``, with ``"suite"`` in front when the jobs span several
        suites.

    Examples
    --------
    >>> jobs = make_jobs(["toy"], ["a", "b"], 1, {"small": {"n": 5}})
    >>> ds = to_dataset(jobs, run_grid(jobs, toy_job, progressbar=False))
    >>> ds["first"].sel(arm="b").isnull().all().item(), ds["quantiles"].dims[-1]
    (True, 'quantile')
    """
    if len(jobs) != len(results):
        raise ValueError(f"{len(jobs)} jobs but {len(results)} results")
    if dims is None:
        dims = ("arm", "size", "seed")
        if len({j.suite for j in jobs}) > 1:
            dims = ("suite", *dims)
    bad = [d for d in dims if d not in JOB_DIMS]
    if bad:
        raise ValueError(f"dims {bad} are not job fields {JOB_DIMS}")
    coords: dict[str, list] = {d: [] for d in dims}
    for job in jobs:
        for d in dims:
            v = getattr(job, d)
            if v not in coords[d]:
                coords[d].append(v)
    cells: list[tuple[int, ...]] = []
    for job in jobs:
        cell = tuple(coords[d].index(getattr(job, d)) for d in dims)
        if cell in cells:
            other = jobs[cells.index(cell)]
            raise ValueError(f"jobs {other.label} and {job.label} share a cell of dims {dims}")
        cells.append(cell)
    names: list[str] = []
    extra_dims: dict[str, list[str]] = {}
    for res in results:
        for name, value in res.items():
            if name.startswith("_") or not _is_numeric_tree(value):
                continue
            if name not in names:
                names.append(name)
            if isinstance(value, Mapping):
                extra_dims.setdefault(name, list(res.get("_dims", {}).get(name, [])))
    shape = tuple(len(coords[d]) for d in dims)
    data_vars = {}
    for name in names:
        labels: list[list[str]] = []
        for res in results:
            _nested_labels(res.get(name), 0, labels)
        vdims = extra_dims.get(name, [])
        vdims = [*vdims, *[f"{name}_dim_{k}" for k in range(len(vdims), len(labels))]][: len(labels)]
        arr = np.full(shape + tuple(len(lab) for lab in labels), np.nan)
        for cell, res in zip(cells, results, strict=True):
            if name in res:
                _fill(arr, cell, res[name], labels, 0)
        vcoords = {d: lab for d, lab in zip(vdims, labels, strict=True)}
        data_vars[name] = xr.DataArray(arr, dims=(*dims, *vdims), coords=vcoords)
    ds = xr.Dataset(data_vars, coords={d: coords[d] for d in dims})
    if "seed" in ds.dims:
        ds["seed"] = ds["seed"].astype(int)
    return ds
