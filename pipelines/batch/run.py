"""Run a job over many products: skip finished outputs, retry a failure once, record
every product's outcome, and end with a summary table (terminal and ``batch.csv``).

One bad product never stops a batch; the caller learns from :attr:`BatchReport.failed`
whether to exit non-zero.  Units of work are products; with a Dask client they run on its
workers, each writing its own output atomically (inputs and outputs must be on storage
every worker reaches).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from tqdm.auto import tqdm

from crossmask.atomic import atomic_output
from crossmask.errors import InputError
from crossmask.pipelines.batch.cluster import dask_client, map_unordered
from crossmask.pipelines.batch.inputs import Source
from crossmask.pipelines.batch.jobs import stored_fingerprint

__all__ = ["BatchReport", "Outcome", "process", "run_batch"]

log = logging.getLogger(__name__)
#: Output file name of each product, from its name and the job's suffix.
DEFAULT_PATTERN = "{name}_{suffix}.tif"


@dataclass
class Outcome:
    """What happened to one product: ``done``, ``skipped`` (its output was made from the
    same inputs and settings) or ``failed`` (with a one-line reason)."""

    name: str
    input: str
    output: str
    status: str
    seconds: float
    attempts: int = 1
    reason: str = ""


@dataclass
class BatchReport:
    """Every product's outcome, in input order, and where the table went."""

    outcomes: list[Outcome]
    table: Path

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def counts(self) -> dict[str, int]:
        return {s: sum(o.status == s for o in self.outcomes) for s in ("done", "skipped",
                                                                       "failed")}


def process(task: tuple) -> Outcome:
    """Run ``job`` on one source (task = (job, source, output, retries)): skip when the
    output's fingerprint matches, else (re)make it; retry a failure ``retries`` times."""
    job, source, output, retries = task
    start, error = time.perf_counter(), None
    for attempt in range(1, retries + 2):
        try:
            product = source.open()
            fingerprint = job.fingerprint(product)
            if output.exists() and stored_fingerprint(output) == fingerprint:
                return _outcome(source, output, "skipped", start, attempt)
            job(product, output, fingerprint)
            return _outcome(source, output, "done", start, attempt)
        except Exception as err:  # noqa: BLE001 - one bad product never stops a batch
            error = err
    return _outcome(source, output, "failed", start, retries + 1, _one_line(error))


def run_batch(job, sources: list[Source], out_dir: str | Path, pattern: str = DEFAULT_PATTERN,
              workers: int | None = None, scheduler: str | None = None, retries: int = 1,
              progress: bool = True) -> BatchReport:
    """Run ``job`` (:class:`~crossmask.pipelines.batch.jobs.PredictJob` or
    :class:`~crossmask.pipelines.batch.jobs.HarmonizeJob`) on every source, writing
    ``out_dir/pattern`` per product (``{name}``: the product's name, ``{suffix}``: the
    job's); serially, or on ``workers`` local Dask processes, or on the cluster at
    ``scheduler``.  Writes ``out_dir/batch.csv``."""
    out_dir = Path(out_dir)
    tasks = [(job, s, out, retries) for s, out in zip(sources, _outputs(sources, out_dir,
                                                                        pattern, job.suffix))]
    out_dir.mkdir(parents=True, exist_ok=True)
    by_output = {}
    bar = tqdm(total=len(tasks), desc=type(job).__name__.replace("Job", "").lower(),
               unit="product", disable=None if progress else True)
    with dask_client(workers, scheduler) as client:
        for outcome in map_unordered(process, tasks, client, _lost):
            by_output[outcome.output] = outcome
            bar.set_postfix(bar_counts(by_output.values()), refresh=False)
            bar.update()
    bar.close()
    outcomes = [by_output[str(task[2])] for task in tasks]
    return BatchReport(outcomes, _write_table(outcomes, out_dir / "batch.csv"))


def bar_counts(outcomes) -> dict[str, int]:
    statuses = [o.status for o in outcomes]
    return {s: statuses.count(s) for s in ("done", "skipped", "failed") if statuses.count(s)}


def _outputs(sources: list[Source], out_dir: Path, pattern: str, suffix: str) -> list[Path]:
    """One output per source; a name that repeats gets ``_2``, ``_3``…"""
    if "{name}" not in pattern:
        raise InputError(f"output name pattern {pattern!r} must contain {{name}}")
    seen: dict[str, int] = {}
    outputs = []
    for source in sources:
        name = pattern.format(name=source.name, suffix=suffix)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}_{seen[name]}{dot}{ext}" if dot else f"{name}_{seen[name]}"
        outputs.append(out_dir / name)
    return outputs


def _outcome(source: Source, output: Path, status: str, start: float, attempts: int,
             reason: str = "") -> Outcome:
    where = str(source.path) + (f"#{source.item}" if source.item is not None else "")
    return Outcome(source.name, where, str(output), status, time.perf_counter() - start,
                   attempts, reason)


def _lost(task: tuple, error: BaseException) -> Outcome:
    """The outcome of a task Dask could not finish (a worker died past its retries)."""
    _, source, output, retries = task
    return _outcome(source, output, "failed", time.perf_counter(), retries + 1,
                    f"worker lost: {_one_line(error)}")


def _one_line(error: BaseException | None) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _write_table(outcomes: list[Outcome], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [f.name for f in fields(Outcome)])
    writer.writeheader()
    for outcome in outcomes:
        writer.writerow({**asdict(outcome), "seconds": f"{outcome.seconds:.2f}"})
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(buffer.getvalue())
    return path
