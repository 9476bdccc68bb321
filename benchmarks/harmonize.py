"""Benchmark `harmonize apply` on a full-size Sentinel-2 L1C tile against a bare read.

Generates (once, cached) a 10980 × 10980 px (10 m) SAFE product in the real layout with
1024 × 1024 JPEG 2000 tiles, then, each in a fresh subprocess so peak memory is its own:

* bare read — rasterio reads every band the adjustment needs, whole, once;
* apply     — `harmonize_product` (OLS, float32 30 m output, 3660 × 3660 × 8 bands).

Prints a table (seconds, peak RSS) and writes benchmarks/results/harmonize.json.

    python benchmarks/harmonize.py [--workdir DIR] [--size-60m 1830] [--method ols]
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
from collections.abc import Mapping
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


class LazyBands(Mapping):
    """Digital numbers generated band by band, so generation never holds the whole tile."""

    def __init__(self, size_60m: int, seed: int = 0):
        from crossmask.products.writers.safe import MSI_BANDS

        self.size_60m, self.seed, self.bands = size_60m, seed, MSI_BANDS

    def __getitem__(self, band: str) -> np.ndarray:
        factor = 60 // self.bands[band]
        rng = np.random.default_rng([self.seed, list(self.bands).index(band)])
        field = rng.integers(1500, 4500, (self.size_60m, self.size_60m), dtype=np.uint16)
        dn = np.repeat(np.repeat(field, factor, axis=0), factor, axis=1)
        dn += rng.integers(0, 64, dn.shape, dtype=np.uint16)  # sensor noise
        return dn

    def __iter__(self):
        return iter(self.bands)

    def __len__(self) -> int:
        return len(self.bands)


def product_path(workdir: Path, size_60m: int) -> Path:
    """The cached product, generated on first use."""
    from crossmask.products.writers.safe import write_safe

    parent = workdir / f"safe_{size_60m}"
    found = sorted(parent.glob("*.SAFE"))
    if found and (found[0] / "MTD_MSIL1C.xml").exists():
        return found[0]
    print(f"generating a {size_60m * 6} px SAFE product in {parent} (once) ...", flush=True)
    start = time.perf_counter()
    safe = write_safe(parent, LazyBands(size_60m), block=1024)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return safe


def child(task: str, safe: str, method: str, out: str) -> None:
    """Run one measured task in this (fresh) process and print its JSON result."""
    from crossmask.harmonize import build_adjustment, harmonize_product
    from crossmask.products import open_safe

    product = open_safe(safe)
    adjustment = build_adjustment(product.sensor, "L8", method)
    start = time.perf_counter()
    if task == "read":
        import rasterio

        for band in adjustment.source_bands:
            with rasterio.open(product.files[band]) as ds:
                ds.read(1)
    else:
        Path(out).unlink(missing_ok=True)
        harmonize_product(product, adjustment, out, progress=False)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"task": task, "seconds": seconds, "peak_rss_mb": peak_mb,
                      "bands": adjustment.source_bands}))


def measure(task: str, safe: Path, method: str, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", task, "--safe", str(safe), "--method", method,
           "--out", str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=HERE / "cache")
    parser.add_argument("--size-60m", type=int, default=1830, help="tile edge at 60 m (px)")
    parser.add_argument("--method", default="ols")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child"), parser.add_argument("--safe"), parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.safe, args.method, args.out)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    safe = product_path(args.workdir, args.size_60m)
    out = args.workdir / "harmonized.tif"
    rows = []
    for _ in range(args.repeats):
        rows.append(measure("read", safe, args.method, out))
        rows.append(measure("apply", safe, args.method, out))
    best = {t: min((r for r in rows if r["task"] == t), key=lambda r: r["seconds"])
            for t in ("read", "apply")}
    ratio = best["apply"]["seconds"] / best["read"]["seconds"]
    print(f"\nSentinel-2 L1C tile {args.size_60m * 6} px at 10 m, method {args.method}, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'task':28s} {'seconds':>8s} {'peak RSS MB':>12s}")
    for task, label in (("read", "bare rasterio read"), ("apply", "harmonize apply")):
        print(f"{label:28s} {best[task]['seconds']:8.1f} {best[task]['peak_rss_mb']:12.0f}")
    print(f"apply / read time ratio: {ratio:.2f}  (target < 1.5; peak RSS target < 3000 MB)")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    record = {"benchmark": "harmonize", "size_10m_px": args.size_60m * 6,
              "method": args.method, "cpu_count": os.cpu_count(),
              "machine": platform.platform(), "runs": rows, "best": best, "ratio": ratio}
    (results / "harmonize.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {results / 'harmonize.json'}")


if __name__ == "__main__":
    main()
