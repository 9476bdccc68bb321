"""Score one scene: with a model and a harmonisation method, or with a peer detector.

The scene is harmonised to the model's sensor window by window
(:class:`~crossmask.harmonize.HarmonizedProduct`), predicted with the tiled blender
(:func:`~crossmask.pipelines.inference.tiling.predict_windows`) and scored against the
reference with accumulating confusion matrices and threshold sweeps — one window at a
time.  Which scenes to score, and where, is :mod:`~crossmask.pipelines.evaluation.plan`'s
business.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from rasterio.windows import Window

from crossmask import __version__
from crossmask.classes import IGNORE, ClassScheme, is_cloud, to_classes
from crossmask.errors import InputError, UnknownNameError
from crossmask.fingerprint import digest
from crossmask.harmonize import (
    SATURATION_SETTINGS,
    HarmonizedProduct,
    applicable_methods,
    build_adjustment,
    method_labels,
    parse_method_label,
    resample_window,
)
from crossmask.models.runtime import as_runner
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.evaluation.metrics import (
    ConfusionAccumulator,
    ThresholdAccumulator,
    scene_record,
)
from crossmask.pipelines.evaluation.peers import PEERS, peer_bands
from crossmask.pipelines.evaluation.records import SceneOutcome
from crossmask.pipelines.inference.tiling import model_class_names, predict_windows, prepare_tiling
from crossmask.products import LabelledScene
from crossmask.srf import get_sensor, same_family

__all__ = ["class_map", "evaluate_peer", "evaluate_scene", "methods_for", "peer_inputs",
           "peer_stamp", "scene_adjustment"]


def evaluate_scene(scene: LabelledScene, model, method: str, scheme: ClassScheme,
                   config: EvaluationConfig, adjustment, dataset: str, model_name: str,
                   keep_quicklook: bool = False, progress: bool = False) -> SceneOutcome:
    """Harmonise (with ``adjustment``, see :func:`scene_adjustment`), predict and score one
    scene with one model (a :class:`~crossmask.models.runtime.Runner` or a
    ``(keras.Model, ModelCard)`` pair)."""
    card = as_runner(model).card
    start = time.perf_counter()
    product = HarmonizedProduct(scene, adjustment, scene.grid)
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


def scene_adjustment(scene, card, method: str, cache: dict, fitted: dict | None = None):
    """The adjustment a method label of :func:`methods_for` stands for, from the scene's
    sensor and bands to the model's (``"ols (no saturation fix)"``: ``ols`` without
    saturation restoration); fitted once per sensor, label and band sets (``cache``).
    A method of ``fitted`` (:meth:`EvaluationConfig.fitted`) takes its file for the
    scene's sensor, restricted to the model's bands."""
    key = (scene.sensor, method, tuple(card.bands), tuple(scene.band_names))
    if key not in cache:
        name, restore = parse_method_label(method)
        if name in (fitted or {}):
            adjustment = fitted[name][get_sensor(scene.sensor).key].select(card.bands)
            cache[key] = adjustment if restore is None else dataclasses.replace(
                adjustment, restore_saturation=restore)
        else:
            cache[key] = build_adjustment(scene.sensor, card.sensor, name,
                                          target_bands=card.bands,
                                          available=scene.band_names,
                                          restore_saturation=restore)
    return cache[key]


def methods_for(methods: list[str], data_sensor: str, model_sensor: str,
                saturation=SATURATION_SETTINGS, fitted: dict | None = None) -> list[str]:
    """The method labels to score: data of the model's own sensor family need no band
    adjustment (scored with 'none' only); ``saturation`` settings ("on", "off") add a
    "<method> (no saturation fix)" twin where restoration is on by default (TM/ETM+
    data; :func:`crossmask.harmonize.method_labels`).  A method of ``fitted`` ({method:
    {source sensor: adjustment}}) is scored where it has a file from the data's sensor to
    the model's sensor family."""
    if same_family(data_sensor, model_sensor):
        chosen = ["none"]
    else:
        possible = applicable_methods(data_sensor, model_sensor)
        source = get_sensor(data_sensor).key
        possible += [m for m, files in (fitted or {}).items() if source in files
                     and same_family(files[source].target, model_sensor)]
        chosen = [m for m in methods if m in possible]
    return method_labels(chosen, list(saturation), data_sensor)


def peer_inputs(scene, peer_name: str) -> tuple[list[str] | None, list[str], str]:
    """The scene bands a peer takes and its names for them, or None and why it cannot
    run (not installed, another sensor family, bands missing)."""
    peer = PEERS[peer_name]
    if not peer.available():
        return None, [], f"{peer.package} is not installed (pip install {peer.name})"
    return peer_bands(peer, scene.sensor, scene.band_names)


def peer_stamp(scene, peer_name: str, scheme: ClassScheme) -> dict:
    """Everything a peer's record depends on."""
    return {"crossmask": __version__, "peer": peer_name, "version": PEERS[peer_name].version(),
            "scene": digest(scene.identity()), "scheme": scheme.name}


def evaluate_peer(scene, peer_name: str, scheme: ClassScheme, dataset: str) -> SceneOutcome:
    """Run a peer detector on a scene's own bands and score it."""
    peer = PEERS[peer_name]
    bands, inputs, _ = peer_inputs(scene, peer_name)
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
    return SceneOutcome(record, counts)


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


#: Quicklook colour composites, in order of preference: true colour, else false colour
#: (near infrared as red) for scenes without a green band such as PROBA-V's.
_COMPOSITES = (("red", "green", "blue"), ("nir08", "red", "blue"), ("nir", "red", "blue"))


def _rgb_bands(scene) -> list[str]:
    sensor = get_sensor(scene.sensor)
    names = {b.common_name: b.name for b in sensor.bands if b.name in scene.band_names}
    for composite in _COMPOSITES:
        if all(c in names for c in composite):
            return [names[c] for c in composite]
    raise InputError(f"{scene.path}: no red, green and blue (or near-infrared) bands for "
                     "a quicklook; set quicklooks = 0 in the evaluation config")
