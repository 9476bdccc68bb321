"""Training sources of any layout: opening, splits from folders, harmonised patches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rasterio.windows import Window

from crossmask.classes import IGNORE
from crossmask.errors import InputError
from crossmask.harmonize import HarmonizedProduct, build_adjustment
from crossmask.pipelines.training.patches import DEFAULT_BANDS, extract_patches, load_index
from crossmask.pipelines.training.sources import (
    common_bands,
    harmonized_view,
    open_source,
    source_split,
)
from crossmask.pipelines.training.split import load_split, save_split, split_from_folders
from crossmask.products.writers.labelled import write_config, write_geotiff_scene, write_npz_scene

CODES = {10: "clear", 20: "thin", 30: "cloud", 40: "shadow"}
L8_FIVE = ["B2", "B3", "B4", "B5", "B6"]


def write_parts(root: Path, parts: dict[str, int], size: int = 32) -> Path:
    """GeoTIFF scenes in ``<part>/Images`` + ``<part>/Masks`` (the L8 Biome patches layout)
    from the generic writer; return one shared config."""
    seed = 0
    for part, n in parts.items():
        images, masks = root / part / "Images", root / part / "Masks"
        masks.mkdir(parents=True)
        for k in range(n):
            name = f"{part}{k}"
            write_geotiff_scene(images, name, size=size, seed=seed).unlink()
            (images / f"{name}_labels.tif").rename(masks / f"{name}.tif")
            seed += 1
    return write_config(root.parent / "codes.toml", {
        "sensor": "L8", "bands": L8_FIVE, "scale": 0.0001, "labels": "../Masks/{stem}.tif",
        "codes": CODES})


@pytest.fixture
def parts_folder(tmp_path):
    codes = write_parts(tmp_path / "data", {"train": 3, "val": 1, "test": 1})
    return tmp_path / "data", codes


def test_a_folder_with_one_config_opens_every_scene(parts_folder):
    root, codes = parts_folder
    source = open_source(root, codes)
    assert source.kind == "folder+config" and len(source.scenes) == 5
    described = source.describe()
    assert described["codes"] == {str(k): v for k, v in CODES.items()}
    assert described["config"] == str(codes.resolve()) and described["sensors"] == ["L8"]
    assert common_bands(source.scenes, DEFAULT_BANDS) == L8_FIVE


def test_split_from_train_val_test_folders(parts_folder, tmp_path):
    root, codes = parts_folder
    split = source_split(open_source(root, codes), seed=3)
    assert (split.train, split.val, split.test) == (("train0", "train1", "train2"),
                                                    ("val0",), ("test0",))
    loaded = load_split(save_split(split, tmp_path / "split.json"))
    assert loaded.train == split.train and loaded.biomes == {s: None for s in split.biomes}
    # no part folders: a seeded split by scene; scenes outside them when others are inside
    assert split_from_folders({"a": root / "x" / "a.tif"}, root) is None
    with pytest.raises(InputError, match="lie outside the train/val/test folders"):
        split_from_folders({"a": root / "train" / "a.tif", "b": root / "b.tif"}, root)


def test_seeded_split_by_scene_without_part_folders(tmp_path):
    codes = write_parts(tmp_path / "flat", {"all": 6})
    source = open_source(tmp_path / "flat", codes)
    split = source_split(source, (4, 1, 1), seed=1)
    assert (len(split.train), len(split.val), len(split.test)) == (4, 1, 1)
    assert source_split(source, (4, 1, 1), seed=1) == split
    assert source_split(source, (4, 1, 1), seed=2) != split


def test_patches_of_a_folder_record_the_source(parts_folder, tmp_path):
    root, codes = parts_folder
    source = open_source(root, codes)
    split = source_split(source)
    index_path = extract_patches(source.scenes, tmp_path / "p", bands=["B2", "B4", "B5"],
                                 size=16, stride=16, train_ids=split.train,
                                 source=source.describe())
    index = json.loads(index_path.read_text())
    assert index["bands"] == ["B2", "B4", "B5"] and index["sensor"] == "L8"
    assert index["source"]["kind"] == "folder+config" and index["source"]["path"] == str(
        root.resolve())
    assert index["harmonization"]["sensors"] == {"L8": "none"}
    assert index["stats"]["scenes"] == list(split.train)
    record = index["scenes"]["val0"]
    assert record["method"] == "none" and record["path"].endswith("val/Images/val0.tif")


def test_sentinel2_scenes_are_harmonised_like_evaluation(tmp_path):
    for k in range(2):
        write_npz_scene(tmp_path / "s2", f"scene{k}", size=32, seed=k)
    source = open_source(tmp_path / "s2")
    bands = common_bands(source.scenes, DEFAULT_BANDS)
    assert bands == ["B2", "B3", "B4", "B5", "B6", "B7"]
    out = tmp_path / "patches"
    extract_patches(source.scenes, out, bands=bands, size=16, stride=16, max_fill=1.0,
                    method="ols", source=source.describe())
    index = load_index(out)
    assert index["harmonization"] == {"method": "ols", "target": "L8",
                                      "sensors": {"S2A": "ols"}}
    assert index["source"]["codes"] == {"0": "shadow", "1": "clear", "2": "clear",
                                        "3": "clear", "4": "cloud"}
    scene = source.scenes[1]
    adjustment = build_adjustment(scene.sensor, "L8", "ols", target_bands=bands,
                                  available=scene.band_names)
    product = HarmonizedProduct(scene, adjustment, scene.grid)
    with np.load(out / "scene1_0000.npz") as shard:
        x, y, rows, cols = shard["x"], shard["y"], shard["row"], shard["col"]
    for k in range(len(x)):
        window = Window(int(cols[k]), int(rows[k]), 16, 16)
        expected = np.stack([product.read(b, window) for b in bands], axis=-1)
        valid = y[k] != IGNORE
        np.testing.assert_allclose(x[k][valid], expected[valid], rtol=1e-6)
        assert (x[k][~valid] == 0).all() and np.isfinite(expected[valid]).all()
    assert not np.allclose(x[0][..., 0], scene.read("B2", Window(int(cols[0]), int(rows[0]),
                                                                 16, 16)))


def test_harmonisation_errors_name_the_scene(tmp_path):
    toml = write_npz_scene(tmp_path / "s2", "scene", size=16)
    source = open_source(toml)
    assert source.kind == "scene"
    with pytest.raises(InputError, match=r"scene\.npz: cannot harmonise S2A to L8"):
        harmonized_view(source.scenes[0], ["B2"], "roy2016-or-nothing", {})


@pytest.mark.parametrize("kind", ["cmc", "cloudsen12"])
def test_patches_of_sentinel2_datasets(tmp_path, kind):
    from crossmask.products.writers.labelled import write_cloudsen12, write_cmc

    if kind == "cmc":
        root = write_cmc(tmp_path / "cmc", size=32)
    else:
        root = tmp_path / "cs12"
        for k in range(2):
            write_cloudsen12(root, f"ROI_000{k}/20190212T142031_20190212T143214_T19FDF",
                             size=32, seed=k)
    source = open_source(root)
    assert source.kind == kind and len(source.scenes) == 2
    bands = common_bands(source.scenes, DEFAULT_BANDS)
    assert bands == list(DEFAULT_BANDS)  # 13 S2 bands supply B1–B7 and B9
    index_path = extract_patches(source.scenes, tmp_path / "p", bands=bands, size=16,
                                 stride=16, max_fill=1.0, method="none",
                                 source=source.describe())
    index = json.loads(index_path.read_text())
    sensors = index["harmonization"]["sensors"]
    assert set(sensors) <= {"S2A", "S2B"} and set(sensors.values()) == {"none"}
    files = [shard["file"] for shard in index["shards"]]
    assert all("/" not in f and (tmp_path / "p" / f).is_file() for f in files)
    expected = {"cloudsen12": {"0": "clear", "1": "cloud", "2": "thin", "3": "shadow"},
                "cmc": "one-hot mask channels CLEAR, CLOUD, CLOUD_SHADOW"}[kind]
    assert index["source"]["codes"] == expected


def test_a_split_the_dataset_records_comes_first(tmp_path):
    from types import SimpleNamespace

    from crossmask.pipelines.training.sources import TrainingSource

    scenes = [SimpleNamespace(scene_id=sid, tags={"split": part}, path=tmp_path / f"{sid}.tif",
                              biome=None)
              for sid, part in (("a", "train"), ("b", "validation"), ("c", "test"),
                                ("d", "train"))]
    split = source_split(TrainingSource(tmp_path, "cloudsen12", scenes))
    assert (split.train, split.val, split.test) == (("a", "d"), ("b",), ("c",))
    scenes[0].tags = {}
    assert len(source_split(TrainingSource(tmp_path, "x", scenes), (2, 1, 1)).train) == 2
