"""Benchmark cloud-mask inference speed and peak memory on this CPU, against ukis-csmask.

Generates (once, cached) a size × size px, 8-band (L8 B1–B7, B9) float32 reflectance
GeoTIFF with smooth random content, laid out as ``harmonize apply`` writes it (512 px
tiles, deflate, one band after another), and a compare-size crop of it for the
ukis-csmask comparison (as a GeoTIFF and as a 6-band B2–B7 array).  Then, each in a
fresh subprocess so peak RSS is its own, times:

* every crossmask model at default width (random weights, 2 classes, 8 bands) through
  `predict_product` — the real tiled pipeline: reading, blending, COG writing;
* the IPL-UV U-Net (``landsatbiomeRGBISWIR7.hdf5`` via `import_ipluv`, bands B2–B7 of
  the same file), when ../shared/data is present;
* ukis-csmask (`CSmask`, 6-band ONNX model) on the compare-size array, and UNmask with
  the same six bands through `predict_product` on the same pixels: prints the
  UNmask / ukis-csmask Mpx/s ratio;
* UNmask on the compare-size input at a few tile × batch settings;
* the UNmask network alone (no I/O) at widths 1 and 2 (16- and 32-channel U-Nets).

Only the prediction is timed.  Building or loading the model, and one call per input
shape the pipeline will use (TensorFlow traces the graph; onnxruntime allocates), is
reported separately as "setup".  Mpx/s counts image pixels, not tile pixels; "work" is
predicted tile pixels per image pixel (the cost of tile overlap).  The parameter count
of ukis-csmask is estimated as its ONNX file size / 4 bytes.  Prints the tables and writes
benchmarks/results/inference.json (``inference_bfloat16.json`` with ``--dtype bfloat16``).

    python benchmarks/inference.py [--size 4096] [--models unmask,ipluv,ukis] [--tile 512]
        [--batch-size 4] [--repeats 1] [--compare-repeats 3] [--sweep 512x4,1024x1] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from importlib import metadata
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
CROSSMASK_MODELS = ("unmask", "fcnmask", "snmask", "dlmask")
DEFAULT_MODELS = (*CROSSMASK_MODELS, "ipluv", "ukis")
DEFAULT_SWEEP = "256x16,512x1,512x8,768x2,1024x1"
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
    from crossmask.harmonize.readers.geotiff import open_geotiff
    from crossmask.models.card import ModelCard, load_model
    from crossmask.pipelines.predict import predict_product

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
    from crossmask.pipelines.predict import prepare_tiling, tile_origins

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


# --------------------------------------------------------------------------- parent
def measure(label: str, model: str, source: Path, size: int, tile: int, batch_size: int,
            workdir: Path, bands: list[str] | None = None, dtype: str = "float32",
            width: float = 1.0) -> dict:
    cmd = [sys.executable, __file__, "--child", model, "--input", str(source),
           "--out", str(workdir / f"mask_{model}.tif"), "--tile", str(tile),
           "--batch-size", str(batch_size), "--dtype", dtype, "--width", str(width)]
    if bands:
        cmd += ["--bands", ",".join(bands)]
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"{label}: child failed (exit {done.returncode}):\n{tail}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    setting = f"{tile}x{batch_size}" if model != "ukis" else f"256x{batch_size}"
    row.update(label=label, model=model, size=size, setting=setting,
               dtype=dtype if model != "ukis" else "float32",
               mpx_s=(row["tiled_px"] if model == "network" else size * size)
               / row["seconds"] / 1e6, loadavg=os.getloadavg()[0])
    print(f"  {label:22s} {setting:>9s} {row['seconds']:7.2f} s  {row['mpx_s']:5.2f} Mpx/s  "
          f"{row['peak_rss_mb']:6.0f} MB  (setup {row['setup_s']:.1f} s, "
          f"load {row['loadavg']:.2f})", flush=True)
    return row


def best_of(label: str, repeats: int, *args, **kwargs) -> dict:
    rows = [measure(label, *args, **kwargs) for _ in range(repeats)]
    return min(rows, key=lambda r: r["seconds"])


def best_interleaved(repeats: int, tasks: list[tuple]) -> list[dict]:
    """Best of ``repeats`` runs of each task, running the tasks in turn (A B C A B C …) so
    that a change in machine load hits all of them alike."""
    runs = [[measure(*task) for task in tasks] for _ in range(repeats)]
    return [min(column, key=lambda r: r["seconds"]) for column in zip(*runs)]


def versions() -> dict:
    found = {"python": platform.python_version()}
    for dist in ("crossmask", "numpy", "tensorflow-cpu", "tensorflow", "keras", "onnxruntime",
                 "rasterio", "ukis-csmask"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def print_table(title: str, rows: list[dict]) -> None:
    """One row per run; "work" is predicted tile pixels / image pixels (overlap overhead)."""
    print(f"\n{title}")
    print(f"{'model':20s} {'params':>7s} {'input':>10s} {'tile x b':>8s} {'work':>5s} "
          f"{'setup s':>7s} {'seconds':>7s} {'Mpx/s':>6s} {'peak RSS MB':>11s}")
    for r in rows:
        shape = f"{r['size']}²x{len(r['bands'])}"
        work = f"{r['tiled_px'] / r['size'] ** 2:.2f}" if "tiled_px" in r else "-"
        print(f"{r['label']:20s} {r['params'] / 1e6:6.2f}M {shape:>10s} {r['setting']:>8s} "
              f"{work:>5s} {r['setup_s']:7.1f} {r['seconds']:7.2f} {r['mpx_s']:6.2f} "
              f"{r['peak_rss_mb']:11.0f}")


def parse_sweep(text: str) -> list[tuple[int, int]]:
    pairs = []
    for item in filter(None, text.split(",")):
        tile, _, batch = item.partition("x")
        pairs.append((int(tile), int(batch)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=HERE / "cache")
    parser.add_argument("--size", type=int, default=4096, help="input edge (px)")
    parser.add_argument("--compare-size", type=int, default=2048,
                        help="edge of the ukis-csmask comparison input (px)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, from {', '.join(DEFAULT_MODELS)}")
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--ukis-batch-sizes", default="1,4",
                        help="CSmask batch sizes to try; the ratio uses the fastest")
    parser.add_argument("--sweep", help="UNmask tile x batch settings on the compare input "
                        f"('' skips; default {DEFAULT_SWEEP}, with --quick 256x4,512x1)")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs")
    parser.add_argument("--compare-repeats", type=int,
                        help="best of this many runs for the (short) ukis-csmask comparison "
                        "(default 3, with --quick 1)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                        help="compute dtype of the crossmask models (bfloat16: Keras "
                        "mixed_bfloat16 policy)")
    parser.add_argument("--network-widths", default="1,2",
                        help="UNmask widths to time as a bare network (6 bands, one batch "
                        "of tile x tile px, no I/O); '' skips")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1024 px input, 512 px comparison, short sweep")
    parser.add_argument("--child"), parser.add_argument("--input")
    parser.add_argument("--out"), parser.add_argument("--bands")
    parser.add_argument("--width", type=float, default=1.0)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.size, args.compare_size = 1024, 512
    if args.compare_repeats is None:
        args.compare_repeats = 1 if args.quick else 3
    if args.sweep is None:
        args.sweep = "256x4,512x1" if args.quick else DEFAULT_SWEEP
    models = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(DEFAULT_MODELS))
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(DEFAULT_MODELS)}")
    notes = []
    if "ipluv" in models and not IPLUV_FILE.exists():
        models.remove("ipluv")
        notes.append(f"IPL-UV skipped: {IPLUV_FILE} not found (needs ../shared/data)")
        print(notes[-1])
    args.workdir.mkdir(parents=True, exist_ok=True)
    big = write_input(args.workdir / f"l8_{args.size}px_8band.tif", args.size)
    compare = args.workdir / f"l8_{args.compare_size}px_8band.tif"
    array = args.workdir / f"l8_{args.compare_size}px_6band.npy"
    comparing = "ukis" in models or args.sweep
    if comparing:
        write_compare(big, compare, array, args.compare_size)

    load_before = os.getloadavg()
    print(f"\nmeasuring on {os.cpu_count()} CPU cores, load average "
          f"{' '.join(f'{x:.2f}' for x in load_before)}", flush=True)
    main_rows = []
    for model in models:
        if model == "ukis":
            continue
        bands = SIX_BANDS if model == "ipluv" else None
        label = "ipluv RGBISWIR7" if model == "ipluv" else model
        main_rows.append(best_of(label, args.repeats, model, big, args.size, args.tile,
                                 args.batch_size, args.workdir, bands, args.dtype))
    compare_rows, ratio = [], None
    if "ukis" in models:
        tasks = [("ukis-csmask 6b l1c", "ukis", array, args.compare_size, 256, b, args.workdir)
                 for b in map(int, args.ukis_batch_sizes.split(","))]
        tasks.append(("unmask (B2-B7)", "unmask", compare, args.compare_size, args.tile,
                      args.batch_size, args.workdir, SIX_BANDS, args.dtype))
        compare_rows = best_interleaved(args.compare_repeats, tasks)
        ukis, unmask6 = compare_rows[:-1], compare_rows[-1]
        fastest_ukis = max(ukis, key=lambda r: r["mpx_s"])
        ratio = unmask6["mpx_s"] / fastest_ukis["mpx_s"]
    sweep_rows = [best_of("unmask (B2-B7)", args.repeats, "unmask", compare, args.compare_size,
                          tile, batch, args.workdir, SIX_BANDS, args.dtype)
                  for tile, batch in parse_sweep(args.sweep)
                  if not (compare_rows and (tile, batch) == (args.tile, args.batch_size))]
    network_rows = [measure(f"unmask width {w:g}", "network", compare, args.tile, args.tile,
                            args.batch_size, args.workdir, width=w)
                    for w in map(float, filter(None, args.network_widths.split(",")))]
    load_after = os.getloadavg()

    print(f"\ninference, {os.cpu_count()} CPU cores, {args.dtype}, overlap {OVERLAP} px, "
          "prediction time only "
          f"(setup = build/load + first call per batch shape); load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print_table(f"{args.size} x {args.size} px input, crossmask models at width 1.0 "
                "(random weights, 2 classes), predict_product → COG", main_rows)
    if compare_rows:
        print_table(f"{args.compare_size} x {args.compare_size} px, same pixels and bands "
                    "(B2-B7): ukis-csmask CSmask vs UNmask predict_product", compare_rows)
        print(f"UNmask / ukis-csmask Mpx/s ratio: {ratio:.2f}  (target >= 1; UNmask "
              f"{args.tile}x{args.batch_size} reads the GeoTIFF and writes a COG, ukis-csmask "
              f"at its fastest batch size gets the array in memory)")
    fastest = None
    if sweep_rows or compare_rows:
        runs = sweep_rows + compare_rows[-1:] if compare_rows else sweep_rows
        print_table(f"UNmask tile x batch settings, {args.compare_size} px input, bands B2-B7",
                    sorted(runs, key=lambda r: -r["mpx_s"]))
        fastest = max(runs, key=lambda r: r["mpx_s"])
        print(f"fastest setting: tile x batch {fastest['setting']} "
              f"({fastest['mpx_s']:.2f} Mpx/s)")
    if network_rows:
        print(f"\nUNmask network alone ({args.batch_size} x {args.tile}² px x 6 bands per call, "
              "no I/O, mean of 3 calls)")
        print(f"{'model':20s} {'params':>7s} {'seconds':>7s} {'Mpx/s':>6s}")
        for r in network_rows:
            print(f"{r['label']:20s} {r['params'] / 1e6:6.2f}M {r['seconds']:7.2f} "
                  f"{r['mpx_s']:6.2f}")
    for note in notes:
        print(note)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    record = {"benchmark": "inference", "size_px": args.size,
              "compare_size_px": args.compare_size, "tile": args.tile,
              "batch_size": args.batch_size, "overlap": OVERLAP, "repeats": args.repeats,
              "compare_repeats": args.compare_repeats, "dtype": args.dtype,
              "cpu_count": os.cpu_count(), "load_average_before": load_before,
              "load_average_after": load_after, "machine": platform.platform(),
              "versions": versions(), "models": main_rows, "compare": compare_rows,
              "ratio_unmask_over_ukis": ratio, "sweep": sweep_rows, "network": network_rows,
              "fastest_unmask_setting": fastest["setting"] if fastest else None,
              "notes": notes}
    name = "inference.json" if args.dtype == "float32" else f"inference_{args.dtype}.json"
    (results / name).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {results / name}")


if __name__ == "__main__":
    main()
