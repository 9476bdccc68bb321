"""Tests of crossmask.models: tiny builds of every model, custom layers, registry, training."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

from crossmask.errors import InputError, UnknownNameError
from crossmask.models import (
    MODELS,
    BilinearUpsampling,
    MaxPoolingWithArgmax2D,
    MaxUnpooling2D,
    build_unmask,
    check_input_size,
    get_model,
    list_models,
    model_stride,
)
from crossmask.models.dlmask import deeplab_backbone, scaled_atrous_rates
from crossmask.models.unmask import BASE_FILTERS, unmask_backbone

NAMES = ["dlmask", "fcnmask", "snmask", "unmask"]
TINY = 0.125
BANDS = 5


def tiny(name: str, n_classes: int = 2, **kwargs) -> keras.Model:
    keras.utils.set_random_seed(0)
    return get_model(name, n_bands=BANDS, n_classes=n_classes, width=TINY, **kwargs)


def toy_problem(n: int = 8, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cloud = band 0 > 0.5, in 8×8 blobs; other bands are noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((n, size // 8, size // 8))
    blobs = np.kron(coarse, np.ones((8, 8)))
    x = rng.random((n, size, size, BANDS)) * 0.3
    x[..., 0] = blobs + rng.normal(0.0, 0.03, blobs.shape)
    return x.astype("float32"), (blobs > 0.5).astype("int32")


# ----------------------------------------------------------------------------- registry
def test_registry_names_and_strides():
    assert list_models() == NAMES == sorted(MODELS)
    assert {n: model_stride(n) for n in NAMES} == {
        "dlmask": 16, "fcnmask": 32, "snmask": 32, "unmask": 16,
    }
    assert model_stride("UNmask", depth=2) == 4
    assert get_model("UNmask", n_bands=3, n_classes=2, width=TINY, depth=1).name == "unmask"


def test_unknown_model_name_lists_valid_names():
    with pytest.raises(UnknownNameError, match="valid models: dlmask, fcnmask, snmask, unmask"):
        get_model("resnet", n_bands=4, n_classes=2)
    with pytest.raises(KeyError):
        model_stride("segformer")


@pytest.mark.parametrize("name", NAMES)
def test_non_divisible_size_raises(name):
    stride = model_stride(name)
    bad = stride + stride // 2
    with pytest.raises(InputError, match=f"multiple of the model stride {stride}"):
        get_model(name, n_bands=BANDS, n_classes=2, width=TINY, input_size=bad)
    with pytest.raises(InputError, match=f"input width {bad} .* e.g. {stride} or {2 * stride}"):
        check_input_size(name, 2 * stride, bad)
    check_input_size(name, 4 * stride, 2 * stride)  # valid: no error


def test_invalid_builder_arguments():
    for kwargs in ({"width": 0}, {"width": "1"}, {"n_classes": 0}, {"n_bands": 2.5},
                   {"input_size": "64"}):
        args = {"n_bands": 4, "n_classes": 2, "width": TINY} | kwargs
        with pytest.raises(InputError):
            get_model("fcnmask", **args)
    with pytest.raises(InputError, match="depth"):
        build_unmask(4, 2, depth=0)


def test_import_crossmask_does_not_import_tensorflow():
    code = "import sys, crossmask; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# ----------------------------------------------------------------------------- builds
@pytest.mark.parametrize("name", NAMES)
def test_dynamic_size_outputs_probabilities(name):
    model = tiny(name, n_classes=3)
    assert model.name == name
    assert model.input_shape == (None, None, None, BANDS)
    rng = np.random.default_rng(1)
    for batch, h, w in ((2, 32, 32), (1, 64, 32)):
        probs = np.asarray(model(rng.random((batch, h, w, BANDS), dtype="float32")))
        assert probs.shape == (batch, h, w, 3)
        assert probs.min() >= 0.0
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_builds_at_two_fixed_sizes(name):
    for size in (32, 64):
        model = tiny(name, input_size=size)
        assert model.input_shape == (None, size, size, BANDS)
        assert model.output_shape == (None, size, size, 2)


@pytest.mark.parametrize("name", NAMES)
def test_single_class_is_sigmoid(name):
    model = tiny(name, n_classes=1, input_size=32)
    assert model.layers[-1].get_config()["activation"] == "sigmoid"
    probs = np.asarray(model(np.full((1, 32, 32, BANDS), 0.5, "float32")))
    assert probs.shape == (1, 32, 32, 1)
    assert ((probs > 0.0) & (probs < 1.0)).all()


def test_unmask_options_and_pyramid():
    model = build_unmask(4, 1, depth=2, separable=True, batch_norm=False, dropout=0.2)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "SeparableConv2D" in kinds and "Conv2D" in kinds  # 1×1 logits stays Conv2D
    assert "BatchNormalization" not in kinds and "Dropout" in kinds
    assert model.get_layer("encoder2_conv1").filters == 4 * BASE_FILTERS  # base · 2**2
    pyramid = unmask_backbone(keras.Input((32, 32, 3)), [4, 8, 16])
    assert {k: v.shape[1:] for k, v in pyramid.items()} == {
        "P0": (32, 32, 4), "P1": (16, 16, 8), "P2": (8, 8, 16),
    }


def test_dlmask_pyramid_and_atrous_rates():
    pyramid = deeplab_backbone(keras.Input((64, 64, 3)), base=4, blocks=1)
    assert {k: v.shape[1] for k, v in pyramid.items()} == {
        "P1": 32, "P2": 16, "P3": 8, "P4": 4, "P5": 4,
    }
    assert scaled_atrous_rates(None) == scaled_atrous_rates(512) == (6, 12, 18)
    assert scaled_atrous_rates(256) == (3, 6, 9)
    assert scaled_atrous_rates(32) == (1, 2, 3)
    model = tiny("dlmask", input_size=256)
    assert model.get_layer("aspp_atrous3_conv1").dilation_rate == (9, 9)


# ----------------------------------------------------------------------------- layers
def test_unpooling_restores_maxima_with_dynamic_batch():
    inputs = keras.Input((None, None, 3))
    pooled, argmax = MaxPoolingWithArgmax2D(2)(inputs)
    assert argmax.dtype == "int64" and pooled.shape == (None, None, None, 3)
    model = keras.Model(inputs, MaxUnpooling2D(2)([pooled, argmax]))
    rng = np.random.default_rng(2)
    for batch in (1, 3):
        x = rng.random((batch, 8, 4, 3), dtype="float32")
        windows = x.reshape(batch, 4, 2, 2, 2, 3)
        is_max = windows == windows.max(axis=(2, 4), keepdims=True)
        expected = np.where(is_max, windows, 0.0).reshape(x.shape)
        np.testing.assert_array_equal(np.asarray(model(x)), expected)


def test_layer_configs_round_trip():
    pool = MaxPoolingWithArgmax2D(pool_size=4, name="p")
    unpool = MaxUnpooling2D(size=4, name="u")
    assert MaxPoolingWithArgmax2D.from_config(pool.get_config()).pool_size == 4
    assert MaxUnpooling2D.from_config(unpool.get_config()).size == 4
    with pytest.raises(InputError, match="not divisible by the pool size 2"):
        MaxPoolingWithArgmax2D(2)(keras.Input((6, 5, 1)))


def test_bilinear_initializer_is_bilinear_upsampling():
    kernel = np.asarray(BilinearUpsampling()((4, 4, 2, 2)))
    taps = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(kernel[:, :, 0, 0], np.outer(taps, taps))
    assert not kernel[:, :, 0, 1].any()
    up = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", use_bias=False,
                                      kernel_initializer=BilinearUpsampling())
    out = np.asarray(up(np.ones((1, 4, 4, 1), "float32")))
    np.testing.assert_allclose(out[0, 1:-1, 1:-1, 0], 1.0)  # constants stay constant


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(tmp_path, name):
    """SNmask (argmax pooling), DLmask (SpatialBroadcast), FCNmask (bilinear init) reload."""
    model = tiny(name)
    x = np.random.default_rng(3).random((3, 32, 32, BANDS), dtype="float32")
    expected = np.asarray(model(x))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)
    # another batch size may take another kernel path: same values to float32 rounding
    np.testing.assert_allclose(np.asarray(loaded(x[:1])), expected[:1], rtol=0, atol=1e-6)


# ----------------------------------------------------------------------------- training
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_few_adam_steps_lower_the_loss(name):
    # A bare tf.function step traces in about half the time of model.fit; building the
    # optimizer first keeps tf.function from tracing twice to create its variables.
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = get_model(name, n_bands=BANDS, n_classes=2, width=0.25)
    x, y = toy_problem()
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_variables),
                        model.trainable_variables)
        return loss

    losses = [float(step(x, y)) for _ in range(30)]
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.8 * losses[0], losses


@pytest.mark.parametrize("name", NAMES)
def test_one_model_predicts_tiles_of_several_sizes(name):
    """Scenes give tiles of different sizes: the same model must take each in turn (DLmask's
    bilinear up-sampling once failed on the second size)."""
    model = tiny(name)
    stride = model_stride(name)
    for size in (2 * stride, 3 * stride, 2 * stride):
        out = model.predict_on_batch(np.zeros((1, size, size + stride, BANDS), "float32"))
        assert out.shape[1:3] == (size, size + stride)
