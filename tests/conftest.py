"""Shared fixtures: products written in the real on-disk formats into tmp_path."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """The suite never reaches the network: SRFs, spectra and weights are local."""

    def guard(*args, **kwargs):
        raise RuntimeError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", guard)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run the crossmask CLI; return the click Result."""
    from crossmask.cli import main

    def run(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture
def s2_dn():
    """Deterministic L1C digital numbers per band at native resolution (12 px at 60 m),
    with a nodata (DN 0) block in the top-left 60 m pixel of every band."""
    from crossmask.harmonize.samples.safe import synthetic_dn

    dn = synthetic_dn(12, "05.09", seed=3)
    for band, array in dn.items():
        factor = array.shape[0] // 12
        array[:factor, :factor] = 0
    return dn


@pytest.fixture
def safe_factory(tmp_path, s2_dn):
    """Write a SAFE product below tmp_path; keyword arguments go to ``write_safe``."""
    from crossmask.harmonize.samples.safe import write_safe

    def make(**kwargs) -> Path:
        kwargs.setdefault("dn", s2_dn)
        parent = tmp_path / f"products{len(list(tmp_path.glob('products*')))}"
        return write_safe(parent, **kwargs)

    return make


@pytest.fixture
def shared_file():
    """Return a file of ../shared/data, or skip the test when the sample data are absent."""

    def find(*parts: str) -> Path:
        path = SHARED.joinpath(*parts)
        if not path.exists():
            pytest.skip(f"sample data not present: {path}")
        return path

    return find


@pytest.fixture
def block_mean():
    """Mean over non-overlapping factor × factor blocks (NaN if any member is NaN)."""

    def mean(array: np.ndarray, factor: int) -> np.ndarray:
        h, w = array.shape[0] // factor, array.shape[1] // factor
        return array[:h * factor, :w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))

    return mean
