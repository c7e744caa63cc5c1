"""Where the lab keeps its venv, builds, state, configs, logs and pids ($FUEL_LAB_HOME)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DEFAULT_HOME = Path.home() / ".local" / "share" / "fuel-dualhv-lab"
HERE = Path(__file__).resolve().parent


def open_private(path: Path, mode: str = "a") -> IO[Any]:
    """Open a log for appending, 0600 whether it is new or not (logs can carry a URL or a traceback with a secret).

    O_CREAT's mode only applies to a new file: a log left by an older lab keeps its mode, so fchmod it too.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, mode)


def make_private_dir(path: Path) -> None:
    """Create a folder 0700, and tighten it if an older lab made it with another mode."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


@dataclass(frozen=True)
class LabPaths:
    home: Path

    @classmethod
    def from_env(cls) -> LabPaths:
        return cls(Path(os.environ.get("FUEL_LAB_HOME", DEFAULT_HOME)).resolve())

    venv = property(lambda self: self.home / "venv")
    python = property(lambda self: self.home / "venv" / "bin" / "python")
    bin = property(lambda self: self.home / "venv" / "bin")
    vcsim_build = property(lambda self: self.home / "vcsim")
    wsdl = property(lambda self: self.home / "wsdl")
    nodes = property(lambda self: self.home / "nodes")
    data = property(lambda self: self.home / "data")
    logs = property(lambda self: self.home / "logs")
    run = property(lambda self: self.home / "run")
    state = property(lambda self: self.home / "state.yaml")
    secrets = property(lambda self: self.home / "secrets.yaml")
    clouds_yaml = property(lambda self: self.home / "clouds.yaml")
    suite_config = property(lambda self: self.home / "fuel-health.yaml")
    inside = property(lambda self: HERE / "inside")

    def node_root(self, node: str) -> Path:
        """A node's filesystem root: its configs are at <root>/etc/<project>/..., as on a real node."""
        return self.nodes / node

    def node_etc(self, node: str) -> Path:
        return self.nodes / node / "etc"

    def node_state(self, node: str) -> Path:
        return self.data / node
