"""Statistics of an evaluation's per-scene records: pooled summaries with bootstrap
intervals, paired harmonisation effects, threshold sweeps and pooled confusion matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crossmask.classes import ClassScheme
from crossmask.errors import InputError
from crossmask.harmonize import METHODS, method_label
from crossmask.harmonize.learned import BASE_METHOD, LEARNED
from crossmask.pipelines.evaluation.metrics import ThresholdAccumulator, summarize

__all__ = ["GROUP", "METHOD_ORDER", "check_labelled", "harmonization_effect", "oa_comparisons",
           "pooled_matrix", "summary_table", "sweep_table", "threshold_table"]

#: The columns one summary row stands for.
GROUP = ("dataset", "model", "method")
#: Report order of the method labels: each method, then its "(no saturation fix)" ablation
#: twin ("native": a peer tool on the data as they are).
METHOD_ORDER = {m: i for i, m in enumerate((*(label for m in METHODS for label in
                                         (m, method_label(m, False))), "native"))}
_ADJUSTED = [m for m in METHODS if m != "none"]
#: Ablation label → the method label it is compared with (same method, restoration on).
_ABLATIONS = {method_label(m, False): m for m in METHODS}


def summary_table(results: pd.DataFrame, scheme: ClassScheme, n_boot: int, seed: int,
                  by: tuple[str, ...] = GROUP) -> pd.DataFrame:
    """:func:`~crossmask.pipelines.evaluation.metrics.summarize` per group, plus seconds
    per megapixel of harmonisation and prediction; methods in report order."""
    summary = summarize(results, by=by, n_boot=n_boot, seed=seed,
                        class_names=list(scheme.classes))
    grouped = results.groupby(list(by), sort=True, dropna=False)
    extra = grouped.agg(megapixels=("megapixels", "sum"),
                        harmonize_s=("harmonize_s", "sum"), predict_s=("predict_s", "sum"))
    extra["harmonize_s_per_mpx"] = extra["harmonize_s"] / extra["megapixels"]
    extra["predict_s_per_mpx"] = extra["predict_s"] / extra["megapixels"]
    summary = summary.merge(extra.reset_index(), on=list(by), how="left")
    if "method" in summary.columns:
        keys = [k for k in by if k != "method"]
        summary = summary.assign(_o=summary["method"].map(METHOD_ORDER)).sort_values(
            [*keys, "_o"]).drop(columns="_o").reset_index(drop=True)
    return summary


def harmonization_effect(results: pd.DataFrame, n_boot: int = 1000,
                         seed: int = 0) -> pd.DataFrame:
    """Per dataset, model and method: mean per-scene ΔOA and Δ|CAD| against ``none``; and
    per method scored without saturation restoration too, the restoration's own effect
    (row ``"<method> vs <method> (no saturation fix)"``, ``baseline`` the ablation label);
    ``learned`` also against the ``ols`` result it refines (row ``"learned vs ols"``).

    Differences are paired by scene (same scenes, same model); the 95 % interval comes
    from ``n_boot`` bootstrap resamplings of the scenes.  ``verdict`` says whether the
    method gives higher OA and smaller |CAD| than its baseline beyond that interval.
    """
    rows = []
    for (dataset, model), group in results.groupby(["dataset", "model"], sort=True):
        labels = set(group.method)
        pairs = [(m, "none", m) for m in _ADJUSTED if m in labels and "none" in labels]
        pairs += [(on, off, f"{on} vs {off}") for off, on in _ABLATIONS.items()
                  if on in labels and off in labels]
        if {LEARNED, BASE_METHOD} <= labels:
            pairs.append((LEARNED, BASE_METHOD, f"{LEARNED} vs {BASE_METHOD}"))
        for method, baseline, name in pairs:
            base = group[group.method == baseline].set_index("scene_id")
            other = group[group.method == method].set_index("scene_id")
            other = other.loc[base.index.intersection(other.index)]
            if other.empty:
                continue
            d_oa = 100 * (other["oa"] - base.loc[other.index, "oa"]).to_numpy()
            d_cad = (other["cad"].abs() - base.loc[other.index, "cad"].abs()).to_numpy()
            oa_ci, cad_ci = _paired_ci(d_oa, n_boot, seed), _paired_ci(d_cad, n_boot, seed)
            rows.append({"dataset": dataset, "model": model, "method": name,
                         "baseline": baseline, "scenes": len(d_oa),
                         "dOA pp": round(float(d_oa.mean()), 3),
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


def check_labelled(results: pd.DataFrame) -> None:
    """Raise InputError naming every dataset whose scenes hold no labelled pixel."""
    pixels = results.groupby("dataset")["n_pixels"].sum()
    empty = sorted(pixels[pixels == 0].index)
    if empty:
        raise InputError(f"dataset {', '.join(map(repr, empty))} has no labelled pixels (all "
                         "fill, or codes mapped to fill); check its [codes] table")


def sweep_table(counts: np.ndarray) -> pd.DataFrame:
    """The threshold table of one pooled :class:`ThresholdAccumulator` histogram."""
    acc = ThresholdAccumulator()
    acc.counts = np.asarray(counts)
    return acc.table()


def threshold_table(sweeps: dict) -> pd.DataFrame:
    """Every (dataset, model, method) sweep as one long table (empty sweeps left out)."""
    frames = [sweep_table(counts).reset_index().assign(**dict(zip(GROUP, key)))
              for key, counts in sorted(sweeps.items()) if np.sum(counts)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def pooled_matrix(results: pd.DataFrame, dataset: str, model: str, method: str,
                  n: int) -> np.ndarray:
    """The n × n confusion matrix summed over a group's scenes."""
    rows = results[(results.dataset == dataset) & (results.model == model)
                   & (results.method == method)]
    return np.array([[rows[f"cm_{r}_{p}"].sum() for p in range(n)] for r in range(n)])


def oa_comparisons(results: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The comparisons a report's conclusion states, per dataset.

    The (model, method) of highest pixel-pooled OA is compared with the runner-up
    (``against`` = ``"runner-up"``); each model's best method, when it harmonises, is
    compared with the same model on unadjusted bands (``"none"``), unless that is the
    runner-up comparison already; the best is also compared with every other peer
    detector (``"peer"``, method ``native``).  ``d_oa`` is the difference of pooled OA in pp (as in
    the summary table); ``d_lo``/``d_hi`` its 95 % interval from ``n_boot`` paired
    bootstrap resamplings of the scenes both were scored on (NaN below two scenes).
    A dataset with a single (model, method) gets one row with ``against`` empty.
    """
    rows = []
    for dataset, data in results.groupby("dataset", sort=True):
        counts = {key: _correct(group) for key, group in data.groupby(["model", "method"])}
        ranked = sorted(counts, key=lambda k: (-_pooled(counts[k]), METHOD_ORDER.get(k[1], 99)))
        best = ranked[0]
        pairs = [("runner-up", best, ranked[1])] if len(ranked) > 1 else []
        for model in dict.fromkeys(m for m, _ in ranked):
            top = next(k for k in ranked if k[0] == model)
            if top[1] != "none" and (model, "none") in counts \
                    and (top, (model, "none")) != (best, ranked[1]):
                pairs.append(("none", top, (model, "none")))
        pairs += [("peer", best, key) for key in ranked[2:] if key[1] == "native"]
        common = {"dataset": dataset, "scenes": int(data["scene_id"].nunique())}
        if not pairs:
            rows.append({**common, **_side(best, counts, ""), "against": ""})
        for against, one, other in pairs:
            rows.append({**common, **_side(one, counts, ""), "against": against,
                         **_side(other, counts, "other_"),
                         **_paired_oa(counts[one], counts[other], n_boot, seed)})
    return pd.DataFrame(rows)


def _correct(group: pd.DataFrame) -> pd.DataFrame:
    """Per scene: correctly classified and labelled pixels (binary cloud / not cloud)."""
    group = group.set_index("scene_id")
    return pd.DataFrame({"correct": group["tp"] + group["tn"],
                         "n": group[["tp", "fp", "fn", "tn"]].sum(axis=1),
                         "abs_cad": group["cad"].abs()})


def _pooled(counts: pd.DataFrame) -> float:
    return float(counts["correct"].sum() / max(counts["n"].sum(), 1))


def _side(key: tuple[str, str], counts: dict, prefix: str) -> dict:
    return {f"{prefix}model": key[0], f"{prefix}method": key[1],
            f"{prefix}oa": round(100 * _pooled(counts[key]), 3),
            f"{prefix}abs_cad": round(float(counts[key]["abs_cad"].mean()), 3)}


def _paired_oa(one: pd.DataFrame, other: pd.DataFrame, n_boot: int, seed: int) -> dict:
    shared = one.index.intersection(other.index)
    a, b = one.loc[shared, ["correct", "n"]].to_numpy(float), \
        other.loc[shared, ["correct", "n"]].to_numpy(float)
    d_oa = 100 * (_pooled(one) - _pooled(other))
    lo = hi = float("nan")
    if len(shared) > 1:
        idx = np.random.default_rng(seed).integers(0, len(shared), (n_boot, len(shared)))
        sa, sb = a[idx].sum(axis=1), b[idx].sum(axis=1)
        diffs = 100 * (sa[:, 0] / np.maximum(sa[:, 1], 1) - sb[:, 0] / np.maximum(sb[:, 1], 1))
        lo, hi = (round(float(v), 3) for v in np.percentile(diffs, [2.5, 97.5]))
    return {"d_oa": round(d_oa, 3), "d_lo": lo, "d_hi": hi, "paired": len(shared)}
