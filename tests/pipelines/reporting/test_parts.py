"""The parts of a report: file stems, HTML tables, the conclusion, bars and quicklooks."""

import numpy as np
import pandas as pd
import pytest

from crossmask.classes import IGNORE, get_scheme
from crossmask.pipelines.evaluation.summary import oa_comparisons
from crossmask.pipelines.reporting import figures
from crossmask.pipelines.reporting.conclusion import conclusion
from crossmask.pipelines.reporting.html import MISSING, format_value, table_html
from crossmask.pipelines.reporting.paths import file_stem
from crossmask.pipelines.reporting.quicklooks import error_map, quicklook


def test_file_stems_are_safe_and_distinct():
    assert file_stem("ipluv6") == "ipluv6"
    names = ["IPL-UV U-Net (L8 Biome)", "IPL-UV_U-Net_L8_Biome", "a/b", "a_b", "a:b", ".."]
    stems = [file_stem(n) for n in names]
    assert len(set(stems)) == len(stems)
    assert all(s.replace("-", "").replace("_", "").replace(".", "").isalnum() for s in stems)
    assert not any(s.startswith(".") for s in stems)


def test_html_tables_read_well():
    table = pd.DataFrame({"model": ["a <b>", "c"], "scenes": [2, 3], "OA %": [96.4321, np.nan]})
    html = table_html(table)
    assert "NaN" not in html and MISSING in html
    assert "<td class=\"num\">2</td>" in html and "96.43" in html and "a &lt;b&gt;" in html
    assert format_value(float("nan")) == MISSING and format_value(np.int64(4)) == "4"
    assert format_value(0.123456, 3) == "0.123"


def _results(oa_by_scene: dict) -> pd.DataFrame:
    """Results rows with given per-scene OA (1000 pixels each, 200 reference cloud)."""
    rows = []
    for (model, method), values in oa_by_scene.items():
        for k, oa in enumerate(values):
            wrong = round(1000 * (1 - oa))
            rows.append({"dataset": "d", "model": model, "method": method,
                         "scene_id": f"s{k}", "tp": 200, "fp": wrong, "fn": 0,
                         "tn": 800 - wrong, "cad": 100 * wrong / 1000})
    return pd.DataFrame(rows)


def test_conclusion_says_when_the_interval_makes_a_difference_real():
    clear = _results({("m", "none"): [0.90, 0.91, 0.92, 0.90, 0.91, 0.93],
                      ("m", "hls"): [0.95, 0.95, 0.96, 0.94, 0.95, 0.97]})
    text = conclusion(oa_comparisons(clear, n_boot=200))[0]
    assert text.startswith("d (6 scenes): m with hls harmonisation scores the highest OA, "
                           "95.33 %")
    assert "4.17 pp above the runner-up, m without harmonisation (91.17 %)" in text
    assert "excludes zero: the difference is real" in text
    mixed = _results({("m", "none"): [0.90, 0.95, 0.90, 0.95, 0.90, 0.95],
                      ("m", "ols"): [0.95, 0.90, 0.95, 0.90, 0.95, 0.91]})
    text = conclusion(oa_comparisons(mixed, n_boot=200))[0]
    assert "includes zero: the difference is not established" in text


def test_conclusion_of_one_scene_and_of_several_models():
    one = _results({("m", "none"): [0.90], ("m", "ols"): [0.92], ("m", "hls"): [0.93],
                    ("peer", "native"): [0.80], ("n", "none"): [0.85], ("n", "ols"): [0.88]})
    table = oa_comparisons(one, n_boot=50)
    assert list(table["against"]) == ["runner-up", "none", "none", "peer"]
    text = conclusion(table)[0]
    assert "d (1 scene): m with hls harmonisation" in text
    assert "Without harmonisation the same model scores 90.00 %, 3.00 pp less" in text
    assert "For n, the best method is ols (88.00 %), 3.00 pp above no harmonisation" in text
    assert "The peer detector peer, on the data's own bands, scores 80.00 %, 13.00 pp less" \
        in text
    assert "single scene there is no interval" in text
    alone = conclusion(oa_comparisons(_results({("m", "none"): [0.9, 0.8]}), n_boot=50))[0]
    assert "only model and method scored" in alone


def test_oa_bars_start_at_zero_with_a_stated_baseline(tmp_path, monkeypatch):
    kept = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: kept.append(fig) or path)
    table = pd.DataFrame({"dataset": "d", "model": ["m", "m", "peer"],
                          "method": ["none", "ols", "native"], "pooled_oa": [0.96, 0.97, 0.9],
                          "mean_abs_cad": [1.0, 0.5, 5.0], "pooled_ref_cloud_pct": 19.0})
    figures.metric_bars(table, "method", tmp_path / "bars.png")
    oa_axes = kept[0].axes[0]
    assert oa_axes.get_ylim() == (0, 100)
    assert [t.get_text() for t in oa_axes.get_xticklabels()] == ["none", "ols", "native"]
    assert [round(b.get_height(), 1) for b in oa_axes.patches] == [96.0, 97.0, 90.0]
    baselines = [seg for c in oa_axes.collections for seg in c.get_segments()]
    assert baselines and all(np.allclose(s[:, 1], 81.0) for s in baselines)
    legend = [t.get_text() for t in kept[0].legends[0].get_texts()]
    assert legend == ["m", "peer", "all-clear mask"]


def test_error_map_names_false_and_missed_cloud():
    reference = np.array([[0, 1, 0, 1, IGNORE, 2]], np.uint8)
    predicted = np.array([[0, 1, 1, 0, 1, 0]], np.uint8)
    assert error_map(reference, predicted, (1,)).tolist() == [[0, 0, 1, 2, 4, 3]]


def test_quicklook_has_legends_and_an_error_panel(tmp_path, monkeypatch):
    kept = []
    monkeypatch.setattr("crossmask.pipelines.reporting.quicklooks._save",
                        lambda fig, path: kept.append(fig) or path)
    scheme = get_scheme("binary")
    rng = np.random.default_rng(0)
    reference = rng.integers(0, 2, (20, 20)).astype(np.uint8)
    predicted = reference.copy()
    predicted[:2] = 1 - predicted[:2]
    quicklook(rng.random((20, 20, 3)), reference, predicted, list(scheme.classes),
              scheme.colormap(), "t", tmp_path / "q.png")
    fig = kept[0]
    assert [ax.get_title() for ax in fig.axes] == ["RGB (2–98 % stretch)", "reference",
                                                    "predicted", "errors"]
    texts = [t.get_text() for ax in fig.axes if ax.get_legend()
             for t in ax.get_legend().get_texts()]
    assert {"clear", "cloud", "agree", "no label / no data"} <= set(texts)
    assert any(t.startswith("false cloud") for t in texts)
    assert any(t.startswith("missed cloud") for t in texts)


@pytest.mark.parametrize("name", ["IPL-UV U-Net (L8 Biome)", "a/b"])
def test_latex_and_markdown_keep_display_names(name, tmp_path):
    from crossmask.pipelines.reporting.tables import write_table

    paths = write_table(pd.DataFrame({"model": [name], "OA %": [96.0]}), tmp_path / "t")
    assert name in paths[0].read_text() and name in paths[1].read_text()
    assert name.replace("_", r"\_") in paths[2].read_text()


def test_runner_up_without_harmonisation_is_stated_once():
    table = oa_comparisons(_results({("m", "none"): [0.90, 0.91], ("m", "hls"): [0.95, 0.95]}),
                           n_boot=50)
    assert list(table["against"]) == ["runner-up"]
    assert conclusion(table)[0].count("without harmonisation") == 1


def test_conclusion_counts_paired_scenes_as_integers():
    """A comparison without a pair (a single-scene dataset beside a many-scene one) makes
    the paired column float; the text still says "4 paired scenes", never "4.0"."""
    many = _results({("m", "none"): [0.90, 0.95, 0.90, 0.95], ("m", "ols"): [0.95, 0.90,
                                                                            0.95, 0.91]})
    one = _results({("m", "none"): [0.90]}).assign(dataset="e")
    table = oa_comparisons(pd.concat([many, one], ignore_index=True), n_boot=50)
    texts = conclusion(table)
    assert any("over 4 paired scenes" in t for t in texts), texts
    assert not any("4.0 paired" in t for t in texts)
