"""A sensor product (e.g. a Sentinel-2 SAFE) with a reference label raster on its own grid.

The labels may sit on another grid than the bands (a 30 m reference over a 10/20/60 m
product): bands keep their native grids and ``grid`` is the labels', so evaluation
resamples the bands onto the reference, never the reverse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.harmonize.readers.base import Product, read_grid, read_window
from crossmask.harmonize.readers.labelled import CodeDecoder, LabelledScene

__all__ = ["ProductScene"]


class ProductScene(LabelledScene):
    """A :class:`Product` plus a label raster decoded to canonical class codes."""

    def __init__(self, product: Product, labels: Path, decoder: CodeDecoder, scene_id: str,
                 dataset: str, classes: frozenset, tags: dict | None = None):
        self.product, self.labels, self.decoder = product, Path(labels), decoder
        self.path, self.sensor = product.path, product.sensor
        self.grid = read_grid(labels)
        self.scene_id, self.dataset, self.classes = scene_id, dataset, classes
        self.tags = dict(tags or {})

    @property
    def band_names(self) -> list[str]:
        return self.product.band_names

    def band_grid(self, band: str):
        return self.product.band_grid(band)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        return self.product.read(band, window)

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        return self.decoder(read_window(self.labels, 1, window))

    def source_files(self) -> list[Path]:
        return [*self.product.source_files(), self.labels]

    def identity(self) -> dict:
        return {**super().identity(), "product": self.product.identity(),
                "labels": self.decoder, "classes": self.classes}
