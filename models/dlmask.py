"""DLmask: DeepLabv3+ with atrous spatial pyramid pooling and a low-level decoder.

A small residual backbone reaches output stride 16; its last stage is dilated instead
of strided (DeepLabv3), so ``"P5"`` has stride 16 like ``"P4"``.  Atrous spatial pyramid
pooling (ASPP: a 1×1 conv, three dilated 3×3 convs and an image-pooling branch) runs on
``P5``; the decoder upsamples it ×4, concatenates the 1×1-reduced stride-4 features
``P2``, refines with two 3×3 convs and upsamples ×4 to the input size (Chen et al., 2018).
"""

from __future__ import annotations

import keras
from keras import layers

from crossmask.errors import InputError
from crossmask.models.layers import (
    ResizeBilinear,
    SpatialBroadcast,
    conv_block,
    model_input,
    probabilities,
    scale_filters,
)

__all__ = [
    "BASE_FILTERS",
    "REFERENCE_RATES",
    "STRIDE",
    "aspp",
    "build_dlmask",
    "deeplab_backbone",
    "scaled_atrous_rates",
]

#: Channels of the backbone stem at ``width=1``; ASPP and decoder use 8× this.
BASE_FILTERS: int = 32
#: Output stride of the backbone; input height and width must be multiples of it.
STRIDE: int = 16
#: DeepLab's atrous rates for 512-pixel inputs (a 32×32 feature map at stride 16).
REFERENCE_RATES: tuple[int, ...] = (6, 12, 18)
_REFERENCE_FEATURE = 32


def scaled_atrous_rates(input_size: int | None) -> tuple[int, ...]:
    """ASPP rates for an input size: :data:`REFERENCE_RATES` scaled to the feature map.

    Rates shrink in proportion to ``input_size / 512`` (rounded, at least 1, strictly
    increasing), so a 256-pixel input gets ``(3, 6, 9)`` and a 32-pixel one ``(1, 2, 3)``;
    ``None`` (any size) keeps the reference rates.
    """
    if input_size is None:
        return REFERENCE_RATES
    feature = input_size // STRIDE
    rates: list[int] = []
    for rate in REFERENCE_RATES:
        scaled = round(rate * feature / _REFERENCE_FEATURE)
        rates.append(max(1, scaled, rates[-1] + 1 if rates else 1))
    return tuple(rates)


def _residual_block(x, filters: int, name: str, strides: int = 1, dilation: int = 1):
    """Basic residual block: two 3×3 conv-BN (ReLU between), projected shortcut if needed."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = conv_block(x, filters, f"{name}_a", convs=1, strides=strides, dilation_rate=dilation)
    y = conv_block(y, filters, f"{name}_b", convs=1, dilation_rate=dilation, activation=None)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def deeplab_backbone(
    x: keras.KerasTensor, base: int, blocks: int = 2
) -> dict[str, keras.KerasTensor]:
    """Residual backbone with output stride 16.

    Returns
    -------
    dict
        ``"P1"`` (stem, stride 2, ``base`` channels), ``"P2"`` … ``"P4"`` (strides 4, 8,
        16; ``2, 4, 8 × base``) and ``"P5"`` (dilation 2, still stride 16, ``8 × base``).
    """
    x = conv_block(x, base, "stem", convs=2, strides=2)
    pyramid = {"P1": x}
    stages = ((2, 2, 2, 1), (3, 4, 2, 1), (4, 8, 2, 1), (5, 8, 1, 2))
    for level, mult, strides, dilation in stages:
        for i in range(blocks):
            x = _residual_block(x, base * mult, f"stage{level}_block{i + 1}",
                                strides=strides if i == 0 else 1, dilation=dilation)
        pyramid[f"P{level}"] = x
    return pyramid


def aspp(
    x: keras.KerasTensor, filters: int, rates: tuple[int, ...], dropout: float = 0.1
) -> keras.KerasTensor:
    """Atrous spatial pyramid pooling: 1×1, dilated 3×3 per rate, image pooling; fused 1×1."""
    branches = [conv_block(x, filters, "aspp_1x1", convs=1, kernel_size=1)]
    for i, rate in enumerate(rates, start=1):
        branches.append(conv_block(x, filters, f"aspp_atrous{i}", convs=1,
                                   dilation_rate=rate))
    pooled = layers.GlobalAveragePooling2D(keepdims=True, name="aspp_pool")(x)
    pooled = conv_block(pooled, filters, "aspp_pool", convs=1, kernel_size=1)
    branches.append(SpatialBroadcast(name="aspp_pool_broadcast")([pooled, x]))
    y = layers.Concatenate(name="aspp_concat")(branches)
    y = conv_block(y, filters, "aspp_project", convs=1, kernel_size=1)
    if dropout:
        y = layers.Dropout(dropout, name="aspp_dropout")(y)
    return y


def build_dlmask(
    n_bands: int,
    n_classes: int,
    width: float = 1.0,
    input_size: int | None = None,
    *,
    atrous_rates: tuple[int, ...] | None = None,
    dropout: float = 0.1,
) -> keras.Model:
    """Build the DLmask DeepLabv3+ network.

    Parameters
    ----------
    n_bands : int
        Input channels (reflectance bands, 0–1).
    n_classes : int
        Output classes; 1 gives a sigmoid cloud probability, otherwise softmax.
    width : float
        Multiplier of :data:`BASE_FILTERS` (0.125–0.25 gives tiny test models); ASPP and
        decoder have ``8 × base`` channels, the reduced low-level features ``1.5 × base``.
    input_size : int, optional
        Fixed square input size; ``None`` (default) accepts any height and width that
        are multiples of :data:`STRIDE` (16).
    atrous_rates : tuple of int, optional
        ASPP dilation rates; by default :func:`scaled_atrous_rates` of ``input_size``.
    dropout : float
        Dropout rate after the ASPP projection.

    Returns
    -------
    keras.Model
        Named ``"dlmask"``; maps ``(batch, H, W, n_bands)`` to per-pixel class
        probabilities ``(batch, H, W, n_classes)``.

    Raises
    ------
    InputError
        If an argument is invalid or ``input_size`` is not a multiple of 16.
    """
    if not 0.0 <= dropout < 1.0:
        raise InputError(f"dlmask: dropout must be in [0, 1), got {dropout!r}")
    rates = scaled_atrous_rates(input_size) if atrous_rates is None else tuple(atrous_rates)
    if not rates or any(int(r) != r or r < 1 for r in rates):
        raise InputError(f"dlmask: atrous_rates must be positive integers, got {rates!r}")
    inputs = model_input("dlmask", n_bands, n_classes, width, input_size, STRIDE)
    base = scale_filters(BASE_FILTERS, width)
    pyramid = deeplab_backbone(inputs, base)
    x = aspp(pyramid["P5"], 8 * base, tuple(int(r) for r in rates), dropout=dropout)
    x = ResizeBilinear(4, name="decoder_upsample")(x)
    low = conv_block(pyramid["P2"], scale_filters(48, width), "decoder_low", convs=1,
                     kernel_size=1)
    x = layers.Concatenate(name="decoder_concat")([x, low])
    x = conv_block(x, 8 * base, "decoder", convs=2)
    x = layers.Conv2D(int(n_classes), 1, name="logits")(x)
    x = ResizeBilinear(4, name="logits_upsample")(x)
    return keras.Model(inputs, probabilities(x, int(n_classes)), name="dlmask")
