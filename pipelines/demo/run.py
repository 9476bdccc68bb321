"""``crossmask demo``: the main job end to end on generated data, through the user's code.

1. simulate a paired set: Landsat-8 Biome-format scenes and Sentinel-2 L1C SAFE products
   of the same ground (:mod:`crossmask.pipelines.demo.simulate`);
2. fit the Sentinel-2 → Landsat-8 band adjustment (as ``crossmask harmonize fit``);
3. train a small UNmask on the Landsat side (as ``crossmask biome split|patches`` and
   ``crossmask train``);
4. harmonise the Sentinel-2 side (as ``crossmask harmonize apply``);
5. evaluate the model on both sides with every harmonisation method (as
   ``crossmask evaluate``); 6. write the report.

The demo only supplies data; with ``real_sample`` it runs steps 4–6 on a labelled
npz/GeoTIFF instead of the simulated Sentinel-2 products.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.errors import InputError, OutputExistsError
from crossmask.harmonize import (
    BandAdjustment,
    build_adjustment,
    harmonize_product,
    training_spectra,
)
from crossmask.harmonize.comparison import comparison_table
from crossmask.pipelines.demo.simulate import simulate_pair_set
from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec
from crossmask.pipelines.evaluation.run import run_evaluation
from crossmask.pipelines.training.patches import extract_patches
from crossmask.pipelines.training.split import make_split, save_split
from crossmask.pipelines.training.train import TrainConfig, train
from crossmask.products import find_biome_scenes, open_safe

__all__ = ["DEMO_BANDS", "DemoResult", "UKIS_NPZ_CONFIG", "run_demo"]

#: The demo model's Landsat-8 input bands: blue … swir22, which labelled Sentinel-2 sets
#: supply (B2, B3, B4, B8/B8A, B11, B12), so one model serves simulated and real samples.
DEMO_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7")

#: Scene config assumed for an ``.npz`` with a 6-band ``img`` and no TOML beside it: the
#: layout of ukis-csmask's labelled Sentinel-2 patch (bands blue … swir22, codes 0 shadow,
#: 1–3 clear, 4 cloud).
UKIS_NPZ_CONFIG = {"sensor": "S2A", "bands": ["B2", "B3", "B4", "B8", "B11", "B12"],
                   "resolution": 30, "dataset": "real-sample",
                   "codes": {0: "shadow", 1: "clear", 2: "clear", 3: "clear", 4: "cloud"}}


@dataclass
class DemoResult:
    """Where the demo wrote its outputs and the summary table it printed."""

    out_dir: Path
    model: Path
    harmonized: list[Path]
    report: Path
    table: object  # pandas.DataFrame
    effect: object  # pandas.DataFrame: paired differences of each method to "none"
    adjustment_table: object | None = None


def run_demo(out_dir: str | Path = "crossmask-demo", overwrite: bool = False,
             real_sample: str | Path | None = None, sample_config: str | Path | None = None,
             model: str | Path | None = None, epochs: int = 40, seed: int = 0,
             progress: bool = True) -> DemoResult:
    """Run the demo into ``out_dir`` and return what it wrote.

    Raises
    ------
    OutputExistsError
        If ``out_dir`` holds an earlier demo run and ``overwrite`` is false (a
        ``real_sample`` run reuses the earlier run's trained model instead).
    """
    import keras

    keras.utils.set_random_seed(seed)
    out_dir = Path(out_dir)
    run = Path(model) if model else out_dir / "runs" / "unmask"
    adjustment_table = None
    if real_sample is None or not (run / "model.keras").exists():
        _fresh(out_dir, overwrite and real_sample is None)
        data = _simulate(out_dir, seed)
        adjustment_table = _fit(out_dir)
        split = _train(out_dir, data, run, epochs, seed, progress)
    else:
        data = split = None
    if real_sample is not None:
        datasets, harmonized = _real_sample(real_sample, sample_config), []
    else:
        harmonized = _harmonize(out_dir, data.sentinel_products, progress)
        datasets = _simulated_datasets(data, split)
    report_dir = out_dir / ("report" if real_sample is None else "report-real-sample")
    return _evaluate(report_dir, run, datasets, harmonized, adjustment_table, seed, progress)


def _fresh(out_dir: Path, overwrite: bool) -> None:
    if (out_dir / "data").exists() or (out_dir / "runs").exists():
        if not overwrite:
            raise OutputExistsError(f"{out_dir}: holds an earlier demo run; pass --overwrite "
                                    "or choose another folder with -o")
        for sub in ("data", "runs", "harmonized", "report", "report-real-sample", "patches"):
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        (out_dir / "split.json").unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)


def _simulate(out_dir: Path, seed: int):

    return simulate_pair_set(out_dir / "data", n_landsat=10, n_sentinel=4, seed=seed)


def _fit(out_dir: Path):

    spectra = training_spectra()
    for sensor in ("S2A", "S2B"):
        build_adjustment(sensor, "L8", "ols", spectra).save(out_dir / f"coeffs_{sensor}.json",
                                                            overwrite=True)
    return comparison_table(build_adjustment("S2A", "L8", "ols", spectra), spectra)


def _train(out_dir: Path, data, run: Path, epochs: int, seed: int, progress: bool) -> Path:

    scenes = find_biome_scenes(data.landsat_root)
    n = len(scenes)
    counts = (max(n - 2, 1), 1, 1) if n >= 3 else (n, 0, 0)
    split = make_split({s.scene_id: None for s in scenes}, counts, seed)
    split_path = save_split(split, out_dir / "split.json", overwrite=True)
    patches = out_dir / "patches"
    extract_patches(scenes, patches, bands=DEMO_BANDS, size=64, stride=32, max_fill=0.3,
                    train_ids=split.train, overwrite=True)
    config = TrainConfig(model="unmask", width=0.5, epochs=epochs, batch_size=8,
                         learning_rate=2e-3, patience=8, seed=seed)
    train(patches, split, run, config, overwrite=True, progress=progress)
    return split_path


def _harmonize(out_dir: Path, products: list[Path], progress: bool) -> list[Path]:

    written = []
    for safe in products:
        product = open_safe(safe)
        adjustment = BandAdjustment.load(out_dir / f"coeffs_{product.sensor}.json")
        out = out_dir / "harmonized" / f"{safe.stem}_L8_ols.tif"
        written.append(harmonize_product(product, adjustment, out, overwrite=True,
                                         progress=progress))
    return written


def _simulated_datasets(data, split: Path) -> list:

    return [DatasetSpec("simulated-S2", str(data.root / "sentinel2")),
            DatasetSpec("simulated-L8-test", str(data.landsat_root), split=str(split),
                        part="test")]


def _real_sample(path: str | Path, config: str | Path | None) -> list:

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such labelled sample")
    config = config or (path.with_suffix(".toml") if path.with_suffix(".toml").exists()
                        else None)
    if config is None and path.suffix == ".npz":
        with np.load(path) as arrays:
            if "img" not in arrays or arrays["img"].shape[-1] != 6:
                raise InputError(f"{path}: give --sample-config (a TOML with sensor, bands "
                                 "and [codes]) for this sample")
        spec = UKIS_NPZ_CONFIG
        return [DatasetSpec("real-sample", str(path), sensor=spec["sensor"],
                            bands=spec["bands"], codes=spec["codes"])]
    return [DatasetSpec("real-sample", str(path), config=str(config) if config else None)]


def _evaluate(report_dir: Path, run: Path, datasets: list, harmonized: list[Path],
              adjustment_table, seed: int, progress: bool) -> DemoResult:

    config = EvaluationConfig(name="crossmask demo", models=[ModelSpec("UNmask-demo",
                                                                         str(run))],
                              datasets=datasets, n_boot=200, seed=seed, tile=192,
                              overlap=32)
    shutil.rmtree(report_dir / "records", ignore_errors=True)
    result = run_evaluation(config, report_dir, progress=progress)
    return DemoResult(report_dir.parent, run, harmonized, result.report, result.table,
                      result.effect, adjustment_table)
