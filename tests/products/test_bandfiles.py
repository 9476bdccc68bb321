"""Folders of single-band GeoTIFFs and product-type dispatch."""

import numpy as np
import pytest
import rasterio
from affine import Affine

from crossmask.errors import InputError, ProductFormatError
from crossmask.products import BandFilesProduct, open_band_files, open_product
from crossmask.products.writers.geotiff import write_band_files


@pytest.fixture
def toa_folder(tmp_path):
    """rio-cloudmask's layout: ``<ID>_B<n>_toa.tif`` float32 files, 0 outside the footprint."""
    rng = np.random.default_rng(0)
    bands = {}
    for n in (1, 2, 3, 4, 5, 6, 7, 9, 10):
        bands[f"B{n}"] = rng.uniform(0.01, 0.5, (6, 7)).astype("float32")
        bands[f"B{n}"][0, :] = 0.0  # fill outside the footprint
    write_band_files(tmp_path, "LC80130312015295LGN00", bands, crs="EPSG:32618",
                     transform=Affine(120, 0, 696345, 0, -120, 4563375))
    (tmp_path / "LC80130312015295LGN00_B4_toa.tif.aux.xml").write_text("<x/>")
    return tmp_path


def test_band_names_come_from_file_names(toa_folder):
    product = open_product(toa_folder, sensor="L8")
    assert isinstance(product, BandFilesProduct)
    assert product.band_names == ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B9", "B10"]
    refl = product.read("red")
    assert np.isnan(refl[0]).all() and not np.isnan(refl[1:]).any()
    with rasterio.open(toa_folder / "LC80130312015295LGN00_B4_toa.tif") as ds:
        np.testing.assert_array_equal(refl[1:], ds.read(1)[1:])


def test_folder_without_sensor_or_bands_is_refused(toa_folder, tmp_path_factory):
    with pytest.raises(InputError, match="needs the sensor"):
        open_product(toa_folder)
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(ProductFormatError, match="no GeoTIFF named like"):
        open_band_files(empty, "L8")


def test_real_landsat_toa_sample(shared_file):
    folder = shared_file("rio-cloudmask", "LC80130312015295LGN00_B2_toa.tif").parent
    product = open_product(folder, sensor="L8")
    assert product.band_grid("B5").shape == (458, 508)
    blue = product.read("B2")
    assert 0.05 < np.nanmean(blue) < 0.4 and 0.05 < np.isnan(blue).mean() < 0.3
