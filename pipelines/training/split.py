"""Scene-level train/val/test splits.

Splits are made per scene, stratified by biome (scenes without one form their own
stratum), reproducible for a seed — or read from a dataset's folders (``train/``,
``val/``, ``test/``, :func:`split_from_folders`) — and kept as JSON::

    {"format": "crossmask-split", "version": 1, "seed": 0,
     "train": [...], "val": [...], "test": [...], "biomes": {"LC8…": "Forest", ...}}

Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.atomic import atomic_output
from crossmask.documents import check_header
from crossmask.errors import InputError, ProductFormatError, UnknownNameError
from crossmask.products import LabelledScene, normalize_biome

__all__ = ["FOLDER_PARTS", "PARTS", "Split", "load_split", "make_split", "save_split",
           "select_scenes", "split_from_folders"]

#: The parts of a split, in order.
PARTS = ("train", "val", "test")
#: Folder names (any case) that put the scenes below them into a part.
FOLDER_PARTS = {"train": "train", "training": "train", "val": "val", "valid": "val",
                "validation": "val", "test": "test", "testing": "test"}
_FORMAT, _VERSION = "crossmask-split", 1


@dataclass(frozen=True)
class Split:
    """A scene-level train/val/test split; ``path`` is the JSON it was loaded from, if any."""

    seed: int
    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    biomes: Mapping[str, str | None]
    path: Path | None = None

    def ids(self, part: str) -> tuple[str, ...]:
        """Scene IDs of one part (``"train"``, ``"val"`` or ``"test"``)."""
        if part not in PARTS:
            raise UnknownNameError(f"unknown split part {part!r}; valid: {', '.join(PARTS)}")
        return getattr(self, part)

    def to_json(self) -> dict:
        return {"format": _FORMAT, "version": _VERSION, "seed": self.seed,
                **{part: list(self.ids(part)) for part in PARTS}, "biomes": dict(self.biomes)}


def _part_sizes(n: int, counts: Sequence[int]) -> tuple[int, int, int]:
    """Scenes of one biome for train/val/test: ``counts`` scaled to ``n``, at least one
    training scene, then one test scene, then one validation scene when there are enough."""
    total = sum(counts)
    val, test = (round(n * c / total) for c in counts[1:])
    val = max(val, 1) if counts[1] and n >= 3 else val
    test = max(test, 1) if counts[2] and n >= 2 else test
    while val + test > n - 1 and val + test:
        val, test = (val - 1, test) if val else (val, test - 1)
    return n - val - test, val, test


def make_split(scenes: Mapping[str, str | None] | Iterable[LabelledScene],
               counts: Sequence[int] = (8, 2, 2), seed: int = 0) -> Split:
    """Split scenes into train/val/test per biome (8/2/2 of the 12 scenes of each biome).

    ``scenes`` is a mapping scene ID → biome (None when unknown, its own stratum) or the
    scenes of :func:`~crossmask.products.find_biome_scenes`.  ``counts`` is
    scaled to biomes of other sizes, keeping at least one training scene.  The result for a
    biome depends only on its scene IDs and ``seed``.

    Raises
    ------
    InputError
        If there are no scenes or ``counts`` is not three non-negative numbers, train > 0.
    """
    biomes = dict(scenes) if isinstance(scenes, Mapping) else {
        s.scene_id: s.biome for s in scenes}
    biomes = {sid: normalize_biome(b) for sid, b in sorted(biomes.items())}
    if not biomes:
        raise InputError("cannot split an empty list of scenes; find_biome_scenes found none?")
    if len(counts) != 3 or min(counts) < 0 or counts[0] <= 0:
        raise InputError(f"split counts {tuple(counts)!r}: need (train, val, test), train > 0")
    parts: dict[str, list[str]] = {part: [] for part in PARTS}
    for biome in sorted({b or "" for b in biomes.values()}):
        ids = [sid for sid, b in biomes.items() if (b or "") == biome]
        rng = np.random.default_rng([seed, zlib.crc32(biome.encode())])
        ids = [ids[i] for i in rng.permutation(len(ids))]
        n_train, n_val, _ = _part_sizes(len(ids), counts)
        parts["train"] += ids[:n_train]
        parts["val"] += ids[n_train:n_train + n_val]
        parts["test"] += ids[n_train + n_val:]
    return Split(seed, *(tuple(sorted(parts[p])) for p in PARTS), biomes=biomes)


def split_from_folders(paths: Mapping[str, str | os.PathLike], root: str | os.PathLike,
                       seed: int = 0) -> Split | None:
    """The split a dataset's folder structure gives: scene ID → its file or folder
    (``paths``); a scene below a folder named as in :data:`FOLDER_PARTS` (e.g.
    ``root/train/Images/a.tif``, ``root/val/...``) goes to that part.  None when no scene
    lies below such a folder.

    Raises InputError when only some scenes do, or one lies below two such folders.
    """
    root = Path(os.path.abspath(root))  # not resolve(): a symlinked file keeps its folder
    parts: dict[str, str | None] = {}
    for sid, path in sorted(paths.items()):
        try:
            rel = Path(os.path.abspath(path)).relative_to(root)
        except ValueError:
            rel = Path(Path(path).name)
        named = {FOLDER_PARTS[p.lower()] for p in rel.parts[:-1] if p.lower() in FOLDER_PARTS}
        if len(named) > 1:
            raise InputError(f"{path}: lies below folders of several split parts "
                             f"({', '.join(sorted(named))})")
        parts[sid] = named.pop() if named else None
    if not any(parts.values()):
        return None
    loose = [sid for sid, part in parts.items() if part is None]
    if loose:
        raise InputError(f"{root}: {len(loose)} scenes (e.g. {paths[loose[0]]}) lie outside "
                         f"the train/val/test folders that hold the others; move them or "
                         "give a split")
    return Split(seed, *(tuple(sid for sid, p in parts.items() if p == part) for part in PARTS),
                 biomes={sid: None for sid in parts})


def save_split(split: Split, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a split as JSON (atomically) and return the path."""
    with atomic_output(path, overwrite) as tmp:
        tmp.write_text(json.dumps(split.to_json(), indent=2) + "\n")
    return Path(path)


def load_split(path: str | os.PathLike) -> Split:
    """Read a split written by :func:`save_split`.

    Raises
    ------
    ProductFormatError
        If the file is missing, not a crossmask split, the training part is empty, a scene
        is in two parts or a scene has no biome entry.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ProductFormatError(f"{path}: cannot read split JSON ({err})") from err
    check_header(data, _FORMAT, _VERSION, str(path), "split")
    try:
        parts = {p: tuple(str(i) for i in data[p]) for p in PARTS}
        biomes, seed = dict(data["biomes"]), int(data["seed"])
    except (KeyError, TypeError, ValueError) as err:
        raise ProductFormatError(f"{path}: split lacks or misspells key {err}; needs seed, "
                                 f"{', '.join(PARTS)} and biomes") from err
    if not parts["train"]:
        raise ProductFormatError(f"{path}: the train part of the split is empty")
    seen: dict[str, str] = {}
    for part, ids in parts.items():
        for sid in ids:
            if sid in seen:
                raise ProductFormatError(f"{path}: scene {sid} is in both {seen[sid]} "
                                         f"and {part}")
            if sid not in biomes:
                raise ProductFormatError(f"{path}: scene {sid} has no entry in \"biomes\"")
            seen[sid] = part
    return Split(seed, *parts.values(), biomes=biomes, path=path)


def select_scenes(scenes: Iterable[LabelledScene], split: Split, part: str = "train",
                  ) -> list[LabelledScene]:
    """The scenes of one part of a split, in split order.

    Raises
    ------
    InputError
        If the part is empty or names scene IDs not among ``scenes`` (the message names the
        split file and the missing IDs).
    """
    ids = split.ids(part)
    source = split.path or "split"
    if not ids:
        raise InputError(f"{source}: the {part} part of the split is empty; valid parts with "
                         f"scenes: {', '.join(p for p in PARTS if split.ids(p)) or 'none'}")
    by_id = {s.scene_id: s for s in scenes}
    unknown = [sid for sid in ids if sid not in by_id]
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5
                                          else "")
        raise InputError(f"{source}: {part} scene IDs not found among the {len(by_id)} scenes "
                         f"given: {shown}")
    return [by_id[sid] for sid in ids]
