"""Readers of sensor products; each returns a :class:`~crossmask.harmonize.readers.base.Product`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crossmask.errors import InputError, ProductFormatError
from crossmask.harmonize.readers.base import Grid, Product, read_grid, read_window
from crossmask.harmonize.readers.geotiff import GeoTiffProduct, open_geotiff
from crossmask.harmonize.readers.safe import SafeProduct, open_safe

__all__ = [
    "GeoTiffProduct",
    "Grid",
    "Product",
    "SafeProduct",
    "open_geotiff",
    "open_product",
    "open_safe",
    "read_grid",
    "read_window",
]


def open_product(path: str | Path, sensor: str | None = None,
                 bands: Sequence[str] | None = None) -> Product:
    """Open a Sentinel-2 SAFE folder (or its MTD_MSIL1C.xml) or a GeoTIFF.

    A GeoTIFF needs ``sensor`` (the sensor that took it); ``bands`` overrides its band
    descriptions.

    Raises
    ------
    ProductFormatError
        If the path does not exist or is of no known format.
    """
    path = Path(path)
    if not path.exists():
        raise ProductFormatError(f"{path}: no such file or folder")
    if path.is_dir() or path.name.upper().startswith("MTD_MSI"):
        return open_safe(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        if not sensor:
            raise InputError(f"{path}: a GeoTIFF needs the sensor that took it (--sensor S2A)")
        return open_geotiff(path, sensor, bands)
    raise ProductFormatError(f"{path}: not a SAFE folder or GeoTIFF")
