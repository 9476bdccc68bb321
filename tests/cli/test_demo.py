"""`crossmask demo`: the whole job on simulated data, through the CLI."""

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


def test_demo_writes_model_harmonised_products_and_report(demo_run):
    result, out = demo_run
    assert result.exit_code == 0, result.output
    assert (out / "runs" / "unmask" / "model.keras").exists()
    assert len(list((out / "harmonized").glob("*_L8_ols.tif"))) == 4
    report = out / "report" / "report.html"
    assert report.exists() and f"report: {report.resolve()}" in result.output
    assert "What harmonisation buys" in result.output
    table = pd.read_csv(out / "report" / "summary.csv")
    s2 = table[table.dataset == "simulated-S2"]
    assert list(s2.method) == ["none", "ols", "multivariate", "hls"]
    assert (table["OA %"] > 50).all()
    assert (out / "report" / "summary.tex").exists()


def test_demo_refuses_to_overwrite_an_earlier_run(demo_run, invoke):
    _, out = demo_run
    again = invoke("demo", "-o", out, "--epochs", "1")
    assert again.exit_code == 1 and "earlier demo run" in again.output
