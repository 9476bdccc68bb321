"""The report page tells the reader something: a conclusion first, captions in words,
percentages, no NaN, integer scene counts, links to the files, skipped peers shown, and
every image and link resolves (and renders in Chromium when it is installed)."""

import json
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from crossmask.pipelines.reporting.check import broken_references, page_references, screenshot

from .conftest import DISPLAY_NAME, FAKE_PEER

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class _Page(HTMLParser):
    """Headings, figures (src, alt, caption) and tables (rows of cell texts) of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.figures, self.tables = [], [], {}
        self._text, self._heading, self._img, self._in = "", None, None, None
        self._table, self._row = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self._heading, self._text = attrs.get("id", ""), ""
        elif tag == "img":
            self._img = attrs
        elif tag in ("figcaption", "td", "th"):
            self._in, self._text = tag, ""
        elif tag == "table":
            self._table = self.tables.setdefault(self.headings[-1][1], [])
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag == "h2":
            self.headings.append((self._heading, self._text))
        elif tag == "figcaption":
            self.figures.append((self._img["src"], self._img["alt"], self._text))
        elif tag in ("td", "th"):
            self._row.append(self._text)
        elif tag == "tr":
            self._table.append(self._row)

    def handle_data(self, data):
        self._text += data


@pytest.fixture(scope="module")
def page(report_dir):
    parser = _Page()
    parser.feed((report_dir / "report.html").read_text())
    return parser


def _table(page, heading: str) -> pd.DataFrame:
    rows = page.tables[heading]
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_page_opens_with_a_conclusion_in_words(page, report_dir):
    assert page.headings[0] == ("conclusion", "Conclusion")
    html = (report_dir / "report.html").read_text()
    text = re.search(r'<div class="conclusion">(.*?)</div>', html, re.S).group(1)
    assert "ukis like (2 scenes)" in text and "scores the highest OA" in text
    assert "runner-up" in text and "95 % interval" in text
    assert "2 scenes are too few" in text or "not established" in text


def test_no_nan_and_integer_scene_counts(page, report_dir):
    html = (report_dir / "report.html").read_text()
    assert "NaN" not in html and "nan" not in re.sub(r"<[^>]+>", " ", html).split()
    summary = _table(page, "Summary")
    assert set(summary["scenes"]) == {"2"}
    assert pd.read_csv(report_dir / "summary.csv")["scenes"].dtype.kind == "i"
    assert "| 2 |" in (report_dir / "summary.md").read_text()


def test_tables_in_percent(page):
    best = _table(page, "Threshold maximising OA")
    assert {"OA %", "F1 %", "CAD pp", "threshold"} <= set(best.columns)
    assert all(50 < float(v) <= 100 for v in best["OA %"])
    assert all(0 < float(v) < 1 for v in best["threshold"])
    assert list(best["method"]) == ["none", "ols", "multivariate", "hls"]


def test_model_display_name_everywhere(page, report_dir):
    summary = _table(page, "Summary")
    assert set(summary["model"]) == {DISPLAY_NAME}
    assert pd.read_csv(report_dir / "results.csv")["model"].eq(DISPLAY_NAME).all()
    assert DISPLAY_NAME.replace("_", r"\_") in (report_dir / "summary.tex").read_text()
    files = [*(report_dir / "figures").iterdir(), *(report_dir / "records").iterdir()]
    assert all(SAFE_NAME.match(p.name) for p in files), [p.name for p in files]
    assert any(DISPLAY_NAME in caption for _, _, caption in page.figures)


def test_captions_are_words_not_file_names(page):
    assert len(page.figures) >= 6
    for src, alt, caption in page.figures:
        name = src.rsplit("/", 1)[-1]
        assert name not in caption and len(caption.split()) >= 8, caption
        assert alt == caption
    captions = " ".join(c for _, _, c in page.figures)
    assert "bars start at 0 %" in captions and "reference cloud missed" in captions


def test_links_to_every_table_and_run_json(report_dir):
    links = {ref for tag, ref in page_references(report_dir / "report.html") if tag == "a"}
    assert {"summary.csv", "summary.md", "summary.tex", "results.csv", "summary_full.csv",
            "thresholds.csv", "run.json", "harmonization_effect.csv",
            "harmonization_effect.tex"} <= links


def test_skipped_peer_is_shown(page, report_dir):
    skipped = _table(page, "Not scored")
    assert list(skipped["peer"]) == [FAKE_PEER.name]
    assert list(skipped["scenes"]) == ["2"] and "B10" in skipped["reason"][0]
    run = json.loads((report_dir / "run.json").read_text())
    assert any(FAKE_PEER.name in line and "B10" in line for line in run["skipped"])


def test_every_image_and_link_resolves(report_dir):
    references = page_references(report_dir / "report.html")
    assert sum(tag == "img" for tag, _ in references) >= 6
    assert broken_references(report_dir / "report.html") == []


def test_broken_references_are_found(tmp_path):
    (tmp_path / "a b.png").write_bytes(b"x")
    page = tmp_path / "p.html"
    page.write_text('<img src="a%20b.png"><a href="gone.csv">x</a><a href="#top">t</a>'
                    '<a href="https://example.org/">e</a><img src="figures/none.png">')
    assert broken_references(page) == ["<a> gone.csv", "<img> figures/none.png"]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_page_renders_in_chromium(report_dir, tmp_path):
    from PIL import Image

    png = screenshot(report_dir / "report.html", tmp_path / "page.png", height=3000)
    image = np.asarray(Image.open(png).convert("RGB"))
    assert image.shape == (3000, 1280, 3)
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 200  # text, tables and figures, not a blank or error page
    rows_with_ink = np.mean((image < 200).any(axis=(1, 2)))
    assert rows_with_ink > 0.3
