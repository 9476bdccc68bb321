"""The scenes of an evaluation dataset: one labelled scene, a folder of them (each with its
TOML, or all sharing one config: ``--data FOLDER --codes codes.toml``), a Cloud Mask
Catalogue or CloudSEN12 folder, or an L8 Biome root (optionally one part of a split)."""

from __future__ import annotations

from pathlib import Path

from crossmask.pipelines.evaluation.config import DatasetSpec
from crossmask.pipelines.training.sources import open_scenes
from crossmask.pipelines.training.split import load_split, select_scenes
from crossmask.products import LabelledScene

__all__ = ["dataset_scenes"]


def dataset_scenes(spec: DatasetSpec) -> list[LabelledScene]:
    """Open every scene of a dataset (labelled scenes or L8 Biome scenes); a folder with a
    ``config`` (or inline ``bands``/``codes``) is a folder of scenes sharing that config;
    ``sensor`` and ``bands`` override a config's."""
    inline = ({"sensor": spec.sensor, "bands": spec.bands, "codes": spec.codes,
               "dataset": spec.name} if spec.bands and spec.codes else None)
    if inline and not spec.sensor:
        inline.pop("sensor")
    kind, scenes = open_scenes(Path(spec.path), spec.config or inline, spec.sensor,
                               spec.bands if spec.config else None)
    if kind == "l8biome" and spec.split:
        scenes = select_scenes(scenes, load_split(spec.split), spec.part)
    return scenes
