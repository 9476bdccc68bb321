"""Restore saturated visible bands before the band adjustment: "clouds are white".

Landsat-4/5 TM and Landsat-7 ETM+ quantise to 8 bits over a radiance range set for land
(ETM+ high gain, TM's fixed LMAX), so over bright cloud the visible bands clip at the
saturation radiance: cloud tops read grey in blue, green and red (often a tenth of a
scene's pixels sit at DN 255), while a Landsat-8 model expects them as bright as in the
near infrared.  Fmask treats such pixels as bright for the same reason.

**The rule** (:func:`restore_saturated`).  For each pixel and each *saturated* visible
band (common name blue, green or red), the reflectance becomes
``max(its value, the brightest unsaturated reflective band of that pixel)``.  Unsaturated
pixels and bands are left as they are; a saturated value is a lower bound of the truth
and so is the result, as long as the pixel is at least as bright in the visible as in
its brightest unsaturated band — true of clouds, snow and ice (white or blue-white),
false of some bright soils, sands and salt pans, whose saturated visible bands are raised
up to their near- or short-wave-infrared reflectance.  The reference bands are the
product's reflective bands except panchromatic and cirrus bands; a pixel with no
unsaturated reference keeps its values.  NaN (fill) stays NaN.  A saturated value above
:data:`MAX_MEASURED` (2, no possible TOA reflectance) is a flag, not a clipped measurement
— Sentinel-2 L1C writes saturated pixels as DN 65535, read as ρ ≈ 6.45 — and is
replaced by the brightest unsaturated band.

**Where saturation is known** (:func:`saturation_reader`), on the band's native grid:

* a product's own ``saturation(band, window)`` method — Landsat Level-1 scenes
  (:meth:`crossmask.products.LandsatScene.saturation`: Collection 2 ``QA_RADSAT``, else
  DN = QCALMAX);
* Sentinel-2 L1C SAFE products: DN = :data:`L1C_SATURATED_DN` (65535, the ``SATURATED``
  special value of ``MTD_MSIL1C.xml``);
* reflectance arrays (:class:`~crossmask.products.ArrayProduct`, ``.npz`` / ``.npy``
  scenes): the plateau rule of :func:`crossmask.products.saturation_plateau` over the whole
  band;
* a product wrapping another (a labelled product scene, a harmonised view): the wrapped
  product's.

Any other product (GeoTIFFs, band folders, STAC items) has no saturation information:
there the option does nothing.  Masks are resampled onto the target grid like the bands;
a target pixel counts as saturated in a band when any of its source pixels is.  Limit:
a 30 m pixel averaged from 10/20 m Sentinel-2 pixels of which only some are saturated
mixes the 6.45 flag into its value (below 2 it is kept as a lower bound); doing better
needs the SAFE reader to return saturated pixels as NaN (or at the 12-bit ceiling) so the
average leaves them out — the place for it is :mod:`crossmask.products.safe`.

**When.**  :func:`crossmask.harmonize.build_adjustment` turns the option on by default for
sources of :data:`SATURATING_FAMILIES` (TM: Landsat-4/5 TM, Landsat-7 ETM+) and off for
others; it is recorded in the adjustment JSON (``restore_saturation``) and applied by
:func:`crossmask.harmonize.harmonize_window` before the band models, so every method,
``harmonize apply``, ``predict`` and ``evaluate`` share it.  ``evaluate`` scores a method
without it under the label ``"<method> (no saturation fix)"`` (:func:`method_labels`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from rasterio.windows import Window

from crossmask.errors import InputError
from crossmask.harmonize.adjustment import check_method
from crossmask.harmonize.resample import resample_window
from crossmask.products import (
    ArrayProduct,
    ArrayScene,
    Grid,
    Product,
    SafeProduct,
    read_window,
    saturation_plateau,
)
from crossmask.srf import get_sensor

__all__ = ["L1C_SATURATED_DN", "MAX_MEASURED", "NO_SATURATION_FIX", "SATURATING_FAMILIES",
           "SATURATION_SETTINGS", "VISIBLE", "default_restore_saturation", "method_label",
           "method_labels", "parse_method_label", "restore_saturated", "restore_window",
           "saturation_reader"]

#: Sensor families whose visible bands saturate over cloud: restoration on by default.
SATURATING_FAMILIES = ("TM",)
#: Common names of the bands the rule restores.
VISIBLE = ("blue", "green", "red")
#: Common names of reflective bands that never serve as the rule's reference.
_NOT_REFERENCE = ("pan", "cirrus")
#: Sentinel-2 L1C DN of saturated pixels (``SATURATED`` special value, MTD_MSIL1C.xml).
L1C_SATURATED_DN = 65535
#: Largest saturated value taken as a measurement (a lower bound); above it, a flag.
MAX_MEASURED = 2.0
#: Evaluation settings: "on" scores methods as harmonisation does by default, "off" without
#: restoration (a row of its own where that differs).
SATURATION_SETTINGS = ("on", "off")
#: Label suffix of a method scored without restoration.
NO_SATURATION_FIX = "no saturation fix"

Reader = Callable[[str, Window | None], np.ndarray]


def default_restore_saturation(source: str) -> bool:
    """Whether restoration is on by default for data of sensor ``source``."""
    return get_sensor(source).family in SATURATING_FAMILIES


def restore_saturated(values: Mapping[str, np.ndarray], saturated: Mapping[str, np.ndarray],
                      visible: Sequence[str]) -> dict[str, np.ndarray]:
    """Apply the rule of the module docstring to co-registered band arrays.

    Parameters
    ----------
    values : mapping of band name to float array
        Reflectance of the visible bands and of every reference band (same shape).
    saturated : mapping of band name to bool array
        Saturated pixels per band; a band without an entry is unsaturated.
    visible : sequence of str
        The bands to restore (those of ``values``).

    Returns
    -------
    dict
        ``values`` with the visible bands restored (new arrays; others unchanged).
    """
    brightest = None
    for band, value in values.items():
        mask = saturated.get(band)
        candidate = np.asarray(value, np.float32)
        if mask is not None:
            candidate = np.where(mask, np.nan, candidate)
        brightest = candidate if brightest is None else np.fmax(brightest, candidate)
    out = dict(values)
    for band in visible:
        mask = saturated.get(band)
        if mask is None or brightest is None:
            continue
        value = np.asarray(values[band], np.float32)
        measured = np.where(value > MAX_MEASURED, np.nan, value)  # a flag, not a reflectance
        best = np.fmax(measured, brightest)
        change = mask & ~np.isnan(value) & ~np.isnan(best)
        out[band] = np.where(change, best, value).astype(np.float32)
    return out


def saturation_reader(product: Product) -> Reader | None:
    """``(band, window) → bool array`` of saturated pixels on the band's native grid, from
    the sources listed in the module docstring; None when the product has no saturation
    information."""
    seen = set()
    while product is not None and id(product) not in seen:
        seen.add(id(product))
        own = getattr(product, "saturation", None)
        if callable(own):
            return own
        if isinstance(product, SafeProduct):
            return _l1c_reader(product)
        if isinstance(product, (ArrayProduct, ArrayScene)):
            return _plateau_reader(product)
        product = getattr(product, "product", None)
    return None


def restore_window(product: Product, sources: Mapping[str, np.ndarray], grid: Grid,
                   window: Window) -> dict[str, np.ndarray]:
    """``sources`` (source bands resampled to ``window`` of ``grid``) with saturated visible
    bands restored; unchanged when the product has no saturation information or nothing
    in the window saturates.  Reference bands the sources lack are read as needed."""
    reader = saturation_reader(product)
    sensor = get_sensor(product.sensor)
    visible = [b for b in sources if sensor.band(b).common_name in VISIBLE]
    if reader is None or not visible:
        return dict(sources)
    masks = {b: _mask(product, reader, b, grid, window) for b in visible}
    if not any(m.any() for m in masks.values()):
        return dict(sources)
    references = [b.name for b in sensor.bands if not b.thermal
                  and b.common_name not in _NOT_REFERENCE and b.name in product.band_names]
    values = {b: sources[b] if b in sources else resample_window(product, b, grid, window)
              for b in dict.fromkeys([*visible, *references])}
    masks.update({b: _mask(product, reader, b, grid, window) for b in values if b not in masks})
    restored = restore_saturated(values, masks, visible)
    return {**sources, **{b: restored[b] for b in visible}}


def method_label(method: str, restore: bool | None = None) -> str:
    """How evaluation names a method: ``"ols (no saturation fix)"`` when ``restore`` is
    False, else ``"ols"`` (restoration as :func:`default_restore_saturation` says)."""
    return f"{method} ({NO_SATURATION_FIX})" if restore is False else method


def parse_method_label(label: str) -> tuple[str, bool | None]:
    """``(method, restore_saturation)`` of a :func:`method_label`; None: the default.

    Raises
    ------
    InputError
        If the method is not one of :data:`~crossmask.harmonize.METHODS`.
    """
    suffix = f" ({NO_SATURATION_FIX})"
    if label.endswith(suffix):
        return check_method(label[:-len(suffix)]), False
    return check_method(label), None


def method_labels(methods: Sequence[str], settings: Sequence[str], source: str) -> list[str]:
    """Evaluation labels of ``methods`` under the :data:`SATURATION_SETTINGS` ``settings`` for
    data of sensor ``source``: each method, then its "no saturation fix" twin when
    ``"off"`` is asked for and restoration is on by default for ``source`` (elsewhere "off"
    is the default and makes no row of its own)."""
    bad = [s for s in settings if s not in SATURATION_SETTINGS]
    if bad or not settings:
        raise InputError(f"saturation settings {list(settings)}: give one or both of "
                         f"{', '.join(SATURATION_SETTINGS)}")
    distinct = default_restore_saturation(source)
    out = []
    for method in methods:
        for setting in SATURATION_SETTINGS:
            if setting in settings:
                out.append(method_label(method, False if setting == "off" and distinct
                                        else None))
    return list(dict.fromkeys(out))


class _MaskView(Product):
    """A product whose bands read as its saturation masks (1.0 saturated, 0.0 not), so
    :func:`~crossmask.harmonize.resample.resample_window` brings them onto a grid."""

    def __init__(self, product: Product, reader: Reader):
        self.product, self.reader = product, reader
        self.path, self.sensor = product.path, product.sensor

    @property
    def band_names(self) -> list[str]:
        return self.product.band_names

    def band_grid(self, band: str) -> Grid:
        return self.product.band_grid(band)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        return np.asarray(self.reader(band, window), np.float32)


def _mask(product: Product, reader: Reader, band: str, grid: Grid,
          window: Window) -> np.ndarray:
    """Saturated pixels of ``band`` in ``window`` of ``grid`` (any source pixel); read
    directly when the band's native grid is ``grid`` (Landsat at 30 m)."""
    if product.band_grid(band) == grid:
        return np.asarray(reader(band, window), bool)
    return resample_window(_MaskView(product, reader), band, grid, window) > 0


def _l1c_reader(product: SafeProduct) -> Reader:
    def read(band: str, window: Window | None = None) -> np.ndarray:
        name = product.band_key(band)
        return read_window(product.files[name], 1, window) == L1C_SATURATED_DN
    return read


_PLATEAUS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plateau_reader(product: Product) -> Reader:
    """Plateau masks of whole bands (computed once per product and band), cut to windows."""
    def read(band: str, window: Window | None = None) -> np.ndarray:
        name = product.band_key(band)
        cache = _PLATEAUS.setdefault(product, {})
        if name not in cache:
            cache[name] = saturation_plateau(product.read(name))
        if window is None:
            return cache[name]
        rows, cols = window.toslices()
        return cache[name][rows, cols]
    return read
