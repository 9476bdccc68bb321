"""Fine-tuning: start training from a parent model — a crossmask run or an imported model
(e.g. the IPL-UV U-Nets) — optionally with its encoder frozen.

The parent fixes what the child takes and predicts: its input bands (picked from the
patches), its per-band normalisation (``None`` for IPL-UV, which normalises inside its
graph), its output (``sigmoid``: one cloud-probability channel, trained with the masked
binary cross-entropy of :mod:`~crossmask.pipelines.training.losses`; ``softmax``: the
parent's class scheme) and its architecture.

**Which layers are the encoder** (:data:`ENCODER_PREFIXES`): the layers that the
architecture's backbone builder names, by name prefix — UNmask (and the IPL-UV U-Nets
rebuilt from UNmask parts) ``encoder<k>_…`` (:func:`~crossmask.models.unmask.unmask_backbone`);
FCNmask and SNmask the VGG blocks ``block<k>_…``; DLmask the dilated residual backbone
``stem_…`` and ``stage<k>_…`` (ASPP and decoder stay trainable).  ``--freeze encoder``
sets those layers non-trainable; batch normalisation in them then also keeps its moving
statistics (Keras runs a frozen BatchNormalization in inference mode).
"""

from __future__ import annotations

import os
from pathlib import Path

from crossmask.classes import get_scheme
from crossmask.errors import InputError

__all__ = ["ENCODER_PREFIXES", "FREEZE_MODES", "check_parent", "encoder_layers",
           "freeze_layers", "parent_record"]

#: Architecture → name prefixes of its encoder (backbone) layers.
ENCODER_PREFIXES: dict[str, tuple[str, ...]] = {
    "unmask": ("encoder",), "fcnmask": ("block",), "snmask": ("block",),
    "dlmask": ("stem", "stage"),
}
#: What ``--freeze`` may name.
FREEZE_MODES = ("none", "encoder")


def encoder_layers(model, architecture: str) -> list:
    """The layers of ``model`` that belong to its encoder (see :data:`ENCODER_PREFIXES`).

    Raises InputError for an architecture without a known encoder, or a model with no
    layer of that name.
    """
    if architecture not in ENCODER_PREFIXES:
        raise InputError(f"no encoder is known for architecture {architecture!r}; known: "
                         f"{', '.join(ENCODER_PREFIXES)}")
    prefixes = ENCODER_PREFIXES[architecture]
    found = [layer for layer in model.layers if layer.name.startswith(prefixes)]
    if not any(layer.weights for layer in found):
        raise InputError(f"model {model.name!r} has no {architecture} encoder layers "
                         f"(names starting with {', '.join(prefixes)})")
    return found


def freeze_layers(model, architecture: str, mode: str) -> list[str]:
    """Freeze what ``mode`` names (``none`` or ``encoder``); return the frozen layers'
    names (only layers with weights)."""
    if mode not in FREEZE_MODES:
        raise InputError(f"unknown freeze mode {mode!r}; valid: {', '.join(FREEZE_MODES)}")
    if mode == "none":
        return []
    layers = encoder_layers(model, architecture)
    for layer in layers:
        layer.trainable = False
    return [layer.name for layer in layers if layer.weights]


def check_parent(card, index: dict, bands: list[str] | None, origin: str) -> None:
    """Can a parent with this card fine-tune on these patches?

    Raises InputError: another sensor, bands the patches lack, ``bands`` other than the
    parent's, a sigmoid parent on non-binary patches, a softmax parent of another scheme.
    """
    scheme = get_scheme(index["scheme"])
    if card.sensor != index.get("sensor", "L8"):
        raise InputError(f"{origin}: the parent takes {card.sensor} bands but the patches "
                         f"are {index.get('sensor', 'L8')} reflectance")
    if bands and list(bands) != list(card.bands):
        raise InputError(f"{origin}: a fine-tuned model takes its parent's bands "
                         f"({', '.join(card.bands)}); drop --bands {', '.join(bands)}")
    missing = [b for b in card.bands if b not in index["bands"]]
    if missing:
        raise InputError(f"{origin}: the parent needs bands {', '.join(missing)} that the "
                         f"patches lack (they hold {', '.join(index['bands'])}); cut patches "
                         "with --bands including them")
    if card.output == "sigmoid" and scheme.name != "binary":
        raise InputError(f"{origin}: the parent predicts one cloud probability (sigmoid); "
                         f"it fine-tunes on binary patches, these are {scheme.name} "
                         "(cut them with --scheme binary)")
    if card.output != "sigmoid" and (card.class_scheme != scheme.name
                                     or len(card.class_names) != scheme.n_classes):
        raise InputError(f"{origin}: the parent predicts the {card.class_scheme} scheme "
                         f"({', '.join(card.class_names)}); the patches are {scheme.name}")


def parent_record(path: str | os.PathLike, card) -> dict:
    """What the child's card says about its parent."""
    from crossmask.models.card import model_digest

    return {"path": str(Path(path).resolve()), "name": card.name, "display_name": card.label,
            "architecture": card.architecture, "source": card.source, "output": card.output,
            "bands": list(card.bands), "class_scheme": card.class_scheme,
            "digest": model_digest(path),
            "trained_on": card.training.get("tuned_on") or card.training.get("patch_dir")
            or card.training.get("dataset")}
