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

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from crossmask import __version__
from crossmask.errors import InputError
from crossmask.pipelines import figures
from crossmask.pipelines.biome import get_scheme
from crossmask.pipelines.evalconfig import EvaluationConfig
from crossmask.pipelines.evaluate import run_scenes
from crossmask.pipelines.metrics import ThresholdAccumulator, results_table, summarize
from crossmask.pipelines.report import paper_table, write_html, write_json, write_table

__all__ = ["EvaluationResult", "harmonization_effect", "run_evaluation"]

_GROUP = ("dataset", "model", "method")


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

    Re-running into the same folder resumes: finished scenes are read back from
    ``records/``, never recomputed.
    """
    from crossmask.models.card import load_model, model_digest

    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    models = {m.name: load_model(m.path) for m in config.models}
    digests = {m.name: model_digest(m.path) for m in config.models}
    records, sweeps, looks = [], {}, []
    outcomes = run_scenes(config, out_dir, models, progress=False, model_digests=digests)
    for outcome in tqdm(outcomes, desc="evaluate", unit="scene", disable=not progress):
        records.append(outcome.record)
        key = tuple(outcome.record[k] for k in _GROUP)
        if outcome.thresholds is not None:
            sweeps[key] = sweeps.get(key, 0) + outcome.thresholds
        if outcome.quicklook:
            looks.append((outcome.record, outcome.quicklook))
    if not records:
        raise InputError("no scene was scored: check the datasets' labels and the models' "
                         "bands (see records/*.skipped)")
    scheme = get_scheme(config.scheme)
    results = results_table(records)
    _check_labelled(results)
    summary = _summary(results, config, scheme)
    table = paper_table(summary)
    written = [out_dir / "results.csv"]
    results.to_csv(written[0], index=False)
    summary.to_csv(out_dir / "summary_full.csv", index=False)
    written += write_table(table, out_dir / "summary", f"{config.name}: zero-shot scores")
    sections = [("Summary (pixel-pooled; CAD = mean over scenes)", table.to_html(index=False))]
    if results["biome"].astype(bool).any():
        by_biome = paper_table(_summary(results, config, scheme, ("dataset", "biome", "model",
                                                                  "method")))
        written += write_table(by_biome, out_dir / "by_biome", "by biome")
        sections.append(("By biome", by_biome.to_html(index=False)))
    effect = harmonization_effect(results, config.n_boot, config.seed)
    if not effect.empty:
        write_table(effect, out_dir / "harmonization_effect", "paired differences to none")
        sections.insert(1, ("What harmonisation buys (paired per-scene differences to "
                            "'none', 95 % bootstrap CI)", effect.to_html(index=False)))
    thresholds = _thresholds(sweeps, config)
    if not thresholds.empty:
        thresholds.to_csv(out_dir / "thresholds.csv", index=False)
        best = thresholds.loc[thresholds.groupby(list(_GROUP))["oa"].idxmax()]
        sections.append(("Threshold maximising OA", best[[*_GROUP, "threshold", "oa", "f1",
                                                          "cad"]].to_html(index=False)))
    figs = _figures(out_dir, config, summary, results, scheme, sweeps, looks)
    report = write_html(out_dir / "report.html", f"crossmask evaluation: {config.name}",
                        sections, [f.relative_to(out_dir) for f in figs])
    write_json(out_dir / "run.json", {
        "config": config.to_dict(), "crossmask": __version__, "python": platform.python_version(),
        "versions": _versions(), "seconds": time.perf_counter() - start,
        "outputs": [str(p.relative_to(out_dir)) for p in written + figs]})
    return EvaluationResult(out_dir, report, results, summary, table, effect)


def harmonization_effect(results: pd.DataFrame, n_boot: int = 1000,
                         seed: int = 0) -> pd.DataFrame:
    """Per dataset, model and method: mean per-scene ΔOA and Δ|CAD| against ``none``.

    Differences are paired by scene (same scenes, same model); the 95 % interval comes
    from ``n_boot`` bootstrap resamplings of the scenes.  ``verdict`` says whether the
    method gives higher OA and smaller |CAD| than ``none`` beyond that interval.
    """
    rows = []
    for (dataset, model), group in results.groupby(["dataset", "model"], sort=True):
        base = group[group.method == "none"].set_index("scene_id")
        for method, other in group[group.method.isin(["ols", "multivariate", "hls"])
                                   ].groupby("method", sort=False):
            other = other.set_index("scene_id").loc[base.index.intersection(other.scene_id)]
            if other.empty:
                continue
            d_oa = 100 * (other["oa"] - base.loc[other.index, "oa"]).to_numpy()
            d_cad = (other["cad"].abs() - base.loc[other.index, "cad"].abs()).to_numpy()
            oa_ci, cad_ci = _paired_ci(d_oa, n_boot, seed), _paired_ci(d_cad, n_boot, seed)
            rows.append({"dataset": dataset, "model": model, "method": method,
                         "scenes": len(d_oa), "dOA pp": round(float(d_oa.mean()), 3),
                         "dOA lo": oa_ci[0], "dOA hi": oa_ci[1],
                         "d|CAD| pp": round(float(d_cad.mean()), 3), "d|CAD| lo": cad_ci[0],
                         "d|CAD| hi": cad_ci[1], "verdict": _verdict(oa_ci, cad_ci)})
    return pd.DataFrame(rows)


def _paired_ci(values: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return round(float(lo), 3), round(float(hi), 3)


def _verdict(oa_ci: tuple[float, float], cad_ci: tuple[float, float]) -> str:
    if np.isnan(oa_ci[0]):
        return "one scene: no interval"
    better_oa, worse_oa = oa_ci[0] > 0, oa_ci[1] < 0
    better_cad, worse_cad = cad_ci[1] < 0, cad_ci[0] > 0
    if better_oa and better_cad:
        return "higher OA and smaller |CAD|"
    if worse_oa and worse_cad:
        return "lower OA and larger |CAD|"
    if not (better_oa or worse_oa or better_cad or worse_cad):
        return "no difference beyond the interval"
    parts = [("higher OA" if better_oa else "lower OA") if (better_oa or worse_oa) else "",
             ("smaller |CAD|" if better_cad else "larger |CAD|")
             if (better_cad or worse_cad) else ""]
    return ", ".join(p for p in parts if p)


def _check_labelled(results: pd.DataFrame) -> None:
    pixels = results.groupby("dataset")["n_pixels"].sum()
    empty = sorted(pixels[pixels == 0].index)
    if empty:
        raise InputError(f"dataset {', '.join(map(repr, empty))} has no labelled pixels (all "
                         "fill, or codes mapped to fill); check its [codes] table")


def _summary(results: pd.DataFrame, config: EvaluationConfig, scheme,
             by: tuple[str, ...] = _GROUP) -> pd.DataFrame:
    summary = summarize(results, by=by, n_boot=config.n_boot, seed=config.seed,
                        class_names=list(scheme.classes))
    grouped = results.groupby(list(by), sort=True, dropna=False)
    extra = grouped.agg(megapixels=("megapixels", "sum"),
                        harmonize_s=("harmonize_s", "sum"), predict_s=("predict_s", "sum"))
    extra["harmonize_s_per_mpx"] = extra["harmonize_s"] / extra["megapixels"]
    extra["predict_s_per_mpx"] = extra["predict_s"] / extra["megapixels"]
    summary = summary.merge(extra.reset_index(), on=list(by), how="left")
    if "method" in summary.columns:  # report methods in their natural order
        order = {m: i for i, m in enumerate(("none", "ols", "multivariate", "hls", "native"))}
        keys = [k for k in by if k != "method"]
        summary = summary.assign(_o=summary["method"].map(order)).sort_values(
            [*keys, "_o"]).drop(columns="_o").reset_index(drop=True)
    return summary


def _thresholds(sweeps: dict, config: EvaluationConfig) -> pd.DataFrame:
    frames = []
    for key, counts in sorted(sweeps.items()):
        acc = ThresholdAccumulator()
        acc.counts = np.asarray(counts)
        if acc.counts.sum() == 0:
            continue
        frame = acc.table().reset_index()
        frames.append(frame.assign(**dict(zip(_GROUP, key))))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _figures(out_dir: Path, config, summary, results, scheme, sweeps, looks) -> list[Path]:
    from crossmask.srf.plot import plot_responses

    folder = out_dir / "figures"
    folder.mkdir(exist_ok=True)
    figs = []
    sensors = sorted({s for s in _data_sensors(results, config) if s in ("S2A", "S2B", "L9",
                                                                          "L7", "L5")})
    for sensor in sensors:
        figs.append(plot_responses([sensor, "L8"], folder / f"srf_{sensor}_L8.png",
                                   overwrite=True))
        figs.append(figures.adjustment_scatter(sensor, folder / f"adjustment_{sensor}.png"))
    n = scheme.n_classes
    for dataset, group in summary.groupby("dataset"):
        panels = [(f"{r.model} / {r.method}", _pooled_matrix(results, r, n))
                  for r in group.itertuples()]
        figs.append(figures.confusion_grid(panels, list(scheme.classes),
                                           folder / f"confusion_{dataset}.png"))
        tables = {}
        for (ds, model, method), counts in sweeps.items():
            if ds == dataset:
                acc = ThresholdAccumulator()
                acc.counts = np.asarray(counts)
                tables[f"{model} / {method}"] = acc.table()
        if tables:
            figs.append(figures.threshold_curves(tables, folder / f"thresholds_{dataset}.png"))
        by = "biome" if results.loc[results.dataset == dataset, "biome"].astype(bool).any() \
            else "method"
        grouped = _summary(results[results.dataset == dataset], config, scheme,
                           ("dataset", by, "model") if by == "biome" else _GROUP)
        figs.append(figures.metric_bars(grouped, by, folder / f"bars_{dataset}.png"))
    for record, look in looks:
        name = f"quicklook_{record['dataset']}_{record['scene_id']}_{record['model']}_" \
               f"{record['method']}.png".replace("/", "_")
        figs.append(figures.quicklook(look["rgb"], look["reference"], look["predicted"],
                                      scheme.colormap(), f"{record['scene_id']} — "
                                      f"{record['model']} / {record['method']}: OA "
                                      f"{100 * record['oa']:.1f} %, CAD {record['cad']:+.1f} pp",
                                      folder / name))
    return figs


def _pooled_matrix(results: pd.DataFrame, row, n: int) -> np.ndarray:
    rows = results[(results.dataset == row.dataset) & (results.model == row.model)
                   & (results.method == row.method)]
    return np.array([[rows[f"cm_{r}_{p}"].sum() for p in range(n)] for r in range(n)])


def _data_sensors(results: pd.DataFrame, config: EvaluationConfig) -> set[str]:
    from crossmask.pipelines.evaluate import dataset_scenes

    return {scene.sensor for spec in config.datasets for scene in dataset_scenes(spec)}


def _versions() -> dict:
    from crossmask.models.card import package_versions

    return package_versions()
