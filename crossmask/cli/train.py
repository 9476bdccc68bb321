"""``crossmask train``: train a cloud model on patch shards."""

from __future__ import annotations

import click

from crossmask.cli.options import overwrite_opt
from crossmask.models.registry import list_models


@click.command("train")
@click.option("--model", type=click.Choice(list_models()), default="unmask", show_default=True,
              help="Architecture.")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="Patch folder from `crossmask biome patches`.")
@click.option("--split", "split_path", required=True,
              type=click.Path(exists=True, dir_okay=False), help="Split JSON.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Run folder (runs/NAME); re-running resumes an interrupted run.")
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
def command(data: str, split_path: str, output: str, overwrite: bool, **settings) -> None:
    """Train a cloud model on Landsat-8 Biome patches."""
    from crossmask.pipelines.training.split import load_split
    from crossmask.pipelines.training.train import TrainConfig, train

    run = train(data, load_split(split_path), output, TrainConfig(**settings), overwrite)
    click.echo(f"wrote {run / 'model.keras'} and {run / 'model.json'}")
