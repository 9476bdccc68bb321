"""Cloud-mask accuracy: confusion matrices, cloud scores, threshold sweeps, summaries.

Everything accumulates window by window, so a scene never has to sit in memory whole:
:class:`ConfusionAccumulator` sums a confusion matrix (rows reference, columns predicted)
and :class:`ThresholdAccumulator` a histogram of cloud probabilities per reference class
with bin edges at the thresholds, so one pass gives every threshold exactly.

Pixels whose reference *or* prediction is the ignore value (255: fill / nodata) never
count; predictions should carry 255 where the input reflectance was NaN.

Cloud scores treat the ``positive`` classes (cloud; thin + thick in the four-class
scheme) against the rest.  Empty cases are NaN, never a silent 0 or 1:

* ``oa``, ``cad``, ``balanced_accuracy``: NaN with no valid pixel;
* ``precision``: NaN when nothing is predicted cloud; ``recall``: NaN when the reference
  holds no cloud; ``f1``, ``iou``: NaN only when neither holds cloud (0 when just one does);
* ``kappa``: NaN when chance agreement is 1 (reference and prediction one identical class);
* ``balanced_accuracy``: mean recall over the classes present in the reference (as
  scikit-learn), i.e. the recall of the only class when the reference holds one class.

CAD (cloud amount difference) = predicted − reference cloud fraction, in percentage points:
positive means the mask over-detects cloud.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from crossmask.classes import IGNORE
from crossmask.errors import InputError

__all__ = ["BINARY_METRICS", "THRESHOLDS", "ConfusionAccumulator", "ThresholdAccumulator",
           "binary_scores", "class_scores", "confusion_matrix", "results_table", "scene_record",
           "summarize"]

#: Default cloud-probability thresholds: 0.05, 0.10, …, 0.95 (cloud iff p ≥ t).
THRESHOLDS = np.round(np.arange(1, 20) * 0.05, 2)
#: Scores of :func:`binary_scores`, in table order.
BINARY_METRICS = ("oa", "precision", "recall", "f1", "iou", "kappa", "balanced_accuracy",
                  "ref_cloud_pct", "pred_cloud_pct", "cad")
_COUNTS = ("tp", "fp", "fn", "tn")
_CI_METRICS = ("oa", "precision", "recall", "f1", "iou", "kappa", "balanced_accuracy", "cad")
_KEYS = ("dataset", "biome", "model", "method", "scene_id")


def _classes(array, n_classes: int, ignore: int, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind not in "biu":
        raise InputError(f"{what} must hold integer class codes, not {array.dtype}")
    bad = (array >= n_classes) & (array != ignore) | (array < 0)
    if bad.any():
        raise InputError(f"{what} holds class {array[bad].flat[0]}; valid classes are "
                         f"0–{n_classes - 1} and {ignore} (ignore)")
    return array


def confusion_matrix(reference, predicted, n_classes: int = 2, ignore: int = IGNORE,
                     ) -> np.ndarray:
    """(n_classes, n_classes) int64 pixel counts, rows reference, columns predicted.

    Pixels where either array equals ``ignore`` are left out.
    """
    ref = _classes(reference, n_classes, ignore, "reference")
    pred = _classes(predicted, n_classes, ignore, "prediction")
    if ref.shape != pred.shape:
        raise InputError(f"reference is {ref.shape} but prediction is {pred.shape}")
    keep = (ref != ignore) & (pred != ignore)
    flat = ref[keep].astype(np.int64) * n_classes + pred[keep]
    return np.bincount(flat, minlength=n_classes ** 2).reshape(n_classes, n_classes)


def _positive_mask(n_classes: int, positive: int | Sequence[int]) -> np.ndarray:
    mask = np.zeros(n_classes, bool)
    idx = np.atleast_1d(np.asarray(positive, dtype=int))
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n_classes:
        raise InputError(f"positive classes {list(idx)} outside 0–{n_classes - 1}")
    mask[idx] = True
    return mask


def _binary_counts(matrix: np.ndarray, positive: int | Sequence[int]) -> dict[str, int]:
    pos = _positive_mask(matrix.shape[0], positive)
    return {"tp": int(matrix[np.ix_(pos, pos)].sum()), "fp": int(matrix[np.ix_(~pos, pos)].sum()),
            "fn": int(matrix[np.ix_(pos, ~pos)].sum()), "tn": int(matrix[np.ix_(~pos, ~pos)].sum())}


def _div(num, den):
    num, den = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def binary_scores(tp, fp, fn, tn) -> dict[str, np.ndarray | float]:
    """Cloud scores (see :data:`BINARY_METRICS`) from counts; vectorised over arrays.

    Fractions are 0–1, ``ref_cloud_pct``/``pred_cloud_pct``/``cad`` are in percent
    (points).  Empty cases are NaN as the module docstring lists.
    """
    tp, fp, fn, tn = (np.asarray(c, float) for c in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    oa = _div(tp + tn, n)
    chance = _div((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn), n * n)
    recall, specificity = _div(tp, tp + fn), _div(tn, tn + fp)
    ref_pct, pred_pct = 100 * _div(tp + fn, n), 100 * _div(tp + fp, n)
    rates = np.stack([recall, specificity])
    present = (~np.isnan(rates)).sum(axis=0)
    balanced = _div(np.nansum(rates, axis=0), present)
    kappa = _div(oa - chance, 1 - chance)  # 1 - chance is 0 only when it must be NaN
    out = {"oa": oa, "precision": _div(tp, tp + fp), "recall": recall,
           "f1": _div(2 * tp, 2 * tp + fp + fn), "iou": _div(tp, tp + fp + fn),
           "kappa": kappa, "balanced_accuracy": balanced,
           "ref_cloud_pct": ref_pct, "pred_cloud_pct": pred_pct, "cad": pred_pct - ref_pct}
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}


def class_scores(matrix: np.ndarray, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-class precision, recall, F1 and counts of a multi-class confusion matrix.

    Precision is NaN for a class never predicted, recall for a class absent from the
    reference, F1 only when both are empty.
    """
    matrix = np.asarray(matrix)
    diag, ref, pred = np.diag(matrix), matrix.sum(1), matrix.sum(0)
    names = list(names) if names is not None else [str(i) for i in range(len(diag))]
    return pd.DataFrame({"precision": _div(diag, pred), "recall": _div(diag, ref),
                         "f1": _div(2 * diag, ref + pred), "reference": ref,
                         "predicted": pred}, index=pd.Index(names, name="class"))


class ConfusionAccumulator:
    """Sum confusion matrices window by window (rows reference, columns predicted)."""

    def __init__(self, n_classes: int = 2, ignore: int = IGNORE):
        self.n_classes, self.ignore = n_classes, ignore
        self.matrix = np.zeros((n_classes, n_classes), np.int64)

    def update(self, reference, predicted) -> "ConfusionAccumulator":
        """Add one window of class codes (``ignore`` pixels skipped); return self."""
        self.matrix += confusion_matrix(reference, predicted, self.n_classes, self.ignore)
        return self

    def merge(self, other: "ConfusionAccumulator") -> "ConfusionAccumulator":
        """Add another accumulator's counts (another window, scene, worker); return self."""
        if other.matrix.shape != self.matrix.shape:
            raise InputError(f"cannot merge {other.n_classes}-class counts into "
                             f"{self.n_classes}-class counts")
        self.matrix += other.matrix
        return self

    def scores(self, positive: int | Sequence[int] = 1) -> dict[str, float]:
        """Cloud scores with ``positive`` as the cloud class(es)."""
        return binary_scores(**_binary_counts(self.matrix, positive))


class ThresholdAccumulator:
    """Cloud-probability histograms per reference class, bin edges at ``thresholds``.

    ``counts[c, k]`` holds valid pixels of reference cloud (c=1) or not (c=0) whose
    probability passes exactly ``k`` thresholds, so ``p ≥ t`` is counted exactly for every
    threshold in one pass.  NaN probabilities and ignored reference pixels are skipped.
    """

    def __init__(self, thresholds: Sequence[float] = THRESHOLDS,
                 positive: int | Sequence[int] = 1, ignore: int = IGNORE):
        self.thresholds = np.asarray(thresholds, float)
        if self.thresholds.ndim != 1 or np.any(np.diff(self.thresholds) <= 0):
            raise InputError("thresholds must be a strictly increasing 1-D sequence")
        self.positive, self.ignore = np.atleast_1d(positive), ignore
        self.counts = np.zeros((2, len(self.thresholds) + 1), np.int64)

    def update(self, reference, probability) -> "ThresholdAccumulator":
        """Add one window: reference class codes and cloud probability (0–1, NaN fill)."""
        ref, prob = np.asarray(reference), np.asarray(probability)
        if ref.shape != prob.shape:
            raise InputError(f"reference is {ref.shape} but probability is {prob.shape}")
        keep = (ref != self.ignore) & ~np.isnan(prob)
        p = prob[keep]
        if p.size and (p.min() < 0 or p.max() > 1):
            raise InputError(f"cloud probability outside 0–1 ({p.min():g} to {p.max():g})")
        # compare in the probabilities' precision, as ``prob >= t`` with a Python float does
        edges = self.thresholds.astype(p.dtype) if p.dtype.kind == "f" else self.thresholds
        passed = np.searchsorted(edges, p, side="right")
        cloud = np.isin(ref[keep], self.positive)
        size = self.counts.shape[1]
        self.counts[0] += np.bincount(passed[~cloud], minlength=size)
        self.counts[1] += np.bincount(passed[cloud], minlength=size)
        return self

    def merge(self, other: "ThresholdAccumulator") -> "ThresholdAccumulator":
        """Add another accumulator's histograms (same thresholds); return self."""
        if not np.array_equal(other.thresholds, self.thresholds):
            raise InputError("cannot merge threshold sweeps over different thresholds")
        self.counts += other.counts
        return self

    def table(self) -> pd.DataFrame:
        """One row per threshold: counts and :data:`BINARY_METRICS` (cloud iff p ≥ t)."""
        # pixels predicted cloud at threshold j passed more than j thresholds
        above = self.counts[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]
        clear, cloud = self.counts.sum(axis=1)
        tp, fp = above[1], above[0]
        counts = {"tp": tp, "fp": fp, "fn": cloud - tp, "tn": clear - fp}
        frame = pd.DataFrame({**counts, **binary_scores(**counts)},
                             index=pd.Index(self.thresholds, name="threshold"))
        return frame

    def best(self, metric: str = "oa") -> float:
        """Threshold maximising ``metric`` (the lowest one on ties; NaN if no pixels)."""
        values = self.table()[metric].to_numpy()
        if np.all(np.isnan(values)):
            return float("nan")
        return float(self.thresholds[int(np.nanargmax(values))])


def scene_record(matrix: np.ndarray | ConfusionAccumulator, positive: int | Sequence[int] = 1,
                 class_names: Sequence[str] | None = None, **keys) -> dict:
    """One results-table row: ``keys`` (dataset, biome, model, method, scene_id, …),
    pixel counts, cloud scores and, for more than two classes, multi-class OA and per-class
    precision/recall/F1 (``precision_<class>``, …).  The matrix is kept as ``cm_<r>_<p>``
    columns so :func:`summarize` can pool scenes.
    """
    if isinstance(matrix, ConfusionAccumulator):
        matrix = matrix.matrix
    matrix = np.asarray(matrix, np.int64)
    counts = _binary_counts(matrix, positive)
    record = {**keys, "n_pixels": int(matrix.sum()), **counts, **binary_scores(**counts)}
    if matrix.shape[0] > 2:
        record["oa_multi"] = float(_div(np.trace(matrix), matrix.sum()))
        per_class = class_scores(matrix, class_names)
        for name, row in per_class.iterrows():
            record.update({f"{m}_{name}": float(row[m]) for m in ("precision", "recall", "f1")})
    record.update({f"cm_{r}_{p}": int(v) for (r, p), v in np.ndenumerate(matrix)})
    return record


def results_table(records: Iterable[Mapping]) -> pd.DataFrame:
    """Per-scene records (from :func:`scene_record`) as a DataFrame, key columns first."""
    frame = pd.DataFrame(list(records))
    first = [k for k in _KEYS if k in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def summarize(table: pd.DataFrame, by: Sequence[str] = ("dataset", "model", "method"),
              n_boot: int = 1000, seed: int = 0, confidence: float = 0.95,
              class_names: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per group of scenes: pixel-pooled and scene-mean scores with bootstrap CIs.

    ``pooled_<m>`` scores the summed counts; ``mean_<m>`` averages per-scene scores,
    skipping scenes where the score is NaN (e.g. F1 of a scene cloud-free in reference
    and prediction).  ``mean_cad`` is the mean signed CAD, ``mean_abs_cad`` the mean |CAD|.
    ``<col>_lo``/``<col>_hi`` bound a percentile bootstrap interval at ``confidence`` from
    ``n_boot`` resamplings of the group's scenes (seeded per group by ``seed``: the same
    inputs give the same intervals).  Groups of more than two classes also get
    ``pooled_oa_multi``, ``mean_oa_multi`` and ``pooled_f1_<class>`` from the summed
    ``cm_*`` columns (classes named by ``class_names``, else by index).  Only the ``by``
    columns present in the table are used (e.g. ``("dataset", "biome", "model", "method")``).
    """
    by = [b for b in by if b in table.columns]
    missing = [c for c in _COUNTS if c not in table.columns]
    if missing:
        raise InputError(f"results table lacks columns {missing}; build it with scene_record")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must lie between 0 and 1, not {confidence}")
    if int(n_boot) != n_boot or n_boot < 1:
        raise InputError(f"n_boot {n_boot} must be a positive number of resamplings")
    groups = table.groupby(by, sort=True, dropna=False) if by else [((), table)]
    rows = []
    for key, group in groups:
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        rows.append({**row, **_summarize_group(group, n_boot, seed, confidence, class_names)})
    return pd.DataFrame(rows)


def _summarize_group(group: pd.DataFrame, n_boot: int, seed: int, confidence: float,
                     class_names: Sequence[str] | None) -> dict:
    counts = group[list(_COUNTS)].to_numpy(float)
    per_scene = binary_scores(*counts.T)
    per_scene["abs_cad"] = np.abs(per_scene["cad"])
    out: dict = {"n_scenes": len(group), "n_pixels": int(counts.sum())}
    pooled = binary_scores(*counts.sum(axis=0))
    out.update({f"pooled_{m}": pooled[m] for m in BINARY_METRICS})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an all-NaN slice
        out.update({f"mean_{m}": float(np.nanmean(per_scene[m]))
                    for m in (*BINARY_METRICS, "abs_cad")})
        idx = np.random.default_rng(seed).integers(0, len(group), (n_boot, len(group)))
        boot_pooled = binary_scores(*counts[idx].sum(axis=1).T)
        tail = 50 * (1 - confidence)
        for m in _CI_METRICS:
            out[f"pooled_{m}_lo"], out[f"pooled_{m}_hi"] = _interval(boot_pooled[m], tail)
        for m in (*_CI_METRICS, "abs_cad"):
            boot_mean = np.nanmean(per_scene[m][idx], axis=1)
            out[f"mean_{m}_lo"], out[f"mean_{m}_hi"] = _interval(boot_mean, tail)
    cm_cols = sorted((c for c in group.columns if c.startswith("cm_")),
                     key=lambda c: tuple(int(x) for x in c.split("_")[1:]))
    n = int(round(len(cm_cols) ** 0.5))
    if n > 2 and group[cm_cols].notna().all(axis=None):
        matrix = group[cm_cols].to_numpy(np.int64).sum(axis=0).reshape(n, n)
        out["pooled_oa_multi"] = float(_div(np.trace(matrix), matrix.sum()))
        out["mean_oa_multi"] = float(group["oa_multi"].mean())
        f1 = class_scores(matrix, class_names)["f1"]
        out.update({f"pooled_f1_{name}": float(v) for name, v in f1.items()})
    return out


def _interval(samples: np.ndarray, tail: float) -> tuple[float, float]:
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return float(lo), float(hi)

