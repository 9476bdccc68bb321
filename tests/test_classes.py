"""The class vocabulary: canonical codes, aliases, colours and the class schemes."""

from __future__ import annotations

import numpy as np
import pytest

from crossmask.classes import (
    CLASS_CODES,
    IGNORE,
    canonical_class,
    get_scheme,
    is_cloud,
    list_schemes,
    to_classes,
)
from crossmask.errors import InputError, UnknownNameError

#: fill, shadow, clear, thin, cloud and an unknown code, as canonical codes
CODES = np.array([255, 3, 0, 1, 2, 7], np.uint8)


@pytest.mark.parametrize("name, expected", [
    ("binary", [IGNORE, 0, 0, 1, 1, IGNORE]),
    ("three", [IGNORE, 2, 0, 1, 1, IGNORE]),
    ("four", [IGNORE, 3, 0, 1, 2, IGNORE]),
])
def test_schemes_map_codes(name, expected):
    scheme = get_scheme(name)
    assert to_classes(CODES, name).tolist() == expected
    assert scheme.lut.shape == (256,) and scheme.lut.dtype == np.uint8
    assert not scheme.lut.flags.writeable
    assert len(scheme.colors) == len(scheme.classes) == scheme.n_classes
    assert scheme.colormap()[IGNORE] == (0, 0, 0, 0)


def test_scheme_errors():
    assert list_schemes() == ["binary", "three", "four"]
    with pytest.raises(UnknownNameError, match="valid schemes: binary, three, four"):
        get_scheme("five")
    with pytest.raises(InputError, match="0–255"):
        to_classes(np.array([300], np.int16))
    assert to_classes(np.array([[2, 3]], np.int64)).tolist() == [[1, 0]]


def test_aliases_and_cloud_classes():
    assert canonical_class("Thin_Cloud") == "thin" and canonical_class("cloud_shadow") == "shadow"
    assert [is_cloud(n) for n in ("clear", "thin_cloud", "cloud", "shadow")] == [
        False, True, True, False]
    with pytest.raises(UnknownNameError, match="valid classes"):
        canonical_class("haze")
    assert get_scheme("four").cloud_indices == (1, 2)
    assert get_scheme("binary").cloud_indices == get_scheme("three").cloud_indices == (1,)
    assert get_scheme("binary").index_of("shadow") == 0
    assert get_scheme("three").index_of("thin_cloud") == 1
    assert CLASS_CODES["fill"] == IGNORE
