"""Fit band adjustments from spectra convolved through two sensors' responses."""

from __future__ import annotations

import numpy as np

from crossmask.errors import InputError, SpectralCoverageError, UnknownNameError
from crossmask.harmonize.adjustment import BandAdjustment, BandModel, check_method
from crossmask.harmonize.hls import HLS_CITATION, HLS_COEFFICIENTS
from crossmask.harmonize.spectra import SpectralSet, training_spectra
from crossmask.srf import band_equivalent, band_pairs, get_sensor

__all__ = ["build_adjustment", "evaluate", "fit_multivariate", "fit_ols", "fitted_bands"]

_GAP_NOTE = "not fitted: band lies in the spectral library's water-vapour gap; passed through"


def build_adjustment(source: str, target: str = "L8", method: str = "ols",
                     spectra: SpectralSet | None = None) -> BandAdjustment:
    """Build a band adjustment by any method of :data:`crossmask.harmonize.METHODS`.

    ``none`` pairs bands with slope 1; ``hls`` is the published NASA table (Sentinel-2A/2B
    → Landsat-8 only); ``ols`` and ``multivariate`` are fitted on ``spectra`` (default:
    :func:`crossmask.harmonize.spectra.training_spectra`).  Every adjustment is evaluated on
    the spectra, so metrics are comparable across methods.
    """
    method = check_method(method)
    src, tgt = get_sensor(source).key, get_sensor(target).key
    spectra = spectra if spectra is not None else training_spectra()
    if method == "none":
        adjustment = _identity(src, tgt)
    elif method == "hls":
        adjustment = _hls(src, tgt)
    elif method == "ols":
        adjustment = fit_ols(src, tgt, spectra)
    else:
        adjustment = fit_multivariate(src, tgt, spectra)
    adjustment.info.update(n_spectra=len(spectra))
    evaluate(adjustment, spectra)
    return adjustment


def fitted_bands(source: str, target: str, wavelengths: np.ndarray) -> dict[str, str]:
    """The pairs {target: source} both of whose bands the spectra cover."""
    pairs = band_pairs(source, target)
    return {t: s for t, s in pairs.items()
            if _covered(wavelengths, target, t) and _covered(wavelengths, source, s)}


def fit_ols(source: str, target: str, spectra: SpectralSet) -> BandAdjustment:
    """Per-band ordinary least squares, target = slope · source + offset (HLS style)."""
    x_all, y_all, pairs = _convolved(source, target, spectra)
    bands = []
    for tgt_band, src_band in band_pairs(source, target).items():
        if tgt_band not in pairs:
            bands.append(_passthrough(tgt_band, src_band))
            continue
        x, y = x_all[src_band], y_all[tgt_band]
        slope, offset = np.polyfit(x, y, 1)
        bands.append(BandModel(tgt_band, [src_band], [float(slope)], float(offset)))
    return BandAdjustment(source, target, "ols", bands)


def fit_multivariate(source: str, target: str, spectra: SpectralSet) -> BandAdjustment:
    """Each target band as a linear function of all covered source bands (scikit-learn)."""
    from sklearn.linear_model import LinearRegression

    x_all, y_all, pairs = _convolved(source, target, spectra)
    predictors = list(x_all)
    design = np.column_stack([x_all[name] for name in predictors])
    bands = []
    for tgt_band, src_band in band_pairs(source, target).items():
        if tgt_band not in pairs:
            bands.append(_passthrough(tgt_band, src_band))
            continue
        model = LinearRegression().fit(design, y_all[tgt_band])
        bands.append(BandModel(tgt_band, predictors, [float(c) for c in model.coef_],
                               float(model.intercept_)))
    return BandAdjustment(source, target, "multivariate", bands)


def evaluate(adjustment: BandAdjustment, spectra: SpectralSet) -> BandAdjustment:
    """Fill each fitted band's metrics (r2, rmse, bias, n) against the spectra; in place."""
    x_all, y_all, _ = _convolved(adjustment.source, adjustment.target, spectra)
    for band in adjustment.bands:
        if band.target not in y_all or any(name not in x_all for name in band.sources):
            continue
        truth = y_all[band.target]
        error = band.predict(x_all).astype(float) - truth
        ss_tot = float(np.sum((truth - truth.mean()) ** 2))
        band.metrics = {"r2": 1.0 - float(np.sum(error**2)) / ss_tot,
                        "rmse": float(np.sqrt(np.mean(error**2))),
                        "bias": float(np.mean(error)), "n": int(truth.size)}
    return adjustment


def _convolved(source: str, target: str, spectra: SpectralSet):
    """Band values of the spectra through both sensors (dicts band → 1-D array)."""
    pairs = fitted_bands(source, target, spectra.wavelengths)
    if not pairs:
        raise SpectralCoverageError(f"the spectra cover no band pair of {source}→{target}")
    src_names = [b for b in get_sensor(source).reflective_band_names
                 if _covered(spectra.wavelengths, source, b)]
    x = band_equivalent(spectra.reflectance, spectra.wavelengths, source, src_names)
    y = band_equivalent(spectra.reflectance, spectra.wavelengths, target, list(pairs))
    return ({b: x[:, i] for i, b in enumerate(src_names)},
            {b: y[:, i] for i, b in enumerate(pairs)}, pairs)


def _covered(wavelengths: np.ndarray, sensor: str, band: str) -> bool:
    try:
        band_equivalent(np.zeros(wavelengths.size), wavelengths, sensor, [band])
    except SpectralCoverageError:
        return False
    return True


def _passthrough(target_band: str, source_band: str) -> BandModel:
    return BandModel(target_band, [source_band], [1.0], 0.0, note=_GAP_NOTE)


def _identity(source: str, target: str) -> BandAdjustment:
    bands = [BandModel(t, [s], [1.0], 0.0) for t, s in band_pairs(source, target).items()]
    return BandAdjustment(source, target, "none", bands)


def _hls(source: str, target: str) -> BandAdjustment:
    if source not in HLS_COEFFICIENTS or get_sensor(target).key != "L8":
        raise UnknownNameError(
            f"the published HLS adjustment exists for S2A→L8 and S2B→L8 only, not "
            f"{source}→{target}; use --method ols or multivariate")
    table = HLS_COEFFICIENTS[source]
    bands = []
    for tgt_band, src_band in band_pairs(source, target).items():
        if tgt_band in table:
            msi, slope, offset = table[tgt_band]
            if msi != src_band:
                raise InputError(f"HLS table pairs {msi} with {tgt_band}, pairing says {src_band}")
            bands.append(BandModel(tgt_band, [src_band], [slope], offset))
        else:
            bands.append(BandModel(tgt_band, [src_band], [1.0], 0.0,
                                   note="not adjusted by HLS; passed through"))
    return BandAdjustment(source, target, "hls", bands, {"citation": HLS_CITATION})
