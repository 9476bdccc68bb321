"""The ``learned`` adjustment's network: a small residual generator on top of ``ols``.

A learned adjustment is an ``ols`` band adjustment followed by a fully convolutional
generator that maps the ``ols``-harmonised target bands to target bands:
``out = x + r(x)``, where ``r`` is ``depth`` 3 × 3 convolutions (``width`` filters,
leaky ReLU) and a 1 × 1 convolution whose kernel and bias start at zero, so an untrained
generator is exactly the identity on the ``ols`` result.  It is trained unpaired on
unlabelled images (:mod:`crossmask.harmonize.adapt`).

**Windows.**  Each output pixel depends on the input within ``halo = depth`` pixels
(the receptive field's radius), so :func:`crossmask.harmonize.harmonize_window` reads
every window with that margin (clipped at the grid's edge) and crops it: harmonising
window by window gives the whole-image result.  At the grid's edge the convolutions
pad with zeros, as on a whole image.  Fill (NaN) enters the network as 0 and comes out
as NaN again (in its band); it can tint the valid pixels within ``halo`` of it.

**Files.**  The weights are saved beside the adjustment JSON as ``<stem>.generator.npz``
(arrays ``w000``, ``w001``, … in Keras' weight order); the JSON names the file and the
SHA-256 of the arrays (:func:`crossmask.fingerprint.digest`), which every fingerprint of
the adjustment therefore includes.  Loading checks the digest.

TensorFlow is imported on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from crossmask.atomic import atomic_output
from crossmask.errors import InputError, ProductFormatError
from crossmask.fingerprint import digest

__all__ = ["ARCHITECTURE", "BASE_METHOD", "LEARNED", "LearnedGenerator", "build_generator",
           "generator_path"]

#: The method name of learned adjustments, and the method whose output they refine.
LEARNED, BASE_METHOD = "learned", "ols"
#: Name of the architecture in the adjustment JSON.
ARCHITECTURE = "residual-cnn"
_SLOPE = 0.2


def build_generator(n_bands: int, width: int = 32, depth: int = 3):
    """A Keras model ``(batch, H, W, n_bands) → (batch, H, W, n_bands)``: identity plus a
    zero-initialised residual (reflectance 0–1 in and out; any H, W).

    Raises
    ------
    InputError
        For fewer than one band, filter or layer.
    """
    import keras

    if min(n_bands, width, depth) < 1:
        raise InputError(f"generator of {n_bands} bands, width {width}, depth {depth}: each "
                         "must be at least 1")
    inputs = keras.Input((None, None, n_bands), name="ols")
    x = inputs
    for i in range(depth):
        x = keras.layers.Conv2D(width, 3, padding="same", name=f"conv{i}")(x)
        x = keras.layers.LeakyReLU(_SLOPE, name=f"act{i}")(x)
    residual = keras.layers.Conv2D(n_bands, 1, kernel_initializer="zeros",
                                   bias_initializer="zeros", name="residual")(x)
    outputs = keras.layers.Add(name="adapted")([inputs, residual])
    return keras.Model(inputs, outputs, name="learned_generator")


def generator_path(adjustment_path: str | Path) -> Path:
    """Where the weights of the adjustment saved at ``adjustment_path`` go."""
    path = Path(adjustment_path)
    return path.with_name(f"{path.stem}.generator.npz")


class LearnedGenerator:
    """The generator of a learned adjustment: its bands, size and weights.

    Attributes
    ----------
    bands : list of str
        Target bands in channel order (input and output).
    width, depth : int
        Filters per layer and number of 3 × 3 layers; ``halo`` = ``depth`` pixels.
    file : str or None
        Weights file name, relative to ``folder`` (set when saved or loaded).
    sha256 : str
        Digest of the weight arrays.
    """

    def __init__(self, bands: Sequence[str], width: int, depth: int,
                 weights: Sequence[np.ndarray] | None = None, file: str | None = None,
                 sha256: str | None = None, folder: Path | None = None):
        self.bands, self.width, self.depth = list(bands), int(width), int(depth)
        self.file, self.folder = file, folder
        self._weights = [np.asarray(w, np.float32) for w in weights] if weights else None
        self.sha256 = sha256 or (digest(self._weights) if self._weights else "")
        self._network = None
        self._lock = threading.Lock()

    @property
    def halo(self) -> int:
        """Receptive-field radius in pixels: the margin a window is read with."""
        return self.depth

    def __repr__(self) -> str:
        return (f"LearnedGenerator(bands={self.bands}, width={self.width}, "
                f"depth={self.depth}, sha256={self.sha256!r})")

    @classmethod
    def from_network(cls, network, bands: Sequence[str], width: int,
                     depth: int) -> "LearnedGenerator":
        """Wrap a trained :func:`build_generator` model (its weights are copied)."""
        return cls(bands, width, depth, network.get_weights())

    def __getstate__(self) -> dict:  # picklable for Dask workers: no lock, no network
        return {k: v for k, v in vars(self).items() if k not in ("_lock", "_network")}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, _network=None, _lock=threading.Lock())

    def to_dict(self) -> dict:
        """The ``generator`` entry of the adjustment JSON."""
        return {"architecture": ARCHITECTURE, "bands": self.bands, "width": self.width,
                "depth": self.depth, "halo": self.halo, "file": self.file,
                "sha256": self.sha256}

    @classmethod
    def from_dict(cls, doc: Mapping, folder: Path, origin: str) -> "LearnedGenerator":
        """Rebuild from :meth:`to_dict` output; ``folder`` holds the weights file."""
        try:
            if doc["architecture"] != ARCHITECTURE:
                raise ValueError(f"architecture {doc['architecture']!r} is not {ARCHITECTURE}")
            return cls(doc["bands"], doc["width"], doc["depth"], file=str(doc["file"]),
                       sha256=str(doc["sha256"]), folder=folder)
        except (KeyError, TypeError, ValueError) as err:
            raise ProductFormatError(f"{origin}: malformed generator entry ({err})") from err

    def weights(self) -> list[np.ndarray]:
        """The weight arrays, read from ``folder / file`` on first use.

        Raises
        ------
        ProductFormatError
            Missing or unreadable file, or arrays whose digest is not ``sha256``.
        """
        if self._weights is None:
            path = Path(self.folder or ".") / str(self.file)
            try:
                with np.load(path, allow_pickle=False) as archive:
                    arrays = [archive[k] for k in sorted(archive.files)]
            except (OSError, ValueError) as err:
                raise ProductFormatError(f"{path}: cannot read generator weights ({err})"
                                         ) from err
            if digest(arrays) != self.sha256:
                raise ProductFormatError(f"{path}: generator weights do not match the "
                                         "adjustment's digest (file replaced or corrupt)")
            self._weights = arrays
        return self._weights

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the weights to ``path`` (``.npz``) atomically; record its name."""
        path = Path(path)
        arrays = self.weights()
        with atomic_output(path, overwrite) as tmp:
            with open(tmp, "wb") as stream:
                np.savez(stream, **{f"w{i:03d}": a for i, a in enumerate(arrays)})
        self.file, self.folder = path.name, path.parent
        return path

    def network(self):
        """The Keras model with these weights (built once per instance)."""
        with self._lock:
            if self._network is None:
                network = build_generator(len(self.bands), self.width, self.depth)
                network.set_weights(self.weights())
                self._network = network
        return self._network

    def refine(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the generator on ``ols`` target-band arrays (2-D, one shape); float32.

        NaN is fill: it enters the network as 0 and stays NaN (in its band).
        """
        missing = [b for b in self.bands if b not in values]
        if missing:
            raise InputError(f"the learned generator needs bands {', '.join(missing)}")
        cube = np.stack([np.asarray(values[b], np.float32) for b in self.bands], -1)
        if cube.ndim != 3:
            raise InputError(f"the learned generator works on 2-D windows, not arrays of "
                             f"shape {cube.shape[:-1]}")
        fill = ~np.isfinite(cube)
        network = self.network()
        with self._lock:
            out = np.asarray(network(np.where(fill, 0.0, cube)[None], training=False))[0]
        out = np.where(fill, np.nan, out).astype(np.float32)
        return {**values, **{b: out[..., i] for i, b in enumerate(self.bands)}}
