"""Landsat-4/5 TM and Landsat-7 ETM+ scene folders (Collection 2 and the oldest LMAX/LMIN
MTLs) written into tmp_path and read back: reflectance and brightness temperature against
the published formulas computed here, gains, saturation flags and saturation masks."""

from __future__ import annotations

import datetime
import math
import re

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError
from crossmask.products import open_landsat_scene, open_product
from crossmask.products.landsat_calibration import earth_sun_distance, spacecraft_key
from crossmask.products.writers.landsat_tm import write_tm_scene
from crossmask.srf import SENSOR_SPECS

# Chander et al. (2009) Table 11 ESUN and Table 5 K1/K2, typed here independently.
ESUN = {"L7": {"B1": 1997, "B2": 1812, "B3": 1533, "B4": 1039, "B5": 230.8, "B7": 84.90,
               "B8": 1362},
        "L5": {"B1": 1983, "B2": 1796, "B3": 1536, "B4": 1031, "B5": 220.0, "B7": 83.44}}
K1K2 = {"L7": (666.09, 1282.71), "L5": (607.76, 1260.56)}
C2_FILE = {"B6": "B6_VCID_1"}  # the registry's ETM+ B6 is VCID_1 (low gain)
LEGACY_FILE = {"L7": {"B1": "L71*_B10", "B4": "L71*_B40", "B6": "L71*_B61", "B7": "L72*_B70",
                      "B8": "L72*_B80"},
               "L5": {"B1": "L5*_B10", "B4": "L5*_B40", "B6": "L5*_B60", "B7": "L5*_B70"}}


def mtl_value(folder, key):
    """An MTL value read with a regular expression, independently of parse_mtl."""
    text = next(folder.glob("*_MTL.txt")).read_text()
    value = re.search(rf"^\s*{key} = (\S+)\s*$", text, re.M).group(1).strip('"')
    try:
        return float(value)
    except ValueError:
        return value


def raw_dn(folder, pattern):
    with rasterio.open(next(folder.glob(f"{pattern}.TIF"))) as dataset:
        return dataset.read(1)


@pytest.fixture(scope="module")
def l7_c2(tmp_path_factory):
    return write_tm_scene(tmp_path_factory.mktemp("l7"), "LANDSAT_7", "collection2", seed=4)


def test_collection2_etm_reflectance_and_layout(l7_c2):
    scene = open_landsat_scene(l7_c2)
    assert (scene.sensor, scene.collection, scene.mtl_format) == ("L7", 2, "collection2")
    assert scene.band_names == ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"]
    assert scene.files["B6"].name.endswith("_B6_VCID_1.TIF")
    assert scene.radsat_path.name.endswith("_QA_RADSAT.TIF")
    sin_elev = math.sin(math.radians(mtl_value(l7_c2, "SUN_ELEVATION")))
    distance = mtl_value(l7_c2, "EARTH_SUN_DISTANCE")
    for band in ("B1", "B4", "B8"):
        n = band[1:]
        dn = raw_dn(l7_c2, f"*_{band}")
        assert dn.dtype == np.uint8
        mult, add = (mtl_value(l7_c2, f"REFLECTANCE_{k}_BAND_{n}") for k in ("MULT", "ADD"))
        expected = (mult * dn + add) / sin_elev
        expected[dn == 0] = np.nan
        got = scene.read(band)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.isnan(got).sum() == (dn == 0).sum() > 0
        # REFLECTANCE_MULT = π d² G / ESUN with G the radiance gain of the MTL
        gain = mtl_value(l7_c2, f"RADIANCE_MULT_BAND_{n}")
        assert mult == pytest.approx(math.pi * distance ** 2 * gain / ESUN["L7"][band],
                                     rel=1e-3)
    window = Window(5, 9, 20, 11)
    np.testing.assert_array_equal(scene.read("B3", window), scene.read("B3")[9:20, 5:25])


def test_collection2_etm_thermal_is_vcid_1(l7_c2):
    scene = open_landsat_scene(l7_c2)
    dn = raw_dn(l7_c2, "*_B6_VCID_1").astype(np.float64)
    radiance = (mtl_value(l7_c2, "RADIANCE_MULT_BAND_6_VCID_1") * dn
                + mtl_value(l7_c2, "RADIANCE_ADD_BAND_6_VCID_1"))
    got, valid = scene.read("lwir"), dn > 0
    kelvin = mtl_value(l7_c2, "K2_CONSTANT_BAND_6_VCID_1") / np.log(
        mtl_value(l7_c2, "K1_CONSTANT_BAND_6_VCID_1") / radiance[valid] + 1)
    np.testing.assert_allclose(got[valid], kelvin, rtol=1e-6)
    assert 240 < np.nanmin(got) < np.nanmax(got) < 310
    assert "MTL K1/K2" in scene.calibration["B6"]


def test_collection2_gains_and_saturation_flags(l7_c2):
    scene = open_landsat_scene(l7_c2)
    for band, n in (("B1", "1"), ("B4", "4"), ("B6", "6_VCID_1"), ("B8", "8")):
        assert scene.gains[band] == mtl_value(l7_c2, f"GAIN_BAND_{n}")
        flag = mtl_value(l7_c2, f"SATURATION_BAND_{n}")
        assert scene.saturation_flags[band] is (flag == "Y")
    assert scene.gains["B1"] == "H" and scene.gains["B4"] == "L"
    # thick clouds saturate the high-gain visible bands, not low-gain B4
    assert scene.saturation_flags["B1"] and not scene.saturation_flags["B4"]
    assert scene.qcal_max == dict.fromkeys(scene.band_names, 255)


def test_saturation_follows_qa_radsat(tmp_path):
    folder = write_tm_scene(tmp_path, "LANDSAT_7", "collection2", seed=4)
    scene = open_landsat_scene(folder)
    qa = raw_dn(folder, "*_QA_RADSAT")
    dn1 = raw_dn(folder, "*_B1")
    expected = (qa & 1) == 1  # bit 0: band 1
    np.testing.assert_array_equal(scene.saturation("B1"), expected)
    np.testing.assert_array_equal(expected, dn1 == 255)
    assert expected.sum() > 0 and not scene.saturation("B4").any()
    assert scene.saturation("B1", Window(3, 4, 10, 7)).shape == (7, 10)
    # the mask comes from the QA band, not from the DN, when the QA band is there
    pattern = np.zeros_like(qa)
    pattern[::3, ::2] = 1 << 2  # band 3
    with rasterio.open(scene.radsat_path, "r+") as dataset:
        dataset.write(pattern, 1)
    np.testing.assert_array_equal(scene.saturation("B3"), pattern == 4)
    assert not scene.saturation("B1").any()


def test_saturation_from_dn_without_qa(tmp_path):
    pan = np.full((128, 128), 90, np.uint8)
    pan[10:20, 30:45] = 255
    folder = write_tm_scene(tmp_path, "LANDSAT_7", "collection2", seed=2, bands={"B8": pan})
    scene = open_landsat_scene(folder)
    np.testing.assert_array_equal(scene.saturation("B8"), pan == 255)  # pan: no QA bit
    dn1 = raw_dn(folder, "*_B1")
    scene.radsat_path.unlink()
    np.testing.assert_array_equal(scene.saturation("B1"), dn1 == 255)
    mtl = next(folder.glob("*_MTL.txt"))
    mtl.write_text(mtl.read_text().replace("QUANTIZE_CAL_MAX_BAND_1 = 255",
                                           "QUANTIZE_CAL_MAX_BAND_1 = 200"))
    scene = open_landsat_scene(folder)
    assert scene.qcal_max["B1"] == 200
    np.testing.assert_array_equal(scene.saturation("B1"), dn1 == 200)


@pytest.mark.parametrize("spacecraft, sensor", [("LANDSAT_7", "L7"), ("LANDSAT_5", "L5")])
def test_legacy_lmax_lmin_reflectance(tmp_path, spacecraft, sensor):
    folder = write_tm_scene(tmp_path, spacecraft, "legacy", seed=5, date="2009-04-07")
    assert not list(folder.glob("*QA*")) and "EARTH_SUN_DISTANCE" not in next(
        folder.glob("*_MTL.txt")).read_text()
    scene = open_product(folder)
    assert (scene.sensor, scene.mtl_format, scene.acquired) == (sensor, "legacy", "2009-04-07")
    doy = datetime.date(2009, 4, 7).timetuple().tm_yday
    distance = 1 - 0.01673 * math.cos(math.radians(0.9856 * (doy - 4)))
    cos_sz = math.cos(math.radians(90 - mtl_value(folder, "SUN_ELEVATION")))
    for band in ("B1", "B4", "B7") + (("B8",) if sensor == "L7" else ()):
        n = band[1:]
        lmax, lmin, qmax, qmin = (mtl_value(folder, f"{k}_BAND{n}")
                                  for k in ("LMAX", "LMIN", "QCALMAX", "QCALMIN"))
        dn = raw_dn(folder, LEGACY_FILE[sensor][band]).astype(np.float64)
        radiance = (lmax - lmin) / (qmax - qmin) * (dn - qmin) + lmin
        expected = math.pi * radiance * distance ** 2 / (ESUN[sensor][band] * cos_sz)
        expected[dn == 0] = np.nan
        np.testing.assert_allclose(scene.read(band), expected, rtol=1e-5, atol=1e-6)
        assert "Chander" in scene.calibration[band]
    np.testing.assert_array_equal(scene.saturation("B1"), raw_dn(
        folder, LEGACY_FILE[sensor]["B1"]) == 255)
    assert scene.saturation("B1").any()


@pytest.mark.parametrize("spacecraft, sensor", [("LANDSAT_7", "L7"), ("LANDSAT_5", "L5")])
def test_legacy_thermal_uses_published_constants(tmp_path, spacecraft, sensor):
    folder = write_tm_scene(tmp_path, spacecraft, "legacy", seed=6)
    scene = open_landsat_scene(folder)
    n = "61" if sensor == "L7" else "6"
    lmax, lmin, qmax, qmin = (mtl_value(folder, f"{k}_BAND{n}")
                              for k in ("LMAX", "LMIN", "QCALMAX", "QCALMIN"))
    dn = raw_dn(folder, LEGACY_FILE[sensor]["B6"]).astype(np.float64)
    radiance = (lmax - lmin) / (qmax - qmin) * (dn - qmin) + lmin
    k1, k2 = K1K2[sensor]
    valid = dn > 0
    np.testing.assert_allclose(scene.read("B6")[valid],
                               k2 / np.log(k1 / radiance[valid] + 1), rtol=1e-6)
    if sensor == "L7":
        assert scene.gains == {"B1": "H", "B2": "H", "B3": "H", "B4": "L", "B5": "H",
                               "B6": "L", "B7": "H", "B8": "L"}
        assert mtl_value(folder, "BAND6_GAIN1") == "L"
    assert scene.saturation_flags == {}


def test_landsat5_collection2_with_dn_bands(tmp_path):
    dn = np.random.default_rng(0).integers(1, 256, (32, 32)).astype(np.uint8)
    dn[:2, :2] = 0
    folder = write_tm_scene(tmp_path, "LANDSAT_5", "collection2", size=32, bands={"B3": dn})
    scene = open_landsat_scene(folder)
    assert scene.sensor == "L5" and "B8" not in scene.band_names and scene.gains == {}
    assert scene.files["B6"].name.endswith("_B6.TIF")
    np.testing.assert_array_equal(raw_dn(folder, "*_B3"), dn)
    np.testing.assert_array_equal(scene.saturation("B3"), dn == 255)
    assert scene.saturation_flags["B3"] is bool((dn == 255).any())
    qa = raw_dn(folder, "*_QA_RADSAT")
    np.testing.assert_array_equal((qa >> 2) & 1 == 1, dn == 255)


def test_landsat4_is_read_once_registered(tmp_path):
    folder = write_tm_scene(tmp_path, "LANDSAT_4", "collection2", size=32)
    assert spacecraft_key("LANDSAT_4") == "L4"
    if "L4" in SENSOR_SPECS:
        assert open_landsat_scene(folder).sensor == "L4"
    else:
        with pytest.raises(ProductFormatError, match="'LANDSAT_4' is not supported"):
            open_landsat_scene(folder)


def test_spacecraft_spellings_and_earth_sun_distance():
    assert [spacecraft_key(s) for s in ("Landsat7", "LANDSAT_7", "landsat-5", "LANDSAT_1")] \
        == ["L7", "L7", "L5", None]
    assert earth_sun_distance("2009-01-04") == pytest.approx(0.98327, abs=1e-5)
    assert earth_sun_distance(datetime.date(2009, 7, 5)) == pytest.approx(1.01673, abs=1e-4)


def test_writer_refuses_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="LANDSAT_9"):
        write_tm_scene(tmp_path, "LANDSAT_9")
    with pytest.raises(InputError, match="B8"):
        write_tm_scene(tmp_path, "LANDSAT_5", bands={"B8": np.zeros((128, 128))})
    with pytest.raises(InputError, match="gain B6"):
        write_tm_scene(tmp_path, gains={"B6": "H"})


def test_missing_radiance_calibration_is_named(tmp_path):
    folder = write_tm_scene(tmp_path, "LANDSAT_5", "legacy", size=16)
    mtl = next(folder.glob("*_MTL.txt"))
    mtl.write_text(re.sub(r"^\s*L(MAX|MIN)_BAND3 = .*\n", "", mtl.read_text(), flags=re.M))
    with pytest.raises(ProductFormatError, match=r"MTL key REFLECTANCE_MULT_BAND_3 is missing"
                                                 r".*no radiance rescaling"):
        open_landsat_scene(folder)
