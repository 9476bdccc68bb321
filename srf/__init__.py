"""Spectral response functions of the registered sensors, offline from pyrsr."""

from crossmask.srf.convolve import band_equivalent, band_weights
from crossmask.srf.pairing import PAIRINGS, SUBSTITUTES, band_pairs, paired_sources
from crossmask.srf.registry import (
    WAVELENGTHS,
    Band,
    Sensor,
    get_sensor,
    list_sensors,
    normalize_band_name,
)

__all__ = [
    "PAIRINGS",
    "SUBSTITUTES",
    "WAVELENGTHS",
    "Band",
    "Sensor",
    "band_equivalent",
    "band_pairs",
    "band_weights",
    "get_sensor",
    "list_sensors",
    "normalize_band_name",
    "paired_sources",
]
