"""Segmentation losses with ignored pixels: weighted cross-entropy and soft Dice."""

from __future__ import annotations

import keras
from keras import ops

from crossmask.classes import IGNORE

__all__ = ["masked_loss"]


@keras.saving.register_keras_serializable(package="crossmask")
class MaskedSegmentationLoss(keras.losses.Loss):
    """Pixel-weighted sparse cross-entropy, optionally plus soft Dice over the classes.

    ``y_true`` holds class indices with :data:`~crossmask.classes.IGNORE` (255) for ignored
    pixels; ``sample_weight`` (per pixel, 0 at ignored pixels) carries class weights.  Dice
    is computed on valid pixels.
    """

    def __init__(self, n_classes: int, dice: bool = False, name: str = "masked_ce", **kwargs):
        super().__init__(name=name, reduction="sum_over_batch_size", **kwargs)
        self.n_classes, self.dice = int(n_classes), bool(dice)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        valid = ops.cast(ops.not_equal(y_true, IGNORE), y_pred.dtype)
        labels = ops.where(ops.equal(y_true, IGNORE), 0, y_true)
        probs = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        onehot = ops.one_hot(labels, self.n_classes, dtype=y_pred.dtype)
        ce = -ops.sum(onehot * ops.log(probs), axis=-1) * valid
        if not self.dice:
            return ce
        mask = valid[..., None]
        inter = ops.sum(onehot * probs * mask, axis=(1, 2))
        total = ops.sum((onehot + probs) * mask, axis=(1, 2))
        dice = 1.0 - ops.mean((2.0 * inter + 1.0) / (total + 1.0), axis=-1)
        return ce + dice[:, None, None]

    def get_config(self) -> dict:
        return {**super().get_config(), "n_classes": self.n_classes, "dice": self.dice}


def masked_loss(n_classes: int, kind: str = "ce") -> MaskedSegmentationLoss:
    """``"ce"`` (cross-entropy) or ``"ce+dice"``."""
    return MaskedSegmentationLoss(n_classes, dice=kind == "ce+dice",
                                  name="masked_ce_dice" if kind == "ce+dice" else "masked_ce")
