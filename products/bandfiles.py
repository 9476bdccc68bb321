"""A folder of single-band GeoTIFFs, one file per band: ``<ID>_B1_toa.tif``, ``<ID>_B8A.tif``.

:class:`BandFilesProduct` is any set of single-band raster files (GeoTIFF, JPEG 2000) with
a (scale, offset, nodata) per band, reflectance = DN × scale + offset; the STAC reader
(:mod:`crossmask.products.stac`) builds one per Sentinel-2 item.

Band names are taken from the ``_B<n>`` token of each file name; the folder has no
metadata file, so the sensor must be given.  Float bands are reflectance 0–1 as they are;
integer bands need a GDAL scale.  Thermal bands (brightness temperature) are listed but
never converted.  Files without a declared nodata value use 0 as fill, as TOA products
written by common tools do (Landsat fill is DN 0; a real TOA reflectance is never exactly 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import ProductFormatError
from crossmask.products.geotiff import gdal_scale
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.product import Product
from crossmask.srf import get_sensor, normalize_band_name

__all__ = ["BandFilesProduct", "is_band_folder", "open_band_files"]

_BAND_TOKEN = re.compile(r"_(B(?:and)?_?\d{1,2}A?)(?=[_.])", re.IGNORECASE)


@dataclass
class BandFilesProduct(Product):
    """Bands of one scene as separate single-band files (a folder, or a STAC item's assets).

    ``scales``: per band (scale, offset, nodata) — reflectance = DN × scale + offset, DN equal
    to nodata read as NaN; ``scene_id``: a name for the scene where the reader knows one
    (the STAC item id), else None.
    """

    path: Path
    sensor: str
    files: dict[str, Path]
    scales: dict[str, tuple[float, float, float | None]]
    scene_id: str | None = None

    @property
    def band_names(self) -> list[str]:
        return list(self.files)

    def band_grid(self, band: str) -> Grid:
        return read_grid(self.files[self.band_key(band)])

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        raw = read_window(self.files[name], 1, window)
        scale, offset, nodata = self.scales[name]
        refl = raw.astype(np.float32) * np.float32(scale) + np.float32(offset)
        if nodata is not None and not np.isnan(nodata):
            refl[raw == nodata] = np.nan
        return refl

    def source_files(self) -> list[Path]:
        return list(self.files.values())

    def identity(self) -> dict:
        return {**super().identity(), "scales": self.scales}


def is_band_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds one scene as band files: GeoTIFFs directly inside it, each
    named with a band token (``<ID>_B4.tif``, ``<ID>_B8A_toa.tif``)."""
    tifs = [p for p in Path(folder).iterdir() if p.suffix.lower() in (".tif", ".tiff")]
    return bool(tifs) and all(_BAND_TOKEN.search(p.name) for p in tifs)


def open_band_files(folder: str | Path, sensor: str) -> BandFilesProduct:
    """Open a folder of per-band GeoTIFFs taken by ``sensor``.

    Raises
    ------
    ProductFormatError
        If no file carries a band token, or a band appears in two files.
    """
    folder = Path(folder)
    sens = get_sensor(sensor)
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = _BAND_TOKEN.search(path.name)
        if not match or path.suffix.lower() not in (".tif", ".tiff"):
            continue
        name = normalize_band_name(match.group(1))
        if name not in sens.band_names:
            continue
        if name in files:
            raise ProductFormatError(f"{folder}: band {name} appears in both "
                                     f"{files[name].name} and {path.name}")
        files[name] = path
    if not files:
        raise ProductFormatError(f"{folder}: no GeoTIFF named like <ID>_B<n>.tif for {sens.key}")
    ordered = {b: files[b] for b in sens.band_names if b in files}
    return BandFilesProduct(folder, sens.key, ordered,
                            {b: _scale_of(p) for b, p in ordered.items()})


def _scale_of(path: Path) -> tuple[float, float, float | None]:
    try:
        with rasterio.open(path) as dataset:
            scale = gdal_scale((dataset.scales[0], dataset.offsets[0]), dataset.dtypes[0], path)
            return (*scale, 0.0 if dataset.nodata is None else dataset.nodata)
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot open band file ({err})") from err
