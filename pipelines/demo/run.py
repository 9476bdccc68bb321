"""``crossmask demo``: the main job end to end on generated data, through the user's code.

1. simulate a paired set: Landsat-8 Biome-format scenes and Sentinel-2 L1C SAFE products
   of the same ground (:mod:`crossmask.pipelines.demo.simulate`);
2. fit the Sentinel-2 → Landsat-8 band adjustment (as ``crossmask harmonize fit``);
3. train a small UNmask on the Landsat side (as ``crossmask biome split|patches`` and
   ``crossmask train``);
4. fit the ``learned`` adjustment on the unlabelled images through the trained model
   (as ``crossmask harmonize fit --method learned``;
   :mod:`crossmask.pipelines.demo.adaptation`);
5. harmonise the Sentinel-2 side (as ``crossmask harmonize apply``);
6. evaluate the model on both sides with every harmonisation method (as
   ``crossmask evaluate``); 7. write the report;
8. with ``probav``: the Landsat-8 → PROBA-V transfer
   (:mod:`crossmask.pipelines.demo.probav_stage`, report in ``<out>/probav/report``).

The demo only supplies data; with ``real_sample`` it runs steps 5–7 on a labelled
npz/GeoTIFF instead of the simulated Sentinel-2 products (without ``learned``, which was
fitted on the simulated images).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crossmask.errors import InputError
from crossmask.pipelines.demo import adaptation, probav_stage, stages
from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec
from crossmask.pipelines.evaluation.run import run_evaluation

__all__ = ["DEMO_BANDS", "DemoResult", "UKIS_NPZ_CONFIG", "run_demo"]

DEMO_BANDS = stages.DEMO_BANDS

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
    probav: object | None = None  # EvaluationResult of the L8 → PROBA-V stage


def run_demo(out_dir: str | Path = "crossmask-demo", overwrite: bool = False,
             real_sample: str | Path | None = None, sample_config: str | Path | None = None,
             model: str | Path | None = None, epochs: int = 40, seed: int = 0,
             progress: bool = True, echo: Callable[[str], None] | None = None,
             probav: bool = False) -> DemoResult:
    """Run the demo into ``out_dir`` and return what it wrote.

    A re-run into the same folder with the same settings resumes: finished steps are not
    redone (see :mod:`crossmask.pipelines.demo.stages`).  ``echo`` receives one line as
    each step starts; ``progress`` shows a progress bar per step (on a terminal).
    ``probav`` adds the simulated Landsat-8 → PROBA-V transfer (not with ``real_sample``).

    Raises
    ------
    OutputExistsError
        If ``out_dir`` holds a demo run made with other settings and ``overwrite`` is false
        (a ``real_sample`` run reuses the earlier run's trained model instead).
    """
    import keras

    probav = probav and real_sample is None
    steps = 8 if probav else 7
    say = _numbered(echo or (lambda line: None), steps)
    keras.utils.set_random_seed(seed)
    out_dir = Path(out_dir)
    run = Path(model) if model else out_dir / "runs" / "unmask"
    adjustment_table = data = split = None
    learned: list[Path] = []
    if real_sample is None or not (run / "model.keras").exists():
        state = stages.DemoState(out_dir, {"seed": seed, "epochs": epochs,
                                           "model": str(model) if model else None},
                                 overwrite and real_sample is None)
        say("1 simulating 10 Landsat-8 Biome scenes and 4 Sentinel-2 L1C products")
        data = stages.simulate(out_dir, seed, state, progress)
        say("2 fitting the Sentinel-2 → Landsat-8 band adjustment")
        adjustment_table = stages.fit(out_dir)
        say(f"3 training UNmask on the Landsat-8 scenes ({epochs} epochs)")
        split = stages.train_model(out_dir, data, run, epochs, seed, state, progress)
        if real_sample is None:
            say("4 fitting the learned adaptation on the unlabelled images")
            learned = adaptation.adapt(out_dir, data, run, split, seed, state, progress)
    if real_sample is not None:
        datasets, harmonized = _real_sample(real_sample, sample_config), []
    else:
        say("5 harmonising the Sentinel-2 products to Landsat-8")
        harmonized = stages.harmonize(out_dir, data.sentinel_products, progress)
        datasets = _simulated_datasets(data, split)
    say("6 evaluating the model with every harmonisation method; 7 writing the report")
    report_dir = out_dir / ("report" if real_sample is None else "report-real-sample")
    result = _evaluate(report_dir, run, datasets, harmonized, adjustment_table, seed, progress,
                       learned)
    if probav:
        say("8 Landsat-8 → PROBA-V: a 4-band UNmask on Landsat-8 seen through the PROBA-V "
            "PSF, scored on simulated PROBA-V L1C and L2A products")
        result.probav = probav_stage.probav_transfer(out_dir, seed, epochs, state, progress)
    return result


def _numbered(echo: Callable[[str], None], steps: int) -> Callable[[str], None]:
    """``echo`` with "N" and "; M" step numbers written as "N/steps"."""
    return lambda line: echo(re.sub(r"(^|; )(\d+) ", rf"\1\2/{steps} ", line))


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
              adjustment_table, seed: int, progress: bool,
              learned: list[Path] | None = None) -> DemoResult:
    fitted = {"learned": [str(p) for p in learned]} if learned else {}
    config = EvaluationConfig(name="crossmask demo", models=[ModelSpec("UNmask-demo",
                                                                         str(run))],
                              datasets=datasets, n_boot=200, seed=seed, tile=192,
                              overlap=32, adjustments=fitted)
    result = run_evaluation(config, report_dir, progress=progress)
    return DemoResult(report_dir.parent, run, harmonized, result.report, result.table,
                      result.effect, adjustment_table)
