"""One TOML for a folder of labelled images (`images` glob, `labels` pattern): the layout of
the real L8 Biome patches in ../shared (crossmask.products.datasets.generic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from crossmask.errors import ConfigError, ProductFormatError
from crossmask.products import find_labelled_scenes, open_labelled
from crossmask.products.writers.labelled import write_config, write_geotiff_scene

GEOTIFF_CODES = {10: "clear", 20: "thin", 30: "cloud", 40: "shadow"}


def write_image_mask_folder(root: Path, names=("a", "b"), size=16) -> Path:
    """GeoTIFF scenes in the ``Images/`` + ``Masks/<same name>`` layout (the generic writer's
    files, labels moved), no per-scene TOML; return the shared config (outside ``root``)."""
    images, masks = root / "Images", root / "Masks"
    masks.mkdir(parents=True)
    for seed, name in enumerate(names):
        write_geotiff_scene(images, name, size=size, seed=seed).unlink()
        (images / f"{name}_labels.tif").rename(masks / f"{name}.tif")
    return write_config(root.parent / "codes.toml", {
        "sensor": "L8", "bands": ["B2", "B3", "B4", "B5", "B6"], "scale": 0.0001,
        "labels": "../Masks/{stem}.tif", "codes": GEOTIFF_CODES})


def test_one_config_describes_a_folder_of_geotiffs(tmp_path):
    codes = write_image_mask_folder(tmp_path / "data")
    found = find_labelled_scenes(tmp_path / "data", codes)
    assert found == [tmp_path / "data" / "Images" / f"{n}.tif" for n in "ab"]
    scene = open_labelled(found[1], codes)
    assert scene.scene_id == "b" and scene.label_path.resolve() == (
        tmp_path / "data" / "Masks" / "b.tif")
    # the same pixels as the writer's own one-scene TOML would give
    single = write_geotiff_scene(tmp_path / "single", "b", size=16, seed=1)
    np.testing.assert_array_equal(scene.read("B4"), open_labelled(single).read("B4"))
    np.testing.assert_array_equal(scene.read_reference(), open_labelled(single).read_reference())
    # a parsed mapping works the same; scene_id patterns; an images glob
    mapping = {"sensor": "L8", "bands": ["B2", "B3", "B4", "B5", "B6"], "scale": 0.0001,
               "labels": "../Masks/{stem}.tif", "codes": GEOTIFF_CODES,
               "images": "Images/a*.tif", "scene_id": "{parent}-{stem}"}
    assert find_labelled_scenes(tmp_path / "data", mapping) == found[:1]
    assert open_labelled(found[0], mapping).scene_id == "Images-a"


def test_labels_beside_the_images_are_not_taken_for_images(tmp_path):
    for seed, name in enumerate(("x", "y")):
        write_geotiff_scene(tmp_path / "flat", name, size=8, seed=seed).unlink()
    codes = write_config(tmp_path / "codes.toml", {
        "sensor": "L8", "bands": ["B2", "B3", "B4", "B5", "B6"], "scale": 0.0001,
        "labels": "{stem}_labels.tif", "codes": GEOTIFF_CODES})
    assert [p.name for p in find_labelled_scenes(tmp_path / "flat", codes)] == ["x.tif", "y.tif"]


@pytest.mark.parametrize("change, error, message", [
    ({"image": "a.tif"}, ConfigError, "a folder config selects its images with images"),
    ({"labels": "mask.tif"}, ConfigError, "same label raster; use a placeholder"),
    ({"labels": "../Masks/{id}.tif"}, ConfigError, r"unknown placeholder .*\{stem\}"),
    ({"images": 3}, ConfigError, "images must be a glob"),
    ({"images": "*.npz"}, ProductFormatError, r"no images match \*\.npz"),
    ({"labels": "../Labels/{stem}.tif"}, ProductFormatError, "label raster missing"),
])
def test_folder_config_errors_name_the_toml_or_file(tmp_path, change, error, message):
    codes = write_image_mask_folder(tmp_path / "data")
    doc = {"sensor": "L8", "bands": ["B2", "B3", "B4", "B5", "B6"], "scale": 0.0001,
           "labels": "../Masks/{stem}.tif", "codes": GEOTIFF_CODES, **change}
    write_config(codes, doc)
    with pytest.raises(error, match=message) as info:
        find_labelled_scenes(tmp_path / "data", codes)
    assert str(tmp_path) in str(info.value)


def test_band_names_given_beside_a_config_override_it(tmp_path):
    codes = write_image_mask_folder(tmp_path / "data")
    write_config(codes, {"sensor": "L8", "scale": 0.0001, "labels": "../Masks/{stem}.tif",
                         "codes": GEOTIFF_CODES})
    image = find_labelled_scenes(tmp_path / "data", codes)[0]
    with pytest.raises(ConfigError, match=r"missing keys \['bands'\]"):
        open_labelled(image, codes)
    scene = open_labelled(image, codes, bands=["blue", "green", "red", "nir08", "swir16"])
    assert scene.band_names == ["B2", "B3", "B4", "B5", "B6"]


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_geotiffs_without_georeferencing_get_the_nominal_grid(tmp_path):
    """The layout of the real L8 Biome patches: float reflectance, no CRS or transform."""
    from crossmask.products import unreferenced_grid

    codes = write_image_mask_folder(tmp_path / "data", names=("a",), size=12)
    for path in (tmp_path / "data" / "Images" / "a.tif", tmp_path / "data" / "Masks" / "a.tif"):
        with rasterio.open(path) as src:
            data, dtype, nodata = src.read(), src.dtypes[0], src.nodata
        path.unlink()
        with rasterio.open(path, "w", driver="GTiff", width=12, height=12, count=len(data),
                           dtype=dtype, nodata=nodata) as dst:
            dst.write(data)
    scene = open_labelled(tmp_path / "data" / "Images" / "a.tif", codes)
    assert scene.grid == unreferenced_grid(12, 12, 30.0)
    assert scene.read("B2").shape == (12, 12) and scene.read_reference().shape == (12, 12)
