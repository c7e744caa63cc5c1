"""The built-in page at / (and /ostf/): Fuel UI's OSTF tab for people without Fuel UI; plain HTML + JS."""

from __future__ import annotations

from importlib import resources


def html() -> str:
    """Return the page (read per request: a small file, and edits show without a restart)."""
    return resources.files("fuel_health.adapter").joinpath("page.html").read_text()
