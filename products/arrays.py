"""Labelled scenes held in NumPy arrays: ``.npy`` files (memory-mapped) or ``.npz`` members.

Arrays are never unpickled.  The files hold no georeferencing, so scenes get a nominal
grid (:func:`~crossmask.products.labels.unreferenced_grid`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import ProductFormatError
from crossmask.products.grid import Grid
from crossmask.products.labels import LabelledScene

__all__ = ["ArrayScene", "load_npy", "npz_headers"]


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


def npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array in an ``.npz``, from the headers alone."""
    out = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in (n for n in archive.namelist() if n.endswith(".npy")):
                with archive.open(name) as stream:
                    version = np.lib.format.read_magic(stream)
                    header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)(stream)
                out[name[:-4]] = (tuple(header[0]), header[2])
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ProductFormatError(f"{path}: not a readable .npz archive ({err})") from err
    return out
