"""Plain multi-band GeoTIFFs with named bands.

Band names come from the band descriptions (``B2``, ``B8A``, or common names such as
``blue``/``nir08``) or are given explicitly.  Integer data are scaled with the bands'
GDAL scale/offset (e.g. crossmask's uint16 output, scale 0.0001); float data are taken as
reflectance 0–1.  Pixels equal to the nodata value (or NaN) read as NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import ProductFormatError, UnknownNameError, UnscaledDataError
from crossmask.products.grid import Grid, read_window
from crossmask.products.product import OneGridProduct
from crossmask.srf import get_sensor

__all__ = ["GeoTiffProduct", "gdal_scale", "open_geotiff", "sensor_tag"]


@dataclass
class GeoTiffProduct(OneGridProduct):
    """A GeoTIFF whose bands map to a registered sensor's band names."""

    path: Path
    sensor: str
    indexes: dict[str, int]
    grid: Grid
    scales: dict[str, tuple[float, float]]
    nodata: float | None

    @property
    def band_names(self) -> list[str]:
        return list(self.indexes)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        raw = read_window(self.path, self.indexes[name], window)
        scale, offset = self.scales[name]
        refl = raw.astype(np.float32) * np.float32(scale) + np.float32(offset)
        if self.nodata is not None and not np.isnan(self.nodata):
            refl[raw == self.nodata] = np.nan
        return refl

    def source_files(self) -> list[Path]:
        return [Path(self.path)]

    def identity(self) -> dict:
        return {**super().identity(), "indexes": self.indexes, "scales": self.scales,
                "nodata": self.nodata}


def open_geotiff(path: str | Path, sensor: str, bands: Sequence[str] | None = None,
                 ) -> GeoTiffProduct:
    """Open a GeoTIFF of ``sensor`` reflectance.

    Parameters
    ----------
    path : path
        The GeoTIFF.
    sensor : str
        Registered sensor that took the image (``S2A``, ``L8``, …).
    bands : sequence of str, optional
        One band name per raster band, overriding the file's band descriptions.

    Raises
    ------
    ProductFormatError
        If the file cannot be read, has no band names or names a band twice.
    """
    path = Path(path)
    sens = get_sensor(sensor)
    try:
        with rasterio.open(path) as dataset:
            names = list(bands) if bands else list(dataset.descriptions)
            grid = Grid.of(dataset)
            count, dtype = dataset.count, dataset.dtypes[0]
            gdal_scales = list(zip(dataset.scales, dataset.offsets))
            nodata = dataset.nodata
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot open GeoTIFF ({err})") from err
    if len(names) != count or not all(names):
        raise ProductFormatError(
            f"{path}: {count} raster bands but band names {names}; name every band in the "
            "file's band descriptions or pass them explicitly (e.g. --bands B2,B3,B4)")
    indexes = {}
    for i, name in enumerate(names, start=1):
        try:
            key = sens.band(name).name
        except UnknownNameError as err:
            raise ProductFormatError(f"{path}: band {i} is named {name!r}: {err}") from err
        if key in indexes:
            raise ProductFormatError(f"{path}: band {key} appears twice")
        indexes[key] = i
    scales = {k: gdal_scale(gdal_scales[i - 1], dtype, path) for k, i in indexes.items()}
    return GeoTiffProduct(path, sens.key, indexes, grid, scales, nodata)


def gdal_scale(scale_offset: tuple[float, float], dtype: str, path: Path) -> tuple[float, float]:
    scale, offset = scale_offset
    if np.issubdtype(np.dtype(dtype), np.integer) and scale == 1.0 and offset == 0.0:
        raise UnscaledDataError(
            f"{path}: integer ({dtype}) bands without a scale factor; store reflectance as "
            "float 0-1 or set the bands' GDAL scale (e.g. 0.0001)")
    return float(scale), float(offset)


def sensor_tag(path: str | Path) -> str | None:
    """The ``TARGET_SENSOR`` tag of a GeoTIFF written by crossmask, if any."""
    try:
        with rasterio.open(path) as dataset:
            return dataset.tags().get("TARGET_SENSOR")
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot open GeoTIFF ({err})") from err
