"""Benchmark training throughput: patches per second of each architecture at default width
through the real ``tf.data`` pipeline, and the share of each step spent waiting on input.

Data (generated once, cached in ``--workdir``): synthetic L8 Biome scenes
(:func:`crossmask.products.writers.landsat.write_biome_tree`, 1024 × 1024 px, 5 biomes ×
4 scenes; 2 × 2 with ``--quick``) cut by crossmask's own
:func:`~crossmask.pipelines.training.patches.extract_patches` into 256 px patches of the
default 8 bands (about 300 patches; 60 with ``--quick``).

Per model, in a fresh process (TensorFlow's default threads, all cores): the training
dataset and compiled model exactly as :func:`crossmask.pipelines.training.train.train`
builds them (its ``_plan``, ``make_dataset`` with shuffling, the default augmentations
and sample weights, then its ``_weighted`` normalisation and class-weight map, repeated;
``_compiled_model`` with ``TrainConfig`` defaults: batch 8, Adam, masked cross-entropy),
except ``drop_remainder=True`` so that no step re-traces for a short last batch.  Those
are private helpers of ``train.py``: this script follows them when they change.  A custom loop times each step in two parts:

* wait — ``next(iterator)``: the time the step waits for its batch (zero when the
  prefetching pipeline kept up);
* compute — ``model.train_on_batch`` (returns the loss as NumPy, so the step has finished).

After ``--warmup`` steps (tracing, the shuffle buffer's first fill; its time is reported
as "first batch s"), ``--steps`` steps are timed: **patches/s** = patches / Σ(wait +
compute) and **input wait %** = Σ wait / Σ(wait + compute) (target < 10 %).  Then the same
batches, kept in memory, are fed again with the pipeline gone: **input cost %** = 1 −
Σ compute(cached) / Σ(wait + compute) also counts the cores the pipeline's threads take
from the step while it keeps up (noise can make it slightly negative).

Prints a table and writes ``benchmarks/results/training.json`` (``training_quick.json``
with ``--quick``).

    python benchmarks/training.py [--models unmask,fcnmask,snmask,dlmask] [--steps 20]
                                  [--warmup 3] [--quick] [--workdir DIR]
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("unmask", "fcnmask", "snmask", "dlmask")
BIOMES = ("Barren", "Forest", "Grass-Crops", "Shrubland", "Water")
PATCH, BATCH, SCENE_PX = 256, 8, 1024
TARGET_WAIT_PCT = 10.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per model (default 20; 4 with --quick)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed first steps (default 3; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="60 patches, few steps")
    parser.add_argument("--workdir", type=Path, default=HERE / "cache")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--patch-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.steps = args.steps or (4 if args.quick else 20)
    args.warmup = args.warmup or (2 if args.quick else 3)
    return args


def patch_folder(workdir: Path, quick: bool) -> Path:
    """The cached patch folder (scenes written and cut on first use)."""
    from crossmask.pipelines.training.patches import INDEX_NAME, extract_patches
    from crossmask.products import find_biome_scenes
    from crossmask.products.writers.landsat import write_biome_tree

    biomes, per_biome = (BIOMES[:2], 2) if quick else (BIOMES, 4)
    root = workdir / f"training_{len(biomes)}x{per_biome}x{SCENE_PX}"
    patches = root / f"patches_{PATCH}"
    if (patches / INDEX_NAME).exists():
        return patches
    print(f"generating {len(biomes) * per_biome} L8 Biome scenes of {SCENE_PX} px and their "
          f"{PATCH} px patches in {root} (once) ...", flush=True)
    start = time.perf_counter()
    write_biome_tree(root / "scenes", biomes, per_biome, size=SCENE_PX, seed=0)
    extract_patches(find_biome_scenes(root / "scenes"), patches, size=PATCH, stride=PATCH,
                    overwrite=True)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return patches


# --------------------------------------------------------------------------- child
def training_pipeline(model_name: str, patch_dir: Path):
    """The dataset (endless) and compiled model that ``train()`` builds for these patches,
    every scene a training scene (the same helpers and expression as ``train()``)."""
    from crossmask.pipelines.training.patches import load_index, make_dataset
    from crossmask.pipelines.training.split import Split
    from crossmask.pipelines.training.train import (
        TrainConfig,
        _compiled_model,
        _plan,
        _weighted,
    )

    ids = tuple(sorted(load_index(patch_dir)["scenes"]))
    split = Split(seed=0, train=ids, val=(), test=(), biomes={})
    config, plan = _plan(patch_dir, split, TrainConfig(model=model_name, batch_size=BATCH))
    ds = make_dataset(patch_dir, ids, config.batch_size, shuffle=True, augment=config.augment,
                      seed=config.seed, sample_weights=True, bands=plan.bands,
                      drop_remainder=True)
    model, _ = _compiled_model(config, plan)
    n_patches = sum(s["patches"] for s in plan.index["shards"])
    return _weighted(ds, plan).repeat(), model, n_patches, list(config.augment)


def child(model_name: str, patch_dir: str, steps: int, warmup: int) -> None:
    """Time one model's steps in this fresh process; print the JSON row."""
    import gc

    import keras

    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    ds, model, n_patches, augment = training_pipeline(model_name, Path(patch_dir))
    build_s = time.perf_counter() - t0
    iterator = iter(ds)
    t0 = time.perf_counter()
    first = next(iterator)
    first_batch_s = time.perf_counter() - t0
    model.train_on_batch(*first[:2], sample_weight=first[2])
    for _ in range(warmup - 1):
        x, y, w = next(iterator)
        model.train_on_batch(x, y, sample_weight=w)
    waits, computes, kept = [], [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        x, y, w = next(iterator)
        t1 = time.perf_counter()
        model.train_on_batch(x, y, sample_weight=w)
        waits.append(t1 - t0)
        computes.append(time.perf_counter() - t1)
        kept.append((x, y, w))
    del iterator, ds
    gc.collect()
    cached = []
    for x, y, w in kept:
        t0 = time.perf_counter()
        model.train_on_batch(x, y, sample_weight=w)
        cached.append(time.perf_counter() - t0)
    print(json.dumps({
        "model": model_name, "params": int(model.count_params()), "patches": n_patches,
        "batch": BATCH, "patch_px": PATCH, "augment": augment, "steps": steps, "warmup": warmup,
        "build_s": build_s, "first_batch_s": first_batch_s, "wait_s": waits,
        "compute_s": computes, "cached_s": cached,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


# --------------------------------------------------------------------------- parent
def measure(model_name: str, patch_dir: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--child", model_name, "--patch-dir", str(patch_dir),
           "--steps", str(args.steps), "--warmup", str(args.warmup)]
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        return {"model": model_name, "error": done.stderr.strip().splitlines()[-1][-400:]}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    total = sum(row["wait_s"]) + sum(row["compute_s"])
    row.update(wall_s=time.perf_counter() - t0, loadavg_before=load,
               loadavg_after=os.getloadavg()[0], step_s=total / row["steps"],
               patches_per_s=row["steps"] * BATCH / total,
               cached_patches_per_s=row["steps"] * BATCH / sum(row["cached_s"]),
               input_wait_pct=100 * sum(row["wait_s"]) / total,
               input_cost_pct=100 * (1 - sum(row["cached_s"]) / total))
    row["target_met"] = row["input_wait_pct"] < TARGET_WAIT_PCT
    return row


def print_table(rows: list[dict], quick: bool) -> None:
    print(f"\nTraining throughput, {PATCH} px patches, batch {BATCH}, default width, "
          f"{os.cpu_count()} CPU cores" + ("  [--quick]" if quick else ""))
    print(f"{'model':8s} {'params':>9s} {'patches/s':>9s} {'step s':>7s} {'wait %':>7s} "
          f"{'cost %':>7s} {'cached p/s':>10s} {'1st batch s':>11s} {'RSS MB':>7s} "
          f"{'load':>5s}  target (wait < {TARGET_WAIT_PCT:.0f} %)")
    for r in rows:
        if "error" in r:
            print(f"{r['model']:8s} FAILED: {r['error']}")
            continue
        print(f"{r['model']:8s} {r['params']:9d} {r['patches_per_s']:9.2f} {r['step_s']:7.2f} "
              f"{r['input_wait_pct']:7.2f} {r['input_cost_pct']:7.2f} "
              f"{r['cached_patches_per_s']:10.2f} {r['first_batch_s']:11.2f} "
              f"{r['peak_rss_mb']:7.0f} {r['loadavg_before']:5.2f}  "
              + ("met" if r["target_met"] else "MISSED"))
    print("wait %: share of step time in next(iterator); cost %: 1 - cached-batch step time "
          "/ pipeline step time (see the docstring)")


def main() -> None:
    args = parse_args()
    if args.child:
        child(args.child, args.patch_dir, args.steps, args.warmup)
        return
    start = time.perf_counter()
    patch_dir = patch_folder(args.workdir, args.quick)
    rows = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        print(f"  {name} ...", flush=True)
        rows.append(measure(name, patch_dir, args))
    print_table(rows, args.quick)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    path = results / ("training_quick.json" if args.quick else "training.json")
    record = {"benchmark": "training", "quick": args.quick, "patch_dir": str(patch_dir),
              "cpu_count": os.cpu_count(), "machine": platform.platform(),
              "date": time.strftime("%Y-%m-%d %H:%M"), "target_wait_pct": TARGET_WAIT_PCT,
              "method": "custom loop: next(iterator) timed apart from train_on_batch; then "
                        "the same batches replayed from memory", "rows": rows,
              "total_s": time.perf_counter() - start}
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
