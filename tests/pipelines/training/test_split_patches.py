"""Scene splits, patch extraction and the tf.data pipeline."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from rasterio.windows import Window

from crossmask.classes import IGNORE, to_classes
from crossmask.errors import (
    InputError,
    MissingBandError,
    OutputExistsError,
    ProductFormatError,
)
from crossmask.pipelines.training.patches import (
    DEFAULT_BANDS,
    extract_patches,
    load_index,
    make_dataset,
    patch_offsets,
    read_xy,
)
from crossmask.pipelines.training.split import load_split, make_split, save_split, select_scenes
from crossmask.products import find_biome_scenes
from crossmask.products.writers.landsat import synthetic_mask, write_biome_scene

SIZE, STRIDE, MAX_FILL = 32, 16, 0.1


def ids(biome: str, n: int) -> dict[str, str]:
    return {f"{biome.upper()}{i:03d}": biome for i in range(n)}


# -- splits ------------------------------------------------------------------------------

def test_split_is_stratified_and_reproducible():
    biomes = {**ids("Forest", 12), **ids("Water", 12), **ids("Urban", 3), **ids("Barren", 1)}
    split = make_split(biomes, seed=4)
    for biome, (n_train, n_val, n_test) in {"Forest": (8, 2, 2), "Water": (8, 2, 2),
                                            "Urban": (1, 1, 1), "Barren": (1, 0, 0)}.items():
        counts = [sum(biomes[s] == biome for s in split.ids(p)) for p in ("train", "val", "test")]
        assert counts == [n_train, n_val, n_test]
    everything = split.train + split.val + split.test
    assert sorted(everything) == sorted(biomes) and len(set(everything)) == len(biomes)
    assert make_split(biomes, seed=4) == split
    assert make_split(biomes, seed=5) != split
    # a biome's assignment depends only on its own scenes
    alone = make_split({k: v for k, v in biomes.items() if v == "Forest"}, seed=4)
    assert set(alone.test) == {s for s in split.test if biomes[s] == "Forest"}


def test_split_json_roundtrip(tmp_path):
    split = make_split({**ids("Forest", 4), **ids("Water", 3)}, seed=2)
    path = save_split(split, tmp_path / "split.json")
    data = json.loads(path.read_text())
    assert data["format"] == "crossmask-split" and data["version"] == 1 and data["seed"] == 2
    assert set(data) == {"format", "version", "seed", "train", "val", "test", "biomes"}
    loaded = load_split(path)
    assert (loaded.train, loaded.val, loaded.test, dict(loaded.biomes)) == (
        split.train, split.val, split.test, dict(split.biomes))
    with pytest.raises(OutputExistsError):
        save_split(split, path)


def test_split_errors(tmp_path):
    with pytest.raises(InputError, match="empty list of scenes"):
        make_split({})
    good = make_split(ids("Forest", 3)).to_json()
    for change, message in [({"train": []}, "train part of the split is empty"),
                            ({"format": "other"}, "not a crossmask split"),
                            ({"val": good["train"][:1]}, "is in both train and val"),
                            ({"biomes": {}}, "has no entry in \"biomes\"")]:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps({**good, **change}))
        with pytest.raises(ProductFormatError, match=rf"bad\.json: .*{message}"):
            load_split(path)


# -- patches -----------------------------------------------------------------------------

def blue_from_mask(mask: np.ndarray) -> np.ndarray:
    """B2 reflectance that encodes the binary class: cloud 0.6, clear 0.1, NaN at fill."""
    blue = np.where(mask >= 192, 0.6, 0.1).astype(np.float32)
    return np.where(mask == 0, np.nan, blue).astype(np.float32)


@pytest.fixture(scope="module")
def patches(tmp_path_factory):
    root = tmp_path_factory.mktemp("biome")
    layout = {"Barren": ["LC80010012013001LGN00", "LC80080042014014LGN00"],
              "Forest": ["LC80300182014042LGN00", "LC80370212015055LGN00", "LC80420082013220LGN00"]}
    masks = {}
    for b, (biome, scene_ids) in enumerate(layout.items()):
        for k, sid in enumerate(scene_ids):
            mask = synthetic_mask((64, 64), seed=10 * b + k)
            if sid == "LC80420082013220LGN00":
                mask[:32, :32] = 0  # a big fill block: patches touching it are dropped
            masks[sid] = mask
            write_biome_scene(root / biome / "BC", sid, bands={"B2": blue_from_mask(mask)},
                              mask=mask, seed=10 * b + k, biome=biome)
    scenes = find_biome_scenes(root)
    split = make_split(scenes, seed=0)
    out = root / "patches"
    extract_patches(scenes, out, size=SIZE, stride=STRIDE, max_fill=MAX_FILL, shard_size=4,
                    train_ids=split.train)
    return scenes, split, out, masks


def test_patch_offsets():
    assert patch_offsets(64, 32, 16) == [0, 16, 32]
    assert patch_offsets(70, 32, 32) == [0, 32, 38]
    assert patch_offsets(20, 32, 16) == []


def test_read_xy_ignores_pixels_missing_in_any_band(tmp_path):
    mask = np.full((32, 32), 255, np.uint8)
    green = np.full((32, 32), 0.3, np.float32)
    green[4:8, 10:20] = np.nan  # no data in one band only, mask says cloud
    scene = find_biome_scenes(write_biome_scene(tmp_path / "Urban" / "BC", "LC80010012013001LGN00",
                                                bands={"B3": green}, mask=mask).parent)[0]
    x, y = read_xy(scene, Window(0, 0, 32, 32), scheme="four")
    assert (y[4:8, 10:20] == IGNORE).all() and (x[4:8, 10:20] == 0).all()
    assert (y[:4] == 2).all() and (x[:4, :, 2] > 0.29).all()


def test_patch_counts_drop_fill(patches):
    scenes, _, out, masks = patches
    index = load_index(out)
    assert index["bands"] == list(DEFAULT_BANDS) and index["scheme"] == "binary"
    for sid, mask in masks.items():
        fill = [np.mean(mask[r:r + SIZE, c:c + SIZE] == 0) for r in (0, 16, 32)
                for c in (0, 16, 32)]
        kept = sum(f <= MAX_FILL for f in fill)
        assert (index["scenes"][sid]["patches"], index["scenes"][sid]["dropped"]) == (
            kept, 9 - kept)
    assert index["scenes"]["LC80420082013220LGN00"]["dropped"] >= 4
    assert sum(s["patches"] for s in index["shards"]) == sum(
        r["patches"] for r in index["scenes"].values())


def test_shards_match_source_windows(patches):
    scenes, _, out, _ = patches
    index = load_index(out)
    by_id = {s.scene_id: s for s in scenes}
    for shard in index["shards"]:
        with np.load(out / shard["file"]) as data:
            x, y, rows, cols = data["x"], data["y"], data["row"], data["col"]
        assert x.dtype == np.float32 and x.shape == (shard["patches"], SIZE, SIZE, 8)
        assert y.dtype == np.uint8 and y.shape == (shard["patches"], SIZE, SIZE)
        assert shard["patches"] <= 4
        scene = by_id[shard["scene"]]
        for i, (row, col) in enumerate(zip(rows, cols)):
            window = Window(int(col), int(row), SIZE, SIZE)
            expected = np.stack([scene.read(b, window) for b in DEFAULT_BANDS], axis=-1)
            labels = to_classes(scene.read_reference(window))
            labels[np.isnan(expected).any(axis=-1)] = IGNORE
            np.testing.assert_array_equal(x[i], np.nan_to_num(expected, nan=0.0))
            np.testing.assert_array_equal(y[i], labels)


def test_compressed_shards_hold_the_same_patches(patches, tmp_path):
    scenes, _, out, _ = patches
    extract_patches(scenes[:1], tmp_path, size=SIZE, stride=STRIDE, max_fill=MAX_FILL,
                    shard_size=4, compress=True)
    for shard in load_index(tmp_path)["shards"]:
        with np.load(tmp_path / shard["file"]) as packed, np.load(out / shard["file"]) as plain:
            assert all(np.array_equal(packed[k], plain[k]) for k in ("x", "y", "row", "col"))
        assert (tmp_path / shard["file"]).stat().st_size < (out / shard["file"]).stat().st_size


def test_index_stats_over_training_patches(patches):
    _, split, out, _ = patches
    index = load_index(out)
    pixels = []
    for shard in index["shards"]:
        if shard["scene"] in split.train:
            with np.load(out / shard["file"]) as data:
                pixels.append(data["x"][data["y"] != IGNORE])
    pixels = np.concatenate(pixels).astype(np.float64)
    assert index["stats"]["scenes"] == sorted(split.train)
    np.testing.assert_allclose(index["stats"]["mean"], pixels.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(index["stats"]["std"], pixels.std(axis=0), rtol=1e-9)


def test_extract_refuses_existing_index_and_missing_band(patches, tmp_path):
    scenes, _, out, _ = patches
    with pytest.raises(OutputExistsError, match="index.json"):
        extract_patches(scenes, out, size=SIZE)
    (scenes[0].path / f"{scenes[0].scene_id}_B9.TIF").rename(tmp_path / "B9.TIF")
    try:
        with pytest.raises(MissingBandError, match=rf"{scenes[0].scene_id}_B9\.TIF"):
            extract_patches(scenes, tmp_path / "new", size=SIZE)
        assert not (tmp_path / "new").exists()  # nothing written before the check
    finally:
        (tmp_path / "B9.TIF").rename(scenes[0].path / f"{scenes[0].scene_id}_B9.TIF")


def test_select_scenes(patches):
    scenes, split, _, _ = patches
    assert [s.scene_id for s in select_scenes(scenes, split, "test")] == list(split.test)
    with pytest.raises(InputError, match="LC80010012013001LGN00"):
        select_scenes([s for s in scenes if s.scene_id != "LC80010012013001LGN00"],
                      make_split(scenes, counts=(1, 0, 0)), "train")
    with pytest.raises(InputError, match="val part of the split is empty"):
        select_scenes(scenes, make_split(scenes, counts=(1, 0, 0)), "val")


# -- tf.data -----------------------------------------------------------------------------

def dihedral(a: np.ndarray, k: int, flip: bool) -> np.ndarray:
    a = np.rot90(a, k, axes=(0, 1))
    return a[:, ::-1] if flip else a


def test_dataset_shapes_weights_and_aligned_augmentation(patches):
    _, split, out, _ = patches
    train = split.train
    plain = list(make_dataset(out, train, batch_size=3, shuffle=False, augment=False,
                              sample_weights=True).as_numpy_iterator())
    augmented = list(make_dataset(out, train, batch_size=3, shuffle=False, augment=True,
                                  seed=1).as_numpy_iterator())
    n = sum(load_index(out)["scenes"][s]["patches"] for s in train)
    assert sum(len(b[0]) for b in plain) == n and len(plain[0]) == 3
    x, y, w = plain[0]
    assert x.shape == (3, SIZE, SIZE, 8) and x.dtype == np.float32 and y.dtype == np.uint8
    np.testing.assert_array_equal(w, (y != IGNORE).astype(np.float32))
    turned = 0
    for (xp, yp, _), (xa, ya) in zip(plain, augmented):
        for i in range(len(xp)):
            # the label is a function of B2 in every scene; it must survive augmentation
            relation = np.where(xa[i, ..., 1] == 0, IGNORE, xa[i, ..., 1] > 0.35)
            np.testing.assert_array_equal(ya[i], relation)
            matches = [(k, f) for k in range(4) for f in (False, True)
                       if np.array_equal(dihedral(xp[i], k, f), xa[i])]
            assert matches, "augmented x is no flip/rotation of the original"
            assert any(np.array_equal(dihedral(yp[i], k, f), ya[i]) for k, f in matches)
            turned += (0, False) not in matches
    assert turned > 0


def test_dataset_shuffles_and_normalises(patches):
    _, split, out, _ = patches
    first = [b[0] for b in make_dataset(out, split.train, 2, seed=3).as_numpy_iterator()]
    again = [b[0] for b in make_dataset(out, split.train, 2, seed=3).as_numpy_iterator()]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    stats = load_index(out)["stats"]
    raw = next(make_dataset(out, split.train, 2, shuffle=False, augment=False)
               .as_numpy_iterator())[0]
    norm = next(make_dataset(out, split.train, 2, shuffle=False, augment=False, normalize=True)
                .as_numpy_iterator())[0]
    np.testing.assert_allclose(norm * np.float32(stats["std"]) + np.float32(stats["mean"]), raw,
                               atol=1e-5)


def test_dataset_errors(patches):
    _, _, out, _ = patches
    with pytest.raises(InputError, match="no scene IDs"):
        make_dataset(out, [])
    with pytest.raises(InputError, match=r"index\.json: scenes not in the patch index: LC8XX"):
        make_dataset(out, ["LC8XX"])
    with pytest.raises(ProductFormatError, match="run extract_patches first"):
        make_dataset(out / "nowhere", ["LC8XX"])


def test_importing_pipelines_does_not_import_tensorflow():
    code = ("import sys, crossmask.classes, crossmask.pipelines.training.patches; "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
