"""Shared fixtures: products written in the real on-disk formats into tmp_path."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """The suite never reaches the network: SRFs, spectra and weights are local.  Loopback
    stays open (a local Dask cluster talks to itself over it)."""
    real = socket.socket.connect

    def guard(self, address, *args, **kwargs):
        host = address[0] if isinstance(address, tuple) else None
        if host is None or str(host) in ("localhost", "::1") or str(host).startswith("127."):
            return real(self, address, *args, **kwargs)
        raise RuntimeError(f"network access attempted in a test ({address})")

    monkeypatch.setattr(socket.socket, "connect", guard)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run the crossmask CLI; return the click Result."""
    from crossmask.cli import main

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture
def s2_dn():
    """Deterministic L1C digital numbers per band at native resolution (12 px at 60 m),
    with a nodata (DN 0) block in the top-left 60 m pixel of every band."""
    from crossmask.products.writers.safe import synthetic_dn

    dn = synthetic_dn(12, "05.09", seed=3)
    for band, array in dn.items():
        factor = array.shape[0] // 12
        array[:factor, :factor] = 0
    return dn


@pytest.fixture
def safe_factory(tmp_path, s2_dn):
    """Write a SAFE product below tmp_path; keyword arguments go to ``write_safe``."""
    from crossmask.products.writers.safe import write_safe

    def make(**kwargs) -> Path:
        kwargs.setdefault("dn", s2_dn)
        parent = tmp_path / f"products{len(list(tmp_path.glob('products*')))}"
        return write_safe(parent, **kwargs)

    return make


@pytest.fixture
def shared_file():
    """Return a file of ../shared/data, or skip the test when the sample data are absent."""

    def find(*parts: str) -> Path:
        path = SHARED.joinpath(*parts)
        if not path.exists():
            pytest.skip(f"sample data not present: {path}")
        return path

    return find


@pytest.fixture
def block_mean():
    """Mean over non-overlapping factor × factor blocks (NaN if any member is NaN)."""

    def mean(array: np.ndarray, factor: int) -> np.ndarray:
        h, w = array.shape[0] // factor, array.shape[1] // factor
        return array[:h * factor, :w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))

    return mean


#: The Landsat-8 bands of the small pixelwise models of the fixtures.
L8_SIX = ["B2", "B3", "B4", "B5", "B6", "B7"]


@pytest.fixture(scope="session")
def bright_model(tmp_path_factory) -> Path:
    """A saved 1×1-conv sigmoid 'cloud = bright' model taking L8 B2–B7."""
    import keras

    from crossmask.models.card import ModelCard, save_model

    inputs = keras.Input((None, None, 6))
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid")(inputs)
    model = keras.Model(inputs, outputs)
    model.set_weights([np.full((1, 1, 6, 1), 4.0, "float32"), np.array([-8.0], "float32")])
    card = ModelCard("unmask", L8_SIX, "binary", ["cloud"], output="sigmoid", stride=1,
                     name="bright")
    return save_model(model, card, tmp_path_factory.mktemp("model") / "bright")


@pytest.fixture
def labelled_npz_folder(tmp_path) -> Path:
    """Two labelled Sentinel-2 scenes in the layout of ukis-csmask's ``sentinel2.npz``
    (npz + TOML each)."""
    from crossmask.products.writers.labelled import write_npz_scene

    folder = tmp_path / "ukis_like"
    for k in range(2):
        write_npz_scene(folder, f"scene{k}", size=48, seed=k)
    return folder


@pytest.fixture
def l8_geotiff(tmp_path) -> Path:
    """A 70 × 90 px float32 L8 B2–B7 reflectance GeoTIFF (named bands, a NaN fill corner)."""
    from crossmask.products.writers.geotiff import write_named_geotiff

    data = np.random.default_rng(0).uniform(0.0, 0.8, (6, 70, 90)).astype("float32")
    data[:, :5, :7] = np.nan
    return write_named_geotiff(tmp_path / "scene.tif", dict(zip(L8_SIX, data)))


@pytest.fixture(scope="session")
def biome_patches(tmp_path_factory):
    """A two-biome L8 Biome tree (3 scenes each, 64 px), a 1/1/1-per-biome split and 32 px
    patch shards: ``(root, split.json, patch folder)``."""
    from crossmask.pipelines.training.patches import extract_patches
    from crossmask.pipelines.training.split import make_split, save_split
    from crossmask.products import find_biome_scenes
    from crossmask.products.writers.landsat import write_biome_tree

    root = tmp_path_factory.mktemp("biome")
    write_biome_tree(root / "l8biome", ("Barren", "Forest"), scenes_per_biome=3, size=64)
    scenes = find_biome_scenes(root / "l8biome")
    split = make_split(scenes, (1, 1, 1), seed=0)
    split_path = save_split(split, root / "split.json")
    extract_patches(scenes, root / "patches", size=32, stride=32, train_ids=split.train)
    return root, split_path, root / "patches"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``crossmask demo --epochs 3`` run once as a user runs it, in a subprocess with stdout
    and stderr in one stream: ``(completed process, out dir)``."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("demo") / "run"
    done = subprocess.run([sys.executable, "-m", "crossmask", "demo", "-o", str(out),
                           "--epochs", "3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=1800)
    return done, out


def _learned_file(path, seed: int = 0):
    """A learned S2A → L8 adjustment with a small non-zero residual, saved at ``path``."""
    from crossmask.harmonize import BandAdjustment, build_adjustment
    from crossmask.harmonize.learned import LearnedGenerator, build_generator

    L8 = ["B2", "B3", "B4", "B5", "B6", "B7"]
    base = build_adjustment("S2A", "L8", "ols", target_bands=L8,
                            available=["B2", "B3", "B4", "B8", "B11", "B12"])
    network = build_generator(6, 4, 2)
    rng = np.random.default_rng(seed)
    network.set_weights([rng.normal(0, 0.05, w.shape).astype("f4")
                         for w in network.get_weights()])
    generator = LearnedGenerator.from_network(network, L8, 4, 2)
    return BandAdjustment("S2A", "L8", "learned", base.bands, {}, False, generator).save(path)


@pytest.fixture
def learned_file():
    """Write a learned S2A → L8 adjustment (small random residual): ``fn(path, seed)``."""
    return _learned_file
