"""``crossmask evaluate``: zero-shot scores of models × harmonisation methods × datasets."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import (
    methods_opt,
    output_dir_opt,
    peers_opt,
    scheme_opt,
    sensor_opt,
    split_names,
)


@click.command("evaluate")
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))
@output_dir_opt
@click.option("--model", "models", multiple=True, type=click.Path(exists=True),
              help="One-off form: a model folder (repeatable).")
@click.option("--data", type=click.Path(exists=True),
              help="One-off form: a labelled scene, dataset folder or L8 Biome root.")
@sensor_opt
@click.option("--bands", help="Band names of an npz / GeoTIFF image, comma-separated.")
@click.option("--codes", type=click.Path(exists=True, dir_okay=False),
              help="TOML with the scene's config ([codes] table, bands, sensor), or one "
                   "config shared by every npz / GeoTIFF scene of a --data folder.")
@methods_opt
@scheme_opt
@peers_opt
@click.option("--adjustment", "adjustments", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="One-off form: a fitted adjustment JSON to score too, e.g. one from "
                   "`crossmask harmonize fit --method learned` (repeatable).")
@click.option("--n-boot", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Bootstrap resamplings.")
@click.option("--runtime", type=click.Choice(["auto", "keras", "onnx", "openvino"]),
              help="What runs the networks (default: the config's, else keras); see "
                   "`crossmask predict --help`.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]),
              help="fp32 (exact; default) or bf16 where the runtime and CPU offer it.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Score scenes on a local Dask cluster of this many processes.")
@click.option("--scheduler", help="Score scenes on the Dask cluster at this address.")
def command(config: Path | None, output: str, models: tuple[str, ...], data: str | None,
            sensor: str | None, bands: str | None, codes: str | None,
            methods: tuple[str, ...], scheme: str, peers: tuple[str, ...],
            adjustments: tuple[str, ...], n_boot: int, runtime: str | None, precision: str | None, workers: int | None,
            scheduler: str | None) -> None:
    """Score models on labelled data with every harmonisation method; write a report.

    Either CONFIG.toml (see `crossmask.pipelines.evaluation.config`) or the one-off form
    --model M --data D [--sensor S --bands … --codes codes.toml --method …].
    """
    from crossmask.pipelines.evaluation.config import load_config
    from crossmask.pipelines.evaluation.run import run_evaluation

    cfg = load_config(config) if config else _one_off(
        output, models, data, sensor, bands, codes, methods, scheme, peers, n_boot,
        adjustments)
    cfg.runtime, cfg.precision = runtime or cfg.runtime, precision or cfg.precision
    result = run_evaluation(cfg, output, workers=workers, scheduler=scheduler)
    for skip in result.skipped:
        click.echo(f"warning: {skip}", err=True)
    click.echo(result.table.to_string(index=False))
    for paragraph in result.conclusion:
        click.echo("\n" + paragraph)
    click.echo(f"\nwrote {result.report} (tables: summary.csv/.md/.tex, results.csv)")


def _one_off(output: str, models, data, sensor, bands, codes, methods, scheme, peers,
             n_boot, adjustments=()):
    """The evaluation the one-off options describe; models named by their cards; each
    fitted adjustment scored under its own method."""
    from crossmask.errors import InputError
    from crossmask.harmonize import METHODS, BandAdjustment
    from crossmask.models.card import read_card
    from crossmask.pipelines.evaluation.config import DatasetSpec, EvaluationConfig, ModelSpec

    if not data or not (models or peers):
        raise InputError("give CONFIG.toml, or --model and --data")
    fitted: dict[str, list[str]] = {}
    for path in adjustments:
        fitted.setdefault(BandAdjustment.load(path).method, []).append(str(path))
    chosen = list(methods or METHODS)
    chosen += [m for m in fitted if m not in chosen]
    return EvaluationConfig(
        name=Path(output).name,
        models=[ModelSpec(read_card(m).label, str(m)) for m in models],
        datasets=[DatasetSpec(Path(data).stem, str(data), config=codes, sensor=sensor,
                              bands=split_names(bands))],
        methods=chosen, scheme=scheme, peers=list(peers), n_boot=n_boot, adjustments=fitted)
