"""Saturation restoration ("clouds are white"): the rule, its default, its JSON field, and
the saturation each product kind reports (Landsat QA_RADSAT / DN 255, Sentinel-2 L1C DN
65535, reflectance plateaus of arrays, nothing for plain GeoTIFFs)."""

import json

import numpy as np
import pytest
import rasterio

from crossmask.errors import InputError, ProductFormatError
from crossmask.harmonize import (
    BandAdjustment,
    HarmonizedProduct,
    build_adjustment,
    default_restore_saturation,
    grid_from_product,
    harmonize_product,
    harmonize_window,
    method_label,
    method_labels,
    parse_method_label,
    restore_saturated,
)
from crossmask.harmonize.arrays import harmonize_array
from crossmask.products import open_geotiff, open_landsat_scene, open_safe
from crossmask.products.writers.geotiff import write_named_geotiff
from crossmask.products.writers.landsat_tm import write_tm_scene

L8_SIX = ["B2", "B3", "B4", "B5", "B6", "B7"]
TM_SIX = ["B1", "B2", "B3", "B4", "B5", "B7"]


@pytest.fixture(scope="module")
def spectra():
    from crossmask.harmonize.spectra import training_spectra

    return training_spectra(n_synthetic_per_class=20)


def test_the_rule_raises_saturated_visible_bands_to_the_brightest_unsaturated_band():
    values = {"B1": np.array([0.45, 0.45, 0.45, 0.30, np.nan, 0.45, 6.45], "float32"),
              "B3": np.array([0.50, 0.40, 0.50, 0.50, 0.50, 0.50, 0.50], "float32"),
              "B4": np.array([0.70, 0.40, 0.90, 0.70, 0.70, 0.70, 0.70], "float32"),
              "B5": np.array([0.60, 0.20, 0.80, 0.20, 0.20, 0.20, 0.20], "float32")}
    saturated = {"B1": np.array([1, 1, 1, 0, 1, 1, 1], bool),
                 "B3": np.array([0, 0, 0, 0, 0, 1, 0], bool),
                 "B4": np.array([0, 0, 1, 0, 0, 1, 0], bool)}
    out = restore_saturated(values, saturated, ["B1", "B3"])
    # 0: NIR brighter → NIR; 1: own value already the brightest → kept; 2: saturated NIR is
    # no reference → next brightest unsaturated (SWIR 0.8); 3: unsaturated → untouched;
    # 4: fill stays fill; 5: every brighter band saturated → SWIR 0.2 < 0.45, kept;
    # 6: a flag value (S2 L1C DN 65535 → 6.45) is no measurement → brightest (NIR 0.7)
    np.testing.assert_allclose(out["B1"], [0.70, 0.45, 0.80, 0.30, np.nan, 0.45, 0.70])
    np.testing.assert_array_equal(out["B3"], values["B3"])  # saturated only where all are
    assert out["B4"] is values["B4"] and out["B5"] is values["B5"]


def test_a_pixel_without_any_unsaturated_band_keeps_its_values():
    values = {"B1": np.full(3, 0.45, "float32"), "B4": np.full(3, 0.9, "float32")}
    saturated = {"B1": np.ones(3, bool), "B4": np.ones(3, bool)}
    np.testing.assert_array_equal(restore_saturated(values, saturated, ["B1"])["B1"],
                                  values["B1"])


@pytest.mark.parametrize("source, on", [("L7", True), ("L5", True), ("LT04", True),
                                        ("S2A", False), ("S2C", False), ("L8", False)])
def test_restoration_is_on_by_default_for_tm_and_etm_only(spectra, source, on):
    assert default_restore_saturation(source) is on
    target = "L8" if source != "L8" else "L9"
    assert build_adjustment(source, target, "none", spectra).restore_saturation is on
    assert build_adjustment(source, target, "none", spectra,
                            restore_saturation=not on).restore_saturation is (not on)


def test_the_option_round_trips_through_the_json_document(spectra, tmp_path):
    adjustment = build_adjustment("L7", "L8", "ols", spectra)
    path = adjustment.save(tmp_path / "l7.json")
    doc = json.loads(path.read_text())
    assert doc["restore_saturation"] is True and doc["version"] == 1
    back = BandAdjustment.load(path)
    assert back.restore_saturation is True and back.select(["B4"]).restore_saturation
    del doc["restore_saturation"]  # a document written before the option: off
    assert BandAdjustment.from_dict(doc).restore_saturation is False
    doc["restore_saturation"] = "yes"
    with pytest.raises(ProductFormatError, match="restore_saturation is 'yes'"):
        BandAdjustment.from_dict(doc, "old.json")
    off = build_adjustment("L7", "L8", "ols", spectra, restore_saturation=False)
    assert off.to_dict()["bands"] == adjustment.to_dict()["bands"]
    assert off.to_dict()["restore_saturation"] is False


def _bright_l7(tmp_path, mtl_format="collection2"):
    """A 32 px ETM+ scene: left half a white cloud (visible saturates at high gain, NIR at
    low gain does not), right half dark ground."""
    cloud = np.zeros((32, 32), bool)
    cloud[:, :16] = True
    level = {"B1": 0.85, "B2": 0.82, "B3": 0.80, "B4": 0.75, "B5": 0.35, "B7": 0.25}
    bands = {b: np.where(cloud, v, 0.08).astype("float32") for b, v in level.items()}
    return write_tm_scene(tmp_path, "LANDSAT_7", mtl_format, size=32, seed=1,
                          bands=bands), cloud


@pytest.mark.parametrize("mtl_format", ["collection2", "legacy"])
def test_harmonize_window_restores_a_saturated_landsat_7_scene(spectra, tmp_path, mtl_format):
    folder, cloud = _bright_l7(tmp_path, mtl_format)
    scene = open_landsat_scene(folder)
    assert scene.saturation("B1")[cloud].all() and not scene.saturation("B4").any()
    grid = scene.grid
    window = next(iter(grid.windows(1024)))
    on = build_adjustment("L7", "L8", "none", spectra, target_bands=L8_SIX)
    off = build_adjustment("L7", "L8", "none", spectra, target_bands=L8_SIX,
                           restore_saturation=False)
    restored, clipped = (harmonize_window(scene, a, grid, window) for a in (on, off))
    nir = scene.read("B4")
    for k in range(3):  # L8 blue, green, red ← ETM+ B1–B3
        assert clipped[k][cloud].max() < 0.6  # grey: clipped at the saturation radiance
        np.testing.assert_allclose(restored[k][cloud], nir[cloud], rtol=1e-6)
        np.testing.assert_array_equal(restored[k][~cloud], clipped[k][~cloud])
    np.testing.assert_array_equal(restored[3:], clipped[3:])


def test_harmonised_views_and_files_carry_the_restoration(spectra, tmp_path):
    folder, cloud = _bright_l7(tmp_path)
    scene = open_landsat_scene(folder)
    adjustment = build_adjustment("L7", "L8", "ols", spectra, target_bands=L8_SIX)
    view = HarmonizedProduct(scene, adjustment, scene.grid)
    assert view.read("B2")[cloud].min() > 0.6
    out = harmonize_product(scene, adjustment, tmp_path / "h.tif", progress=False)
    with rasterio.open(out) as dst:
        assert dst.tags()["SATURATION_RESTORED"] == "true"
        np.testing.assert_allclose(dst.read(1), view.read("B2"))


def test_sentinel2_l1c_saturated_dn_is_restored_when_asked(spectra, safe_factory, s2_dn):
    dn = {band: array.copy() for band, array in s2_dn.items()}
    dn["B2"][12:18, 12:18] = 65535  # a 60 m block (2 × 2 pixels at 30 m) saturated
    product = open_safe(safe_factory(dn=dn))
    grid = grid_from_product(product, 30.0)
    window = next(iter(grid.windows(1024)))
    bands = ["B2", "B3", "B4", "B5"]
    on = build_adjustment("S2A", "L8", "none", spectra, bands, restore_saturation=True)
    off = build_adjustment("S2A", "L8", "none", spectra, bands)
    assert not off.restore_saturation
    restored, raw = (harmonize_window(product, a, grid, window) for a in (on, off))
    block = (slice(4, 6), slice(4, 6))
    assert raw[0][block].min() > 6  # DN 65535 reads as ρ ≈ 6.45: a flag
    brightest = np.max([harmonize_window(product, off, grid, window)[k][block]
                        for k in (1, 2, 3)], axis=0)  # green, red, NIR: none saturated
    others = build_adjustment("S2A", "L8", "none", spectra, ["B6", "B7"])
    brightest = np.maximum(brightest, harmonize_window(product, others, grid, window)
                           [:, 4:6, 4:6].max(axis=0))
    np.testing.assert_allclose(restored[0][block], brightest, rtol=1e-6)
    untouched = np.ones(raw[0].shape, bool)
    untouched[block] = False
    np.testing.assert_array_equal(restored[0][untouched], raw[0][untouched])


def test_arrays_use_the_plateau_rule_and_plain_geotiffs_have_no_saturation(tmp_path):
    rng = np.random.default_rng(0)
    cube = rng.uniform(0.05, 0.3, (40, 40, 6)).astype("float32")
    cloud = np.zeros((40, 40), bool)
    cloud[:10] = True
    cube[cloud] = [0.47, 0.53, 0.49, 0.75, 0.5, 0.35]  # visible clipped at a plateau
    cube[cloud, 3] += np.linspace(0.0, 0.1, cloud.sum())  # NIR varies: no plateau
    restored, names = harmonize_array(cube, TM_SIX, "L7", method="none", target_bands=L8_SIX)
    raw, _ = harmonize_array(cube, TM_SIX, "L7", method="none", target_bands=L8_SIX,
                             adjustment=build_adjustment("L7", "L8", "none",
                                                         target_bands=L8_SIX,
                                                         restore_saturation=False))
    assert names == L8_SIX
    np.testing.assert_allclose(restored[cloud, 0], cube[cloud, 3])  # blue ← NIR
    np.testing.assert_array_equal(restored[~cloud], raw[~cloud])
    np.testing.assert_array_equal(raw[cloud, 0], np.float32(0.47))
    path = write_named_geotiff(tmp_path / "l7.tif", dict(zip(TM_SIX, np.moveaxis(cube, -1, 0))),
                               sensor="L7")
    product = open_geotiff(path, "L7")
    on = build_adjustment("L7", "L8", "none", target_bands=L8_SIX)
    window = next(iter(product.grid.windows(1024)))
    np.testing.assert_array_equal(harmonize_window(product, on, product.grid, window)[0],
                                  raw[..., 0])  # no saturation information: unchanged


def test_evaluation_labels_name_the_ablation():
    assert method_label("ols", False) == "ols (no saturation fix)"
    assert method_label("ols") == method_label("ols", True) == "ols"
    assert parse_method_label("roy2016 (no saturation fix)") == ("roy2016", False)
    assert parse_method_label("hls") == ("hls", None)
    with pytest.raises(InputError, match="unknown harmonisation method"):
        parse_method_label("fancy (no saturation fix)")
    assert method_labels(["none", "ols"], ["on", "off"], "L7") == [
        "none", "none (no saturation fix)", "ols", "ols (no saturation fix)"]
    assert method_labels(["none", "ols"], ["off"], "L5") == [
        "none (no saturation fix)", "ols (no saturation fix)"]
    assert method_labels(["none", "ols"], ["on", "off"], "S2A") == ["none", "ols"]
    with pytest.raises(InputError, match="one or both of on, off"):
        method_labels(["none"], ["maybe"], "L7")
