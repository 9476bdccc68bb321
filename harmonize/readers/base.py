"""Core reader types: a raster grid and a sensor product that yields TOA reflectance.

Every reader (Sentinel-2 SAFE, GeoTIFF, Landsat scene folders) returns a
:class:`Product`.  Reading is always per band and per window, so a scene never has to
sit in memory whole and every scene-level step can be mapped over windows.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.fingerprint import file_stamp
from crossmask.srf.registry import get_sensor, normalize_band_name

__all__ = ["Grid", "Product", "read_grid", "read_window"]


@dataclass(frozen=True)
class Grid:
    """A georeferenced pixel grid: CRS, affine transform and size in pixels."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.height, self.width

    @property
    def resolution(self) -> tuple[float, float]:
        """Pixel size (x, y) in CRS units (m for projected CRSs), both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        return rasterio.transform.array_bounds(self.height, self.width, self.transform)

    @classmethod
    def of(cls, dataset) -> "Grid":
        """The grid of an open rasterio dataset."""
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)

    def window_transform(self, window: Window) -> Affine:
        """Affine transform of a window of this grid."""
        return rasterio.windows.transform(window, self.transform)

    def windows(self, size: int = 1024) -> Iterator[Window]:
        """Non-overlapping windows of at most ``size`` × ``size`` pixels covering the grid."""
        for row in range(0, self.height, size):
            for col in range(0, self.width, size):
                yield Window(col, row, min(size, self.width - col), min(size, self.height - row))


class Product(abc.ABC):
    """A sensor product whose bands read as top-of-atmosphere reflectance (0–1).

    Attributes
    ----------
    path : Path
        The product's folder or file.
    sensor : str
        Registry key of the sensor that took it (see :func:`crossmask.srf.get_sensor`).
    """

    path: Path
    sensor: str

    @property
    @abc.abstractmethod
    def band_names(self) -> list[str]:
        """Registry names of the bands this product holds."""

    @abc.abstractmethod
    def band_grid(self, band: str) -> Grid:
        """Native grid of a band."""

    @abc.abstractmethod
    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        """Read one band (or a window of its native grid) as float32 reflectance.

        Fill / nodata pixels are NaN.
        """

    def band_key(self, band: str) -> str:
        """Resolve a band name or common name to this product's band name.

        Raises
        ------
        MissingBandError
            If the product does not hold that band.
        """
        try:
            name = get_sensor(self.sensor).band(band).name
        except KeyError:
            name = normalize_band_name(band)
        if name not in self.band_names:
            raise MissingBandError(
                f"{self.path}: band {band!r} is missing; the product holds "
                f"{', '.join(self.band_names) or 'no bands'}"
            )
        return name

    def source_files(self) -> list[Path]:
        """The files whose content the product's pixels come from (default: the product
        file, or every file below the product folder)."""
        path = Path(self.path)
        return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]

    def identity(self) -> dict:
        """What determines the pixels this product reads: reader, sensor, bands and the
        size and modification time of its files (see :mod:`crossmask.fingerprint`)."""
        return {"reader": type(self).__name__, "sensor": self.sensor,
                "bands": list(self.band_names),
                "files": [file_stamp(p) for p in dict.fromkeys(self.source_files())]}


def read_window(path: Path | str, band_index: int = 1, window: Window | None = None,
                ) -> np.ndarray:
    """Read one band of a raster file, turning GDAL errors into a message naming the file.

    Raises
    ------
    ProductFormatError
        If the file is missing, truncated or unreadable.
    """
    try:
        with rasterio.open(path) as dataset:
            return dataset.read(band_index, window=window)
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot read raster ({_first_line(err)})") from err


def read_grid(path: Path | str) -> Grid:
    """The grid of a raster file.

    Raises
    ------
    ProductFormatError
        If the file is missing or unreadable.
    """
    try:
        with rasterio.open(path) as dataset:
            return Grid.of(dataset)
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot open raster ({_first_line(err)})") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
