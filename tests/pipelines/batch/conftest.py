"""Four small products of each kind for the batch tests."""

import numpy as np
import pytest

from crossmask.products.writers.geotiff import write_named_geotiff
from crossmask.products.writers.labelled import write_npz_scene
from crossmask.products.writers.safe import write_safe

L8_SIX = ["B2", "B3", "B4", "B5", "B6", "B7"]


@pytest.fixture
def safes(tmp_path):
    """Four Sentinel-2 L1C SAFE products (different days) in one folder."""
    folder = tmp_path / "safes"
    return [write_safe(folder, sensing=f"202306{10 + k}T102021", size_60m=4, seed=k)
            for k in range(4)], folder


@pytest.fixture
def l8_tifs(tmp_path):
    """Four 40 × 40 px L8 B2–B7 reflectance GeoTIFFs (different content) in one folder."""
    folder = tmp_path / "l8"
    for k in range(4):
        rng = np.random.default_rng(k)
        write_named_geotiff(folder / f"scene{k}.tif", {
            b: rng.uniform(0.0, 0.8, (40, 40)).astype("float32") for b in L8_SIX})
    return folder


@pytest.fixture
def labelled_four(tmp_path):
    """Four labelled Sentinel-2 npz scenes (ukis-csmask layout) with their TOMLs."""
    folder = tmp_path / "labelled"
    for k in range(4):
        write_npz_scene(folder, f"scene{k}", size=40, seed=k)
    return folder
