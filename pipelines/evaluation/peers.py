"""Peer cloud detectors run beside crossmask models, from their own wheels, offline.

* ``ukis-csmask`` (DLR; ONNX U-Nets for L1C TOA reflectance of Sentinel-2 and Landsat-5/7/
  8/9, bands by common name: blue, green, red, nir and optionally swir16, swir22) —
  classes clear, cloud, shadow;
* ``s2cloudless`` (Sentinel Hub; LightGBM on the 10 Sentinel-2 bands B1, B2, B4, B5, B8,
  B8A, B9, B10, B11, B12) — cloud probability, threshold 0.4, average over 4 px, dilation 2.

Both see the dataset's native bands (no harmonisation: they were built for their own
sensors).  A peer is skipped, with the reason, on a sensor family it does not take or
when the dataset lacks a band it needs.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass

import numpy as np

from crossmask.srf import get_sensor

__all__ = ["PEERS", "Peer", "peer_bands"]


@dataclass(frozen=True)
class Peer:
    """A peer detector: name, package, class names of its output, the bands it needs (by
    common name for ``by_common_name`` peers, else by band name) and the sensor families
    whose bands it takes."""

    name: str
    package: str
    class_names: tuple[str, ...]
    needs: tuple[str, ...]  # in the peer's input order
    optional: tuple[str, ...] = ()
    families: tuple[str, ...] = ("MSI",)
    by_common_name: bool = False

    def available(self) -> bool:
        """Whether its package is installed."""
        return importlib.util.find_spec(self.package) is not None

    def version(self) -> str:
        """The installed version of its distribution ("" when not installed)."""
        try:
            return importlib.metadata.version(self.name)
        except importlib.metadata.PackageNotFoundError:
            return ""

    def predict(self, cube: np.ndarray, inputs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(classes uint8 into ``class_names``, cloud probability float32 or NaN) of a
        (rows, cols, bands) TOA reflectance cube whose bands are ``inputs`` (the names
        :func:`peer_bands` returned second)."""
        cube = np.nan_to_num(cube.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        if self.name == "ukis-csmask":
            return _ukis(cube, inputs)
        return _s2cloudless(cube)


PEERS: dict[str, Peer] = {
    "ukis-csmask": Peer("ukis-csmask", "ukis_csmask", ("clear", "cloud", "shadow"),
                        ("blue", "green", "red", "nir"), ("swir16", "swir22"),
                        families=("MSI", "OLI", "TM"), by_common_name=True),
    "s2cloudless": Peer("s2cloudless", "s2cloudless", ("clear", "cloud"),
                        ("B1", "B2", "B4", "B5", "B8", "B8A", "B9", "B10", "B11", "B12")),
}
#: Common names that stand in for a needed one, in order of preference.
_STAND_INS = {"nir": ("nir", "nir08")}


def peer_bands(peer: Peer, sensor: str, available: list[str]
               ) -> tuple[list[str] | None, list[str], str]:
    """The dataset bands to feed ``peer`` from data of ``sensor`` and the peer's names for
    them, or ``(None, [], reason)`` when it cannot run on these data."""
    sens = get_sensor(sensor)
    if sens.family not in peer.families:
        return None, [], (f"{peer.name} does not take {sens.long_name} bands (it takes "
                          f"{', '.join(peer.families)} sensors)")
    have = {b: sens.band(b) for b in available}
    if not peer.by_common_name:
        missing = [b for b in peer.needs if b not in have]
        if missing:
            return None, [], f"{peer.name} needs bands {', '.join(missing)}, which the data lack"
        return list(peer.needs), list(peer.needs), ""
    by_common = {band.common_name: name for name, band in have.items()}
    chosen, missing = [], []
    for common in peer.needs:
        found = next((by_common[c] for c in _STAND_INS.get(common, (common,)) if c in by_common),
                     None)
        (chosen if found else missing).append(found or common)
    if missing:
        return None, [], (f"{peer.name} needs {', '.join(missing)} bands, which the "
                          f"{sensor} data lack")
    extra = [c for c in peer.optional if c in by_common]
    return chosen + [by_common[c] for c in extra], list(peer.needs) + extra, ""


def _ukis(cube: np.ndarray, inputs: list[str]):
    from ukis_csmask.mask import CSmask

    mask = CSmask(cube, band_order=list(inputs), product_level="l1c", invalid_buffer=0,
                  batch_size=4)
    return mask.csm[..., 0].astype(np.uint8), np.full(cube.shape[:2], np.nan, np.float32)


def _s2cloudless(cube: np.ndarray):
    from s2cloudless import S2PixelCloudDetector

    detector = S2PixelCloudDetector(threshold=0.4, average_over=4, dilation_size=2,
                                    all_bands=False)
    prob = detector.get_cloud_probability_maps(cube[None])[0].astype(np.float32)
    mask = detector.get_mask_from_prob(prob[None])[0].astype(np.uint8)
    return mask, prob
