"""`crossmask harmonize apply`: SAFE / GeoTIFF → Landsat-8-equivalent 30 m GeoTIFF."""

import numpy as np
import pytest
import rasterio
from affine import Affine

from crossmask.harmonize import BandAdjustment, build_adjustment
from crossmask.products.writers.safe import MSI_BANDS

L8_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B9")


@pytest.fixture(scope="module")
def coeffs(tmp_path_factory):
    path = tmp_path_factory.mktemp("coeffs") / "s2a_ols.json"
    return build_adjustment("S2A", "L8", "ols").save(path)


def expected_30m(dn: dict, adjustment: BandAdjustment, block_mean) -> np.ndarray:
    """Independent computation: DN → reflectance, replicate to 10 m, 3 × 3 mean, adjust."""
    at_30m = {}
    for band, array in dn.items():
        refl = np.where(array == 0, np.nan, (array.astype(float) - 1000) / 1e4)
        factor = MSI_BANDS[band] // 10
        at_30m[band] = block_mean(np.kron(refl, np.ones((factor, factor))), 3)
    out = []
    for model in adjustment.bands:
        value = sum(c * at_30m[s] for s, c in zip(model.sources, model.coefficients))
        out.append(value + model.intercept)
    return np.stack(out)


def test_apply_matches_an_independent_computation(invoke, safe_factory, s2_dn, coeffs,
                                                  tmp_path, block_mean):
    safe = safe_factory()
    out = tmp_path / "l8like.tif"
    result = invoke("harmonize", "apply", safe, "-o", out, "--coeffs", coeffs)
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32632
        assert ds.transform == Affine(30, 0, 600000, 0, -30, 5100000)
        assert (ds.width, ds.height, ds.dtypes[0]) == (24, 24, "float32")
        assert ds.descriptions == L8_BANDS
        assert ds.tags()["HARMONIZATION_METHOD"] == "ols"
        assert ds.tags(5)["common_name"] == "nir08"
        got = ds.read()
    expect = expected_30m(s2_dn, BandAdjustment.load(coeffs), block_mean)
    np.testing.assert_allclose(got, expect, atol=2e-6)
    assert np.isnan(got[:, :2, :2]).all() and not np.isnan(got[:, 2:, 2:]).any()


def test_output_can_follow_a_landsat_grid(invoke, safe_factory, tmp_path):
    like = tmp_path / "LC08_B4.TIF"
    with rasterio.open(like, "w", driver="GTiff", width=10, height=8, count=1, dtype="uint16",
                       crs="EPSG:32632", transform=Affine(30, 0, 600090, 0, -30, 5099910)) as d:
        d.write(np.ones((1, 8, 10), dtype="uint16"))
    out = tmp_path / "on_grid.tif"
    result = invoke("harmonize", "apply", safe_factory(), "-o", out, "--like", like,
                    "--method", "none")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds, rasterio.open(like) as ref:
        assert (ds.crs, ds.transform, ds.shape) == (ref.crs, ref.transform, ref.shape)


def test_geotiff_input_with_band_descriptions(invoke, tmp_path, safe_factory):
    # A Sentinel-2 stack at 30 m as users export it: float reflectance, named bands.
    names = ["B1", "B2", "B3", "B4", "B8A", "B10", "B11", "B12"]
    rng = np.random.default_rng(0)
    data = rng.uniform(0.05, 0.6, (8, 20, 20)).astype("float32")
    src = tmp_path / "s2_stack.tif"
    with rasterio.open(src, "w", driver="GTiff", width=20, height=20, count=8,
                       dtype="float32", crs="EPSG:32633",
                       transform=Affine(30, 0, 400000, 0, -30, 6000000)) as dst:
        dst.write(data)
        dst.descriptions = tuple(names)
    out = tmp_path / "out.tif"
    result = invoke("harmonize", "apply", src, "--sensor", "S2B", "-o", out, "--method", "hls")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        got = ds.read(3)  # L8 B3 <- S2B B3, slope 1.0075, offset -0.0008
    np.testing.assert_allclose(got, data[2] * 1.0075 - 0.0008, rtol=1e-5)


def test_refuses_existing_output_and_leaves_nothing_behind(invoke, safe_factory, tmp_path,
                                                          s2_dn):
    safe = safe_factory(dn={b: a for b, a in s2_dn.items() if b != "B11"})
    out = tmp_path / "out.tif"
    result = invoke("harmonize", "apply", safe, "-o", out)
    assert result.exit_code == 1
    assert "band 'B11' is missing" in result.output and str(safe) in result.output
    assert list(tmp_path.glob("out.tif*")) == [] and list(tmp_path.glob(".out.tif*")) == []
    out.write_text("precious")
    result = invoke("harmonize", "apply", safe_factory(), "-o", out)
    assert result.exit_code == 1 and "pass --overwrite" in result.output
    assert out.read_text() == "precious"


def test_truncated_band_fails_without_partial_output(invoke, safe_factory, tmp_path):
    safe = safe_factory()
    victim = next(safe.glob("GRANULE/*/IMG_DATA/*_B04.jp2"))
    victim.write_bytes(victim.read_bytes()[:300])
    out = tmp_path / "out.tif"
    result = invoke("harmonize", "apply", safe, "-o", out, "--method", "none")
    assert result.exit_code == 1 and "_B04.jp2" in result.output
    assert not any(p.name.startswith((".out.tif", "out.tif")) for p in tmp_path.iterdir())


def test_geotiff_errors_are_one_line(invoke, tmp_path):
    src = tmp_path / "ints.tif"
    with rasterio.open(src, "w", driver="GTiff", width=4, height=4, count=2, dtype="uint16",
                       crs="EPSG:32633", transform=Affine(30, 0, 0, 0, -30, 0)) as dst:
        dst.write(np.ones((2, 4, 4), dtype="uint16"))
    result = invoke("harmonize", "apply", src, "-o", tmp_path / "o.tif")
    assert result.exit_code == 1 and "needs the sensor" in result.output
    result = invoke("harmonize", "apply", src, "--sensor", "S2A", "-o", tmp_path / "o.tif")
    assert result.exit_code == 1 and "band names" in result.output
    result = invoke("harmonize", "apply", src, "--sensor", "S2A", "--bands", "B2,B4",
                    "-o", tmp_path / "o.tif")
    assert result.exit_code == 1 and "without a scale factor" in result.output
    result = invoke("harmonize", "apply", tmp_path / "nope.SAFE", "-o", tmp_path / "o.tif")
    assert result.exit_code == 1 and "no such file" in result.output


def test_fit_cli_prints_coefficients_beside_hls(invoke, tmp_path):
    out = tmp_path / "s2b.json"
    result = invoke("harmonize", "fit", "--source", "S2B", "--target", "L8", "-o", out)
    assert result.exit_code == 0, result.output
    assert "hls_slope" in result.output and "B5<-B8A" in result.output
    assert "1.0075" in result.output  # the published S2B green slope
    assert BandAdjustment.load(out).method == "ols"
    again = invoke("harmonize", "fit", "--source", "S2B", "-o", out)
    assert again.exit_code == 1 and "output exists" in again.output
    bad = invoke("harmonize", "fit", "--source", "S3A", "-o", tmp_path / "x.json")
    assert bad.exit_code == 1 and "unknown sensor 'S3A'" in bad.output
    assert not (tmp_path / "x.json").exists()


def test_six_band_sentinel2_stack_goes_through_apply_and_predict(bright_model, tmp_path,
                                                                 invoke):
    """B2, B3, B4, B8, B11, B12 as labelled S2 sets ship them: apply makes the model's bands."""
    from crossmask.products.writers.geotiff import write_named_geotiff

    rng = np.random.default_rng(1)
    names = ["B2", "B3", "B4", "B8", "B11", "B12"]
    stack = write_named_geotiff(tmp_path / "s2_six.tif", {
        b: rng.uniform(0.05, 0.6, (24, 24)).astype("float32") for b in names})
    plain = invoke("harmonize", "apply", stack, "--sensor", "S2A", "-o", tmp_path / "all.tif")
    assert plain.exit_code == 1 and "band 'B1' is missing" in plain.output
    assert "--model" in plain.output and "makes B2, B3, B4, B5, B6, B7" in plain.output
    out = tmp_path / "l8.tif"
    result = invoke("harmonize", "apply", stack, "--sensor", "S2A", "--model", bright_model,
                    "-o", out)
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert ds.descriptions == ("B2", "B3", "B4", "B5", "B6", "B7")
        assert ds.profile["tiled"]  # even a 24 px output is tiled
    mask = invoke("predict", bright_model, out, "-o", tmp_path / "mask.tif")
    assert mask.exit_code == 0, mask.output
    bands = invoke("harmonize", "apply", stack, "--sensor", "S2A", "--target-bands", "B2,B7",
                   "-o", tmp_path / "two.tif")
    assert bands.exit_code == 0 and "bands B2, B7" in bands.output


def test_fit_prints_pass_through_not_nan(invoke, tmp_path):
    result = invoke("harmonize", "fit", "--source", "S2B", "-o", tmp_path / "c.json")
    assert result.exit_code == 0, result.output
    cirrus = next(line for line in result.output.splitlines() if line.startswith("B9<-B10"))
    assert "pass-through" in cirrus
    assert "NaN" not in result.output and "-0.0000 " not in result.output


def test_unwritable_output_is_one_line(safe_factory, tmp_path, invoke, monkeypatch):
    import errno
    import os

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "o.tif"))

    monkeypatch.setattr(os, "replace", full)
    result = invoke("harmonize", "apply", safe_factory(), "-o", tmp_path / "o.tif",
                    "--method", "none")
    assert result.exit_code == 1 and "o.tif: No space left on device" in result.output
    result = invoke("srf", "plot", "S2A", "L8", "-o", tmp_path / "srf.png")
    assert result.exit_code == 1 and "No space left on device" in result.output


def test_fit_learned_writes_weights_and_apply_uses_them(invoke, bright_model, tmp_path,
                                                       labelled_npz_folder, l8_geotiff,
                                                       safe_factory):
    import json

    out = tmp_path / "fits" / "learned.json"
    images = ["--source-images", labelled_npz_folder / "scene0.npz", "--source-images",
              labelled_npz_folder / "scene1.npz", "--source-image-bands",
              "B2,B3,B4,B8,B11,B12", "--target-images", l8_geotiff]
    result = invoke("harmonize", "fit", "--method", "learned", "--source", "S2A", *images,
                    "--model", bright_model, "--epochs", "1", "--patch", "16",
                    "--patches-per-image", "2", "--synthetic-per-class", "20", "-o", out)
    assert result.exit_code == 0, result.output
    assert "mean losses per epoch" in result.output and "learned.generator.npz" in result.output
    doc = json.loads(out.read_text())
    training = doc["info"]["training"]
    assert doc["method"] == "learned" and (out.parent / doc["generator"]["file"]).is_file()
    assert [i["path"] for i in training["source_images"]][1].endswith("scene1.npz")
    assert training["target_images"][0]["path"] == str(l8_geotiff)
    assert len(training["losses"]) == 1 and training["cloud_model"]["digest"]
    harmonized = tmp_path / "learned.tif"
    result = invoke("harmonize", "apply", safe_factory(), "-o", harmonized, "--coeffs", out)
    assert result.exit_code == 0, result.output
    with rasterio.open(harmonized) as ds:
        assert ds.tags()["HARMONIZATION_METHOD"] == "learned" and ds.count == 6
    missing = invoke("harmonize", "fit", "--method", "learned", "--source", "S2A",
                     "-o", tmp_path / "x.json")
    assert missing.exit_code == 2 and "--source-images" in missing.output
    plain = invoke("harmonize", "apply", safe_factory(), "-o", tmp_path / "y.tif",
                   "--method", "learned")
    assert plain.exit_code == 1 and "trained on images" in plain.output
    no_gpu = invoke("harmonize", "fit", "--method", "learned", "--source", "S2A", *images,
                    "--model", bright_model, "--synthetic-per-class", "20", "--gpu",
                    "-o", tmp_path / "gpu.json")
    assert no_gpu.exit_code == 1 and "sees no GPU" in no_gpu.output
    assert not (tmp_path / "gpu.json").exists()


def test_probav_product_is_harmonised_on_its_own_lat_lon_grid(tmp_path, invoke):
    from rasterio.crs import CRS

    from crossmask.products.grid import Grid
    from crossmask.products.writers.probav import write_probav_l2a

    grid = Grid(CRS.from_epsg(4326), Affine(1 / 336, 0.0, 10.0, 0.0, -1 / 336, 45.0), 12, 8)
    rng = np.random.default_rng(3)
    bands = {b: rng.uniform(0.02, 0.6, grid.shape) for b in ("BLUE", "RED", "NIR", "SWIR")}
    product = write_probav_l2a(tmp_path, bands, grid, camera=2, date="20160101")
    out = tmp_path / "pv_l8.tif"
    result = invoke("harmonize", "apply", product, "-o", out, "--method", "none")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4326 and ds.transform == grid.transform
        assert ds.descriptions == ("B2", "B4", "B5", "B6") and ds.shape == (8, 12)
        np.testing.assert_allclose(ds.read(3), bands["NIR"], atol=1e-3)


@pytest.mark.parametrize("flag, expected", [([], True), (["--no-saturation-fix"], False)])
def test_fit_records_the_saturation_setting(tmp_path, invoke, flag, expected):
    import json

    out = tmp_path / "l7.json"
    result = invoke("harmonize", "fit", "--source", "L7", "--method", "none", *flag, "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["restore_saturation"] is expected


def test_apply_job_takes_the_saturation_setting():
    from rasterio.crs import CRS

    from crossmask.pipelines.batch.jobs import HarmonizeJob
    from crossmask.products.arrays import ArrayProduct
    from crossmask.products.grid import Grid

    grid = Grid(CRS.from_epsg(32633), Affine(30.0, 0, 0, 0, -30.0, 0), 4, 4)
    product = ArrayProduct(np.full((4, 4, 3), 0.2, "f4"), ["B1", "B2", "B3"], "L7", grid)
    assert HarmonizeJob(method="none").adjustment(product).restore_saturation
    off = HarmonizeJob(method="none", restore_saturation=False)
    assert not off.adjustment(product).restore_saturation
    assert off.fingerprint(product) != HarmonizeJob(method="none").fingerprint(product)
