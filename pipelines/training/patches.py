"""Training patches from labelled scenes of any source: sharded ``.npz`` files and a
``tf.data`` pipeline.

:func:`extract_patches` reads each scene strip by strip (one full-width window of patch
height at a time, :func:`read_xy`), drops patches with more than ``max_fill`` fill and
writes one scene's patches to ``<SCENEID>_0000.npz``, ``_0001`` … (``x`` float32
(n, size, size, bands) TOA reflectance with 0 at fill, ``y`` uint8 (n, size, size) classes
with 255 = ignore at fill, ``row``/``col`` the window offsets), then ``index.json``: bands,
scheme, size, shards, patches per scene and per-band mean/std over the training scenes
(merged per scene, Chan et al.'s parallel variance), the source (path, kind, label codes)
and how each scene was harmonised.  Scenes of another sensor than Landsat-8 are read
through :func:`~crossmask.pipelines.training.sources.harmonized_view` — the band
adjustment and resampling of ``crossmask harmonize`` and ``crossmask evaluate`` — so ``x``
is always Landsat-8-equivalent reflectance.  :func:`extract_scene` handles one scene on
its own, so it can be mapped over a cluster.  :func:`make_dataset` streams the shards of
some scenes as a ``tf.data.Dataset`` (with the augmentations of
:mod:`~crossmask.pipelines.training.augment`); TensorFlow is imported only there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.atomic import atomic_output, check_output_path
from crossmask.classes import IGNORE, get_scheme, to_classes
from crossmask.errors import InputError, ProductFormatError
from crossmask.pipelines.training.augment import augmenter, check_augmentations
from crossmask.pipelines.training.sources import TARGET_SENSOR, harmonized_view
from crossmask.products import LabelledScene, Product

__all__ = ["DEFAULT_BANDS", "INDEX_NAME", "band_stats", "extract_patches", "extract_scene",
           "load_index", "make_dataset", "patch_offsets", "read_xy", "select_bands"]

#: L8 bands Sentinel-2 can supply after harmonisation: B1–B7 and B9 (no pan, no thermal).
DEFAULT_BANDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B9")
INDEX_NAME = "index.json"
_FORMAT, _VERSION = "crossmask-patches", 1


def patch_offsets(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of patches along one axis; the last patch is flush with the edge."""
    if size <= 0 or stride <= 0:
        raise InputError(f"patch size {size} and stride {stride} must be positive")
    if length < size:
        return []
    starts = list(range(0, length - size + 1, stride))
    return starts if starts[-1] == length - size else [*starts, length - size]


def read_xy(scene: LabelledScene, window: Window, bands: Sequence[str] = DEFAULT_BANDS,
            scheme: str = "binary", product: Product | None = None,
            ) -> tuple[np.ndarray, np.ndarray]:
    """One window of a scene as ``x`` (h, w, bands) float32 and ``y`` (h, w) uint8 classes;
    ``x`` is read from ``product`` (e.g. the scene harmonised to Landsat-8) when given.

    Pixels that are fill in the mask or NaN in any band get ``y = 255`` (ignore), ``x = 0``.
    """
    source = scene if product is None else product
    x = np.stack([source.read(band, window) for band in bands], axis=-1)
    y = to_classes(scene.read_reference(window), scheme)
    invalid = ~np.isfinite(x).all(axis=-1)
    y[invalid] = IGNORE
    x[invalid] = 0.0
    return x, y


def _scene_patches(scene, product, bands, scheme, size, stride, max_fill) -> Iterator[tuple]:
    grid = scene.grid
    for row in patch_offsets(grid.height, size, stride):
        x, y = read_xy(scene, Window(0, row, grid.width, size), bands, scheme, product)
        for col in patch_offsets(grid.width, size, stride):
            yp = y[:, col:col + size]
            yield row, col, x[:, col:col + size], yp, np.mean(yp == IGNORE) <= max_fill


def _moments(values: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Count, mean and sum of squared deviations per column (float64)."""
    values = values.astype(np.float64)
    mean = values.mean(axis=0) if len(values) else np.zeros(values.shape[1])
    return len(values), mean, ((values - mean) ** 2).sum(axis=0)


def _merge(a: tuple, b: tuple) -> tuple[int, np.ndarray, np.ndarray]:
    """Chan et al.'s pairwise merge of (count, mean, M2)."""
    (na, ma, m2a), (nb, mb, m2b) = a, b
    n = na + nb
    if n == 0:
        return a
    delta = mb - ma
    return n, ma + delta * nb / n, m2a + m2b + delta ** 2 * na * nb / n


def _check_scene(scene: LabelledScene, bands: Sequence[str], product: Product | None = None
                 ) -> None:
    """Fail before hours of work: bands present and on the label grid, labels readable."""
    product = scene if product is None else product
    product.check_bands(list(bands))
    for band in bands:
        if product.band_grid(band).shape != scene.grid.shape:
            raise InputError(f"{scene.path}: band {band} is not on the grid of the labels; "
                             f"patches need bands of one grid, e.g. {', '.join(DEFAULT_BANDS)}")
    scene.read_reference(Window(0, 0, 1, 1))


def extract_scene(scene: LabelledScene, out_dir: str | os.PathLike,
                  bands: Sequence[str] = DEFAULT_BANDS, scheme: str = "binary", size: int = 256,
                  stride: int = 256, max_fill: float = 0.1, shard_size: int = 32,
                  overwrite: bool = False, compress: bool = False, method: str = "ols",
                  adjustments: dict | None = None) -> dict:
    """Write one scene's patches as shards in ``out_dir``; return its index record.
    ``compress`` deflates the shards (slower; synthetic scenes shrink to about half).
    A scene of another sensor is harmonised to Landsat-8 with ``method`` (see
    :func:`~crossmask.pipelines.training.sources.harmonized_view`; ``adjustments`` caches
    the fitted adjustments across scenes).

    The record holds ``biome``, ``sensor``, ``method`` (the harmonisation used),
    ``path``, ``patches`` (kept), ``dropped`` (over ``max_fill``), ``shards`` (file names
    with patch counts) and ``stats`` (count, mean, m2 per band over the valid pixels of the
    kept patches).
    """
    product, used = harmonized_view(scene, bands, method,
                                    {} if adjustments is None else adjustments)
    _check_scene(scene, bands, product)
    out_dir = Path(out_dir)
    buffer: list[tuple] = []
    shards: list[dict] = []
    moments = (0, np.zeros(len(bands)), np.zeros(len(bands)))
    dropped = 0

    def flush() -> None:
        name = f"{_file_stem(scene.scene_id)}_{len(shards):04d}.npz"
        rows, cols, xs, ys = zip(*buffer)
        with atomic_output(out_dir / name, overwrite) as tmp, open(tmp, "wb") as f:
            save = np.savez_compressed if compress else np.savez
            save(f, x=np.stack(xs), y=np.stack(ys), row=np.array(rows, np.int32),
                 col=np.array(cols, np.int32))
        shards.append({"file": name, "scene": scene.scene_id, "patches": len(buffer)})
        buffer.clear()

    for row, col, x, y, keep in _scene_patches(scene, product, bands, scheme, size, stride,
                                               max_fill):
        if not keep:
            dropped += 1
            continue
        buffer.append((row, col, x, y))
        moments = _merge(moments, _moments(x[y != IGNORE]))
        if len(buffer) == shard_size:
            flush()
    if buffer:
        flush()
    n, mean, m2 = moments
    return {"biome": scene.biome, "sensor": scene.sensor, "method": used,
            "path": str(scene.path), "patches": sum(s["patches"] for s in shards),
            "dropped": dropped, "shards": shards,
            "stats": {"count": int(n), "mean": mean.tolist(), "m2": m2.tolist()}}


def band_stats(index: dict, scene_ids: Iterable[str] | None = None) -> dict:
    """Per-band mean and std over the valid pixels of some scenes' patches (default all)."""
    ids = sorted(index["scenes"] if scene_ids is None else set(scene_ids))
    total = (0, np.zeros(len(index["bands"])), np.zeros(len(index["bands"])))
    for sid in ids:
        s = index["scenes"][sid]["stats"]
        total = _merge(total, (s["count"], np.array(s["mean"]), np.array(s["m2"])))
    n, mean, m2 = total
    std = np.sqrt(m2 / n) if n else np.ones_like(mean)
    return {"scenes": ids, "count": int(n), "mean": mean.tolist(),
            "std": np.where(std > 0, std, 1.0).tolist()}


def extract_patches(scenes: Sequence[LabelledScene], out_dir: str | os.PathLike,
                    bands: Sequence[str] = DEFAULT_BANDS, scheme: str = "binary",
                    size: int = 256, stride: int = 256, max_fill: float = 0.1,
                    shard_size: int = 32, train_ids: Iterable[str] | None = None,
                    overwrite: bool = False, compress: bool = False, method: str = "ols",
                    source: dict | None = None) -> Path:
    """Cut every scene into ``size`` × ``size`` patches every ``stride`` pixels (label
    grid), drop those with more than ``max_fill`` fill, write shards and ``index.json``;
    return its path.  Mean/std in the index are over ``train_ids`` (default: every scene).
    Scenes not of Landsat-8 are harmonised to it with ``method`` (scenes of the Landsat-8
    family with ``none``, as evaluation does); ``source`` (e.g.
    :meth:`~crossmask.pipelines.training.sources.TrainingSource.describe`) is recorded.

    Raises
    ------
    InputError
        No scenes, duplicate scene IDs, bad sizes, or a band not on the 30 m grid.
    MissingBandError, ProductFormatError
        A scene lacks a band file or its mask.
    OutputExistsError
        ``index.json`` exists and ``overwrite`` is false.
    """
    scenes = list(scenes)
    train_ids = _check_request(scenes, train_ids, size, stride, max_fill, shard_size)
    scheme_ = get_scheme(scheme)
    out_dir = Path(out_dir)
    index_path = check_output_path(out_dir / INDEX_NAME, overwrite)
    adjustments: dict = {}
    for scene in scenes:  # fail before hours of work, not after (fits the adjustments)
        _check_scene(scene, bands, harmonized_view(scene, bands, method, adjustments)[0])
    records = {s.scene_id: extract_scene(s, out_dir, bands, scheme, size, stride, max_fill,
                                         shard_size, overwrite, compress, method, adjustments)
               for s in scenes}
    index = {"format": _FORMAT, "version": _VERSION, "bands": list(bands),
             "scheme": scheme_.name, "classes": list(scheme_.classes), "ignore": IGNORE,
             "size": size, "stride": stride, "max_fill": max_fill,
             "sensor": TARGET_SENSOR, "source": dict(source or {}),
             "harmonization": {"method": method, "target": TARGET_SENSOR, "sensors": {
                 r["sensor"]: r["method"] for r in records.values()}},
             "scenes": records,
             "shards": [shard for r in records.values() for shard in r["shards"]]}
    index["stats"] = band_stats(index, train_ids)
    with atomic_output(index_path, overwrite) as tmp:
        tmp.write_text(json.dumps(index, indent=1) + "\n")
    return index_path


def _check_request(scenes, train_ids, size, stride, max_fill, shard_size) -> list | None:
    """Distinct scene IDs, sane sizes, ``train_ids`` among the scenes (sorted, or None)."""
    ids = [s.scene_id for s in scenes]
    if not scenes or len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise InputError(f"extract_patches needs scenes with distinct IDs, got {len(ids)} "
                         f"scenes, {len(set(ids))} distinct"
                         + (f" ({', '.join(twice)} repeated; a folder config can set e.g. "
                            "scene_id = \"{parent}_{stem}\")" if twice else ""))
    if len({_file_stem(i) for i in ids}) != len(ids):
        raise InputError("scene IDs that differ only in characters other than letters, "
                         "digits, - _ . would share shard files; give the scenes other IDs")
    if not 0.0 <= max_fill <= 1.0 or shard_size < 1 or size < 1 or stride < 1:
        raise InputError(f"max_fill {max_fill} must be in [0, 1]; shard_size {shard_size}, "
                         f"size {size} and stride {stride} must be ≥ 1")
    train_ids = None if train_ids is None else sorted(set(train_ids))
    unknown = sorted(set(train_ids or ()) - set(ids))
    if unknown or train_ids == []:
        raise InputError(f"train_ids must name some of the scenes; not among them: "
                         f"{', '.join(unknown[:5]) or '(none given)'}")
    return train_ids


def _file_stem(scene_id: str) -> str:
    """A scene ID as a file-name stem (CloudSEN12 IDs hold a slash)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(scene_id))


def load_index(patch_dir: str | os.PathLike) -> dict:
    """The ``index.json`` of a patch folder (ProductFormatError when missing or foreign)."""
    path = Path(patch_dir) / INDEX_NAME
    try:
        index = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ProductFormatError(f"{path}: cannot read the patch index ({err}); run "
                                 "extract_patches first") from err
    if not isinstance(index, dict) or index.get("format") != _FORMAT \
            or index.get("version") != _VERSION:
        raise ProductFormatError(f"{path}: not a crossmask patch index (expected format "
                                 f"{_FORMAT!r}, version {_VERSION})")
    return index


def make_dataset(patch_dir: str | os.PathLike, split_ids: Iterable[str], batch_size: int = 8,
                 shuffle: bool = True, augment: bool | str | Iterable[str] = True,
                 seed: int = 0, sample_weights: bool = False, normalize: bool = False,
                 shuffle_buffer: int = 256, drop_remainder: bool = False,
                 bands: Sequence[str] | None = None):
    """A ``tf.data.Dataset`` of ``(x, y)`` batches (``(x, y, w)`` with ``sample_weights``)
    streamed from the shards of the scenes ``split_ids``.

    ``x`` float32 (batch, size, size, bands); ``y`` uint8 (batch, size, size) with 255 where
    a loss must ignore the pixel (e.g. ``SparseCategoricalCrossentropy(ignore_class=255)``);
    ``w`` float32, 0 at those pixels, else 1.  Shards are read one at a time (interleaved by
    four) and shuffled through a ``shuffle_buffer``-patch buffer.  ``bands`` picks (and
    orders) some of the index's bands (default all).  ``augment``: augmentation names of
    :mod:`~crossmask.pipelines.training.augment` (True: ``flip``, one of the 8 flips/quarter
    turns of ``x`` and ``y`` together), applied to reflectance; ``normalize`` then
    subtracts the index's training mean and divides by its std.  Deterministic for a seed.

    Raises
    ------
    InputError
        If ``split_ids`` is empty, names scenes not in the index, or they have no patches;
        a band or augmentation is unknown.
    """
    patch_dir = Path(patch_dir)
    index = load_index(patch_dir)
    files = _shard_files(patch_dir, index, split_ids)
    picks = select_bands(index, bands, patch_dir / INDEX_NAME)
    names = check_augmentations(augment)

    import tensorflow as tf  # heavy: only here

    ds = _patch_stream(tf, files, index, shuffle, seed)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if picks != list(range(len(index["bands"]))):
        ds = ds.map(lambda x, y: (tf.gather(x, picks, axis=-1), y))
    if names:
        apply = augmenter(names, [index["bands"][i] for i in picks], index["scheme"], seed)
        draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, draws)).map(
            lambda xy, draw: apply(*xy, draw), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True)
    if normalize:
        mean = tf.constant([index["stats"]["mean"][i] for i in picks], tf.float32)
        std = tf.constant([index["stats"]["std"][i] for i in picks], tf.float32)
        ds = ds.map(lambda x, y: ((x - mean) / std, y))
    if sample_weights:
        ds = ds.map(lambda x, y: (x, y, tf.cast(tf.not_equal(y, IGNORE), tf.float32)))
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    n = sum(s["patches"] for s in index["shards"] if str(patch_dir / s["file"]) in set(files))
    batches = n // batch_size if drop_remainder else -(-n // batch_size)
    return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(tf.data.AUTOTUNE)


def select_bands(index: dict, bands: Sequence[str] | None, origin="patch index") -> list[int]:
    """Positions of ``bands`` among the index's bands (all of them for None).

    Raises InputError naming the bands the patches lack.
    """
    if bands is None:
        return list(range(len(index["bands"])))
    missing = [b for b in bands if b not in index["bands"]]
    if missing or not bands or len(set(bands)) != len(bands):
        raise InputError(f"{origin}: bands {', '.join(bands) or '(none)'} must be distinct "
                         f"bands of the patches ({', '.join(index['bands'])}); missing: "
                         f"{', '.join(missing) or 'none'}")
    return [index["bands"].index(b) for b in bands]


def _shard_files(patch_dir: Path, index: dict, split_ids: Iterable[str]) -> list[str]:
    """The shard files of some scenes; InputError when none, or a scene is not indexed."""
    ids = list(dict.fromkeys(split_ids))
    if not ids:
        raise InputError(f"{patch_dir / INDEX_NAME}: no scene IDs given for the dataset")
    unknown = [sid for sid in ids if sid not in index["scenes"]]
    if unknown:
        raise InputError(f"{patch_dir / INDEX_NAME}: scenes not in the patch index: "
                         f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
    wanted = set(ids)
    files = [str(patch_dir / s["file"]) for s in index["shards"] if s["scene"] in wanted]
    if not files:
        raise InputError(f"{patch_dir / INDEX_NAME}: the {len(ids)} scenes have no patches")
    return files


def _patch_stream(tf, files: list[str], index: dict, shuffle: bool, seed: int):
    """Patches ``(x, y)`` read shard by shard (shard order shuffled), four interleaved."""
    size, n_bands = index["size"], len(index["bands"])
    signature = (tf.TensorSpec((size, size, n_bands), tf.float32),
                 tf.TensorSpec((size, size), tf.uint8))

    def shard_patches(path):
        with np.load(path.decode() if isinstance(path, bytes) else path) as shard:
            x, y = shard["x"], shard["y"]
        yield from zip(x, y)

    ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    return ds.interleave(
        lambda path: tf.data.Dataset.from_generator(shard_patches, output_signature=signature,
                                                    args=(path,)),
        cycle_length=min(4, len(files)), block_length=1,
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
