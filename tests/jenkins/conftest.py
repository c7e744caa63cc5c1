"""Fixtures of the Jenkins job tests: the jobs rendered once by `jenkins-jobs test`, the lab lock, a workspace."""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jenkins_sim import Job, default_node_env, render  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOCK = "/tmp/fuel-lab.lock"


@pytest.fixture(scope="session")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Job]:
    """Every job of jenkins/, rendered to XML by jenkins-jobs (the same step as `jenkins-jobs update`)."""
    return render(ROOT / "jenkins", tmp_path_factory.mktemp("jjb-out"), str(VENV_BIN / "jenkins-jobs"))


@pytest.fixture
def node_env() -> dict[str, str]:
    return default_node_env(VENV_BIN)


def _locked(mode: int) -> Iterator[None]:
    # flock(2) on the lab's lock file: what `flock -s` / `flock -x` do (RULES: shared to use, exclusive to change).
    with open(LOCK, "a") as fh:
        fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture
def lab_shared() -> Iterator[None]:
    """The healthy lab, held with a shared lock for the test."""
    yield from _locked(fcntl.LOCK_SH)


@pytest.fixture
def lab_exclusive() -> Iterator[None]:
    """The lab held alone (the test breaks it and must heal it)."""
    yield from _locked(fcntl.LOCK_EX)


@pytest.fixture
def lab_config() -> Path:
    home = Path(os.environ.get("FUEL_LAB_HOME") or Path.home() / ".local/share/fuel-dualhv-lab")
    path = home / "fuel-health.yaml"
    if not path.is_file():
        pytest.fail(f"no lab config at {path}: start the lab (python -m devops_envs.local up)")
    return path
