"""Write class masks as Cloud-Optimised GeoTIFFs with a colour table and class names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import rasterio
import rasterio.shutil

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
                description: str = "cloud mask",
                tags: dict | None = None) -> Iterator[rasterio.io.DatasetWriter]:
    """Yield a dataset to write windows into; on exit it becomes a COG at ``path``.

    Whatever its size, the output is a tiled (512 px blocks), deflate-compressed
    Cloud-Optimised GeoTIFF with internal overviews down to one block (nearest for classes,
    average for probabilities).  uint8 class rasters get the colour table, nodata 255 and
    their class names inside the file (``CLASS_<i>`` metadata of the dataset and of band 1,
    so copying the ``.tif`` alone keeps them) and as GDAL category names in the
    ``.aux.xml`` sidecar (which QGIS shows); float32 rasters (probabilities) get NaN
    nodata.  Nothing appears at ``path`` unless all succeeds.
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
                    _describe_classes(dst, class_names, colormap)
                dst.update_tags(SOFTWARE=f"crossmask {__version__}", **(tags or {}))
                dst.set_band_description(1, description)
            rasterio.shutil.copy(staging, final_tmp, driver="COG", compress="deflate",
                                 blocksize=512, overviews="auto", bigtiff="if_safer",
                                 resampling="nearest" if dtype == "uint8" else "average")
        finally:
            staging.unlink(missing_ok=True)
            Path(str(staging) + ".ovr").unlink(missing_ok=True)
    if dtype == "uint8":
        _write_category_names(path, class_names)


def _describe_classes(dst, class_names: list[str], colormap: dict) -> None:
    """Colour table and class names of band 1, inside the file."""
    dst.write_colormap(1, colormap)
    names = {f"CLASS_{i}": name for i, name in enumerate(class_names)}
    dst.update_tags(**names, CLASS_NODATA=str(MASK_NODATA))
    dst.update_tags(1, **names, CLASS_NODATA=str(MASK_NODATA))


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
