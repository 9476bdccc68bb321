"""Landsat-8/9 OLI-TIRS Level-1 scene folders.

A scene folder holds ``<ID>_MTL.txt`` (ODL text: ``GROUP = …`` / ``KEY = VALUE`` /
``END_GROUP = …``) and one GeoTIFF per band, ``<ID>_B1.TIF`` … ``<ID>_B11.TIF``.  Both the
pre-collection / Collection 1 layout (``GROUP = L1_METADATA_FILE``, ``RADIOMETRIC_RESCALING``,
``TIRS_THERMAL_CONSTANTS``, ``_BQA.TIF``) used by the L8 Biome dataset and Collection 2
(``GROUP = LANDSAT_METADATA_FILE``, ``LEVEL1_RADIOMETRIC_RESCALING``, ``_QA_PIXEL.TIF``) are
read.  Reflective bands give TOA reflectance ρ = (M·DN + A) / sin(sun elevation); the
thermal bands B10/B11 give brightness temperature in K, K2 / ln(K1 / L + 1) with radiance
L = M·DN + A.  DN 0 is fill (NaN).  The L8 Biome dataset's scenes (these folders plus a
manual mask) are read by :mod:`crossmask.products.datasets.biome`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.product import Product
from crossmask.srf import get_sensor, normalize_band_name

__all__ = ["LandsatScene", "open_landsat_scene", "parse_mtl"]

_SPACECRAFT = {"LANDSAT_8": "L8", "LANDSAT_9": "L9"}
# MTL group each key lives in (pre-collection/C1, C2), by key prefix; for error messages.
_RESCALING = ("RADIOMETRIC_RESCALING", "LEVEL1_RADIOMETRIC_RESCALING")
_TIRS = ("TIRS_THERMAL_CONSTANTS", "LEVEL1_THERMAL_CONSTANTS")
_GROUP_OF = {"SPACECRAFT": ("PRODUCT_METADATA", "IMAGE_ATTRIBUTES"),
             "SUN": ("IMAGE_ATTRIBUTES",) * 2, "REFLECTANCE": _RESCALING,
             "RADIANCE": _RESCALING, "K1": _TIRS, "K2": _TIRS}
_REFLECTIVE_KEYS = ("REFLECTANCE_MULT", "REFLECTANCE_ADD")
_THERMAL_KEYS = ("RADIANCE_MULT", "RADIANCE_ADD", "K1_CONSTANT", "K2_CONSTANT")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_mtl(path: str | os.PathLike) -> dict:
    """Parse a Landsat ``_MTL.txt`` into nested dicts, one per ``GROUP``; values become
    int, float or str (quotes stripped; dates and times stay str).

    Raises
    ------
    ProductFormatError
        If the file is missing or a line is not ODL ``KEY = VALUE`` / ``GROUP`` syntax.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise ProductFormatError(f"{path}: cannot read MTL metadata ({err.strerror})") from err
    root: dict = {}
    stack: list[tuple[str, dict]] = [("", root)]
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text == "END":
            break
        key, sep, value = (part.strip() for part in text.partition("="))
        if not sep or not key:
            raise ProductFormatError(f"{path}: line {number} is not KEY = VALUE: {text[:60]!r}")
        if key == "GROUP":
            group: dict = {}
            stack[-1][1][value] = group
            stack.append((value, group))
        elif key == "END_GROUP":
            if len(stack) == 1 or stack[-1][0] != value:
                raise ProductFormatError(f"{path}: line {number} closes group {value!r} but "
                                         f"the open group is {stack[-1][0] or 'none'!r}")
            stack.pop()
        else:
            stack[-1][1][key] = _value(value)
    if not root:
        raise ProductFormatError(f"{path}: no MTL groups found; expected GROUP = "
                                 "L1_METADATA_FILE or GROUP = LANDSAT_METADATA_FILE")
    return root


def _value(text: str) -> int | float | str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if _NUMBER.fullmatch(text):
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return text


def _flatten(tree: dict) -> dict:
    out: dict = {}
    for key, value in tree.items():
        for k, v in (_flatten(value) if isinstance(value, dict) else {key: value}).items():
            out.setdefault(k, v)
    return out


@dataclass
class LandsatScene(Product):
    """An opened Landsat-8/9 Level-1 scene folder (metadata parsed, bands read lazily).

    ``scene_id`` is the file-name prefix: the scene ID (``LC80420082013220LGN00``) before
    collections, the product ID (``LC08_L1TP_…_02_T1``) in Collection 1/2; ``collection`` 2
    for Collection 2, else 1; ``metadata`` every MTL key (groups flattened); ``coefficients``
    per band (M, A) of reflectance, or (M, A, K1, K2) of radiance for B10/B11.
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
        """TOA reflectance (0–1) of a reflective band, brightness temperature (K) of B10/B11;
        float32, fill (DN 0) as NaN; ``window`` is on the band's native grid."""
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

    def _reference_band(self) -> str:
        names = self.band_names
        if not names or names == ["B8"]:
            raise MissingBandError(f"{self.path}: no 30 m band file of {self.scene_id} found "
                                   f"(expected {self.scene_id}_B1.TIF … _B11.TIF)")
        return next(b for b in names if b != "B8")


def _mtl_value(meta: dict, key: str, mtl_path: Path, collection: int):
    """An MTL value, or ProductFormatError naming the key, its group and the file."""
    if key not in meta:
        groups = _GROUP_OF.get(key.split("_")[0])
        where = f" in group {groups[collection == 2]}" if groups else ""
        raise ProductFormatError(f"{mtl_path}: MTL key {key} is missing{where}")
    return meta[key]


def open_landsat_scene(folder: str | os.PathLike, check_fill: bool = True) -> LandsatScene:
    """Open a Landsat-8/9 scene folder (or its ``_MTL.txt``).

    Checks the MTL holds every calibration key and, with ``check_fill``, that the scene is
    not all fill (a decimated read of one band, a full read only if that finds no data).
    Raises :class:`ProductFormatError` (missing MTL or MTL key, unknown spacecraft, all-fill
    scene) or :class:`MissingBandError` (no 30 m band file).
    """
    folder = Path(folder)
    mtl_path = folder if folder.is_file() else _find_mtl(folder)
    folder = mtl_path.parent
    tree = parse_mtl(mtl_path)
    meta = _flatten(tree)
    collection = 2 if "LANDSAT_METADATA_FILE" in tree else 1
    prefix = mtl_path.name[: -len("_MTL.txt")]
    present = {p.name.lower(): p for p in folder.iterdir()}

    def local(name: str) -> Path:
        return present.get(name.lower(), folder / name)

    def number(name: str) -> float:
        value = _mtl_value(meta, name, mtl_path, collection)
        if not isinstance(value, (int, float)):
            raise ProductFormatError(f"{mtl_path}: MTL key {name} = {value!r} is not a number")
        return float(value)

    spacecraft = _mtl_value(meta, "SPACECRAFT_ID", mtl_path, collection)
    if spacecraft not in _SPACECRAFT:
        raise ProductFormatError(f"{mtl_path}: SPACECRAFT_ID {spacecraft!r} is not supported; "
                                 f"valid: {', '.join(_SPACECRAFT)}")
    sensor = get_sensor(_SPACECRAFT[spacecraft])
    if not 0.0 < number("SUN_ELEVATION") <= 90.0:
        raise ProductFormatError(f"{mtl_path}: SUN_ELEVATION {number('SUN_ELEVATION')} is "
                                 "outside (0, 90] degrees; TOA reflectance needs a sunlit scene")
    files = {b.name: local(meta.get(f"FILE_NAME_BAND_{b.name[1:]}", f"{prefix}_{b.name}.TIF"))
             for b in sensor.bands}
    coefficients = {b.name: tuple(number(f"{k}_BAND_{b.name[1:]}") for k in (
        _THERMAL_KEYS if b.thermal else _REFLECTIVE_KEYS)) for b in sensor.bands}
    qa = meta.get("FILE_NAME_BAND_QUALITY", meta.get("FILE_NAME_QUALITY_L1_PIXEL"))
    scene = LandsatScene(folder, sensor.key, prefix, mtl_path, collection,
                         number("SUN_ELEVATION"), meta, files, local(qa) if qa else None,
                         coefficients)
    if check_fill:
        _check_not_all_fill(scene)
    return scene


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
