"""Spectral response functions of the registered sensors (L8, L9, S2A, S2B, S2C, L7, L5, L4,
PROBAV and its cameras), offline: from pyrsr, or for Sentinel-2C and PROBA-V from the
agencies' tables shipped in ``srf/data/``."""

from crossmask.srf.convolve import band_equivalent, band_weights
from crossmask.srf.pairing import PAIRINGS, SUBSTITUTES, band_pairs, paired_sources
from crossmask.srf.registry import (
    WAVELENGTHS,
    Band,
    Sensor,
    get_sensor,
    list_sensors,
    normalize_band_name,
    same_family,
)
from crossmask.srf.sensors import SENSOR_SPECS

__all__ = [
    "PAIRINGS",
    "SENSOR_SPECS",
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
    "same_family",
]
