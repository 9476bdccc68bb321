"""Training spectra for the band adjustment.

Measured spectra come from the ``earthlib`` spectral library (MIT licence; ENVI spectral
library ``earthlib/data/spectra.sli`` + ``.hdr``: 7,261 spectra of soils, urban materials
and PROSAIL canopies, 400–2450 nm at 10 nm).  Clouds, thin clouds over real surfaces,
snow and water bodies are added from the models in :mod:`crossmask.harmonize.optics`,
because the adjustment must hold on the pixels a cloud mask is about.

The library has no samples at 1350–1460 nm and 1790–1960 nm (strong water-vapour
absorption).  Cirrus bands (S2 B10, L8 B9, ~1375 nm) fall in that gap, so they cannot be
fitted from these spectra: every method passes them through unchanged (slope 1, offset 0).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.errors import InputError, ProductFormatError
from crossmask.harmonize import optics

__all__ = ["SpectralSet", "earthlib_library", "synthetic_spectra", "training_spectra"]


@dataclass(frozen=True)
class SpectralSet:
    """Spectra on a common wavelength axis.

    Attributes
    ----------
    reflectance : numpy.ndarray
        Reflectance 0–1, shape (n_spectra, n_wavelengths), float32.
    wavelengths : numpy.ndarray
        Wavelengths in nm, shape (n_wavelengths,).
    classes : numpy.ndarray
        A class label per spectrum (``"soil"``, ``"canopy"``, ``"cloud"``, …).
    """

    reflectance: np.ndarray
    wavelengths: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return self.reflectance.shape[0]

    def concat(self, other: "SpectralSet") -> "SpectralSet":
        """Stack two sets sampled at the same wavelengths."""
        if not np.array_equal(self.wavelengths, other.wavelengths):
            raise InputError("spectral sets are sampled at different wavelengths")
        return SpectralSet(np.concatenate([self.reflectance, other.reflectance]),
                           self.wavelengths, np.concatenate([self.classes, other.classes]))


def earthlib_path() -> Path:
    """Path of the ENVI header of earthlib's spectral library."""
    import earthlib

    return Path(earthlib.__file__).parent / "data" / "spectra.sli.hdr"


@functools.lru_cache(maxsize=2)
def earthlib_library(header: Path | None = None) -> SpectralSet:
    """Read earthlib's ENVI spectral library with ``spectral`` (µm converted to nm).

    Classes come from the library's CSV table (``LEVEL_3``: soil, canopy, road, …).

    Raises
    ------
    ProductFormatError
        If the library files are missing or unreadable.
    """
    import pandas as pd
    import spectral.io.envi as envi

    header = Path(header) if header is not None else earthlib_path()
    try:
        library = envi.open(str(header))
        table = pd.read_csv(header.with_name(header.name.replace(".sli.hdr", ".csv")))
    except (OSError, envi.EnviException) as err:
        raise ProductFormatError(f"{header}: cannot read the earthlib spectral library "
                                 f"({err}); reinstall earthlib") from err
    wavelengths = np.asarray(library.bands.centers, dtype=float)
    if (library.bands.band_unit or "").lower().startswith("micro") or wavelengths.max() < 100:
        wavelengths = np.round(wavelengths * 1000.0, 3)
    reflectance = np.clip(np.asarray(library.spectra, dtype=np.float32), 0.0, 1.0)
    classes = table["LEVEL_3"].astype(str).to_numpy()
    if classes.size != reflectance.shape[0]:
        classes = np.full(reflectance.shape[0], "library")
    return SpectralSet(reflectance, wavelengths, classes)


def synthetic_spectra(surfaces: SpectralSet, n_per_class: int = 400,
                      seed: int = 0) -> SpectralSet:
    """Generate cloud, thin-cloud, snow and water spectra on the surfaces' wavelengths.

    Thick clouds (liquid and ice) and thin clouds sit over surfaces drawn from
    ``surfaces``; snow and water are semi-infinite media.  See
    :mod:`crossmask.harmonize.optics` for the formulae and their sources.
    """
    rng = np.random.default_rng(seed)
    wl, n = surfaces.wavelengths, n_per_class
    below = surfaces.reflectance[rng.integers(0, len(surfaces), size=3 * n)].astype(float)
    phase = rng.random(3 * n) < 0.7  # 70 % liquid-water clouds, 30 % ice clouds
    top = np.where(
        phase[:, None],
        optics.granular_reflectance(wl, "water", rng.uniform(6, 25, 3 * n),
                                    rng.uniform(0.75, 0.95, 3 * n)),
        optics.granular_reflectance(wl, "ice", rng.uniform(20, 80, 3 * n),
                                    rng.uniform(0.75, 0.95, 3 * n)),
    )
    tau = np.concatenate([rng.uniform(10, 80, 2 * n), rng.uniform(0.3, 4, n)])
    clouds = optics.cloud_over_surface(top, below, tau)
    snow = optics.granular_reflectance(wl, "ice", rng.uniform(50, 1000, n),
                                       rng.uniform(0.80, 0.98, n))
    water = optics.water_body_reflectance(wl, rng.uniform(0.0, 1.0, n),
                                          rng.lognormal(np.log(0.005), 1.0, n))
    reflectance = np.clip(np.concatenate([clouds, snow, water]), 0.0, 1.0).astype(np.float32)
    classes = np.repeat(["cloud", "thin_cloud", "snow", "water"], [2 * n, n, n, n])
    return SpectralSet(reflectance, wl, classes)


def training_spectra(n_synthetic_per_class: int = 400, seed: int = 0) -> SpectralSet:
    """earthlib's measured spectra plus the generated cloud / snow / water spectra."""
    library = earthlib_library()
    return library.concat(synthetic_spectra(library, n_synthetic_per_class, seed))
