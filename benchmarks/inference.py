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
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from inference_tasks import (
    HERE,
    IPLUV_FILE,
    OVERLAP,
    SIX_BANDS,
    child,
    write_compare,
    write_input,
)

CROSSMASK_MODELS = ("unmask", "fcnmask", "snmask", "dlmask")
DEFAULT_MODELS = (*CROSSMASK_MODELS, "ipluv", "ukis")
DEFAULT_SWEEP = "256x16,512x1,512x8,768x2,1024x1"


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


def parse_args() -> argparse.Namespace:
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
    if args.quick:
        args.size, args.compare_size = 1024, 512
    if args.compare_repeats is None:
        args.compare_repeats = 1 if args.quick else 3
    if args.sweep is None:
        args.sweep = "256x4,512x1" if args.quick else DEFAULT_SWEEP
    args.model_list = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(args.model_list) - set(DEFAULT_MODELS))
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(DEFAULT_MODELS)}")
    return args


def run_all(args: argparse.Namespace, notes: list[str]) -> dict:
    """Generate the inputs, run every measurement; return the rows by table."""
    models = list(args.model_list)
    if "ipluv" in models and not IPLUV_FILE.exists():
        models.remove("ipluv")
        notes.append(f"IPL-UV skipped: {IPLUV_FILE} not found (needs ../shared/data)")
        print(notes[-1])
    args.workdir.mkdir(parents=True, exist_ok=True)
    big = write_input(args.workdir / f"l8_{args.size}px_8band.tif", args.size)
    compare = args.workdir / f"l8_{args.compare_size}px_8band.tif"
    array = args.workdir / f"l8_{args.compare_size}px_6band.npy"
    if "ukis" in models or args.sweep:
        write_compare(big, compare, array, args.compare_size)
    out = {"load_before": os.getloadavg()}
    print(f"\nmeasuring on {os.cpu_count()} CPU cores, load average "
          f"{' '.join(f'{x:.2f}' for x in out['load_before'])}", flush=True)
    out["main"] = [best_of("ipluv RGBISWIR7" if m == "ipluv" else m, args.repeats, m, big,
                           args.size, args.tile, args.batch_size, args.workdir,
                           SIX_BANDS if m == "ipluv" else None, args.dtype)
                   for m in models if m != "ukis"]
    out["compare"], out["ratio"] = [], None
    if "ukis" in models:
        tasks = [("ukis-csmask 6b l1c", "ukis", array, args.compare_size, 256, b, args.workdir)
                 for b in map(int, args.ukis_batch_sizes.split(","))]
        tasks.append(("unmask (B2-B7)", "unmask", compare, args.compare_size, args.tile,
                      args.batch_size, args.workdir, SIX_BANDS, args.dtype))
        out["compare"] = best_interleaved(args.compare_repeats, tasks)
        fastest_ukis = max(out["compare"][:-1], key=lambda r: r["mpx_s"])
        out["ratio"] = out["compare"][-1]["mpx_s"] / fastest_ukis["mpx_s"]
    out["sweep"] = [best_of("unmask (B2-B7)", args.repeats, "unmask", compare,
                            args.compare_size, tile, batch, args.workdir, SIX_BANDS, args.dtype)
                    for tile, batch in parse_sweep(args.sweep)
                    if not (out["compare"] and (tile, batch) == (args.tile, args.batch_size))]
    out["network"] = [measure(f"unmask width {w:g}", "network", compare, args.tile, args.tile,
                              args.batch_size, args.workdir, width=w)
                      for w in map(float, filter(None, args.network_widths.split(",")))]
    out["load_after"] = os.getloadavg()
    return out


def report(args: argparse.Namespace, rows: dict, notes: list[str]) -> str | None:
    """Print the tables; return the fastest UNmask tile x batch setting."""
    print(f"\ninference, {os.cpu_count()} CPU cores, {args.dtype}, overlap {OVERLAP} px, "
          "prediction time only (setup = build/load + first call per batch shape); load "
          f"average {rows['load_before'][0]:.2f} before, {rows['load_after'][0]:.2f} after")
    print_table(f"{args.size} x {args.size} px input, crossmask models at width 1.0 "
                "(random weights, 2 classes), predict_product → COG", rows["main"])
    compare, sweep, fastest = rows["compare"], rows["sweep"], None
    if compare:
        print_table(f"{args.compare_size} x {args.compare_size} px, same pixels and bands "
                    "(B2-B7): ukis-csmask CSmask vs UNmask predict_product", compare)
        print(f"UNmask / ukis-csmask Mpx/s ratio: {rows['ratio']:.2f}  (target >= 1; UNmask "
              f"{args.tile}x{args.batch_size} reads the GeoTIFF and writes a COG, ukis-csmask "
              f"at its fastest batch size gets the array in memory)")
    if sweep or compare:
        runs = sweep + compare[-1:] if compare else sweep
        print_table(f"UNmask tile x batch settings, {args.compare_size} px input, bands B2-B7",
                    sorted(runs, key=lambda r: -r["mpx_s"]))
        fastest = max(runs, key=lambda r: r["mpx_s"])
        print(f"fastest setting: tile x batch {fastest['setting']} "
              f"({fastest['mpx_s']:.2f} Mpx/s)")
    if rows["network"]:
        print(f"\nUNmask network alone ({args.batch_size} x {args.tile}² px x 6 bands per call, "
              "no I/O, mean of 3 calls)")
        print(f"{'model':20s} {'params':>7s} {'seconds':>7s} {'Mpx/s':>6s}")
        for r in rows["network"]:
            print(f"{r['label']:20s} {r['params'] / 1e6:6.2f}M {r['seconds']:7.2f} "
                  f"{r['mpx_s']:6.2f}")
    for note in notes:
        print(note)
    return fastest["setting"] if fastest else None


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    notes: list[str] = []
    rows = run_all(args, notes)
    fastest = report(args, rows, notes)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    record = {"benchmark": "inference", "size_px": args.size,
              "compare_size_px": args.compare_size, "tile": args.tile,
              "batch_size": args.batch_size, "overlap": OVERLAP, "repeats": args.repeats,
              "compare_repeats": args.compare_repeats, "dtype": args.dtype,
              "cpu_count": os.cpu_count(), "load_average_before": rows["load_before"],
              "load_average_after": rows["load_after"], "machine": platform.platform(),
              "versions": versions(), "models": rows["main"], "compare": rows["compare"],
              "ratio_unmask_over_ukis": rows["ratio"], "sweep": rows["sweep"],
              "network": rows["network"], "fastest_unmask_setting": fastest, "notes": notes}
    name = "inference.json" if args.dtype == "float32" else f"inference_{args.dtype}.json"
    (results / name).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {results / name}")


if __name__ == "__main__":
    main()
