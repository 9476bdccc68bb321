"""Predict the cloud mask of an in-memory reflectance cube without writing files: the same
tiled, blended code as ``crossmask predict``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from crossmask.classes import IGNORE
from crossmask.models.runtime import as_runner, load_runner
from crossmask.pipelines.inference.predict import check_threshold, mask_classes
from crossmask.pipelines.inference.tiling import (
    model_class_names,
    n_outputs,
    predict_windows,
    prepare_tiling,
)
from crossmask.products import array_product

__all__ = ["ArrayPrediction", "predict_array"]


@dataclass
class ArrayPrediction:
    """Class per pixel (uint8 into ``class_names``, 255 where the input is fill) and the
    blended class probabilities (rows, cols, outputs; NaN at fill)."""

    classes: np.ndarray
    probabilities: np.ndarray
    class_names: list[str]


def predict_array(model, cube: np.ndarray, bands: Sequence[str], tile: int = 512,
                  overlap: int | None = None, batch_size: int = 4, threshold: float | None = None,
                  tta: bool = False, sensor: str | None = None) -> ArrayPrediction:
    """Cloud mask of a reflectance cube.

    Parameters
    ----------
    model : path, Runner, (keras.Model, ModelCard) or a list of them
        A model folder (``model.keras`` + ``model.json``, run by Keras), a loaded model
        (:func:`crossmask.models.runtime.load_runner` for other runtimes), or an ensemble.
    cube : numpy.ndarray
        (rows, cols, bands) TOA reflectance 0–1 (NaN / ±inf fill) in the model's sensor
        (harmonise other sensors first with :func:`crossmask.harmonize_array`).
    bands : sequence of str
        Name of each layer; must include the model's bands.
    tile, overlap, batch_size, threshold, tta
        As ``crossmask predict`` (px, px, tiles, cloud probability, 8-fold flips).
    sensor : str, optional
        Sensor of the cube (default: the model's).
    """
    members = model if isinstance(model, list) else [model]
    models = [load_runner(m) if isinstance(m, (str, os.PathLike)) else as_runner(m)
              for m in members]
    cards = [m.card for m in models]
    product = array_product(cube, list(bands), sensor or cards[0].sensor)
    grid, tile, overlap = prepare_tiling(cards, product, tile, overlap, batch_size)
    threshold = cards[0].threshold if threshold is None else threshold
    check_threshold(threshold)
    classes = np.full(grid.shape, IGNORE, np.uint8)
    probabilities = np.full((*grid.shape, n_outputs(cards[0])), np.nan, np.float32)
    for window, probs, valid in predict_windows(models, product, grid, tile, overlap,
                                                batch_size, tta):
        rows, cols = window.toslices()
        classes[rows, cols] = np.where(valid, mask_classes(probs, threshold, cards[0].output),
                                       IGNORE)
        probabilities[rows, cols] = np.where(valid[..., None], probs, np.nan)
    return ArrayPrediction(classes, probabilities, model_class_names(cards[0]))
