"""Training runs on patches of a generated Biome tree: class weights, loss, resume."""

import csv
import json

import pytest

from crossmask.errors import InputError, OutputExistsError
from crossmask.models.card import load_model
from crossmask.pipelines.inference.predict import predict_product
from crossmask.pipelines.training.split import Split, load_split
from crossmask.pipelines.training.train import TrainConfig, class_weights, train
from crossmask.products import open_product

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture
def prepared(biome_patches):
    return biome_patches


def test_class_weights_balance_the_training_patches(prepared):
    _, split_path, patches = prepared
    from crossmask.pipelines.training.patches import load_index

    weights = class_weights(patches, load_index(patches), load_split(split_path).train, 2)
    assert len(weights) == 2 and all(0.2 <= w <= 5 for w in weights)
    assert class_weights(patches, load_index(patches), [], 2, "none") == [1.0, 1.0]


def test_training_lowers_the_loss_and_predicts_a_scene(prepared, tmp_path):
    root, split_path, patches = prepared
    out = tmp_path / "run"
    config = TrainConfig(model="unmask", width=0.5, epochs=6, batch_size=4,
                         learning_rate=3e-3, patience=10)
    train(patches, load_split(split_path), out, config, progress=False)
    losses = [float(r["loss"]) for r in csv.DictReader((out / "log.csv").open())]
    assert losses[-1] < losses[0]
    scene = open_product(next((root / "l8biome" / "Forest" / "BC").iterdir()))
    result = predict_product([load_model(out)], scene, tmp_path / "mask.tif", progress=False)
    assert 0 <= result.cloud_fraction <= 1 and result.mask.exists()


@pytest.mark.parametrize("strategy", ["default", "mirrored"])
def test_interrupted_training_resumes_without_losing_epochs(prepared, tmp_path, monkeypatch,
                                                            strategy):
    import keras

    from crossmask.pipelines.training import train as train_module

    _, split_path, patches = prepared
    out = tmp_path / "resumable"
    config = TrainConfig(model="unmask", width=0.125, epochs=3, batch_size=4, strategy=strategy)

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
    training = json.loads((out / "model.json").read_text())["training"]
    assert training["epochs_run"] == 3
    assert training["config"]["strategy"] == strategy and training["replicas"] == 1


def test_empty_split_and_finished_run_are_refused(prepared, tmp_path):
    _, split_path, patches = prepared
    empty = Split(seed=0, train=[], val=[], test=[], biomes={})
    with pytest.raises(InputError, match="needs training and validation scenes"):
        train(patches, empty, tmp_path / "x")
    out = tmp_path / "done"
    out.mkdir()
    (out / "model.keras").write_text("finished")
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        train(patches, load_split(split_path), out)
