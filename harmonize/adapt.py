"""Fit the ``learned`` adjustment: unpaired adversarial domain adaptation on unlabelled images.

The generator (:mod:`crossmask.harmonize.learned`) refines the ``ols`` result of source
images (e.g. Sentinel-2) so that they look like target images (Landsat-8) to a small patch
discriminator, after Mateo-García et al. (2021, "Cross-sensor adversarial domain
adaptation of Landsat-8 and Proba-V images for cloud detection", IEEE JSTARS 14, 747–761;
IPL-UV's ``pvl8dagans``), with one generator instead of a cycle.  Its loss is

* **adversarial** — least squares (LSGAN): ``mean((D(G(x)) − 1)²)``; the discriminator
  minimises ``½ mean((D(y) − 1)²) + ½ mean(D(G(x))²)`` over target patches ``y``;
* **identity** — ``identity_weight × mean |G(x) − x|`` over valid pixels and bands,
  ``x`` the ``ols`` patch (reflectance 0–1);
* **consistency** — ``consistency_weight ×`` the binary cross-entropy between the frozen
  cloud model's probability on ``G(x)`` and its decision on ``x``, over the pixels where
  that decision is confident (probability below ``confident[0]`` or above
  ``confident[1]``), so the generator can neither invent nor erase clouds.

No label is read: images are read band by band (``Product.read``), never with
``read_reference``.  Training patches (``patch`` × ``patch`` px at 30 m,
``patches_per_image`` per image) are drawn from seeded positions (images up to
:data:`WHOLE_IMAGE_PIXELS` are read in one window and cut, larger ones read one patch
window at a time); windows with less than ``min_valid`` valid pixels are drawn again.  Georeferenced
images are resampled to 30 m on their own grid; unreferenced ones (e.g. plain GeoTIFF
patches) are read at their pixel size, taken as 30 m.

**Determinism.**  Keras' seeds (:func:`keras.utils.set_random_seed`) and the patch
positions come from ``seed``; the same images, settings and seed give the same weights on
a CPU.  When TensorFlow sees a GPU, op determinism is switched on for the process
(:func:`tensorflow.config.experimental.enable_op_determinism`).  Training runs on whatever
device TensorFlow places it on (the first visible GPU, else the CPU); hide GPUs with
``CUDA_VISIBLE_DEVICES=""``.

The frozen cloud model is any object with ``bands`` (target band names it takes, in
order), ``stride`` (px) and a call mapping a ``(n, H, W, bands)`` reflectance tensor to
``(n, H, W)`` cloud probability, differentiably — e.g.
:func:`crossmask.models.runtime.frozen_cloud_model`; this package does not load models.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import InputError
from crossmask.fingerprint import digest
from crossmask.harmonize.adjustment import BandAdjustment
from crossmask.harmonize.apply import harmonize_window
from crossmask.harmonize.learned import BASE_METHOD, LEARNED, LearnedGenerator, build_generator
from crossmask.harmonize.resample import grid_from_product, resample_window
from crossmask.products import Grid, Product, array_product
from crossmask.srf import same_family

__all__ = ["AdaptSettings", "build_discriminator", "fit_learned", "npz_image", "sample_patches"]

#: Images of at most this many pixels (at 30 m) are read in one window and cut into
#: patches; larger ones are read one patch window at a time.
WHOLE_IMAGE_PIXELS = 2048 * 2048


@dataclass(frozen=True)
class AdaptSettings:
    """How the generator is trained (sizes in pixels at 30 m)."""

    epochs: int = 10
    patch: int = 64
    patches_per_image: int = 16
    batch_size: int = 8
    seed: int = 0
    width: int = 32
    depth: int = 3
    learning_rate: float = 2e-4
    identity_weight: float = 5.0
    consistency_weight: float = 1.0
    confident: tuple[float, float] = (0.1, 0.9)
    min_valid: float = 0.5

    def check(self, stride: int = 1) -> None:
        """Raise InputError for settings that cannot train."""
        if min(self.patch, self.patches_per_image, self.batch_size, self.width,
               self.depth) < 1 or self.epochs < 0:
            raise InputError(f"adaptation settings {asdict(self)}: sizes and counts must be "
                             "positive (epochs at least 0)")
        if self.patch % max(stride, 1):
            raise InputError(f"patch {self.patch} px is not a multiple of the cloud model's "
                             f"stride {stride} px")
        low, high = self.confident
        if not 0 < low <= 0.5 <= high < 1:
            raise InputError(f"confident {self.confident}: need 0 < low ≤ 0.5 ≤ high < 1")


def fit_learned(base: BandAdjustment, sources: Sequence[Product], targets: Sequence[Product],
                cloud_model: Callable, settings: AdaptSettings = AdaptSettings(),
                provenance: dict | None = None, progress: bool = False) -> BandAdjustment:
    """Train the generator on ``base``'s output of ``sources`` against ``targets``.

    Parameters
    ----------
    base : BandAdjustment
        The ``ols`` adjustment from the source sensor to the generator's bands (which must
        include every band of ``cloud_model``).
    sources, targets : sequence of Product
        Unlabelled images of the source sensor and of the target sensor's family.
    cloud_model : callable
        The frozen cloud model (see the module docstring).
    provenance : dict, optional
        More to record under ``info["training"]`` (e.g. the model folder and digest).

    Returns
    -------
    BandAdjustment
        Method ``learned``: ``base``'s band models, the trained generator and, in
        ``info["training"]``, the images (path, sensor, pixel digest), settings, device,
        seconds and the losses of every epoch.
    """
    _check_inputs(base, sources, targets, cloud_model, settings)
    start = time.perf_counter()
    device = _seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    bands = base.target_bands
    src, src_valid, src_log = sample_patches(
        sources, lambda p, g, w: _read_source(p, base, g, w), settings, rng)
    tgt, _, tgt_log = sample_patches(
        targets, lambda p, g, w: _read_target(p, bands, g, w), settings, rng)
    network, losses = _train(src, src_valid, tgt, cloud_model,
                             [bands.index(b) for b in cloud_model.bands], settings, rng,
                             progress)
    generator = LearnedGenerator.from_network(network, bands, settings.width, settings.depth)
    training = {"base": BASE_METHOD, "source_images": src_log, "target_images": tgt_log,
                **asdict(settings), "device": device, "losses": losses,
                "seconds": round(time.perf_counter() - start, 1), **(provenance or {})}
    return BandAdjustment(base.source, base.target, LEARNED, list(base.bands),
                          {**base.info, "training": training}, base.restore_saturation,
                          generator)


def _check_inputs(base, sources, targets, cloud_model, settings: AdaptSettings) -> None:
    if base.method != BASE_METHOD or base.generator is not None:
        raise InputError(f"the learned adjustment refines an {BASE_METHOD} adjustment, not "
                         f"{base.method}")
    missing = [b for b in cloud_model.bands if b not in base.target_bands]
    if missing:
        raise InputError(f"the cloud model takes {', '.join(missing)}, which the "
                         f"{base.source}→{base.target} adjustment does not produce")
    if not sources or not targets:
        raise InputError("the learned adjustment needs source images and target images")
    for product in sources:
        if product.sensor != base.source:
            raise InputError(f"{product.path}: a {product.sensor} image, not {base.source}")
    for product in targets:
        if not same_family(product.sensor, base.target):
            raise InputError(f"{product.path}: a {product.sensor} image, not of "
                             f"{base.target}'s family")
    settings.check(int(getattr(cloud_model, "stride", 1)))


def _seed(seed: int) -> str:
    """Seed Keras (Python, NumPy, TensorFlow); op determinism where a GPU is visible."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()
        return "GPU"
    return "CPU"


def sample_patches(products: Sequence[Product], read: Callable, settings: AdaptSettings,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """``settings.patches_per_image`` seeded windows of each product, read by
    ``read(product, grid, window) → (bands, rows, cols)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, list of dict)
        float32 ``(n, patch, patch, bands)`` reflectance with fill set to 0, the bool
        valid mask ``(n, patch, patch)``, and per product its path, sensor, reader,
        patch count and the SHA-256 of the pixels read.
    """
    cubes, valids, log = [], [], []
    size = settings.patch
    for product in products:
        grid = _grid(product)
        if grid.height < size or grid.width < size:
            raise InputError(f"{product.path}: {grid.width} × {grid.height} px is smaller "
                             f"than one {size} px patch; use a smaller patch")
        found, whole = [], None
        if grid.height * grid.width <= WHOLE_IMAGE_PIXELS:
            whole = np.moveaxis(read(product, grid, Window(0, 0, grid.width, grid.height)),
                                0, -1)
        for _ in range(4 * settings.patches_per_image):
            row = int(rng.integers(0, grid.height - size + 1))
            col = int(rng.integers(0, grid.width - size + 1))
            cube = (whole[row:row + size, col:col + size] if whole is not None else
                    np.moveaxis(read(product, grid, Window(col, row, size, size)), 0, -1))
            valid = np.isfinite(cube).all(-1)
            if valid.mean() >= settings.min_valid:
                found.append((np.where(valid[..., None], cube, 0).astype(np.float32), valid))
            if len(found) == settings.patches_per_image:
                break
        if not found:
            raise InputError(f"{product.path}: no {size} px window with at least "
                             f"{settings.min_valid:.0%} valid pixels")
        cubes += [c for c, _ in found]
        valids += [v for _, v in found]
        log.append({"path": str(product.path), "sensor": product.sensor,
                    "reader": type(product).__name__, "patches": len(found),
                    "pixels_sha256": digest([c for c, _ in found])})
    return np.stack(cubes), np.stack(valids), log


def _grid(product: Product) -> Grid:
    """30 m on the product's own CRS, or the bands' own grid for unreferenced images."""
    try:
        return grid_from_product(product, 30.0)
    except InputError:
        grids = {product.band_grid(b) for b in product.band_names}
        if len(grids) != 1:
            raise
        return grids.pop()


def _read_source(product: Product, base: BandAdjustment, grid: Grid,
                 window: Window) -> np.ndarray:
    if grid.crs is not None:
        return harmonize_window(product, base, grid, window)
    adjusted = base.apply({b: product.read(b, window) for b in base.source_bands})
    return np.stack([adjusted[b] for b in base.target_bands])


def _read_target(product: Product, bands: list[str], grid: Grid,
                 window: Window) -> np.ndarray:
    if grid.crs is not None:
        return np.stack([resample_window(product, b, grid, window) for b in bands])
    return np.stack([product.read(b, window) for b in bands])


def build_discriminator(n_bands: int, width: int = 32):
    """A patch discriminator: ``(batch, H, W, n_bands)`` → ``(batch, H/4, W/4, 1)`` scores
    (linear; least-squares targets 1 for target images, 0 for adapted ones)."""
    import keras

    inputs = keras.Input((None, None, n_bands))
    x = keras.layers.Conv2D(width, 4, strides=2, padding="same")(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2D(2 * width, 4, strides=2, padding="same")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    outputs = keras.layers.Conv2D(1, 3, padding="same")(x)
    return keras.Model(inputs, outputs, name="patch_discriminator")


def _train(src: np.ndarray, src_valid: np.ndarray, tgt: np.ndarray, cloud_model,
           model_channels: list[int], settings: AdaptSettings, rng: np.random.Generator,
           progress: bool):
    """The training loop; returns the generator and the mean losses of each epoch."""
    import tensorflow as tf
    from tqdm.auto import tqdm

    generator = build_generator(src.shape[-1], settings.width, settings.depth)
    critic = build_discriminator(src.shape[-1], settings.width)
    reference = _reference(src, src_valid, cloud_model, model_channels, settings)
    step = _train_step(generator, critic, cloud_model, model_channels, settings)
    batch = min(settings.batch_size, len(src))
    losses = []
    for epoch in tqdm(range(settings.epochs), desc="adapt", unit="epoch",
                      disable=None if progress else True):
        order = _epoch_order(len(src), batch, rng)
        picks = rng.integers(0, len(tgt), size=order.shape)
        sums: dict[str, float] = {}
        for rows, targets in zip(order, picks):
            parts = step(tf.constant(src[rows]), tf.constant(src_valid[rows].astype("f4")),
                         tf.constant(reference[0][rows]), tf.constant(reference[1][rows]),
                         tf.constant(tgt[targets]))
            for name, value in parts.items():
                sums[name] = sums.get(name, 0.0) + float(value)
        losses.append({"epoch": epoch + 1, **{k: round(v / len(order), 6)
                                             for k, v in sums.items()}})
    return generator, losses


def _epoch_order(n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """A shuffled pass over ``n`` patches in full batches (wrapping round): (steps, batch)."""
    steps = -(-n // batch)
    order = np.concatenate([rng.permutation(n), rng.permutation(n)])[:steps * batch]
    return order.reshape(steps, batch)


def _reference(src: np.ndarray, valid: np.ndarray, cloud_model, channels: list[int],
               settings: AdaptSettings) -> tuple[np.ndarray, np.ndarray]:
    """The frozen model's decision on the ``ols`` patches (1 cloud) and the weight of
    each pixel in the consistency term (1 where valid and confident)."""
    import tensorflow as tf

    probs = np.concatenate([
        np.asarray(cloud_model(tf.gather(tf.constant(src[i:i + 16]), channels, axis=-1)))
        for i in range(0, len(src), 16)]).astype(np.float32)
    low, high = settings.confident
    confident = valid & ((probs < low) | (probs > high))
    return (probs > 0.5).astype(np.float32), confident.astype(np.float32)


def _train_step(generator, critic, cloud_model, channels: list[int], settings: AdaptSettings):
    """One generator and one discriminator update (a compiled TensorFlow function)."""
    import keras
    import tensorflow as tf

    g_opt = keras.optimizers.Adam(settings.learning_rate, beta_1=0.5)
    d_opt = keras.optimizers.Adam(settings.learning_rate, beta_1=0.5)
    g_opt.build(generator.trainable_variables)  # variables made outside the traced step,
    d_opt.build(critic.trainable_variables)  # so it is traced once
    eps = 1e-6

    @tf.function
    def step(x, valid, decision, weight, y):
        with tf.GradientTape(persistent=True) as tape:
            fake = generator(x, training=True)
            d_real, d_fake = critic(y, training=True), critic(fake, training=True)
            d_stop = critic(tf.stop_gradient(fake), training=True)
            critic_loss = 0.5 * (tf.reduce_mean((d_real - 1.0) ** 2)
                                 + tf.reduce_mean(d_stop ** 2))
            adversarial = tf.reduce_mean((d_fake - 1.0) ** 2)
            mask = valid[..., None]
            identity = tf.reduce_sum(tf.abs(fake - x) * mask) / tf.maximum(
                tf.reduce_sum(mask) * float(x.shape[-1]), 1.0)
            prob = tf.clip_by_value(cloud_model(tf.gather(fake, channels, axis=-1)),
                                    eps, 1 - eps)
            bce = -(decision * tf.math.log(prob) + (1 - decision) * tf.math.log(1 - prob))
            n_conf = tf.maximum(tf.reduce_sum(weight), 1.0)
            consistency = tf.reduce_sum(bce * weight) / n_conf
            total = (adversarial + settings.identity_weight * identity
                     + settings.consistency_weight * consistency)
        g_vars, d_vars = generator.trainable_variables, critic.trainable_variables
        g_opt.apply_gradients(zip(tape.gradient(total, g_vars), g_vars))
        d_opt.apply_gradients(zip(tape.gradient(critic_loss, d_vars), d_vars))
        flipped = tf.reduce_sum(tf.cast((prob > 0.5) != (decision > 0.5), tf.float32)
                                * weight) / n_conf
        return {"generator": total, "adversarial": adversarial, "identity": identity,
                "consistency": consistency, "discriminator": critic_loss,
                "flipped": flipped}

    return step


def npz_image(path: str | Path, sensor: str, bands: Sequence[str] | None) -> Product:
    """The image of an ``.npz`` (array ``img``, else its only 3-D array, (rows, cols,
    bands) reflectance 0–1) as an unlabelled product of ``sensor`` with ``bands``; no
    other array (labels) is read.

    Raises
    ------
    InputError
        No band names, no single image array, or bands that do not match it.
    """
    path = Path(path)
    if not bands:
        raise InputError(f"{path}: name the bands of its image array, in order")
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = ["img"] if "img" in archive.files else [
                k for k in archive.files if archive[k].ndim == 3]
            if len(keys) != 1:
                raise InputError(f"{path}: holds no array 'img' and {len(keys)} 3-D arrays; "
                                 "cannot tell which is the image")
            cube = archive[keys[0]]
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read .npz ({err})") from err
    product = array_product(cube, list(bands), sensor)
    product.path = path
    return product
