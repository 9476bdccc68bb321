"""Saturation rules for arrays: QA bits, DN = QCALMAX and the plateau at a band's maximum."""

from __future__ import annotations

import numpy as np
import pytest

from crossmask.errors import InputError
from crossmask.products.saturation import dn_saturated, qa_bit_set, saturation_plateau


def band(seed: int = 0, shape=(100, 100)) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 0.8, shape)


def test_plateau_of_clipped_pixels_is_flagged():
    values = band()
    values[:2, :10] = 0.9  # 20 of 10000 pixels (0.2 %) clipped at the maximum
    values[50, 50] = 0.9 - 5e-7  # within 1e-6 of it
    values[60, 60] = 0.9 - 5e-6  # not
    got = saturation_plateau(values)
    expected = np.zeros(values.shape, bool)
    expected[:2, :10] = expected[50, 50] = True
    np.testing.assert_array_equal(got, expected)


def test_a_natural_maximum_is_not_a_plateau():
    values = band(1)
    values[3, 4] = 0.95  # one brightest pixel: not saturation
    assert not saturation_plateau(values).any()
    values[:2, :4] = 0.95  # with [3, 4]: 9 pixels = 0.09 % < 0.1 %
    assert not saturation_plateau(values).any()
    assert saturation_plateau(values, min_fraction=5e-4).sum() == 9


def test_plateau_ignores_fill_and_works_per_band_of_a_cube():
    cube = np.stack([band(2), band(3), np.full((100, 100), np.nan)])
    cube[0, :20, 0] = 1.0
    cube[0, 90:, :] = np.nan  # fill is not counted among the valid pixels
    got = saturation_plateau(cube)
    assert got.shape == cube.shape and got[0].sum() == 20
    assert not got[1].any() and not got[2].any()
    # a window of the band, with the scene's maximum
    window = cube[0, :10, :10]
    assert saturation_plateau(window, maximum=1.0).sum() == 10
    assert not saturation_plateau(cube[0, 40:60, 40:60], maximum=1.0).any()
    with pytest.raises(InputError, match="expected"):
        saturation_plateau(np.zeros(5))


def test_qa_bits_and_dn_rule():
    qa = np.array([[0, 1, 2, 3], [256, 257, 512, 0]], np.uint16)
    np.testing.assert_array_equal(qa_bit_set(qa, 0), [[0, 1, 0, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(qa_bit_set(qa, 8), [[0, 0, 0, 0], [1, 1, 0, 0]])
    dn = np.array([0, 1, 254, 255], np.uint8)
    np.testing.assert_array_equal(dn_saturated(dn, 255), [False, False, False, True])
