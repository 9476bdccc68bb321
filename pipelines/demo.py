"""The demo: the main job on generated data, through the same code a user runs.

Today it covers what exists: fit the Sentinel-2A → Landsat-8 band adjustment by every
method, write a Sentinel-2 L1C SAFE product in the real layout and harmonise it to a
Landsat-8-equivalent 30 m GeoTIFF.  Training and zero-shot evaluation join as they land.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crossmask.harmonize import METHODS, build_adjustment, harmonize_product
from crossmask.harmonize.readers import open_safe
from crossmask.harmonize.report import comparison_table
from crossmask.harmonize.samples.safe import write_safe
from crossmask.harmonize.spectra import training_spectra

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    """Where the demo wrote its outputs, and the band-adjustment table it printed."""

    out_dir: Path
    coefficients: dict[str, Path]
    harmonized: dict[str, Path]
    table: pd.DataFrame


def run_demo(out_dir: str | Path, size_60m: int = 60, overwrite: bool = False,
             progress: bool = True) -> DemoResult:
    """Run the demo into ``out_dir`` (created); return what was written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spectra = training_spectra()
    products = out_dir / "products"
    safe = next(products.glob("*.SAFE"), None) if products.exists() else None
    safe = safe or write_safe(products, size_60m=size_60m, seed=7)
    product = open_safe(safe)
    coefficients, harmonized = {}, {}
    for method in METHODS:
        adjustment = build_adjustment(product.sensor, "L8", method, spectra)
        coefficients[method] = adjustment.save(out_dir / f"coeffs_{method}.json", overwrite)
        harmonized[method] = harmonize_product(
            product, adjustment, out_dir / f"l8_equivalent_{method}.tif", overwrite=overwrite,
            progress=progress)
    table = comparison_table(build_adjustment(product.sensor, "L8", "ols", spectra), spectra)
    return DemoResult(out_dir, coefficients, harmonized, table)
