"""CloudSEN12+ TACO files written by the official tooling (tacotoolbox 0.5 + pytortilla 0.5),
read back through crossmask (tacoreader 0.5).  Tests that need the tooling skip without it:
pip install tacotoolbox==0.5.2 pytortilla==0.5.1 tacoreader==0.5.6"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from crossmask.classes import CLASS_CODES, FILL
from crossmask.errors import ConfigError, InputError, ProductFormatError
from crossmask.fingerprint import digest
from crossmask.products import (
    TacoScene,
    find_labelled_scenes,
    find_taco_scenes,
    open_labelled,
    open_taco_scene,
)
from crossmask.products.datasets.cloudsen12 import CLOUDSEN12_BANDS, IMAGE, LABELS

#: CloudSEN12 label code → canonical code (0 clear, 1 thick cloud, 2 thin cloud, 3 shadow).
CANONICAL = np.array([CLASS_CODES[c] for c in ("clear", "cloud", "thin", "shadow")], np.uint8)


@pytest.fixture(scope="module")
def tacos(tmp_path_factory) -> dict[str, Path]:
    """``main``: samples high, scribble, nolabel; ``single``: one high sample; sources of
    ``main`` under ``raw``."""
    for module in ("tacotoolbox", "pytortilla", "tacoreader"):
        pytest.importorskip(module)
    from crossmask.products.writers.cloudsen12_taco import write_cloudsen12_taco

    root = tmp_path_factory.mktemp("taco")
    return {"main": write_cloudsen12_taco(root / "data" / "main.taco", work_dir=root / "raw"),
            "single": write_cloudsen12_taco(root / "data" / "single.taco", ("high",), seed=7),
            "raw": root / "raw"}


def _source(raw: Path, scene: TacoScene, name: str) -> np.ndarray:
    """A band stack of the GeoTIFF the writer packed into the sample."""
    with rasterio.open(raw / scene.tags["roi_id"] / scene.tags["s2_id"] / name) as src:
        return src.read()


def test_only_completely_labelled_samples_are_found(tacos):
    main = tacos["main"]
    assert open(main, "rb").read(2) == b"WX"  # a TACO v1 file, as CloudSEN12+ is published
    assert find_labelled_scenes(main) == [Path(f"{main}#0")]
    assert find_taco_scenes(main, ("high", "scribble")) == [Path(f"{main}#0"), Path(f"{main}#1")]
    with pytest.raises(ConfigError, match="nolabel"):
        find_taco_scenes(main, ("high", "nolabel"))
    found = find_labelled_scenes(main.parent)  # a folder of .taco files
    assert found == [Path(f"{main}#0"), Path(f"{tacos['single']}#0")]


def test_bands_are_dn_over_10000_in_band_order(tacos):
    scene = open_labelled(f"{tacos['main']}#0")
    dn = _source(tacos["raw"], scene, IMAGE).astype(np.float32)
    assert isinstance(scene, TacoScene) and scene.sensor == "S2A"
    assert scene.band_names == list(CLOUDSEN12_BANDS)
    for i, band in enumerate(CLOUDSEN12_BANDS):
        expected = np.where(dn[i] == 0, np.nan, dn[i] * np.float32(1e-4))
        np.testing.assert_allclose(scene.read(band), expected, rtol=1e-6, equal_nan=True)
    assert not np.allclose(dn[8], dn[9]) and not np.allclose(dn[7], dn[8])  # B8, B8A, B9 differ
    assert np.isnan(scene.read("B8A")[0, 0])  # the DN 0 fill corner


def test_labels_map_to_canonical_classes(tacos):
    scene = open_taco_scene(tacos["main"], 0)
    raw = _source(tacos["raw"], scene, LABELS[0])[0]
    assert {1, 2} <= set(np.unique(raw).tolist())  # thick and thin clouds both present
    np.testing.assert_array_equal(scene.read_reference(), CANONICAL[raw])
    assert scene.classes == {"clear", "cloud", "thin", "shadow"}


def test_scribble_labels_read_unlabelled_pixels_as_fill(tacos):
    scene = open_taco_scene(tacos["main"], 1)
    full = _source(tacos["raw"], scene, LABELS[0])[0]
    labels = scene.read_reference()
    assert scene.tags["label_type"] == "scribble"
    np.testing.assert_array_equal(labels[1::4], CANONICAL[full[1::4]])
    assert (np.delete(labels, np.s_[1::4], axis=0) == FILL).all()


def test_nolabel_samples_are_never_opened(tacos):
    with pytest.raises(ProductFormatError, match="nolabel"):
        open_labelled(f"{tacos['main']}#2")
    with pytest.raises(ProductFormatError, match="nolabel"):
        open_taco_scene(tacos["main"], "ROI_00003__20190312T142031_20190312T143214_T19FDF")
    with pytest.raises(InputError, match="no sample #3"):
        open_labelled(f"{tacos['main']}#3")


def test_windows_read_the_same_pixels(tacos):
    scene = open_labelled(f"{tacos['main']}#0")
    window = Window(col_off=5, row_off=3, width=11, height=7)
    np.testing.assert_array_equal(scene.read("B4", window), scene.read("B4")[3:10, 5:16])
    np.testing.assert_array_equal(scene.read_reference(window),
                                  scene.read_reference()[3:10, 5:16])
    with pytest.raises(InputError, match="outside"):
        scene.read("B4", Window(30, 30, 5, 5))


def test_scene_ids_tags_and_references(tacos):
    scene = open_taco_scene(tacos["main"], 0)
    assert scene.scene_id == "ROI_00001__20190112T142031_20190112T143214_T19FDF"
    assert scene.dataset == "cloudsen12" and scene.sample == scene.scene_id
    assert (scene.tags["split"], scene.tags["real_proj_shape"]) == ("train", "509")
    assert scene.grid.shape == (32, 32) and scene.grid.crs.to_epsg() == 32719
    assert str(scene.path).startswith("/vsisubfile/")
    assert open_labelled(scene.reference()).scene_id == scene.scene_id
    assert open_labelled(tacos["main"], sensor="S2B").sensor == "S2B"  # its only high sample


def test_fingerprints_differ_between_samples_and_versions(tacos, tmp_path):
    main = tacos["main"]
    first, second = (open_taco_scene(main, row) for row in (0, 1))
    assert digest(first.identity()) == digest(open_labelled(f"{main}#0").identity())
    assert digest(first.identity()) != digest(second.identity())
    assert first.source_files() == [main.resolve()]
    copy = tmp_path / "copy.taco"
    copy.write_bytes(main.read_bytes())
    before = digest(open_taco_scene(copy, 0).identity())
    os.utime(copy, ns=(0, 10**18))  # same bytes, another file version
    assert digest(open_taco_scene(copy, 0).identity()) != before


def test_single_sample_file_opens_and_several_are_refused(tacos, tmp_path):
    scene = open_labelled(tacos["single"])
    assert scene.tags["row"] == "0" and scene.tags["label_type"] == "high"
    from crossmask.products.writers.cloudsen12_taco import write_cloudsen12_taco

    two = write_cloudsen12_taco(tmp_path / "two.taco", ("high", "high"))
    with pytest.raises(ProductFormatError, match=r"2 samples .*two\.taco#<row>"):
        open_labelled(two)
    assert len(find_labelled_scenes(two)) == 2


def test_a_file_that_is_not_a_taco_is_reported(tmp_path):
    pytest.importorskip("tacoreader")
    bad = tmp_path / "bad.taco"
    bad.write_bytes(b"PK\x03\x04 not a tortilla")
    with pytest.raises(ProductFormatError, match="bad.taco: not a readable TACO"):
        find_labelled_scenes(bad)


def test_missing_tacoreader_names_the_pip_command(tmp_path, monkeypatch):
    taco = tmp_path / "x.taco"
    taco.write_bytes(b"WX")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name == "tacoreader" else real(name, *a, **k))
    for call in (find_labelled_scenes, open_labelled):
        with pytest.raises(InputError, match=r"pip install 'crossmask\[cloudsen12\]'.*"
                                             r"tacoreader==0\.5\.6"):
            call(taco)


def test_missing_writer_tooling_names_the_pip_command(monkeypatch, tmp_path):
    from crossmask.products.writers.cloudsen12_taco import write_cloudsen12_taco

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name == "pytortilla" else real(name, *a, **k))
    with pytest.raises(InputError, match=r"needs pytortilla.*: pip install "
                                         r"tacotoolbox==0\.5\.2 pytortilla==0\.5\.1"):
        write_cloudsen12_taco(tmp_path / "x.taco")


def test_tacoreader_is_imported_lazily_and_leaves_logging_alone():
    pytest.importorskip("tacoreader")
    code = ("import logging, sys, crossmask.products as p\n"
            "assert 'tacoreader' not in sys.modules, 'imported eagerly'\n"
            "from crossmask.products.datasets.cloudsen12_taco import tacoreader\n"
            "tacoreader()\n"
            "assert 'tacoreader' in sys.modules\n"
            "root = logging.getLogger()\n"
            "assert not root.handlers and root.level == logging.WARNING, root.handlers\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
