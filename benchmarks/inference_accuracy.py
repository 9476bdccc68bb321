"""Agreement of each runtime and precision with fp32 on real data (random inputs hide
what bf16 does to a mask), for ``benchmarks/inference.py``.

Data (../shared/data): the 8 real Landsat-8 Biome validation patches (256 × 256 px,
bands B2, B3, B4, B5, B6, B7, B9, B10 — the model takes the first six; masks with L8 Biome
codes 0 fill, 64 shadow, 128 clear, 192 thin cloud, 255 cloud) and the real Sentinel-2
patch of ukis-csmask (512 × 512 px, blue … swir22 as B2–B7, mask 4 = cloud).  Model: the
IPL-UV 6-band U-Net.  Cloud = thin + thick cloud (L8) / cloud (S2) against the rest, fill
excluded.

For every (runtime, precision): the fraction of valid pixels whose class differs from the
fp32 reference (bf16: fp32 on the same runtime; fp32 runtimes: Keras fp32), its overall
accuracy against the manual masks and ΔOA against the reference.  A precision the CPU or
runtime does not offer is recorded with the reason.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from inference_tasks import SHARED

L8_VAL = SHARED / "l8-biome-patches" / "val"
S2_PATCH = SHARED / "ukis-csmask" / "sentinel2.npz"
REFERENCE = ("keras", "fp32")


def data_present() -> bool:
    return (L8_VAL / "Images").is_dir() and S2_PATCH.is_file()


def load_sets() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{set name: (inputs (n, H, W, 6) float32, cloud (n, H, W) bool, valid bool)}."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    images, clouds, valids = [], [], []
    for path in sorted((L8_VAL / "Images").glob("*.tif")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                image = np.moveaxis(src.read([1, 2, 3, 4, 5, 6]), 0, -1).astype(np.float32)
            with rasterio.open(L8_VAL / "Masks" / path.name) as src:
                codes = src.read(1)
        images.append(image)
        clouds.append(codes >= 192)
        valids.append((codes != 0) & np.isfinite(image).all(axis=-1))
    s2 = np.load(S2_PATCH)
    s2_img = s2["img"].astype(np.float32)[None]
    sets = {"L8 Biome val": (np.stack(images), np.stack(clouds), np.stack(valids)),
            "S2 patch": (s2_img, (s2["msk"][..., 0] == 4)[None],
                         np.isfinite(s2_img).all(axis=-1))}
    return {k: (np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), c, v)
            for k, (x, c, v) in sets.items()}


def cloud_of(runner, x: np.ndarray) -> np.ndarray:
    """Cloud (bool) per pixel of a reflectance batch."""
    from crossmask.classes import is_cloud
    from crossmask.pipelines.inference.predict import mask_classes
    from crossmask.pipelines.inference.tiling import model_class_names

    card = runner.card
    classes = mask_classes(runner(x), card.threshold, card.output)
    cloud_ids = [i for i, n in enumerate(model_class_names(card)) if is_cloud(n)]
    return np.isin(classes, cloud_ids)


def child_accuracy(spec: dict) -> dict:
    """spec: model_dir, configs [[runtime, precision], …]; returns {"rows": […]}."""
    from inference_tasks import load

    start = time.perf_counter()
    sets = load_sets()
    predicted: dict[tuple[str, str], dict] = {}
    rows = []
    configs = [tuple(c) for c in spec["configs"]]
    for runtime, precision in [REFERENCE, *[c for c in configs if c != REFERENCE]]:
        runner, reason = load({**spec, "runtime": runtime, "precision": precision})
        if runner is None:
            rows.append({"runtime": runtime, "precision": precision, "error": reason})
            continue
        predicted[runtime, precision] = {k: cloud_of(runner, x) for k, (x, _, _) in sets.items()}
        against = (runtime, "fp32") if precision != "fp32" else REFERENCE
        rows.append(_compare(runtime, precision, against, predicted, sets))
    return {"rows": rows, "seconds": time.perf_counter() - start,
            "sets": {k: {"patches": int(x.shape[0]), "valid_px": int(v.sum())}
                     for k, (x, _, v) in sets.items()}}


def _compare(runtime: str, precision: str, against: tuple[str, str], predicted: dict,
             sets: dict) -> dict:
    row = {"runtime": runtime, "precision": precision, "against": "/".join(against)}
    if against not in predicted:
        row["error"] = f"no {'/'.join(against)} reference to compare with"
        return row
    for name, (_, truth, valid) in sets.items():
        mine, ref = predicted[runtime, precision][name], predicted[against][name]
        n = int(valid.sum())
        oa, oa_ref = ((c == truth)[valid].sum() / n for c in (mine, ref))
        row[name] = {"class_change": float((mine != ref)[valid].sum() / n),
                     "changed_px": int((mine != ref)[valid].sum()), "oa": float(oa),
                     "delta_oa": float(oa - oa_ref)}
    return row
