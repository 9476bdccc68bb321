"""Optical constants of liquid water and ice, and the simple radiative models built on them.

The imaginary refractive index χ(λ) sets absorption (α = 4πχ/λ).  Values are approximate
readings, at coarse wavelengths, of Hale & Querry (1973, Appl. Opt. 12, 555) for liquid
water and Warren & Brandt (2008, J. Geophys. Res. 113, D14220) for ice; visible water
values follow the pure-water absorption of Pope & Fry (1997).  They are interpolated
log-linearly.  They give spectral *shape* (where water and ice absorb), which is what a
band adjustment needs — not radiative-transfer accuracy.

Models (all reflectance 0–1, wavelength in nm):

* granular media (snow, cloud tops) — asymptotic radiative transfer of Kokhanovsky &
  Zege (2004, Appl. Opt. 43, 1589): R = R0 · exp(−b · sqrt(α · d)), b ≈ 3.6, d the
  effective grain / droplet size;
* cloud over a surface — conservative two-stream cloud of optical thickness τ and
  asymmetry g: R_c = (1−g)τ / (2 + (1−g)τ), T_c = 1 − R_c, and the surface seen through
  it, R = R_c·A + T_c² ρ_s / (1 − ρ_s R_c) (A: the absorption factor above);
* water bodies — Morel & Prieur (1977): R = f · b_b / (a + b_b), f ≈ 0.33, with pure-
  water absorption a_w = 4πχ/λ, a phytoplankton/CDOM term decaying with wavelength and
  particle backscatter b_b ∝ λ⁻¹.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "absorption_coefficient",
    "cloud_over_surface",
    "granular_reflectance",
    "imaginary_index",
    "water_body_reflectance",
]

_WAVELENGTH_NM = np.array([400, 450, 500, 550, 600, 650, 700, 750, 800, 850, 900, 950, 1000,
                           1100, 1200, 1300, 1400, 1450, 1500, 1600, 1700, 1800, 1900, 1950,
                           2000, 2100, 2200, 2300, 2400, 2500], dtype=float)
_CHI = {
    "water": np.array([2.1e-10, 3.3e-10, 8.1e-10, 2.5e-9, 1.1e-8, 1.8e-8, 3.6e-8, 1.6e-7,
                       1.3e-7, 2.9e-7, 4.9e-7, 2.9e-6, 2.9e-6, 1.3e-6, 9.9e-6, 1.4e-5,
                       1.6e-4, 2.9e-4, 2.4e-4, 8.6e-5, 1.2e-4, 1.2e-4, 1.6e-3, 1.9e-3,
                       1.1e-3, 5.0e-4, 2.9e-4, 5.0e-4, 9.6e-4, 1.7e-3]),
    "ice": np.array([2.4e-11, 1.1e-10, 8.0e-10, 2.3e-9, 2.3e-9, 1.5e-8, 3.0e-8, 8.0e-8,
                     1.3e-7, 2.6e-7, 5.6e-7, 1.5e-6, 1.6e-6, 2.0e-6, 1.0e-5, 1.3e-5,
                     1.6e-4, 3.5e-4, 5.0e-4, 2.7e-4, 1.5e-4, 1.2e-4, 7.0e-4, 1.0e-3,
                     1.6e-3, 6.0e-4, 2.9e-4, 4.0e-4, 6.5e-4, 1.0e-3]),
}


def imaginary_index(wavelength_nm: np.ndarray, substance: str) -> np.ndarray:
    """Imaginary refractive index χ of ``"water"`` or ``"ice"`` at wavelengths in nm."""
    log_chi = np.interp(wavelength_nm, _WAVELENGTH_NM, np.log(_CHI[substance]))
    return np.exp(log_chi)


def absorption_coefficient(wavelength_nm: np.ndarray, substance: str) -> np.ndarray:
    """Bulk absorption coefficient α = 4πχ/λ in 1/m."""
    wavelength_m = np.asarray(wavelength_nm, dtype=float) * 1e-9
    return 4.0 * np.pi * imaginary_index(wavelength_nm, substance) / wavelength_m


def granular_reflectance(wavelength_nm: np.ndarray, substance: str, size_um: np.ndarray,
                         r0: np.ndarray, b: float = 3.6) -> np.ndarray:
    """Reflectance of a semi-infinite granular medium (snow, cloud top), shape (n, n_wl).

    Parameters
    ----------
    wavelength_nm : numpy.ndarray
        Wavelengths in nm, shape (n_wl,).
    substance : {"water", "ice"}
        Droplets (liquid water) or grains / crystals (ice).
    size_um : numpy.ndarray
        Effective grain or droplet size in µm, shape (n,).
    r0 : numpy.ndarray
        Non-absorbing reflectance (visible brightness), shape (n,).
    """
    alpha = absorption_coefficient(wavelength_nm, substance)[None, :]
    size_m = np.asarray(size_um, dtype=float)[:, None] * 1e-6
    return np.asarray(r0, dtype=float)[:, None] * np.exp(-b * np.sqrt(alpha * size_m))


def cloud_over_surface(cloud_top: np.ndarray, surface: np.ndarray, tau: np.ndarray,
                       g: float = 0.85) -> np.ndarray:
    """A cloud of optical thickness τ over a surface (two-stream, conservative scattering).

    Parameters
    ----------
    cloud_top : numpy.ndarray
        Semi-infinite cloud reflectance (absorption shape), shape (n, n_wl).
    surface : numpy.ndarray
        Surface reflectance below, shape (n, n_wl).
    tau : numpy.ndarray
        Cloud optical thickness, shape (n,); ≲3 thin, ≳10 thick.
    g : float
        Asymmetry parameter of the droplets / crystals.
    """
    scaled = (1.0 - g) * np.asarray(tau, dtype=float)[:, None]
    r_cloud = scaled / (2.0 + scaled)
    t_cloud = 1.0 - r_cloud
    # cloud_top carries the absorption; its white (non-absorbing) level is ~r0.
    absorption = cloud_top / np.maximum(cloud_top.max(axis=1, keepdims=True), 1e-6)
    return r_cloud * absorption + t_cloud**2 * surface / (1.0 - surface * r_cloud)


def water_body_reflectance(wavelength_nm: np.ndarray, chlorophyll: np.ndarray,
                           sediment: np.ndarray, f: float = 0.33) -> np.ndarray:
    """Reflectance of deep water bodies, shape (n, n_wl).

    Parameters
    ----------
    chlorophyll : numpy.ndarray
        Proxy for phytoplankton + CDOM absorption at 440 nm in 1/m, shape (n,).
    sediment : numpy.ndarray
        Particle backscatter at 550 nm in 1/m, shape (n,).
    """
    wl = np.asarray(wavelength_nm, dtype=float)[None, :]
    a_water = absorption_coefficient(wavelength_nm, "water")[None, :]
    a_other = np.asarray(chlorophyll, dtype=float)[:, None] * np.exp(-0.014 * (wl - 440.0))
    b_b = 0.0019 * (550.0 / wl) ** 4.3 + np.asarray(sediment, dtype=float)[:, None] * (550.0 / wl)
    return f * b_b / (a_water + a_other + b_b)
