"""``crossmask demo``: the main job end to end on generated data."""

from __future__ import annotations

import time

import click


@click.command("demo")
@click.option("-o", "--output", "output", default="crossmask-demo", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the demo's outputs.")
@click.option("--real-sample", type=click.Path(exists=True, dir_okay=False),
              help="Run harmonisation, evaluation and report on this labelled npz/GeoTIFF.")
@click.option("--sample-config", type=click.Path(exists=True, dir_okay=False),
              help="TOML (sensor, bands, [codes]) of --real-sample.")
@click.option("--model", type=click.Path(exists=True, file_okay=False),
              help="Use this model folder instead of training the demo's UNmask.")
@click.option("--epochs", type=click.IntRange(min=1), default=40, show_default=True,
              help="Training epochs.")
@click.option("--probav", is_flag=True,
              help="Also run the simulated Landsat-8 → PROBA-V transfer (a 4-band model).")
@click.option("--overwrite", is_flag=True,
              help="Replace an earlier demo run made with other settings (a run with the "
                   "same settings resumes).")
def command(output: str, real_sample: str | None, sample_config: str | None,
            model: str | None, epochs: int, probav: bool, overwrite: bool) -> None:
    """Simulate paired Landsat-8/Sentinel-2 data, fit, train, harmonise, evaluate, report."""
    from crossmask.pipelines.demo.run import run_demo

    start = time.perf_counter()
    result = run_demo(output, overwrite=overwrite, real_sample=real_sample,
                      sample_config=sample_config, model=model, epochs=epochs, echo=click.echo,
                      probav=probav)
    if result.adjustment_table is not None:
        click.echo("\nSentinel-2A → Landsat-8 band adjustment (OLS beside published HLS):")
        click.echo(result.adjustment_table.to_string(index=False))
    click.echo("\nZero-shot transfer of the Landsat-trained model:")
    click.echo(result.table.to_string(index=False))
    if len(result.effect):
        click.echo("\nWhat harmonisation buys (per-scene differences to 'none', and of "
                   "'learned' to 'ols', 95 % CI):")
        click.echo(result.effect.to_string(index=False))
    if result.probav is not None:
        click.echo("\nLandsat-8 → PROBA-V (4-band model, simulated PROBA-V L1C and L2A):")
        click.echo(result.probav.table.to_string(index=False))
    click.echo(f"\nmodel: {result.model}")
    for path in result.harmonized:
        click.echo(f"harmonised Sentinel-2: {path}")
    if result.probav is not None:
        click.echo(f"PROBA-V report: {result.probav.report.resolve()}")
    click.echo(f"report: {result.report.resolve()}  ({time.perf_counter() - start:.0f} s)")
