"""``crossmask predict``: the cloud mask of a scene — or of many — tiled, blended, as COGs."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import (
    bands_opt,
    batch_opts,
    echo_batch,
    overwrite_opt,
    precision_opt,
    runtime_opt,
    sensor_opt,
    split_names,
)


@click.command("predict")
@click.argument("model", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("scenes", nargs=-1)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Mask file (one scene), or folder (many scenes).")
@click.option("--ensemble", "more", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Another model whose probabilities are averaged in (repeatable).")
@click.option("--probability", type=click.Path(dir_okay=False),
              help="Also write class probabilities to this GeoTIFF (one scene).")
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
@batch_opts
@overwrite_opt
def command(model: Path, scenes: tuple[str, ...], output: Path, more: tuple[Path, ...],
            probability: str | None, sensor: str | None, bands: str | None,
            threshold: float | None, tile: int, overlap: int | None, batch_size: int,
            tta: bool, runtime: str, precision: str, from_file: str | None, pattern: str,
            workers: int | None, scheduler: str | None, overwrite: bool) -> None:
    """Predict the cloud mask of SCENES with MODEL (a model folder).

    A scene is a Landsat scene folder (L8 Biome, Collection 1/2), a Sentinel-2 product
    harmonised by `crossmask harmonize apply`, any GeoTIFF / folder of band files with
    named bands (give --sensor), a STAC ItemCollection JSON, a folder holding such
    products, or a glob; --from-file lists more.  One scene and `-o mask.tif` write that
    file; many scenes write `-o FOLDER/<name>_mask.tif` each, skip masks already made from
    the same inputs and settings, and write FOLDER/batch.csv.
    """
    from crossmask.pipelines.batch.inputs import expand_inputs
    from crossmask.pipelines.batch.jobs import PredictJob
    from crossmask.pipelines.batch.run import run_batch

    sources = expand_inputs(scenes, from_file, sensor, split_names(bands))
    job = PredictJob(tuple(str(m) for m in (model, *more)), runtime, precision, tile, overlap,
                     batch_size, threshold, tta)
    if len(sources) == 1 and not (from_file or workers or scheduler) and output.suffix.lower() \
            in (".tif", ".tiff"):
        return _one(job, sources[0].open(), output, probability, overwrite)
    if probability:
        raise click.UsageError("--probability names one file: give one scene")
    echo_batch(run_batch(job, sources, output, pattern, workers, scheduler))


def _one(job, product, output: Path, probability: str | None, overwrite: bool) -> None:
    from crossmask.models.runtime import load_runner
    from crossmask.pipelines.inference.predict import predict_product

    models = [load_runner(m, job.runtime, job.precision) for m in job.models]
    result = predict_product(models, product, output, probability, tile=job.tile,
                             overlap=job.overlap, batch_size=job.batch_size,
                             threshold=job.threshold, tta=job.tta, overwrite=overwrite)
    click.echo(f"cloud fraction {100 * result.cloud_fraction:.2f} % of "
               f"{result.valid_pixels} valid pixels ({models[0].runtime}, "
               f"{models[0].precision}, {result.seconds:.1f} s)")
    click.echo(f"wrote {result.mask}" + (f" and {result.probability}" if result.probability
                                         else ""))
