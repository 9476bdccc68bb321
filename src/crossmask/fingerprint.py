"""Fingerprints of everything that determines a result.

Work that is resumed or skipped (evaluation records, batch outputs) is keyed by a
fingerprint: a small dict of named parts (model, scene, method, settings, …), each a
SHA-256 digest.  A finished result is reused only when every part matches; otherwise it is
recomputed, and :func:`changed_parts` says which inputs changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["changed_parts", "digest", "file_digest", "file_stamp"]

_CHUNK = 1 << 20


def file_stamp(path: str | os.PathLike) -> dict:
    """Resolved path, size (bytes) and modification time (ns) of a file, or ``missing``."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return {"path": str(path), "missing": True}
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            sha.update(block)
    return sha.hexdigest()


def digest(value: object) -> str:
    """SHA-256 of a canonical JSON form of ``value``.

    Mappings are sorted by key; NumPy arrays are reduced to their dtype, shape and the
    digest of their bytes; paths become strings; dataclasses their fields.
    """
    text = json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def changed_parts(old: Mapping | None, new: Mapping) -> list[str]:
    """Names of the parts of fingerprint ``new`` that differ from ``old`` (all if none)."""
    if not isinstance(old, Mapping):
        return sorted(new)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _canonical(value: object):
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"dtype": str(data.dtype), "shape": list(data.shape),
                "sha256": hashlib.sha256(data.tobytes()).hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and value != value:
        return "NaN"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
