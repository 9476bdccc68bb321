"""The measured tasks of ``benchmarks/inference.py``: input generation and the crossmask
children (one process per measurement, so that each peak RSS is its own): end to end
through `predict_product` and the network alone (`Runner.network` on normalised batches).
"""

from __future__ import annotations

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
    profile = {"driver": "GTiff", "width": size, "height": size, "count": len(BANDS),
               "dtype": "float32", "crs": "EPSG:32633",
               "transform": from_origin(500000, 5000000, 30, 30), "nodata": float("nan"),
               "compress": "deflate", "predictor": 3, "zlevel": 1, "interleave": "band",
               "tiled": True, "blockxsize": 512, "blockysize": 512, "bigtiff": "if_safer"}
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


def write_crop(big: Path, path: Path, size: int) -> Path:
    """The top-left ``size`` × ``size`` crop of ``big`` (all bands) unless it is cached."""
    import rasterio
    from rasterio.windows import Window

    if path.exists():
        return path
    window = Window(0, 0, size, size)
    with rasterio.open(big) as src:
        profile = src.profile | {"width": size, "height": size,
                                 "transform": src.window_transform(window)}
        tmp = path.with_name(path.name + ".part")
        with rasterio.open(tmp, "w", **profile) as dst:
            for i, band in enumerate(src.descriptions, start=1):
                dst.write(src.read(i, window=window), i)
                dst.set_band_description(i, band)
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- children
class Timed:
    """A callable that adds up the seconds spent in ``function`` (any thread)."""

    def __init__(self, function):
        self.function, self.seconds, self.calls = function, 0.0, 0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0


def load(spec: dict):
    """The spec's model on its runtime and precision: (Runner, None) or (None, reason)."""
    from crossmask.errors import InputError
    from crossmask.models.runtime import bf16_cpu, load_runner

    try:
        return load_runner(spec["model_dir"], spec["runtime"], spec["precision"],
                           threads=spec.get("threads")), None
    except InputError as err:
        if spec["precision"] == "bf16" and spec["runtime"] != "openvino":
            return None, f"the {spec['runtime']} runtime runs fp32 only — {err}"
        if spec["precision"] == "bf16" and not bf16_cpu():
            return None, f"not supported on this CPU (no AVX-512 BF16/AMX) — {err}"
        return None, str(err)


def child_e2e(spec: dict) -> dict:
    """Time `predict_product` with one model folder on one runtime: reading the GeoTIFF,
    tiling, the network, blending, COG writing.  Loading and one network call per batch
    shape the pipeline will use are "setup", not timed.  The seconds spent inside the
    network calls and in band reads (reader thread) are added up on the side."""
    import dataclasses

    start = time.perf_counter()
    from crossmask.pipelines.inference.predict import predict_product
    from crossmask.products import open_geotiff

    runner, reason = load(spec)
    if runner is None:
        return {"error": reason}
    product = open_geotiff(spec["input"], "L8")
    network = Timed(runner.network)
    runner = dataclasses.replace(runner, network=network)
    reads = Timed(product.read)
    product.read = reads
    n_tiles, tile = _warm_up(runner, product, spec["tile"], spec["batch"])
    network.reset(), reads.reset()
    setup_s = time.perf_counter() - start
    t0 = time.perf_counter()
    result = predict_product([runner], product, spec["out"], tile=spec["tile"],
                             overlap=OVERLAP, batch_size=spec["batch"], overwrite=True,
                             progress=False)
    seconds = time.perf_counter() - t0
    return {"setup_s": setup_s, "seconds": seconds, "tile": tile, "tiles": n_tiles,
            "tiled_px": n_tiles * tile * tile, "network_s": network.seconds,
            "network_calls": network.calls, "read_s": reads.seconds,
            "precision_used": runner.precision, "cloud_fraction": result.cloud_fraction}


def _warm_up(runner, product, tile: int, batch_size: int) -> tuple[int, int]:
    """Call the network once per batch shape `predict_product` will use (graph tracing,
    allocation); return the number of tiles it will predict and their (fitted) size."""
    from crossmask.pipelines.inference.tiling import prepare_tiling, tile_origins

    grid, tile, overlap = prepare_tiling([runner.card], product, tile, OVERLAP)
    n_x = len(tile_origins(grid.width, tile, tile - overlap))
    for n in sorted({min(batch_size, n_x), n_x % batch_size} - {0}):
        runner.network(np.zeros((n, tile, tile, len(runner.card.bands)), np.float32))
    return n_x * len(tile_origins(grid.height, tile, tile - overlap)), tile


def child_network(spec: dict, min_seconds: float = 3.0, min_calls: int = 3) -> dict:
    """Time ``Runner.network`` alone on a normalised random (batch, tile, tile, bands)
    batch: mean of at least ``min_calls`` calls and ``min_seconds``, after one warm-up."""
    start = time.perf_counter()
    runner, reason = load(spec)
    if runner is None:
        return {"error": reason}
    shape = (spec["batch"], spec["tile"], spec["tile"], len(runner.card.bands))
    x = np.random.default_rng(0).standard_normal(shape, np.float32)
    runner.network(x)
    setup_s = time.perf_counter() - start
    calls, t0 = 0, time.perf_counter()
    while calls < min_calls or time.perf_counter() - t0 < min_seconds:
        runner.network(x)
        calls += 1
    seconds = (time.perf_counter() - t0) / calls
    return {"setup_s": setup_s, "seconds": seconds, "calls": calls,
            "tiled_px": spec["batch"] * spec["tile"] ** 2}
