"""The PROBA-V HDF5 layout as data, and h5py reads that name the file on error.

Shared by the readers (:mod:`~crossmask.products.probav`,
:mod:`~crossmask.products.probav_l1c`) and the writer
(:mod:`crossmask.products.writers.probav`).  Sources of each fact (VITO's Matlab reader,
ESA SNAP's PROBA-V readers, IPL-UV's L2A reader; all citing the PROBA-V Products User
Manual, whose body tables could not be read here):

* TOA reflectance = (DN − ``OFFSET``) / ``SCALE`` (attributes of each ``TOA`` dataset;
  int16, SCALE 2000, OFFSET 0 in every product seen); DN −1 is no-data.
* Status map ``QUALITY/SM`` (L2A, L3): bits 0–2 one enumerated field (0 clear, 1 shadow,
  2 undefined, 3 cloud, 4 snow/ice), bit 3 land, bits 4–7 radiometric quality good for
  SWIR, NIR, RED, BLUE, bits 8–11 (L2A only) the same bands observed.
* Regular lat/lon grids of 1/1008° (100M), 1/336° (333M) and 1/112° (1KM).
* Level-1C ``Q`` layer: enumerated values, 5 = missing (bad detector) (ESA's 2015
  experimental L1C reader only).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import InputError, MissingBandError, ProductFormatError, UnscaledDataError

__all__ = ["BANDS", "GRID_STEPS", "L1C_MISSING", "L1C_SWIR_STRIPS", "NO_DATA",
           "SM_CLASSES", "SM_COVERAGE_BIT", "SM_QUALITY_BIT", "TOA_SCALE", "dataset",
           "name_fields", "open_h5", "read_block", "scale_offset", "text_attr", "window_slices"]

#: The four bands, in the order crossmask lists them.
BANDS = ("BLUE", "RED", "NIR", "SWIR")
#: Grid step in degrees of each product resolution (file-name token).
GRID_STEPS = {"100M": 1.0 / 1008.0, "333M": 1.0 / 336.0, "1KM": 1.0 / 112.0}
#: No-data DN of the radiometry datasets.
NO_DATA = -1
#: DN per unit TOA reflectance in VITO's products.
TOA_SCALE = 2000.0
#: Status-map bit saying a band's radiometric quality is good (1) / bad (0).
SM_QUALITY_BIT = {"SWIR": 4, "NIR": 5, "RED": 6, "BLUE": 7}
#: Status-map bit (L2A only) saying a band was observed (1) / not covered (0).
SM_COVERAGE_BIT = {"SWIR": 8, "NIR": 9, "RED": 10, "BLUE": 11}
#: Status-map bits 0–2 (``SM & 0b111``) → VITO's class.
SM_CLASSES = {0: "clear", 1: "shadow", 2: "undefined", 3: "cloud", 4: "snow/ice"}
#: Level-1C ``Q`` value of a missing (bad-detector) pixel, read as NaN.
L1C_MISSING = 5
#: Level-1C SWIR strips: the SWIR detector has three, each with its own raster.
L1C_SWIR_STRIPS = ("SWIR1", "SWIR2", "SWIR3")

_NAME = re.compile(r"PROBAV_(?:(?P<level>L1C|L2A)_\d{8}_\d{6}_(?P<camera>\d)"
                   r"|(?P<synthesis>S1|S5|S10)_(?P<kind>TOA|TOC)_X\d\dY\d\d_\d{8})"
                   r"(?:_(?P<resolution>100M|333M|1KM))?_V\d{3}", re.IGNORECASE)


def name_fields(path: Path) -> dict[str, str]:
    """What a VITO file name says: ``level`` (L1C, L2A, or S1/S5/S10), ``camera`` digit,
    ``kind`` (TOA/TOC) and ``resolution`` token, where present; ``{}`` for other names."""
    match = _NAME.search(Path(path).name)
    if not match:
        return {}
    found = {k: v.upper() for k, v in match.groupdict().items() if v}
    if "synthesis" in found:
        found["level"] = found.pop("synthesis")
    return found


def open_h5(path: Path):
    """Open an HDF5 file read-only (h5py imported here).

    Raises
    ------
    ProductFormatError
        If the file is missing, truncated or not HDF5.
    """
    import h5py

    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as err:
        raise ProductFormatError(f"{path}: cannot open as a PROBA-V HDF5 product "
                                 f"({_first_line(err)})") from err


def dataset(h5, name: str, path: Path, band: str | None = None):
    """The dataset ``name`` of an open file.

    Raises
    ------
    MissingBandError
        If it is absent (naming ``band`` when it holds one).
    """
    obj = h5.get(name)
    if obj is None or not hasattr(obj, "shape"):
        what = f"band {band}: " if band else ""
        raise MissingBandError(f"{path}: {what}dataset {name} is missing")
    return obj


def text_attr(obj, key: str) -> str | list[str] | None:
    """An attribute as text (a list for arrays of strings), None when absent."""
    if key not in obj.attrs:
        return None
    value = obj.attrs[key]
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value.ravel()]
    return value.decode() if isinstance(value, bytes) else str(value)


def scale_offset(ds, path: Path) -> tuple[float, float]:
    """(SCALE, OFFSET) of a radiometry dataset: reflectance = (DN − OFFSET) / SCALE.

    Raises
    ------
    UnscaledDataError
        If SCALE is missing, zero or not a number.
    """
    try:
        scale = float(np.ravel(ds.attrs["SCALE"])[0])
        offset = float(np.ravel(ds.attrs.get("OFFSET", 0.0))[0])
    except (KeyError, ValueError, TypeError, IndexError) as err:
        raise UnscaledDataError(f"{path}: {ds.name} has no numeric SCALE attribute; PROBA-V "
                                "TOA datasets carry SCALE (2000) and OFFSET (0)") from err
    if not np.isfinite(scale) or scale == 0.0:
        raise UnscaledDataError(f"{path}: {ds.name} has SCALE {scale}; expected e.g. 2000")
    return scale, offset


def window_slices(window: Window | None, shape: tuple[int, int], path: Path
                  ) -> tuple[slice, slice]:
    """Row and column slices of ``window`` (None: all), which must lie inside ``shape``."""
    if window is None:
        return slice(0, shape[0]), slice(0, shape[1])
    (r0, r1), (c0, c1) = ((round(a), round(b)) for a, b in window.toranges())
    if r0 < 0 or c0 < 0 or r1 > shape[0] or c1 > shape[1] or r1 < r0 or c1 < c0:
        raise InputError(f"{path}: window {window} lies outside the {shape[0]}×{shape[1]} "
                         "pixel product")
    return slice(r0, r1), slice(c0, c1)


def read_block(ds, rows: slice, cols: slice, path: Path) -> np.ndarray:
    """``ds[rows, cols]``, a truncated or corrupt file raising ProductFormatError."""
    try:
        return np.asarray(ds[rows, cols])
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        raise ProductFormatError(f"{path}: cannot read {ds.name} ({_first_line(err)}); the "
                                 "file may be truncated") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
