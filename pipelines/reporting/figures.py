"""Figures of an evaluation report (matplotlib, Agg backend, PNG written atomically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crossmask.atomic import atomic_output

__all__ = ["adjustment_scatter", "confusion_grid", "metric_bars", "threshold_curves"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_output(path, overwrite=True) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    _pyplot().close(fig)
    return path


def adjustment_scatter(source: str, path: Path, n_points: int = 3000, seed: int = 0) -> Path:
    """Source vs Landsat-8 band values of the training spectra, with OLS and HLS lines."""
    from crossmask.harmonize import build_adjustment, training_spectra
    from crossmask.srf import band_equivalent

    plt = _pyplot()
    spectra = training_spectra()
    ols = build_adjustment(source, "L8", "ols", spectra)
    fitted = [b for b in ols.bands if b.metrics]
    pick = np.random.default_rng(seed).choice(len(spectra), min(n_points, len(spectra)),
                                              replace=False)
    x = band_equivalent(spectra.reflectance[pick], spectra.wavelengths, source,
                        [b.sources[0] for b in fitted])
    y = band_equivalent(spectra.reflectance[pick], spectra.wavelengths, "L8",
                        [b.target for b in fitted])
    hls = _hls_lines(source, spectra)
    fig, axes = plt.subplots(2, (len(fitted) + 1) // 2, figsize=(3.2 * ((len(fitted) + 1) // 2),
                                                                  6.2), constrained_layout=True)
    line = np.array([0.0, 1.0])
    for ax, band, i in zip(axes.ravel(), fitted, range(len(fitted))):
        ax.scatter(x[:, i], y[:, i], s=2, alpha=0.3, color="0.4")
        ax.plot(line, band.coefficients[0] * line + band.intercept, "r-", lw=1,
                label=f"OLS {band.coefficients[0]:.4f}")
        if band.target in hls:
            slope, offset = hls[band.target]
            ax.plot(line, slope * line + offset, "b--", lw=1, label=f"HLS {slope:.4f}")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=f"{source} {band.sources[0]}",
               ylabel=f"L8 {band.target}")
        ax.set_title(f"R² {band.metrics['r2']:.4f}, RMSE {band.metrics['rmse']:.4f}",
                     fontsize=8)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes.ravel()[len(fitted):]:
        ax.axis("off")
    return _save(fig, path)


def _hls_lines(source: str, spectra) -> dict:
    from crossmask.errors import UnknownNameError
    from crossmask.harmonize import build_adjustment

    try:
        hls = build_adjustment(source, "L8", "hls", spectra)
    except UnknownNameError:
        return {}
    return {b.target: (b.coefficients[0], b.intercept) for b in hls.bands}


def confusion_grid(summary_rows: list[tuple[str, np.ndarray]], class_names: list[str],
                   path: Path) -> Path:
    """Row-normalised pooled confusion matrices, one panel per (model, method)."""
    plt = _pyplot()
    n = len(summary_rows)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 3.3 * rows), squeeze=False,
                             layout="constrained")
    for ax, (title, matrix) in zip(axes.ravel(), summary_rows):
        norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
        for (r, c), v in np.ndenumerate(norm):
            ax.text(c, r, f"{100 * v:.1f}", ha="center", va="center", fontsize=8,
                    color="white" if v > 0.5 else "black")
        ax.set_xticks(range(len(class_names)), class_names, fontsize=7)
        ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
        ax.set_xlabel("predicted", fontsize=7)
        ax.set_ylabel("reference", fontsize=7)
        ax.set_title(_wrap(title, 34), fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return _save(fig, path)


def threshold_curves(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """OA, F1 and CAD over cloud-probability thresholds, one line per (model, method)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for label, table in tables.items():
        for ax, metric in zip(axes, ("oa", "f1", "cad")):
            ax.plot(table.index, table[metric] * (1 if metric == "cad" else 100), label=label)
    for ax, name in zip(axes, ("OA %", "F1 %", "CAD pp")):
        ax.set(xlabel="cloud-probability threshold", ylabel=name)
        ax.grid(alpha=0.3)
    axes[2].axhline(0, color="k", lw=0.5)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, [_wrap(n, 40) for n in names], loc="outside lower center",
               ncol=min(len(names), 4), fontsize=7, frameon=False)
    return _save(fig, path)


def metric_bars(table: pd.DataFrame, by: str, path: Path) -> Path:
    """OA and mean |CAD| bars by ``by`` (biome or method), one bar per model (and method).

    OA bars start at 0 % (the axis is never cut to exaggerate differences) and carry their
    value; a dashed line per group marks the OA of a mask that calls every pixel clear
    (100 % minus the reference cloud cover), the score a model must beat to be of use.
    Each group shows only the bars it has, centred on its tick.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    plt = _pyplot()
    series = [c for c in ("model", "method") if c in table.columns and c != by]
    labels = table[series].astype(str).agg(" / ".join, axis=1) if series else table[by]
    data = table.assign(label=labels)
    groups, names = list(dict.fromkeys(data[by])), list(dict.fromkeys(labels))
    colours = {n: f"C{i % 10}" for i, n in enumerate(names)}
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
    for i, group in enumerate(groups):
        rows = data[data[by] == group]
        width = 0.8 / len(rows)
        x = i - 0.4 + width * (np.arange(len(rows)) + 0.5)
        colour = [colours[n] for n in rows["label"]]
        oa = axes[0].bar(x, 100 * rows["pooled_oa"].to_numpy(float), width, color=colour)
        axes[0].bar_label(oa, fmt="%.1f", label_type="center", rotation=90, fontsize=8,
                          color="white")
        cad = axes[1].bar(x, rows["mean_abs_cad"].to_numpy(float), width, color=colour)
        axes[1].bar_label(cad, fmt="%.2f", fontsize=7)
        clear = 100 - float(rows["pooled_ref_cloud_pct"].mean())
        axes[0].hlines(clear, i - 0.45, i + 0.45, colors="k", linestyles="--", lw=1)
    for ax, ylabel in zip(axes, ("OA % (bars from 0)", "mean |CAD| pp (bars from 0)")):
        ax.set_xticks(range(len(groups)), [_wrap(g, 16) for g in groups],
                      rotation=0 if len(groups) < 6 else 30)
        ax.set(xlabel=by, ylabel=ylabel, xlim=(-0.6, len(groups) - 0.4))
    axes[0].set_ylim(0, 100)
    axes[1].set_ylim(0, axes[1].get_ylim()[1] * 1.08)  # room for the value labels
    handles = [Patch(color=colours[n], label=_wrap(n, 40)) for n in names]
    handles.append(Line2D([], [], color="k", ls="--", lw=1, label="all-clear mask"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4),
               fontsize=7, frameon=False)
    return _save(fig, path)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
