"""Spectral band adjustment and spatial resampling: any registered sensor → Landsat-8."""

from crossmask.harmonize.adjustment import METHODS, BandAdjustment, BandModel
from crossmask.harmonize.apply import HarmonizedProduct, harmonize_product, harmonize_window
from crossmask.harmonize.fit import (
                                     add_fit_metrics,
                                     applicable_methods,
                                     build_adjustment,
                                     producible_bands,
)
from crossmask.harmonize.hls import HLS_CITATION, HLS_COEFFICIENTS
from crossmask.harmonize.resample import grid_from_product, resample_window
from crossmask.harmonize.spectra import SpectralSet, training_spectra

__all__ = [
    "HLS_CITATION",
    "HLS_COEFFICIENTS",
    "METHODS",
    "BandAdjustment",
    "BandModel",
    "HarmonizedProduct",
    "SpectralSet",
    "add_fit_metrics",
    "applicable_methods",
    "build_adjustment",
    "grid_from_product",
    "harmonize_product",
    "harmonize_window",
    "producible_bands",
    "resample_window",
    "training_spectra",
]
