"""Tables that put fitted band adjustments beside the published HLS ones."""

from __future__ import annotations

import pandas as pd

from crossmask.harmonize.adjustment import BandAdjustment
from crossmask.harmonize.fit import build_adjustment
from crossmask.harmonize.hls import HLS_COEFFICIENTS
from crossmask.harmonize.spectra import SpectralSet
from crossmask.srf import band_pairs

__all__ = ["comparison_table"]


def comparison_table(adjustment: BandAdjustment, spectra: SpectralSet) -> pd.DataFrame:
    """One row per target band: the adjustment's numbers and metrics, plus HLS's.

    For multivariate adjustments the slope column holds the coefficient of the paired
    source band.  HLS columns (slope, offset and their R²/RMSE on the same spectra) appear
    for Sentinel-2A/2B → Landsat-8.  Values are rounded to 4 decimals and printed as text;
    bands that are not fitted (the cirrus band) say ``pass-through`` instead of scores.
    """
    pairs = band_pairs(adjustment.source, adjustment.target)
    paired = [pairs[b.target] if pairs[b.target] in b.sources or len(b.sources) > 1
              else b.sources[0] for b in adjustment.bands]  # a stand-in (B8 for B8A)
    table = adjustment.table()
    table["slope"] = [b.coefficients[b.sources.index(s)] if s in b.sources else float("nan")
                      for b, s in zip(adjustment.bands, paired)]
    table["pair"] = [f"{b.target}<-{s}" for b, s in zip(adjustment.bands, paired)]
    columns = ["pair", "slope", "intercept", "r2", "rmse", "bias"]
    table = table.reindex(columns=columns)
    if adjustment.source in HLS_COEFFICIENTS and adjustment.target == "L8":
        hls = build_adjustment(adjustment.source, "L8", "hls", spectra,
                               target_bands=[b.target for b in adjustment.bands],
                               available=adjustment.source_bands).table()
        table["hls_slope"] = hls["slope"].to_numpy()
        table["hls_offset"] = hls["intercept"].to_numpy()
        table["hls_r2"] = hls["r2"].to_numpy()
        table["hls_rmse"] = hls["rmse"].to_numpy()
    passed = [bool(b.note) for b in adjustment.bands]
    return table.apply(lambda column: column if column.name == "pair" else
                       [_cell(v, p) for v, p in zip(column, passed)])


def _cell(value: float, passed_through: bool) -> str:
    if value != value:  # NaN
        return "pass-through" if passed_through else "–"
    return f"{round(float(value), 4) + 0.0:.4f}"  # + 0.0 turns -0.0 into 0.0
