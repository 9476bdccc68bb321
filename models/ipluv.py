"""Import the IPL-UV Landsat-8 Biome U-Nets (López-Puigdollers et al., 2021; MIT licence).

The files (``landsatbiomeRGBI6.hdf5``, ``landsatbiomeRGBISWIR7.hdf5`` in the
github.com/IPL-UV/DL-L8S2-UV repository) are Keras-2 HDF5 archives: a ``model_config``
attribute describing a small U-Net of SeparableConv2D blocks whose first layer is a
frozen 1×1 convolution that normalises TOA reflectance, and a sigmoid cloud probability
output.  The architecture is rebuilt here from our UNmask parts (never deserialised from
the file), the weights are copied layer by layer with shape checks, and a model card is
written so ``crossmask predict`` can run it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.errors import InputError, ProductFormatError
from crossmask.models.card import ModelCard, save_model

__all__ = ["IPLUV_BANDS", "IpluvGraph", "build_ipluv", "import_ipluv", "read_ipluv_graph"]

#: Landsat-8 bands by input channel count, as in DL-L8S2-UV's README.
IPLUV_BANDS = {4: ["B2", "B3", "B4", "B5"], 6: ["B2", "B3", "B4", "B5", "B6", "B7"]}
_WEIGHTED = ("Conv2D", "SeparableConv2D", "BatchNormalization", "Conv2DTranspose")


@dataclass
class IpluvGraph:
    """What the HDF5 ``model_config`` says: sizes and the weighted layers in graph order."""

    n_bands: int
    base_filters: int
    depth: int
    n_classes: int
    layers: list[tuple[str, str]]  # (class name, layer name), normalisation first


def read_ipluv_graph(path: str | os.PathLike) -> IpluvGraph:
    """Read and check the ``model_config`` of an IPL-UV HDF5 file.

    Raises
    ------
    ProductFormatError
        If the file is not a Keras-2 HDF5 model of the expected U-Net family.
    """
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["model_config"])
    except (OSError, KeyError, ValueError) as err:
        raise ProductFormatError(f"{path}: not a Keras HDF5 model with a model_config "
                                 f"({err})") from err
    layers = config.get("config", {}).get("layers", [])
    kinds = [(layer["class_name"], layer["config"]["name"]) for layer in layers]
    weighted = [k for k in kinds if k[0] in _WEIGHTED]
    try:
        shape = next(layer["config"]["batch_input_shape"] for layer in layers
                     if layer["class_name"] == "InputLayer")
        first_sep = next(layer for layer in layers if layer["class_name"] == "SeparableConv2D")
        last = layers[-1]["config"]
    except (StopIteration, KeyError) as err:
        raise ProductFormatError(f"{path}: model_config is not an IPL-UV U-Net ({err})") from err
    if not weighted or weighted[0] != ("Conv2D", "normalization"):
        raise ProductFormatError(f"{path}: expected a frozen 1x1 'normalization' conv first")
    depth = sum(k == "MaxPooling2D" for k, _ in kinds)
    return IpluvGraph(n_bands=int(shape[-1]), base_filters=int(first_sep["config"]["filters"]),
                      depth=depth, n_classes=int(last["filters"]), layers=weighted)


def build_ipluv(graph: IpluvGraph):
    """The UNmask-family Keras model matching ``graph`` (normalising 1×1 conv first)."""
    import keras
    from keras import layers

    from crossmask.models.layers import classifier_head
    from crossmask.models.unmask import unmask_backbone, unmask_decoder

    inputs = keras.Input(shape=(None, None, graph.n_bands), name="bands")
    x = layers.Conv2D(graph.n_bands, 1, name="normalization", trainable=False)(inputs)
    filters = [graph.base_filters * 2**level for level in range(graph.depth + 1)]
    pyramid = unmask_backbone(x, filters, separable=True, batch_norm=True)
    x = unmask_decoder(pyramid, filters, separable=True, batch_norm=True)
    return keras.Model(inputs, classifier_head(x, graph.n_classes), name="unmask_ipluv")


def import_ipluv(path: str | os.PathLike, out_dir: str | os.PathLike,
                 bands: list[str] | None = None, overwrite: bool = False) -> Path:
    """Convert an IPL-UV HDF5 file into a crossmask model directory; return it.

    ``bands`` defaults to :data:`IPLUV_BANDS` for the file's channel count.
    """
    import h5py

    path = Path(path)
    graph = read_ipluv_graph(path)
    bands = bands or IPLUV_BANDS.get(graph.n_bands)
    if not bands or len(bands) != graph.n_bands:
        raise InputError(f"{path}: the model takes {graph.n_bands} bands; give their Landsat-8 "
                         "names with --bands")
    model = build_ipluv(graph)
    ours = [layer for layer in model.layers if layer.weights]
    if [type(layer).__name__ for layer in ours] != [k for k, _ in graph.layers]:
        raise ProductFormatError(f"{path}: layer sequence differs from the UNmask rebuild")
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        for layer, (_, name) in zip(ours, graph.layers):
            layer.set_weights(_layer_weights(group[name], layer, path))
    card = ModelCard(
        architecture="unmask", bands=list(bands), class_scheme="binary",
        class_names=["cloud"], output="sigmoid", normalization=None, stride=2**graph.depth,
        name=path.stem, display_name=f"IPL-UV U-Net (L8 Biome, {len(bands)} bands)", source=f"imported from IPL-UV DL-L8S2-UV {path.name} (MIT licence)",
        training={"dataset": "Landsat-8 Biome", "reference": "López-Puigdollers et al. 2021, "
                  "Remote Sens. 13(5), 992"})
    return save_model(model, card, out_dir, overwrite)


def _layer_weights(group, layer, path: Path) -> list[np.ndarray]:
    names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
    arrays = [np.asarray(group[n]) for n in names]
    expected = [tuple(w.shape) for w in layer.weights]
    if [a.shape for a in arrays] != expected:
        raise ProductFormatError(f"{path}: weights of {layer.name} have shapes "
                                 f"{[a.shape for a in arrays]}, expected {expected}")
    return arrays
