"""Landsat ``_MTL.txt`` metadata: the ODL parser, and each band's keys and calibration in
every MTL generation (real examples of each: ``../shared/data/metadata``).

``mtl_format`` names the generation:

* ``"legacy"`` — LPGS ≤ 11 TM/ETM+ products (before 2012): ``GROUP = L1_METADATA_FILE``
  with ``SPACECRAFT_ID = "Landsat7"``, ``ACQUISITION_DATE``, ``BAND1_FILE_NAME``,
  ``LMAX_BAND1``/``LMIN_BAND1``, ``QCALMAX_BAND1``/``QCALMIN_BAND1``, ``BAND1_GAIN = "H"``
  and for ETM+ band 6 ``…_BAND61``/``…_BAND62``, ``BAND6_GAIN1``/``BAND6_GAIN2``; sun
  elevation in ``PRODUCT_PARAMETERS``; no reflectance rescaling, no Earth–Sun distance;
* ``"pre-collection"`` — LPGS 12 (2012–2016; every L8 pre-collection product, as in L8
  Biome): ``FILE_NAME_BAND_n``, ``RADIOMETRIC_RESCALING`` with
  ``RADIANCE_/REFLECTANCE_MULT/ADD_BAND_n``, ``GAIN_BAND_n``, ``EARTH_SUN_DISTANCE``; ETM+
  band 6 as ``BAND_6_VCID_1``/``BAND_6_VCID_2``;
* ``"collection1"`` — the same with ``COLLECTION_NUMBER = 01``, ``SATURATION_BAND_n`` and
  ``_BQA.TIF``;
* ``"collection2"`` — ``GROUP = LANDSAT_METADATA_FILE``, ``LEVEL1_*`` groups,
  ``SATURATION_BAND_n``, ``_QA_PIXEL.TIF`` and ``_QA_RADSAT.TIF``.

A band's calibration is taken from, in order: ``REFLECTANCE_MULT/ADD``; else (TM/ETM+,
with the published ESUN of :mod:`~crossmask.products.landsat_calibration`)
``RADIANCE_MULT/ADD``, ``RADIANCE_MAXIMUM/MINIMUM`` + ``QUANTIZE_CAL_MAX/MIN`` or
``LMAX/LMIN`` + ``QCALMAX/QCALMIN``.  The registry's ETM+ band B6 is the low-gain thermal
band ``6_VCID_1`` (``61``), the one of the registry's ``6L`` response curve; the high-gain
``6_VCID_2`` is left in ``metadata``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from crossmask.errors import ProductFormatError
from crossmask.products.landsat_calibration import (
    ESUN,
    THERMAL_K,
    earth_sun_distance,
    range_rescaling,
    reflectance_rescaling,
)

__all__ = ["MtlValues", "band_calibration", "band_keys", "mtl_format", "parse_mtl",
           "read_mtl"]

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
#: MTL spelling (new ``_BAND_<n>``, legacy ``BAND<n>``) of registry bands named otherwise.
_MTL_BAND = {("L7", "B6"): ("6_VCID_1", "61")}


def parse_mtl(path: str | os.PathLike) -> dict:
    """Parse a Landsat ``_MTL.txt`` into nested dicts, one per ``GROUP``; values become
    int, float or str (quotes stripped; dates and times stay str).

    Raises
    ------
    ProductFormatError
        If the file is missing or a line is not ODL ``KEY = VALUE`` / ``GROUP`` syntax.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise ProductFormatError(f"{path}: cannot read MTL metadata ({err.strerror})") from err
    root: dict = {}
    stack: list[tuple[str, dict]] = [("", root)]
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text == "END":
            break
        key, sep, value = (part.strip() for part in text.partition("="))
        if not sep or not key:
            raise ProductFormatError(f"{path}: line {number} is not KEY = VALUE: {text[:60]!r}")
        if key == "GROUP":
            group: dict = {}
            stack[-1][1][value] = group
            stack.append((value, group))
        elif key == "END_GROUP":
            if len(stack) == 1 or stack[-1][0] != value:
                raise ProductFormatError(f"{path}: line {number} closes group {value!r} but "
                                         f"the open group is {stack[-1][0] or 'none'!r}")
            stack.pop()
        else:
            stack[-1][1][key] = _value(value)
    if not root:
        raise ProductFormatError(f"{path}: no MTL groups found; expected GROUP = "
                                 "L1_METADATA_FILE or GROUP = LANDSAT_METADATA_FILE")
    return root


def _value(text: str) -> int | float | str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if _NUMBER.fullmatch(text):
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return text


@dataclass
class MtlValues:
    """Every key of one MTL (groups flattened, the first occurrence wins) and the group
    each key sits in; lookups raise :class:`ProductFormatError` naming key, group and file."""

    path: Path
    values: dict
    groups: dict[str, str]

    def first(self, keys: tuple[str, ...], default=None):
        """The value of the first of ``keys`` the MTL holds, else ``default``."""
        return next((self.values[k] for k in keys if k in self.values), default)

    def has_any(self, *keys: str) -> bool:
        return any(k in self.values for k in keys)

    def number(self, key: str) -> float:
        """A numeric value; :class:`ProductFormatError` if missing or not a number."""
        if key not in self.values:
            raise self.missing(key)
        value = self.values[key]
        if not isinstance(value, (int, float)):
            raise ProductFormatError(f"{self.path}: MTL key {key} = {value!r} is not a number")
        return float(value)

    def missing(self, key: str, hint: str = "") -> ProductFormatError:
        """The error for a missing key, naming the group its siblings sit in."""
        parts = key.split("_")
        group = next((g for prefix in ("_".join(parts[:2]), parts[0])
                      for k, g in self.groups.items() if k.startswith(prefix)), None)
        where = f" in group {group}" if group else ""
        return ProductFormatError(f"{self.path}: MTL key {key} is missing{where}{hint}")

    def earth_sun_distance(self) -> float:
        """``EARTH_SUN_DISTANCE`` (AU), else computed from the acquisition date."""
        if "EARTH_SUN_DISTANCE" in self.values:
            return self.number("EARTH_SUN_DISTANCE")
        date = self.first(("DATE_ACQUIRED", "ACQUISITION_DATE"))
        try:
            return earth_sun_distance(str(date))
        except ValueError as err:
            raise ProductFormatError(
                f"{self.path}: neither EARTH_SUN_DISTANCE nor a valid DATE_ACQUIRED / "
                f"ACQUISITION_DATE ({date!r}); TOA reflectance needs one") from err


def read_mtl(path: str | os.PathLike) -> tuple[dict, MtlValues]:
    """The parsed tree of an MTL and its flattened :class:`MtlValues`."""
    tree = parse_mtl(path)
    values: dict = {}
    groups: dict[str, str] = {}

    def walk(node: dict, name: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, key)
            elif key not in values:
                values[key], groups[key] = value, name

    walk(tree, "")
    return tree, MtlValues(Path(path), values, groups)


def mtl_format(tree: dict, mtl: MtlValues) -> str:
    """``"legacy"``, ``"pre-collection"``, ``"collection1"`` or ``"collection2"``."""
    if "LANDSAT_METADATA_FILE" in tree:
        return "collection2"
    if mtl.has_any("COLLECTION_NUMBER"):
        return "collection1"
    if mtl.has_any("ACQUISITION_DATE", "BAND1_FILE_NAME", "LMAX_BAND1"):
        return "legacy"
    return "pre-collection"


def band_keys(sensor: str, band: str) -> dict[str, tuple[str, ...]]:
    """MTL keys of a registry band, by topic, new spelling first: ``file``, ``gain``,
    ``saturation``, ``qcal_max``; ``id`` is the band's ``_BAND_<id>`` suffix."""
    new, old = _MTL_BAND.get((sensor, band), (band[1:], band[1:]))
    return {"id": (new,),
            "file": (f"FILE_NAME_BAND_{new}", f"BAND{old}_FILE_NAME"),
            "gain": (f"GAIN_BAND_{new}", f"BAND{old}_GAIN", f"BAND{old[0]}_GAIN{old[1:]}"),
            "saturation": (f"SATURATION_BAND_{new}",),
            "qcal_max": (f"QUANTIZE_CAL_MAX_BAND_{new}", f"QCALMAX_BAND{old}"),
            "radiance": (f"RADIANCE_MULT_BAND_{new}", f"RADIANCE_ADD_BAND_{new}"),
            "ranges": (f"RADIANCE_MAXIMUM_BAND_{new}", f"RADIANCE_MINIMUM_BAND_{new}",
                       f"QUANTIZE_CAL_MAX_BAND_{new}", f"QUANTIZE_CAL_MIN_BAND_{new}",
                       f"LMAX_BAND{old}", f"LMIN_BAND{old}", f"QCALMAX_BAND{old}",
                       f"QCALMIN_BAND{old}")}


def _radiance(mtl: MtlValues, keys: dict) -> tuple[float, float, str] | None:
    """(G, B, source) of radiance ``L = G · DN + B`` from the MTL, or None."""
    mult, add = keys["radiance"]
    if mtl.has_any(mult, add):
        return mtl.number(mult), mtl.number(add), "RADIANCE_MULT/ADD"
    ranges = keys["ranges"]
    for names in (ranges[:4], ranges[4:]):
        if mtl.has_any(*names[:2]):
            gain, bias = range_rescaling(*(mtl.number(k) for k in names))
            label = "LMAX/LMIN" if names[0].startswith("LMAX") else "RADIANCE_MAXIMUM/MINIMUM"
            return gain, bias, f"{label} range"
    return None


def band_calibration(mtl: MtlValues, sensor: str, band: str, thermal: bool,
                     ) -> tuple[tuple[float, ...], str]:
    """A band's coefficients and, in words, where they come from.

    Reflective bands: (M, A) of ``ρ = (M · DN + A) / sin(sun elevation)``; thermal bands:
    (G, B, K1, K2) of radiance ``L = G · DN + B`` and ``T = K2 / ln(K1 / L + 1)``.
    """
    keys = band_keys(sensor, band)
    n = keys["id"][0]
    if thermal:
        radiance = _radiance(mtl, keys)
        if radiance is None:
            raise mtl.missing(f"RADIANCE_MULT_BAND_{n}")
        k1, k2 = f"K1_CONSTANT_BAND_{n}", f"K2_CONSTANT_BAND_{n}"
        if mtl.has_any(k1, k2) or sensor not in THERMAL_K:
            return (*radiance[:2], mtl.number(k1), mtl.number(k2)), f"{radiance[2]}, MTL K1/K2"
        return (*radiance[:2], *THERMAL_K[sensor]), \
            f"{radiance[2]}, K1/K2 of Chander et al. 2009"
    mult, add = f"REFLECTANCE_MULT_BAND_{n}", f"REFLECTANCE_ADD_BAND_{n}"
    esun = ESUN.get(sensor, {}).get(band)
    radiance = None if mtl.has_any(mult, add) or esun is None else _radiance(mtl, keys)
    if radiance is None:
        hint = "" if esun is None else (f" and no radiance rescaling (RADIANCE_MULT_BAND_{n}"
                                        f" or LMAX/LMIN) to use instead")
        if not mtl.has_any(mult, add):
            raise mtl.missing(mult, hint)
        return (mtl.number(mult), mtl.number(add)), "REFLECTANCE_MULT/ADD"
    distance = mtl.earth_sun_distance()
    return reflectance_rescaling(radiance[0], radiance[1], esun, distance), \
        f"{radiance[2]}, ESUN {esun:g} of Chander et al. 2009, d = {distance:.5f} AU"
