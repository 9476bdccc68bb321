"""``crossmask evaluate``: run an evaluation and write its report folder.

Writes ``results.csv`` (one row per scene × model × method), ``summary.csv/.md/.tex``
(the paper-style table), ``summary_full.csv`` (every pooled / scene-mean score with 95 %
bootstrap intervals), ``by_biome.*`` (when scenes have biomes), ``thresholds.csv`` and the
best-OA threshold per set, figures, ``report.html`` (opening with a conclusion in words;
see :mod:`crossmask.pipelines.reporting.report`) and ``run.json``.  Peers that cannot run
are listed in :attr:`EvaluationResult.skipped`, the report and ``run.json``.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from crossmask import __version__
from crossmask.classes import ClassScheme, get_scheme
from crossmask.errors import InputError
from crossmask.models.card import model_digest, package_versions
from crossmask.models.runtime import load_runner
from crossmask.pipelines.batch.cluster import dask_client
from crossmask.pipelines.evaluation.config import EvaluationConfig
from crossmask.pipelines.evaluation.datasets import dataset_scenes
from crossmask.pipelines.evaluation.metrics import results_table
from crossmask.pipelines.evaluation.plan import run_scenes
from crossmask.pipelines.evaluation.records import PeerSkip
from crossmask.pipelines.evaluation.scoring import methods_for
from crossmask.pipelines.evaluation.summary import (
    GROUP,
    METHOD_ORDER,
    check_labelled,
    harmonization_effect,
    oa_comparisons,
    pooled_matrix,
    summary_table,
    sweep_table,
    threshold_table,
)
from crossmask.pipelines.reporting.conclusion import conclusion
from crossmask.pipelines.reporting.report import (
    DatasetFigures,
    Quicklook,
    ReportContent,
    write_report,
)
from crossmask.pipelines.reporting.tables import paper_table, write_csv, write_json
from crossmask.srf import paired_sources

__all__ = ["EvaluationResult", "run_evaluation"]


@dataclass
class EvaluationResult:
    """Where the report went and its main tables.

    ``skipped`` lists the peers that could not run, one :class:`PeerSkip` per dataset,
    peer and reason (``str()`` of each is a one-line message); ``conclusion`` the report's
    opening paragraphs (plain text, one per dataset).
    """

    out_dir: Path
    report: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    table: pd.DataFrame
    effect: pd.DataFrame
    skipped: list[PeerSkip] = field(default_factory=list)
    conclusion: list[str] = field(default_factory=list)


#: Files run_evaluation writes besides the report's tables, as linked from the page.
_FILES = {"results.csv": "one row per scene, model and method (every score and count)",
          "summary_full.csv": "every pooled and scene-mean score with 95 % bootstrap "
                              "intervals",
          "thresholds.csv": "scores at every cloud-probability threshold (fractions 0–1)",
          "run.json": "the configuration, versions and run time"}


def run_evaluation(config: EvaluationConfig, out_dir: str | Path, progress: bool = True,
                   workers: int | None = None, scheduler: str | None = None
                   ) -> EvaluationResult:
    """Score every model × method × dataset of ``config`` and write the report.

    Models, datasets and band pairings are checked before ``out_dir`` is created, so a
    configuration error leaves no folder behind.  Re-running into the same folder
    resumes: finished scenes whose inputs are unchanged are read back from ``records/``,
    never recomputed.  Scenes are scored in this process, on ``workers`` local Dask
    processes, or on the Dask cluster at ``scheduler``; the records are the same.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    models = {m.name: load_runner(m.path, config.runtime, config.precision)
              for m in config.models}
    total, sensors = _plan(config, models)
    out_dir.mkdir(parents=True, exist_ok=True)
    with dask_client(workers, scheduler) as client:
        records, sweeps, looks, skipped = _collect(config, out_dir, models, total, progress,
                                                   client)
    scheme = get_scheme(config.scheme)
    results = results_table(records)
    check_labelled(results)
    summary = summary_table(results, scheme, config.n_boot, config.seed)
    write_csv(results, out_dir / "results.csv")
    write_csv(summary, out_dir / "summary_full.csv")
    thresholds = threshold_table(sweeps)
    if not thresholds.empty:
        write_csv(thresholds, out_dir / "thresholds.csv")
    content = _content(config, scheme, results, summary, thresholds, sweeps, looks)
    content.sensors, content.skipped = sensors, _skip_table(skipped)
    content.files = [(name, what) for name, what in _FILES.items()
                     if name != "thresholds.csv" or not thresholds.empty]
    report, written = write_report(out_dir, content)
    write_json(out_dir / "run.json", {
        "config": config.to_dict(), "crossmask": __version__, "python": platform.python_version(),
        "versions": package_versions(), "seconds": time.perf_counter() - start,
        "skipped": [str(s) for s in skipped],
        "outputs": ["results.csv", *(str(p.relative_to(out_dir)) for p in written)]})
    return EvaluationResult(out_dir, report, results, summary, content.table, content.effect,
                            skipped, conclusion(content.comparisons))


def _plan(config: EvaluationConfig, models: dict) -> tuple[int, list[str]]:
    """Check that every model can be fed every scene's bands (raising the
    :class:`~crossmask.errors.MissingBandError` of the first that cannot) and count the
    (scene, model or peer, method) combinations; also the non-Landsat-8 sensors seen."""
    total, sensors, fitted = 0, set(), config.fitted()
    for spec in config.datasets:
        for scene in dataset_scenes(spec):
            sensors.add(scene.sensor)
            for card in (runner.card for runner in models.values()):
                paired_sources(scene.sensor, card.sensor, card.bands, scene.band_names)
                total += len(methods_for(config.methods, scene.sensor, card.sensor,
                                         config.saturation, fitted))
            total += len(config.peers)
    return total, sorted(sensors - {"L8"})


def _collect(config: EvaluationConfig, out_dir: Path, models: dict, total: int,
             progress: bool, client=None):
    """Records, pooled threshold sweeps per (dataset, model, method), quicklooks and the
    peers skipped (merged per dataset, peer and reason)."""
    digests = {m.name: model_digest(m.path) for m in config.models}
    records, sweeps, looks, skipped = [], {}, [], {}
    outcomes = run_scenes(config, out_dir, models, model_digests=digests, client=client)
    for outcome in tqdm(outcomes, total=total, desc="evaluate (scene × model × method)",
                        unit="run", disable=None if progress else True):
        if isinstance(outcome, PeerSkip):
            key = (outcome.dataset, outcome.peer, outcome.reason)
            before = skipped[key].scenes if key in skipped else ()
            skipped[key] = PeerSkip(*key, before + outcome.scenes)
            continue
        records.append(outcome.record)
        key = tuple(outcome.record[k] for k in GROUP)
        if outcome.thresholds is not None:
            sweeps[key] = sweeps.get(key, 0) + outcome.thresholds
        if outcome.quicklook:
            looks.append((outcome.record, outcome.quicklook))
    if not records:
        reasons = "; ".join(str(s) for s in skipped.values())
        raise InputError("no scene was scored: check the datasets' labels and the models' "
                         f"bands{f' ({reasons})' if reasons else ''}")
    order = _record_order(config)
    records.sort(key=order)
    looks.sort(key=lambda look: order(look[0]))
    return records, sweeps, looks, list(skipped.values())


def _record_order(config: EvaluationConfig):
    """Sort key of records: config order of datasets and models (peers after), scene ID,
    report order of methods — the same whether scenes finished in order or on workers."""
    datasets = {d.name: i for i, d in enumerate(config.datasets)}
    models = {m.name: i for i, m in enumerate(config.models)}
    return lambda r: (datasets.get(r["dataset"], 0), str(r["scene_id"]),
                      models.get(r["model"], len(models)), str(r["model"]),
                      METHOD_ORDER.get(r["method"], len(METHOD_ORDER)))


def _skip_table(skipped: list[PeerSkip]) -> pd.DataFrame:
    return pd.DataFrame([{"dataset": s.dataset, "peer": s.peer, "scenes": len(s.scenes),
                          "reason": s.reason} for s in skipped])


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
        order = {key: i for i, key in enumerate(summary[list(GROUP)].itertuples(index=False))}
        best = best.assign(_o=[order.get(tuple(k), 0) for k in
                               best[list(GROUP)].itertuples(index=False)])
        best = best.sort_values("_o")[[*GROUP, "threshold", "oa", "f1", "cad"]]
    return ReportContent(
        title=config.name, table=paper_table(summary), class_names=list(scheme.classes),
        colormap=scheme.colormap(), by_biome=by_biome,
        effect=harmonization_effect(results, config.n_boot, config.seed),
        best_thresholds=best,
        comparisons=oa_comparisons(results, config.n_boot, config.seed),
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
                         ("dataset", "biome", "model", "method") if by == "biome" else GROUP)
    return DatasetFigures(dataset, confusion, curves, bars, by)


def _quicklook(record: dict, look: dict) -> Quicklook:
    stem = (f"quicklook_{record['dataset']}_{record['scene_id']}_{record['model']}_"
            f"{record['method']}")
    title = (f"{record['scene_id']} — {record['model']} / {record['method']}: OA "
             f"{100 * record['oa']:.1f} %, CAD {record['cad']:+.1f} pp")
    return Quicklook(stem, title, look["rgb"], look["reference"], look["predicted"])
