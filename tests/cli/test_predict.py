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
