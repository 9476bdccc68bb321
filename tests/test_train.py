"""`crossmask biome split|patches` and `crossmask train` on a generated Biome tree."""

import csv
import json

import pytest

from crossmask.errors import InputError
from crossmask.harmonize.samples.landsat import write_biome_tree
from crossmask.models.card import load_model
from crossmask.pipelines.biome import Split, load_split
from crossmask.pipelines.train import TrainConfig, class_weights, train

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A two-biome tree (3 scenes each, 64 px), its split and 32 px patches, via the CLI."""
    from click.testing import CliRunner

    from crossmask.cli import main

    root = tmp_path_factory.mktemp("biome")
    write_biome_tree(root / "l8biome", ("Barren", "Forest"), scenes_per_biome=3, size=64)
    run = CliRunner().invoke
    split = root / "split.json"
    result = run(main, ["biome", "split", str(root / "l8biome"), "--counts", "1,1,1",
                        "-o", str(split)])
    assert result.exit_code == 0, result.output
    patches = root / "patches"
    result = run(main, ["biome", "patches", str(root / "l8biome"), "--split", str(split),
                        "--size", "32", "--stride", "32", "-o", str(patches)])
    assert result.exit_code == 0, result.output
    return root, split, patches


def test_split_file_is_stratified(prepared):
    _, split_path, _ = prepared
    split = load_split(split_path)
    assert len(split.train) == len(split.val) == len(split.test) == 2
    assert {split.biomes[s] for s in split.train} == {"Barren", "Forest"}


def test_class_weights_balance_the_training_patches(prepared):
    _, split_path, patches = prepared
    from crossmask.pipelines.patches import load_index

    weights = class_weights(patches, load_index(patches), load_split(split_path).train, 2)
    assert len(weights) == 2 and all(0.2 <= w <= 5 for w in weights)
    assert class_weights(patches, load_index(patches), [], 2, "none") == [1.0, 1.0]


@pytest.mark.parametrize("model", ["unmask", "fcnmask", "snmask", "dlmask"])
def test_every_architecture_trains_end_to_end(prepared, invoke, tmp_path, model):
    _, split, patches = prepared
    out = tmp_path / "runs" / model
    result = invoke("train", "--model", model, "--data", patches, "--split", split, "-o", out,
                    "--width", "0.125", "--epochs", "1", "--batch-size", "4")
    assert result.exit_code == 0, result.output
    assert str(out / "model.keras") in result.output
    net, card = load_model(out)
    assert card.architecture == model and card.bands == ["B1", "B2", "B3", "B4", "B5", "B6",
                                                          "B7", "B9"]
    assert card.class_scheme == "binary" and len(card.normalization["mean"]) == 8
    assert card.training["train_scenes"] == list(load_split(split).train)
    assert 0 <= card.training["validation"]["overall_accuracy"] <= 1
    assert set(card.versions) == {"crossmask", "keras", "tensorflow"}
    assert net.output_shape[-1] == 2


def test_training_lowers_the_loss_and_predicts_a_scene(prepared, invoke, tmp_path):
    root, split_path, patches = prepared
    out = tmp_path / "run"
    config = TrainConfig(model="unmask", width=0.5, epochs=6, batch_size=4,
                         learning_rate=3e-3, patience=10)
    train(patches, load_split(split_path), out, config, progress=False)
    losses = [float(r["loss"]) for r in csv.DictReader((out / "log.csv").open())]
    assert losses[-1] < losses[0]
    scene = next((root / "l8biome" / "Forest" / "BC").iterdir())
    mask = tmp_path / "mask.tif"
    result = invoke("predict", out, scene, "-o", mask)
    assert result.exit_code == 0, result.output
    assert "cloud fraction" in result.output and mask.exists()


def test_interrupted_training_resumes_without_losing_epochs(prepared, tmp_path, monkeypatch):
    import keras

    from crossmask.pipelines import train as train_module

    _, split_path, patches = prepared
    out = tmp_path / "resumable"
    config = TrainConfig(model="unmask", width=0.25, epochs=3, batch_size=4)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt("simulated interruption")

    original = train_module._callbacks
    monkeypatch.setattr(train_module, "_callbacks", lambda c, o: original(c, o) + [Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        train(patches, load_split(split_path), out, config, progress=False)
    assert not (out / "model.keras").exists()
    monkeypatch.setattr(train_module, "_callbacks", original)
    train(patches, load_split(split_path), out, config, progress=False)
    epochs = [int(r["epoch"]) for r in csv.DictReader((out / "log.csv").open())]
    assert epochs == [0, 1, 2]
    assert json.loads((out / "model.json").read_text())["training"]["epochs_run"] == 3


def test_empty_split_and_finished_run_are_refused(prepared, tmp_path, invoke):
    _, split_path, patches = prepared
    empty = Split(seed=0, train=[], val=[], test=[], biomes={})
    with pytest.raises(InputError, match="needs training and validation scenes"):
        train(patches, empty, tmp_path / "x")
    out = tmp_path / "done"
    (out).mkdir()
    (out / "model.keras").write_text("finished")
    result = invoke("train", "--data", patches, "--split", split_path, "-o", out)
    assert result.exit_code == 1 and "pass --overwrite" in result.output
    result = invoke("train", "--data", patches, "--split", split_path, "-o", tmp_path / "g",
                    "--gpu")
    assert result.exit_code == 1 and "no GPU" in result.output
