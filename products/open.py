"""Open any supported sensor product by its on-disk layout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from crossmask.errors import InputError, ProductFormatError
from crossmask.products.bandfiles import open_band_files
from crossmask.products.geotiff import open_geotiff, sensor_tag
from crossmask.products.landsat import open_landsat_scene
from crossmask.products.probav import SUFFIXES as PROBAV_SUFFIXES
from crossmask.products.probav import is_probav_file, open_probav
from crossmask.products.product import Product
from crossmask.products.safe import open_safe
from crossmask.products.stac import stac_products

__all__ = ["PRODUCT_FILE_SUFFIXES", "is_product_file", "open_product", "open_products"]

#: Suffixes of sensor products that are one file (not a folder or a GeoTIFF): PROBA-V HDF5.
PRODUCT_FILE_SUFFIXES = PROBAV_SUFFIXES


def open_product(path: str | Path, sensor: str | None = None,
                 bands: Sequence[str] | None = None) -> Product:
    """Open any supported product by its layout.

    * a folder with ``MTD_MSIL1C.xml`` (or that XML itself): Sentinel-2 L1C SAFE;
    * a folder with ``*_MTL.txt``: Landsat-8/9 scene (L8 Biome or Collection 2 Level-1);
    * another folder: one GeoTIFF per band (``<ID>_B4.tif`` …), taken by ``sensor``;
    * a GeoTIFF: named bands of ``sensor`` (default: the ``TARGET_SENSOR`` tag that
      ``crossmask harmonize apply`` writes); ``bands`` overrides the band descriptions;
    * a ``.json`` STAC ItemCollection, Item, Catalog or Collection holding exactly one item
      over local files (see :mod:`crossmask.products.stac`; :func:`open_products` takes
      any number);
    * an ``.HDF5`` / ``.h5`` file: a PROBA-V Level-1C, Level-2A or Level-3 TOA product
      (:func:`~crossmask.products.probav.open_probav`; ``sensor`` may name a camera).

    Raises
    ------
    ProductFormatError
        If the path does not exist or is of no known format.
    InputError
        If a STAC JSON holds more than one item.
    """
    path = Path(path)
    if not path.exists():
        raise ProductFormatError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".json":
        products = stac_products(path)
        if len(products) != 1:
            raise InputError(f"{path}: holds {len(products)} STAC items; open_product takes "
                             "one (open_products, or the batch commands, take them all)")
        return products[0]
    if path.is_file() and path.name.upper().startswith("MTD_MSI"):
        return open_safe(path)
    if is_probav_file(path):
        return open_probav(path, sensor)
    if path.is_dir():
        if list(path.glob("MTD_MSI*.xml")) or path.suffix.upper() == ".SAFE":
            return open_safe(path)
        if list(path.glob("*_MTL.txt")):
            return open_landsat_scene(path)
        if not sensor:
            raise InputError(f"{path}: a folder of band files needs the sensor that took "
                             "them (--sensor L8)")
        return open_band_files(path, sensor)
    if path.suffix.lower() in (".tif", ".tiff"):
        sensor = sensor or sensor_tag(path)
        if not sensor:
            raise InputError(f"{path}: a GeoTIFF needs the sensor that took it (--sensor S2A)")
        return open_geotiff(path, sensor, bands)
    raise ProductFormatError(f"{path}: not a SAFE folder, Landsat scene folder, GeoTIFF, "
                             "PROBA-V HDF5 product or STAC JSON")


def is_product_file(path: str | Path) -> bool:
    """Whether ``path`` is a sensor product held in one file that :func:`open_product`
    opens by layout (a PROBA-V ``.HDF5``), as scene configs may name for ``image``."""
    return is_probav_file(path)


def open_products(path: str | Path, sensor: str | None = None,
                  bands: Sequence[str] | None = None) -> list[Product]:
    """Every product at ``path``: one per item of a STAC ``.json`` (ItemCollection, Item,
    Catalog or Collection; see :func:`crossmask.products.stac.stac_products`), else the one
    :func:`open_product` opens (``sensor`` and ``bands`` go to it).

    Raises
    ------
    ProductFormatError, InputError
        As :func:`open_product` and :func:`~crossmask.products.stac.stac_products`.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".json":
        return stac_products(path)
    return [open_product(path, sensor, bands)]
