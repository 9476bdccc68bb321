"""Segmentation losses with ignored pixels: weighted cross-entropy and soft Dice, for a
softmax output (one channel per class) or a sigmoid one (one cloud-probability channel,
e.g. the IPL-UV U-Nets)."""

from __future__ import annotations

import keras
from keras import ops

from crossmask.classes import IGNORE

__all__ = ["MaskedBinaryLoss", "MaskedSegmentationLoss", "masked_loss"]


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


@keras.saving.register_keras_serializable(package="crossmask")
class MaskedBinaryLoss(keras.losses.Loss):
    """Pixel-weighted binary cross-entropy of a one-channel sigmoid output, optionally plus
    soft Dice of the positive class.

    ``y_true`` holds class indices (255 ignored); pixels of class ``positive`` (the cloud
    class of the binary scheme, 1) are the positives, every other valid class negative.
    """

    def __init__(self, positive: int = 1, dice: bool = False, name: str = "masked_bce",
                 **kwargs):
        super().__init__(name=name, reduction="sum_over_batch_size", **kwargs)
        self.positive, self.dice = int(positive), bool(dice)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        valid = ops.cast(ops.not_equal(y_true, IGNORE), y_pred.dtype)
        target = ops.cast(ops.equal(y_true, self.positive), y_pred.dtype)
        prob = ops.clip(y_pred[..., 0], 1e-7, 1.0 - 1e-7)
        ce = -(target * ops.log(prob) + (1.0 - target) * ops.log(1.0 - prob)) * valid
        if not self.dice:
            return ce
        inter = ops.sum(target * prob * valid, axis=(1, 2))
        total = ops.sum((target + prob) * valid, axis=(1, 2))
        dice = 1.0 - (2.0 * inter + 1.0) / (total + 1.0)
        return ce + dice[:, None, None]

    def get_config(self) -> dict:
        return {**super().get_config(), "positive": self.positive, "dice": self.dice}


def masked_loss(n_classes: int, kind: str = "ce", output: str = "softmax"):
    """``"ce"`` (cross-entropy) or ``"ce+dice"``, for a ``softmax`` output of ``n_classes``
    channels or a one-channel ``sigmoid`` output (binary cross-entropy, cloud = class 1)."""
    dice = kind == "ce+dice"
    if output == "sigmoid":
        return MaskedBinaryLoss(1, dice=dice, name="masked_bce_dice" if dice else "masked_bce")
    return MaskedSegmentationLoss(n_classes, dice=dice,
                                  name="masked_ce_dice" if dice else "masked_ce")
