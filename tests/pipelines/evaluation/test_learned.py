"""A fitted ``learned`` adjustment in an evaluation: its own row, compared with ``ols``."""

import pytest

from crossmask.classes import get_scheme
from crossmask.errors import ConfigError
from crossmask.harmonize import BandAdjustment, build_adjustment
from crossmask.pipelines.evaluation.config import load_config
from crossmask.pipelines.evaluation.records import record_fingerprint
from crossmask.pipelines.evaluation.run import run_evaluation
from crossmask.pipelines.evaluation.scoring import methods_for

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def write_config(tmp_path, model, data, adjustments: str) -> object:
    path = tmp_path / "eval.toml"
    path.write_text(f'n_boot = 20\n{adjustments}\n[[models]]\nname = "bright"\n'
                    f'path = "{model}"\n[[datasets]]\nname = "ukis"\npath = "{data}"\n')
    return path


def test_learned_gets_a_row_when_the_config_names_its_file(bright_model, labelled_npz_folder,
                                                           tmp_path, learned_file):
    learned_file(tmp_path / "fits" / "learned_S2A.json")
    config = load_config(write_config(tmp_path, bright_model, labelled_npz_folder,
                                      'methods = ["none", "ols", "learned"]\n[adjustments]\n'
                                      'learned = "fits/learned_S2A.json"'))
    assert config.adjustments["learned"] == [str(tmp_path / "fits" / "learned_S2A.json")]
    result = run_evaluation(config, tmp_path / "report", progress=False)
    assert list(result.table["method"]) == ["none", "ols", "learned"]
    assert list(result.effect["method"]) == ["ols", "learned", "learned vs ols"]
    learned = result.results[result.results.method == "learned"].set_index("scene_id")
    ols = result.results[result.results.method == "ols"].set_index("scene_id")
    assert (learned["oa"] != ols["oa"]).any()  # the generator changed the masks
    fitted = config.fitted()
    assert methods_for(["ols", "learned"], "S2A", "L8", fitted=fitted) == ["ols", "learned"]
    assert methods_for(["ols", "learned"], "S2B", "L8", fitted=fitted) == ["ols"]
    assert methods_for(["ols", "learned"], "S2A", "L8") == ["ols"]


def test_adjustment_fingerprint_includes_the_generator_weights(tmp_path, learned_file):
    one = BandAdjustment.load(learned_file(tmp_path / "a.json", seed=0))
    two = BandAdjustment.load(learned_file(tmp_path / "b.json", seed=1))
    assert one.to_dict()["bands"] == two.to_dict()["bands"]

    class Card:
        threshold = 0.5

    class Config:
        tile, overlap = 64, 8

    stamps = [record_fingerprint(Config, get_scheme("binary"), "m", "s", "learned", a, Card)
              for a in (one, two)]
    assert stamps[0]["adjustment"] != stamps[1]["adjustment"]


def test_adjustments_must_name_files_of_their_method(bright_model, labelled_npz_folder,
                                                     tmp_path):
    build_adjustment("S2A").save(tmp_path / "ols.json")
    bad = write_config(tmp_path, bright_model, labelled_npz_folder,
                       '[adjustments]\nlearned = "ols.json"')
    with pytest.raises(ConfigError, match="of method ols, not learned"):
        load_config(bad)
    bad = write_config(tmp_path, bright_model, labelled_npz_folder,
                       '[adjustments]\nfancy = "ols.json"')
    with pytest.raises(ConfigError, match="unknown method 'fancy'"):
        load_config(bad)
