"""Options shared by several commands, so every command spells them the same way."""

import click

output_opt = click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
    help="Output file.",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace the output if it exists.",
)
