"""`crossmask patches` on any labelled source, `train` on its output, and `evaluate --data
FOLDER --codes codes.toml`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crossmask.models.card import read_card
from crossmask.pipelines.training.split import load_split
from crossmask.products.writers.labelled import write_config, write_geotiff_scene

SIX = ("blue", "green", "red", "nir08", "swir16", "swir22")
CODES = {10: "clear", 20: "thin", 30: "cloud", 40: "shadow"}
BIOME = {0: "fill", 64: "shadow", 128: "clear", 192: "thin", 255: "cloud"}
REAL_BANDS = ["B2", "B3", "B4", "B5", "B6", "B7", "B9", "B10"]


def write_folder(root: Path, parts=(("train", 2), ("val", 1)), size=32) -> Path:
    """GeoTIFF scenes in ``<part>/Images`` + ``<part>/Masks`` (the layout of the real L8
    Biome patches) with one codes TOML beside the folder."""
    seed = 0
    for part, n in parts:
        images, masks = root / part / "Images", root / part / "Masks"
        masks.mkdir(parents=True)
        for k in range(n):
            write_geotiff_scene(images, f"{part}{k}", size=size, seed=seed, bands=SIX).unlink()
            (images / f"{part}{k}_labels.tif").rename(masks / f"{part}{k}.tif")
            seed += 1
    return write_config(root.parent / "codes.toml", {
        "sensor": "L8", "bands": list(SIX), "scale": 0.0001, "labels": "../Masks/{stem}.tif",
        "codes": CODES})


def test_patches_of_a_folder_sharing_one_toml(tmp_path, invoke):
    codes = write_folder(tmp_path / "data", (("train", 2), ("val", 1), ("test", 1)))
    out = tmp_path / "patches"
    result = invoke("patches", tmp_path / "data", "--codes", codes, "--bands", "B2,B3,B4",
                    "--size", "16", "--stride", "16", "--scheme", "four", "-o", out)
    assert result.exit_code == 0, result.output
    assert "4 scenes (folder+config; train 2, val 1, test 1), bands B2,B3,B4" in result.output
    index = json.loads((out / "index.json").read_text())
    assert index["bands"] == ["B2", "B3", "B4"] and index["scheme"] == "four"
    assert index["source"]["config"] == str(codes.resolve())
    assert index["source"]["codes"] == {str(k): v for k, v in CODES.items()}
    assert index["stats"]["scenes"] == ["train0", "train1"]
    split = load_split(out / "split.json")
    assert (split.train, split.val, split.test) == (("train0", "train1"), ("val0",), ("test0",))
    again = invoke("patches", tmp_path / "data", "--codes", codes, "-o", out)
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_image_band_names_beside_a_codes_toml_without_them(tmp_path, invoke):
    codes = write_folder(tmp_path / "data", (("train", 1), ("val", 1)), size=16)
    write_config(codes, {"sensor": "L8", "scale": 0.0001, "labels": "../Masks/{stem}.tif",
                         "codes": CODES})
    result = invoke("patches", tmp_path / "data", "--codes", codes, "--image-bands",
                    ",".join(SIX), "--size", "16", "--stride", "16", "-o", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert "bands B2,B3,B4,B5,B6,B7" in result.output


def test_patches_refusals_are_one_line(tmp_path, invoke):
    codes = write_folder(tmp_path / "data")
    write_config(codes, {"sensor": "L8", "bands": list(SIX), "image": "x.tif",
                         "codes": CODES})
    result = invoke("patches", tmp_path / "data", "--codes", codes, "-o", tmp_path / "p")
    assert result.exit_code == 1 and "a folder config selects its images" in result.output
    result = invoke("patches", tmp_path / "data", "--counts", "a,b", "-o", tmp_path / "p")
    assert result.exit_code == 1


def test_evaluate_a_folder_sharing_one_toml(tmp_path, invoke, bright_model):
    codes = write_folder(tmp_path / "data", (("test", 2),), size=32)
    result = invoke("evaluate", "--model", bright_model, "--data", tmp_path / "data",
                    "--codes", codes, "--n-boot", "10", "-o", tmp_path / "report")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "report" / "results.csv").open()))
    assert sorted(r["scene_id"] for r in rows) == ["test0", "test1"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_train_finds_the_split_beside_the_patches(tmp_path, invoke):
    codes = write_folder(tmp_path / "data")
    patches, run = tmp_path / "patches", tmp_path / "run"
    assert invoke("patches", tmp_path / "data", "--codes", codes, "--size", "16",
                  "--stride", "16", "-o", patches).exit_code == 0
    result = invoke("train", "--data", patches, "-o", run, "--width", "0.125", "--epochs",
                    "1", "--batch-size", "4", "--bands", "B2,B4,B6", "--augment",
                    "flip,haze,saturation")
    assert result.exit_code == 0, result.output
    card = read_card(run)
    assert card.bands == ["B2", "B4", "B6"] and len(card.normalization["mean"]) == 3
    assert list(card.training["augmentations"]) == ["haze", "saturation", "flip"]
    assert card.training["train_scenes"] == ["train0", "train1"]
    result = invoke("train", "--data", tmp_path / "data", "-o", tmp_path / "x")
    assert result.exit_code == 1 and "no split" in result.output


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_training_on_two_real_l8_biome_patches(shared_file, tmp_path, invoke):
    """Two real train patches (and one validation patch) through `patches` and `train`:
    bands B2–B7 only (B10 is kelvin), the loss falls, the card is written."""
    real = shared_file("l8-biome-patches")
    for part, names in (("train", ["Barren_03_0207", "Forest_03_0209"]),
                        ("val", [sorted(p.stem for p in (real / "val" / "Images").glob("*.tif"))[0]])):
        for folder in ("Images", "Masks"):
            (tmp_path / "data" / part / folder).mkdir(parents=True)
            for name in names:
                (tmp_path / "data" / part / folder / f"{name}.tif").symlink_to(
                    real / part / folder / f"{name}.tif")
    codes = write_config(tmp_path / "codes.toml", {
        "sensor": "L8", "bands": REAL_BANDS, "labels": "../Masks/{stem}.tif", "codes": BIOME})
    patches, run = tmp_path / "patches", tmp_path / "run"
    result = invoke("patches", tmp_path / "data", "--codes", codes, "--bands",
                    "B2,B3,B4,B5,B6,B7", "--size", "128", "--stride", "128", "-o", patches)
    assert result.exit_code == 0, result.output
    assert "train 2, val 1" in result.output
    result = invoke("train", "--data", patches, "-o", run, "--width", "0.125", "--epochs", "3",
                    "--batch-size", "4", "--lr", "3e-3", "--augment", "none")
    assert result.exit_code == 0, result.output
    losses = [float(r["loss"]) for r in csv.DictReader((run / "log.csv").open())]
    assert len(losses) == 3 and losses[-1] < losses[0]
    card = read_card(run)
    assert card.bands == ["B2", "B3", "B4", "B5", "B6", "B7"]
    assert card.training["tuned_on"]["source"]["codes"] == {str(k): v for k, v in BIOME.items()}
    assert card.training["train_scenes"] == ["Barren_03_0207", "Forest_03_0209"]
    assert 0 <= card.training["validation"]["overall_accuracy"] <= 1


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_evaluate_the_real_validation_patches_with_one_toml(shared_file, tmp_path, invoke):
    """The imported IPL-UV 6-band U-Net on the 8 real validation patches, read as a folder
    sharing one codes TOML (GeoTIFFs without georeferencing): OA ≈ 97 % (shared README)."""
    weights = shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5")
    real = shared_file("l8-biome-patches")
    model = tmp_path / "ipluv6"
    assert invoke("models", "import-ipluv", weights, "-o", model).exit_code == 0
    codes = write_config(tmp_path / "codes.toml", {
        "sensor": "L8", "bands": REAL_BANDS, "images": "val/Images/*.tif",
        "labels": "../Masks/{stem}.tif", "codes": BIOME})
    result = invoke("evaluate", "--model", model, "--data", real, "--codes", codes,
                    "--n-boot", "10", "-o", tmp_path / "report")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "report" / "results.csv").open()))
    assert len(rows) == 8
    right = sum(int(r["tp"]) + int(r["tn"]) for r in rows)
    assert 0.95 < right / sum(int(r["n_pixels"]) for r in rows) < 0.99


def test_patches_on_the_probav_lattice(tmp_path, invoke):
    codes = write_folder(tmp_path / "data", (("train", 1), ("val", 1)), size=96)
    out = tmp_path / "pv"
    result = invoke("patches", tmp_path / "data", "--codes", codes, "--bands", "B2,B4,B5",
                    "--probav", "100M", "--size", "8", "--stride", "8", "--max-fill", "0.5",
                    "-o", out)
    assert result.exit_code == 0, result.output
    index = json.loads((out / "index.json").read_text())
    assert index["source"]["kind"] == "folder+config at PROBA-V 100M (psf)"
    assert index["bands"] == ["B2", "B4", "B5"] and index["size"] == 8
    fine = invoke("patches", tmp_path / "data", "--codes", codes, "--bands", "B2,B4,B5",
                  "--size", "8", "--stride", "8", "-o", tmp_path / "fine")
    assert fine.exit_code == 0, fine.output
    count = json.loads((tmp_path / "fine" / "index.json").read_text())
    assert sum(s["patches"] for s in index["shards"]) < sum(s["patches"] for s in count["shards"])
