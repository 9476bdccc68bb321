"""Saturated pixels: from a quality band's bits, from DN at the top of the quantisation, or,
for arrays without DN (reflectance cubes), from a plateau at a band's maximum.

Three rules, in the order a reader prefers them:

1. **QA bit** (:func:`qa_bit_set`): Landsat Collection 2 ``QA_RADSAT`` sets one bit per
   band (see :data:`crossmask.products.landsat_calibration.RADSAT_BITS`).
2. **DN = QCALMAX** (:func:`dn_saturated`): a Level-1 pixel whose calibrated DN equals the
   band's largest value (``QUANTIZE_CAL_MAX_BAND_n`` / ``QCALMAX_BANDn`` of the MTL; 255 for
   8-bit TM/ETM+) is saturated: the detector, or the radiometric rescaling, clipped it.
3. **Plateau** (:func:`saturation_plateau`), when only calibrated values are left: a pixel
   is saturated when its value is within ``tolerance`` (1e-6) of the band's maximum over
   the array *and* that maximum is shared by at least ``min_fraction`` (0.1 %) of the
   band's valid (finite) pixels, and by two pixels at least.  Clipping piles many pixels onto one value; a natural
   maximum is reached by a handful of pixels, so it is not flagged.  The maximum is taken
   over the array given: pass a whole band (or give ``maximum`` from one) to apply the rule
   per window.
"""

from __future__ import annotations

import numpy as np

from crossmask.errors import InputError

__all__ = ["dn_saturated", "qa_bit_set", "saturation_plateau"]


def qa_bit_set(qa: np.ndarray, bit: int) -> np.ndarray:
    """Bool array: where bit ``bit`` (0 = least significant) of an integer QA band is set."""
    return (np.asarray(qa).astype(np.uint32) >> np.uint32(bit)) & np.uint32(1) == 1


def dn_saturated(dn: np.ndarray, qcal_max: int) -> np.ndarray:
    """Bool array: where a Level-1 DN equals the band's QCALMAX (rule 2)."""
    return np.asarray(dn) == qcal_max


def saturation_plateau(values: np.ndarray, tolerance: float = 1e-6,
                       min_fraction: float = 1e-3,
                       maximum: float | np.ndarray | None = None) -> np.ndarray:
    """Bool mask of pixels on a saturation plateau (rule 3 of the module docstring).

    Parameters
    ----------
    values : array
        One band (rows, cols) or a cube (bands, rows, cols); NaN is fill (never saturated).
    tolerance : float
        Absolute distance to the band's maximum that still counts as on it.
    min_fraction : float
        Share of the band's valid pixels that must sit on the maximum for it to be a
        plateau.
    maximum : float or array of one value per band, optional
        The band's maximum over the whole scene when ``values`` is a window of it.
    """
    values = np.asarray(values, dtype=np.float64)
    cube = values if values.ndim == 3 else values[np.newaxis]
    if cube.ndim != 3:
        raise InputError(f"values of shape {values.shape}: expected (rows, cols) or "
                         "(bands, rows, cols)")
    tops = np.broadcast_to(np.asarray(np.nan if maximum is None else maximum, np.float64),
                           cube.shape[:1])
    out = np.zeros(cube.shape, bool)
    for i, band in enumerate(cube):
        valid = np.isfinite(band)
        if not valid.any():
            continue
        top = np.max(band[valid]) if np.isnan(tops[i]) else tops[i]
        on_top = valid & (band >= top - tolerance)
        if on_top.sum() >= max(2.0, min_fraction * valid.sum()):
            out[i] = on_top
    return out if values.ndim == 3 else out[0]
