"""Mask files as a GIS sees them: valid tiled COGs at any size, class names inside the
file, the mode a new file gets under the umask."""

import os
import shutil

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rio_cogeo.cogeo import cog_validate

from crossmask.classes import get_scheme
from crossmask.pipelines.inference.maskio import mask_writer
from crossmask.products import Grid

NAMES = ["clear", "cloud", "shadow"]


def write(path, width, height, dtype="uint8"):
    grid = Grid(CRS.from_epsg(32633), Affine(30, 0, 500000, 0, -30, 4600000), width, height)
    with mask_writer(path, grid, NAMES, get_scheme("three").colormap(), dtype=dtype) as dst:
        values = np.arange(width * height).reshape(height, width) % 3
        dst.write(values.astype(dtype), 1)
    return path


@pytest.mark.parametrize("width, height", [(40, 30), (300, 280), (700, 200), (1100, 600)])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_every_size_is_a_valid_tiled_cog(tmp_path, width, height, dtype):
    path = write(tmp_path / "m.tif", width, height, dtype)
    valid, errors, warnings = cog_validate(str(path), strict=True)
    assert valid, (errors, warnings)
    with rasterio.open(path) as ds:
        assert ds.profile["tiled"] and ds.block_shapes == [(512, 512)]
        assert (max(ds.shape) <= 512) == (ds.overviews(1) == [])


def test_class_names_travel_inside_the_tif(tmp_path):
    path = write(tmp_path / "mask.tif", 50, 40)
    assert (tmp_path / "mask.tif.aux.xml").exists()  # category names for QGIS too
    alone = tmp_path / "copied"
    alone.mkdir()
    shutil.copy(path, alone / "mask.tif")  # the .tif without its sidecar
    with rasterio.open(alone / "mask.tif") as ds:
        assert [ds.tags(1)[f"CLASS_{i}"] for i in range(3)] == NAMES
        assert ds.tags()["CLASS_NODATA"] == "255" and ds.colormap(1)[2][:3] == (64, 64, 64)


def test_outputs_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write(tmp_path / "mask.tif", 20, 20)
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
        os.umask(0o077)
        private = write(tmp_path / "private.tif", 20, 20)
        assert oct(os.stat(private).st_mode & 0o777) == oct(0o600)
    finally:
        os.umask(old)
