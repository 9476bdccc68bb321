"""Zero-shot evaluation: models × harmonisation methods × labelled datasets → scores.

For each scene, each model and each method, the scene is harmonised to the model's
sensor window by window (:class:`~crossmask.harmonize.apply.HarmonizedProduct`),
predicted with the tiled blender (:func:`~crossmask.pipelines.predict.predict_windows`)
and scored against the reference with accumulating confusion matrices and threshold
sweeps — one scene and one window at a time.  Each finished (scene, model, method) is
saved under ``records/`` at once, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.errors import InputError
from crossmask.fingerprint import changed_parts, digest
from crossmask.harmonize import build_adjustment
from crossmask.harmonize.apply import HarmonizedProduct
from crossmask.harmonize.resample import resample_window
from crossmask.pipelines.biome import IGNORE, ClassScheme, get_scheme, to_classes
from crossmask.pipelines.evalconfig import DatasetSpec, EvaluationConfig
from crossmask.pipelines.metrics import (ConfusionAccumulator, ThresholdAccumulator,
                                         cloud_classes, scene_record)
from crossmask.pipelines.peers import PEERS, peer_bands
from crossmask.pipelines.predict import model_class_names, predict_windows, prepare_tiling

__all__ = ["SceneOutcome", "dataset_scenes", "evaluate_scene", "run_scenes"]

log = logging.getLogger(__name__)

_SAME_FAMILY = {"L8": {"L8", "L9"}}


@dataclass
class SceneOutcome:
    """Scores of one (scene, model, method), plus data for quicklooks."""

    record: dict
    thresholds: np.ndarray | None
    quicklook: dict = field(default_factory=dict)


def dataset_scenes(spec: DatasetSpec) -> list:
    """Open every scene of a dataset (labelled scenes or L8 Biome scenes)."""
    from crossmask.harmonize.readers import find_labelled_scenes, open_labelled
    from crossmask.harmonize.readers.landsat import find_biome_scenes

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
        from crossmask.pipelines.biome import load_split, select_scenes

        scenes = select_scenes(scenes, load_split(spec.split), spec.part)
    return scenes


def run_scenes(config: EvaluationConfig, out_dir: Path, models: dict,
               progress: bool = True, model_digests: dict | None = None):
    """Yield a :class:`SceneOutcome` per (dataset, scene, model or peer, method).

    Finished combinations found under ``out_dir/records`` are loaded, not recomputed, when
    their fingerprint (model weights and card, scene files and codes, scheme, method,
    adjustment coefficients, threshold, tiling, crossmask version) matches; a record whose
    inputs changed is recomputed (and logged).  ``models`` maps model names to
    ``(keras.Model, ModelCard)``; ``model_digests`` model names to
    :func:`~crossmask.models.card.model_digest` (default: the card alone).
    """
    scheme = get_scheme(config.scheme)
    adjustments: dict = {}
    digests = model_digests or {n: digest(m[1].to_dict()) for n, m in models.items()}
    for spec in config.datasets:
        for index, scene in enumerate(dataset_scenes(spec)):
            scene_digest = digest(scene.identity())
            for name, model in models.items():
                for method in _methods_for(config.methods, scene.sensor, model[1].sensor):
                    key = _key(spec.name, scene, name, method)
                    adjustment = _adjustment(scene, model[1], method, adjustments)
                    stamp = _fingerprint(config, scheme, digests[name], scene_digest,
                                         method, adjustment, model[1])
                    yield _cached(out_dir, key, stamp) or _save(out_dir, key, stamp,
                        evaluate_scene(scene, model, method, scheme, config, adjustments,
                                       dataset=spec.name, model_name=name,
                                       keep_quicklook=index < config.quicklooks,
                                       progress=progress))
            for peer_name in config.peers:
                outcome = _peer_outcome(out_dir, spec.name, scene, peer_name, scheme)
                if outcome is not None:
                    yield outcome


def evaluate_scene(scene, model: tuple, method: str, scheme: ClassScheme,
                   config: EvaluationConfig, adjustments: dict, dataset: str,
                   model_name: str, keep_quicklook: bool = False,
                   progress: bool = False) -> SceneOutcome:
    """Harmonise, predict and score one scene with one model and one method."""
    net, card = model
    start = time.perf_counter()
    product = _harmonized(scene, card, method, adjustments)
    grid, tile, overlap = prepare_tiling([card], product, config.tile, config.overlap)
    lut = _class_map(model_class_names(card), scheme)
    cloud_model = [i for i, n in enumerate(model_class_names(card)) if "cloud" in n]
    confusion = ConfusionAccumulator(scheme.n_classes)
    sweep = ThresholdAccumulator(positive=cloud_classes(scheme))
    look = _Quicklook(grid, keep_quicklook)
    for window, probs, valid in predict_windows([model], product, grid, tile, overlap,
                                                config.batch_size, progress=progress):
        reference = to_classes(scene.read_mask(window), scheme)
        if card.output == "sigmoid":
            predicted, cloud_prob = (probs[..., 0] >= card.threshold).astype(np.uint8), probs[..., 0]
        else:
            predicted, cloud_prob = np.argmax(probs, -1).astype(np.uint8), probs[..., cloud_model].sum(-1)
        predicted = lut[predicted]
        predicted[~valid] = IGNORE
        confusion.update(reference, predicted)
        sweep.update(reference, np.where(valid, cloud_prob, np.nan))
        look.add(window, scene, reference, predicted)
    total = time.perf_counter() - start
    record = scene_record(confusion, positive=cloud_classes(scheme), class_names=scheme.classes,
                          dataset=dataset, biome=getattr(scene, "biome", None) or "",
                          model=model_name, method=method, scene_id=scene.scene_id)
    record.update(megapixels=grid.width * grid.height / 1e6, harmonize_s=product.seconds,
                  predict_s=total - product.seconds, threshold=card.threshold)
    return SceneOutcome(record, sweep.counts.copy(), look.arrays())


def _adjustment(scene, card, method: str, adjustments: dict):
    key = (scene.sensor, method, tuple(card.bands), tuple(scene.band_names))
    if key not in adjustments:
        adjustments[key] = build_adjustment(scene.sensor, card.sensor, method,
                                            target_bands=card.bands, available=scene.band_names)
    return adjustments[key]


def _harmonized(scene, card, method: str, adjustments: dict) -> HarmonizedProduct:
    return HarmonizedProduct(scene, _adjustment(scene, card, method, adjustments), scene.grid)


def _fingerprint(config: EvaluationConfig, scheme: ClassScheme, model_digest: str,
                 scene_digest: str, method: str, adjustment, card) -> dict:
    """Everything a (scene, model, method) record depends on, as named digests."""
    coefficients = {k: v for k, v in adjustment.to_dict().items() if k != "info"}
    return {"crossmask": __version__, "model": model_digest, "scene": scene_digest,
            "scheme": scheme.name, "method": method, "adjustment": digest(coefficients),
            "settings": digest({"threshold": card.threshold, "tile": config.tile,
                                "overlap": config.overlap})}


def _methods_for(methods: list[str], data_sensor: str, model_sensor: str) -> list[str]:
    """Data of the model's own sensor family need no adjustment: score them once, 'none'."""
    if data_sensor in _SAME_FAMILY.get(model_sensor, {model_sensor}):
        return ["none"]
    if data_sensor not in ("S2A", "S2B"):
        return [m for m in methods if m != "hls"]
    return list(methods)


def _class_map(model_names: list[str], scheme: ClassScheme) -> np.ndarray:
    """LUT from model class index to evaluation class index, by class name."""
    target = list(scheme.classes)
    lut = np.full(256, IGNORE, np.uint8)
    for i, name in enumerate(model_names):
        if name in target:
            lut[i] = target.index(name)
        elif "cloud" in name and "cloud" in target:  # thin_cloud scored as cloud
            lut[i] = target.index("cloud")
        elif name == "shadow":  # not cloud: clear in the binary scheme
            lut[i] = target.index("clear")
        else:
            raise InputError(f"a model predicting {model_names} cannot be scored on the "
                             f"{scheme.name} scheme ({', '.join(target)})")
    return lut


def _peer_outcome(out_dir: Path, dataset: str, scene, peer_name: str, scheme: ClassScheme):
    peer = PEERS.get(peer_name)
    if peer is None or not peer.available():
        return None
    bands, reason = peer_bands(peer, scene.sensor, scene.band_names)
    key = _key(dataset, scene, peer_name, "native")
    if bands is None:
        _note_skip(out_dir, key, reason)
        return None
    stamp = {"crossmask": __version__, "peer": peer_name, "version": peer.version(),
             "scene": digest(scene.identity()), "scheme": scheme.name}
    cached = _cached(out_dir, key, stamp)
    if cached:
        return cached
    start = time.perf_counter()
    lut = _class_map(list(peer.class_names), scheme)
    confusion, sweep = ConfusionAccumulator(scheme.n_classes), ThresholdAccumulator(
        positive=cloud_classes(scheme))
    for window in scene.grid.windows(1024):
        cube = np.stack([resample_window(scene, b, scene.grid, window) for b in bands], -1)
        classes, prob = peer.predict(cube, bands)
        predicted = lut[classes]
        predicted[np.isnan(cube).any(-1)] = IGNORE
        reference = to_classes(scene.read_mask(window), scheme)
        confusion.update(reference, predicted)
        sweep.update(reference, prob)
    record = scene_record(confusion, positive=cloud_classes(scheme), class_names=scheme.classes,
                          dataset=dataset, biome=getattr(scene, "biome", None) or "",
                          model=peer_name, method="native", scene_id=scene.scene_id)
    record.update(megapixels=scene.grid.width * scene.grid.height / 1e6, harmonize_s=0.0,
                  predict_s=time.perf_counter() - start, threshold=float("nan"))
    counts = sweep.counts.copy() if np.any(sweep.counts) else None
    return _save(out_dir, key, stamp, SceneOutcome(record, counts))


class _Quicklook:
    """Decimated RGB, reference and prediction of a scene, gathered strip by strip."""

    def __init__(self, grid, keep: bool, size: int = 384):
        self.keep, self.grid = keep, grid
        self.step = max(1, int(np.ceil(max(grid.shape) / size)))
        self.parts: list[tuple] = []

    def add(self, window: Window, scene, reference: np.ndarray, predicted: np.ndarray) -> None:
        if not self.keep:
            return
        rows = slice((-int(window.row_off)) % self.step, None, self.step)
        rgb = np.stack([resample_window(scene, b, self.grid, window)
                        for b in _rgb_bands(scene)], -1)
        self.parts.append((reference[rows, ::self.step], predicted[rows, ::self.step],
                           rgb[rows, ::self.step]))

    def arrays(self) -> dict:
        if not self.parts:
            return {}
        return {name: np.concatenate([p[i] for p in self.parts])
                for i, name in enumerate(("reference", "predicted", "rgb"))}


def _rgb_bands(scene) -> list[str]:
    from crossmask.srf import get_sensor

    sensor = get_sensor(scene.sensor)
    return [sensor.band(c).name for c in ("red", "green", "blue")]


def _key(dataset: str, scene, model: str, method: str) -> str:
    return f"{dataset}__{scene.scene_id}__{model}__{method}".replace("/", "_")


def _cached(out_dir: Path, key: str, fingerprint: dict) -> SceneOutcome | None:
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


def _save(out_dir: Path, key: str, fingerprint: dict, outcome: SceneOutcome) -> SceneOutcome:
    folder = out_dir / "records"
    folder.mkdir(parents=True, exist_ok=True)
    counts = folder / f"{key}.npy"
    if outcome.thresholds is not None:
        with atomic_output(counts, overwrite=True) as tmp:
            with open(tmp, "wb") as stream:
                np.save(stream, outcome.thresholds)
    else:
        counts.unlink(missing_ok=True)
    with atomic_output(folder / f"{key}.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps({**outcome.record, "fingerprint": fingerprint},
                                  default=float) + "\n")
    return outcome


def _note_skip(out_dir: Path, key: str, reason: str) -> None:
    folder = out_dir / "records"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.skipped").write_text(reason + "\n")
