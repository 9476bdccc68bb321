"""``crossmask srf``: list, show and plot sensors' spectral response functions."""

from __future__ import annotations

import click

from crossmask.cli.options import output_opt, overwrite_opt


@click.group("srf")
def command() -> None:
    """Spectral response functions of the registered sensors."""


@command.command("list")
def list_cmd() -> None:
    """List the registered sensors."""
    from crossmask.srf import get_sensor, list_sensors

    for key in list_sensors():
        sensor = get_sensor(key)
        click.echo(f"{key:8s} {sensor.long_name:21s} {len(sensor.bands):2d} bands: "
                   f"{' '.join(sensor.band_names)}")


@command.command("show")
@click.argument("sensor")
def show_cmd(sensor: str) -> None:
    """Show each band of SENSOR: centre, FWHM (nm), resolution (m), common name."""
    from crossmask.srf import get_sensor

    sens = get_sensor(sensor)
    click.echo(f"{sens.key}: {sens.long_name}")
    click.echo(f"{'band':5s} {'common name':12s} {'centre nm':>9s} {'FWHM nm':>8s} "
               f"{'support nm':>12s} {'res m':>6s}")
    for band in sens.bands:
        lo, hi = band.support()
        click.echo(f"{band.name:5s} {band.common_name:12s} {band.center:9.1f} {band.fwhm:8.1f} "
                   f"{lo:6.0f}-{hi:<6.0f}{band.resolution:5.0f}{'  thermal' if band.thermal else ''}")


@command.command("plot")
@click.argument("sensors", nargs=-1, required=True)
@output_opt
@overwrite_opt
def plot_cmd(sensors: tuple[str, ...], output: str, overwrite: bool) -> None:
    """Overlay the responses of SENSORS (e.g. S2A L8) in one figure."""
    from crossmask.srf.plot import plot_responses

    path = plot_responses(list(sensors), output, overwrite)
    click.echo(f"wrote {path}")
