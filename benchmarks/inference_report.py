"""Markdown tables of ``benchmarks/inference.py`` (printed; the same rows go to the JSON)."""

from __future__ import annotations

import os
import platform
from collections import defaultdict
from importlib import metadata
from pathlib import Path


def _f(value, fmt: str = ".2f", empty: str = "–") -> str:
    return empty if value is None else format(value, fmt)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main_table(rows: list[dict], peak: float) -> str:
    """One row per model × runtime × precision that ran; refusals listed below it."""
    header = ["model", "runtime", "prec.", "params", "kFLOP/px", "tile×batch", "work",
              "e2e s", "e2e Mpx/s", "net Mpx/s", "e2e/net", "e2e/net per tile px",
              "net Mpx/s inside e2e", "net GFLOP/s", "% of matmul peak", "peak RSS MB e2e"]
    body, refused = [], defaultdict(list)
    for r in rows:
        if r.get("error"):
            reason = r["error"].split(" — ")[0]
            refused[reason].append(f"{r['label']}/{r['runtime']}/{r['precision']}")
            continue
        e, n = r["e2e"], r.get("net") or {}
        body.append([
            r["label"], r["runtime"], r["precision"],
            _f(r.get("params") and r["params"] / 1e6, ".2f") + " M" if r.get("params") else "–",
            _f(r.get("flops_per_px") and r["flops_per_px"] / 1e3, ".1f"),
            f"{e['tile']}×{r['batch']}" if e.get("tile") else "per pixel", _f(e.get("work")), _f(e["seconds"], ".1f"),
            _f(e["mpx_s"]), _f(n.get("mpx_s")), _f(r.get("ratio")), _f(r.get("ratio_tiled")),
            _f(e.get("net_inside_mpx_s")), _f(r.get("gflops"), ".1f"),
            _f(r.get("gflops") and 100 * r["gflops"] / peak, ".0f"), _f(e["peak_rss_mb"], ".0f")])
    out = _table(header, body)
    for reason, which in refused.items():
        out += f"\n\nnot run: {', '.join(which)} — {reason}"
    return out


def sweep_table(rows: list[dict]) -> str:
    header = ["runtime", "model", "tile×batch", "fitted tile", "work", "seconds", "Mpx/s",
              "peak RSS MB"]
    body = []
    for r in sorted(rows, key=lambda r: (r["runtime"], r["label"], -r.get("mpx_s", 0))):
        if r.get("error"):
            body.append([r["runtime"], r["label"], r["setting"], "-", "-", "-",
                         "error", r["error"][:60]])
            continue
        body.append([r["runtime"], r["label"], r["setting"], str(r.get("tile")),
                     _f(r.get("work")), _f(r["seconds"], ".1f"), _f(r["mpx_s"]),
                     _f(r["peak_rss_mb"], ".0f")])
    return _table(header, body)


def recommend(rows: list[dict]) -> dict[str, dict]:
    """Per runtime: the tile × batch with the best mean relative speed over the swept
    models (each model's Mpx/s divided by its best on that runtime)."""
    best: dict[tuple, float] = {}
    for r in rows:
        if not r.get("error"):
            key = (r["runtime"], r["label"])
            best[key] = max(best.get(key, 0.0), r["mpx_s"])
    scores: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if not r.get("error"):
            scores[r["runtime"]][r["setting"]].append(r["mpx_s"] / best[r["runtime"], r["label"]])
    out = {}
    for runtime, by_setting in scores.items():
        n_models = max(len(v) for v in by_setting.values())
        complete = {s: sum(v) / len(v) for s, v in by_setting.items() if len(v) == n_models}
        setting = max(complete, key=complete.get)
        out[runtime] = {"setting": setting, "relative_speed": complete[setting],
                        "ranking": sorted(complete.items(), key=lambda kv: -kv[1])}
    return out


def accuracy_table(result: dict) -> str:
    sets = list(result.get("sets", {}))
    header = ["runtime", "precision", "against"] + [f"{s}: {c}" for s in sets
                                                     for c in ("class changes", "OA", "ΔOA")]
    body = []
    for r in result.get("rows", []):
        if r.get("error"):
            body.append([r["runtime"], r["precision"], "-", r["error"].split(" — ")[0][:90]]
                        + [""] * (len(header) - 4))
            continue
        cells = []
        for s in sets:
            m = r[s]
            cells += [f"{100 * m['class_change']:.3f} % ({m['changed_px']} px)",
                      f"{100 * m['oa']:.2f} %", f"{100 * m['delta_oa']:+.3f} pp"]
        body.append([r["runtime"], r["precision"], r.get("against", "-"), *cells])
    return _table(header, body)


def scene_table(rows: list[dict], n_px: int) -> str:
    header = ["model", "runtime", "precision", "wall s (process start included)",
              "predict_product s", "Mpx/s (wall)", "peak RSS MB", "cloud %"]
    body = []
    for r in rows:
        if r.get("error") or r.get("returncode"):
            body.append([r["label"], r["runtime"], r["precision"], "failed",
                         (r.get("error") or "")[:80], "", "", ""])
            continue
        body.append([r["label"], r["runtime"], r["precision"], _f(r["wall_s"], ".1f"),
                     _f(r.get("predict_s"), ".1f"), _f(n_px / r["wall_s"] / 1e6),
                     _f(r["peak_rss_mb"], ".0f"), _f(r.get("cloud_percent"), ".1f")])
    return _table(header, body)


def machine() -> dict:
    flags, model = set(), "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    found = {"python": platform.python_version()}
    for dist in ("crossmask", "numpy", "tensorflow-cpu", "tensorflow", "keras", "onnxruntime",
                 "openvino", "tf2onnx", "rasterio", "ukis-csmask", "s2cloudless", "lightgbm"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    simd = sorted(f for f in flags if f in ("avx2", "fma", "avx512f", "avx512_bf16",
                                            "amx_bf16", "avx512_vnni"))
    return {"cpu": model, "cpu_count": os.cpu_count(), "simd": simd,
            "platform": platform.platform(), "versions": found}


def print_report(record: dict) -> dict:
    """Print every table of a run's record; return the peak and the recommendations."""
    peak = max(record[k].get("gflops", 0) for k in ("matmul_before", "matmul_after"))
    size, sweep_size, scene = record["size_px"], record["sweep_size_px"], record.get("scene")
    print(f"\n## Inference on {record['machine']['cpu_count']} CPU cores "
          f"({record['machine']['cpu']}), load average {record['load_average_before'][0]:.2f} "
          f"before, {record['load_average_after'][0]:.2f} after; matmul peak {peak:.1f} GFLOP/s "
          "(4096² float32 numpy, best of 3)\n")
    print(f"### {size} × {size} px input, tile {record['tile']} × batch "
          f"{record['batch_size']}, overlap {record['overlap']} px\n")
    print(main_table(record["main"], peak))
    print("\n### Where end to end loses against the network alone\n")
    print(breakdown_table(record["main"]))
    recommended = {}
    if record["sweep"]:
        print(f"\n### Tile × batch sweep, {sweep_size} × {sweep_size} px, fp32\n")
        print(sweep_table(record["sweep"]))
        recommended = recommend(record["sweep"])
        for runtime, rec in recommended.items():
            print(f"\nrecommended default on {runtime}: {rec['setting']} (mean relative "
                  f"speed {rec['relative_speed']:.2f}; ranking "
                  + ", ".join(f"{s} {v:.2f}" for s, v in rec["ranking"]) + ")")
    if record["accuracy"]:
        print("\n### Agreement with fp32 on real data (IPL-UV 6-band model)\n")
        print(accuracy_table(record["accuracy"]))
    if scene:
        print_scene(scene)
    for note in record["notes"]:
        print(f"\nnote: {note}")
    return {"peak_gflops": peak, "recommended": recommended}


def print_scene(scene: dict) -> None:
    rows, cols = scene["shape"]
    print(f"\n### Full Landsat-8 scene, {rows} × {cols} px, `python -m crossmask predict` "
          "(CLI defaults: tile 512, batch 4)\n")
    print(scene_table(scene["rows"], rows * cols))
    t = scene.get("tiling")
    if t:
        print(f"\n{t['tiles']} tiles of {t['tile']} px (work {t['work']:.2f}); "
              f"{t['fill_tiles']} of them hold only fill ({100 * t['fill_px_fraction']:.0f} % "
              "of the scene is fill)")


def breakdown_table(rows: list[dict]) -> str:
    """e2e/net = 1/work × (network share of the e2e wall time) × (network speed inside
    e2e / alone): the overlap, the serial rest of the pipeline, and contention."""
    header = ["model", "runtime", "e2e/net", "1/work (overlap)", "network share of e2e time",
              "net inside e2e / alone", "not network s", "reads s (reader thread)"]
    body = []
    for r in rows:
        e, n = r.get("e2e") or {}, r.get("net") or {}
        if not e.get("network_s") or not n.get("mpx_s"):
            continue
        body.append([r["label"], r["runtime"], _f(r.get("ratio")), _f(1 / e["work"]),
                     _f(e["network_s"] / e["seconds"]),
                     _f(e["net_inside_mpx_s"] / n["mpx_s"]),
                     _f(e["seconds"] - e["network_s"], ".1f"), _f(e.get("read_s"), ".1f")])
    return _table(header, body)
