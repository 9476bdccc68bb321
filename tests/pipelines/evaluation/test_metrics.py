"""Cloud-mask metrics against hand-computed confusion matrices and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from crossmask.classes import get_scheme
from crossmask.errors import InputError
from crossmask.pipelines.evaluation.metrics import (
    THRESHOLDS,
    ConfusionAccumulator,
    ThresholdAccumulator,
    binary_scores,
    class_scores,
    confusion_matrix,
    results_table,
    scene_record,
    summarize,
)

IGN = 255


def _labels(tp: int, fp: int, fn: int, tn: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference / prediction pixel arrays (1 cloud, 0 clear) with the given counts."""
    ref = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn, np.uint8)
    pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn, np.uint8)
    return ref, pred


def test_confusion_matrix_by_hand_skips_fill_in_either_array():
    ref = np.array([[0, 1, 2, IGN], [1, 1, 0, 2]], np.uint8)
    pred = np.array([[0, 1, 1, 0], [1, 0, IGN, 2]], np.uint8)
    expected = np.array([[1, 0, 0],     # ref clear: (0,0) → clear
                         [1, 2, 0],     # ref cloud: two right, one as clear
                         [0, 1, 1]])    # ref shadow: one as cloud, one right
    np.testing.assert_array_equal(confusion_matrix(ref, pred, 3), expected)
    assert confusion_matrix(ref, pred, 3).sum() == 6  # the two fill pixels never count


def test_confusion_matrix_rejects_bad_codes_and_shapes():
    with pytest.raises(InputError, match="class 5"):
        confusion_matrix(np.array([0, 5]), np.array([0, 1]), 2)
    with pytest.raises(InputError, match="shape|is"):
        confusion_matrix(np.zeros(3, int), np.zeros(4, int), 2)
    with pytest.raises(InputError, match="integer"):
        confusion_matrix(np.zeros(3, float), np.zeros(3, int), 2)


def test_binary_scores_by_hand_and_against_sklearn():
    tp, fp, fn, tn = 3, 1, 2, 4
    got = binary_scores(tp, fp, fn, tn)
    assert got["oa"] == pytest.approx(0.7)
    assert got["precision"] == pytest.approx(0.75)
    assert got["recall"] == pytest.approx(0.6)
    assert got["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert got["iou"] == pytest.approx(0.5)
    # p_o = 0.7, p_e = (4·5 + 6·5) / 100 = 0.5 → κ = 0.2 / 0.5
    assert got["kappa"] == pytest.approx(0.4)
    assert got["balanced_accuracy"] == pytest.approx((0.6 + 0.8) / 2)
    assert (got["ref_cloud_pct"], got["pred_cloud_pct"]) == pytest.approx((50.0, 40.0))
    assert got["cad"] == pytest.approx(-10.0)
    ref, pred = _labels(tp, fp, fn, tn)
    assert got["kappa"] == pytest.approx(skm.cohen_kappa_score(ref, pred))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(ref, pred))
    assert got["iou"] == pytest.approx(skm.jaccard_score(ref, pred))
    assert got["f1"] == pytest.approx(skm.f1_score(ref, pred))


def test_cad_is_positive_when_the_mask_over_detects_cloud():
    acc = ConfusionAccumulator().update(np.array([0, 0, 0, 1]), np.array([1, 1, 0, 1]))
    assert acc.scores()["cad"] == pytest.approx(75.0 - 25.0)
    acc = ConfusionAccumulator().update(np.array([1, 1, 1, 0]), np.array([0, 0, 1, 0]))
    assert acc.scores()["cad"] == pytest.approx(25.0 - 75.0)


@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn on one-class inputs
def test_empty_classes_give_nan_only_where_documented():
    nothing_predicted = binary_scores(0, 0, 5, 5)
    assert math.isnan(nothing_predicted["precision"])
    assert nothing_predicted["recall"] == 0 and nothing_predicted["f1"] == 0
    assert nothing_predicted["iou"] == 0 and nothing_predicted["kappa"] == 0
    cloud_free = binary_scores(0, 2, 0, 8)  # no reference cloud
    assert math.isnan(cloud_free["recall"]) and cloud_free["precision"] == 0
    assert cloud_free["f1"] == 0 and cloud_free["oa"] == pytest.approx(0.8)
    # balanced accuracy averages the classes present in the reference, as scikit-learn
    ref, pred = _labels(0, 2, 0, 8)
    expected = skm.balanced_accuracy_score(ref, pred)
    assert cloud_free["balanced_accuracy"] == pytest.approx(expected) == pytest.approx(0.8)
    all_clear = binary_scores(0, 0, 0, 10)
    for key in ("precision", "recall", "f1", "iou", "kappa"):
        assert math.isnan(all_clear[key]), key
    assert all_clear["oa"] == 1 and all_clear["cad"] == 0
    assert math.isnan(skm.cohen_kappa_score(*_labels(0, 0, 0, 10)))
    empty = ConfusionAccumulator().update(np.full(4, IGN), np.array([0, 1, 0, 1]))
    assert all(math.isnan(v) for v in empty.scores().values())


def test_binary_scores_vectorise_like_scalars():
    counts = np.array([[3, 1, 2, 4], [0, 0, 0, 10], [5, 0, 0, 0]])
    vector = binary_scores(*counts.T)
    for i, row in enumerate(counts):
        scalar = binary_scores(*row)
        for key, value in scalar.items():
            np.testing.assert_equal(vector[key][i], value, err_msg=key)


def test_multiclass_scores_against_sklearn():
    rng = np.random.default_rng(1)
    ref, pred = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    pred[ref == 2] = 2  # shadow always right, so per-class values differ
    matrix = confusion_matrix(ref, pred, 3)
    np.testing.assert_array_equal(matrix, skm.confusion_matrix(ref, pred, labels=[0, 1, 2]))
    table = class_scores(matrix, ["clear", "cloud", "shadow"])
    p, r, f, support = skm.precision_recall_fscore_support(ref, pred, labels=[0, 1, 2])
    np.testing.assert_allclose(table["precision"], p)
    np.testing.assert_allclose(table["recall"], r)
    np.testing.assert_allclose(table["f1"], f)
    np.testing.assert_array_equal(table["reference"], support)
    record = scene_record(matrix, positive=get_scheme("three").cloud_indices,
                          class_names=["clear", "cloud", "shadow"])
    assert record["oa_multi"] == pytest.approx(skm.accuracy_score(ref, pred))
    assert record["recall_shadow"] == 1.0
    # binary cloud-vs-rest view of the three-class matrix
    assert record["tp"] == matrix[1, 1] and record["fn"] == matrix[1, [0, 2]].sum()
    assert record["fp"] == matrix[[0, 2], 1].sum()


def test_class_never_predicted_has_nan_precision():
    table = class_scores(np.array([[5, 0], [3, 0]]))
    assert math.isnan(table["precision"].iloc[1]) and table["recall"].iloc[1] == 0
    assert table["f1"].iloc[1] == 0


def test_four_class_positive_pools_thin_and_thick():
    ref = np.array([0, 1, 2, 3, 1])
    pred = np.array([0, 2, 1, 3, 0])
    scores = ConfusionAccumulator(4).update(ref, pred).scores(positive=(1, 2))
    assert scores["recall"] == pytest.approx(2 / 3)  # thin↔thick swaps still count as cloud
    assert scores["precision"] == 1.0


def test_accumulator_windows_and_merge_equal_the_whole():
    rng = np.random.default_rng(2)
    ref, pred = rng.integers(0, 3, (40, 30)), rng.integers(0, 3, (40, 30))
    ref[rng.random(ref.shape) < 0.1] = IGN
    whole = ConfusionAccumulator(3).update(ref, pred).matrix
    top = ConfusionAccumulator(3).update(ref[:17], pred[:17])
    bottom = ConfusionAccumulator(3).update(ref[17:], pred[17:])
    np.testing.assert_array_equal(top.merge(bottom).matrix, whole)
    with pytest.raises(InputError, match="merge"):
        ConfusionAccumulator(2).merge(ConfusionAccumulator(3))


def test_pooled_and_scene_mean_differ_as_computed_by_hand():
    records = [scene_record(np.array([[0, 0], [10, 90]]), dataset="d", scene_id="a"),
               scene_record(np.array([[70, 20], [0, 10]]), dataset="d", scene_id="b")]
    table = results_table(records)
    assert list(table.columns[:2]) == ["dataset", "scene_id"]
    assert list(table["cad"]) == pytest.approx([-10.0, 20.0])
    row = summarize(table, by=["dataset"], n_boot=20).iloc[0]
    assert row["n_scenes"] == 2 and row["n_pixels"] == 200
    assert row["pooled_recall"] == pytest.approx(100 / 110)
    assert row["mean_recall"] == pytest.approx((0.9 + 1.0) / 2)
    assert row["pooled_precision"] == pytest.approx(100 / 120)
    assert row["mean_precision"] == pytest.approx((1.0 + 10 / 30) / 2)
    assert row["mean_cad"] == pytest.approx(5.0)
    assert row["mean_abs_cad"] == pytest.approx(15.0)
    # scene a has no clear reference pixel: its specificity is undefined, not 0
    assert row["mean_balanced_accuracy"] == pytest.approx((0.9 + (1 + 70 / 90) / 2) / 2)


def test_scene_mean_skips_scenes_where_a_score_is_undefined():
    records = [scene_record(np.array([[10, 0], [0, 0]])),       # cloud-free, F1 NaN
               scene_record(np.array([[5, 5], [0, 10]]))]       # F1 = 20 / 25
    row = summarize(results_table(records), by=[], n_boot=10).iloc[0]
    assert row["mean_f1"] == pytest.approx(0.8)
    assert row["pooled_f1"] == pytest.approx(0.8)


@pytest.fixture
def many_scenes() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    records = []
    for model in ("a", "b"):
        for i in range(25):
            ref = (rng.random(400) < rng.uniform(0.1, 0.7)).astype(np.uint8)
            flip = rng.random(400) < (0.1 if model == "a" else 0.25)
            pred = np.where(flip, 1 - ref, ref)
            records.append(scene_record(confusion_matrix(ref, pred), model=model,
                                        scene_id=f"s{i}"))
    return results_table(records)


def test_bootstrap_intervals_contain_the_estimate_and_are_seeded(many_scenes):
    first = summarize(many_scenes, by=["model"], n_boot=200, seed=5)
    again = summarize(many_scenes, by=["model"], n_boot=200, seed=5)
    other = summarize(many_scenes, by=["model"], n_boot=200, seed=6)
    pd.testing.assert_frame_equal(first, again)
    assert not first["pooled_oa_lo"].equals(other["pooled_oa_lo"])
    assert list(first["model"]) == ["a", "b"]
    for _, row in first.iterrows():
        for col in ("pooled_oa", "mean_oa", "pooled_f1", "mean_cad", "mean_abs_cad",
                    "pooled_kappa"):
            assert row[f"{col}_lo"] <= row[col] <= row[f"{col}_hi"], col
            assert row[f"{col}_lo"] < row[f"{col}_hi"], col
    assert first.loc[0, "pooled_oa"] > first.loc[1, "pooled_oa"]  # model a flips fewer pixels
    wider = summarize(many_scenes, by=["model"], n_boot=200, seed=5, confidence=0.99)
    assert (wider["pooled_oa_lo"] <= first["pooled_oa_lo"]).all()
    with pytest.raises(InputError, match="confidence"):
        summarize(many_scenes, confidence=95)


def test_summary_of_three_class_tables_pools_the_matrices():
    names = ["clear", "cloud", "shadow"]
    m1 = np.array([[5, 1, 0], [0, 4, 0], [1, 0, 3]])
    m2 = np.array([[2, 0, 0], [1, 1, 0], [0, 0, 6]])
    table = results_table([scene_record(m, class_names=names, method=k)
                           for m, k in ((m1, "x"), (m2, "x"))])
    row = summarize(table, by=["method"], n_boot=10, class_names=names).iloc[0]
    pooled = m1 + m2
    assert row["pooled_oa_multi"] == pytest.approx(np.trace(pooled) / pooled.sum())
    assert row["pooled_f1_shadow"] == pytest.approx(2 * 9 / (10 + 9))
    assert row["mean_oa_multi"] == pytest.approx((12 / 14 + 9 / 10) / 2)


def _brute_force(ref: np.ndarray, prob: np.ndarray, t: float) -> dict[str, int]:
    keep = (ref != IGN) & ~np.isnan(prob)
    cloud, called = ref[keep] == 1, prob[keep] >= float(t)  # as a user thresholds a mask
    return {"tp": int((cloud & called).sum()), "fp": int((~cloud & called).sum()),
            "fn": int((cloud & ~called).sum()), "tn": int((~cloud & ~called).sum())}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_sweep_equals_brute_force_thresholding(dtype):
    rng = np.random.default_rng(4)
    ref = (rng.random((60, 50)) < 0.4).astype(np.uint8)
    prob = np.clip(ref * 0.5 + rng.normal(0.25, 0.2, ref.shape), 0, 1).astype(dtype)
    prob.flat[:19] = THRESHOLDS  # probabilities exactly on the thresholds: p ≥ t is cloud
    prob[5, :7] = np.nan
    ref[6, :9] = IGN
    acc = ThresholdAccumulator()
    for rows in (slice(0, 13), slice(13, 40), slice(40, 60)):  # window by window
        acc.merge(ThresholdAccumulator().update(ref[rows], prob[rows]))
    table = acc.table()
    assert list(table.index) == pytest.approx(list(np.arange(0.05, 0.951, 0.05)))
    for t, row in table.iterrows():
        counts = _brute_force(ref, prob, t)
        assert {k: row[k] for k in counts} == counts, t
        expected = binary_scores(**counts)
        for key in ("oa", "f1", "cad"):
            assert row[key] == pytest.approx(expected[key]), (t, key)
    best = max(THRESHOLDS, key=lambda t: (binary_scores(**_brute_force(ref, prob, t))["oa"], -t))
    assert acc.best("oa") == pytest.approx(best)


def test_threshold_sweep_checks_its_inputs():
    with pytest.raises(InputError, match="outside 0–1"):
        ThresholdAccumulator().update(np.array([0, 1]), np.array([0.5, 1.5]))
    with pytest.raises(InputError, match="increasing"):
        ThresholdAccumulator([0.5, 0.2])
    with pytest.raises(InputError, match="different thresholds"):
        ThresholdAccumulator().merge(ThresholdAccumulator([0.5]))
    assert math.isnan(ThresholdAccumulator().best())
