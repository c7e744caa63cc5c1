"""Root conftest: what every pytest run here should say up front (which lab, which cloud config)."""

from __future__ import annotations

import os
from pathlib import Path

LAB_HOME = Path(os.environ.get("FUEL_LAB_HOME", Path.home() / ".local" / "share" / "fuel-dualhv-lab"))


def pytest_report_header(config) -> list[str]:
    cfg = os.environ.get("FUEL_HEALTH_CONFIG") or str(LAB_HOME / "fuel-health.yaml")
    return [f"fuel-dualhv-ostf: local lab home {LAB_HOME}", f"fuel-dualhv-ostf: cluster config {cfg}"]
