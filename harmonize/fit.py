"""Fit band adjustments from spectra convolved through two sensors' responses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossmask.errors import InputError, MissingBandError, SpectralCoverageError
from crossmask.harmonize.adjustment import METHODS, BandAdjustment, BandModel, check_method
from crossmask.harmonize.learned import LEARNED
from crossmask.harmonize.published import PUBLISHED, published_adjustment
from crossmask.harmonize.saturation import default_restore_saturation
from crossmask.harmonize.spectra import SpectralSet, training_spectra
from crossmask.srf import band_equivalent, band_pairs, get_sensor, paired_sources

__all__ = ["add_fit_metrics", "applicable_methods", "build_adjustment", "fit_multivariate",
           "fit_ols", "producible_bands"]

_GAP_NOTE = "not fitted: band lies in the spectral library's water-vapour gap; passed through"


def applicable_methods(source: str, target: str = "L8") -> list[str]:
    """The methods of :data:`~crossmask.harmonize.adjustment.METHODS` that exist from
    ``source`` to ``target``: a published table (``hls``, ``roy2016``;
    :data:`~crossmask.harmonize.published.PUBLISHED`) only where it covers the pair;
    ``learned`` never (it exists only as a file fitted on images, see
    :func:`crossmask.harmonize.adapt.fit_learned`)."""
    src, tgt = get_sensor(source).key, get_sensor(target).key
    return [m for m in METHODS if m != LEARNED
            and (m not in PUBLISHED or PUBLISHED[m].covers(src, tgt))]


def producible_bands(source: str, target: str, available: Sequence[str]) -> list[str]:
    """Target bands (in pairing order) whose paired source band, or its stand-in, is among
    ``available``: what a product holding only those bands can be harmonised to."""
    out = []
    for band in band_pairs(source, target):
        try:
            paired_sources(source, target, [band], available)
        except MissingBandError:
            continue
        out.append(band)
    return out


def build_adjustment(source: str, target: str = "L8", method: str = "ols",
                     spectra: SpectralSet | None = None,
                     target_bands: Sequence[str] | None = None,
                     available: Sequence[str] | None = None,
                     restore_saturation: bool | None = None) -> BandAdjustment:
    """Build a band adjustment by any method of :data:`crossmask.harmonize.METHODS`.

    ``none`` pairs bands with slope 1; ``hls`` is the published NASA table (Sentinel-2A/2B
    → Landsat-8 only), ``roy2016`` Roy et al.'s (Landsat-7 ETM+ → Landsat-8 only); ``ols``
    and ``multivariate`` are fitted on ``spectra`` (default:
    :func:`crossmask.harmonize.spectra.training_spectra`).  Every adjustment is evaluated on
    the spectra, so metrics are comparable across methods.

    Parameters
    ----------
    target_bands : sequence of str, optional
        Only produce these target bands (e.g. the bands a model takes).
    available : sequence of str, optional
        Source bands the data hold; missing paired bands are replaced by their substitutes
        (S2 B8 for B8A) and multivariate fits use only these.
    restore_saturation : bool, optional
        Restore saturated visible bands before the band models (see
        :mod:`crossmask.harmonize.saturation`); None: on for TM/ETM+ sources, off otherwise.
    """
    method = check_method(method)
    if method == LEARNED:
        raise InputError("the learned adjustment is trained on images: fit it with "
                         "`crossmask harmonize fit --method learned --source-images … "
                         "--target-images … --model …` and pass the JSON it writes "
                         "(--coeffs, or an evaluation's [adjustments])")
    src, tgt = get_sensor(source).key, get_sensor(target).key
    pairs = paired_sources(src, tgt, target_bands, available)
    spectra = spectra if spectra is not None else training_spectra()
    if method == "none":
        adjustment = BandAdjustment(src, tgt, "none",
                                    [BandModel(t, [s], [1.0], 0.0) for t, s in pairs.items()])
    elif method in PUBLISHED:
        adjustment = published_adjustment(method, src, tgt, pairs)
    elif method == "ols":
        adjustment = fit_ols(src, tgt, spectra, pairs)
    else:
        adjustment = fit_multivariate(src, tgt, spectra, pairs, available)
    adjustment.info.update(n_spectra=len(spectra))
    adjustment.restore_saturation = bool(default_restore_saturation(src)
                                         if restore_saturation is None else restore_saturation)
    add_fit_metrics(adjustment, spectra)
    return adjustment


def fit_ols(source: str, target: str, spectra: SpectralSet,
            pairs: dict[str, str] | None = None) -> BandAdjustment:
    """Per-band ordinary least squares, target = slope · source + offset (HLS style)."""
    pairs = pairs or paired_sources(source, target)
    x_all, y_all = _convolved(source, target, spectra)
    bands = []
    for tgt_band, src_band in pairs.items():
        if tgt_band not in y_all or src_band not in x_all:
            bands.append(_passthrough(tgt_band, src_band))
            continue
        slope, offset = np.polyfit(x_all[src_band], y_all[tgt_band], 1)
        bands.append(BandModel(tgt_band, [src_band], [float(slope)], float(offset)))
    return BandAdjustment(source, target, "ols", bands)


def fit_multivariate(source: str, target: str, spectra: SpectralSet,
                     pairs: dict[str, str] | None = None,
                     available: Sequence[str] | None = None) -> BandAdjustment:
    """Each target band as a linear function of all covered source bands (scikit-learn)."""
    from sklearn.linear_model import LinearRegression

    pairs = pairs or paired_sources(source, target)
    x_all, y_all = _convolved(source, target, spectra)
    if available is not None:
        keep = {get_sensor(source).band(b).name for b in available}
        x_all = {b: v for b, v in x_all.items() if b in keep}
    predictors = list(x_all)
    design = np.column_stack([x_all[name] for name in predictors])
    bands = []
    for tgt_band, src_band in pairs.items():
        if tgt_band not in y_all or src_band not in x_all:
            bands.append(_passthrough(tgt_band, src_band))
            continue
        model = LinearRegression().fit(design, y_all[tgt_band])
        bands.append(BandModel(tgt_band, predictors, [float(c) for c in model.coef_],
                               float(model.intercept_)))
    return BandAdjustment(source, target, "multivariate", bands)


def add_fit_metrics(adjustment: BandAdjustment, spectra: SpectralSet) -> BandAdjustment:
    """Fill each fitted band's metrics (r2, rmse, bias, n) against the spectra; in place."""
    x_all, y_all = _convolved(adjustment.source, adjustment.target, spectra)
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
    """Band values of the spectra through both sensors, for every band they cover."""
    src_names = _covered_bands(spectra.wavelengths, source)
    tgt_names = _covered_bands(spectra.wavelengths, target)
    if not src_names or not tgt_names:
        raise SpectralCoverageError(f"the spectra cover no band of {source} or {target}")
    x = band_equivalent(spectra.reflectance, spectra.wavelengths, source, src_names)
    y = band_equivalent(spectra.reflectance, spectra.wavelengths, target, tgt_names)
    return ({b: x[:, i] for i, b in enumerate(src_names)},
            {b: y[:, i] for i, b in enumerate(tgt_names)})


def _covered_bands(wavelengths: np.ndarray, sensor: str) -> list[str]:
    covered = []
    for band in get_sensor(sensor).reflective_band_names:
        try:
            band_equivalent(np.zeros(wavelengths.size), wavelengths, sensor, [band])
        except SpectralCoverageError:
            continue
        covered.append(band)
    return covered


def _passthrough(target_band: str, source_band: str) -> BandModel:
    return BandModel(target_band, [source_band], [1.0], 0.0, note=_GAP_NOTE)

