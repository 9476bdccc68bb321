"""Generic labelled scenes described by a TOML file: an ``.npz`` or a GeoTIFF + label
GeoTIFF, or a sensor product folder (e.g. a SAFE) + label raster.

The generic format: an ``.npz`` (``img`` H×W×bands, ``msk`` H×W or H×W×1 integer codes)
or a GeoTIFF plus a label GeoTIFF, described by a TOML file::

    sensor = "S2A"                        # registry key of the sensor that took it
    bands = ["B2", "B3", "B4", "B8", "B11", "B12"]   # one per image band, any alias
    image = "sentinel2.npz"               # relative to the TOML; default <stem>.npz/.tif
    labels = "mask.tif"                   # GeoTIFF images only: the label raster
    [codes]                               # label code → fill/clear/thin/cloud/shadow
    0 = "shadow"
    1 = "clear"
    4 = "cloud"

Optional: ``scale``/``offset`` (reflectance = value × scale + offset; needed for integer
images without a GDAL scale), ``nodata`` (image value read as NaN), ``resolution`` (npz
pixel size in m of images without georeferencing; default the finest band's),
``dataset``, ``scene_id``.  Label codes absent from ``[codes]`` raise an error; NaN labels
and the label raster's nodata are fill.  Images without georeferencing (npz, the Cloud
Mask Catalogue, GeoTIFFs without a CRS such as the L8 Biome patches) get a nominal grid in
:data:`~crossmask.products.labels.UNREFERENCED_CRS`.

**One TOML for a folder of scenes** (``crossmask patches FOLDER --codes codes.toml``,
``crossmask evaluate --data FOLDER --codes codes.toml``; :func:`find_generic_images` lists
the images, :func:`open_generic` opens each with the same config)::

    sensor = "L8"
    bands = ["B2", "B3", "B4", "B5", "B6", "B7", "B9", "B10"]
    images = "*/Images/*.tif"             # glob(s) below FOLDER (a string or a list)
    labels = "../Masks/{stem}.tif"        # each image's label raster
    scene_id = "{stem}"                   # the default
    [codes]
    0 = "fill"
    64 = "shadow"
    128 = "clear"
    192 = "thin"
    255 = "cloud"

``labels`` and ``scene_id`` may hold the placeholders ``{stem}`` (the image's file name
without suffix), ``{name}`` (with suffix) and ``{parent}`` (the name of the image's
folder).  A ``labels`` with a placeholder is taken relative to *the image's folder*; one
without, relative to the TOML (one scene).  In a folder config ``image`` is refused (use
``images``), and a GeoTIFF folder's ``labels`` must hold a placeholder (else every image
would share one label raster).  ``images`` defaults to every ``.npz``, ``.tif`` and
``.tiff`` below the folder; files that are another image's label raster are left out.
Invalid keys or placeholders raise :class:`~crossmask.errors.ConfigError` naming the TOML.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from crossmask.errors import ConfigError, ProductFormatError, UnknownNameError, UnscaledDataError
from crossmask.products.arrays import ArrayScene, npz_headers
from crossmask.products.labels import (
    CodeDecoder,
    LabelledScene,
    code_lut,
    label_classes,
    unreferenced_grid,
)
from crossmask.products.open import is_product_file, open_product
from crossmask.products.rasters import ProductScene, raster_scene
from crossmask.srf import get_sensor

__all__ = ["CONFIG_KEYS", "IMAGE_SUFFIXES", "find_generic_images", "open_generic"]

#: Keys a scene TOML may hold.
CONFIG_KEYS = ("sensor", "bands", "codes", "image", "images", "labels", "scale", "offset",
               "nodata", "resolution", "dataset", "scene_id")
#: Image files a folder config picks up by default (``images`` unset).
IMAGE_SUFFIXES = (".npz", ".tif", ".tiff")
#: Placeholders of ``labels`` and ``scene_id``.
PLACEHOLDERS = ("stem", "name", "parent")


def open_generic(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                 sensor: str | None = None, bands: list[str] | None = None) -> LabelledScene:
    """Open an ``.npz`` or GeoTIFF labelled scene described by a TOML config: ``path`` is
    the TOML, or the image with ``config`` (TOML path or parsed mapping; default the
    ``<stem>.toml`` beside it).  ``sensor`` and ``bands`` (the image's band names in file
    order) override the config's.

    Raises ProductFormatError for unreadable TOML, missing / misspelt / invalid keys,
    unknown bands or classes, arrays of the wrong shape or dtype, or mismatched sizes.
    """
    path = Path(path)
    if config is None:
        config = path if path.suffix.lower() == ".toml" else path.with_suffix(".toml")
    source = path if isinstance(config, Mapping) else Path(config)
    cfg = dict(config) if isinstance(config, Mapping) else _load_toml(source)
    if bands:
        cfg["bands"] = list(bands)
    image = source.parent / str(cfg.get("image", ""))
    if "image" in cfg and (image.is_dir() or is_product_file(image)):
        return _open_product_scene(source, cfg, sensor)
    unknown = sorted(set(cfg) - set(CONFIG_KEYS))
    missing = [k for k in ("sensor", "bands", "codes") if k not in cfg
               and not (k == "sensor" and sensor)]
    if unknown or missing:
        raise ConfigError(f"{source}: {'unknown' if unknown else 'missing'} keys "
                                 f"{unknown or missing}; keys: {', '.join(CONFIG_KEYS)} "
                                 "(sensor, bands and [codes] required)")
    if not isinstance(cfg["bands"], list) or not isinstance(cfg["codes"], Mapping):
        raise ConfigError(f"{source}: bands must be a list of band names and codes a "
                                 "table ([codes] 0 = \"clear\" …)")
    try:
        sens = get_sensor(sensor or cfg["sensor"])
        bands = [sens.band(str(b)).name for b in cfg["bands"]]
    except UnknownNameError as err:
        raise ConfigError(f"{source}: {err}") from err
    if len(set(bands)) != len(bands) or not bands:
        raise ConfigError(f"{source}: bands {cfg['bands']} must name each band once")
    lut = code_lut(cfg["codes"], source)
    keys = dict(dataset=str(cfg.get("dataset", "generic")), classes=label_classes(lut))
    if path.suffix.lower() == ".toml":
        path = _config_image(source, cfg)
    keys["scene_id"] = _expand(cfg.get("scene_id", "{stem}"), path, source, "scene_id")
    if path.suffix.lower() in (".tif", ".tiff"):
        if "labels" not in cfg:
            raise ConfigError(f"{source}: a GeoTIFF image needs labels = \"<raster>\"")
        scene = raster_scene(path, label_path(path, cfg, source), sens.key, lut, bands,
                             cfg.get("scale"), cfg.get("offset", 0.0), cfg.get("nodata"), **keys)
        if scene.grid.crs is None:  # no georeferencing: the nominal grid arrays get
            scene = dataclasses.replace(scene, grid=unreferenced_grid(
                scene.grid.height, scene.grid.width, _resolution(cfg, sens, bands)))
        return scene
    if path.suffix.lower() != ".npz":
        raise ConfigError(f"{path}: the image must be an .npz or a GeoTIFF (.tif)")
    return _open_npz(path, source, cfg, sens, bands, lut, keys)


def label_path(image: Path, cfg: Mapping, source: Path) -> Path:
    """The label raster of ``image``: ``labels`` with its placeholders filled, relative to
    the image's folder when it has one, else to the config ``source``'s folder."""
    template = cfg["labels"]
    if not isinstance(template, str) or not template:
        raise ConfigError(f"{source}: labels must be a path such as \"../Masks/{{stem}}.tif\"")
    base = image.parent if _has_placeholder(template) else source.parent
    return base / _expand(template, image, source, "labels")


def _has_placeholder(template: str) -> bool:
    return "{" in template  # unknown placeholders fail in _expand, naming the valid ones


def _expand(template, image: Path, source: Path, key: str) -> str:
    """``template`` with ``{stem}``, ``{name}`` and ``{parent}`` of ``image`` filled in."""
    try:
        return str(template).format(stem=image.stem, name=image.name, parent=image.parent.name)
    except (KeyError, IndexError, ValueError) as err:
        raise ConfigError(f"{source}: {key} = {template!r} holds an unknown placeholder "
                          f"({err}); valid: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
                          ) from err


def find_generic_images(root: str | os.PathLike, config: str | os.PathLike | Mapping
                        ) -> list[Path]:
    """The images below ``root`` that one config (a TOML path or parsed mapping) describes:
    the ``images`` globs (default every ``.npz``/``.tif``/``.tiff``), sorted, without the
    files that are another image's label raster.

    Raises ConfigError for a config that cannot describe a folder (``image`` set, bad
    ``images``, a GeoTIFF ``labels`` without placeholder) and ProductFormatError when no
    image matches or an image's label raster is missing.
    """
    root = Path(root)
    source = root if isinstance(config, Mapping) else Path(config)
    cfg = dict(config) if isinstance(config, Mapping) else _load_toml(source)
    patterns = cfg.get("images", [f"**/*{suffix}" for suffix in IMAGE_SUFFIXES])
    patterns = [patterns] if isinstance(patterns, str) else patterns
    if "image" in cfg:
        raise ConfigError(f"{source}: image names one scene; a folder config selects its "
                          "images with images = \"<glob>\" (e.g. \"*/Images/*.tif\")")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) and p for p in patterns):
        raise ConfigError(f"{source}: images must be a glob or a list of globs below the "
                          f"folder, e.g. \"*/Images/*.tif\"; got {patterns!r}")
    found = sorted({p for pattern in patterns for p in root.glob(pattern)
                    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES})
    rasters = [p for p in found if p.suffix.lower() != ".npz"]
    if rasters and "labels" in cfg and not _has_placeholder(str(cfg["labels"])):
        raise ConfigError(f"{source}: labels = {cfg['labels']!r} would give every image the "
                          "same label raster; use a placeholder, e.g. \"../Masks/{stem}.tif\"")
    labels = {p: label_path(p, cfg, source) for p in rasters if "labels" in cfg}
    taken = {path.resolve() for path in labels.values()}
    images = [p for p in found if p.resolve() not in taken]
    if not images:
        raise ProductFormatError(f"{root}: no images match {', '.join(patterns)} (besides "
                                 "label rasters); set images = \"<glob>\" in the config")
    missing = [labels[p] for p in images if p in labels and not labels[p].exists()]
    if missing:
        raise ProductFormatError(f"{missing[0]}: label raster missing ({len(missing)} of "
                                 f"{len(images)} images have none); set images = \"<glob>\" "
                                 "to pick only labelled images, or fix labels")
    return images


def _open_product_scene(source: Path, cfg: Mapping, sensor: str | None) -> LabelledScene:
    """A product folder (e.g. a SAFE) as ``image`` with a ``labels`` raster."""
    if "labels" not in cfg or "codes" not in cfg:
        raise ConfigError(f"{source}: a product folder image needs labels = "
                                 "\"<raster>\" and a [codes] table")
    product = open_product(source.parent / str(cfg["image"]), sensor or cfg.get("sensor"))
    lut = code_lut(cfg["codes"], source)
    labels = source.parent / str(cfg["labels"])
    classes = label_classes(lut)
    return ProductScene(product, labels, CodeDecoder(lut, str(labels)),
                        str(cfg.get("scene_id", Path(str(cfg["image"])).stem)),
                        str(cfg.get("dataset", "generic")), classes)


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the scene config ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from err


def _config_image(source: Path, cfg: Mapping) -> Path:
    candidates = ([source.parent / str(cfg["image"])] if "image" in cfg else
                  [source.with_suffix(s) for s in (".npz", ".tif", ".tiff")])
    for image in candidates:
        if image.exists():
            return image
    raise ProductFormatError(f"{source}: image {' or '.join(map(str, candidates))} not found")


def _resolution(cfg: Mapping, sens, bands: list[str]) -> float:
    """Pixel size of an image without georeferencing: ``resolution``, else the finest band's."""
    return float(cfg.get("resolution", min(sens.band(b).resolution for b in bands)))


def _open_npz(path: Path, source: Path, cfg: Mapping, sens, bands: list[str],
              lut: np.ndarray, keys: dict) -> LabelledScene:
    arrays = npz_headers(path)
    if "img" not in arrays or "msk" not in arrays:
        raise ProductFormatError(
            f"{path}: holds arrays {sorted(arrays)}; expected img (H×W×bands reflectance) "
            "and msk (H×W or H×W×1 codes)")
    (img, img_dtype), (msk, msk_dtype) = arrays["img"], arrays["msk"]
    if len(img) != 3 or img[2] != len(bands) or img_dtype.kind not in "fiu":
        raise ProductFormatError(f"{path}: img is {img} {img_dtype}; expected numeric "
                                 f"H×W×{len(bands)} for bands {', '.join(bands)}")
    if msk[:2] != img[:2] or msk[2:] not in ((), (1,)) or msk_dtype.hasobject:
        raise ProductFormatError(f"{path}: msk is {msk} {msk_dtype}; expected codes of shape "
                                 f"{img[:2]} or {(*img[:2], 1)}")
    scale = cfg.get("scale")
    if scale is None and img_dtype.kind != "f":
        raise UnscaledDataError(f"{source}: img is {img_dtype}; give scale (e.g. 0.0001) to "
                                 "turn it into reflectance")
    resolution = _resolution(cfg, sens, bands)
    return ArrayScene(path, sens.key, unreferenced_grid(img[0], img[1], resolution),
                      {b: i for i, b in enumerate(bands)}, path, CodeDecoder(lut, str(path)),
                      image_key="img", label_key="msk", scale=float(scale or 1.0),
                      offset=float(cfg.get("offset", 0.0)), nodata=cfg.get("nodata"), **keys)
