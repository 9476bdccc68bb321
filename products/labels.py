"""Labelled reference scenes: reflectance bands plus a manual cloud mask, read per window.

A :class:`LabelledScene` is a :class:`~crossmask.products.product.Product` (bands by
registry name, float32 TOA reflectance 0–1, NaN fill) whose ``read_reference(window)``
gives canonical class codes (:data:`crossmask.classes.CLASS_CODES`: 0 clear, 1 thin cloud,
2 thick cloud, 3 shadow, 255 fill).  Each dataset maps its own label codes to those once,
through a decoder: :class:`CodeDecoder` (a code table, :func:`code_lut`) or
:class:`OneHotDecoder` (one-hot mask channels).  Arrays without georeferencing (npz, the
Cloud Mask Catalogue) get a nominal grid in :data:`UNREFERENCED_CRS`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from crossmask.classes import CLASS_CODES, FILL, canonical_class
from crossmask.errors import ConfigError, InputError, ProductFormatError, UnknownNameError
from crossmask.products.grid import Grid
from crossmask.products.product import OneGridProduct

__all__ = ["UNREFERENCED_CRS", "CodeDecoder", "LabelledScene", "OneHotDecoder", "code_encoder",
           "code_lut", "label_classes", "unreferenced_grid"]

#: CRS of grids without georeferencing: a local plane in metres.
UNREFERENCED_CRS = CRS.from_wkt('LOCAL_CS["unreferenced",LOCAL_DATUM["unknown",32767],'
                                'UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]')


def unreferenced_grid(height: int, width: int, resolution: float) -> Grid:
    """A north-up grid of ``resolution`` m pixels in :data:`UNREFERENCED_CRS`."""
    transform = from_origin(0.0, height * resolution, resolution, resolution)
    return Grid(UNREFERENCED_CRS, transform, int(width), int(height))


def code_lut(codes: Mapping, source) -> np.ndarray:
    """Label code → canonical code table (int16, −1 for codes absent from ``codes``);
    ConfigError naming ``source`` for a non-integer code or an unknown class."""
    table = {}
    for key, name in codes.items():
        code = int(key) if str(key).strip().isdigit() else -1
        if code < 0:
            raise ConfigError(f"{source}: label code {key!r} is not a non-negative integer")
        try:
            table[code] = CLASS_CODES[canonical_class(name)]
        except UnknownNameError as err:
            raise ConfigError(f"{source}: code {code} maps to unknown class {name!r}; "
                              f"valid classes: {', '.join(CLASS_CODES)}") from err
    lut = np.full(max(256, max(table, default=0) + 1), -1, np.int16)
    lut[list(table)] = list(table.values())
    return lut


def code_encoder(codes: Mapping[int, str], fill: int = FILL) -> np.ndarray:
    """Canonical code → dataset label code (uint8 table for writers of a format): the
    inverse of :func:`code_lut`; canonical codes without a dataset code become ``fill``
    (the dataset's ``"fill"`` code when it has one)."""
    table = {CLASS_CODES[canonical_class(name)]: int(code) for code, name in codes.items()}
    out = np.full(256, table.get(FILL, fill), np.uint8)
    out[list(table)] = list(table.values())
    return out


def label_classes(lut: np.ndarray) -> frozenset:
    """Canonical classes (fill excluded) that a :func:`code_lut` table can produce."""
    return frozenset(n for n, c in CLASS_CODES.items() if c != FILL and np.any(lut == c))


@dataclass(frozen=True)
class CodeDecoder:
    """Raw label codes → canonical codes through a :func:`code_lut` table.

    ``nodata`` (and NaN in float labels) reads as fill.  A code absent from the table
    raises ProductFormatError naming ``source`` and the codes found, unless
    ``unknown_as_fill`` (the L8 Biome masks: any other code is fill).
    """

    lut: np.ndarray = field(repr=False)
    source: str
    nodata: float | None = None
    unknown_as_fill: bool = False

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw)
        raw = raw[..., 0] if raw.ndim == 3 and raw.shape[-1] == 1 else raw
        fill = np.zeros(raw.shape, bool) if self.nodata is None else raw == self.nodata
        if raw.dtype.kind == "f":
            fill |= np.isnan(raw)
            raw = np.where(fill, 0, raw)
            if np.any(raw % 1):
                raise ProductFormatError(f"{self.source}: labels hold non-integer codes "
                                         f"(e.g. {raw[raw % 1 != 0].flat[0]:g})")
        elif raw.dtype.kind not in "biu":
            raise ProductFormatError(f"{self.source}: labels are {raw.dtype}, not integer codes")
        raw = raw.astype(np.int64)
        inside = (raw >= 0) & (raw < len(self.lut))
        out = self.lut[np.where(inside, raw, 0)]
        bad = (~inside | (out < 0)) & ~fill
        if bad.any() and not self.unknown_as_fill:
            raise ProductFormatError(
                f"{self.source}: label codes {np.unique(raw[bad])[:10].tolist()} are not in "
                f"the code table; known codes: {np.flatnonzero(self.lut >= 0).tolist()}")
        out[fill | bad] = FILL
        return out.astype(np.uint8)


@dataclass(frozen=True)
class OneHotDecoder:
    """One-hot boolean mask channels (… × n) → canonical codes of ``classes``; pixels with
    no channel or several channels set are fill."""

    source: str
    classes: tuple[str, ...]

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


class LabelledScene(OneGridProduct):
    """A product with a manual reference mask on the grid of its bands.

    Attributes (besides ``path`` and ``sensor``): ``grid`` (every band's and the mask's),
    ``scene_id``, ``dataset`` (``"cmc"``, ``"cloudsen12"``, …), ``classes`` (canonical
    classes the labels distinguish: no ``"thin"`` when thin and thick cloud are one class,
    no ``"shadow"`` when shadows were not labelled), ``tags`` (extra metadata) and
    ``biome`` (L8 Biome scenes; None elsewhere).
    """

    grid: Grid
    scene_id: str
    dataset: str
    classes: frozenset
    tags: dict
    biome: str | None = None

    @abc.abstractmethod
    def read_reference(self, window: Window | None = None) -> np.ndarray:
        """Canonical class codes (uint8, see :data:`crossmask.classes.CLASS_CODES`)."""

    def _slices(self, window: Window | None) -> tuple[slice, slice]:
        if window is None:
            return slice(0, self.grid.height), slice(0, self.grid.width)
        (r0, r1), (c0, c1) = ((round(a), round(b)) for a, b in window.toranges())
        if r0 < 0 or c0 < 0 or r1 > self.grid.height or c1 > self.grid.width:
            raise InputError(f"{self.path}: window {window} lies outside the "
                             f"{self.grid.height}×{self.grid.width} pixel scene")
        return slice(r0, r1), slice(c0, c1)
