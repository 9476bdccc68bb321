"""CloudSEN12 patches (Aybar et al. 2022): the v1 folder layout.

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
from pathlib import Path

import numpy as np

from crossmask.errors import ProductFormatError
from crossmask.products.labels import code_encoder, code_lut
from crossmask.products.rasters import RasterScene, raster_scene

__all__ = ["CLOUDSEN12_BANDS", "CLOUDSEN12_CODES", "CLOUDSEN12_FILL", "IMAGE", "LABELS",
           "cloudsen12_code_of", "find_cloudsen12_patches", "is_patch", "open_cloudsen12",
           "patch_labels"]

log = logging.getLogger(__name__)

IMAGE = "S2L1C.tif"
#: Where a patch's manual label may be, in order of preference.
LABELS = ("labels/manual_hq.tif", "manual_hq.tif")
#: Band order of ``S2L1C.tif`` when its bands have no descriptions.
CLOUDSEN12_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10",
                    "B11", "B12")
#: Manual label code → canonical class.
CLOUDSEN12_CODES = {0: "clear", 1: "cloud", 2: "thin", 3: "shadow"}
#: Code of unlabelled (fill) pixels in rasters crossmask writes in this format.
CLOUDSEN12_FILL = 255
_DN_SCALE = 1e-4
_TO_CODE = code_encoder(CLOUDSEN12_CODES, CLOUDSEN12_FILL)


def cloudsen12_code_of(canonical: np.ndarray) -> np.ndarray:
    """CloudSEN12 label codes (uint8; fill → :data:`CLOUDSEN12_FILL`) of canonical codes."""
    return _TO_CODE[np.asarray(canonical, np.uint8)]


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
