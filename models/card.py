"""Model cards: everything a saved cloud model needs besides its weights.

A model directory holds ``model.keras`` (Keras 3 archive) and ``model.json`` (this card):
input sensor and bands, per-band normalisation, class scheme, output activation, decision
threshold, training provenance and package versions.  Loading restores both, and
predicting with the wrong bands fails before any computation.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from crossmask import __version__
from crossmask.atomic import atomic_output, check_output_path
from crossmask.documents import check_header
from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.fingerprint import digest, file_digest

__all__ = ["CARD_FILE", "CARD_FORMAT", "CARD_VERSION", "MODEL_FILE", "ModelCard", "load_model",
           "model_digest", "package_versions", "read_card", "save_model", "write_card"]

CARD_FORMAT = "crossmask-model"
CARD_VERSION = 1
MODEL_FILE = "model.keras"
CARD_FILE = "model.json"


@dataclass
class ModelCard:
    """Description of a trained or imported cloud model.

    Attributes
    ----------
    architecture : str
        Registered builder name (``unmask``, ``fcnmask``, ``snmask``, ``dlmask``).
    bands : list of str
        Input bands in channel order, named as in ``sensor`` (normally Landsat-8).
    class_scheme : str
        ``binary``, ``three`` or ``four`` (see :mod:`crossmask.classes`).
    class_names : list of str
        Name of each output class, in channel order (sigmoid: the positive class).
    output : {"sigmoid", "softmax"}
        Sigmoid: one channel, cloud probability.  Softmax: one channel per class.
    normalization : dict, optional
        ``{"mean": [...], "std": [...]}`` per band, reflectance units, applied before the
        network; ``None`` when the network normalises inside its graph.
    threshold : float
        Cloud-probability cut for sigmoid models.
    stride : int
        Input height and width must be multiples of this.
    display_name : str
        How tables and figures name the model (e.g. ``"IPL-UV U-Net (L8 Biome, 6 bands)"``);
        empty: :attr:`name`.
    exports : dict
        Exported graphs beside ``model.keras`` by format (``"onnx"``, ``"openvino"``):
        file, tile shape, exporter and the digest of the weights they were made from (see
        :mod:`crossmask.models.export`).
    """

    architecture: str
    bands: list[str]
    class_scheme: str
    class_names: list[str]
    output: str = "softmax"
    sensor: str = "L8"
    normalization: dict | None = None
    threshold: float = 0.5
    stride: int = 16
    name: str = ""
    display_name: str = ""
    source: str = "trained with crossmask"
    training: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    exports: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name to show: :attr:`display_name`, else :attr:`name`, else the architecture."""
        return self.display_name or self.name or self.architecture

    def check_bands(self, available: list[str], origin: str = "input") -> None:
        """Raise :class:`MissingBandError` unless every model band is available."""
        missing = [b for b in self.bands if b not in available]
        if missing:
            raise MissingBandError(
                f"{origin}: the model needs {self.sensor} bands {', '.join(self.bands)}; "
                f"missing {', '.join(missing)} (available: {', '.join(available) or 'none'})")

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """Apply the card's per-band normalisation to (..., bands) reflectance, float32."""
        x = np.asarray(x, dtype=np.float32)
        if not self.normalization:
            return x
        mean = np.asarray(self.normalization["mean"], dtype=np.float32)
        std = np.asarray(self.normalization["std"], dtype=np.float32)
        return (x - mean) / np.maximum(std, 1e-6)

    def to_dict(self) -> dict:
        return {"format": CARD_FORMAT, "version": CARD_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, doc: dict, origin: str = "<dict>") -> "ModelCard":
        check_header(doc, CARD_FORMAT, CARD_VERSION, origin, "model card")
        fields = {k: v for k, v in doc.items() if k not in ("format", "version")}
        try:
            return cls(**fields)
        except TypeError as err:
            raise ProductFormatError(f"{origin}: malformed model card ({err})") from err


def package_versions() -> dict:
    """Versions of crossmask, Keras and TensorFlow for the card."""
    import keras
    import tensorflow as tf

    return {"crossmask": __version__, "keras": keras.__version__, "tensorflow": tf.__version__}


def save_model(model, card: ModelCard, out_dir: str | os.PathLike,
               overwrite: bool = False) -> Path:
    """Write ``model.keras`` and ``model.json`` into ``out_dir`` atomically; return the dir."""
    out_dir = Path(out_dir)
    check_output_path(out_dir / MODEL_FILE, overwrite)
    card.versions = card.versions or package_versions()
    with atomic_output(out_dir / MODEL_FILE, overwrite) as tmp:
        staging = tmp.with_suffix(".keras")  # Keras insists on the extension
        try:
            model.save(staging)
            staging.replace(tmp)
        finally:
            staging.unlink(missing_ok=True)
    write_card(card, out_dir)
    return out_dir


def write_card(card: ModelCard, folder: str | os.PathLike) -> Path:
    """(Re)write ``model.json`` of a model folder atomically; return its path."""
    path = Path(folder) / CARD_FILE
    with atomic_output(path, True) as tmp:
        tmp.write_text(json.dumps(card.to_dict(), indent=2) + "\n")
    return path


def read_card(path: str | os.PathLike) -> ModelCard:
    """Read the card of a model directory (or of the ``model.keras`` inside it)."""
    path = Path(path)
    card_path = (path if path.is_dir() else path.parent) / CARD_FILE
    try:
        doc = json.loads(card_path.read_text())
    except OSError as err:
        raise ProductFormatError(f"{card_path}: model card missing ({err.strerror}); a model "
                                 "directory holds model.keras and model.json") from err
    except ValueError as err:
        raise ProductFormatError(f"{card_path}: model card is not valid JSON ({err})") from err
    return ModelCard.from_dict(doc, str(card_path))


def model_digest(path: str | os.PathLike) -> str:
    """Fingerprint of a model directory: the SHA-256 of ``model.keras`` and of its card
    (exports left out: they are derived from the weights)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    try:
        weights = file_digest(folder / MODEL_FILE)
    except OSError as err:
        raise ProductFormatError(f"{folder / MODEL_FILE}: cannot read model ({err.strerror})"
                                 ) from err
    card = {k: v for k, v in read_card(folder).to_dict().items() if k != "exports"}
    return digest({"weights": weights, "card": card})


def load_model(path: str | os.PathLike):
    """Load ``(keras.Model, ModelCard)`` from a model directory.

    Raises
    ------
    ProductFormatError
        If the card or the Keras archive is missing, corrupt, from another version or
        unreadable, or the card's band list does not match the network's input channels.
    """
    import keras

    import crossmask.models.layers  # noqa: F401  (registers custom layers)

    path = Path(path)
    card = read_card(path)
    folder = path if path.is_dir() else path.parent
    model_path = folder / MODEL_FILE
    if not model_path.is_file():
        raise ProductFormatError(f"{model_path}: missing; a model directory holds "
                                 f"{MODEL_FILE} and {CARD_FILE}")
    if not zipfile.is_zipfile(model_path):
        raise ProductFormatError(f"{model_path}: corrupt or truncated (not a Keras .keras "
                                 "zip archive); copy or save the model again")
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as err:
        raise ProductFormatError(f"{model_path}: cannot load Keras model "
                                 f"({str(err).splitlines()[0][:200]})") from err
    _check_inputs(model, card, folder)
    return model, card


def _check_inputs(model, card: ModelCard, folder: Path) -> None:
    """The card's bands must be the network's input channels, one each."""
    channels = model.input_shape[-1]
    if channels != len(card.bands):
        raise ProductFormatError(
            f"{folder / CARD_FILE}: the card lists {len(card.bands)} bands "
            f"({', '.join(card.bands)}) but {folder / MODEL_FILE} takes {channels} input "
            "channels; the card belongs to another model")
