"""An interrupted training run resumes only from a run of the same inputs.

``crossmask train`` re-run into a run folder resumes at the last finished epoch (Keras
``BackupAndRestore`` state in ``backup/``, with ``log.csv`` and ``best.keras``).  Before it
does, :func:`claim_run` compares the fingerprint of this run's inputs — crossmask version,
the whole training configuration, the patch index and each shard's size and modification
time, the split's scenes, the parent model's digest — with the one ``resume.json``
recorded when the folder's run started.  On any difference the old state is removed and
training starts afresh (a warning names what changed): a run never mixes epochs of two
configurations.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path

from crossmask import __version__
from crossmask.atomic import atomic_output
from crossmask.fingerprint import changed_parts, digest, file_digest, file_stamp
from crossmask.pipelines.training.split import Split

__all__ = ["RESUME_FILE", "claim_run", "run_fingerprint"]

log = logging.getLogger(__name__)

#: The fingerprint of the inputs of the run a folder holds.
RESUME_FILE = "resume.json"
#: What a run leaves to resume from.
_STATE = ("backup", "log.csv", "best.keras")


def run_fingerprint(config, patch_dir: Path, split: Split) -> dict[str, str]:
    """Digest per input of a training run (``config`` a ``TrainConfig``)."""
    from crossmask.models.card import model_digest

    index = patch_dir / "index.json"
    shards = sorted(p for p in patch_dir.iterdir() if p.name != "index.json"
                    and p.suffix == ".npz") if patch_dir.is_dir() else []
    return {
        "crossmask": digest(__version__),
        "config": digest(asdict(config)),
        "patches": digest({"index": file_digest(index) if index.is_file() else None,
                           "shards": [file_stamp(p) for p in shards]}),
        "split": digest({"train": list(split.train), "val": list(split.val)}),
        "parent": digest(model_digest(config.init) if config.init else None),
    }


def claim_run(out_dir: Path, fingerprint: dict[str, str]) -> bool:
    """Record ``fingerprint`` as the inputs of the run in ``out_dir``; remove the state of
    an earlier run made from other inputs.  True when an earlier run's state is kept (the
    run resumes)."""
    path = out_dir / RESUME_FILE
    old = _read(path)
    has_state = any((out_dir / name).exists() for name in _STATE)
    if has_state and old != fingerprint:
        changed = ", ".join(changed_parts(old, fingerprint))
        log.warning("%s: the earlier run there was made from other inputs (%s changed); "
                    "starting afresh", out_dir, changed)
        for name in _STATE:
            target = out_dir / name
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        has_state = False
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(fingerprint, indent=2, sort_keys=True) + "\n")
    return has_state


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
