"""Write tiny labelled scenes in the exact on-disk formats the labelled readers take.

* :func:`write_cmc` — a Sentinel-2 Cloud Mask Catalogue root: ``subscenes/<NAME>.npy``
  (float32 H×W×13), ``masks/<NAME>.npy`` (bool H×W×3 one-hot CLEAR, CLOUD, CLOUD_SHADOW),
  ``classification_tags.csv``;
* :func:`write_cloudsen12` — a CloudSEN12 patch folder: ``S2L1C.tif`` (13 bands, uint16 DN)
  and ``labels/manual_hq.tif`` (uint8 0 clear, 1 thick, 2 thin, 3 shadow);
* :func:`write_npz_scene` / :func:`write_geotiff_scene` — the generic format: an ``.npz``
  (``img``, ``msk``) or a GeoTIFF + label GeoTIFF, each with its TOML config.

Content is deterministic for a seed: blobs of each class on a smooth ground, clouds bright,
shadows dark, and a fill block (NaN / DN 0 / fill code) in the top-left corner.  Used by
tests and the demo.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin

from crossmask.products.datasets.cloudsen12 import CLOUDSEN12_BANDS
from crossmask.products.datasets.cmc import CMC_BANDS, TAGS_FILE

__all__ = ["CMC_NAMES", "UKIS_CSMASK_S2", "synthetic_classes", "write_cloudsen12", "write_cmc",
           "write_config", "write_geotiff_scene", "write_npz_scene"]

#: Subscene names as in the catalogue (L1C product names).
CMC_NAMES = ("S2A_MSIL1C_20190322T092031_N0207_R093_T34SGH_20190322T111216",
             "S2B_MSIL1C_20190910T094029_N0208_R036_T33PWK_20190910T115624")
#: The config of ukis-csmask's ``sentinel2.npz`` (bands blue … swir22 = S2 B2 … B12).
UKIS_CSMASK_S2 = {"sensor": "S2A", "bands": ["B2", "B3", "B4", "B8", "B11", "B12"], "resolution": 30,
                  "dataset": "ukis-csmask",
                  "codes": {0: "shadow", 1: "clear", 2: "clear", 3: "clear", 4: "cloud"}}
_CMC_TAG_COLUMNS = ("index", "scene", "dataset", "difficulty", "shadows_marked",
                    "forest/jungle", "snow/ice", "thin_cloud", "thick_cloud")
_BRIGHTNESS = {"clear": 0.0, "thin": 0.15, "cloud": 0.45, "shadow": -0.06}


def synthetic_classes(size: int, classes: Sequence[str], seed: int = 0,
                      fill: int = 0) -> np.ndarray:
    """Indices into ``classes`` (int, size × size): blobs of every class, and ``-1`` in a
    ``fill`` × ``fill`` block at the top-left corner."""
    rng = np.random.default_rng(seed)
    out = np.zeros((size, size), int)
    for index in range(1, len(classes)):
        for _ in range(2):
            row, col = rng.integers(0, size, 2)
            radius = rng.integers(max(2, size // 10), max(3, size // 4))
            yy, xx = np.ogrid[:size, :size]
            out[(yy - row) ** 2 + (xx - col) ** 2 <= radius ** 2] = index
    out[:fill, :fill] = -1
    return out


def _reflectance(index: np.ndarray, classes: Sequence[str], n_bands: int,
                 seed: int) -> np.ndarray:
    """float32 TOA reflectance (H × W × bands); NaN where ``index`` is −1."""
    rng = np.random.default_rng(seed + 1)
    ground = 0.05 + 0.25 * rng.random((*index.shape, 1)) + 0.02 * np.arange(n_bands)
    offset = np.array([_BRIGHTNESS.get(c, 0.0) for c in classes])[np.maximum(index, 0)]
    refl = np.clip(ground + offset[..., None], 0.005, 1.2).astype(np.float32)
    refl[index < 0] = np.nan
    return refl


def write_cmc(root: str | Path, names: Sequence[str] = CMC_NAMES, size: int = 32,
              seed: int = 0, shadows_marked: Sequence[int] | None = None,
              unlabelled_pixels: int = 3) -> Path:
    """Write a catalogue root holding ``names`` (``size`` × ``size`` px) and return it.

    ``shadows_marked`` gives the tag per scene (default all 1).  The fill corner (NaN
    reflectance) and ``unlabelled_pixels`` pixels of the bottom row have no mask class set.
    """
    root = Path(root)
    (root / "subscenes").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(exist_ok=True)
    marks = list(shadows_marked) if shadows_marked is not None else [1] * len(names)
    rows = []
    for i, (name, marked) in enumerate(zip(names, marks)):
        classes = ("clear", "cloud", "shadow")
        index = synthetic_classes(size, classes, seed + i, fill=2)
        np.save(root / "subscenes" / f"{name}.npy",
                _reflectance(index, classes, len(CMC_BANDS), seed + i))
        onehot = index[..., None] == np.arange(3)
        onehot[-1, :unlabelled_pixels] = False
        np.save(root / "masks" / f"{name}.npy", onehot)
        rows.append([i, name, "MAIN", 1 + i % 3, marked, 0, 0, 1, 1])
    with open(root / TAGS_FILE, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(_CMC_TAG_COLUMNS)
        writer.writerows(rows)
    return root


def write_cloudsen12(root: str | Path,
                     patch: str = "ROI_0001/20190212T142031_20190212T143214_T19FDF",
                     size: int = 32, seed: int = 0, labels_folder: bool = True,
                     descriptions: bool = False, with_labels: bool = True) -> Path:
    """Write one CloudSEN12 patch folder below ``root`` and return it.

    ``labels_folder``: label at ``labels/manual_hq.tif`` (else ``manual_hq.tif``);
    ``descriptions``: name the image bands B1 … B12 in the band descriptions.
    """
    folder = Path(root) / patch
    folder.mkdir(parents=True, exist_ok=True)
    classes = ("clear", "cloud", "thin", "shadow")  # label codes 0, 1, 2, 3
    index = synthetic_classes(size, classes, seed, fill=2)
    refl = _reflectance(index, classes, len(CLOUDSEN12_BANDS), seed)
    dn = np.where(np.isnan(refl), 0, np.round(np.nan_to_num(refl) * 10000)).astype(np.uint16)
    profile = dict(driver="GTiff", width=size, height=size, crs=CRS.from_epsg(32719),
                   transform=from_origin(500000.0, 4500000.0, 10.0, 10.0))
    with rasterio.open(folder / "S2L1C.tif", "w", count=dn.shape[2], dtype="uint16",
                       **profile) as dst:
        dst.write(np.moveaxis(dn, 2, 0))
        if descriptions:
            dst.descriptions = CLOUDSEN12_BANDS
    if with_labels:
        label = folder / ("labels/manual_hq.tif" if labels_folder else "manual_hq.tif")
        label.parent.mkdir(exist_ok=True)
        with rasterio.open(label, "w", count=1, dtype="uint8", **profile) as dst:
            dst.write(np.maximum(index, 0).astype(np.uint8), 1)
    return folder


def write_config(path: str | Path, config: Mapping) -> Path:
    """Write a labelled-scene config (keys as in the TOML format; ``codes`` a mapping)."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in config.items() if key != "codes"]
    if "codes" in config:
        lines += ["", "[codes]"] + [f"{json.dumps(str(code))} = {json.dumps(name)}"
                                    for code, name in config["codes"].items()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def write_npz_scene(folder: str | Path, name: str = "scene", size: int = 32, seed: int = 0,
                    config: Mapping = UKIS_CSMASK_S2, mask_channel: bool = True) -> Path:
    """Write ``<name>.npz`` (``img`` float32 H×W×bands with a NaN corner, ``msk`` uint8
    H×W×1, or H×W without ``mask_channel``) and ``<name>.toml``; return the TOML."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    codes = sorted(config["codes"], key=lambda c: config["codes"][c] != "clear")  # clear 1st
    classes = [config["codes"][c] for c in codes]
    index = synthetic_classes(size, classes, seed, fill=2)
    img = _reflectance(index, classes, len(config["bands"]), seed)
    msk = np.array(codes, np.uint8)[np.maximum(index, 0)]
    np.savez(folder / f"{name}.npz", img=img, msk=msk[..., None] if mask_channel else msk)
    return write_config(folder / f"{name}.toml", {**config, "image": f"{name}.npz"})


def write_geotiff_scene(folder: str | Path, name: str = "scene", size: int = 32,
                        seed: int = 0, sensor: str = "L8",
                        bands: Sequence[str] = ("blue", "green", "red", "nir08", "swir16"),
                        codes: Mapping[int, str] | None = None) -> Path:
    """Write ``<name>.tif`` (uint16 DN = reflectance × 10000, no GDAL scale, DN 0 fill),
    ``<name>_labels.tif`` (uint8 codes, nodata 255 in the fill corner) and ``<name>.toml``
    (with ``scale = 0.0001``); return the TOML."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    codes = dict(codes or {10: "clear", 20: "thin", 30: "cloud", 40: "shadow"})
    index = synthetic_classes(size, list(codes.values()), seed, fill=3)
    refl = _reflectance(index, list(codes.values()), len(bands), seed)
    dn = np.where(np.isnan(refl), 0, np.round(np.nan_to_num(refl) * 10000)).astype(np.uint16)
    label = np.where(index < 0, 255, np.array(list(codes), np.int64)[np.maximum(index, 0)])
    profile = dict(driver="GTiff", width=size, height=size, crs=CRS.from_epsg(32633),
                   transform=from_origin(300000.0, 5000000.0, 30.0, 30.0))
    with rasterio.open(folder / f"{name}.tif", "w", count=len(bands), dtype="uint16",
                       nodata=0, **profile) as dst:
        dst.write(np.moveaxis(dn, 2, 0))
    with rasterio.open(folder / f"{name}_labels.tif", "w", count=1, dtype="uint8",
                       nodata=255, **profile) as dst:
        dst.write(label.astype(np.uint8), 1)
    return write_config(folder / f"{name}.toml", {
        "sensor": sensor, "bands": list(bands), "image": f"{name}.tif",
        "labels": f"{name}_labels.tif", "scale": 0.0001, "codes": codes})
