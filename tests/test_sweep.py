"""Grid runner: seeds, local executor, cache resume, Ray vs local."""

import json
import math

import numpy as np
import pytest

from pymc_dice.bench import bench_job, suite_settings
from pymc_dice.sweep import Job, derive_seed, make_jobs, run_grid, to_dataset, toy_job

SIZES = {"small": {"n": 6}, "large": {"n": 50}}

#: a tiny real job: 8 series x 40 weeks, 2 epochs (about a second each on one thread)
TINY = {
    **suite_settings("sparse-target")["S32-T60"],
    "n_series": 8,
    "n_periods": 40,
    "hidden_size": 4,
    "epochs_stage1": 2,
    "epochs_stage2": 2,
    "eval_every": 1,
}


def _strip_timings(result: dict) -> dict:
    return {k: v for k, v in result.items() if not k.endswith("_seconds")}


def test_seeds_depend_only_on_the_job_key():
    jobs = make_jobs(["toy"], ["a", "b"], 3, SIZES, root_seed=7)
    seeds = {job.key: (job.job_seed, job.data_seed) for job in jobs}
    # adding a suite, an arm and a seed to the grid (reordered) leaves every old job's seeds
    bigger = make_jobs(["other", "toy"], ["c", "b", "a"], 4, SIZES, root_seed=7)[::-1]
    again = {job.key: (job.job_seed, job.data_seed) for job in bigger if job.key in seeds}
    assert again == seeds
    assert len(again) == len(jobs)
    # different jobs get different training seeds; arms of a replicate share the data seed
    assert len({s for s, _ in seeds.values()}) == len(jobs)
    a, b = Job("toy", "a", 1, "small", {"n": 6}, 7), Job("toy", "b", 1, "small", {"n": 6}, 7)
    assert a.data_seed == b.data_seed and a.job_seed != b.job_seed
    assert Job("toy", "a", 1, "small", {"n": 6}, 8).job_seed != a.job_seed  # root seed matters
    assert 0 <= derive_seed(0, "x") < 2**31


def test_local_results_are_deterministic_and_independent_of_order():
    jobs = make_jobs(["toy"], ["a", "b"], 3, SIZES)
    first = run_grid(jobs, toy_job, progressbar=False)
    rev = run_grid(jobs[::-1], toy_job, progressbar=False)[::-1]
    assert first == rev
    assert len({r["mean"] for r in first}) == len(jobs)  # distinct seeds, distinct draws


def test_merged_dataset_has_job_dims_and_nan_where_a_metric_does_not_apply():
    jobs = make_jobs(["toy"], ["a", "b"], 2, SIZES)
    results = run_grid(jobs, toy_job, progressbar=False)
    ds = to_dataset(jobs, results)
    assert dict(ds["mean"].sizes) == {"arm": 2, "size": 2, "seed": 2}
    assert ds["quantiles"].dims == ("arm", "size", "seed", "quantile")
    assert ds["first"].sel(arm="b").isnull().all() and ds["first"].sel(arm="a").notnull().all()
    for job, res in zip(jobs, results, strict=True):
        cell = ds.sel(arm=job.arm, size=job.size, seed=job.seed)
        assert float(cell["mean"]) == res["mean"]
        assert float(cell["quantiles"].sel(quantile="q90")) == res["quantiles"]["q90"]
    # "b" shifts every draw by 1: the merged means must show it (n=50: sd of a mean 0.14)
    gap = ds["mean"].sel(arm="b", size="large") - ds["mean"].sel(arm="a", size="large")
    assert float(gap.mean()) > 0.5


def test_cache_resumes_without_rerunning(tmp_path):
    jobs = make_jobs(["toy"], ["a", "b"], 2, SIZES)
    calls = []

    def counting(job):
        calls.append(job.key)
        return toy_job(job)

    first = run_grid(jobs[:5], counting, cache_dir=tmp_path, progressbar=False)  # "interrupted"
    assert len(calls) == 5 and len(list(tmp_path.glob("*.json"))) == 5
    full = run_grid(jobs, counting, cache_dir=tmp_path, progressbar=False)
    assert len(calls) == len(jobs)  # only the 3 missing jobs ran
    assert full[:5] == first
    calls.clear()
    assert run_grid(jobs, counting, cache_dir=tmp_path, progressbar=False) == full
    assert calls == []
    # one strict-JSON file per job, no temporary files left behind
    entry = json.loads((tmp_path / f"{jobs[0].key}.json").read_text())
    assert entry["job"]["arm"] == "a" and not list(tmp_path.glob("*.tmp"))
    # a job whose result has a NaN is stored as null and read back as NaN in the Dataset
    assert entry["result"]["first"] is not None
    assert math.isnan(float(to_dataset(jobs, full)["first"].sel(arm="b").values[0, 0]))


def test_failed_job_names_itself_and_is_not_cached(tmp_path):
    def broken(job):
        if job.arm == "b":
            raise ValueError("boom")
        return toy_job(job)

    jobs = make_jobs(["toy"], ["a", "b"], 1)
    with pytest.raises(RuntimeError, match="toy/b/default/seed0 failed: boom"):
        run_grid(jobs, broken, cache_dir=tmp_path, progressbar=False)
    assert [p.stem for p in tmp_path.glob("*.json")] == [jobs[0].key]


def test_bad_grids_are_refused():
    jobs = make_jobs(["toy"], ["a"], 1)
    with pytest.raises(ValueError, match="duplicate"):
        run_grid(jobs * 2, toy_job, progressbar=False)
    with pytest.raises(ValueError, match="executor"):
        run_grid(jobs, toy_job, executor="dask", progressbar=False)


@pytest.mark.slow  # starts a Ray cluster (about 16 s); Ray in the default run:
# tests/test_distributed.py::test_ray_fit_equals_in_process_fit
def test_ray_and_local_give_identical_results(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'pymc-dice[ray]'")
    toy = make_jobs(["toy"], ["a", "b"], 2, SIZES)
    real = [Job("sparse-target", arm, 0, "tiny", TINY) for arm in ("oracle", "dice-hard")]
    jobs = toy + real

    # a lambda is shipped to the workers by value; the functions it calls by reference
    def dispatch(job):
        return (toy_job if job.suite == "toy" else bench_job)(job)

    local = run_grid(jobs, dispatch, progressbar=False)
    remote = run_grid(
        jobs, lambda job: dispatch(job), executor="ray", num_cpus=2, cache_dir=tmp_path,
        progressbar=False,
    )
    assert not ray.is_initialized()  # the Ray started here was shut down
    assert remote[: len(toy)] == local[: len(toy)]
    # CPU training is reproducible: every figure but the timings is bit-identical
    assert [_strip_timings(r) for r in remote] == [_strip_timings(r) for r in local]
    assert len(list(tmp_path.glob("*.json"))) == len(jobs)  # the driver cached Ray's results
    assert np.isfinite(remote[-1]["edge_auroc"]) and remote[-2]["ar_cig_nauprc"] == 1.0
