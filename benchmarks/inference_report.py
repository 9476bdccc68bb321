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
