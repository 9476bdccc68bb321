"""Quicklook of one scene: RGB, reference and predicted masks with a class legend, and an
error map (agreement, false cloud, missed cloud, other class confusion)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crossmask.classes import IGNORE, is_cloud
from crossmask.pipelines.reporting.figures import _pyplot, _save

__all__ = ["ERROR_COLOURS", "error_map", "quicklook"]

#: Error-map categories: code → (label, 8-bit RGB).
ERROR_COLOURS: dict[int, tuple[str, tuple[int, int, int]]] = {
    0: ("agree", (205, 205, 205)),
    1: ("false cloud", (228, 26, 28)),
    2: ("missed cloud", (30, 100, 230)),
    3: ("other class confused", (255, 190, 0)),
    4: ("no label / no data", (0, 0, 0)),
}


def error_map(reference: np.ndarray, predicted: np.ndarray,
              cloud: tuple[int, ...]) -> np.ndarray:
    """Per pixel an :data:`ERROR_COLOURS` code: 1 where cloud is predicted on a non-cloud
    reference, 2 where reference cloud is missed, 3 for other disagreements (e.g. thin
    vs thick cloud, shadow vs clear), 4 where either mask has no label."""
    ref_cloud, pred_cloud = np.isin(reference, cloud), np.isin(predicted, cloud)
    out = np.where(reference == predicted, 0, 3).astype(np.uint8)
    out[pred_cloud & ~ref_cloud] = 1
    out[ref_cloud & ~pred_cloud] = 2
    out[(reference == IGNORE) | (predicted == IGNORE)] = 4
    return out


def quicklook(rgb: np.ndarray, reference: np.ndarray, predicted: np.ndarray,
              class_names: list[str], colors: dict[int, tuple], title: str,
              path: Path) -> Path:
    """RGB (2–98 % stretch), reference and predicted masks (class legend below) and the
    error map (its legend below, with each error's share of the labelled pixels)."""
    from matplotlib.patches import Patch

    plt = _pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 4.9), layout="constrained")
    finite = rgb[np.isfinite(rgb)]
    lo, hi = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
    axes[0].imshow(np.clip((np.nan_to_num(rgb) - lo) / max(hi - lo, 1e-6), 0, 1))
    for ax, mask in ((axes[1], reference), (axes[2], predicted)):
        ax.imshow(_paint(mask, {v: rgba[:3] for v, rgba in colors.items()}),
                  interpolation="nearest")
    cloud = tuple(i for i, name in enumerate(class_names) if is_cloud(name))
    errors = error_map(reference, predicted, cloud)
    axes[3].imshow(_paint(errors, {k: rgb for k, (_, rgb) in ERROR_COLOURS.items()}),
                   interpolation="nearest")
    for ax, name in zip(axes, ("RGB (2–98 % stretch)", "reference", "predicted",
                               "errors")):
        ax.set_title(name, fontsize=10)
        ax.axis("off")
    labelled = max(int(np.sum(errors != 4)), 1)
    classes = [Patch(facecolor=np.array(colors[i][:3]) / 255, edgecolor="0.4", label=name)
               for i, name in enumerate(class_names) if i in colors]
    classes.append(Patch(facecolor="k", edgecolor="0.4", label="no label / no data"))
    shares = [Patch(facecolor=np.array(rgb) / 255, edgecolor="0.4",
                    label=label if code in (0, 4) else
                    f"{label} {100 * np.sum(errors == code) / labelled:.1f} %")
              for code, (label, rgb) in ERROR_COLOURS.items()
              if code != 3 or len(class_names) > 2]
    for ax, handles in ((axes[2], classes), (axes[3], shares)):
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=2, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def _paint(mask: np.ndarray, colors: dict[int, tuple]) -> np.ndarray:
    image = np.zeros((*mask.shape, 3))
    for value, rgb in colors.items():
        image[mask == value] = np.array(rgb[:3]) / 255
    return image
