"""Harness of the adapter's tests: `fuel-health serve` for real (uvicorn subprocess, 127.0.0.1, free port)."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

DATA = Path(__file__).parent / "data"
FAKE_SUITE = DATA / "ostf_fake"
FAKE_CLUSTER_ID = 7
FAKE_CONFIG: dict[str, Any] = {
    "cluster": {"id": FAKE_CLUSTER_ID, "name": "fake-kvm", "release": "2026.2", "mode": "multinode",
                "net_provider": "neutron", "libvirt_type": "qemu", "use_vcenter": False,
                "storage": {"volumes_lvm": True, "volumes_vmdk": False, "volumes_ceph": False,
                            "images_vcenter": False}},
    "cloud": {"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "admin", "password": "secret",
                       "project_name": "admin"}},
    "hypervisors": {"kvm": {"zone": "nova"}},
    "nodes": [{"name": "node-1", "roles": ["controller"], "host": "local://"}],
}


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `fuel-health serve` and a small client for it."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    marks: Path
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """Send one request; a str body goes as is (to send malformed JSON)."""
        if isinstance(body, str):
            kw.update(data=body, headers={"Content-Type": "application/json"})
        elif body is not None:
            kw["json"] = body
        return self.session.request(method, self.url + path, timeout=30, **kw)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request that must succeed; return the JSON."""
        resp = self.call(method, path, body)
        assert resp.status_code == 200, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()

    def post_run(self, testset: str, cluster_id: int = FAKE_CLUSTER_ID, tests: list[str] | None = None) -> dict:
        """Start one run; return it."""
        item: dict[str, Any] = {"testset": testset, "metadata": {"cluster_id": cluster_id}}
        if tests is not None:
            item["tests"] = tests
        return self.ok("POST", "/v1/testruns", [item])[0]

    def wait(self, run_id: int, until: Callable[[dict], bool] | None = None, timeout: float = 60) -> dict:
        """Poll the run until `until(run)` (default: finished); return it."""
        until = until or (lambda r: r["status"] == "finished")
        deadline = time.monotonic() + timeout
        while True:
            run = self.ok("GET", f"/v1/testruns/{run_id}")
            if until(run):
                return run
            assert time.monotonic() < deadline, f"run {run_id} after {timeout} s: {statuses(run)}"
            time.sleep(0.2)

    def marks_text(self) -> str:
        """Return what the fake suite marked (created/cleaned)."""
        return self.marks.read_text() if self.marks.exists() else ""

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        """Stop the server (SIGINT: uvicorn shuts down gracefully); return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def statuses(run: dict) -> dict[str, str]:
    """Return {short test name: status} of a run."""
    return {t["id"].rsplit(".", 1)[-1]: t["status"] for t in run["tests"]}


def by_name(run: dict) -> dict[str, dict]:
    """Return {short test name: test} of a run."""
    return {t["id"].rsplit(".", 1)[-1]: t for t in run["tests"]}


@pytest.fixture
def fake_config(tmp_path: Path) -> Path:
    """A KVM-only cluster (id 7) whose keystone is not there: fake tests need no cloud (no preflight)."""
    path = tmp_path / "fake-cluster.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(FAKE_CONFIG)))
    return path


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `fuel-health serve` (defaults: the fake suite, SQLite in tmp_path); stopped at teardown."""
    servers: list[Server] = []

    def start(*, db: str | None = None, configs: tuple[Path, ...] = (), tests_dir: Path | None = FAKE_SUITE,
              args: tuple[str, ...] = (), env: dict[str, str] | None = None, port: int | None = None,
              preflight: bool = False) -> Server:
        port = port or free_port()
        log = tmp_path / f"server-{port}.log"
        marks = tmp_path / "marks.txt"
        argv = [sys.executable, "-m", "fuel_health", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--db", db or f"sqlite:///{tmp_path / 'ostf.sqlite'}", "--log-dir", str(tmp_path / "runs")]
        argv += [a for c in configs for a in ("--cluster-config", str(c))]
        if tests_dir is not None:
            argv += ["--tests-dir", str(tests_dir), *(() if preflight else ("--pytest-arg=--no-preflight",))]
        full_env = {**os.environ, "FAKE_MARKS": str(marks), "PYTHONUNBUFFERED": "1", **(env or {})}
        with log.open("ab") as out:
            proc = subprocess.Popen(argv + list(args), stdout=out, stderr=subprocess.STDOUT, env=full_env)
        server = Server(url=f"http://127.0.0.1:{port}", proc=proc, log=log, marks=marks)
        servers.append(server)
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"serve exited {proc.returncode}: {log.read_text()[-2000:]}"
            try:
                if requests.get(server.url + "/openapi.json", timeout=2).status_code in (200, 401):  # 401: auth on
                    return server
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"serve not up in 30 s: {log.read_text()[-2000:]}"
            time.sleep(0.1)

    yield start
    for server in servers:
        server.stop()


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A private PostgreSQL (Debian's `postgresql`): initdb in a temp dir, on a free port; stopped at the end."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="fh-adapter-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use Debian's postgres user
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = base / "data"
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o", opts,
                        "-w", "start"], check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: str) -> str:
    """A new, empty database in the private PostgreSQL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the adapter supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ostf.sqlite'}"
    return request.getfixturevalue("pg_url")
