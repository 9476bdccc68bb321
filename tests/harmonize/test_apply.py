"""Applying a band adjustment to products (library level): encodings and grids."""

import numpy as np
import pytest
import rasterio

from crossmask.harmonize import BandAdjustment, build_adjustment, harmonize_product
from crossmask.products import open_geotiff, open_safe


@pytest.fixture(scope="module")
def coeffs(tmp_path_factory):
    path = tmp_path_factory.mktemp("coeffs") / "s2a_ols.json"
    return build_adjustment("S2A", "L8", "ols").save(path)


def test_uint16_output_carries_its_scale(safe_factory, tmp_path, coeffs):
    product = open_safe(safe_factory())
    adjustment = BandAdjustment.load(coeffs)
    f32 = harmonize_product(product, adjustment, tmp_path / "f.tif", progress=False)
    u16 = harmonize_product(product, adjustment, tmp_path / "u.tif", dtype="uint16",
                            progress=False)
    with rasterio.open(f32) as a, rasterio.open(u16) as b:
        assert b.nodata == 0 and b.scales == (1e-4,) * 8
        scaled = b.read().astype(float) * 1e-4
        ref = a.read()
    valid = ~np.isnan(ref)
    np.testing.assert_allclose(scaled[valid], np.clip(ref[valid], 1e-4, None), atol=6e-5)
    with rasterio.open(u16) as b:
        assert (b.read()[~valid] == 0).all()
    # the uint16 file reads back as reflectance through the GeoTIFF reader
    back = open_geotiff(u16, "L8")
    np.testing.assert_allclose(back.read("B4")[valid[3]], ref[3][valid[3]], atol=6e-5)
