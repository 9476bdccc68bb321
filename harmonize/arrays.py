"""Harmonise an in-memory reflectance cube (NumPy, or an xarray's ``.values``) without
writing files: the same band adjustment and window code as ``crossmask harmonize apply``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmask.errors import MissingBandError
from crossmask.harmonize.adjustment import BandAdjustment
from crossmask.harmonize.apply import harmonize_window
from crossmask.harmonize.fit import build_adjustment, producible_bands
from crossmask.products import array_product

__all__ = ["harmonize_array"]


def harmonize_array(cube: np.ndarray, bands: Sequence[str], source: str, target: str = "L8",
                    method: str = "ols", target_bands: Sequence[str] | None = None,
                    adjustment: BandAdjustment | None = None, window_size: int = 1024,
                    ) -> tuple[np.ndarray, list[str]]:
    """Target-sensor reflectance of a source-sensor reflectance cube.

    Parameters
    ----------
    cube : numpy.ndarray
        (rows, cols, bands) TOA reflectance 0–1 of ``source``; NaN / ±inf are fill.  For an
        ``xarray.DataArray`` pass ``da.transpose("y", "x", "band").values``.
    bands : sequence of str
        Name of each layer (``"B8A"`` or common names such as ``"nir08"``).
    source, target : str
        Registered sensors, e.g. ``"S2A"`` → ``"L8"``.
    method : str
        ``none``, ``ols``, ``multivariate``, ``hls`` (S2A/S2B) or ``roy2016`` (L7); see
        ``crossmask.harmonize.METHODS`` (``learned`` exists only as a saved
        ``adjustment``).
    target_bands : sequence of str, optional
        Target bands to produce (e.g. a model's bands); default every band the given
        bands can make.
    adjustment : BandAdjustment, optional
        A saved adjustment (``BandAdjustment.load``) instead of ``method``.

    Returns
    -------
    (numpy.ndarray, list of str)
        float32 (rows, cols, target bands) reflectance, NaN where a source band used is
        fill, and the target band names in that order.
    """
    product = array_product(cube, list(bands), source)
    if adjustment is None:
        wanted = list(target_bands or producible_bands(product.sensor, target,
                                                       product.band_names))
        if not wanted:
            raise MissingBandError(f"bands {', '.join(bands)} of {source} make none of the "
                                   f"{target} bands")
        adjustment = build_adjustment(product.sensor, target, method, target_bands=wanted,
                                      available=product.band_names)
    elif target_bands:
        adjustment = adjustment.select(list(target_bands))
    grid = product.grid
    out = np.empty((grid.height, grid.width, len(adjustment.target_bands)), np.float32)
    for window in grid.windows(window_size):
        rows, cols = window.toslices()
        out[rows, cols] = np.moveaxis(harmonize_window(product, adjustment, grid, window), 0, -1)
    return out, list(adjustment.target_bands)
