"""The sensor registry, band-equivalent convolution and the band pairing table."""

import dataclasses
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossmask.errors import (
    InputError,
    ProductFormatError,
    SpectralCoverageError,
    UnknownNameError,
)
from crossmask.srf import (
    PAIRINGS,
    SENSOR_SPECS,
    WAVELENGTHS,
    band_equivalent,
    band_pairs,
    get_sensor,
    list_sensors,
    normalize_band_name,
    registry,
)

EARTHLIB_LIKE = np.concatenate([np.arange(400, 1350, 10), np.arange(1460, 1790, 10),
                                np.arange(1960, 2451, 10)]).astype(float)


def test_registry_lists_the_sensors():
    assert list_sensors() == ["L8", "L9", "S2A", "S2B", "S2C", "L7", "L5", "L4", "PROBAV",
                              "PROBAV_L", "PROBAV_C", "PROBAV_R"]
    assert get_sensor("Sentinel-2A").key == "S2A"
    assert get_sensor("lc08").key == "L8"


@pytest.mark.parametrize("alias", ["S2C", "s2c", "Sentinel-2C", "SENTINEL2C", "S2C_MSI",
                                   "sentinel 2c"])
def test_sentinel_2c_is_registered_under_its_aliases(alias):
    sensor = get_sensor(alias)
    assert (sensor.key, sensor.long_name, sensor.family) == ("S2C", "Sentinel-2C MSI", "MSI")


def test_sentinel_2c_has_the_msi_band_layout():
    s2a, s2c = get_sensor("S2A"), get_sensor("S2C")
    assert s2c.band_names == s2a.band_names
    assert [(b.common_name, b.resolution, b.thermal) for b in s2c.bands] == \
        [(b.common_name, b.resolution, b.thermal) for b in s2a.bands]
    assert band_pairs("S2C") == band_pairs("S2A")


def test_each_sensor_names_exactly_one_curve_source():
    for spec in SENSOR_SPECS.values():
        from_pyrsr = spec.pyrsr_satellite is not None and spec.pyrsr_sensor is not None
        assert from_pyrsr != (spec.srf_file is not None), spec.key
    assert SENSOR_SPECS["S2C"].srf_file == "S2C_MSI_SRF.csv"
    assert SENSOR_SPECS["S2A"].srf_file is None


def _esa_s2c_table() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The shipped ESA table read directly (not through the registry)."""
    path = resources.files("crossmask.srf").joinpath("data", "S2C_MSI_SRF.csv")
    header = path.read_text().splitlines()[0].split(",")
    values = np.loadtxt(str(path), delimiter=",", skiprows=1)
    return values[:, 0], {name: values[:, i] for i, name in enumerate(header) if i}


def test_sentinel_2c_curves_are_the_shipped_esa_table():
    wl, table = _esa_s2c_table()
    assert list(table) == get_sensor("S2C").band_names
    assert (wl[0], wl[-1], np.diff(wl).max()) == (414, 2312, 1)
    for name, response in table.items():
        band = get_sensor("S2C").band(name)
        on_grid = np.interp(WAVELENGTHS, wl, response, left=0, right=0)
        np.testing.assert_allclose(band.response, on_grid / on_grid.max(), atol=1e-12)
        centre = float(np.sum(wl * response) / np.sum(response))
        assert band.center == pytest.approx(centre, abs=0.01), name


# Response-weighted centres of ESA's S2-SRF issue 4.0 S2C sheet (srf/data/SOURCE.md), which
# match the ESA reference wavelengths quoted for S2C (B1 444.2, B2 489.0, B3 560.6, B4 666.5,
# B8 834.6, B12 2191.3 nm).
S2C_CENTRES = {"B1": 444.2, "B2": 489.0, "B3": 560.6, "B4": 666.5, "B5": 707.1, "B6": 741.1,
               "B7": 784.7, "B8": 834.6, "B8A": 865.6, "B9": 947.2, "B10": 1372.2,
               "B11": 1612.0, "B12": 2191.3}


def test_sentinel_2c_centres_match_esa_and_lie_near_sentinel_2a():
    s2a, s2b, s2c = get_sensor("S2A"), get_sensor("S2B"), get_sensor("S2C")
    for name, centre in S2C_CENTRES.items():
        assert s2c.band(name).center == pytest.approx(centre, abs=1.0), name
        if name != "B12":  # same band design: within a few nm of S2A
            assert abs(s2c.band(name).center - s2a.band(name).center) < 4.0, name
    # B12 differs most between units (S2A 2202 nm, S2B 2186 nm); S2C lies between them.
    assert s2b.band("B12").center < s2c.band("B12").center < s2a.band("B12").center
    assert s2c.band("B8A").fwhm == pytest.approx(20.5, abs=3)  # narrow NIR as on S2A/S2B


def test_missing_package_table_is_a_clear_error():
    spec = dataclasses.replace(SENSOR_SPECS["S2C"], srf_file="NOT_THERE.csv")
    with pytest.raises(ProductFormatError, match="NOT_THERE.csv: cannot read the S2C"):
        registry._package_curves(spec)


@pytest.mark.parametrize("sensor, band, centre, resolution", [
    ("L8", "B5", 865, 30), ("L8", "B6", 1609, 30), ("S2A", "B8A", 865, 20),
    ("S2A", "B2", 492, 10), ("S2B", "B12", 2186, 20), ("L7", "B4", 835, 30),
    ("L5", "B7", 2217, 30), ("L9", "B1", 443, 30), ("L8", "B10", 10900, 100),
    ("S2C", "B2", 489, 10), ("S2C", "B8A", 866, 20), ("S2C", "B11", 1612, 20),
    ("L4", "B4", 839, 30), ("L4", "B6", 11154, 120),
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


@pytest.mark.parametrize("source, target", [("S2A", "L8"), ("S2B", "L8"), ("S2C", "L8"),
                                            ("L9", "L8"), ("L7", "L8"), ("L5", "L8"),
                                            ("L4", "L8"), ("L8", "S2A"), ("L8", "S2C")])
def test_paired_bands_share_a_common_name(source, target):
    src, tgt = get_sensor(source), get_sensor(target)
    for t, s in band_pairs(source, target).items():
        assert src.band(s).common_name == tgt.band(t).common_name
    assert PAIRINGS  # the table is data, visible to users


@pytest.mark.parametrize("alias", ["L4", "LANDSAT4", "Landsat-4", "LT04", "lt4"])
def test_landsat_4_tm_is_registered_under_its_aliases(alias):
    sensor = get_sensor(alias)
    assert (sensor.key, sensor.long_name, sensor.family) == ("L4", "Landsat-4 TM", "TM")
    assert sensor.band_names == get_sensor("L5").band_names
    assert SENSOR_SPECS["L4"].curve_source == "pyrsr Landsat-4/TM"
    assert band_pairs("L4") == band_pairs("L5")


def test_unpaired_families_raise():
    with pytest.raises(UnknownNameError, match="no band pairing from L8 to L7"):
        band_pairs("L8", "L7")


def test_package_table_without_a_band_column_is_refused(monkeypatch, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "S2C_MSI_SRF.csv").write_text("wavelength_nm,B1,B2\n500,0.5,1\n501,1,0\n")
    monkeypatch.setattr(registry.resources, "files", lambda package: tmp_path)
    with pytest.raises(ProductFormatError, match="expected columns wavelength_nm and B1, B2, B3"):
        registry._package_curves(SENSOR_SPECS["S2C"])
