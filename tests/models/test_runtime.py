"""Exported runtimes give Keras' answer: every architecture and the IPL-UV U-Net, exported
and run by every installed runtime on the same tiles (fp32: |Δp| ≤ 1e-4, identical classes
except within 1e-4 of the threshold); bf16 is refused where the CPU lacks it."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from crossmask.errors import InputError
from crossmask.models.card import ModelCard, save_model
from crossmask.models.export import export_is_current, export_model
from crossmask.models.registry import get_model, model_stride
from crossmask.models.runtime import bf16_cpu, choose_runtime, load_runner

BANDS = ["B2", "B3", "B4", "B5", "B6", "B7"]
INSTALLED = [r for r, pkg in (("onnx", "tf2onnx"), ("openvino", "openvino"))
             if importlib.util.find_spec(pkg) and importlib.util.find_spec(
                 {"onnx": "onnxruntime", "openvino": "openvino"}[r])]
pytestmark = pytest.mark.skipif(not INSTALLED, reason='no exported runtime installed '
                                '(pip install "crossmask[onnx]")')


def _model_dir(tmp_path, name):
    import keras

    keras.utils.set_random_seed(7)
    if name == "ipluv":
        from crossmask.models.ipluv import IpluvGraph, build_ipluv

        net = build_ipluv(IpluvGraph(n_bands=6, base_filters=8, depth=2, n_classes=1, layers=[]))
        card = ModelCard("unmask", BANDS, "binary", ["cloud"], output="sigmoid", stride=4)
    else:
        net = get_model(name, n_bands=6, n_classes=3, width=0.25)
        card = ModelCard(name, BANDS, "three", ["clear", "cloud", "shadow"],
                         stride=model_stride(name),
                         normalization={"mean": [0.2] * 6, "std": [0.15] * 6})
    return save_model(net, card, tmp_path / name)


@pytest.mark.parametrize("name", ["unmask", "fcnmask", "snmask", "dlmask", "ipluv"])
def test_every_runtime_gives_the_keras_answer(tmp_path, name):
    folder = _model_dir(tmp_path, name)
    tiles = np.random.default_rng(3).uniform(0, 0.8, (3, 64, 96, 6)).astype(np.float32)
    keras_probs = load_runner(folder, "keras")(tiles)
    for runtime in INSTALLED:
        export_model(folder, runtime)
        runner = load_runner(folder, runtime)
        assert (runner.runtime, runner.precision) == (runtime, "fp32")
        probs = runner(tiles)
        assert probs.shape == keras_probs.shape
        assert np.abs(probs - keras_probs).max() <= 1e-4, (runtime, name)
        if probs.shape[-1] == 1:
            near = np.abs(keras_probs[..., 0] - 0.5) <= 1e-4
            same = (probs[..., 0] >= 0.5) == (keras_probs[..., 0] >= 0.5)
        else:
            top = np.sort(keras_probs, -1)
            near = top[..., -1] - top[..., -2] <= 1e-4
            same = probs.argmax(-1) == keras_probs.argmax(-1)
        assert (same | near).all(), (runtime, name)


def test_exports_are_recorded_and_go_stale_with_the_weights(tmp_path):
    folder = _model_dir(tmp_path, "unmask")
    runtime = INSTALLED[0]
    files = export_model(folder, runtime)
    card = json.loads((folder / "model.json").read_text())
    assert card["exports"][runtime]["files"] == [f.name for f in files]
    assert export_is_current(folder, runtime)
    assert choose_runtime(folder, ModelCard(**{k: v for k, v in card.items()
                                               if k not in ("format", "version")})) in INSTALLED
    (folder / "model.keras").write_bytes((folder / "model.keras").read_bytes() + b"\0")
    assert not export_is_current(folder, runtime)
    with pytest.raises(InputError, match="crossmask models export"):
        load_runner(folder, runtime)
    assert load_runner(folder, "auto").runtime == "keras"


def test_bf16_is_offered_only_where_the_cpu_has_it(tmp_path):
    folder = _model_dir(tmp_path, "unmask")
    for runtime in ("keras", *INSTALLED):
        if runtime != "keras":
            export_model(folder, runtime, overwrite=True)
        if runtime == "openvino" and bf16_cpu():
            assert load_runner(folder, runtime, "bf16").precision == "bf16"
            continue
        with pytest.raises(InputError, match="bf16"):
            load_runner(folder, runtime, "bf16")


def test_predict_cli_runs_an_export(tmp_path, invoke, l8_geotiff):
    folder = _model_dir(tmp_path, "unmask")
    runtime = INSTALLED[0]
    result = invoke("models", "export", folder, "--format", runtime)
    assert result.exit_code == 0 and f"--runtime {runtime}" in result.output
    outputs = {}
    for name in ("keras", runtime):
        out = tmp_path / f"{name}.tif"
        result = invoke("predict", folder, l8_geotiff, "-o", out, "--sensor", "L8",
                        "--runtime", name, "--tile", "64")
        assert result.exit_code == 0 and f"({name}, fp32" in result.output
        import rasterio

        with rasterio.open(out) as ds:
            outputs[name] = ds.read(1)
    assert np.mean(outputs["keras"] != outputs[runtime]) < 1e-3


@pytest.mark.parametrize("value, expected", [("1", 1), ("3", 3), ("0", None), ("x", None)])
def test_exported_runtimes_take_their_thread_count_from_the_worker(monkeypatch, value, expected):
    from crossmask.models.runtime import _default_threads

    monkeypatch.setenv("CROSSMASK_THREADS", value)
    assert _default_threads() == (expected or os.cpu_count())
