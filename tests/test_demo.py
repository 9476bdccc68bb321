"""`crossmask demo`: the whole job on simulated data, and on a real labelled sample."""

import pytest

from crossmask.errors import OutputExistsError
from crossmask.pipelines.demo import run_demo

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    return run_demo(out, epochs=3, progress=False)


def test_demo_writes_model_harmonised_products_and_report(demo):
    assert (demo.model / "model.keras").exists() and (demo.model / "model.json").exists()
    assert len(demo.harmonized) == 4 and all(p.exists() for p in demo.harmonized)
    assert demo.report.name == "report.html" and demo.report.exists()
    table = demo.table
    s2 = table[table.dataset == "simulated-S2"]
    assert list(s2.method) == ["none", "ols", "multivariate", "hls"]
    assert (table["OA %"] > 50).all()
    assert set(demo.effect.method) == {"ols", "multivariate", "hls"}
    assert (demo.report.parent / "summary.tex").exists()


def test_demo_refuses_to_overwrite_an_earlier_run(demo):
    with pytest.raises(OutputExistsError, match="earlier demo run"):
        run_demo(demo.out_dir, epochs=1, progress=False)


@pytest.mark.shared
def test_real_sample_reuses_the_trained_model(demo, shared_file):
    sample = shared_file("ukis-csmask", "sentinel2.npz")
    result = run_demo(demo.out_dir, real_sample=sample, progress=False)
    assert list(result.table.dataset.unique()) == ["real-sample"]
    assert list(result.table.method) == ["none", "ols", "multivariate", "hls"]
