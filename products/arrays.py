"""Products and labelled scenes held in NumPy arrays: an in-memory cube
(:class:`ArrayProduct`, for the array API), ``.npy`` files (memory-mapped) or ``.npz``
members (:class:`ArrayScene`).

Arrays are never unpickled.  Arrays carry no georeferencing, so they get a nominal grid
(:func:`~crossmask.products.labels.unreferenced_grid`) unless one is given.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError
from crossmask.products.grid import Grid
from crossmask.products.labels import LabelledScene, unreferenced_grid
from crossmask.products.product import OneGridProduct
from crossmask.srf import get_sensor

__all__ = ["ArrayProduct", "ArrayScene", "array_product", "load_npy", "npz_headers"]


class ArrayProduct(OneGridProduct):
    """An in-memory (rows, cols, bands) reflectance cube (0–1, NaN or ±inf fill) of
    ``sensor`` with named bands, read per band and window like any product."""

    def __init__(self, cube: np.ndarray, bands: list[str], sensor: str, grid: Grid):
        self.cube, self.sensor, self.grid = cube, sensor, grid
        self.indexes = {band: i for i, band in enumerate(bands)}
        self.path = Path(f"<array {cube.shape[0]}×{cube.shape[1]}×{cube.shape[2]}>")

    @property
    def band_names(self) -> list[str]:
        return list(self.indexes)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        index = self.indexes[self.band_key(band)]
        rows, cols = ((slice(None), slice(None)) if window is None else window.toslices())
        out = np.array(self.cube[rows, cols, index], dtype=np.float32)
        out[~np.isfinite(out)] = np.nan
        return out

    def source_files(self) -> list[Path]:
        return []


def array_product(cube: np.ndarray, bands: list[str], sensor: str,
                  resolution: float = 30.0, grid: Grid | None = None) -> ArrayProduct:
    """Wrap a (rows, cols, bands) reflectance array as a product of ``sensor``.

    ``bands`` names the last axis (registry names or common names: ``"B8A"``,
    ``"nir08"``); the grid is ``grid`` or a nominal one of ``resolution`` m pixels.

    Raises
    ------
    InputError
        A cube that is not 3-D numeric with one band name per layer, or repeated bands.
    UnknownNameError
        An unknown sensor or band name.
    """
    cube = np.asarray(cube)
    sens = get_sensor(sensor)
    if cube.ndim != 3 or cube.dtype.kind not in "fiu" or cube.shape[2] != len(bands):
        raise InputError(f"the cube is {cube.shape} {cube.dtype}; expected numeric (rows, "
                         f"cols, bands) with one layer per band name ({len(bands)} given)")
    names = [sens.band(b).name for b in bands]
    if len(set(names)) != len(names):
        raise InputError(f"band names {list(bands)} name a band twice")
    grid = grid or unreferenced_grid(cube.shape[0], cube.shape[1], resolution)
    if grid.shape != cube.shape[:2]:
        raise InputError(f"grid {grid.shape} does not match the cube's {cube.shape[:2]}")
    return ArrayProduct(cube, names, sens.key, grid)


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
