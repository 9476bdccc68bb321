"""Sensor and band tables: what each sensor is called, where its response curves come
from (pyrsr, or a table shipped in ``crossmask/srf/data/``), and each band's common name
(STAC ``eo`` extension v1.1) and native resolution.

Registered: Landsat-8 OLI (L8), Landsat-9 OLI-2 (L9), Sentinel-2A/2B/2C MSI (S2A, S2B,
S2C), Landsat-7 ETM+ (L7), Landsat-5 TM (L5), Landsat-4 TM (L4) and PROBA-V VEGETATION
(PROBAV: the mean of its three cameras; PROBAV_L, PROBAV_C, PROBAV_R: one camera each).
pyrsr has neither Sentinel-2C nor PROBA-V, so their curves are agency tables shipped in
``data/`` (S2C: ESA's S2-SRF issue 4.0; PROBA-V: VITO's published per-camera responses);
provenance and terms are in ``data/SOURCE.md``.

Pure data.  Centre wavelengths and FWHM are not written here: they are computed from the
response curves (see :mod:`crossmask.srf.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BandSpec", "SensorSpec", "SENSOR_SPECS", "SENSOR_ALIASES"]


@dataclass(frozen=True)
class BandSpec:
    """A band as named by the agency.

    Attributes
    ----------
    name : str
        Agency band name, e.g. ``"B8A"``.
    pyrsr_id : str
        Suffix of the pyrsr response file (``band_<id>``); unused for sensors whose
        curves come from a package table (whose columns are the band names).
    common_name : str
        STAC ``eo`` common name, e.g. ``"nir08"``.
    resolution : float
        Native ground sampling distance in m.
    thermal : bool
        True for emissive (thermal infrared) bands.
    """

    name: str
    pyrsr_id: str
    common_name: str
    resolution: float
    thermal: bool = False


@dataclass(frozen=True)
class SensorSpec:
    """A sensor: registry key, long name, where its curves come from, bands and family.

    Sensors of one ``family`` share band names and layout (``"MSI"``: Sentinel-2A/2B/2C;
    ``"OLI"``: Landsat-8/9; ``"TM"``: Landsat-7 ETM+, Landsat-5 and Landsat-4 TM;
    ``"PROBAV"``: PROBA-V and its cameras): a model trained on one member takes the
    others' data without band adjustment.

    The response curves come from exactly one place: ``srf_file``, a CSV shipped in
    ``crossmask/srf/data/`` (column ``wavelength_nm`` in nm, then one column per band
    ``name``), or, when ``srf_file`` is None, pyrsr's folder
    ``pyrsr_satellite``/``pyrsr_sensor``.
    """

    key: str
    long_name: str
    pyrsr_satellite: str | None
    pyrsr_sensor: str | None
    bands: tuple[BandSpec, ...]
    family: str
    srf_file: str | None = None

    @property
    def curve_source(self) -> str:
        """Where the curves are read from, in words: ``"pyrsr Landsat-8/OLI_TIRS"`` or
        ``"crossmask/srf/data/S2C_MSI_SRF.csv"``."""
        if self.srf_file is not None:
            return f"crossmask/srf/data/{self.srf_file}"
        return f"pyrsr {self.pyrsr_satellite}/{self.pyrsr_sensor}"


def _oli(satellite: str, key: str, long_name: str) -> SensorSpec:
    return SensorSpec(key, long_name, satellite, "OLI_TIRS", family="OLI", bands=(
        BandSpec("B1", "1", "coastal", 30),
        BandSpec("B2", "2", "blue", 30),
        BandSpec("B3", "3", "green", 30),
        BandSpec("B4", "4", "red", 30),
        BandSpec("B5", "5", "nir08", 30),
        BandSpec("B6", "6", "swir16", 30),
        BandSpec("B7", "7", "swir22", 30),
        BandSpec("B8", "8", "pan", 15),
        BandSpec("B9", "9", "cirrus", 30),
        BandSpec("B10", "10", "lwir11", 100, thermal=True),
        BandSpec("B11", "11", "lwir12", 100, thermal=True),
    ))


def _msi(satellite: str | None, key: str, long_name: str,
         srf_file: str | None = None) -> SensorSpec:
    """A Sentinel-2 MSI: curves from pyrsr's ``<satellite>/MSI`` folder, or from
    ``srf_file`` (then ``satellite`` is None)."""
    pyrsr_sensor = "MSI" if satellite is not None else None
    return SensorSpec(key, long_name, satellite, pyrsr_sensor, family="MSI", srf_file=srf_file,
                      bands=(
        BandSpec("B1", "1", "coastal", 60),
        BandSpec("B2", "2", "blue", 10),
        BandSpec("B3", "3", "green", 10),
        BandSpec("B4", "4", "red", 10),
        BandSpec("B5", "5", "rededge071", 20),
        BandSpec("B6", "6", "rededge075", 20),
        BandSpec("B7", "7", "rededge078", 20),
        BandSpec("B8", "8", "nir", 10),
        BandSpec("B8A", "8A", "nir08", 20),
        BandSpec("B9", "9", "nir09", 60),
        BandSpec("B10", "10", "cirrus", 60),
        BandSpec("B11", "11", "swir16", 20),
        BandSpec("B12", "12", "swir22", 20),
    ))


def _tm(satellite: str, key: str, long_name: str, sensor: str = "TM") -> SensorSpec:
    """A Thematic Mapper: Landsat-4/5 TM (thermal B6 at 120 m), or with ``sensor="ETM+"``
    Landsat-7 ETM+ (low-gain thermal ``6L`` at 60 m, pan B8 at 15 m); curves from pyrsr's
    ``<satellite>/<sensor>`` folder."""
    etm = sensor == "ETM+"
    return SensorSpec(key, long_name, satellite, sensor, family="TM", bands=(
        BandSpec("B1", "1", "blue", 30),
        BandSpec("B2", "2", "green", 30),
        BandSpec("B3", "3", "red", 30),
        BandSpec("B4", "4", "nir08", 30),
        BandSpec("B5", "5", "swir16", 30),
        BandSpec("B6", "6L" if etm else "6", "lwir", 60 if etm else 120, thermal=True),
        BandSpec("B7", "7", "swir22", 30),
        *((BandSpec("B8", "8", "pan", 15),) if etm else ()),
    ))


#: PROBA-V products' nominal ground sampling distance in m: the global 333 m (1/336°)
#: products; the centre camera also gives 100 m (1/1008°) products.
PROBAV_GSD = 333.0


def _probav(key: str, long_name: str, camera: str) -> SensorSpec:
    """PROBA-V VEGETATION, curves from VITO's table of ``camera`` (LEFT, CENTER, RIGHT, or
    MEAN of the three) shipped as ``data/PROBAV_<camera>_SRF.csv``."""
    return SensorSpec(key, long_name, None, None, family="PROBAV",
                      srf_file=f"PROBAV_{camera}_SRF.csv", bands=(
        BandSpec("BLUE", "", "blue", PROBAV_GSD),
        BandSpec("RED", "", "red", PROBAV_GSD),
        BandSpec("NIR", "", "nir08", PROBAV_GSD),
        BandSpec("SWIR", "", "swir16", PROBAV_GSD),
    ))


SENSOR_SPECS: dict[str, SensorSpec] = {
    spec.key: spec
    for spec in (
        _oli("Landsat-8", "L8", "Landsat-8 OLI"),
        _oli("Landsat-9", "L9", "Landsat-9 OLI-2"),
        _msi("Sentinel-2A", "S2A", "Sentinel-2A MSI"),
        _msi("Sentinel-2B", "S2B", "Sentinel-2B MSI"),
        _msi(None, "S2C", "Sentinel-2C MSI", srf_file="S2C_MSI_SRF.csv"),
        _tm("Landsat-7", "L7", "Landsat-7 ETM+", sensor="ETM+"),
        _tm("Landsat-5", "L5", "Landsat-5 TM"),
        _tm("Landsat-4", "L4", "Landsat-4 TM"),
        _probav("PROBAV", "PROBA-V VEGETATION", "MEAN"),
        _probav("PROBAV_L", "PROBA-V left camera", "LEFT"),
        _probav("PROBAV_C", "PROBA-V centre camera", "CENTER"),
        _probav("PROBAV_R", "PROBA-V right camera", "RIGHT"),
    )
}

# Other spellings users type, upper-cased, mapped to registry keys.
SENSOR_ALIASES: dict[str, str] = {
    "LANDSAT8": "L8", "LANDSAT-8": "L8", "LC08": "L8", "LC8": "L8", "OLI": "L8",
    "LANDSAT9": "L9", "LANDSAT-9": "L9", "LC09": "L9", "LC9": "L9", "OLI2": "L9",
    "SENTINEL2A": "S2A", "SENTINEL-2A": "S2A", "S2A_MSI": "S2A",
    "SENTINEL2B": "S2B", "SENTINEL-2B": "S2B", "S2B_MSI": "S2B",
    "SENTINEL2C": "S2C", "SENTINEL-2C": "S2C", "S2C_MSI": "S2C",
    "LANDSAT7": "L7", "LANDSAT-7": "L7", "LE07": "L7", "LE7": "L7", "ETM+": "L7", "ETM": "L7",
    "LANDSAT5": "L5", "LANDSAT-5": "L5", "LT05": "L5", "LT5": "L5", "TM": "L5",
    "LANDSAT4": "L4", "LANDSAT-4": "L4", "LT04": "L4", "LT4": "L4",
    "PROBA-V": "PROBAV", "PROBA_V": "PROBAV", "PV": "PROBAV", "VGT": "PROBAV",
    "PROBAV_LEFT": "PROBAV_L", "PROBAV_CENTER": "PROBAV_C", "PROBAV_CENTRE": "PROBAV_C",
    "PROBAV_RIGHT": "PROBAV_R",
}
