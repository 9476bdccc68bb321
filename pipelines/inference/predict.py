"""Predict the cloud mask of a whole product and write it as a Cloud-Optimised GeoTIFF."""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.classes import get_scheme, is_cloud
from crossmask.errors import InputError
from crossmask.models.runtime import as_runner
from crossmask.pipelines.inference.maskio import MASK_NODATA, mask_writer
from crossmask.pipelines.inference.tiling import (
    model_class_names,
    n_outputs,
    predict_windows,
    prepare_tiling,
)
from crossmask.products import Product

__all__ = ["Prediction", "check_threshold", "mask_classes", "predict_product"]


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
                    overlap: int | None = None, batch_size: int = 4, threshold: float | None = None,
                    tta: bool = False, overwrite: bool = False,
                    progress: bool = True, tags: dict | None = None) -> Prediction:
    """Predict a cloud mask of ``product`` with one model or an ensemble.

    Parameters
    ----------
    models : list of Runner or (keras.Model, ModelCard)
        Models sharing class scheme and output type, on any runtime
        (:func:`crossmask.models.runtime.load_runner`); probabilities are averaged.
    threshold : float, optional
        Cloud-probability cut for sigmoid (binary) models; default: the card's.
    tile, overlap, batch_size : int
        Tile edge and overlap in px (overlap default: 64 px, at most half the tile), tiles
        per network call.
    tta : bool
        Average the 8 flips / quarter turns of every tile.
    tags : dict, optional
        Extra dataset metadata for the mask (and probability) file.

    Raises
    ------
    InputError, MissingBandError
        Bad tiling, threshold, bands or sensor: before anything is written.  An input
        without a single valid pixel (all NaN, infinite or nodata) is refused too, and
        leaves no output behind.
    """
    start = time.perf_counter()
    models = [as_runner(m) for m in models]
    cards = [m.card for m in models]
    grid, tile, overlap = prepare_tiling(cards, product, tile, overlap, batch_size)
    threshold = cards[0].threshold if threshold is None else threshold
    check_threshold(threshold)
    names = model_class_names(cards[0])
    cloud_ids = [i for i, n in enumerate(names) if is_cloud(n)]
    colormap = get_scheme(cards[0].class_scheme).colormap()
    counts = np.zeros(2, dtype=np.int64)  # valid, cloud
    with contextlib.ExitStack() as stack:
        dst, prob_dst = _open_outputs(stack, output, probability_output, grid, names,
                                      colormap, n_outputs(cards[0]), overwrite, tags)
        writer = _WriteBehind(stack)
        for window, probs, valid in predict_windows(models, product, grid, tile, overlap,
                                                    batch_size, tta, progress):
            classes = mask_classes(probs, threshold, cards[0].output)
            classes[~valid] = MASK_NODATA
            writer.submit(dst, classes[None], window)
            if prob_dst is not None:
                writer.submit(prob_dst, np.where(valid, np.moveaxis(probs, -1, 0), np.nan)
                              .astype(np.float32), window)
            counts += [valid.sum(), np.isin(classes, cloud_ids).sum()]
        writer.wait()
        if not counts[0]:
            raise InputError(f"{product.path}: no valid pixel in bands "
                             f"{', '.join(cards[0].bands)} (all fill, NaN or infinite); "
                             "nothing to predict, no mask written")
    fraction = float(counts[1] / counts[0])
    return Prediction(Path(output), Path(probability_output) if probability_output else None,
                      fraction, int(counts[0]), time.perf_counter() - start)


def _open_outputs(stack: contextlib.ExitStack, output, probability_output, grid, names: list,
                  colormap: dict, n_out: int, overwrite: bool, tags: dict | None):
    """The mask writer and, when asked for, the probability writer (else None)."""
    dst = stack.enter_context(mask_writer(output, grid, names, colormap, overwrite=overwrite,
                                          tags=tags))
    if not probability_output:
        return dst, None
    return dst, stack.enter_context(mask_writer(
        probability_output, grid, names, colormap, count=n_out, dtype="float32",
        overwrite=overwrite, description="probability", tags=tags))


class _WriteBehind:
    """Write finished strips from a thread while the next strip is predicted; at most one
    write waits, so memory stays bounded, and a failed write is raised at the next call."""

    def __init__(self, stack: contextlib.ExitStack):
        self.pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="crossmask-write"))
        self.pending: list = []

    def submit(self, dataset, array: np.ndarray, window) -> None:
        self.wait()
        self.pending.append(self.pool.submit(dataset.write, array, window=window))

    def wait(self) -> None:
        for future in self.pending:
            future.result()
        self.pending.clear()


def check_threshold(threshold: float) -> None:
    """Raise InputError unless 0 < ``threshold`` < 1 (a cloud probability)."""
    if not 0.0 < float(threshold) < 1.0:
        raise InputError(f"threshold {threshold} must lie between 0 and 1 (exclusive): it "
                         "is the cloud probability above which a pixel is cloud")


def mask_classes(probs: np.ndarray, threshold: float, output: str) -> np.ndarray:
    """Class per pixel of blended probabilities: sigmoid ≥ threshold, else argmax."""
    if output == "sigmoid":
        return (probs[..., 0] >= threshold).astype(np.uint8)
    return np.argmax(probs, axis=-1).astype(np.uint8)
