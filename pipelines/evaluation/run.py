"""``crossmask evaluate``: run an evaluation and write its report folder.

Writes ``results.csv`` (one row per scene × model × method), ``summary.csv/.md/.tex``
(the paper-style table), ``summary_full.csv`` (every pooled / scene-mean score with 95 %
bootstrap intervals), ``by_biome.*`` (when scenes have biomes), ``thresholds.csv`` and the
best-OA threshold per set, figures, ``report.html`` and ``run.json``.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from crossmask import __version__
from crossmask.classes import ClassScheme, get_scheme
from crossmask.errors import InputError
from crossmask.models.card import load_model, model_digest, package_versions
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.evaluation.datasets import dataset_scenes
from crossmask.pipelines.evaluation.metrics import results_table
from crossmask.pipelines.evaluation.scoring import run_scenes
from crossmask.pipelines.evaluation.summary import (
    GROUP,
    check_labelled,
    harmonization_effect,
    pooled_matrix,
    summary_table,
    sweep_table,
    threshold_table,
)
from crossmask.pipelines.reporting.report import (
    DatasetFigures,
    Quicklook,
    ReportContent,
    write_report,
)
from crossmask.pipelines.reporting.tables import paper_table, write_json

__all__ = ["EvaluationResult", "run_evaluation"]


@dataclass
class EvaluationResult:
    """Where the report went and its main tables."""

    out_dir: Path
    report: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    table: pd.DataFrame
    effect: pd.DataFrame


def run_evaluation(config: EvaluationConfig, out_dir: str | Path,
                   progress: bool = True) -> EvaluationResult:
    """Score every model × method × dataset of ``config`` and write the report.

    Re-running into the same folder resumes: finished scenes whose inputs are unchanged
    are read back from ``records/``, never recomputed.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records, sweeps, looks = _collect(config, out_dir, progress)
    scheme = get_scheme(config.scheme)
    results = results_table(records)
    check_labelled(results)
    summary = summary_table(results, scheme, config.n_boot, config.seed)
    results.to_csv(out_dir / "results.csv", index=False)
    summary.to_csv(out_dir / "summary_full.csv", index=False)
    thresholds = threshold_table(sweeps)
    if not thresholds.empty:
        thresholds.to_csv(out_dir / "thresholds.csv", index=False)
    content = _content(config, scheme, results, summary, thresholds, sweeps, looks)
    report, written = write_report(out_dir, content)
    write_json(out_dir / "run.json", {
        "config": config.to_dict(), "crossmask": __version__, "python": platform.python_version(),
        "versions": package_versions(), "seconds": time.perf_counter() - start,
        "outputs": ["results.csv", *(str(p.relative_to(out_dir)) for p in written)]})
    return EvaluationResult(out_dir, report, results, summary, content.table, content.effect)


def _collect(config: EvaluationConfig, out_dir: Path, progress: bool):
    """Records, pooled threshold sweeps per (dataset, model, method) and quicklooks."""
    models = {m.name: load_model(m.path) for m in config.models}
    digests = {m.name: model_digest(m.path) for m in config.models}
    records, sweeps, looks = [], {}, []
    outcomes = run_scenes(config, out_dir, models, progress=False, model_digests=digests)
    for outcome in tqdm(outcomes, desc="evaluate", unit="scene", disable=not progress):
        records.append(outcome.record)
        key = tuple(outcome.record[k] for k in GROUP)
        if outcome.thresholds is not None:
            sweeps[key] = sweeps.get(key, 0) + outcome.thresholds
        if outcome.quicklook:
            looks.append((outcome.record, outcome.quicklook))
    if not records:
        raise InputError("no scene was scored: check the datasets' labels and the models' "
                         "bands (see records/*.skipped)")
    return records, sweeps, looks


def _content(config: EvaluationConfig, scheme: ClassScheme, results: pd.DataFrame,
             summary: pd.DataFrame, thresholds: pd.DataFrame, sweeps: dict,
             looks: list) -> ReportContent:
    by_biome = None
    if results["biome"].astype(bool).any():
        by_biome = paper_table(summary_table(results, scheme, config.n_boot, config.seed,
                                             ("dataset", "biome", "model", "method")))
    best = pd.DataFrame()
    if not thresholds.empty:
        best = thresholds.loc[thresholds.groupby(list(GROUP))["oa"].idxmax()]
        best = best[[*GROUP, "threshold", "oa", "f1", "cad"]]
    sensors = sorted({s.sensor for spec in config.datasets for s in dataset_scenes(spec)}
                     - {"L8"})
    return ReportContent(
        title=config.name, table=paper_table(summary), class_names=list(scheme.classes),
        colormap=scheme.colormap(), by_biome=by_biome,
        effect=harmonization_effect(results, config.n_boot, config.seed),
        best_thresholds=best, sensors=sensors,
        datasets=[_dataset_figures(name, group, results, scheme, config, sweeps)
                  for name, group in summary.groupby("dataset")],
        quicklooks=[_quicklook(record, look) for record, look in looks])


def _dataset_figures(dataset: str, group: pd.DataFrame, results: pd.DataFrame,
                     scheme: ClassScheme, config: EvaluationConfig,
                     sweeps: dict) -> DatasetFigures:
    n = scheme.n_classes
    confusion = [(f"{r.model} / {r.method}", pooled_matrix(results, r.dataset, r.model,
                                                           r.method, n))
                 for r in group.itertuples()]
    curves = {f"{model} / {method}": sweep_table(counts)
              for (ds, model, method), counts in sweeps.items() if ds == dataset}
    rows = results[results.dataset == dataset]
    by = "biome" if rows["biome"].astype(bool).any() else "method"
    bars = summary_table(rows, scheme, config.n_boot, config.seed,
                         ("dataset", by, "model") if by == "biome" else GROUP)
    return DatasetFigures(dataset, confusion, curves, bars, by)


def _quicklook(record: dict, look: dict) -> Quicklook:
    stem = (f"quicklook_{record['dataset']}_{record['scene_id']}_{record['model']}_"
            f"{record['method']}").replace("/", "_")
    title = (f"{record['scene_id']} — {record['model']} / {record['method']}: OA "
             f"{100 * record['oa']:.1f} %, CAD {record['cad']:+.1f} pp")
    return Quicklook(stem, title, look["rgb"], look["reference"], look["predicted"])
