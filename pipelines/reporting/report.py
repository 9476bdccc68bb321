"""Write an evaluation's report folder: tables (CSV, Markdown, LaTeX), figures and
``report.html``, from the computed tables and figure data (:class:`ReportContent`).

The page opens with a conclusion in words, lists what was not scored and why, shows the
tables in percent with readable numbers, every figure with a caption in words, and links
to the files of the folder."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crossmask.pipelines.reporting import figures
from crossmask.pipelines.reporting.conclusion import conclusion
from crossmask.pipelines.reporting.html import (
    contents_html,
    figure_html,
    links_html,
    section,
    table_html,
    write_html,
)
from crossmask.pipelines.reporting.paths import file_stem
from crossmask.pipelines.reporting.quicklooks import quicklook
from crossmask.pipelines.reporting.tables import write_table
from crossmask.srf import get_sensor
from crossmask.srf.plot import plot_responses

__all__ = ["DatasetFigures", "Figure", "Quicklook", "ReportContent", "write_report"]


@dataclass
class DatasetFigures:
    """What the figures of one dataset show: pooled confusion matrices per model/method,
    threshold sweeps, and the summary rows behind the bar chart (grouped ``by``)."""

    name: str
    confusion: list[tuple[str, np.ndarray]]
    sweeps: dict[str, pd.DataFrame]
    bars: pd.DataFrame
    bars_by: str


@dataclass
class Quicklook:
    """A decimated RGB, reference and prediction of one scene, with its title."""

    stem: str
    title: str
    rgb: np.ndarray
    reference: np.ndarray
    predicted: np.ndarray


@dataclass
class Figure:
    """A written figure, its caption in words and the report section it belongs to."""

    path: Path
    caption: str
    group: str


@dataclass
class ReportContent:
    """Everything the report shows.

    ``comparisons`` (rows of ``oa_comparisons``) feed the opening conclusion; ``skipped``
    (dataset, peer, scenes, reason) lists peers that were not run; ``files`` are further
    files of the folder to link, as (relative path, what it holds).
    """

    title: str
    table: pd.DataFrame
    class_names: list[str]
    colormap: dict
    by_biome: pd.DataFrame | None = None
    effect: pd.DataFrame = field(default_factory=pd.DataFrame)
    best_thresholds: pd.DataFrame = field(default_factory=pd.DataFrame)
    sensors: list[str] = field(default_factory=list)
    datasets: list[DatasetFigures] = field(default_factory=list)
    quicklooks: list[Quicklook] = field(default_factory=list)
    comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: list[tuple[str, str]] = field(default_factory=list)


def write_report(out_dir: Path, content: ReportContent) -> tuple[Path, list[Path]]:
    """Write the summary tables, figures and ``report.html`` into ``out_dir``; return the
    page and every file written (tables and figures)."""
    tables = write_table(content.table, out_dir / "summary", f"{content.title}: zero-shot "
                         "scores")
    if content.by_biome is not None:
        tables += write_table(content.by_biome, out_dir / "by_biome", "by biome")
    if not content.effect.empty:
        tables += write_table(content.effect, out_dir / "harmonization_effect",
                              "paired differences to none")
    figs = write_figures(out_dir / "figures", content)
    parts = _summary_parts(content) + _figure_parts(figs, out_dir)
    parts.append(("files", "Files of this report", links_html(_file_list(tables, content))))
    blocks = [contents_html([(anchor, heading) for anchor, heading, _ in parts])]
    blocks += [section(heading, body, anchor=anchor) for anchor, heading, body in parts]
    page = write_html(out_dir / "report.html", f"crossmask evaluation: {content.title}",
                      blocks)
    return page, tables + [f.path for f in figs]


_DESCRIBE = {"summary": "The summary table", "by_biome": "Scores by biome",
             "harmonization_effect": "Paired differences of each method to its baseline"}
_FORMATS = {".csv": 0, ".md": 1, ".tex": 2}
_SUMMARY_NOTE = ("OA, precision, recall and F1 are pixel-pooled over a group's scenes, in %; "
                 "CAD (cloud-amount difference: predicted minus reference cloud cover) is "
                 "the mean over scenes, in percentage points (pp); s/Mpx is seconds per "
                 "megapixel.")


def _file_list(tables: list[Path], content: ReportContent) -> list[tuple[str, list[str]]]:
    """(what, files) for the tables (CSV, Markdown, LaTeX together) and the other files."""
    stems: dict[str, list[str]] = {}
    for path in sorted(tables, key=lambda p: _FORMATS.get(p.suffix, 9)):
        stems.setdefault(path.stem, []).append(path.name)
    listed = [(f"{_DESCRIBE.get(stem, stem)} (CSV, Markdown, LaTeX)", names)
              for stem, names in stems.items()]
    return listed + [(what, [path]) for path, what in content.files]


def _summary_parts(content: ReportContent) -> list[tuple[str, str, str]]:
    parts = []
    if not content.comparisons.empty:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in conclusion(content.comparisons))
        parts.append(("conclusion", "Conclusion", f'<div class="conclusion">{paragraphs}</div>'))
    if not content.skipped.empty:
        parts.append(("skipped", "Not scored", "<p>These peer detectors were requested but "
                      "could not run:</p>" + table_html(content.skipped)))
    parts.append(("summary", "Summary", f'<p class="note">{_SUMMARY_NOTE}</p>'
                  + table_html(content.table, {"s/Mpx harmonise": 3, "s/Mpx predict": 3})))
    if not content.effect.empty:
        parts.append(("effect", "What harmonisation buys", (
            '<p class="note">Per-scene differences of each method to its baseline (same '
            "model, same scenes): to 'none', of 'learned' to 'ols', of each method to its "
            "'no saturation fix' twin; in pp, with 95 % bootstrap intervals over the scenes; "
            "positive ΔOA and negative Δ|CAD| are improvements.</p>")
            + table_html(_effect_display(content.effect))))
    if content.by_biome is not None:
        parts.append(("biome", "By biome", table_html(content.by_biome)))
    if not content.best_thresholds.empty:
        parts.append(("thresholds", "Threshold maximising OA", (
            '<p class="note">The cloud-probability threshold (0–1) at which each model and '
            "method reaches its highest pooled OA, with OA and F1 in % and CAD in pp at that "
            "threshold.</p>") + table_html(_threshold_display(content.best_thresholds))))
    return parts


def _effect_display(effect: pd.DataFrame) -> pd.DataFrame:
    columns = ["dataset", "model", "method", *(["baseline"] if "baseline" in effect else []),
               "scenes"]
    out = effect[columns].copy()
    out["scenes"] = out["scenes"].astype(int)
    for label, column in (("ΔOA", "dOA"), ("Δ|CAD|", "d|CAD|")):
        out[f"{label} pp"] = effect[f"{column} pp"].astype(float)
        out[f"{label} 95 % interval"] = [_interval(lo, hi) for lo, hi in
                                         zip(effect[f"{column} lo"], effect[f"{column} hi"])]
    out["verdict"] = effect["verdict"]
    return out


def _interval(lo: float, hi: float) -> str:
    if lo is None or math.isnan(lo):
        return "none (one scene)"
    return f"{lo:+.2f} to {hi:+.2f}"


def _threshold_display(best: pd.DataFrame) -> pd.DataFrame:
    keys = [k for k in ("dataset", "model", "method") if k in best.columns]
    out = best[keys].copy()
    out["threshold"] = best["threshold"].astype(float)
    out["OA %"] = 100 * best["oa"].astype(float)
    out["F1 %"] = 100 * best["f1"].astype(float)
    out["CAD pp"] = best["cad"].astype(float)
    return out.reset_index(drop=True)


def _figure_parts(figs: list[Figure], out_dir: Path) -> list[tuple[str, str, str]]:
    parts = []
    for i, group in enumerate(dict.fromkeys(f.group for f in figs)):
        body = "".join(figure_html(f.path.relative_to(out_dir).as_posix(), f.caption)
                       for f in figs if f.group == group)
        parts.append((f"figures-{i}", group, body))
    return parts


def write_figures(folder: Path, content: ReportContent) -> list[Figure]:
    """SRF and band-adjustment figures per sensor, per-dataset confusion matrices,
    threshold curves and bars, and the quicklooks, each with its caption."""
    folder.mkdir(parents=True, exist_ok=True)
    figs = []
    for sensor in content.sensors:
        name = get_sensor(sensor).long_name
        figs.append(Figure(plot_responses([sensor, "L8"], folder / f"srf_{sensor}_L8.png",
                                          overwrite=True),
                           f"Spectral response functions of {name} and Landsat-8 OLI: the "
                           "band differences that harmonisation bridges.", "Sensors"))
        figs.append(Figure(figures.adjustment_scatter(sensor, folder / f"adjustment_{sensor}"
                                                      ".png"),
                           f"{name} against Landsat-8 OLI band values of the training "
                           "spectra, with the fitted OLS line (red) and NASA's HLS line (blue, "
                           "dashed); a slope of 1 through 0 would need no adjustment.",
                           "Sensors"))
    for data in content.datasets:
        figs += _dataset_figures(folder, data, content.class_names)
    for look in content.quicklooks:
        figs.append(Figure(quicklook(look.rgb, look.reference, look.predicted,
                                     content.class_names, content.colormap, look.title,
                                     folder / f"{file_stem(look.stem)}.png"),
                           f"{look.title}. Left to right: true colour, reference mask, "
                           "predicted mask, and where they disagree (red: cloud predicted "
                           "where the reference has none; blue: reference cloud missed).",
                           "Quicklooks"))
    return figs


def _dataset_figures(folder: Path, data: DatasetFigures, class_names: list[str]) -> list:
    stem, group = file_stem(data.name), f"Dataset {data.name}"
    figs = [Figure(figures.confusion_grid(data.confusion, class_names,
                                          folder / f"confusion_{stem}.png"),
                   f"{data.name}: pooled confusion matrices, one per model and method; each "
                   "row is a reference class, split in % over the predicted classes.", group)]
    if data.sweeps:
        figs.append(Figure(figures.threshold_curves(data.sweeps,
                                                    folder / f"thresholds_{stem}.png"),
                           f"{data.name}: pooled OA, F1 and CAD as the cloud-probability "
                           "threshold varies, one line per model and method.", group))
    figs.append(Figure(figures.metric_bars(data.bars, data.bars_by,
                                           folder / f"bars_{stem}.png"),
                       f"{data.name}: pooled OA (bars start at 0 %; the dashed line is the "
                       "OA of a mask that calls every pixel clear) and mean |CAD| per "
                       f"{data.bars_by}.", group))
    return figs

