"""``crossmask patches``: training patches from any labelled source the evaluator reads."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from crossmask.cli.options import (
    built_method_opt,
    codes_opt,
    output_dir_opt,
    overwrite_opt,
    scheme_opt,
    sensor_opt,
    split_names,
)


@click.command("patches")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@codes_opt
@sensor_opt
@click.option("--image-bands", help="Band names of the npz / GeoTIFF images in file order, "
                                    "comma-separated (overrides the TOML's bands).")
@click.option("--bands", help="Landsat-8 bands the patches hold, comma-separated (default: "
                              "those of B1-B7, B9 every scene has), e.g. B2,B3,B4,B5,B6,B7.")
@built_method_opt
@scheme_opt
@click.option("--size", default=256, show_default=True, help="Patch edge (px).")
@click.option("--stride", default=256, show_default=True, help="Patch step (px).")
@click.option("--max-fill", default=0.1, show_default=True, help="Largest fill fraction.")
@click.option("--split", "split_path", type=click.Path(exists=True, dir_okay=False),
              help="Split JSON (default: the source's train/val/test folders, else a seeded "
                   "split by scene).")
@click.option("--counts", default="8,2,2", show_default=True,
              help="Train,val,test proportions of a seeded split (per biome for L8 Biome).")
@click.option("--seed", default=0, show_default=True, help="Seed of the split.")
@click.option("--probav", type=click.Choice(["100M", "333M", "1KM"]),
              help="See the scenes on this PROBA-V lattice first (to train a model for "
                   "PROBA-V on Landsat-8 data; pair it with --bands B2,B4,B5,B6).")
@click.option("--spatial", type=click.Choice(["psf", "area"]), default="psf", show_default=True,
              help="With --probav: the instrument's Gaussian PSF then area averaging, or "
                   "area averaging alone.")
@click.option("--compress", is_flag=True, help="Deflate the shards.")
@output_dir_opt
@overwrite_opt
def command(source: Path, codes: str | None, sensor: str | None, image_bands: str | None,
            bands: str | None, method: str, scheme: str, size: int, stride: int,
            max_fill: float, split_path: str | None, counts: str, seed: int,
            probav: str | None, spatial: str, compress: bool, output: str,
            overwrite: bool) -> None:
    """Cut the labelled scenes of SOURCE into patch shards (index.json, split.json).

    SOURCE: an L8 Biome root, a CloudSEN12 or Cloud Mask Catalogue folder, a folder of
    scene TOMLs, one scene, or a folder of npz / GeoTIFF scenes sharing --codes TOML.
    Scenes of other sensors are harmonised to Landsat-8 with --method; per-band statistics
    come from the training part of the split.
    """
    from rasterio.errors import NotGeoreferencedWarning

    from crossmask.errors import InputError
    from crossmask.pipelines.training.patches import DEFAULT_BANDS, extract_patches
    from crossmask.pipelines.training.sources import (
        at_probav_resolution,
        common_bands,
        open_source,
        source_split,
    )
    from crossmask.pipelines.training.split import load_split, save_split

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        src = open_source(source, codes, sensor, split_names(image_bands))
        try:
            parts = tuple(int(c) for c in counts.split(","))
        except ValueError as err:
            raise InputError(f"--counts {counts!r}: expected three integers, e.g. 8,2,2") from err
        split = load_split(split_path) if split_path else source_split(src, parts, seed)
        chosen = split_names(bands) or common_bands(src.scenes, DEFAULT_BANDS)
        if probav:
            src = at_probav_resolution(src, probav, spatial, band=chosen[0])
        index = extract_patches(src.scenes, output, bands=chosen, scheme=scheme, size=size,
                                stride=stride, max_fill=max_fill, train_ids=split.train,
                                overwrite=overwrite, compress=compress, method=method,
                                source=src.describe())
    written = save_split(split, Path(output) / "split.json", overwrite=True)
    click.echo(f"{len(src.scenes)} scenes ({src.kind}; train {len(split.train)}, val "
               f"{len(split.val)}, test {len(split.test)}), bands {','.join(chosen)}: wrote "
               f"{index} and {written}")
