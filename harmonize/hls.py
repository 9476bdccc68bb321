"""Published NASA HLS bandpass adjustment, Sentinel-2 MSI → Landsat-8 OLI.

Claverie, M., Ju, J., Masek, J. G., et al. (2018). The Harmonized Landsat and Sentinel-2
surface reflectance data set. Remote Sensing of Environment, 219, 145–161.
https://doi.org/10.1016/j.rse.2018.09.002 — coefficients as tabulated in the HLS v2.0
Product User Guide (Masek et al., 2021), Table "Bandpass adjustment": fitted on 500
Hyperion surface-reflectance spectra convolved through MSI (RSR v2.0) and OLI responses.
OLI = slope × MSI + offset (reflectance 0–1).  The HLS adjustment leaves the cirrus band
unadjusted.
"""

from __future__ import annotations

__all__ = ["HLS_CITATION", "HLS_COEFFICIENTS"]

HLS_CITATION = (
    "Claverie et al. (2018), Remote Sens. Environ. 219, 145-161, "
    "doi:10.1016/j.rse.2018.09.002; HLS v2.0 User Guide, bandpass adjustment table"
)

#: sensor → {OLI band: (MSI band, slope, offset)}
HLS_COEFFICIENTS: dict[str, dict[str, tuple[str, float, float]]] = {
    "S2A": {
        "B1": ("B1", 0.9959, -0.0002),
        "B2": ("B2", 0.9778, -0.0040),
        "B3": ("B3", 1.0053, -0.0009),
        "B4": ("B4", 0.9765, 0.0009),
        "B5": ("B8A", 0.9983, -0.0001),
        "B6": ("B11", 0.9987, -0.0011),
        "B7": ("B12", 1.0030, -0.0012),
    },
    "S2B": {
        "B1": ("B1", 0.9959, -0.0002),
        "B2": ("B2", 0.9778, -0.0040),
        "B3": ("B3", 1.0075, -0.0008),
        "B4": ("B4", 0.9761, 0.0010),
        "B5": ("B8A", 0.9966, 0.0000),
        "B6": ("B11", 1.0000, -0.0003),
        "B7": ("B12", 0.9867, 0.0004),
    },
}
