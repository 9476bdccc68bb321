"""Evaluation configuration: which models, harmonisation methods and datasets to score.

A TOML file (paths relative to it)::

    name = "zero-shot-s2"
    scheme = "binary"                      # binary | three | four
    methods = ["none", "ols", "multivariate", "hls"]
    saturation = ["on", "off"]             # "off": also score without saturation restoration
    peers = ["ukis-csmask", "s2cloudless"] # optional, when installed
    n_boot = 1000
    seed = 0

    [adjustments]                          # fitted files of methods that need one
    learned = ["fits/learned_S2A.json"]    # (crossmask harmonize fit --method learned)

    [[models]]
    name = "ipluv6"
    path = "models/ipluv6"                 # a model folder (trained run or imported)

    [[datasets]]
    name = "ukis"
    path = "data/sentinel2.npz"
    config = "data/sentinel2.toml"         # bands / codes / sensor of a generic scene

    [[datasets]]
    name = "biome-test"
    path = "/data/l8biome"                 # an L8 Biome root …
    split = "split.json"                   # … optionally restricted to a split part
    part = "test"

``saturation``: "on" scores each method as harmonisation does by default (saturated
visible bands restored for TM/ETM+ data, :mod:`crossmask.harmonize.saturation`); "off"
scores it without restoration too, as an ablation row labelled ``"<method> (no saturation
fix)"`` — only for data where restoration is on by default (elsewhere the two are one).

``adjustments``: method → fitted adjustment JSON files (one path or a list, one per source
sensor).  ``learned`` exists only this way: it is scored on the scenes whose sensor one of
its files adjusts (with that file, restricted to the model's bands), and nowhere else.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crossmask.classes import SCHEMES
from crossmask.errors import ConfigError, InputError
from crossmask.harmonize import METHODS, SATURATION_SETTINGS, BandAdjustment
from crossmask.pipelines.evaluation.peers import PEERS
from crossmask.pipelines.inference.tiling import check_tiling

__all__ = ["DatasetSpec", "EvaluationConfig", "ModelSpec", "load_config"]


@dataclass
class ModelSpec:
    """A model folder to score, with a display name."""

    name: str
    path: str


@dataclass
class DatasetSpec:
    """A labelled dataset: a file, a folder of scenes, or an L8 Biome root.

    ``config`` is a scene TOML (or inline ``bands``/``codes``/``sensor``) for generic
    npz / GeoTIFF scenes; ``split``/``part`` restrict an L8 Biome root.
    """

    name: str
    path: str
    config: str | None = None
    sensor: str | None = None
    bands: list[str] | None = None
    codes: dict | None = None
    split: str | None = None
    part: str = "test"


@dataclass
class EvaluationConfig:
    """Everything a run needs; saved in ``run.json``."""

    name: str
    models: list[ModelSpec]
    datasets: list[DatasetSpec]
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    saturation: list[str] = field(default_factory=lambda: list(SATURATION_SETTINGS))
    scheme: str = "binary"
    peers: list[str] = field(default_factory=list)
    n_boot: int = 1000
    seed: int = 0
    tile: int = 512
    overlap: int = 64
    batch_size: int = 4
    quicklooks: int = 4
    runtime: str = "keras"  # keras, onnx, openvino or auto (see crossmask.models.runtime)
    precision: str = "fp32"
    adjustments: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.adjustments = _check_adjustments(self.adjustments)
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ConfigError(f"unknown harmonisation methods {bad}; valid: "
                              f"{', '.join(METHODS)}")
        bad = [s for s in self.saturation if s not in SATURATION_SETTINGS]
        if bad or not self.saturation:
            raise ConfigError(f"saturation {list(self.saturation)}: give one or both of "
                              f"{', '.join(SATURATION_SETTINGS)}")
        if self.scheme not in SCHEMES:
            raise ConfigError(f"unknown class scheme {self.scheme!r}; valid: "
                              f"{', '.join(SCHEMES)}")
        unknown = [p for p in self.peers if p not in PEERS]
        if unknown:
            raise ConfigError(f"unknown peers {unknown}; valid: {', '.join(PEERS)}")
        if int(self.n_boot) != self.n_boot or self.n_boot < 1:
            raise ConfigError(f"n_boot {self.n_boot} must be a positive number of resamplings")
        check_tiling(self.tile, self.overlap, self.batch_size)
        if not self.models and not self.peers:
            raise InputError("the evaluation names no model (and no peer)")
        if not self.datasets:
            raise InputError("the evaluation names no dataset")
        for model in self.models:
            if not Path(model.path).exists():
                raise InputError(f"model {model.name!r}: {model.path} does not exist")
        for data in self.datasets:
            if not Path(data.path).exists():
                raise InputError(f"dataset {data.name!r}: {data.path} does not exist")

    def to_dict(self) -> dict:
        return asdict(self)

    def fitted(self) -> dict[str, dict[str, BandAdjustment]]:
        """The ``adjustments`` loaded: method → {source sensor: adjustment}."""
        out: dict[str, dict[str, BandAdjustment]] = {}
        for method, paths in self.adjustments.items():
            for path in paths:
                adjustment = BandAdjustment.load(path)
                out.setdefault(method, {})[adjustment.source] = adjustment
        return out


def _check_adjustments(table) -> dict[str, list[str]]:
    """``{method: path or [paths]}`` → ``{method: [paths]}``; each file must exist and be
    an adjustment of that method."""
    if not isinstance(table, dict):
        raise ConfigError(f"adjustments {table!r}: give a table, method = path or [paths]")
    out = {}
    for method, paths in table.items():
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        if method not in METHODS:
            raise ConfigError(f"adjustments: unknown method {method!r}; valid: "
                              f"{', '.join(METHODS)}")
        for path in paths:
            if not Path(path).is_file():
                raise InputError(f"adjustments: {method} file {path} does not exist")
            found = BandAdjustment.load(path).method
            if found != method:
                raise ConfigError(f"adjustments: {path} is an adjustment of method {found}, "
                                  f"not {method}")
        out[method] = [str(p) for p in paths]
    return out


def load_config(path: str | os.PathLike) -> EvaluationConfig:
    """Read an evaluation TOML; relative paths are taken from the file's folder.

    Raises
    ------
    ConfigError
        Unreadable TOML or unknown keys.
    InputError
        Missing models, datasets or methods (named).
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read evaluation config ({err})") from err
    base = path.parent
    try:
        models = [ModelSpec(**_resolve(m, base, ("path",))) for m in doc.pop("models", [])]
        if isinstance(doc.get("adjustments"), dict):
            doc["adjustments"] = {k: [str((base / p).resolve()) for p in
                                      ([v] if isinstance(v, str) else v)]
                                  for k, v in doc["adjustments"].items()}
        datasets = [DatasetSpec(**_resolve(d, base, ("path", "config", "split")))
                    for d in doc.pop("datasets", [])]
        return EvaluationConfig(models=models, datasets=datasets,
                                **{"name": path.stem, **doc})
    except TypeError as err:
        raise ConfigError(f"{path}: unknown or missing key ({err})") from err


def _resolve(entry: dict, base: Path, keys: tuple[str, ...]) -> dict:
    out = dict(entry)
    for key in keys:
        if out.get(key):
            out[key] = str((base / out[key]).resolve())
    return out
