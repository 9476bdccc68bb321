"""The band adjustment: per-target-band linear models, applied to arrays, saved as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.documents import check_header
from crossmask.errors import InputError, MissingBandError, ProductFormatError
from crossmask.harmonize.learned import LEARNED, LearnedGenerator, generator_path

__all__ = ["FORMAT", "FORMAT_VERSION", "METHODS", "BandAdjustment", "BandModel", "check_method"]

FORMAT = "crossmask-band-adjustment"
FORMAT_VERSION = 1
#: Version of documents with a learned generator (older crossmask refuses them rather
#: than apply their ``ols`` part alone).
LEARNED_VERSION = 2
#: Harmonisation methods, in the order reports list them (``hls`` and ``roy2016`` are
#: published tables: :data:`crossmask.harmonize.published.PUBLISHED`; ``learned`` is
#: trained on images, :mod:`crossmask.harmonize.adapt`, and exists only as a fitted file).
METHODS = ("none", "ols", "multivariate", "hls", "roy2016", "learned")


@dataclass
class BandModel:
    """target = Σ coefficient_i · source_i + intercept, reflectance 0–1.

    ``metrics`` holds r2, rmse, bias (target units) and n over the spectra it was fitted
    on or evaluated against; ``note`` says why a band was not fitted, if so.
    """

    target: str
    sources: list[str]
    coefficients: list[float]
    intercept: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def predict(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Evaluate the model on source-band arrays (any shape, same for all bands)."""
        out = np.full_like(np.asarray(values[self.sources[0]], dtype=np.float32),
                           self.intercept)
        for name, coefficient in zip(self.sources, self.coefficients):
            out += np.float32(coefficient) * np.asarray(values[name], dtype=np.float32)
        return out


@dataclass
class BandAdjustment:
    """A fitted (or published) adjustment from one sensor's bands to another's.

    Attributes
    ----------
    source, target : str
        Registry keys, e.g. ``"S2A"`` → ``"L8"``.
    method : str
        One of :data:`METHODS`.
    bands : list of BandModel
        One model per target band, in target band order.
    info : dict
        Provenance: training spectra, seed, citation, package version.
    restore_saturation : bool
        Restore saturated visible source bands before the band models ("clouds are
        white", :func:`crossmask.harmonize.saturation.restore_saturated`), where the product
        says which pixels saturate.  Documents without the key read as False.
    generator : LearnedGenerator, optional
        ``learned`` only: the network run on the band models' output (its bands are the
        ``bands``' targets; :mod:`crossmask.harmonize.learned`).
    outputs : list of str, optional
        ``learned`` only: the target bands produced, when :meth:`select` chose fewer than
        the generator makes (it still needs all of them as input).
    """

    source: str
    target: str
    method: str
    bands: list[BandModel]
    info: dict = field(default_factory=dict)
    restore_saturation: bool = False
    generator: LearnedGenerator | None = None
    outputs: list[str] | None = None

    @property
    def target_bands(self) -> list[str]:
        """Target band names produced, e.g. ``["B1", …, "B7", "B9"]``."""
        return list(self.outputs) if self.outputs else [b.target for b in self.bands]

    @property
    def halo(self) -> int:
        """Pixels of context an output pixel depends on (0 but for ``learned``)."""
        return self.generator.halo if self.generator is not None else 0

    @property
    def source_bands(self) -> list[str]:
        """Source bands needed to apply the adjustment, without repeats, in first-use order."""
        return list(dict.fromkeys(name for b in self.bands for name in b.sources))

    def apply(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Adjust source-band reflectance arrays to target bands (float32).

        NaN (nodata) in any source band used by a target band gives NaN there; with a
        generator (``learned``) the arrays must be 2-D windows.

        Raises
        ------
        MissingBandError
            If a needed source band is not in ``values``.
        """
        missing = [name for name in self.source_bands if name not in values]
        if missing:
            raise MissingBandError(
                f"{self.source}→{self.target} ({self.method}) needs source bands "
                f"{', '.join(missing)}, which were not given"
            )
        adjusted = {b.target: b.predict(values) for b in self.bands}
        if self.generator is not None:
            adjusted = self.generator.refine(adjusted)
        return {band: adjusted[band] for band in self.target_bands}

    def select(self, target_bands: Sequence[str]) -> "BandAdjustment":
        """The same adjustment restricted to ``target_bands`` (in that order).

        Raises
        ------
        MissingBandError
            If the adjustment does not produce one of them.
        """
        by_name = {b.target: b for b in self.bands}
        missing = [b for b in target_bands if b not in by_name]
        if missing:
            raise MissingBandError(f"the {self.source}→{self.target} ({self.method}) adjustment "
                                   f"does not produce {', '.join(missing)}; it produces "
                                   f"{', '.join(by_name)}")
        if self.generator is not None:  # the generator needs every band it was trained on
            return BandAdjustment(self.source, self.target, self.method, list(self.bands),
                                  dict(self.info), self.restore_saturation, self.generator,
                                  list(target_bands))
        return BandAdjustment(self.source, self.target, self.method,
                              [by_name[b] for b in target_bands], dict(self.info),
                              self.restore_saturation)

    def table(self):
        """A pandas DataFrame: one row per target band with coefficients and metrics."""
        import pandas as pd

        rows = [{"target": b.target, "sources": "+".join(b.sources),
                 "slope": b.coefficients[0] if len(b.coefficients) == 1 else math.nan,
                 "intercept": b.intercept, **b.metrics, "note": b.note} for b in self.bands]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """The versioned JSON document (with a ``generator`` entry naming the weights
        file and their digest for ``learned``)."""
        doc = {"format": FORMAT, "version": FORMAT_VERSION, "source": self.source,
               "target": self.target, "method": self.method,
               "restore_saturation": bool(self.restore_saturation),
               "info": {"crossmask_version": __version__, **self.info},
               "bands": [asdict(b) for b in self.bands]}
        if self.generator is not None:
            doc.update(version=LEARNED_VERSION, generator=self.generator.to_dict())
        if self.outputs:
            doc["outputs"] = list(self.outputs)
        return doc

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the JSON document atomically; return the path.  A generator's weights
        go first, beside it (:func:`~crossmask.harmonize.learned.generator_path`)."""
        if self.generator is not None:
            self.generator.save(generator_path(path), overwrite)
        with atomic_output(path, overwrite) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=True) + "\n")
        return Path(path)

    @classmethod
    def from_dict(cls, doc: Mapping, origin: str = "<dict>") -> "BandAdjustment":
        """Rebuild from :meth:`to_dict` output, checking format and version (a generator's
        weights file is looked for beside ``origin``, the document's path)."""
        learned = isinstance(doc, Mapping) and "generator" in doc
        check_header(doc, FORMAT, LEARNED_VERSION if learned else FORMAT_VERSION, origin,
                     "band adjustment")
        try:
            bands = [BandModel(**b) for b in doc["bands"]]
            restore = doc.get("restore_saturation", False)
            if not isinstance(restore, bool):
                raise TypeError(f"restore_saturation is {restore!r}, not true or false")
            folder = Path(origin).parent.absolute()
            generator = (LearnedGenerator.from_dict(doc["generator"], folder, origin)
                         if learned else None)
            if (generator is not None) != (doc["method"] == LEARNED) or generator and \
                    generator.bands != [b.target for b in bands]:
                raise TypeError("a generator belongs to method learned, over its bands")
            return cls(doc["source"], doc["target"], doc["method"], bands, dict(doc["info"]),
                       restore, generator, doc.get("outputs"))
        except (KeyError, TypeError) as err:
            raise ProductFormatError(f"{origin}: malformed band adjustment ({err})") from err

    @classmethod
    def load(cls, path: str | Path) -> "BandAdjustment":
        """Read a JSON file written by :meth:`save`."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ProductFormatError(f"{path}: cannot read band adjustment ({err})") from err
        return cls.from_dict(doc, str(path))


def check_method(method: str) -> str:
    """Return ``method`` lower-cased if it is one of :data:`METHODS`."""
    if method.lower() not in METHODS:
        raise InputError(f"unknown harmonisation method {method!r}; valid: {', '.join(METHODS)}")
    return method.lower()
