"""Raster grids (CRS + transform + size) and raster reads that name the file on error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import ProductFormatError

__all__ = ["Grid", "read_grid", "read_window"]


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
