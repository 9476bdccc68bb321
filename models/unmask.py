"""UNmask: a U-Net encoder–decoder with skip connections for per-pixel cloud masks.

The encoder doubles the channel count at each of ``depth`` 2×2 max-pooling stages; the
decoder upsamples with 2×2 transposed convolutions and concatenates the encoder feature
of the same stride before each conv block (Ronneberger et al., 2015).  With
``separable=True, depth=2, base_filters=32`` the layer sequence matches the U-Net of
López-Puigdollers et al. (2021, IPL-UV), whose convs are SeparableConv2D blocks.
"""

from __future__ import annotations

import keras
from keras import layers

from crossmask.errors import InputError
from crossmask.models.layers import classifier_head, conv_block, model_input, scale_filters

__all__ = ["BASE_FILTERS", "DEPTH", "STRIDE", "build_unmask", "unmask_backbone", "unmask_decoder"]

#: Channels of the first encoder stage at ``width=1``.  16 (not the 64 of Ronneberger et
#: al. or 32 of many cloud U-Nets) keeps full-scene inference on a CPU at about 1.8 Mpx/s
#: (2 cores); ``width=2`` gives the 32-channel, 7.8 M-parameter U-Net.
BASE_FILTERS: int = 16
#: Default number of 2×2 down-sampling stages.
DEPTH: int = 4
#: Input height and width must be multiples of this (``2**depth``) at the default depth.
STRIDE: int = 2**DEPTH


def unmask_backbone(
    x: keras.KerasTensor,
    filters: list[int],
    *,
    separable: bool = False,
    batch_norm: bool = True,
    dropout: float = 0.0,
) -> dict[str, keras.KerasTensor]:
    """U-Net encoder: a conv block per level, 2×2 max pooling between levels.

    Parameters
    ----------
    x : KerasTensor
        Input features.
    filters : list of int
        Channels per level, from full resolution (level 0) to the bottleneck.
    separable, batch_norm : bool
        Passed to :func:`crossmask.models.layers.conv_block`.
    dropout : float
        Dropout rate applied to the bottleneck (no layer when 0).

    Returns
    -------
    dict
        ``{"P0": ..., "P<depth>": ...}``, the block output at stride ``2**k``.
    """
    pyramid = {}
    for level, f in enumerate(filters):
        if level:
            x = layers.MaxPooling2D(2, name=f"encoder{level}_pool")(x)
        x = conv_block(x, f, f"encoder{level}", separable=separable, batch_norm=batch_norm)
        pyramid[f"P{level}"] = x
    if dropout:
        top = f"P{len(filters) - 1}"
        pyramid[top] = layers.Dropout(dropout, name="bottleneck_dropout")(pyramid[top])
    return pyramid


def unmask_decoder(
    pyramid: dict[str, keras.KerasTensor],
    filters: list[int],
    *,
    separable: bool = False,
    batch_norm: bool = True,
) -> keras.KerasTensor:
    """U-Net decoder: from the bottleneck ``P<depth>`` back to ``P0`` resolution.

    Each level: 2×2 transposed conv (stride 2) → concatenate ``[upsampled, P<level>]``
    → conv block with ``filters[level]`` channels.
    """
    depth = len(filters) - 1
    x = pyramid[f"P{depth}"]
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(
            filters[level], 2, strides=2, padding="same", name=f"decoder{level}_upconv"
        )(x)
        x = layers.Concatenate(name=f"decoder{level}_concat")([x, pyramid[f"P{level}"]])
        x = conv_block(x, filters[level], f"decoder{level}", separable=separable,
                       batch_norm=batch_norm)
    return x


def build_unmask(
    n_bands: int,
    n_classes: int,
    width: float = 1.0,
    input_size: int | None = None,
    *,
    base_filters: int = BASE_FILTERS,
    depth: int = DEPTH,
    separable: bool = False,
    batch_norm: bool = True,
    dropout: float = 0.0,
) -> keras.Model:
    """Build the UNmask U-Net.

    Parameters
    ----------
    n_bands : int
        Input channels (reflectance bands, 0–1).
    n_classes : int
        Output classes; 1 gives a sigmoid cloud probability, otherwise softmax.
    width : float
        Multiplier of ``base_filters`` (0.125–0.25 gives tiny test models).
    input_size : int, optional
        Fixed square input size; ``None`` (default) accepts any height and width that
        are multiples of ``2**depth``.
    base_filters : int
        Channels of the first level before ``width`` scaling; level ``k`` has
        ``base_filters * 2**k``.
    depth : int
        Number of 2×2 down-sampling stages (the stride is ``2**depth``).
    separable : bool
        Use SeparableConv2D instead of Conv2D in the conv blocks.
    batch_norm : bool
        Batch normalisation after every conv.
    dropout : float
        Dropout rate on the bottleneck features.

    Returns
    -------
    keras.Model
        Named ``"unmask"``; maps ``(batch, H, W, n_bands)`` to per-pixel class
        probabilities ``(batch, H, W, n_classes)``.

    Raises
    ------
    InputError
        If an argument is invalid or ``input_size`` is not a multiple of ``2**depth``.
    """
    if int(depth) != depth or depth < 1:
        raise InputError(f"unmask: depth must be a positive integer, got {depth!r}")
    if not 0.0 <= dropout < 1.0:
        raise InputError(f"unmask: dropout must be in [0, 1), got {dropout!r}")
    inputs = model_input("unmask", n_bands, n_classes, width, input_size, 2 ** int(depth))
    base = scale_filters(base_filters, width)
    filters = [base * 2**level for level in range(int(depth) + 1)]
    pyramid = unmask_backbone(
        inputs, filters, separable=separable, batch_norm=batch_norm, dropout=dropout
    )
    x = unmask_decoder(pyramid, filters, separable=separable, batch_norm=batch_norm)
    return keras.Model(inputs, classifier_head(x, int(n_classes)), name="unmask")
