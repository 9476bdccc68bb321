"""Tiled scene inference: overlapping tiles, smooth blending, bounded memory.

The scene is cut into ``tile`` × ``tile`` windows every ``tile − overlap`` pixels; each
tile's class probabilities are weighted by a taper that falls to ~0 at its edges, summed,
and divided by the summed weights, so there are no seams.  Rows are finished strip by
strip: memory holds one strip of tiles, never the scene.
"""

from __future__ import annotations

import math

import numpy as np
from rasterio.windows import Window
from tqdm.auto import tqdm

from crossmask.errors import InputError
from crossmask.products import Grid, Product

__all__ = ["fitted_tile", "model_class_names", "n_outputs", "predict_windows",
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


def prepare_tiling(cards: list, product: Product, tile: int, overlap: int):
    """Check models against the product; return (grid, tile, overlap) adapted to them."""
    _check_models(cards, product)
    grid = _common_grid(product, cards[0].bands)
    stride = max(c.stride for c in cards)
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
    compatible = {first.sensor} | ({"L9"} if first.sensor == "L8" else set())
    if product.sensor not in compatible:
        raise InputError(f"{product.path}: a {product.sensor} product cannot feed a model "
                         f"trained on {first.sensor} bands; harmonise it first "
                         f"(crossmask harmonize apply {product.path} -o out.tif)")
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

    Yields ``(window, probabilities (rows, W, C) float32, valid (rows, W) bool)``; the
    windows tile ``grid`` top to bottom.  ``tile`` must be a multiple of the models'
    stride.  Memory holds one strip of tiles.
    """
    ys = tile_origins(grid.height, tile, tile - overlap)
    xs = tile_origins(grid.width, tile, tile - overlap)
    weights = tile_weights(tile, overlap)
    n_out = n_outputs(models[0][1])
    carry = np.zeros((0, grid.width, n_out + 2), dtype=np.float32)  # probs…, weight, valid
    bar = tqdm(total=len(ys) * len(xs), desc="predict", unit="tile", disable=not progress)
    for k, y0 in enumerate(ys):
        rows = min(tile, grid.height - y0)
        strip = np.zeros((rows, grid.width, n_out + 2), dtype=np.float32)
        strip[:carry.shape[0]] = carry
        cube = _read_strip(product, models[0][1].bands, grid, y0, rows)
        for chunk in _chunks(xs, batch_size):
            x_tiles, valid = _cut_tiles(cube, chunk, tile)
            probs = _ensemble(models, x_tiles, tta)
            for i, x0 in enumerate(chunk):
                h, w = valid[i].shape
                wt = weights[:h, :w]
                strip[:h, x0:x0 + w, :n_out] += probs[i, :h, :w] * wt[..., None]
                strip[:h, x0:x0 + w, n_out] += wt
                strip[:h, x0:x0 + w, n_out + 1] = np.maximum(strip[:h, x0:x0 + w, n_out + 1],
                                                             valid[i])
            bar.update(len(chunk))
        done = (ys[k + 1] if k + 1 < len(ys) else grid.height) - y0
        finished = strip[:done]
        probs = finished[..., :n_out] / np.maximum(finished[..., n_out:n_out + 1], 1e-12)
        yield Window(0, y0, grid.width, done), probs, finished[..., n_out + 1] > 0
        carry = strip[done:]
    bar.close()


def _read_strip(product, bands, grid: Grid, y0: int, rows: int) -> np.ndarray:
    """Rows ``y0 … y0+rows`` of every band, full width: (rows, W, bands) float32.

    One read per band and strip (not per tile) keeps the decoding of each file block to
    about once, however much the tiles overlap.
    """
    window = Window(0, y0, grid.width, rows)
    cube = np.empty((rows, grid.width, len(bands)), dtype=np.float32)
    for i, band in enumerate(bands):
        cube[..., i] = product.read(band, window)
    return cube


def _cut_tiles(cube: np.ndarray, xs: list[int], tile: int):
    """Tiles starting at columns ``xs`` of a strip, NaN → 0, mirrored up to ``tile``.

    Returns the (n, tile, tile, bands) batch and each tile's valid-pixel mask (its
    unpadded size).
    """
    batch, valid = [], []
    for x0 in xs:
        part = cube[:, x0:x0 + tile]
        ok = ~np.isnan(part).any(axis=-1)
        pad = ((0, tile - part.shape[0]), (0, tile - part.shape[1]), (0, 0))
        batch.append(np.pad(np.nan_to_num(part, nan=0.0), pad, mode="symmetric"))
        valid.append(ok)
    return np.stack(batch), valid


def _ensemble(models, x: np.ndarray, tta: bool) -> np.ndarray:
    total = None
    for model, card in models:
        inputs = card.normalize(x)
        probs = _tta(model, inputs) if tta else model.predict_on_batch(inputs)
        probs = np.asarray(probs, dtype=np.float32)
        total = probs if total is None else total + probs
    return total / len(models)


def _tta(model, x: np.ndarray) -> np.ndarray:
    """Mean prediction over the 8 dihedral transforms (inverted back)."""
    out = 0.0
    for flip in (False, True):
        xf = x[:, :, ::-1] if flip else x
        for k in range(4):
            pred = np.asarray(model.predict_on_batch(np.rot90(xf, k, axes=(1, 2)).copy()))
            pred = np.rot90(pred, -k, axes=(1, 2))
            out = out + (pred[:, :, ::-1] if flip else pred)
    return out / 8.0


def n_outputs(card) -> int:
    return 1 if card.output == "sigmoid" else len(card.class_names)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), max(1, size))]


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)
