"""The demo's Landsat-8 → PROBA-V stage: simulate, train a 4-band model on Landsat-8
upscaled to PROBA-V resolution, and score it on simulated PROBA-V products.

1. :func:`~crossmask.pipelines.demo.probav.simulate_probav_set` writes L8 Biome scenes
   and PROBA-V Level-1C and Level-2A products (``<out>/probav/data``);
2. the L8 scenes are seen at PROBA-V resolution through the instrument's PSF
   (:class:`crossmask.harmonize.UpscaledScene`, windowed, nothing written), split, cut
   into patches and a small UNmask is trained on L8 **B2, B4, B5, B6** — the bands PROBA-V
   pairs with (BLUE, RED, NIR, SWIR) — as ``crossmask patches`` / ``crossmask train`` do;
3. the held-out L8 scenes are written at PROBA-V resolution as GeoTIFF + reference
   (``data/landsat8-at-probav``) to score the model in its own domain;
4. ``<out>/probav/evaluate.toml`` is written and run as ``crossmask evaluate
   <out>/probav/evaluate.toml -o <out>/probav/report``: the model on the PROBA-V products
   with the methods that exist for PROBA-V → Landsat-8 (``none``: band pairing only,
   ``ols``, ``multivariate``) and on the upscaled L8 test scenes.

The evaluation config it writes (paths relative to it)::

    name = "l8-to-probav"
    scheme = "binary"
    methods = ["none", "ols", "multivariate"]
    n_boot = 200
    seed = 0
    tile = 128
    overlap = 32

    [[models]]
    name = "UNmask-B2B4B5B6"
    path = "runs/unmask-4band"

    [[datasets]]
    name = "simulated-PROBA-V-L1C"
    path = "data/probav-L1C"             # scene TOMLs: image = "PROBAV_L1C_….HDF5"

    [[datasets]]
    name = "simulated-PROBA-V-L2A"
    path = "data/probav-L2A"

    [[datasets]]
    name = "simulated-L8-at-PROBA-V-test"
    path = "data/landsat8-at-probav"

Quicklooks of PROBA-V scenes are false colour (NIR, red, blue: it has no green band).
Resumable with a :class:`~crossmask.pipelines.demo.stages.DemoState`
(steps ``probav-simulate``, ``probav-train``); ``state=None`` always recomputes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from crossmask.atomic import atomic_output
from crossmask.harmonize import UpscaledScene, applicable_methods, probav_grid
from crossmask.pipelines.demo.probav import (
    REFERENCE_CODES,
    simulate_probav_set,
    write_reference,
)
from crossmask.pipelines.evaluation.config import load_config
from crossmask.pipelines.evaluation.run import EvaluationResult, run_evaluation
from crossmask.pipelines.training.patches import extract_patches
from crossmask.pipelines.training.split import load_split, make_split, save_split
from crossmask.pipelines.training.train import TrainConfig, train
from crossmask.products import find_biome_scenes
from crossmask.products.writers.geotiff import write_named_geotiff

__all__ = ["FOLDER", "MODEL_BANDS", "PROBAV_METHODS", "evaluation_config", "probav_transfer",
           "train_upscaled", "upscaled_patches"]

#: The stage's folder below the demo's output folder.
FOLDER = "probav"
#: The Landsat-8 bands of the model: PROBA-V's pairs (BLUE, RED, NIR, SWIR).
MODEL_BANDS = ("B2", "B4", "B5", "B6")
#: Harmonisation methods that exist from PROBA-V to Landsat-8 (no published table covers
#: the pair: ``none`` — band pairing only —, ``ols`` and ``multivariate``).
PROBAV_METHODS = tuple(applicable_methods("PROBAV", "L8"))
_PATCH, _STRIDE = 32, 16


def probav_transfer(out_dir: str | Path, seed: int = 0, epochs: int = 30, state=None,
                    progress: bool = False, *, n_landsat: int = 10, n_probav: int = 4,
                    size_30m: int = 384, resolution: str = "100M", n_boot: int = 200
                    ) -> EvaluationResult:
    """Run the stage into ``<out_dir>/probav`` and return the evaluation (its ``table``
    has one row per dataset × method: OA, F1, CAD …).

    ``state`` (a ``DemoState``: ``done`` dict, ``finish(step, value)``) skips the
    simulation and training a resumed demo finished.  Sizes: see
    :func:`~crossmask.pipelines.demo.probav.simulate_probav_set`; ``epochs`` of UNmask.
    """
    folder = Path(out_dir) / FOLDER
    done = state.done if state is not None else {}
    data_root, run = folder / "data", folder / "runs" / "unmask-4band"
    if "probav-simulate" not in done or not (data_root / "landsat").is_dir():
        simulate_probav_set(data_root, n_landsat, n_probav, size_30m, seed, resolution,
                            overwrite=True)
        if state is not None:
            state.finish("probav-simulate", str(data_root))
    if "probav-train" not in done or not (run / "model.keras").exists():
        split = train_upscaled(data_root / "landsat", folder, run, epochs, seed, resolution,
                               progress)
        if state is not None:
            state.finish("probav-train", str(split))
    test_ids = load_split(folder / "split.json").test
    upscaled = _write_upscaled(data_root / "landsat", data_root / "landsat8-at-probav",
                               test_ids, resolution)
    levels = sorted(p.name.split("-")[-1] for p in data_root.glob("probav-*"))
    config = evaluation_config(folder / "evaluate.toml", run, {
        **{f"simulated-PROBA-V-{lv}": data_root / f"probav-{lv}" for lv in levels},
        "simulated-L8-at-PROBA-V-test": upscaled}, n_boot, seed)
    return run_evaluation(load_config(config), folder / "report", progress=progress)


def train_upscaled(landsat_root: Path, folder: Path, run: Path, epochs: int, seed: int,
                   resolution: str = "100M", progress: bool = False) -> Path:
    """:func:`upscaled_patches`, then UNmask trained on them into ``run``; return the
    split file (``folder/split.json``)."""
    split_path = upscaled_patches(landsat_root, folder, seed, resolution)
    config = TrainConfig(model="unmask", width=0.5, epochs=epochs, batch_size=8,
                         learning_rate=2e-3, patience=8, seed=seed)
    train(folder / "patches", load_split(split_path), run, config, overwrite=True,
          progress=progress)
    return split_path


def upscaled_patches(landsat_root: Path, folder: Path, seed: int = 0,
                     resolution: str = "100M") -> Path:
    """Split the L8 Biome scenes below ``landsat_root`` (all but two to train, one each to
    validate and test) and cut 32 px patches (stride 16) of L8 B2, B4, B5, B6 seen at
    PROBA-V ``resolution`` (PSF + area average) into ``folder/patches``; return
    ``folder/split.json``."""
    views = _upscaled_scenes(landsat_root, resolution)
    n = len(views)
    counts = (max(n - 2, 1), 1, 1) if n >= 3 else (n, 0, 0)
    split = make_split({v.scene_id: None for v in views}, counts, seed)
    split_path = save_split(split, folder / "split.json", overwrite=True)
    extract_patches(views, folder / "patches", bands=MODEL_BANDS, size=_PATCH, stride=_STRIDE,
                    max_fill=0.3, train_ids=split.train, overwrite=True)
    return split_path


def _upscaled_scenes(landsat_root: Path, resolution: str) -> list[UpscaledScene]:
    return [UpscaledScene(scene, probav_grid(scene, resolution, band="B2"), spatial="psf")
            for scene in find_biome_scenes(landsat_root)]


def _write_upscaled(landsat_root: Path, folder: Path, scene_ids, resolution: str) -> Path:
    """The L8 scenes ``scene_ids`` at PROBA-V resolution: ``<ID>.tif`` (float32 B2, B4,
    B5, B6; NaN fill), ``<ID>_reference.tif`` and ``<ID>.toml`` in ``folder``."""
    wanted = set(scene_ids)
    codes = "\n".join(f'{k} = "{v}"' for k, v in REFERENCE_CODES.items())
    bands = ", ".join(f'"{b}"' for b in MODEL_BANDS)
    for view in _upscaled_scenes(landsat_root, resolution):
        if view.scene_id not in wanted or (folder / f"{view.scene_id}.toml").exists():
            continue
        image = folder / f"{view.scene_id}.tif"
        with atomic_output(image, overwrite=True) as tmp:
            write_named_geotiff(tmp, {b: view.read(b).astype(np.float32) for b in MODEL_BANDS},
                                crs=view.grid.crs, transform=view.grid.transform)
        labels = write_reference(folder / f"{view.scene_id}_reference.tif",
                                 view.read_reference(), view.grid)
        with atomic_output(folder / f"{view.scene_id}.toml") as tmp:
            tmp.write_text(f'dataset = "simulated-l8-at-probav"\nsensor = "L8"\n'
                           f'bands = [{bands}]\nimage = "{image.name}"\n'
                           f'labels = "{labels.name}"\n\n[codes]\n{codes}\n')
    return folder


def evaluation_config(path: Path, run: Path, datasets: dict[str, Path], n_boot: int = 200,
                      seed: int = 0) -> Path:
    """Write the evaluation TOML (paths relative to it) scoring the 4-band model ``run`` on
    ``datasets`` (name → folder of scene TOMLs) with :data:`PROBAV_METHODS`."""
    def rel(p: Path) -> str:
        return Path(os.path.relpath(p, path.parent)).as_posix()

    methods = ", ".join(f'"{m}"' for m in PROBAV_METHODS)
    lines = ['name = "l8-to-probav"', 'scheme = "binary"', f"methods = [{methods}]",
             f"n_boot = {n_boot}", f"seed = {seed}", "tile = 128", "overlap = 32",
             "", "[[models]]", 'name = "UNmask-B2B4B5B6"', f'path = "{rel(run)}"']
    for name, folder in datasets.items():
        lines += ["", "[[datasets]]", f'name = "{name}"', f'path = "{rel(folder)}"']
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path
