"""Write an evaluation's report folder: tables (CSV, Markdown, LaTeX), figures and
``report.html``, from the computed tables and figure data (:class:`ReportContent`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crossmask.pipelines.reporting import figures
from crossmask.pipelines.reporting.html import write_html
from crossmask.pipelines.reporting.tables import write_table
from crossmask.srf.plot import plot_responses

__all__ = ["DatasetFigures", "Quicklook", "ReportContent", "write_report"]


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
class ReportContent:
    """Everything the report shows."""

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


def write_report(out_dir: Path, content: ReportContent) -> tuple[Path, list[Path]]:
    """Write the summary tables, figures and ``report.html`` into ``out_dir``; return the
    page and every file written (tables and figures)."""
    written = write_table(content.table, out_dir / "summary", f"{content.title}: zero-shot "
                          "scores")
    sections = [("Summary (pixel-pooled; CAD = mean over scenes)",
                 content.table.to_html(index=False))]
    if content.by_biome is not None:
        written += write_table(content.by_biome, out_dir / "by_biome", "by biome")
        sections.append(("By biome", content.by_biome.to_html(index=False)))
    if not content.effect.empty:
        write_table(content.effect, out_dir / "harmonization_effect",
                    "paired differences to none")
        sections.insert(1, ("What harmonisation buys (paired per-scene differences to "
                            "'none', 95 % bootstrap CI)", content.effect.to_html(index=False)))
    if not content.best_thresholds.empty:
        sections.append(("Threshold maximising OA",
                         content.best_thresholds.to_html(index=False)))
    figs = write_figures(out_dir / "figures", content)
    page = write_html(out_dir / "report.html", f"crossmask evaluation: {content.title}",
                      sections, [f.relative_to(out_dir) for f in figs])
    return page, written + figs


def write_figures(folder: Path, content: ReportContent) -> list[Path]:
    """SRF and band-adjustment figures per sensor, per-dataset confusion matrices,
    threshold curves and bars, and the quicklooks."""
    folder.mkdir(parents=True, exist_ok=True)
    figs = []
    for sensor in content.sensors:
        figs.append(plot_responses([sensor, "L8"], folder / f"srf_{sensor}_L8.png",
                                   overwrite=True))
        figs.append(figures.adjustment_scatter(sensor, folder / f"adjustment_{sensor}.png"))
    for data in content.datasets:
        figs.append(figures.confusion_grid(data.confusion, content.class_names,
                                           folder / f"confusion_{data.name}.png"))
        if data.sweeps:
            figs.append(figures.threshold_curves(data.sweeps,
                                                 folder / f"thresholds_{data.name}.png"))
        figs.append(figures.metric_bars(data.bars, data.bars_by, folder / f"bars_{data.name}.png"))
    for look in content.quicklooks:
        figs.append(figures.quicklook(look.rgb, look.reference, look.predicted, content.colormap,
                                      look.title, folder / f"{look.stem}.png"))
    return figs
