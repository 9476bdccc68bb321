"""Write small Sentinel-2 L1C (or L2A) SAFE products in the real on-disk layout.

The layout, names and metadata follow ESA's Sentinel-2 Products Specification Document
(PSD 14.x): ``<NAME>.SAFE/MTD_MSIL1C.xml`` with the product metadata (quantification value,
per-band radiometric offsets for processing baseline ≥ 04.00, granule image file list) and
``GRANULE/<granule>/IMG_DATA/<tile>_<datatake time>_B01.jp2`` … JPEG 2000 bands written
with GDAL's JP2OpenJPEG driver (lossless, uint16).  Used by tests, benchmarks and the demo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from affine import Affine

from crossmask.errors import InputError
from crossmask.srf import SENSOR_SPECS

__all__ = ["MSI_BANDS", "synthetic_dn", "write_safe"]

MSI_BANDS: dict[str, int] = {b.name: int(b.resolution) for b in SENSOR_SPECS["S2A"].bands}
_QUANTIFICATION = 10000
_OFFSET = -1000


def synthetic_dn(size_60m: int, baseline: str = "05.09", seed: int = 0) -> dict[str, np.ndarray]:
    """Smooth random L1C digital numbers for every band at its native resolution."""
    rng = np.random.default_rng(seed)
    base = rng.random((size_60m + 2, size_60m + 2))
    field60 = (base[:-2, 1:-1] + base[2:, 1:-1] + base[1:-1, :-2] + base[1:-1, 2:]) / 4
    offset = -_OFFSET if float(baseline) >= 4.0 else 0
    out = {}
    for i, (band, res) in enumerate(MSI_BANDS.items()):
        factor = 60 // res
        refl = np.kron(field60, np.ones((factor, factor))) * 0.4 + 0.02 * (i + 1)
        noise = rng.normal(0.0, 0.01, refl.shape)
        out[band] = np.clip((refl + noise) * _QUANTIFICATION + offset, 1, 65534).astype(np.uint16)
    return out


def write_safe(parent: str | Path, dn: Mapping[str, np.ndarray] | None = None, *,
               spacecraft: str = "Sentinel-2A", baseline: str = "05.09", level: str = "L1C",
               tile: str = "32TNS", sensing: str = "20230615T102021", size_60m: int = 8,
               origin: tuple[float, float] = (600000.0, 5100000.0), epsg: int = 32632,
               write_offsets: bool | None = None, block: int | None = None,
               seed: int = 0) -> Path:
    """Write a SAFE product below ``parent`` and return the ``.SAFE`` folder.

    Parameters
    ----------
    spacecraft : str
        ``SPACECRAFT_NAME``, ``"Sentinel-2<unit>"`` (``"Sentinel-2A"``, ``"-2B"``, ``"-2C"``;
        another unit letter writes a product the reader refuses as unregistered).
    dn : mapping of band name to uint16 array, optional
        Digital numbers per band at native resolution (10/20/60 m); bands left out are
        not written (to build a product with a missing band).  Default: synthetic.
    baseline : str
        Processing baseline, e.g. ``"02.14"`` (no offsets) or ``"05.09"`` (offset −1000).
    level : {"L1C", "L2A"}
        Product level; L2A writes ``MTD_MSIL2A.xml`` with ``BOA_QUANTIFICATION_VALUE``.
    write_offsets : bool, optional
        Whether to write ``Radiometric_Offset_List``; default: baseline ≥ 04.00.
    block : int, optional
        JPEG 2000 code-block tile size for large products (real ones use 1024).
    """
    sat = _mission(spacecraft)
    dn = dict(dn) if dn is not None else synthetic_dn(size_60m, baseline, seed)
    baseline_tag = "N" + baseline.replace(".", "")
    name = f"{sat}_MSI{level}_{sensing}_{baseline_tag}_R065_T{tile}_{sensing[:8]}T122156"
    safe = Path(parent) / f"{name}.SAFE"
    granule = f"{level}_T{tile}_A041696_{sensing}"
    img_dir = safe / "GRANULE" / granule / "IMG_DATA"
    img_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("DATASTRIP", "AUX_DATA", "HTML", "rep_info"):
        (safe / sub).mkdir(exist_ok=True)
    stem = f"T{tile}_{sensing}"
    files = []
    for band, array in dn.items():
        res = MSI_BANDS[band]
        band_id = band if band.endswith("A") else f"B{int(band[1:]):02d}"  # B01 … B12, B8A
        path = img_dir / f"{stem}_{band_id}.jp2"
        _write_jp2(path, array, res, origin, epsg, block)
        files.append(f"GRANULE/{granule}/IMG_DATA/{stem}_{band_id}")
    offsets = float(baseline) >= 4.0 if write_offsets is None else write_offsets
    xml = _product_xml(spacecraft, sat, baseline, level, sensing, granule, files, offsets)
    (safe / f"MTD_MSI{level}.xml").write_text(xml)
    (safe / "manifest.safe").write_text("<?xml version='1.0'?><xfdu:XFDU "
                                        "xmlns:xfdu='urn:ccsds:schema:xfdu:1'/>\n")
    return safe


def _mission(spacecraft: str) -> str:
    """``"Sentinel-2C"`` → ``"S2C"``, the mission id that starts product names.

    Raises
    ------
    InputError
        If ``spacecraft`` is not ``"Sentinel-2"`` followed by one unit letter.
    """
    match = re.fullmatch(r"Sentinel-2([A-Z])", spacecraft)
    if not match:
        raise InputError(f"spacecraft must be 'Sentinel-2' and a unit letter, e.g. "
                         f"'Sentinel-2C', not {spacecraft!r}")
    return f"S2{match.group(1)}"


def _write_jp2(path: Path, array: np.ndarray, res: int, origin: tuple[float, float],
               epsg: int, block: int | None) -> None:
    options = {"QUALITY": "100", "REVERSIBLE": "YES", "YCBCR420": "NO"}
    if block:
        options.update(BLOCKXSIZE=str(block), BLOCKYSIZE=str(block))
    transform = Affine(res, 0.0, origin[0], 0.0, -res, origin[1])
    with rasterio.open(path, "w", driver="JP2OpenJPEG", width=array.shape[1],
                       height=array.shape[0], count=1, dtype="uint16",
                       crs=f"EPSG:{epsg}", transform=transform, **options) as dst:
        dst.write(np.asarray(array, dtype=np.uint16), 1)


def _product_xml(spacecraft: str, sat: str, baseline: str, level: str, sensing: str,
                 granule: str, files: list[str], offsets: bool) -> str:
    product_type = "S2MSI1C" if level == "L1C" else "S2MSI2A"
    quant = ("<QUANTIFICATION_VALUE unit=\"none\">10000</QUANTIFICATION_VALUE>" if level == "L1C"
             else "<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit=\"none\">10000"
                  "</BOA_QUANTIFICATION_VALUE></QUANTIFICATION_VALUES_LIST>")
    offset_tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    offset_list = "".join(f"<{offset_tag} band_id=\"{i}\">{_OFFSET}</{offset_tag}>"
                          for i in range(len(MSI_BANDS)))
    offset_block = (f"<Radiometric_Offset_List>{offset_list}</Radiometric_Offset_List>"
                    if offsets and level == "L1C" else
                    f"<BOA_ADD_OFFSET_VALUES_LIST>{offset_list}</BOA_ADD_OFFSET_VALUES_LIST>"
                    if offsets else "")
    spectral = "".join(
        f"<Spectral_Information bandId=\"{i}\" physicalBand=\"{band}\">"
        f"<RESOLUTION>{res}</RESOLUTION></Spectral_Information>"
        for i, (band, res) in enumerate(MSI_BANDS.items()))
    image_files = "".join(f"<IMAGE_FILE>{escape(f)}</IMAGE_FILE>" for f in files)
    when = f"{sensing[:4]}-{sensing[4:6]}-{sensing[6:8]}T{sensing[9:11]}:{sensing[11:13]}:" \
           f"{sensing[13:15]}.024Z"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-{level[1:]}_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-{level[1:]}.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{when}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{when}</PRODUCT_STOP_TIME>
      <PRODUCT_TYPE>{product_type}</PRODUCT_TYPE>
      <PROCESSING_LEVEL>Level-{level[1:]}</PROCESSING_LEVEL>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <Datatake datatakeIdentifier="G{sat}_{sensing}_041696_N{baseline}">
        <SPACECRAFT_NAME>{spacecraft}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>{when}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>65</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>
      <Product_Organisation>
        <Granule_List>
          <Granule datastripIdentifier="{sat}_OPER_MSI_{level}_DS_2APS_{sensing}" granuleIdentifier="{granule}" imageFormat="JPEG2000">
            {image_files}
          </Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
      <Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
      {quant}
      {offset_block}
      <Spectral_Information_List>{spectral}</Spectral_Information_List>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-{level[1:]}_User_Product>
"""
