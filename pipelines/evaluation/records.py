"""Finished (scene, model, method) results under ``<report>/records/``, keyed by a
fingerprint of everything that determines them, so a re-run resumes without ever mixing
results of other inputs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.classes import ClassScheme
from crossmask.fingerprint import changed_parts, digest
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.reporting.paths import file_stem

__all__ = ["PeerSkip", "SceneOutcome", "load_record", "note_skip", "record_fingerprint",
           "record_key", "save_record"]

log = logging.getLogger(__name__)


@dataclass
class SceneOutcome:
    """Scores of one (scene, model, method), plus data for quicklooks."""

    record: dict
    thresholds: np.ndarray | None
    quicklook: dict = field(default_factory=dict)


@dataclass
class PeerSkip:
    """A peer detector left out of a dataset's scenes, and why (not installed, bands
    the data lack); ``str()`` is a one-line message for a terminal."""

    dataset: str
    peer: str
    reason: str
    scenes: tuple[str, ...] = ()

    def __str__(self) -> str:
        count = f"{len(self.scenes)} scene{'s' if len(self.scenes) != 1 else ''}"
        return f"{self.peer} skipped on dataset {self.dataset!r} ({count}): {self.reason}"


def record_fingerprint(config: EvaluationConfig, scheme: ClassScheme, model_digest: str,
                       scene_digest: str, method: str, adjustment, card,
                       runtime: str = "keras/fp32") -> dict:
    """Everything a (scene, model, method) record depends on, as named digests
    (``method``: the evaluation label, e.g. ``"ols (no saturation fix)"``; ``adjustment``:
    its coefficients and saturation option; ``runtime``: what ran the network and in which
    precision)."""
    coefficients = {k: v for k, v in adjustment.to_dict().items() if k != "info"}
    return {"crossmask": __version__, "model": model_digest, "scene": scene_digest,
            "scheme": scheme.name, "method": method, "adjustment": digest(coefficients),
            "settings": digest({"threshold": card.threshold, "tile": config.tile,
                                "overlap": config.overlap, "runtime": runtime})}


def record_key(dataset: str, scene, model: str, method: str) -> str:
    """File stem of a record: ``<dataset>__<scene>__<model>__<method>``, each part a
    :func:`~crossmask.pipelines.reporting.paths.file_stem` (display names with spaces,
    slashes or parentheses get a safe, distinct stem)."""
    return "__".join(file_stem(part) for part in (dataset, scene.scene_id, model, method))


def load_record(out_dir: Path, key: str, fingerprint: dict) -> SceneOutcome | None:
    """The stored outcome of ``key`` if it was computed from the same inputs, else None."""
    path = out_dir / "records" / f"{key}.json"
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    changed = changed_parts(stored.get("fingerprint"), fingerprint)
    if changed:
        log.warning("%s: computed from other inputs (%s changed); recomputing", path,
                    ", ".join(changed))
        return None
    counts = out_dir / "records" / f"{key}.npy"
    record = {k: v for k, v in stored.items() if k != "fingerprint"}
    return SceneOutcome(record, np.load(counts) if counts.exists() else None)


def save_record(out_dir: Path, key: str, fingerprint: dict, outcome: SceneOutcome) -> SceneOutcome:
    folder = out_dir / "records"
    folder.mkdir(parents=True, exist_ok=True)
    counts = folder / f"{key}.npy"
    if outcome.thresholds is not None:
        with atomic_output(counts, overwrite=True) as tmp:
            with open(tmp, "wb") as stream:
                np.save(stream, outcome.thresholds)
    else:
        counts.unlink(missing_ok=True)
    (folder / f"{key}.skipped").unlink(missing_ok=True)
    with atomic_output(folder / f"{key}.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps({**outcome.record, "fingerprint": fingerprint},
                                  default=float) + "\n")
    return outcome


def note_skip(out_dir: Path, key: str, reason: str) -> None:
    """Leave ``records/<key>.skipped`` with the reason a combination was not scored."""
    folder = out_dir / "records"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.skipped").write_text(reason + "\n")
