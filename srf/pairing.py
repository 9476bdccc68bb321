"""The standard cross-sensor band pairing, as data.

Each entry maps a *target* band (the reference sensor, normally Landsat-8 OLI) to the
*source* band that observes the same spectral feature.  Sensors of one family share a
table (Sentinel-2A/2B/2C; Landsat-8/9; Landsat-7 ETM+ and Landsat-4/5 TM; PROBA-V and its
cameras).  PROBA-V → Landsat-8 is the pairing of the L8 ↔ PROBA-V transfer studies
(Mateo-García et al. 2020, 2021: B2 ↔ BLUE, B4 ↔ RED, B5 ↔ NIR, B6 ↔ SWIR).
"""

from __future__ import annotations

from collections.abc import Sequence

from crossmask.errors import MissingBandError, UnknownNameError
from crossmask.srf.registry import get_sensor

__all__ = ["PAIRINGS", "SUBSTITUTES", "band_pairs", "paired_sources"]

#: (source family, target family) → {target band: source band}.
PAIRINGS: dict[tuple[str, str], dict[str, str]] = {
    ("MSI", "OLI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B5": "B8A", "B6": "B11", "B7": "B12", "B9": "B10"},
    ("OLI", "OLI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B5": "B5", "B6": "B6", "B7": "B7", "B9": "B9"},
    ("TM", "OLI"): {"B2": "B1", "B3": "B2", "B4": "B3", "B5": "B4", "B6": "B5", "B7": "B7"},
    ("OLI", "MSI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B8A": "B5", "B11": "B6", "B12": "B7", "B10": "B9"},
    ("PROBAV", "OLI"): {"B2": "BLUE", "B4": "RED", "B5": "NIR", "B6": "SWIR"},
    ("OLI", "PROBAV"): {"BLUE": "B2", "RED": "B4", "NIR": "B5", "SWIR": "B6"},
    ("PROBAV", "PROBAV"): {name: name for name in ("BLUE", "RED", "NIR", "SWIR")},
    ("MSI", "MSI"): {name: name for name in
                     ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10",
                      "B11", "B12")},
}

#: When a source band is missing from a dataset, the band (by common name) that stands in
#: for it: e.g. sets resampled to 30 m often carry the broad NIR (S2 B8) but not B8A.
SUBSTITUTES: dict[str, tuple[str, ...]] = {"nir08": ("nir",), "nir": ("nir08",)}


def band_pairs(source: str, target: str = "L8") -> dict[str, str]:
    """Return {target band: source band} for a pair of registered sensors.

    Raises
    ------
    UnknownNameError
        If a sensor is unknown or no pairing is tabulated for the two families.
    """
    src, tgt = get_sensor(source), get_sensor(target)
    key = (src.family, tgt.family)
    if key not in PAIRINGS:
        known = ", ".join(f"{a}→{b}" for a, b in PAIRINGS)
        raise UnknownNameError(f"no band pairing from {src.key} to {tgt.key}; tabulated "
                               f"families: {known}")
    return dict(PAIRINGS[key])


def paired_sources(source: str, target: str, target_bands: Sequence[str] | None = None,
                   available: Sequence[str] | None = None) -> dict[str, str]:
    """{target band: source band} for the wanted target bands, using only available bands.

    A missing source band is replaced by its :data:`SUBSTITUTES` when available.

    Raises
    ------
    MissingBandError
        If a wanted target band has no available source band.
    UnknownNameError
        If a wanted target band is not paired at all.
    """
    pairs = band_pairs(source, target)
    src = get_sensor(source)
    wanted = list(pairs) if target_bands is None else list(target_bands)
    have = None if available is None else {src.band(b).name for b in available}
    out = {}
    for tgt_band in wanted:
        if tgt_band not in pairs:
            raise UnknownNameError(f"{target} band {tgt_band} has no {source} counterpart; "
                                   f"paired bands: {', '.join(pairs)}")
        out[tgt_band] = _available_source(src, pairs[tgt_band], have, tgt_band, target)
    return out


def _available_source(src, name: str, have: set | None, tgt_band: str, target: str) -> str:
    if have is None or name in have:
        return name
    for common in SUBSTITUTES.get(src.band(name).common_name, ()):
        stand_in = src.band(common).name
        if stand_in in have:
            return stand_in
    raise MissingBandError(f"{target} {tgt_band} needs {src.key} {name}, which the data lack "
                           f"(available: {', '.join(sorted(have)) or 'none'})")
