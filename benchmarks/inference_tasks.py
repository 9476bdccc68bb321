"""The measured tasks of ``benchmarks/inference.py``: input generation and the child
processes (one per measurement, so that each peak RSS is its own)."""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
IPLUV_FILE = SHARED / "dl-l8s2-uv" / "landsatbiomeRGBISWIR7.hdf5"

#: Bands of the generated GeoTIFF (Landsat-8 OLI names) and their clear-sky reflectance.
BANDS = {"B1": 0.12, "B2": 0.10, "B3": 0.09, "B4": 0.08, "B5": 0.25, "B6": 0.18,
         "B7": 0.11, "B9": 0.005}
#: The six bands ukis-csmask's 6-band model and the IPL-UV RGBISWIR model take.
SIX_BANDS = ["B2", "B3", "B4", "B5", "B6", "B7"]
UKIS_ORDER = ["blue", "green", "red", "nir", "swir16", "swir22"]
OVERLAP = 64


# --------------------------------------------------------------------------- input
def smooth_field(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Cubic-spline upsampled uniform noise: a smooth size × size field in 0–1."""
    from scipy.ndimage import zoom

    coarse = rng.random((cells + 3, cells + 3))
    fine = zoom(coarse, size / cells, order=3, prefilter=False)
    offset = int(size / cells)  # drop the spline's border
    return np.clip(fine[offset:offset + size, offset:offset + size], 0, 1).astype(np.float32)


def write_input(path: Path, size: int, seed: int = 0) -> Path:
    """Write the 8-band reflectance GeoTIFF (float32, 0–1) unless it is cached."""
    import rasterio
    from rasterio.transform import from_origin

    if path.exists():
        return path
    print(f"generating a {size} x {size} px, {len(BANDS)}-band GeoTIFF {path} (once) ...",
          flush=True)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    cloud = np.clip((smooth_field(rng, size, max(4, size // 256)) - 0.55) * 4, 0, 1)
    land = smooth_field(rng, size, max(4, size // 64))
    profile = dict(driver="GTiff", width=size, height=size, count=len(BANDS),
                   dtype="float32", crs="EPSG:32633",
                   transform=from_origin(500000, 5000000, 30, 30), nodata=float("nan"),
                   compress="deflate", predictor=3, zlevel=1, interleave="band", tiled=True,
                   blockxsize=512, blockysize=512, bigtiff="if_safer")
    tmp = path.with_name(path.name + ".part")
    with rasterio.open(tmp, "w", **profile) as dst:
        for i, (band, clear) in enumerate(BANDS.items(), start=1):
            surface = clear * (0.5 + land) + 0.01 * rng.standard_normal(land.shape, np.float32)
            bright = 0.1 if band == "B9" else 0.7
            refl = np.clip(surface * (1 - cloud) + bright * cloud, 0, 1).astype(np.float32)
            dst.write(refl, i)
            dst.set_band_description(i, band)
    tmp.replace(path)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def write_compare(big: Path, path: Path, array_path: Path, size: int) -> None:
    """Top-left ``size`` crop of ``big``: as a GeoTIFF (8 bands) and a B2–B7 .npy array."""
    import rasterio
    from rasterio.windows import Window

    window = Window(0, 0, size, size)
    if not path.exists():
        with rasterio.open(big) as src:
            profile = src.profile | {"width": size, "height": size,
                                     "transform": src.window_transform(window)}
            tmp = path.with_name(path.name + ".part")
            with rasterio.open(tmp, "w", **profile) as dst:
                for i, band in enumerate(src.descriptions, start=1):
                    dst.write(src.read(i, window=window), i)
                    dst.set_band_description(i, band)
        tmp.replace(path)
    if not array_path.exists():
        with rasterio.open(path) as src:
            order = [list(src.descriptions).index(b) + 1 for b in SIX_BANDS]
            cube = np.moveaxis(src.read(order), 0, -1).astype(np.float32)
        tmp = array_path.with_name(array_path.name + ".part.npy")
        np.save(tmp, cube)
        tmp.replace(array_path)


# --------------------------------------------------------------------------- children
def child_crossmask(model_name: str, tif: str, out: str, tile: int, batch_size: int,
                    bands: list[str], dtype: str = "float32") -> dict:
    """Time `predict_product` with one crossmask or imported IPL-UV model."""
    start = time.perf_counter()
    if dtype == "bfloat16":
        import keras

        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    from crossmask.models.card import ModelCard, load_model
    from crossmask.pipelines.inference.predict import predict_product
    from crossmask.products import open_geotiff

    product = open_geotiff(tif, "L8")
    if model_name == "ipluv":
        from crossmask.models.ipluv import import_ipluv

        model_dir = import_ipluv(IPLUV_FILE, Path(out).with_name("ipluv_model"),
                                 overwrite=True)
        model, card = load_model(model_dir)
    else:
        from crossmask.models.registry import get_model, model_stride

        model = get_model(model_name, n_bands=len(bands), n_classes=2, width=1.0)
        card = ModelCard(model_name, list(bands), "binary", ["clear", "cloud"],
                         output="softmax", stride=model_stride(model_name),
                         normalization={"mean": [0.15] * len(bands),
                                        "std": [0.1] * len(bands)},
                         name=f"{model_name}-random", source="random weights (benchmark)")
    build_s = time.perf_counter() - start
    n_tiles, tile = _warm_up(model, card, product, tile, batch_size)
    setup_s = time.perf_counter() - start
    t0 = time.perf_counter()
    result = predict_product([(model, card)], product, out, tile=tile, overlap=OVERLAP,
                             batch_size=batch_size, overwrite=True, progress=False)
    seconds = time.perf_counter() - t0
    return {"params": int(model.count_params()), "bands": list(card.bands),
            "build_s": build_s, "setup_s": setup_s, "seconds": seconds,
            "tiles": n_tiles, "tiled_px": n_tiles * tile * tile,
            "cloud_fraction": result.cloud_fraction}


def _warm_up(model, card, product, tile: int, batch_size: int) -> tuple[int, int]:
    """Call the model once per batch shape `predict_product` will use (graph tracing).

    Returns the number of tiles the pipeline will predict and their size.
    """
    from crossmask.pipelines.inference.tiling import prepare_tiling, tile_origins

    grid, tile, overlap = prepare_tiling([card], product, tile, OVERLAP)
    n_x = len(tile_origins(grid.width, tile, tile - overlap))
    for n in sorted({min(batch_size, n_x), n_x % batch_size} - {0}):
        model.predict_on_batch(np.zeros((n, tile, tile, len(card.bands)), np.float32))
    return n_x * len(tile_origins(grid.height, tile, tile - overlap)), tile


def child_ukis(array: str, batch_size: int) -> dict:
    """Time `CSmask` (6-band L1C ONNX model) on the cached array; session load excluded."""
    start = time.perf_counter()
    import onnxruntime
    from ukis_csmask import mask as csmask

    img = np.load(array)
    model_file = Path(csmask.__file__).with_name("model_6b_l1c.onnx")
    session = onnxruntime.InferenceSession(str(model_file),
                                           providers=onnxruntime.get_available_providers())
    build_s = time.perf_counter() - start
    name = session.get_inputs()[0].name
    session.run(None, {name: np.zeros((batch_size, 6, 256, 256), np.float32)})
    setup_s = time.perf_counter() - start
    real = onnxruntime.InferenceSession
    onnxruntime.InferenceSession = lambda *args, **kwargs: session  # reuse the loaded one
    try:
        t0 = time.perf_counter()
        result = csmask.CSmask(img, band_order=UKIS_ORDER, batch_size=batch_size)
        seconds = time.perf_counter() - t0
    finally:
        onnxruntime.InferenceSession = real
    return {"params": model_file.stat().st_size // 4, "bands": UKIS_ORDER,
            "build_s": build_s, "setup_s": setup_s, "seconds": seconds,
            "cloud_fraction": float((result.csm == 1).mean())}


def child_network(model_name: str, width: float, tile: int, batch_size: int,
                  n_bands: int = 6, repeats: int = 3) -> dict:
    """Time the network alone (``predict_on_batch`` on random input, no I/O)."""
    from crossmask.models.registry import get_model

    start = time.perf_counter()
    model = get_model(model_name, n_bands=n_bands, n_classes=2, width=width)
    x = np.random.default_rng(0).random((batch_size, tile, tile, n_bands), np.float32)
    model.predict_on_batch(x)
    setup_s = time.perf_counter() - start
    t0 = time.perf_counter()
    for _ in range(repeats):
        model.predict_on_batch(x)
    seconds = (time.perf_counter() - t0) / repeats
    return {"params": int(model.count_params()), "bands": [f"b{i}" for i in range(n_bands)],
            "build_s": setup_s, "setup_s": setup_s, "seconds": seconds,
            "tiled_px": batch_size * tile * tile}


def child(args: argparse.Namespace) -> None:
    """Run one measured task in this (fresh) process and print its JSON result."""
    if args.child == "ukis":
        row = child_ukis(args.input, args.batch_size)
    elif args.child == "network":
        row = child_network("unmask", args.width, args.tile, args.batch_size)
    else:
        bands = args.bands.split(",") if args.bands else list(BANDS)
        row = child_crossmask(args.child, args.input, args.out, args.tile, args.batch_size,
                              bands, args.dtype)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(row))
