"""A saved cloud model as a frozen, differentiable cloud-probability function.

Other networks are trained against it (the ``learned`` harmonisation,
:mod:`crossmask.harmonize.adapt`): its weights never change, but gradients flow through
it to its input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from crossmask.classes import is_cloud
from crossmask.errors import InputError
from crossmask.models.card import ModelCard, load_model

__all__ = ["FrozenCloudModel", "frozen_cloud_model"]


@dataclass
class FrozenCloudModel:
    """``model(x)``: cloud probability ``(n, H, W)`` of a ``(n, H, W, bands)`` reflectance
    tensor (0–1, the card's bands in order; H, W multiples of ``stride``), the card's
    normalisation applied; sigmoid models give their one channel, softmax models the sum
    of their cloud classes (thin and thick)."""

    card: ModelCard
    network: object  # keras.Model with trainable = False

    @property
    def bands(self) -> list[str]:
        return list(self.card.bands)

    @property
    def stride(self) -> int:
        return int(self.card.stride)

    def __call__(self, x):
        import keras

        if self.card.normalization:
            mean = keras.ops.convert_to_tensor(self.card.normalization["mean"], "float32")
            std = keras.ops.convert_to_tensor(self.card.normalization["std"], "float32")
            x = (x - mean) / keras.ops.maximum(std, 1e-6)
        probs = self.network(x, training=False)
        if self.card.output == "sigmoid":
            return probs[..., 0]
        cloud = [i for i, name in enumerate(self.card.class_names) if is_cloud(name)]
        return keras.ops.sum(keras.ops.take(probs, cloud, axis=-1), axis=-1)


def frozen_cloud_model(model_dir: str | os.PathLike) -> FrozenCloudModel:
    """Load a model folder (card + ``model.keras``) with its weights frozen.

    Raises
    ------
    ProductFormatError
        As :func:`crossmask.models.card.load_model`.
    InputError
        For a softmax model without a cloud class.
    """
    network, card = load_model(model_dir)
    network.trainable = False
    if card.output != "sigmoid" and not any(is_cloud(n) for n in card.class_names):
        raise InputError(f"{model_dir}: the model predicts {card.class_names}, no cloud class")
    return FrozenCloudModel(card, network)
