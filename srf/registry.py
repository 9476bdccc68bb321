"""The sensor registry: spectral response functions loaded offline.

A sensor's curves come from where its :class:`~crossmask.srf.sensors.SensorSpec` says:
pyrsr, which ships the agency curves inside its wheel (Landsat files in µm, Sentinel-2
files in nm), or a CSV shipped with crossmask in ``srf/data/`` (wavelengths in nm; e.g.
Sentinel-2C from ESA's S2-SRF issue 4.0, which pyrsr lacks — see ``srf/data/SOURCE.md``).
Everything here is in nm, on one shared 1 nm grid (:data:`WAVELENGTHS`), with each
response scaled to a peak of 1.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from pyrsr.rsr import RSR_reader

from crossmask.errors import ProductFormatError, UnknownNameError
from crossmask.srf.sensors import SENSOR_ALIASES, SENSOR_SPECS, BandSpec, SensorSpec

__all__ = ["WAVELENGTHS", "Band", "Sensor", "get_sensor", "list_sensors", "normalize_band_name",
           "same_family"]

#: The shared wavelength grid in nm (1 nm steps), wide enough for thermal bands.
WAVELENGTHS: np.ndarray = np.arange(350.0, 13001.0, 1.0)


@dataclass(frozen=True, eq=False)
class Band:
    """One band of a sensor with its response on :data:`WAVELENGTHS`.

    Attributes
    ----------
    name, common_name, resolution, thermal
        As in :class:`crossmask.srf.sensors.BandSpec` (resolution in m).
    response : numpy.ndarray
        Relative response on :data:`WAVELENGTHS`, peak 1, zero outside the curve.
    """

    name: str
    common_name: str
    resolution: float
    thermal: bool
    response: np.ndarray = field(repr=False)

    @functools.cached_property
    def center(self) -> float:
        """Response-weighted centre wavelength in nm."""
        return float(np.sum(WAVELENGTHS * self.response) / np.sum(self.response))

    @functools.cached_property
    def fwhm(self) -> float:
        """Full width at half maximum in nm (outermost half-maximum crossings)."""
        above = np.flatnonzero(self.response >= 0.5)
        lo, hi = above[0], above[-1]
        left = _crossing(WAVELENGTHS[lo - 1:lo + 1], self.response[lo - 1:lo + 1])
        right = _crossing(WAVELENGTHS[hi:hi + 2], self.response[hi:hi + 2])
        return float(right - left)

    def support(self, threshold: float = 0.01) -> tuple[float, float]:
        """Wavelength range in nm where the response is at least ``threshold`` of its peak."""
        idx = np.flatnonzero(self.response >= threshold)
        return float(WAVELENGTHS[idx[0]]), float(WAVELENGTHS[idx[-1]])


def _crossing(wl: np.ndarray, resp: np.ndarray) -> float:
    """Wavelength where a two-sample segment crosses 0.5 (linear interpolation)."""
    (w0, w1), (r0, r1) = wl, resp
    return float(w0 + (0.5 - r0) * (w1 - w0) / (r1 - r0)) if r1 != r0 else float(w0)


@dataclass(frozen=True, eq=False)
class Sensor:
    """A registered sensor: key (``"S2A"``), long name, its bands in agency order and its
    family (see :class:`crossmask.srf.sensors.SensorSpec`)."""

    key: str
    long_name: str
    bands: tuple[Band, ...]
    family: str

    @property
    def band_names(self) -> list[str]:
        """All band names, e.g. ``["B1", ..., "B12"]``."""
        return [b.name for b in self.bands]

    @property
    def reflective_band_names(self) -> list[str]:
        """Names of the solar-reflective (non-thermal) bands."""
        return [b.name for b in self.bands if not b.thermal]

    def band(self, name: str) -> Band:
        """Return a band by agency name (``B8A``, ``B08``, ``nir`` for PROBA-V's ``NIR``; any
    case) or common name (``nir08``).

        Raises
        ------
        UnknownNameError
            If the sensor has no such band; the message lists the valid names.
        """
        wanted = normalize_band_name(name).upper()
        for band in self.bands:
            if band.name.upper() == wanted or band.common_name == name.lower():
                return band
        raise UnknownNameError(
            f"{self.key} has no band {name!r}; valid bands: {', '.join(self.band_names)}"
        )


def normalize_band_name(name: str) -> str:
    """Spell a band name the registry way: ``"b08"`` → ``"B8"``, ``"B8a"`` → ``"B8A"``."""
    match = re.fullmatch(r"[Bb](?:and)?_?0*(\d+)([Aa]?)", name.strip())
    if not match:
        return name.strip()
    return f"B{match.group(1)}{match.group(2).upper()}"


def same_family(a: str, b: str) -> bool:
    """Whether two sensors share a family (band names and layout), e.g. L8 and L9."""
    return SENSOR_SPECS[get_sensor(a).key].family == SENSOR_SPECS[get_sensor(b).key].family


def list_sensors() -> list[str]:
    """Registry keys of every sensor: ``["L8", "L9", "S2A", …, "L4", "PROBAV", …]``."""
    return list(SENSOR_SPECS)


def get_sensor(name: str) -> Sensor:
    """Return a sensor by registry key or alias (``"S2C"``, ``"Sentinel-2C"``, ``"LC08"``).

    Raises
    ------
    UnknownNameError
        If the name is not registered; the message lists the valid keys.
    """
    key = name.strip().upper().replace(" ", "")
    key = SENSOR_ALIASES.get(key, key)
    if key not in SENSOR_SPECS:
        raise UnknownNameError(
            f"unknown sensor {name!r}; registered sensors: {', '.join(list_sensors())}"
        )
    return _load_sensor(key)


@functools.lru_cache(maxsize=None)
def _load_sensor(key: str) -> Sensor:
    spec: SensorSpec = SENSOR_SPECS[key]
    curves = _package_curves(spec) if spec.srf_file is not None else _pyrsr_curves(spec)
    bands = tuple(_band_from_curve(b, curves[b.name]) for b in spec.bands)
    return Sensor(spec.key, spec.long_name, bands, spec.family)


def _pyrsr_curves(spec: SensorSpec) -> dict[str, np.ndarray]:
    """{band name: (n, 2) wavelength, response} from pyrsr's files for the sensor."""
    raw = RSR_reader(spec.pyrsr_satellite, spec.pyrsr_sensor,
                     LayerBandsAssignment=[b.pyrsr_id for b in spec.bands])
    return {b.name: raw[b.pyrsr_id] for b in spec.bands}


def _package_curves(spec: SensorSpec) -> dict[str, np.ndarray]:
    """{band name: (n, 2) wavelength in nm, response} from the sensor's CSV in ``srf/data/``.

    Raises
    ------
    ProductFormatError
        If the table is missing (an installation without package data) or lacks a band.
    """
    table = resources.files("crossmask.srf").joinpath("data", spec.srf_file)
    try:
        with table.open("r", encoding="utf-8") as stream:
            header = stream.readline().strip().split(",")
            values = np.loadtxt(stream, delimiter=",", ndmin=2)
    except (OSError, ValueError) as err:
        raise ProductFormatError(f"{spec.curve_source}: cannot read the {spec.key} spectral "
                                 f"responses ({err}); is crossmask installed with its "
                                 "package data?") from err
    missing = [b.name for b in spec.bands if b.name not in header[1:]]
    if header[0] != "wavelength_nm" or missing or values.shape[1] != len(header):
        raise ProductFormatError(f"{spec.curve_source}: expected columns wavelength_nm and "
                                 f"{', '.join(b.name for b in spec.bands)}; found "
                                 f"{', '.join(header)}")
    return {b.name: values[:, [0, header.index(b.name)]] for b in spec.bands}


def _band_from_curve(spec: BandSpec, curve: np.ndarray) -> Band:
    """Put one raw curve (µm or nm) on the shared nm grid, peak-normalised."""
    wavelength, response = curve[:, 0].astype(float), curve[:, 1].astype(float)
    if wavelength.max() < 100.0:  # pyrsr's Landsat files are in µm
        wavelength = wavelength * 1000.0
    order = np.argsort(wavelength)
    resampled = np.interp(WAVELENGTHS, wavelength[order], response[order], left=0.0, right=0.0)
    resampled = np.clip(resampled, 0.0, None)
    resampled /= resampled.max()
    resampled.setflags(write=False)
    return Band(spec.name, spec.common_name, spec.resolution, spec.thermal, resampled)
