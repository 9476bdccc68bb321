"""Labelled reference scenes: reflectance bands plus a manual cloud mask, read per window.

A :class:`LabelledScene` is a :class:`~crossmask.harmonize.readers.base.Product` (bands by
registry name, float32 TOA reflectance 0–1, NaN fill) whose ``read_reference(window)``
gives canonical class codes — the class indices of the ``four`` scheme of
:mod:`crossmask.pipelines.biome`: 0 clear, 1 thin cloud, 2 thick cloud, 3 shadow, 255 fill —
and ``read_mask(window)`` the L8 Biome codes (128, 192, 255, 64, 0), so
``to_classes(scene.read_mask(window), scheme)`` gives binary / three / four classes exactly
as for an L8 Biome scene.  Array-backed scenes (``cmc.ArrayScene``: the catalogue's .npy,
npz) and GeoTIFF-backed ones (``cloudsen12.RasterScene``) live beside their formats.

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
:data:`UNREFERENCED_CRS`.
"""

from __future__ import annotations

import abc
import os
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError, UnknownNameError
from crossmask.harmonize.readers.base import Grid, Product
from crossmask.srf.registry import get_sensor

__all__ = ["BIOME_CODES", "CLASS_CODES", "FILL", "UNREFERENCED_CRS", "CodeDecoder",
           "LabelledScene", "code_lut", "find_labelled_scenes", "npz_headers", "open_generic",
           "open_labelled", "to_biome_codes", "unreferenced_grid"]

#: Canonical class codes (= class indices of the ``four`` scheme); 255 is fill.
CLASS_CODES: dict[str, int] = {"clear": 0, "thin": 1, "cloud": 2, "shadow": 3, "fill": 255}
FILL = 255
#: Canonical class → L8 Biome manual-mask code.
BIOME_CODES: dict[str, int] = {"clear": 128, "thin": 192, "cloud": 255, "shadow": 64, "fill": 0}
_ALIASES = {"thin_cloud": "thin", "thick": "cloud", "thick_cloud": "cloud",
            "cloud_shadow": "shadow", "nodata": "fill"}
_TO_BIOME = np.zeros(256, np.uint8)
_TO_BIOME[[CLASS_CODES[k] for k in BIOME_CODES]] = list(BIOME_CODES.values())
#: CRS of grids without georeferencing: a local plane in metres.
UNREFERENCED_CRS = CRS.from_wkt('LOCAL_CS["unreferenced",LOCAL_DATUM["unknown",32767],'
                                'UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]')
_CONFIG_KEYS = ("sensor", "bands", "codes", "image", "labels", "scale", "offset", "nodata",
                "resolution", "dataset", "scene_id")


def to_biome_codes(reference: np.ndarray) -> np.ndarray:
    """L8 Biome mask codes (uint8) of canonical class codes; unknown codes become fill (0)."""
    return _TO_BIOME[np.asarray(reference, np.uint8)]


def unreferenced_grid(height: int, width: int, resolution: float) -> Grid:
    """A north-up grid of ``resolution`` m pixels in :data:`UNREFERENCED_CRS`."""
    transform = from_origin(0.0, height * resolution, resolution, resolution)
    return Grid(UNREFERENCED_CRS, transform, int(width), int(height))


def code_lut(codes: Mapping, source) -> np.ndarray:
    """Label code → canonical code table (int16, −1 for codes absent from ``codes``);
    ProductFormatError naming ``source`` for a non-integer code or an unknown class."""
    table = {}
    for key, name in codes.items():
        code = int(key) if str(key).strip().isdigit() else -1
        cls = _ALIASES.get(str(name).lower(), str(name).lower())
        if code < 0:
            raise ProductFormatError(f"{source}: label code {key!r} is not a non-negative integer")
        if cls not in CLASS_CODES:
            raise ProductFormatError(f"{source}: code {code} maps to unknown class {name!r}; "
                                     f"valid classes: {', '.join(CLASS_CODES)}")
        table[code] = CLASS_CODES[cls]
    lut = np.full(max(256, max(table, default=0) + 1), -1, np.int16)
    lut[list(table)] = list(table.values())
    return lut


@dataclass(frozen=True)
class CodeDecoder:
    """Raw label codes → canonical codes through a :func:`code_lut` table.

    ``nodata`` (and NaN in float labels) reads as fill; any other code absent from the
    table raises ProductFormatError naming ``source`` and the codes found.
    """

    lut: np.ndarray = field(repr=False)
    source: str
    nodata: float | None = None

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw)
        raw = raw[..., 0] if raw.ndim == 3 and raw.shape[-1] == 1 else raw
        fill = np.zeros(raw.shape, bool) if self.nodata is None else raw == self.nodata
        if raw.dtype.kind == "f":
            fill |= np.isnan(raw)
            raw = np.where(fill, 0, raw)
            if np.any(raw % 1):
                raise ProductFormatError(f"{self.source}: labels hold non-integer codes "
                                         f"(e.g. {raw[raw % 1 != 0].flat[0]:g})")
        elif raw.dtype.kind not in "biu":
            raise ProductFormatError(f"{self.source}: labels are {raw.dtype}, not integer codes")
        raw = raw.astype(np.int64)
        inside = (raw >= 0) & (raw < len(self.lut))
        out = self.lut[np.where(inside, raw, 0)]
        bad = (~inside | (out < 0)) & ~fill
        if bad.any():
            raise ProductFormatError(
                f"{self.source}: label codes {np.unique(raw[bad])[:10].tolist()} are not in "
                f"the code table; known codes: {np.flatnonzero(self.lut >= 0).tolist()}")
        out[fill] = FILL
        return out.astype(np.uint8)


class LabelledScene(Product):
    """A product with a manual reference mask on the grid of its bands.

    Attributes (besides ``path`` and ``sensor``): ``grid`` (every band's and the mask's),
    ``scene_id``, ``dataset`` (``"cmc"``, ``"cloudsen12"``, …), ``classes`` (canonical
    classes the labels distinguish: no ``"thin"`` when thin and thick cloud are one class,
    no ``"shadow"`` when shadows were not labelled) and ``tags`` (extra metadata).
    """

    grid: Grid
    scene_id: str
    dataset: str
    classes: frozenset
    tags: dict

    def band_grid(self, band: str) -> Grid:
        self.band_key(band)
        return self.grid

    @abc.abstractmethod
    def read_reference(self, window: Window | None = None) -> np.ndarray:
        """Canonical class codes (uint8, see :data:`CLASS_CODES`) of ``window``."""

    def read_mask(self, window: Window | None = None) -> np.ndarray:
        """The reference as L8 Biome mask codes (uint8), like ``LandsatScene.read_mask``."""
        return to_biome_codes(self.read_reference(window))

    def _slices(self, window: Window | None) -> tuple[slice, slice]:
        if window is None:
            return slice(0, self.grid.height), slice(0, self.grid.width)
        (r0, r1), (c0, c1) = ((round(a), round(b)) for a, b in window.toranges())
        if r0 < 0 or c0 < 0 or r1 > self.grid.height or c1 > self.grid.width:
            raise InputError(f"{self.path}: window {window} lies outside the "
                             f"{self.grid.height}×{self.grid.width} pixel scene")
        return slice(r0, r1), slice(c0, c1)


def npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array in an ``.npz``, from the headers alone."""
    out = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in (n for n in archive.namelist() if n.endswith(".npy")):
                with archive.open(name) as stream:
                    version = np.lib.format.read_magic(stream)
                    header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)(stream)
                out[name[:-4]] = (tuple(header[0]), header[2])
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ProductFormatError(f"{path}: not a readable .npz archive ({err})") from err
    return out


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
    unknown = sorted(set(cfg) - set(_CONFIG_KEYS))
    missing = [k for k in ("sensor", "bands", "codes") if k not in cfg
               and not (k == "sensor" and sensor)]
    if unknown or missing:
        raise ProductFormatError(f"{source}: {'unknown' if unknown else 'missing'} keys "
                                 f"{unknown or missing}; keys: {', '.join(_CONFIG_KEYS)} "
                                 "(sensor, bands and [codes] required)")
    if not isinstance(cfg["bands"], list) or not isinstance(cfg["codes"], Mapping):
        raise ProductFormatError(f"{source}: bands must be a list of band names and codes a "
                                 "table ([codes] 0 = \"clear\" …)")
    try:
        sens = get_sensor(sensor or cfg["sensor"])
        bands = [sens.band(str(b)).name for b in cfg["bands"]]
    except UnknownNameError as err:
        raise ProductFormatError(f"{source}: {err}") from err
    if len(set(bands)) != len(bands) or not bands:
        raise ProductFormatError(f"{source}: bands {cfg['bands']} must name each band once")
    lut = code_lut(cfg["codes"], source)
    keys = dict(dataset=str(cfg.get("dataset", "generic")), classes=frozenset(
        n for n, c in CLASS_CODES.items() if c != FILL and np.any(lut == c)))
    if path.suffix.lower() == ".toml":
        path = _config_image(source, cfg)
    keys["scene_id"] = str(cfg.get("scene_id", path.stem))
    if path.suffix.lower() in (".tif", ".tiff"):
        if "labels" not in cfg:
            raise ProductFormatError(f"{source}: a GeoTIFF image needs labels = \"<raster>\"")
        from crossmask.harmonize.readers.cloudsen12 import raster_scene

        return raster_scene(path, source.parent / str(cfg["labels"]), sens.key, lut, bands,
                            cfg.get("scale"), cfg.get("offset", 0.0), cfg.get("nodata"), **keys)
    if path.suffix.lower() != ".npz":
        raise ProductFormatError(f"{path}: the image must be an .npz or a GeoTIFF (.tif)")
    return _open_npz(path, source, cfg, sens, bands, lut, keys)


def _open_product_scene(source: Path, cfg: Mapping, sensor: str | None) -> LabelledScene:
    """A product folder (e.g. a SAFE) as ``image`` with a ``labels`` raster."""
    from crossmask.harmonize.readers import open_product
    from crossmask.harmonize.readers.productlabels import ProductScene

    if "labels" not in cfg or "codes" not in cfg:
        raise ProductFormatError(f"{source}: a product folder image needs labels = "
                                 "\"<raster>\" and a [codes] table")
    product = open_product(source.parent / str(cfg["image"]), sensor or cfg.get("sensor"))
    lut = code_lut(cfg["codes"], source)
    labels = source.parent / str(cfg["labels"])
    classes = frozenset(n for n, c in CLASS_CODES.items() if c != FILL and np.any(lut == c))
    return ProductScene(product, labels, CodeDecoder(lut, str(labels)),
                        str(cfg.get("scene_id", Path(str(cfg["image"])).stem)),
                        str(cfg.get("dataset", "generic")), classes)


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as err:
        raise ProductFormatError(f"{path}: cannot read the scene config ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise ProductFormatError(f"{path}: not valid TOML ({err})") from err


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
        raise ProductFormatError(f"{source}: img is {img_dtype}; give scale (e.g. 0.0001) to "
                                 "turn it into reflectance")
    resolution = float(cfg.get("resolution", min(sens.band(b).resolution for b in bands)))
    from crossmask.harmonize.readers.cmc import ArrayScene

    return ArrayScene(path, sens.key, unreferenced_grid(img[0], img[1], resolution),
                      {b: i for i, b in enumerate(bands)}, path, CodeDecoder(lut, str(path)),
                      image_key="img", label_key="msk", scale=float(scale or 1.0),
                      offset=float(cfg.get("offset", 0.0)), nodata=cfg.get("nodata"), **keys)


def open_labelled(path: str | os.PathLike, config: str | os.PathLike | Mapping | None = None,
                  sensor: str | None = None) -> LabelledScene:
    """Open one labelled scene, choosing the reader by layout: a CloudSEN12 patch folder
    (or its ``S2L1C.tif``) → :func:`~crossmask.harmonize.readers.cloudsen12.open_cloudsen12`;
    a Cloud Mask Catalogue ``<root>/subscenes/<NAME>.npy`` (or ``masks/<NAME>.npy``) →
    :func:`~crossmask.harmonize.readers.cmc.open_cmc`; a ``.toml``, or an ``.npz`` / GeoTIFF
    with ``config`` → :func:`open_generic`.  ``sensor`` overrides the spacecraft.

    Raises ProductFormatError if the path does not exist or matches no layout.
    """
    from crossmask.harmonize.readers import cloudsen12, cmc

    path = Path(path)
    if not path.exists():
        raise ProductFormatError(f"{path}: no such file or folder")
    if path.is_dir() and cloudsen12.is_patch(path):
        return cloudsen12.open_cloudsen12(path, sensor)
    if path.is_dir() and cmc.is_cmc_root(path):
        raise ProductFormatError(f"{path}: a Cloud Mask Catalogue root; open one subscene "
                                 "(subscenes/<NAME>.npy) or list them with find_labelled_scenes")
    if path.suffix.lower() == ".npy" and path.parent.name in ("subscenes", "masks"):
        return cmc.open_cmc(path.parent.parent, path.stem, sensor)
    if path.name == cloudsen12.IMAGE and config is None:
        return cloudsen12.open_cloudsen12(path.parent, sensor)
    if path.is_file() and path.suffix.lower() in (".toml", ".npz", ".tif", ".tiff"):
        return open_generic(path, config, sensor)
    raise ProductFormatError(
        f"{path}: not a labelled scene; expected a CloudSEN12 patch folder, a Cloud Mask "
        "Catalogue subscenes/<NAME>.npy, or a .toml / .npz / GeoTIFF with a TOML config")


def find_labelled_scenes(root: str | os.PathLike) -> list[Path]:
    """Every scene under ``root`` as paths for :func:`open_labelled`: a Cloud Mask
    Catalogue root gives its subscenes in ``classification_tags.csv`` order; any other
    folder its CloudSEN12 patches that have a manual label, and its ``.toml`` configs, sorted.

    Raises ProductFormatError if ``root`` is missing or holds no labelled scene.
    """
    from crossmask.harmonize.readers import cloudsen12, cmc

    root = Path(root)
    if not root.is_dir():
        raise ProductFormatError(f"{root}: no such folder")
    if cmc.is_cmc_root(root):
        return cmc.find_cmc_scenes(root)
    found = sorted([*cloudsen12.find_cloudsen12_patches(root), *root.rglob("*.toml")])
    if not found:
        raise ProductFormatError(
            f"{root}: no labelled scenes; expected a Cloud Mask Catalogue root (subscenes/, "
            "masks/, classification_tags.csv), CloudSEN12 patch folders (S2L1C.tif + "
            "labels/manual_hq.tif) or .toml scene configs")
    return found
