"""Export a saved model to ONNX or OpenVINO IR beside ``model.keras``, with the official
exporters: Keras 3 ``model.export(format="onnx")`` (tf2onnx) and
``model.export(format="openvino")`` (OpenVINO's converter, fp32 weights).

The card records each export (file, input shape, exporter versions and the digest of the
weights it was made from), so a runtime never runs a graph that no longer matches the
Keras weights.  Install the exporters with ``pip install "crossmask[onnx]"`` /
``"crossmask[openvino]"``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from crossmask.atomic import check_output_path, current_umask
from crossmask.errors import InputError, ProductFormatError
from crossmask.fingerprint import file_digest
from crossmask.models.card import MODEL_FILE, load_model, read_card, write_card

__all__ = ["EXPORT_FORMATS", "export_model", "export_is_current"]

#: Export format → (files written, module it needs, install hint).
EXPORT_FORMATS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "onnx": (("model.onnx",), "tf2onnx", 'pip install "crossmask[onnx]"'),
    "openvino": (("model.xml", "model.bin"), "openvino", 'pip install "crossmask[openvino]"'),
}
_VERSIONS = {"onnx": ("tf2onnx", "onnx"), "openvino": ("openvino",)}


def export_model(model_dir: str | os.PathLike, fmt: str, tile: int | None = None,
                 overwrite: bool = False) -> list[Path]:
    """Write the ``fmt`` graph of the model in ``model_dir`` beside it; return the files.

    ``tile`` fixes the input height and width (px; dynamic batch), else every size that is
    a multiple of the stride is accepted.

    Raises
    ------
    InputError
        Unknown format, a tile that is not a multiple of the stride, the exporter missing.
    OutputExistsError
        An export of that format exists and ``overwrite`` is false.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}")
    files, module, hint = EXPORT_FORMATS[fmt]
    if importlib.util.find_spec(module) is None:
        raise InputError(f"exporting to {fmt} needs the {module} package: {hint}")
    folder = Path(model_dir)
    model, card = load_model(folder)
    if tile is not None and (tile < card.stride or tile % card.stride):
        raise InputError(f"tile {tile} px is not a multiple of the model stride {card.stride}")
    targets = [check_output_path(folder / name, overwrite) for name in files]
    _export_into(model, len(card.bands), fmt, tile, targets)
    card.exports[fmt] = {"files": list(files), "input": [None, tile, tile, len(card.bands)],
                         "weights": file_digest(folder / MODEL_FILE),
                         "versions": _exporter_versions(fmt)}
    write_card(card, folder)
    return targets


def export_is_current(model_dir: str | os.PathLike, fmt: str) -> bool:
    """Whether the ``fmt`` export exists and was made from the present weights."""
    folder = Path(model_dir)
    entry = read_card(folder).exports.get(fmt)
    if not entry or not all((folder / f).is_file() for f in entry["files"]):
        return False
    return entry["weights"] == file_digest(folder / MODEL_FILE)


def _export_into(model, n_bands: int, fmt: str, tile: int | None, targets: list[Path]) -> None:
    """Export into a temporary folder beside the targets, then move each file into place
    (the weights file before the graph that names it)."""
    import keras

    spec = keras.InputSpec(shape=(None, tile, tile, n_bands), dtype="float32", name="bands")
    staging = Path(tempfile.mkdtemp(prefix=".export.", dir=targets[0].parent))
    quiet = {"CI": "true"} if fmt == "openvino" else {}  # no telemetry files in ~/intel
    before = {k: os.environ.get(k) for k in quiet}
    os.environ.update(quiet)
    try:
        try:
            with warnings.catch_warnings():  # tf2onnx's own numpy FutureWarning
                warnings.simplefilter("ignore", FutureWarning)
                model.export(str(staging / targets[0].name), format=fmt, verbose=False,
                             input_signature=[spec])
        except Exception as err:  # the exporters raise anything: name the model and format
            raise ProductFormatError(f"{targets[0].parent}: export to {fmt} failed "
                                     f"({type(err).__name__}: {str(err)[:300]})") from err
        for target in reversed(targets):
            os.chmod(staging / target.name, 0o666 & ~current_umask())
            os.replace(staging / target.name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for key, value in before.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def _exporter_versions(fmt: str) -> dict:
    import keras

    found = {"keras": keras.__version__}
    for dist in _VERSIONS[fmt]:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found
