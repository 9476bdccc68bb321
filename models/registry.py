"""The model registry as data: name → builder module, stride and description.

Listing models and their strides needs no TensorFlow; a builder is imported the first
time :func:`get_model` builds that model.  Every builder has the signature
``build_<name>(n_bands, n_classes, width=1.0, input_size=None, **options) -> keras.Model``;
names are lower case.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from crossmask.errors import InputError, UnknownNameError

__all__ = ["MODELS", "ModelEntry", "check_divisible", "check_input_size", "get_model",
           "list_models", "model_stride"]


@dataclass(frozen=True)
class ModelEntry:
    """A registered architecture: its spelling in reports (``title``), builder
    ``module.builder``, total down-sampling ``stride`` (input sizes must be multiples of
    it) and a one-line description."""

    name: str
    title: str
    module: str
    builder: str
    stride: int
    description: str
    #: exported runtimes in order of speed on CPUs (``--runtime auto`` picks the first one
    #: installed with a current export, else Keras)
    runtimes: tuple[str, ...] = ("openvino", "onnx")


#: Model name → entry.
MODELS: dict[str, ModelEntry] = {e.name: e for e in (
    ModelEntry("dlmask", "DLmask", "crossmask.models.dlmask", "build_dlmask", 16,
               "DeepLabv3+: dilated residual encoder, ASPP, low-level decoder"),
    ModelEntry("fcnmask", "FCNmask", "crossmask.models.fcnmask", "build_fcnmask", 32,
               "FCN-8s: VGG-style encoder, score fusion at strides 8/16/32"),
    ModelEntry("snmask", "SNmask", "crossmask.models.snmask", "build_snmask", 32,
               "SegNet: decoder unpools with the encoder's max-pooling indices",
               runtimes=("onnx",)),  # OpenVINO runs argmax pooling in a slow generic kernel
    ModelEntry("unmask", "UNmask", "crossmask.models.unmask", "build_unmask", 16,
               "U-Net with skip connections (depth 4, base 16 channels)"),
)}


def _key(name: str) -> str:
    """Registered key of ``name`` (case-insensitive); raise UnknownNameError if none."""
    key = str(name).strip().lower()
    if key not in MODELS:
        raise UnknownNameError(
            f"unknown model {name!r}; valid models: {', '.join(list_models())}"
        )
    return key


def list_models() -> list[str]:
    """Names of the registered models, sorted."""
    return sorted(MODELS)


def get_model(name: str, **kwargs):
    """Build the model registered as ``name`` (imports Keras and the builder).

    Parameters
    ----------
    name : str
        One of :func:`list_models` (case-insensitive).
    **kwargs
        Passed to the builder: ``n_bands``, ``n_classes``, ``width``, ``input_size`` and
        model-specific options (e.g. ``depth`` or ``separable`` for ``"unmask"``).

    Returns
    -------
    keras.Model

    Raises
    ------
    UnknownNameError
        If ``name`` is not registered; the message lists the valid names.
    InputError
        If the builder rejects an argument.
    """
    entry = MODELS[_key(name)]
    return getattr(importlib.import_module(entry.module), entry.builder)(**kwargs)


def model_stride(name: str, **kwargs) -> int:
    """Total down-sampling factor of a model: input sizes must be multiples of it.

    Parameters
    ----------
    name : str
        A registered model name.
    **kwargs
        Builder options that change the stride; only ``depth`` of ``"unmask"``
        (stride ``2**depth``) does.  Others are ignored.

    Raises
    ------
    UnknownNameError
        If ``name`` is not registered.
    """
    key = _key(name)
    if key == "unmask" and kwargs.get("depth") is not None:
        depth = kwargs["depth"]
        if int(depth) != depth or depth < 1:
            raise InputError(f"unmask: depth must be a positive integer, got {depth!r}")
        return 2 ** int(depth)
    return MODELS[key].stride


def check_divisible(size: int, stride: int, model: str, what: str = "input size") -> None:
    """Raise :class:`InputError` unless ``size`` is a positive multiple of ``stride``."""
    if size < stride or size % stride:
        lower = max(stride, size // stride * stride)
        raise InputError(
            f"{model}: {what} {size} is not a multiple of the model stride {stride}; "
            f"use a multiple of {stride}, e.g. {lower} or {lower + stride}"
        )


def check_input_size(name: str, height: int, width: int, **kwargs) -> None:
    """Check that a ``height × width`` input suits model ``name``.

    Models built with ``input_size=None`` accept any size that is a multiple of
    :func:`model_stride`; call this before predicting on a tile of a new size.

    Raises
    ------
    InputError
        If ``height`` or ``width`` is not a positive multiple of the stride; the message
        names the stride and the nearest valid sizes.
    UnknownNameError
        If ``name`` is not registered.
    """
    stride = model_stride(name, **kwargs)
    check_divisible(int(height), stride, _key(name), "input height")
    check_divisible(int(width), stride, _key(name), "input width")
