"""``crossmask demo``: the main job on generated data."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("-o", "--output", "output", default="crossmask-demo", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the demo's outputs.")
@click.option("--overwrite", is_flag=True, help="Replace outputs of an earlier demo run.")
def command(output: str, overwrite: bool) -> None:
    """Fit the band adjustment and harmonise a generated Sentinel-2 product."""
    from crossmask.pipelines.demo import run_demo

    result = run_demo(output, overwrite=overwrite)
    click.echo("Sentinel-2A → Landsat-8 band adjustment (OLS, beside published HLS):")
    click.echo(result.table.to_string(index=False))
    for method, path in result.harmonized.items():
        click.echo(f"harmonised ({method:12s}): {path}")
    click.echo(f"demo outputs in {result.out_dir.resolve()}")
