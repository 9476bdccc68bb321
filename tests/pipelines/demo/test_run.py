"""The demo's steps 4–6 on a real labelled sample, reusing the demo's trained model."""

import pytest

from crossmask.pipelines.demo.run import run_demo

#: One worker runs every test that uses the (session-scoped) demo run, so it runs once.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.xdist_group("demo")]


@pytest.mark.shared
def test_real_sample_reuses_the_trained_model(demo_run, shared_file):
    _, out = demo_run
    sample = shared_file("ukis-csmask", "sentinel2.npz")
    result = run_demo(out, real_sample=sample, progress=False)
    assert list(result.table.dataset.unique()) == ["real-sample"]
    assert list(result.table.method) == ["none", "ols", "multivariate", "hls"]
    assert result.report.parent.name == "report-real-sample"
