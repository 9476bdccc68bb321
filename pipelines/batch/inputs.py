"""What a batch runs on: the products behind paths, globs, folders of products, list files
and STAC ItemCollections, as picklable :class:`Source` s that open in whichever process
(or Dask worker) runs them."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crossmask.errors import InputError
from crossmask.products import Product, is_band_folder, open_product, open_products

__all__ = ["Source", "expand_inputs", "is_product_path"]

_GLOB = set("*?[")


@dataclass(frozen=True)
class Source:
    """One product to process: a path (and, in a STAC file, the item's position), with the
    sensor and band names to open it with.  ``name`` names its outputs."""

    name: str
    path: Path
    item: int | None = None
    sensor: str | None = None
    bands: tuple[str, ...] | None = field(default=None)

    def open(self) -> Product:
        """Open the product (errors name the file)."""
        bands = list(self.bands) if self.bands else None
        if self.item is None:
            return open_product(self.path, self.sensor, bands)
        return open_products(self.path, self.sensor, bands)[self.item]


def is_product_path(path: Path) -> bool:
    """Whether ``path`` is one product: a SAFE folder, a Landsat scene folder, a file."""
    if path.is_file():
        return path.suffix.lower() in (".tif", ".tiff", ".json", ".xml")
    return (path.suffix.upper() == ".SAFE" or any(path.glob("MTD_MSI*.xml"))
            or any(path.glob("*_MTL.txt")))


def expand_inputs(inputs: Sequence[str | os.PathLike], from_file: str | os.PathLike | None = None,
                  sensor: str | None = None, bands: Sequence[str] | None = None,
                  ) -> list[Source]:
    """Every product the inputs name, in order, each once.

    An input is a product (SAFE folder, Landsat scene folder, GeoTIFF, band-file folder
    when it holds no other product), a glob (``"data/*.SAFE"``), a folder holding products
    (SAFE folders, Landsat scene folders and GeoTIFFs at any depth below it), or a STAC
    JSON (ItemCollection, Item or Catalog: one source per item).  ``from_file`` lists
    more inputs, one per line (blank lines and ``#`` comments skipped).

    Raises
    ------
    InputError
        No input, or an input that matches nothing.
    """
    names = [str(p) for p in inputs] + (_read_list(Path(from_file)) if from_file else [])
    if not names:
        raise InputError("no input given: name products, a folder, a glob or --from-file")
    found: dict[tuple, Source] = {}
    for name in names:
        for source in _expand_one(name, sensor, tuple(bands) if bands else None):
            found.setdefault((source.path.resolve(), source.item), source)
    return list(found.values())


def _read_list(path: Path) -> list[str]:
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise InputError(f"{path}: cannot read the input list ({err.strerror})") from err
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _expand_one(name: str, sensor: str | None, bands: tuple | None) -> list[Source]:
    path = Path(name)
    if not path.exists() and _GLOB & set(name):
        matches = sorted(glob.glob(name))
        if not matches:
            raise InputError(f"{name}: the pattern matches no file or folder")
        return [s for m in matches for s in _expand_one(m, sensor, bands)]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix.lower() == ".json":
        return _stac_sources(path, sensor, bands)
    if is_product_path(path) or path.is_dir() and is_band_folder(path):
        return [Source(_stem(path), path, None, sensor, bands)]
    inside = _products_below(path)
    if inside:
        return [s for p in inside for s in _expand_one(str(p), sensor, bands)]
    return [Source(_stem(path), path, None, sensor, bands)]  # a folder of band files


def _products_below(folder: Path) -> list[Path]:
    """Products anywhere below a folder that is not one itself (not inside a product)."""
    found = []
    for top, dirs, files in os.walk(folder):
        here = Path(top)
        if here != folder and (is_product_path(here) or is_band_folder(here)):
            found.append(here)
            dirs.clear()
            continue
        dirs.sort()
        found += [here / f for f in sorted(files) if f.lower().endswith((".tif", ".tiff"))
                  and not f.lower().endswith((".aux.xml",))]
    return found


def _stac_sources(path: Path, sensor: str | None, bands: tuple | None) -> list[Source]:
    products = open_products(path, sensor, list(bands) if bands else None)
    return [Source(p.product_id(), path, i, sensor, bands) for i, p in enumerate(products)]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".SAFE", ".tiff", ".tif", ".TIF"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
