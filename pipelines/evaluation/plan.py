"""Which (scene, model, method) combinations an evaluation still has to score, and where.

Finished combinations under ``<report>/records`` whose fingerprint (model weights and card,
scene files and codes, scheme, method label, adjustment coefficients and saturation
option, threshold, tiling, runtime, crossmask version) matches are read back; a record whose inputs changed is
recomputed (and logged).  What is left is grouped by scene — the unit of work — and
scored in this process or, with a Dask client, on its workers (each loads a model once);
the records are saved here, by one writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from crossmask.classes import ClassScheme, get_scheme
from crossmask.fingerprint import digest
from crossmask.models.runtime import as_runner
from crossmask.pipelines.batch.cluster import map_unordered
from crossmask.pipelines.batch.jobs import cached_runner
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.evaluation.datasets import dataset_scenes
from crossmask.pipelines.evaluation.records import (
    PeerSkip,
    SceneOutcome,
    load_record,
    note_skip,
    record_fingerprint,
    record_key,
    save_record,
)
from crossmask.pipelines.evaluation.scoring import (
    evaluate_peer,
    evaluate_scene,
    methods_for,
    peer_inputs,
    peer_stamp,
    scene_adjustment,
)

__all__ = ["ModelRef", "SceneTask", "run_scenes"]


@dataclass(frozen=True)
class ModelRef:
    """A model as a worker loads it: folder, runtime and precision."""

    path: str
    runtime: str
    precision: str

    def load(self):
        return cached_runner(self.path, self.runtime, self.precision)


@dataclass
class SceneTask:
    """What is left to score on one scene: (model, method, record key, fingerprint,
    adjustment) runs and (peer, key, fingerprint) peers."""

    dataset: str
    scene: object
    quicklook: bool
    runs: list = field(default_factory=list)
    peers: list = field(default_factory=list)


def run_scenes(config: EvaluationConfig, out_dir: Path, models: dict,
               model_digests: dict | None = None, client=None) -> Iterator:
    """Yield a :class:`SceneOutcome` per (dataset, scene, model or peer, method), or a
    :class:`PeerSkip` for a peer that cannot run on a scene: the stored ones first, then
    the others as they are scored.  ``models`` maps model names to runners (or
    ``(keras.Model, ModelCard)`` pairs); ``client`` a Dask client or None."""
    scheme = get_scheme(config.scheme)
    runners = {name: as_runner(m) for name, m in models.items()}
    digests = model_digests or {n: digest(r.card.to_dict()) for n, r in runners.items()}
    tasks = []
    for item in _plan(config, out_dir, scheme, runners, digests):
        if isinstance(item, SceneTask):
            tasks.append(item)
        else:
            yield item
    refs = runners if client is None else {
        m.name: ModelRef(str(m.path), runners[m.name].runtime, runners[m.name].precision)
        for m in config.models}
    score = partial(score_task, config=config, scheme=scheme, models=refs)
    for results in map_unordered(score, tasks, client):
        for key, stamp, outcome in results:
            yield save_record(out_dir, key, stamp, outcome)


def _plan(config, out_dir: Path, scheme: ClassScheme, runners: dict, digests: dict):
    adjustments: dict = {}
    fitted = config.fitted()
    for spec in config.datasets:
        for index, scene in enumerate(dataset_scenes(spec)):
            task = SceneTask(spec.name, scene, index < config.quicklooks)
            scene_digest = digest(scene.identity())
            for name, runner in runners.items():
                for method in methods_for(config.methods, scene.sensor, runner.card.sensor,
                                          config.saturation, fitted):
                    key = record_key(spec.name, scene, name, method)
                    adjustment = scene_adjustment(scene, runner.card, method, adjustments,
                                                  fitted)
                    stamp = record_fingerprint(config, scheme, digests[name], scene_digest,
                                               method, adjustment, runner.card,
                                               f"{runner.runtime}/{runner.precision}")
                    cached = load_record(out_dir, key, stamp)
                    if cached:
                        yield cached
                    else:
                        task.runs.append((name, method, key, stamp, adjustment))
            yield from _plan_peers(config, out_dir, scheme, task)
            if task.runs or task.peers:
                yield task


def _plan_peers(config, out_dir: Path, scheme: ClassScheme, task: SceneTask):
    for peer in config.peers:
        key = record_key(task.dataset, task.scene, peer, "native")
        bands, _, reason = peer_inputs(task.scene, peer)
        if bands is None:
            note_skip(out_dir, key, reason)
            yield PeerSkip(task.dataset, peer, reason, (task.scene.scene_id,))
            continue
        stamp = peer_stamp(task.scene, peer, scheme)
        cached = load_record(out_dir, key, stamp)
        if cached:
            yield cached
        else:
            task.peers.append((peer, key, stamp))


def score_task(task: SceneTask, config: EvaluationConfig, scheme: ClassScheme,
               models: dict) -> list[tuple[str, dict, SceneOutcome]]:
    """Score one scene's runs and peers (in this process or a Dask worker)."""
    results = []
    for name, method, key, stamp, adjustment in task.runs:
        model = models[name].load() if isinstance(models[name], ModelRef) else models[name]
        results.append((key, stamp, evaluate_scene(
            task.scene, model, method, scheme, config, adjustment, dataset=task.dataset,
            model_name=name, keep_quicklook=task.quicklook)))
    for peer, key, stamp in task.peers:
        results.append((key, stamp, evaluate_peer(task.scene, peer, scheme, task.dataset)))
    return results
