"""``crossmask harmonize``: fit band adjustments and apply them to products."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import (
    bands_opt,
    method_opt,
    output_opt,
    overwrite_opt,
    sensor_opt,
    split_names,
)


@click.group("harmonize")
def command() -> None:
    """Spectral band adjustment and resampling to Landsat-8 equivalents."""


@command.command("fit")
@click.option("--source", required=True, help="Source sensor, e.g. S2A, S2B, L9, L7, L5.")
@click.option("--target", default="L8", show_default=True, help="Target sensor.")
@method_opt
@click.option("--synthetic-per-class", default=400, show_default=True,
              help="Generated cloud/thin-cloud/snow/water spectra per class.")
@click.option("--seed", default=0, show_default=True, help="Seed of the generated spectra.")
@output_opt
@overwrite_opt
def fit_cmd(source: str, target: str, method: str, synthetic_per_class: int, seed: int,
            output: str, overwrite: bool) -> None:
    """Fit a band adjustment on SRF-convolved spectra; print it and save it as JSON."""
    from crossmask.harmonize import build_adjustment
    from crossmask.harmonize.comparison import comparison_table
    from crossmask.harmonize.spectra import training_spectra

    spectra = training_spectra(synthetic_per_class, seed)
    adjustment = build_adjustment(source, target, method, spectra)
    adjustment.info.update(seed=seed, synthetic_per_class=synthetic_per_class)
    click.echo(f"{adjustment.source} → {adjustment.target}, method {adjustment.method}, "
               f"{len(spectra)} spectra (earthlib + generated clouds/snow/water)")
    click.echo(comparison_table(adjustment, spectra).to_string(index=False))
    path = adjustment.save(output, overwrite)
    click.echo(f"wrote {path}")


@command.command("apply")
@click.argument("product", type=click.Path(path_type=Path))
@output_opt
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
@overwrite_opt
def apply_cmd(product: Path, output: str, method: str, coeffs: Path | None, target: str,
              model_dir: Path | None, target_bands: str | None, sensor: str | None,
              bands: str | None, like: Path | None, resolution: float, dtype: str,
              window_size: int, overwrite: bool) -> None:
    """Turn PRODUCT (SAFE folder or GeoTIFF) into a Landsat-8-equivalent GeoTIFF."""
    from crossmask.errors import MissingBandError
    from crossmask.harmonize import harmonize_product, producible_bands
    from crossmask.products import open_product, read_grid

    prod = open_product(product, sensor, split_names(bands))
    adjustment = _adjustment(prod, method, coeffs, target, model_dir, split_names(target_bands))
    grid = read_grid(like) if like else None
    try:
        path = harmonize_product(prod, adjustment, output, grid=grid, resolution=resolution,
                                 dtype=dtype, window_size=window_size, overwrite=overwrite)
    except MissingBandError as err:
        if model_dir or target_bands:
            raise
        makes = producible_bands(prod.sensor, adjustment.target, prod.band_names)
        raise MissingBandError(f"{err}; to make fewer bands pass --model MODEL or "
                               f"--target-bands (this product makes "
                               f"{', '.join(makes) or 'none'})") from err
    click.echo(f"{prod.sensor} → {adjustment.target} ({adjustment.method}, bands "
               f"{', '.join(adjustment.target_bands)}): wrote {path}")


def _adjustment(product, method: str, coeffs: Path | None, target: str,
                model_dir: Path | None, target_bands: list[str] | None):
    """The adjustment to apply: from --coeffs or fitted; every paired band, or just the
    bands a model takes (--model) or that are named (--target-bands)."""
    from crossmask.harmonize import BandAdjustment, build_adjustment
    from crossmask.models.card import read_card

    if model_dir is not None:
        card = read_card(model_dir)
        target, target_bands = card.sensor, target_bands or list(card.bands)
    if coeffs:
        adjustment = BandAdjustment.load(coeffs)
        return adjustment.select(target_bands) if target_bands else adjustment
    if target_bands is None:
        return build_adjustment(product.sensor, target, method)
    return build_adjustment(product.sensor, target, method, target_bands=target_bands,
                            available=product.band_names)
