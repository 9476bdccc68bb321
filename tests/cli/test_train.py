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


def test_mirrored_strategy_on_one_cpu_replica(biome_patches, invoke, tmp_path):
    _, split, patches = biome_patches
    out = tmp_path / "mirrored"
    result = invoke("train", "--data", patches, "--split", split, "-o", out, "--width", "0.125",
                    "--epochs", "2", "--batch-size", "4", "--strategy", "mirrored")
    assert result.exit_code == 0, result.output
    _, card = load_model(out)
    assert card.training["config"]["strategy"] == "mirrored"
    assert card.training["replicas"] == 1 and card.training["epochs_run"] == 2
