"""PROBA-V: VITO's per-camera responses shipped as package data, the camera-mean default,
published band centres, the Landsat-8 pairing and ``crossmask srf list``."""

from importlib import resources

import numpy as np
import pytest

from crossmask.errors import UnknownNameError
from crossmask.srf import (
    PAIRINGS,
    SENSOR_SPECS,
    WAVELENGTHS,
    band_pairs,
    get_sensor,
    paired_sources,
    same_family,
)

# VITO's published band centres (Terrascope, PROBA-V mission instruments), nm.
PUBLISHED_CENTRES = {"BLUE": 463.0, "RED": 655.0, "NIR": 837.0, "SWIR": 1603.0}
CAMERAS = {"PROBAV_L": "LEFT", "PROBAV_C": "CENTER", "PROBAV_R": "RIGHT"}


def _table(camera: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    path = resources.files("crossmask.srf").joinpath("data", f"PROBAV_{camera}_SRF.csv")
    header = path.read_text().splitlines()[0].split(",")
    values = np.loadtxt(str(path), delimiter=",", skiprows=1)
    return values[:, 0], {name: values[:, i] for i, name in enumerate(header) if i}


@pytest.mark.parametrize("alias", ["PROBAV", "proba-v", "Proba_V", "PV", "vgt"])
def test_probav_is_registered_under_its_aliases(alias):
    sensor = get_sensor(alias)
    assert (sensor.key, sensor.family, sensor.band_names) == (
        "PROBAV", "PROBAV", ["BLUE", "RED", "NIR", "SWIR"])
    assert [b.common_name for b in sensor.bands] == ["blue", "red", "nir08", "swir16"]
    assert {b.resolution for b in sensor.bands} == {333.0}
    assert SENSOR_SPECS["PROBAV"].curve_source == "crossmask/srf/data/PROBAV_MEAN_SRF.csv"


@pytest.mark.parametrize("key", ["PROBAV", *CAMERAS])
def test_centres_match_vitos_published_centres(key):
    for name, centre in PUBLISHED_CENTRES.items():
        band = get_sensor(key).band(name)
        assert band.center == pytest.approx(centre, abs=3.5), (key, name)
        assert band.response.max() == pytest.approx(1.0)
    assert get_sensor(key).band("RED").fwhm == pytest.approx(81, abs=2)
    assert get_sensor(key).band("NIR").fwhm == pytest.approx(133, abs=3)


@pytest.mark.parametrize("key, camera", CAMERAS.items())
def test_camera_curves_are_the_shipped_tables(key, camera):
    wl, table = _table(camera)
    assert list(table) == ["BLUE", "RED", "NIR", "SWIR"] and (wl[0], wl[-1]) == (425, 1800)
    for name, response in table.items():
        on_grid = np.interp(WAVELENGTHS, wl, response, left=0, right=0)
        np.testing.assert_allclose(get_sensor(key).band(name).response,
                                   on_grid / on_grid.max(), atol=1e-12)


def test_default_is_the_mean_of_the_three_cameras():
    mean = np.mean([get_sensor(k).band("NIR").response for k in CAMERAS], axis=0)
    np.testing.assert_allclose(get_sensor("PROBAV").band("NIR").response, mean / mean.max(),
                               atol=1e-6)
    centres = [get_sensor(k).band("NIR").center for k in CAMERAS]
    assert min(centres) < get_sensor("PROBAV").band("NIR").center < max(centres)


def test_cameras_share_the_family_and_pairing():
    assert all(same_family("PROBAV", k) for k in CAMERAS)
    assert band_pairs("PROBAV_C") == band_pairs("PROBAV")


def test_landsat_8_pairing_is_the_transfer_studies_one():
    assert band_pairs("PROBAV", "L8") == {"B2": "BLUE", "B4": "RED", "B5": "NIR", "B6": "SWIR"}
    assert band_pairs("L8", "PROBAV") == {"BLUE": "B2", "RED": "B4", "NIR": "B5", "SWIR": "B6"}
    assert ("PROBAV", "OLI") in PAIRINGS
    src, tgt = get_sensor("PROBAV"), get_sensor("L8")
    for t, s in band_pairs("PROBAV").items():
        assert src.band(s).common_name == tgt.band(t).common_name


def test_a_band_proba_v_lacks_is_named():
    with pytest.raises(UnknownNameError, match="L8 band B3 has no PROBAV counterpart; "
                                               "paired bands: B2, B4, B5, B6"):
        paired_sources("PROBAV", "L8", ["B2", "B3"])


def test_band_names_in_any_case():
    assert get_sensor("PROBAV").band("nir").name == "NIR"
    assert get_sensor("PROBAV").band("Swir").name == "SWIR"
    assert get_sensor("PROBAV").band("swir16").name == "SWIR"


def test_srf_list_shows_probav(invoke):
    result = invoke("srf", "list")
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("PROBAV "))
    assert "PROBA-V VEGETATION" in line and line.endswith("4 bands: BLUE RED NIR SWIR")
    assert "PROBAV_C" in result.output
