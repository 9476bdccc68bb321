"""Spatial adaptation for coarse sensors: Landsat-8 (30 m) seen at PROBA-V resolution.

Two ways to bring a fine product onto a coarse grid (:data:`SPATIAL`), one window at a
time, through :func:`~crossmask.harmonize.resample.resample_window` (GDAL ``average``):

* ``"area"``: plain area averaging of the fine pixels under each coarse pixel;
* ``"psf"``: first a Gaussian point spread function of the coarse sensor's published
  width per band (:data:`PSF_SIGMA_M`, σ in m on the ground, applied in fine pixels with
  :func:`scipy.ndimage.gaussian_filter`, NaN-aware), then area averaging — the physically
  based Landsat-8 → PROBA-V transformation of Mateo-García et al. (2020).

:class:`UpscaledProduct` is such a view of a product (same sensor and band names, another
grid) — e.g. Landsat-8 at PROBA-V resolution to train a model on; :class:`UpscaledScene`
adds the reference mask, each coarse pixel taking the class that covers at least half
of it (:func:`coarse_classes`).  :func:`probav_grid` gives the PROBA-V lattice over a
product.  The reverse direction — an L8-trained model on PROBA-V data — needs no new
code: PROBA-V bands map to L8's B2, B4, B5, B6 through the pairing table
(:func:`crossmask.harmonize.build_adjustment`), so such a model must take those four.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from rasterio.warp import transform as warp_points
from rasterio.windows import Window

from crossmask.classes import FILL
from crossmask.errors import InputError, UnknownNameError
from crossmask.harmonize.resample import resample_window
from crossmask.products import (
    PROBAV_GRID_STEPS,
    Grid,
    LabelledScene,
    OneGridProduct,
    Product,
    lattice_grid,
)
from crossmask.srf import band_pairs, get_sensor, same_family

__all__ = ["PSF_CITATION", "PSF_SIGMA_M", "SPATIAL", "UpscaledProduct", "UpscaledScene",
           "coarse_classes", "psf_filter", "psf_sigma_m", "probav_grid", "upscale_window"]

#: Spatial adaptations, in the order reports list them.
SPATIAL = ("area", "psf")
#: Gaussian PSF σ in m on the ground per band of a coarse sensor (FWHM = 2.3548 σ:
#: PROBA-V BLUE 108.6, RED 117.9, NIR 110.1, SWIR 190.2 m — its nadir 100 m-class PSF).
PSF_SIGMA_M: dict[str, dict[str, float]] = {
    "PROBAV": {"BLUE": 46.1236, "RED": 50.0845, "NIR": 46.7560, "SWIR": 80.7639},
}
PSF_CITATION = ("Mateo-García, G., Laparra, V., López-Puigdollers, D., Gómez-Chova, L. "
                "(2020). Transferring deep learning models for cloud detection between "
                "Landsat-8 and Proba-V. ISPRS J. Photogramm. 160, 1-17; σ values from the "
                "authors' code, IPL-UV/pvl8dagans utils/landsat_as_pv.py")
_TRUNCATE = 4.0


def psf_sigma_m(sensor: str, band: str, psf_sensor: str = "PROBAV") -> float:
    """σ (m) of ``psf_sensor``'s PSF for ``band`` of a ``sensor`` product: the band itself
    for a sensor of the PSF's family, else its paired band (L8 B2 → PROBA-V BLUE).

    Raises
    ------
    UnknownNameError
        No PSF for ``psf_sensor``, or ``band`` has no counterpart there.
    """
    family = get_sensor(psf_sensor).family
    table = next((t for k, t in PSF_SIGMA_M.items() if get_sensor(k).family == family), None)
    if table is None:
        raise UnknownNameError(f"no PSF tabulated for {psf_sensor}; known: "
                               f"{', '.join(PSF_SIGMA_M)}")
    name = get_sensor(sensor).band(band).name
    if same_family(sensor, psf_sensor):
        return table[name]
    pairs = band_pairs(sensor, psf_sensor)  # {psf band: product band}
    for coarse, fine in pairs.items():
        if fine == name:
            return table[coarse]
    raise UnknownNameError(f"{sensor} band {name} has no {psf_sensor} counterpart, so no PSF "
                           f"width; bands with one: {', '.join(pairs.values())}")


def psf_filter(values: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian filter of ``sigma_px`` pixels (truncated at 4 σ, edges repeated),
    normalised over the finite pixels; NaN stays NaN.  float32."""
    from scipy.ndimage import gaussian_filter

    valid = np.isfinite(values)
    filled = np.where(valid, values, 0.0).astype(np.float32)
    weight = gaussian_filter(valid.astype(np.float32), sigma_px, mode="nearest",
                             truncate=_TRUNCATE)
    blurred = gaussian_filter(filled, sigma_px, mode="nearest", truncate=_TRUNCATE)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = blurred / weight
    out[~valid] = np.nan
    return out.astype(np.float32)


class _View(Product):
    """The bands of ``source`` read through ``reader(band, window)`` on the source's grids
    (or ``grid``), so :func:`~crossmask.harmonize.resample.resample_window` brings what the
    reader gives onto another grid."""

    def __init__(self, source: Product, reader, bands: list[str] | None = None,
                 grid: Grid | None = None):
        self.source, self.reader, self.grid = source, reader, grid
        self.path, self.sensor = source.path, source.sensor
        self._bands = list(bands or source.band_names)

    @property
    def band_names(self) -> list[str]:
        return list(self._bands)

    def band_grid(self, band: str) -> Grid:
        return self.grid or self.source.band_grid(band)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        return self.reader(band, window)


def _psf_read(product: Product, psf_sensor: str, band: str,
              window: Window | None = None) -> np.ndarray:
    """``band`` of ``product`` through ``psf_sensor``'s PSF: the window is read with a
    margin of the filter's radius, so windows read as the whole."""
    grid = product.band_grid(band)
    if not grid.crs or not (grid.crs.is_projected or grid.crs.units_factor[0] == "metre"):
        raise InputError(f"{product.path}: band {band} is not on a metric grid; the PSF is "
                         "applied in metres")
    pixel = math.sqrt(abs(grid.transform.a * grid.transform.e))
    sigma = psf_sigma_m(product.sensor, band, psf_sensor) / pixel
    radius = int(_TRUNCATE * sigma + 0.5)
    window = window or Window(0, 0, grid.width, grid.height)
    r0, c0 = int(window.row_off), int(window.col_off)
    r1, c1 = r0 + int(window.height), c0 + int(window.width)
    pr0, pc0 = max(r0 - radius, 0), max(c0 - radius, 0)
    pr1, pc1 = min(r1 + radius, grid.height), min(c1 + radius, grid.width)
    padded = product.read(band, Window(pc0, pr0, pc1 - pc0, pr1 - pr0))
    return psf_filter(padded, sigma)[r0 - pr0:r1 - pr0, c0 - pc0:c1 - pc0]


def upscale_window(product: Product, band: str, grid: Grid, window: Window,
                   spatial: str = "psf", psf_sensor: str = "PROBAV") -> np.ndarray:
    """One band of ``product`` on ``window`` of the coarse ``grid`` (float32, NaN fill):
    area-averaged, after the ``psf_sensor``'s PSF when ``spatial="psf"``."""
    if spatial not in SPATIAL:
        raise InputError(f"spatial adaptation {spatial!r}; valid: {', '.join(SPATIAL)}")
    source = (_View(product, partial(_psf_read, product, psf_sensor)) if spatial == "psf"
              else product)
    return resample_window(source, band, grid, window)


class UpscaledProduct(OneGridProduct):
    """A lazy view of ``product`` on a coarse ``grid``: same sensor and band names (with
    ``spatial="psf"`` only the bands with a PSF width), read window by window."""

    def __init__(self, product: Product, grid: Grid, spatial: str = "psf",
                 psf_sensor: str = "PROBAV"):
        if spatial not in SPATIAL:
            raise InputError(f"spatial adaptation {spatial!r}; valid: {', '.join(SPATIAL)}")
        self.product, self.grid, self.spatial, self.psf_sensor = product, grid, spatial, \
            psf_sensor
        self.path, self.sensor = product.path, product.sensor
        self._bands = [b for b in product.band_names if spatial == "area"
                       or _has_psf(product.sensor, b, psf_sensor)]

    @property
    def band_names(self) -> list[str]:
        return list(self._bands)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        window = self.full_window(window)
        return upscale_window(self.product, name, self.grid, window, self.spatial,
                              self.psf_sensor)

    def source_files(self):
        return self.product.source_files()

    def identity(self) -> dict:
        return {**self.product.identity(), "upscaled": {
            "spatial": self.spatial, "psf_sensor": self.psf_sensor,
            "grid": [str(self.grid.crs), list(self.grid.transform)[:6], self.grid.width,
                     self.grid.height]}}


def _has_psf(sensor: str, band: str, psf_sensor: str) -> bool:
    try:
        psf_sigma_m(sensor, band, psf_sensor)
    except UnknownNameError:
        return False
    return True


def _indicator(scene: LabelledScene, band: str, window: Window | None = None) -> np.ndarray:
    """A scene's reference as a fraction to average: ``thick``, ``cloud`` (thin or thick)
    or ``shadow`` (1/0, NaN at fill), or ``valid`` (1/0, so averages give its fraction)."""
    codes = scene.read_reference(window)
    test = {"thick": codes == 2, "cloud": (codes == 1) | (codes == 2),
            "shadow": codes == 3, "valid": codes != FILL}[band]
    if band == "valid":
        return test.astype(np.float32)
    return np.where(codes == FILL, np.nan, test).astype(np.float32)


def coarse_classes(thick: np.ndarray, cloud: np.ndarray, shadow: np.ndarray) -> np.ndarray:
    """Canonical codes (uint8) from the fractions of a coarse pixel that are thick cloud,
    cloud (thin or thick) and shadow: thick cloud if it covers half, else (thin) cloud,
    else shadow, else clear — the rule of the demo's simulated references; NaN → fill."""
    out = np.zeros(np.shape(thick), np.uint8)
    out[shadow >= 0.5] = 3
    out[cloud >= 0.5] = 1
    out[thick >= 0.5] = 2
    out[np.isnan(thick) | np.isnan(cloud) | np.isnan(shadow)] = FILL
    return out


class UpscaledScene(UpscaledProduct, LabelledScene):
    """A labelled scene at coarse resolution: bands as :class:`UpscaledProduct`, the
    reference by :func:`coarse_classes` of the area fractions (fill where more than half
    of a coarse pixel is fill)."""

    def __init__(self, scene: LabelledScene, grid: Grid, spatial: str = "psf",
                 psf_sensor: str = "PROBAV"):
        super().__init__(scene, grid, spatial, psf_sensor)
        self.scene_id, self.dataset, self.classes = scene.scene_id, scene.dataset, \
            scene.classes
        self.tags, self.biome = dict(getattr(scene, "tags", {}) or {}), scene.biome

    def read_reference(self, window: Window | None = None) -> np.ndarray:
        window = self.full_window(window)
        names = ["thick", "cloud", "shadow", "valid"]
        view = _View(self.product, partial(_indicator, self.product), names, self.product.grid)
        part = {b: resample_window(view, b, self.grid, window) for b in names}
        codes = coarse_classes(part["thick"], part["cloud"], part["shadow"])
        codes[~(part["valid"] > 0.5)] = FILL
        return codes


def probav_grid(product: Product, resolution: str = "333M", band: str | None = None) -> Grid:
    """The PROBA-V lat/lon lattice (1/336° for ``"333M"``, 1/1008° for ``"100M"``, 1/112°
    for ``"1KM"``) fitting inside the footprint of ``product``'s ``band`` (default first)."""
    if resolution not in PROBAV_GRID_STEPS:
        raise InputError(f"PROBA-V resolution {resolution!r}; valid: "
                         f"{', '.join(PROBAV_GRID_STEPS)}")
    ref = product.band_grid(band or product.band_names[0])
    (x0, y0), (x1, y1) = ref.transform @ (0, 0), ref.transform @ (ref.width, ref.height)
    lon, lat = warp_points(ref.crs, "EPSG:4326", [x0, x1, x0, x1], [y0, y0, y1, y1])
    extent = (max(lon[0], lon[2]), max(lat[2], lat[3]), min(lon[1], lon[3]),
              min(lat[0], lat[1]))
    grid = lattice_grid(extent, PROBAV_GRID_STEPS[resolution], inside=True)
    if extent[2] <= extent[0] or extent[3] <= extent[1] or min(grid.shape) < 1:
        raise InputError(f"{product.path}: footprint too small for a {resolution} grid")
    return grid
