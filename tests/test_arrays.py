"""The array API: ``crossmask.harmonize_array`` and ``crossmask.predict_array`` give what the
file-based commands give, without writing files."""

import subprocess
import sys

import numpy as np
import pytest
import rasterio

import crossmask
from crossmask.errors import InputError
from crossmask.harmonize import HarmonizedProduct, build_adjustment
from crossmask.models.card import load_model
from crossmask.pipelines.inference.predict import predict_product
from crossmask.products import open_geotiff, open_labelled
from crossmask.products.writers.labelled import UKIS_CSMASK_S2, write_npz_scene

L8_SIX = ["B2", "B3", "B4", "B5", "B6", "B7"]


def test_importing_crossmask_does_not_import_tensorflow():
    code = "import sys, crossmask; crossmask.harmonize_array; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


@pytest.mark.parametrize("method", ["none", "ols"])
def test_harmonize_array_matches_the_product_view(tmp_path, method):
    toml = write_npz_scene(tmp_path, "s", size=40, seed=2)
    scene = open_labelled(toml)
    cube = np.stack([scene.read(b) for b in scene.band_names], -1)
    out, names = crossmask.harmonize_array(cube, UKIS_CSMASK_S2["bands"], "S2A", method=method,
                                           target_bands=L8_SIX)
    assert names == L8_SIX and out.shape == (40, 40, 6) and out.dtype == np.float32
    adjustment = build_adjustment("S2A", "L8", method, target_bands=L8_SIX,
                                  available=scene.band_names)
    view = HarmonizedProduct(scene, adjustment, scene.grid)
    expected = np.stack([view.read(b) for b in L8_SIX], -1)
    np.testing.assert_array_equal(out, expected)
    assert np.isnan(out[0, 0]).all()  # the fill corner stays fill


def test_harmonize_array_makes_what_the_bands_allow_and_checks_its_input():
    cube = np.full((8, 8, 3), 0.2, np.float32)
    out, names = crossmask.harmonize_array(cube, ["blue", "green", "red"], "S2B")
    assert names == ["B2", "B3", "B4"] and out.shape == (8, 8, 3)
    with pytest.raises(InputError, match="one layer per band name"):
        crossmask.harmonize_array(cube, ["B2", "B3"], "S2B")


def test_predict_array_matches_predict_product(bright_model, l8_geotiff, tmp_path):
    product = open_geotiff(l8_geotiff, "L8")
    cube = np.stack([product.read(b) for b in L8_SIX], -1)
    cube[3, 40] = np.inf  # a non-finite value is fill, like NaN
    got = crossmask.predict_array(bright_model, cube, L8_SIX, tile=32, overlap=8)
    result = predict_product([load_model(bright_model)], product, tmp_path / "m.tif",
                             tmp_path / "p.tif", tile=32, overlap=8, progress=False)
    with rasterio.open(result.mask) as mask, rasterio.open(result.probability) as prob:
        classes, probs = mask.read(1), prob.read(1)
    assert got.classes[3, 40] == 255 != classes[3, 40]  # the file has a value there
    classes[3, 40], probs[3, 40] = 255, np.nan
    np.testing.assert_array_equal(got.classes, classes)
    np.testing.assert_allclose(got.probabilities[..., 0], probs, equal_nan=True)
    assert got.classes[0, 0] == 255
    assert got.class_names == ["clear", "cloud"]


@pytest.mark.shared
@pytest.mark.slow
def test_readme_example_reproduces_evaluate_on_the_real_patch(shared_file, tmp_path):
    """The README's array example: OA 96.44 % with the IPL-UV model and no adjustment."""
    from crossmask.models.ipluv import import_ipluv

    model = import_ipluv(shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5"), tmp_path / "m")
    with np.load(shared_file("ukis-csmask", "sentinel2.npz")) as data:
        img, msk = data["img"], data["msk"][..., 0]
    l8, names = crossmask.harmonize_array(img, ["B2", "B3", "B4", "B8", "B11", "B12"], "S2A",
                                          method="none", target_bands=L8_SIX)
    mask = crossmask.predict_array(model, l8, names).classes
    cloud, valid = msk == 4, mask != 255
    oa = np.mean((mask[valid] == 1) == cloud[valid])
    assert round(100 * oa, 2) == 96.44
