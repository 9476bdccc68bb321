"""Published band adjustments, as data: which method names are tables from the literature,
which sensors each covers, and the adjustment they make.

* ``hls`` — NASA HLS, Sentinel-2A/2B MSI → Landsat-8 OLI (:mod:`crossmask.harmonize.hls`);
* ``roy2016`` — Roy et al. (2016), Landsat-7 ETM+ → Landsat-8 OLI
  (:mod:`crossmask.harmonize.roy2016`).

A published method exists only from the sensors of its table to its target:
:func:`crossmask.harmonize.applicable_methods` offers it there and nowhere else, and
:func:`crossmask.harmonize.build_adjustment` refuses it elsewhere.  Target bands the table
does not cover (e.g. the cirrus band) are passed through with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossmask.errors import UnknownNameError
from crossmask.harmonize.adjustment import BandAdjustment, BandModel
from crossmask.harmonize.hls import HLS_CITATION, HLS_COEFFICIENTS
from crossmask.harmonize.roy2016 import ROY2016_CITATION, ROY2016_COEFFICIENTS

__all__ = ["PUBLISHED", "PublishedTable", "published_adjustment"]


@dataclass(frozen=True)
class PublishedTable:
    """A published adjustment: ``coefficients`` maps a source sensor to {target band:
    (source band, slope, offset)}; ``name`` is how messages call it."""

    name: str
    coefficients: dict[str, dict[str, tuple[str, float, float]]]
    citation: str
    target: str = "L8"

    def covers(self, source: str, target: str) -> bool:
        """Whether the table adjusts registry key ``source`` to ``target``."""
        return source in self.coefficients and target == self.target


#: Method name → its table; every name is also in :data:`~crossmask.harmonize.METHODS`.
PUBLISHED: dict[str, PublishedTable] = {
    "hls": PublishedTable("HLS", HLS_COEFFICIENTS, HLS_CITATION),
    "roy2016": PublishedTable("Roy et al. (2016)", ROY2016_COEFFICIENTS, ROY2016_CITATION),
}


def published_adjustment(method: str, source: str, target: str,
                         pairs: dict[str, str]) -> BandAdjustment:
    """The published ``method`` adjustment for the target bands of ``pairs`` ({target band:
    source band}, registry keys already resolved).

    Raises
    ------
    UnknownNameError
        If the table does not cover ``source`` → ``target``.
    """
    table = PUBLISHED[method]
    if not table.covers(source, target):
        covered = " and ".join(f"{s}→{table.target}" for s in table.coefficients)
        raise UnknownNameError(
            f"the published {table.name} adjustment exists for {covered} only, not "
            f"{source}→{target}; use --method ols or multivariate")
    rows = table.coefficients[source]
    bands = []
    for tgt_band, src_band in pairs.items():
        if tgt_band in rows and rows[tgt_band][0] == src_band:
            _, slope, offset = rows[tgt_band]
            bands.append(BandModel(tgt_band, [src_band], [slope], offset))
        else:
            bands.append(BandModel(tgt_band, [src_band], [1.0], 0.0,
                                   note=f"no published {table.name} coefficient for "
                                        f"{src_band}→{tgt_band}; passed through"))
    return BandAdjustment(source, target, method, bands, {"citation": table.citation})
