"""``crossmask harmonize``: fit band adjustments and apply them to products."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import (
    bands_opt,
    batch_opts,
    echo_batch,
    method_opt,
    output_opt,
    overwrite_opt,
    saturation_opt,
    sensor_opt,
    split_names,
)

_IMAGES = ("Products, folders of them, globs or .npz images (array `img`); repeatable; "
           "only their bands are read, never labels.")


def learned_opts(command):
    """The options of ``fit --method learned``."""
    for option in reversed((
        click.option("--source-images", multiple=True,
                     help="learned: unlabelled images of --source. " + _IMAGES),
        click.option("--target-images", multiple=True,
                     help="learned: unlabelled images of --target. " + _IMAGES),
        click.option("--source-image-bands",
                     help="Band names of the source GeoTIFF / npz layers, comma-separated."),
        click.option("--target-image-bands",
                     help="Band names of the target GeoTIFF / npz layers, comma-separated."),
        click.option("--model", "model_dir",
                     type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="learned: the frozen cloud model folder (its bands are the "
                          "generator's)."),
        click.option("--epochs", type=click.IntRange(min=0), default=10, show_default=True,
                     help="learned: training epochs (0: the identity on ols)."),
        click.option("--patch", type=click.IntRange(min=8), default=64, show_default=True,
                     help="learned: training patch edge (px at 30 m; a multiple of the "
                          "model's stride)."),
        click.option("--patches-per-image", type=click.IntRange(min=1), default=16,
                     show_default=True, help="learned: patches drawn from each image."),
        click.option("--transductive", is_flag=True,
                     help="learned: record that the source images are the ones it will be "
                          "scored on."),
        click.option("--gpu", is_flag=True,
                     help="learned: fail unless a GPU is visible (real-size training)."),
    )):
        command = option(command)
    return command


@click.group("harmonize")
def command() -> None:
    """Spectral band adjustment and resampling to Landsat-8 equivalents."""


@command.command("fit")
@click.option("--source", required=True, help="Source sensor, e.g. S2A, S2B, L9, L7, L5.")
@click.option("--target", default="L8", show_default=True, help="Target sensor.")
@method_opt
@click.option("--synthetic-per-class", default=400, show_default=True,
              help="Generated cloud/thin-cloud/snow/water spectra per class.")
@click.option("--seed", default=0, show_default=True,
              help="Seed of the generated spectra (and of learned's training).")
@saturation_opt
@learned_opts
@output_opt
@overwrite_opt
def fit_cmd(source: str, target: str, method: str, synthetic_per_class: int, seed: int,
            restore_saturation: bool | None, output: str, overwrite: bool,
            **learned) -> None:
    """Fit a band adjustment on SRF-convolved spectra; print it and save it as JSON.

    `--method learned` also trains a generator on unlabelled --source-images against
    --target-images through the frozen cloud --model (see crossmask.harmonize.adapt);
    its weights go beside the JSON (<name>.generator.npz).  Training uses the GPU
    TensorFlow sees, else the CPU; hide GPUs with CUDA_VISIBLE_DEVICES="".
    """
    from crossmask.harmonize import build_adjustment
    from crossmask.harmonize.comparison import comparison_table
    from crossmask.harmonize.spectra import training_spectra

    if learned.pop("gpu") and method.lower() == "learned":  # before any spectra are made
        from crossmask.models.runtime import require_gpu

        require_gpu()
    spectra = training_spectra(synthetic_per_class, seed)
    if method.lower() == "learned":
        adjustment = _fit_learned(source, target, spectra, seed, **learned)
    else:
        adjustment = build_adjustment(source, target, method, spectra)
    if restore_saturation is not None:
        adjustment.restore_saturation = restore_saturation
    adjustment.info.update(seed=seed, synthetic_per_class=synthetic_per_class)
    click.echo(f"{adjustment.source} → {adjustment.target}, method {adjustment.method}, "
               f"{len(spectra)} spectra (earthlib + generated clouds/snow/water)")
    click.echo(comparison_table(adjustment, spectra).to_string(index=False))
    if adjustment.generator is not None:
        import pandas as pd

        click.echo("learned generator, mean losses per epoch:")
        click.echo(pd.DataFrame(adjustment.info["training"]["losses"]).to_string(index=False))
    path = adjustment.save(output, overwrite)
    click.echo(f"wrote {path}" + (f" and {path.with_name(adjustment.generator.file)}"
                                  if adjustment.generator is not None else ""))


def _fit_learned(source: str, target: str, spectra, seed: int, source_images, target_images,
                 source_image_bands, target_image_bands, model_dir, epochs, patch,
                 patches_per_image, transductive):
    """The learned adjustment the options describe (ols on ``spectra``, then training)."""
    from crossmask.harmonize import build_adjustment
    from crossmask.harmonize.adapt import AdaptSettings, fit_learned
    from crossmask.models.card import model_digest
    from crossmask.models.frozen import frozen_cloud_model
    from crossmask.srf import get_sensor, same_family

    if not (source_images and target_images and model_dir):
        raise click.UsageError("--method learned needs --source-images, --target-images "
                               "and --model")
    cloud = frozen_cloud_model(model_dir)
    if not same_family(cloud.card.sensor, target):
        raise click.UsageError(f"--model takes {cloud.card.sensor} bands, not {target}'s")
    sources = _open_images(source_images, get_sensor(source).key, source_image_bands)
    targets = _open_images(target_images, get_sensor(target).key, target_image_bands)
    base = build_adjustment(source, target, "ols", spectra, target_bands=cloud.bands,
                            available=sources[0].band_names)
    settings = AdaptSettings(epochs=epochs, patch=patch, patches_per_image=patches_per_image,
                             seed=seed)
    provenance = {"cloud_model": {"path": str(model_dir), "digest": model_digest(model_dir)},
                  "transductive": transductive}
    return fit_learned(base, sources, targets, cloud, settings, provenance, progress=True)


def _open_images(inputs, sensor: str, bands: str | None) -> list:
    """Products behind paths, folders and globs (as ``apply``); ``.npz`` images too."""
    from crossmask.harmonize.adapt import npz_image
    from crossmask.pipelines.batch.inputs import expand_inputs

    names, products = split_names(bands), []
    for name in inputs:
        if str(name).lower().endswith(".npz"):
            products.append(npz_image(name, sensor, names))
        else:
            products += [s.open() for s in expand_inputs([name], None, sensor, names)]
    return products


@command.command("apply")
@click.argument("products", nargs=-1)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output GeoTIFF (one product), or folder (many products).")
@method_opt
@click.option("--coeffs", type=click.Path(dir_okay=False, path_type=Path),
              help="Band adjustment JSON from `crossmask harmonize fit`.")
@click.option("--target", default="L8", show_default=True, help="Target sensor.")
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Produce just the bands (and sensor) this model folder takes.")
@click.option("--target-bands", help="Produce just these target bands, comma-separated "
              "(default: every band paired with the source).")
@sensor_opt
@bands_opt
@click.option("--like", type=click.Path(dir_okay=False, path_type=Path),
              help="Raster whose grid (CRS, transform, shape) the output takes, e.g. a "
                   "Landsat band.")
@click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Output pixel size in m when --like is not given.")
@click.option("--dtype", type=click.Choice(["float32", "uint16"]), default="float32",
              show_default=True, help="float32 reflectance 0-1, or uint16 × 10000.")
@click.option("--window-size", type=click.IntRange(min=16), default=1024, show_default=True,
              help="Window edge (px).")
@saturation_opt
@batch_opts
@overwrite_opt
def apply_cmd(products: tuple[str, ...], output: Path, method: str, coeffs: Path | None,
              target: str, model_dir: Path | None, target_bands: str | None,
              sensor: str | None, bands: str | None, like: Path | None, resolution: float,
              dtype: str, window_size: int, restore_saturation: bool | None,
              from_file: str | None, pattern: str,
              workers: int | None, scheduler: str | None, overwrite: bool) -> None:
    """Turn PRODUCTS (SAFE folders, GeoTIFFs, STAC JSON, folders of them, globs) into
    Landsat-8-equivalent GeoTIFFs: one product to `-o out.tif`, many to `-o FOLDER`
    (finished outputs of the same inputs and settings are skipped; FOLDER/batch.csv)."""
    from crossmask.pipelines.batch.inputs import expand_inputs
    from crossmask.pipelines.batch.jobs import HarmonizeJob
    from crossmask.pipelines.batch.run import run_batch

    sources = expand_inputs(products, from_file, sensor, split_names(bands))
    names = split_names(target_bands)
    job = HarmonizeJob(method, target, str(coeffs) if coeffs else None,
                       str(model_dir) if model_dir else None, tuple(names) if names else None,
                       str(like) if like else None, resolution, dtype, window_size,
                       restore_saturation)
    if len(sources) == 1 and not (from_file or workers or scheduler) and output.suffix.lower() \
            in (".tif", ".tiff"):
        return _apply_one(job, sources[0].open(), output, overwrite)
    echo_batch(run_batch(job, sources, output, pattern, workers, scheduler))


def _apply_one(job, product, output: Path, overwrite: bool) -> None:
    """One product to one file, with a hint when it cannot make every paired band."""
    from crossmask.errors import MissingBandError
    from crossmask.harmonize import harmonize_product, producible_bands
    from crossmask.products import read_grid

    adjustment = job.adjustment(product)
    grid = read_grid(job.like) if job.like else None
    try:
        path = harmonize_product(product, adjustment, output, grid=grid,
                                 resolution=job.resolution, dtype=job.dtype,
                                 window_size=job.window_size, overwrite=overwrite)
    except MissingBandError as err:
        if job.model or job.target_bands:
            raise
        makes = producible_bands(product.sensor, adjustment.target, product.band_names)
        raise MissingBandError(f"{err}; to make fewer bands pass --model MODEL or "
                               f"--target-bands (this product makes "
                               f"{', '.join(makes) or 'none'})") from err
    click.echo(f"{product.sensor} → {adjustment.target} ({adjustment.method}, bands "
               f"{', '.join(adjustment.target_bands)}): wrote {path}")
