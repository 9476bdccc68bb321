"""Labelled training sources of any layout the evaluator reads, their harmonisation to
Landsat-8 and their scene-level split.

:func:`open_source` opens (in this order of precedence)

* a CloudSEN12+ ``.taco`` file: its completely labelled samples;
* one labelled scene file: a scene TOML, or an ``.npz`` / GeoTIFF with ``config``, a
  CloudSEN12 ``S2L1C.tif``, a Cloud Mask Catalogue ``subscenes/<NAME>.npy``, one sample
  ``<file>.taco#<row>``;
* a folder with one shared ``config`` (``--codes codes.toml``, see
  :mod:`crossmask.products.datasets.generic`): every npz / GeoTIFF image it describes;
* a folder holding scene TOMLs (one per scene);
* a folder without ``*_MTL.txt``: a Cloud Mask Catalogue root, CloudSEN12 patch folders
  or scene TOMLs below it;
* an L8 Biome root (``<Biome>/BC/<SCENEID>/…_MTL.txt``).

:func:`harmonized_view` is what patches read reflectance from: the scene itself when it
is Landsat-8 data, else :class:`~crossmask.harmonize.HarmonizedProduct` of the scene with
the adjustment :func:`~crossmask.harmonize.build_adjustment` fits for the scene's sensor
and bands — exactly what ``crossmask evaluate`` does with a scene before a model sees it
(sensors of the Landsat-8 family, e.g. L9, get ``none``, as there).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from crossmask.errors import ConfigError, InputError, ProductFormatError
from crossmask.harmonize import (
    HarmonizedProduct,
    UpscaledScene,
    build_adjustment,
    probav_grid,
    producible_bands,
)
from crossmask.pipelines.training.split import (
    FOLDER_PARTS,
    PARTS,
    Split,
    make_split,
    split_from_folders,
)
from crossmask.products import (
    BIOME_CODES,
    CLOUDSEN12_CODES,
    LabelledScene,
    Product,
    find_biome_scenes,
    find_labelled_scenes,
    open_labelled,
)
from crossmask.srf import get_sensor, same_family

__all__ = ["TARGET_SENSOR", "TrainingSource", "at_probav_resolution", "common_bands",
           "harmonized_view", "open_scenes", "open_source", "source_split"]

#: The sensor whose band space models are trained in.
TARGET_SENSOR = "L8"
#: Label codes of datasets with a fixed table (for the patch index).
_DATASET_CODES = {"l8biome": BIOME_CODES, "cloudsen12": CLOUDSEN12_CODES,
                  "cmc": "one-hot mask channels CLEAR, CLOUD, CLOUD_SHADOW"}


@dataclass
class TrainingSource:
    """Scenes opened from one path, with what the patch index records about them."""

    path: Path
    kind: str  # "scene", "folder+config", "tomls", "l8biome" or the datasets found
    scenes: list[LabelledScene]
    config: str | None = None
    codes: dict | str | None = None
    sensor: str | None = None

    def describe(self) -> dict:
        """``{"path", "kind", "config", "codes", "sensor", "sensors", "datasets"}``."""
        codes = ({str(k): v for k, v in self.codes.items()} if isinstance(self.codes, Mapping)
                 else self.codes)
        return {"path": str(Path(self.path).resolve()), "kind": self.kind,
                "config": self.config, "codes": codes, "sensor": self.sensor,
                "sensors": sorted({s.sensor for s in self.scenes}),
                "datasets": sorted({s.dataset for s in self.scenes})}

    def paths(self) -> dict[str, Path]:
        """Scene ID → the file or folder it was read from."""
        return {s.scene_id: Path(s.path) for s in self.scenes}


def open_scenes(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                sensor: str | None = None, bands: Sequence[str] | None = None,
                ) -> tuple[str, list[LabelledScene]]:
    """``(kind, scenes)`` of a path (see the module docstring for the layouts); ``sensor``
    and ``bands`` (npz / GeoTIFF band names in file order) override the configs'.

    Raises ProductFormatError (no such path, no scenes), ConfigError (bad config).
    """
    path = Path(path)
    if path.suffix.lower() == ".taco" and path.is_file():  # CloudSEN12+: its samples
        return "cloudsen12+", [open_labelled(p, sensor=sensor) for p in find_labelled_scenes(path)]
    if path.is_file() or "#" in path.name:  # one scene (or one sample of a .taco)
        return "scene", [open_labelled(path, config, sensor, bands)]
    if not path.is_dir():
        raise ProductFormatError(f"{path}: no such file or folder")
    if config is not None:
        return "folder+config", [open_labelled(p, config, sensor, bands)
                                 for p in find_labelled_scenes(path, config)]
    tomls = sorted(path.glob("*.toml"))
    if tomls:
        return "tomls", [open_labelled(t, sensor=sensor, bands=bands) for t in tomls]
    if next(path.rglob("*_MTL.txt"), None) is None:
        scenes = [open_labelled(p, sensor=sensor) for p in find_labelled_scenes(path)]
        return "+".join(sorted({s.dataset for s in scenes})), scenes
    return "l8biome", find_biome_scenes(path)


def open_source(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                sensor: str | None = None, bands: Sequence[str] | None = None,
                ) -> TrainingSource:
    """Open every labelled scene of ``path`` for training (``config``: one TOML or mapping
    shared by a folder's scenes; ``sensor`` overrides the spacecraft, ``bands`` the image
    band names)."""
    kind, scenes = open_scenes(path, config, sensor, bands)
    return TrainingSource(Path(path), kind, scenes,
                          None if config is None or isinstance(config, Mapping)
                          else str(Path(config).resolve()),
                          _codes(Path(path), kind, scenes, config), sensor)


def _codes(path: Path, kind: str, scenes: list[LabelledScene], config) -> dict | str:
    """The label-code table of a source when one table serves every scene, else a note."""
    if config is not None:
        tables = [(config if isinstance(config, Mapping) else _toml(config)).get("codes")]
    elif kind == "tomls" or path.suffix.lower() == ".toml":
        tables = [_toml(t).get("codes") for t in
                  (sorted(path.glob("*.toml")) if kind == "tomls" else [path])]
    else:
        tables = [_DATASET_CODES.get(s.dataset, "per-scene TOML") for s in scenes]
    if any(t != tables[0] for t in tables):
        return "differs between scenes"
    return dict(tables[0]) if isinstance(tables[0], Mapping) else str(tables[0])


def _toml(path) -> dict:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the config ({err})") from err


def source_split(source: TrainingSource, counts: Sequence[int] = (8, 2, 2),
                 seed: int = 0) -> Split:
    """The split of a source: the dataset's own when every scene carries one (the
    ``split`` tag, e.g. CloudSEN12+'s ``tortilla:data_split``), else its ``train/``,
    ``val/``, ``test/`` folders when it has them, else seeded by scene
    (:func:`~crossmask.pipelines.training.split.make_split`; stratified by biome where
    scenes have one, ``counts`` scaled to each stratum)."""
    tagged = {s.scene_id: FOLDER_PARTS.get(str(s.tags.get("split", "")).lower())
              for s in source.scenes}
    if tagged and all(tagged.values()):
        return Split(seed, *(tuple(sorted(i for i, p in tagged.items() if p == part))
                             for part in PARTS), biomes={i: None for i in tagged})
    by_folder = split_from_folders(source.paths(), source.path, seed)
    return by_folder if by_folder is not None else make_split(source.scenes, counts, seed)


def harmonized_view(scene: LabelledScene, bands: Sequence[str], method: str,
                    cache: dict) -> tuple[Product, str]:
    """``(product, method used)``: what to read ``bands`` (Landsat-8 names) of ``scene``
    from — the scene itself when it is Landsat-8 data (``"none"``), else the scene
    harmonised to Landsat-8 on its label grid.  ``cache`` keeps one fitted adjustment
    per sensor, method and band sets.

    Raises InputError for a method the sensor pair does not support, MissingBandError
    when the scene cannot supply a band.
    """
    if get_sensor(scene.sensor).key == TARGET_SENSOR:
        return scene, "none"
    used = "none" if same_family(scene.sensor, TARGET_SENSOR) else method
    key = (scene.sensor, used, tuple(bands), tuple(scene.band_names))
    if key not in cache:
        try:
            cache[key] = build_adjustment(scene.sensor, TARGET_SENSOR, used,
                                          target_bands=list(bands),
                                          available=scene.band_names)
        except InputError as err:
            raise InputError(f"{scene.path}: cannot harmonise {scene.sensor} to "
                             f"{TARGET_SENSOR} with {used!r}: {err}") from err
    return HarmonizedProduct(scene, cache[key], scene.grid), used


def common_bands(scenes: Sequence[LabelledScene], candidates: Sequence[str]) -> list[str]:
    """The ``candidates`` (Landsat-8 names, in their order) that every scene holds or, for
    another sensor, can be harmonised to.

    Raises InputError when there are none.
    """
    bands = list(candidates)
    for scene in scenes:
        have = (scene.band_names if get_sensor(scene.sensor).key == TARGET_SENSOR else
                producible_bands(scene.sensor, TARGET_SENSOR, scene.band_names))
        bands = [b for b in bands if b in have]
    if not bands:
        raise InputError(f"the scenes share none of the bands {', '.join(candidates)}; "
                         "name the bands with --bands")
    return bands


def at_probav_resolution(source: TrainingSource, resolution: str = "333M",
                         spatial: str = "psf", band: str | None = None) -> TrainingSource:
    """The source's scenes seen on the PROBA-V lattice of ``resolution`` (``"100M"``,
    ``"333M"``, ``"1KM"``) through the instrument's PSF then area averaging (``"psf"``) or
    area averaging alone (``"area"``), window by window
    (:class:`crossmask.harmonize.UpscaledScene`) — to train a model for PROBA-V on
    Landsat-8 data.  ``band`` sets the footprint (default each scene's first band)."""
    scenes = [UpscaledScene(scene, probav_grid(scene, resolution, band=band), spatial=spatial)
              for scene in source.scenes]
    return replace(source, scenes=scenes,
                   kind=f"{source.kind} at PROBA-V {resolution} ({spatial})")
