"""The scenes of an evaluation dataset: one labelled scene, a folder of them, or an L8
Biome root (optionally one part of a split)."""

from __future__ import annotations

from pathlib import Path

from crossmask.pipelines.evaluation.config import DatasetSpec
from crossmask.pipelines.training.split import load_split, select_scenes
from crossmask.products import LabelledScene, find_biome_scenes, find_labelled_scenes, open_labelled

__all__ = ["dataset_scenes"]


def dataset_scenes(spec: DatasetSpec) -> list[LabelledScene]:
    """Open every scene of a dataset (labelled scenes or L8 Biome scenes)."""
    path = Path(spec.path)
    inline = ({"sensor": spec.sensor, "bands": spec.bands, "codes": spec.codes,
               "dataset": spec.name} if spec.bands and spec.codes else None)
    if path.is_file():
        return [open_labelled(path, spec.config or inline, spec.sensor)]
    tomls = sorted(path.glob("*.toml"))
    if tomls:
        return [open_labelled(t, sensor=spec.sensor) for t in tomls]
    if next(path.rglob("*_MTL.txt"), None) is None:
        return [open_labelled(p, sensor=spec.sensor) for p in find_labelled_scenes(path)]
    scenes = find_biome_scenes(path)
    if spec.split:
        scenes = select_scenes(scenes, load_split(spec.split), spec.part)
    return scenes
