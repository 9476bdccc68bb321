"""CloudSEN12+ (Aybar et al. 2024) as published: TACO v1 files (``*.taco``, e.g. the parts
``cloudsen12-l1c.0000.part.taco`` …), read with the official ``tacoreader`` 0.5.x.

A TACO file is a footer table with one row per sample (``tortilla:id``, ``label_type``,
``s2_id``, ``roi_id``, ``tortilla:data_split``, ``real_proj_shape``, …); each sample is a
nested tortilla of two GeoTIFFs that GDAL reads in place through the ``/vsisubfile/`` paths
tacoreader gives::

    s2l1c     13 bands B1, B2, B3, B4, B5, B6, B7, B8, B8A, B9, B10, B11, B12 (or as the band
              descriptions name them), uint16 DN = reflectance × 10000, DN 0 fill
    target    uint8 label: 0 clear, 1 thick cloud, 2 thin cloud, 3 cloud shadow; 99 marks
              pixels without a label (read as fill)

**Label types.**  CloudSEN12 labels its patches three ways (dataset card and paper):
``high`` — every pixel labelled by an expert (the dataset's benchmark labels);
``scribble`` — a few strokes per patch, the rest unlabelled, meant for weakly supervised
training; ``nolabel`` — no manual label, for self/semi-supervised learning.  Only ``high``
labels are complete enough to score a mask against, so :func:`find_taco_scenes` (and the
evaluator through :func:`~crossmask.products.labelled.find_labelled_scenes`) takes the
``high`` samples (:data:`EVALUATION_LABEL_TYPES`).  ``label_types=("high", "scribble")``
adds the scribble samples for training: their unlabelled pixels read as fill, which losses
ignore.  ``nolabel`` samples are never opened.

A sample is addressed as ``<file>.taco#<row>`` (its 0-based row in the file's footer); its
scene ID is its ``tortilla:id``; its ``tags`` hold ``roi_id``, ``s2_id``, ``label_type``,
``split`` (the dataset's train/validation/test) and ``real_proj_shape``.  509-px patches are
stored padded to 512 px; padding with DN 0 reads as fill (the 99 code and the padding come
from public reader code, not from the dataset card).  The spacecraft is not recorded in the
files: S2A unless ``sensor`` says otherwise.  Only local files are read.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from crossmask.errors import ConfigError, InputError, ProductFormatError
from crossmask.products.datasets.cloudsen12 import CLOUDSEN12_BANDS, CLOUDSEN12_CODES
from crossmask.products.labels import code_lut
from crossmask.products.rasters import RasterScene, raster_scene

__all__ = ["EVALUATION_LABEL_TYPES", "IMAGE_ID", "LABEL_ID", "MANUAL_LABEL_TYPES",
           "NO_LABEL", "PIP_INSTALL", "TacoScene", "find_taco_files", "find_taco_scenes",
           "is_taco", "is_taco_path", "open_taco", "open_taco_scene", "split_reference",
           "taco_reference", "tacoreader"]

log = logging.getLogger(__name__)

#: ``tortilla:id`` of the image and of the label inside a sample.
IMAGE_ID, LABEL_ID = "s2l1c", "target"
#: Label types whose labels are complete: the samples evaluation (and default training) uses.
EVALUATION_LABEL_TYPES = ("high",)
#: Label types drawn by hand (``scribble``: sparse strokes; unlabelled pixels read as fill).
MANUAL_LABEL_TYPES = ("high", "scribble")
#: Label code of pixels without a label (scribble and nolabel targets).
NO_LABEL = 99
#: How to install the reader.
PIP_INSTALL = "pip install 'crossmask[cloudsen12]' (or: pip install tacoreader==0.5.6)"
_SUFFIX = ".taco"
_REFERENCE = re.compile(r"^(?P<file>.+\.taco)#(?P<row>\d+)$", re.IGNORECASE)
_DN_SCALE = 1e-4
_TAGS = {"roi_id": "roi_id", "s2_id": "s2_id", "label_type": "label_type",
         "tortilla:data_split": "split", "real_proj_shape": "real_proj_shape"}


@dataclass(eq=False, kw_only=True)
class TacoScene(RasterScene):
    """One sample of a CloudSEN12+ TACO file: ``path`` and ``label_path`` are the
    ``/vsisubfile/`` paths of its image and label inside ``taco``; ``sample`` its
    ``tortilla:id``, ``row`` its row in the file's footer."""

    taco: Path
    sample: str
    row: int

    def source_files(self) -> list[Path]:
        return [Path(self.taco)]

    def identity(self) -> dict:
        return {**super().identity(), "sample": self.sample, "row": self.row,
                "subfiles": [str(self.path), str(self.label_path)]}

    def reference(self) -> Path:
        """The ``<file>.taco#<row>`` path :func:`open_taco_scene` reopens it from."""
        return taco_reference(self.taco, self.row)


def tacoreader():
    """The TACO v1 reader module (``tacoreader`` 0.5.x, or ``tacoreader.v1`` of 2.x),
    imported on first use.  InputError with the pip command when it is missing."""
    if importlib.util.find_spec("tacoreader") is None:
        raise InputError("reading CloudSEN12+ .taco files needs tacoreader 0.5.x, which is "
                         f"not installed: {PIP_INSTALL}")
    try:
        version = importlib.metadata.version("tacoreader")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    name = "tacoreader" if version.split(".")[0] == "0" else "tacoreader.v1"
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise InputError(f"tacoreader {version} cannot read TACO v1 (.taco) files ({name}: "
                         f"{err}); {PIP_INSTALL}") from err
    finally:  # tacoreader 0.5 calls logging.basicConfig(level=INFO) on import: undo it
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def is_taco(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a ``.taco`` file."""
    return Path(path).suffix.lower() == _SUFFIX and Path(path).is_file()


def taco_reference(path: str | os.PathLike, row: int) -> Path:
    """The path ``<file>.taco#<row>`` that addresses one sample."""
    return Path(f"{os.fspath(path)}#{int(row)}")


def split_reference(path: str | os.PathLike) -> tuple[Path, int] | None:
    """``(file, row)`` of a ``<file>.taco#<row>`` path whose file exists, else None."""
    match = _REFERENCE.match(os.fspath(path))
    if match is None or not Path(match["file"]).is_file():
        return None
    return Path(match["file"]), int(match["row"])


def is_taco_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a ``.taco`` file or a ``<file>.taco#<row>`` reference to one."""
    return is_taco(path) or split_reference(path) is not None


def open_taco(path: str | os.PathLike, sensor: str | None = None) -> TacoScene:
    """Open ``<file>.taco#<row>``, or the one completely labelled (``high``) sample of
    ``<file>.taco``; ProductFormatError when the file holds none or several."""
    reference = split_reference(path)
    if reference is not None and not Path(path).exists():
        return open_taco_scene(*reference, sensor=sensor)
    found = find_taco_scenes(path)
    if len(found) != 1:
        raise ProductFormatError(f"{path}: {len(found)} samples with complete labels "
                                 f"({'/'.join(EVALUATION_LABEL_TYPES)}); open one as "
                                 f"{Path(path).name}#<row>, or list them with "
                                 "find_labelled_scenes")
    return open_taco(found[0], sensor)


def find_taco_files(root: str | os.PathLike) -> list[Path]:
    """:func:`find_taco_scenes` of every ``.taco`` file under ``root`` (sorted files)."""
    return [ref for taco in sorted(Path(root).rglob(f"*{_SUFFIX}")) if taco.is_file()
            for ref in find_taco_scenes(taco)]


def find_taco_scenes(path: str | os.PathLike,
                     label_types: tuple[str, ...] = EVALUATION_LABEL_TYPES) -> list[Path]:
    """References ``<file>.taco#<row>`` to the samples of a TACO file whose label type is
    in ``label_types`` (default: the completely labelled ``high`` samples), in file order;
    the others are skipped (logged).

    Raises InputError without tacoreader, ConfigError for a label type that is not manual,
    ProductFormatError for a file that is not a CloudSEN12+ TACO.
    """
    path, types = _taco_file(path), _check_types(label_types)
    kinds = _footer(path)["label_type"].astype(str).tolist()
    rows = [row for row, kind in enumerate(kinds) if kind in types]
    if len(rows) < len(kinds):
        log.info("%s: %d of %d samples have another label type than %s; skipped", path,
                 len(kinds) - len(rows), len(kinds), "/".join(types))
    return [taco_reference(path, row) for row in rows]


def open_taco_scene(path: str | os.PathLike, sample: int | str, sensor: str | None = None,
                    label_types: tuple[str, ...] = MANUAL_LABEL_TYPES) -> TacoScene:
    """Open one sample of a CloudSEN12+ TACO file: ``sample`` is its footer row (int) or its
    ``tortilla:id`` (str); ``sensor`` sets the spacecraft (default S2A).

    Raises
    ------
    InputError
        tacoreader is missing; ``sample`` is not in the file.
    ProductFormatError
        Not a CloudSEN12+ TACO; the sample's label type is not in ``label_types`` (``nolabel``
        never is); its image or label is missing or unreadable, not 13 L1C bands, or holds
        a label code other than 0–3 and 99 (when read).
    """
    path, types = _taco_file(path), _check_types(label_types)
    footer = _footer(path)
    row = _row(footer, sample, path)
    record = footer.iloc[row]
    name, kind = str(record["tortilla:id"]), str(record["label_type"])
    where = f"{taco_reference(path, row)} ({name})"
    if kind not in types:
        raise ProductFormatError(f"{where}: label type {kind!r}, not one of "
                                 f"{', '.join(types)}; its labels cannot be used")
    image, labels = _subfiles(footer, row, where)
    lut = code_lut({**CLOUDSEN12_CODES, NO_LABEL: "fill"}, where)
    scene = raster_scene(Path(image), Path(labels), sensor or "S2A", lut,
                         default_bands=CLOUDSEN12_BANDS, default_scale=_DN_SCALE,
                         default_nodata=0, scene_id=name, dataset="cloudsen12",
                         classes=frozenset(CLOUDSEN12_CODES.values()),
                         tags=_tags(record, path, row))
    values = {f.name: getattr(scene, f.name) for f in fields(scene)}
    return TacoScene(**values, taco=path.resolve(), sample=name, row=row)


def _check_types(label_types) -> tuple[str, ...]:
    types = (label_types,) if isinstance(label_types, str) else tuple(label_types)
    bad = [t for t in types if t not in MANUAL_LABEL_TYPES]
    if bad or not types:
        raise ConfigError(f"CloudSEN12+ label types {bad or types} cannot be read; choose from "
                          f"{', '.join(MANUAL_LABEL_TYPES)} (nolabel samples have no label)")
    return types


def _taco_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise ProductFormatError(f"{path}: no such file")
    return path


def _footer(path: Path):
    """The footer table of a TACO file (a tacoreader TortillaDataFrame), cached per file
    version so that opening its samples one by one reads it once."""
    reader = tacoreader()
    resolved = path.resolve()
    stat = resolved.stat()
    return _load_footer(reader, str(resolved), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_footer(reader, path: str, size: int, mtime_ns: int):
    try:
        footer = reader.load(path)  # an absolute str: it is embedded in the subfile paths
    except (ValueError, OSError, KeyError) as err:
        raise ProductFormatError(f"{path}: not a readable TACO file ({err})") from err
    missing = {"tortilla:id", "tortilla:file_format", "label_type"} - set(footer.columns)
    if missing:
        raise ProductFormatError(f"{path}: a TACO file without {', '.join(sorted(missing))}; "
                                 "not the CloudSEN12+ layout")
    return footer


def _row(footer, sample: int | str, path: Path) -> int:
    if isinstance(sample, str):
        rows = [i for i, name in enumerate(footer["tortilla:id"].astype(str)) if name == sample]
        if not rows:
            raise InputError(f"{path}: no sample {sample!r}")
        return rows[0]
    row = int(sample)
    if not 0 <= row < len(footer):
        raise InputError(f"{path}: no sample #{row}; the file holds {len(footer)} samples")
    return row


def _subfiles(footer, row: int, where: str) -> tuple[str, str]:
    """The ``/vsisubfile/`` paths of a sample's image and label."""
    if str(footer.iloc[row]["tortilla:file_format"]) != "TORTILLA":
        raise ProductFormatError(f"{where}: not a nested sample (file format "
                                 f"{footer.iloc[row]['tortilla:file_format']}); not CloudSEN12+")
    try:
        inner = footer.read(row)
        names = inner["tortilla:id"].astype(str).tolist()
        found = {n: inner.read(names.index(n)) for n in (IMAGE_ID, LABEL_ID) if n in names}
    except (ValueError, OSError, KeyError) as err:
        raise ProductFormatError(f"{where}: cannot read the sample ({err})") from err
    if set(found) != {IMAGE_ID, LABEL_ID} or not all(isinstance(p, str) for p in found.values()):
        raise ProductFormatError(f"{where}: holds {names}; expected GeoTIFFs {IMAGE_ID!r} and "
                                 f"{LABEL_ID!r} (the CloudSEN12+ L1C layout)")
    return found[IMAGE_ID], found[LABEL_ID]


def _tags(record, path: Path, row: int) -> dict:
    tags = {"taco": str(path), "row": str(row)}
    for column, key in _TAGS.items():
        value = record.get(column)
        if value is not None and str(value) not in ("", "nan", "None"):
            tags[key] = str(value)
    return tags
