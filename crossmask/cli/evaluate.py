"""``crossmask evaluate``: zero-shot scores of models × harmonisation methods × datasets."""

from __future__ import annotations

from pathlib import Path

import click

_METHODS = ("none", "ols", "multivariate", "hls")


@click.command("evaluate")
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Report folder (re-running resumes it).")
@click.option("--model", "models", multiple=True, type=click.Path(exists=True),
              help="One-off form: a model folder (repeatable).")
@click.option("--data", type=click.Path(exists=True),
              help="One-off form: a labelled scene, dataset folder or L8 Biome root.")
@click.option("--sensor", help="Sensor of --data (e.g. S2A).")
@click.option("--bands", help="Band names of an npz / GeoTIFF image, comma-separated.")
@click.option("--codes", type=click.Path(exists=True, dir_okay=False),
              help="TOML with the scene's config ([codes] table, bands, sensor).")
@click.option("--method", "methods", multiple=True, type=click.Choice(_METHODS),
              help="Harmonisation method (repeatable; default all four).")
@click.option("--scheme", type=click.Choice(["binary", "three", "four"]), default="binary",
              show_default=True)
@click.option("--peer", "peers", multiple=True,
              type=click.Choice(["ukis-csmask", "s2cloudless"]),
              help="Score a peer tool beside the models (repeatable).")
@click.option("--n-boot", default=1000, show_default=True, help="Bootstrap resamplings.")
def command(config: Path | None, output: str, models: tuple[str, ...], data: str | None,
            sensor: str | None, bands: str | None, codes: str | None,
            methods: tuple[str, ...], scheme: str, peers: tuple[str, ...],
            n_boot: int) -> None:
    """Score models on labelled data with every harmonisation method; write a report.

    Either CONFIG.toml (see `crossmask.pipelines.evalconfig`) or the one-off form
    --model M --data D [--sensor S --bands … --codes codes.toml --method …].
    """
    from crossmask.errors import InputError
    from crossmask.pipelines.evalconfig import (DatasetSpec, EvaluationConfig, ModelSpec,
                                                load_config)
    from crossmask.pipelines.experiment import run_evaluation

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
            methods=list(methods or _METHODS), scheme=scheme, peers=list(peers),
            n_boot=n_boot)
    result = run_evaluation(cfg, output)
    click.echo(result.table.to_string(index=False))
    click.echo(f"wrote {result.report} (tables: summary.csv/.md/.tex, results.csv)")
