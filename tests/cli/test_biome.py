"""`crossmask biome split|patches` on a generated L8 Biome tree."""

import json

import pytest

from crossmask.pipelines.training.split import load_split
from crossmask.products.writers.landsat import write_biome_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    write_biome_tree(root / "l8biome", ("Barren", "Forest"), scenes_per_biome=3, size=64)
    return root


def test_split_and_patches(tree, invoke):
    split = tree / "split.json"
    result = invoke("biome", "split", tree / "l8biome", "--counts", "1,1,1", "-o", split)
    assert result.exit_code == 0, result.output
    assert "train 2, val 2, test 2" in result.output and str(split) in result.output
    parts = load_split(split)
    assert {parts.biomes[s] for s in parts.train} == {"Barren", "Forest"}
    patches = tree / "patches"
    result = invoke("biome", "patches", tree / "l8biome", "--split", split, "--size", "32",
                    "--stride", "32", "--scheme", "three", "-o", patches)
    assert result.exit_code == 0, result.output
    index = json.loads((patches / "index.json").read_text())
    assert index["scheme"] == "three" and index["stats"]["scenes"] == sorted(parts.train)
    again = invoke("biome", "split", tree / "l8biome", "-o", split)
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_patches_of_an_empty_folder_say_where_to_get_the_data(tmp_path, invoke):
    result = invoke("biome", "patches", tmp_path, "-o", tmp_path / "p")
    assert result.exit_code == 1 and "download the L8 Biome" in result.output
