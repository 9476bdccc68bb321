"""Run a saved model on a runtime: Keras, ONNX Runtime or OpenVINO, in fp32 or bf16.

A :class:`Runner` turns a batch of reflectance tiles ``(n, H, W, bands)`` into class
probabilities ``(n, H, W, outputs)``, whatever runs the network.  The exported graphs
come from :func:`crossmask.models.export.export_model`; fp32 is exact (≤ 1e-4 from Keras,
see the equivalence test), bf16 is an explicit choice, offered only where the runtime and
the CPU have it (OpenVINO on CPUs with AVX-512 BF16 or AMX).  OpenVINO's precision is
always pinned: on bf16 CPUs its default would silently be bf16.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.errors import InputError
from crossmask.models.card import ModelCard, load_model, read_card
from crossmask.models.export import EXPORT_FORMATS, export_is_current
from crossmask.models.registry import MODELS

__all__ = ["PRECISIONS", "RUNTIMES", "Runner", "as_runner", "bf16_cpu", "choose_runtime",
           "require_gpu",
           "load_runner"]

#: Runtime name → the package that runs it.
RUNTIMES: dict[str, str] = {"keras": "keras", "onnx": "onnxruntime", "openvino": "openvino"}
PRECISIONS = ("fp32", "bf16")


@dataclass
class Runner:
    """A loaded model on one runtime: ``runner(batch)`` gives float32 probabilities of a
    float32 ``(n, H, W, bands)`` reflectance batch (the card's normalisation applied)."""

    card: ModelCard
    runtime: str
    precision: str
    network: object  # (normalised batch) -> probabilities

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.network(self.card.normalize(batch)), dtype=np.float32)


def as_runner(model) -> Runner:
    """A :class:`Runner` as it is, or a ``(keras.Model, ModelCard)`` pair on Keras."""
    if isinstance(model, Runner):
        return model
    net, card = model
    return Runner(card, "keras", "fp32", net.predict_on_batch)


def load_runner(model_dir: str | os.PathLike, runtime: str = "keras",
                precision: str = "fp32", threads: int | None = None) -> Runner:
    """Load the model in ``model_dir`` on ``runtime`` (``auto``: :func:`choose_runtime`).

    Raises
    ------
    InputError
        Unknown runtime or precision, the runtime not installed, no current export for it
        (the message gives the export command), or bf16 where it is not offered.
    """
    folder = Path(model_dir)
    card = read_card(folder)
    runtime = choose_runtime(folder, card) if runtime == "auto" else runtime
    _check_choice(runtime, precision, folder)
    threads = threads or _default_threads()
    if runtime == "keras":
        if precision == "bf16":
            raise InputError("bf16 runs on the openvino runtime only (on CPUs with AVX-512 "
                             "BF16 or AMX); use --runtime openvino or --precision fp32")
        return as_runner(load_model(folder))
    if runtime == "onnx":
        if precision == "bf16":
            raise InputError("ONNX Runtime runs fp32 only on the CPU; use --runtime openvino "
                             "for bf16 or --precision fp32")
        return Runner(card, "onnx", "fp32", _onnx_network(folder, threads))
    return Runner(card, "openvino", precision, _openvino_network(folder, precision, threads))


def choose_runtime(model_dir: Path, card: ModelCard) -> str:
    """The fastest installed runtime with a current export of this model, else Keras.

    Preference is data (``models.registry.MODELS[arch].runtimes``): OpenVINO, then ONNX
    Runtime, except for SegNet (OpenVINO runs its argmax pooling in a slow generic kernel).
    """
    entry = MODELS.get(card.architecture)
    order = entry.runtimes if entry else ("openvino", "onnx")
    for runtime in order:
        if importlib.util.find_spec(RUNTIMES[runtime]) and export_is_current(model_dir, runtime):
            return runtime
    return "keras"


def require_gpu() -> None:
    """Raise InputError unless TensorFlow sees a GPU (the ``--gpu`` of training commands)."""
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        raise InputError("--gpu was given but TensorFlow sees no GPU (tensorflow-cpu is "
                         "installed by default; see README, GPU)")


def bf16_cpu() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX, /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as stream:
            flags = next((line.split(":", 1)[1].split() for line in stream
                          if line.startswith("flags")), [])
    except OSError:
        return False
    return bool({"avx512_bf16", "amx_bf16"} & set(flags))


def _check_choice(runtime: str, precision: str, folder: Path) -> None:
    if runtime not in RUNTIMES:
        raise InputError(f"unknown runtime {runtime!r}; valid: auto, {', '.join(RUNTIMES)}")
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if importlib.util.find_spec(RUNTIMES[runtime]) is None:
        raise InputError(f"the {runtime} runtime needs the {RUNTIMES[runtime]} package: "
                         f"{EXPORT_FORMATS[runtime][2]}")
    if runtime != "keras" and not export_is_current(folder, runtime):
        raise InputError(f"{folder}: no {runtime} export of the present weights; run "
                         f"crossmask models export {folder} --format {runtime}")
    if precision == "bf16" and runtime == "openvino" and not bf16_cpu():
        raise InputError("bf16 needs a CPU with AVX-512 BF16 or AMX; this one has neither "
                         "(use --precision fp32)")


def _default_threads() -> int:
    """Threads for an exported runtime: ``CROSSMASK_THREADS`` (set on Dask workers, see
    :func:`crossmask.pipelines.batch.cluster.worker_env`), else every core."""
    value = os.environ.get("CROSSMASK_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def _onnx_network(folder: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: np.ascontiguousarray(x, np.float32)})[0]


def _openvino_network(folder: Path, precision: str, threads: int):
    compiled = _compiled_openvino(str(folder / "model.xml"), precision, threads)
    used = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    if (used == "bf16") != (precision == "bf16"):
        raise InputError(f"OpenVINO compiled the model in {used}, not the {precision} asked "
                         "for; this CPU does not offer it")
    request = compiled.create_infer_request()
    output = compiled.output(0)
    return lambda x: request.infer({0: np.ascontiguousarray(x, np.float32)})[output].copy()


def _compiled_openvino(xml: str, precision: str, threads: int):
    import openvino as ov

    hint = {"fp32": "f32", "bf16": "bf16"}[precision]
    return ov.Core().compile_model(xml, "CPU", {"INFERENCE_PRECISION_HINT": hint,
                                                "PERFORMANCE_HINT": "LATENCY",
                                                "INFERENCE_NUM_THREADS": threads})
