"""Helpers of the security tests (a module of its own: `conftest` names clash across test folders)."""

from __future__ import annotations

import sys
from pathlib import Path

FUEL_HEALTH = str(Path(sys.executable).with_name("fuel-health"))
