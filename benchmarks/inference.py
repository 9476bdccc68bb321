"""Benchmark cloud-mask inference on this CPU: every model × runtime × precision, the
peers, a tile × batch sweep, bf16 agreement on real data and a full-size Landsat-8 scene.

Inputs (generated once, cached in benchmarks/cache/): a size × size px, 8-band (L8 B1–B7,
B9) float32 reflectance GeoTIFF laid out as ``harmonize apply`` writes it, a crop of it for
the sweep, and a full-size Landsat-8 Level-1 scene folder (see inference_scene.py).  Each
measurement runs in a fresh subprocess, so its peak RSS is its own.

* Main table — each crossmask architecture at default width (random weights, 2 classes,
  8 bands) and the IPL-UV U-Net (real weights, B2–B7; needs ../shared/data), exported
  with `export_model`, on every installed runtime and precision; ukis-csmask and
  s2cloudless on the same GeoTIFF and cores (inference_peers.py).  "e2e" is
  `predict_product([load_runner(...)], …)` — reading, tiling, network, blending, COG
  writing — in image Mpx/s; setup (loading, one call per batch shape) is not timed.
  "net" is ``runner.network`` alone on normalised random batches of the tile size e2e
  used, in tile Mpx/s.  e2e/net is the ratio of the two; "per tile px" divides out the
  overlap ("work" = predicted tile px / image px); "net inside e2e" is the tile Mpx/s
  of the network calls during e2e (slower than net when the reader thread competes for
  the cores).  FLOPs per pixel: analytic, from the Keras layers (inference_models.py);
  GFLOP/s = FLOPs/px × net px/s, against a 4096² float32 numpy matmul (best of 3, before
  and after the measurements, the higher taken).
* Sweep — UNmask and IPL-UV end to end on the crop at several tile × batch settings, per
  runtime; the recommended default is the best mean relative speed.
* Accuracy — class changes and ΔOA of each runtime/precision against fp32 on the real
  L8 Biome validation patches and the S2 patch (inference_accuracy.py).
* Full scene — ``python -m crossmask predict MODEL SCENE -o mask.tif --sensor L8`` on a
  7800 × 7700 px scene, wall clock with process start and peak RSS, for the IPL-UV model
  and a random-weight UNmask on B2–B7, on each installed runtime.

    python benchmarks/inference.py [--size 4096] [--models unmask,…,ipluv,ukis-csmask,
        s2cloudless] [--runtimes keras,onnx,openvino] [--precisions fp32,bf16]
        [--tile 512] [--batch-size 4] [--sweep 512x4,1024x1 | --sweep ''] [--sweep-size 2048]
        [--full-scene/--no-full-scene] [--no-accuracy] [--quick]

Prints markdown tables and writes benchmarks/results/inference.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from inference_models import CROSSMASK_MODELS, IPLUV, S2CLOUDLESS, UKIS, UNMASK6
from inference_tasks import HERE, IPLUV_FILE, OVERLAP, write_crop, write_input

ALL_MODELS = (*CROSSMASK_MODELS, IPLUV, UKIS, S2CLOUDLESS)
QUICK_MODELS = ("unmask", IPLUV, UKIS, S2CLOUDLESS)
RUNTIMES = {"keras": "keras", "onnx": "onnxruntime", "openvino": "openvino"}
DEFAULT_SWEEP = "256x16,512x1,512x4,512x8,768x2,1024x1,1024x2"
LABELS = {IPLUV: "IPL-UV RGBISWIR7", UNMASK6: "unmask (B2-B7)"}


# --------------------------------------------------------------------------- processes
def spawn(spec: dict) -> dict:
    """Run one task in a fresh process; its JSON result with its peak RSS, or an error."""
    cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "CI": "true"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return {"error": f"child failed (exit {done.returncode}): {tail[-500:]}"}
    return json.loads(lines[-1])


def child(spec: dict) -> None:
    """Run one measured task in this (fresh) process and print its JSON result."""
    import inference_accuracy
    import inference_models
    import inference_peers
    import inference_tasks

    tasks = {"e2e": inference_tasks.child_e2e, "network": inference_tasks.child_network,
             "ukis-e2e": inference_peers.child_ukis_e2e,
             "ukis-network": inference_peers.child_ukis_network,
             "s2cloudless": inference_peers.child_s2cloudless,
             "accuracy": inference_accuracy.child_accuracy,
             "matmul": lambda s: inference_models.matmul_peak(),
             "prepare": lambda s: inference_models.prepare(s["names"], Path(s["workdir"]),
                                                           s["formats"], s["ukis"])}
    row = tasks[spec["task"]](spec)
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(row))


# --------------------------------------------------------------------------- measurements
def say(text: str) -> None:
    print(text, flush=True)


def finish(row: dict, image_px: int) -> dict:
    """Add Mpx/s (image pixels), work and the network's speed inside e2e to an e2e row."""
    row["mpx_s"] = image_px / row["seconds"] / 1e6
    row["image_px"] = image_px
    row["work"] = row["tiled_px"] / image_px if row.get("tiled_px") else None
    if row.get("network_s"):
        row["net_inside_mpx_s"] = row["tiled_px"] / row["network_s"] / 1e6
    row["loadavg"] = os.getloadavg()[0]
    return row


def measure_model(name: str, runtime: str, precision: str, info: dict, source: Path,
                  size: int, args) -> dict:
    """e2e then network-only rows of one crossmask / IPL-UV model folder."""
    row = {"label": LABELS.get(name, name), "model": name, "runtime": runtime,
           "precision": precision, "batch": args.batch_size, "params": info["params"],
           "flops_per_px": info["flops_per_px"]}
    export = info["exports"].get(runtime, {"ok": True})
    if not export["ok"]:
        return row | {"error": f"export failed: {export['error'][:200]}"}
    spec = {"task": "e2e", "model_dir": info["folder"], "runtime": runtime,
            "precision": precision, "input": str(source), "tile": args.tile,
            "batch": args.batch_size,
            "out": str(args.workdir / f"mask_{name}_{runtime}_{precision}.tif")}
    e2e = spawn(spec)
    if "error" in e2e:
        say(f"  {row['label']:18s} {runtime:8s} {precision}: {e2e['error'][:150]}")
        return row | {"error": e2e["error"]}
    row["e2e"] = finish(e2e, size * size)
    net = spawn({**spec, "task": "network", "tile": e2e["tile"]})
    return _with_network(row, net)


def _with_network(row: dict, net: dict) -> dict:
    e2e = row["e2e"]
    if "error" not in net:
        net["mpx_s"] = net["tiled_px"] / net["seconds"] / 1e6
        row["ratio"] = e2e["mpx_s"] / net["mpx_s"]
        row["ratio_tiled"] = e2e["tiled_px"] / e2e["seconds"] / 1e6 / net["mpx_s"]
        if row.get("flops_per_px"):
            row["gflops"] = row["flops_per_px"] * net["mpx_s"] / 1e3
    row["net"] = net
    say(f"  {row['label']:18s} {row['runtime']:8s} {row['precision']} e2e "
        f"{e2e['mpx_s']:5.2f} Mpx/s ({e2e['seconds']:.1f} s, {e2e['peak_rss_mb']:.0f} MB), "
        f"net {net.get('mpx_s', 0):5.2f} Mpx/s, load {os.getloadavg()[0]:.2f}")
    return row


def measure_peers(models: list[str], source: Path, size: int, args, info: dict) -> list:
    rows = []
    for name in (m for m in (UKIS, S2CLOUDLESS) if m in models):
        package = "ukis_csmask" if name == UKIS else "s2cloudless"
        row = {"label": name, "model": name, "runtime": "onnx" if name == UKIS else "lightgbm",
               "precision": "fp32", "batch": args.ukis_batch if name == UKIS else 1,
               **info.get(name, {"params": None, "flops_per_px": None})}
        if importlib.util.find_spec(package) is None:
            rows.append(row | {"error": f"{package} not installed (pip install {name})"})
            continue
        edge = size
        if name == S2CLOUDLESS and args.s2cloudless_size < size:  # per-pixel: a crop will do
            edge = args.s2cloudless_size
            source = write_crop(source, args.workdir / f"l8_{edge}px_8band.tif", edge)
            row["label"] = f"{name} ({edge}² crop)"
        spec = {"input": str(source), "batch": row["batch"],
                "out": str(args.workdir / f"mask_{name}.tif")}
        task = "ukis-e2e" if name == UKIS else "s2cloudless"
        e2e = spawn({**spec, "task": task})
        if "error" in e2e:
            rows.append(row | {"error": e2e["error"]})
            continue
        row["e2e"] = finish(e2e, edge * edge)
        net = spawn({**spec, "task": "ukis-network" if name == UKIS else "s2cloudless",
                     "network": True})
        rows.append(_with_network(row, net))
    return rows


def measure_sweep(args, infos: dict, crop: Path, runtimes: list[str]) -> list[dict]:
    rows = []
    for runtime in runtimes:
        for name in (m for m in ("unmask", IPLUV) if m in infos):
            for setting in filter(None, args.sweep.split(",")):
                tile, _, batch = setting.partition("x")
                spec = {"task": "e2e", "model_dir": infos[name]["folder"], "runtime": runtime,
                        "precision": "fp32", "input": str(crop), "tile": int(tile),
                        "batch": int(batch), "out": str(args.workdir / "mask_sweep.tif")}
                row = {"label": LABELS.get(name, name), "model": name, "runtime": runtime,
                       "setting": setting} | spawn(spec)
                if "error" not in row:
                    finish(row, args.sweep_size**2)
                    say(f"  sweep {runtime:8s} {row['label']:18s} {setting:>8s} "
                        f"{row['mpx_s']:5.2f} Mpx/s {row['peak_rss_mb']:5.0f} MB")
                rows.append(row)
    return rows


def measure_scene(args, infos: dict, runtimes: list[str]) -> dict:
    from inference_scene import fill_tiles, time_cli, write_scene

    scene = write_scene(args.workdir, args.scene_rows, args.scene_cols)
    rows = []
    for name in (m for m in (IPLUV, UNMASK6) if m in infos):
        for runtime in runtimes:
            say(f"  full scene: {LABELS[name]} on {runtime} ...")
            row = {"label": LABELS[name], "model": name}
            row |= time_cli(Path(infos[name]["folder"]), scene,
                            args.workdir / f"scene_mask_{name}_{runtime}.tif", runtime)
            say(f"    {row['wall_s']:.1f} s, {row['peak_rss_mb']:.0f} MB"
                + (f" — {row['error']}" if row.get("error") else ""))
            rows.append(row)
    return {"folder": str(scene), "rows": rows, "shape": [args.scene_rows, args.scene_cols],
            "tiling": fill_tiles(scene)}


# --------------------------------------------------------------------------- the run
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--workdir", type=Path, default=HERE / "cache")
    add("--size", type=int, help="input edge (px) of the main table; default 4096, quick 1024")
    add("--models", help=f"comma-separated, from {', '.join(ALL_MODELS)} (default all; "
        f"--quick: {', '.join(QUICK_MODELS)})")
    add("--runtimes", default=",".join(RUNTIMES), help="comma-separated; uninstalled ones "
        "are skipped with a note")
    add("--precisions", default="fp32,bf16")
    add("--tile", type=int, default=512)
    add("--batch-size", type=int, default=4)
    add("--ukis-batch", type=int, default=4, help="CSmask batch size")
    add("--s2cloudless-size", type=int, default=1024, help="s2cloudless runs on this top-left "
        "crop of the input (a per-pixel classifier at ~0.07 Mpx/s: Mpx/s do not depend on "
        "the size)")
    add("--sweep", help=f"tile x batch settings ('' skips; default {DEFAULT_SWEEP}, "
        "--quick 256x8,512x4)")
    add("--sweep-size", type=int, help="edge of the sweep input (default 2048, quick 512)")
    add("--full-scene", action=argparse.BooleanOptionalAction, default=None,
        help="time the CLI on a full-size L8 scene (default on; off with --quick)")
    add("--scene-rows", type=int), add("--scene-cols", type=int)
    add("--accuracy", action=argparse.BooleanOptionalAction, default=True)
    add("--quick", action="store_true", help="smoke run: small inputs, few models and "
        "settings, no full scene (a 1560 x 1540 px one with --full-scene)")
    add("--tables", type=Path, help="only print the tables of a saved results JSON")
    add("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    defaults = {"size": (4096, 1024), "sweep": (DEFAULT_SWEEP, "256x8,512x4"),
                "sweep_size": (2048, 512), "full_scene": (True, False),
                "scene_rows": (7800, 1560), "scene_cols": (7700, 1540),
                "models": (",".join(ALL_MODELS), ",".join(QUICK_MODELS))}
    for key, (full, small) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, small if quick else full)
    args.model_list = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(args.model_list) - set(ALL_MODELS))
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(ALL_MODELS)}")
    return args


def installed_runtimes(requested: str, notes: list[str]) -> list[str]:
    out = []
    for runtime in filter(None, (r.strip() for r in requested.split(","))):
        if runtime not in RUNTIMES:
            raise SystemExit(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
        if importlib.util.find_spec(RUNTIMES[runtime]) is None:
            notes.append(f"runtime {runtime} skipped: {RUNTIMES[runtime]} is not installed")
        else:
            out.append(runtime)
    return out


def prepare(args, runtimes: list[str], notes: list[str]) -> dict:
    """Model folders (+ exports, FLOPs) of every crossmask / IPL-UV model the run needs."""
    names = [m for m in args.model_list if m in CROSSMASK_MODELS]
    if IPLUV in args.model_list or args.full_scene or args.accuracy or args.sweep:
        if IPLUV_FILE.exists():
            names.append(IPLUV)
        else:
            notes.append(f"IPL-UV skipped: {IPLUV_FILE} not found (needs ../shared/data)")
    if args.sweep and "unmask" not in names:
        names.append("unmask")
    if args.full_scene:
        names.append(UNMASK6)
    say(f"preparing models {', '.join(names)} (random weights; exports "
        f"{', '.join(r for r in runtimes if r != 'keras') or 'none'}) ...")
    infos = spawn({"task": "prepare", "names": names, "workdir": str(args.workdir),
                   "formats": [r for r in runtimes if r != "keras"],
                   "ukis": UKIS in args.model_list
                   and importlib.util.find_spec("ukis_csmask") is not None})
    if "error" in infos:
        raise SystemExit(f"preparing the models failed: {infos['error']}")
    infos.pop("peak_rss_mb", None)
    return infos


def run_all(args, notes: list[str]) -> dict:
    runtimes = installed_runtimes(args.runtimes, notes)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    big = write_input(args.workdir / f"l8_{args.size}px_8band.tif", args.size)
    out = {"load_before": os.getloadavg(), "runtimes": runtimes}
    say(f"\nmeasuring on {os.cpu_count()} CPU cores, load average "
        f"{' '.join(f'{x:.2f}' for x in out['load_before'])}")
    out["matmul_before"] = spawn({"task": "matmul"})
    say(f"matmul peak {out['matmul_before'].get('gflops', 0):.1f} GFLOP/s")
    infos = prepare(args, runtimes, notes)
    out["models"] = infos
    out["main"] = [measure_model(m, runtime, precision, infos[m], big, args.size, args)
                   for m in args.model_list if m in infos and m not in (UKIS, S2CLOUDLESS)
                   for runtime in runtimes for precision in precisions]
    out["main"] += measure_peers(args.model_list, big, args.size, args, infos)
    out["sweep"] = []
    if args.sweep:
        crop = write_crop(big, args.workdir / f"l8_{args.sweep_size}px_8band.tif",
                          args.sweep_size)
        out["sweep"] = measure_sweep(args, infos, crop, runtimes)
    out["accuracy"] = measure_accuracy(args, infos, runtimes, precisions, notes)
    out["scene"] = measure_scene(args, infos, runtimes) if args.full_scene else None
    out["matmul_after"] = spawn({"task": "matmul"})
    out["load_after"] = os.getloadavg()
    return out


def measure_accuracy(args, infos: dict, runtimes: list[str], precisions: list[str],
                     notes: list[str]) -> dict | None:
    from inference_accuracy import data_present

    if not args.accuracy:
        return None
    if IPLUV not in infos or not data_present():
        notes.append("accuracy skipped: needs ../shared/data (IPL-UV model, L8 Biome "
                     "patches, S2 patch)")
        return None
    configs = [[r, p] for p in sorted(precisions, key=lambda p: p != "fp32") for r in runtimes]
    say("agreement with fp32 on the real patches ...")
    return spawn({"task": "accuracy", "model_dir": infos[IPLUV]["folder"],
                  "configs": configs})


# --------------------------------------------------------------------------- output
def main() -> None:
    import inference_report as rep

    args = parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if args.tables:
        rep.print_report(json.loads(args.tables.read_text()))
        return
    notes: list[str] = []
    start = time.perf_counter()
    rows = run_all(args, notes)
    record = {"benchmark": "inference", "size_px": args.size, "tile": args.tile,
              "batch_size": args.batch_size, "overlap": OVERLAP, "quick": args.quick,
              "sweep_size_px": args.sweep_size, "machine": rep.machine(),
              "load_average_before": rows.pop("load_before"),
              "load_average_after": rows.pop("load_after"), **rows,
              "total_s": time.perf_counter() - start, "notes": notes}
    record |= rep.print_report(record)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    path = results / ("inference_quick.json" if args.quick else "inference.json")
    path.write_text(json.dumps(record, indent=2) + "\n")
    say(f"\nwrote {path} ({record['total_s'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
