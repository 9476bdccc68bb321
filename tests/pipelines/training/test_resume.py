"""A training run resumes only from a run of the same inputs."""

import json
import logging

from crossmask.pipelines.training.resume import RESUME_FILE, claim_run, run_fingerprint
from crossmask.pipelines.training.split import Split
from crossmask.pipelines.training.train import TrainConfig


def leave_state(out):
    (out / "backup").mkdir(parents=True)
    (out / "backup" / "state").write_text("epoch 1")
    (out / "log.csv").write_text("epoch,loss\n0,0.5\n")


def test_same_inputs_resume_and_changed_inputs_start_afresh(tmp_path, caplog):
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "index.json").write_text('{"bands": ["B2"]}')
    (patches / "s0.npz").write_bytes(b"x")
    split = Split(seed=0, train=["a"], val=["b"], test=[], biomes={})
    out = tmp_path / "run"
    first = run_fingerprint(TrainConfig(learning_rate=1e-3), patches, split)
    out.mkdir()
    assert not claim_run(out, first)  # nothing to resume yet
    leave_state(out)
    assert claim_run(out, run_fingerprint(TrainConfig(learning_rate=1e-3), patches, split))
    assert (out / "log.csv").exists() and (out / "backup" / "state").exists()

    changed = run_fingerprint(TrainConfig(learning_rate=2e-3), patches, split)
    with caplog.at_level(logging.WARNING):
        assert not claim_run(out, changed)
    assert "config changed" in caplog.text and "starting afresh" in caplog.text
    assert not (out / "log.csv").exists() and not (out / "backup").exists()
    assert json.loads((out / RESUME_FILE).read_text()) == changed

    leave_state(out)
    (patches / "s0.npz").write_bytes(b"other patches")
    assert not claim_run(out, run_fingerprint(TrainConfig(learning_rate=2e-3), patches, split))
    other_split = Split(seed=0, train=["a", "c"], val=["b"], test=[], biomes={})
    assert run_fingerprint(TrainConfig(), patches, split) != \
        run_fingerprint(TrainConfig(), patches, other_split)
