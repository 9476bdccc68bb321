"""The Sentinel-2 L1C SAFE reader on products written in the real layout."""

import numpy as np
import pytest

from crossmask.errors import InputError, MissingBandError, ProductFormatError
from crossmask.harmonize import build_adjustment, harmonize_product
from crossmask.products import open_product, open_safe
from crossmask.products.writers.safe import write_safe


def test_layout_is_the_real_one(safe_factory):
    safe = safe_factory()
    assert safe.name.startswith("S2A_MSIL1C_20230615T102021_N0509_R065_T32TNS_")
    jp2 = sorted(safe.glob("GRANULE/L1C_T32TNS_*/IMG_DATA/T32TNS_20230615T102021_B*.jp2"))
    assert [p.stem.rsplit("_", 1)[1] for p in jp2][:3] == ["B01", "B02", "B03"]
    assert len(jp2) == 13 and (safe / "MTD_MSIL1C.xml").is_file()


def test_baseline_4_offsets_are_applied(safe_factory, s2_dn):
    product = open_safe(safe_factory(baseline="05.09"))
    assert (product.sensor, product.baseline, product.quantification) == ("S2A", "05.09", 1e4)
    refl = product.read("B4")
    dn = s2_dn["B4"].astype(float)
    expect = np.where(dn == 0, np.nan, (dn - 1000) / 10000)
    np.testing.assert_allclose(refl, expect, rtol=1e-6)
    assert np.isnan(refl[0, 0]) and not np.isnan(refl[-1, -1])


def test_old_baseline_has_no_offset(safe_factory, s2_dn):
    product = open_safe(safe_factory(baseline="02.14", spacecraft="Sentinel-2B"))
    assert product.sensor == "S2B" and product.offsets == {}
    np.testing.assert_allclose(product.read("B11")[5, 5], s2_dn["B11"][5, 5] / 1e4, rtol=1e-6)


def test_reprocessed_old_product_takes_its_baseline_from_the_xml(safe_factory, s2_dn):
    # An acquisition of 2017 reprocessed at baseline 05.00: the name's date says nothing.
    product = open_safe(safe_factory(baseline="05.00", sensing="20170301T101021"))
    assert product.offsets["B2"] == -1000
    np.testing.assert_allclose(product.read("B2")[7, 7], (s2_dn["B2"][7, 7] - 1000) / 1e4,
                               rtol=1e-6)


def test_baseline_4_without_offsets_is_refused(safe_factory):
    safe = safe_factory(baseline="04.00", write_offsets=False)
    with pytest.raises(ProductFormatError, match="baseline 04.00 requires radiometric offsets"):
        open_safe(safe)


def test_level_2a_is_refused(safe_factory):
    with pytest.raises(ProductFormatError, match="Level-2A"):
        open_safe(safe_factory(level="L2A"))


def test_missing_xml(safe_factory):
    safe = safe_factory()
    (safe / "MTD_MSIL1C.xml").unlink()
    with pytest.raises(ProductFormatError, match="MTD_MSIL1C.xml is missing"):
        open_product(safe)


def test_unregistered_spacecraft(safe_factory):
    safe = safe_factory(spacecraft="Sentinel-2D")
    assert safe.name.startswith("S2D_MSIL1C_")
    with pytest.raises(ProductFormatError, match=r"'Sentinel-2D' is not a registered sensor "
                                                 r"\(supported: Sentinel-2A, Sentinel-2B, "
                                                 r"Sentinel-2C\)"):
        open_safe(safe)


def test_sentinel_2c_product_opens_as_s2c(safe_factory, s2_dn):
    safe = safe_factory(spacecraft="Sentinel-2C")
    assert safe.name.startswith("S2C_MSIL1C_20230615T102021_N0509_")
    xml = (safe / "MTD_MSIL1C.xml").read_text()
    assert "<SPACECRAFT_NAME>Sentinel-2C</SPACECRAFT_NAME>" in xml and "GS2C_" in xml
    product = open_product(safe)
    assert (product.sensor, product.baseline) == ("S2C", "05.09")
    assert len(product.band_names) == 13
    product.check_bands(product.band_names)  # resolutions checked against the S2C registry
    np.testing.assert_allclose(product.read("B8A")[3, 3], (s2_dn["B8A"][3, 3] - 1000) / 1e4,
                               rtol=1e-6)


def test_sentinel_2c_product_harmonises_to_landsat_8(safe_factory, tmp_path):
    import rasterio

    product = open_safe(safe_factory(spacecraft="Sentinel-2C"))
    adjustment = build_adjustment("S2C", "L8", "ols")
    out = harmonize_product(product, adjustment, tmp_path / "s2c_as_l8.tif", progress=False)
    with rasterio.open(out) as ds:
        assert ds.count == len(adjustment.target_bands) == 8
        assert ds.res == (30.0, 30.0) and (ds.width, ds.height) == (24, 24)  # 720 m
        harmonised = ds.read()
    assert np.isnan(harmonised[:, 0, 0]).all()  # the nodata corner stays nodata
    assert np.isfinite(harmonised[:, 4:, 4:]).all()
    # L8 B5 <- S2C B8A: the mean over the scene follows the fitted line
    nir = adjustment.bands[adjustment.target_bands.index("B5")]
    assert nir.sources == ["B8A"]
    b8a = product.read("B8A")
    expect = nir.coefficients[0] * np.nanmean(b8a) + nir.intercept
    assert np.nanmean(harmonised[4]) == pytest.approx(expect, abs=2e-3)
    # an S2A adjustment is refused for an S2C product
    with pytest.raises(InputError, match="product is S2C but the band adjustment is for S2A"):
        harmonize_product(product, build_adjustment("S2A", "L8", "ols"), tmp_path / "x.tif",
                          progress=False)


def test_writer_refuses_a_spacecraft_that_is_not_a_sentinel_2(tmp_path, s2_dn):
    with pytest.raises(InputError, match="not 'Landsat-8'"):
        write_safe(tmp_path, s2_dn, spacecraft="Landsat-8")
    assert not list(tmp_path.iterdir())  # nothing written


def test_missing_band_file_names_the_file(safe_factory):
    safe = safe_factory()
    victim = next(safe.glob("GRANULE/*/IMG_DATA/*_B8A.jp2"))
    victim.unlink()
    product = open_safe(safe)
    with pytest.raises(MissingBandError, match=r"B8A\.jp2: band B8A file is missing"):
        product.check_bands(["B2", "B8A"])


def test_band_not_listed_in_product(safe_factory, s2_dn):
    partial = {b: a for b, a in s2_dn.items() if b != "B12"}
    product = open_safe(safe_factory(dn=partial))
    with pytest.raises(MissingBandError, match="band 'B12' is missing"):
        product.read("B12")


def test_truncated_jp2_names_the_file(safe_factory):
    safe = safe_factory()
    victim = next(safe.glob("GRANULE/*/IMG_DATA/*_B03.jp2"))
    victim.write_bytes(victim.read_bytes()[:200])
    product = open_safe(safe)
    with pytest.raises(ProductFormatError, match=r"_B03\.jp2: cannot"):
        product.check_bands(["B3"])
        product.read("B3")


def test_band_at_wrong_resolution(safe_factory, s2_dn):
    dn = dict(s2_dn)
    dn["B11"] = s2_dn["B2"]  # a 10 m array written where a 20 m band belongs
    safe = safe_factory(dn=dn)
    # the writer stamps 20 m on it; rewrite its transform at 10 m to simulate a bad file
    import rasterio
    from affine import Affine

    path = next(safe.glob("GRANULE/*/IMG_DATA/*_B11.jp2"))
    path.unlink()
    with rasterio.open(path, "w", driver="JP2OpenJPEG", width=48, height=48, count=1,
                       dtype="uint16", crs="EPSG:32632",
                       transform=Affine(10, 0, 600000, 0, -10, 5100000),
                       QUALITY="100", REVERSIBLE="YES") as dst:
        dst.write(s2_dn["B2"], 1)
    with pytest.raises(ProductFormatError, match="band B11 is at 10 m, expected 20 m"):
        open_safe(safe).check_bands(["B11"])
