"""PROBA-V products in VITO's HDF5 format (read with h5py): Level-2A segments and Level-3
TOA syntheses on their regular lat/lon grid; Level-1C segments through
:mod:`~crossmask.products.probav_l1c`.

Layout (see :mod:`~crossmask.products.probav_format` for the sources)::

    /                                 attrs MAP_PROJECTION_WKT, OBSERVATION_START_DATE, …
    /LEVEL2A (or /LEVEL3)/GEOMETRY/   attrs TOP_LEFT_LONGITUDE, TOP_LEFT_LATITUDE, …
    /LEVEL2A/QUALITY/SM               status map (uint16 in L2A; uint8 in L3)
    /LEVEL2A/RADIOMETRY/<BAND>/TOA    int16, attrs SCALE, OFFSET, MAPPING, …

Bands BLUE, RED, NIR, SWIR read as float32 TOA reflectance (DN − OFFSET) / SCALE; NaN
where DN is −1 (no-data), where the status map flags the band's radiometric quality bad
(bits 4–7) and, in Level-2A, where it says the band was not observed (bits 8–11).

**Georeferencing.**  CRS EPSG:4326.  Each TOA dataset's ``MAPPING`` attribute is
``['Geographic Lat/Lon', x_ref, y_ref, lon, lat, Δlon, Δlat, 'WGS84', 'Degrees']``:
(lon, lat) is the position of pixel coordinate (x_ref, y_ref) = (0.5, 0.5), i.e. the
*centre* of the first pixel, as VITO's own reader and ESA SNAP read it (IPL-UV's reader
takes it for the corner: half a pixel apart; unverified on a real file).  Without
``MAPPING``, the ``GEOMETRY`` group's corner attributes (pixel centres, as SNAP reads
them) give the grid.  TOC products (surface reflectance) and NDVI-only products are
refused: the cloud models take TOA reflectance.  Verified for Collections 0/1
(``V0xx``/``V1xx``); Collection 2 (2023) changed formats and may differ.

Sensor: ``PROBAV`` (the mean of the three cameras' responses): file names carry a camera
digit whose mapping to left/centre/right is undocumented.  Pass ``sensor="PROBAV_C"``
for a segment known to come from the centre camera (all 100 m products do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from crossmask.errors import InputError, ProductFormatError
from crossmask.products import probav_format as fmt
from crossmask.products.grid import Grid
from crossmask.products.probav_l1c import open_probav_l1c
from crossmask.products.product import OneGridProduct, Product
from crossmask.srf import get_sensor

__all__ = ["ProbaVProduct", "is_probav_file", "open_probav", "probav_sensor"]

#: Suffixes of PROBA-V product files.
SUFFIXES = (".hdf5", ".h5")
_LEVEL_GROUPS = {"LEVEL2A": "L2A", "LEVEL3": "L3"}


@dataclass
class ProbaVProduct(OneGridProduct):
    """A Level-2A segment or Level-3 TOA synthesis on its regular lat/lon ``grid``.

    ``datasets`` maps band → TOA dataset path; ``scales`` band → (SCALE, OFFSET);
    ``sm`` is the status-map dataset path; ``coverage`` whether its bits 8–11 exist
    (Level-2A).  ``info`` holds what the file name says (camera digit, resolution).
    """

    path: Path
    sensor: str
    level: str
    grid: Grid
    datasets: dict[str, str]
    scales: dict[str, tuple[float, float]]
    sm: str
    coverage: bool
    info: dict = field(default_factory=dict)

    @property
    def band_names(self) -> list[str]:
        return list(self.datasets)

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        rows, cols = fmt.window_slices(window, self.grid.shape, self.path)
        with fmt.open_h5(self.path) as h5:
            dn = fmt.read_block(fmt.dataset(h5, self.datasets[name], self.path, name),
                                rows, cols, self.path)
            sm = fmt.read_block(fmt.dataset(h5, self.sm, self.path), rows, cols, self.path)
        scale, offset = self.scales[name]
        refl = (dn.astype(np.float32) - np.float32(offset)) / np.float32(scale)
        sm = sm.astype(np.int64)
        bad = (dn == fmt.NO_DATA) | ((sm >> fmt.SM_QUALITY_BIT[name]) & 1 == 0)
        if self.coverage:
            bad |= (sm >> fmt.SM_COVERAGE_BIT[name]) & 1 == 0
        refl[bad] = np.nan
        return refl

    def identity(self) -> dict:
        return {**super().identity(), "level": self.level, "datasets": self.datasets,
                "scales": self.scales}


def is_probav_file(path: str | Path) -> bool:
    """Whether ``path`` is a file named like an HDF5 product (``.hdf5``/``.h5``)."""
    path = Path(path)
    return path.is_file() and path.suffix.lower() in SUFFIXES


def probav_sensor(sensor: str | None) -> str:
    """The registry key for a PROBA-V product: ``sensor`` (a PROBA-V camera) or PROBAV.

    Raises
    ------
    InputError
        If ``sensor`` is another instrument.
    """
    key = get_sensor(sensor or "PROBAV").key
    if get_sensor(key).family != "PROBAV":
        raise InputError(f"sensor {sensor!r} did not take PROBA-V products; use PROBAV, "
                         "PROBAV_L, PROBAV_C or PROBAV_R")
    return key


def open_probav(path: str | Path, sensor: str | None = None,
                step: float | None = None) -> Product:
    """Open a PROBA-V Level-1C, Level-2A or Level-3 TOA HDF5 product.

    Parameters
    ----------
    sensor : str, optional
        PROBAV (default, camera mean) or one camera (PROBAV_L, PROBAV_C, PROBAV_R).
    step : float, optional
        Level-1C only: the step in degrees of the lat/lon grid it is warped onto
        (default: the PROBA-V lattice step nearest its raw pixel spacing; see
        :func:`~crossmask.products.probav_l1c.open_probav_l1c`).

    Raises
    ------
    ProductFormatError
        Missing, truncated or non-HDF5 file; no LEVEL1C/LEVEL2A/LEVEL3 group; a TOC or
        NDVI product; no georeferencing.
    MissingBandError
        A band's TOA dataset or the status map is missing.
    UnscaledDataError
        A TOA dataset without SCALE.
    """
    path = Path(path)
    key = probav_sensor(sensor)
    with fmt.open_h5(path) as h5:
        groups = sorted(h5.keys())
        if "LEVEL1C" in groups:
            return open_probav_l1c(path, key, step)
        level_group = next((g for g in groups if g in _LEVEL_GROUPS), None)
        if level_group is None:
            raise ProductFormatError(
                f"{path}: not a PROBA-V Level-1C, Level-2A or Level-3 product (root groups: "
                f"{', '.join(groups) or 'none'}; expected LEVEL1C, LEVEL2A or LEVEL3)")
        root = h5[level_group]
        datasets = {band: f"/{level_group}/RADIOMETRY/{band}/TOA" for band in fmt.BANDS}
        _check_toa(h5, root, datasets, path)
        scales = {b: fmt.scale_offset(fmt.dataset(h5, d, path, b), path)
                  for b, d in datasets.items()}
        sm = f"/{level_group}/QUALITY/SM"
        shape = fmt.dataset(h5, datasets["BLUE"], path, "BLUE").shape
        for band, name in [*datasets.items(), ("status map", sm)]:
            found = fmt.dataset(h5, name, path).shape
            if found != shape:
                raise ProductFormatError(f"{path}: {name} is {found}, BLUE TOA is {shape}; "
                                         "every layer of a product shares one grid")
        grid = _grid(h5, root, datasets["BLUE"], shape, path)
    level = _LEVEL_GROUPS[level_group]
    return ProbaVProduct(path, key, level, grid, datasets, scales, sm, level == "L2A",
                         fmt.name_fields(path))


def _check_toa(h5, root, datasets: dict[str, str], path: Path) -> None:
    """Refuse TOC and NDVI-only products with a message saying what they hold."""
    radiometry = root.get("RADIOMETRY")
    if radiometry is None or not len(radiometry):
        what = ", ".join(sorted(root.keys())) or "nothing"
        raise ProductFormatError(f"{path}: holds no radiometry ({what}); an NDVI-only "
                                 "product? crossmask reads the TOA reflectance bands")
    blue = radiometry.get("BLUE")
    if blue is not None and "TOA" not in blue and "TOC" in blue:
        raise ProductFormatError(f"{path}: a TOC (top-of-canopy, atmospherically corrected) "
                                 "product; the cloud models take TOA reflectance: use the "
                                 "Level-2A segment or the S1/S5 TOA synthesis")
    for band, name in datasets.items():
        fmt.dataset(h5, name, path, band)


def _grid(h5, root, toa: str, shape: tuple[int, int], path: Path) -> Grid:
    """The lat/lon grid from the TOA dataset's MAPPING, else the GEOMETRY corners."""
    mapping = fmt.text_attr(h5[toa], "MAPPING")
    if mapping is not None:
        items = mapping if isinstance(mapping, list) else mapping.split(",")
        try:
            x_ref, y_ref, lon, lat, dx, dy = (float(v) for v in items[1:7])
        except (ValueError, IndexError) as err:
            raise ProductFormatError(f"{path}: {toa} MAPPING {mapping!r} is not ['Geographic "
                                     "Lat/Lon', x_ref, y_ref, lon, lat, Δlon, Δlat, …]") from err
        transform = Affine(dx, 0.0, lon - x_ref * dx, 0.0, -dy, lat + y_ref * dy)
    else:
        transform = _corner_transform(root.get("GEOMETRY"), shape, path)
    if transform.a <= 0 or transform.e >= 0:
        raise ProductFormatError(f"{path}: pixel size {transform.a:g}°, {-transform.e:g}° is "
                                 "not positive")
    return Grid(CRS.from_epsg(4326), transform, int(shape[1]), int(shape[0]))


def _corner_transform(geometry, shape: tuple[int, int], path: Path) -> Affine:
    keys = ("TOP_LEFT_LONGITUDE", "TOP_LEFT_LATITUDE", "TOP_RIGHT_LONGITUDE",
            "BOTTOM_LEFT_LATITUDE")
    try:
        west, north, east, south = (float(np.ravel(geometry.attrs[k])[0]) for k in keys)
    except (AttributeError, KeyError, ValueError, TypeError) as err:
        raise ProductFormatError(f"{path}: no georeferencing: neither a MAPPING attribute on "
                                 "the TOA datasets nor GEOMETRY corner attributes "
                                 f"({', '.join(keys)})") from err
    rows, cols = shape
    dx = (east - west) / max(cols - 1, 1)
    dy = (north - south) / max(rows - 1, 1)
    return Affine(dx, 0.0, west - dx / 2, 0.0, -dy, north + dy / 2)
