"""The ``learned`` adjustment: identity at start, no labels read, deterministic, saved and
loaded with its weights, window by window equal to the whole image."""

import json
import pickle

import numpy as np
import pytest

from crossmask.errors import InputError, ProductFormatError
from crossmask.harmonize import BandAdjustment, applicable_methods, build_adjustment
from crossmask.harmonize.adapt import AdaptSettings, fit_learned, npz_image
from crossmask.harmonize.arrays import harmonize_array
from crossmask.harmonize.learned import LearnedGenerator, build_generator, generator_path
from crossmask.products import LabelledScene, array_product, open_labelled

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
L8 = ["B2", "B3", "B4", "B5", "B6", "B7"]
S2 = ["B2", "B3", "B4", "B8", "B11", "B12"]
TINY = AdaptSettings(epochs=1, patch=16, patches_per_image=2, batch_size=2, width=4, depth=2)


@pytest.fixture(scope="module")
def cloud(bright_model):
    from crossmask.models.frozen import frozen_cloud_model

    return frozen_cloud_model(bright_model)


@pytest.fixture(scope="module")
def base():
    return build_adjustment("S2A", "L8", "ols", target_bands=L8, available=S2)


@pytest.fixture
def targets():
    rng = np.random.default_rng(1)
    return [array_product(rng.uniform(0, 0.9, (40, 40, 6)).astype("f4"), L8, "L8")]


def _random_generator(seed: int = 0, depth: int = 2) -> LearnedGenerator:
    """A generator whose residual is not zero (as after training)."""
    network = build_generator(6, 4, depth)
    rng = np.random.default_rng(seed)
    network.set_weights([rng.normal(0, 0.3, w.shape).astype("f4")
                         for w in network.get_weights()])
    return LearnedGenerator.from_network(network, L8, 4, depth)


def _learned(base, generator) -> BandAdjustment:
    return BandAdjustment(base.source, base.target, "learned", list(base.bands), {},
                          False, generator)


def test_untrained_generator_is_the_identity_on_ols(base, cloud, targets):
    x = np.random.default_rng(0).uniform(0, 1.2, (2, 20, 24, 6)).astype("f4")
    assert np.array_equal(np.asarray(build_generator(6)(x)), x)
    sources = [array_product(np.random.default_rng(2).uniform(0, 0.8, (40, 40, 6))
                             .astype("f4"), S2, "S2A")]
    untrained = fit_learned(base, sources, targets, cloud, AdaptSettings(
        epochs=0, patch=16, patches_per_image=2))
    cube = np.random.default_rng(3).uniform(0, 0.8, (30, 30, 6)).astype("f4")
    cube[:4, :4, 1] = np.nan
    ols, _ = harmonize_array(cube, S2, "S2A", adjustment=base)
    learned, bands = harmonize_array(cube, S2, "S2A", adjustment=untrained)
    assert bands == L8 and untrained.info["training"]["losses"] == []
    np.testing.assert_array_equal(learned, ols)


def _no_labels(monkeypatch):
    """Make every reader of labels raise."""
    def boom(self, window=None):
        raise AssertionError("a label was read while fitting")

    classes = [LabelledScene]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        if "read_reference" in vars(cls):
            monkeypatch.setattr(cls, "read_reference", boom)


def test_fitting_reads_no_label_and_is_deterministic(base, cloud, targets,
                                                    labelled_npz_folder, monkeypatch):
    scenes = [open_labelled(labelled_npz_folder / f"scene{k}.toml") for k in range(2)]
    _no_labels(monkeypatch)
    with pytest.raises(AssertionError):
        scenes[0].read_reference()
    first = fit_learned(base, scenes, targets, cloud, TINY, {"transductive": True})
    again = fit_learned(base, scenes, targets, cloud, TINY)
    assert first.generator.sha256 == again.generator.sha256
    assert first.info["training"]["losses"] == again.info["training"]["losses"]
    training = first.info["training"]
    assert training["transductive"] and training["epochs"] == 1 and training["seed"] == 0
    assert [i["patches"] for i in training["source_images"]] == [2, 2]
    assert training["source_images"][0]["path"].endswith("scene0.npz")
    assert set(training["losses"][0]) == {"epoch", "generator", "adversarial", "identity",
                                          "consistency", "discriminator", "flipped"}
    assert first.method == "learned" and first.bands == base.bands


def test_artefact_round_trip(base, tmp_path):
    adjustment = _learned(base, _random_generator())
    path = adjustment.save(tmp_path / "learned.json")
    doc = json.loads(path.read_text())
    assert doc["version"] == 2 and doc["generator"]["file"] == "learned.generator.npz"
    assert doc["generator"]["sha256"] == adjustment.generator.sha256
    loaded = BandAdjustment.load(path)
    cube = np.random.default_rng(4).uniform(0, 0.8, (24, 28, 6)).astype("f4")
    before, _ = harmonize_array(cube, S2, "S2A", adjustment=adjustment)
    after, _ = harmonize_array(cube, S2, "S2A", adjustment=loaded)
    np.testing.assert_array_equal(before, after)
    ols, _ = harmonize_array(cube, S2, "S2A", adjustment=base)
    assert np.abs(after - ols).max() > 1e-3  # the generator does something
    clone = pickle.loads(pickle.dumps(loaded))  # Dask ships adjustments to workers
    np.testing.assert_array_equal(harmonize_array(cube, S2, "S2A", adjustment=clone)[0], after)


def test_tampered_weights_are_refused(base, tmp_path):
    path = _learned(base, _random_generator()).save(tmp_path / "learned.json")
    weights = generator_path(path)
    arrays = dict(np.load(weights))
    arrays["w000"] = arrays["w000"] + 1
    np.savez(weights, **arrays)
    with pytest.raises(ProductFormatError, match="do not match"):
        BandAdjustment.load(path).generator.weights()


def test_windows_give_the_whole_image(base):
    adjustment = _learned(base, _random_generator(depth=3))
    cube = np.random.default_rng(5).uniform(0, 0.8, (50, 70, 6)).astype("f4")
    cube[10:14, 30:33] = np.nan
    whole, _ = harmonize_array(cube, S2, "S2A", adjustment=adjustment, window_size=1024)
    tiled, _ = harmonize_array(cube, S2, "S2A", adjustment=adjustment, window_size=16)
    np.testing.assert_allclose(tiled, whole, atol=1e-6)
    assert np.isnan(whole[10:14, 30:33]).all() and np.isfinite(whole[:10]).all()


def test_selecting_fewer_bands_keeps_the_generator_inputs(base):
    adjustment = _learned(base, _random_generator())
    four = adjustment.select(["B5", "B2"])
    assert four.target_bands == ["B5", "B2"] and len(four.bands) == 6
    cube = np.random.default_rng(6).uniform(0, 0.8, (20, 20, 6)).astype("f4")
    full, _ = harmonize_array(cube, S2, "S2A", adjustment=adjustment)
    part, bands = harmonize_array(cube, S2, "S2A", adjustment=four)
    assert bands == ["B5", "B2"]
    np.testing.assert_allclose(part, full[..., [3, 0]], atol=1e-6)
    assert BandAdjustment.from_dict(four.to_dict()).target_bands == ["B5", "B2"]


def test_learned_exists_only_as_a_fitted_file(base, cloud, targets):
    assert "learned" not in applicable_methods("S2A")
    with pytest.raises(InputError, match="harmonize fit --method learned"):
        build_adjustment("S2A", "L8", "learned")
    with pytest.raises(InputError, match="not S2A"):
        fit_learned(base, targets, targets, cloud, TINY)
    with pytest.raises(InputError, match="stride"):
        AdaptSettings(patch=20).check(stride=16)


def test_npz_images_read_only_the_image(tmp_path):
    path = tmp_path / "patch.npz"
    np.savez(path, img=np.ones((8, 9, 6), "f4"), msk=np.zeros((8, 9, 1), "u1"))
    product = npz_image(path, "S2A", S2)
    assert product.path == path and product.read("B8").shape == (8, 9)
    with pytest.raises(InputError, match="name the bands"):
        npz_image(path, "S2A", None)
