"""``crossmask evaluate``: zero-shot scores of models × harmonisation methods × datasets."""

from __future__ import annotations

from pathlib import Path

import click

from crossmask.cli.options import methods_opt, output_dir_opt, peers_opt, scheme_opt, sensor_opt


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
              help="TOML with the scene's config ([codes] table, bands, sensor).")
@methods_opt
@scheme_opt
@peers_opt
@click.option("--n-boot", default=1000, show_default=True, help="Bootstrap resamplings.")
def command(config: Path | None, output: str, models: tuple[str, ...], data: str | None,
            sensor: str | None, bands: str | None, codes: str | None,
            methods: tuple[str, ...], scheme: str, peers: tuple[str, ...],
            n_boot: int) -> None:
    """Score models on labelled data with every harmonisation method; write a report.

    Either CONFIG.toml (see `crossmask.pipelines.evaluation.config`) or the one-off form
    --model M --data D [--sensor S --bands … --codes codes.toml --method …].
    """
    from crossmask.errors import InputError
    from crossmask.harmonize import METHODS
    from crossmask.pipelines.evaluation.config import (
        DatasetSpec,
        EvaluationConfig,
        ModelSpec,
        load_config,
    )
    from crossmask.pipelines.evaluation.run import run_evaluation

    if config:
        cfg = load_config(config)
    else:
        if not data or not (models or peers):
            raise InputError("give CONFIG.toml, or --model and --data")
        cfg = EvaluationConfig(
            name=Path(output).name,
            models=[ModelSpec(Path(m).name, str(m)) for m in models],
            datasets=[DatasetSpec(Path(data).stem, str(data), config=codes, sensor=sensor,
                                  bands=bands.split(",") if bands else None)],
            methods=list(methods or METHODS), scheme=scheme, peers=list(peers),
            n_boot=n_boot)
    result = run_evaluation(cfg, output)
    click.echo(result.table.to_string(index=False))
    click.echo(f"wrote {result.report} (tables: summary.csv/.md/.tex, results.csv)")
