"""Dask: a two-worker local cluster gives exactly what a serial run gives, for harmonise,
predict and evaluate, and records a failed product instead of stopping."""

import json

import pytest

from crossmask.pipelines.batch.cluster import worker_env
from crossmask.pipelines.batch.inputs import expand_inputs
from crossmask.pipelines.batch.jobs import HarmonizeJob, PredictJob
from crossmask.pipelines.batch.run import run_batch
from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec
from crossmask.pipelines.evaluation.run import run_evaluation

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env=worker_env(1)) as cluster:
        yield cluster.scheduler_address


def _bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.tif"))}


def test_harmonise_and_predict_match_a_serial_run(scheduler, safes, l8_tifs, bright_model,
                                                  tmp_path):
    _, folder = safes
    for job, inputs in ((HarmonizeJob(method="ols"), expand_inputs([folder])),
                        (PredictJob((str(bright_model),), tile=32),
                         expand_inputs([l8_tifs], sensor="L8"))):
        serial = run_batch(job, inputs, tmp_path / "serial", progress=False)
        parallel = run_batch(job, inputs, tmp_path / "dask", scheduler=scheduler,
                             progress=False)
        assert serial.counts()["done"] == parallel.counts()["done"] == 4
    assert _bytes(tmp_path / "serial") == _bytes(tmp_path / "dask")
    assert len(_bytes(tmp_path / "dask")) == 8


def test_evaluate_on_workers_pools_the_same_records(scheduler, bright_model, labelled_four,
                                                    tmp_path):
    config = EvaluationConfig(name="d", models=[ModelSpec("bright", str(bright_model))],
                              datasets=[DatasetSpec("four", str(labelled_four))],
                              methods=["none", "ols"], n_boot=20)
    serial = run_evaluation(config, tmp_path / "serial", progress=False)
    parallel = run_evaluation(config, tmp_path / "dask", progress=False, scheduler=scheduler)
    columns = [c for c in serial.results.columns if not c.endswith("_s")]
    assert len(serial.results) == 8
    assert serial.results[columns].equals(parallel.results[columns])
    records = sorted((tmp_path / "dask" / "records").glob("*.json"))
    assert len(records) == 8 and all("fingerprint" in json.loads(r.read_text())
                                     for r in records)


def test_a_failing_product_is_recorded_not_fatal(scheduler, bright_model, l8_tifs, tmp_path):
    broken = l8_tifs / "scene1.tif"
    broken.write_bytes(b"not a tiff")
    report = run_batch(PredictJob((str(bright_model),), tile=32),
                       expand_inputs([l8_tifs], sensor="L8"), tmp_path / "o",
                       scheduler=scheduler, progress=False)
    assert report.counts() == {"done": 3, "skipped": 0, "failed": 1}
    assert report.failed[0].name == "scene1" and "scene1.tif" in report.failed[0].reason
