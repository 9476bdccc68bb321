"""The simulated Landsat-8 → PROBA-V transfer: the set in the real formats, and the demo
stage end to end on tiny data (train on upscaled L8, score on PROBA-V L1C and L2A)."""


import numpy as np
import pytest

from crossmask.errors import InputError, OutputExistsError
from crossmask.pipelines.demo.probav import PROBAV_SENSOR, simulate_probav_set
from crossmask.products import (
    ProbaVL1CProduct,
    ProbaVProduct,
    find_biome_scenes,
    open_labelled,
    open_product,
)


@pytest.fixture(scope="module")
def probav_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("probav")
    return simulate_probav_set(root, n_landsat=3, n_probav=1, size_30m=128, seed=1)


def test_set_is_written_in_the_real_formats(probav_set):
    assert len(find_biome_scenes(probav_set.landsat_root)) == 3
    l2a = open_product(probav_set.products["L2A"][0], PROBAV_SENSOR)
    l1c = open_product(probav_set.products["L1C"][0], PROBAV_SENSOR)
    assert isinstance(l2a, ProbaVProduct) and isinstance(l1c, ProbaVL1CProduct)
    assert l2a.grid.transform.a == pytest.approx(1 / 1008) == l1c.grid.transform.a
    assert 40 <= l2a.grid.width <= 50  # 3.8 km at 40° N in 1/1008° steps
    for band in ("BLUE", "NIR"):
        values = l2a.read(band)
        assert np.isfinite(values).all() and 0.0 < np.median(values) < 0.6


def test_levels_see_the_same_ground_and_sky(probav_set):
    scenes = {lv: open_labelled(cfgs[0]) for lv, cfgs in probav_set.configs.items()}
    assert {s.sensor for s in scenes.values()} == {PROBAV_SENSOR}
    for level, scene in scenes.items():
        ref = scene.read_reference()
        nir = scene.read("NIR")
        assert not np.isnan(nir[ref != 255]).any(), level  # reference blanked off-swath
        cloud = (ref == 1) | (ref == 2)
        assert np.nanmean(nir[cloud]) > np.nanmean(nir[ref == 0]) + 0.05, level
    # both lie on the global 1/1008° lattice: compare them pixel by pixel
    l2a, l1c = scenes["L2A"], scenes["L1C"]
    step = l2a.grid.transform.a
    row = round((l2a.grid.transform.f - l1c.grid.transform.f) / step)
    col = round((l1c.grid.transform.c - l2a.grid.transform.c) / step)
    assert row >= 0 and col >= 0  # the L1C swath lies inside the L2A footprint
    a = l2a.read("RED")[row:row + l1c.grid.height, col:col + l1c.grid.width]
    b = l1c.read("RED")[:a.shape[0], :a.shape[1]]
    both = np.isfinite(a) & np.isfinite(b)
    assert both.sum() > 300
    assert np.corrcoef(a[both], b[both])[0, 1] > 0.9
    assert np.median(np.abs(a[both] - b[both])) < 0.02


def test_set_refuses_bad_requests(probav_set):
    with pytest.raises(OutputExistsError, match="output exists"):
        simulate_probav_set(probav_set.root, n_landsat=1, n_probav=1, size_30m=64)
    with pytest.raises(InputError, match="levels among L2A, L1C"):
        simulate_probav_set(probav_set.root / "x", levels=("L3",))


def test_training_patches_are_l8_at_probav_resolution(probav_set, tmp_path):
    from crossmask.pipelines.demo.probav_stage import MODEL_BANDS, upscaled_patches
    from crossmask.pipelines.training.patches import load_index
    from crossmask.pipelines.training.split import load_split

    split = load_split(upscaled_patches(probav_set.landsat_root, tmp_path, seed=0))
    assert (len(split.train), len(split.val), len(split.test)) == (1, 1, 1)
    index = load_index(tmp_path / "patches")
    assert index["bands"] == list(MODEL_BANDS) and index["size"] == 32
    assert index["sensor"] == "L8" and index["harmonization"]["sensors"] == {"L8": "none"}
    assert sum(s["patches"] for s in index["scenes"].values()) >= 3
    shard = np.load(tmp_path / "patches" / index["shards"][0]["file"])
    assert shard["x"].shape[1:] == (32, 32, 4)
    assert 0.0 < float(np.median(shard["x"])) < 0.6 and set(np.unique(shard["y"])) <= {0, 1, 255}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_stage_trains_on_upscaled_l8_and_scores_probav(probav_set, tmp_path):
    from crossmask.models.card import read_card
    from crossmask.pipelines.demo.probav_stage import MODEL_BANDS, probav_transfer
    from crossmask.pipelines.evaluation.config import load_config

    class State:
        done = {"probav-simulate": str(probav_set.root)}

        def finish(self, step, value):
            self.done[step] = value

    (tmp_path / "probav").mkdir()
    (tmp_path / "probav" / "data").symlink_to(probav_set.root, target_is_directory=True)
    state = State()
    result = probav_transfer(tmp_path, seed=0, epochs=1, state=state, n_boot=10)
    assert "probav-train" in state.done
    card = read_card(tmp_path / "probav" / "runs" / "unmask-4band")
    assert (card.sensor, list(card.bands)) == ("L8", list(MODEL_BANDS))
    config = load_config(tmp_path / "probav" / "evaluate.toml")
    assert config.methods == ["none", "ols", "multivariate"]
    figures = {f.name for f in (tmp_path / "probav" / "report" / "figures").iterdir()}
    assert any(f.startswith("quicklook_") for f in figures)  # false colour: no green band
    rows = result.results
    assert set(rows["dataset"]) == {"simulated-PROBA-V-L1C", "simulated-PROBA-V-L2A",
                                    "simulated-L8-at-PROBA-V-test"}
    pv = rows[rows["dataset"] == "simulated-PROBA-V-L2A"]
    assert set(pv["method"]) == {"none", "ols", "multivariate"}
    l8 = rows[rows["dataset"] == "simulated-L8-at-PROBA-V-test"]
    assert set(l8["method"]) == {"none"}  # Landsat-8 data need no band adjustment
    assert rows["oa"].between(0.0, 1.0).all() and list(MODEL_BANDS) == ["B2", "B4", "B5", "B6"]
