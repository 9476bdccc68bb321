"""Write a tiny CloudSEN12+ TACO file (TACO v1, the format published on the Hugging Face hub)
with the official tooling, pytortilla 0.5.x + tacotoolbox 0.5.x, imported on use.

Each sample is a CloudSEN12 patch as :func:`~crossmask.products.writers.labelled.write_cloudsen12`
writes it (13-band uint16 image, uint8 label 0 clear, 1 thick, 2 thin, 3 shadow, a DN 0
fill corner), packed as a nested tortilla of the GeoTIFFs ``s2l1c`` and ``target`` with the
CloudSEN12+ footer fields (``roi_id``, ``s2_id``, ``label_type``, ``real_proj_shape``,
``tortilla:data_split``, the class percentages).  ``scribble`` targets keep the label on
every fourth row and hold 99 (no label) elsewhere; ``nolabel`` targets are 99 everywhere.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import importlib.util
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio

from crossmask.errors import InputError
from crossmask.products.datasets.cloudsen12 import IMAGE, patch_labels
from crossmask.products.datasets.cloudsen12_taco import IMAGE_ID, LABEL_ID, NO_LABEL
from crossmask.products.writers.labelled import write_cloudsen12

__all__ = ["WRITER_PIP_INSTALL", "write_cloudsen12_taco"]

#: How to install the official writers (and the reader the tests read them back with).
WRITER_PIP_INSTALL = "pip install tacotoolbox==0.5.2 pytortilla==0.5.1 tacoreader==0.5.6"
_SPLITS = ("train", "validation", "test")


def write_cloudsen12_taco(path: str | Path,
                          label_types: Sequence[str] = ("high", "scribble", "nolabel"),
                          size: int = 32, seed: int = 0,
                          work_dir: str | Path | None = None) -> Path:
    """Write a TACO file with one sample per entry of ``label_types`` (``high``,
    ``scribble`` or ``nolabel``), ``size`` × ``size`` px each, and return its path.

    The source GeoTIFFs and nested tortillas are written below ``work_dir`` (kept; a
    temporary folder, removed, when None): ``ROI_<n>/<s2_id>/S2L1C.tif``,
    ``labels/manual_hq.tif`` (the full label) and ``target.tif`` (what the sample holds).

    Raises InputError when pytortilla or tacotoolbox 0.5.x is not installed.
    """
    pytortilla, tacotoolbox = _tooling()
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # pytortilla 0.5 on pandas 3: DataFrame.drop(inplace=True) is deprecated (harmless)
        warnings.filterwarnings("ignore", "The inplace keyword", category=Warning)
        work = Path(work_dir or tmp).resolve()
        samples = [_sample(pytortilla, work, i, kind, size, seed)
                   for i, kind in enumerate(label_types)]
        written = tacotoolbox.create(collection=_collection(tacotoolbox),
                                     samples=pytortilla.datamodel.Samples(samples=samples),
                                     output=path, nworkers=1, quiet=True)
    return Path(written)


def _tooling():
    missing = [m for m in ("pytortilla", "tacotoolbox") if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"writing CloudSEN12+ TACO files needs {' and '.join(missing)}: "
                         f"{WRITER_PIP_INSTALL}")
    version = importlib.metadata.version("tacotoolbox")
    if not version.startswith("0.5."):
        raise InputError(f"tacotoolbox {version} writes TACO 2, not the TACO v1 files "
                         f"CloudSEN12+ is published in: {WRITER_PIP_INSTALL}")
    return importlib.import_module("pytortilla"), importlib.import_module("tacotoolbox")


def _sample(pytortilla, work: Path, i: int, kind: str, size: int, seed: int):
    """One outer sample: the patch's GeoTIFFs packed as a nested tortilla."""
    if kind not in ("high", "scribble", "nolabel"):
        raise InputError(f"CloudSEN12+ label type {kind!r}; use high, scribble or nolabel")
    month = i % 12 + 1
    s2_id = f"2019{month:02d}12T142031_2019{month:02d}12T143214_T19FDF"
    roi = f"ROI_{i + 1:05d}"
    folder = write_cloudsen12(work, patch=f"{roi}/{s2_id}", size=size, seed=seed + i)
    target, codes = _target(folder, kind)
    stac = _stac(pytortilla, folder / IMAGE, dt.datetime(2019, month, 12, 14, 32, 14,
                                                         tzinfo=dt.timezone.utc))
    model = pytortilla.datamodel
    inner = model.Samples(samples=[
        model.Sample(id=IMAGE_ID, path=folder / IMAGE, file_format="GTiff", stac_data=stac),
        model.Sample(id=LABEL_ID, path=target, file_format="GTiff", stac_data=stac)])
    name = f"{roi}__{s2_id}"
    tortilla = pytortilla.create(samples=inner, output=folder / f"{name}.tortilla",
                                 nworkers=1, quiet=True)
    labelled = codes[codes != NO_LABEL]
    share = np.bincount(labelled, minlength=4)[:4] / max(labelled.size, 1) * 100
    return model.Sample(
        id=name, path=tortilla, file_format="TORTILLA", data_split=_SPLITS[i % 3],
        stac_data=stac, roi_id=roi, old_roi_id=f"{i + 1:05d}", label_type=kind, s2_id=s2_id,
        real_proj_shape=509, clear_percentage=float(share[0]),
        thick_percentage=float(share[1]), thin_percentage=float(share[2]),
        cloud_shadow_percentage=float(share[3]))


def _target(folder: Path, kind: str) -> tuple[Path, np.ndarray]:
    """The sample's label GeoTIFF (the full label, or its scribble / nolabel form)."""
    full = patch_labels(folder)
    with rasterio.open(full) as src:
        codes, profile = src.read(1), src.profile
    if kind == "scribble":
        codes = np.where(np.arange(codes.shape[0])[:, None] % 4 == 1, codes, NO_LABEL)
    elif kind == "nolabel":
        codes = np.full_like(codes, NO_LABEL)
    target = folder / "target.tif"
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(codes.astype(np.uint8), 1)
    return target, codes.astype(np.int64)


def _stac(pytortilla, image: Path, when: dt.datetime):
    with rasterio.open(image) as src:
        crs, shape, t = src.crs.to_string(), (src.height, src.width), src.transform
    return pytortilla.datamodel.main.STAC(crs=crs, raster_shape=shape,
                                          geotransform=(t.c, t.a, t.b, t.f, t.d, t.e),
                                          time_start=when, time_end=when)


def _collection(tacotoolbox):
    return tacotoolbox.datamodel.Collection(
        id="crossmaskcloudsen12l1c",  # lowercase alphanumeric only (tacotoolbox 0.5)
        dataset_version="0.0.1",
        description="Synthetic samples in the CloudSEN12+ L1C layout, for crossmask tests.",
        licenses=["cc0-1.0"],
        extent={"spatial": [[-180.0, -90.0, 180.0, 90.0]],
                "temporal": [["2019-01-01T00:00:00Z", "2019-12-31T00:00:00Z"]]},
        providers=[{"name": "crossmask tests", "roles": ["producer"]}],
        task="semantic-segmentation", split_strategy="manual",
        labels={"label_classes": [{"name": "clear", "category": 0},
                                  {"name": "thick-cloud", "category": 1},
                                  {"name": "thin-cloud", "category": 2},
                                  {"name": "cloud-shadow", "category": 3}]},
        optical_data={"sensor": "sentinel2msi"})
