"""Write small Landsat-8/9 Level-1 scenes in the real on-disk layout of the L8 Biome dataset.

A scene folder ``<SCENEID>/`` holds ``<SCENEID>_B1.TIF`` … ``_B11.TIF`` (uint16 DN, UTM,
30 m; B8 15 m), the quality band (``_BQA.TIF``; ``_QA_PIXEL.TIF`` in Collection 2), the
``_MTL.txt`` with the groups and key names of USGS files (pre-collection ``L1_METADATA_FILE``
or Collection 2 ``LANDSAT_METADATA_FILE``) and the manual mask ``_fixedmask.img`` + ``.hdr``
(ENVI, uint8 codes 0 fill, 64 shadow, 128 clear, 192 thin cloud, 255 cloud) or
``_fixedmask.TIF``.  Synthetic scenes are deterministic for a seed: smooth land texture per
biome, bright flat clouds, thin clouds blended with the ground, dark shadows cast beside the
clouds, and a fill wedge in one corner.  Used by tests, benchmarks and the demo.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform as warp_points

from crossmask.atomic import atomic_output
from crossmask.errors import InputError
from crossmask.products.datasets.biome import BIOMES, normalize_biome

__all__ = ["synthetic_mask", "synthetic_toa", "write_biome_scene", "write_biome_tree"]

_REFLECTIVE = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9")
# TOA reflectance B1…B9 of each biome's ground, of thick cloud; brightness temperature (K).
_GROUND = {
    "Barren": (0.14, 0.13, 0.15, 0.20, 0.28, 0.35, 0.30, 0.16, 0.003),
    "Forest": (0.11, 0.09, 0.07, 0.05, 0.30, 0.15, 0.07, 0.07, 0.002),
    "Grass-Crops": (0.12, 0.10, 0.09, 0.08, 0.32, 0.22, 0.12, 0.09, 0.002),
    "Shrubland": (0.13, 0.11, 0.11, 0.13, 0.25, 0.28, 0.20, 0.12, 0.002),
    "SnowIce": (0.75, 0.74, 0.73, 0.70, 0.60, 0.05, 0.04, 0.72, 0.004),
    "Urban": (0.15, 0.13, 0.13, 0.14, 0.22, 0.22, 0.18, 0.13, 0.002),
    "Water": (0.11, 0.08, 0.05, 0.03, 0.015, 0.008, 0.005, 0.05, 0.001),
    "Wetlands": (0.11, 0.09, 0.07, 0.06, 0.20, 0.10, 0.05, 0.07, 0.002),
}
_CLOUD = (0.55, 0.55, 0.55, 0.56, 0.58, 0.45, 0.32, 0.55, 0.03)
_GROUND_K = {"SnowIce": 262.0, "Water": 288.0}
_CLOUD_K = 245.0
# OLI/TIRS calibration as in USGS MTL files: radiance gain per band, thermal constants.
_RADIANCE_MULT = (1.2408e-02, 1.2706e-02, 1.1708e-02, 9.8734e-03, 6.0420e-03, 1.5026e-03,
                  5.0645e-04, 1.1174e-02, 2.3613e-03, 3.3420e-04, 3.3420e-04)
_K1 = {"B10": 774.8853, "B11": 480.8883}
_K2 = {"B10": 1321.0789, "B11": 1201.1442}
_REFL_MULT, _REFL_ADD = 2.0e-05, -0.1
# Quality-band values per mask code: pre-collection BQA and Collection 2 QA_PIXEL.
_QA = {1: {0: 1, 64: 20480, 128: 20480, 192: 28672, 255: 61440},
       2: {0: 1, 64: 23888, 128: 21824, 192: 22080, 255: 22280}}


def _smooth(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Gaussian-filtered white noise (correlation length ``scale`` px), rescaled to 0–1."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    kernel = np.exp(-2.0 * (math.pi * scale) ** 2 * (fx ** 2 + fy ** 2))
    field = np.fft.irfft2(np.fft.rfft2(rng.standard_normal(shape)) * kernel, s=shape)
    return (field - field.min()) / (np.ptp(field) + 1e-12)


def synthetic_mask(shape: tuple[int, int] = (64, 64), seed: int = 0) -> np.ndarray:
    """L8 Biome mask codes (uint8): cloud blobs with thin edges, shadows, a fill corner."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    field = _smooth(rng, shape, max(rows, cols) / 10)
    cover = rng.uniform(0.25, 0.5)
    mask = np.full(shape, 128, np.uint8)
    mask[field >= np.quantile(field, 1 - cover)] = 192
    thick = field >= np.quantile(field, 1 - 0.6 * cover)
    mask[thick] = 255
    shift = (max(2, rows // 10), max(2, cols // 12))
    shadow = np.zeros(shape, bool)
    shadow[shift[0]:, shift[1]:] = thick[:rows - shift[0], :cols - shift[1]]
    mask[shadow & (mask == 128)] = 64
    r, c = np.indices(shape)
    mask[r + c < max(rows, cols) // 6] = 0
    return mask


def synthetic_toa(mask: np.ndarray, seed: int = 0, biome: str = "Forest",
                  ) -> dict[str, np.ndarray]:
    """Bands consistent with ``mask``: TOA reflectance for B1–B9, brightness temperature (K)
    for B10/B11, float32, NaN where the mask is fill; B8 at twice the size (15 m)."""
    rng = np.random.default_rng(seed + 1)
    ground, cloud = _GROUND[normalize_biome(biome)], _CLOUD
    texture = 0.75 + 0.5 * _smooth(rng, mask.shape, max(mask.shape) / 16)
    puff = 0.96 + 0.08 * _smooth(rng, mask.shape, max(mask.shape) / 8)
    thin, thick, shadow = mask == 192, mask == 255, mask == 64
    out = {}
    for i, band in enumerate(_REFLECTIVE):
        value = ground[i] * texture
        value = np.where(shadow, 0.35 * value, value)
        value = np.where(thin, 0.5 * value + 0.45 * cloud[i] * puff, value)
        value = np.where(thick, cloud[i] * puff, value)
        value = value + rng.normal(0.0, 0.002, mask.shape)
        out[band] = value
    for band, offset in (("B10", 0.0), ("B11", -1.5)):
        kelvin = _GROUND_K.get(normalize_biome(biome), 295.0) + 4.0 * (texture - 1.0) + offset
        kelvin = np.where(shadow, kelvin - 4.0, kelvin)
        kelvin = np.where(thin, 0.5 * kelvin + 0.5 * _CLOUD_K, kelvin)
        out[band] = np.where(thick, _CLOUD_K + 3.0 * (puff - 1.0), kelvin)
    for band, value in out.items():
        out[band] = np.where(mask == 0, np.nan, value).astype(np.float32)
    out["B8"] = np.kron(out["B8"], np.ones((2, 2), np.float32))
    return out


def _to_dn(band: str, values: np.ndarray, sun_elevation: float) -> np.ndarray:
    """DN for TOA reflectance (or K for B10/B11); integer arrays are DN already."""
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.uint16)
    n = int(band[1:])
    mult, add = _RADIANCE_MULT[n - 1], 0.1
    if band in _K1:
        with np.errstate(over="ignore", invalid="ignore"):
            value = (_K1[band] / np.expm1(_K2[band] / values) - add) / mult
    else:
        value = (values * math.sin(math.radians(sun_elevation)) - _REFL_ADD) / _REFL_MULT
    return np.where(np.isfinite(value), np.clip(np.round(value), 1, 65535), 0).astype(np.uint16)


def _mtl(scene_id: str, collection: int, size: tuple[int, int], crs: CRS, transform: Affine,
         sun: tuple[float, float], meta: dict) -> str:
    items = _mtl_items(scene_id, size, crs, transform, sun, meta)
    if collection == 1:
        return _odl("L1_METADATA_FILE", _collection1_groups(scene_id, meta, items))
    return _odl("LANDSAT_METADATA_FILE", _collection2_groups(scene_id, meta, items))


def _odl(top: str, groups: list[tuple[str, list]]) -> str:
    out = [f"GROUP = {top}"]
    for name, items in groups:
        out += [f"  GROUP = {name}", *(f"    {k} = {v}" for k, v in items),
                f"  END_GROUP = {name}"]
    return "\n".join([*out, f"END_GROUP = {top}", "END", ""])


def _corners(crs: CRS, transform: Affine, rows: int, cols: int) -> list[tuple[str, str]]:
    xs = [transform.c + 15.0, transform.c + 30.0 * cols - 15.0] * 2
    ys = [transform.f - 15.0] * 2 + [transform.f - 30.0 * rows + 15.0] * 2
    lons, lats = warp_points(crs, "EPSG:4326", xs, ys)
    names = ("UL", "UR", "LL", "LR")
    corners = [(f"CORNER_{c}_{k}_PRODUCT", f"{v:.5f}") for c, lat, lon in zip(names, lats, lons)
               for k, v in (("LAT", lat), ("LON", lon))]
    return corners + [(f"CORNER_{c}_PROJECTION_{k}_PRODUCT", f"{v:.3f}") for c, x, y in zip(
        names, xs, ys) for k, v in (("X", x), ("Y", y))]


def _calibration_items() -> dict[str, list[tuple[str, str]]]:
    mult = _RADIANCE_MULT
    rad_add = [-5000.0 * m if n < 9 else 0.1 for n, m in enumerate(mult)]
    radiance = [(f"RADIANCE_{x}_BAND_{n + 1}", f"{m * dn + a:.5f}") for n, (m, a) in enumerate(
        zip(mult, rad_add)) for x, dn in (("MAXIMUM", 65535), ("MINIMUM", 1))]
    reflectance = [(f"REFLECTANCE_{x}_BAND_{n}", f"{_REFL_MULT * dn + _REFL_ADD:.6f}")
                   for n in range(1, 10) for x, dn in (("MAXIMUM", 65535), ("MINIMUM", 1))]
    pixel = [(f"QUANTIZE_CAL_{x}_BAND_{n}", str(v)) for n in range(1, 12)
             for x, v in (("MAX", 65535), ("MIN", 1))]
    rescaling = ([(f"RADIANCE_MULT_BAND_{n + 1}", f"{m:.4E}") for n, m in enumerate(mult)]
                 + [(f"RADIANCE_ADD_BAND_{n + 1}", f"{a:.5f}") for n, a in enumerate(rad_add)]
                 + [(f"REFLECTANCE_MULT_BAND_{n}", f"{_REFL_MULT:.4E}") for n in range(1, 10)]
                 + [(f"REFLECTANCE_ADD_BAND_{n}", f"{_REFL_ADD:.6f}") for n in range(1, 10)])
    thermal = [(f"K{k}_CONSTANT_BAND_{b}", f"{c[f'B{b}']:.4f}")
               for k, c in ((1, _K1), (2, _K2)) for b in (10, 11)]
    return {"radiance": radiance, "reflectance": reflectance, "pixel": pixel,
            "rescaling": rescaling, "thermal": thermal}


def _mtl_items(scene_id: str, size: tuple[int, int], crs: CRS, transform: Affine,
               sun: tuple[float, float], meta: dict) -> dict[str, list[tuple[str, str]]]:
    """The MTL's key/value lists, by topic, shared by both layouts."""
    q = '"{}"'.format  # quoted ODL string
    rows, cols = size
    lines_ = [kv for k, n in (("PANCHROMATIC", 2), ("REFLECTIVE", 1), ("THERMAL", 1))
              for kv in ((f"{k}_LINES", str(n * rows)), (f"{k}_SAMPLES", str(n * cols)))]
    projection = [("MAP_PROJECTION", q("UTM")), ("DATUM", q("WGS84")),
                  ("ELLIPSOID", q("WGS84")), ("UTM_ZONE", str(crs.to_epsg() % 100)),
                  ("GRID_CELL_SIZE_PANCHROMATIC", "15.00"),
                  ("GRID_CELL_SIZE_REFLECTIVE", "30.00"), ("GRID_CELL_SIZE_THERMAL", "30.00"),
                  ("ORIENTATION", q("NORTH_UP")), ("RESAMPLING_OPTION", q("CUBIC_CONVOLUTION"))]
    return {**_calibration_items(), "lines": lines_, "projection": projection,
            "corners": _corners(crs, transform, rows, cols),
            "files": [(f"FILE_NAME_BAND_{b}", q(f"{scene_id}_B{b}.TIF")) for b in range(1, 12)],
            "craft": [("SPACECRAFT_ID", q(meta["spacecraft"])), ("SENSOR_ID", q("OLI_TIRS"))],
            "wrs": [("WRS_PATH", meta["path"]), ("WRS_ROW", meta["row"]),
                    ("NADIR_OFFNADIR", q("NADIR")), ("TARGET_WRS_PATH", meta["path"]),
                    ("TARGET_WRS_ROW", meta["row"]), ("DATE_ACQUIRED", meta["date"]),
                    ("SCENE_CENTER_TIME", q(meta["time"]))],
            "attributes": [("CLOUD_COVER", f"{meta['cloud']:.2f}"), ("IMAGE_QUALITY_OLI", "9"),
                           ("IMAGE_QUALITY_TIRS", "9"), ("ROLL_ANGLE", "-0.001"),
                           ("SUN_AZIMUTH", f"{sun[0]:.8f}"), ("SUN_ELEVATION", f"{sun[1]:.8f}"),
                           ("EARTH_SUN_DISTANCE", f"{meta['distance']:.7f}")],
            "origin": [("ORIGIN", q("Image courtesy of the U.S. Geological Survey"))]}


def _collection1_groups(scene_id: str, meta: dict, it: dict) -> list[tuple[str, list]]:
    """The pre-collection (L8 Biome) ``L1_METADATA_FILE`` groups."""
    q = '"{}"'.format
    return [
        ("METADATA_FILE_INFO", [*it["origin"], ("REQUEST_ID", q("0501507163325_00001")),
                                ("LANDSAT_SCENE_ID", q(scene_id)),
                                ("FILE_DATE", f"{meta['date']}T21:36:10Z"),
                                ("STATION_ID", q("LGN")),
                                ("PROCESSING_SOFTWARE_VERSION", q("LPGS_2.5.1"))]),
        ("PRODUCT_METADATA", [("DATA_TYPE", q("L1T")), ("ELEVATION_SOURCE", q("GLS2000")),
                              ("OUTPUT_FORMAT", q("GEOTIFF")), *it["craft"], *it["wrs"],
                              *it["corners"], *it["lines"], *it["files"],
                              ("FILE_NAME_BAND_QUALITY", q(f"{scene_id}_BQA.TIF")),
                              ("METADATA_FILE_NAME", q(f"{scene_id}_MTL.txt")),
                              ("CPF_NAME", q("L8CPF20130701_20130930.03")),
                              ("RLUT_FILE_NAME", q("L8RLUT20130211_20431231v09.h5"))]),
        ("IMAGE_ATTRIBUTES", it["attributes"]),
        ("MIN_MAX_RADIANCE", it["radiance"]), ("MIN_MAX_REFLECTANCE", it["reflectance"]),
        ("MIN_MAX_PIXEL_VALUE", it["pixel"]), ("RADIOMETRIC_RESCALING", it["rescaling"]),
        ("TIRS_THERMAL_CONSTANTS", it["thermal"]), ("PROJECTION_PARAMETERS", it["projection"])]


def _collection2_groups(scene_id: str, meta: dict, it: dict) -> list[tuple[str, list]]:
    """The Collection 2 ``LANDSAT_METADATA_FILE`` groups."""
    q = '"{}"'.format
    record = [*it["origin"], ("LANDSAT_SCENE_ID", q(meta["scene_id"])),
              ("LANDSAT_PRODUCT_ID", q(scene_id)), ("PROCESSING_LEVEL", q("L1TP")),
              ("COLLECTION_CATEGORY", q("T1")), ("OUTPUT_FORMAT", q("GEOTIFF")),
              ("PROCESSING_SOFTWARE_VERSION", q("LPGS_15.3.1c"))]
    contents = [*it["origin"], ("LANDSAT_PRODUCT_ID", q(scene_id)),
                ("PROCESSING_LEVEL", q("L1TP")), ("COLLECTION_NUMBER", "02"),
                ("COLLECTION_CATEGORY", q("T1")), ("OUTPUT_FORMAT", q("GEOTIFF")),
                *it["files"], ("FILE_NAME_QUALITY_L1_PIXEL", q(f"{scene_id}_QA_PIXEL.TIF")),
                ("FILE_NAME_METADATA_ODL", q(f"{scene_id}_MTL.txt"))]
    projection = it["projection"]
    return [
        ("PRODUCT_CONTENTS", contents + [(f"DATA_TYPE_BAND_{n}", q("UINT16"))
                                         for n in range(1, 12)]),
        ("IMAGE_ATTRIBUTES", [*it["craft"], ("WRS_TYPE", "2"), *it["wrs"],
                              ("STATION_ID", q("LGN")), *it["attributes"]]),
        ("PROJECTION_ATTRIBUTES", projection[:7] + it["lines"] + projection[7:8]
         + it["corners"]),
        ("LEVEL1_PROCESSING_RECORD", record), ("LEVEL1_MIN_MAX_RADIANCE", it["radiance"]),
        ("LEVEL1_MIN_MAX_REFLECTANCE", it["reflectance"]),
        ("LEVEL1_MIN_MAX_PIXEL_VALUE", it["pixel"]),
        ("LEVEL1_RADIOMETRIC_RESCALING", it["rescaling"]),
        ("LEVEL1_THERMAL_CONSTANTS", sorted(it["thermal"], key=lambda kv: kv[0][-2:])),
        ("LEVEL1_PROJECTION_PARAMETERS", projection)]


def _write_tif(path: Path, array: np.ndarray, crs: CRS, transform: Affine, c2: bool) -> None:
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype=array.dtype, crs=crs, transform=transform)
    if c2:  # Collection 2 bands are deflate-compressed; pre-collection ones are not
        profile.update(compress="deflate", predictor=2)
    with atomic_output(path) as tmp, rasterio.open(tmp, "w", **profile) as dataset:
        dataset.update_tags(AREA_OR_POINT="Point")
        dataset.write(array, 1)


def _write_envi(img: Path, mask: np.ndarray, crs: CRS, transform: Affine) -> None:
    """An ENVI Classic byte image and its header, as the USGS fixed masks are written."""
    zone, hemisphere = crs.to_epsg() % 100, "North" if crs.to_epsg() < 32700 else "South"
    header = "\n".join([
        "ENVI", "description = {", f"  {img.name}}}", f"samples = {mask.shape[1]}",
        f"lines   = {mask.shape[0]}", "bands   = 1", "header offset = 0",
        "file type = ENVI Standard", "data type = 1", "interleave = bsq",
        "sensor type = Unknown", "byte order = 0",
        f"map info = {{UTM, 1.000, 1.000, {transform.c:.3f}, {transform.f:.3f}, "
        f"{transform.a:.10e}, {-transform.e:.10e}, {zone}, {hemisphere}, WGS-84, units=Meters}}",
        "wavelength units = Unknown", ""])
    with atomic_output(img.with_suffix(".hdr")) as tmp:
        tmp.write_text(header)
    with atomic_output(img) as tmp:
        tmp.write_bytes(np.ascontiguousarray(mask, np.uint8).tobytes())


def _scene_id(index: int, biome_index: int) -> str:
    """A pre-collection scene ID, ``LC8PPPRRRYYYYDDDLGN00``, unique per (biome, index)."""
    path = 1 + (29 * biome_index + 7 * index) % 233
    row = 1 + (17 * biome_index + 3 * index) % 248
    return f"LC8{path:03d}{row:03d}{2013 + (biome_index + index) % 4}" \
        f"{1 + (41 * biome_index + 13 * index) % 365:03d}LGN00"


def _path_row_date(scene_id: str) -> tuple[int, int, datetime.date]:
    """WRS path, row and date from a scene ID (``LC8PPPRRRYYYYDDD…``) or a product ID
    (``LC08_L1TP_PPPRRR_YYYYMMDD_…``); a fixed one for other names."""
    old = re.match(r"L[COT][89](\d{3})(\d{3})(\d{4})(\d{3})", scene_id)
    if old:
        year, doy = int(old[3]), int(old[4])
        return int(old[1]), int(old[2]), datetime.date(year, 1, 1) + datetime.timedelta(doy - 1)
    new = re.match(r"L[COT]0[89]_\w{4}_(\d{3})(\d{3})_(\d{4})(\d{2})(\d{2})_", scene_id)
    if new:
        return int(new[1]), int(new[2]), datetime.date(int(new[3]), int(new[4]), int(new[5]))
    return 42, 34, datetime.date(2020, 1, 1)


def _placement(scene_id: str, mask: np.ndarray, rng: np.random.Generator) -> tuple:
    """CRS, transform, sun (azimuth, elevation in degrees) and MTL metadata of a scene."""
    path, row, date = _path_row_date(scene_id)
    crs = CRS.from_epsg(32600 + 1 + (path * 7) % 60)
    transform = Affine(30.0, 0.0, 15.0 + 30.0 * int(rng.integers(5000, 15000)), 0.0, -30.0,
                       15.0 + 30.0 * int(rng.integers(100000, 250000)))
    sun = (float(rng.uniform(100.0, 160.0)), float(rng.uniform(25.0, 65.0)))
    meta = {"spacecraft": "LANDSAT_9" if scene_id.startswith(("LC09", "LC9")) else "LANDSAT_8",
            "path": path, "row": row, "date": date.isoformat(), "time": "18:40:09.4797440Z",
            "distance": 1.0 + rng.uniform(-0.016, 0.016),
            "cloud": 100.0 * float(np.mean(mask >= 192)),
            "scene_id": f"LC8{path:03d}{row:03d}{date:%Y%j}LGN00"}
    return crs, transform, sun, meta


def write_biome_scene(folder: str | Path, scene_id: str,
                      bands: Mapping[str, np.ndarray] | None = None,
                      mask: np.ndarray | None = None, size: int = 64, seed: int = 0,
                      biome: str = "Forest", mask_format: str | None = "envi",
                      collection: int = 1) -> Path:
    """Write ``<folder>/<scene_id>/`` and return that scene folder.

    Parameters
    ----------
    bands : mapping of band name to array, optional
        Float arrays are TOA reflectance (B1–B9, 0–1) or brightness temperature in K (B10,
        B11), NaN for fill; integer arrays are written as DN.  B8 is at twice the 30 m size.
        Bands left out are synthesised consistently with the mask.
    mask : uint8 array, optional
        L8 Biome codes on the 30 m grid; default :func:`synthetic_mask`.
    mask_format : {"envi", "tif", None}
        ``_fixedmask.img`` + ``.hdr``, torchgeo's ``_fixedmask.TIF``, or no mask.
    collection : {1, 2}
        Pre-collection MTL and ``_BQA.TIF`` (as in L8 Biome), or Collection 2 MTL and
        ``_QA_PIXEL.TIF`` (then ``scene_id`` is a product ID such as
        ``LC08_L1TP_042034_20200101_20200113_02_T1``).
    """
    if mask_format not in ("envi", "tif", None) or collection not in (1, 2):
        raise InputError(f"mask_format {mask_format!r} / collection {collection!r}: valid are "
                         "'envi', 'tif', None / 1, 2")
    bands = dict(bands or {})
    if mask is None:
        shape30 = next((a.shape for b, a in bands.items() if b != "B8"), (size, size))
        mask = synthetic_mask(shape30, seed)
    mask = np.asarray(mask, np.uint8)
    rng = np.random.default_rng(seed)
    toa = synthetic_toa(mask, seed, biome)
    for band, values in bands.items():
        if band not in toa or np.shape(values) != toa[band].shape:
            raise InputError(f"band {band!r} of shape {np.shape(values)}: valid are B1–B11 of "
                             f"the mask's shape {mask.shape}, B8 twice that")
    toa.update(bands)
    crs, transform, sun, meta = _placement(scene_id, mask, rng)
    out = Path(folder) / scene_id
    out.mkdir(parents=True, exist_ok=True)
    for band, values in toa.items():
        dn = _to_dn(band, np.asarray(values), sun[1])
        band_transform = transform @ Affine.scale(0.5) if band == "B8" else transform
        _write_tif(out / f"{scene_id}_{band}.TIF", dn, crs, band_transform, collection == 2)
    qa = np.select([mask == code for code in _QA[collection]], list(_QA[collection].values()))
    qa_name = "_BQA.TIF" if collection == 1 else "_QA_PIXEL.TIF"
    _write_tif(out / f"{scene_id}{qa_name}", qa.astype(np.uint16), crs, transform,
               collection == 2)
    with atomic_output(out / f"{scene_id}_MTL.txt") as tmp:
        tmp.write_text(_mtl(scene_id, collection, mask.shape, crs, transform, sun, meta))
    if mask_format == "envi":
        _write_envi(out / f"{scene_id}_fixedmask.img", mask, crs, transform)
    elif mask_format == "tif":
        _write_tif(out / f"{scene_id}_fixedmask.TIF", mask, crs, transform, False)
    return out


def write_biome_tree(root: str | Path, biomes: Sequence[str] = ("Barren", "Forest"),
                     scenes_per_biome: int = 2, size: int = 64, seed: int = 0,
                     mask_format: str = "envi") -> list[Path]:
    """Write ``<root>/<Biome>/BC/<SCENEID>/`` scenes as in the USGS download; return them."""
    folders = []
    for biome in map(normalize_biome, biomes):
        b = BIOMES.index(biome)
        for k in range(scenes_per_biome):
            folders.append(write_biome_scene(
                Path(root) / biome / "BC", _scene_id(k, b), size=size,
                seed=seed * 1000 + 100 * b + k, biome=biome, mask_format=mask_format))
    return folders
