"""Harmonise a product: resample to the target grid and adjust bands, window by window.

:func:`harmonize_window` is a pure function of one product and one window, so a scene —
or many scenes — can be mapped over a cluster unchanged; :func:`harmonize_product` loops it
over a grid and writes a tiled, compressed GeoTIFF atomically.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window
from tqdm.auto import tqdm

from crossmask import __version__
from crossmask.atomic import atomic_output, check_output_path
from crossmask.errors import InputError
from crossmask.harmonize.adjustment import BandAdjustment
from crossmask.harmonize.resample import grid_from_product, resample_window
from crossmask.harmonize.saturation import restore_window
from crossmask.products import Grid, OneGridProduct, Product
from crossmask.srf import get_sensor

__all__ = ["UINT16_SCALE", "HarmonizedProduct", "harmonize_product", "harmonize_window"]

#: Reflectance per digital number in uint16 output (DN 0 is nodata).
UINT16_SCALE = 1e-4


def harmonize_window(product: Product, adjustment: BandAdjustment, grid: Grid,
                     window: Window) -> np.ndarray:
    """Target-sensor reflectance for one window of ``grid``.

    With ``adjustment.restore_saturation``, saturated visible source bands are restored
    ("clouds are white", :mod:`crossmask.harmonize.saturation`) before the band models;
    products without saturation information are left as they are.  A ``learned``
    adjustment's generator sees the window with a margin of ``adjustment.halo`` pixels
    (clipped at the grid's edge), so windows give the whole-image result.

    Returns
    -------
    numpy.ndarray
        float32, shape (n_target_bands, rows, cols), in ``adjustment.target_bands`` order;
        NaN where any source band used is nodata.
    """
    padded, crop = _with_halo(grid, window, adjustment.halo)
    sources = {band: resample_window(product, band, grid, padded)
               for band in adjustment.source_bands}
    if adjustment.restore_saturation:
        sources = restore_window(product, sources, grid, padded)
    adjusted = adjustment.apply(sources)
    return np.stack([adjusted[band][crop] for band in adjustment.target_bands])


def _with_halo(grid: Grid, window: Window, halo: int) -> tuple[Window, tuple[slice, slice]]:
    """``window`` grown by ``halo`` pixels on each side within ``grid``, and the slices
    that cut ``window`` back out of it."""
    if halo <= 0:
        return window, (slice(None), slice(None))
    col0, row0 = max(int(window.col_off) - halo, 0), max(int(window.row_off) - halo, 0)
    col1 = min(int(window.col_off + window.width) + halo, grid.width)
    row1 = min(int(window.row_off + window.height) + halo, grid.height)
    top, left = int(window.row_off) - row0, int(window.col_off) - col0
    return (Window(col0, row0, col1 - col0, row1 - row0),
            (slice(top, top + int(window.height)), slice(left, left + int(window.width))))


class HarmonizedProduct(OneGridProduct):
    """A lazy view of ``product`` as target-sensor reflectance on ``grid``.

    Reading a band of a window harmonises that window (all target bands at once, cached for
    the next band of the same window), so models can read harmonised data window by
    window without an intermediate file.  ``seconds`` accumulates the time spent.
    """

    def __init__(self, product: Product, adjustment: BandAdjustment, grid: Grid):
        if adjustment.source != product.sensor:
            raise InputError(f"{product.path}: product is {product.sensor} but the band "
                             f"adjustment is for {adjustment.source}→{adjustment.target}")
        self.product, self.adjustment, self.grid = product, adjustment, grid
        self.path, self.sensor = product.path, adjustment.target
        self.seconds = 0.0
        self._cache: tuple[tuple, np.ndarray] | None = None

    @property
    def band_names(self) -> list[str]:
        return self.adjustment.target_bands

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        window = self.full_window(window)
        key = (window.col_off, window.row_off, window.width, window.height)
        if self._cache is None or self._cache[0] != key:
            start = time.perf_counter()
            self._cache = (key, harmonize_window(self.product, self.adjustment, self.grid,
                                                 window))
            self.seconds += time.perf_counter() - start
        return self._cache[1][self.adjustment.target_bands.index(name)]


def harmonize_product(product: Product, adjustment: BandAdjustment, output: str | Path,
                      grid: Grid | None = None, resolution: float = 30.0,
                      dtype: str = "float32", window_size: int = 1024, workers: int = 2,
                      overwrite: bool = False, progress: bool = True,
                      tags: dict | None = None) -> Path:
    """Write ``product`` as target-sensor reflectance on ``grid`` (default: 30 m, own CRS).

    Parameters
    ----------
    dtype : {"float32", "uint16"}
        float32 reflectance 0–1 (nodata NaN) or uint16 scaled by :data:`UINT16_SCALE`
        (nodata 0; the scale is in the band metadata).
    window_size : int
        Output window edge in pixels; bounds memory (≈ bands × window² × 4 bytes × 9).
    workers : int
        Windows processed concurrently (GDAL decodes in threads).
    tags : dict, optional
        Extra dataset metadata for the output.

    Raises
    ------
    InputError, MissingBandError, ProductFormatError, OutputExistsError
        Before anything is written; no partial output is ever left at ``output``.
    """
    if dtype not in ("float32", "uint16"):
        raise InputError(f"output dtype must be float32 or uint16, not {dtype!r}")
    if adjustment.source != product.sensor:
        raise InputError(f"{product.path}: product is {product.sensor} but the band adjustment "
                         f"is for {adjustment.source}→{adjustment.target}")
    check_output_path(output, overwrite)
    product.check_bands(adjustment.source_bands)
    grid = grid or grid_from_product(product, resolution)
    windows = list(grid.windows(window_size))
    with atomic_output(output, overwrite) as tmp:
        with rasterio.open(tmp, "w", **_profile(grid, len(adjustment.target_bands), dtype,
                                                window_size)) as dst:
            _describe(dst, product, adjustment, dtype)
            dst.update_tags(**(tags or {}))
            with ThreadPoolExecutor(max(1, workers)) as pool:
                results = pool.map(lambda w: harmonize_window(product, adjustment, grid, w),
                                   windows)
                for window, block in tqdm(zip(windows, results), total=len(windows),
                                          desc="harmonise", unit="window",
                                          disable=None if progress else True):
                    dst.write(_encode(block, dtype), window=window)
    return Path(output)


def _profile(grid: Grid, count: int, dtype: str, window_size: int) -> dict:
    """Tiled (512 px blocks, 256 px below 512 px), deflate-compressed, band-interleaved."""
    block = 512 if min(grid.width, grid.height) >= 512 else 256
    return dict(driver="GTiff", width=grid.width, height=grid.height, count=count,
                dtype=dtype, crs=grid.crs, transform=grid.transform,
                nodata=float("nan") if dtype == "float32" else 0, compress="deflate",
                predictor=3 if dtype == "float32" else 2, interleave="band",
                bigtiff="if_safer", zlevel=1, tiled=True, blockxsize=block, blockysize=block)


def _describe(dst, product: Product, adjustment: BandAdjustment, dtype: str) -> None:
    target = get_sensor(adjustment.target)
    dst.update_tags(SOURCE_PRODUCT=str(product.path), SOURCE_SENSOR=product.sensor,
                    TARGET_SENSOR=adjustment.target, HARMONIZATION_METHOD=adjustment.method,
                    SATURATION_RESTORED=str(bool(adjustment.restore_saturation)).lower(),
                    REFLECTANCE="top-of-atmosphere, 0-1", SOFTWARE=f"crossmask {__version__}")
    scale = UINT16_SCALE if dtype == "uint16" else 1.0
    for i, name in enumerate(adjustment.target_bands, start=1):
        band = target.band(name)
        dst.set_band_description(i, name)
        dst.update_tags(i, name=name, common_name=band.common_name,
                        center_wavelength_nm=f"{band.center:.1f}", scale_factor=str(scale))
    if dtype == "uint16":
        dst.scales = [UINT16_SCALE] * dst.count
        dst.offsets = [0.0] * dst.count


def _encode(block: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "float32":
        return block.astype(np.float32, copy=False)
    scaled = np.rint(np.clip(block, UINT16_SCALE, 65535 * UINT16_SCALE) / UINT16_SCALE)
    return np.where(np.isnan(block), 0, scaled).astype(np.uint16)
