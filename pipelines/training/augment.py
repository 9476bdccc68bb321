"""Training augmentations that matter for transfer to other sensors, as ``tf.data`` maps.

Each augmentation is a named option (``crossmask train --augment flip,gain,…``) whose
parameters (:data:`PARAMETERS`) are recorded in the model card.  They act on one patch of
TOA reflectance ``x`` (size, size, bands) and its classes ``y`` (size, size; 255 = ignore),
before normalisation, in the physical order haze → gain → saturation → flip (atmosphere,
then the sensor's calibration, then its clipping, then geometry).  Fill pixels (``y`` 255)
keep ``x = 0``.  Every draw is a stateless function of the patch's draw number and the
seed, so a run is deterministic per seed.

* ``flip`` — one of the 8 dihedral transforms (quarter turns × left-right flip) of ``x``
  and ``y`` together.
* ``gain`` — brightness and per-band gain jitter: ``x · b · g_band`` with one ``b`` per
  patch from U(0.9, 1.1) and one ``g`` per band from U(0.95, 1.05): calibration
  differences between sensors and the residual of an imperfect band adjustment.  ``y``
  unchanged.
* ``saturation`` — simulated band saturation.  Landsat-7 ETM+ and Landsat-5 TM quantise
  radiance to 8 bits with gains chosen for land, so over bright cloud and snow the visible
  bands clip: the TOA reflectance at which they saturate depends on the gain state and the
  sun elevation and lies well below the ~1.0–1.5 that cloud tops reach in Landsat-8's
  12-bit data.  For a fraction (0.5) of patches, the visible bands present (L8 B2, B3,
  B4) are clipped at one level per patch from U(0.3, 0.6) TOA reflectance; the other bands
  are untouched (the near- and shortwave-infrared bands saturate far less often).  ``y``
  unchanged: a clipped cloud is still a cloud.
* ``haze`` — a thin, spectrally flat, non-absorbing scattering layer over the patch, for a
  fraction (0.5) of patches.  Its reflectance ``R`` is a smooth field (bicubic
  interpolation of a 4 × 4 grid of uniform draws, rescaled to 0–1) times a peak from
  U(0.1, 0.3).  Over a Lambertian surface of reflectance ``x`` the adding formula of a
  conservative layer (transmittance ``T = 1 − R``) gives
  ``x' = R + T² · x / (1 − R · x)``, the same in every band.  **Label rule**: where the
  layer itself reflects at least 0.2 (``relabel_above``), clear and shadow pixels become
  thin cloud (``cloud`` in the binary and three-class schemes); below it the haze is left
  as the surface class; cloud and fill pixels never change.  The 0.2 threshold is this
  augmentation's convention for where haze becomes a visible thin cloud, not a measured
  annotator boundary; angular effects, absorption and spectral dependence of real thin
  cloud are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crossmask.classes import IGNORE, get_scheme
from crossmask.errors import InputError

__all__ = ["AUGMENTATIONS", "DEFAULT_AUGMENTATIONS", "PARAMETERS", "VISIBLE_BANDS",
           "augmentation_record", "augmenter", "check_augmentations"]

#: Visible Landsat-8 bands that ``saturation`` clips.
VISIBLE_BANDS = ("B2", "B3", "B4")
#: Each augmentation's parameters (recorded in the model card).
PARAMETERS: dict[str, dict] = {
    "flip": {"transforms": "8 dihedral: quarter turns x left-right flip, x and y together"},
    "gain": {"brightness": [0.9, 1.1], "band_gain": [0.95, 1.05]},
    "saturation": {"fraction": 0.5, "level": [0.3, 0.6], "bands": list(VISIBLE_BANDS)},
    "haze": {"fraction": 0.5, "peak": [0.1, 0.3], "grid": 4, "relabel_above": 0.2,
             "model": "x' = R + (1 - R)^2 x / (1 - R x), R smooth and spectrally flat"},
}
#: The augmentations in the order they are applied.
AUGMENTATIONS = ("haze", "gain", "saturation", "flip")
#: What ``augment=True`` (and ``crossmask train`` without ``--augment``) means.
DEFAULT_AUGMENTATIONS = ("flip",)


def check_augmentations(names: bool | str | Iterable[str] | None) -> tuple[str, ...]:
    """Augmentation names in application order: True → :data:`DEFAULT_AUGMENTATIONS`,
    False/None/``"none"`` → none, a comma-separated string or a list of names.

    Raises InputError naming the valid augmentations for an unknown name.
    """
    if names is True:
        return DEFAULT_AUGMENTATIONS
    if not names or names == "none":
        return ()
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    names = [str(n).strip().lower() for n in names if str(n).strip().lower() != "none"]
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise InputError(f"unknown augmentation {', '.join(unknown)}; valid: "
                         f"{', '.join(AUGMENTATIONS)} (or none)")
    return tuple(n for n in AUGMENTATIONS if n in names)


def augmentation_record(names: Iterable[str]) -> dict:
    """``{name: parameters}`` of some augmentations, for the model card."""
    return {name: PARAMETERS[name] for name in check_augmentations(list(names))}


def augmenter(names: Iterable[str], bands: Sequence[str], scheme: str, seed: int = 0):
    """A function ``(x, y, draw) → (x, y)`` applying ``names`` to one patch (``x``
    reflectance of ``bands``; ``y`` classes of ``scheme``; ``draw`` an int64 per patch)."""
    import tensorflow as tf

    names = check_augmentations(list(names))
    scheme_ = get_scheme(scheme)
    visible = tf.constant([b in VISIBLE_BANDS for b in bands])
    thin = scheme_.index_of("thin")
    protected = tf.constant([IGNORE, *scheme_.cloud_indices], tf.uint8)

    def apply(x, y, draw):
        base = tf.stack([tf.cast(draw, tf.int64), tf.constant(seed, tf.int64)])
        valid = tf.not_equal(y, IGNORE)[..., None]
        raw = x
        for k, name in enumerate(names):
            key = tf.random.experimental.stateless_fold_in(base, k + 1)
            if name == "haze":
                x, y = _haze(tf, x, y, key, thin, protected)
            elif name == "gain":
                x = _gain(tf, x, key)
            elif name == "saturation":
                x = _saturation(tf, x, key, visible)
        x = tf.where(valid, x, raw)
        if "flip" in names:
            x, y = _dihedral(tf, x, y, draw, seed)
        return x, y

    return apply


def _uniform(tf, shape, key, low: float, high: float):
    return tf.random.stateless_uniform(shape, seed=key, minval=low, maxval=high)


def _gain(tf, x, key):
    p = PARAMETERS["gain"]
    brightness = _uniform(tf, [], tf.random.experimental.stateless_fold_in(key, 0),
                          *p["brightness"])
    gain = _uniform(tf, tf.shape(x)[-1:], tf.random.experimental.stateless_fold_in(key, 1),
                    *p["band_gain"])
    return x * brightness * gain


def _saturation(tf, x, key, visible):
    p = PARAMETERS["saturation"]
    draws = _uniform(tf, [2], key, 0.0, 1.0)
    level = p["level"][0] + draws[1] * (p["level"][1] - p["level"][0])
    clip = tf.logical_and(visible, draws[0] < p["fraction"])
    return tf.where(clip, tf.minimum(x, level), x)


def haze_layer(tf, shape, key):
    """The haze reflectance field ``R`` (h, w, 1) of one patch (zeros when not drawn)."""
    p = PARAMETERS["haze"]
    draws = _uniform(tf, [2], tf.random.experimental.stateless_fold_in(key, 0), 0.0, 1.0)
    grid = _uniform(tf, [1, p["grid"], p["grid"], 1],
                    tf.random.experimental.stateless_fold_in(key, 1), 0.0, 1.0)
    field = tf.image.resize(grid, shape, method="bicubic")[0]
    low, high = tf.reduce_min(field), tf.reduce_max(field)
    field = (field - low) / tf.maximum(high - low, 1e-6)
    peak = p["peak"][0] + draws[1] * (p["peak"][1] - p["peak"][0])
    return field * peak * tf.cast(draws[0] < p["fraction"], tf.float32)


def _haze(tf, x, y, key, thin: int, protected):
    r = haze_layer(tf, tf.shape(x)[:2], key)
    x = r + (1.0 - r) ** 2 * x / (1.0 - tf.minimum(r * x, 0.95))
    relabel = tf.logical_and(r[..., 0] >= PARAMETERS["haze"]["relabel_above"],
                             tf.reduce_all(tf.not_equal(y[..., None], protected), axis=-1))
    return x, tf.where(relabel, tf.cast(thin, y.dtype), y)


def _dihedral(tf, x, y, draw, seed: int):
    """The same random quarter turn (0–3) and optional left-right flip of ``x`` and ``y``."""
    pick = tf.random.stateless_uniform([], seed=tf.stack([draw, tf.constant(seed, tf.int64)]),
                                       minval=0, maxval=8, dtype=tf.int32)
    x, y = tf.image.rot90(x, pick % 4), tf.image.rot90(y[..., None], pick % 4)[..., 0]
    flip = tf.equal(pick // 4, 1)
    return (tf.cond(flip, lambda: tf.reverse(x, [1]), lambda: x),
            tf.cond(flip, lambda: tf.reverse(y, [1]), lambda: y))
