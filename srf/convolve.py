"""Band-equivalent reflectance: spectra convolved through a sensor's responses.

ρ_band = ∫ ρ(λ) S(λ) dλ / ∫ S(λ) dλ, evaluated on the shared 1 nm grid.  Because linear
interpolation onto the grid is linear in the spectrum, the whole operation collapses into
one (wavelengths × bands) weight matrix, so millions of spectra cost one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmask.errors import InputError, SpectralCoverageError
from crossmask.srf.registry import WAVELENGTHS, Band, get_sensor

__all__ = ["band_equivalent", "band_weights"]

#: Responses below this fraction of their peak are tails; spectra need not cover them.
SUPPORT_THRESHOLD = 0.01
#: Largest gap in nm between two spectrum samples allowed inside a band's support.
MAX_GAP_NM = 25.0


def band_equivalent(spectra: np.ndarray, wavelengths: np.ndarray, sensor: str,
                    bands: Sequence[str] | None = None, chunk: int = 262_144) -> np.ndarray:
    """Convolve spectra through a sensor's spectral response functions.

    Parameters
    ----------
    spectra : numpy.ndarray
        Reflectance (0–1), shape (n_spectra, n_wavelengths) or (n_wavelengths,).
    wavelengths : numpy.ndarray
        Sample wavelengths of ``spectra`` in nm, strictly increasing.
    sensor : str
        Registered sensor key or alias, e.g. ``"S2A"``.
    bands : sequence of str, optional
        Band names; default: the sensor's solar-reflective bands.
    chunk : int
        Spectra per matrix product, bounding memory for very large inputs.

    Returns
    -------
    numpy.ndarray
        Band reflectance, shape (n_spectra, n_bands) (or (n_bands,) for one spectrum),
        float64.

    Raises
    ------
    SpectralCoverageError
        If the spectra do not sample a band's support (response ≥ 1 % of peak).
    InputError
        If shapes disagree, wavelengths are not increasing or spectra hold NaN.
    """
    spectra = np.asarray(spectra, dtype=float)
    single = spectra.ndim == 1
    spectra = np.atleast_2d(spectra)
    wavelengths = np.asarray(wavelengths, dtype=float)
    if spectra.ndim != 2 or spectra.shape[1] != wavelengths.size:
        raise InputError(
            f"spectra have shape {spectra.shape} but {wavelengths.size} wavelengths were given"
        )
    weights = band_weights(wavelengths, sensor, bands)
    out = np.empty((spectra.shape[0], weights.shape[1]))
    for start in range(0, spectra.shape[0], chunk):
        block = spectra[start:start + chunk]
        if np.isnan(block).any():
            bad = start + int(np.flatnonzero(np.isnan(block).any(axis=1))[0])
            raise InputError(f"spectrum {bad} holds NaN; remove or fill it first")
        out[start:start + chunk] = block @ weights
    return out[0] if single else out


def band_weights(wavelengths: np.ndarray, sensor: str,
                 bands: Sequence[str] | None = None) -> np.ndarray:
    """Weight matrix W, shape (n_wavelengths, n_bands), with ``spectra @ W`` = band values.

    Raises
    ------
    SpectralCoverageError
        If ``wavelengths`` do not sample a band's support closely enough.
    """
    wavelengths = np.asarray(wavelengths, dtype=float)
    if wavelengths.ndim != 1 or wavelengths.size < 2 or np.any(np.diff(wavelengths) <= 0):
        raise InputError("wavelengths must be a 1-D, strictly increasing array in nm")
    sens = get_sensor(sensor)
    names = list(bands) if bands is not None else sens.reflective_band_names
    columns = [_one_band_weights(wavelengths, sens.band(name), sens.key) for name in names]
    return np.stack(columns, axis=1)


def _one_band_weights(wavelengths: np.ndarray, band: Band, sensor_key: str) -> np.ndarray:
    lo, hi = band.support(SUPPORT_THRESHOLD)
    _check_coverage(wavelengths, lo, hi, band, sensor_key)
    inside = (WAVELENGTHS >= wavelengths[0]) & (WAVELENGTHS <= wavelengths[-1])
    grid, response = WAVELENGTHS[inside], band.response[inside]
    # Hat functions of linear interpolation: value of sample i at each grid point.
    idx = np.clip(np.searchsorted(wavelengths, grid, side="right") - 1, 0, wavelengths.size - 2)
    frac = (grid - wavelengths[idx]) / (wavelengths[idx + 1] - wavelengths[idx])
    weights = np.zeros(wavelengths.size)
    np.add.at(weights, idx, response * (1.0 - frac))
    np.add.at(weights, idx + 1, response * frac)
    return weights / response.sum()


def _check_coverage(wavelengths: np.ndarray, lo: float, hi: float, band: Band,
                    sensor_key: str) -> None:
    where = f"{sensor_key} {band.name} ({lo:.0f}–{hi:.0f} nm)"
    if wavelengths[0] > lo or wavelengths[-1] < hi:
        raise SpectralCoverageError(
            f"spectra cover {wavelengths[0]:.0f}–{wavelengths[-1]:.0f} nm, "
            f"which does not include the support of {where}"
        )
    inside = wavelengths[(wavelengths >= lo) & (wavelengths <= hi)]
    edges = np.concatenate(([lo], inside, [hi]))
    gap = np.diff(edges).max()
    if gap > MAX_GAP_NM:
        raise SpectralCoverageError(
            f"spectra have a {gap:.0f} nm gap inside the support of {where}; "
            f"at most {MAX_GAP_NM:.0f} nm is allowed"
        )
