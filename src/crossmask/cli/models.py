"""``crossmask models``: list architectures and import pretrained weights."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import output_dir_opt, overwrite_opt


@click.group("models")
def command() -> None:
    """List architectures and import pretrained weights."""


@command.command("list")
def list_cmd() -> None:
    """List the registered architectures (no TensorFlow needed)."""
    from crossmask.models.registry import MODELS, list_models

    for name in list_models():
        click.echo(f"{name:8s} stride {MODELS[name].stride:2d}  {MODELS[name].description}")


@command.command("export")
@click.argument("model", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["onnx", "openvino"]), required=True,
              help="onnx (needs crossmask[onnx]) or openvino IR (needs crossmask[openvino]).")
@click.option("--tile", type=click.IntRange(min=1),
              help="Fix the input to TILE x TILE px (default: any multiple of the stride).")
@overwrite_opt
def export_cmd(model: Path, fmt: str, tile: int | None, overwrite: bool) -> None:
    """Export MODEL (a model folder) for a faster runtime; the card records it."""
    from crossmask.models.export import export_model

    files = export_model(model, fmt, tile, overwrite)
    click.echo(f"wrote {', '.join(str(f) for f in files)}; run it with --runtime {fmt}")


@command.command("import-ipluv")
@click.argument("hdf5", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_dir_opt
@click.option("--bands", help="Landsat-8 bands of the inputs (default from channel count).")
@overwrite_opt
def import_cmd(hdf5: Path, output: str, bands: str | None, overwrite: bool) -> None:
    """Import an IPL-UV DL-L8S2-UV Keras-2 HDF5 U-Net into model folder OUTPUT."""
    from crossmask.models.ipluv import import_ipluv

    path = import_ipluv(hdf5, output, bands.split(",") if bands else None, overwrite)
    click.echo(f"wrote {path / 'model.keras'} and {path / 'model.json'}")
