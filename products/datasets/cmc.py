"""The Sentinel-2 Cloud Mask Catalogue (Francis, Mrziglod, Sidiropoulos & Muller 2020,
doi:10.5281/zenodo.4172871), and NumPy-array labelled scenes in general.

The catalogue root holds 513 subscenes of 1022 × 1022 pixels at 20 m::

    subscenes/<NAME>.npy      float32 (1022, 1022, 13) TOA reflectance 0–1, bands B1, B2,
                              B3, B4, B5, B6, B7, B8, B8A, B9, B10, B11, B12
    masks/<NAME>.npy          bool (1022, 1022, 3) one-hot CLEAR, CLOUD, CLOUD_SHADOW
    classification_tags.csv   one row per subscene: its name (column ``scene``, else the
                              first column) and tags (``shadows_marked``, surface and
                              cloud types, …), kept as the scene's ``tags``

(also ``shapefiles/`` with each subscene's footprint, ``thumbnails/`` and ``alt_masks/``,
none of which is read here).  Arrays are memory-mapped (never unpickled) so a window reads
only its rows.  The files hold no georeferencing, so a subscene gets a nominal 20 m grid
in :data:`~crossmask.products.labels.UNREFERENCED_CRS`.  The spacecraft is not
recorded either: it is taken from a name that starts ``S2A_``/``S2B_`` (the L1C product
name), else S2A; pass ``sensor`` to set it.  CLOUD is thick and thin cloud together
(canonical ``cloud``); pixels with no or several mask classes set are fill; scenes tagged
``shadows_marked = 0`` list no ``"shadow"`` in their ``classes``.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from pathlib import Path

from crossmask.errors import ProductFormatError
from crossmask.products.arrays import ArrayScene, load_npy
from crossmask.products.labels import OneHotDecoder, unreferenced_grid
from crossmask.srf import get_sensor

__all__ = ["CMC_BANDS", "CMC_DOI", "CMC_MASK_CLASSES", "CMC_RESOLUTION", "TAGS_FILE",
           "find_cmc_scenes", "is_cmc_root", "open_cmc", "read_cmc_tags"]

log = logging.getLogger(__name__)

CMC_DOI = "10.5281/zenodo.4172871"
#: Band order of the last axis of a subscene.
CMC_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
#: Canonical class of each mask channel, in order (CLEAR, CLOUD, CLOUD_SHADOW).
CMC_MASK_CLASSES = ("clear", "cloud", "shadow")
#: Pixel size of the subscenes in m.
CMC_RESOLUTION = 20.0
TAGS_FILE = "classification_tags.csv"


def is_cmc_root(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a catalogue root (holds ``subscenes/`` and ``masks/``)."""
    path = Path(path)
    return (path / "subscenes").is_dir() and (path / "masks").is_dir()


def read_cmc_tags(root: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Subscene name → its row of ``classification_tags.csv`` (empty if the file is absent).

    The name is the ``scene`` column, else the first column; an ``index`` or unnamed
    column is dropped.
    """
    path = Path(root) / TAGS_FILE
    if not path.is_file():
        return {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.DictReader(stream))
    except (OSError, csv.Error, UnicodeDecodeError) as err:
        raise ProductFormatError(f"{path}: cannot read the classification tags ({err})") from err
    if not rows:
        return {}
    columns = list(rows[0])
    key = "scene" if "scene" in columns else columns[0]
    return {row[key]: {k: v for k, v in row.items() if k not in (key, "index", "", None)}
            for row in rows}


def find_cmc_scenes(root: str | os.PathLike) -> list[Path]:
    """Subscene files (``subscenes/<NAME>.npy``) that have a mask, in the order of
    ``classification_tags.csv`` (sorted by name without it).

    Raises ProductFormatError if ``root`` is no catalogue root or no subscene has a mask.
    """
    root = Path(root)
    if not is_cmc_root(root):
        raise ProductFormatError(f"{root}: not a Cloud Mask Catalogue root (needs subscenes/ "
                                 f"and masks/; download from doi:{CMC_DOI})")
    names = list(read_cmc_tags(root)) or sorted(p.stem for p in
                                                (root / "subscenes").glob("*.npy"))
    found = [root / "subscenes" / f"{n}.npy" for n in names
             if (root / "subscenes" / f"{n}.npy").is_file()
             and (root / "masks" / f"{n}.npy").is_file()]
    if len(found) < len(names):
        log.warning("%s: %d of %d subscenes lack the image or the mask file; skipped",
                    root, len(names) - len(found), len(names))
    if not found:
        raise ProductFormatError(f"{root}: no subscene has both subscenes/<NAME>.npy and "
                                 "masks/<NAME>.npy")
    return found


def open_cmc(root: str | os.PathLike, name: str, sensor: str | None = None) -> ArrayScene:
    """Open subscene ``name`` of the catalogue at ``root``.

    ``sensor`` sets the spacecraft (default: from an ``S2A_``/``S2B_`` name, else S2A).

    Raises ProductFormatError if a file is missing, is not a .npy array, or has the wrong
    shape (image H×W×13 float, mask H×W×3).
    """
    root = Path(root)
    image, mask = root / "subscenes" / f"{name}.npy", root / "masks" / f"{name}.npy"
    for path in (image, mask):
        if not path.is_file():
            raise ProductFormatError(f"{path}: missing; a catalogue subscene needs "
                                     f"subscenes/{name}.npy and masks/{name}.npy")
    img, msk = load_npy(image), load_npy(mask)
    if img.ndim != 3 or img.shape[2] != len(CMC_BANDS) or img.dtype.kind != "f":
        raise ProductFormatError(f"{image}: array is {img.shape} {img.dtype}; expected float "
                                 f"reflectance H×W×{len(CMC_BANDS)} ({', '.join(CMC_BANDS)})")
    if msk.shape != (*img.shape[:2], len(CMC_MASK_CLASSES)) or msk.dtype.kind not in "biu":
        raise ProductFormatError(f"{mask}: array is {msk.shape} {msk.dtype}; expected boolean "
                                 f"{(*img.shape[:2], 3)} (CLEAR, CLOUD, CLOUD_SHADOW)")
    match = re.match(r"S2([AB])_", name)
    sensor = sensor or (f"S2{match.group(1)}" if match else "S2A")
    tags = read_cmc_tags(root).get(name, {})
    unmarked = tags.get("shadows_marked", "1").strip().lower() in ("0", "false")
    classes = {"clear", "cloud"} if unmarked else {"clear", "cloud", "shadow"}
    return ArrayScene(image, get_sensor(sensor).key,
                      unreferenced_grid(img.shape[0], img.shape[1], CMC_RESOLUTION),
                      {b: i for i, b in enumerate(CMC_BANDS)}, mask, OneHotDecoder(str(mask), CMC_MASK_CLASSES),
                      scene_id=name, dataset="cmc", classes=frozenset(classes), tags=tags)
