"""Landsat-8 → PROBA-V spatial adaptation (area averaging, Gaussian PSF), the upscaled
product and scene views, and PROBA-V products harmonised to an L8 model's bands."""

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from crossmask.errors import InputError, UnknownNameError
from crossmask.harmonize import (
    PSF_SIGMA_M,
    HarmonizedProduct,
    UpscaledProduct,
    UpscaledScene,
    build_adjustment,
    harmonize_product,
    probav_grid,
    upscale_window,
)
from crossmask.harmonize.upscale import coarse_classes, psf_sigma_m
from crossmask.products import Grid, LabelledScene, array_product, open_product
from crossmask.products.writers.probav import affine_tie_points, write_probav_l1c

UTM = CRS.from_epsg(32631)
L8_BANDS = ["B2", "B3", "B4", "B5", "B6"]


def _l8(cube: np.ndarray, origin=(500_010.0, 5_000_010.0)):
    grid = Grid(UTM, Affine(30.0, 0.0, origin[0], 0.0, -30.0, origin[1]), cube.shape[1],
                cube.shape[0])
    return array_product(cube, L8_BANDS[:cube.shape[2]], "L8", grid=grid)


def test_psf_widths_follow_the_pairing():
    assert psf_sigma_m("L8", "B2") == PSF_SIGMA_M["PROBAV"]["BLUE"] == pytest.approx(46.1236)
    assert psf_sigma_m("L8", "swir16") == pytest.approx(80.7639)
    assert psf_sigma_m("PROBAV_C", "NIR") == pytest.approx(46.7560)
    with pytest.raises(UnknownNameError, match="L8 band B3 has no PROBAV counterpart"):
        psf_sigma_m("L8", "B3")
    with pytest.raises(UnknownNameError, match="no PSF tabulated for S2A"):
        psf_sigma_m("L8", "B2", "S2A")


def test_area_average_preserves_block_means():
    rng = np.random.default_rng(0)
    cube = rng.uniform(0.0, 1.0, (60, 60, 2)).astype(np.float32)
    product = _l8(cube)
    coarse = Grid(UTM, Affine(90.0, 0.0, 500_010.0, 0.0, -90.0, 5_000_010.0), 20, 20)
    out = upscale_window(product, "B2", coarse, Window(0, 0, 20, 20), spatial="area")
    blocks = cube[..., 0].reshape(20, 3, 20, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(out, blocks, atol=1e-6)
    assert out.mean() == pytest.approx(cube[..., 0].mean(), abs=1e-6)


@pytest.mark.parametrize("band, sigma_m", [("B2", 46.1236), ("B6", 80.7639)])
def test_psf_of_a_point_is_a_gaussian_of_the_published_width(band, sigma_m):
    cube = np.zeros((61, 61, 5), np.float32)
    cube[30, 30, :] = 1.0
    product = _l8(cube)
    grid = product.band_grid(band)  # same grid: only the PSF acts
    spot = UpscaledProduct(product, grid, spatial="psf").read(band)
    rows, cols = np.indices(spot.shape)
    assert spot.sum() == pytest.approx(1.0, rel=1e-4)
    variance = float((spot * (cols - 30.0) ** 2).sum() / spot.sum())
    assert np.sqrt(variance) * 30.0 == pytest.approx(sigma_m, rel=0.03)
    profile = spot[30] / spot[30, 30]
    assert profile[31] == pytest.approx(np.exp(-0.5 * (30.0 / sigma_m) ** 2), rel=0.03)


def test_psf_ignores_fill_and_keeps_it():
    cube = np.full((30, 30, 2), 0.2, np.float32)
    cube[:10, :10] = np.nan
    product = _l8(cube)
    out = UpscaledProduct(product, product.band_grid("B2")).read("B2")
    assert np.isnan(out[:10, :10]).all()
    np.testing.assert_allclose(out[10:, 10:], 0.2, atol=1e-6)


@pytest.fixture
def smooth_l8():
    rows, cols = np.mgrid[0:120, 0:120]
    field = 0.2 + 0.1 * np.sin(rows / 9.0) * np.cos(cols / 13.0)
    cube = np.stack([field * (1 + 0.1 * k) for k in range(5)], -1).astype(np.float32)
    return _l8(cube)


def test_probav_grid_lies_inside_the_product(smooth_l8):
    grid = probav_grid(smooth_l8, "100M")
    assert grid.crs.to_epsg() == 4326 and grid.transform.a == pytest.approx(1 / 1008)
    # 3.6 km at 45° N: 1/1008° is ≈ 79 m east-west, 110 m north-south
    assert 42 <= grid.width <= 46 and 29 <= grid.height <= 33
    view = UpscaledProduct(smooth_l8, grid, spatial="area")
    assert np.isfinite(view.read("B3")).all()
    with pytest.raises(InputError, match="valid: 100M, 333M, 1KM"):
        probav_grid(smooth_l8, "300M")


def test_windowed_reads_equal_the_whole(smooth_l8):
    same = UpscaledProduct(smooth_l8, smooth_l8.band_grid("B6"), spatial="psf")
    window = Window(50, 3, 40, 30)  # the PSF margin makes windows exact
    np.testing.assert_array_equal(same.read("B6", window), same.read("B6")[3:33, 50:90])
    grid = probav_grid(smooth_l8, "100M")
    view = UpscaledProduct(smooth_l8, grid, spatial="psf")
    assert view.band_names == ["B2", "B4", "B5", "B6"]  # B3 has no PROBA-V PSF
    whole = view.read("B6")
    window = Window(5, 7, 11, 9)
    # GDAL's UTM → lat/lon warp (resample_window, area mode alike) differs by ≈ 1e-4
    # between windows at a few pixels: its transformer is approximated per warp chunk
    np.testing.assert_allclose(view.read("B6", window), whole[7:16, 5:16], atol=2e-4)
    assert abs(float(whole.mean()) - float(smooth_l8.read("B6").mean())) < 0.01


class _Scene(LabelledScene):
    """An in-memory L8 scene: left third thick cloud, a shadow block, the rest clear."""

    def __init__(self, product):
        self.product, self.path, self.sensor = product, product.path, "L8"
        self.grid = product.grid
        self.scene_id, self.dataset, self.tags = "S1", "test", {}
        self.classes = frozenset({"clear", "cloud", "shadow"})
        self.codes = np.zeros(product.grid.shape, np.uint8)
        self.codes[:, :40] = 2
        self.codes[60:100, 60:100] = 3
        self.codes[:6, :] = 255

    @property
    def band_names(self):
        return self.product.band_names

    def read(self, band, window=None):
        return self.product.read(band, window)

    def read_reference(self, window=None):
        return self.codes[self._slices(window)]


def test_upscaled_scene_takes_the_class_covering_half_a_pixel(smooth_l8):
    scene = _Scene(smooth_l8)
    grid = probav_grid(smooth_l8, "100M")
    coarse = UpscaledScene(scene, grid)
    codes = coarse.read_reference()
    assert codes.shape == grid.shape and coarse.scene_id == "S1"
    assert set(np.unique(codes)) == {0, 2, 3, 255}
    left = coarse.read_reference(Window(0, 5, 5, 20))
    assert (left[:, :3] == 2).all()  # ≈ 1.2 km of cloud on the west side
    assert np.array_equal(coarse.read_reference(Window(3, 4, 10, 12)), codes[4:16, 3:13])


def test_coarse_classes_rule():
    f = np.array
    assert coarse_classes(f([0.6, 0.2, 0.0, 0.0]), f([0.6, 0.6, 0.1, 0.0]),
                          f([0.0, 0.0, 0.7, np.nan])).tolist() == [2, 1, 3, 255]


@pytest.fixture
def l1c(tmp_path):
    """A constant-reflectance Level-1C segment: BLUE 0.10, RED 0.08, NIR 0.30, SWIR 0.20."""
    step = 1 / 336
    raw = Affine(step / 2, step / 30, 5.0, step / 30, -step / 2, 50.0)
    value = {"BLUE": 0.10, "RED": 0.08, "NIR": 0.30}
    rasters = {g: np.full((24, 24), v, np.float32) for g, v in value.items()}
    ties = {g: affine_tie_points(raw, (24, 24)) for g in value}
    for k, group in enumerate(("SWIR1", "SWIR2", "SWIR3")):
        strip = raw @ Affine.scale(2) @ Affine.translation(4 * k, 0)
        rasters[group] = np.full((12, 4), 0.20, np.float32)
        ties[group] = affine_tie_points(strip, (12, 4), every=4)
    return write_probav_l1c(tmp_path, rasters, ties)


def test_l1c_product_harmonises_to_the_l8_model_bands(l1c):
    product = open_product(l1c)
    adjustment = build_adjustment("PROBAV", "L8", "ols", target_bands=["B2", "B4", "B5", "B6"],
                                  available=product.band_names)
    assert adjustment.source_bands == ["BLUE", "RED", "NIR", "SWIR"]
    view = HarmonizedProduct(product, adjustment, product.grid)
    nir = view.read("B5")
    inside = np.isfinite(nir)
    assert inside.sum() > 20 and view.sensor == "L8"
    model = next(b for b in adjustment.bands if b.target == "B5")
    expected = model.coefficients[0] * 0.30 + model.intercept
    np.testing.assert_allclose(nir[inside], expected, atol=2e-4)
    assert 0.25 < expected < 0.35
    with pytest.raises(UnknownNameError, match="L8 band B3 has no PROBAV counterpart"):
        build_adjustment("PROBAV", "L8", "none", target_bands=["B2", "B3"])


def test_l1c_product_is_written_as_l8_reflectance_on_its_grid(l1c, tmp_path):
    import rasterio

    product = open_product(l1c)
    adjustment = build_adjustment("PROBAV", "L8", "none", target_bands=["B2", "B4", "B5", "B6"])
    out = harmonize_product(product, adjustment, tmp_path / "l8.tif", grid=product.grid,
                            progress=False)
    with rasterio.open(out) as ds:
        assert ds.descriptions == ("B2", "B4", "B5", "B6") and ds.crs.to_epsg() == 4326
        assert ds.tags()["TARGET_SENSOR"] == "L8" and ds.tags()["SOURCE_SENSOR"] == "PROBAV"
        swir = ds.read(4)
    assert np.nanmax(np.abs(swir - 0.20)) < 1e-3 and np.isfinite(swir).sum() > 20
