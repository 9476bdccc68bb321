"""Figures of an evaluation report (matplotlib, Agg backend, PNG written atomically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crossmask.atomic import atomic_output

__all__ = ["adjustment_scatter", "confusion_grid", "metric_bars", "quicklook",
           "threshold_curves"]


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
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 3.0 * rows), squeeze=False,
                             constrained_layout=True)
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
        ax.set_title(title, fontsize=8)
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
    axes[0].legend(fontsize=7)
    return _save(fig, path)


def metric_bars(table: pd.DataFrame, by: str, path: Path) -> Path:
    """OA and |CAD| bars by ``by`` (biome or method), one bar group per model/method."""
    plt = _pyplot()
    series = [c for c in ("model", "method") if c in table.columns and c != by]
    labels = table[series].astype(str).agg(" / ".join, axis=1) if series else table[by]
    pivot_oa = table.assign(label=labels).pivot_table(index=by, columns="label",
                                                      values="pooled_oa")
    pivot_cad = table.assign(label=labels).pivot_table(index=by, columns="label",
                                                       values="mean_abs_cad")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4), constrained_layout=True)
    (pivot_oa * 100).plot.bar(ax=axes[0], rot=30, legend=False)
    pivot_cad.plot.bar(ax=axes[1], rot=30)
    axes[0].set(ylabel="OA %", ylim=(max(0, float(np.nanmin(pivot_oa.to_numpy())) * 100 - 10),
                                     100))
    axes[1].set(ylabel="|CAD| pp")
    axes[1].legend(fontsize=7)
    return _save(fig, path)


def quicklook(rgb: np.ndarray, reference: np.ndarray, predicted: np.ndarray,
              colors: dict[int, tuple], title: str, path: Path) -> Path:
    """RGB (2–98 % stretch), reference and predicted masks side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), constrained_layout=True)
    finite = rgb[np.isfinite(rgb)]
    lo, hi = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
    axes[0].imshow(np.clip((np.nan_to_num(rgb) - lo) / max(hi - lo, 1e-6), 0, 1))
    for ax, mask, name in ((axes[1], reference, "reference"), (axes[2], predicted, "predicted")):
        image = np.zeros((*mask.shape, 3))
        for value, rgba in colors.items():
            image[mask == value] = np.array(rgba[:3]) / 255
        ax.imshow(image, interpolation="nearest")
        ax.set_title(name)
    axes[0].set_title("RGB")
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)
