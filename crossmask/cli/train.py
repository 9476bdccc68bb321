"""``crossmask biome split|patches`` and ``crossmask train``: Landsat-8 Biome training."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import output_opt, overwrite_opt


@click.group("biome")
def biome() -> None:
    """Prepare the Landsat-8 Biome dataset: scene splits and training patches."""


@biome.command("split")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--counts", default="8,2,2", show_default=True,
              help="Train,val,test scenes per biome.")
@click.option("--seed", default=0, show_default=True)
@output_opt
@overwrite_opt
def split_cmd(root: Path, counts: str, seed: int, output: str, overwrite: bool) -> None:
    """Split the scenes under ROOT by biome and save the split as JSON."""
    from crossmask.harmonize.readers.landsat import find_biome_scenes
    from crossmask.pipelines.biome import make_split, save_split

    parts = tuple(int(c) for c in counts.split(","))
    split = make_split(find_biome_scenes(root, check_fill=False), parts, seed)
    path = save_split(split, output, overwrite)
    click.echo(f"train {len(split.train)}, val {len(split.val)}, test {len(split.test)} "
               f"scenes: wrote {path}")


@biome.command("patches")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", "split_path", type=click.Path(exists=True, dir_okay=False),
              help="Split JSON; training statistics come from its train scenes.")
@click.option("--scheme", type=click.Choice(["binary", "three", "four"]), default="binary",
              show_default=True)
@click.option("--size", default=256, show_default=True, help="Patch edge (px).")
@click.option("--stride", default=256, show_default=True, help="Patch step (px).")
@click.option("--max-fill", default=0.1, show_default=True, help="Largest fill fraction.")
@click.option("--bands", default="B1,B2,B3,B4,B5,B6,B7,B9", show_default=True,
              help="Landsat-8 bands fed to the model.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder for the patch shards and index.json.")
@overwrite_opt
def patches_cmd(root: Path, split_path: str | None, scheme: str, size: int, stride: int,
                max_fill: float, bands: str, output: str, overwrite: bool) -> None:
    """Cut the scenes under ROOT into patch shards for training."""
    from crossmask.harmonize.readers.landsat import find_biome_scenes
    from crossmask.pipelines.biome import load_split
    from crossmask.pipelines.patches import extract_patches

    scenes = find_biome_scenes(root)
    train_ids = load_split(split_path).train if split_path else None
    index = extract_patches(scenes, output, bands=bands.split(","), scheme=scheme, size=size,
                            stride=stride, max_fill=max_fill, train_ids=train_ids,
                            overwrite=overwrite)
    click.echo(f"{len(scenes)} scenes: wrote {index}")


@click.command("train")
@click.option("--model", default="unmask", show_default=True,
              help="Architecture: unmask, fcnmask, snmask, dlmask.")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="Patch folder from `crossmask biome patches`.")
@click.option("--split", "split_path", required=True,
              type=click.Path(exists=True, dir_okay=False), help="Split JSON.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Run folder (runs/NAME); re-running resumes an interrupted run.")
@click.option("--width", default=1.0, show_default=True, help="Channel width multiplier.")
@click.option("--epochs", default=50, show_default=True)
@click.option("--batch-size", default=8, show_default=True)
@click.option("--lr", "learning_rate", default=1e-3, show_default=True)
@click.option("--loss", type=click.Choice(["ce", "ce+dice"]), default="ce", show_default=True)
@click.option("--class-weights", "class_weighting", type=click.Choice(["balanced", "none"]),
              default="balanced", show_default=True)
@click.option("--patience", default=10, show_default=True, help="Early-stopping patience.")
@click.option("--steps-per-epoch", type=int, help="Batches per epoch (default: all).")
@click.option("--seed", default=0, show_default=True)
@click.option("--gpu", "require_gpu", is_flag=True, help="Fail unless a GPU is visible.")
@overwrite_opt
def train_cmd(data: str, split_path: str, output: str, overwrite: bool, **settings) -> None:
    """Train a cloud model on Landsat-8 Biome patches."""
    from crossmask.pipelines.biome import load_split
    from crossmask.pipelines.train import TrainConfig, train

    run = train(data, load_split(split_path), output, TrainConfig(**settings), overwrite)
    click.echo(f"wrote {run / 'model.keras'} and {run / 'model.json'}")
