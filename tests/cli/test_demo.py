"""`crossmask demo`: the whole job on simulated data, as a user runs it."""

import pandas as pd
import pytest

#: One worker runs every test that uses the (session-scoped) demo run, so it runs once.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.xdist_group("demo")]


def test_demo_writes_model_harmonised_products_and_report(demo_run):
    done, out = demo_run
    assert done.returncode == 0, done.stdout[-3000:]
    assert (out / "runs" / "unmask" / "model.keras").exists()
    assert len(list((out / "harmonized").glob("*_L8_ols.tif"))) == 4
    report = out / "report" / "report.html"
    assert report.exists() and f"report: {report.resolve()}" in done.stdout
    assert "What harmonisation buys" in done.stdout
    table = pd.read_csv(out / "report" / "summary.csv")
    s2 = table[table.dataset == "simulated-S2"]
    assert list(s2.method) == ["none", "ols", "multivariate", "hls", "learned"]
    assert len(list((out / "learned").glob("learned_S2?.json"))) == 2
    assert (table["OA %"] > 50).all()
    assert (out / "report" / "summary.tex").exists()


def test_demo_output_is_short_and_clean(demo_run):
    """Redirected, the demo writes its step lines and tables: no per-step Keras progress,
    no TensorFlow start-up notes, no warnings, no traceback."""
    done, _ = demo_run
    assert len(done.stdout.encode()) < 10_000, done.stdout[:3000]
    for noise in ("Traceback", "Warning", "WARNING", "absl", "Epoch 1/", "\x1b["):
        assert noise not in done.stdout, noise
    assert done.stdout.startswith("1/7 simulating")


def test_interrupted_or_repeated_demo_resumes(demo_run, invoke):
    done, out = demo_run
    first = pd.read_csv(out / "report" / "summary.csv")
    (out / "harmonized" / next(p.name for p in (out / "harmonized").iterdir())).unlink()
    again = invoke("demo", "-o", out, "--epochs", "3")
    assert again.exit_code == 0, again.output
    assert len(list((out / "harmonized").glob("*_L8_ols.tif"))) == 4  # the lost one redone
    pd.testing.assert_frame_equal(pd.read_csv(out / "report" / "summary.csv")
                                  .drop(columns=["s/Mpx harmonise", "s/Mpx predict"]),
                                  first.drop(columns=["s/Mpx harmonise", "s/Mpx predict"]))


def test_demo_with_other_settings_is_refused(demo_run, invoke):
    _, out = demo_run
    other = invoke("demo", "-o", out, "--epochs", "1")
    assert other.exit_code == 1 and "other settings (epochs 3 → 1)" in other.output
