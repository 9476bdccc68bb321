"""Tiled scene inference: blending, outputs in COG layout, errors."""

import numpy as np
import pytest
import rasterio

from crossmask.errors import InputError, MissingBandError
from crossmask.models.card import ModelCard
from crossmask.pipelines.inference.predict import predict_product
from crossmask.pipelines.inference.tiling import fitted_tile, tile_origins, tile_weights
from crossmask.products import open_geotiff
from crossmask.products.writers.geotiff import write_named_geotiff

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
BANDS = ["B2", "B3", "B4", "B5"]


def pixelwise_model(output: str = "sigmoid", seed: int = 0):
    """A 1×1-conv network: its prediction of a pixel depends on that pixel only."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, None, 4))
    n = 1 if output == "sigmoid" else 3
    outputs = keras.layers.Conv2D(n, 1, activation=output)(inputs)
    return keras.Model(inputs, outputs)


def card_for(output: str = "sigmoid") -> ModelCard:
    if output == "sigmoid":
        return ModelCard("unmask", BANDS, "binary", ["cloud"], output="sigmoid", stride=1)
    return ModelCard("unmask", BANDS, "three", ["clear", "cloud", "shadow"], stride=1,
                     normalization={"mean": [0.1] * 4, "std": [0.2] * 4})


@pytest.fixture
def scene(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.uniform(0.0, 0.8, (4, 70, 90)).astype("float32")
    data[:, :5, :7] = np.nan  # fill
    return write_named_geotiff(tmp_path / "scene.tif", dict(zip(BANDS, data))), data


def test_tile_origins_cover_the_edge_evenly():
    starts = tile_origins(100, 32, 24)
    assert starts[0] == 0 and starts[-1] == 100 - 32 and len(starts) == 4
    assert all(0 < b - a <= 24 for a, b in zip(starts, starts[1:]))
    assert max(np.diff(starts)) - min(np.diff(starts)) <= 1
    assert tile_origins(20, 32, 24) == [0]
    w = tile_weights(16, 4)
    assert w.shape == (16, 16) and w[8, 8] == 1 and w[0, 0] < w[2, 2]


def test_fitted_tile_keeps_the_tile_count_and_shrinks_the_tile():
    assert fitted_tile((2048, 2048), 512, 64, 16) == 464
    for shape in [(2048, 2048), (100, 5000), (3001, 777)]:
        tile = fitted_tile(shape, 512, 64, 16)
        assert tile % 16 == 0 and tile <= 512
        for length in shape:
            n = len(tile_origins(length, tile, tile - 64))
            assert n <= len(tile_origins(length, 512, 448))
            assert n * (tile - 64) + 64 >= length
    assert fitted_tile((4096, 4096), 512, 64, 16) == 512
    assert fitted_tile((70, 90), 512, 64, 16) == 96


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_blended_tiles_equal_the_whole_scene_prediction(scene, tmp_path, output):
    path, data = scene
    model, card = pixelwise_model(output), card_for(output)
    result = predict_product([(model, card)], open_geotiff(path, "L8"), tmp_path / "m.tif",
                             tmp_path / "p.tif", tile=32, overlap=8, progress=False)
    whole = model.predict(card.normalize(np.nan_to_num(np.moveaxis(data, 0, -1)))[None],
                          verbose=0)[0]
    with rasterio.open(tmp_path / "p.tif") as ds:
        probs = np.moveaxis(ds.read(), 0, -1)
    valid = ~np.isnan(data).any(axis=0)
    np.testing.assert_allclose(probs[valid], whole[valid], atol=1e-5)
    assert np.isnan(probs[~valid]).all()
    expected_cloud = (whole[..., 0] >= 0.5) if output == "sigmoid" else whole.argmax(-1) == 1
    assert result.cloud_fraction == pytest.approx(expected_cloud[valid].mean())
    assert result.valid_pixels == valid.sum()


def test_mask_is_a_classified_cog(scene, tmp_path):
    path, data = scene
    out = tmp_path / "mask.tif"
    predict_product([(pixelwise_model(), card_for())], open_geotiff(path, "L8"), out,
                    tile=32, overlap=8, progress=False)
    with rasterio.open(out) as ds, rasterio.open(path) as src:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert (ds.crs, ds.transform, ds.shape) == (src.crs, src.transform, src.shape)
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
        assert ds.colormap(1)[1][:3] == (255, 255, 255)
        assert ds.tags()["CLASS_0"] == "clear" and ds.tags()["CLASS_1"] == "cloud"
        mask = ds.read(1)
    assert (mask[:5, :7] == 255).all() and set(np.unique(mask[5:, 7:])) <= {0, 1}
    assert "<Category>cloud</Category>" in (tmp_path / "mask.tif.aux.xml").read_text()


def test_ensemble_averages_two_models_and_tta_keeps_pixelwise_ones(scene, tmp_path):
    path, _ = scene
    product = open_geotiff(path, "L8")
    first, second = (pixelwise_model(seed=0), card_for()), (pixelwise_model(seed=1), card_for())
    for name, members in (("a", [first]), ("b", [second]), ("ab", [first, second])):
        predict_product(members, product, tmp_path / f"{name}.tif", tmp_path / f"p{name}.tif",
                        tile=32, overlap=8, tta=name == "ab", progress=False)
    with rasterio.open(tmp_path / "pa.tif") as a, rasterio.open(tmp_path / "pb.tif") as b, \
            rasterio.open(tmp_path / "pab.tif") as ab:
        pa, pb, pab = a.read(), b.read(), ab.read()
    valid = ~np.isnan(pa)
    assert np.abs(pa - pb)[valid].max() > 0.05  # two different models
    np.testing.assert_allclose(pab[valid], ((pa + pb) / 2)[valid], atol=1e-5)


def test_wrong_bands_or_sensor_fail_before_writing(scene, tmp_path, safe_factory):
    path, _ = scene
    card = ModelCard("unmask", ["B2", "B3", "B4", "B6"], "binary", ["cloud"], "sigmoid",
                     stride=1)
    with pytest.raises(MissingBandError, match="missing B6"):
        predict_product([(pixelwise_model(), card)], open_geotiff(path, "L8"),
                        tmp_path / "x.tif", progress=False)
    with pytest.raises(InputError, match="harmonise it first"):
        predict_product([(pixelwise_model(), card_for())], open_geotiff(path, "S2A"),
                        tmp_path / "x.tif", progress=False)
    assert not list(tmp_path.glob("*x.tif*"))


def test_tiles_of_fill_only_are_skipped_without_changing_valid_pixels(tmp_path, monkeypatch):
    import keras

    from crossmask.pipelines.inference import tiling

    keras.utils.set_random_seed(1)
    inputs = keras.Input((None, None, 4))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 5, padding="same",
                                                    activation="sigmoid")(inputs))
    data = np.random.default_rng(2).uniform(0, 0.8, (4, 64, 96)).astype("float32")
    data[:, :, :40] = np.nan  # outside the footprint, as around a Landsat scene
    product = open_geotiff(write_named_geotiff(tmp_path / "s.tif", dict(zip(BANDS, data))),
                           "L8")
    tiles = []
    real_ensemble = tiling._ensemble
    monkeypatch.setattr(tiling, "_ensemble", lambda r, i, xs, *a: tiles.extend(xs)
                        or real_ensemble(r, i, xs, *a))

    def probabilities(name: str) -> np.ndarray:
        predict_product([(model, card_for())], product, tmp_path / f"{name}.tif",
                        tmp_path / f"{name}_p.tif", tile=32, overlap=8, progress=False)
        with rasterio.open(tmp_path / f"{name}_p.tif") as ds:
            return ds.read(1)

    skipped = probabilities("skipped")
    n_skipped, tiles[:] = len(tiles), []
    monkeypatch.setattr(tiling, "_live_tiles", lambda valid, xs, tile: xs)
    everything = probabilities("all")
    assert n_skipped < len(tiles)
    np.testing.assert_allclose(skipped[:, 40:], everything[:, 40:], atol=1e-6)  # batching
    assert np.isnan(skipped[:, :40]).all()
