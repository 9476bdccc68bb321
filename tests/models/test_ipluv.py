"""Import of the IPL-UV Keras-2 HDF5 U-Nets into crossmask models."""

import json

import h5py
import numpy as np
import pytest

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.models.card import load_model
from crossmask.models.ipluv import IpluvGraph, build_ipluv, import_ipluv

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

_KERAS2_WEIGHTS = {
    "Conv2D": ["kernel:0", "bias:0"], "Conv2DTranspose": ["kernel:0", "bias:0"],
    "SeparableConv2D": ["depthwise_kernel:0", "pointwise_kernel:0", "bias:0"],
    "BatchNormalization": ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"],
}


def write_keras2_file(path, model, n_bands: int, depth: int, base: int) -> None:
    """An HDF5 file in the Keras-2 layout IPL-UV published, holding ``model``'s weights."""
    weighted = [layer for layer in model.layers if layer.weights]
    names = [f"ipluv_{i}" for i in range(len(weighted))]
    names[0] = "normalization"
    config_layers = [{"class_name": "InputLayer",
                      "config": {"name": "input_1", "batch_input_shape": [None, 32, 32, n_bands]}}]
    config_layers += [{"class_name": "MaxPooling2D", "config": {"name": f"pooling_{i}"}}
                      for i in range(depth)]
    for layer, name in zip(weighted, names):
        cfg = {"name": name, "filters": getattr(layer, "filters", None)}
        config_layers.append({"class_name": type(layer).__name__, "config": cfg})
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps({"class_name": "Model",
                                              "config": {"layers": config_layers}})
        f.attrs["keras_version"] = "2.2.4-tf"
        group = f.create_group("model_weights")
        for layer, name in zip(weighted, names):
            weight_names = [f"{name}/{w}" for w in _KERAS2_WEIGHTS[type(layer).__name__]]
            sub = group.create_group(name)
            sub.attrs["weight_names"] = [w.encode() for w in weight_names]
            for w_name, value in zip(weight_names, layer.get_weights()):
                sub.create_dataset(w_name, data=value)


def test_import_reproduces_the_source_network(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    graph = IpluvGraph(n_bands=4, base_filters=8, depth=2, n_classes=1, layers=[])
    source = build_ipluv(graph)
    for layer in source.layers:  # non-trivial BN statistics
        if type(layer).__name__ == "BatchNormalization":
            layer.set_weights([w + np.random.default_rng(1).uniform(0.1, 0.5, w.shape)
                               for w in layer.get_weights()])
    path = tmp_path / "landsatbiomeRGBI6.hdf5"
    write_keras2_file(path, source, 4, 2, 8)
    out = import_ipluv(path, tmp_path / "model")
    model, card = load_model(out)
    x = np.random.default_rng(2).uniform(0, 0.6, (2, 32, 32, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), source.predict(x, verbose=0),
                               atol=1e-5)
    assert card.bands == ["B2", "B3", "B4", "B5"] and card.output == "sigmoid"
    assert card.normalization is None and card.stride == 4
    with pytest.raises(MissingBandError, match="missing B5"):
        card.check_bands(["B2", "B3", "B4"], "scene.tif")


def test_not_an_ipluv_file(tmp_path):
    path = tmp_path / "other.hdf5"
    with h5py.File(path, "w") as f:
        f.attrs["something"] = 1
    with pytest.raises(ProductFormatError, match="not a Keras HDF5 model"):
        import_ipluv(path, tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.shared
@pytest.mark.slow
def test_real_ipluv_model_on_the_real_sentinel2_patch(shared_file, tmp_path):
    weights = shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5")
    patch = np.load(shared_file("ukis-csmask", "sentinel2.npz"))
    model, card = load_model(import_ipluv(weights, tmp_path / "ipluv6"))
    assert card.bands == ["B2", "B3", "B4", "B5", "B6", "B7"]
    prob = model.predict(patch["img"][None].astype("float32"), verbose=0)[0, ..., 0]
    cloud_ref = patch["msk"][..., 0] == 4
    oa = np.mean((prob > card.threshold) == cloud_ref)
    assert oa > 0.95  # ../shared/README.md measured OA 0.964 with band mapping only
