"""The demo's steps and what lets an interrupted demo resume.

``<out>/demo.json`` records the settings a demo folder was made with (seed, epochs,
crossmask version) and the steps finished so far; a re-run with the same settings skips
the finished steps (the simulated data, the trained model, each harmonised product,
each evaluated scene), a run with other settings is refused unless ``overwrite``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.errors import OutputExistsError
from crossmask.harmonize import (
    BandAdjustment,
    build_adjustment,
    harmonize_product,
    training_spectra,
)
from crossmask.harmonize.comparison import comparison_table
from crossmask.pipelines.demo import adaptation, probav_stage
from crossmask.pipelines.demo.simulate import SimulatedSet, simulate_pair_set
from crossmask.pipelines.training.patches import extract_patches
from crossmask.pipelines.training.split import make_split, save_split
from crossmask.pipelines.training.train import TrainConfig, train
from crossmask.products import find_biome_scenes, open_safe

__all__ = ["DEMO_BANDS", "DemoState", "fit", "harmonize", "simulate", "train_model"]

#: The demo model's Landsat-8 input bands: blue … swir22, which labelled Sentinel-2 sets
#: supply (B2, B3, B4, B8/B8A, B11, B12), so one model serves simulated and real samples.
DEMO_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7")
_STATE = "demo.json"
_MADE = ("data", "runs", "harmonized", "report", "report-real-sample", "patches",
         adaptation.FOLDER, probav_stage.FOLDER)


class DemoState:
    """The settings of a demo folder and its finished steps, kept in ``demo.json``."""

    def __init__(self, out_dir: Path, settings: dict, overwrite: bool):
        self.path, self.settings = out_dir / _STATE, {**settings, "crossmask": __version__}
        earlier = json.loads(self.path.read_text()) if self.path.is_file() else None
        made = [d for d in _MADE if (out_dir / d).exists()]
        if earlier is not None and earlier.get("settings") != self.settings or (
                earlier is None and made):
            if not overwrite:
                raise OutputExistsError(
                    f"{out_dir}: holds an earlier demo run made with other settings "
                    f"({_difference(earlier, self.settings)}); pass --overwrite or choose "
                    "another folder with -o")
            for sub in made:
                shutil.rmtree(out_dir / sub, ignore_errors=True)
            earlier = None
        out_dir.mkdir(parents=True, exist_ok=True)
        self.done: dict = dict(earlier["done"]) if earlier else {}

    def finish(self, step: str, value=True) -> None:
        """Record ``step`` as finished (with what a resumed run needs of it)."""
        self.done[step] = value
        with atomic_output(self.path, overwrite=True) as tmp:
            tmp.write_text(json.dumps({"settings": self.settings, "done": self.done},
                                      indent=1, default=str) + "\n")


def _difference(earlier: dict | None, settings: dict) -> str:
    if earlier is None:
        return "no demo.json: made by another program or crossmask version"
    old = earlier.get("settings", {})
    return ", ".join(f"{k} {old.get(k)!r} → {v!r}" for k, v in settings.items()
                     if old.get(k) != v) or "unknown"


def simulate(out_dir: Path, seed: int, state: DemoState, progress: bool) -> SimulatedSet:
    """Step 1: the simulated paired set (reused when a resumed run finished it)."""
    if "simulate" in state.done:
        paths = state.done["simulate"]
        return SimulatedSet(**{k: Path(v) if isinstance(v, str) else [Path(p) for p in v]
                               for k, v in paths.items()})
    data = simulate_pair_set(out_dir / "data", n_landsat=10, n_sentinel=4, seed=seed,
                             progress=progress, overwrite=True)
    state.finish("simulate", asdict(data))
    return data


def fit(out_dir: Path):
    """Step 2: S2A/S2B → L8 OLS adjustments saved as JSON; the S2A table beside HLS."""
    spectra = training_spectra()
    for sensor in ("S2A", "S2B"):
        build_adjustment(sensor, "L8", "ols", spectra).save(out_dir / f"coeffs_{sensor}.json",
                                                            overwrite=True)
    return comparison_table(build_adjustment("S2A", "L8", "ols", spectra), spectra)


def train_model(out_dir: Path, data: SimulatedSet, run: Path, epochs: int, seed: int,
                state: DemoState, progress: bool) -> Path:
    """Step 3: split, patches and a small UNmask (an interrupted training resumes)."""
    if "train" in state.done and (run / "model.keras").exists():
        return Path(state.done["train"])
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
    state.finish("train", str(split_path))
    return split_path


def harmonize(out_dir: Path, products: list[Path], progress: bool) -> list[Path]:
    """Step 4: each Sentinel-2 product as a 30 m Landsat-8-equivalent GeoTIFF (products
    harmonised by an interrupted run are kept: outputs appear only when complete)."""
    from tqdm.auto import tqdm

    written = []
    for safe in tqdm(products, desc="harmonise", unit="product", disable=None if progress
                     else True):
        out = out_dir / "harmonized" / f"{safe.stem}_L8_ols.tif"
        if not out.exists():
            product = open_safe(safe)
            adjustment = BandAdjustment.load(out_dir / f"coeffs_{product.sensor}.json")
            harmonize_product(product, adjustment, out, progress=False)
        written.append(out)
    return written
