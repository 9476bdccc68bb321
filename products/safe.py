"""Sentinel-2 Level-1C SAFE products.

Reads ``MTD_MSIL1C.xml`` for the spacecraft (Sentinel-2A, 2B or 2C), processing
baseline, quantification value, the per-band radiometric offsets (``RADIO_ADD_OFFSET``,
−1000 from baseline 04.00 on, also in products of older dates reprocessed at baseline
05.xx) and the granule's JPEG 2000 band files; TOA reflectance = (DN + offset) /
quantification, DN 0 is nodata.  The baseline always comes from the XML, never from the
product name.  Level-2A products are refused: the cloud models expect top-of-atmosphere
reflectance.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from crossmask.errors import MissingBandError, ProductFormatError
from crossmask.products.grid import Grid, read_grid, read_window
from crossmask.products.product import Product
from crossmask.srf import get_sensor, normalize_band_name

__all__ = ["SafeProduct", "open_safe"]

#: ``SPACECRAFT_NAME`` of the product metadata → registry key.
_SPACECRAFT = {"Sentinel-2A": "S2A", "Sentinel-2B": "S2B", "Sentinel-2C": "S2C"}


@dataclass
class SafeProduct(Product):
    """An opened Sentinel-2 L1C SAFE product (metadata parsed, bands opened lazily)."""

    path: Path
    sensor: str
    baseline: str
    quantification: float
    offsets: dict[str, float]
    files: dict[str, Path]
    grids: dict[str, Grid] = field(default_factory=dict, repr=False)

    @property
    def band_names(self) -> list[str]:
        return list(self.files)

    def band_grid(self, band: str) -> Grid:
        name = self.band_key(band)
        if name not in self.grids:
            self.grids[name] = _grid_of(self.files[name], name)
        return self.grids[name]

    def read(self, band: str, window: Window | None = None) -> np.ndarray:
        name = self.band_key(band)
        dn = read_window(self.files[name], 1, window)
        refl = (dn.astype(np.float32) + np.float32(self.offsets.get(name, 0.0)))
        refl /= np.float32(self.quantification)
        refl[dn == 0] = np.nan
        return refl

    def check_bands(self, bands: Sequence[str]) -> None:
        """Open each band's file and check it exists, is readable and has its native resolution.

        Raises
        ------
        MissingBandError, ProductFormatError
            Naming the band file and the problem.
        """
        sensor = get_sensor(self.sensor)
        for band in bands:
            grid = self.band_grid(band)
            expected = sensor.band(band).resolution
            if not np.allclose(grid.resolution, expected, rtol=1e-3):
                raise ProductFormatError(
                    f"{self.files[self.band_key(band)]}: band {band} is at "
                    f"{grid.resolution[0]:g} m, expected {expected:g} m")


def open_safe(path: str | Path) -> SafeProduct:
    """Open a ``.SAFE`` folder (or its ``MTD_MSIL1C.xml``).

    Raises
    ------
    ProductFormatError
        If the XML is missing or malformed, the product is Level-2A or the spacecraft is
        not a registered sensor.
    """
    path = Path(path)
    safe = path.parent if path.is_file() else path
    xml_path = _product_xml(safe)
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError) as err:
        raise ProductFormatError(f"{xml_path}: cannot parse product metadata ({err})") from err
    product_type = _text(root, "PRODUCT_TYPE", xml_path)
    if "2A" in product_type or "Level-2A" in root.tag:
        raise ProductFormatError(
            f"{xml_path}: {product_type} is a Level-2A (surface reflectance) product; "
            "crossmask needs Level-1C top-of-atmosphere reflectance")
    spacecraft = _text(root, "SPACECRAFT_NAME", xml_path)
    if spacecraft not in _SPACECRAFT:
        raise ProductFormatError(f"{xml_path}: spacecraft {spacecraft!r} is not a registered "
                                 f"sensor (supported: {', '.join(_SPACECRAFT)})")
    baseline = _text(root, "PROCESSING_BASELINE", xml_path)
    return SafeProduct(
        path=safe, sensor=_SPACECRAFT[spacecraft], baseline=baseline,
        quantification=float(_text(root, "QUANTIFICATION_VALUE", xml_path)),
        offsets=_offsets(root, baseline, xml_path), files=_band_files(root, safe, xml_path))


def _product_xml(safe: Path) -> Path:
    xml_path = safe / "MTD_MSIL1C.xml"
    if xml_path.is_file():
        return xml_path
    if (safe / "MTD_MSIL2A.xml").is_file():
        raise ProductFormatError(
            f"{safe / 'MTD_MSIL2A.xml'}: this is a Level-2A (surface reflectance) product; "
            "crossmask needs Level-1C top-of-atmosphere reflectance")
    raise ProductFormatError(f"{safe}: not a Sentinel-2 L1C SAFE product (MTD_MSIL1C.xml "
                             "is missing)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find_all(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if _local(el.tag) == name]


def _text(root: ET.Element, name: str, xml_path: Path) -> str:
    found = _find_all(root, name)
    if not found or not (found[0].text or "").strip():
        raise ProductFormatError(f"{xml_path}: required element <{name}> is missing")
    return found[0].text.strip()


def _band_order(root: ET.Element) -> list[str]:
    info = _find_all(root, "Spectral_Information")
    if info:
        return [normalize_band_name(el.get("physicalBand", "")) for el in
                sorted(info, key=lambda el: int(el.get("bandId", 0)))]
    return get_sensor("S2A").band_names


def _offsets(root: ET.Element, baseline: str, xml_path: Path) -> dict[str, float]:
    listed = _find_all(root, "RADIO_ADD_OFFSET")
    if not listed:
        if float(baseline) >= 4.0:
            raise ProductFormatError(
                f"{xml_path}: processing baseline {baseline} requires radiometric offsets "
                "but <Radiometric_Offset_List> is missing")
        return {}
    order = _band_order(root)
    return {order[int(el.get("band_id"))]: float(el.text) for el in listed}


def _band_files(root: ET.Element, safe: Path, xml_path: Path) -> dict[str, Path]:
    files = {}
    for el in _find_all(root, "IMAGE_FILE"):
        rel = (el.text or "").strip()
        suffix = rel.rsplit("_", 1)[-1]
        band = normalize_band_name(suffix)
        if band in get_sensor("S2A").band_names:
            files[band] = safe / f"{rel}.jp2"
    if not files:
        raise ProductFormatError(f"{xml_path}: lists no band image files (<IMAGE_FILE>)")
    order = get_sensor("S2A").band_names
    return {b: files[b] for b in order if b in files}


def _grid_of(path: Path, band: str) -> Grid:
    if not path.is_file():
        raise MissingBandError(f"{path}: band {band} file is missing from the product")
    return read_grid(path)
