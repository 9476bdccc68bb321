"""The USGS Landsat-8 Biome cloud-cover assessment dataset (Foga et al. 2017).

96 scenes, 12 per biome, as ``<root>/<Biome>/BC/<SCENEID>/``: a Landsat-8 Level-1 scene
folder (:mod:`crossmask.products.landsat`) plus the manual mask ``<ID>_fixedmask.img`` +
``.hdr`` (ENVI) or, re-packaged by torchgeo, ``<ID>_fixedmask.TIF``, with the codes of
:data:`BIOME_CODES` (0 fill, 64 cloud shadow, 128 clear, 192 thin cloud, 255 cloud; any
other code is fill).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import ProductFormatError, UnknownNameError
from crossmask.products.grid import read_grid, read_window
from crossmask.products.labels import CodeDecoder, LabelledScene, code_encoder, code_lut
from crossmask.products.landsat import LandsatScene, open_landsat_scene

__all__ = ["BIOMES", "BIOME_CODES", "BIOME_URL", "BiomeScene", "biome_code_of",
           "find_biome_scenes", "normalize_biome", "open_biome_scene"]

BIOME_URL = "https://landsat.usgs.gov/landsat-8-cloud-cover-assessment-validation-data"
#: The eight L8 Biome biomes, spelled as the USGS download's folder names.
BIOMES = ("Barren", "Forest", "Grass-Crops", "Shrubland", "SnowIce", "Urban", "Water",
          "Wetlands")
#: Manual-mask code → canonical class.
BIOME_CODES: dict[int, str] = {0: "fill", 64: "shadow", 128: "clear", 192: "thin",
                               255: "cloud"}

_BIOME_KEYS = {re.sub(r"[^a-z]", "", b.lower()): b for b in BIOMES}
_LUT = code_lut(BIOME_CODES, "L8 Biome mask codes")
_TO_CODE = code_encoder(BIOME_CODES)
_NO_MASK = "no manual mask (<ID>_fixedmask.img + .hdr or <ID>_fixedmask.TIF)"


def biome_code_of(canonical: np.ndarray) -> np.ndarray:
    """L8 Biome mask codes (uint8) of canonical class codes (for writers of the format)."""
    return _TO_CODE[np.asarray(canonical, np.uint8)]


def normalize_biome(name: str | None, strict: bool = True) -> str | None:
    """Spell a biome as in :data:`BIOMES` (``"grass_crops"`` → ``"Grass-Crops"``); unknown
    names raise :class:`UnknownNameError`, or give None when ``strict`` is false."""
    if name is None:
        return None
    biome = _BIOME_KEYS.get(re.sub(r"[^a-z]", "", str(name).lower()))
    if biome is None and strict:
        raise UnknownNameError(f"unknown biome {name!r}; valid biomes: {', '.join(BIOMES)}")
    return biome


@dataclass
class BiomeScene(LandsatScene, LabelledScene):
    """A Landsat-8 scene of the L8 Biome set: bands, its manual mask and its biome.

    ``mask_path`` is the manual mask (None when the folder has none: then only the bands
    can be read); ``biome`` one of :data:`BIOMES` or None.
    """

    mask_path: Path | None = None
    biome: str | None = None
    dataset: str = "l8biome"
    classes: frozenset = frozenset(("clear", "thin", "cloud", "shadow"))
    tags: dict = field(default_factory=dict)

    def read_mask(self, window: Window | None = None) -> np.ndarray:
        """Raw manual-mask codes (uint8, see :data:`BIOME_CODES`) on the 30 m grid."""
        if self.mask_path is None:
            raise ProductFormatError(f"{self.path}: {_NO_MASK} in this scene folder")
        return read_window(self.mask_path, 1, window).astype(np.uint8, copy=False)

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        """Canonical class codes of the manual mask (codes outside the table are fill)."""
        return CodeDecoder(_LUT, str(self.mask_path), unknown_as_fill=True)(
            self.read_mask(window))

    def band_grid(self, band: str):
        return LandsatScene.band_grid(self, band)

    def identity(self) -> dict:
        return {**super().identity(), "biome": self.biome}


def open_biome_scene(folder: str | os.PathLike, biome: str | None = None,
                     check_fill: bool = True) -> BiomeScene:
    """Open an L8 Biome scene folder (or its ``_MTL.txt``) with its manual mask.

    Raises :class:`ProductFormatError` as :func:`open_landsat_scene` does, and when the
    mask lacks its ENVI header or has another shape than the 30 m bands.
    """
    scene = open_landsat_scene(folder, check_fill=check_fill)
    fields = {f.name: getattr(scene, f.name) for f in dataclasses.fields(LandsatScene)}
    out = BiomeScene(**fields, mask_path=_find_mask(scene), biome=normalize_biome(biome))
    if out.mask_path is not None:
        mask_grid = read_grid(out.mask_path)
        if mask_grid.shape != out.grid.shape:
            raise ProductFormatError(
                f"{out.mask_path}: mask is {mask_grid.height}×{mask_grid.width} pixels but "
                f"the 30 m bands are {out.grid.height}×{out.grid.width}")
    return out


def _find_mask(scene: LandsatScene) -> Path | None:
    present = {p.name.lower(): p for p in scene.path.iterdir()}
    prefix = scene.scene_id

    def local(name: str) -> Path:
        return present.get(name.lower(), scene.path / name)

    img, tif = local(f"{prefix}_fixedmask.img"), local(f"{prefix}_fixedmask.TIF")
    if img.is_file() and not local(f"{prefix}_fixedmask.hdr").is_file():
        raise ProductFormatError(f"{img}: ENVI header {prefix}_fixedmask.hdr is missing")
    return img if img.is_file() else tif if tif.is_file() else None


def find_biome_scenes(root: str | os.PathLike, biomes: Mapping[str, str] | None = None,
                      check_fill: bool = True) -> list[BiomeScene]:
    """Every L8 Biome scene below ``root``, sorted by biome and scene ID.

    ``root`` is the USGS download (``<root>/<Biome>/BC/<SCENEID>/``) or a flat folder of
    scene folders.  The biome comes from ``biomes`` (scene ID → biome) when given, else from
    the nearest folder on the path that names a biome, else None.

    Raises
    ------
    ProductFormatError
        If no scene is found (the message says where to get the data), a scene has no
        manual mask, or two folders hold the same scene ID.
    """
    root = Path(root)
    mtls = [Path(top) / f for top, _, files in os.walk(root) for f in files
            if f.lower().endswith("_mtl.txt")]
    if not mtls:
        raise ProductFormatError(
            f"{root}: no Landsat-8 Biome scenes found (looked for <Biome>/BC/<SCENEID>/"
            f"<SCENEID>_MTL.txt and <SCENEID>/<SCENEID>_MTL.txt); download the L8 Biome "
            f"Cloud Cover Assessment data from {BIOME_URL} and extract it there")
    table = {k: normalize_biome(v) for k, v in (biomes or {}).items()}
    scenes: dict[str, BiomeScene] = {}
    for mtl in mtls:
        scene = open_biome_scene(mtl, check_fill=check_fill)
        if scene.mask_path is None:
            raise ProductFormatError(f"{scene.path}: {_NO_MASK}; every L8 Biome scene has one")
        if scene.scene_id in scenes:
            raise ProductFormatError(f"{scene.path}: scene {scene.scene_id} also found in "
                                     f"{scenes[scene.scene_id].path}; keep one copy")
        parts = [root.name, *scene.path.relative_to(root).parts]
        from_path = [normalize_biome(p, strict=False) for p in parts]
        scene.biome = table.get(scene.scene_id, next(filter(None, from_path[::-1]), None))
        scenes[scene.scene_id] = scene
    return sorted(scenes.values(), key=lambda s: (s.biome or "", s.scene_id))
