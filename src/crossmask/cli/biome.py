"""``crossmask biome split|patches``: prepare the Landsat-8 Biome dataset for training."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import output_dir_opt, output_opt, overwrite_opt, scheme_opt
from crossmask.pipelines.training.patches import DEFAULT_BANDS


@click.group("biome")
def command() -> None:
    """Prepare the Landsat-8 Biome dataset: scene splits and training patches."""


@command.command("split")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--counts", default="8,2,2", show_default=True,
              help="Train,val,test scenes per biome.")
@click.option("--seed", default=0, show_default=True)
@output_opt
@overwrite_opt
def split_cmd(root: Path, counts: str, seed: int, output: str, overwrite: bool) -> None:
    """Split the scenes under ROOT by biome and save the split as JSON."""
    from crossmask.pipelines.training.split import make_split, save_split
    from crossmask.products import find_biome_scenes

    parts = tuple(int(c) for c in counts.split(","))
    split = make_split(find_biome_scenes(root, check_fill=False), parts, seed)
    path = save_split(split, output, overwrite)
    click.echo(f"train {len(split.train)}, val {len(split.val)}, test {len(split.test)} "
               f"scenes: wrote {path}")


@command.command("patches")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", "split_path", type=click.Path(exists=True, dir_okay=False),
              help="Split JSON; training statistics come from its train scenes.")
@scheme_opt
@click.option("--size", default=256, show_default=True, help="Patch edge (px).")
@click.option("--stride", default=256, show_default=True, help="Patch step (px).")
@click.option("--max-fill", default=0.1, show_default=True, help="Largest fill fraction.")
@click.option("--bands", default=",".join(DEFAULT_BANDS), show_default=True,
              help="Landsat-8 bands fed to the model.")
@output_dir_opt
@overwrite_opt
def patches_cmd(root: Path, split_path: str | None, scheme: str, size: int, stride: int,
                max_fill: float, bands: str, output: str, overwrite: bool) -> None:
    """Cut the scenes under ROOT into patch shards for training (any other labelled source:
    `crossmask patches`)."""
    from crossmask.pipelines.training.patches import extract_patches
    from crossmask.pipelines.training.sources import TrainingSource
    from crossmask.pipelines.training.split import load_split, save_split
    from crossmask.products import BIOME_CODES, find_biome_scenes

    scenes = find_biome_scenes(root)
    split = load_split(split_path) if split_path else None
    source = TrainingSource(root, "l8biome", scenes, codes=BIOME_CODES).describe()
    index = extract_patches(scenes, output, bands=bands.split(","), scheme=scheme, size=size,
                            stride=stride, max_fill=max_fill,
                            train_ids=split.train if split else None, overwrite=overwrite,
                            source=source)
    if split:  # `crossmask train --data PATCHES` finds it there
        save_split(split, Path(output) / "split.json", overwrite=True)
    click.echo(f"{len(scenes)} scenes: wrote {index}")
