"""``_MTL.txt`` text of Landsat-4/5 TM and Landsat-7 ETM+ scenes in two real layouts.

* ``"collection2"`` — as USGS Collection 2 Level-1 MTLs (e.g.
  ``LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt``): ``GROUP = LANDSAT_METADATA_FILE``,
  ``PRODUCT_CONTENTS`` (``FILE_NAME_BAND_6_VCID_1`` …, ``FILE_NAME_QUALITY_L1_PIXEL``,
  ``FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION``, ``DATA_TYPE_BAND_n = "UINT8"``),
  ``IMAGE_ATTRIBUTES`` (``SATURATION_BAND_n``, sun angles, ``EARTH_SUN_DISTANCE``),
  ``LEVEL1_MIN_MAX_*``, ``LEVEL1_RADIOMETRIC_RESCALING``, ``LEVEL1_THERMAL_CONSTANTS`` and
  ``PRODUCT_PARAMETERS`` (``GAIN_BAND_n`` of ETM+).
* ``"legacy"`` — as LPGS 11 MTLs before 2012 (e.g. ``L71090081_08120090415_MTL.txt``):
  ``GROUP = L1_METADATA_FILE`` with ``SPACECRAFT_ID = "Landsat7"``, ``ACQUISITION_DATE``,
  ``BANDn_FILE_NAME``, ``LMAX_BANDn``/``LMIN_BANDn``, ``QCALMAX_BANDn``/``QCALMIN_BANDn``,
  ``BANDn_GAIN`` (``BAND6_GAIN1``/``2``) and the sun angles in ``PRODUCT_PARAMETERS``; no
  reflectance rescaling and no Earth–Sun distance.

Radiance ranges are the published ones these MTLs carry: ETM+ per gain for products made
after 2000-07-01, TM as in L5 products after 2007-04-02 (bands 1–2 for acquisitions from
1992) and L4 after 1984-01-15 (Chander et al. 2009; GRASS ``i.landsat.toar``).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform as warp_points

from crossmask.products.landsat_calibration import ESUN, THERMAL_K, reflectance_rescaling

__all__ = ["LMAX_LMIN", "TmMetadata", "band_range", "tm_band_ids", "tm_mtl_text"]

#: (LMAX, LMIN) per sensor and MTL band number (ETM+: "<band>L" / "<band>H" per gain).
LMAX_LMIN: dict[str, dict[str, tuple[float, float]]] = {
    "L7": {"1L": (293.7, -6.2), "2L": (300.9, -6.4), "3L": (234.4, -5.0),
           "4L": (241.1, -5.1), "5L": (47.57, -1.0), "6L": (17.04, 0.0),
           "7L": (16.54, -0.35), "8L": (243.1, -4.7),
           "1H": (191.6, -6.2), "2H": (196.5, -6.4), "3H": (152.9, -5.0),
           "4H": (157.4, -5.1), "5H": (31.06, -1.0), "6H": (12.65, 3.2),
           "7H": (10.80, -0.35), "8H": (158.3, -4.7)},
    "L5": {"1": (193.0, -1.52), "2": (365.0, -2.84), "3": (264.0, -1.17), "4": (221.0, -1.51),
           "5": (30.2, -0.37), "6": (15.303, 1.238), "7": (16.5, -0.15)},
    "L4": {"1": (171.0, -1.52), "2": (336.0, -2.84), "3": (254.0, -1.17), "4": (221.0, -1.51),
           "5": (31.4, -0.37), "6": (15.303, 1.2378), "7": (16.6, -0.15)},
}
_NAMES = {"L4": ("LANDSAT_4", "Landsat4", "TM", "TM"), "L5": ("LANDSAT_5", "Landsat5", "TM", "TM"),
          "L7": ("LANDSAT_7", "Landsat7", "ETM", "ETM+")}


def tm_band_ids(sensor: str) -> list[tuple[str, str]]:
    """(Collection 2 ``_BAND_<id>``, legacy ``BAND<id>``) of every band file of a sensor."""
    if sensor == "L7":
        return [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"),
                ("6_VCID_1", "61"), ("6_VCID_2", "62"), ("7", "7"), ("8", "8")]
    return [(str(n), str(n)) for n in range(1, 8)]


def band_range(sensor: str, band_id: str, gain: str) -> tuple[float, float]:
    """(LMAX, LMIN) of an MTL band id (``"6_VCID_1"`` is ETM+ 6 low gain, ``_2`` high)."""
    if sensor != "L7":
        return LMAX_LMIN[sensor][band_id]
    if band_id.startswith("6_VCID"):
        return LMAX_LMIN["L7"]["6L" if band_id.endswith("1") else "6H"]
    return LMAX_LMIN["L7"][band_id + gain]


@dataclass
class TmMetadata:
    """What the MTL of a TM/ETM+ scene says; dictionaries are keyed by Collection 2 band
    id (``"1"`` … ``"6_VCID_1"`` …)."""

    sensor: str
    scene_id: str
    files: dict[str, str]
    gains: dict[str, str]
    saturated: dict[str, bool]
    date: datetime.date
    sun: tuple[float, float]  # azimuth, elevation (degrees)
    distance: float  # AU
    path_row: tuple[int, int]
    size: tuple[int, int]  # rows, cols of the 30 m grid
    crs: CRS
    transform: Affine


def _odl(top: str, groups: list[tuple[str, list]]) -> str:
    out = [f"GROUP = {top}"]
    for name, items in groups:
        out += [f"  GROUP = {name}", *(f"    {k} = {v}" for k, v in items),
                f"  END_GROUP = {name}"]
    return "\n".join([*out, f"END_GROUP = {top}", "END", ""])


def _q(text: str) -> str:
    return f'"{text}"'


def _corners(m: TmMetadata, legacy: bool) -> list[tuple[str, str]]:
    rows, cols = m.size
    t = m.transform
    xs = [t.c + t.a / 2, t.c + t.a * (cols - 0.5)] * 2
    ys = [t.f + t.e / 2] * 2 + [t.f + t.e * (rows - 0.5)] * 2
    lons, lats = warp_points(m.crs, "EPSG:4326", xs, ys)
    names = ("UL", "UR", "LL", "LR")
    if legacy:
        return ([(f"PRODUCT_{c}_CORNER_{k}", f"{v:.7f}") for c, lat, lon in zip(names, lats, lons)
                 for k, v in (("LAT", lat), ("LON", lon))]
                + [(f"PRODUCT_{c}_CORNER_MAP{k}", f"{v:.3f}") for c, x, y in zip(names, xs, ys)
                   for k, v in (("X", x), ("Y", y))])
    return ([(f"CORNER_{c}_{k}_PRODUCT", f"{v:.5f}") for c, lat, lon in zip(names, lats, lons)
             for k, v in (("LAT", lat), ("LON", lon))]
            + [(f"CORNER_{c}_PROJECTION_{k}_PRODUCT", f"{v:.3f}") for c, x, y in zip(names, xs, ys)
               for k, v in (("X", x), ("Y", y))])


def tm_mtl_text(m: TmMetadata, mtl_format: str) -> str:
    """The MTL of a scene in ``"collection2"`` or ``"legacy"`` layout."""
    if mtl_format == "legacy":
        return _odl("L1_METADATA_FILE", _legacy_groups(m))
    return _odl("LANDSAT_METADATA_FILE", _collection2_groups(m))


def _rescaling(m: TmMetadata) -> dict[str, list[tuple[str, str]]]:
    """Collection 2 radiometric items per group name."""
    ids = [b for b, _ in tm_band_ids(m.sensor)]
    radiance, reflectance, pixel, mult, add, rmult, radd, thermal = ([] for _ in range(8))
    sin_elev = math.sin(math.radians(m.sun[1]))
    for b in ids:
        lmax, lmin = band_range(m.sensor, b, m.gains.get(b, "L"))
        radiance += [(f"RADIANCE_MAXIMUM_BAND_{b}", f"{lmax:.3f}"),
                     (f"RADIANCE_MINIMUM_BAND_{b}", f"{lmin:.3f}")]
        pixel += [(f"QUANTIZE_CAL_MAX_BAND_{b}", "255"), (f"QUANTIZE_CAL_MIN_BAND_{b}", "1")]
        gain = (lmax - lmin) / 254.0
        mult.append((f"RADIANCE_MULT_BAND_{b}", f"{gain:.4E}"))
        add.append((f"RADIANCE_ADD_BAND_{b}", f"{lmin - gain:.5f}"))
        if b.startswith("6"):
            k1, k2 = THERMAL_K[m.sensor]
            thermal += [(f"K1_CONSTANT_BAND_{b}", f"{k1:.2f}"), (f"K2_CONSTANT_BAND_{b}",
                                                                   f"{k2:.2f}")]
            continue
        rm, ra = reflectance_rescaling(gain, lmin - gain, ESUN[m.sensor][f"B{b}"], m.distance)
        reflectance += [(f"REFLECTANCE_MAXIMUM_BAND_{b}", f"{(rm * 255 + ra) / sin_elev:.6f}"),
                        (f"REFLECTANCE_MINIMUM_BAND_{b}", f"{(rm + ra) / sin_elev:.6f}")]
        rmult.append((f"REFLECTANCE_MULT_BAND_{b}", f"{rm:.4E}"))
        radd.append((f"REFLECTANCE_ADD_BAND_{b}", f"{ra:.6f}"))
    return {"LEVEL1_MIN_MAX_RADIANCE": radiance, "LEVEL1_MIN_MAX_REFLECTANCE": reflectance,
            "LEVEL1_MIN_MAX_PIXEL_VALUE": pixel,
            "LEVEL1_RADIOMETRIC_RESCALING": mult + add + rmult + radd,
            "LEVEL1_THERMAL_CONSTANTS": thermal}


def _collection2_groups(m: TmMetadata) -> list[tuple[str, list]]:
    ids = [b for b, _ in tm_band_ids(m.sensor)]
    spacecraft, _, sensor_id, _ = _NAMES[m.sensor]
    rows, cols = m.size
    origin = [("ORIGIN", _q("Image courtesy of the U.S. Geological Survey")),
              ("DIGITAL_OBJECT_IDENTIFIER", _q("https://doi.org/10.5066/P9TU80IG"))]
    files = [(f"FILE_NAME_BAND_{b}", _q(m.files[b])) for b in ids] + [
        ("FILE_NAME_QUALITY_L1_PIXEL", _q(f"{m.scene_id}_QA_PIXEL.TIF")),
        ("FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION", _q(f"{m.scene_id}_QA_RADSAT.TIF")),
        ("FILE_NAME_METADATA_ODL", _q(f"{m.scene_id}_MTL.txt"))]
    level = [("LANDSAT_PRODUCT_ID", _q(m.scene_id)), ("PROCESSING_LEVEL", _q("L1TP"))]
    contents = [*origin, *level, ("COLLECTION_NUMBER", "02"), ("COLLECTION_CATEGORY", _q("T1")),
                ("OUTPUT_FORMAT", _q("GEOTIFF")), *files,
                *[(f"DATA_TYPE_BAND_{b}", _q("UINT8")) for b in ids],
                ("DATA_TYPE_QUALITY_L1_PIXEL", _q("UINT16")),
                ("DATA_TYPE_QUALITY_L1_RADIOMETRIC_SATURATION", _q("UINT16"))]
    attributes = [("SPACECRAFT_ID", _q(spacecraft)), ("SENSOR_ID", _q(sensor_id)),
                  ("WRS_TYPE", "2"), ("WRS_PATH", str(m.path_row[0])),
                  ("WRS_ROW", f"{m.path_row[1]:03d}"), ("DATE_ACQUIRED", m.date.isoformat()),
                  ("SCENE_CENTER_TIME", _q("00:09:40.8144776Z")), ("STATION_ID", _q("ASA")),
                  ("CLOUD_COVER", "5.00"), ("IMAGE_QUALITY", "9"),
                  *[(f"SATURATION_BAND_{b}", _q("Y" if m.saturated.get(b) else "N"))
                    for b in ids],
                  ("SUN_AZIMUTH", f"{m.sun[0]:.8f}"), ("SUN_ELEVATION", f"{m.sun[1]:.8f}"),
                  ("EARTH_SUN_DISTANCE", f"{m.distance:.7f}"), ("SENSOR_MODE", _q("BUMPER"))]
    grid = [("MAP_PROJECTION", _q("UTM")), ("DATUM", _q("WGS84")), ("ELLIPSOID", _q("WGS84")),
            ("UTM_ZONE", str(m.crs.to_epsg() % 100)),
            ("GRID_CELL_SIZE_PANCHROMATIC", "15.00"), ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
            ("GRID_CELL_SIZE_THERMAL", "30.00")]
    lines = [(f"{k}_{x}", str(n * v)) for k, n in (("PANCHROMATIC", 2), ("REFLECTIVE", 1),
                                                   ("THERMAL", 1))
             for x, v in (("LINES", rows), ("SAMPLES", cols))]
    record = [*origin, ("REQUEST_ID", _q("P701chn1i7rd7_00188")), *level,
              ("COLLECTION_CATEGORY", _q("T1")), ("OUTPUT_FORMAT", _q("GEOTIFF")),
              ("PROCESSING_SOFTWARE_VERSION", _q("LPGS_15.6.0")), *files]
    parameters = [(f"GAIN_BAND_{b}", _q(m.gains[b])) for b in ids if b in m.gains]
    groups = [("PRODUCT_CONTENTS", contents), ("IMAGE_ATTRIBUTES", attributes),
              ("PROJECTION_ATTRIBUTES", grid + lines + [("ORIENTATION", _q("NORTH_UP"))]
               + _corners(m, legacy=False)),
              ("LEVEL1_PROCESSING_RECORD", record), *_rescaling(m).items(),
              ("LEVEL1_PROJECTION_PARAMETERS", grid + [
                  ("ORIENTATION", _q("NORTH_UP")), ("RESAMPLING_OPTION", _q("CUBIC_CONVOLUTION")),
                  ("SCAN_GAP_INTERPOLATION", "2.0")])]
    return groups + ([("PRODUCT_PARAMETERS", parameters)] if parameters else [])


def _legacy_gains(m: TmMetadata) -> list[tuple[str, str]]:
    out = []
    for new, old in tm_band_ids(m.sensor):
        if new in m.gains:
            key = f"BAND6_GAIN{old[1]}" if old.startswith("6") and len(old) == 2 \
                else f"BAND{old}_GAIN"
            out.append((key, _q(m.gains[new])))
    return out


def _legacy_groups(m: TmMetadata) -> list[tuple[str, list]]:
    ids = tm_band_ids(m.sensor)
    _, spacecraft, _, sensor_id = _NAMES[m.sensor]
    rows, cols = m.size
    radiance = [(f"{k}_BAND{old}", f"{v:.3f}") for new, old in ids
                for k, v in zip(("LMAX", "LMIN"), band_range(m.sensor, new,
                                                             m.gains.get(new, "L")))]
    pixel = [(f"{k}_BAND{old}", v) for _, old in ids
             for k, v in (("QCALMAX", "255.0"), ("QCALMIN", "1.0"))]
    sizes = [(f"PRODUCT_{k}_{x}", str(n * v)) for x, n in (("PAN", 2), ("REF", 1), ("THM", 1))
             if x != "PAN" or m.sensor == "L7" for k, v in (("SAMPLES", cols), ("LINES", rows))]
    metadata = [("PRODUCT_TYPE", _q("L1T")), ("ELEVATION_SOURCE", _q("SRTM3")),
                ("PROCESSING_SOFTWARE", _q("LPGS_11.6.0")), ("EPHEMERIS_TYPE", _q("DEFINITIVE")),
                ("SPACECRAFT_ID", _q(spacecraft)), ("SENSOR_ID", _q(sensor_id)),
                ("SENSOR_MODE", _q("BUMPER")), ("ACQUISITION_DATE", m.date.isoformat()),
                ("SCENE_CENTER_SCAN_TIME", "23:39:26.9314625Z"),
                ("WRS_PATH", str(m.path_row[0])), ("STARTING_ROW", str(m.path_row[1])),
                ("ENDING_ROW", str(m.path_row[1])),
                ("BAND_COMBINATION", _q("".join(old[0] for _, old in ids))),
                *_corners(m, legacy=True), *sizes,
                *[(f"BAND{old}_FILE_NAME", _q(m.files[new])) for new, old in ids],
                ("METADATA_L1_FILE_NAME", _q(f"{m.scene_id}_MTL.txt"))]
    parameters = [*[(f"CORRECTION_METHOD_GAIN_BAND{old}", _q("CPF")) for _, old in ids],
                  ("CORRECTION_METHOD_BIAS", _q("IC")), *_legacy_gains(m),
                  ("SUN_AZIMUTH", f"{m.sun[0]:.7f}"), ("SUN_ELEVATION", f"{m.sun[1]:.7f}"),
                  ("OUTPUT_FORMAT", _q("GEOTIFF"))]
    projection = [("REFERENCE_DATUM", _q("WGS84")), ("REFERENCE_ELLIPSOID", _q("WGS84")),
                  ("GRID_CELL_SIZE_PAN", "15.0000000"), ("GRID_CELL_SIZE_THM", "30.0000000"),
                  ("GRID_CELL_SIZE_REF", "30.0000000"), ("ORIENTATION", _q("NUP")),
                  ("RESAMPLING_OPTION", _q("CC")), ("MAP_PROJECTION", _q("UTM"))]
    info = [("ORIGIN", _q("Image courtesy of the U.S. Geological Survey")),
            ("REQUEST_ID", _q("0272009105090_00081")),
            ("PRODUCT_CREATION_TIME", "2012-05-27T13:25:15Z"), ("STATION_ID", _q("EDC"))]
    return [("METADATA_FILE_INFO", info), ("PRODUCT_METADATA", metadata),
            ("MIN_MAX_RADIANCE", radiance), ("MIN_MAX_PIXEL_VALUE", pixel),
            ("PRODUCT_PARAMETERS", parameters), ("PROJECTION_PARAMETERS", projection),
            ("UTM_PARAMETERS", [("ZONE_NUMBER", str(m.crs.to_epsg() % 100))])]
