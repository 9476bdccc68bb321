"""The per-product jobs of a batch: predict a mask, harmonise a product.

A job is a small picklable description of the settings (model folders, method, tiling…);
calling it on a product writes one output.  Its :meth:`fingerprint` digests everything
that determines that output; the digest is written into the output's metadata
(``CROSSMASK_FINGERPRINT``), so a re-run skips outputs made from the same inputs and
settings and remakes the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from crossmask import __version__
from crossmask.fingerprint import digest
from crossmask.harmonize import BandAdjustment, build_adjustment, harmonize_product
from crossmask.models.card import model_digest, read_card
from crossmask.models.runtime import load_runner
from crossmask.pipelines.inference.predict import predict_product
from crossmask.products import Product, read_grid

__all__ = ["FINGERPRINT_TAG", "HarmonizeJob", "PredictJob", "cached_runner", "stored_fingerprint"]

#: Dataset metadata key holding an output's fingerprint.
FINGERPRINT_TAG = "CROSSMASK_FINGERPRINT"


def stored_fingerprint(path: Path) -> str | None:
    """The fingerprint written into an existing output, or None (absent, unreadable)."""
    try:
        with rasterio.open(path) as dataset:
            return dataset.tags().get(FINGERPRINT_TAG)
    except (RasterioError, OSError):
        return None


@lru_cache(maxsize=4)
def cached_runner(model_dir: str, runtime: str, precision: str):
    """One loaded model per process and settings (each Dask worker loads a model once)."""
    return load_runner(model_dir, runtime, precision)


@dataclass(frozen=True)
class PredictJob:
    """Predict the cloud mask of a product with one model or an ensemble."""

    models: tuple[str, ...]
    runtime: str = "keras"
    precision: str = "fp32"
    tile: int = 512
    overlap: int | None = None
    batch_size: int = 4
    threshold: float | None = None
    tta: bool = False
    suffix: str = "mask"

    def fingerprint(self, product: Product) -> str:
        models = [model_digest(m) for m in self.models]
        settings = {k: v for k, v in asdict(self).items() if k != "models"}
        return digest({"crossmask": __version__, "job": "predict", "models": models,
                       "settings": settings, "product": product.identity()})

    def __call__(self, product: Product, output: Path, fingerprint: str) -> None:
        runners = [cached_runner(m, self.runtime, self.precision) for m in self.models]
        predict_product(runners, product, output, tile=self.tile, overlap=self.overlap,
                        batch_size=self.batch_size, threshold=self.threshold, tta=self.tta,
                        overwrite=True, progress=False, tags={FINGERPRINT_TAG: fingerprint})


@dataclass(frozen=True)
class HarmonizeJob:
    """Write a product as target-sensor reflectance (as ``crossmask harmonize apply``)."""

    method: str = "ols"
    target: str = "L8"
    coeffs: str | None = None
    model: str | None = None
    target_bands: tuple[str, ...] | None = None
    like: str | None = None
    resolution: float = 30.0
    dtype: str = "float32"
    window_size: int = 1024
    restore_saturation: bool | None = None  # None: harmonisation's default for the sensor

    @property
    def suffix(self) -> str:
        return f"{self.target}_{self.method if not self.coeffs else Path(self.coeffs).stem}"

    def adjustment(self, product: Product) -> BandAdjustment:
        """The adjustment for this product: every band paired with its sensor, or the
        bands of ``model`` / ``target_bands``."""
        target, bands = self.target, list(self.target_bands) if self.target_bands else None
        if self.model:
            card = read_card(self.model)
            target, bands = card.sensor, bands or list(card.bands)
        if self.coeffs:
            adjustment = BandAdjustment.load(self.coeffs)
            adjustment = adjustment.select(bands) if bands else adjustment
            if self.restore_saturation is not None:
                adjustment.restore_saturation = self.restore_saturation
            return adjustment
        return build_adjustment(product.sensor, target, self.method, target_bands=bands,
                                available=product.band_names if bands else None,
                                restore_saturation=self.restore_saturation)

    def fingerprint(self, product: Product) -> str:
        coefficients = {k: v for k, v in self.adjustment(product).to_dict().items()
                        if k != "info"}
        settings = {k: v for k, v in asdict(self).items() if k != "window_size"}
        return digest({"crossmask": __version__, "job": "harmonize", "settings": settings,
                       "adjustment": coefficients, "product": product.identity()})

    def __call__(self, product: Product, output: Path, fingerprint: str) -> None:
        grid = read_grid(self.like) if self.like else None
        harmonize_product(product, self.adjustment(product), output, grid=grid,
                          resolution=self.resolution, dtype=self.dtype,
                          window_size=self.window_size, overwrite=True, progress=False,
                          tags={FINGERPRINT_TAG: fingerprint})
