"""CloudSEN12 patches (Aybar et al. 2022), and GeoTIFF labelled scenes in general.

A patch is a folder (``<root>/<ROI>/<S2 image id>/`` in the released dataset) holding::

    S2L1C.tif                 13 bands B1, B2, B3, B4, B5, B6, B7, B8, B8A, B9, B10, B11,
                              B12 (or as the band descriptions name them), uint16 DN =
                              reflectance × 10000 (a GDAL scale, when set, wins), DN 0 fill
    labels/manual_hq.tif      high-quality manual label (or ``manual_hq.tif`` beside the
                              image): 0 clear, 1 thick cloud, 2 thin cloud, 3 cloud shadow

Patches without a manual label (the dataset's unlabelled part) are skipped by
:func:`find_cloudsen12_patches`.  The spacecraft is not recorded in the files: S2A unless
``sensor`` says otherwise.  The scene ID is ``<ROI>/<S2 image id>`` (the last two folder
names).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError, UnknownNameError
from crossmask.harmonize.readers.base import Grid, read_window
from crossmask.harmonize.readers.geotiff import GeoTiffProduct
from crossmask.harmonize.readers.labelled import CodeDecoder, LabelledScene, code_lut
from crossmask.srf.registry import get_sensor

__all__ = ["CLOUDSEN12_BANDS", "CLOUDSEN12_CODES", "IMAGE", "LABELS", "RasterScene",
           "find_cloudsen12_patches", "is_patch", "open_cloudsen12", "patch_labels",
           "raster_scene"]

log = logging.getLogger(__name__)

IMAGE = "S2L1C.tif"
#: Where a patch's manual label may be, in order of preference.
LABELS = ("labels/manual_hq.tif", "manual_hq.tif")
#: Band order of ``S2L1C.tif`` when its bands have no descriptions.
CLOUDSEN12_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10",
                    "B11", "B12")
#: Manual label code → canonical class.
CLOUDSEN12_CODES = {0: "clear", 1: "cloud", 2: "thin", 3: "shadow"}
_DN_SCALE = 1e-4


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
    :func:`~crossmask.harmonize.readers.labelled.code_lut`) as a :class:`RasterScene`.

    Band names: ``bands``, else the band descriptions, else ``default_bands``.  Scale:
    ``scale``/``offset``, else the GDAL scale/offset, else (integer data) ``default_scale``;
    float data without either are reflectance.  Nodata: ``nodata``, else the file's, else
    ``default_nodata``.  The label raster's nodata reads as fill.  ``keys``: scene_id,
    dataset, classes, tags.

    Raises
    ------
    ProductFormatError
        Unreadable files, unnamed, unknown or repeated bands, labels of another size.
    InputError
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
            raise InputError(f"{image}: integer ({dtype}) bands without a scale factor; give "
                             "scale (e.g. 0.0001) or set the bands' GDAL scale")
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


def patch_labels(patch: str | os.PathLike) -> Path | None:
    """The manual label raster of a patch folder, or None."""
    return next((Path(patch) / name for name in LABELS if (Path(patch) / name).is_file()), None)


def is_patch(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding ``S2L1C.tif``."""
    return (Path(path) / IMAGE).is_file()


def find_cloudsen12_patches(root: str | os.PathLike) -> list[Path]:
    """Patch folders under ``root`` (``root`` itself included) that have a manual label,
    sorted; patches without one are skipped (logged)."""
    root = Path(root)
    patches = sorted({p.parent for p in root.rglob(IMAGE)})
    labelled = [p for p in patches if patch_labels(p) is not None]
    if len(labelled) < len(patches):
        log.info("%s: %d of %d CloudSEN12 patches have no manual label; skipped", root,
                 len(patches) - len(labelled), len(patches))
    return labelled


def open_cloudsen12(patch: str | os.PathLike, sensor: str | None = None) -> RasterScene:
    """Open a CloudSEN12 patch folder; ``sensor`` sets the spacecraft (default S2A).

    Raises ProductFormatError if ``S2L1C.tif`` or the manual label is missing or unreadable,
    the bands are not the 13 L1C bands, or a label code is not 0–3 (when read).
    """
    patch = Path(patch)
    image, labels = patch / IMAGE, patch_labels(patch)
    if not image.is_file():
        raise ProductFormatError(f"{patch}: no {IMAGE}; not a CloudSEN12 patch folder")
    if labels is None:
        raise ProductFormatError(f"{patch}: no manual label ({' or '.join(LABELS)}); "
                                 "only manually labelled patches can be evaluated")
    lut = code_lut(CLOUDSEN12_CODES, patch)
    return raster_scene(image, labels, sensor or "S2A", lut, default_bands=CLOUDSEN12_BANDS,
                        default_scale=_DN_SCALE, default_nodata=0,
                        scene_id=f"{patch.parent.name}/{patch.name}", dataset="cloudsen12",
                        classes=frozenset(CLOUDSEN12_CODES.values()))
