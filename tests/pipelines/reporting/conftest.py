"""One evaluation report, written once for the reporting tests: two labelled Sentinel-2
scenes, the 'bright' model under a display name with spaces and parentheses, and a peer
that cannot run on the data (so the page has a 'Not scored' section)."""

from pathlib import Path

import pytest

from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec
from crossmask.pipelines.evaluation.peers import PEERS, Peer

#: How the reporting tests name the model: a display name as a model card gives it.
DISPLAY_NAME = "Bright U-Net (L8 Biome, 6 bands)"
#: A peer whose package is installed (numpy) but whose bands no Sentinel-2 npz holds.
FAKE_PEER = Peer("fake-peer", "numpy", ("clear", "cloud"), ("B10",))


@pytest.fixture(scope="session")
def report_dir(bright_model, tmp_path_factory) -> Path:
    from crossmask.pipelines.evaluation.run import run_evaluation
    from crossmask.products.writers.labelled import write_npz_scene

    folder = tmp_path_factory.mktemp("scenes")
    for k in range(2):
        write_npz_scene(folder, f"scene{k}", size=48, seed=k)
    out = tmp_path_factory.mktemp("reports") / "report"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(PEERS, FAKE_PEER.name, FAKE_PEER)
        config = EvaluationConfig(name="reporting test",
                                  models=[ModelSpec(DISPLAY_NAME, str(bright_model))],
                                  datasets=[DatasetSpec("ukis like", str(folder))],
                                  peers=[FAKE_PEER.name], n_boot=50, quicklooks=1)
        run_evaluation(config, out, progress=False)
    return out
