"""Write small STAC items, ItemCollections and static catalogues over local band files, in
the layouts providers publish, for tests of :mod:`crossmask.products.stac`.

The band files come from the other writers: a Sentinel-2 L1C (or L2A) SAFE product
(:func:`~crossmask.products.writers.safe.write_safe`, JPEG 2000 bands) or a Landsat
Collection 2 Level-1 scene folder with its ``_MTL.txt``
(:func:`~crossmask.products.writers.landsat.write_biome_scene`, GeoTIFF bands).  The items
are built as dicts with absolute local hrefs (so a test can change any field, e.g. make an
href remote) and written with hrefs relative to the JSON file, as after a download.

Layouts (``style``):

* ``"earth-search"`` — Element 84 Earth Search v1 ``sentinel-2-l1c``: STAC 1.0.0, asset
  keys ``coastal blue green red rededge1 … nir nir08 nir09 cirrus swir16 swir22`` (+
  ``visual``, remote ``thumbnail`` and ``tileinfo_metadata``), ``eo:bands`` whose ``name``
  is the asset key and whose ``common_name`` of B05–B07 is ``rededge``, the band in the
  description (``"Red edge 1 (band 5)"``), ``raster:bands`` with scale 0.0001 and offset
  −0.1 from processing baseline 04.00 (0 before);
* ``"planetary-computer"`` — Microsoft Planetary Computer key style: keys ``B01`` … ``B12``,
  ``B8A``, ``eo:bands`` name ``"B04"``, description ``"Band 4 - Red"``, no ``raster:bands``
  (the offset follows from ``s2:processing_baseline``);
* ``"stac11"`` — STAC 1.1.0: Earth Search keys, one ``bands`` list per asset with ``name``
  ``"B04"``, ``eo:common_name`` (``rededge071`` … as in eo v2), ``raster:scale`` /
  ``raster:offset``, and ``nodata`` / ``data_type`` on the asset;
* Landsat: the USGS LandsatLook ``landsat-c2l1`` layout — keys ``coastal`` … ``lwir12``,
  ``qa_pixel``, ``MTL.txt`` (``mtl.txt`` as in the Planetary Computer with
  ``mtl_key="mtl.txt"``), ``eo:bands`` name ``"B4"``, platform ``"LANDSAT_9"``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from crossmask.errors import InputError
from crossmask.products.writers.geotiff import write_named_geotiff
from crossmask.products.writers.landsat import write_biome_scene
from crossmask.products.writers.safe import write_safe
from crossmask.srf import SENSOR_SPECS

__all__ = ["S2_STYLES", "landsat_item", "sentinel2_item", "write_catalog", "write_item",
           "write_item_collection"]

S2_STYLES = ("earth-search", "planetary-computer", "stac11")
EO_V10 = "https://stac-extensions.github.io/eo/v1.0.0/schema.json"
EO_V11 = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
EO_V2 = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"
RASTER_V11 = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"
RASTER_V2 = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"
_COG = "image/tiff; application=geotiff; profile=cloud-optimized"
_JP2 = "image/jp2"
_GEOMETRY = {"type": "Polygon", "coordinates": [[[-3.0, 42.0], [-2.9, 42.0], [-2.9, 42.1],
                                                 [-3.0, 42.1], [-3.0, 42.0]]]}
_BBOX = [-3.0, 42.0, -2.9, 42.1]
#: Sentinel-2 band → (Earth Search key, eo common name, Earth Search description, eo v2
#: common name, centre wavelength µm): the provider's spelling, not crossmask's.
_S2 = {
    "B1": ("coastal", "coastal", "Coastal aerosol (band 1)", "coastal", 0.443),
    "B2": ("blue", "blue", "Blue (band 2)", "blue", 0.49),
    "B3": ("green", "green", "Green (band 3)", "green", 0.56),
    "B4": ("red", "red", "Red (band 4)", "red", 0.665),
    "B5": ("rededge1", "rededge", "Red edge 1 (band 5)", "rededge071", 0.704),
    "B6": ("rededge2", "rededge", "Red edge 2 (band 6)", "rededge075", 0.74),
    "B7": ("rededge3", "rededge", "Red edge 3 (band 7)", "rededge078", 0.783),
    "B8": ("nir", "nir", "NIR 1 (band 8)", "nir", 0.842),
    "B8A": ("nir08", "nir08", "NIR 2 (band 8A)", "nir08", 0.865),
    "B9": ("nir09", "nir09", "NIR 3 (band 9)", "nir09", 0.945),
    "B10": ("cirrus", "cirrus", "Cirrus (band 10)", "cirrus", 1.3735),
    "B11": ("swir16", "swir16", "SWIR 1 (band 11)", "swir16", 1.61),
    "B12": ("swir22", "swir22", "SWIR 2 (band 12)", "swir22", 2.19),
}


def _item(item_id: str, collection: str, properties: dict, assets: dict,
          extensions: list[str], stac_version: str = "1.0.0") -> dict:
    return {"type": "Feature", "stac_version": stac_version, "stac_extensions": extensions,
            "id": item_id, "collection": collection, "geometry": copy.deepcopy(_GEOMETRY),
            "bbox": list(_BBOX), "properties": properties, "links": [], "assets": assets}


def sentinel2_item(folder: str | Path, *, style: str = "earth-search",
                   dn: Mapping[str, np.ndarray] | None = None,
                   spacecraft: str = "Sentinel-2B", baseline: str = "05.10",
                   level: str = "L1C", raster: bool = True, tile: str = "30TWM",
                   sensing: str = "20240601T110351", size_60m: int = 4,
                   seed: int = 0) -> dict:
    """Write a SAFE product below ``folder`` and return a STAC item (dict, absolute hrefs)
    of its bands in the layout of ``style`` (see the module docstring); ``dn`` and the
    other keywords go to :func:`~crossmask.products.writers.safe.write_safe`.

    ``raster=False`` leaves out ``raster:bands`` (STAC 1.1: ``raster:scale`` /
    ``raster:offset``), so the reader must take the offset from ``s2:processing_baseline``.
    """
    if style not in S2_STYLES:
        raise InputError(f"style {style!r}: valid are {', '.join(S2_STYLES)}")
    safe = write_safe(folder, dn, spacecraft=spacecraft, baseline=baseline, level=level,
                      tile=tile, sensing=sensing, size_60m=size_60m, seed=seed)
    files = {_band_of_file(p): p for p in safe.glob("GRANULE/*/IMG_DATA/*.jp2")}
    sat, day = safe.name[:3], sensing[:8]
    tci = write_named_geotiff(
        next(iter(files.values())).with_name(f"T{tile}_{sensing}_TCI.tif"),
        {c: np.full((4 * size_60m, 4 * size_60m), 90, np.uint8) for c in ("red", "green", "blue")},
        nodata=0)
    when = f"{day[:4]}-{day[4:6]}-{day[6:]}T{sensing[9:11]}:{sensing[11:13]}:{sensing[13:]}Z"
    properties = {"datetime": when, "platform": spacecraft.lower(),
                  "constellation": "sentinel-2", "instruments": ["msi"],
                  "eo:cloud_cover": 12.5, "s2:processing_baseline": baseline,
                  "s2:product_type": f"S2MSI{level[1:]}"}
    offset = -0.1 if float(baseline) >= 4.0 else 0.0
    visual = {"href": str(tci), "type": _COG, "title": "True color image", "roles": ["visual"]}
    if style == "planetary-computer":
        properties.update(platform=spacecraft, constellation="Sentinel 2")
        assets = {_mpc_key(b): _mpc_asset(b, p) for b, p in files.items()}
        assets["visual"] = {**visual, "eo:bands": [_mpc_eo("B4"), _mpc_eo("B3"), _mpc_eo("B2")]}
        assets["product-metadata"] = {"href": str(next(safe.glob("MTD_MSI*.xml"))),
                                      "type": "application/xml", "roles": ["metadata"]}
        return _item(safe.name[:-len(".SAFE")], f"sentinel-2-{level.lower()}", properties,
                     assets, [EO_V10])
    item_id = f"{sat}_{tile}_{day}_0_{level}"
    remote = f"https://roda.sentinel-hub.com/sentinel-s2-l1c/tiles/30/T/WM/{day[:4]}/6/1/0"
    if style == "stac11":
        assets = {_S2[b][0]: _stac11_asset(b, p, raster, offset) for b, p in files.items()}
        assets["visual"] = visual
        return _item(f"{item_id}_stac11", f"sentinel-2-{level.lower()}", properties, assets,
                     [EO_V2, RASTER_V2], stac_version="1.1.0")
    assets = {_S2[b][0]: _earth_search_asset(b, p, raster, offset) for b, p in files.items()}
    assets["visual"] = {**visual, "eo:bands": [_es_eo(b) for b in ("B4", "B3", "B2")]}
    assets["thumbnail"] = {"href": f"{remote}/preview.jpg", "type": "image/jpeg",
                           "roles": ["thumbnail"]}
    assets["tileinfo_metadata"] = {"href": f"{remote}/tileInfo.json", "type": "application/json",
                                   "roles": ["metadata"]}
    properties.update({"mgrs:utm_zone": int(tile[:2]), "mgrs:latitude_band": tile[2],
                       "mgrs:grid_square": tile[3:]})
    return _item(item_id, f"sentinel-2-{level.lower()}", properties, assets,
                 [EO_V11, RASTER_V11])


def _band_of_file(path: Path) -> str:
    """``T30TWM_…_B08.jp2`` → ``"B8"``, ``…_B8A.jp2`` → ``"B8A"``."""
    token = path.stem.rsplit("_", 1)[-1]
    return token if token.endswith("A") else f"B{int(token[1:])}"


def _mpc_key(band: str) -> str:
    return band if band.endswith("A") else f"B{int(band[1:]):02d}"


def _mpc_eo(band: str) -> dict:
    common, wavelength = _S2[band][1], _S2[band][4]
    label = _S2[band][2].split(" (")[0]
    return {"name": _mpc_key(band), "common_name": common,
            "description": f"Band {band[1:]} - {label}", "center_wavelength": wavelength}


def _mpc_asset(band: str, path: Path) -> dict:
    gsd = _gsd(band)
    eo = _mpc_eo(band)
    return {"href": str(path), "type": _JP2, "title": f"{eo['description']} - {gsd}m",
            "eo:bands": [eo], "gsd": gsd, "roles": ["data"]}


def _es_eo(band: str) -> dict:
    key, common, description, _, wavelength = _S2[band]
    return {"name": key, "common_name": common, "description": description,
            "center_wavelength": wavelength}


def _earth_search_asset(band: str, path: Path, raster: bool, offset: float) -> dict:
    gsd = _gsd(band)
    asset = {"href": str(path), "type": _JP2, "title": f"{_S2[band][2]} - {gsd}m",
             "eo:bands": [_es_eo(band)], "gsd": gsd, "roles": ["data", "reflectance"]}
    if raster:
        asset["raster:bands"] = [{"nodata": 0, "data_type": "uint16", "bits_per_sample": 15,
                                  "spatial_resolution": gsd, "scale": 0.0001,
                                  "offset": offset}]
    return asset


def _stac11_asset(band: str, path: Path, raster: bool, offset: float) -> dict:
    _, _, description, common, wavelength = _S2[band]
    entry = {"name": _mpc_key(band), "description": description, "eo:common_name": common,
             "eo:center_wavelength": wavelength}
    if raster:
        entry.update({"raster:scale": 0.0001, "raster:offset": offset})
    return {"href": str(path), "type": _JP2, "title": f"{description} - {_gsd(band)}m",
            "data_type": "uint16", "nodata": 0, "gsd": _gsd(band), "bands": [entry],
            "roles": ["data", "reflectance"]}


def _gsd(band: str) -> int:
    return next(int(b.resolution) for b in SENSOR_SPECS["S2A"].bands if b.name == band)


def landsat_item(folder: str | Path, *,
                 product_id: str = "LC09_L1TP_199031_20240601_20240601_02_T1",
                 level: str = "L1", mtl_key: str = "MTL.txt", rename: bool = False,
                 size: int = 8, seed: int = 0) -> dict:
    """Write a Landsat-8/9 Collection 2 Level-1 scene folder below ``folder`` and return a
    USGS ``landsat-c2l1`` STAC item (dict, absolute hrefs) of it.

    ``rename`` moves the band files to ``<id>_assets/<key>.TIF`` and the MTL to
    ``<id>_assets/meta/<mtl_key>`` (as a download tool that names files by asset key
    would), so the files are no longer where the MTL says.  ``level="L2"`` labels the
    item as Collection 2 Level-2 surface reflectance (``landsat:correction`` ``L2SP``).
    """
    if level not in ("L1", "L2"):
        raise InputError(f"level {level!r}: valid are 'L1', 'L2'")
    scene = write_biome_scene(folder, product_id, size=size, seed=seed, mask_format=None,
                              collection=2)
    files = {b.name: scene / f"{product_id}_{b.name}.TIF" for b in SENSOR_SPECS["L9"].bands}
    qa, mtl = scene / f"{product_id}_QA_PIXEL.TIF", scene / f"{product_id}_MTL.txt"
    if rename:
        target = Path(folder) / f"{product_id}_assets"
        (target / "meta").mkdir(parents=True, exist_ok=True)
        common = {b.name: b.common_name for b in SENSOR_SPECS["L9"].bands}
        files = {b: Path(shutil.move(p, target / f"{common[b]}.TIF")) for b, p in files.items()}
        qa = Path(shutil.move(qa, target / "qa_pixel.TIF"))
        mtl = Path(shutil.move(mtl, target / "meta" / mtl_key))
    spec = SENSOR_SPECS["L9" if product_id.startswith("LC09") else "L8"]
    assets = {}
    for band in spec.bands:
        assets[band.common_name] = {
            "href": str(files[band.name]), "type": _COG, "roles": ["data"],
            "title": f"{band.common_name} Band ({band.name})", "gsd": band.resolution,
            "eo:bands": [{"name": band.name, "common_name": band.common_name}]}
    assets["qa_pixel"] = {"href": str(qa), "type": _COG, "roles": ["cloud", "cloud-shadow"],
                          "title": "Pixel Quality Assessment Band",
                          "raster:bands": [{"data_type": "uint16", "unit": "bit index",
                                            "nodata": 1}]}
    assets[mtl_key] = {"href": str(mtl), "type": "text/plain", "roles": ["metadata"],
                       "title": "Product Metadata File"}
    remote = "https://landsatlook.usgs.gov/data/collection02/level-1/standard/oli-tirs"
    assets["MTL.xml"] = {"href": f"{remote}/{product_id}_MTL.xml", "type": "application/xml",
                         "roles": ["metadata"]}
    assets["thumbnail"] = {"href": f"{remote}/{product_id}_thumb_small.jpeg",
                           "type": "image/jpeg", "roles": ["thumbnail"]}
    correction = "L1TP" if level == "L1" else "L2SP"
    properties = {"datetime": "2024-06-01T10:45:00Z",
                  "platform": f"LANDSAT_{int(product_id[2:4])}", "instruments": ["OLI", "TIRS"],
                  "eo:cloud_cover": 20.0, "landsat:correction": correction,
                  "landsat:collection_number": "02", "landsat:collection_category": "T1",
                  "landsat:wrs_path": product_id[10:13], "landsat:wrs_row": product_id[13:16]}
    item_id = product_id if level == "L1" else product_id.replace("_L1TP_", "_L2SP_")
    collection = "landsat-c2l1" if level == "L1" else "landsat-c2l2-sr"
    return _item(item_id, collection, properties, assets, [EO_V10, RASTER_V11])


def _relative(item: dict, base: Path) -> dict:
    """A copy of ``item`` whose local absolute asset hrefs (not URLs, not GDAL ``/vsi…``
    paths) are relative to ``base``."""
    out = copy.deepcopy(item)
    for asset in out["assets"].values():
        if os.path.isabs(asset["href"]) and not asset["href"].startswith("/vsi"):
            asset["href"] = os.path.relpath(asset["href"], base)
    return out


def _dump(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


def write_item_collection(path: str | Path, items: Sequence[dict]) -> Path:
    """Write ``items`` as a GeoJSON FeatureCollection (what a STAC API search returns, and
    what ``pystac.ItemCollection.save_object`` writes), hrefs relative to the file."""
    path = Path(path)
    features = [_relative(item, path.parent.resolve()) for item in items]
    return _dump(path, {"type": "FeatureCollection", "features": features, "links": []})


def write_item(path: str | Path, item: dict) -> Path:
    """Write one item as its own JSON file (with a ``self`` link), hrefs relative to it."""
    path = Path(path)
    out = _relative(item, path.parent.resolve())
    out["links"] = [{"rel": "self", "href": str(path.resolve()), "type": "application/geo+json"}]
    return _dump(path, out)


def write_catalog(folder: str | Path, items: Sequence[dict], kind: str = "Catalog") -> Path:
    """Write a self-contained static ``Catalog`` (``catalog.json``) or ``Collection``
    (``collection.json``) in ``folder`` whose items are ``<id>/<id>.json``, hrefs relative
    to each file; return the root JSON."""
    if kind not in ("Catalog", "Collection"):
        raise InputError(f"kind {kind!r}: valid are 'Catalog', 'Collection'")
    folder = Path(folder).resolve()
    root_name = f"{kind.lower()}.json"
    root = {"type": kind, "stac_version": "1.0.0", "stac_extensions": [],
            "id": "crossmask-test", "description": "Local items written by crossmask tests",
            "links": [{"rel": "root", "href": f"./{root_name}", "type": "application/json"}]}
    if kind == "Collection":
        root.update(license="proprietary", extent={
            "spatial": {"bbox": [list(_BBOX)]},
            "temporal": {"interval": [["2024-01-01T00:00:00Z", None]]}})
    for item in items:
        item_path = folder / item["id"] / f"{item['id']}.json"
        out = _relative(item, item_path.parent)
        parent = {"href": f"../{root_name}", "type": "application/json"}
        out["links"] = [{"rel": "root", **parent}, {"rel": "parent", **parent}]
        if kind == "Collection":
            out["collection"] = root["id"]
            out["links"].append({"rel": "collection", **parent})
        _dump(item_path, out)
        root["links"].append({"rel": "item", "href": f"./{item['id']}/{item['id']}.json",
                              "type": "application/geo+json"})
    return _dump(folder / root_name, root)
