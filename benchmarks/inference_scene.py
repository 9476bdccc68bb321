"""A full-size Landsat-8 Level-1 scene for ``benchmarks/inference.py``, and the timing of
``python -m crossmask predict`` on it (wall clock from process start, peak RSS).

The scene (cached) is laid out as the L8 Biome / pre-collection USGS product:
``<ID>_B1.TIF`` … ``_B11.TIF`` (uint16 DN, uncompressed, strips, UTM 30 m; B8 at 15 m, twice
the size), ``_BQA.TIF`` and ``_MTL.txt``.  The MTL is the one
:func:`crossmask.products.writers.landsat.write_biome_scene` writes for a small scene of the
same ID (calibration, sun, projection), with its size and corner keys set to the full
size; the bands are written strip by strip here, since a full-size scene does not fit that
writer's in-memory synthesis.  Content: a rotated WRS-2 footprint (fill outside it, as in
real scenes), smooth land texture with water, about a third clouds (thick and thin), and
brightness temperature in B10/B11.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENE_ID = "LC81930272016180LGN00"
STRIP = 512
_GROUND = (0.12, 0.10, 0.09, 0.08, 0.32, 0.22, 0.12, 0.09, 0.002)
_WATER = (0.11, 0.08, 0.05, 0.03, 0.015, 0.008, 0.005, 0.05, 0.001)
_CLOUD = (0.55, 0.55, 0.55, 0.56, 0.58, 0.45, 0.32, 0.55, 0.03)
_BQA = {"fill": 1, "clear": 20480, "thin": 28672, "cloud": 61440}


def scene_folder(workdir: Path, rows: int, cols: int) -> Path:
    return workdir / f"l8_scene_{rows}x{cols}" / SCENE_ID


def write_scene(workdir: Path, rows: int, cols: int, seed: int = 0) -> Path:
    """The cached scene folder, written once (into a temporary folder, then renamed)."""
    final = scene_folder(workdir, rows, cols)
    if (final / f"{SCENE_ID}_MTL.txt").is_file():
        return final
    print(f"generating a {rows} x {cols} px Landsat-8 scene {final} (once) ...", flush=True)
    start = time.perf_counter()
    final.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=".part.", dir=final.parent))
    mtl, crs, transform = _template(part, rows, cols)
    _write_bands(part, rows, cols, crs, transform, _calibration(mtl), seed)
    (part / f"{SCENE_ID}_MTL.txt").write_text(mtl)
    shutil.rmtree(final, ignore_errors=True)
    part.rename(final)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return final


def _template(part: Path, rows: int, cols: int) -> tuple[str, object, object]:
    """MTL text (size and corner keys fixed), CRS and transform of a small scene written
    by write_biome_scene with the same scene ID."""
    import rasterio

    from crossmask.products.writers.landsat import write_biome_scene

    with tempfile.TemporaryDirectory(dir=part) as tmp:
        small = write_biome_scene(tmp, SCENE_ID, size=64, mask_format=None)
        mtl = (small / f"{SCENE_ID}_MTL.txt").read_text()
        with rasterio.open(small / f"{SCENE_ID}_B1.TIF") as src:
            crs, transform = src.crs, src.transform
    for kind, factor in (("PANCHROMATIC", 2), ("REFLECTIVE", 1), ("THERMAL", 1)):
        mtl = _set(mtl, f"{kind}_LINES", str(factor * rows))
        mtl = _set(mtl, f"{kind}_SAMPLES", str(factor * cols))
    for key, value in _corners(crs, transform, rows, cols).items():
        mtl = _set(mtl, key, value)
    return mtl, crs, transform


def _set(mtl: str, key: str, value: str) -> str:
    new, n = re.subn(rf"(^\s*{key} = ).*$", lambda m: m[1] + value, mtl, flags=re.MULTILINE)
    if n != 1:
        raise RuntimeError(f"MTL template: {key} found {n} times")
    return new


def _corners(crs, transform, rows: int, cols: int) -> dict[str, str]:
    from rasterio.warp import transform as warp_points

    xs = [transform.c + 15.0, transform.c + 30.0 * cols - 15.0] * 2
    ys = [transform.f - 15.0] * 2 + [transform.f - 30.0 * rows + 15.0] * 2
    lons, lats = warp_points(crs, "EPSG:4326", xs, ys)
    out = {}
    for name, x, y, lat, lon in zip(("UL", "UR", "LL", "LR"), xs, ys, lats, lons):
        out |= {f"CORNER_{name}_LAT_PRODUCT": f"{lat:.5f}",
                f"CORNER_{name}_LON_PRODUCT": f"{lon:.5f}",
                f"CORNER_{name}_PROJECTION_X_PRODUCT": f"{x:.3f}",
                f"CORNER_{name}_PROJECTION_Y_PRODUCT": f"{y:.3f}"}
    return out


def _calibration(mtl: str) -> dict:
    def number(key: str) -> float:
        return float(re.search(rf"^\s*{key} = (\S+)", mtl, re.MULTILINE)[1])

    return {"sin_sun": math.sin(math.radians(number("SUN_ELEVATION"))),
            "refl": {n: (number(f"REFLECTANCE_MULT_BAND_{n}"),
                         number(f"REFLECTANCE_ADD_BAND_{n}")) for n in range(1, 10)},
            "thermal": {n: (number(f"RADIANCE_MULT_BAND_{n}"), number(f"RADIANCE_ADD_BAND_{n}"),
                            number(f"K1_CONSTANT_BAND_{n}"), number(f"K2_CONSTANT_BAND_{n}"))
                        for n in (10, 11)}}


class _Fields:
    """Smooth random fields of the whole scene, evaluated strip by strip (bilinear
    interpolation of coarse grids, so no full-size float array is ever held)."""

    def __init__(self, rows: int, cols: int, seed: int):
        rng = np.random.default_rng(seed)
        self.rows, self.cols, self.rng = rows, cols, rng
        self.grids = {name: (rng.random((rows // cell + 2, cols // cell + 2)), cell)
                      for name, cell in (("land", 120), ("detail", 16), ("cloud", 240),
                                         ("water", 400))}

    def strip(self, y0: int, y1: int) -> dict[str, np.ndarray]:
        from scipy.ndimage import map_coordinates

        yy, xx = np.mgrid[y0:y1, 0:self.cols].astype(np.float32)
        out = {name: map_coordinates(grid, [yy / cell, xx / cell], order=1).astype(np.float32)
               for name, (grid, cell) in self.grids.items()}
        out["valid"] = self._footprint(yy, xx)
        return out

    def _footprint(self, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        """Inside a 6000 × 6170 px rectangle turned by 13° (a WRS-2 scene's footprint)."""
        angle = math.radians(13.0)
        dy, dx = yy - self.rows / 2, xx - self.cols / 2
        along = dy * math.cos(angle) + dx * math.sin(angle)
        across = -dy * math.sin(angle) + dx * math.cos(angle)
        half_rows, half_cols = min(3000, self.rows * 0.39), min(3085, self.cols * 0.4)
        return (np.abs(along) <= half_rows) & (np.abs(across) <= half_cols)


def _strip_dn(fields: dict, cal: dict, noise: np.random.Generator) -> dict[str, np.ndarray]:
    """DN of every band (B8 at 30 m here) and the BQA of one strip."""
    cloud = np.clip((fields["cloud"] - 0.55) * 3.5, 0, 1)
    land = 0.6 * fields["land"] + 0.4 * fields["detail"]
    water = fields["water"] < 0.2
    valid = fields["valid"]
    out = {}
    for n in range(1, 10):
        ground = np.where(water, _WATER[n - 1], _GROUND[n - 1] * (0.55 + 0.9 * land))
        rho = ground * (1 - cloud) + _CLOUD[n - 1] * cloud
        rho = rho + noise.normal(0, 0.003, rho.shape).astype(np.float32)
        mult, add = cal["refl"][n]
        dn = (rho * cal["sin_sun"] - add) / mult
        out[f"B{n}"] = np.where(valid, np.clip(np.round(dn), 1, 65535), 0).astype(np.uint16)
    for n, offset in ((10, 0.0), (11, -1.5)):
        kelvin = (295.0 + 8.0 * (land - 0.5) + offset) * (1 - cloud) + 245.0 * cloud
        mult, add, k1, k2 = cal["thermal"][n]
        dn = (k1 / np.expm1(k2 / kelvin) - add) / mult
        out[f"B{n}"] = np.where(valid, np.clip(np.round(dn), 1, 65535), 0).astype(np.uint16)
    bqa = np.select([~valid, cloud >= 0.6, cloud > 0.05], [_BQA["fill"], _BQA["cloud"],
                                                           _BQA["thin"]], _BQA["clear"])
    out["BQA"] = bqa.astype(np.uint16)
    return out


def _write_bands(part: Path, rows: int, cols: int, crs, transform, cal: dict,
                 seed: int) -> None:
    import contextlib

    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    names = [f"B{n}" for n in range(1, 12)] + ["BQA"]
    fields = _Fields(rows, cols, seed)
    noise = np.random.default_rng(seed + 1)
    with contextlib.ExitStack() as stack:
        files = {}
        for name in names:
            scale = 2 if name == "B8" else 1
            profile = {"driver": "GTiff", "width": cols * scale, "height": rows * scale,
                       "count": 1, "dtype": "uint16", "crs": crs,
                       "transform": transform * Affine.scale(1 / scale)}
            files[name] = stack.enter_context(
                rasterio.open(part / f"{SCENE_ID}_{name}.TIF", "w", **profile))
            files[name].update_tags(AREA_OR_POINT="Point")
        for y0 in range(0, rows, STRIP):
            y1 = min(rows, y0 + STRIP)
            for name, dn in _strip_dn(fields.strip(y0, y1), cal, noise).items():
                if name == "B8":
                    dn = np.repeat(np.repeat(dn, 2, axis=0), 2, axis=1)
                scale = 2 if name == "B8" else 1
                files[name].write(dn, 1, window=Window(0, y0 * scale, cols * scale,
                                                      (y1 - y0) * scale))


# --------------------------------------------------------------------------- timing
def time_cli(model: Path, scene: Path, out: Path, runtime: str, precision: str = "fp32",
             extra: list[str] | None = None) -> dict:
    """Wall clock of ``python -m crossmask predict`` (process start included), its peak
    RSS (``/usr/bin/time -v``, else the children's ru_maxrss) and what it printed."""
    import resource

    cmd = [sys.executable, "-m", "crossmask", "predict", str(model), str(scene), "-o",
           str(out), "--sensor", "L8", "--runtime", runtime, "--precision", precision,
           "--overwrite", *(extra or [])]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    done = subprocess.run(([timer, "-v"] if timer else []) + cmd, capture_output=True,
                          text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    rss_mb = (int(found[1]) if found else
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    row = {"runtime": runtime, "precision": precision, "wall_s": wall, "peak_rss_mb": rss_mb,
           "rss_method": "/usr/bin/time -v" if found else "RUSAGE_CHILDREN",
           "returncode": done.returncode, "command": " ".join(cmd[1:]),
           "loadavg": os.getloadavg()[0]}
    said = re.search(r"cloud fraction ([\d.]+) %.*?, ([\d.]+) s\)", done.stdout)
    if said:
        row.update(cloud_percent=float(said[1]), predict_s=float(said[2]))
    if done.returncode:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("\t")]
        row["error"] = " | ".join(lines[-3:])[-400:]
    return row


def fill_tiles(scene: Path, tile: int = 512, overlap: int = 64, stride: int = 16) -> dict:
    """How many of the tiles `predict_product` would predict (CLI defaults) hold no valid
    pixel (all fill, BQA = 1): the work a pipeline that skipped them would save."""
    import rasterio

    from crossmask.pipelines.inference.tiling import fitted_tile, tile_origins

    with rasterio.open(scene / f"{SCENE_ID}_BQA.TIF") as src:
        fill = src.read(1) == _BQA["fill"]
    tile = fitted_tile(fill.shape, tile, overlap, stride)
    ys = tile_origins(fill.shape[0], tile, tile - overlap)
    xs = tile_origins(fill.shape[1], tile, tile - overlap)
    empty = sum(bool(fill[y:y + tile, x:x + tile].all()) for y in ys for x in xs)
    return {"tile": tile, "tiles": len(ys) * len(xs), "fill_tiles": empty,
            "fill_px_fraction": float(fill.mean()),
            "work": len(ys) * len(xs) * tile**2 / fill.size}
