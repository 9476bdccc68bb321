"""``crossmask train``: train (or fine-tune) a cloud model on patch shards."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import augment_opt, freeze_opt, init_opt, overwrite_opt, split_names
from crossmask.models.registry import list_models


@click.command("train")
@click.option("--model", type=click.Choice(list_models()), default="unmask", show_default=True,
              help="Architecture (with --init: the parent's).")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="Patch folder from `crossmask patches` or `crossmask biome patches`.")
@click.option("--split", "split_path", type=click.Path(exists=True, dir_okay=False),
              help="Split JSON (default: the split.json `crossmask patches` wrote in --data).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Run folder (runs/NAME); re-running resumes an interrupted run.")
@click.option("--bands", help="Patch bands the model takes, comma-separated (default all; "
                              "with --init the parent's), e.g. B2,B3,B4,B5,B6,B7.")
@init_opt
@freeze_opt
@augment_opt
@click.option("--width", default=1.0, show_default=True, help="Channel width multiplier.")
@click.option("--epochs", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Global batch (split across replicas with a strategy).")
@click.option("--lr", "learning_rate", default=1e-3, show_default=True)
@click.option("--loss", type=click.Choice(["ce", "ce+dice"]), default="ce", show_default=True)
@click.option("--class-weights", "class_weighting", type=click.Choice(["balanced", "none"]),
              default="balanced", show_default=True)
@click.option("--patience", default=10, show_default=True, help="Early-stopping patience.")
@click.option("--steps-per-epoch", type=int, help="Batches per epoch (default: all).")
@click.option("--seed", default=0, show_default=True)
@click.option("--gpu", "require_gpu", is_flag=True, help="Fail unless a GPU is visible.")
@click.option("--strategy", type=click.Choice(["default", "mirrored", "multiworker"]),
              default="default", show_default=True,
              help="tf.distribute: mirrored = every local GPU (global batch split across "
                   "them); multiworker = the machines in TF_CONFIG.")
@overwrite_opt
def command(data: str, split_path: str | None, output: str, overwrite: bool,
            bands: str | None, augment: str, **settings) -> None:
    """Train a cloud model on patch shards, or fine-tune one (--init MODEL)."""
    from crossmask.errors import InputError
    from crossmask.pipelines.training.split import load_split
    from crossmask.pipelines.training.train import TrainConfig, train

    split_path = split_path or Path(data) / "split.json"
    if not Path(split_path).is_file():
        raise InputError(f"{split_path}: no split; give --split SPLIT.json (from `crossmask "
                         "biome split`) or cut the patches with `crossmask patches`")
    config = TrainConfig(bands=split_names(bands), augment=split_names(augment) or [],
                         **settings)
    run = train(data, load_split(split_path), output, config, overwrite)
    click.echo(f"wrote {run / 'model.keras'} and {run / 'model.json'}")
