"""`crossmask evaluate`: models × methods × datasets → tables, figures, report; resume."""

import json

import numpy as np
import pandas as pd
import pytest

from crossmask.errors import InputError, MissingBandError
from crossmask.harmonize import METHODS
from crossmask.pipelines.evaluation.config import (
    DatasetSpec,
    EvaluationConfig,
    ModelSpec,
    load_config,
)
from crossmask.pipelines.evaluation.run import run_evaluation
from crossmask.products.writers.labelled import UKIS_CSMASK_S2, write_npz_scene

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
L8_BANDS = ["B2", "B3", "B4", "B5", "B6", "B7"]


@pytest.fixture
def model_dir(bright_model):
    return bright_model


@pytest.fixture
def dataset(labelled_npz_folder):
    return labelled_npz_folder


def config_for(model_dir, dataset, **kw) -> EvaluationConfig:
    return EvaluationConfig(name="t", models=[ModelSpec("bright", str(model_dir))],
                            datasets=[DatasetSpec("ukis", str(dataset))], n_boot=50, **kw)


def test_report_has_every_table_and_figure(model_dir, dataset, tmp_path):
    out = tmp_path / "report"
    result = run_evaluation(config_for(model_dir, dataset), out, progress=False)
    assert len(result.results) == 2 * 4  # scenes × methods
    assert list(result.table["method"]) == ["none", "ols", "multivariate", "hls"]
    for name in ("results.csv", "summary.csv", "summary.md", "summary.tex", "report.html",
                 "run.json", "thresholds.csv", "summary_full.csv"):
        assert (out / name).is_file(), name
    assert "OA %" in (out / "summary.md").read_text()
    assert r"\begin{tabular}" in (out / "summary.tex").read_text()
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"srf_S2A_L8.png", "adjustment_S2A.png", "confusion_ukis.png",
            "thresholds_ukis.png", "bars_ukis.png"} <= figures
    assert any(f.startswith("quicklook_ukis_scene0") for f in figures)
    html = (out / "report.html").read_text()
    assert "figures/confusion_ukis.png" in html and "<table" in html
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["methods"] == list(METHODS)


def test_scores_agree_with_a_direct_computation(model_dir, dataset, tmp_path):
    from crossmask.harmonize import build_adjustment
    from crossmask.products import open_labelled

    result = run_evaluation(config_for(model_dir, dataset, methods=["none"]), tmp_path / "r",
                            progress=False)
    row = result.results[result.results.scene_id == "scene1"].iloc[0]
    scene = open_labelled(dataset / "scene1.toml")
    adj = build_adjustment("S2A", "L8", "none", target_bands=L8_BANDS,
                           available=scene.band_names)
    cube = adj.apply({b: scene.read(b) for b in scene.band_names})
    x = np.stack([cube[b] for b in L8_BANDS], -1)
    prob = 1 / (1 + np.exp(-(4 * x.sum(-1) - 8)))
    ref = scene.read_reference()
    valid = ~np.isnan(x).any(-1) & (ref != 255)
    pred, truth = prob[valid] >= 0.5, np.isin(ref[valid], [1, 2])
    assert row["oa"] == pytest.approx(np.mean(pred == truth))
    assert row["cad"] == pytest.approx(100 * (pred.mean() - truth.mean()))


def test_rerun_resumes_without_recomputing(model_dir, dataset, tmp_path, monkeypatch):
    out = tmp_path / "resume"
    config = config_for(model_dir, dataset, methods=["none", "ols"])
    first = run_evaluation(config, out, progress=False)
    from crossmask.pipelines.evaluation import plan as evaluate

    def boom(*args, **kwargs):
        raise AssertionError("a finished scene was recomputed")

    monkeypatch.setattr(evaluate, "evaluate_scene", boom)
    again = run_evaluation(config, out, progress=False)
    pd.testing.assert_frame_equal(first.table, again.table)


def _oa(result) -> dict:
    return dict(zip(result.table["method"], result.table["OA %"]))


def test_changed_codes_recompute_instead_of_reusing_stale_records(model_dir, tmp_path, caplog):
    """The record of a scene evaluated with other label codes is never reused."""
    folder = tmp_path / "codes"
    toml = write_npz_scene(folder, "s", size=48, seed=4)
    out = tmp_path / "stale"
    config = config_for(model_dir, folder, methods=["none"])
    shadow = run_evaluation(config, out, progress=False)
    toml.write_text(toml.read_text().replace('"0" = "shadow"', '"0" = "cloud"'))
    changed = run_evaluation(config, out, progress=False)
    fresh = run_evaluation(config, tmp_path / "fresh", progress=False)
    assert _oa(changed) == _oa(fresh)
    assert _oa(changed) != _oa(shadow)
    assert "(scene changed); recomputing" in caplog.text


@pytest.mark.parametrize("change", ["weights", "threshold", "scheme"])
def test_changed_model_or_settings_recompute(model_dir, dataset, tmp_path, change, monkeypatch):
    """Another model behind the same name, threshold or scheme recomputes every record."""
    import shutil

    from crossmask.pipelines.evaluation import plan as evaluate

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    out = tmp_path / "r"
    config = config_for(model, dataset, methods=["none"])
    run_evaluation(config, out, progress=False)
    if change == "weights":
        import keras

        net = keras.saving.load_model(model / "model.keras")
        net.set_weights([w * 0.5 for w in net.get_weights()])
        net.save(model / "model.keras")
    elif change == "threshold":
        card = json.loads((model / "model.json").read_text())
        (model / "model.json").write_text(json.dumps({**card, "threshold": 0.9}))
    else:
        config = config_for(model, dataset, methods=["none"], scheme="three")
    calls = []
    real = evaluate.evaluate_scene
    monkeypatch.setattr(evaluate, "evaluate_scene", lambda *a, **k: calls.append(1) or real(
        *a, **k))
    run_evaluation(config, out, progress=False)
    assert len(calls) == 2  # both scenes recomputed


def test_config_toml_and_its_errors(model_dir, dataset, tmp_path):
    path = tmp_path / "eval.toml"
    path.write_text(f'name = "x"\nmethods = ["ols"]\n[[models]]\nname = "m"\npath = '
                    f'"{model_dir}"\n[[datasets]]\nname = "d"\npath = "{dataset}"\n')
    config = load_config(path)
    assert config.methods == ["ols"] and config.datasets[0].name == "d"
    path.write_text(path.read_text().replace(str(model_dir), str(tmp_path / "nope")))
    with pytest.raises(InputError, match="model 'm'.*does not exist"):
        load_config(path)
    with pytest.raises(InputError, match="unknown harmonisation methods"):
        config_for(model_dir, dataset, methods=["magic"])


def test_bands_the_model_cannot_be_fed(model_dir, tmp_path):
    config = dict(UKIS_CSMASK_S2, bands=["B2", "B3", "B4", "B8", "B11", "B1"])
    folder = tmp_path / "nosw22"
    write_npz_scene(folder, "s", size=32, config=config)
    with pytest.raises(MissingBandError, match="L8 B7 needs S2A B12"):
        run_evaluation(config_for(model_dir, folder), tmp_path / "r", progress=False)


def test_dataset_without_labelled_pixels(model_dir, tmp_path):
    folder = tmp_path / "allfill"
    toml = write_npz_scene(folder, "s", size=32)
    text = toml.read_text()
    for label in ("clear", "cloud", "shadow"):
        text = text.replace(f'"{label}"', '"fill"')
    toml.write_text(text)
    with pytest.raises(InputError, match="no labelled pixels"):
        run_evaluation(config_for(model_dir, folder), tmp_path / "r", progress=False)


@pytest.mark.shared
@pytest.mark.slow
def test_real_patch_with_the_imported_ipluv_model(shared_file, tmp_path):
    from crossmask.models.ipluv import import_ipluv

    weights = shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5")
    patch = shared_file("ukis-csmask", "sentinel2.npz")
    model = import_ipluv(weights, tmp_path / "ipluv6")
    config = EvaluationConfig(name="real", models=[ModelSpec("ipluv6", str(model))],
                              datasets=[DatasetSpec("ukis", str(patch),
                                                    config=None, sensor="S2A",
                                                    bands=UKIS_CSMASK_S2["bands"],
                                                    codes=UKIS_CSMASK_S2["codes"])],
                              n_boot=100)
    table = run_evaluation(config, tmp_path / "report", progress=False).table
    oa = dict(zip(table["method"], table["OA %"]))
    assert oa["none"] == pytest.approx(96.4, abs=0.3)  # ../shared/README.md: 0.964
    assert min(oa.values()) > 95


@pytest.mark.shared
def test_real_patch_with_other_codes_is_not_served_stale(shared_file, tmp_path):
    """The reproduction of the stale-record bug: shadow → cloud must give 85.74 %, not 96.44."""
    from crossmask.models.ipluv import import_ipluv

    weights = shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5")
    patch = shared_file("ukis-csmask", "sentinel2.npz")
    model = import_ipluv(weights, tmp_path / "ipluv6")
    out = tmp_path / "report"
    oa = {}
    for shadow_as in ("shadow", "cloud"):
        codes = {**UKIS_CSMASK_S2["codes"], 0: shadow_as}
        spec = DatasetSpec("ukis", str(patch), sensor="S2A", bands=UKIS_CSMASK_S2["bands"],
                           codes=codes)
        config = EvaluationConfig(name="real", models=[ModelSpec("ipluv6", str(model))],
                                  datasets=[spec], methods=["none"], n_boot=10)
        oa[shadow_as] = _oa(run_evaluation(config, out, progress=False))["none"]
    assert oa["shadow"] == pytest.approx(96.44, abs=0.01)
    assert oa["cloud"] == pytest.approx(85.74, abs=0.01)


def test_a_config_error_leaves_no_output_folder(model_dir, tmp_path):
    """Inputs are checked before the report folder is made: nothing is left behind."""
    config = dict(UKIS_CSMASK_S2, bands=["B2", "B3", "B4", "B8", "B11", "B1"])
    folder = tmp_path / "nosw22"
    write_npz_scene(folder, "s", size=32, config=config)
    out = tmp_path / "deep" / "report"
    with pytest.raises(MissingBandError):
        run_evaluation(config_for(model_dir, folder), out, progress=False)
    assert not (tmp_path / "deep").exists()


def test_a_later_dataset_the_model_cannot_be_fed_fails_before_scoring(model_dir, dataset,
                                                                      tmp_path, monkeypatch):
    from crossmask.pipelines.evaluation import scoring

    folder = tmp_path / "nosw22"
    write_npz_scene(folder, "s", size=32, config=dict(UKIS_CSMASK_S2, bands=[
        "B2", "B3", "B4", "B8", "B11", "B1"]))
    config = config_for(model_dir, dataset, methods=["none"])
    config.datasets.append(DatasetSpec("bad", str(folder)))
    monkeypatch.setattr(scoring, "evaluate_scene", lambda *a, **k: pytest.fail("scored"))
    with pytest.raises(MissingBandError, match="L8 B7 needs S2A B12"):
        run_evaluation(config, tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_progress_bar_counts_scene_model_method_runs(model_dir, dataset, tmp_path,
                                                     monkeypatch):
    from crossmask.pipelines.evaluation import run

    bars = []

    def spy(iterable, **kwargs):
        bars.append({**kwargs, "counted": 0})
        for item in iterable:
            bars[-1]["counted"] += 1
            yield item

    monkeypatch.setattr(run, "tqdm", spy)
    run_evaluation(config_for(model_dir, dataset, methods=["none", "ols"]), tmp_path / "r")
    assert len(bars) == 1
    assert bars[0]["total"] == bars[0]["counted"] == 2 * 2  # scenes × methods
    assert "scene × model × method" in bars[0]["desc"]


def _fake_peer(monkeypatch, name: str, package: str, needs: tuple[str, ...]):
    from crossmask.pipelines.evaluation.peers import PEERS, Peer

    monkeypatch.setitem(PEERS, name, Peer(name, package, ("clear", "cloud"), needs))


def test_skipped_peers_are_collected_not_only_filed(model_dir, dataset, tmp_path, monkeypatch):
    from crossmask.pipelines.evaluation.records import PeerSkip

    _fake_peer(monkeypatch, "no-bands", "numpy", ("B2", "B10"))
    _fake_peer(monkeypatch, "absent", "crossmask_no_such_package", ("B2",))
    out = tmp_path / "r"
    result = run_evaluation(config_for(model_dir, dataset, methods=["none"],
                                       peers=["no-bands", "absent"]), out, progress=False)
    assert [(s.dataset, s.peer, s.scenes) for s in result.skipped] == [
        ("ukis", "no-bands", ("scene0", "scene1")), ("ukis", "absent", ("scene0", "scene1"))]
    assert all(isinstance(s, PeerSkip) for s in result.skipped)
    assert "B10" in result.skipped[0].reason and "not installed" in result.skipped[1].reason
    assert str(result.skipped[0]).startswith("no-bands skipped on dataset 'ukis' (2 scenes): ")
    html = (out / "report.html").read_text()
    assert "Not scored" in html and "no-bands" in html and "not installed" in html
    assert len(list((out / "records").glob("*.skipped"))) == 4
    assert result.conclusion and result.conclusion[0].startswith("ukis (2 scenes): ")


def test_display_names_with_spaces_slashes_and_parentheses(model_dir, dataset, tmp_path):
    """Names are kept as given in tables and never share a record or figure file."""
    names = ["Bright U-Net (L8 Biome, 6 bands)", "net/1", "net_1"]
    config = EvaluationConfig(name="names", models=[ModelSpec(n, str(model_dir)) for n in names],
                              datasets=[DatasetSpec("ukis like", str(dataset))],
                              methods=["none"], n_boot=20)
    out = tmp_path / "r"
    result = run_evaluation(config, out, progress=False)
    assert list(result.table["model"]) == names
    assert len(list((out / "records").glob("*.json"))) == len(result.results) == 2 * 3
    looks = [p.name for p in (out / "figures").glob("quicklook_*.png")]
    assert len(looks) == 2 * 3 and all(" " not in n and "(" not in n for n in looks)
    assert "Bright U-Net (L8 Biome, 6 bands)" in (out / "report.html").read_text()
