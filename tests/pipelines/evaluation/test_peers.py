"""Peers: which dataset bands feed them on each sensor family, and why they are skipped."""

import numpy as np
import pytest

from crossmask.pipelines.evaluation.peers import PEERS, peer_bands

UKIS = PEERS["ukis-csmask"]


@pytest.mark.parametrize("sensor, available, bands", [
    ("S2A", ["B2", "B3", "B4", "B8", "B11", "B12"], ["B2", "B3", "B4", "B8", "B11", "B12"]),
    ("S2B", ["B2", "B3", "B4", "B8A"], ["B2", "B3", "B4", "B8A"]),  # B8A stands in for B8
    ("L8", ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B9"], ["B2", "B3", "B4", "B5", "B6",
                                                             "B7"]),
    ("L9", ["B2", "B3", "B4", "B5"], ["B2", "B3", "B4", "B5"]),
    ("L7", ["B1", "B2", "B3", "B4", "B5", "B7"], ["B1", "B2", "B3", "B4", "B5", "B7"]),
    ("L5", ["B1", "B2", "B3", "B4"], ["B1", "B2", "B3", "B4"]),
])
def test_ukis_takes_every_sensor_by_common_name(sensor, available, bands):
    chosen, inputs, reason = peer_bands(UKIS, sensor, available)
    assert chosen == bands and reason == ""
    assert inputs == ["blue", "green", "red", "nir", "swir16", "swir22"][:len(bands)]


def test_skips_say_why():
    chosen, _, reason = peer_bands(UKIS, "L8", ["B2", "B3", "B4"])
    assert chosen is None and "nir" in reason and "L8" in reason
    chosen, _, reason = peer_bands(PEERS["s2cloudless"], "L8", ["B1", "B2", "B3"])
    assert chosen is None and "Landsat-8" in reason and "MSI" in reason
    chosen, _, reason = peer_bands(PEERS["s2cloudless"], "S2A", ["B2", "B3", "B4", "B8"])
    assert chosen is None and "B1" in reason


def test_peer_input_fill_is_zero_not_nan_or_inf():
    from crossmask.pipelines.evaluation import peers

    seen = {}

    def fake_ukis(cube, inputs):
        seen["cube"] = cube
        return np.zeros(cube.shape[:2], np.uint8), np.full(cube.shape[:2], np.nan, np.float32)

    original = peers._ukis
    peers._ukis = fake_ukis
    try:
        cube = np.array([[[np.nan, np.inf, -np.inf, 0.2]]], np.float32)
        UKIS.predict(cube, ["blue", "green", "red", "nir"])
    finally:
        peers._ukis = original
    np.testing.assert_array_equal(seen["cube"], np.array([[[0, 0, 0, 0.2]]], np.float32))
