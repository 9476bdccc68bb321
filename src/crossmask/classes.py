"""The one class vocabulary: canonical cloud-mask classes, their colours, and class schemes.

Every reader turns its dataset's label codes into **canonical codes** once (0 clear,
1 thin cloud, 2 thick cloud, 3 cloud shadow, 255 fill); metrics, the mask writer, patches
and losses work on those codes through a :class:`ClassScheme`:

========  =====================================  =====================
scheme    classes (index: name)                  canonical members
========  =====================================  =====================
binary    0 clear, 1 cloud                       clear+shadow, thin+cloud
three     0 clear, 1 cloud, 2 shadow             clear, thin+cloud, shadow
four      0 clear, 1 thin_cloud, 2 cloud,        one each
          3 shadow
========  =====================================  =====================

Fill and unknown codes map to :data:`IGNORE` (255), which losses and metrics skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from crossmask.errors import InputError, UnknownNameError

__all__ = ["ALIASES", "CANONICAL", "CLASS_CODES", "COLOURS", "FILL", "IGNORE", "SCHEMES",
           "ClassScheme", "canonical_class", "get_scheme", "is_cloud", "list_schemes",
           "to_classes"]

#: Canonical class → code.  The codes of the clear…shadow classes equal their indices
#: in the ``four`` scheme.
CLASS_CODES: dict[str, int] = {"clear": 0, "thin": 1, "cloud": 2, "shadow": 3, "fill": 255}
#: The canonical classes, in code order (fill excluded).
CANONICAL: tuple[str, ...] = ("clear", "thin", "cloud", "shadow")
#: Code of fill pixels in canonical labels.
FILL = 255
#: Class index of pixels that losses and metrics ignore (fill, unknown codes, nodata).
IGNORE = 255
#: Other spellings of the canonical classes (model class names, dataset vocabularies).
ALIASES: dict[str, str] = {"thin_cloud": "thin", "thick": "cloud", "thick_cloud": "cloud",
                           "cloud_shadow": "shadow", "nodata": "fill"}
#: 8-bit RGB of each canonical class, for colour tables and quicklooks.
COLOURS: dict[str, tuple[int, int, int]] = {"clear": (34, 139, 34), "thin": (200, 200, 200),
                                            "cloud": (255, 255, 255), "shadow": (64, 64, 64)}


def canonical_class(name: str) -> str:
    """The canonical class of a class name or alias (``"thin_cloud"`` → ``"thin"``).

    Raises
    ------
    UnknownNameError
        Naming the valid classes.
    """
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in CLASS_CODES:
        raise UnknownNameError(f"unknown class {name!r}; valid classes: "
                               f"{', '.join(CLASS_CODES)} (or {', '.join(ALIASES)})")
    return key


def is_cloud(name: str) -> bool:
    """Whether a class name stands for (thin or thick) cloud."""
    return canonical_class(name) in ("thin", "cloud")


@dataclass(frozen=True, eq=False)
class ClassScheme:
    """Classes of a training target or an evaluation.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"binary"``.
    classes : tuple of str
        Class names; class ``i`` is ``classes[i]``.
    members : mapping
        Class name → the canonical classes it gathers.
    lut : numpy.ndarray
        256-entry uint8 table: canonical code → class index (:data:`IGNORE` elsewhere).
    """

    name: str
    classes: tuple[str, ...]
    members: Mapping[str, tuple[str, ...]]
    lut: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lut = np.full(256, IGNORE, np.uint8)
        for index, name in enumerate(self.classes):
            for member in self.members[name]:
                lut[CLASS_CODES[member]] = index
        lut.setflags(write=False)
        object.__setattr__(self, "lut", lut)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def colors(self) -> tuple[tuple[int, int, int], ...]:
        """8-bit RGB of each class: the colour of the canonical class it is named after."""
        return tuple(COLOURS[canonical_class(name)] for name in self.classes)

    @property
    def cloud_indices(self) -> tuple[int, ...]:
        """Indices of the cloud classes: ``(1,)``, or ``(1, 2)`` (thin, thick) for four."""
        return tuple(i for i, name in enumerate(self.classes) if is_cloud(name))

    def index_of(self, name: str) -> int:
        """Class index of any class name (``"thin_cloud"`` is ``cloud`` in ``binary``)."""
        return int(self.lut[CLASS_CODES[canonical_class(name)]])

    def colormap(self) -> dict[int, tuple[int, int, int, int]]:
        """Class index → RGBA for a GeoTIFF colour table (ignore transparent black)."""
        table = {i: (*rgb, 255) for i, rgb in enumerate(self.colors)}
        return {**table, IGNORE: (0, 0, 0, 0)}


SCHEMES: dict[str, ClassScheme] = {s.name: s for s in (
    ClassScheme("binary", ("clear", "cloud"),
                {"clear": ("clear", "shadow"), "cloud": ("thin", "cloud")}),
    ClassScheme("three", ("clear", "cloud", "shadow"),
                {"clear": ("clear",), "cloud": ("thin", "cloud"), "shadow": ("shadow",)}),
    ClassScheme("four", ("clear", "thin_cloud", "cloud", "shadow"),
                {"clear": ("clear",), "thin_cloud": ("thin",), "cloud": ("cloud",),
                 "shadow": ("shadow",)}),
)}


def list_schemes() -> list[str]:
    """Names of the class schemes: ``["binary", "three", "four"]``."""
    return list(SCHEMES)


def get_scheme(scheme: str | ClassScheme) -> ClassScheme:
    """A scheme by name (a :class:`ClassScheme` passes through).

    Raises
    ------
    UnknownNameError
        Naming the valid schemes.
    """
    if isinstance(scheme, ClassScheme):
        return scheme
    if scheme not in SCHEMES:
        raise UnknownNameError(f"unknown class scheme {scheme!r}; valid schemes: "
                               f"{', '.join(SCHEMES)}")
    return SCHEMES[scheme]


def to_classes(codes: np.ndarray, scheme: str | ClassScheme = "binary") -> np.ndarray:
    """Class indices (uint8, :data:`IGNORE` for fill) of an array of canonical codes."""
    codes = np.asarray(codes)
    if codes.dtype != np.uint8:
        if codes.size and (not np.issubdtype(codes.dtype, np.integer)
                           or codes.min() < 0 or codes.max() > 255):
            raise InputError(f"class codes must be integers 0–255, got {codes.dtype} values")
        codes = codes.astype(np.uint8)
    return get_scheme(scheme).lut[codes]
