"""The peer detectors of ``benchmarks/inference.py``, end to end and network only, on the
same GeoTIFF and cores as the crossmask models.

* ukis-csmask: its 6-band L1C ONNX model through `CSmask` (onnxruntime, as many threads
  as cores, batch 4 by default), bands B2–B7 by common name.  End to end: read the six
  bands of the GeoTIFF, `CSmask` (normalise, 256 px tiles overlapping by 20 %, network,
  smooth untiling, argmax), write the mask as a deflated GeoTIFF.  The session is created
  and warmed up before the clock starts, as the crossmask runners are.  Network only:
  ``session.run`` on random (batch, 6, 256, 256) tiles.
* s2cloudless: LightGBM on the 10 Sentinel-2 bands B1, B2, B4, B5, B8, B8A, B9, B10, B11,
  B12; threshold 0.4, average over 4 px, dilation 2 (as ``crossmask evaluate`` runs it).
  The GeoTIFF holds Landsat-8 bands, so L8 bands stand in for them (:data:`S2_STAND_INS`):
  the speed is that of the real classifier on as many pixels, the mask means nothing.
  Network only: the classifier's probabilities (`get_cloud_probability_maps`) on the
  array, without reading, post-processing or writing.
"""

from __future__ import annotations

import os
import time

import numpy as np
from inference_tasks import SIX_BANDS, UKIS_ORDER

UKIS_TILE = 256
#: Sentinel-2 band s2cloudless needs → the Landsat-8 band that stands in for it.
S2_STAND_INS = {"B1": "B1", "B2": "B2", "B4": "B4", "B5": "B4", "B8": "B5", "B8A": "B5",
                "B9": "B5", "B10": "B9", "B11": "B6", "B12": "B7"}


def read_cube(path: str, bands: list[str]) -> tuple[np.ndarray, dict]:
    """(rows, cols, bands) float32 of the named bands (fill → 0) and the file's profile."""
    import rasterio

    with rasterio.open(path) as src:
        names = list(src.descriptions)
        cube = np.empty((src.height, src.width, len(bands)), np.float32)
        cache: dict[str, np.ndarray] = {}
        for i, band in enumerate(bands):
            if band not in cache:
                cache[band] = src.read(names.index(band) + 1)
            cube[..., i] = cache[band]
        profile = src.profile
    np.nan_to_num(cube, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return cube, profile


def write_mask(path: str, mask: np.ndarray, profile: dict) -> None:
    import rasterio

    out = profile | {"count": 1, "dtype": "uint8", "nodata": 255, "compress": "deflate",
                     "predictor": 1, "tiled": True, "blockxsize": 512, "blockysize": 512}
    out.pop("zlevel", None)
    with rasterio.open(path, "w", **out) as dst:
        dst.write(mask.astype(np.uint8), 1)


def _ukis_session(batch: int):
    import onnxruntime
    from inference_models import ukis_model_file

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = os.cpu_count() or 1, 1
    session = onnxruntime.InferenceSession(str(ukis_model_file()), options,
                                           providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    session.run(None, {name: np.zeros((batch, 6, UKIS_TILE, UKIS_TILE), np.float32)})
    return session, name


def child_ukis_e2e(spec: dict) -> dict:
    start = time.perf_counter()
    import onnxruntime
    from ukis_csmask import mask as csmask
    from ukis_csmask.utils import tile_array

    session, _ = _ukis_session(spec["batch"])
    setup_s = time.perf_counter() - start
    real = onnxruntime.InferenceSession
    onnxruntime.InferenceSession = lambda *args, **kwargs: session  # reuse the warm one
    try:
        t0 = time.perf_counter()
        cube, profile = read_cube(spec["input"], SIX_BANDS)
        result = csmask.CSmask(cube, band_order=UKIS_ORDER, product_level="l1c",
                               invalid_buffer=0, batch_size=spec["batch"])
        write_mask(spec["out"], result.csm[..., 0], profile)
        seconds = time.perf_counter() - t0
    finally:
        onnxruntime.InferenceSession = real
    rows, cols = cube.shape[:2]
    n_tiles = len(tile_array(np.zeros((rows, cols, 1), np.uint8), xsize=UKIS_TILE,
                             ysize=UKIS_TILE, overlap=0.2))
    return {"setup_s": setup_s, "seconds": seconds, "tile": UKIS_TILE, "tiles": n_tiles,
            "tiled_px": n_tiles * UKIS_TILE**2, "precision_used": "fp32",
            "cloud_fraction": float((result.csm == 1).mean())}


def child_ukis_network(spec: dict, min_seconds: float = 3.0, min_calls: int = 3) -> dict:
    start = time.perf_counter()
    session, name = _ukis_session(spec["batch"])
    x = np.random.default_rng(0).standard_normal((spec["batch"], 6, UKIS_TILE, UKIS_TILE),
                                                 np.float32)
    setup_s = time.perf_counter() - start
    calls, t0 = 0, time.perf_counter()
    while calls < min_calls or time.perf_counter() - t0 < min_seconds:
        session.run(None, {name: x})
        calls += 1
    return {"setup_s": setup_s, "seconds": (time.perf_counter() - t0) / calls,
            "calls": calls, "tiled_px": spec["batch"] * UKIS_TILE**2}


def _detector():
    from s2cloudless import S2PixelCloudDetector

    return S2PixelCloudDetector(threshold=0.4, average_over=4, dilation_size=2,
                                all_bands=False)


def child_s2cloudless(spec: dict) -> dict:
    """End to end (``spec["network"]`` false) or the classifier alone."""
    start = time.perf_counter()
    detector = _detector()
    detector.classifier.image_predict_proba(np.zeros((1, 16, 16, 10), np.float32))
    setup_s = time.perf_counter() - start
    bands = list(S2_STAND_INS.values())
    if spec.get("network"):
        cube, _ = read_cube(spec["input"], bands)
        t0 = time.perf_counter()
        detector.get_cloud_probability_maps(cube[None])
        seconds = time.perf_counter() - t0
        return {"setup_s": setup_s, "seconds": seconds, "tiled_px": cube.shape[0] * cube.shape[1]}
    t0 = time.perf_counter()
    cube, profile = read_cube(spec["input"], bands)
    prob = detector.get_cloud_probability_maps(cube[None])
    mask = detector.get_mask_from_prob(prob)[0]
    write_mask(spec["out"], mask, profile)
    seconds = time.perf_counter() - t0
    px = cube.shape[0] * cube.shape[1]
    return {"setup_s": setup_s, "seconds": seconds, "tile": None, "tiles": 1, "tiled_px": px,
            "precision_used": "fp32", "cloud_fraction": float(mask.mean())}
