"""Zero-shot evaluation: models × harmonisation methods × labelled datasets → scores.

For each scene, each model and each method, the scene is harmonised to the model's
sensor window by window (:class:`~crossmask.harmonize.HarmonizedProduct`), predicted with
the tiled blender (:func:`~crossmask.pipelines.inference.tiling.predict_windows`) and
scored against the reference with accumulating confusion matrices and threshold sweeps —
one scene and one window at a time.  Each finished (scene, model, method) is saved under
``records/`` at once (:mod:`~crossmask.pipelines.evaluation.records`), so an interrupted
run resumes where it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask import __version__
from crossmask.classes import IGNORE, ClassScheme, get_scheme, is_cloud, to_classes
from crossmask.errors import InputError, UnknownNameError
from crossmask.fingerprint import digest
from crossmask.harmonize import (
    HarmonizedProduct,
    applicable_methods,
    build_adjustment,
    resample_window,
)
from crossmask.models.runtime import as_runner
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.evaluation.datasets import dataset_scenes
from crossmask.pipelines.evaluation.metrics import (
    ConfusionAccumulator,
    ThresholdAccumulator,
    scene_record,
)
from crossmask.pipelines.evaluation.peers import PEERS, peer_bands
from crossmask.pipelines.evaluation.records import (
    PeerSkip,
    SceneOutcome,
    load_record,
    note_skip,
    record_fingerprint,
    record_key,
    save_record,
)
from crossmask.pipelines.inference.tiling import model_class_names, predict_windows, prepare_tiling
from crossmask.products import LabelledScene
from crossmask.srf import get_sensor, same_family

__all__ = ["class_map", "evaluate_scene", "run_scenes"]


def run_scenes(config: EvaluationConfig, out_dir: Path, models: dict,
               progress: bool = True, model_digests: dict | None = None):
    """Yield a :class:`SceneOutcome` per (dataset, scene, model or peer, method), or a
    :class:`PeerSkip` for a peer that cannot run on a scene.

    Finished combinations found under ``out_dir/records`` are loaded, not recomputed, when
    their fingerprint (model weights and card, scene files and codes, scheme, method,
    adjustment coefficients, threshold, tiling, crossmask version) matches; a record whose
    inputs changed is recomputed (and logged).  ``models`` maps model names to
    ``(keras.Model, ModelCard)``; ``model_digests`` model names to
    :func:`~crossmask.models.card.model_digest` (default: the card alone).
    """
    scheme = get_scheme(config.scheme)
    adjustments: dict = {}
    models = {name: as_runner(model) for name, model in models.items()}
    digests = model_digests or {n: digest(m.card.to_dict()) for n, m in models.items()}
    for spec in config.datasets:
        for index, scene in enumerate(dataset_scenes(spec)):
            scene_digest = digest(scene.identity())
            for name, model in models.items():
                for method in _methods_for(config.methods, scene.sensor, model.card.sensor):
                    key = record_key(spec.name, scene, name, method)
                    adjustment = _adjustment(scene, model.card, method, adjustments)
                    stamp = record_fingerprint(config, scheme, digests[name], scene_digest,
                                               method, adjustment, model.card,
                                               f"{model.runtime}/{model.precision}")
                    yield load_record(out_dir, key, stamp) or save_record(
                        out_dir, key, stamp, evaluate_scene(
                            scene, model, method, scheme, config, adjustments,
                            dataset=spec.name, model_name=name,
                            keep_quicklook=index < config.quicklooks, progress=progress))
            for peer_name in config.peers:
                yield _peer_outcome(out_dir, spec.name, scene, peer_name, scheme)


def evaluate_scene(scene: LabelledScene, model: tuple, method: str, scheme: ClassScheme,
                   config: EvaluationConfig, adjustments: dict, dataset: str,
                   model_name: str, keep_quicklook: bool = False,
                   progress: bool = False) -> SceneOutcome:
    """Harmonise, predict and score one scene with one model (a
    :class:`~crossmask.models.runtime.Runner` or a ``(keras.Model, ModelCard)`` pair) and
    one method."""
    card = as_runner(model).card
    start = time.perf_counter()
    product = _harmonized(scene, card, method, adjustments)
    grid, tile, overlap = prepare_tiling([card], product, config.tile, config.overlap)
    names = model_class_names(card)
    lut = class_map(names, scheme)
    cloud_model = [i for i, n in enumerate(names) if is_cloud(n)]
    confusion = ConfusionAccumulator(scheme.n_classes)
    sweep = ThresholdAccumulator(positive=scheme.cloud_indices)
    look = _Quicklook(grid, keep_quicklook)
    for window, probs, valid in predict_windows([model], product, grid, tile, overlap,
                                                config.batch_size, progress=progress):
        reference = to_classes(scene.read_reference(window), scheme)
        if card.output == "sigmoid":
            predicted, cloud_prob = (probs[..., 0] >= card.threshold).astype(np.uint8), \
                probs[..., 0]
        else:
            predicted, cloud_prob = np.argmax(probs, -1).astype(np.uint8), \
                probs[..., cloud_model].sum(-1)
        predicted = lut[predicted]
        predicted[~valid] = IGNORE
        confusion.update(reference, predicted)
        sweep.update(reference, np.where(valid, cloud_prob, np.nan))
        look.add(window, scene, reference, predicted)
    total = time.perf_counter() - start
    record = scene_record(confusion, positive=scheme.cloud_indices, class_names=scheme.classes,
                          dataset=dataset, biome=scene.biome or "", model=model_name,
                          method=method, scene_id=scene.scene_id)
    record.update(megapixels=grid.width * grid.height / 1e6, harmonize_s=product.seconds,
                  predict_s=total - product.seconds, threshold=card.threshold)
    return SceneOutcome(record, sweep.counts.copy(), look.arrays())


def class_map(model_names: list[str], scheme: ClassScheme) -> np.ndarray:
    """LUT from a model's class index to the scheme's class index, through the canonical
    classes (``thin_cloud`` is ``cloud`` in the binary scheme, ``shadow`` is ``clear``)."""
    lut = np.full(256, IGNORE, np.uint8)
    try:
        for i, name in enumerate(model_names):
            lut[i] = scheme.index_of(name)
    except UnknownNameError as err:
        raise InputError(f"a model predicting {model_names} cannot be scored on the "
                         f"{scheme.name} scheme ({', '.join(scheme.classes)}): {err}") from err
    return lut


def _adjustment(scene, card, method: str, adjustments: dict):
    key = (scene.sensor, method, tuple(card.bands), tuple(scene.band_names))
    if key not in adjustments:
        adjustments[key] = build_adjustment(scene.sensor, card.sensor, method,
                                            target_bands=card.bands, available=scene.band_names)
    return adjustments[key]


def _harmonized(scene, card, method: str, adjustments: dict) -> HarmonizedProduct:
    return HarmonizedProduct(scene, _adjustment(scene, card, method, adjustments), scene.grid)


def _methods_for(methods: list[str], data_sensor: str, model_sensor: str) -> list[str]:
    """Data of the model's own sensor family need no adjustment: score them once, 'none'."""
    if same_family(data_sensor, model_sensor):
        return ["none"]
    possible = applicable_methods(data_sensor, model_sensor)
    return [m for m in methods if m in possible]


def _peer_outcome(out_dir: Path, dataset: str, scene, peer_name: str, scheme: ClassScheme):
    """The peer's outcome on a scene, or a :class:`PeerSkip` saying why it was not run."""
    peer = PEERS[peer_name]
    key = record_key(dataset, scene, peer_name, "native")
    bands, inputs, reason = (peer_bands(peer, scene.sensor, scene.band_names)
                             if peer.available() else
                             (None, [], f"{peer.package} is not installed (pip install "
                                        f"{peer.name})"))
    if bands is None:
        note_skip(out_dir, key, reason)
        return PeerSkip(dataset, peer_name, reason, (scene.scene_id,))
    stamp = {"crossmask": __version__, "peer": peer_name, "version": peer.version(),
             "scene": digest(scene.identity()), "scheme": scheme.name}
    cached = load_record(out_dir, key, stamp)
    if cached:
        return cached
    start = time.perf_counter()
    lut = class_map(list(peer.class_names), scheme)
    confusion = ConfusionAccumulator(scheme.n_classes)
    sweep = ThresholdAccumulator(positive=scheme.cloud_indices)
    for window in scene.grid.windows(1024):
        cube = np.stack([resample_window(scene, b, scene.grid, window) for b in bands], -1)
        classes, prob = peer.predict(cube, inputs)
        predicted = lut[classes]
        predicted[~np.isfinite(cube).all(-1)] = IGNORE
        reference = to_classes(scene.read_reference(window), scheme)
        confusion.update(reference, predicted)
        sweep.update(reference, prob)
    record = scene_record(confusion, positive=scheme.cloud_indices, class_names=scheme.classes,
                          dataset=dataset, biome=scene.biome or "", model=peer_name,
                          method="native", scene_id=scene.scene_id)
    record.update(megapixels=scene.grid.width * scene.grid.height / 1e6, harmonize_s=0.0,
                  predict_s=time.perf_counter() - start, threshold=float("nan"))
    counts = sweep.counts.copy() if np.any(sweep.counts) else None
    return save_record(out_dir, key, stamp, SceneOutcome(record, counts))


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
    sensor = get_sensor(scene.sensor)
    return [sensor.band(c).name for c in ("red", "green", "blue")]
