"""Write class masks as Cloud-Optimised GeoTIFFs with a colour table and class names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import rasterio
import rasterio.shutil
from rasterio.enums import Resampling

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.products import Grid

__all__ = ["MASK_NODATA", "mask_writer"]

#: Class value of pixels without a prediction (input fill).
MASK_NODATA = 255


@contextlib.contextmanager
def mask_writer(path: str | Path, grid: Grid, class_names: list[str],
                colormap: dict[int, tuple[int, int, int, int]], count: int = 1,
                dtype: str = "uint8", overwrite: bool = False,
                description: str = "cloud mask") -> Iterator[rasterio.io.DatasetWriter]:
    """Yield a dataset to write windows into; on exit it becomes a COG at ``path``.

    uint8 class rasters get the colour table, class names (GDAL category names in the
    ``.aux.xml`` sidecar, which QGIS shows, and ``CLASS_<i>`` tags) and nodata 255; float32
    rasters (probabilities) get NaN nodata.  Nothing appears at ``path`` unless all succeeds.
    """
    path = Path(path)
    with atomic_output(path, overwrite) as final_tmp:
        staging = final_tmp.with_name(final_tmp.name + ".stage.tif")
        try:
            profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=count,
                           dtype=dtype, crs=grid.crs, transform=grid.transform,
                           nodata=MASK_NODATA if dtype == "uint8" else float("nan"),
                           compress="deflate", tiled=True, blockxsize=512, blockysize=512,
                           bigtiff="if_safer")
            with rasterio.open(staging, "w", **profile) as dst:
                yield dst
                if dtype == "uint8":
                    dst.write_colormap(1, colormap)
                    dst.update_tags(**{f"CLASS_{i}": name for i, name in enumerate(class_names)},
                                    CLASS_NODATA=str(MASK_NODATA))
                dst.update_tags(SOFTWARE=f"crossmask {__version__}")
                dst.set_band_description(1, description)
                _overviews(dst, grid, nearest=dtype == "uint8")
            rasterio.shutil.copy(staging, final_tmp, driver="COG", compress="deflate",
                                 blocksize=512, overviews="force_use_existing",
                                 bigtiff="if_safer")
        finally:
            staging.unlink(missing_ok=True)
            Path(str(staging) + ".ovr").unlink(missing_ok=True)
    if dtype == "uint8":
        _write_category_names(path, class_names)


def _overviews(dst, grid: Grid, nearest: bool) -> None:
    factors = [f for f in (2, 4, 8, 16, 32) if min(grid.width, grid.height) // f >= 256]
    if factors:
        dst.build_overviews(factors, Resampling.nearest if nearest else Resampling.average)


def _write_category_names(path: Path, class_names: list[str]) -> None:
    """GDAL PAM sidecar with category names (value i → class_names[i], 255 → nodata)."""
    names = {i: n for i, n in enumerate(class_names)}
    names[MASK_NODATA] = "nodata"
    cats = "".join(f"<Category>{escape(names.get(i, ''))}</Category>"
                   for i in range(max(names) + 1))
    xml = (f'<PAMDataset><PAMRasterBand band="1"><CategoryNames>{cats}</CategoryNames>'
           "</PAMRasterBand></PAMDataset>\n")
    with atomic_output(path.with_name(path.name + ".aux.xml"), overwrite=True) as tmp:
        tmp.write_text(xml)
