"""Fine-tuning: which layers are the encoder, the sigmoid loss, parents that fit or not,
and a frozen encoder that stays put while the decoder learns."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from crossmask.errors import InputError
from crossmask.models.card import ModelCard, load_model, save_model
from crossmask.pipelines.training.finetune import (
    ENCODER_PREFIXES,
    check_parent,
    encoder_layers,
    freeze_layers,
)
from crossmask.pipelines.training.patches import extract_patches, load_index
from crossmask.pipelines.training.sources import open_source, source_split
from crossmask.pipelines.training.train import TrainConfig, train
from crossmask.products.writers.labelled import write_config, write_geotiff_scene

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
L8_FIVE = ["B2", "B3", "B4", "B5", "B6"]


def _backbone_layer_names(architecture: str) -> set[str]:
    """Layers with weights of the architecture's backbone builder run on its own."""
    import keras

    from crossmask.models import dlmask, fcnmask, snmask
    from crossmask.models.layers import vgg_backbone
    from crossmask.models.unmask import unmask_backbone

    x = keras.Input((None, None, 3))
    if architecture == "unmask":
        out = unmask_backbone(x, [2, 4, 8, 16, 32])
    elif architecture == "dlmask":
        out = dlmask.deeplab_backbone(x, 4)
    else:
        convs = (fcnmask if architecture == "fcnmask" else snmask).STAGE_CONVS
        out, _ = vgg_backbone(x, (2, 4, 8, 8, 8), convs)
    model = keras.Model(x, list(out.values()))
    return {layer.name for layer in model.layers if layer.weights}


@pytest.mark.parametrize("architecture", sorted(ENCODER_PREFIXES))
def test_encoder_layers_are_exactly_the_backbone(architecture):
    from crossmask.models.registry import get_model

    model = get_model(architecture, n_bands=3, n_classes=2, width=0.125)
    found = {layer.name for layer in encoder_layers(model, architecture) if layer.weights}
    assert found == _backbone_layer_names(architecture)
    frozen = freeze_layers(model, architecture, "encoder")
    assert set(frozen) == found
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable and not trainable & found  # the decoder / head still learn
    assert freeze_layers(model, architecture, "none") == []
    with pytest.raises(InputError, match="unknown freeze mode"):
        freeze_layers(model, architecture, "decoder")


def test_masked_binary_loss_is_the_cross_entropy_of_valid_pixels():
    from crossmask.pipelines.training.losses import masked_loss

    y = np.array([[[0, 1], [255, 1]]], np.uint8)
    p = np.array([[[[0.2], [0.9]], [[0.5], [0.6]]]], np.float32)
    loss = masked_loss(1, "ce", output="sigmoid")
    per_pixel = np.array([-np.log(0.8), -np.log(0.9), 0.0, -np.log(0.6)])
    assert float(loss(y, p)) == pytest.approx(per_pixel.sum() / 4, rel=1e-5)
    assert loss.name == "masked_bce" and masked_loss(2, "ce+dice").name == "masked_ce_dice"


def test_parents_that_do_not_fit_the_patches_are_refused():
    index = {"bands": L8_FIVE, "scheme": "three", "sensor": "L8"}
    sigmoid = ModelCard("unmask", ["B2", "B3"], "binary", ["cloud"], output="sigmoid")
    with pytest.raises(InputError, match="fine-tunes on binary patches"):
        check_parent(sigmoid, index, None, "parent")
    softmax = ModelCard("unmask", ["B2", "B7"], "three", ["clear", "cloud", "shadow"])
    with pytest.raises(InputError, match="needs bands B7 that the patches lack"):
        check_parent(softmax, index, None, "parent")
    with pytest.raises(InputError, match="takes its parent's bands"):
        check_parent(softmax, index, ["B2"], "parent")
    binary = ModelCard("unmask", ["B2"], "binary", ["clear", "cloud"])
    with pytest.raises(InputError, match="predicts the binary scheme"):
        check_parent(binary, index, None, "parent")
    check_parent(ModelCard("unmask", ["B3"], "three", ["clear", "cloud", "shadow"]), index,
                 None, "parent")


@pytest.fixture(scope="module")
def folder_patches(tmp_path_factory):
    """32 px GeoTIFF scenes in train/ and val/ folders sharing one config, cut into 16 px
    patches: ``(patch folder, split)``."""
    root = tmp_path_factory.mktemp("finetune")
    for part, n in (("train", 3), ("val", 1)):
        for k in range(n):
            write_geotiff_scene(root / "data" / part, f"{part}{k}", size=32, seed=k).unlink()
    codes = write_config(root / "codes.toml", {
        "sensor": "L8", "bands": L8_FIVE, "scale": 0.0001, "labels": "{stem}_labels.tif",
        "codes": {10: "clear", 20: "thin", 30: "cloud", 40: "shadow"}})
    source = open_source(root / "data", codes)
    split = source_split(source)
    extract_patches(source.scenes, root / "patches", bands=L8_FIVE, size=16, stride=16,
                    max_fill=1.0, train_ids=split.train, source=source.describe())
    return root / "patches", split


def _parent(folder: Path, output: str) -> Path:
    """A saved width-0.125 UNmask with random weights: softmax (two classes, normalised
    input) or, like the imported IPL-UV nets, sigmoid without normalisation."""
    from crossmask.models.registry import get_model

    sigmoid = output == "sigmoid"
    model = get_model("unmask", n_bands=4, n_classes=1 if sigmoid else 2, width=0.125)
    card = ModelCard("unmask", ["B2", "B3", "B4", "B5"], "binary",
                     ["cloud"] if sigmoid else ["clear", "cloud"], output=output,
                     normalization=None if sigmoid else {"mean": [0.2] * 4, "std": [0.1] * 4},
                     name=f"parent-{output}", source="test parent")
    return save_model(model, card, folder / f"parent-{output}")


def _weights(model, names) -> dict:
    return {n: [w.numpy() for w in model.get_layer(n).weights] for n in names}


@pytest.mark.slow
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_fine_tuning_with_a_frozen_encoder_moves_only_the_decoder(folder_patches, tmp_path,
                                                                  output):
    patches, split = folder_patches
    parent = _parent(tmp_path, output)
    config = TrainConfig(epochs=2, batch_size=4, learning_rate=0.02, init=str(parent),
                         freeze="encoder", augment=["flip", "gain"], model="fcnmask")
    run = train(patches, split, tmp_path / "child", config, progress=False)
    before, _ = load_model(parent)
    after, card = load_model(run)
    encoder = [layer.name for layer in encoder_layers(before, "unmask") if layer.weights]
    for name, weights in _weights(before, encoder).items():
        for a, b in zip(weights, _weights(after, [name])[name]):
            np.testing.assert_array_equal(a, b)  # kernels and batch-norm statistics
    decoder = [layer.name for layer in before.layers
               if layer.weights and layer.name not in encoder]
    changed = [any(not np.array_equal(a, b) for a, b in zip(_weights(before, [n])[n],
                                                            _weights(after, [n])[n]))
               for n in decoder]
    assert all(changed)
    assert card.architecture == "unmask" and card.bands == ["B2", "B3", "B4", "B5"]
    assert card.output == output and card.normalization == (
        None if output == "sigmoid" else {"mean": [0.2] * 4, "std": [0.1] * 4})
    training = card.training
    assert training["parent"]["path"] == str(parent.resolve())
    assert training["parent"]["name"] == f"parent-{output}" and training["freeze"] == "encoder"
    assert set(training["frozen_layers"]) == set(encoder)
    assert training["config"]["init"] == str(parent) and training["config"]["model"] == "unmask"
    assert set(training["augmentations"]) == {"flip", "gain"}
    assert training["tuned_on"]["source"] == load_index(patches)["source"]
    assert training["tuned_on"]["train_scenes"] == list(split.train)
    assert len(list(csv.DictReader((run / "log.csv").open()))) == 2
    assert json.loads((run / "model.json").read_text())["training"]["parent"]["digest"]


def test_freeze_without_a_parent_and_unknown_bands_are_refused(folder_patches, tmp_path):
    patches, split = folder_patches
    with pytest.raises(InputError, match="needs a parent model"):
        train(patches, split, tmp_path / "a", TrainConfig(freeze="encoder"))
    with pytest.raises(InputError, match="missing: B7"):
        train(patches, split, tmp_path / "b", TrainConfig(bands=["B2", "B7"]))
    with pytest.raises(InputError, match="unknown augmentation"):
        train(patches, split, tmp_path / "c", TrainConfig(augment=["blur"]))
