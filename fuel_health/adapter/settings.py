"""The adapter's settings (what `fuel-health serve` was given)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"  # the suite (fuel_health/tests)
DATA_HOME = Path("~/.local/share/fuel-health").expanduser()
DEFAULT_DB = f"sqlite:///{DATA_HOME / 'ostf.sqlite'}"
DEFAULT_PORT = 8777  # fuel-ostf's port


@dataclass(frozen=True)
class Settings:
    """Where the database, the tests, the cluster configs and the run logs are; whether runs execute."""

    db_url: str = DEFAULT_DB
    tests_dir: Path = TESTS_DIR
    cluster_configs: tuple[Path, ...] = ()
    nailgun_url: str | None = None
    nailgun_token: str | None = field(default=None, repr=False)
    log_dir: Path = DATA_HOME / "runs"
    execute: bool = True  # False: runs are recorded and their tests marked skipped (API and UI checks)
    pytest_args: tuple[str, ...] = ()  # extra arguments of every pytest run
    python: str = sys.executable
    shutdown_grace: float = 300.0  # seconds a run gets to clean up when the adapter stops
