"""Tiled scene inference: overlapping tiles, smooth blending, bounded memory.

The scene is cut into ``tile`` × ``tile`` windows every ``tile − overlap`` pixels; each
tile's class probabilities are weighted by a taper that falls to ~0 at its edges, summed,
and divided by the summed weights, so there are no seams.  Rows are finished strip by
strip: memory holds one strip of tiles, never the scene.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from rasterio.windows import Window
from tqdm.auto import tqdm

from crossmask.errors import InputError
from crossmask.models.runtime import as_runner
from crossmask.products import Grid, Product
from crossmask.srf import same_family

__all__ = ["check_tiling", "default_overlap", "fitted_tile", "model_class_names", "n_outputs", "predict_windows",
           "prepare_tiling", "tile_origins", "tile_weights"]


def tile_origins(length: int, tile: int, step: int) -> list[int]:
    """Start offsets of tiles covering ``length`` pixels, spread evenly.

    As few tiles as a spacing of at most ``step`` needs; the first starts at 0, the last
    ends at the edge, and neighbours overlap by at least ``tile − step`` pixels.
    """
    if length <= tile:
        return [0]
    n = 1 + math.ceil((length - tile) / step)
    return [int(v) for v in np.round(np.linspace(0, length - tile, n))]


def fitted_tile(lengths: tuple[int, ...], tile: int, overlap: int, stride: int) -> int:
    """The smallest tile (multiple of ``stride``) covering each axis with as many tiles as
    ``tile`` would need: for a 2048 px scene, 512 px tiles overlapping by 64 px
    shrink to 464 px (5 per axis), cutting the predicted pixels by a fifth."""
    need = []
    for length in lengths:
        if length <= tile:
            need.append(length)
            continue
        n = len(tile_origins(length, tile, tile - overlap))
        need.append(math.ceil((length - overlap) / n) + overlap)
    return min(_round_up(max(need), stride), _round_up(tile, stride))


def tile_weights(tile: int, overlap: int) -> np.ndarray:
    """2-D blending weights: 1 inside, linear ramps over ``overlap`` pixels at the edges."""
    ramp = max(overlap, 1)
    i = np.arange(tile, dtype=np.float64)
    w1 = np.clip(np.minimum(i + 1, tile - i) / ramp, 1e-3, 1.0)
    return np.outer(w1, w1).astype(np.float32)


def model_class_names(card) -> list[str]:
    """Class names of a model's mask values: sigmoid models give clear (0) and cloud (1)."""
    return ["clear", "cloud"] if card.output == "sigmoid" else list(card.class_names)


def check_tiling(tile: int, overlap: int, batch_size: int = 1, stride: int = 1) -> None:
    """Raise InputError unless ``stride ≤ tile``, ``0 ≤ overlap < tile`` and
    ``batch_size ≥ 1`` (all in pixels / tiles)."""
    if int(tile) != tile or tile < max(1, stride):
        raise InputError(f"tile {tile} px is smaller than the model stride {stride} px; use "
                         f"at least {stride} (e.g. {max(stride, 512)})")
    if int(overlap) != overlap or not 0 <= overlap < tile:
        raise InputError(f"overlap {overlap} px must be at least 0 and less than the tile "
                         f"({tile} px)")
    if int(batch_size) != batch_size or batch_size < 1:
        raise InputError(f"batch size {batch_size} must be a positive number of tiles")


def default_overlap(tile: int) -> int:
    """The overlap when none is given: 64 px, at most half the tile."""
    return min(64, int(tile) // 2)


def prepare_tiling(cards: list, product: Product, tile: int, overlap: int | None,
                   batch_size: int = 1):
    """Check models and tiling against the product; return (grid, tile, overlap) adapted
    to them (tiles a multiple of the stride, shrunk to fit, overlap at most half a tile;
    ``overlap=None``: :func:`default_overlap`)."""
    _check_models(cards, product)
    stride = max(c.stride for c in cards)
    overlap = default_overlap(tile) if overlap is None else overlap
    check_tiling(tile, overlap, batch_size, stride)
    grid = _common_grid(product, cards[0].bands)
    overlap = min(overlap, _round_up(tile, stride) // 2)
    tile = fitted_tile(grid.shape, tile, overlap, stride)
    return grid, tile, min(overlap, tile // 2)


def _check_models(cards: list, product: Product) -> None:
    if not cards:
        raise InputError("no model given")
    first = cards[0]
    for card in cards[1:]:
        if (card.class_scheme, card.output, card.class_names) != (
                first.class_scheme, first.output, first.class_names):
            raise InputError(f"ensemble members disagree: {card.name} predicts "
                             f"{card.class_scheme}/{card.output}, {first.name} "
                             f"{first.class_scheme}/{first.output}")
    if not same_family(product.sensor, first.sensor):
        raise InputError(f"{product.path}: a {product.sensor} product cannot feed a model "
                         f"trained on {first.sensor} bands; harmonise it first "
                         f"(crossmask harmonize apply {product.path} --model MODEL -o out.tif)")
    for card in cards:
        card.check_bands(product.band_names, str(product.path))


def _common_grid(product: Product, bands: list[str]) -> Grid:
    grids = {b: product.band_grid(b) for b in bands}
    first = grids[bands[0]]
    for band, grid in grids.items():
        if (grid.transform, grid.shape) != (first.transform, first.shape):
            raise InputError(f"{product.path}: band {band} is on another grid than "
                             f"{bands[0]}; resample the bands to one grid first")
    return first


def predict_windows(models: list, product: Product, grid: Grid, tile: int = 512,
                    overlap: int = 64, batch_size: int = 4, tta: bool = False,
                    progress: bool = False):
    """Blended class probabilities of ``product`` strip by strip.

    ``models`` are :class:`~crossmask.models.runtime.Runner` s (or ``(keras.Model,
    ModelCard)`` pairs); their probabilities are averaged.  Yields ``(window,
    probabilities (rows, W, C) float32, valid (rows, W) bool)``; the windows tile ``grid``
    top to bottom.  ``tile`` must be a multiple of the models' stride.  A reader thread
    prepares the next strip (read, fill → 0, normalised) while the network runs on this
    one; memory holds about two strips.  Tiles without a valid pixel (the fill around a
    Landsat scene's footprint) are not predicted: no valid pixel's blend includes them.
    """
    runners = [as_runner(m) for m in models]
    ys = tile_origins(grid.height, tile, tile - overlap)
    xs = tile_origins(grid.width, tile, tile - overlap)
    blender = _Blender(grid.width, tile, overlap, n_outputs(runners[0].card))
    bar = tqdm(total=len(ys) * len(xs), desc="predict", unit="tile",
               disable=None if progress else True)
    with ThreadPoolExecutor(1, thread_name_prefix="crossmask-read") as reader:
        pending = reader.submit(_prepare_strip, product, runners, grid, ys[0], tile)
        for k, y0 in enumerate(ys):
            inputs, valid = pending.result()
            if k + 1 < len(ys):
                pending = reader.submit(_prepare_strip, product, runners, grid, ys[k + 1], tile)
            blender.start(valid.shape[0])
            live = _live_tiles(valid, xs, tile)
            for chunk in _chunks(live, batch_size):
                probs = _ensemble(runners, inputs, chunk, tile, tta)
                for i, x0 in enumerate(chunk):
                    blender.add(probs[i], x0)
                bar.update(len(chunk))
            bar.update(len(xs) - len(live))
            done = (ys[k + 1] if k + 1 < len(ys) else grid.height) - y0
            yield Window(0, y0, grid.width, done), blender.finish(done), valid[:done]
    bar.close()


class _Blender:
    """Weighted sums of tile probabilities over one strip, the overlap carried over to the
    next strip; accumulation in place."""

    def __init__(self, width: int, tile: int, overlap: int, n_out: int):
        self.weights = tile_weights(tile, overlap)
        self.width, self.n_out = width, n_out
        self.carry = np.zeros((0, width, n_out + 1), np.float32)  # probabilities…, weight

    def start(self, rows: int) -> None:
        self.strip = np.zeros((rows, self.width, self.n_out + 1), np.float32)
        self.strip[:self.carry.shape[0]] = self.carry

    def add(self, probs: np.ndarray, x0: int) -> None:
        part = self.strip[:, x0:x0 + self.weights.shape[1]]
        h, w = part.shape[:2]
        weights = self.weights[:h, :w, None]
        part[..., :self.n_out] += probs[:h, :w] * weights
        part[..., self.n_out:] += weights

    def finish(self, done: int) -> np.ndarray:
        finished = self.strip[:done]
        self.carry = self.strip[done:]
        return finished[..., :self.n_out] / np.maximum(finished[..., self.n_out:], 1e-12)


def _prepare_strip(product, runners: list, grid: Grid, y0: int, tile: int):
    """Rows ``y0 … y0+tile`` of the model bands, full width, read once per band (not per
    tile, so each file block is decoded about once), fill (NaN, ±inf) set to 0 and
    normalised for each distinct normalisation of the runners.

    Returns ({normalisation key: (rows, W, bands) float32}, valid (rows, W) bool).
    """
    rows = min(tile, grid.height - y0)
    bands = runners[0].card.bands
    window = Window(0, y0, grid.width, rows)
    cube = np.empty((rows, grid.width, len(bands)), dtype=np.float32)
    for i, band in enumerate(bands):
        cube[..., i] = product.read(band, window)
    valid = np.isfinite(cube).all(axis=-1)
    np.nan_to_num(cube, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    inputs = {}
    for runner in runners:
        key = _norm_key(runner.card)
        if key not in inputs:
            inputs[key] = runner.card.normalize(cube)
    return inputs, valid


def _live_tiles(valid: np.ndarray, xs: list[int], tile: int) -> list[int]:
    """The tile columns of a strip that hold at least one valid pixel."""
    return [x0 for x0 in xs if valid[:, x0:x0 + tile].any()]


def _norm_key(card) -> str:
    return repr(card.normalization)


def _batch(strip: np.ndarray, xs: list[int], tile: int) -> np.ndarray:
    """Tiles starting at columns ``xs`` of a (normalised) strip as one (n, tile, tile,
    bands) batch; only a strip or scene smaller than the tile is mirrored up to it."""
    rows = strip.shape[0]
    out = np.empty((len(xs), tile, tile, strip.shape[2]), np.float32)
    for i, x0 in enumerate(xs):
        part = strip[:, x0:x0 + tile]
        if part.shape[:2] == (tile, tile):
            out[i] = part
        else:
            pad = ((0, tile - rows), (0, tile - part.shape[1]), (0, 0))
            out[i] = np.pad(part, pad, mode="symmetric")
    return out


def _ensemble(runners: list, inputs: dict, xs: list[int], tile: int,
              tta: bool) -> np.ndarray:
    total = None
    for runner in runners:
        batch = _batch(inputs[_norm_key(runner.card)], xs, tile)
        probs = _tta(runner.network, batch) if tta else runner.network(batch)
        probs = np.asarray(probs, dtype=np.float32)
        total = probs if total is None else total + probs
    return total / len(runners)


def _tta(network, x: np.ndarray) -> np.ndarray:
    """Mean prediction over the 8 dihedral transforms (inverted back)."""
    out = 0.0
    for flip in (False, True):
        xf = x[:, :, ::-1] if flip else x
        for k in range(4):
            pred = np.asarray(network(np.ascontiguousarray(np.rot90(xf, k, axes=(1, 2)))))
            pred = np.rot90(pred, -k, axes=(1, 2))
            out = out + (pred[:, :, ::-1] if flip else pred)
    return out / 8.0


def n_outputs(card) -> int:
    return 1 if card.output == "sigmoid" else len(card.class_names)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), max(1, size))]


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)
