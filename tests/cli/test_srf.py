"""`crossmask srf list|show|plot`."""


def test_srf_cli(invoke, tmp_path):
    result = invoke("srf", "list")
    assert result.exit_code == 0 and "S2B" in result.output
    result = invoke("srf", "show", "S2A")
    assert "B8A" in result.output and "nir08" in result.output
    out = tmp_path / "srf.png"
    result = invoke("srf", "plot", "S2A", "L8", "-o", out)
    assert result.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"
    result = invoke("srf", "plot", "S2A", "L8", "-o", out)
    assert result.exit_code == 1 and "--overwrite" in result.output
    result = invoke("srf", "show", "MODIS")
    assert result.exit_code == 1 and "unknown sensor 'MODIS'" in result.output
