"""`crossmask predict`: a saved model over a GeoTIFF or a Landsat band folder."""

import pytest
import rasterio


def test_predict_cli_with_a_saved_model(bright_model, l8_geotiff, tmp_path, invoke):
    out = tmp_path / "cli_mask.tif"
    result = invoke("predict", bright_model, l8_geotiff, "-o", out, "--sensor", "L8",
                    "--tile", "32")
    assert result.exit_code == 0, result.output
    assert "cloud fraction" in result.output and str(out) in result.output
    again = invoke("predict", bright_model, l8_geotiff, "-o", out, "--sensor", "L8")
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_model_card_of_another_version(bright_model, l8_geotiff, tmp_path, invoke):
    import shutil

    model = tmp_path / "old"
    shutil.copytree(bright_model, model)
    (model / "model.json").write_text('{"format": "crossmask-model", "version": 7}')
    old = invoke("predict", model, l8_geotiff, "-o", tmp_path / "y.tif", "--sensor", "L8")
    assert old.exit_code == 1 and "another crossmask version" in old.output


@pytest.mark.shared
@pytest.mark.slow
def test_ipluv_on_the_real_landsat_scene(shared_file, tmp_path, invoke):
    weights = shared_file("dl-l8s2-uv", "landsatbiomeRGBISWIR7.hdf5")
    scene = shared_file("rio-cloudmask", "LC80130312015295LGN00_B2_toa.tif").parent
    assert invoke("models", "import-ipluv", weights, "-o", tmp_path / "ipl").exit_code == 0
    out = tmp_path / "mask.tif"
    result = invoke("predict", tmp_path / "ipl", scene, "--sensor", "L8", "-o", out)
    assert result.exit_code == 0, result.output
    fraction = float(result.output.split("cloud fraction ")[1].split(" %")[0])
    assert 0 <= fraction <= 100
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32618 and ds.shape == (458, 508)


def test_output_that_cannot_be_written_is_one_line(bright_model, l8_geotiff, tmp_path,
                                                   invoke, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = invoke("predict", bright_model, l8_geotiff, "-o", blocker / "mask.tif",
                    "--sensor", "L8")
    assert result.exit_code == 1 and str(blocker) in result.output
    assert "Traceback" not in result.output

    import errno
    import os

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "full.tif"))

    monkeypatch.setattr(os, "replace", full)
    result = invoke("predict", bright_model, l8_geotiff, "-o", tmp_path / "full.tif",
                    "--sensor", "L8")
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert "full.tif" in result.output and not list(tmp_path.glob("*full.tif*"))


@pytest.mark.parametrize("option, value, code, message", [
    ("--batch-size", "0", 2, "0 is not in the range x>=1"),
    ("--threshold", "1.5", 2, "0<x<1"),
    ("--threshold", "0", 2, "0<x<1"),
    ("--overlap", "-1", 2, "x>=0"),
    ("--overlap", "64", 1, "overlap 64 px must be at least 0 and less than the tile"),
])
def test_settings_out_of_range_are_refused(bright_model, l8_geotiff, tmp_path, invoke,
                                           option, value, code, message):
    args = ["--tile", "64"] if option == "--overlap" and value == "64" else []
    result = invoke("predict", bright_model, l8_geotiff, "-o", tmp_path / "m.tif",
                    "--sensor", "L8", option, value, *args)
    assert result.exit_code == code and message in result.output
    assert not (tmp_path / "m.tif").exists()


def test_tile_smaller_than_the_stride(tmp_path, invoke, l8_geotiff):
    import keras

    from crossmask.models.card import ModelCard, save_model

    inputs = keras.Input((None, None, 6))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(inputs))
    card = ModelCard("unmask", ["B2", "B3", "B4", "B5", "B6", "B7"], "binary", ["cloud"],
                     output="sigmoid", stride=16)
    folder = save_model(model, card, tmp_path / "strided")
    result = invoke("predict", folder, l8_geotiff, "-o", tmp_path / "m.tif", "--sensor", "L8",
                    "--tile", "8")
    assert result.exit_code == 1 and "smaller than the model stride 16" in result.output


def test_unusable_model_folders_say_what_is_wrong(bright_model, l8_geotiff, tmp_path, invoke):
    import json
    import shutil

    model = tmp_path / "m"
    shutil.copytree(bright_model, model)
    card = json.loads((model / "model.json").read_text())
    (model / "model.json").write_text(json.dumps({**card, "bands": card["bands"][:4]}))
    result = invoke("predict", model, l8_geotiff, "-o", tmp_path / "a.tif", "--sensor", "L8")
    assert result.exit_code == 1 and "lists 4 bands" in result.output
    assert "takes 6 input channels" in result.output
    (model / "model.json").write_text(json.dumps(card))
    keras_file = model / "model.keras"
    keras_file.write_bytes(keras_file.read_bytes()[:1000])
    result = invoke("predict", model, l8_geotiff, "-o", tmp_path / "b.tif", "--sensor", "L8")
    assert result.exit_code == 1 and "corrupt or truncated" in result.output


def test_no_valid_pixel_is_refused_and_inf_is_fill(bright_model, tmp_path, invoke):
    import numpy as np

    from crossmask.products.writers.geotiff import write_named_geotiff

    bands = ["B2", "B3", "B4", "B5", "B6", "B7"]
    empty = write_named_geotiff(tmp_path / "empty.tif",
                                {b: np.full((20, 20), np.nan, np.float32) for b in bands})
    result = invoke("predict", bright_model, empty, "-o", tmp_path / "e.tif", "--sensor", "L8")
    assert result.exit_code == 1 and "no valid pixel" in result.output
    assert not list(tmp_path.glob("*e.tif*"))
    data = np.full((20, 20), 0.9, np.float32)
    data[2, 3] = np.inf
    bright = write_named_geotiff(tmp_path / "inf.tif", {b: data for b in bands})
    result = invoke("predict", bright_model, bright, "-o", tmp_path / "i.tif", "--sensor", "L8")
    assert result.exit_code == 0, result.output
    with rasterio.open(tmp_path / "i.tif") as mask:
        classes = mask.read(1)
    assert classes[2, 3] == 255 and (classes[classes != 255] == 1).all()
    assert "of 399 valid pixels" in result.output


def test_unnamed_bands_can_be_named_on_the_command_line(bright_model, tmp_path, invoke):
    import numpy as np

    from crossmask.products.writers.geotiff import write_named_geotiff

    data = {f"band{i}": np.full((16, 16), 0.1, np.float32) for i in range(6)}
    path = write_named_geotiff(tmp_path / "unnamed.tif", data)
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = (None,) * 6
    result = invoke("predict", bright_model, path, "-o", tmp_path / "a.tif", "--sensor", "L8")
    assert result.exit_code == 1 and "--bands" in result.output
    result = invoke("predict", bright_model, path, "-o", tmp_path / "a.tif", "--sensor", "L8",
                    "--bands", "B2,B3,B4,B5,B6,B7")
    assert result.exit_code == 0, result.output
