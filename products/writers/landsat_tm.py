"""Write small Landsat-4/5 TM and Landsat-7 ETM+ Level-1 scene folders in real layouts.

Two layouts (MTL text in :mod:`crossmask.products.writers.landsat_tm_mtl`):

* ``"collection2"``: ``<PRODUCT_ID>/`` (``LE07_L1TP_PPPRRR_YYYYMMDD_YYYYMMDD_02_T1``) with
  ``<ID>_B1.TIF`` … ``_B5.TIF``, ``_B6_VCID_1.TIF`` + ``_B6_VCID_2.TIF`` (ETM+) or
  ``_B6.TIF`` (TM), ``_B7.TIF``, ``_B8.TIF`` (ETM+ pan, 15 m), ``_QA_PIXEL.TIF``,
  ``_QA_RADSAT.TIF`` and ``_MTL.txt``;
* ``"legacy"``: the LPGS 11 products before 2012, ``L71PPPRRR_RRRYYYYMMDD/`` with
  ``L71…_B10.TIF`` … ``_B50.TIF``, ``_B61.TIF``, ``L72…_B62.TIF``, ``_B70.TIF``, ``_B80.TIF``
  (Format-1 / Format-2 names; TM ``L5…_B10.TIF`` … ``_B70.TIF``) and ``L71…_MTL.txt``
  with LMAX/LMIN only.

Bands are 8-bit DN (0 fill, 1–255) in UTM, 30 m.  Synthetic bands come from the L8 Biome
writer's scenes (TM band n ← the OLI band of the same colour, thermal ← B10): thick
clouds saturate the high-gain ETM+ bands at DN 255, and ``_QA_RADSAT.TIF`` sets bit n−1
(bit 5 for band 6 / 6L, bit 8 for ETM+ 6H) where a band saturates.  Deterministic for a
seed; used by tests, benchmarks and the demo.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS

from crossmask.atomic import atomic_output
from crossmask.errors import InputError
from crossmask.products.landsat_calibration import (
    ESUN,
    RADSAT_BITS,
    THERMAL_K,
    earth_sun_distance,
)
from crossmask.products.writers.landsat import synthetic_mask, synthetic_toa
from crossmask.products.writers.landsat_tm_mtl import (
    TmMetadata,
    band_range,
    tm_band_ids,
    tm_mtl_text,
)

__all__ = ["TM_SPACECRAFT", "tm_product_id", "write_tm_scene"]

#: Spacecraft the writer knows → registry key.
TM_SPACECRAFT = {"LANDSAT_4": "L4", "LANDSAT_5": "L5", "LANDSAT_7": "L7"}
#: Collection 2 band id → the OLI band of the synthetic scene it is made from.
_FROM_OLI = {"1": "B2", "2": "B3", "3": "B4", "4": "B5", "5": "B6", "7": "B7", "8": "B8",
             "6": "B10", "6_VCID_1": "B10", "6_VCID_2": "B10"}
#: ETM+ gain settings of a real bumper-mode scene (LE07_L1TP_107068_20220310, H/L mix).
_L7_GAINS = {"1": "H", "2": "H", "3": "H", "4": "L", "5": "H", "6_VCID_1": "L",
             "6_VCID_2": "H", "7": "H", "8": "L"}
#: Collection 2 QA_PIXEL of TM/ETM+ per L8 Biome mask code (fill, shadow, clear, thin, cloud).
_QA_PIXEL = {0: 1, 64: 7440, 128: 5440, 192: 5632, 255: 5896}


def tm_product_id(sensor: str, path_row: tuple[int, int], date: datetime.date,
                  mtl_format: str) -> str:
    """The scene's file prefix: a Collection 2 product ID, or the legacy Format-1 name."""
    path, row = path_row
    if mtl_format == "legacy":
        fmt = "1" if sensor == "L7" else ""
        return f"{sensor}{fmt}{path:03d}{row:03d}_{row:03d}{date:%Y%m%d}"
    letter = "E" if sensor == "L7" else "T"
    made = date + datetime.timedelta(days=26)
    return f"L{letter}0{sensor[1]}_L1TP_{path:03d}{row:03d}_{date:%Y%m%d}_{made:%Y%m%d}_02_T1"


def _file_names(sensor: str, scene_id: str, mtl_format: str) -> dict[str, str]:
    """Band file name per Collection 2 band id."""
    if mtl_format != "legacy":
        return {new: f"{scene_id}_B{new}.TIF" for new, _ in tm_band_ids(sensor)}
    out = {}
    for new, old in tm_band_ids(sensor):
        prefix = scene_id
        if sensor == "L7" and old in ("62", "7", "8"):  # Format-2 file of the product
            prefix = "L72" + scene_id[3:]
        out[new] = f"{prefix}_B{old if len(old) == 2 else old + '0'}.TIF"
    return out


def _to_dn(values: np.ndarray, gain_bias: tuple[float, float], thermal_k, esun,
           sun_elevation: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """8-bit DN of reflectance (or K for thermal) and where it saturates; integer arrays
    are DN already (saturated where 255)."""
    if np.issubdtype(values.dtype, np.integer):
        dn = values.astype(np.uint8)
        return dn, dn == 255
    gain, bias = gain_bias
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if thermal_k is not None:
            radiance = thermal_k[0] / np.expm1(thermal_k[1] / values)
        else:
            radiance = values * esun * math.sin(math.radians(sun_elevation)) / (
                math.pi * distance ** 2)
        value = np.round((radiance - bias) / gain)
    finite = np.isfinite(value)
    saturated = finite & (value >= 255)
    dn = np.where(finite, np.clip(value, 1, 255), 0).astype(np.uint8)
    return dn, saturated


def _synthetic(sensor: str, size: int, seed: int, biome: str, bands: Mapping) -> tuple:
    """The L8 Biome mask and every band's values (float reflectance / K, or DN)."""
    mask = synthetic_mask((size, size), seed)
    toa = synthetic_toa(mask, seed, biome)
    values = {new: toa[_FROM_OLI[new]] for new, _ in tm_band_ids(sensor)}
    for band, array in bands.items():
        array = np.asarray(array)
        ids = (["6_VCID_1", "6_VCID_2"] if sensor == "L7" else ["6"]) if band == "B6" \
            else [band[1:]]
        if ids[0] not in values or array.shape != values[ids[0]].shape:
            raise InputError(f"band {band!r} of shape {array.shape}: valid are the "
                             f"{sensor} bands B1–B7{', B8' if sensor == 'L7' else ''} of "
                             f"shape ({size}, {size}) (B8: twice that)")
        values.update(dict.fromkeys(ids, array))
    return mask, values


def write_tm_scene(folder: str | Path, spacecraft: str = "LANDSAT_7",
                   mtl_format: str = "collection2", size: int = 64, seed: int = 0,
                   biome: str = "Forest", bands: Mapping[str, np.ndarray] | None = None,
                   gains: Mapping[str, str] | None = None,
                   date: datetime.date | str = "2009-04-15",
                   path_row: tuple[int, int] = (90, 81)) -> Path:
    """Write ``<folder>/<scene_id>/`` of a TM or ETM+ scene and return that folder.

    Parameters
    ----------
    spacecraft : {"LANDSAT_7", "LANDSAT_5", "LANDSAT_4"}
    mtl_format : {"collection2", "legacy"}
        Collection 2 (with ``_QA_PIXEL.TIF``, ``_QA_RADSAT.TIF`` and ``SATURATION_BAND_n``)
        or the LMAX/LMIN MTL of products before 2012 (no QA files).
    bands : mapping of registry band name to array, optional
        Float arrays are TOA reflectance (K for B6: both ETM+ VCIDs), NaN fill; integer
        arrays are written as DN.  ``size`` × ``size`` (B8 twice that).  Others synthetic.
    gains : mapping of registry band name to "H" / "L", optional
        ETM+ gain settings of B1–B5, B7, B8 (B6 is low gain in VCID_1, high in VCID_2).
    """
    if spacecraft not in TM_SPACECRAFT or mtl_format not in ("collection2", "legacy"):
        raise InputError(f"spacecraft {spacecraft!r} / mtl_format {mtl_format!r}: valid are "
                         f"{', '.join(TM_SPACECRAFT)} / 'collection2', 'legacy'")
    sensor = TM_SPACECRAFT[spacecraft]
    date = datetime.date.fromisoformat(str(date)) if not isinstance(date, datetime.date) \
        else date
    mask, values = _synthetic(sensor, size, seed, biome, dict(bands or {}))
    rng = np.random.default_rng(seed)
    scene_id = tm_product_id(sensor, path_row, date, mtl_format)
    meta = TmMetadata(
        sensor, scene_id, _file_names(sensor, scene_id, mtl_format),
        _gains(sensor, gains), {}, date,
        (float(rng.uniform(40.0, 120.0)), float(rng.uniform(35.0, 55.0))),
        round(earth_sun_distance(date), 7), path_row, mask.shape,
        CRS.from_epsg(32700 + 1 + (path_row[0] * 7) % 60),
        Affine(30.0, 0.0, 15.0 + 30.0 * int(rng.integers(5000, 15000)), 0.0, -30.0,
               7_000_000.0 + 30.0 * int(rng.integers(0, 10000))))
    out = Path(folder) / scene_id
    out.mkdir(parents=True, exist_ok=True)
    radsat = _write_bands(out, meta, values, mtl_format)
    if mtl_format == "collection2":
        qa = np.select([mask == code for code in _QA_PIXEL], list(_QA_PIXEL.values()))
        _write_tif(out / f"{scene_id}_QA_PIXEL.TIF", qa.astype(np.uint16), meta.crs,
                   meta.transform, mtl_format)
        _write_tif(out / f"{scene_id}_QA_RADSAT.TIF", radsat, meta.crs, meta.transform,
                   mtl_format)
    with atomic_output(out / f"{scene_id}_MTL.txt") as tmp:
        tmp.write_text(tm_mtl_text(meta, mtl_format))
    return out


def _write_bands(out: Path, meta: TmMetadata, values: Mapping[str, np.ndarray],
                 mtl_format: str) -> np.ndarray:
    """Write every band file; note which bands saturate; return the QA_RADSAT bits."""
    radsat = np.zeros(meta.size, np.uint16)
    for new, _ in tm_band_ids(meta.sensor):
        dn, saturated = _band_dn(meta, new, np.asarray(values[new]))
        meta.saturated[new] = bool(saturated.any())
        bit = RADSAT_BITS["TM"].get("B6" if new in ("6", "6_VCID_1") else f"B{new}")
        if bit is not None and new != "8":  # the pan band has no QA_RADSAT bit
            radsat |= (saturated.astype(np.uint16) << bit).astype(np.uint16)
        transform = meta.transform @ Affine.scale(0.5) if new == "8" else meta.transform
        _write_tif(out / meta.files[new], dn, meta.crs, transform, mtl_format)
    return radsat


def _gains(sensor: str, gains: Mapping[str, str] | None) -> dict[str, str]:
    """Gain setting per Collection 2 band id (ETM+ only; TM has none)."""
    if sensor != "L7":
        return {}
    out = dict(_L7_GAINS)
    for band, gain in (gains or {}).items():
        if gain not in ("H", "L") or band[1:] not in out or band == "B6":
            raise InputError(f"gain {band}={gain!r}: valid are B1–B5, B7, B8 = 'H' or 'L'")
        out[band[1:]] = gain
    return out


def _band_dn(meta: TmMetadata, new: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lmax, lmin = band_range(meta.sensor, new, meta.gains.get(new, "L"))
    gain = (lmax - lmin) / 254.0
    thermal = new.startswith("6")
    return _to_dn(values, (gain, lmin - gain), THERMAL_K[meta.sensor] if thermal else None,
                  None if thermal else ESUN[meta.sensor][f"B{new}"], meta.sun[1],
                  meta.distance)


def _write_tif(path: Path, array: np.ndarray, crs: CRS, transform: Affine,
               mtl_format: str) -> None:
    profile = dict(driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
                   dtype=array.dtype, crs=crs, transform=transform)
    if mtl_format == "collection2":  # Collection 2 bands are deflate-compressed
        profile.update(compress="deflate", predictor=2)
    with atomic_output(path) as tmp, rasterio.open(tmp, "w", **profile) as dataset:
        dataset.update_tags(AREA_OR_POINT="Point")
        dataset.write(array, 1)
