"""Figures and tables of ``benchmarks/scale.py``: per-run derived numbers, per-job speed-up
and targets, and the README table "what an archive costs"."""

from __future__ import annotations

#: Targets of the issue (2 cores): speed-up of 2 one-thread workers over 1, 2 workers
#: against the serial run (wall ratio), overhead per scene, peak RSS per worker.
TARGETS = {"speedup": 1.7, "vs_serial": 1.0, "overhead_pct": 2.0, "rss_mb": 3000.0}
ARCHIVE_TILES = 1000
ARCHIVE_CORES = (1, 2, 16, 64)


def derive(row: dict) -> None:
    """Scenes per hour and scheduler overhead of one run (in place)."""
    n, seconds = len(row["product_s"]), row["product_s"]
    mean = sum(seconds) / n
    overhead = (row["wall_s"] * row["workers"] - sum(seconds)) / n
    row.update(products=n, mean_product_s=mean, sum_product_s=sum(seconds),
               scenes_per_hour=3600 * n / row["wall_s"], seconds_per_scene=row["wall_s"] / n,
               overhead_s_per_scene=overhead, overhead_pct=100 * overhead / mean)


def job_summary(rows: list[dict]) -> dict:
    """Speed-up, efficiency and target checks of one job's three configurations."""
    by = {r["config"]: r for r in rows}
    serial, one, two = by["serial"], by["dask 1x1"], by["dask 2x1"]
    speedup = one["wall_s"] / two["wall_s"]
    out = {"speedup_2_over_1": speedup, "efficiency": speedup / 2,
           "dask2_over_serial_wall": two["wall_s"] / serial["wall_s"],
           "max_overhead_pct": max(r["overhead_pct"] for r in (one, two)),
           "max_peak_rss_mb": max(max(r["peak_rss_mb"]) for r in rows),
           "failed": sum(len(r["failed"]) for r in rows)}
    out["targets"] = {
        "speedup >= 1.7": out["speedup_2_over_1"] >= TARGETS["speedup"],
        "2 workers not slower than serial": out["dask2_over_serial_wall"] <= TARGETS["vs_serial"],
        "overhead < 2 %": out["max_overhead_pct"] < TARGETS["overhead_pct"],
        "peak RSS per worker < 3 GB": out["max_peak_rss_mb"] < TARGETS["rss_mb"]}
    return out


def archive_costs(harmonize: dict | None, predict: dict | None, grids: dict) -> list[dict]:
    """Hours for 1 000 S2 tiles per core count: harmonise (the measured S2 tile) and predict
    (the measured L8 seconds per pixel, scaled to the harmonised tile's 30 m grid).  1 and
    2 cores: the measured one-thread workers; more: extrapolated as
    ``t₁ / (cores × E₂)`` with E₂ the measured 2-worker parallel efficiency."""
    parts = {}
    if harmonize:
        parts["harmonize"] = (harmonize, 1.0)
    if predict:
        l8 = grids[predict["job"]]
        parts["predict"] = (predict, _tile_30m(grids) ** 2 / (l8["rows"] * l8["cols"]))
    rows = []
    for cores in ARCHIVE_CORES:
        row = {"cores": cores, "basis": "measured" if cores <= 2 else "extrapolated"}
        for name, (summary, scale) in parts.items():
            one, two = summary["t1_s"] * scale, summary["t2_s"] * scale
            per_tile = {1: one, 2: two}.get(cores, one / (cores * summary["efficiency"]))
            row[f"{name}_s"] = per_tile  # wall seconds per tile on all the cores
            row[f"{name}_h"] = ARCHIVE_TILES * per_tile / 3600
        row["total_h"] = sum(v for k, v in row.items() if k.endswith("_h"))
        rows.append(row)
    return rows


def _tile_30m(grids: dict) -> int:
    """Edge (px) of the harmonised S2 tile at 30 m: the measured one, else full size."""
    return grids["harmonize"]["px_30m"] if "harmonize" in grids else 3660


def _hours(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def archive_markdown(rows: list[dict], record: dict) -> str:
    names = [k[:-2] for k in rows[0] if k.endswith("_h") and k != "total_h"]
    head = ["cores"] + [f"{n.replace('harmonize', 'harmonise')} {u}" for n in names
                        for u in ("s/tile", "h")] + ["total h", "basis"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * (len(head) - 1) + "---|"]
    for r in rows:
        mark = "" if r["basis"] == "measured" else " *"
        cells = [str(r["cores"])] + [x for n in names for x in (
            f"{r[n + '_s']:.1f}{mark}", _hours(r[n + "_h"]) + mark)] \
            + [_hours(r["total_h"]) + mark, r["basis"]]
        lines.append("| " + " | ".join(cells) + " |")
    grids = record["grids"]
    effs = ", ".join(f"{j} E₂ = {s['efficiency']:.2f}" for j, s in record["jobs"].items())
    notes = [f"{ARCHIVE_TILES} Sentinel-2 tiles; per-tile seconds measured on "
             f"{record['cpu_count']} cores with one-thread Dask workers ({effs})."]
    if "harmonize" in grids:
        g = grids["harmonize"]
        notes.append(f"harmonise: OLS to L8, float32 30 m, tile {g['px_10m']} px at 10 m.")
    predict = [j for j in grids if j.startswith("predict")]
    if predict:
        g = grids[predict[0]]
        notes.append(f"predict: UNmask (width 1, {g['runtime']}), seconds of a "
                     f"{g['rows']} × {g['cols']} px L8 scene scaled by pixels to the "
                     f"harmonised tile's 30 m grid ({_tile_30m(grids)} px square).")
    notes.append("s/tile: wall seconds per tile with every core busy (hours = "
                 f"{ARCHIVE_TILES} × s/tile / 3600).")
    notes.append("* extrapolated: one-thread-worker seconds / (cores × E₂), i.e. assuming "
                 "the measured 2-worker efficiency holds at 16 and 64 cores (storage and "
                 "network not modelled).")
    if record["quick"]:
        notes.append("--quick grids: NOT the README numbers.")
    return "\n".join(lines + [""] + notes)


def _runs_table(rows: list[dict]) -> str:
    head = (f"{'job':16s} {'config':9s} {'wall s':>8s} {'s/scene':>8s} {'scenes/h':>9s} "
            f"{'mean prod s':>11s} {'overhead s':>10s} {'ovh %':>6s} {'start s':>7s} "
            f"{'peak RSS MB/worker':>20s} {'load':>5s}")
    lines = [head]
    for r in rows:
        rss = "/".join(f"{v:.0f}" for v in r["peak_rss_mb"])
        lines.append(f"{r['job']:16s} {r['config']:9s} {r['wall_s']:8.1f} "
                     f"{r['seconds_per_scene']:8.1f} {r['scenes_per_hour']:9.1f} "
                     f"{r['mean_product_s']:11.1f} {r['overhead_s_per_scene']:10.2f} "
                     f"{r['overhead_pct']:6.2f} {r['cluster_start_s']:7.1f} {rss:>20s} "
                     f"{r['loadavg_before']:5.2f}")
    return "\n".join(lines)


def summarize(record: dict) -> None:
    """Print every table; add ``jobs`` (per-job summaries) and ``archive`` to the record."""
    jobs: dict[str, dict] = {}
    for name in dict.fromkeys(r["job"] for r in record["runs"]):
        rows = [r for r in record["runs"] if r["job"] == name]
        summary = job_summary(rows)
        by = {r["config"]: r for r in rows}
        summary.update(t1_s=by["dask 1x1"]["seconds_per_scene"],
                       t2_s=by["dask 2x1"]["seconds_per_scene"])
        jobs[name] = summary
    record["jobs"] = jobs
    print(f"\n{record['products']} products per job, {record['cpu_count']} CPU cores"
          + ("  [--quick: small grids]" if record["quick"] else ""))
    print(_runs_table(record["runs"]))
    print(f"\n{'job':16s} {'speed-up 2/1':>12s} {'efficiency':>10s} {'2w/serial':>9s} "
          f"{'max ovh %':>9s} {'max RSS MB':>10s}  targets")
    for name, s in jobs.items():
        missed = [t for t, ok in s["targets"].items() if not ok]
        print(f"{name:16s} {s['speedup_2_over_1']:12.2f} {s['efficiency']:10.2f} "
              f"{s['dask2_over_serial_wall']:9.2f} {s['max_overhead_pct']:9.2f} "
              f"{s['max_peak_rss_mb']:10.0f}  "
              + ("all met" if not missed else "missed: " + "; ".join(missed))
              + (f"  ({s['failed']} FAILED products)" if s["failed"] else ""))
    harmonize = jobs.get("harmonize")
    predict = next(({**s, "job": j} for j, s in jobs.items() if j.startswith("predict")),
                   None)
    if harmonize or predict:
        record["archive"] = archive_costs(harmonize, predict, record["grids"])
        record["archive_markdown"] = archive_markdown(record["archive"], record)
        print("\nWhat an archive costs (README table):\n")
        print(record["archive_markdown"])
    for note in record["notes"]:
        print(f"note: {note}")
