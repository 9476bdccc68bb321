"""What a batch runs on: paths, globs, folders of products, list files, STAC collections."""

import numpy as np
import pytest

from crossmask.errors import InputError
from crossmask.pipelines.batch.inputs import expand_inputs
from crossmask.products.writers.geotiff import write_band_files, write_named_geotiff
from crossmask.products.writers.safe import write_safe

BANDS = ["B2", "B3", "B4", "B5", "B6", "B7"]


@pytest.fixture
def archive(tmp_path):
    """Two SAFE products, two GeoTIFFs in a sub-folder and a band-file folder."""
    root = tmp_path / "archive"
    for day in ("15", "16"):
        write_safe(root / "s2", sensing=f"202306{day}T102021", size_60m=4)
    data = {b: np.full((8, 8), 0.2, np.float32) for b in BANDS}
    for name in ("a", "b"):
        write_named_geotiff(root / "tifs" / f"{name}.tif", data)
    write_band_files(root / "LC80130312015295LGN00", "LC80130312015295LGN00", data)
    return root


def test_a_folder_holds_every_product_once(archive):
    sources = expand_inputs([archive], sensor="L8")
    kinds = sorted(s.path.suffix or s.path.name for s in sources)
    assert kinds == [".SAFE", ".SAFE", ".tif", ".tif", "LC80130312015295LGN00"]
    again = expand_inputs([archive, archive / "tifs" / "a.tif"], sensor="L8")
    assert len(again) == 5  # each product once
    assert {s.name for s in sources if s.path.suffix == ".tif"} == {"a", "b"}


def test_globs_and_list_files(archive, tmp_path):
    assert len(expand_inputs([str(archive / "s2" / "*.SAFE")])) == 2
    listing = tmp_path / "list.txt"
    listing.write_text(f"# scenes\n{archive / 'tifs' / 'a.tif'}\n\n{archive / 'tifs' / 'b.tif'}\n")
    assert [s.name for s in expand_inputs([], from_file=listing)] == ["a", "b"]
    with pytest.raises(InputError, match="matches no file"):
        expand_inputs([str(archive / "*.nothing")])
    with pytest.raises(InputError, match="no input given"):
        expand_inputs([])


def test_stac_collection_gives_one_source_per_item(tmp_path):
    from crossmask.products.writers.stac import sentinel2_item, write_item_collection

    items = [sentinel2_item(tmp_path / f"i{k}") for k in range(2)]
    items[1]["id"] = items[1]["id"] + "_2"
    path = write_item_collection(tmp_path / "items.json", items)
    sources = expand_inputs([path])
    assert [s.item for s in sources] == [0, 1]
    assert sources[1].name.endswith("_2") and sources[1].open().sensor.startswith("S2")
