"""Fingerprints: canonical digests, file stamps and which parts changed."""

import numpy as np

from crossmask.fingerprint import changed_parts, digest, file_digest, file_stamp


def test_digest_is_canonical_and_sensitive():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})
    lut = np.arange(5, dtype=np.int16)
    assert digest({"lut": lut}) == digest({"lut": lut.copy()})
    changed = lut.copy()
    changed[0] = 9
    assert digest({"lut": lut}) != digest({"lut": changed})
    assert digest({"lut": lut}) != digest({"lut": lut.astype(np.int32)})
    assert digest(float("nan")) == digest(float("nan"))


def test_file_stamp_and_digest_follow_the_content(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"one")
    stamp, sha = file_stamp(path), file_digest(path)
    path.write_bytes(b"two!")
    assert file_stamp(path) != stamp and file_digest(path) != sha
    assert file_stamp(tmp_path / "nope")["missing"] is True


def test_changed_parts_names_what_differs():
    old = {"model": "a", "scene": "b", "method": "ols"}
    assert changed_parts(old, dict(old)) == []
    assert changed_parts(old, {**old, "scene": "c"}) == ["scene"]
    assert changed_parts(None, old) == ["method", "model", "scene"]
