"""The demo's ``learned`` step: adversarial domain adaptation of the simulated Sentinel-2
images to the simulated Landsat-8 ones (as ``crossmask harmonize fit --method learned``).

One learned adjustment per Sentinel-2 sensor of the set (S2A, S2B), each refining that
sensor's ``ols`` adjustment, trained on that sensor's simulated L1C products (their bands
only: no reference mask is read) against the Landsat-8 scenes of the training part of the
split, through the demo's frozen model.  The Sentinel-2 products are the scenes the
evaluation scores, so the ``learned`` row is *transductive* (the adjustment has seen those
images, never their labels); it is recorded so in each JSON.
"""

from __future__ import annotations

from pathlib import Path

from crossmask.harmonize import BandAdjustment
from crossmask.harmonize.adapt import AdaptSettings, fit_learned
from crossmask.models.card import model_digest
from crossmask.models.frozen import frozen_cloud_model
from crossmask.pipelines.demo.simulate import SimulatedSet
from crossmask.pipelines.training.split import load_split, select_scenes
from crossmask.products import find_biome_scenes, open_safe

__all__ = ["ADAPT_SETTINGS", "FOLDER", "adapt"]

#: Sub-folder of the demo's outputs holding the learned adjustments.
FOLDER = "learned"
#: Training settings of the demo's learned adjustments (small: ~10-30 s on two cores).
ADAPT_SETTINGS = dict(epochs=6, patch=64, patches_per_image=12, batch_size=8)


def adapt(out_dir: Path, data: SimulatedSet, run: Path, split: Path, seed: int, state,
          progress: bool) -> list[Path]:
    """Fit (or, in a resumed run, reuse) the learned adjustments; their JSON paths.

    ``state`` is the demo's :class:`~crossmask.pipelines.demo.stages.DemoState`; the
    ``ols`` adjustments ``coeffs_<sensor>.json`` must exist (step 2).
    """
    done = state.done.get("adapt")
    if done and all(Path(p).is_file() for p in done):
        return [Path(p) for p in done]
    cloud = frozen_cloud_model(run)
    scenes = select_scenes(find_biome_scenes(data.landsat_root), load_split(split), "train")
    products = [open_safe(path) for path in data.sentinel_products]
    settings = AdaptSettings(seed=seed, **ADAPT_SETTINGS)
    provenance = {"cloud_model": {"path": str(run), "digest": model_digest(run)},
                  "transductive": True}
    written = []
    for sensor in sorted({p.sensor for p in products}):
        base = BandAdjustment.load(out_dir / f"coeffs_{sensor}.json").select(cloud.bands)
        learned = fit_learned(base, [p for p in products if p.sensor == sensor], scenes,
                              cloud, settings, provenance, progress)
        written.append(learned.save(out_dir / FOLDER / f"learned_{sensor}.json",
                                    overwrite=True))
    state.finish("adapt", [str(p) for p in written])
    return written
