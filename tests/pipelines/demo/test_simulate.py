"""The simulated paired set: real formats, round trips, alignment, physics sanity."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.errors import InputError, OutputExistsError, UnknownNameError
from crossmask.harmonize import grid_from_product, resample_window
from crossmask.pipelines.demo import scenery
from crossmask.pipelines.demo.simulate import (
    landsat_arrays,
    plan_pair_set,
    sentinel_arrays,
    simulate_ground,
    simulate_pair_set,
    simulate_tm_set,
    tm_arrays,
)
from crossmask.products import find_biome_scenes, open_biome_scene, open_labelled, open_safe
from crossmask.srf import band_pairs

ARGS = dict(n_landsat=3, n_sentinel=2, size_30m=64, seed=3, biomes=("Forest", "Urban", "Water"))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return simulate_pair_set(tmp_path_factory.mktemp("sim"), **ARGS)


@pytest.fixture(scope="module")
def plan():
    return plan_pair_set(**ARGS)


def _scene_on(scenes, grid):
    """The Landsat scene whose 30 m grid is ``grid`` (the ground a product sees)."""
    return next(s for s in scenes if s.grid.transform == grid.transform and s.grid.crs == grid.crs)


def _reference(path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def _erode(mask: np.ndarray, steps: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(steps):
        inner = out.copy()
        inner[1:] &= out[:-1]
        inner[:-1] &= out[1:]
        inner[:, 1:] &= out[:, :-1]
        inner[:, :-1] &= out[:, 1:]
        out = inner
    return out


def test_layout_opens_with_the_real_readers(simulated):
    scenes = find_biome_scenes(simulated.landsat_root)
    assert [s.biome for s in scenes] == ["Forest", "Urban", "Water"]
    assert sorted(s.path for s in scenes) == sorted(simulated.landsat_scenes)
    assert all(s.path.parent.name == "BC" and s.mask_path.suffix == ".img" for s in scenes)
    assert len(simulated.sentinel_products) == len(simulated.references) == 2
    for safe, ref, config in zip(simulated.sentinel_products, simulated.references,
                                 simulated.configs):
        product = open_safe(safe)
        assert product.sensor in ("S2A", "S2B") and product.baseline == "05.09"
        assert len(product.band_names) == 13
        product.check_bands(product.band_names)
        cfg = tomllib.loads(config.read_text())
        assert cfg["dataset"] == "simulated-s2" and cfg["sensor"] == product.sensor
        assert cfg["image"] == safe.name and cfg["labels"] == ref.name
        assert cfg["codes"] == {"0": "clear", "1": "cloud", "2": "thin", "3": "shadow",
                                "255": "fill"}
        assert ref.name == safe.name[:-5] + "_reference.tif" and config.parent == safe.parent


def test_landsat_reads_back_the_simulated_reflectance(simulated, plan):
    bands, mask = landsat_arrays(plan, 1)
    scene = open_biome_scene(simulated.landsat_scenes[1])
    assert scene.scene_id == plan.scene_ids[1]
    np.testing.assert_array_equal(scene.read_mask(), mask)
    for band in ("B1", "B2", "B4", "B5", "B7", "B8", "B9"):
        read = scene.read(band)
        assert np.array_equal(np.isnan(read), np.isnan(bands[band]))
        np.testing.assert_allclose(read, bands[band], atol=6e-5, equal_nan=True)  # DN step
    np.testing.assert_allclose(scene.read("B10"), bands["B10"], atol=0.02, equal_nan=True)
    assert scene.read("B8").shape == (2 * plan.size_30m,) * 2
    assert np.all(np.isnan(scene.read("B3")[mask == 0]))


def test_sentinel_reads_back_the_simulated_reflectance(simulated, plan):
    bands, reference = sentinel_arrays(plan, 0)
    product = open_safe(simulated.sentinel_products[0])
    for band, shape in (("B3", 3 * plan.size_30m), ("B11", 3 * plan.size_30m // 2),
                        ("B10", plan.size_30m // 2)):
        read = product.read(band)
        assert read.shape == (shape, shape)
        np.testing.assert_allclose(read, bands[band], atol=5.1e-5, equal_nan=True)
    np.testing.assert_array_equal(_reference(simulated.references[0]), reference)


def test_sentinel_grid_aligns_with_reference_and_landsat(simulated):
    scenes = find_biome_scenes(simulated.landsat_root)
    for safe, ref in zip(simulated.sentinel_products, simulated.references):
        product = open_safe(safe)
        grid = grid_from_product(product, 30)
        with rasterio.open(ref) as src:
            assert src.transform == grid.transform and src.crs == grid.crs
            assert (src.height, src.width) == grid.shape and src.dtypes[0] == "uint8"
        scene = _scene_on(scenes, grid)
        assert scene.grid.shape == grid.shape
        for band in ("B2", "B8A", "B1"):  # 10, 20 and 60 m grids share the origin
            assert product.band_grid(band).transform.c == grid.transform.c
            assert product.band_grid(band).transform.f == grid.transform.f
        reference = _reference(ref)
        blue = resample_window(product, "B2", grid, Window(0, 0, grid.width, grid.height))
        assert np.all(np.isnan(blue[reference == 255]))
        assert not np.isnan(blue[reference != 255]).any()


def test_masks_hold_every_class(simulated):
    codes = [set(np.unique(s.read_mask()).tolist())
             for s in find_biome_scenes(simulated.landsat_root)]
    assert all({128, 192, 255} <= c for c in codes)
    assert {0, 64} <= set().union(*codes)
    refs = [set(np.unique(_reference(r)).tolist()) for r in simulated.references]
    assert all({0, 1, 2} <= c for c in refs)
    assert {3, 255} <= set().union(*refs)
    cloudy = [np.mean(np.isin(s.read_mask(), (192, 255)))
              for s in find_biome_scenes(simulated.landsat_root)]
    assert all(0.02 < f < 0.7 for f in cloudy)


def _pairs(simulated):
    """Per Sentinel-2 product: the Landsat scene of its ground, both masks as canonical
    codes (0 clear, 1 thin, 2 thick, 3 shadow, 255 fill), a reader of both on 30 m."""
    scenes = find_biome_scenes(simulated.landsat_root)
    biome = {128: 0, 192: 1, 255: 2, 64: 3, 0: 255}
    cloudsen12 = {0: 0, 2: 1, 1: 2, 3: 3, 255: 255}
    for safe, ref in zip(simulated.sentinel_products, simulated.references):
        product = open_safe(safe)
        grid = grid_from_product(product, 30)
        scene = _scene_on(scenes, grid)
        window = Window(0, 0, grid.width, grid.height)

        def read(target, source, scene=scene, product=product, grid=grid, window=window):
            return scene.read(target), resample_window(product, source, grid, window)

        yield (np.vectorize(biome.get)(scene.read_mask()),
               np.vectorize(cloudsen12.get)(_reference(ref)), read, product.sensor)


def test_clouds_bright_thin_between_shadows_dark(simulated):
    # Within a scene: thick cloud is brighter than thin cloud and clear ground in blue.
    for scene in find_biome_scenes(simulated.landsat_root):
        mask, blue = scene.read_mask(), scene.read("B2")
        median = {code: np.median(blue[mask == code]) for code in (128, 192, 255)}
        assert median[255] > median[192] and median[255] > median[128]
    # Same ground, one sensor clear: cloud brightens it, thin less, a shadow darkens it.
    gain = {1: [], 2: [], 3: []}
    nir = []
    for landsat, sentinel, read, _ in _pairs(simulated):
        (l_blue, s_blue), (l_nir, s_nir) = read("B2", "B2"), read("B5", "B8A")
        for cls in gain:
            gain[cls] += [(l_blue - s_blue)[(landsat == cls) & (sentinel == 0)],
                          (s_blue - l_blue)[(sentinel == cls) & (landsat == 0)]]
        nir += [(l_nir[(landsat == 3) & (sentinel == 0)], s_nir[(landsat == 3) & (sentinel == 0)]),
                (s_nir[(sentinel == 3) & (landsat == 0)], l_nir[(sentinel == 3) & (landsat == 0)])]
    gain = {cls: np.median(np.concatenate(v)) for cls, v in gain.items()}
    assert gain[2] > gain[1] > 0.01 and gain[3] < 0.0
    shaded, sunlit = (np.concatenate(v) for v in zip(*nir))
    assert shaded.mean() < 0.8 * sunlit.mean()


def test_same_clear_ground_agrees_through_the_band_pairing(simulated):
    """Clear in both masks, away from labelled edges: the mean band values differ only by
    the spectral responses, each day's atmosphere and faint (unlabelled) shadows."""
    checked = 0
    for landsat, sentinel, read, sensor in _pairs(simulated):
        clear = _erode((landsat == 0) & (sentinel == 0), 2)
        if clear.sum() < 100:
            continue
        checked += 1
        for target, source in band_pairs(sensor, "L8").items():
            if target == "B9":  # cirrus: modelled, depends on each day's water vapour
                continue
            l8, s2 = (band[clear] for band in read(target, source))
            # a few percent, or the path reflectance's day-to-day change over dark ground
            assert abs(s2.mean() - l8.mean()) <= 0.05 * l8.mean() + 0.006, (target, source)
    assert checked


def test_same_ground_without_clouds_agrees_through_the_band_pairing(plan):
    """Noise- and cloud-free: only the spectral responses differ (a few percent)."""
    ground = simulate_ground(plan, 0)
    sky = scenery.Sky(40.0, 140.0, 0.1, 2.0, "water", 10.0, 1.0,
                      np.zeros(ground.shape, np.float32), np.ones(ground.shape, np.float32))
    l8, s2 = scenery.render(ground, sky, "L8"), scenery.render(ground, sky, "S2A")
    for target, source in band_pairs("S2A", "L8").items():
        if target != "B9":
            assert s2[source].mean() == pytest.approx(l8[target].mean(), rel=0.04)


def test_deterministic_for_a_seed(plan):
    first, mask = landsat_arrays(plan, 0)
    again, mask_again = landsat_arrays(plan_pair_set(**ARGS), 0)
    np.testing.assert_array_equal(mask, mask_again)
    for band in first:
        np.testing.assert_array_equal(first[band], again[band])
    s2, ref = sentinel_arrays(plan, 1)
    s2_again, ref_again = sentinel_arrays(plan, 1)
    np.testing.assert_array_equal(ref, ref_again)
    np.testing.assert_array_equal(s2["B4"], s2_again["B4"])
    other, _ = landsat_arrays(plan_pair_set(**{**ARGS, "seed": 4}), 0)
    assert not np.allclose(first["B2"], other["B2"], equal_nan=True)


def test_plan_spreads_cloud_cover_and_pairs_grounds():
    plan = plan_pair_set()
    covers = [a.cover for a in (*plan.landsat, *plan.sentinel)]
    assert min(covers) >= 0.05 and max(covers) <= 0.6 and max(covers) - min(covers) > 0.3
    assert plan.biomes == ("Barren", "Forest", "Grass-Crops", "Urban", "Water", "SnowIce")
    assert [a.ground for a in plan.sentinel] == [0, 2, 4]
    assert [a.sensor for a in plan.sentinel] == ["S2A", "S2B", "S2A"]
    assert all(s.date != plan.landsat[s.ground].date for s in plan.sentinel)
    assert len(set(plan.scene_ids)) == 6


def test_invalid_arguments_and_existing_output(tmp_path):
    with pytest.raises(InputError, match="even"):
        plan_pair_set(size_30m=63)
    with pytest.raises(InputError):
        plan_pair_set(n_landsat=0)
    with pytest.raises(UnknownNameError, match="biome"):
        plan_pair_set(biomes=("Moon",))
    small = dict(n_landsat=1, n_sentinel=1, size_30m=24, biomes=("Barren",))
    simulate_pair_set(tmp_path, **small)
    with pytest.raises(OutputExistsError, match="overwrite"):
        simulate_pair_set(tmp_path, **small)
    again = simulate_pair_set(tmp_path, overwrite=True, **small)
    assert len(list((tmp_path / "sentinel2").glob("*.SAFE"))) == 1
    assert again.landsat_scenes[0].is_dir()


def test_reference_opens_as_a_labelled_scene(simulated):
    scene = open_labelled(simulated.configs[0])
    codes = scene.read_reference()
    raw = _reference(simulated.references[0])
    lut = {0: 0, 1: 2, 2: 1, 3: 3, 255: 255}  # CloudSEN12 → canonical
    np.testing.assert_array_equal(codes, np.vectorize(lut.get)(raw))


@pytest.fixture(scope="module")
def tm_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("tm")
    return root, simulate_tm_set(root, n_scenes=2, size_30m=48, seed=3,
                                 biomes=("Forest", "Urban"))


def test_tm_set_is_a_labelled_landsat_7_collection_2_dataset(tm_set):
    root, configs = tm_set
    assert [c.parent for c in configs] == [root / "landsat7"] * 2
    for config in configs:
        scene = open_labelled(config)
        product = scene.product
        assert (scene.sensor, product.collection, scene.dataset) == ("L7", 2, "simulated-l7")
        assert product.radsat_path.is_file() and scene.grid == product.grid
        assert product.grid.shape == (48, 48) and product.band_grid("B8").shape == (96, 96)
        assert set(np.unique(scene.read_reference())) <= {0, 1, 2, 3}
        assert product.gains["B1"] == "H" and product.saturation_flags["B1"]


def test_tm_bands_read_back_clipped_at_the_saturation_radiance(tm_set):
    root, configs = tm_set
    plan = plan_pair_set(2, 0, 48, 3, ("Forest", "Urban"))
    bands, codes = tm_arrays(plan, 0)
    scene = open_labelled(configs[0])
    reference = scene.read_reference()  # canonical: 2 thick; CloudSEN12 codes: 1 thick
    assert np.array_equal(reference == 2, codes == 1) and (reference == 2).any()
    for band in ("B1", "B3", "B4", "B7"):
        read, saturated = scene.read(band), scene.product.saturation(band)
        free = ~saturated
        np.testing.assert_allclose(read[free], bands[band][free], atol=0.004)  # 8-bit steps
        if saturated.any():  # clipped: one value, below what the sensor saw
            assert np.ptp(read[saturated]) == 0 and read[saturated].max() <= read.max()
            assert (bands[band][saturated] >= read[saturated] - 0.002).all()
    assert scene.product.saturation("B1")[reference == 2].mean() > 0.3
    assert not scene.product.saturation("B4").any()  # ETM+ NIR at low gain
    assert np.nanmean(scene.read("B6")[reference == 2]) < np.nanmean(scene.read("B6")[reference == 0])


def test_tm_set_writes_landsat_5_and_refuses_other_sensors(tmp_path):
    configs = simulate_tm_set(tmp_path, n_scenes=1, size_30m=24, sensor="L5")
    scene = open_labelled(configs[0])
    assert scene.sensor == "L5" and configs[0].parent.name == "landsat5"
    assert "B8" not in scene.band_names
    with pytest.raises(OutputExistsError):
        simulate_tm_set(tmp_path, n_scenes=1, size_30m=24, sensor="L5")
    with pytest.raises(InputError, match="writes L7, L5, L4"):
        simulate_tm_set(tmp_path, sensor="S2A")
