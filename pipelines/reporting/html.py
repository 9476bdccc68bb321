"""The report page: HTML fragments (sections, tables, figures, links) and the page around
them.  Numbers are formatted for reading: fixed decimals, integers as integers, a dash for
a missing value (never ``NaN``); every reference is a relative, URL-quoted path."""

from __future__ import annotations

import html
import math
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import numpy as np
import pandas as pd

from crossmask.atomic import atomic_output

__all__ = ["MISSING", "contents_html", "figure_html", "format_value", "links_html", "section",
           "table_html", "write_html"]

#: How a missing number (NaN) is shown.
MISSING = "–"

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
 color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
.conclusion{background:#f3f7fb;border-left:4px solid #3b78b8;padding:.6em 1em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px}th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.text{text-align:left}
td.na{text-align:center;color:#888}
figure{margin:1.2em 0}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.92em;color:#444;max-width:60em}
p.note{font-size:.9em;color:#555}p.contents{font-size:.92em}
"""


def format_value(value, decimals: int = 2) -> str:
    """A cell as text: integers plain, floats with ``decimals`` digits, NaN as a dash."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{value:.{decimals}f}"
    return str(value)


def table_html(table: pd.DataFrame, decimals: dict[str, int] | None = None,
               default: int = 2) -> str:
    """An HTML table of ``table``: numbers right-aligned with ``decimals[column]`` (else
    ``default``) digits, integer columns as integers, text escaped, NaN as a dash."""
    decimals = decimals or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for values in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, values):
            text = format_value(value, decimals.get(column, default))
            kind = ("na" if text == MISSING else
                    "num" if isinstance(value, int | float | np.number) else "text")
            cells.append(f'<td class="{kind}">{html.escape(text)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table>")


def figure_html(src: str | PurePosixPath, caption: str) -> str:
    """A figure with its caption in words (the caption is also the image's alt text)."""
    text = html.escape(caption)
    return (f'<figure><img src="{quote(str(src))}" alt="{text}" loading="lazy">'
            f"<figcaption>{text}</figcaption></figure>")


def links_html(files: list[tuple[str, list[str]]]) -> str:
    """A list of (what it holds, relative paths of the files holding it) as links."""
    items = []
    for what, paths in files:
        links = " · ".join(f'<a href="{quote(p)}">{html.escape(p)}</a>' for p in paths)
        items.append(f"<li>{html.escape(what)}: {links}</li>")
    return f"<ul>{''.join(items)}</ul>"


def section(heading: str, body: str, level: int = 2, anchor: str = "") -> str:
    """A heading (escaped, with an ``id`` when ``anchor`` is given) and an HTML fragment."""
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{html.escape(heading)}</h{level}>\n{body}"


def contents_html(entries: list[tuple[str, str]]) -> str:
    """A one-line table of contents: (anchor, heading) pairs as in-page links."""
    links = " · ".join(f'<a href="#{html.escape(a)}">{html.escape(h)}</a>' for a, h in entries)
    return f'<p class="contents">Contents: {links}</p>'


def write_html(path: Path, title: str, blocks: list[str]) -> Path:
    """``report.html``: the title and the HTML fragments ``blocks``, in order."""
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n" + "\n".join(blocks) + "\n</body></html>\n")
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
