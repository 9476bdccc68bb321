"""The L8 Biome dataset reader (scene folders + manual masks) and its writer, on scenes
written into tmp_path."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError, UnknownNameError
from crossmask.products import (
    find_biome_scenes,
    normalize_biome,
    open_biome_scene,
)
from crossmask.products.datasets.biome import BIOME_URL
from crossmask.products.writers.landsat import synthetic_mask, write_biome_scene, write_biome_tree

SCENE = "LC80420082013220LGN00"
C2_SCENE = "LC09_L1TP_042034_20220101_20220113_02_T1"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("biome")
    folders = write_biome_tree(root, ("Barren", "Forest"), scenes_per_biome=3, size=64)
    return root, folders


@pytest.fixture
def scene_dir(tmp_path):
    return write_biome_scene(tmp_path, SCENE, size=64, seed=3, biome="Forest")


def raw_dn(folder, band):
    with rasterio.open(next(folder.glob(f"*_{band}.TIF"))) as dataset:
        return dataset.read(1).astype(np.float64)


def test_tree_layout_is_found_with_biomes(tree):
    root, folders = tree
    assert all(f.parent.name == "BC" and f.parent.parent.name in ("Barren", "Forest")
               for f in folders)
    scenes = find_biome_scenes(root)
    assert [s.biome for s in scenes] == ["Barren"] * 3 + ["Forest"] * 3
    assert {s.scene_id for s in scenes} == {f.name for f in folders}
    for scene in scenes:
        assert scene.sensor == "L8" and scene.collection == 1
        assert scene.mask_path.name == f"{scene.scene_id}_fixedmask.img"
        assert scene.qa_path.name == f"{scene.scene_id}_BQA.TIF"
        assert scene.band_grid("B8").resolution == (15.0, 15.0)
        assert scene.band_grid("B4").resolution == (30.0, 30.0)
        assert scene.grid.shape == (64, 64) and scene.grid.crs.to_epsg() // 100 == 326


def test_writer_is_deterministic(tmp_path):
    a = write_biome_scene(tmp_path / "a", SCENE, seed=7)
    b = write_biome_scene(tmp_path / "b", SCENE, seed=7)
    for name in (f"{SCENE}_B3.TIF", f"{SCENE}_fixedmask.img", f"{SCENE}_MTL.txt"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    c = write_biome_scene(tmp_path / "c", SCENE, seed=8)
    assert (a / f"{SCENE}_B3.TIF").read_bytes() != (c / f"{SCENE}_B3.TIF").read_bytes()


def test_flat_root_has_unknown_biome_unless_given(tmp_path):
    for i, sid in enumerate(("LC81390292014135LGN00", "LC81620432014072LGN00")):
        write_biome_scene(tmp_path / "flat", sid, seed=i)
    scenes = find_biome_scenes(tmp_path / "flat")
    assert [s.biome for s in scenes] == [None, None]
    scenes = find_biome_scenes(tmp_path / "flat", biomes={"LC81390292014135LGN00": "snow_ice"})
    assert {s.scene_id: s.biome for s in scenes} == {
        "LC81390292014135LGN00": "SnowIce", "LC81620432014072LGN00": None}
    assert normalize_biome("grass/crops") == "Grass-Crops"
    with pytest.raises(UnknownNameError, match="Wetlands"):
        normalize_biome("tundra")


def test_synthetic_bands_follow_the_mask(scene_dir):
    scene = open_biome_scene(scene_dir)
    mask, blue, nir = scene.read_mask(), scene.read("B2"), scene.read("B5")
    clear, shadow, cloud = (np.nanmean(blue[mask == c]) for c in (128, 64, 255))
    assert cloud > 0.4 > clear > shadow and np.nanmean(nir[mask == 128]) > 0.2  # vegetation
    assert np.nanstd(blue[mask == 255]) < np.nanstd(blue[mask == 128]) * 2  # flat clouds
    assert np.isnan(blue[mask == 0]).all() and not np.isnan(blue[mask != 0]).any()


def test_given_bands_and_mask_are_written(tmp_path):
    mask = synthetic_mask((40, 48), seed=1)
    refl = np.full((40, 48), 0.25, np.float32)
    dn = np.full((80, 96), 12345, np.uint16)
    folder = write_biome_scene(tmp_path, SCENE, bands={"B3": refl, "B8": dn}, mask=mask)
    scene = open_biome_scene(folder)
    np.testing.assert_array_equal(scene.read_mask(), mask)
    got = scene.read("B3")
    np.testing.assert_allclose(got[mask != 0], 0.25, atol=2e-5 / math.sin(
        math.radians(scene.sun_elevation)))
    assert raw_dn(folder, "B8").min() == 12345 and scene.grid.shape == (40, 48)
    with pytest.raises(InputError, match="'B12' of shape"):
        write_biome_scene(tmp_path / "x", SCENE, bands={"B12": refl}, mask=mask)
    with pytest.raises(InputError, match="'B8' of shape"):
        write_biome_scene(tmp_path / "x", SCENE, bands={"B8": refl}, mask=mask)


@pytest.mark.parametrize("fmt, suffix", [("envi", ".img"), ("tif", ".TIF")])
def test_mask_read_from_envi_and_tif(tmp_path, fmt, suffix):
    mask = synthetic_mask((64, 64), seed=5)
    folder = write_biome_scene(tmp_path, SCENE, mask=mask, mask_format=fmt)
    scene = open_biome_scene(folder)
    assert scene.mask_path.suffix == suffix
    got = scene.read_mask()
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, mask)
    np.testing.assert_array_equal(scene.read_mask(Window(5, 7, 20, 10)), mask[7:17, 5:25])
    assert set(np.unique(got)) == {0, 64, 128, 192, 255}


def test_mask_shape_differs_from_bands(tmp_path, scene_dir):
    other = write_biome_scene(tmp_path / "other", SCENE, size=48)
    for ext in (".img", ".hdr"):
        shutil.copy(other / f"{SCENE}_fixedmask{ext}", scene_dir / f"{SCENE}_fixedmask{ext}")
    with pytest.raises(ProductFormatError,
                       match=rf"{SCENE}_fixedmask\.img: mask is 48×48 pixels but the 30 m "
                             r"bands are 64×64"):
        open_biome_scene(scene_dir)


def test_envi_mask_without_header(scene_dir):
    (scene_dir / f"{SCENE}_fixedmask.hdr").unlink()
    with pytest.raises(ProductFormatError, match=r"fixedmask\.img: ENVI header .* is missing"):
        open_biome_scene(scene_dir)


def test_no_scenes_names_root_and_download(tmp_path):
    with pytest.raises(ProductFormatError) as err:
        find_biome_scenes(tmp_path)
    assert str(tmp_path) in str(err.value) and BIOME_URL in str(err.value)


def test_biome_scene_without_mask(tmp_path):
    write_biome_scene(tmp_path / "Water" / "BC", SCENE, mask_format=None)
    with pytest.raises(ProductFormatError, match=f"{SCENE}: no manual mask"):
        find_biome_scenes(tmp_path)


def test_duplicated_scene_id(tmp_path):
    write_biome_scene(tmp_path / "Urban" / "BC", SCENE)
    write_biome_scene(tmp_path / "Wetlands" / "BC", SCENE)
    with pytest.raises(ProductFormatError, match=f"scene {SCENE} also found in"):
        find_biome_scenes(tmp_path)
