"""The ``crossmask`` command: a thin click group; each subcommand lives in its own module."""

from __future__ import annotations

import logging
import os

import click

# Before anything imports TensorFlow: its C++ start-up notes are not the user's business.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from crossmask import __version__  # noqa: E402
from crossmask.errors import CrossmaskError  # noqa: E402

__all__ = ["main"]


class _Group(click.Group):
    """A click group that turns crossmask errors, and failures to read or write a file
    (read-only or full file system, a folder where a file should be), into one-line
    messages naming the path, with exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CrossmaskError as err:
            raise click.ClickException(str(err)) from err
        except OSError as err:
            raise click.ClickException(_os_message(err)) from err


def _os_message(err: OSError) -> str:
    where = err.filename if err.filename is not None else "output"
    what = err.strerror or type(err).__name__
    return f"{where}: {what}" + (f" ({err.filename2})" if err.filename2 else "")


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="crossmask")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
def main(verbose: int) -> None:
    """Cross-sensor cloud masking: harmonise Sentinel-2 to Landsat-8, train, transfer."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("crossmask").setLevel(level)
    # TensorFlow's Python-side notes (graph retracing, …) only with -vv
    logging.getLogger("tensorflow").setLevel(logging.ERROR if verbose < 2 else level)


def _attach_commands() -> None:
    from crossmask.cli import biome, demo, evaluate, harmonize, models, patches, predict, srf, train

    for module in (srf, harmonize, biome, patches, train, models, predict, evaluate, demo):
        main.add_command(module.command)


_attach_commands()
