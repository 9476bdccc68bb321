"""The ``crossmask`` command: a thin click group; each subcommand lives in its own module."""

from __future__ import annotations

import logging

import click

from crossmask import __version__
from crossmask.errors import CrossmaskError

__all__ = ["main"]


class _Group(click.Group):
    """A click group that turns crossmask errors into one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CrossmaskError as err:
            raise click.ClickException(str(err)) from err


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="crossmask")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
def main(verbose: int) -> None:
    """Cross-sensor cloud masking: harmonise Sentinel-2 to Landsat-8, train, transfer."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _attach_commands() -> None:
    from crossmask.cli import biome, demo, evaluate, harmonize, models, predict, srf, train

    for module in (srf, harmonize, biome, train, models, predict, evaluate, demo):
        main.add_command(module.command)


_attach_commands()
