"""Passwords of the lab, generated once per lab home and kept in a 0600 file beside the state."""

from __future__ import annotations

import os
import secrets as _random
from pathlib import Path

import yaml

NAMES = ("db_password", "rabbit_password", "service_password", "admin_password", "vcenter_password")


def load_or_create(path: Path) -> dict[str, str]:
    """Read the lab's passwords, creating missing ones (random, URL-safe)."""
    values: dict[str, str] = yaml.safe_load(path.read_text()) if path.exists() else {}
    missing = [n for n in NAMES if not values.get(n)]
    if missing:
        for name in missing:
            values[name] = _random.token_urlsafe(12).replace("-", "x").replace("_", "y")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(values, out)
    return values
