"""The readers on real metadata documents of every generation (../shared/data/metadata;
skipped when absent): Landsat-5/7/8/9 MTLs from the oldest LPGS 11 format to Collection 2,
and Sentinel-2 L1C / L2A product metadata of baselines 02.09–05.10.  Expected values were
read from the files by eye."""

from __future__ import annotations

import datetime
import math
import re
import shutil

import numpy as np
import pytest
import rasterio
from affine import Affine

from crossmask.errors import ProductFormatError
from crossmask.products import open_landsat_scene, open_safe, parse_mtl

L7L5, L8C2, L8PRE = "l7_l5_mtl", "l8_l9_mtl_collection2", "l8_mtl_precollection"
# file: (folder, sensor, mtl_format, sun elevation, Earth–Sun distance or None, gains,
#        saturation flags "Y"/"N" per band, (band, key, value) of one rescaling value)
MTLS = {
    "L5090081_08120090407_MTL.txt": (
        L7L5, "L5", "legacy", 39.4014194, None, {}, "", ("B1", "LMAX_BAND1", 193.0)),
    "L71090081_08120090415_MTL.txt": (
        L7L5, "L7", "legacy", 37.9491813, None, {"B1": "H", "B4": "L", "B6": "L", "B8": "L"},
        "", ("B6", "LMAX_BAND61", 17.04)),
    "LE70900812009105ASA00_MTL.txt": (
        L7L5, "L7", "pre-collection", 37.94917208, 1.0034929, {"B4": "L", "B5": "H"}, "",
        ("B1", "REFLECTANCE_MULT_BAND_1", 1.2506e-03)),
    "LE07_L1TP_112066_20020218_20170221_01_T1_MTL.txt": (
        L7L5, "L7", "collection1", 55.95447861, 0.9882974, {"B7": "H", "B8": "L"},
        "YYYYYNYN", ("B1", "REFLECTANCE_MULT_BAND_1", 1.1737e-03)),
    "LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt": (
        L7L5, "L7", "collection2", 39.03303120, 0.9929968, {"B3": "H", "B4": "L", "B6": "L"},
        "YYYNYNNN", ("B6", "RADIANCE_MULT_BAND_6_VCID_1", 6.7087e-02)),
    "LT05_L1GS_092091_19910506_20170126_01_T2_MTL.txt": (
        L7L5, "L5", "collection1", 17.01483448, 1.0089350, {}, "NYYYYNY",
        ("B1", "REFLECTANCE_MULT_BAND_1", 1.1044e-03)),
    "LT05_L1TP_095066_20100601_20170222_01_T1_MTL.txt": (
        L7L5, "L5", "collection1", 47.53234255, 1.0139747, {}, "YYYYYYY",
        ("B6", "RADIANCE_MULT_BAND_6", 5.5375e-02)),
    "LC08_L1GT_089074_20220506_20220512_02_T2_MTL.txt": (
        L8C2, "L8", "collection2", 43.24426868, 1.0089022, {}, "NNNNNNNNN",
        ("B10", "RADIANCE_MULT_BAND_10", 3.3420e-04)),
    "LC08_L1TP_092084_20201029_20201106_02_T1_MTL.txt": (
        L8C2, "L8", "collection2", 56.77807119, 0.9932781, {}, "NNNNNNNNN",
        ("B1", "REFLECTANCE_MULT_BAND_1", 2.0e-05)),
    "LC09_L1TP_112081_20220209_20220209_02_T1_MTL.txt": (
        L8C2, "L9", "collection2", 54.14346217, 0.9865362, {}, "NNNNNNNNN",
        ("B10", "K1_CONSTANT_BAND_10", 799.0284)),
    "LC80990842016277LGN00_MTL.txt": (
        L8PRE, "L8", "pre-collection", 48.83189159, 1.0005885, {}, "",
        ("B11", "K2_CONSTANT_BAND_11", 1201.1442)),
    "LO80900842013284ASA00_MTL.txt": (
        L8PRE, "L8", "pre-collection", 52.25003864, 0.9980728, {}, "",
        ("B9", "REFLECTANCE_ADD_BAND_9", -0.1)),
}
# Chander et al. (2009) Table 11 ESUN of the bands checked below.
ESUN = {"L5": {"B1": 1983.0, "B4": 1031.0}, "L7": {"B1": 1997.0, "B4": 1039.0}}


@pytest.fixture
def mtl_file(shared_file):
    def find(name: str):
        return shared_file("metadata", MTLS[name][0], name)

    return find


def _mtl_date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(
        re.search(r"(?:DATE_ACQUIRED|ACQUISITION_DATE) = (\S+)", text).group(1))


@pytest.mark.parametrize("name", sorted(MTLS))
def test_real_mtl_values(mtl_file, name):
    path = mtl_file(name)
    _, sensor, fmt, elevation, distance, gains, flags, (band, key, value) = MTLS[name]
    assert parse_mtl(path)  # the ODL parses
    scene = open_landsat_scene(path, check_fill=False)  # metadata only: no band files
    assert (scene.sensor, scene.mtl_format, scene.scene_id) == (sensor, fmt, name[:-8])
    assert scene.collection == (2 if fmt == "collection2" else 1)
    assert scene.sun_elevation == pytest.approx(elevation, abs=1e-8)
    if distance is None:  # oldest MTLs: from the acquisition date
        date = _mtl_date(path.read_text())
        doy = date.timetuple().tm_yday
        distance = 1 - 0.01673 * math.cos(math.radians(0.9856 * (doy - 4)))
        assert "EARTH_SUN_DISTANCE" not in scene.metadata
    assert scene.earth_sun_distance == pytest.approx(distance, abs=1e-7)
    assert scene.metadata[key] == pytest.approx(value)
    assert {b: scene.gains[b] for b in gains} == gains
    expected_flags = dict(zip(scene.band_names or list(scene.files), (f == "Y" for f in flags)))
    assert scene.saturation_flags == expected_flags
    assert band in scene.files and band in scene.coefficients
    assert scene.qcal_max[band] == (65535 if sensor in ("L8", "L9") else 255)


@pytest.mark.parametrize("name", sorted(MTLS))
def test_real_mtl_calibration(mtl_file, name):
    path = mtl_file(name)
    scene = open_landsat_scene(path, check_fill=False)
    text = path.read_text()

    def number(key):
        return float(re.search(rf"^\s*{key} = (\S+)\s*$", text, re.M).group(1))

    sensor = MTLS[name][1]
    if "REFLECTANCE_MULT_BAND_1" in text:
        assert scene.coefficients["B1"] == (number("REFLECTANCE_MULT_BAND_1"),
                                            number("REFLECTANCE_ADD_BAND_1"))
    else:  # LMAX/LMIN + published ESUN + Earth–Sun distance of the date
        d = scene.earth_sun_distance
        for band in ("B1", "B4"):
            n = band[1:]
            gain = (number(f"LMAX_BAND{n}") - number(f"LMIN_BAND{n}")) / (
                number(f"QCALMAX_BAND{n}") - number(f"QCALMIN_BAND{n}"))
            bias = number(f"LMIN_BAND{n}") - gain * number(f"QCALMIN_BAND{n}")
            scale = math.pi * d * d / ESUN[sensor][band]
            assert scene.coefficients[band] == pytest.approx((gain * scale, bias * scale))
    thermal = {"L5": "6", "L7": "6_VCID_1"}.get(sensor, "10")
    band = "B6" if sensor in ("L5", "L7") else "B10"
    if band in scene.coefficients and f"RADIANCE_MULT_BAND_{thermal}" in text:
        assert scene.coefficients[band] == (
            number(f"RADIANCE_MULT_BAND_{thermal}"), number(f"RADIANCE_ADD_BAND_{thermal}"),
            number(f"K1_CONSTANT_BAND_{thermal}"), number(f"K2_CONSTANT_BAND_{thermal}"))


def test_real_2009_etm_pair_agrees_in_radiance(mtl_file):
    """One acquisition processed twice (EDC 2012, oldest format; GA 2016, pre-collection):
    the same radiance calibration; reflectance differs by the ESUN each uses."""
    old = open_landsat_scene(mtl_file("L71090081_08120090415_MTL.txt"), check_fill=False)
    new = open_landsat_scene(mtl_file("LE70900812009105ASA00_MTL.txt"), check_fill=False)
    for band in ("B1", "B2", "B3", "B4", "B5", "B7", "B8"):
        n = band[1:]
        gain = new.metadata[f"RADIANCE_MULT_BAND_{n}"]
        assert old.metadata[f"LMAX_BAND{n}"] == new.metadata[f"RADIANCE_MAXIMUM_BAND_{n}"]
        ratio = old.coefficients[band][0] / new.coefficients[band][0]
        assert 0.95 < ratio < 1.05, band
        assert gain == pytest.approx((old.metadata[f"LMAX_BAND{n}"] - old.metadata[
            f"LMIN_BAND{n}"]) / 254, rel=1e-4)
    assert old.coefficients["B6"][:2] == pytest.approx(new.coefficients["B6"][:2], rel=1e-4)
    assert old.files["B6"].name == "L71090081_08120090415_B61.TIF"
    assert old.files["B7"].name == "L72090081_08120090415_B70.TIF"


@pytest.mark.parametrize("name", ["L71090081_08120090415_MTL.txt",
                                  "LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt",
                                  "LT05_L1TP_095066_20100601_20170222_01_T1_MTL.txt",
                                  "LC09_L1TP_112081_20220209_20220209_02_T1_MTL.txt"])
def test_real_mtl_with_band_files_reads_reflectance(mtl_file, tmp_path, name):
    """The real MTL beside small band files named as it lists them."""
    path = shutil.copy(mtl_file(name), tmp_path / name)
    scene = open_landsat_scene(path, check_fill=False)
    rng = np.random.default_rng(0)
    eight_bit = scene.sensor in ("L5", "L7")
    for band, file in scene.files.items():
        size = 32 if band == "B8" else 16
        dn = rng.integers(1, 256 if eight_bit else 40000, (size, size))
        dn[0, 0] = 0
        dn[1, 1] = 255 if eight_bit else 65535
        with rasterio.open(file, "w", driver="GTiff", width=size, height=size, count=1,
                           dtype="uint8" if eight_bit else "uint16", crs="EPSG:32756",
                           transform=Affine(30.0 * 16 / size, 0, 0, 0, -30.0 * 16 / size, 0)
                           ) as dataset:
            dataset.write(dn.astype(dataset.dtypes[0]), 1)
    scene = open_landsat_scene(tmp_path)
    assert scene.band_names == list(scene.files)
    sin_elev = math.sin(math.radians(scene.sun_elevation))
    with rasterio.open(scene.files["B4"]) as dataset:
        dn = dataset.read(1).astype(np.float64)
    mult, add = scene.coefficients["B4"]
    expected = (mult * dn + add) / sin_elev
    expected[0, 0] = np.nan
    np.testing.assert_allclose(scene.read("B4"), expected, rtol=1e-5)
    assert 0.0 < np.nanmax(scene.read("B4")) < 2.0 and 150 < np.nanmean(scene.read("B6"
                                                                                  if eight_bit
                                                                                  else "B10"))
    saturated = scene.saturation("B4")  # no QA_RADSAT file here: DN = QCALMAX
    assert saturated[1, 1] and saturated.sum() == (dn == dn[1, 1]).sum()


# Sentinel-2: (spacecraft, baseline, offsets present) by file name.
S2_L1C = {
    "S2A_MSIL1C_20200717T221941_N0209_R029_T01LAC_20200717T234135__MTD_MSIL1C.xml":
        ("S2A", "02.09", False),
    "S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248__MTD_MSIL1C.xml":
        ("S2A", "03.01", False),
    "S2B_MSIL1C_20230601T094549_N0509_R079_T34UDD_20230601T115221__MTD_MSIL1C.xml":
        ("S2B", "05.09", True),
    "S2A_MSIL1C_20240101T102431_N0510_R065_T30NWM_20240101T122107__MTD_MSIL1C.xml":
        ("S2A", "05.10", True),
}
S2_L2A = [
    "S2A_MSIL2A_20230821T221941_N0509_R029_T01KAB_20230822T021825__MTD_MSIL2A.xml",
    "S2B_MSIL2A_20220413T150759_N0400_R025_T33XWJ_20220414T082126__MTD_MSIL2A.xml",
    "S2B_MSIL2A_20231217T135659_N0510_R067_T21JUK_20231217T175625__MTD_MSIL2A.xml",
]
S2_BANDS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]


def _as_safe(source, tmp_path, xml_name):
    safe = tmp_path / (source.name.split("__")[0] + ".SAFE")
    safe.mkdir()
    shutil.copy(source, safe / xml_name)
    return safe


@pytest.mark.parametrize("name", sorted(S2_L1C))
def test_real_s2_l1c_metadata(shared_file, tmp_path, name):
    source = shared_file("metadata", "s2_l1c_mtd", name)
    spacecraft, baseline, has_offsets = S2_L1C[name]
    product = open_safe(_as_safe(source, tmp_path, "MTD_MSIL1C.xml"))
    assert (product.sensor, product.baseline, product.quantification) == (
        spacecraft, baseline, 10000.0)
    assert f"_N{baseline.replace('.', '')}_" in name  # baseline agrees with the name
    assert product.offsets == (dict.fromkeys(S2_BANDS, -1000.0) if has_offsets else {})
    assert list(product.files) == S2_BANDS
    tile = name.split("_")[5]
    assert all(p.name.startswith(tile) and p.suffix == ".jp2" and "IMG_DATA" in p.parts
               for p in product.files.values())
    assert product.files["B8A"].stem.endswith("_B8A")


@pytest.mark.parametrize("name", S2_L2A)
@pytest.mark.parametrize("xml_name", ["MTD_MSIL2A.xml", "MTD_MSIL1C.xml"])
def test_real_s2_l2a_metadata_is_refused(shared_file, tmp_path, name, xml_name):
    source = shared_file("metadata", "s2_l2a_mtd", name)
    with pytest.raises(ProductFormatError, match="Level-2A"):
        open_safe(_as_safe(source, tmp_path, xml_name))
