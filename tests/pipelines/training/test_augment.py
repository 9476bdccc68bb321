"""Augmentations: each changes x as documented, y only by haze's rule; deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from crossmask.classes import IGNORE
from crossmask.errors import InputError
from crossmask.pipelines.training.augment import (
    AUGMENTATIONS,
    PARAMETERS,
    augmentation_record,
    augmenter,
    check_augmentations,
    haze_layer,
)

BANDS = ["B2", "B3", "B4", "B5", "B6", "B7"]
SIZE = 24


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture
def patch():
    """Reflectance 0.05–0.9 (bright top rows: cloud), binary classes with every kind of
    pixel: clear, cloud, fill (x = 0)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.05, 0.9, (SIZE, SIZE, len(BANDS))).astype(np.float32)
    y = np.zeros((SIZE, SIZE), np.uint8)
    y[:8] = 1
    y[-3:, -3:] = IGNORE
    x[-3:, -3:] = 0.0
    return x, y


def run(tf, names, x, y, draw, scheme="binary", seed=0):
    out = augmenter(names, BANDS, scheme, seed)(tf.constant(x), tf.constant(y),
                                                 tf.constant(draw, tf.int64))
    return out[0].numpy(), out[1].numpy()


def test_names_order_and_record():
    assert check_augmentations(True) == ("flip",)
    assert check_augmentations(False) == () == check_augmentations("none")
    assert check_augmentations("flip,haze,gain") == ("haze", "gain", "flip")
    assert set(AUGMENTATIONS) == set(PARAMETERS)
    assert augmentation_record(["saturation"]) == {"saturation": PARAMETERS["saturation"]}
    with pytest.raises(InputError, match="unknown augmentation blur; valid: haze"):
        check_augmentations(["blur"])


def test_gain_scales_each_band_by_one_factor(tf, patch):
    x, y = patch
    for draw in range(5):
        x2, y2 = run(tf, ["gain"], x, y, draw)
        np.testing.assert_array_equal(y2, y)
        valid = y != IGNORE
        ratio = x2[valid] / x[valid]
        np.testing.assert_allclose(ratio, ratio[:1].repeat(len(ratio), 0), rtol=1e-5)
        assert 0.9 * 0.95 - 1e-6 <= ratio.min() and ratio.max() <= 1.1 * 1.05 + 1e-6
        assert (x2[~valid] == 0).all()
    assert not np.allclose(run(tf, ["gain"], x, y, 0)[0], run(tf, ["gain"], x, y, 1)[0])


def test_saturation_clips_visible_bands_of_some_patches(tf, patch):
    x, y = patch
    clipped = 0
    for draw in range(16):
        x2, y2 = run(tf, ["saturation"], x, y, draw)
        np.testing.assert_array_equal(y2, y)
        np.testing.assert_array_equal(x2[..., 3:], x[..., 3:])  # B5–B7 untouched
        if np.array_equal(x2, x):
            continue
        clipped += 1
        level = x2[..., :3].max()
        assert 0.3 <= level <= 0.6
        np.testing.assert_allclose(x2[..., :3], np.minimum(x[..., :3], level))
    assert 4 <= clipped <= 12  # about half the patches


def test_haze_blends_a_flat_layer_and_relabels_where_thick(tf, patch):
    x, y = patch
    y = y.copy()
    y[8:12] = 0  # clear rows below the cloud
    seen_relabel = seen_plain = False
    for draw in range(40):
        x2, y2 = run(tf, ["haze"], x, y, draw)
        base = tf.stack([tf.constant(draw, tf.int64), tf.constant(0, tf.int64)])
        key = tf.random.experimental.stateless_fold_in(base, 1)
        r = haze_layer(tf, tf.constant([SIZE, SIZE]), key).numpy()
        if not r.any():
            np.testing.assert_array_equal(x2, x)
            np.testing.assert_array_equal(y2, y)
            continue
        assert 0.1 <= r.max() <= 0.3 + 1e-6 and r.min() < 1e-6
        valid = y != IGNORE
        expected = r + (1 - r) ** 2 * x / (1 - r * x)
        np.testing.assert_allclose(x2[valid], expected[valid], rtol=1e-5)
        assert (x2[~valid] == 0).all() and (y2[~valid] == IGNORE).all()
        thick = r[..., 0] >= PARAMETERS["haze"]["relabel_above"]
        np.testing.assert_array_equal(y2[y == 1], 1)  # cloud stays cloud
        np.testing.assert_array_equal(y2[(y == 0) & thick], 1)  # clear under thick haze
        np.testing.assert_array_equal(y2[(y == 0) & ~thick], 0)  # clear under thin haze
        seen_relabel |= bool(((y == 0) & thick).any())
        seen_plain |= bool(((y == 0) & ~thick).any())
    assert seen_relabel and seen_plain


def test_haze_relabels_to_thin_cloud_in_the_four_class_scheme(tf, patch):
    x, _ = patch
    y = np.full((SIZE, SIZE), 3, np.uint8)  # shadow (four: 0 clear 1 thin 2 cloud 3 shadow)
    changed = [set(np.unique(run(tf, ["haze"], x, y, d, "four")[1])) for d in range(40)]
    assert {1, 3} in changed and all(c <= {1, 3} for c in changed)


def test_augmentations_are_deterministic_per_seed_and_keep_fill(tf, patch):
    x, y = patch
    names = list(AUGMENTATIONS)
    first = run(tf, names, x, y, 7)
    for a, b in zip(first, run(tf, names, x, y, 7)):
        np.testing.assert_array_equal(a, b)
    other = run(tf, names, x, y, 7, seed=1)
    assert not np.array_equal(first[0], other[0])
    # the fill corner moves with the flip but stays x = 0
    assert (first[0][first[1] == IGNORE] == 0).all() and (first[1] == IGNORE).sum() == 9
