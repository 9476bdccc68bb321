"""Atomic outputs: nothing partial, the umask's mode, refusal to overwrite."""

import os

import pytest

from crossmask.atomic import atomic_output
from crossmask.errors import OutputExistsError


def test_output_appears_whole_with_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "sub" / "a.txt") as tmp:
            tmp.write_text("x")
            assert not (tmp_path / "sub" / "a.txt").exists()
        assert oct(os.stat(tmp_path / "sub" / "a.txt").st_mode & 0o777) == oct(0o644)
    finally:
        os.umask(old)


def test_failure_leaves_nothing_and_existing_outputs_are_kept(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "b.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "c.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        with atomic_output(tmp_path / "c.txt"):
            pass
    assert (tmp_path / "c.txt").read_text() == "precious"
