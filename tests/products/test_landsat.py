"""The Landsat-8/9 Level-1 scene reader (MTL, calibration, bands), on scenes written into
tmp_path."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.products import (
    open_biome_scene,
    open_landsat_scene,
    parse_mtl,
)
from crossmask.products.writers.landsat import write_biome_scene

SCENE = "LC80420082013220LGN00"
C2_SCENE = "LC09_L1TP_042034_20220101_20220113_02_T1"


@pytest.fixture
def scene_dir(tmp_path):
    return write_biome_scene(tmp_path, SCENE, size=64, seed=3, biome="Forest")


def mtl_number(folder, key):
    """An MTL value read with a regular expression, independently of parse_mtl."""
    text = next(folder.glob("*_MTL.txt")).read_text()
    return float(re.search(rf"^\s*{key} = (\S+)\s*$", text, re.M).group(1))


def raw_dn(folder, band):
    with rasterio.open(next(folder.glob(f"*_{band}.TIF"))) as dataset:
        return dataset.read(1).astype(np.float64)


def test_reflectance_matches_mtl_formula(scene_dir):
    scene = open_landsat_scene(scene_dir)
    sin_elev = math.sin(math.radians(mtl_number(scene_dir, "SUN_ELEVATION")))
    for band in ("B1", "B4", "B9"):
        n = band[1:]
        dn = raw_dn(scene_dir, band)
        expected = (mtl_number(scene_dir, f"REFLECTANCE_MULT_BAND_{n}") * dn
                    + mtl_number(scene_dir, f"REFLECTANCE_ADD_BAND_{n}")) / sin_elev
        expected[dn == 0] = np.nan
        got = scene.read(band)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.isnan(got).sum() == (dn == 0).sum() > 0
        window = Window(10, 20, 16, 8)
        np.testing.assert_array_equal(scene.read(band, window), got[20:28, 10:26])


def test_thermal_bands_are_brightness_temperature(scene_dir):
    scene = open_landsat_scene(scene_dir)
    dn = raw_dn(scene_dir, "B10")
    radiance = (mtl_number(scene_dir, "RADIANCE_MULT_BAND_10") * dn
                + mtl_number(scene_dir, "RADIANCE_ADD_BAND_10"))
    kelvin = mtl_number(scene_dir, "K2_CONSTANT_BAND_10") / np.log(
        mtl_number(scene_dir, "K1_CONSTANT_BAND_10") / radiance + 1)
    got = scene.read("B10")
    valid = dn > 0
    np.testing.assert_allclose(got[valid], kelvin[valid], rtol=1e-6)
    assert np.isnan(got[~valid]).all() and 230 < np.nanmin(got) < np.nanmax(got) < 310


def test_collection2_folder(tmp_path):
    folder = write_biome_scene(tmp_path, C2_SCENE, collection=2, mask_format=None, seed=2)
    assert (folder / f"{C2_SCENE}_QA_PIXEL.TIF").is_file()
    tree = parse_mtl(folder / f"{C2_SCENE}_MTL.txt")
    assert "LEVEL1_RADIOMETRIC_RESCALING" in tree["LANDSAT_METADATA_FILE"]
    scene = open_landsat_scene(folder)
    assert (scene.sensor, scene.collection, scene.scene_id) == ("L9", 2, C2_SCENE)
    assert scene.qa_path.name.endswith("_QA_PIXEL.TIF")
    dn = raw_dn(folder, "B6")
    sin_elev = math.sin(math.radians(mtl_number(folder, "SUN_ELEVATION")))
    expected = (mtl_number(folder, "REFLECTANCE_MULT_BAND_6") * dn
                + mtl_number(folder, "REFLECTANCE_ADD_BAND_6")) / sin_elev
    valid = dn > 0
    np.testing.assert_allclose(scene.read("B6")[valid], expected[valid], rtol=1e-5)
    with pytest.raises(ProductFormatError, match="no manual mask"):
        open_biome_scene(folder).read_reference()


def test_parse_mtl_values_and_syntax(tmp_path):
    path = tmp_path / "X_MTL.txt"
    path.write_text('GROUP = L1_METADATA_FILE\n  GROUP = A\n    S = "LANDSAT_8"\n'
                    "    I = 042\n    F = 2.0000E-05\n    D = 2013-08-08\n  END_GROUP = A\n"
                    "END_GROUP = L1_METADATA_FILE\nEND\n")
    assert parse_mtl(path) == {"L1_METADATA_FILE": {"A": {
        "S": "LANDSAT_8", "I": 42, "F": 2.0e-05, "D": "2013-08-08"}}}
    path.write_text("GROUP = L1_METADATA_FILE\n  GROUP = A\n  END_GROUP = B\n")
    with pytest.raises(ProductFormatError, match=r"X_MTL\.txt: line 3 closes group 'B'"):
        parse_mtl(path)
    path.write_text("GROUP = L1_METADATA_FILE\n  garbage line\n")
    with pytest.raises(ProductFormatError, match="line 2 is not KEY = VALUE"):
        parse_mtl(path)


def test_missing_mtl(scene_dir):
    (scene_dir / f"{SCENE}_MTL.txt").unlink()
    with pytest.raises(ProductFormatError, match=rf"{SCENE}: no <ID>_MTL\.txt"):
        open_landsat_scene(scene_dir)


@pytest.mark.parametrize("key, group", [("REFLECTANCE_MULT_BAND_4", "RADIOMETRIC_RESCALING"),
                                        ("K2_CONSTANT_BAND_11", "TIRS_THERMAL_CONSTANTS"),
                                        ("SUN_ELEVATION", "IMAGE_ATTRIBUTES")])
def test_missing_mtl_key(scene_dir, key, group):
    mtl = scene_dir / f"{SCENE}_MTL.txt"
    mtl.write_text(re.sub(rf"^\s*{key} = .*\n", "", mtl.read_text(), flags=re.M))
    with pytest.raises(ProductFormatError) as err:
        open_landsat_scene(scene_dir)
    assert str(err.value) == f"{mtl}: MTL key {key} is missing in group {group}"


def test_missing_band_file(scene_dir):
    (scene_dir / f"{SCENE}_B5.TIF").unlink()
    scene = open_landsat_scene(scene_dir)
    assert "B5" not in scene.band_names and "B4" in scene.band_names
    with pytest.raises(MissingBandError, match=rf"{SCENE}_B5\.TIF: band file for B5 is missing"):
        scene.read("B5")
    with pytest.raises(MissingBandError, match=rf"{SCENE}_B5\.TIF"):
        scene.check_bands(["B2", "nir08"])


def test_all_fill_scene(tmp_path):
    folder = write_biome_scene(tmp_path, SCENE, mask=np.zeros((32, 32), np.uint8))
    with pytest.raises(ProductFormatError, match=rf"{SCENE}_B1\.TIF: every pixel is fill"):
        open_landsat_scene(folder)
    assert open_landsat_scene(folder, check_fill=False).read("B1").shape == (32, 32)


def test_unsupported_spacecraft(scene_dir):
    mtl = scene_dir / f"{SCENE}_MTL.txt"
    mtl.write_text(mtl.read_text().replace('"LANDSAT_8"', '"LANDSAT_1"'))
    with pytest.raises(ProductFormatError, match="'LANDSAT_1' is not supported; valid: "
                                                 "(LANDSAT_4, )?LANDSAT_5, LANDSAT_7, "
                                                 "LANDSAT_8, LANDSAT_9$"):
        open_landsat_scene(scene_dir)


@pytest.mark.parametrize("value, message", [("-4.5", "outside \\(0, 90\\] degrees"),
                                            ("n/a", "SUN_ELEVATION = 'n/a' is not a number")])
def test_bad_sun_elevation(scene_dir, value, message):
    mtl = scene_dir / f"{SCENE}_MTL.txt"
    mtl.write_text(re.sub(r"SUN_ELEVATION = \S+", f"SUN_ELEVATION = {value}", mtl.read_text()))
    with pytest.raises(ProductFormatError, match=rf"{SCENE}_MTL\.txt: .*{message}"):
        open_landsat_scene(scene_dir)
