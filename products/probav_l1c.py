"""PROBA-V Level-1C segments: TOA reflectance in raw sensor geometry, warped window by
window onto a regular lat/lon grid through their latitude/longitude tie points.

Layout read (``PROBAV_L1C_<date>_<time>_<cam>_V<nnn>.HDF5``; from ESA's 2015 BEAM reader,
the only public description found — **unverified on a real file**)::

    /LEVEL1A/                          (raw data; not read)
    /LEVEL1B/<BAND>/LT1, /LN1          latitude / longitude tie points (float, degrees)
    /LEVEL1C/<BAND>/TOA                int16 TOA reflectance, attrs SCALE, OFFSET
    /LEVEL1C/<BAND>/Q                  uint8 quality value (5 = missing: read as NaN)

with ``<BAND>`` BLUE, RED, NIR (one VNIR raster each) and SWIR1, SWIR2, SWIR3 (the SWIR
detector's three strips, each its own raster and tie points, at about half the VNIR
sampling).  Assumed, because no specification says otherwise: the tie points span their
raster evenly from the first to the last pixel centre (ESA's reader used every 8th pixel,
which agrees within a fraction of a pixel), and DN −1 is no-data as in Level-2A.

**What crossmask does with it.**  Every band is a view on one regular EPSG:4326 grid
(default step: the PROBA-V lattice step nearest the raw VNIR pixel spacing, e.g. 1/1008°
for the centre camera's 100 m; its bounds cover all tie points).
Reading a window of that grid reads only the raw rows and columns whose tie points fall
near it, densifies the tie points bilinearly to per-pixel corner coordinates and warps the
block with GDAL's geolocation-array transformer (:func:`rasterio.warp.reproject`,
``src_geoloc_array``), area-averaging (``average``) onto the window.  SWIR is the mean of
the strips that cover a pixel.  This is an approximation of VITO's own Level-2A
projection (no terrain, no per-detector view geometry); a segment crossing the
antimeridian is not supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window
from rasterio.windows import bounds as window_bounds

from crossmask.errors import ProductFormatError
from crossmask.products import probav_format as fmt
from crossmask.products.grid import Grid
from crossmask.products.product import OneGridProduct

__all__ = ["L1C_GROUPS", "L1CStrip", "ProbaVL1CProduct", "lattice_grid", "open_probav_l1c"]

#: Raster groups below LEVEL1C (and tie-point groups below LEVEL1B) per band.
L1C_GROUPS = {"BLUE": ("BLUE",), "RED": ("RED",), "NIR": ("NIR",),
              "SWIR": fmt.L1C_SWIR_STRIPS}
_WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class L1CStrip:
    """One raw raster: its TOA and Q datasets, tie-point datasets, sizes and scale."""

    group: str
    shape: tuple[int, int]
    tie_shape: tuple[int, int]
    scale: tuple[float, float]

    @property
    def toa(self) -> str:
        return f"/LEVEL1C/{self.group}/TOA"

    @property
    def quality(self) -> str:
        return f"/LEVEL1C/{self.group}/Q"

    def ties(self, coordinate: str) -> str:
        """Tie-point dataset of ``"lat"`` (LT1) or ``"lon"`` (LN1)."""
        return f"/LEVEL1B/{self.group}/{'LT1' if coordinate == 'lat' else 'LN1'}"

    @property
    def factors(self) -> tuple[float, float]:
        """Raw pixels per tie-point step (rows, columns)."""
        return ((self.shape[0] - 1) / (self.tie_shape[0] - 1),
                (self.shape[1] - 1) / (self.tie_shape[1] - 1))


@dataclass
class ProbaVL1CProduct(OneGridProduct):
    """A Level-1C segment seen on the regular lat/lon ``grid`` (see the module notes)."""

    path: Path
    sensor: str
    grid: Grid
    strips: dict[str, tuple[L1CStrip, ...]]
    info: dict = field(default_factory=dict)
    level: str = "L1C"
    _ties: dict = field(default_factory=dict, repr=False)

    @property
    def band_names(self) -> list[str]:
        return list(self.strips)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        window = self.full_window(window)
        fmt.window_slices(window, self.grid.shape, self.path)
        shape = (int(window.height), int(window.width))
        total, count = np.zeros(shape, np.float64), np.zeros(shape, np.int32)
        with fmt.open_h5(self.path) as h5:
            for strip in self.strips[name]:
                part = self._warp(h5, strip, window, shape)
                if part is not None:
                    ok = np.isfinite(part)
                    total[ok] += part[ok]
                    count += ok
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, np.nan).astype(np.float32)

    def identity(self) -> dict:
        return {**super().identity(), "level": self.level, "grid": [
            self.grid.transform[:6], self.grid.width, self.grid.height]}

    def _tie_points(self, h5, strip: L1CStrip) -> tuple[np.ndarray, np.ndarray, float]:
        """Latitude, longitude tie points (degrees) and a margin of two tie steps."""
        if strip.group not in self._ties:
            lat = fmt.read_block(fmt.dataset(h5, strip.ties("lat"), self.path), slice(None),
                                 slice(None), self.path).astype(np.float64)
            lon = fmt.read_block(fmt.dataset(h5, strip.ties("lon"), self.path), slice(None),
                                 slice(None), self.path).astype(np.float64)
            steps = [np.abs(np.diff(a, axis=k)).max() for a in (lat, lon) for k in (0, 1)]
            self._ties[strip.group] = (lat, lon, 2.0 * float(max(steps)))
        return self._ties[strip.group]

    def _warp(self, h5, strip: L1CStrip, window: Window, shape: tuple[int, int]
              ) -> np.ndarray | None:
        """One raw raster area-averaged onto ``window``; None where it does not reach."""
        lat, lon, margin = self._tie_points(h5, strip)
        west, south, east, north = window_bounds(window, self.grid.transform)
        near = ((lon >= west - margin) & (lon <= east + margin)
                & (lat >= south - margin) & (lat <= north + margin))
        if not near.any():
            return None
        ti, tj = np.nonzero(near)
        (fy, fx), (rows, cols) = strip.factors, strip.shape
        r0, r1 = max(math.floor((ti.min() - 1) * fy), 0), min(math.ceil((ti.max() + 1) * fy) + 1, rows)
        c0, c1 = max(math.floor((tj.min() - 1) * fx), 0), min(math.ceil((tj.max() + 1) * fx) + 1, cols)
        block = (slice(r0, r1), slice(c0, c1))
        toa = fmt.dataset(h5, strip.toa, self.path)
        dn = fmt.read_block(toa, *block, self.path)
        refl = (dn.astype(np.float32) - np.float32(strip.scale[1])) / np.float32(strip.scale[0])
        bad = dn == fmt.NO_DATA
        if strip.quality in h5:
            bad |= fmt.read_block(h5[strip.quality], *block, self.path) == fmt.L1C_MISSING
        refl[bad] = np.nan
        geoloc = _corner_coordinates(lat, lon, strip.factors, block)
        out = np.full(shape, np.nan, np.float32)
        reproject(refl, out, src_geoloc_array=geoloc, src_crs=_WGS84, src_nodata=np.nan,
                  dst_transform=self.grid.window_transform(window), dst_crs=_WGS84,
                  dst_nodata=np.nan, resampling=Resampling.average)
        return out


def _corner_coordinates(lat: np.ndarray, lon: np.ndarray, factors: tuple[float, float],
                        block: tuple[slice, slice]) -> np.ndarray:
    """(2, rows, cols) longitude, latitude of the top-left corner of each raw pixel of
    ``block`` (GDAL's geolocation convention), bilinear in the tie points, extrapolated
    linearly half a pixel beyond the first pixel centres."""
    from scipy.interpolate import RegularGridInterpolator

    rows = (np.arange(block[0].start, block[0].stop) - 0.5) / factors[0]
    cols = (np.arange(block[1].start, block[1].stop) - 0.5) / factors[1]
    axes = (np.arange(lat.shape[0], dtype=float), np.arange(lat.shape[1], dtype=float))
    points = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1)
    out = [RegularGridInterpolator(axes, values, bounds_error=False, fill_value=None)(points)
           for values in (lon, lat)]
    return np.stack(out)


def open_probav_l1c(path: str | Path, sensor: str = "PROBAV",
                    step: float | None = None) -> ProbaVL1CProduct:
    """Open a Level-1C segment as a product on a regular lat/lon grid of ``step`` degrees,
    aligned to the global PROBA-V lattice (default: the lattice step — 1/1008°, 1/336° or
    1/112° — nearest the raw VNIR pixel spacing at the segment's middle).

    Raises
    ------
    MissingBandError
        A band's TOA dataset or tie points are missing.
    UnscaledDataError
        A TOA dataset without SCALE.
    ProductFormatError
        Truncated file, tie-point grids smaller than 2 × 2 or unlike each other.
    """
    path = Path(path)
    strips, extent = {}, [np.inf, np.inf, -np.inf, -np.inf]
    with fmt.open_h5(path) as h5:
        for band, groups in L1C_GROUPS.items():
            strips[band] = tuple(_strip(h5, group, band, path) for group in groups)
            for strip in strips[band]:
                lat = np.asarray(h5[strip.ties("lat")], np.float64)
                lon = np.asarray(h5[strip.ties("lon")], np.float64)
                extent = [min(extent[0], lon.min()), min(extent[1], lat.min()),
                          max(extent[2], lon.max()), max(extent[3], lat.max())]
        step = float(step or _nearest_step(h5, strips["RED"][0]))
    return ProbaVL1CProduct(path, sensor, lattice_grid(extent, step), strips,
                            fmt.name_fields(path))


def _nearest_step(h5, strip: L1CStrip) -> float:
    """The PROBA-V lattice step (1/1008°, 1/336° or 1/112°) nearest the raw pixel spacing
    at the middle of ``strip`` (degrees, the larger of the along- and across-track
    spacings): 100 m for the centre camera's nadir, coarser towards the swath edges."""
    lat = np.asarray(h5[strip.ties("lat")], np.float64)
    lon = np.asarray(h5[strip.ties("lon")], np.float64)
    i, j = lat.shape[0] // 2, lat.shape[1] // 2
    i, j = min(i, lat.shape[0] - 2), min(j, lat.shape[1] - 2)
    (fy, fx) = strip.factors
    along = math.hypot(lat[i + 1, j] - lat[i, j], lon[i + 1, j] - lon[i, j]) / fy
    across = math.hypot(lat[i, j + 1] - lat[i, j], lon[i, j + 1] - lon[i, j]) / fx
    spacing = max(along, across)
    return min(fmt.GRID_STEPS.values(), key=lambda s: abs(math.log(s / spacing)))


def _strip(h5, group: str, band: str, path: Path) -> L1CStrip:
    toa = fmt.dataset(h5, f"/LEVEL1C/{group}/TOA", path, band)
    ties = [fmt.dataset(h5, f"/LEVEL1B/{group}/{n}", path, band) for n in ("LT1", "LN1")]
    if ties[0].shape != ties[1].shape or len(ties[0].shape) != 2 or min(ties[0].shape) < 2:
        raise ProductFormatError(f"{path}: tie points of {group} are {ties[0].shape} (LT1) and "
                                 f"{ties[1].shape} (LN1); expected two equal grids of at least "
                                 "2 × 2")
    if len(toa.shape) != 2:
        raise ProductFormatError(f"{path}: {toa.name} is {toa.shape}; expected 2-D")
    return L1CStrip(group, tuple(toa.shape), tuple(ties[0].shape), fmt.scale_offset(toa, path))


def lattice_grid(extent, step: float, inside: bool = False) -> Grid:
    """The EPSG:4326 grid of ``step`` degrees, aligned to multiples of ``step`` from
    (−180°, 90°), covering ``extent`` (west, south, east, north in degrees) or, with
    ``inside``, the largest such grid within it."""
    west, south, east, north = (float(v) for v in extent)
    snap_w, snap_n = (math.ceil, math.ceil) if inside else (math.floor, math.floor)
    west = -180.0 + snap_w(round((west + 180.0) / step, 6)) * step
    north = 90.0 - snap_n(round((90.0 - north) / step, 6)) * step
    size = math.floor if inside else math.ceil
    width = max(size(round((east - west) / step, 6)), 1)
    height = max(size(round((north - south) / step, 6)), 1)
    return Grid(_WGS84, Affine(step, 0.0, west, 0.0, -step, north), width, height)
