"""`evaluate` on Landsat-7 ETM+ scenes whose clouds saturate: restoring the saturated
visible bands is scored beside the same method without it (an ablation row), and gives
higher OA and smaller |CAD| to a Landsat-8 model that relies on visible brightness."""

import json

import numpy as np
import pandas as pd
import pytest

from crossmask.errors import ConfigError
from crossmask.pipelines.demo.simulate import simulate_tm_set
from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec
from crossmask.pipelines.evaluation.run import run_evaluation
from crossmask.pipelines.evaluation.scoring import methods_for
from crossmask.products import open_labelled

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
L8_SIX = ["B2", "B3", "B4", "B5", "B6", "B7"]
NO_FIX = "(no saturation fix)"


@pytest.fixture(scope="module")
def l7_scenes(tmp_path_factory):
    """Three simulated ETM+ scenes (64 px, Collection 2 with QA_RADSAT) + reference masks."""
    configs = simulate_tm_set(tmp_path_factory.mktemp("l7"), n_scenes=3, size_30m=64, seed=0,
                              biomes=("Forest", "Grass-Crops", "Urban"))
    return configs[0].parent


@pytest.fixture(scope="module")
def visible_model(tmp_path_factory):
    """A 1×1-conv sigmoid Landsat-8 model: cloud where blue + green + red > 1.5 — white,
    bright cloud tops, as an L8-trained network sees them."""
    import keras

    from crossmask.models.card import ModelCard, save_model

    inputs = keras.Input((None, None, 6))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(inputs))
    model.set_weights([np.array([4, 4, 4, 0, 0, 0], "float32").reshape(1, 1, 6, 1),
                       np.array([-6.0], "float32")])
    card = ModelCard("unmask", L8_SIX, "binary", ["cloud"], output="sigmoid", stride=1,
                     name="visible")
    return save_model(model, card, tmp_path_factory.mktemp("model") / "visible")


def test_simulated_clouds_saturate_the_visible_bands(l7_scenes):
    for toml in sorted(l7_scenes.glob("*.toml")):
        scene = open_labelled(toml)
        reference = scene.read_reference()
        thick = reference == 2
        blue = scene.product.saturation("B1")
        assert scene.sensor == "L7" and thick.mean() > 0.03
        assert blue[thick].mean() > 0.3 and blue.mean() > 0.03  # about a tenth of pixels
        assert not scene.product.saturation("B4").any()  # NIR at low gain


@pytest.fixture(scope="module")
def report(l7_scenes, visible_model, bright_model, tmp_path_factory):
    """The evaluation of both models with ``none`` and ``roy2016``, restoration on and off
    (the default ``saturation = ["on", "off"]``): ``(config, out dir, result)``."""
    config = EvaluationConfig(
        name="saturation", models=[ModelSpec("visible", str(visible_model)),
                                   ModelSpec("bright", str(bright_model))],
        datasets=[DatasetSpec("l7", str(l7_scenes))], methods=["none", "roy2016"],
        n_boot=200, quicklooks=0)
    out = tmp_path_factory.mktemp("report") / "report"
    return config, out, run_evaluation(config, out, progress=False)


def test_restoring_saturation_raises_oa_and_lowers_cad(report):
    _, out, result = report
    table = result.table.set_index(["model", "method"])
    labels = ["none", f"none {NO_FIX}", "roy2016", f"roy2016 {NO_FIX}"]
    assert list(table.loc["visible"].index) == labels  # each method, then its ablation row
    for method in ("none", "roy2016"):
        on, off = table.loc[("visible", method)], table.loc[("visible", f"{method} {NO_FIX}")]
        print(f"{method}: OA {on['OA %']:.2f} vs {off['OA %']:.2f} %, |CAD| "
              f"{on['|CAD| pp']:.2f} vs {off['|CAD| pp']:.2f} pp")
        assert on["OA %"] > off["OA %"] + 5 and on["|CAD| pp"] < off["|CAD| pp"] - 5
    scores = result.results.pivot_table(index=["model", "scene_id"], columns="method",
                                        values=["oa", "cad"])
    visible = scores.loc["visible"]
    assert (visible[("oa", "none")] > visible[("oa", f"none {NO_FIX}")]).all()
    assert (visible[("cad", "none")].abs() < visible[("cad", f"none {NO_FIX}")].abs()).all()
    # a model of all six bands, already right about saturated clouds, is not made worse
    assert table.loc[("bright", "none"), "OA %"] >= table.loc[("bright", f"none {NO_FIX}"),
                                                              "OA %"]
    effect = pd.read_csv(out / "harmonization_effect.csv").set_index(["model", "method"])
    row = effect.loc[("visible", f"none vs none {NO_FIX}")]
    assert row["baseline"] == f"none {NO_FIX}" and row["dOA pp"] > 5
    assert row["verdict"] == "higher OA and smaller |CAD|"
    assert ("visible", "roy2016") in effect.index  # and methods still against 'none'


def test_ablation_records_have_their_own_fingerprints(report):
    config, out, _ = report
    records = [json.loads(p.read_text()) for p in (out / "records").glob("*.json")]
    assert len(records) == 2 * 4 * 3  # models × labels × scenes
    on = next(r for r in records if r["method"] == "none")
    off = next(r for r in records if r["method"] == f"none {NO_FIX}"
               and r["scene_id"] == on["scene_id"] and r["model"] == on["model"])
    assert on["fingerprint"]["adjustment"] != off["fingerprint"]["adjustment"]
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["saturation"] == ["on", "off"]
    only_on = EvaluationConfig(name="fp", models=config.models[1:], datasets=config.datasets,
                               methods=["none"], saturation=["on"], n_boot=20, quicklooks=0)
    again = run_evaluation(only_on, out, progress=False)  # resumes; no ablation row
    assert list(again.table["method"]) == ["none"]


def test_the_saturation_setting_is_checked_and_drives_the_labels(bright_model, l7_scenes):
    with pytest.raises(ConfigError, match="give one or both of on, off"):
        EvaluationConfig(name="x", models=[ModelSpec("b", str(bright_model))],
                         datasets=[DatasetSpec("l7", str(l7_scenes))], saturation=["maybe"])
    assert methods_for(["none", "ols", "hls", "roy2016"], "L7", "L8") == [
        "none", f"none {NO_FIX}", "ols", f"ols {NO_FIX}", "roy2016", f"roy2016 {NO_FIX}"]
    assert methods_for(["none", "ols"], "L5", "L7") == ["none", f"none {NO_FIX}"]
    assert methods_for(["none", "ols", "hls"], "S2A", "L8", ["on", "off"]) == \
        ["none", "ols", "hls"]
    assert methods_for(["none", "ols"], "L7", "L8", ["on"]) == ["none", "ols"]
