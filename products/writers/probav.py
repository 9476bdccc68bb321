"""Write small PROBA-V products in VITO's HDF5 layout (h5py): Level-2A segments and
Level-3 S1 TOA syntheses on a regular lat/lon grid, and Level-1C segments in raw
geometry with latitude/longitude tie points — the layouts
:mod:`crossmask.products.probav` and :mod:`crossmask.products.probav_l1c` read (and
document, with what is verified and what is assumed).  For tests and the demo.

Reflectance arrays are float TOA reflectance 0–1 with NaN fill; they are stored as int16
DN = round(ρ · 2000) (no-data −1).  Files are written atomically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from crossmask.atomic import atomic_output
from crossmask.errors import InputError
from crossmask.products import Grid
from crossmask.products.probav_format import (
    BANDS,
    L1C_SWIR_STRIPS,
    NO_DATA,
    SM_COVERAGE_BIT,
    SM_QUALITY_BIT,
    TOA_SCALE,
)

__all__ = ["affine_tie_points", "status_map", "toa_dn", "write_probav_l1c",
           "write_probav_l2a"]

_WKT = CRS.from_epsg(4326).to_wkt()


def toa_dn(reflectance: np.ndarray) -> np.ndarray:
    """int16 DN = round(ρ · 2000), NaN → −1 (reflectance clipped to the int16 range)."""
    refl = np.asarray(reflectance, np.float64)
    dn = np.clip(np.round(np.nan_to_num(refl) * TOA_SCALE), 0, 32767)
    return np.where(np.isnan(refl), NO_DATA, dn).astype(np.int16)


def status_map(bands: Mapping[str, np.ndarray], classes: np.ndarray | None = None,
               coverage: bool = True) -> np.ndarray:
    """The ``SM`` layer: class codes 0–4 in bits 0–2 (default 0, clear), land (bit 3)
    set, each band's quality bit (4–7) and, with ``coverage`` (Level-2A), its coverage bit
    (8–11) set where the band is finite.  uint16."""
    shape = next(iter(bands.values())).shape
    sm = np.full(shape, 1 << 3, np.uint16)
    if classes is not None:
        sm |= np.asarray(classes, np.uint16) & 0b111
    for band, values in bands.items():
        valid = np.isfinite(values).astype(np.uint16)
        sm |= valid << SM_QUALITY_BIT[band]
        if coverage:
            sm |= valid << SM_COVERAGE_BIT[band]
    return sm


def write_probav_l2a(folder: str | Path, bands: Mapping[str, np.ndarray], grid: Grid,
                     classes: np.ndarray | None = None, level: str = "L2A",
                     resolution: str = "333M", date: str = "20160101",
                     time: str = "000000", camera: int = 2, version: str = "V101",
                     overwrite: bool = False) -> Path:
    """Write a Level-2A segment (``level="L2A"``) or Level-3 S1 TOA synthesis (``"L3"``).

    Parameters
    ----------
    bands : mapping
        BLUE, RED, NIR, SWIR float TOA reflectance on ``grid`` (NaN fill).
    grid : Grid
        Its EPSG:4326 grid (north-up; the MAPPING attribute names the first pixel's
        centre).
    classes : array, optional
        Status-map class codes (0 clear, 1 shadow, 3 cloud, 4 snow/ice).
    resolution : {"100M", "333M", "1KM"}
        The file-name token.

    Returns
    -------
    Path
        ``PROBAV_L2A_<date>_<time>_<camera>_<resolution>_<version>.HDF5`` or
        ``PROBAV_S1_TOA_X<xx>Y<yy>_<date>_<resolution>_<version>.HDF5`` in ``folder``.
    """
    if level not in ("L2A", "L3") or sorted(bands) != sorted(BANDS):
        raise InputError(f"level {level!r}, bands {sorted(bands)}: write L2A or L3 with "
                         f"bands {', '.join(BANDS)}")
    t = grid.transform
    if grid.crs.to_epsg() != 4326 or t.b or t.d:
        raise InputError("a PROBA-V Level-2A/3 grid is north-up EPSG:4326")
    if level == "L2A":
        name = f"PROBAV_L2A_{date}_{time}_{camera}_{resolution}_{version}.HDF5"
    else:
        tile = f"X{math.floor((t.c + 180) / 10):02d}Y{math.floor((75 - t.f) / 10):02d}"
        name = f"PROBAV_S1_TOA_{tile}_{date}_{resolution}_{version}.HDF5"
    path = Path(folder) / name
    root = "LEVEL2A" if level == "L2A" else "LEVEL3"
    mapping = ["Geographic Lat/Lon", "0.5", "0.5", repr(t.c + t.a / 2), repr(t.f + t.e / 2),
               repr(t.a), repr(-t.e), "WGS84", "Degrees"]
    with atomic_output(path, overwrite) as tmp:
        import h5py

        with h5py.File(tmp, "w") as h5:
            _root_attrs(h5, date, time, f"PROBA-V {level} TOA")
            geometry = h5.create_group(f"{root}/GEOMETRY")
            _corners(geometry, grid)
            for angle in ("SAA", "SZA", "VNIR/VAA", "VNIR/VZA", "SWIR/VAA", "SWIR/VZA"):
                geometry.create_dataset(angle, data=np.full(grid.shape, 40, np.uint8))
            sm = status_map(bands, classes, coverage=level == "L2A")
            h5.create_dataset(f"{root}/QUALITY/SM", data=sm if level == "L2A"
                              else sm.astype(np.uint8), compression="gzip")
            for band in sorted(BANDS):  # VITO stores the groups alphabetically
                _toa(h5, f"{root}/RADIOMETRY/{band}/TOA", bands[band], mapping)
    return path


def affine_tie_points(transform: Affine, shape: tuple[int, int], every: int = 8
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude tie points (float32) of a raw raster whose pixel centres
    follow the (possibly rotated) EPSG:4326 ``transform``: one every ``every`` pixels,
    spanning the first to the last pixel centre evenly."""
    rows = np.linspace(0, shape[0] - 1, max(math.ceil((shape[0] - 1) / every), 1) + 1)
    cols = np.linspace(0, shape[1] - 1, max(math.ceil((shape[1] - 1) / every), 1) + 1)
    r, c = np.meshgrid(rows + 0.5, cols + 0.5, indexing="ij")
    lon, lat = transform @ (c, r)
    return lat.astype(np.float32), lon.astype(np.float32)


def write_probav_l1c(folder: str | Path, rasters: Mapping[str, np.ndarray],
                     ties: Mapping[str, tuple[np.ndarray, np.ndarray]],
                     quality: Mapping[str, np.ndarray] | None = None, date: str = "20160101",
                     time: str = "000000", camera: int = 2, version: str = "V101",
                     overwrite: bool = False) -> Path:
    """Write a Level-1C segment ``PROBAV_L1C_<date>_<time>_<camera>_<version>.HDF5``.

    ``rasters`` holds float TOA reflectance in raw geometry for BLUE, RED, NIR and the
    SWIR strips SWIR1–SWIR3; ``ties`` each raster's (latitude, longitude) tie points
    (e.g. :func:`affine_tie_points`); ``quality`` optional ``Q`` values (default 6,
    correct; 5, missing, where the raster is NaN).
    """
    groups = ("BLUE", "RED", "NIR", *L1C_SWIR_STRIPS)
    if sorted(rasters) != sorted(groups) or sorted(ties) != sorted(groups):
        raise InputError(f"rasters {sorted(rasters)} / ties {sorted(ties)}: a Level-1C "
                         f"segment holds {', '.join(groups)}")
    path = Path(folder) / f"PROBAV_L1C_{date}_{time}_{camera}_{version}.HDF5"
    with atomic_output(path, overwrite) as tmp:
        import h5py

        with h5py.File(tmp, "w") as h5:
            _root_attrs(h5, date, time, "PROBA-V L1C segment")
            h5.create_group("LEVEL1A")
            for group in sorted(groups):
                lat, lon = ties[group]
                h5.create_dataset(f"LEVEL1B/{group}/LT1", data=np.asarray(lat, np.float32))
                h5.create_dataset(f"LEVEL1B/{group}/LN1", data=np.asarray(lon, np.float32))
                _toa(h5, f"LEVEL1C/{group}/TOA", rasters[group], None)
                q = (quality or {}).get(group)
                q = np.where(np.isnan(rasters[group]), 5, 6) if q is None else q
                h5.create_dataset(f"LEVEL1C/{group}/Q", data=np.asarray(q, np.uint8),
                                  compression="gzip")
    return path


def _root_attrs(h5, date: str, time: str, description: str) -> None:
    day = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    clock = f"{time[:2]}:{time[2:4]}:{time[4:]}"
    h5.attrs.update({"MAP_PROJECTION_WKT": _WKT, "OBSERVATION_START_DATE": day,
                     "OBSERVATION_START_TIME": clock, "OBSERVATION_END_DATE": day,
                     "OBSERVATION_END_TIME": clock, "DESCRIPTION": description})


def _corners(geometry, grid: Grid) -> None:
    """Corner pixel centres, as ESA SNAP reads them."""
    t, (rows, cols) = grid.transform, grid.shape
    geometry.attrs.update({
        "TOP_LEFT_LONGITUDE": t.c + t.a / 2, "TOP_LEFT_LATITUDE": t.f + t.e / 2,
        "TOP_RIGHT_LONGITUDE": t.c + t.a * (cols - 0.5),
        "BOTTOM_LEFT_LATITUDE": t.f + t.e * (rows - 0.5)})


def _toa(h5, name: str, reflectance: np.ndarray, mapping: list[str] | None) -> None:
    ds = h5.create_dataset(name, data=toa_dn(reflectance), compression="gzip")
    ds.attrs["SCALE"] = np.array([TOA_SCALE], np.float32)
    ds.attrs["OFFSET"] = np.array([0.0], np.float32)
    ds.attrs["DESCRIPTION"] = "Top of atmosphere reflectance"
    if mapping is not None:
        ds.attrs["MAPPING"] = np.array(mapping, dtype="S")
