"""`crossmask train` with every architecture, and its refusals."""

import pytest

from crossmask.models.card import load_model
from crossmask.pipelines.training.split import load_split

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.mark.parametrize("model", ["unmask", "fcnmask", "snmask", "dlmask"])
def test_every_architecture_trains_end_to_end(biome_patches, invoke, tmp_path, model):
    _, split, patches = biome_patches
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


def test_finished_run_and_missing_gpu_are_refused(biome_patches, tmp_path, invoke):
    _, split, patches = biome_patches
    out = tmp_path / "done"
    out.mkdir()
    (out / "model.keras").write_text("finished")
    result = invoke("train", "--data", patches, "--split", split, "-o", out)
    assert result.exit_code == 1 and "pass --overwrite" in result.output
    result = invoke("train", "--data", patches, "--split", split, "-o", tmp_path / "g", "--gpu")
    assert result.exit_code == 1 and "no GPU" in result.output
    result = invoke("train", "--model", "resnet", "--data", patches, "--split", split,
                    "-o", tmp_path / "r")
    assert result.exit_code == 2 and "unmask" in result.output


def test_fine_tune_an_imported_style_sigmoid_model(biome_patches, invoke, tmp_path):
    """--init a one-channel sigmoid U-Net without normalisation (as imported from IPL-UV)
    with --freeze encoder: the child keeps the parent's bands, output and encoder."""
    import numpy as np

    from crossmask.models.card import ModelCard, save_model
    from crossmask.models.registry import get_model

    _, split, patches = biome_patches
    parent = save_model(get_model("unmask", n_bands=4, n_classes=1, width=0.125),
                        ModelCard("unmask", ["B2", "B3", "B4", "B5"], "binary", ["cloud"],
                                  output="sigmoid", name="ipluv-like"), tmp_path / "parent")
    out = tmp_path / "child"
    result = invoke("train", "--data", patches, "--split", split, "-o", out, "--init", parent,
                    "--freeze", "encoder", "--epochs", "1", "--batch-size", "4", "--augment",
                    "flip,gain,saturation,haze")
    assert result.exit_code == 0, result.output
    net, card = load_model(out)
    before, _ = load_model(parent)
    assert card.output == "sigmoid" and card.normalization is None and net.output_shape[-1] == 1
    assert card.training["parent"]["name"] == "ipluv-like"
    assert card.training["freeze"] == "encoder" and card.training["frozen_layers"]
    np.testing.assert_array_equal(net.get_layer("encoder0_conv1").get_weights()[0],
                                  before.get_layer("encoder0_conv1").get_weights()[0])
    result = invoke("train", "--data", patches, "--split", split, "-o", tmp_path / "f",
                    "--freeze", "encoder")
    assert result.exit_code == 1 and "needs a parent model (--init MODEL)" in result.output
