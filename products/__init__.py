"""Sensor products and labelled datasets: readers of the real on-disk formats.

Every reader returns a :class:`Product` (bands read as TOA reflectance 0–1, per band and
window, NaN fill); labelled scenes are :class:`LabelledScene` s whose
``read_reference(window)`` gives canonical class codes (:mod:`crossmask.classes`).

* generic types: :mod:`~crossmask.products.grid`, :mod:`~crossmask.products.product`,
  :mod:`~crossmask.products.labels`, :mod:`~crossmask.products.arrays`,
  :mod:`~crossmask.products.rasters`;
* sensor formats: :mod:`~crossmask.products.safe` (Sentinel-2 L1C SAFE),
  :mod:`~crossmask.products.landsat` (Landsat Level-1 scene folders),
  :mod:`~crossmask.products.geotiff`, :mod:`~crossmask.products.bandfiles`,
  :mod:`~crossmask.products.stac` (STAC items over local files),
  :mod:`~crossmask.products.probav` (PROBA-V Level-2A / Level-3 TOA HDF5) and
  :mod:`~crossmask.products.probav_l1c` (PROBA-V Level-1C, warped from raw geometry);
* datasets, one module each: :mod:`~crossmask.products.datasets.biome` (L8 Biome),
  :mod:`~crossmask.products.datasets.cmc` (Cloud Mask Catalogue),
  :mod:`~crossmask.products.datasets.cloudsen12` (v1 folders),
  :mod:`~crossmask.products.datasets.cloudsen12_taco` (CloudSEN12+ ``.taco`` files),
  :mod:`~crossmask.products.datasets.generic` (npz / GeoTIFF / product + TOML);
* writers of the same formats (for tests and the demo): :mod:`crossmask.products.writers`.

The rest of crossmask imports readers only through this package.
"""

from crossmask.products.arrays import ArrayProduct, ArrayScene, array_product
from crossmask.products.bandfiles import BandFilesProduct, is_band_folder, open_band_files
from crossmask.products.datasets.biome import (
    BIOME_CODES,
    BIOMES,
    BiomeScene,
    biome_code_of,
    find_biome_scenes,
    normalize_biome,
    open_biome_scene,
)
from crossmask.products.datasets.cloudsen12 import (
    CLOUDSEN12_CODES,
    CLOUDSEN12_FILL,
    cloudsen12_code_of,
)
from crossmask.products.datasets.cloudsen12_taco import TacoScene, find_taco_scenes, open_taco_scene
from crossmask.products.datasets.generic import open_generic
from crossmask.products.geotiff import GeoTiffProduct, open_geotiff, sensor_tag
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.labelled import find_labelled_scenes, open_labelled
from crossmask.products.labels import LabelledScene, unreferenced_grid
from crossmask.products.landsat import LandsatScene, open_landsat_scene, parse_mtl
from crossmask.products.open import (
    PRODUCT_FILE_SUFFIXES,
    is_product_file,
    open_product,
    open_products,
)
from crossmask.products.probav import ProbaVProduct, is_probav_file, open_probav
from crossmask.products.probav_format import GRID_STEPS as PROBAV_GRID_STEPS
from crossmask.products.probav_l1c import ProbaVL1CProduct, lattice_grid, open_probav_l1c
from crossmask.products.product import OneGridProduct, Product
from crossmask.products.rasters import ProductScene, RasterScene
from crossmask.products.safe import SafeProduct, open_safe
from crossmask.products.saturation import saturation_plateau
from crossmask.products.stac import StacLandsatScene, stac_products

__all__ = [
    "BIOMES",
    "BIOME_CODES",
    "CLOUDSEN12_CODES",
    "CLOUDSEN12_FILL",
    "PROBAV_GRID_STEPS",
    "PRODUCT_FILE_SUFFIXES",
    "ArrayProduct",
    "ArrayScene",
    "BandFilesProduct",
    "BiomeScene",
    "GeoTiffProduct",
    "Grid",
    "LabelledScene",
    "LandsatScene",
    "ProbaVL1CProduct",
    "ProbaVProduct",
    "OneGridProduct",
    "Product",
    "ProductScene",
    "RasterScene",
    "SafeProduct",
    "StacLandsatScene",
    "TacoScene",
    "array_product",
    "biome_code_of",
    "cloudsen12_code_of",
    "find_biome_scenes",
    "find_labelled_scenes",
    "find_taco_scenes",
    "lattice_grid",
    "is_band_folder",
    "is_probav_file",
    "is_product_file",
    "normalize_biome",
    "open_band_files",
    "open_biome_scene",
    "open_generic",
    "open_geotiff",
    "open_labelled",
    "open_landsat_scene",
    "open_product",
    "open_probav",
    "open_probav_l1c",
    "open_products",
    "open_safe",
    "open_taco_scene",
    "parse_mtl",
    "read_grid",
    "read_window",
    "saturation_plateau",
    "sensor_tag",
    "stac_products",
    "unreferenced_grid",
]
