"""``crossmask predict``: the cloud mask of a scene, tiled and blended, as a COG."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import (
    bands_opt,
    output_opt,
    overwrite_opt,
    precision_opt,
    runtime_opt,
    sensor_opt,
    split_names,
)


@click.command("predict")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.argument("scene", type=click.Path(exists=True, path_type=Path))
@output_opt
@click.option("--ensemble", "more", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Another model whose probabilities are averaged in (repeatable).")
@click.option("--probability", type=click.Path(dir_okay=False),
              help="Also write class probabilities to this GeoTIFF.")
@sensor_opt
@bands_opt
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Cloud-probability cut (binary models); default the model card's.")
@click.option("--tile", type=click.IntRange(min=1), default=512, show_default=True,
              help="Tile edge (px), at least the model stride.")
@click.option("--overlap", type=click.IntRange(min=0),
              help="Tile overlap (px), less than the tile [default: 64, at most half the "
                   "tile].")
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True,
              help="Tiles per network call.")
@click.option("--tta", is_flag=True, help="Average the 8 flips/rotations of every tile.")
@runtime_opt
@precision_opt
@overwrite_opt
def command(model: Path, scene: Path, output: str, more: tuple[Path, ...],
            probability: str | None, sensor: str | None, bands: str | None,
            threshold: float | None, tile: int,
            overlap: int | None, batch_size: int, tta: bool, runtime: str, precision: str,
            overwrite: bool) -> None:
    """Predict the cloud mask of SCENE with MODEL (a model folder).

    SCENE is a Landsat-8/9 scene folder (L8 Biome or Collection 2), a harmonised
    Sentinel-2 GeoTIFF from `crossmask harmonize apply`, or any GeoTIFF / folder of band
    files with named bands (give --sensor).
    """
    from crossmask.models.runtime import load_runner
    from crossmask.pipelines.inference.predict import predict_product
    from crossmask.products import open_product

    product = open_product(scene, sensor, split_names(bands))
    models = [load_runner(m, runtime, precision) for m in (model, *more)]
    result = predict_product(models, product, output, probability, tile=tile, overlap=overlap,
                             batch_size=batch_size, threshold=threshold, tta=tta,
                             overwrite=overwrite)
    click.echo(f"cloud fraction {100 * result.cloud_fraction:.2f} % of "
               f"{result.valid_pixels} valid pixels ({models[0].runtime}, "
               f"{models[0].precision}, {result.seconds:.1f} s)")
    click.echo(f"wrote {result.mask}" + (f" and {result.probability}" if result.probability
                                         else ""))
