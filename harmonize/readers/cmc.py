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
in :data:`~crossmask.harmonize.readers.labelled.UNREFERENCED_CRS`.  The spacecraft is not
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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import ProductFormatError
from crossmask.harmonize.readers.base import Grid
from crossmask.harmonize.readers.labelled import (CLASS_CODES, FILL, LabelledScene,
                                                  unreferenced_grid)
from crossmask.srf.registry import get_sensor

__all__ = ["CMC_BANDS", "CMC_DOI", "CMC_MASK_CLASSES", "CMC_RESOLUTION", "TAGS_FILE",
           "ArrayScene", "OneHotDecoder", "find_cmc_scenes", "is_cmc_root", "load_npy",
           "open_cmc", "read_cmc_tags"]

log = logging.getLogger(__name__)

CMC_DOI = "10.5281/zenodo.4172871"
#: Band order of the last axis of a subscene.
CMC_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
#: Canonical class of each mask channel, in order (CLEAR, CLOUD, CLOUD_SHADOW).
CMC_MASK_CLASSES = ("clear", "cloud", "shadow")
#: Pixel size of the subscenes in m.
CMC_RESOLUTION = 20.0
TAGS_FILE = "classification_tags.csv"


@dataclass(eq=False)
class ArrayScene(LabelledScene):
    """Image (H × W × bands) and labels in NumPy arrays: ``.npy`` files memory-mapped per
    read, or members of an ``.npz`` (read whole on first use and kept).  ``decode`` turns a
    window of raw labels into canonical codes; ``bands`` maps band name → last-axis index."""

    path: Path
    sensor: str
    grid: Grid
    bands: dict[str, int]
    label_path: Path
    decode: object
    scene_id: str
    dataset: str
    classes: frozenset
    image_key: str | None = None
    label_key: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    tags: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def band_names(self) -> list[str]:
        return list(self.bands)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        index = self.bands[self.band_key(band)]
        rows, cols = self._slices(window)
        raw = self._array(self.path, self.image_key)[rows, cols, index]
        refl = raw.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
        if self.nodata is not None:
            refl[raw == self.nodata] = np.nan
        return refl

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        rows, cols = self._slices(window)
        return self.decode(self._array(self.label_path, self.label_key)[rows, cols])

    def source_files(self) -> list[Path]:
        return [Path(self.path), Path(self.label_path)]

    def identity(self) -> dict:
        return {**super().identity(), "indexes": self.bands, "keys": [self.image_key,
                self.label_key], "scale": self.scale, "offset": self.offset,
                "nodata": self.nodata, "labels": self.decode, "classes": self.classes}

    def _array(self, path: Path, key: str | None) -> np.ndarray:
        if key is None:
            return load_npy(path)
        if key not in self._cache:
            try:
                with np.load(path, allow_pickle=False) as archive:
                    self._cache[key] = archive[key]
            except (OSError, ValueError, zipfile.BadZipFile) as err:
                raise ProductFormatError(f"{path}: cannot read array {key!r} ({err})") from err
        return self._cache[key]


def load_npy(path: Path) -> np.ndarray:
    """Memory-map a ``.npy`` file read-only (never unpickling)."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ProductFormatError(f"{path}: cannot read .npy array ({err})") from err


@dataclass(frozen=True)
class OneHotDecoder:
    """One-hot boolean mask channels (… × n) → canonical codes of ``classes``; pixels with
    no channel or several channels set are fill."""

    source: str
    classes: tuple[str, ...] = CMC_MASK_CLASSES

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw)
        if raw.shape[-1:] != (len(self.classes),):
            raise ProductFormatError(f"{self.source}: mask window is {raw.shape}; expected "
                                     f"{len(self.classes)} one-hot channels")
        hot = raw.astype(bool)
        codes = np.array([CLASS_CODES[c] for c in self.classes], np.uint8)
        out = codes[hot.argmax(axis=-1)]
        out[hot.sum(axis=-1) != 1] = FILL
        return out


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
                      {b: i for i, b in enumerate(CMC_BANDS)}, mask, OneHotDecoder(str(mask)),
                      scene_id=name, dataset="cmc", classes=frozenset(classes), tags=tags)
