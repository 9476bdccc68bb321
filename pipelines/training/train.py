"""Train a cloud model on patch shards of any labelled source, from scratch or
fine-tuning a parent model; resumable, with a model card.

A run directory holds ``model.keras`` + ``model.json`` (the result), ``log.csv`` (one
row per epoch), ``best.keras`` (best validation loss so far) and ``backup/`` (Keras
``BackupAndRestore`` state: an interrupted run resumes at the last finished epoch when
the same command is run again).  The card records the configuration (bands,
augmentations with their parameters, parent model and frozen layers), the data (patch
folder, source, harmonisation, training and validation scenes) and validation scores.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from crossmask.atomic import check_output_path
from crossmask.classes import IGNORE, ClassScheme, get_scheme
from crossmask.errors import InputError
from crossmask.pipelines.training.augment import (
    DEFAULT_AUGMENTATIONS,
    augmentation_record,
    check_augmentations,
)
from crossmask.pipelines.training.finetune import check_parent, freeze_layers, parent_record
from crossmask.pipelines.training.patches import (
    band_stats,
    load_index,
    make_dataset,
    select_bands,
)
from crossmask.pipelines.training.resume import claim_run, run_fingerprint
from crossmask.pipelines.training.split import Split

__all__ = ["STRATEGIES", "TrainConfig", "class_weights", "distribution_strategy", "train"]

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Hyper-parameters of a training run (all saved in the model card).

    ``bands``: the patches' bands the model takes (default all; a fine-tuned model takes
    its parent's).  ``augment``: names of :mod:`~crossmask.pipelines.training.augment`.
    ``init``: a parent model folder to fine-tune (its architecture replaces ``model``);
    ``freeze``: ``none`` or ``encoder`` (see :mod:`~crossmask.pipelines.training.finetune`).
    """

    model: str = "unmask"
    width: float = 1.0
    epochs: int = 50
    batch_size: int = 8
    learning_rate: float = 1e-3
    loss: str = "ce"  # "ce" or "ce+dice"
    class_weighting: str = "balanced"  # "balanced" or "none"
    patience: int = 10
    steps_per_epoch: int | None = None
    seed: int = 0
    require_gpu: bool = False
    strategy: str = "default"  # "default", "mirrored" or "multiworker" (tf.distribute)
    bands: list[str] | None = None
    augment: list[str] = field(default_factory=lambda: list(DEFAULT_AUGMENTATIONS))
    init: str | None = None
    freeze: str = "none"


@dataclass
class _Plan:
    """What a run takes from the patches and the parent: bands, normalisation, output."""

    index: dict
    scheme: ClassScheme
    bands: list[str]
    normalization: dict | None
    weights: list[float]
    output: str = "softmax"
    parent: object = None  # the parent's ModelCard when fine-tuning


def class_weights(patch_dir: Path, index: dict, scene_ids: list[str], n_classes: int,
                  mode: str = "balanced") -> list[float]:
    """Per-class loss weights: median-frequency balancing over the training patches.

    Weights are clipped to [0.2, 5]; ``mode="none"`` gives ones.
    """
    if mode == "none":
        return [1.0] * n_classes
    counts = np.zeros(n_classes, dtype=np.int64)
    wanted = set(scene_ids)
    for shard in index["shards"]:
        if shard["scene"] in wanted:
            with np.load(patch_dir / shard["file"]) as data:
                y = data["y"]
            counts += np.bincount(y[y != IGNORE].ravel(), minlength=n_classes)[:n_classes]
    freq = counts / max(counts.sum(), 1)
    present = freq[freq > 0]
    weights = np.where(freq > 0, np.median(present) / np.maximum(freq, 1e-12), 1.0)
    return np.clip(weights, 0.2, 5.0).round(4).tolist()


def train(patch_dir: str | os.PathLike, split: Split, out_dir: str | os.PathLike,
          config: TrainConfig | None = None, overwrite: bool = False,
          progress: bool = True) -> Path:
    """Train ``config.model`` (or fine-tune ``config.init``) on the split's training
    scenes; return the run directory.

    Raises
    ------
    InputError
        Empty split, no GPU when one is required, bad hyper-parameters, unknown bands or
        augmentations, a parent that does not fit the patches.
    OutputExistsError
        The run already finished (``model.keras`` exists) and ``overwrite`` is false.
    """
    config = config or TrainConfig()
    patch_dir, out_dir = Path(patch_dir), Path(out_dir)
    check_output_path(out_dir / "model.keras", overwrite)
    if not split.train or not split.val:
        raise InputError(f"{split.path or 'split'}: needs training and validation scenes "
                         f"(train {len(split.train)}, val {len(split.val)})")
    config, plan = _plan(patch_dir, split, config)
    import keras

    if config.require_gpu:
        from crossmask.models.runtime import require_gpu

        require_gpu()
    keras.utils.set_random_seed(config.seed)
    train_ds, val_ds = (
        _weighted(make_dataset(patch_dir, ids, config.batch_size, shuffle=training,
                               augment=config.augment if training else (), seed=config.seed,
                               sample_weights=True, bands=plan.bands), plan)
        for ids, training in ((split.train, True), (split.val, False)))
    out_dir.mkdir(parents=True, exist_ok=True)
    claim_run(out_dir, run_fingerprint(config, patch_dir, split))
    strategy = distribution_strategy(config.strategy)
    with strategy.scope():
        model, frozen = _compiled_model(config, plan)
    if config.steps_per_epoch:  # epochs of a set length: draw from an endless stream
        train_ds = train_ds.repeat()
    callbacks = _callbacks(config, out_dir) + ([_epoch_bar(config.epochs)] if progress else [])
    history = model.fit(train_ds, validation_data=val_ds, epochs=config.epochs,
                        steps_per_epoch=config.steps_per_epoch, callbacks=callbacks,
                        shuffle=False, verbose=2 if log.isEnabledFor(logging.INFO) else 0)
    training = {"validation": _validation_metrics(model, val_ds, plan),
                "last_epoch": _last(history.history), "frozen_layers": frozen,
                "replicas": strategy.num_replicas_in_sync}
    from crossmask.models.card import save_model

    return save_model(model, _card(config, plan, split, patch_dir, out_dir, training),
                      out_dir, overwrite=True)


def _plan(patch_dir: Path, split: Split, config: TrainConfig) -> tuple[TrainConfig, _Plan]:
    """Check the configuration against the patches (and parent); what the run takes."""
    index = load_index(patch_dir)
    scheme = get_scheme(index["scheme"])
    config = replace(config, augment=list(check_augmentations(config.augment)))
    if config.freeze != "none" and not config.init:
        raise InputError(f"--freeze {config.freeze} needs a parent model (--init MODEL)")
    weights = class_weights(patch_dir, index, split.train, scheme.n_classes,
                            config.class_weighting)
    if config.init:
        from crossmask.models.card import read_card

        parent = read_card(config.init)
        check_parent(parent, index, config.bands, str(config.init))
        config = replace(config, model=parent.architecture, bands=list(parent.bands))
        return config, _Plan(index, scheme, list(parent.bands), parent.normalization, weights,
                             parent.output, parent)
    bands = list(config.bands or index["bands"])
    picks = select_bands(index, bands, patch_dir / "index.json")
    stats = band_stats(index, split.train)
    normalization = {"mean": [stats["mean"][i] for i in picks],
                     "std": [stats["std"][i] for i in picks]}
    return config, _Plan(index, scheme, bands, normalization, weights)


def _card(config: TrainConfig, plan: _Plan, split: Split, patch_dir: Path, out_dir: Path,
          training: dict):
    """The model card of a finished run."""
    from crossmask.models.card import ModelCard
    from crossmask.models.registry import MODELS, model_stride

    parent, index = plan.parent, plan.index
    title = MODELS[config.model].title if config.model in MODELS else config.model
    tuned_on = {"patch_dir": str(patch_dir.resolve()), "source": index.get("source", {}),
                "harmonization": index.get("harmonization", {}), "scheme": index["scheme"],
                "train_scenes": list(split.train)}
    return ModelCard(
        architecture=config.model, bands=list(plan.bands), class_scheme=plan.scheme.name,
        class_names=list(parent.class_names if parent else plan.scheme.classes),
        output=plan.output, normalization=plan.normalization,
        threshold=parent.threshold if parent else 0.5,
        stride=parent.stride if parent else model_stride(config.model), name=out_dir.name,
        display_name=f"{title} {out_dir.name} ({len(plan.bands)} bands"
                     + (f", tuned from {parent.label})" if parent else ")"),
        source=("fine-tuned with crossmask from " + parent.label) if parent else
        "trained with crossmask",
        training={"config": asdict(config), "train_scenes": list(split.train),
                  "val_scenes": list(split.val), "split_seed": split.seed,
                  "epochs_run": len(_log_rows(out_dir)), "class_weights": plan.weights,
                  "patch_size": index["size"], "patch_dir": str(patch_dir),
                  "augmentations": augmentation_record(config.augment),
                  "parent": parent_record(config.init, parent) if parent else None,
                  "freeze": config.freeze, "tuned_on": tuned_on, **training})


#: ``--strategy`` → how training is spread over devices (``tf.distribute``).
STRATEGIES = ("default", "mirrored", "multiworker")


def distribution_strategy(name: str):
    """The ``tf.distribute`` strategy of ``name``: ``default`` (one device), ``mirrored``
    (every local GPU, else the CPU; the global batch is split across replicas) or
    ``multiworker`` (the machines listed in the ``TF_CONFIG`` environment variable, each
    mirrored over its devices; without TF_CONFIG, this machine alone)."""
    import tensorflow as tf

    if name not in STRATEGIES:
        raise InputError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGIES)}")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy(devices=[d.name for d in gpus] or ["/cpu:0"])
    return tf.distribute.MultiWorkerMirroredStrategy()


def _epoch_bar(epochs: int):
    """A Keras callback showing one progress bar over the epochs (losses as postfix);
    silent when stderr is not a terminal."""
    import keras
    from tqdm.auto import tqdm

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=epochs, desc="train", unit="epoch", disable=None)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.n = epoch + 1
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items()
                                  if "loss" in k})

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()


def _weighted(ds, plan: _Plan):
    """Normalise ``x`` as the model expects and weight each pixel by its class weight."""
    import tensorflow as tf

    table = tf.constant(plan.weights + [0.0] * (256 - len(plan.weights)), tf.float32)
    norm = plan.normalization
    mean = tf.constant(norm["mean"] if norm else [0.0] * len(plan.bands), tf.float32)
    std = tf.constant(norm["std"] if norm else [1.0] * len(plan.bands), tf.float32)
    return ds.map(lambda x, y, w: ((x - mean) / std, y,
                                   w * tf.gather(table, tf.cast(y, tf.int32))))


def _compiled_model(config: TrainConfig, plan: _Plan):
    """The network (built, or the parent loaded and frozen as asked) compiled with the
    masked loss of its output; and the names of the frozen layers."""
    import keras

    from crossmask.models.registry import get_model
    from crossmask.pipelines.training.losses import masked_loss

    if config.loss not in ("ce", "ce+dice") or config.epochs < 1 or config.batch_size < 1:
        raise InputError(f"bad training settings: loss {config.loss!r} (ce or ce+dice), "
                         f"epochs {config.epochs}, batch size {config.batch_size}")
    if plan.parent is not None:
        from crossmask.models.card import load_model

        model, _ = load_model(config.init)
        frozen = freeze_layers(model, config.model, config.freeze)
    else:
        model = get_model(config.model, n_bands=len(plan.bands),
                          n_classes=plan.scheme.n_classes, width=config.width)
        frozen = []
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss=masked_loss(plan.scheme.n_classes, config.loss, plan.output))
    return model, frozen


def _callbacks(config: TrainConfig, out_dir: Path) -> list:
    import keras

    return [keras.callbacks.BackupAndRestore(str(out_dir / "backup")),
            keras.callbacks.ModelCheckpoint(str(out_dir / "best.keras"), monitor="val_loss",
                                            save_best_only=True),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                          restore_best_weights=True),
            keras.callbacks.CSVLogger(str(out_dir / "log.csv"), append=True)]


def _validation_metrics(model, val_ds, plan: _Plan) -> dict:
    """Pixel-pooled overall accuracy (and cloud F1 for two classes) on the validation set."""
    n_classes = plan.scheme.n_classes
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    threshold = plan.parent.threshold if plan.parent is not None else 0.5
    for x, y, w in val_ds:
        probs = model.predict_on_batch(x)
        pred = ((probs[..., 0] >= threshold).astype(np.int64) if plan.output == "sigmoid"
                else np.argmax(probs, axis=-1)).ravel()
        ref = y.numpy().ravel()
        keep = ref != IGNORE
        confusion += np.bincount(ref[keep] * n_classes + pred[keep],
                                 minlength=n_classes**2).reshape(n_classes, n_classes)
    total = confusion.sum()
    out = {"pixels": int(total), "overall_accuracy": float(np.trace(confusion) / max(total, 1))}
    if n_classes == 2:
        tp, fp, fn = confusion[1, 1], confusion[0, 1], confusion[1, 0]
        out["cloud_f1"] = float(2 * tp / max(2 * tp + fp + fn, 1))
    return out


def _log_rows(out_dir: Path) -> list[str]:
    log = out_dir / "log.csv"
    return log.read_text().strip().splitlines()[1:] if log.exists() else []


def _last(history: dict) -> dict:
    return {k: float(v[-1]) for k, v in history.items() if v}
