"""Keras 3 cloud-mask models: UNmask, FCNmask, SNmask and DLmask.

UNmask is a U-Net, FCNmask an FCN-8s, SNmask a SegNet and DLmask a DeepLabv3+.

Build one by name with :func:`get_model` (``list_models()`` gives the names) or call a
builder directly.  Every model maps ``(batch, H, W, n_bands)`` reflectance to per-pixel
class probabilities ``(batch, H, W, n_classes)``; H and W must be multiples of
:func:`model_stride`.  Importing this package imports Keras and TensorFlow and registers
the custom layers needed to load saved ``.keras`` models.
"""

from crossmask.models.dlmask import build_dlmask
from crossmask.models.fcnmask import build_fcnmask
from crossmask.models.layers import (
    BilinearUpsampling,
    MaxPoolingWithArgmax2D,
    MaxUnpooling2D,
    SpatialBroadcast,
)
from crossmask.models.registry import (
    MODELS,
    check_input_size,
    get_model,
    list_models,
    model_stride,
)
from crossmask.models.snmask import build_snmask
from crossmask.models.unmask import build_unmask

__all__ = [
    "BilinearUpsampling",
    "MODELS",
    "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D",
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
