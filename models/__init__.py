"""Keras 3 cloud-mask models: UNmask, FCNmask, SNmask and DLmask.

UNmask is a U-Net, FCNmask an FCN-8s, SNmask a SegNet and DLmask a DeepLabv3+.

Build one by name with :func:`get_model` (``list_models()`` gives the names) or call a
builder directly.  Every model maps ``(batch, H, W, n_bands)`` reflectance to per-pixel
class probabilities ``(batch, H, W, n_classes)``; H and W must be multiples of
:func:`model_stride`.  Importing this package does not import TensorFlow: the registry
is data, and the builders and custom layers (which loading a saved ``.keras`` model
needs, see :func:`crossmask.models.card.load_model`) are imported on first use.
"""

import importlib

from crossmask.models.registry import (
    MODELS,
    check_input_size,
    get_model,
    list_models,
    model_stride,
)

#: Names importable from this package that live in a Keras-importing module.
_LAZY = {
    "build_dlmask": "crossmask.models.dlmask",
    "build_fcnmask": "crossmask.models.fcnmask",
    "build_snmask": "crossmask.models.snmask",
    "build_unmask": "crossmask.models.unmask",
    "BilinearUpsampling": "crossmask.models.layers",
    "MaxPoolingWithArgmax2D": "crossmask.models.layers",
    "MaxUnpooling2D": "crossmask.models.layers",
    "ResizeBilinear": "crossmask.models.layers",
    "SpatialBroadcast": "crossmask.models.layers",
}

__all__ = [
    "BilinearUpsampling",
    "MODELS",
    "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D",
    "ResizeBilinear",
    "SpatialBroadcast",
    "build_dlmask",
    "build_fcnmask",
    "build_snmask",
    "build_unmask",
    "check_input_size",
    "get_model",
    "list_models",
    "model_stride",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crossmask.models' has no attribute {name!r}")
