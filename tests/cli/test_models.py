"""`crossmask models list|import-ipluv`."""

import subprocess
import sys


def test_models_list_names_every_architecture(invoke):
    result = invoke("models", "list")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["dlmask", "fcnmask", "snmask", "unmask"]
    assert "stride 32" in result.output and "U-Net" in result.output


def test_models_list_does_not_import_tensorflow():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom crossmask.cli import main\n"
            "assert CliRunner().invoke(main, ['models', 'list']).exit_code == 0\n"
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_import_ipluv_refuses_a_file_that_is_no_keras_model(invoke, tmp_path):
    bad = tmp_path / "weights.hdf5"
    bad.write_bytes(b"not hdf5")
    result = invoke("models", "import-ipluv", bad, "-o", tmp_path / "m")
    assert result.exit_code == 1 and "weights.hdf5" in result.output
    assert not (tmp_path / "m").exists()
