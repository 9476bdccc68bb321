"""Batches in this process: outputs, skipping by fingerprint, failures recorded."""

import csv

import pytest

from crossmask.pipelines.batch.inputs import expand_inputs
from crossmask.pipelines.batch.jobs import FINGERPRINT_TAG, HarmonizeJob, PredictJob
from crossmask.pipelines.batch.run import run_batch


def test_predict_batch_writes_skips_and_remakes(bright_model, l8_tifs, tmp_path):
    sources = expand_inputs([l8_tifs], sensor="L8")
    job = PredictJob((str(bright_model),), tile=32)
    out = tmp_path / "masks"
    first = run_batch(job, sources, out, progress=False)
    assert first.counts() == {"done": 4, "skipped": 0, "failed": 0}
    assert sorted(p.name for p in out.glob("*.tif")) == [f"scene{k}_mask.tif" for k in range(4)]
    again = run_batch(job, sources, out, progress=False)
    assert again.counts()["skipped"] == 4
    other = run_batch(PredictJob((str(bright_model),), tile=32, threshold=0.9), sources, out,
                      progress=False)
    assert other.counts()["done"] == 4  # another threshold: every mask is remade
    import rasterio

    with rasterio.open(out / "scene0_mask.tif") as ds:
        assert ds.tags()[FINGERPRINT_TAG]


def test_one_bad_product_does_not_stop_the_batch(bright_model, l8_tifs, tmp_path):
    broken = l8_tifs / "scene2.tif"
    broken.write_bytes(broken.read_bytes()[:500])
    report = run_batch(PredictJob((str(bright_model),), tile=32),
                       expand_inputs([l8_tifs], sensor="L8"), tmp_path / "out", progress=False)
    assert report.counts() == {"done": 3, "skipped": 0, "failed": 1}
    failed = report.failed[0]
    assert failed.name == "scene2" and failed.attempts == 2 and "scene2.tif" in failed.reason
    rows = list(csv.DictReader((tmp_path / "out" / "batch.csv").open()))
    assert [r["status"] for r in rows] == ["done", "done", "failed", "done"]
    assert not (tmp_path / "out" / "scene2_mask.tif").exists()


def test_harmonize_batch_and_the_cli(safes, tmp_path, invoke):
    products, folder = safes
    report = run_batch(HarmonizeJob(method="none"), expand_inputs([folder]), tmp_path / "h",
                       progress=False)
    assert report.counts()["done"] == 4
    assert sorted(p.name for p in (tmp_path / "h").glob("*.tif")) == sorted(
        f"{p.name[:-5]}_L8_none.tif" for p in products)
    result = invoke("harmonize", "apply", folder, "--method", "none", "-o", tmp_path / "h")
    assert result.exit_code == 0 and "skipped 4" in result.output
    products[1].joinpath("MTD_MSIL1C.xml").write_text("<broken")
    result = invoke("harmonize", "apply", str(folder / "*.SAFE"), "--method", "ols",
                    "-o", tmp_path / "h2", "--name", "{name}.tif")
    assert result.exit_code == 1 and "failed 1" in result.output
    assert "MTD_MSIL1C.xml" in result.output and len(list((tmp_path / "h2").glob("*.tif"))) == 3


@pytest.mark.parametrize("pattern", ["{suffix}.tif", "fixed.tif"])
def test_output_pattern_must_name_each_product(bright_model, l8_tifs, tmp_path, pattern):
    from crossmask.errors import InputError

    with pytest.raises(InputError, match="must contain"):
        run_batch(PredictJob((str(bright_model),)), expand_inputs([l8_tifs], sensor="L8"),
                  tmp_path / "o", pattern=pattern, progress=False)
