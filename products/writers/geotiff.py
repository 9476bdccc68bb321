"""Write GeoTIFFs the product readers take: one multi-band file with named bands, or a
folder of single-band files named ``<ID>_B<n>[_toa].tif``.

Band names go into the band descriptions (what :func:`~crossmask.products.open_geotiff`
reads); integer data may carry a GDAL scale/offset; the sensor can be tagged as
``TARGET_SENSOR`` (as ``crossmask harmonize apply`` does).  Used by tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

__all__ = ["DEFAULT_CRS", "DEFAULT_TRANSFORM", "write_band_files", "write_named_geotiff"]

#: A UTM zone 33N grid of 30 m pixels, for fixtures that need some georeferencing.
DEFAULT_CRS = "EPSG:32633"
DEFAULT_TRANSFORM = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4600000.0)


def write_named_geotiff(path: str | Path, bands: Mapping[str, np.ndarray], *,
                        crs: str = DEFAULT_CRS, transform: Affine = DEFAULT_TRANSFORM,
                        nodata: float | None = float("nan"), scale: float | None = None,
                        sensor: str | None = None) -> Path:
    """One GeoTIFF holding ``bands`` (name → 2-D array, one dtype) in order, the names in
    the band descriptions; ``scale`` sets every band's GDAL scale (offset 0), ``sensor``
    the ``TARGET_SENSOR`` tag.  Returns the path."""
    arrays = [np.asarray(a) for a in bands.values()]
    height, width = arrays[0].shape
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height,
                       count=len(arrays), dtype=arrays[0].dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(np.stack(arrays))
        dst.descriptions = tuple(bands)
        if scale is not None:
            dst.scales = [scale] * len(arrays)
            dst.offsets = [0.0] * len(arrays)
        if sensor:
            dst.update_tags(TARGET_SENSOR=sensor)
    return path


def write_band_files(folder: str | Path, scene_id: str, bands: Mapping[str, np.ndarray], *,
                     suffix: str = "_toa", crs: str = DEFAULT_CRS,
                     transform: Affine = DEFAULT_TRANSFORM,
                     nodata: float | None = None) -> list[Path]:
    """One single-band GeoTIFF per band, ``<scene_id>_<band><suffix>.tif`` (the layout of
    TOA band folders such as rio-cloudmask's); returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for band, array in bands.items():
        array = np.asarray(array)
        path = folder / f"{scene_id}_{band}{suffix}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=array.shape[1],
                           height=array.shape[0], count=1, dtype=array.dtype, crs=crs,
                           transform=transform, nodata=nodata) as dst:
            dst.write(array, 1)
        written.append(path)
    return written
