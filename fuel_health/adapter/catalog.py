"""The test catalogue: `ostf.discover()` run in a fresh subprocess whenever the test files change.

A subprocess, not an import in the server: a changed, added or removed module is seen as pytest will see
it, with no stale module left behind. Between changes the catalogue is cached; checking for a change is
one stat per file (see benchmarks/adapter_latency.py for both figures).

    python -m fuel_health.adapter.catalog PACKAGE   # prints the package's tests as JSON (used below)
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fuel_health.pytest_plugin import ostf

DISCOVERY_TIMEOUT = 120.0


class CatalogError(RuntimeError):
    """Discovery failed (a test module does not import...): one line."""


@dataclass(frozen=True)
class Entry:
    """A test of the catalogue: its metadata and the pytest node id that selects it."""

    meta: ostf.TestMeta
    nodeid: str

    @property
    def description(self) -> str:
        """Return the OSTF description: the docstring, the numbered scenario (the UI highlights step N)."""
        meta = self.meta
        lines = [meta.description, ""] if meta.description else []
        lines += ["Scenario:", *(f"  {n}. {title}" for n, title in enumerate(meta.steps, 1))]
        if meta.duration:
            lines.append(f"Duration: {meta.duration}")
        if meta.tags:
            lines.append(f"Deployment tags: {meta.tags}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Catalog:
    """Every test found, in OSTF order, and how long discovery took."""

    entries: tuple[Entry, ...]
    seconds: float
    by_id: dict[str, Entry] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_id.update({e.meta.id: e for e in self.entries})


def package_of(tests_dir: Path) -> tuple[str, Path]:
    """Return the dotted package name of a test directory and the sys.path entry it imports from."""
    tests_dir = tests_dir.resolve()
    parts, root = [tests_dir.name], tests_dir.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts), root


def fingerprint(tests_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Return (path, mtime, size) of every .py file under the directory: a change means rediscover."""
    found = []
    for dirpath, dirnames, filenames in os.walk(tests_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                with contextlib.suppress(OSError):
                    st = os.stat(os.path.join(dirpath, name))
                    found.append((os.path.join(dirpath, name), st.st_mtime_ns, st.st_size))
    return tuple(found)


class CatalogSource:
    """Hands out the current catalogue of a test directory, rediscovering only after a change."""

    def __init__(self, tests_dir: Path, python: str = sys.executable) -> None:
        self.tests_dir = tests_dir.resolve()
        self.package, self.root = package_of(self.tests_dir)
        self.python = python
        self._lock = threading.Lock()
        self._cached: tuple[Any, Catalog] | None = None

    def env(self) -> dict[str, str]:
        """Return the environment for a subprocess that imports the test package (pytest too)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.root), env.get("PYTHONPATH", "")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the checkout clean of __pycache__ from the server
        return env

    def get(self) -> Catalog:
        """Return the catalogue; rediscover if any test file changed since the last call."""
        with self._lock:
            fp = fingerprint(self.tests_dir)
            if self._cached is None or self._cached[0] != fp:
                self._cached = (fp, self._discover())
            return self._cached[1]

    def _discover(self) -> Catalog:
        start = time.monotonic()
        try:
            res = subprocess.run([self.python, "-m", "fuel_health.adapter.catalog", self.package],
                                 capture_output=True, text=True, cwd=self.root, env=self.env(),
                                 timeout=DISCOVERY_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CatalogError(f"discovery of {self.package} took over {DISCOVERY_TIMEOUT:.0f} s") from None
        if res.returncode != 0:
            lines = [line for line in res.stderr.splitlines() if line.strip()]
            raise CatalogError(lines[-1] if lines else f"discovery of {self.package} exited {res.returncode}")
        entries = tuple(Entry(meta=ostf.TestMeta(**{**d["meta"], "steps": tuple(d["meta"]["steps"])}),
                              nodeid=d["nodeid"]) for d in json.loads(res.stdout))
        return Catalog(entries=entries, seconds=time.monotonic() - start)


def _nodeid(meta: ostf.TestMeta) -> str:
    # The module is the longest prefix of the id that was imported; the rest is Class.function.
    parts = meta.id.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None and getattr(module, "__file__", None):
            return "::".join([str(Path(module.__file__).resolve()), *parts[i:]])
    raise CatalogError(f"{meta.id}: cannot tell its module")


def main(argv: list[str]) -> int:
    """Print the tests of a package as JSON: [{"meta": {...}, "nodeid": "..."}]."""
    package = argv[0] if argv else "fuel_health.tests"
    real_stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # a test module that prints must not spoil the JSON
            metas = ostf.discover(package)
            found = [{"meta": asdict(m), "nodeid": _nodeid(m)} for m in metas]
    except (ostf.DiscoveryError, ostf.OstfMetadataError, CatalogError) as exc:
        print(" ".join(str(exc).split()), file=sys.stderr)
        return 1
    json.dump(found, real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
