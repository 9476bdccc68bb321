"""Published calibration constants of Landsat-4/5 TM, Landsat-7 ETM+ and Landsat-8/9, as
data, for Level-1 MTLs that do not carry them.

Collection 1 and 2 MTLs (and the 2012–2016 pre-collection ones) give
``REFLECTANCE_MULT/ADD_BAND_n`` and thermal ``K1/K2_CONSTANT_BAND_n``: they are always used
when present.  The oldest TM/ETM+ MTLs (LPGS ≤ 11, before 2012) give only the radiance
range (``LMAX/LMIN_BANDn``, ``QCALMAX/QCALMIN_BANDn``); then

* radiance ``L = (LMAX − LMIN) / (QCALMAX − QCALMIN) · (DN − QCALMIN) + LMIN``;
* TOA reflectance ``ρ = π · L · d² / (ESUN · cos θs)`` with θs = 90° − sun elevation,
  ``ESUN`` from :data:`ESUN` and ``d`` the MTL's ``EARTH_SUN_DISTANCE``, or when the MTL has
  none :func:`earth_sun_distance` of the acquisition day of year;
* brightness temperature ``T = K2 / ln(K1 / L + 1)`` with :data:`THERMAL_K` when the MTL
  has no K1/K2.

Sources
-------
Chander, G., Markham, B. L., Helder, D. L. (2009): Summary of current radiometric
calibration coefficients for Landsat MSS, TM, ETM+, and EO-1 ALI sensors.  Remote Sensing
of Environment 113, 893–903, https://doi.org/10.1016/j.rse.2009.01.007 — Table 11 (ESUN,
W m⁻² µm⁻¹) and Table 5 (TM/ETM+ thermal constants K1 in W m⁻² sr⁻¹ µm⁻¹, K2 in K).  The
same numbers are in python-fmask ``fmask/landsatTOA.py`` and GRASS
``imagery/i.landsat.toar/landsat_set.c`` (which adds the ETM+ pan value).

Note: USGS products compute ``REFLECTANCE_MULT`` with other solar irradiances (the
2012–2016 pre-collection ETM+ MTLs imply the Landsat-7 handbook's 1970/1842/1547/1044/
225.7/82.06/1369, Collection 1/2 yet others), so an old-format scene and a Collection 2
scene of the same acquisition differ by up to a few percent in reflectance.

QA_RADSAT bits (Collection 2 Level-1 radiometric saturation band): USGS "Landsat
Collection 2 Quality Assessment Bands" web page and the Collection 2 Level-1 Data Format
Control Books LSDS-1415 (TM) and LSDS-1414 (ETM+), as transcribed in
google/earthengine-catalog ``catalog/LANDSAT/templates/common_bands.libsonnet``: bit n−1 =
band n saturated for n = 1…7 (bit 5 is TM band 6 / ETM+ band 6L), bit 8 = ETM+ band 6H /
OLI band 9, bit 9 = TM/ETM+ dropped pixel, bit 11 = OLI terrain occlusion; the
panchromatic band and TIRS have no bit.
"""

from __future__ import annotations

import datetime
import math

__all__ = ["DN_MAX", "ESUN", "RADSAT_BITS", "RADSAT_DROPPED_BIT", "RADSAT_TERRAIN_BIT",
           "SPACECRAFT", "THERMAL_K", "earth_sun_distance", "reflectance_rescaling",
           "range_rescaling", "spacecraft_key"]

#: MTL ``SPACECRAFT_ID`` (compared without case, ``_`` or ``-``: ``"Landsat7"`` of the
#: oldest MTLs is ``LANDSAT_7``) → registry key.  A spacecraft is read only while its
#: sensor is registered in :mod:`crossmask.srf` (so ``LANDSAT_4`` is read once ``L4`` is).
SPACECRAFT: dict[str, str] = {"LANDSAT_4": "L4", "LANDSAT_5": "L5", "LANDSAT_7": "L7",
                              "LANDSAT_8": "L8", "LANDSAT_9": "L9"}

#: Exoatmospheric solar irradiance (W m⁻² µm⁻¹) per registry band, Chander et al. 2009
#: Table 11.  OLI has none: its MTLs always give ``REFLECTANCE_MULT/ADD``.
ESUN: dict[str, dict[str, float]] = {
    "L4": {"B1": 1983.0, "B2": 1795.0, "B3": 1539.0, "B4": 1028.0, "B5": 219.8,
           "B7": 83.49},
    "L5": {"B1": 1983.0, "B2": 1796.0, "B3": 1536.0, "B4": 1031.0, "B5": 220.0,
           "B7": 83.44},
    "L7": {"B1": 1997.0, "B2": 1812.0, "B3": 1533.0, "B4": 1039.0, "B5": 230.8,
           "B7": 84.90, "B8": 1362.0},
}

#: Thermal band constants (K1, K2), Chander et al. 2009 Table 5 (L7: both VCIDs).
THERMAL_K: dict[str, tuple[float, float]] = {
    "L4": (671.62, 1284.30), "L5": (607.76, 1260.56), "L7": (666.09, 1282.71)}

#: Largest calibrated DN (QCALMAX) per sensor family when the MTL gives none: TM/ETM+
#: bands are 8-bit, OLI/TIRS Level-1 bands 16-bit.
DN_MAX: dict[str, int] = {"TM": 255, "OLI": 65535}

#: Collection 2 ``QA_RADSAT`` bit of each registry band, per sensor family (see the module
#: docstring for the source).  ``"B6_VCID_2"`` is the ETM+ high-gain thermal band.
RADSAT_BITS: dict[str, dict[str, int]] = {
    "TM": {"B1": 0, "B2": 1, "B3": 2, "B4": 3, "B5": 4, "B6": 5, "B7": 6, "B6_VCID_2": 8},
    "OLI": {"B1": 0, "B2": 1, "B3": 2, "B4": 3, "B5": 4, "B6": 5, "B7": 6, "B9": 8},
}
RADSAT_DROPPED_BIT = 9  # TM/ETM+: detector has no value
RADSAT_TERRAIN_BIT = 11  # OLI: terrain occlusion


def spacecraft_key(spacecraft_id: str) -> str | None:
    """Registry key of an MTL ``SPACECRAFT_ID`` (``"Landsat7"``, ``"LANDSAT_7"`` → ``"L7"``),
    None if unknown."""
    wanted = "".join(c for c in str(spacecraft_id).upper() if c.isalnum())
    return next((key for name, key in SPACECRAFT.items()
                 if name.replace("_", "") == wanted), None)


def earth_sun_distance(date: datetime.date | str) -> float:
    """Earth–Sun distance in AU on a date: ``d = 1 − 0.01673 · cos(0.9856° · (DOY − 4))``.

    The closed form of python-fmask (``fmask/landsatTOA.py``, ``earthSunDistance``); it is
    within 5·10⁻⁴ AU of the USGS/NASA day-of-year table (Landsat-7 handbook ``d.xls``,
    excerpted in Chander et al. 2009 Table 10), ≈ 0.1 % in reflectance.  Used only when the
    MTL has no ``EARTH_SUN_DISTANCE``.
    """
    if isinstance(date, str):
        date = datetime.date.fromisoformat(date[:10])
    doy = date.timetuple().tm_yday
    return 1.0 - 0.01673 * math.cos(math.radians(0.9856 * (doy - 4)))


def range_rescaling(lmax: float, lmin: float, qcalmax: float, qcalmin: float,
                    ) -> tuple[float, float]:
    """(gain G, bias B) of ``L = G · DN + B`` from an MTL radiance range (LMAX/LMIN at
    QCALMAX/QCALMIN): ``G = (LMAX − LMIN) / (QCALMAX − QCALMIN)``, ``B = LMIN − G · QCALMIN``."""
    gain = (lmax - lmin) / (qcalmax - qcalmin)
    return gain, lmin - gain * qcalmin


def reflectance_rescaling(gain: float, bias: float, esun: float, distance: float,
                          ) -> tuple[float, float]:
    """(M, A) such that TOA reflectance ``ρ = (M · DN + A) / sin(sun elevation)``, as the
    MTL's ``REFLECTANCE_MULT/ADD``: ``M = π d² G / ESUN``, ``A = π d² B / ESUN``."""
    scale = math.pi * distance ** 2 / esun
    return gain * scale, bias * scale
