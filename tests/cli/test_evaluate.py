"""`crossmask evaluate`: the one-off form and its errors."""


def test_evaluate_cli_one_off_form(bright_model, labelled_npz_folder, tmp_path, invoke):
    out = tmp_path / "cli"
    result = invoke("evaluate", "--model", bright_model, "--data",
                    labelled_npz_folder / "scene0.toml", "--method", "none", "--method", "hls",
                    "--n-boot", "20", "-o", out)
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output and "hls" in result.output
    bad = invoke("evaluate", "-o", out)
    assert bad.exit_code == 1 and "give CONFIG.toml" in bad.output
