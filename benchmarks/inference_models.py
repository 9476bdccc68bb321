"""Models of ``benchmarks/inference.py``: model folders with their exports, FLOP counts and
the matmul peak of this CPU.

FLOPs are counted analytically, 2 per multiply-add, from the layers of the Keras model
rebuilt at a fixed tile size: Conv2D (k·k·C_in/groups·C_out per output pixel),
SeparableConv2D (depthwise k·k·C_in·m + pointwise C_in·m·C_out per output pixel),
DepthwiseConv2D, Conv2DTranspose (k·k·C_in·C_out per *input* pixel) and Dense.  Left out:
biases, batch normalisation, activations, pooling, (un)pooling indices, resizing,
concatenation, additions and the softmax/sigmoid — all O(channels) per pixel against
O(k²·channels²) for a convolution, a few per cent at most.  ukis-csmask's FLOPs are
counted the same way from its ONNX graph (Conv, ConvTranspose, Gemm, MatMul after ONNX
shape inference).  For a fully convolutional net the count per pixel does not depend on
the tile size (for tiles that are multiples of the stride).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
from inference_tasks import BANDS, IPLUV_FILE, SIX_BANDS

CROSSMASK_MODELS = ("unmask", "fcnmask", "snmask", "dlmask")
#: Models the main table can hold (besides the crossmask architectures).
IPLUV, UKIS, S2CLOUDLESS = "ipluv", "ukis-csmask", "s2cloudless"
#: A random-weight UNmask on L8 B2–B7 (the bands of the IPL-UV model), for the full scene.
UNMASK6 = "unmask-b2b7"
FLOP_TILE = 512


def model_dir(workdir: Path, name: str) -> Path:
    return workdir / "models" / name


def model_bands(name: str) -> list[str]:
    return SIX_BANDS if name in (IPLUV, UNMASK6) else list(BANDS)


# --------------------------------------------------------------------------- preparation
def prepare(names: list[str], workdir: Path, formats: list[str], ukis: bool = False) -> dict:
    """Write each model folder (random weights, or the imported IPL-UV weights), export it
    to ``formats`` and count its FLOPs; return {name: info} (run in a child process).
    ``ukis``: also count the parameters and FLOPs of ukis-csmask's 6-band ONNX model."""
    from crossmask.errors import CrossmaskError
    from crossmask.models.export import export_model

    out = {UKIS: ukis_info()} if ukis else {}
    for name in names:
        start = time.perf_counter()
        folder, model = _write_model(name, model_dir(workdir, name))
        info = {"folder": str(folder), "params": int(model.count_params()),
                "bands": model_bands(name), "exports": {}}
        info.update(keras_flops(model, FLOP_TILE))
        for fmt in formats:
            t0 = time.perf_counter()
            try:
                export_model(folder, fmt, overwrite=True)
                info["exports"][fmt] = {"ok": True, "seconds": time.perf_counter() - t0}
            except CrossmaskError as err:  # record and go on: the table shows it
                info["exports"][fmt] = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        info["prepare_s"] = time.perf_counter() - start
        out[name] = info
    return out


def _write_model(name: str, folder: Path):
    from crossmask.models.card import ModelCard, load_model, save_model

    if name == IPLUV:
        from crossmask.models.ipluv import import_ipluv

        import_ipluv(IPLUV_FILE, folder, overwrite=True)
        model, _ = load_model(folder)
        return folder, model
    from crossmask.models.registry import get_model, model_stride

    arch = "unmask" if name == UNMASK6 else name
    bands = model_bands(name)
    model = get_model(arch, n_bands=len(bands), n_classes=2, width=1.0)
    card = ModelCard(arch, list(bands), "binary", ["clear", "cloud"], output="softmax",
                     stride=model_stride(arch),
                     normalization={"mean": [0.15] * len(bands), "std": [0.1] * len(bands)},
                     name=f"{name}-random", source="random weights (benchmark)")
    save_model(model, card, folder, overwrite=True)
    return folder, model


# --------------------------------------------------------------------------- FLOPs
def keras_flops(model, tile: int) -> dict:
    """FLOPs per input pixel of ``model`` at a ``tile`` × ``tile`` input (see the module
    docstring), by layer type."""
    fixed = _fixed_size(model, tile)
    by_kind: dict[str, int] = {}
    for layer in _leaf_layers(fixed):
        flops = _layer_flops(layer)
        if flops:
            kind = type(layer).__name__
            by_kind[kind] = by_kind.get(kind, 0) + flops
    total = sum(by_kind.values())
    return {"flops_per_px": total / tile**2, "flops_by_layer_type":
            {k: v / tile**2 for k, v in sorted(by_kind.items())}, "flops_method": "keras layers"}


def _fixed_size(model, tile: int):
    """The same network rebuilt with a fixed (1, tile, tile, C) input, so that every layer
    has static shapes (weights are not needed to count)."""
    import keras

    import crossmask.models.layers  # noqa: F401  (registers custom layers)

    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"].get("batch_shape") or layer["config"]["batch_input_shape"]
            key = "batch_shape" if "batch_shape" in layer["config"] else "batch_input_shape"
            layer["config"][key] = [1, tile, tile, shape[-1]]
    return keras.Model.from_config(config)


def _leaf_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _leaf_layers(layer)
        else:
            yield layer


def _layer_flops(layer) -> int:
    kind = type(layer).__name__
    if kind not in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose",
                    "Dense"):
        return 0
    c_in = int(layer.input.shape[-1])
    out = layer.output.shape
    out_px = math.prod(int(d) for d in out[1:-1])
    c_out = int(out[-1])
    if kind == "Dense":
        return 2 * out_px * c_in * c_out
    kh, kw = layer.kernel_size
    if kind == "Conv2DTranspose":
        in_px = math.prod(int(d) for d in layer.input.shape[1:-1])
        return 2 * in_px * kh * kw * c_in * c_out
    if kind == "Conv2D":
        return 2 * out_px * kh * kw * c_in // getattr(layer, "groups", 1) * c_out
    mult = int(layer.depth_multiplier)
    depthwise = 2 * out_px * kh * kw * c_in * mult
    return depthwise + (2 * out_px * c_in * mult * c_out if kind == "SeparableConv2D" else 0)


def onnx_flops(path: str | Path, n_bands: int, tile: int) -> dict:
    """FLOPs per input pixel of an ONNX graph (Conv, ConvTranspose, Gemm, MatMul) at a
    (1, tile, tile) input, NCHW or NHWC as the graph's input says.  The shapes are those
    of one real run (every operand made a graph output): shape inference alone loses
    them behind computed paddings."""
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    model = onnx.load(str(path))
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    shape = (1, n_bands, tile, tile) if dims[1] == n_bands else (1, tile, tile, n_bands)
    weights = {t.name: numpy_helper.to_array(t).shape for t in model.graph.initializer}
    nodes = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose", "Gemm",
                                                         "MatMul")]
    wanted = sorted({name for n in nodes for name in n.input[:2] if name not in weights}
                    | {n.output[0] for n in nodes})
    known = {o.name for o in model.graph.output}
    types = {v.name: v.type.tensor_type.elem_type for v in
             onnx.shape_inference.infer_shapes(model).graph.value_info}
    model.graph.output.extend(onnx.helper.make_tensor_value_info(
        name, types.get(name, onnx.TensorProto.FLOAT), None)
        for name in wanted if name not in known)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {session.get_inputs()[0].name: np.zeros(shape, np.float32)})
    shapes = {**weights, **{n: v.shape for n, v in zip(names, values)}}
    total = sum(_onnx_node_flops(node, shapes, weights) for node in nodes)
    return {"flops_per_px": total / tile**2, "flops_method": "onnx graph"}


def _onnx_node_flops(node, shapes: dict, weights: dict) -> int:
    w = shapes.get(node.input[1])
    if node.op_type == "Conv":  # w: (C_out, C_in/groups, kh, kw), output NCHW
        return 2 * math.prod(shapes[node.output[0]][2:]) * math.prod(w)
    if node.op_type == "ConvTranspose":  # w: (C_in, C_out/groups, kh, kw), input NCHW
        return 2 * math.prod(shapes[node.input[0]][2:]) * math.prod(w)
    a = shapes[node.input[0]]  # Gemm / MatMul: (..., k) x (k, n)
    return 2 * math.prod(a[:-1]) * a[-1] * w[-1]


def ukis_info() -> dict:
    import onnx

    path = ukis_model_file()
    params = sum(math.prod(t.dims) for t in onnx.load(str(path)).graph.initializer)
    return {"params": int(params), **onnx_flops(path, 6, 256)}


def ukis_model_file() -> Path:
    from ukis_csmask import mask as csmask

    return Path(csmask.__file__).with_name("model_6b_l1c.onnx")


# --------------------------------------------------------------------------- matmul peak
def matmul_peak(n: int = 4096, repeats: int = 3) -> dict:
    """GFLOP/s of an n × n float32 numpy matmul, best of ``repeats``."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n), np.float32)
    b = rng.random((n, n), np.float32)
    a @ b  # warm-up: thread pool, page faults
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return {"n": n, "seconds": best, "gflops": 2 * n**3 / best / 1e9,
            "blas": _blas_name(), "loadavg": os.getloadavg()[0]}


def _blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        return config["Build Dependencies"]["blas"]["name"]
    except (KeyError, TypeError, ValueError):  # numpy < 1.26 or an unusual build
        return "?"

