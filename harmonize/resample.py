"""Bring bands of any native resolution onto a target grid, one window at a time.

Area averaging (GDAL's ``average`` resampling through :func:`rasterio.warp.reproject`,
which weights partially covered source pixels by area): 10 m → 30 m averages 3 × 3
pixels, 20 m → 30 m is the area-weighted average and 60 m pixels are replicated.
"""

from __future__ import annotations

import math

import numpy as np
import rasterio.windows
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from crossmask.errors import InputError
from crossmask.products import Grid, Product, read_grid

__all__ = ["grid_from_product", "grid_from_raster", "resample_window"]


def grid_from_product(product: Product, resolution: float = 30.0,
                      reference_band: str | None = None) -> Grid:
    """A grid of ``resolution`` m covering the product, on its own CRS and origin.

    A Sentinel-2 tile (109.8 km) gives 3660 × 3660 pixels at 30 m.  A product on a
    geographic CRS (PROBA-V's lat/lon lattice) keeps its own grid: a metre resolution
    means nothing there (pass a raster with ``--like`` to reproject).
    """
    band = reference_band or product.band_names[0]
    ref = product.band_grid(band)
    if ref.crs and ref.crs.is_geographic:
        return ref
    if not ref.crs or not (ref.crs.is_projected or ref.crs.units_factor[0] == "metre"):
        raise InputError(f"{product.path}: band {band} has no projected CRS; cannot derive a "
                         f"{resolution:g} m grid")
    west, south, east, north = ref.bounds
    width = math.ceil(round((east - west) / resolution, 6))
    height = math.ceil(round((north - south) / resolution, 6))
    transform = rasterio.transform.from_origin(west, north, resolution, resolution)
    return Grid(ref.crs, transform, width, height)


def grid_from_raster(path) -> Grid:
    """The grid of an existing raster (e.g. a Landsat scene band to co-register with)."""
    return read_grid(path)


def resample_window(product: Product, band: str, grid: Grid, window: Window) -> np.ndarray:
    """Read one band of ``product`` and area-average it into ``window`` of ``grid``.

    Only the source pixels under the window (plus a one-pixel margin) are read.  Pixels
    outside the band's footprint or entirely nodata are NaN.
    """
    src = product.band_grid(band)
    dst_transform = grid.window_transform(window)
    out = np.full((int(window.height), int(window.width)), np.nan, dtype=np.float32)
    bounds = rasterio.windows.bounds(window, grid.transform)
    same_crs = src.crs == grid.crs
    if not same_crs:
        bounds = transform_bounds(grid.crs, src.crs, *bounds, densify_pts=21)
    src_window = _covering_window(src, bounds, margin=0 if same_crs else 1)
    if src_window is None:
        return out
    data = product.read(band, src_window)
    reproject(data, out, src_transform=src.window_transform(src_window), src_crs=src.crs,
              src_nodata=np.nan, dst_transform=dst_transform, dst_crs=grid.crs,
              dst_nodata=np.nan, resampling=Resampling.average)
    return out


def _covering_window(grid: Grid, bounds: tuple[float, float, float, float],
                     margin: int) -> Window | None:
    """Integer window of ``grid`` covering ``bounds`` plus ``margin`` pixels, or None.

    Windows aligned with the source pixels need no margin, so tiled (JPEG 2000) sources
    decode no tile more than needed.
    """
    win = rasterio.windows.from_bounds(*bounds, transform=grid.transform)
    col0 = max(math.floor(win.col_off + 1e-6) - margin, 0)
    row0 = max(math.floor(win.row_off + 1e-6) - margin, 0)
    col1 = min(math.ceil(win.col_off + win.width - 1e-6) + margin, grid.width)
    row1 = min(math.ceil(win.row_off + win.height - 1e-6) + margin, grid.height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)
