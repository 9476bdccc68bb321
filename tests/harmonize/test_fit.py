"""Training spectra, fitted band adjustments, HLS coefficients and their JSON files."""

import json

import numpy as np
import pytest

from crossmask.errors import MissingBandError, ProductFormatError, UnknownNameError
from crossmask.harmonize import (
    HLS_COEFFICIENTS,
    METHODS,
    PUBLISHED,
    ROY2016_COEFFICIENTS,
    BandAdjustment,
    applicable_methods,
    build_adjustment,
)
from crossmask.harmonize.spectra import earthlib_library, synthetic_spectra, training_spectra
from crossmask.srf import band_equivalent

REFLECTIVE_PAIRS = {"B2": "B2", "B3": "B3", "B4": "B4", "B5": "B8A", "B6": "B11", "B7": "B12"}


@pytest.fixture(scope="module")
def spectra():
    return training_spectra()


def test_earthlib_library_is_read_in_nm_with_its_gaps():
    lib = earthlib_library()
    assert lib.reflectance.shape == (7261, 180)
    assert lib.wavelengths[0] == 400 and lib.wavelengths[-1] == 2450
    gaps = np.diff(lib.wavelengths)
    assert gaps.max() > 100  # 1350-1460 and 1790-1960 nm are missing
    assert not ((lib.wavelengths > 1360) & (lib.wavelengths < 1450)).any()
    assert {"soil", "canopy"} <= set(lib.classes)


def test_generated_spectra_behave_like_their_materials():
    lib = earthlib_library()
    syn = synthetic_spectra(lib, n_per_class=50, seed=1)
    assert syn.reflectance.min() >= 0 and syn.reflectance.max() <= 1
    bands = band_equivalent(syn.reflectance, syn.wavelengths, "L8", ["B3", "B5", "B6"])
    by = {c: bands[syn.classes == c].mean(axis=0) for c in set(syn.classes)}
    green, nir, swir = 0, 1, 2
    assert by["cloud"][green] > 0.5 and by["cloud"][swir] > 0.3       # bright, SWIR > snow
    assert by["snow"][green] > 0.7 and by["snow"][swir] < 0.15        # ice absorbs at 1.6 µm
    assert by["water"][nir] < by["water"][green] < 0.1                # dark, darker in NIR
    assert by["thin_cloud"][green] < by["cloud"][green]


@pytest.mark.parametrize("source", ["S2A", "S2B"])
def test_ols_slopes_land_within_0_03_of_hls(spectra, source):
    fitted = build_adjustment(source, "L8", "ols", spectra)
    by_target = {b.target: b for b in fitted.bands}
    for target, msi in REFLECTIVE_PAIRS.items():
        hls_band, hls_slope, _ = HLS_COEFFICIENTS[source][target]
        assert hls_band == msi == by_target[target].sources[0]
        assert abs(by_target[target].coefficients[0] - hls_slope) < 0.03, target
        assert by_target[target].metrics["r2"] > 0.99


def test_multivariate_fits_at_least_as_well_as_ols(spectra):
    ols = build_adjustment("S2A", "L8", "ols", spectra)
    multi = build_adjustment("S2A", "L8", "multivariate", spectra)
    for a, b in zip(ols.bands, multi.bands):
        if a.metrics:
            assert b.metrics["rmse"] <= a.metrics["rmse"] + 1e-9
            assert len(b.sources) == 12  # every S2 band but the cirrus one


def test_cirrus_is_passed_through_with_a_note(spectra):
    cirrus = build_adjustment("S2B", "L8", "ols", spectra).bands[-1]
    assert (cirrus.target, cirrus.sources, cirrus.coefficients) == ("B9", ["B10"], [1.0])
    assert "gap" in cirrus.note and cirrus.metrics == {}


@pytest.mark.parametrize("source, n_bands", [("L9", 8), ("L7", 6), ("L5", 6)])
def test_every_registered_source_can_be_fitted(spectra, source, n_bands):
    adjustment = build_adjustment(source, "L8", "ols", spectra)
    assert len(adjustment.bands) == n_bands
    fitted = [b for b in adjustment.bands if b.metrics]
    assert all(b.metrics["r2"] > 0.98 for b in fitted)


def test_hls_is_only_for_sentinel2(spectra):
    with pytest.raises(UnknownNameError, match="S2A→L8 and S2B→L8 only"):
        build_adjustment("L7", "L8", "hls", spectra)
    hls = build_adjustment("S2B", "L8", "hls", spectra)
    assert hls.bands[2].coefficients == [1.0075] and "Claverie" in hls.info["citation"]


def test_sentinel_2c_ols_slopes_land_within_0_03_of_sentinel_2a(spectra):
    s2a = {b.target: b for b in build_adjustment("S2A", "L8", "ols", spectra).bands}
    s2c = build_adjustment("S2C", "L8", "ols", spectra)
    assert (s2c.source, s2c.target, s2c.method) == ("S2C", "L8", "ols")
    for band in s2c.bands:
        assert band.sources == s2a[band.target].sources
        if band.target in REFLECTIVE_PAIRS:
            slope, ref = band.coefficients[0], s2a[band.target].coefficients[0]
            assert abs(slope - ref) < 0.03, band.target
            assert abs(band.intercept) < 0.01 and band.metrics["r2"] > 0.99, band.target
    # S2C's own curves are used: its B12 (2191 nm) is not S2A's (2202 nm), so the fits differ
    s2c_b7 = next(b for b in s2c.bands if b.target == "B7")
    assert s2c_b7.coefficients != s2a["B7"].coefficients


def test_sentinel_2c_multivariate_fits_at_least_as_well_as_ols(spectra):
    ols = build_adjustment("S2C", "L8", "ols", spectra)
    multi = build_adjustment("S2C", "L8", "multivariate", spectra)
    assert multi.source == "S2C" and "B10" not in multi.bands[0].sources
    for a, b in zip(ols.bands, multi.bands):
        if a.metrics:
            assert b.metrics["rmse"] <= a.metrics["rmse"] + 1e-9
            assert len(b.sources) == 12


def test_hls_is_not_offered_for_sentinel_2c(spectra):
    assert applicable_methods("S2C") == ["none", "ols", "multivariate"]
    assert "hls" in applicable_methods("S2A") and "hls" in applicable_methods("Sentinel-2B")
    assert "S2C" not in HLS_COEFFICIENTS
    with pytest.raises(UnknownNameError, match="not S2C→L8; use --method ols or multivariate"):
        build_adjustment("S2C", "L8", "hls", spectra)


def test_roy2016_applies_the_published_etm_to_oli_functions(spectra):
    roy = build_adjustment("L7", "L8", "roy2016", spectra)
    assert roy.target_bands == ["B2", "B3", "B4", "B5", "B6", "B7"]
    table = {b.target: (b.sources, b.coefficients, b.intercept) for b in roy.bands}
    assert table["B2"] == (["B1"], [0.8474], 0.0003)
    assert table["B5"] == (["B4"], [0.8462], 0.0412)
    assert table["B7"] == (["B7"], [0.9071], 0.0172)
    assert "Roy et al. (2016)" in roy.info["citation"] and roy.method == "roy2016"
    out = roy.apply({b: np.array([0.0, 0.5], "float32") for b in roy.source_bands})
    np.testing.assert_allclose(out["B4"], [0.0061, 0.9047 * 0.5 + 0.0061], rtol=1e-6)
    assert all(b.metrics["n"] == len(spectra) for b in roy.bands)  # scored like the fits


@pytest.mark.parametrize("source", ["L5", "L4", "S2A", "L9"])
def test_roy2016_is_refused_beyond_landsat_7(spectra, source):
    with pytest.raises(UnknownNameError, match=f"L7→L8 only, not {source}→L8"):
        build_adjustment(source, "L8", "roy2016", spectra)
    assert "roy2016" not in applicable_methods(source)


def test_applicable_methods_follow_the_published_tables(spectra):
    assert applicable_methods("L7") == ["none", "ols", "multivariate", "roy2016"]
    assert applicable_methods("Landsat-5") == ["none", "ols", "multivariate"]
    assert applicable_methods("S2B") == ["none", "ols", "multivariate", "hls"]
    assert set(PUBLISHED) <= set(METHODS) and set(ROY2016_COEFFICIENTS) == {"L7"}
    with pytest.raises(UnknownNameError, match="HLS adjustment exists"):
        build_adjustment("S2A", "L9", "hls", spectra)


def test_none_method_is_the_pairing_with_unit_slopes(spectra):
    none = build_adjustment("S2A", "L8", "none", spectra)
    assert all(b.coefficients == [1.0] and b.intercept == 0 for b in none.bands)
    out = none.apply({"B1": 1, "B2": 2, "B3": 3, "B4": 4, "B8A": 5, "B11": 6, "B12": 7,
                      "B10": 8})
    assert [float(out[t]) for t in none.target_bands] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_apply_needs_every_source_band(spectra):
    ols = build_adjustment("S2A", "L8", "ols", spectra)
    with pytest.raises(MissingBandError, match="B12"):
        ols.apply({b: np.zeros(2) for b in ["B1", "B2", "B3", "B4", "B8A", "B11", "B10"]})


def test_json_round_trip_gives_identical_predictions(spectra, tmp_path):
    multi = build_adjustment("S2A", "L8", "multivariate", spectra)
    path = multi.save(tmp_path / "coeffs.json")
    again = BandAdjustment.load(path)
    values = {b: np.random.default_rng(0).random(10).astype(np.float32)
              for b in multi.source_bands}
    for t in multi.target_bands:
        np.testing.assert_array_equal(multi.apply(values)[t], again.apply(values)[t])
    doc = json.loads(path.read_text())
    assert doc["format"] == "crossmask-band-adjustment" and doc["version"] == 1


def test_json_of_another_version_or_format_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": "crossmask-band-adjustment", "version": 99}))
    with pytest.raises(ProductFormatError, match="version 99 comes from another crossmask version"):
        BandAdjustment.load(path)
    path.write_text("[1, 2")
    with pytest.raises(ProductFormatError, match="cannot read band adjustment"):
        BandAdjustment.load(path)


def test_adjustment_for_a_model_and_a_dataset_with_broad_nir(spectra):
    ukis_bands = ["B2", "B3", "B4", "B8", "B11", "B12"]
    model_bands = ["B2", "B3", "B4", "B5", "B6", "B7"]
    ols = build_adjustment("S2A", "L8", "ols", spectra, model_bands, ukis_bands)
    assert ols.target_bands == model_bands
    nir = ols.bands[3]
    assert nir.sources == ["B8"] and nir.metrics["r2"] > 0.95  # B8 stands in for B8A
    multi = build_adjustment("S2A", "L8", "multivariate", spectra, model_bands, ukis_bands)
    assert set(multi.source_bands) == set(ukis_bands)
    hls = build_adjustment("S2A", "L8", "hls", spectra, model_bands, ukis_bands)
    assert hls.bands[3].coefficients == [1.0] and "no published HLS" in hls.bands[3].note
    with pytest.raises(MissingBandError, match="L8 B6 needs S2A B11"):
        build_adjustment("S2A", "L8", "ols", spectra, model_bands, ["B2", "B3", "B4", "B8A"])
