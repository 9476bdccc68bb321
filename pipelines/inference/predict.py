"""Predict the cloud mask of a whole product and write it as a Cloud-Optimised GeoTIFF."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.classes import get_scheme
from crossmask.pipelines.inference.maskio import MASK_NODATA, mask_writer
from crossmask.pipelines.inference.tiling import (
    model_class_names,
    n_outputs,
    predict_windows,
    prepare_tiling,
)
from crossmask.products import Product

__all__ = ["Prediction", "predict_product"]


@dataclass
class Prediction:
    """Result of :func:`predict_product`."""

    mask: Path
    probability: Path | None
    cloud_fraction: float
    valid_pixels: int
    seconds: float


def predict_product(models: list, product: Product, output: str | Path,
                    probability_output: str | Path | None = None, tile: int = 512,
                    overlap: int = 64, batch_size: int = 4, threshold: float | None = None,
                    tta: bool = False, overwrite: bool = False,
                    progress: bool = True) -> Prediction:
    """Predict a cloud mask of ``product`` with one model or an ensemble.

    Parameters
    ----------
    models : list of (keras.Model, ModelCard)
        Models sharing class scheme and output type; probabilities are averaged.
    threshold : float, optional
        Cloud-probability cut for sigmoid (binary) models; default: the card's.
    tta : bool
        Average the 8 flips / quarter turns of every tile.

    Raises
    ------
    InputError, MissingBandError
        Before anything is written.
    """
    start = time.perf_counter()
    cards = [card for _, card in models]
    grid, tile, overlap = prepare_tiling(cards, product, tile, overlap)
    threshold = cards[0].threshold if threshold is None else threshold
    names = model_class_names(cards[0])
    cloud_ids = [i for i, n in enumerate(names) if "cloud" in n]
    colormap = get_scheme(cards[0].class_scheme).colormap()
    counts = np.zeros(2, dtype=np.int64)  # valid, cloud
    with contextlib.ExitStack() as stack:
        dst = stack.enter_context(mask_writer(output, grid, names, colormap,
                                              overwrite=overwrite))
        prob_dst = (stack.enter_context(mask_writer(
            probability_output, grid, names, colormap, count=n_outputs(cards[0]),
            dtype="float32", overwrite=overwrite, description="probability"))
            if probability_output else None)
        for window, probs, valid in predict_windows(models, product, grid, tile, overlap, batch_size,
                                            tta, progress):
            classes = _classes(probs, threshold, cards[0].output)
            classes[~valid] = MASK_NODATA
            dst.write(classes, 1, window=window)
            if prob_dst is not None:
                prob_dst.write(np.where(valid, np.moveaxis(probs, -1, 0), np.nan)
                               .astype(np.float32), window=window)
            counts += [valid.sum(), np.isin(classes, cloud_ids).sum()]
    fraction = float(counts[1] / counts[0]) if counts[0] else float("nan")
    return Prediction(Path(output), Path(probability_output) if probability_output else None,
                      fraction, int(counts[0]), time.perf_counter() - start)


def _classes(probs: np.ndarray, threshold: float, output: str) -> np.ndarray:
    if output == "sigmoid":
        return (probs[..., 0] >= threshold).astype(np.uint8)
    return np.argmax(probs, axis=-1).astype(np.uint8)
