"""Landsat Level-1 scene folders: Landsat-4/5 TM, Landsat-7 ETM+ and Landsat-8/9 OLI-TIRS.

A scene folder holds ``<ID>_MTL.txt`` (ODL text: ``GROUP = …`` / ``KEY = VALUE`` /
``END_GROUP = …``) and one GeoTIFF per band, named as the MTL lists them
(``FILE_NAME_BAND_n``; ``BANDn_FILE_NAME`` in the oldest TM/ETM+ MTLs).  Every MTL generation
is read — the oldest TM/ETM+ one (LPGS ≤ 11, radiance range only), pre-collection,
Collection 1 and Collection 2 (see :mod:`crossmask.products.landsat_mtl`).

Reflective bands give TOA reflectance ρ = (M·DN + A) / sin(sun elevation) with the MTL's
``REFLECTANCE_MULT/ADD``; an MTL without them (old TM/ETM+) gives radiance, turned into
reflectance with the published ESUN and the Earth–Sun distance
(:mod:`crossmask.products.landsat_calibration`).  Thermal bands (TM/ETM+ B6 — for ETM+
the low-gain ``B6_VCID_1`` — and OLI-TIRS B10/B11) give brightness temperature in K,
K2 / ln(K1 / L + 1).  DN 0 is fill (NaN).

:meth:`LandsatScene.saturation` reports saturated pixels: from Collection 2
``_QA_RADSAT.TIF`` where the band has a bit, else where DN equals the band's QCALMAX (see
:mod:`crossmask.products.saturation`).  The scene also records each band's gain setting
(``GAIN_BAND_n`` / ``BANDn_GAIN``) and ``SATURATION_BAND_n`` flag where the MTL gives them.
The L8 Biome dataset's scenes (these folders plus a manual mask) are read by
:mod:`crossmask.products.datasets.biome`.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.landsat_calibration import (
    DN_MAX,
    RADSAT_BITS,
    SPACECRAFT,
    spacecraft_key,
)
from crossmask.products.landsat_mtl import (
    MtlValues,
    band_calibration,
    band_keys,
    mtl_format,
    parse_mtl,
    read_mtl,
)
from crossmask.products.product import Product
from crossmask.products.saturation import dn_saturated, qa_bit_set
from crossmask.srf import SENSOR_SPECS, get_sensor, normalize_band_name

__all__ = ["LandsatScene", "open_landsat_scene", "parse_mtl"]


@dataclass
class LandsatScene(Product):
    """An opened Landsat Level-1 scene folder (metadata parsed, bands read lazily).

    ``scene_id`` is the file-name prefix of the MTL: the scene ID (``LC80420082013220LGN00``,
    ``L71090081_08120090415``) before collections, the product ID (``LC08_L1TP_…_02_T1``)
    in Collection 1/2; ``collection`` 2 for Collection 2, else 1 (``mtl_format`` tells the
    generations apart: ``legacy``, ``pre-collection``, ``collection1``, ``collection2``);
    ``metadata`` every MTL key (groups flattened); ``coefficients`` per band (M, A) of
    reflectance, or (G, B, K1, K2) of radiance and brightness temperature for thermal
    bands, and ``calibration`` where they came from, in words; ``gains`` ("H"/"L") and
    ``saturation_flags`` (``SATURATION_BAND_n`` = "Y") per band where the MTL gives them;
    ``qcal_max`` the largest DN per band; ``earth_sun_distance`` in AU (MTL, else from the
    acquisition date; None if neither is known).
    """

    path: Path
    sensor: str
    scene_id: str
    mtl_path: Path
    collection: int
    sun_elevation: float  # degrees
    metadata: dict = field(repr=False)
    files: dict[str, Path] = field(repr=False)
    qa_path: Path | None = None
    coefficients: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)
    grids: dict[str, Grid] = field(default_factory=dict, repr=False)
    mtl_format: str = "pre-collection"
    acquired: str | None = None
    earth_sun_distance: float | None = None
    calibration: dict[str, str] = field(default_factory=dict, repr=False)
    gains: dict[str, str] = field(default_factory=dict, repr=False)
    saturation_flags: dict[str, bool] = field(default_factory=dict, repr=False)
    qcal_max: dict[str, int] = field(default_factory=dict, repr=False)
    radsat_path: Path | None = None

    @property
    def band_names(self) -> list[str]:
        return [band for band, path in self.files.items() if path.is_file()]

    @property
    def grid(self) -> Grid:
        """The 30 m grid shared by every band except the 15 m panchromatic B8."""
        return self.band_grid(self._reference_band())

    def band_key(self, band: str) -> str:
        """Registry name of a band; :class:`MissingBandError` naming the file if it is missing."""
        name = normalize_band_name(band)
        with contextlib.suppress(KeyError):
            name = get_sensor(self.sensor).band(band).name
        path = self.files.get(name)
        if path is None or not path.is_file():
            expected = path or self.path / f"{self.scene_id}_{name}.TIF"
            raise MissingBandError(f"{expected}: band file for {band} is missing; the scene "
                                   f"holds {', '.join(self.band_names) or 'no band files'}")
        return name

    def band_grid(self, band: str) -> Grid:
        name = self.band_key(band)
        if name not in self.grids:
            self.grids[name] = read_grid(self.files[name])
        return self.grids[name]

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        """TOA reflectance (0–1) of a reflective band, brightness temperature (K) of a
        thermal band; float32, fill (DN 0) as NaN; ``window`` is on the band's native grid."""
        name = self.band_key(band)
        dn = read_window(self.files[name], 1, window)
        coef = self.coefficients[name]
        if len(coef) == 4:  # thermal: radiance, then brightness temperature
            mult, add, k1, k2 = coef
            radiance = mult * dn.astype(np.float64) + add
            with np.errstate(divide="ignore", invalid="ignore"):
                out = (k2 / np.log(k1 / np.where(radiance > 0, radiance, np.nan) + 1.0))
            out = out.astype(np.float32)
        else:
            sin_elev = math.sin(math.radians(self.sun_elevation))
            out = dn.astype(np.float32)
            out *= np.float32(coef[0] / sin_elev)
            out += np.float32(coef[1] / sin_elev)
        out[dn == 0] = np.nan
        return out

    def saturation(self, band: str, window: Window | None = None) -> np.ndarray:
        """Bool array of the band's saturated pixels (``window`` on its native grid).

        Collection 2 ``_QA_RADSAT.TIF`` bit of the band when the folder holds it and the band
        has a bit (not the panchromatic B8 nor TIRS); else DN = the band's QCALMAX
        (``QUANTIZE_CAL_MAX_BAND_n`` / ``QCALMAX_BANDn``; 255 for 8-bit TM/ETM+, 65535 for
        OLI when the MTL has none).  Fill (DN 0) is never saturated.
        """
        name = self.band_key(band)
        bit = RADSAT_BITS[SENSOR_SPECS[self.sensor].family].get(name)
        if bit is not None and self.radsat_path is not None and self.radsat_path.is_file():
            return qa_bit_set(read_window(self.radsat_path, 1, window), bit)
        return dn_saturated(read_window(self.files[name], 1, window), self.qcal_max[name])

    def _reference_band(self) -> str:
        names = self.band_names
        if not names or names == ["B8"]:
            raise MissingBandError(f"{self.path}: no 30 m band file of {self.scene_id} found "
                                   f"(expected {self.scene_id}_B1.TIF … band files)")
        return next(b for b in names if b != "B8")


def open_landsat_scene(folder: str | os.PathLike, check_fill: bool = True) -> LandsatScene:
    """Open a Landsat TM, ETM+ or OLI-TIRS scene folder (or its ``_MTL.txt``).

    Checks the MTL holds the calibration of every band it lists (or whose file is present)
    and, with ``check_fill``, that the scene is not all fill (a decimated read of one band,
    a full read only if that finds no data).  With ``check_fill=False`` an MTL opens
    without any band file (metadata only).  Raises :class:`ProductFormatError` (missing MTL
    or MTL key, unknown spacecraft, all-fill scene) or :class:`MissingBandError` (no 30 m
    band file).
    """
    folder = Path(folder)
    mtl_path = folder if folder.is_file() else _find_mtl(folder)
    folder = mtl_path.parent
    tree, mtl = read_mtl(mtl_path)
    sensor = _sensor(mtl)
    sun_elevation = mtl.number("SUN_ELEVATION")
    if not 0.0 < sun_elevation <= 90.0:
        raise ProductFormatError(f"{mtl_path}: SUN_ELEVATION {sun_elevation} is outside "
                                 "(0, 90] degrees; TOA reflectance needs a sunlit scene")
    present = {p.name.lower(): p for p in folder.iterdir()}

    def local(name: str | None) -> Path | None:
        return None if name is None else present.get(name.lower(), folder / name)

    prefix = mtl_path.name[: -len("_MTL.txt")]
    tables = _band_tables(mtl, sensor, local, prefix)
    fmt = mtl_format(tree, mtl)
    with contextlib.suppress(ProductFormatError):
        tables["earth_sun_distance"] = mtl.earth_sun_distance()
    scene = LandsatScene(
        folder, sensor, prefix, mtl_path, 2 if fmt == "collection2" else 1, sun_elevation,
        mtl.values, qa_path=local(mtl.first(("FILE_NAME_BAND_QUALITY",
                                             "FILE_NAME_QUALITY_L1_PIXEL"))),
        mtl_format=fmt, acquired=_text(mtl.first(("DATE_ACQUIRED", "ACQUISITION_DATE"))),
        radsat_path=local(mtl.first(("FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION",))),
        **tables)
    if check_fill:
        _check_not_all_fill(scene)
    return scene


def _text(value) -> str | None:
    return None if value is None else str(value)


def _sensor(mtl: MtlValues) -> str:
    """Registry key of the MTL's spacecraft; ProductFormatError if it is not supported."""
    if "SPACECRAFT_ID" not in mtl.values:
        raise mtl.missing("SPACECRAFT_ID")
    spacecraft = mtl.values["SPACECRAFT_ID"]
    key = spacecraft_key(spacecraft)
    if key not in SENSOR_SPECS:
        valid = [name for name, k in SPACECRAFT.items() if k in SENSOR_SPECS]
        raise ProductFormatError(f"{mtl.path}: SPACECRAFT_ID {spacecraft!r} is not supported; "
                                 f"valid: {', '.join(valid)}")
    return key


def _band_tables(mtl: MtlValues, sensor: str, local, prefix: str) -> dict[str, dict]:
    """Per band: file, coefficients, calibration source, gain, saturation flag and QCALMAX.
    A band the MTL does not list and whose file is absent is left out."""
    out: dict[str, dict] = {k: {} for k in ("files", "coefficients", "calibration", "gains",
                                            "saturation_flags", "qcal_max")}
    spec = SENSOR_SPECS[sensor]
    for band in spec.bands:
        keys = band_keys(sensor, band.name)
        listed = mtl.first(keys["file"])
        path = local(str(listed) if listed is not None else f"{prefix}_B{keys['id'][0]}.TIF")
        if listed is None and not path.is_file():
            continue
        out["files"][band.name] = path
        coefficients, source = band_calibration(mtl, sensor, band.name, band.thermal)
        out["coefficients"][band.name], out["calibration"][band.name] = coefficients, source
        gain = mtl.first(keys["gain"])
        if gain is not None:
            out["gains"][band.name] = str(gain)
        flag = mtl.first(keys["saturation"])
        if flag is not None:
            out["saturation_flags"][band.name] = str(flag).strip().upper() == "Y"
        out["qcal_max"][band.name] = int(mtl.first(keys["qcal_max"], DN_MAX[spec.family]))
    return out


def _find_mtl(folder: Path) -> Path:
    if not folder.is_dir():
        raise ProductFormatError(f"{folder}: no such Landsat scene folder")
    found = sorted(p for p in folder.iterdir() if p.name.lower().endswith("_mtl.txt"))
    if len(found) != 1:
        raise ProductFormatError(f"{folder}: {len(found) or 'no'} <ID>_MTL.txt files found; a "
                                 "scene folder holds one beside its <ID>_B1.TIF … band files")
    return found[0]


def _check_not_all_fill(scene: LandsatScene) -> None:
    path = scene.files[scene._reference_band()]
    try:
        with rasterio.open(path) as dataset:
            step = max(1, max(dataset.width, dataset.height) // 512)
            shape = (max(1, dataset.height // step), max(1, dataset.width // step))
            if dataset.read(1, out_shape=shape).any():
                return
            if any(dataset.read(1, window=w).any() for _, w in dataset.block_windows(1)):
                return
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot read raster ({err})") from err
    raise ProductFormatError(f"{path}: every pixel is fill (DN 0); the scene has no data")
