"""Benchmark how batch runs scale: ``run_batch`` serially in one process and on local Dask
clusters of one-thread workers, for ``harmonize apply`` (Sentinel-2) and ``predict``
(Landsat-8).

Inputs (generated once, cached in ``--workdir``; see ``scale_setup.py``):

* harmonise: a full-size 10980 × 10980 px Sentinel-2 L1C SAFE product in the real layout
  (JPEG 2000), the one ``benchmarks/harmonize.py`` generates; job: ``HarmonizeJob()`` (OLS
  to L8, float32, 30 m);
* predict: a full-size 7700 × 7800 px (rows × columns) Landsat-8 Level-1 scene folder in
  the L8 Biome / pre-collection USGS layout (uint16 band GeoTIFFs + BQA + MTL, written strip
  by strip with rasterio by ``benchmarks/inference_scene.py``); job: ``PredictJob`` with a
  random-weight UNmask (width 1, L8 B2–B7) on the Keras runtime (``--runtimes keras,onnx``
  adds ONNX Runtime).

The ``--products`` products of a job are symlinks to the one cached product, each in its
own folder (``pNN/<name>``): separate paths, hence separate outputs, the same pixels.
Configurations, each on fresh processes:

* ``serial``   — ``run_batch(workers=None)`` in a fresh subprocess (libraries use all cores;
  peak RSS is that process's own);
* ``dask 1×1`` — a LocalCluster of 1 worker process with 1 thread (``dask_client(1,
  threads_per_worker=1)``: TensorFlow, ONNX Runtime and GDAL get 1 thread);
* ``dask 2×1`` — 2 such workers.

Only the ``run_batch`` call is timed (the cluster is started before, and each worker has
imported ``crossmask.pipelines.batch.run``, as the serial process has; starting the cluster
is reported apart).  Per configuration: scenes per hour, scheduler overhead per scene
``(wall × workers − Σ per-product seconds) / products`` (also as % of the mean product
seconds; per-product seconds are ``Outcome.seconds``, model loading included), peak RSS
per worker (``ru_maxrss`` through ``client.run`` at the end).  Per job: speed-up of 2
workers over 1, parallel efficiency (speed-up / 2), 2 workers against serial, and the
README table "what an archive costs" (1 000 S2 tiles on 1, 2, 16, 64 cores; 16 and 64
extrapolated from the measured 2-worker efficiency).  Prints tables and writes
``benchmarks/results/scale.json`` (``scale_quick.json`` with ``--quick``); a job skipped
with ``--skip-*`` keeps its rows from the earlier file (same grids and product count), so
the two jobs may be run one at a time.

    python benchmarks/scale.py [--products 8] [--quick] [--skip-harmonize] [--skip-predict]
                               [--runtimes keras[,onnx]] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_report  # noqa: E402
import scale_setup  # noqa: E402

#: Full-size grids: S2 tile edge at 60 m (10980 px at 10 m); L8 scene rows × columns.
FULL = {"size_60m": 1830, "l8": (7700, 7800)}
#: --quick: a 1830 px S2 tile and the 1560 × 1540 px scene benchmarks/inference.py caches.
QUICK = {"size_60m": 305, "l8": (1560, 1540), "products": 4}
CONFIGS = (("serial", None), ("dask 1x1", 1), ("dask 2x1", 2))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=None,
                        help="products per job (default 8; 4 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="small grids (1830 px S2 tile, 1560 × 1540 px L8 scene)")
    parser.add_argument("--skip-harmonize", action="store_true")
    parser.add_argument("--skip-predict", action="store_true")
    parser.add_argument("--runtimes", default="keras",
                        help="predict runtimes, comma-separated: keras, onnx")
    parser.add_argument("--workdir", type=Path, default=HERE / "cache")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.products = args.products or (QUICK["products"] if args.quick else 8)
    return args


# --------------------------------------------------------------------------- measuring
def child_serial(spec_file: str) -> None:
    """Run one serial batch in this fresh process; print its JSON row."""
    from crossmask.pipelines.batch.run import run_batch

    job, sources, out_dir = pickle.loads(Path(spec_file).read_bytes())
    start = time.perf_counter()
    report = run_batch(job, sources, out_dir, workers=None, progress=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(_row(report, wall, 1, 0.0, [peak])))


def _row(report, wall: float, workers: int, start_s: float, rss_mb: list[float]) -> dict:
    seconds = [o.seconds for o in report.outcomes]
    return {"wall_s": wall, "workers": workers, "cluster_start_s": start_s,
            "product_s": seconds, "failed": [f"{o.name}: {o.reason}" for o in report.failed],
            "statuses": report.counts(), "peak_rss_mb": rss_mb}


def measure_serial(job, sources: list, out_dir: Path) -> dict:
    spec = out_dir.parent / f"{out_dir.name}.pkl"
    spec.write_bytes(pickle.dumps((job, sources, out_dir)))
    cmd = [sys.executable, __file__, "--child", str(spec)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"serial run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_dask(job, sources: list, out_dir: Path, workers: int) -> dict:
    from crossmask.pipelines.batch.cluster import dask_client
    from crossmask.pipelines.batch.run import run_batch

    logging.getLogger("distributed.nanny").setLevel(logging.ERROR)  # slow TF exits
    start = time.perf_counter()
    with dask_client(workers, threads_per_worker=1) as client:
        client.wait_for_workers(workers)
        client.run(lambda: bool(importlib.import_module("crossmask.pipelines.batch.run")))
        start_s = time.perf_counter() - start
        t0 = time.perf_counter()
        report = run_batch(job, sources, out_dir, scheduler=client.scheduler.address,
                           progress=False)
        wall = time.perf_counter() - t0
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return _row(report, wall, workers, start_s, list(rss.values()))


def measure(name: str, job, sources: list, scratch: Path) -> list[dict]:
    """Every configuration of one job; outputs removed before each run (no skipping)."""
    rows = []
    for config, workers in CONFIGS:
        out_dir = scratch / f"{name}_{config.replace(' ', '_')}"
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"  {name}: {config} ...", flush=True)
        load = os.getloadavg()[0]
        row = (measure_serial(job, sources, out_dir) if workers is None
               else measure_dask(job, sources, out_dir, workers))
        row.update(job=name, config=config, threads_per_worker=None if workers is None else 1,
                   loadavg_before=load, loadavg_after=os.getloadavg()[0])
        scale_report.derive(row)
        rows.append(row)
        print(f"    {row['wall_s']:.1f} s wall, {row['scenes_per_hour']:.1f} scenes/h, "
              f"overhead {row['overhead_pct']:.2f} %, peak RSS "
              f"{max(row['peak_rss_mb']):.0f} MB", flush=True)
        shutil.rmtree(out_dir, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- jobs
def harmonize_runs(args, scratch: Path) -> tuple[list[dict], dict]:
    from crossmask.pipelines.batch.jobs import HarmonizeJob

    size_60m = QUICK["size_60m"] if args.quick else FULL["size_60m"]
    safe = scale_setup.s2_product(args.workdir, size_60m)
    sources = scale_setup.linked_sources(safe, args.products,
                                         scratch / "links" / f"s2_{size_60m}")
    grid = {"product": str(safe), "px_10m": size_60m * 6, "px_30m": size_60m * 2}
    return measure("harmonize", HarmonizeJob(), sources, scratch), grid


def predict_runs(args, scratch: Path, runtime: str) -> tuple[list[dict], dict]:
    from crossmask.pipelines.batch.jobs import PredictJob

    rows, cols = QUICK["l8"] if args.quick else FULL["l8"]
    scene = scale_setup.l8_scene(args.workdir, rows, cols)
    model = scale_setup.model_folder(args.workdir, ("onnx",) if runtime == "onnx" else ())
    sources = scale_setup.linked_sources(scene, args.products,
                                         scratch / "links" / f"l8_{rows}x{cols}")
    job = PredictJob(models=(str(model),), runtime=runtime)
    grid = {"product": str(scene), "rows": rows, "cols": cols, "model": str(model),
            "runtime": runtime, "tile": job.tile, "batch_size": job.batch_size}
    return measure(f"predict {runtime}", job, sources, scratch), grid


def runtimes(args, notes: list[str]) -> list[str]:
    wanted = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    if "onnx" in wanted and not scale_setup.onnx_available():
        notes.append("onnx skipped: onnxruntime or tf2onnx is not installed")
        wanted.remove("onnx")
    return wanted


def carry_over(record: dict, path: Path, skipped: list[str]) -> None:
    """Rows of skipped jobs from an earlier result at ``path`` (same grids and product
    count), so that harmonise and predict can be run one at a time into one table."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if (old.get("quick"), old.get("products")) != (record["quick"], record["products"]):
        return
    for prefix in skipped:
        jobs = [j for j in old.get("grids", {}) if j.startswith(prefix)]
        for job in jobs:
            record["grids"][job] = old["grids"][job]
            record["runs"] += [r for r in old["runs"] if r["job"] == job]
            record["notes"].append(f"{job}: rows carried over from {path.name} of "
                                   f"{old.get('date', '?')} (skipped in this run)")


def main() -> None:
    args = parse_args()
    if args.child:
        child_serial(args.child)
        return
    scratch = args.workdir / "scale"
    scratch.mkdir(parents=True, exist_ok=True)
    notes = [f"the {args.products} products of each job are symlinks (one folder each) to "
             "one cached product: separate paths and outputs, identical pixels"]
    if args.quick:
        notes.append("--quick: small grids, not the full-size benchmark")
    start, rows, grids = time.perf_counter(), [], {}
    if not args.skip_harmonize:
        found, grids["harmonize"] = harmonize_runs(args, scratch)
        rows += found
    if not args.skip_predict:
        for runtime in runtimes(args, notes):
            found, grids[f"predict {runtime}"] = predict_runs(args, scratch, runtime)
            rows += found
    record = {"benchmark": "scale", "quick": args.quick, "products": args.products,
              "date": time.strftime("%Y-%m-%d %H:%M"), "cpu_count": os.cpu_count(),
              "machine": platform.platform(), "python": platform.python_version(),
              "grids": grids, "runs": rows, "total_s": time.perf_counter() - start,
              "notes": notes}
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    path = results / ("scale_quick.json" if args.quick else "scale.json")
    carry_over(record, path, [p for p, skip in (("harmonize", args.skip_harmonize),
                                                ("predict", args.skip_predict)) if skip])
    scale_report.summarize(record)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
