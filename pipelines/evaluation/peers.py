"""Peer cloud detectors run beside crossmask models, from their own wheels, offline.

* ``ukis-csmask`` (DLR; ONNX U-Nets for L1C, 4 bands blue/green/red/nir or 6 with
  swir16/swir22) — classes clear, cloud, shadow;
* ``s2cloudless`` (Sentinel Hub; LightGBM on the 10 Sentinel-2 bands B1, B2, B4, B5, B8,
  B8A, B9, B10, B11, B12) — cloud probability, threshold 0.4, average over 4 px, dilation 2.

Both see the dataset's native bands (no harmonisation: they were built for Sentinel-2).
A peer that lacks a band the dataset does not hold is skipped with a reason.
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
    """A peer detector: name, package, class names of its output and needed bands."""

    name: str
    package: str
    class_names: tuple[str, ...]
    needs: tuple[str, ...]  # Sentinel-2 band names, in the peer's input order
    optional: tuple[str, ...] = ()
    families: tuple[str, ...] = ("MSI",)  # sensor families whose bands it takes

    def available(self) -> bool:
        """Whether its package is installed."""
        return importlib.util.find_spec(self.package) is not None

    def version(self) -> str:
        """The installed version of its distribution ("" when not installed)."""
        try:
            return importlib.metadata.version(self.name)
        except importlib.metadata.PackageNotFoundError:
            return ""

    def predict(self, cube: np.ndarray, bands: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(classes uint8 into ``class_names``, cloud probability float32 or NaN)."""
        cube = np.nan_to_num(cube.astype(np.float32), nan=0.0)
        if self.name == "ukis-csmask":
            return _ukis(cube, bands)
        return _s2cloudless(cube)


PEERS: dict[str, Peer] = {
    "ukis-csmask": Peer("ukis-csmask", "ukis_csmask", ("clear", "cloud", "shadow"),
                        ("B2", "B3", "B4", "B8"), ("B11", "B12")),
    "s2cloudless": Peer("s2cloudless", "s2cloudless", ("clear", "cloud"),
                        ("B1", "B2", "B4", "B5", "B8", "B8A", "B9", "B10", "B11", "B12")),
}


def peer_bands(peer: Peer, sensor: str, available: list[str]) -> tuple[list[str] | None, str]:
    """The bands to feed ``peer`` from data of ``sensor``, or None and the reason why not."""
    if get_sensor(sensor).family not in peer.families:
        return None, f"{peer.name} takes Sentinel-2 bands; the data are {sensor}"
    have = set(available)
    needs = [("B8A" if b == "B8" and "B8" not in have and peer.name == "ukis-csmask" else b)
             for b in peer.needs]
    missing = [b for b in needs if b not in have]
    if missing:
        return None, f"{peer.name} needs bands {', '.join(missing)}, which the data lack"
    return needs + [b for b in peer.optional if b in have], ""


def _ukis(cube: np.ndarray, bands: list[str]):
    from ukis_csmask.mask import CSmask

    names = {"B2": "blue", "B3": "green", "B4": "red", "B8": "nir", "B8A": "nir",
             "B11": "swir16", "B12": "swir22"}
    mask = CSmask(cube, band_order=[names[b] for b in bands], product_level="l1c",
                  invalid_buffer=0, batch_size=4)
    return mask.csm[..., 0].astype(np.uint8), np.full(cube.shape[:2], np.nan, np.float32)


def _s2cloudless(cube: np.ndarray):
    from s2cloudless import S2PixelCloudDetector

    detector = S2PixelCloudDetector(threshold=0.4, average_over=4, dilation_size=2,
                                    all_bands=False)
    prob = detector.get_cloud_probability_maps(cube[None])[0].astype(np.float32)
    mask = detector.get_mask_from_prob(prob[None])[0].astype(np.uint8)
    return mask, prob
