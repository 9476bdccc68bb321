"""PROBA-V HDF5 products: Level-2A / Level-3 TOA on their lat/lon grid and Level-1C
warped from raw geometry, read from files the writer puts in VITO's layout."""

import shutil

import h5py
import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from crossmask.errors import InputError, MissingBandError, ProductFormatError, UnscaledDataError
from crossmask.products import (
    Grid,
    ProbaVL1CProduct,
    ProbaVProduct,
    is_product_file,
    lattice_grid,
    open_probav,
    open_product,
)
from crossmask.products.writers.probav import (
    affine_tie_points,
    write_probav_l1c,
    write_probav_l2a,
)

STEP = 1.0 / 336.0
BANDS = ("BLUE", "RED", "NIR", "SWIR")


@pytest.fixture
def grid() -> Grid:
    return Grid(CRS.from_epsg(4326), Affine(STEP, 0.0, 10.0, 0.0, -STEP, 45.0), 12, 8)


@pytest.fixture
def reflectance(grid) -> dict:
    rng = np.random.default_rng(7)
    bands = {b: rng.uniform(0.02, 0.6, grid.shape) for b in BANDS}
    bands["RED"][0, 0] = np.nan
    return bands


@pytest.fixture
def l2a(tmp_path, grid, reflectance):
    return write_probav_l2a(tmp_path, reflectance, grid, camera=3, date="20160101")


def test_l2a_reads_toa_reflectance_on_its_grid(l2a, grid, reflectance):
    assert l2a.name == "PROBAV_L2A_20160101_000000_3_333M_V101.HDF5"
    product = open_product(l2a)
    assert isinstance(product, ProbaVProduct)
    assert (product.sensor, product.level, product.band_names) == ("PROBAV", "L2A", list(BANDS))
    assert product.info == {"level": "L2A", "camera": "3", "resolution": "333M"}
    assert product.grid == grid and product.grid.crs.to_epsg() == 4326
    for band in BANDS:
        values = product.read(band)
        assert values.dtype == np.float32
        np.testing.assert_allclose(values, reflectance[band], atol=0.5 / 2000 + 1e-7)
    assert np.isnan(product.read("red")[0, 0]) and not np.isnan(product.read("BLUE")[0, 0])
    window = Window(3, 2, 5, 4)
    np.testing.assert_array_equal(product.read("NIR", window), product.read("NIR")[2:6, 3:8])
    assert is_product_file(l2a)


def test_mapping_is_the_first_pixel_centre(l2a):
    with h5py.File(l2a) as h5:
        mapping = [v.decode() for v in h5["LEVEL2A/RADIOMETRY/RED/TOA"].attrs["MAPPING"]]
        scale = h5["LEVEL2A/RADIOMETRY/RED/TOA"].attrs["SCALE"][0]
    assert mapping[0] == "Geographic Lat/Lon" and scale == 2000
    assert float(mapping[3]) == pytest.approx(10.0 + STEP / 2)
    assert float(mapping[4]) == pytest.approx(45.0 - STEP / 2)


def test_geometry_corners_give_the_same_grid_without_mapping(l2a, grid):
    with h5py.File(l2a, "r+") as h5:
        for band in BANDS:
            del h5[f"LEVEL2A/RADIOMETRY/{band}/TOA"].attrs["MAPPING"]
    found = open_product(l2a).grid
    assert found.shape == grid.shape
    np.testing.assert_allclose(found.transform[:6], grid.transform[:6], atol=1e-9)


def test_status_map_bits_fill_bad_and_uncovered_pixels(l2a):
    with h5py.File(l2a, "r+") as h5:
        sm = h5["LEVEL2A/QUALITY/SM"][...]
        sm[1, 1] &= ~np.uint16(1 << 5)   # NIR radiometric quality bad
        sm[2, 2] &= ~np.uint16(1 << 11)  # BLUE not observed
        sm[3, 3] = (sm[3, 3] & ~np.uint16(0b111)) | 3  # cloud: not fill
        h5["LEVEL2A/QUALITY/SM"][...] = sm
    product = open_product(l2a)
    nir, blue = product.read("NIR"), product.read("BLUE")
    assert np.isnan(nir[1, 1]) and not np.isnan(blue[1, 1])
    assert np.isnan(blue[2, 2]) and not np.isnan(nir[2, 2])
    assert np.isfinite(nir[3, 3]) and np.isfinite(blue[3, 3])
    assert np.isnan(nir).sum() == 1


def test_level_3_synthesis_has_no_coverage_bits(tmp_path, grid, reflectance):
    path = write_probav_l2a(tmp_path, reflectance, grid, level="L3", resolution="333M")
    assert path.name == "PROBAV_S1_TOA_X19Y03_20160101_333M_V101.HDF5"
    product = open_product(path)
    assert (product.level, product.info["level"], product.coverage) == ("L3", "S1", False)
    np.testing.assert_allclose(product.read("SWIR"), reflectance["SWIR"], atol=3e-4)


def test_camera_sensor_and_other_sensors(l2a):
    assert open_product(l2a, sensor="PROBAV_C").sensor == "PROBAV_C"
    with pytest.raises(InputError, match="did not take PROBA-V products"):
        open_product(l2a, sensor="S2A")


def test_missing_band_dataset_is_named(l2a):
    with h5py.File(l2a, "r+") as h5:
        del h5["LEVEL2A/RADIOMETRY/NIR/TOA"]
    with pytest.raises(MissingBandError, match=r"band NIR: dataset /LEVEL2A/RADIOMETRY/NIR/TOA "
                                               "is missing"):
        open_product(l2a)


def test_missing_scale_is_an_unscaled_data_error(l2a):
    with h5py.File(l2a, "r+") as h5:
        del h5["LEVEL2A/RADIOMETRY/SWIR/TOA"].attrs["SCALE"]
    with pytest.raises(UnscaledDataError, match="SWIR/TOA has no numeric SCALE"):
        open_product(l2a)


def test_truncated_file_is_a_format_error(l2a, tmp_path):
    cut = tmp_path / "PROBAV_L2A_cut.HDF5"
    cut.write_bytes(l2a.read_bytes()[: l2a.stat().st_size // 2])
    with pytest.raises(ProductFormatError, match="PROBAV_L2A_cut.HDF5: cannot open as a "
                                                 "PROBA-V HDF5 product") as err:
        open_product(cut)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("groups, message", [
    (("LEVEL2B",), "root groups: LEVEL2B; expected LEVEL1C, LEVEL2A or LEVEL3"),
    (("LEVEL3/RADIOMETRY/BLUE/TOC",), "a TOC .*product"),
    (("LEVEL3/NDVI",), "holds no radiometry .*NDVI"),
])
def test_wrong_product_level_is_refused(tmp_path, groups, message):
    path = tmp_path / "PROBAV_OTHER.HDF5"
    with h5py.File(path, "w") as h5:
        for group in groups:
            h5.create_group(group)
    with pytest.raises(ProductFormatError, match=message):
        open_product(path)


# ---------------------------------------------------------------- Level-1C

def _plane(lon, lat):
    """A smooth field of reflectance (0.1 … 0.3 over the segment)."""
    return 0.1 + 2.0 * (lon - 10.0) + 1.0 * (45.0 - lat)


@pytest.fixture
def l1c(tmp_path):
    """A tilted 40 × 36 VNIR segment (≈ 166 m pixels) and three 20 × 7 SWIR strips at half
    the sampling, overlapping by one column, holding :func:`_plane`."""
    raw = Affine(STEP / 2, STEP / 20, 10.0, STEP / 25, -STEP / 2, 45.0)
    rasters, ties = {}, {}
    for group in ("BLUE", "RED", "NIR"):
        rows, cols = np.mgrid[0:40, 0:36]
        rasters[group] = _plane(*(raw @ (cols + 0.5, rows + 0.5))).astype(np.float32)
        ties[group] = affine_tie_points(raw, (40, 36))
    for k, group in enumerate(("SWIR1", "SWIR2", "SWIR3")):
        strip = raw @ Affine.scale(2) @ Affine.translation(6 * k - (k > 0), 0)
        rows, cols = np.mgrid[0:20, 0:7]
        rasters[group] = _plane(*(strip @ (cols + 0.5, rows + 0.5))).astype(np.float32)
        ties[group] = affine_tie_points(strip, (20, 7), every=4)
    rasters["RED"][5, 5] = np.nan
    return write_probav_l1c(tmp_path, rasters, ties, camera=1)


def _truth(grid: Grid) -> np.ndarray:
    rows, cols = np.mgrid[0:grid.height, 0:grid.width]
    return _plane(*(grid.transform @ (cols + 0.5, rows + 0.5)))


def test_l1c_grid_step_defaults_to_the_nearest_lattice_step(l1c):
    product = open_product(l1c)
    assert isinstance(product, ProbaVL1CProduct) and product.info["level"] == "L1C"
    # raw VNIR pixels of 1/672° lie nearer 1/1008° (100M) than 1/336° (333M)
    assert product.grid.transform.a == pytest.approx(1 / 1008)
    assert open_probav(l1c, step=STEP).grid.transform.a == pytest.approx(STEP)


def test_l1c_is_warped_onto_the_lattice(l1c):
    product = open_probav(l1c, step=STEP)
    grid = product.grid
    assert grid.crs.to_epsg() == 4326 and grid.transform.a == pytest.approx(STEP)
    assert (grid.transform.c + 180) / STEP == pytest.approx(round((grid.transform.c + 180)
                                                                  / STEP), abs=1e-6)
    truth = _truth(grid)
    for band in ("BLUE", "SWIR"):
        values = product.read(band)
        inside = np.isfinite(values)
        assert inside.mean() > 0.6, band
        # one lattice pixel changes the field by 0.006: edge pixels are partly covered
        assert np.median(np.abs(values - truth)[inside]) < 5e-4, band
        assert np.abs(values - truth)[inside].max() < 6e-3, band


def test_l1c_windows_read_as_the_whole(l1c):
    product = open_probav(l1c, step=STEP)
    whole = product.read("SWIR")
    window = Window(4, 5, 9, 8)
    np.testing.assert_allclose(product.read("SWIR", window), whole[5:13, 4:13], atol=1e-6)


def test_l1c_missing_pixels_and_quality_fill(l1c):
    with h5py.File(l1c, "r+") as h5:
        q = h5["LEVEL1C/NIR/Q"][...]
        q[:, :] = 5  # every NIR pixel missing
        h5["LEVEL1C/NIR/Q"][...] = q
        assert h5["LEVEL1C/RED/TOA"][5, 5] == -1
    product = open_product(l1c)
    assert np.isnan(product.read("NIR")).all()
    assert np.isfinite(product.read("RED")).any()


def test_l1c_without_tie_points_names_them(l1c):
    with h5py.File(l1c, "r+") as h5:
        del h5["LEVEL1B/SWIR2/LN1"]
    with pytest.raises(MissingBandError, match="band SWIR: dataset /LEVEL1B/SWIR2/LN1 is "
                                               "missing"):
        open_product(l1c)


def test_lattice_grid_covers_or_fits_inside():
    extent = (10.001, 44.9, 10.05, 45.0015)
    outer, inner = lattice_grid(extent, STEP), lattice_grid(extent, STEP, inside=True)
    (w0, s0, e0, n0), (w1, s1, e1, n1) = outer.bounds, inner.bounds
    assert w0 <= 10.001 < w1 and n1 < 45.0015 <= n0 and s0 <= 44.9 <= s1 and e1 <= 10.05 <= e0
    assert outer.width - inner.width in (1, 2)


def test_h5_suffix_opens_too(l2a, tmp_path):
    copy = tmp_path / "segment.h5"
    shutil.copy(l2a, copy)
    assert open_product(copy).level == "L2A"
