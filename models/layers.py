"""Custom Keras layers and shared building blocks of the crossmask cloud-mask models.

The layers (:class:`MaxPoolingWithArgmax2D`, :class:`MaxUnpooling2D`,
:class:`SpatialBroadcast`) are registered with Keras under the package ``"crossmask"`` so a
model saved to ``.keras`` loads back once :mod:`crossmask.models` is imported.  The block
functions build pieces of functional models; backbones return their feature pyramid as a
dict keyed ``"P<k>"`` for the features at stride ``2**k``.
"""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf
from keras import layers, ops

from crossmask.errors import InputError
from crossmask.models.registry import check_divisible

__all__ = [
    "BilinearUpsampling",
    "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D",
    "ResizeBilinear",
    "SpatialBroadcast",
    "VGG_BASE_FILTERS",
    "VGG_STAGE_CONVS",
    "VGG_STAGE_MULTIPLIERS",
    "VGG_STRIDE",
    "check_divisible",
    "classifier_head",
    "conv_block",
    "model_input",
    "probabilities",
    "scale_filters",
    "vgg_backbone",
]


# --------------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package="crossmask")
class MaxPoolingWithArgmax2D(layers.Layer):
    """Max pooling that also returns the flat position of every maximum.

    Wraps :func:`tf.nn.max_pool_with_argmax` with ``include_batch_in_index=True``, so the
    indices address the flattened ``(batch, height, width, channels)`` input and
    :class:`MaxUnpooling2D` can scatter back without knowing the batch size.

    Parameters
    ----------
    pool_size : int
        Window size and stride (non-overlapping, ``"VALID"``); the input height and
        width must be divisible by it.  The layer returns ``(pooled, argmax)``, both
        of the pooled shape, ``argmax`` as int64.
    """

    def __init__(self, pool_size: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)

    def call(self, inputs):
        k = self.pool_size
        for dim in inputs.shape[1:3]:
            _check_pool_dim(dim, k, self.name)
        _, argmax = tf.nn.max_pool_with_argmax(
            inputs, ksize=k, strides=k, padding="VALID", include_batch_in_index=True
        )
        # The values come from a plain max pool (same numbers).  Giving the input a second
        # consumer stops Grappler's arithmetic optimizer from swapping a preceding ReLU
        # with MaxPoolWithArgmax, a rewrite that mis-wires the argmax output and makes
        # TensorFlow drop all graph optimizations of the model.
        pooled = tf.nn.max_pool2d(inputs, ksize=k, strides=k, padding="VALID")
        return pooled, argmax

    def compute_output_spec(self, inputs):
        batch, height, width, channels = inputs.shape
        k = self.pool_size
        for dim in (height, width):
            _check_pool_dim(dim, k, self.name)
        shape = (batch, *(None if d is None else d // k for d in (height, width)), channels)
        return (
            keras.KerasTensor(shape, dtype=self.compute_dtype),
            keras.KerasTensor(shape, dtype="int64"),
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"pool_size": self.pool_size})
        return config


@keras.saving.register_keras_serializable(package="crossmask")
class MaxUnpooling2D(layers.Layer):
    """Undo :class:`MaxPoolingWithArgmax2D`: put each value back where its maximum was.

    Called on ``[updates, argmax]``; the output is ``size`` times larger in height and
    width, zero everywhere except at the recorded positions (SegNet upsampling).

    Parameters
    ----------
    size : int
        Upsampling factor; must equal the ``pool_size`` of the matching pooling layer.
    """

    def __init__(self, size: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        updates, argmax = inputs
        k = self.size
        shape = tf.shape(updates, out_type="int64")
        out_shape = tf.stack([shape[0], shape[1] * k, shape[2] * k, shape[3]])
        flat = tf.scatter_nd(
            tf.reshape(argmax, [-1, 1]),
            tf.reshape(updates, [-1]),
            tf.reshape(tf.reduce_prod(out_shape), [1]),
        )
        out = tf.reshape(flat, out_shape)
        static = self.compute_output_shape((tuple(updates.shape), tuple(argmax.shape)))
        return tf.ensure_shape(out, static)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape[0]
        return (batch, *(None if d is None else d * self.size for d in (height, width)),
                channels)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"size": self.size})
        return config


@keras.saving.register_keras_serializable(package="crossmask")
class SpatialBroadcast(layers.Layer):
    """Broadcast a ``(batch, 1, 1, C)`` tensor over the height and width of a reference.

    Called on ``[pooled, reference]``; works for any (dynamic) reference size, unlike a
    fixed-size resize.  Used by the image-pooling branch of DeepLabv3+ ASPP.
    """

    def call(self, inputs):
        pooled, reference = inputs
        return pooled * ops.ones_like(reference[..., :1], dtype=pooled.dtype)

    def compute_output_shape(self, input_shape):
        pooled, reference = input_shape
        return (reference[0], reference[1], reference[2], pooled[3])


@keras.saving.register_keras_serializable(package="crossmask")
class ResizeBilinear(layers.Layer):
    """Bilinear up-sampling by an integer ``factor`` (half-pixel centres, as Keras'
    ``UpSampling2D(interpolation="bilinear")``) for inputs of any height and width.

    Keras' own layer needs static sizes: a model built with ``input_size=None`` fails on
    the second distinct tile size and cannot be exported with dynamic shapes; this one
    computes the output size in the graph.
    """

    def __init__(self, factor: int, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, inputs):
        size = tf.shape(inputs)[1:3] * self.factor
        return tf.image.resize(inputs, size, method="bilinear")

    def compute_output_shape(self, input_shape):
        scaled = [None if d is None else d * self.factor for d in input_shape[1:3]]
        return (input_shape[0], *scaled, input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="crossmask")
class BilinearUpsampling(keras.initializers.Initializer):
    """Kernel initializer that makes a Conv2DTranspose start as bilinear upsampling.

    For a kernel of shape ``(k, k, out, in)`` channel ``c`` maps to channel ``c`` with
    the bilinear filter of size ``k`` (FCN's "upsampling as deconvolution"); all
    cross-channel weights are zero.
    """

    def __call__(self, shape, dtype=None):
        size, _, n_out, n_in = shape
        factor = (size + 1) // 2
        center = factor - 1 if size % 2 else factor - 0.5
        taps = 1.0 - ops.abs(ops.arange(size, dtype="float32") - center) / factor
        filt = ops.outer(taps, taps)
        eye = ops.eye(n_out, n_in, dtype="float32")
        kernel = filt[:, :, None, None] * eye[None, None, :, :]
        return ops.cast(kernel, dtype or "float32")

    def get_config(self) -> dict:
        return {}


def _check_pool_dim(dim: int | None, k: int, layer: str) -> None:
    if dim is not None and dim % k:
        raise InputError(
            f"{layer}: feature size {dim} is not divisible by the pool size {k}; "
            "the model input height and width must be multiples of the model stride"
        )


# --------------------------------------------------------------------------- blocks
def scale_filters(base: int, width: float) -> int:
    """Channel count ``base * width``, rounded, at least 1."""
    return max(1, int(round(base * width)))


def model_input(
    model: str, n_bands: int, n_classes: int, width: float, input_size: int | None, stride: int
) -> keras.KerasTensor:
    """Check the common builder arguments and return the ``(H, W, n_bands)`` input."""
    for arg, value in (("n_bands", n_bands), ("n_classes", n_classes), ("input_size", input_size)):
        if not (value is None and arg == "input_size" or _positive_int(value)):
            raise InputError(f"{model}: {arg} must be a positive integer, got {value!r}")
    if not (isinstance(width, numbers.Real) and width > 0):
        raise InputError(f"{model}: width must be a number > 0, got {width!r}")
    size = None if input_size is None else int(input_size)
    if size is not None:
        check_divisible(size, stride, model)
    return keras.Input(shape=(size, size, int(n_bands)), name="bands")


def _positive_int(value) -> bool:
    try:
        return int(value) == value and value >= 1
    except (TypeError, ValueError):
        return False


def conv_block(
    x: keras.KerasTensor,
    filters: int,
    name: str,
    *,
    convs: int = 2,
    kernel_size: int = 3,
    strides: int = 1,
    dilation_rate: int = 1,
    separable: bool = False,
    batch_norm: bool = True,
    activation: str | None = "relu",
) -> keras.KerasTensor:
    """``convs`` times (conv → batch norm → activation); only the first conv is strided.

    Layers are named ``{name}_conv{i}``, ``{name}_bn{i}`` and ``{name}_act{i}``.
    """
    conv = layers.SeparableConv2D if separable else layers.Conv2D
    for i in range(1, convs + 1):
        x = conv(
            filters,
            kernel_size,
            strides=strides if i == 1 else 1,
            dilation_rate=dilation_rate,
            padding="same",
            name=f"{name}_conv{i}",
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        if activation:
            x = layers.Activation(activation, name=f"{name}_act{i}")(x)
    return x


def classifier_head(x: keras.KerasTensor, n_classes: int) -> keras.KerasTensor:
    """1×1 conv to ``n_classes`` logits, then softmax (sigmoid when ``n_classes == 1``).

    The probabilities are computed in float32 even under a mixed-precision policy.
    """
    return probabilities(layers.Conv2D(n_classes, 1, name="logits")(x), n_classes)


def probabilities(logits: keras.KerasTensor, n_classes: int) -> keras.KerasTensor:
    """Softmax over the last axis (sigmoid when ``n_classes == 1``), in float32."""
    activation = "sigmoid" if n_classes == 1 else "softmax"
    return layers.Activation(activation, dtype="float32", name="probabilities")(logits)


#: Channels of the first stage of the VGG-style encoder at ``width=1`` (VGG16 uses 64).
VGG_BASE_FILTERS: int = 32
#: Input height and width must be multiples of this (five 2×2 poolings).
VGG_STRIDE: int = 32
#: Conv layers per encoder stage, as in VGG16.
VGG_STAGE_CONVS: tuple[int, ...] = (2, 2, 3, 3, 3)
#: Channel multiplier of each encoder stage relative to the base.
VGG_STAGE_MULTIPLIERS: tuple[int, ...] = (1, 2, 4, 8, 8)


def vgg_backbone(
    x: keras.KerasTensor,
    filters: tuple[int, ...],
    convs: tuple[int, ...],
    *,
    batch_norm: bool = True,
    return_indices: bool = False,
) -> tuple[dict[str, keras.KerasTensor], dict[str, keras.KerasTensor]]:
    """VGG-style encoder: per stage ``convs[i]`` 3×3 conv blocks then 2×2 max pooling.

    Returns
    -------
    pyramid : dict
        ``{"P1": ..., "P<n>": ...}``: the pooled output of stage ``k`` (stride ``2**k``).
    indices : dict
        With ``return_indices``, the argmax of every pooling under the same keys
        (SegNet); otherwise empty.
    """
    pyramid, indices = {}, {}
    for stage, (f, n) in enumerate(zip(filters, convs), start=1):
        x = conv_block(x, f, f"block{stage}", convs=n, batch_norm=batch_norm)
        key = f"P{stage}"
        if return_indices:
            x, indices[key] = MaxPoolingWithArgmax2D(2, name=f"block{stage}_pool")(x)
        else:
            x = layers.MaxPooling2D(2, name=f"block{stage}_pool")(x)
        pyramid[key] = x
    return pyramid, indices
