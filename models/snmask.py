"""SNmask: SegNet, an encoder–decoder that upsamples with max-pooling indices.

The encoder is VGG16-like (five conv stages, conv counts 2-2-3-3-3); every 2×2 max
pooling records where each maximum was (:class:`MaxPoolingWithArgmax2D`).  The decoder
mirrors it: each stage first puts the features back at the recorded positions
(:class:`MaxUnpooling2D`, a sparse non-learned upsampling) and then densifies them with
conv blocks (Badrinarayanan et al., 2017).  No encoder features are concatenated.
"""

from __future__ import annotations

import keras

from crossmask.models.layers import VGG_BASE_FILTERS as BASE_FILTERS
from crossmask.models.layers import VGG_STAGE_CONVS as STAGE_CONVS
from crossmask.models.layers import VGG_STAGE_MULTIPLIERS as STAGE_MULTIPLIERS
from crossmask.models.layers import VGG_STRIDE as STRIDE
from crossmask.models.layers import (
    MaxUnpooling2D,
    classifier_head,
    conv_block,
    model_input,
    scale_filters,
    vgg_backbone,
)

__all__ = ["BASE_FILTERS", "STRIDE", "build_snmask", "segnet_decoder"]


def segnet_decoder(
    pyramid: dict[str, keras.KerasTensor],
    indices: dict[str, keras.KerasTensor],
    filters: tuple[int, ...],
    convs: tuple[int, ...],
    *,
    batch_norm: bool = True,
) -> keras.KerasTensor:
    """SegNet decoder: for stage ``k = n … 1``, unpool with ``indices["P<k>"]`` then convs.

    Parameters
    ----------
    pyramid, indices : dict
        Encoder outputs and pooling argmax keyed ``"P1"`` … ``"P<n>"`` (from
        :func:`crossmask.models.layers.vgg_backbone` with ``return_indices=True``).
    filters, convs : tuple of int
        Encoder channels and conv counts per stage; decoder stage ``k`` uses
        ``filters[k-1]`` channels and ends with ``filters[k-2]`` (``filters[0]`` for
        the last stage), mirroring the encoder.
    batch_norm : bool
        Batch normalisation after every conv.

    Returns
    -------
    KerasTensor
        Features at the input resolution with ``filters[0]`` channels.
    """
    n = len(filters)
    x = pyramid[f"P{n}"]
    for stage in range(n, 0, -1):
        x = MaxUnpooling2D(2, name=f"decoder{stage}_unpool")([x, indices[f"P{stage}"]])
        out = filters[max(stage - 2, 0)]
        for i in range(1, convs[stage - 1] + 1):
            f = out if i == convs[stage - 1] else filters[stage - 1]
            x = conv_block(x, f, f"decoder{stage}_{i}", convs=1, batch_norm=batch_norm)
    return x


def build_snmask(
    n_bands: int,
    n_classes: int,
    width: float = 1.0,
    input_size: int | None = None,
    *,
    batch_norm: bool = True,
) -> keras.Model:
    """Build the SNmask SegNet.

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
        are multiples of :data:`STRIDE` (32).  The batch size is always dynamic.
    batch_norm : bool
        Batch normalisation after every conv.

    Returns
    -------
    keras.Model
        Named ``"snmask"``; maps ``(batch, H, W, n_bands)`` to per-pixel class
        probabilities ``(batch, H, W, n_classes)``.  Save it as ``.keras``; loading
        needs :mod:`crossmask.models` imported (its custom layers are registered there).

    Raises
    ------
    InputError
        If an argument is invalid or ``input_size`` is not a multiple of 32.
    """
    inputs = model_input("snmask", n_bands, n_classes, width, input_size, STRIDE)
    base = scale_filters(BASE_FILTERS, width)
    filters = tuple(base * m for m in STAGE_MULTIPLIERS)
    pyramid, indices = vgg_backbone(
        inputs, filters, STAGE_CONVS, batch_norm=batch_norm, return_indices=True
    )
    x = segnet_decoder(pyramid, indices, filters, STAGE_CONVS, batch_norm=batch_norm)
    return keras.Model(inputs, classifier_head(x, int(n_classes)), name="snmask")
