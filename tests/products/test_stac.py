"""STAC ItemCollections, Items and static catalogues over local files, written in the
Earth Search, Planetary Computer, STAC 1.1 and USGS layouts into tmp_path."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
import rasterio

from crossmask.errors import InputError, ProductFormatError, UnscaledDataError
from crossmask.products import (
    BandFilesProduct,
    LandsatScene,
    SafeProduct,
    open_landsat_scene,
    open_product,
    open_products,
    open_safe,
    parse_mtl,
    stac_products,
)
from crossmask.products.writers.stac import (
    S2_STYLES,
    landsat_item,
    sentinel2_item,
    write_catalog,
    write_item,
    write_item_collection,
)
from crossmask.srf import get_sensor

PRODUCT_ID = "LC09_L1TP_199031_20240601_20240601_02_T1"
#: Registry band → the band id in the SAFE writer's JP2 file names.
S2_FILE_IDS = {b: b if b.endswith("A") else f"B{int(b[1:]):02d}"
               for b in get_sensor("S2A").band_names}


def dn_of(path) -> np.ndarray:
    with rasterio.open(path) as dataset:
        return dataset.read(1)


def collection_of(tmp_path, *items):
    return write_item_collection(tmp_path / "search.json", list(items))


@pytest.mark.parametrize("baseline, offset", [("05.10", -0.1), ("02.14", 0.0)])
@pytest.mark.parametrize("style, raster", [("earth-search", True), ("earth-search", False),
                                           ("planetary-computer", False), ("stac11", True),
                                           ("stac11", False)])
def test_s2_reflectance_is_dn_times_scale_plus_offset(tmp_path, s2_dn, style, raster,
                                                      baseline, offset):
    item = sentinel2_item(tmp_path, style=style, dn=s2_dn, baseline=baseline, raster=raster)
    product = open_product(collection_of(tmp_path, item))
    assert isinstance(product, BandFilesProduct)
    for band in ("B4", "B8A", "B10"):
        dn = dn_of(product.files[band]).astype(np.float64)
        expected = np.where(dn == 0, np.nan, dn * 0.0001 + offset)
        refl = product.read(band)
        assert refl.dtype == np.float32 and np.isnan(refl).any()
        np.testing.assert_allclose(refl, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("baseline", ["05.10", "02.14"])
def test_s2_item_reads_as_its_safe_product(tmp_path, s2_dn, baseline):
    item = sentinel2_item(tmp_path, dn=s2_dn, baseline=baseline)
    product = open_product(collection_of(tmp_path, item))
    safe = open_safe(next(tmp_path.glob("*.SAFE")))
    assert product.sensor == safe.sensor == "S2B"
    for band in ("B2", "B5", "B8", "B12"):
        assert product.files[band] == safe.files[band]
        np.testing.assert_allclose(product.read(band), safe.read(band), atol=1e-6)


@pytest.mark.parametrize("style", S2_STYLES)
def test_s2_assets_map_to_their_bands(tmp_path, style):
    item = sentinel2_item(tmp_path, style=style)
    product = open_product(collection_of(tmp_path, item))
    assert product.band_names == get_sensor("S2B").band_names
    assert {b: p.name.rsplit("_", 1)[-1] for b, p in product.files.items()} == {
        b: f"{i}.jp2" for b, i in S2_FILE_IDS.items()}
    assert product.files["B8"].name.endswith("_B08.jp2")  # Earth Search "nir"
    assert product.files["B8A"].name.endswith("_B8A.jp2")  # Earth Search "nir08"


def _strip(item: dict, *fields: str) -> dict:
    """Drop band fields (in eo:bands / bands) and asset titles: the rule's later steps."""
    for asset in item["assets"].values():
        asset.pop("title", None)
        for band in asset.get("eo:bands", []) + asset.get("bands", []):
            for name in fields:
                band.pop(name, None)
    return item


@pytest.mark.parametrize("style, fields", [
    ("earth-search", ("description",)),  # name == key: rededge1 → B5, nir → B8, nir08 → B8A
    ("earth-search", ("description", "name")),  # common names, then the asset key
    ("planetary-computer", ("description",)),  # B04 … B8A names
    ("planetary-computer", ("description", "name")),  # the asset key B04 … B8A
    ("stac11", ("description", "name")),  # eo:common_name rededge071 … as in eo v2
])
def test_band_mapping_without_descriptions(tmp_path, style, fields):
    item = _strip(sentinel2_item(tmp_path, style=style), *fields)
    product = open_product(collection_of(tmp_path, item))
    assert {b: p.name.rsplit("_", 1)[-1] for b, p in product.files.items()} == {
        b: f"{i}.jp2" for b, i in S2_FILE_IDS.items()}


def test_rededge_by_description_when_key_and_name_do_not_tell(tmp_path):
    item = _strip(sentinel2_item(tmp_path), "name")
    for key in ("rededge1", "rededge2", "rededge3"):
        item["assets"][f"edge-{key[-1]}"] = item["assets"].pop(key)
    product = open_product(collection_of(tmp_path, item))
    assert [product.files[b].name[-7:] for b in ("B5", "B6", "B7")] == [
        "B05.jp2", "B06.jp2", "B07.jp2"]
    product = open_product(collection_of(tmp_path, _strip(item, "description")))
    assert "B4" in product.band_names  # common name "red"
    assert not {"B5", "B6", "B7"} & set(product.band_names)  # "rededge" alone: no band


def test_multiband_visual_asset_never_stands_in_for_a_band(tmp_path):
    item = sentinel2_item(tmp_path)
    assert [b["name"] for b in item["assets"]["visual"]["eo:bands"]] == ["red", "green", "blue"]
    del item["assets"]["red"]
    product = open_product(collection_of(tmp_path, item))
    assert "B4" not in product.band_names and "B3" in product.band_names


def test_local_jp2_variant_is_taken_over_a_remote_cog(tmp_path):
    item = sentinel2_item(tmp_path)
    item["assets"]["red-jp2"] = dict(item["assets"]["red"])
    item["assets"]["red"] = {**item["assets"]["red"],
                             "href": "https://sentinel-cogs.s3.amazonaws.com/x/B04.tif"}
    product = open_product(collection_of(tmp_path, item))
    assert product.files["B4"].name.endswith("_B04.jp2") and product.files["B4"].is_file()


@pytest.mark.parametrize("href", ["https://sentinel-cogs.s3.us-west-2.amazonaws.com/B04.tif",
                                  "s3://sentinel-s2-l1c/tiles/30/T/WM/2024/6/1/0/B04.jp2",
                                  "/vsis3/sentinel-s2-l1c/tiles/30/T/WM/B04.jp2"])
def test_remote_band_href_is_refused_naming_item_and_asset(tmp_path, href):
    item = sentinel2_item(tmp_path)
    assert item["assets"]["thumbnail"]["href"].startswith("https://")  # ignored: no band
    item["assets"]["red"]["href"] = href
    with pytest.raises(ProductFormatError,
                       match=r"S2B_30TWM_20240601_0_L1C'.*asset 'red'.*not a local file; "
                             r"download it first"):
        stac_products(collection_of(tmp_path, item))


def test_missing_local_band_file_is_refused(tmp_path):
    item = sentinel2_item(tmp_path)
    item["assets"]["nir08"]["href"] = str(tmp_path / "gone" / "B8A.jp2")
    with pytest.raises(ProductFormatError, match=r"asset 'nir08'.*does not exist"):
        stac_products(collection_of(tmp_path, item))


@pytest.mark.parametrize("change", [
    {"level": "L2A"},
    {"properties": {"s2:product_type": "S2MSI2A"}},
    {"properties": {"processing:level": "L2A"}},
    {"collection": "sentinel-2-l2a"},
    {"id": "S2B_30TWM_20240601_0_L2A"},
])
def test_level_2a_items_are_refused(tmp_path, change):
    item = sentinel2_item(tmp_path, level=change.get("level", "L1C"))
    item["properties"].update(change.get("properties", {}))
    item["collection"] = change.get("collection", item["collection"])
    item["id"] = change.get("id", item["id"])
    with pytest.raises(ProductFormatError, match=r"Level-2A .*needs Level-1C"):
        stac_products(collection_of(tmp_path, item))


def test_level_1c_earth_search_item_is_not_taken_for_level_2a(tmp_path):
    item = sentinel2_item(tmp_path)
    assert item["collection"] == "sentinel-2-l1c"
    assert len(stac_products(collection_of(tmp_path, item))) == 1


def test_baseline_offset_wins_over_a_disagreeing_raster_offset(tmp_path, caplog):
    item = sentinel2_item(tmp_path, baseline="05.10")
    for asset in item["assets"].values():
        for band in asset.get("raster:bands", []):
            band["offset"] = 0
    with caplog.at_level(logging.WARNING, logger="crossmask.products.stac"):
        product = open_product(collection_of(tmp_path, item))
    assert "disagree with processing baseline 05.10" in caplog.text
    dn = dn_of(product.files["B4"]).astype(np.float64)
    np.testing.assert_allclose(product.read("B4"), np.where(dn == 0, np.nan, dn * 1e-4 - 0.1),
                               rtol=1e-5, atol=1e-6)


def test_no_scale_and_no_baseline_is_refused(tmp_path):
    item = sentinel2_item(tmp_path, style="planetary-computer")
    del item["properties"]["s2:processing_baseline"]
    with pytest.raises(UnscaledDataError, match=r"asset 'B01'.*no raster scale"):
        stac_products(collection_of(tmp_path, item))


def test_sensor_from_platform_or_id(tmp_path):
    item = sentinel2_item(tmp_path, spacecraft="Sentinel-2C")
    assert open_product(collection_of(tmp_path, item)).sensor == "S2C"
    del item["properties"]["platform"]
    item["id"] = "S2A_30TWM_20240601_0_L1C"
    assert open_product(collection_of(tmp_path, item)).sensor == "S2A"
    item["properties"]["platform"] = "sentinel-3a"
    with pytest.raises(ProductFormatError, match=r"'S2A_30TWM_20240601_0_L1C'.*sentinel-3a"):
        stac_products(collection_of(tmp_path, item))


def _mtl_reflectance(mtl: dict, band: int, dn: np.ndarray) -> np.ndarray:
    rescaling = mtl["LANDSAT_METADATA_FILE"]["LEVEL1_RADIOMETRIC_RESCALING"]
    elevation = mtl["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]["SUN_ELEVATION"]
    refl = (rescaling[f"REFLECTANCE_MULT_BAND_{band}"] * dn.astype(np.float64)
            + rescaling[f"REFLECTANCE_ADD_BAND_{band}"]) / math.sin(math.radians(elevation))
    return np.where(dn == 0, np.nan, refl)


@pytest.mark.parametrize("rename, mtl_key", [(False, "MTL.txt"), (True, "mtl.txt")])
def test_landsat_reflectance_follows_the_mtl(tmp_path, rename, mtl_key):
    item = landsat_item(tmp_path, rename=rename, mtl_key=mtl_key)
    product = open_product(collection_of(tmp_path, item))
    assert isinstance(product, LandsatScene) and product.sensor == "L9"
    assert product.scene_id == PRODUCT_ID
    assert product.band_names == get_sensor("L9").band_names
    assert product.files["B5"].name == ("nir08.TIF" if rename else f"{PRODUCT_ID}_B5.TIF")
    assert product.mtl_path.name == (mtl_key if rename else f"{PRODUCT_ID}_MTL.txt")
    assert product.qa_path.name == ("qa_pixel.TIF" if rename else f"{PRODUCT_ID}_QA_PIXEL.TIF")
    mtl = parse_mtl(product.mtl_path)
    for number in (2, 4, 5, 7):
        dn = dn_of(product.files[f"B{number}"])
        assert (dn == 0).any() and (dn > 0).any()
        np.testing.assert_allclose(product.read(f"B{number}"),
                                   _mtl_reflectance(mtl, number, dn), rtol=1e-5, atol=1e-6)
    assert set(product.source_files()) >= {product.mtl_path, *product.files.values()}


def test_landsat_item_reads_as_its_scene_folder(tmp_path):
    product = open_product(collection_of(tmp_path, landsat_item(tmp_path)))
    scene = open_landsat_scene(tmp_path / PRODUCT_ID)
    for band in ("B1", "B6", "B10"):
        np.testing.assert_array_equal(product.read(band), scene.read(band))


@pytest.mark.parametrize("change", [
    {"level": "L2"},
    {"properties": {"landsat:correction": "L2SR"}},
    {"properties": {"processing:level": "L2"}},
    {"collection": "landsat-c2-l2"},
    {"id": "LC09_L2SP_199031_20240601_20240601_02_T1"},
])
def test_landsat_level_2_items_are_refused(tmp_path, change):
    item = landsat_item(tmp_path, level=change.get("level", "L1"))
    item["properties"].update(change.get("properties", {}))
    item["collection"] = change.get("collection", item["collection"])
    item["id"] = change.get("id", item["id"])
    with pytest.raises(ProductFormatError, match=r"Collection 2 Level-2 .*needs Level-1"):
        stac_products(collection_of(tmp_path, item))


def test_landsat_item_needs_its_local_mtl(tmp_path):
    item = landsat_item(tmp_path)
    item["assets"]["MTL.txt"]["href"] = "https://landsatlook.usgs.gov/x/LC09_MTL.txt"
    with pytest.raises(ProductFormatError, match=r"asset 'MTL.txt'.*not a local file"):
        stac_products(collection_of(tmp_path, item))
    del item["assets"]["MTL.txt"]
    with pytest.raises(ProductFormatError, match=r"no MTL.txt asset"):
        stac_products(collection_of(tmp_path, item))


@pytest.mark.parametrize("kind", ["Catalog", "Collection"])
def test_catalog_with_two_items_gives_two_products(tmp_path, kind):
    items = [sentinel2_item(tmp_path / "data", baseline="05.10"),
             landsat_item(tmp_path / "data")]
    root = write_catalog(tmp_path / "catalog", items, kind=kind)
    item_json = tmp_path / "catalog" / PRODUCT_ID / f"{PRODUCT_ID}.json"
    assert '"href": "../../data/' in item_json.read_text()  # relative to the item's file
    products = stac_products(root)
    assert [type(p).__name__ for p in products] == ["BandFilesProduct", "StacLandsatScene"]
    assert [p.scene_id for p in products] == ["S2B_30TWM_20240601_0_L1C", PRODUCT_ID]
    assert [p.path for p in products] == [
        tmp_path / "catalog" / i / f"{i}.json" for i in ("S2B_30TWM_20240601_0_L1C", PRODUCT_ID)]
    assert all(np.isfinite(p.read("red")).any() for p in products)
    assert len(open_products(root)) == 2
    with pytest.raises(InputError, match="holds 2 STAC items"):
        open_product(root)


def test_open_product_on_one_item(tmp_path, s2_dn):
    item = sentinel2_item(tmp_path / "data", dn=s2_dn)
    one = open_product(collection_of(tmp_path, item))
    assert isinstance(one, BandFilesProduct) and one.scene_id == "S2B_30TWM_20240601_0_L1C"
    single = open_product(write_item(tmp_path / "items" / "item.json", item))
    assert single.files == one.files and single.scales == one.scales
    safe = next((tmp_path / "data").glob("*.SAFE"))
    assert [type(p) for p in open_products(safe)] == [SafeProduct]


def test_json_that_is_not_stac_is_refused(tmp_path):
    path = tmp_path / "card.json"
    path.write_text('{"name": "unmask", "bands": ["B2"]}')
    with pytest.raises(ProductFormatError, match="not a STAC ItemCollection"):
        open_product(path)
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ProductFormatError, match="holds no items"):
        stac_products(path)


def test_landsat_platform_must_match_its_mtl(tmp_path):
    item = landsat_item(tmp_path)
    item["properties"]["platform"] = "LANDSAT_8"
    with pytest.raises(ProductFormatError, match=r"platform is L8, its MTL .* is L9"):
        stac_products(collection_of(tmp_path, item))
