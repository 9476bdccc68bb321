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
pixel size in m; default the finest band's), ``dataset``, ``scene_id``.  Label codes absent
from ``[codes]`` raise an error; NaN labels and the label raster's nodata are fill.  Arrays
without georeferencing (npz, the Cloud Mask Catalogue) get a nominal grid in
:data:`~crossmask.products.labels.UNREFERENCED_CRS`.
"""

from __future__ import annotations

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
from crossmask.products.open import open_product
from crossmask.products.rasters import ProductScene, raster_scene
from crossmask.srf import get_sensor

__all__ = ["CONFIG_KEYS", "open_generic"]

#: Keys a scene TOML may hold.
CONFIG_KEYS = ("sensor", "bands", "codes", "image", "labels", "scale", "offset", "nodata",
               "resolution", "dataset", "scene_id")


def open_generic(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                 sensor: str | None = None) -> LabelledScene:
    """Open an ``.npz`` or GeoTIFF labelled scene described by a TOML config: ``path`` is
    the TOML, or the image with ``config`` (TOML path or parsed mapping; default the
    ``<stem>.toml`` beside it).  ``sensor`` overrides the config's.

    Raises ProductFormatError for unreadable TOML, missing / misspelt / invalid keys,
    unknown bands or classes, arrays of the wrong shape or dtype, or mismatched sizes.
    """
    path = Path(path)
    if config is None:
        config = path if path.suffix.lower() == ".toml" else path.with_suffix(".toml")
    source = path if isinstance(config, Mapping) else Path(config)
    cfg = dict(config) if isinstance(config, Mapping) else _load_toml(source)
    if "image" in cfg and (source.parent / str(cfg["image"])).is_dir():
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
    keys["scene_id"] = str(cfg.get("scene_id", path.stem))
    if path.suffix.lower() in (".tif", ".tiff"):
        if "labels" not in cfg:
            raise ConfigError(f"{source}: a GeoTIFF image needs labels = \"<raster>\"")
        return raster_scene(path, source.parent / str(cfg["labels"]), sens.key, lut, bands,
                            cfg.get("scale"), cfg.get("offset", 0.0), cfg.get("nodata"), **keys)
    if path.suffix.lower() != ".npz":
        raise ConfigError(f"{path}: the image must be an .npz or a GeoTIFF (.tif)")
    return _open_npz(path, source, cfg, sens, bands, lut, keys)


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
    resolution = float(cfg.get("resolution", min(sens.band(b).resolution for b in bands)))
    return ArrayScene(path, sens.key, unreferenced_grid(img[0], img[1], resolution),
                      {b: i for i, b in enumerate(bands)}, path, CodeDecoder(lut, str(path)),
                      image_key="img", label_key="msk", scale=float(scale or 1.0),
                      offset=float(cfg.get("offset", 0.0)), nodata=cfg.get("nodata"), **keys)
