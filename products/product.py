"""The sensor product: bands read as top-of-atmosphere reflectance, per band and window.

Every reader (Sentinel-2 SAFE, GeoTIFF, Landsat scene folders, labelled scenes) returns a
:class:`Product`.  Reading is always per band and per window, so a scene never has to
sit in memory whole and every scene-level step can be mapped over windows.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import MissingBandError
from crossmask.fingerprint import file_stamp
from crossmask.products.grid import Grid
from crossmask.srf import get_sensor, normalize_band_name

__all__ = ["Product"]


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

    def product_id(self) -> str:
        """A name for the product's outputs: the scene ID its reader found (Landsat, STAC
        items, labelled scenes), else the file or folder name without its suffix."""
        found = vars(self).get("scene_id")
        if found:
            return str(found)
        name = Path(self.path).name
        return name[:-len(".SAFE")] if name.upper().endswith(".SAFE") else Path(name).stem

    def check_bands(self, bands: Sequence[str]) -> None:
        """Raise :class:`MissingBandError` naming the file of the first band that is missing
        (readers with more to check, e.g. native resolutions, add it)."""
        for band in bands:
            self.band_key(band)

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


class OneGridProduct(Product):
    """A product whose bands all lie on one grid, ``self.grid`` (GeoTIFFs, arrays,
    PROBA-V lattices, harmonised and upscaled views, labelled scenes)."""

    grid: Grid

    def band_grid(self, band: str) -> Grid:
        self.band_key(band)
        return self.grid

    def full_window(self, window: Window | None) -> Window:
        """``window``, or the whole grid when it is None."""
        return window or Window(0, 0, self.grid.width, self.grid.height)

