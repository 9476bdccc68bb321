"""The report page: headed sections of HTML fragments and figures, relative links."""

from __future__ import annotations

import html
from pathlib import Path

from crossmask.atomic import atomic_output

__all__ = ["write_html"]


def write_html(path: Path, title: str, sections: list[tuple[str, str]],
               figures: list[Path]) -> Path:
    """``report.html``: headed sections (HTML fragments) and the figures, relative links."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, fragment in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>\n{fragment}")
    if figures:
        parts.append("<h2>Figures</h2>")
        for fig in figures:
            name = html.escape(fig.name)
            parts.append(f'<figure><img src="{html.escape(fig.as_posix())}" alt="{name}">'
                         f"<figcaption>{name}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
             "padding:3px 6px;text-align:right}img{max-width:100%}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(page)
    return path
