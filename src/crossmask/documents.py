"""Versioned JSON documents (band adjustments, model cards, splits): one header check."""

from __future__ import annotations

from collections.abc import Mapping

from crossmask.errors import ProductFormatError

__all__ = ["check_header"]


def check_header(doc: object, fmt: str, version: int, origin: str, what: str) -> None:
    """Raise :class:`ProductFormatError` unless ``doc`` is a ``fmt`` document of ``version``.

    ``what`` names the document for the message (e.g. ``"model card"``).
    """
    if not isinstance(doc, Mapping) or doc.get("format") != fmt:
        raise ProductFormatError(f'{origin}: not a crossmask {what} ("format": "{fmt}")')
    if doc.get("version") != version:
        raise ProductFormatError(
            f"{origin}: {what} version {doc.get('version')!r} comes from another crossmask "
            f"version (this one reads version {version})")
