"""Open labelled scenes of any supported dataset, choosing the reader by layout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from crossmask.errors import ProductFormatError
from crossmask.products.datasets import cloudsen12, cloudsen12_taco, cmc
from crossmask.products.datasets.generic import find_generic_images, open_generic
from crossmask.products.labels import LabelledScene

__all__ = ["find_labelled_scenes", "open_labelled"]


def open_labelled(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                  sensor: str | None = None, bands: list[str] | None = None) -> LabelledScene:
    """Open one labelled scene, choosing the reader by layout: a CloudSEN12 patch folder
    (or its ``S2L1C.tif``) → :func:`~crossmask.products.datasets.cloudsen12.open_cloudsen12`;
    a Cloud Mask Catalogue ``<root>/subscenes/<NAME>.npy`` (or ``masks/<NAME>.npy``) →
    :func:`~crossmask.products.datasets.cmc.open_cmc`; a ``.toml``, or an ``.npz`` / GeoTIFF
    with ``config`` →
    :func:`~crossmask.products.datasets.generic.open_generic`; a CloudSEN12+
    ``<file>.taco#<row>`` (or a ``.taco`` with one completely labelled sample) →
    :func:`~crossmask.products.datasets.cloudsen12_taco.open_taco`.  ``sensor`` overrides
    the spacecraft; ``bands`` (npz / GeoTIFF band names in file order) the config's.

    Raises ProductFormatError if the path does not exist or matches no layout.
    """
    path = Path(path)
    if cloudsen12_taco.is_taco_path(path):
        return cloudsen12_taco.open_taco(path, sensor)
    if not path.exists():
        raise ProductFormatError(f"{path}: no such file or folder")
    if path.is_dir() and cloudsen12.is_patch(path):
        return cloudsen12.open_cloudsen12(path, sensor)
    if path.is_dir() and cmc.is_cmc_root(path):
        raise ProductFormatError(f"{path}: a Cloud Mask Catalogue root; open one subscene "
                                 "(subscenes/<NAME>.npy) or list them with find_labelled_scenes")
    if path.suffix.lower() == ".npy" and path.parent.name in ("subscenes", "masks"):
        return cmc.open_cmc(path.parent.parent, path.stem, sensor)
    if path.name == cloudsen12.IMAGE and config is None:
        return cloudsen12.open_cloudsen12(path.parent, sensor)
    if path.is_file() and path.suffix.lower() in (".toml", ".npz", ".tif", ".tiff"):
        return open_generic(path, config, sensor, bands)
    raise ProductFormatError(
        f"{path}: not a labelled scene; expected a CloudSEN12 patch folder, a Cloud Mask "
        "Catalogue subscenes/<NAME>.npy, or a .toml / .npz / GeoTIFF with a TOML config")


def find_labelled_scenes(root: str | os.PathLike,
                         config: str | os.PathLike | Mapping | None = None) -> list[Path]:
    """Every scene under ``root`` as paths for :func:`open_labelled`: a Cloud Mask
    Catalogue root gives its subscenes in ``classification_tags.csv`` order; any other
    folder its CloudSEN12 patches that have a manual label, and its ``.toml`` configs, sorted,
    then the completely labelled samples of its CloudSEN12+ ``.taco`` files; a ``.taco`` file
    its samples (``<file>.taco#<row>``, see
    :func:`~crossmask.products.datasets.cloudsen12_taco.find_taco_scenes`).
    With ``config`` (one TOML or mapping for the whole folder, see
    :mod:`~crossmask.products.datasets.generic`): the npz / GeoTIFF images it describes,
    to open with ``open_labelled(path, config)``.

    Raises ProductFormatError if ``root`` is missing or holds no labelled scene;
    ConfigError for a config that cannot describe a folder.
    """
    root = Path(root)
    if cloudsen12_taco.is_taco(root):
        return cloudsen12_taco.find_taco_scenes(root)
    if not root.is_dir():
        raise ProductFormatError(f"{root}: no such folder")
    if config is not None:
        return find_generic_images(root, config)
    if cmc.is_cmc_root(root):
        return cmc.find_cmc_scenes(root)
    found = sorted([*cloudsen12.find_cloudsen12_patches(root), *root.rglob("*.toml")])
    found += cloudsen12_taco.find_taco_files(root)
    if not found:
        raise ProductFormatError(
            f"{root}: no labelled scenes; expected a Cloud Mask Catalogue root (subscenes/, "
            "masks/, classification_tags.csv), CloudSEN12 patch folders (S2L1C.tif + "
            "labels/manual_hq.tif) or .toml scene configs")
    return found
