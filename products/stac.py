"""STAC metadata over local files: ItemCollections, single Items and static Catalogs /
Collections of Sentinel-2 Level-1C and Landsat Collection 2 Level-1 items.

:func:`stac_products` gives one :class:`~crossmask.products.product.Product` per item.
The JSON is read with pystac (imported on first use); relative asset hrefs are resolved
against the folder of the JSON that holds the item (the ItemCollection file, or the item's
own file in a catalogue).  Only local files are read: a band (or MTL) asset whose href is a
URL (``https://``, ``s3://``, …, or a GDAL ``/vsi…`` path) raises
:class:`~crossmask.errors.ProductFormatError` naming the item and the asset; other remote
assets (thumbnails, metadata) are ignored.

**Sensor** — from the item's ``platform`` (``"sentinel-2a"``, ``"Sentinel-2B"``,
``"landsat-8"``, ``"LANDSAT_9"`` …, see :func:`crossmask.srf.get_sensor`); without one, from
the item id's mission prefix (``S2B_…``, ``LC09_…``).  ``constellation`` alone does not tell
the unit apart, so it only appears in the error message.

**Bands** — an asset is a band when it holds one band (multi-band assets such as the
``visual`` TCI are skipped).  Its band description is STAC 1.0 ``eo:bands[0]`` (``name``,
``common_name``, ``description``), or STAC 1.1 ``bands[0]`` (``name``, ``eo:common_name``,
``description``).  The registry band is the first of:

1. the band ``name`` when it is a band id (``"B04"``, ``"B8A"``, ``"B4"``) of the sensor;
2. the band number in the description or asset title (Earth Search ``"Red edge 1 (band
   5)"``, Planetary Computer ``"Band 8A - …"``);
3. the common name, matched to the sensor's common names
   (:attr:`crossmask.srf.Band.common_name`: Sentinel-2 ``nir`` is B8 and ``nir08`` B8A, as
   Earth Search spells them; Landsat-8/9 ``nir08`` is B5); the plain ``rededge`` that
   Earth Search gives B05, B06 and B07 alike names no band and is skipped;
4. the band ``name``, then the asset key, as Earth Search spells them (``red``, ``nir08``;
   ``rededge1``/``2``/``3`` are B5/B6/B7) or as a band id (``B04``).

Two assets of one band (Earth Search ``red`` and ``red-jp2``): the local one, else the one
without ``-jp2``.

**Sentinel-2 Level-1C** — DN → TOA reflectance with the ``raster`` extension of the asset
(STAC 1.0 ``raster:bands[0]`` ``scale``/``offset``/``nodata``; STAC 1.1 band-level
``raster:scale``/``raster:offset`` and ``nodata`` on the band or the asset), reflectance =
DN × scale + offset.  Without a scale the item's ``s2:processing_baseline`` decides, as in
the SAFE product metadata (:mod:`crossmask.products.safe`): quantification 10000, offset
−1000 DN from baseline 04.00 on (reflectance = (DN − 1000) / 10000), none before.  DN 0
is nodata unless the asset names another value.  A raster offset that disagrees with the
baseline is applied as given, with a logged warning.  Level-2A items (``s2:product_type``
``S2MSI2A``, ``processing:level`` L2A, a ``…-l2a`` collection, ``_L2A`` in the id) are
refused.  Products are :class:`~crossmask.products.bandfiles.BandFilesProduct` s.

**Landsat Collection 2 Level-1** — the item's ``MTL.txt`` / ``mtl.txt`` asset is opened
with :func:`~crossmask.products.landsat.open_landsat_scene` (same MTL parser and formulas:
ρ = (M·DN + A) / sin(sun elevation), thermal bands in K), then the band files are taken
from the item's assets (and ``qa_pixel`` / ``qa_radsat`` where given), so files renamed by
a download tool or kept apart from the MTL still read.  Level-2 items (``landsat:correction``
``L2SP``/``L2SR``, a ``…-l2…`` collection, ``_L2SP_`` in the id) are refused.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from crossmask.errors import ProductFormatError, UnknownNameError, UnscaledDataError
from crossmask.products.bandfiles import BandFilesProduct
from crossmask.products.landsat import LandsatScene, open_landsat_scene
from crossmask.products.product import Product
from crossmask.srf import SENSOR_SPECS, get_sensor, normalize_band_name

__all__ = ["StacLandsatScene", "stac_products"]

log = logging.getLogger(__name__)

#: Earth Search asset keys (and ``eo:bands`` names) whose common name ``rededge`` is shared.
_EARTH_SEARCH_REDEDGE = {"rededge1": "B5", "rededge2": "B6", "rededge3": "B7"}
_BAND_IN_TEXT = re.compile(r"\bband\s*(\d{1,2}a?)\b", re.IGNORECASE)
_MISSION_PREFIX = re.compile(r"^(S2[ABC]|L[COTE]0[4-9])_", re.IGNORECASE)
_LEVEL2_COLLECTION = re.compile(r"(?:^|[-_]|c2)l2(?:$|[-_a-z])", re.IGNORECASE)
_S2_QUANTIFICATION, _S2_OFFSET_DN = 10000.0, -1000.0


@dataclasses.dataclass
class StacLandsatScene(LandsatScene):
    """A Landsat Level-1 scene whose MTL and band files come from a STAC item's assets
    (``path``: the JSON holding the item, ``scene_id``: the item id)."""

    def source_files(self) -> list[Path]:
        extra = [p for p in (self.qa_path, self.radsat_path) if p is not None and p.is_file()]
        return [self.mtl_path, *self.files.values(), *extra]


def stac_products(path: str | os.PathLike) -> list[Product]:
    """One product per STAC item of an ItemCollection JSON (GeoJSON FeatureCollection), a
    single Item JSON, or a static Catalog / Collection JSON (all items below it).

    Raises
    ------
    ProductFormatError
        Naming the file (and the item and asset): not STAC JSON, no items, an unknown
        platform, a Level-2 item, a band asset that is not a local file or is missing,
        no band asset, a Landsat item without its MTL.
    UnscaledDataError
        A Sentinel-2 band asset without a raster scale in an item without
        ``s2:processing_baseline``.
    """
    path = Path(path)
    return [_product(item, source, base) for item, source, base in _load_items(path)]


def _load_items(path: Path) -> list[tuple[object, Path, Path]]:
    """(pystac item, JSON file holding it, folder its relative hrefs start from)."""
    import pystac
    from pystac.errors import STACError, STACTypeError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProductFormatError(f"{path}: cannot read STAC JSON ({err})") from err
    kind = data.get("type") if isinstance(data, dict) else None
    base = path.resolve().parent
    try:
        if kind == "FeatureCollection":
            items = [(it, path, base) for it in pystac.ItemCollection.from_dict(data)]
        elif kind == "Feature":
            items = [(pystac.Item.from_dict(data), path, base)]
        elif kind in ("Catalog", "Collection"):
            root = pystac.read_file(str(path.resolve()))
            items = [(it, Path(it.get_self_href()), Path(it.get_self_href()).parent)
                     for it in root.get_items(recursive=True)]
        else:
            raise ProductFormatError(f"{path}: not a STAC ItemCollection, Item, Catalog or "
                                     f"Collection (JSON type {kind!r})")
    except (STACError, STACTypeError, KeyError, TypeError, ValueError, OSError) as err:
        if isinstance(err, ProductFormatError):
            raise
        raise ProductFormatError(f"{path}: malformed STAC {kind} ({err})") from err
    if not items:
        raise ProductFormatError(f"{path}: the STAC {kind} holds no items")
    return items


def _product(item, source: Path, base: Path) -> Product:
    sensor = _sensor(item, source)
    if SENSOR_SPECS[sensor].family == "MSI":
        return _sentinel2(item, sensor, source, base)
    return _landsat(item, sensor, source, base)


def _where(item, source: Path) -> str:
    return f"{source}: STAC item {item.id!r}"


def _sensor(item, source: Path) -> str:
    """Registry key of the item's platform (or id prefix); ProductFormatError if unknown."""
    props = item.properties
    platform = props.get("platform")
    name = str(platform).strip().lower().replace("_", "-") if platform else None
    if not name and (match := _MISSION_PREFIX.match(item.id)):
        name = match.group(1)
    if name:
        try:
            return get_sensor(name).key
        except UnknownNameError:
            pass
    raise ProductFormatError(
        f"{_where(item, source)}: platform {platform!r} (constellation "
        f"{props.get('constellation')!r}) is not a registered sensor; supported: "
        "sentinel-2a/-2b/-2c, landsat-5/-7/-8/-9")


def _level2_reason(item, family: str) -> str | None:
    """Why the item is Level-2 (surface reflectance), or None for Level-1."""
    props = item.properties
    level = str(props.get("processing:level") or "").upper()
    if family == "MSI":
        product_type = str(props.get("s2:product_type") or "")
        if "2A" in product_type.upper():
            return f"s2:product_type {product_type}"
        if re.search(r"(?:^|_)(?:MSI)?L2A(?:_|$)", item.id):
            return "L2A in the item id"
    else:
        correction = str(props.get("landsat:correction") or "")
        if correction.upper().startswith("L2"):
            return f"landsat:correction {correction}"
        if re.search(r"_L2S[PR]_", item.id):
            return "L2SP/L2SR in the item id"
    if level.startswith("L2"):
        return f"processing:level {level}"
    if item.collection_id and _LEVEL2_COLLECTION.search(item.collection_id):
        return f"collection {item.collection_id}"
    return None


def _sentinel2(item, sensor: str, source: Path, base: Path) -> BandFilesProduct:
    where = _where(item, source)
    reason = _level2_reason(item, "MSI")
    if reason:
        raise ProductFormatError(
            f"{where}: a Level-2A (surface reflectance) item ({reason}); crossmask needs "
            "Level-1C top-of-atmosphere reflectance")
    props = item.properties
    baseline = props.get("s2:processing_baseline") or props.get("sentinel:processing_baseline")
    level = _number(baseline, f"{where}: s2:processing_baseline")
    expected = None if level is None else (
        _S2_OFFSET_DN / _S2_QUANTIFICATION if level >= 4.0 else 0.0)
    files, scales, disagree = {}, {}, []
    for band, (key, path, info) in _band_assets(item, sensor, source, base).items():
        files[band] = path
        scale, offset, nodata = _s2_scale(info, expected, f"{where}, asset {key!r}")
        if expected is not None and abs(offset - expected) > 1e-9:
            disagree.append(f"{key} {offset:g}")
            offset = expected  # the L1C DN carry the baseline's offset, whatever the item says
        scales[band] = (scale, offset, nodata)
    if disagree:
        log.warning("%s: raster offsets (%s) disagree with processing baseline %s (offset %g); "
                    "applying the baseline's offset", where, ", ".join(disagree), baseline,
                    expected)
    return BandFilesProduct(source, sensor, files, scales, scene_id=item.id)


def _number(value, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise ProductFormatError(f"{what}: {value!r} is not a number") from err


def _s2_scale(info: dict, baseline_offset: float | None, where: str
              ) -> tuple[float, float, float]:
    """(scale, offset, nodata) of a Sentinel-2 L1C band: the raster extension's scale and
    offset, else 1/10000 and the processing baseline's offset; nodata 0 unless given."""
    nodata = _number(info.get("nodata"), f"{where}: nodata")
    nodata = 0.0 if nodata is None else nodata
    scale = _number(info.get("scale"), f"{where}: raster scale")
    if scale is not None:
        return scale, _number(info.get("offset"), f"{where}: raster offset") or 0.0, nodata
    if baseline_offset is None:
        raise UnscaledDataError(f"{where}: no raster scale and no s2:processing_baseline; "
                                "cannot turn its DN into reflectance")
    return 1.0 / _S2_QUANTIFICATION, baseline_offset, nodata


def _landsat(item, sensor: str, source: Path, base: Path) -> StacLandsatScene:
    where = _where(item, source)
    reason = _level2_reason(item, "OLI")
    if reason:
        raise ProductFormatError(
            f"{where}: a Collection 2 Level-2 (surface reflectance) item ({reason}); crossmask "
            "needs Level-1 top-of-atmosphere data (collection landsat-c2l1)")
    bands = _band_assets(item, sensor, source, base)
    mtl_key = next((k for k in item.assets if k.lower() in ("mtl.txt", "mtl")), None)
    if mtl_key is None:
        raise ProductFormatError(f"{where}: no MTL.txt asset; Landsat Level-1 DN need the "
                                 "MTL's REFLECTANCE_MULT/ADD and sun elevation")
    scene = open_landsat_scene(_asset_path(item, mtl_key, source, base), check_fill=False)
    if scene.sensor != sensor:
        raise ProductFormatError(f"{where}: the item's platform is {sensor}, its MTL "
                                 f"{scene.mtl_path} is {scene.sensor}")
    missing = [b for b in bands if b not in scene.coefficients]
    if missing:
        raise ProductFormatError(f"{scene.mtl_path}: no calibration for band(s) "
                                 f"{', '.join(missing)} of {where}")
    fields = {f.name: getattr(scene, f.name) for f in dataclasses.fields(scene)}
    fields.update(path=source, scene_id=item.id, grids={},
                  files={band: path for band, (_, path, _) in bands.items()})
    for key, name in (("qa_pixel", "qa_path"), ("qa_radsat", "radsat_path")):
        if key in item.assets:
            fields[name] = _asset_path(item, key, source, base)
    return StacLandsatScene(**fields)


def _asset_bands(asset) -> list[dict]:
    """Each band of an asset as {name, common_name, description, scale, offset, nodata}."""
    fields = asset.extra_fields
    if "bands" in fields and "eo:bands" not in fields:  # STAC 1.1
        return [{"name": b.get("name"), "common_name": b.get("eo:common_name"),
                 "description": b.get("description"),
                 "scale": b.get("raster:scale", fields.get("raster:scale")),
                 "offset": b.get("raster:offset", fields.get("raster:offset")),
                 "nodata": b.get("nodata", fields.get("nodata"))}
                for b in fields["bands"] if isinstance(b, dict)]
    eo, raster = fields.get("eo:bands") or [], fields.get("raster:bands") or []
    out = []
    for i in range(max(len(eo), len(raster), 1)):
        e = eo[i] if i < len(eo) and isinstance(eo[i], dict) else {}
        r = raster[i] if i < len(raster) and isinstance(raster[i], dict) else {}
        out.append({"name": e.get("name"), "common_name": e.get("common_name"),
                    "description": e.get("description"),
                    "scale": r.get("scale", fields.get("raster:scale")),
                    "offset": r.get("offset", fields.get("raster:offset")),
                    "nodata": r.get("nodata", fields.get("nodata"))})
    return out


def _band_of(key: str, info: dict, title: str | None, sensor: str) -> str | None:
    """Registry band of a single-band asset, by the rule in the module docstring."""
    spec = SENSOR_SPECS[sensor]
    names = [b.name for b in spec.bands]
    common = {b.common_name: b.name for b in spec.bands}
    name = str(info.get("name") or "")
    if normalize_band_name(name) in names:
        return normalize_band_name(name)
    for text in (info.get("description"), title):
        match = _BAND_IN_TEXT.search(str(text or ""))
        if match and normalize_band_name(f"B{match.group(1)}") in names:
            return normalize_band_name(f"B{match.group(1)}")
    common_name = str(info.get("common_name") or "").lower()
    if common_name in common:
        return common[common_name]
    for text in (name, key):
        text = text.strip()
        if normalize_band_name(text) in names:
            return normalize_band_name(text)
        if text.lower() in common:
            return common[text.lower()]
        if spec.family == "MSI" and text.lower() in _EARTH_SEARCH_REDEDGE:
            return _EARTH_SEARCH_REDEDGE[text.lower()]
    return None


def _band_assets(item, sensor: str, source: Path, base: Path
                 ) -> dict[str, tuple[str, Path, dict]]:
    """Registry band → (asset key, local file, band description), in the sensor's order."""
    candidates: dict[str, list[tuple[str, dict]]] = {}
    for key, asset in item.assets.items():
        described = _asset_bands(asset)
        if len(described) != 1:
            continue
        band = _band_of(key, described[0], asset.title, sensor)
        if band is not None:
            candidates.setdefault(band, []).append((key, described[0]))
    out = {}
    for band in SENSOR_SPECS[sensor].bands:
        found = candidates.get(band.name)
        if not found:
            continue
        found.sort(key=lambda c: (_remote(item.assets[c[0]].href), c[0].endswith("-jp2")))
        key, info = found[0]
        out[band.name] = (key, _asset_path(item, key, source, base), info)
    if not out:
        raise ProductFormatError(f"{_where(item, source)}: no asset maps to a band of "
                                 f"{sensor} (assets: {', '.join(item.assets) or 'none'})")
    return out


def _remote(href: str) -> bool:
    scheme = urlparse(href).scheme
    return (len(scheme) > 1 and scheme != "file") or href.startswith("/vsi")


def _asset_path(item, key: str, source: Path, base: Path) -> Path:
    """The local file of an asset; ProductFormatError naming item and asset if it is remote
    or missing."""
    href = item.assets[key].href
    if _remote(href):
        raise ProductFormatError(f"{_where(item, source)}, asset {key!r}: {href} is not a "
                                 "local file; download it first")
    if urlparse(href).scheme == "file":
        href = unquote(urlparse(href).path)
    path = Path(os.path.normpath(base / href))
    if not path.is_file():
        raise ProductFormatError(f"{_where(item, source)}, asset {key!r}: {path} does not "
                                 "exist")
    return path
