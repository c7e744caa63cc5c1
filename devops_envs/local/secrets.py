"""Passwords of the lab, generated once per lab home and kept in a 0600 file beside the state."""

from __future__ import annotations

import hashlib
import hmac
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


def vcenter_password(values: dict[str, str], az_name: str | None = None) -> str:
    """The generated password of a vCenter zone's simulator: the lab's own for the first zone (az_name None),
    derived from it for each further zone, so every vCenter has its own credentials and nothing more is stored."""
    if az_name is None:
        return values["vcenter_password"]
    return hmac.new(values["vcenter_password"].encode(), f"vcenter:{az_name}".encode(),
                    hashlib.sha256).hexdigest()[:24]
