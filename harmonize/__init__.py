"""Spectral band adjustment and spatial resampling: any registered sensor → Landsat-8;
upscaling Landsat-8 to coarse sensors (PROBA-V) with their PSF."""

from crossmask.harmonize.adjustment import METHODS, BandAdjustment, BandModel
from crossmask.harmonize.apply import HarmonizedProduct, harmonize_product, harmonize_window
from crossmask.harmonize.fit import (
                                     add_fit_metrics,
                                     applicable_methods,
                                     build_adjustment,
                                     producible_bands,
)
from crossmask.harmonize.hls import HLS_CITATION, HLS_COEFFICIENTS
from crossmask.harmonize.published import PUBLISHED
from crossmask.harmonize.resample import grid_from_product, resample_window
from crossmask.harmonize.roy2016 import ROY2016_CITATION, ROY2016_COEFFICIENTS
from crossmask.harmonize.saturation import (
    NO_SATURATION_FIX,
    SATURATION_SETTINGS,
    default_restore_saturation,
    method_label,
    method_labels,
    parse_method_label,
    restore_saturated,
)
from crossmask.harmonize.spectra import SpectralSet, training_spectra
from crossmask.harmonize.upscale import (
    PSF_SIGMA_M,
    SPATIAL,
    UpscaledProduct,
    UpscaledScene,
    probav_grid,
    upscale_window,
)

__all__ = [
    "HLS_CITATION",
    "HLS_COEFFICIENTS",
    "METHODS",
    "NO_SATURATION_FIX",
    "PSF_SIGMA_M",
    "PUBLISHED",
    "ROY2016_CITATION",
    "ROY2016_COEFFICIENTS",
    "SATURATION_SETTINGS",
    "SPATIAL",
    "BandAdjustment",
    "BandModel",
    "HarmonizedProduct",
    "SpectralSet",
    "UpscaledProduct",
    "UpscaledScene",
    "add_fit_metrics",
    "applicable_methods",
    "build_adjustment",
    "default_restore_saturation",
    "grid_from_product",
    "harmonize_product",
    "harmonize_window",
    "method_label",
    "method_labels",
    "parse_method_label",
    "probav_grid",
    "producible_bands",
    "resample_window",
    "restore_saturated",
    "training_spectra",
    "upscale_window",
]
