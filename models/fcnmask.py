"""FCNmask: a fully convolutional network with FCN-8s skip fusion (Long et al., 2015).

A VGG-style encoder (five conv stages, each ending in 2×2 max pooling) is followed by
convolutional "fc6/fc7" layers.  Class scores are taken at stride 32 (fc7), 16 (``P4``)
and 8 (``P3``); the coarse scores are upsampled ×2 with transposed convolutions and
added to the next finer ones, and the fused stride-8 scores are upsampled ×8 to the
input size.  The transposed convolutions start as bilinear interpolation, as in FCN.
"""

from __future__ import annotations

import keras
from keras import layers

from crossmask.errors import InputError
from crossmask.models.layers import VGG_BASE_FILTERS as BASE_FILTERS
from crossmask.models.layers import VGG_STAGE_CONVS as STAGE_CONVS
from crossmask.models.layers import VGG_STAGE_MULTIPLIERS as STAGE_MULTIPLIERS
from crossmask.models.layers import VGG_STRIDE as STRIDE
from crossmask.models.layers import (
    BilinearUpsampling,
    conv_block,
    model_input,
    probabilities,
    scale_filters,
    vgg_backbone,
)

__all__ = ["BASE_FILTERS", "STRIDE", "build_fcnmask", "fcn8s_head"]


def fcn8s_head(
    pyramid: dict[str, keras.KerasTensor],
    n_classes: int,
    fc_filters: int,
    *,
    dropout: float = 0.5,
    batch_norm: bool = True,
) -> keras.KerasTensor:
    """FCN-8s head: score ``P5`` (after fc6/fc7), ``P4`` and ``P3``; fuse; upsample ×8.

    Parameters
    ----------
    pyramid : dict
        Encoder features keyed ``"P3"``, ``"P4"``, ``"P5"`` (strides 8, 16, 32).
    n_classes : int
        Number of score channels.
    fc_filters : int
        Channels of the convolutional fc6 (3×3) and fc7 (1×1) layers.
    dropout : float
        Dropout after fc6 and fc7 (no layer when 0).
    batch_norm : bool
        Batch normalisation after fc6 and fc7.

    Returns
    -------
    KerasTensor
        Logits at the input resolution, ``(batch, H, W, n_classes)``.
    """
    x = pyramid["P5"]
    for name, kernel in (("fc6", 3), ("fc7", 1)):
        x = conv_block(x, fc_filters, name, convs=1, kernel_size=kernel, batch_norm=batch_norm)
        if dropout:
            x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    score = layers.Conv2D(n_classes, 1, name="score32")(x)
    for stride, key in ((16, "P4"), (8, "P3")):
        up = layers.Conv2DTranspose(
            n_classes, 4, strides=2, padding="same", use_bias=False,
            kernel_initializer=BilinearUpsampling(), name=f"upscore{stride * 2}",
        )(score)
        skip = layers.Conv2D(n_classes, 1, kernel_initializer="zeros",
                             name=f"score{stride}")(pyramid[key])
        score = layers.Add(name=f"fuse{stride}")([up, skip])
    return layers.Conv2DTranspose(
        n_classes, 16, strides=8, padding="same", use_bias=False,
        kernel_initializer=BilinearUpsampling(), name="upscore8",
    )(score)


def build_fcnmask(
    n_bands: int,
    n_classes: int,
    width: float = 1.0,
    input_size: int | None = None,
    *,
    dropout: float = 0.5,
    batch_norm: bool = True,
) -> keras.Model:
    """Build the FCNmask FCN-8s network.

    Parameters
    ----------
    n_bands : int
        Input channels (reflectance bands, 0–1).
    n_classes : int
        Output classes; 1 gives a sigmoid cloud probability, otherwise softmax.
    width : float
        Multiplier of :data:`BASE_FILTERS` (0.125–0.25 gives tiny test models).
    input_size : int, optional
        Fixed square input size; ``None`` (default) accepts any height and width that
        are multiples of :data:`STRIDE` (32).
    dropout : float
        Dropout rate after fc6 and fc7.
    batch_norm : bool
        Batch normalisation after every conv (VGG16 has none; it eases training from
        scratch).

    Returns
    -------
    keras.Model
        Named ``"fcnmask"``; maps ``(batch, H, W, n_bands)`` to per-pixel class
        probabilities ``(batch, H, W, n_classes)``.

    Raises
    ------
    InputError
        If an argument is invalid or ``input_size`` is not a multiple of 32.
    """
    if not 0.0 <= dropout < 1.0:
        raise InputError(f"fcnmask: dropout must be in [0, 1), got {dropout!r}")
    inputs = model_input("fcnmask", n_bands, n_classes, width, input_size, STRIDE)
    base = scale_filters(BASE_FILTERS, width)
    filters = tuple(base * m for m in STAGE_MULTIPLIERS)
    pyramid, _ = vgg_backbone(inputs, filters, STAGE_CONVS, batch_norm=batch_norm)
    logits = fcn8s_head(pyramid, int(n_classes), 2 * filters[-1], dropout=dropout,
                        batch_norm=batch_norm)
    return keras.Model(inputs, probabilities(logits, int(n_classes)), name="fcnmask")
