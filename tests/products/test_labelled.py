"""Labelled reference readers on fixtures written in each exact on-disk format."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.classes import CLASS_CODES, FILL, to_classes
from crossmask.errors import ConfigError, InputError, ProductFormatError, UnscaledDataError
from crossmask.products import find_labelled_scenes, open_generic, open_labelled
from crossmask.products.datasets.cmc import CMC_BANDS
from crossmask.products.writers.labelled import (
    CMC_NAMES,
    UKIS_CSMASK_S2,
    write_cloudsen12,
    write_cmc,
    write_config,
    write_geotiff_scene,
    write_npz_scene,
)

CLEAR, THIN, CLOUD, SHADOW = (CLASS_CODES[k] for k in ("clear", "thin", "cloud", "shadow"))


@pytest.fixture
def cmc_root(tmp_path) -> Path:
    return write_cmc(tmp_path / "cmc", names=CMC_NAMES[::-1], size=24)


@pytest.fixture
def cs12_patch(tmp_path) -> Path:
    return write_cloudsen12(tmp_path / "cloudsen12", size=24)


@pytest.fixture
def npz_toml(tmp_path) -> Path:
    return write_npz_scene(tmp_path / "npz", size=24)


@pytest.fixture
def tif_toml(tmp_path) -> Path:
    return write_geotiff_scene(tmp_path / "tif", size=24)


@pytest.fixture(params=["cmc", "cloudsen12", "npz", "geotiff"])
def scene(request):
    """One scene of each format, opened through open_labelled."""
    path = {"cmc": lambda: request.getfixturevalue("cmc_root") / "subscenes"
            / f"{CMC_NAMES[0]}.npy",
            "cloudsen12": lambda: request.getfixturevalue("cs12_patch"),
            "npz": lambda: request.getfixturevalue("npz_toml"),
            "geotiff": lambda: request.getfixturevalue("tif_toml")}[request.param]()
    return open_labelled(path)


def test_windowed_reads_equal_full_reads(scene):
    band = scene.band_names[1]
    full, reference = scene.read(band), scene.read_reference()
    assert full.dtype == np.float32 and reference.dtype == np.uint8
    assert full.shape == reference.shape == scene.grid.shape == scene.band_grid(band).shape
    for window in (Window(0, 0, 7, 5), Window(5, 9, 19, 15), Window(23, 23, 1, 1)):
        rows, cols = window.toslices()
        np.testing.assert_array_equal(scene.read(band, window), full[rows, cols])
        np.testing.assert_array_equal(scene.read_reference(window), reference[rows, cols])
    assert np.isnan(full[0, 0])  # every fixture has a fill corner
    assert set(np.unique(reference)) <= {*CLASS_CODES.values()}


def test_windows_outside_the_scene_are_refused(scene):
    with pytest.raises(InputError, match="outside"):
        scene.read_reference(Window(20, 20, 10, 10))


def test_canonical_codes_map_to_every_scheme(scene):
    reference = scene.read_reference()
    four = to_classes(reference, "four")
    np.testing.assert_array_equal(four, reference)  # canonical codes are the four classes
    three = to_classes(reference, "three")
    np.testing.assert_array_equal(three[reference == THIN], 1)
    np.testing.assert_array_equal(three[reference == SHADOW], 2)
    binary = to_classes(reference, "binary")
    np.testing.assert_array_equal(binary == 1, np.isin(reference, [THIN, CLOUD]))
    np.testing.assert_array_equal(binary == 255, reference == FILL)


def test_cmc_reads_bands_and_one_hot_masks(cmc_root):
    name = CMC_NAMES[0]
    scene = open_labelled(cmc_root / "subscenes" / f"{name}.npy")
    image = np.load(cmc_root / "subscenes" / f"{name}.npy")
    onehot = np.load(cmc_root / "masks" / f"{name}.npy")
    np.testing.assert_array_equal(scene.read("nir08"), image[..., CMC_BANDS.index("B8A")])
    np.testing.assert_array_equal(scene.read("B12"), image[..., 12])
    reference = scene.read_reference()
    np.testing.assert_array_equal(reference[onehot[..., 0]], CLEAR)
    np.testing.assert_array_equal(reference[onehot[..., 1]], CLOUD)
    np.testing.assert_array_equal(reference[onehot[..., 2]], SHADOW)
    np.testing.assert_array_equal(reference[~onehot.any(axis=-1)], FILL)
    assert (reference == FILL).sum() == 4 + 3  # fill corner and the unlabelled pixels
    assert scene.sensor == "S2A" and scene.dataset == "cmc" and scene.scene_id == name
    assert scene.grid.resolution == (20.0, 20.0)
    assert scene.classes == {"clear", "cloud", "shadow"}
    assert scene.tags["shadows_marked"] == "1" and "scene" not in scene.tags


def test_cmc_spacecraft_from_the_name_or_the_argument(cmc_root):
    path = cmc_root / "subscenes" / f"{CMC_NAMES[1]}.npy"
    assert open_labelled(path).sensor == "S2B"
    assert open_labelled(path, sensor="S2A").sensor == "S2A"
    assert open_labelled(cmc_root / "masks" / f"{CMC_NAMES[1]}.npy").scene_id == CMC_NAMES[1]


def test_find_cmc_scenes_follows_the_tags_file(cmc_root, tmp_path):
    found = find_labelled_scenes(cmc_root)
    assert [p.stem for p in found] == list(CMC_NAMES[::-1])  # csv order, not sorted
    (cmc_root / "masks" / f"{CMC_NAMES[0]}.npy").unlink()
    assert [p.stem for p in find_labelled_scenes(cmc_root)] == [CMC_NAMES[1]]
    with pytest.raises(ProductFormatError, match="Cloud Mask Catalogue root"):
        open_labelled(cmc_root)


def test_cmc_scene_without_marked_shadows_has_no_shadow_class(tmp_path):
    root = write_cmc(tmp_path, names=CMC_NAMES[:1], shadows_marked=[0], size=16)
    assert open_labelled(root / "subscenes" / f"{CMC_NAMES[0]}.npy").classes == {"clear",
                                                                                  "cloud"}


def test_cmc_errors_name_the_file(cmc_root):
    name = CMC_NAMES[0]
    image = cmc_root / "subscenes" / f"{name}.npy"
    np.save(image, np.zeros((24, 24, 12), np.float32))
    with pytest.raises(ProductFormatError, match=rf"{name}\.npy.*H×W×13"):
        open_labelled(image)
    np.save(image, np.array([{"a": 1}] * 4, dtype=object))  # np.save pickles objects
    with pytest.raises(ProductFormatError, match=rf"{name}\.npy: cannot read"):
        open_labelled(image)
    (cmc_root / "masks" / f"{name}.npy").unlink()
    with pytest.raises(ProductFormatError, match="masks/.*missing"):
        open_labelled(image)


def test_cloudsen12_codes_and_scaling(cs12_patch):
    scene = open_labelled(cs12_patch)
    with rasterio.open(cs12_patch / "S2L1C.tif") as ds:
        dn = ds.read(9)
    with rasterio.open(cs12_patch / "labels" / "manual_hq.tif") as ds:
        codes = ds.read(1)
    b8a = scene.read("B8A")
    np.testing.assert_allclose(b8a[dn > 0], dn[dn > 0] * 1e-4, rtol=1e-6)
    assert np.isnan(b8a[dn == 0]).all() and (dn == 0).any()
    reference = scene.read_reference()
    for code, canonical in {0: CLEAR, 1: CLOUD, 2: THIN, 3: SHADOW}.items():
        assert (codes == code).any()
        np.testing.assert_array_equal(reference[codes == code], canonical)
    assert scene.scene_id == "ROI_0001/20190212T142031_20190212T143214_T19FDF"
    assert scene.sensor == "S2A" and open_labelled(cs12_patch, sensor="S2B").sensor == "S2B"
    assert scene.classes == {"clear", "thin", "cloud", "shadow"}


def test_cloudsen12_layout_variants_and_discovery(tmp_path):
    flat = write_cloudsen12(tmp_path, patch="ROI_2/b", labels_folder=False, descriptions=True)
    unlabelled = write_cloudsen12(tmp_path, patch="ROI_3/c", with_labels=False)
    nested = write_cloudsen12(tmp_path, patch="ROI_1/a")
    assert find_labelled_scenes(tmp_path) == [nested, flat]
    assert open_labelled(flat / "S2L1C.tif").band_names[8] == "B8A"
    with pytest.raises(ProductFormatError, match="no manual label"):
        open_labelled(unlabelled)


def test_cloudsen12_unknown_label_code_is_reported(cs12_patch):
    label = cs12_patch / "labels" / "manual_hq.tif"
    with rasterio.open(label, "r+") as ds:
        data = ds.read(1)
        data[5, 5] = 7
        ds.write(data, 1)
    scene = open_labelled(cs12_patch)
    with pytest.raises(ProductFormatError, match=r"manual_hq\.tif: label codes \[7\]"):
        scene.read_reference()
    np.testing.assert_array_equal(scene.read_reference(Window(0, 0, 4, 4)).shape, (4, 4))


def test_npz_maps_codes_through_the_toml(npz_toml):
    scene = open_labelled(npz_toml)
    with np.load(npz_toml.with_suffix(".npz")) as data:
        img, msk = data["img"], data["msk"][..., 0]
    np.testing.assert_array_equal(scene.read("swir16"), img[..., 4])
    reference = scene.read_reference()
    np.testing.assert_array_equal(reference[msk == 0], SHADOW)
    np.testing.assert_array_equal(reference[np.isin(msk, [1, 2, 3])], CLEAR)
    np.testing.assert_array_equal(reference[msk == 4], CLOUD)
    assert scene.dataset == "ukis-csmask" and scene.scene_id == "scene"
    assert scene.classes == {"clear", "cloud", "shadow"} and scene.grid.resolution == (30, 30)
    # the image with an explicit config, and a parsed mapping as config
    assert open_labelled(npz_toml.with_suffix(".npz")).band_names == scene.band_names
    mapping = open_generic(npz_toml.with_suffix(".npz"), {**UKIS_CSMASK_S2, "resolution": 30})
    assert mapping.grid.resolution == (30, 30)


def test_npz_with_two_dimensional_float_labels_reads_nan_as_fill(tmp_path):
    toml = write_npz_scene(tmp_path, mask_channel=False, size=16)
    with np.load(toml.with_suffix(".npz")) as data:
        img, msk = data["img"], data["msk"].astype(np.float32)
    msk[2, 3] = np.nan
    np.savez(toml.with_suffix(".npz"), img=img, msk=msk)
    reference = open_labelled(toml).read_reference()
    assert reference[2, 3] == FILL and (reference != FILL).sum() == 16 * 16 - 1


@pytest.mark.parametrize("change, error, message", [
    (lambda c: c.pop("codes"), ConfigError, r"missing keys \['codes'\]"),
    (lambda c: c.update(colour="red"), ConfigError, r"unknown keys \['colour'\]"),
    (lambda c: c.update(bands=["B2", "B3"]), ProductFormatError, "expected numeric H×W×2"),
    (lambda c: c.update(bands=["B2", "B3", "B4", "B8", "B11", "B99"]), ConfigError,
     "no band 'B99'"),
    (lambda c: c.update(sensor="S9"), ConfigError, "unknown sensor 'S9'"),
    (lambda c: c.update(codes={0: "haze"}), ConfigError, "unknown class 'haze'"),
    (lambda c: c.update(codes={"x": "clear"}), ConfigError, "'x' is not a non-negative integer"),
    (lambda c: c.update(bands=["B2", "blue", "B4", "B8", "B11", "B12"]), ConfigError,
     "each band once"),
])
def test_config_errors_name_the_toml(tmp_path, change, error, message):
    config = {**UKIS_CSMASK_S2, "codes": dict(UKIS_CSMASK_S2["codes"]), "image": "scene.npz"}
    toml = write_npz_scene(tmp_path)
    change(config)
    write_config(toml, config)
    with pytest.raises(error, match=message) as info:
        open_labelled(toml)
    assert str(tmp_path) in str(info.value)


def test_npz_and_toml_format_errors(tmp_path):
    toml = write_npz_scene(tmp_path, size=8)
    npz = toml.with_suffix(".npz")
    with np.load(npz) as data:
        img = data["img"]
    np.savez(npz, img=img)
    with pytest.raises(ProductFormatError, match=r"scene\.npz: holds arrays \['img'\]"):
        open_labelled(toml)
    np.savez(npz, img=img, msk=np.zeros((8, 9), np.uint8))
    with pytest.raises(ProductFormatError, match="msk is"):
        open_labelled(toml)
    np.savez(npz, img=(np.nan_to_num(img) * 10000).astype(np.uint16), msk=np.ones((8, 8), np.uint8))
    with pytest.raises(UnscaledDataError, match="give scale"):
        open_labelled(toml)
    write_config(toml, {**UKIS_CSMASK_S2, "image": "scene.npz", "scale": 1e-4})
    assert np.nanmax(open_labelled(toml).read("B2")) <= 1.3
    toml.write_text("sensor = \"S2A\nbands = [")
    with pytest.raises(ConfigError, match=r"scene\.toml: not valid TOML"):
        open_labelled(toml)
    npz.write_bytes(b"not a zip")
    with pytest.raises(ProductFormatError, match=r"scene\.npz: not a readable \.npz"):
        open_generic(npz, UKIS_CSMASK_S2)


def test_geotiff_scene_with_scale_and_label_nodata(tif_toml):
    scene = open_labelled(tif_toml)
    with rasterio.open(tif_toml.with_suffix(".tif")) as ds:
        dn = ds.read(4)
    np.testing.assert_allclose(scene.read("B5")[dn > 0], dn[dn > 0] * 1e-4, rtol=1e-6)
    reference = scene.read_reference()
    assert (reference[:3, :3] == FILL).all() and scene.sensor == "L8"
    assert {CLEAR, THIN, CLOUD, SHADOW} <= set(np.unique(reference))
    labels = tif_toml.parent / "scene_labels.tif"
    with rasterio.open(labels) as src:
        profile = src.profile | {"width": 20}
        data = src.read(1)[:, :20]
    with rasterio.open(labels, "w", **profile) as dst:
        dst.write(data, 1)
    with pytest.raises(ProductFormatError, match=r"scene_labels\.tif: labels are 24×20"):
        open_labelled(tif_toml)


def test_dispatch_errors(tmp_path):
    with pytest.raises(ProductFormatError, match="no such file"):
        open_labelled(tmp_path / "absent.npz")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ProductFormatError, match="not a labelled scene"):
        open_labelled(tmp_path / "notes.txt")
    with pytest.raises(ProductFormatError, match="no labelled scenes"):
        find_labelled_scenes(tmp_path)
    with pytest.raises(ProductFormatError, match="image .*not found"):
        open_labelled(write_config(tmp_path / "lonely.toml", UKIS_CSMASK_S2))


def test_find_lists_patches_and_configs(tmp_path, cs12_patch, npz_toml, tif_toml):
    found = find_labelled_scenes(tmp_path)
    assert found == sorted([cs12_patch, npz_toml, tif_toml])
    assert [open_labelled(p).dataset for p in found] == ["cloudsen12", "ukis-csmask", "generic"]


def test_cmc_tags_without_a_scene_column_use_the_first(cmc_root):
    tags = cmc_root / "classification_tags.csv"
    rows = list(csv.reader(tags.open()))
    assert rows[0][1] == "scene" and rows[0][4] == "shadows_marked"
    rows = [["subscene", "shadows_marked"]] + [[r[1], "0"] for r in rows[1:]]
    with tags.open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    found = find_labelled_scenes(cmc_root)
    assert [p.stem for p in found] == list(CMC_NAMES[::-1])
    scene = open_labelled(found[0])
    assert scene.tags == {"shadows_marked": "0"} and "shadow" not in scene.classes


@pytest.mark.shared
def test_real_ukis_csmask_sentinel2(shared_file, tmp_path):
    npz = shared_file("ukis-csmask", "sentinel2.npz")
    toml = write_config(tmp_path / "sentinel2.toml", {**UKIS_CSMASK_S2, "image": str(npz)})
    scene = open_labelled(toml)
    assert scene.grid.shape == (512, 512) and scene.band_names[-1] == "B12"
    reference = scene.read_reference()
    counts = dict(zip(*np.unique(reference, return_counts=True)))
    assert counts == {SHADOW: 28583, CLEAR: 840 + 183124, CLOUD: 49597}
    with np.load(npz) as data:
        np.testing.assert_array_equal(scene.read("blue", Window(100, 200, 64, 32)),
                                      data["img"][200:232, 100:164, 0])


# -- one config for a folder of scenes --------------------------------------------------
