"""Labelled scenes whose reference is a label raster: a GeoTIFF image + label GeoTIFF
(:class:`RasterScene`), or any sensor product + a label raster on its own grid
(:class:`ProductScene`).

In a :class:`ProductScene` the labels may sit on another grid than the bands (a 30 m
reference over a 10/20/60 m product): bands keep their native grids and ``grid`` is the
labels', so evaluation resamples the bands onto the reference, never the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import ProductFormatError, UnknownNameError, UnscaledDataError
from crossmask.products.geotiff import GeoTiffProduct
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.labels import CodeDecoder, LabelledScene
from crossmask.products.product import Product
from crossmask.srf import get_sensor

__all__ = ["ProductScene", "RasterScene", "raster_scene"]


@dataclass(eq=False)
class RasterScene(GeoTiffProduct, LabelledScene):
    """A GeoTIFF image with a label GeoTIFF of the same size (``label_path``, band 1)."""

    label_path: Path
    decode: CodeDecoder
    scene_id: str
    dataset: str
    classes: frozenset
    tags: dict = field(default_factory=dict)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        self._slices(window)
        return super().read(band, window)

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        self._slices(window)
        return self.decode(read_window(self.label_path, 1, window))

    def source_files(self) -> list[Path]:
        return [Path(self.path), Path(self.label_path)]

    def identity(self) -> dict:
        return {**super().identity(), "labels": self.decode, "classes": self.classes}


def raster_scene(image: Path, labels: Path, sensor: str, lut: np.ndarray,
                 bands: Sequence[str] | None = None, scale: float | None = None,
                 offset: float = 0.0, nodata: float | None = None, *,
                 default_bands: Sequence[str] | None = None,
                 default_scale: float | None = None, default_nodata: float | None = None,
                 **keys) -> RasterScene:
    """Open a GeoTIFF image + label raster (codes through ``lut``, see
    :func:`~crossmask.products.labels.code_lut`) as a :class:`RasterScene`.

    Band names: ``bands``, else the band descriptions, else ``default_bands``.  Scale:
    ``scale``/``offset``, else the GDAL scale/offset, else (integer data) ``default_scale``;
    float data without either are reflectance.  Nodata: ``nodata``, else the file's, else
    ``default_nodata``.  The label raster's nodata reads as fill.  ``keys``: scene_id,
    dataset, classes, tags.

    Raises
    ------
    ProductFormatError
        Unreadable files, unnamed, unknown or repeated bands, labels of another size.
    UnscaledDataError
        Integer bands with no scale to turn them into reflectance.
    """
    sens = get_sensor(sensor)
    with _open(image) as ds:
        grid, count, dtype = Grid.of(ds), ds.count, ds.dtypes[0]
        names = list(bands or (ds.descriptions if all(ds.descriptions) else default_bands)
                     or ds.descriptions)
        gdal = (ds.scales[0], ds.offsets[0])
        nodata = next((v for v in (nodata, ds.nodata, default_nodata) if v is not None), None)
    with _open(labels) as ds:
        label_shape, label_nodata = (ds.height, ds.width), ds.nodata
    if len(names) != count or not all(names):
        raise ProductFormatError(f"{image}: {count} raster bands but band names {names}; "
                                 "name each band (band descriptions or the bands list)")
    indexes = {}
    for i, name in enumerate(names, start=1):
        try:
            indexes[sens.band(name).name] = i
        except UnknownNameError as err:
            raise ProductFormatError(f"{image}: band {i} is named {name!r}: {err}") from err
    if len(indexes) < count:
        raise ProductFormatError(f"{image}: band names {names} name a band twice")
    if scale is None:
        integer = np.dtype(dtype).kind != "f"
        if gdal == (1.0, 0.0) and integer and default_scale is None:
            raise UnscaledDataError(f"{image}: integer ({dtype}) bands without a scale factor; "
                                    "give scale (e.g. 0.0001) or set the bands' GDAL scale")
        scale, offset = (default_scale, 0.0) if gdal == (1.0, 0.0) and integer else gdal
    if label_shape != grid.shape:
        raise ProductFormatError(f"{labels}: labels are {label_shape[0]}×{label_shape[1]} "
                                 f"pixels but the image is {grid.height}×{grid.width}")
    return RasterScene(image, sens.key, indexes, grid,
                       {k: (float(scale), float(offset)) for k in indexes}, nodata, labels,
                       CodeDecoder(lut, str(labels), label_nodata), **keys)


def _open(path: Path):
    try:
        return rasterio.open(path)
    except (RasterioError, OSError) as err:
        raise ProductFormatError(f"{path}: cannot open GeoTIFF ({err})") from err


class ProductScene(LabelledScene):
    """A :class:`Product` plus a label raster decoded to canonical class codes."""

    def __init__(self, product: Product, labels: Path, decoder: CodeDecoder, scene_id: str,
                 dataset: str, classes: frozenset, tags: dict | None = None):
        self.product, self.labels, self.decoder = product, Path(labels), decoder
        self.path, self.sensor = product.path, product.sensor
        self.grid = read_grid(labels)
        self.scene_id, self.dataset, self.classes = scene_id, dataset, classes
        self.tags = dict(tags or {})

    @property
    def band_names(self) -> list[str]:
        return self.product.band_names

    def band_grid(self, band: str):
        return self.product.band_grid(band)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        return self.product.read(band, window)

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        return self.decoder(read_window(self.labels, 1, window))

    def source_files(self) -> list[Path]:
        return [*self.product.source_files(), self.labels]

    def identity(self) -> dict:
        return {**super().identity(), "product": self.product.identity(),
                "labels": self.decoder, "classes": self.classes}
