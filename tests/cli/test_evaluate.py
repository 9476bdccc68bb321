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


def test_unwritable_report_folder_is_one_line(bright_model, labelled_npz_folder, tmp_path,
                                              invoke):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = invoke("evaluate", "--model", bright_model, "--data", labelled_npz_folder,
                    "--method", "none", "-o", blocker / "report")
    assert result.exit_code == 1 and str(blocker) in result.output
    assert "Traceback" not in result.output


def test_n_boot_must_be_positive(bright_model, labelled_npz_folder, tmp_path, invoke):
    result = invoke("evaluate", "--model", bright_model, "--data", labelled_npz_folder,
                    "--n-boot", "0", "-o", tmp_path / "r")
    assert result.exit_code == 2 and "x>=1" in result.output


def test_one_off_form_scores_a_fitted_adjustment(bright_model, labelled_npz_folder, tmp_path,
                                                 invoke, learned_file):
    fit = learned_file(tmp_path / "learned_S2A.json")
    result = invoke("evaluate", "--model", bright_model, "--data",
                    labelled_npz_folder / "scene0.toml", "--method", "ols",
                    "--adjustment", fit, "--n-boot", "20", "-o", tmp_path / "r")
    assert result.exit_code == 0, result.output
    run = (tmp_path / "r" / "run.json").read_text()
    assert '"learned"' in run and str(fit) in run
    assert "learned" in result.output.split("wrote")[0]
