"""The standard cross-sensor band pairing, as data.

Each entry maps a *target* band (the reference sensor, normally Landsat-8 OLI) to the
*source* band that observes the same spectral feature.  Sensors of one family share a
table (Sentinel-2A/2B; Landsat-8/9; Landsat-7 ETM+ and Landsat-5 TM).
"""

from __future__ import annotations

from crossmask.errors import UnknownNameError
from crossmask.srf.registry import get_sensor

__all__ = ["PAIRINGS", "band_pairs"]

_FAMILY = {"S2A": "MSI", "S2B": "MSI", "L8": "OLI", "L9": "OLI", "L7": "TM", "L5": "TM"}

#: (source family, target family) → {target band: source band}.
PAIRINGS: dict[tuple[str, str], dict[str, str]] = {
    ("MSI", "OLI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B5": "B8A", "B6": "B11", "B7": "B12", "B9": "B10"},
    ("OLI", "OLI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B5": "B5", "B6": "B6", "B7": "B7", "B9": "B9"},
    ("TM", "OLI"): {"B2": "B1", "B3": "B2", "B4": "B3", "B5": "B4", "B6": "B5", "B7": "B7"},
    ("OLI", "MSI"): {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                     "B8A": "B5", "B11": "B6", "B12": "B7", "B10": "B9"},
    ("MSI", "MSI"): {name: name for name in
                     ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10",
                      "B11", "B12")},
}


def band_pairs(source: str, target: str = "L8") -> dict[str, str]:
    """Return {target band: source band} for a pair of registered sensors.

    Raises
    ------
    UnknownNameError
        If a sensor is unknown or no pairing is tabulated for the two families.
    """
    src, tgt = get_sensor(source).key, get_sensor(target).key
    key = (_FAMILY[src], _FAMILY[tgt])
    if key not in PAIRINGS:
        known = ", ".join(f"{a}→{b}" for a, b in PAIRINGS)
        raise UnknownNameError(f"no band pairing from {src} to {tgt}; tabulated families: {known}")
    return dict(PAIRINGS[key])
