"""Options shared by several commands, declared once so every command spells them the same
way; choices come from the tables that define them."""

import click

from crossmask.classes import SCHEMES
from crossmask.harmonize import METHODS
from crossmask.harmonize.learned import LEARNED
from crossmask.pipelines.evaluation.peers import PEERS
from crossmask.pipelines.training.finetune import FREEZE_MODES

output_opt = click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
    help="Output file.",
)
output_dir_opt = click.option(
    "-o", "--output", "output", required=True, type=click.Path(file_okay=False),
    help="Output folder.",
)
overwrite_opt = click.option(
    "--overwrite", is_flag=True, default=False, help="Replace the output if it exists.",
)
method_opt = click.option(
    "--method", type=click.Choice(METHODS, case_sensitive=False), default="ols",
    show_default=True, help="Harmonisation method.",
)
#: Methods whose adjustment is built on the spot (``learned`` needs a file from
#: ``crossmask harmonize fit --method learned``).
BUILT_METHODS = tuple(m for m in METHODS if m != LEARNED)
built_method_opt = click.option(
    "--method", type=click.Choice(BUILT_METHODS, case_sensitive=False), default="ols",
    show_default=True, help="Harmonisation method.",
)
saturation_opt = click.option(
    "--saturation-fix/--no-saturation-fix", "restore_saturation", default=None,
    help="Restore saturated visible bands from the brightest unsaturated band before the "
         "band models (default: on for Landsat-4/5 TM and -7 ETM+ sources, off otherwise; "
         "see crossmask.harmonize.saturation).",
)
methods_opt = click.option(
    "--method", "methods", multiple=True, type=click.Choice(METHODS, case_sensitive=False),
    help="Harmonisation method (repeatable; default all).",
)
scheme_opt = click.option(
    "--scheme", type=click.Choice(list(SCHEMES)), default="binary", show_default=True,
    help="Class scheme.",
)
peers_opt = click.option(
    "--peer", "peers", multiple=True, type=click.Choice(list(PEERS)),
    help="Score a peer tool beside the models (repeatable).",
)
sensor_opt = click.option(
    "--sensor", help="Sensor of a GeoTIFF or band-file folder (e.g. S2A, L8).",
)
bands_opt = click.option(
    "--bands", help="Band names of a GeoTIFF's bands in file order, comma-separated (when "
                    "the file does not name them), e.g. B2,B3,B4,B8,B11,B12.",
)


runtime_opt = click.option(
    "--runtime", type=click.Choice(["auto", "keras", "onnx", "openvino"]), default="keras",
    show_default=True,
    help="What runs the network: Keras, or a graph exported with `crossmask models export` "
         "(auto: the fastest installed runtime with an export, else Keras).",
)
precision_opt = click.option(
    "--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
    help="fp32 is exact; bf16 (openvino on CPUs with AVX-512 BF16/AMX) is ~2-3x faster and "
         "changes ~0.1 % of pixels.",
)


def batch_opts(command):
    """Options of commands that take many products."""
    for option in reversed((
        click.option("--from-file", type=click.Path(exists=True, dir_okay=False),
                     help="More inputs, one path per line."),
        click.option("--name", "pattern", default="{name}_{suffix}.tif", show_default=True,
                     help="Output file name in the -o folder: {name} is the product's "
                          "name, {suffix} the job's."),
        click.option("--workers", type=click.IntRange(min=1),
                     help="Run on a local Dask cluster of this many worker processes "
                          "(default: in this process)."),
        click.option("--scheduler", help="Run on the Dask cluster at this address "
                                         "(e.g. tcp://10.0.0.5:8786)."),
    )):
        command = option(command)
    return command


def echo_batch(report) -> None:
    """Print a batch's summary table and where it went; exit 1 if a product failed."""
    rows = [(o.name, o.status, f"{o.seconds:.1f}", o.reason) for o in report.outcomes]
    width = max(len(r[0]) for r in rows)
    for name, status, seconds, reason in rows:
        click.echo(f"{name:{width}s}  {status:7s} {seconds:>7s} s  {reason}".rstrip())
    counts = report.counts()
    click.echo(f"done {counts['done']}, skipped {counts['skipped']}, failed "
               f"{counts['failed']}: wrote {report.table}")
    if report.failed:
        raise click.exceptions.Exit(1)

augment_opt = click.option(
    "--augment", default="flip", show_default=True,
    help="Augmentations, comma-separated, recorded in the model card: flip (flips and "
         "quarter turns), gain (brightness and per-band gain jitter), saturation (visible "
         "bands clipped as Landsat-7/5 saturate over bright cloud), haze (thin-cloud "
         "layer blended in), or none.",
)
init_opt = click.option(
    "--init", type=click.Path(exists=True, file_okay=False),
    help="Fine-tune this model folder (a crossmask run or an imported model, e.g. IPL-UV) "
         "instead of starting from random weights.",
)
freeze_opt = click.option(
    "--freeze", type=click.Choice(FREEZE_MODES), default="none", show_default=True,
    help="With --init: keep the encoder (backbone) weights fixed.",
)
codes_opt = click.option(
    "--codes", type=click.Path(exists=True, dir_okay=False),
    help="One TOML for a folder of npz / GeoTIFF scenes (sensor, bands, [codes], labels, "
         "images; see crossmask.products.datasets.generic).",
)


def split_names(text: str | None) -> list[str] | None:
    """``"B2, B3"`` → ``["B2", "B3"]``; None stays None."""
    return [name.strip() for name in text.split(",") if name.strip()] if text else None
