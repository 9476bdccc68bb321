"""The model registry: cloud-mask model names → builders, strides and input-size checks.

Every builder has the signature ``build_<name>(n_bands, n_classes, width=1.0,
input_size=None, **options) -> keras.Model``; names are lower case.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from crossmask.errors import InputError, UnknownNameError
from crossmask.models import dlmask, fcnmask, snmask, unmask
from crossmask.models.layers import check_divisible

__all__ = ["MODELS", "check_input_size", "get_model", "list_models", "model_stride"]

#: Model name → builder.
MODELS: dict[str, Callable[..., keras.Model]] = {
    "dlmask": dlmask.build_dlmask,
    "fcnmask": fcnmask.build_fcnmask,
    "snmask": snmask.build_snmask,
    "unmask": unmask.build_unmask,
}

_STRIDES: dict[str, int] = {
    "dlmask": dlmask.STRIDE,
    "fcnmask": fcnmask.STRIDE,
    "snmask": snmask.STRIDE,
    "unmask": unmask.STRIDE,
}


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


def get_model(name: str, **kwargs) -> keras.Model:
    """Build the model registered as ``name``.

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
    return MODELS[_key(name)](**kwargs)


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
    return _STRIDES[key]


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
