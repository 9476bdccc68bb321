"""Check a written report page: every ``<img src>`` and ``<a href>`` resolves to a file,
and (with Chromium installed) the page renders in a real browser.

As a script::

    python -m crossmask.pipelines.reporting.check REPORT/report.html [--screenshot page.png]

prints the references that do not resolve (exit status 1 if any) and, with
``--screenshot``, renders the page headless with Chromium (``chromium`` on the PATH, e.g.
Debian's ``apt-get install chromium``) into a PNG to look at.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crossmask.errors import InputError

__all__ = ["broken_references", "page_references", "screenshot"]

#: Chromium flags for a one-shot, offline, headless render (root-safe).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        wanted = {"img": "src", "a": "href", "link": "href", "script": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.found.append((tag, value))


def page_references(page: Path) -> list[tuple[str, str]]:
    """(tag, reference) of every ``img src``, ``a href``, ``link href`` and ``script src``."""
    parser = _References()
    parser.feed(Path(page).read_text(encoding="utf-8"))
    return parser.found


def broken_references(page: str | Path) -> list[str]:
    """The page's local references that do not resolve to an existing file (external
    ``http(s):``/``mailto:`` links and in-page ``#anchors`` are not checked)."""
    page = Path(page)
    broken = []
    for tag, ref in page_references(page):
        parts = urlsplit(ref)
        if parts.scheme in ("http", "https", "mailto", "data") or not parts.path:
            continue
        target = (Path(unquote(parts.path)) if parts.scheme == "file"
                  else page.parent / unquote(parts.path))
        if not target.is_file():
            broken.append(f"<{tag}> {ref}")
    return broken


def screenshot(page: str | Path, png: str | Path, width: int = 1280, height: int = 3000,
               chromium: str | None = None, timeout: float = 120) -> Path:
    """Render ``page`` headless with Chromium into ``png`` and return its path.

    Raises
    ------
    InputError
        If no Chromium is found or it writes no image (its output is quoted).
    """
    browser = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise InputError("no chromium on the PATH: install it (apt-get install chromium) "
                         "or pass chromium=")
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="crossmask-chromium-") as profile:
        run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                              f"--screenshot={png}", f"--window-size={width},{height}",
                              Path(page).resolve().as_uri()],
                             capture_output=True, text=True, timeout=timeout, check=False)
    if not png.is_file():
        raise InputError(f"{browser} wrote no screenshot of {page} (exit {run.returncode}): "
                         f"{run.stderr.strip()[-500:]}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path, help="write a Chromium screenshot here")
    args = parser.parse_args(argv)
    broken = broken_references(args.page)
    for ref in broken:
        print(f"does not resolve: {ref}")
    if args.screenshot:
        print(f"wrote {screenshot(args.page, args.screenshot)}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
