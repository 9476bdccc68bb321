"""The sensor registry, band-equivalent convolution and the band pairing table."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossmask.errors import InputError, SpectralCoverageError, UnknownNameError
from crossmask.srf import (
    PAIRINGS,
    WAVELENGTHS,
    band_equivalent,
    band_pairs,
    get_sensor,
    list_sensors,
    normalize_band_name,
)

EARTHLIB_LIKE = np.concatenate([np.arange(400, 1350, 10), np.arange(1460, 1790, 10),
                                np.arange(1960, 2451, 10)]).astype(float)


def test_registry_lists_the_six_sensors():
    assert list_sensors() == ["L8", "L9", "S2A", "S2B", "L7", "L5"]
    assert get_sensor("Sentinel-2A").key == "S2A"
    assert get_sensor("lc08").key == "L8"


@pytest.mark.parametrize("sensor, band, centre, resolution", [
    ("L8", "B5", 865, 30), ("L8", "B6", 1609, 30), ("S2A", "B8A", 865, 20),
    ("S2A", "B2", 492, 10), ("S2B", "B12", 2186, 20), ("L7", "B4", 835, 30),
    ("L5", "B7", 2217, 30), ("L9", "B1", 443, 30), ("L8", "B10", 10900, 100),
])
def test_band_centres_are_in_nm_whatever_the_file_unit(sensor, band, centre, resolution):
    b = get_sensor(sensor).band(band)
    assert b.center == pytest.approx(centre, abs=3)
    assert b.resolution == resolution
    assert b.response.max() == pytest.approx(1.0)


def test_fwhm_matches_published_widths():
    # USGS: OLI red 636-673 nm (37 nm); ESA: MSI B8A FWHM ~21 nm.
    assert get_sensor("L8").band("B4").fwhm == pytest.approx(37.5, abs=3)
    assert get_sensor("S2A").band("B8A").fwhm == pytest.approx(20.5, abs=3)


def test_band_lookup_accepts_agency_and_common_names():
    s2 = get_sensor("S2A")
    assert s2.band("B08").name == "B8"
    assert s2.band("b8a").name == "B8A"
    assert s2.band("nir08").name == "B8A"
    assert normalize_band_name("B01") == "B1"
    with pytest.raises(UnknownNameError, match="valid bands: B1, B2"):
        s2.band("B13")


def test_unknown_sensor_lists_valid_ones():
    with pytest.raises(UnknownNameError, match="registered sensors: L8, L9, S2A"):
        get_sensor("Sentinel-3")


def test_constant_spectrum_gives_that_constant_in_every_band():
    wl = np.arange(400.0, 2501.0, 5.0)
    out = band_equivalent(np.full((3, wl.size), 0.37), wl, "S2A")
    assert out.shape == (3, 13)
    np.testing.assert_allclose(out, 0.37, rtol=1e-12)


def test_convolution_matches_direct_integration_on_the_1nm_grid():
    rng = np.random.default_rng(1)
    wl = np.arange(400.0, 2451.0, 10.0)
    spectra = rng.random((5, wl.size))
    got = band_equivalent(spectra, wl, "L8", ["B2", "B5", "B7"])
    for j, name in enumerate(["B2", "B5", "B7"]):
        resp = get_sensor("L8").band(name).response
        inside = (WAVELENGTHS >= 400) & (WAVELENGTHS <= 2450)
        for i in range(5):
            on_grid = np.interp(WAVELENGTHS[inside], wl, spectra[i])
            expect = np.sum(on_grid * resp[inside]) / np.sum(resp[inside])
            assert got[i, j] == pytest.approx(expect, rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.1, 3.0), shift=st.floats(-0.2, 0.2))
def test_convolution_is_linear(scale, shift):
    wl = np.arange(400.0, 2451.0, 10.0)
    x = np.sin(wl / 150.0) * 0.2 + 0.3
    a = band_equivalent(scale * x + shift, wl, "S2B")
    np.testing.assert_allclose(a, scale * band_equivalent(x, wl, "S2B") + shift, atol=1e-12)


def test_spectra_not_covering_a_band_raise_naming_the_band():
    wl = np.arange(400.0, 1001.0, 10.0)
    with pytest.raises(SpectralCoverageError, match="S2A B10 .1354–1394 nm."):
        band_equivalent(np.ones(wl.size), wl, "S2A")


def test_library_gap_inside_the_cirrus_band_is_an_error():
    with pytest.raises(SpectralCoverageError, match="gap inside the support of S2A B10"):
        band_equivalent(np.ones(EARTHLIB_LIKE.size), EARTHLIB_LIKE, "S2A", ["B10"])


def test_bad_spectra_are_refused_clearly():
    wl = np.arange(400.0, 2451.0, 10.0)
    with pytest.raises(InputError, match="wavelengths were given"):
        band_equivalent(np.ones((2, 7)), wl, "L8")
    spectra = np.ones((3, wl.size))
    spectra[2, 5] = np.nan
    with pytest.raises(InputError, match="spectrum 2 holds NaN"):
        band_equivalent(spectra, wl, "L8")
    with pytest.raises(InputError, match="strictly increasing"):
        band_equivalent(np.ones(wl.size), wl[::-1], "L8")


def test_standard_pairing_is_the_published_one():
    assert band_pairs("S2A") == {"B1": "B1", "B2": "B2", "B3": "B3", "B4": "B4",
                                 "B5": "B8A", "B6": "B11", "B7": "B12", "B9": "B10"}
    assert band_pairs("L7")["B2"] == "B1"
    assert band_pairs("L5")["B6"] == "B5"


@pytest.mark.parametrize("source, target", [("S2A", "L8"), ("S2B", "L8"), ("L9", "L8"),
                                            ("L7", "L8"), ("L5", "L8"), ("L8", "S2A")])
def test_paired_bands_share_a_common_name(source, target):
    src, tgt = get_sensor(source), get_sensor(target)
    for t, s in band_pairs(source, target).items():
        assert src.band(s).common_name == tgt.band(t).common_name
    assert PAIRINGS  # the table is data, visible to users


def test_unpaired_families_raise():
    with pytest.raises(UnknownNameError, match="no band pairing from L8 to L7"):
        band_pairs("L8", "L7")
