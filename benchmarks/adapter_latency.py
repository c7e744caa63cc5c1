"""Adapter benchmark: POST -> first test `running`, GET latencies with 1,000 stored runs, rediscovery cost.

Runs `fuel-health serve` on 127.0.0.1 (SQLite in a temp dir unless --db) over a database filled with
--runs finished runs of 11 tests each. POST -> running uses the local lab (cluster 1, sanity) when it
answers, and always the fake suite of tests/adapter/data (no cloud). Reported, not gated.
usage: python -m benchmarks.adapter_latency [--runs 1000] [--db URL] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from benchmarks import common
from fuel_health import config as config_mod
from fuel_health.adapter import models as m
from fuel_health.adapter.catalog import CatalogSource, fingerprint
from fuel_health.clients import connections

ROOT = Path(__file__).resolve().parents[1]
FAKE_SUITE = ROOT / "tests" / "adapter" / "data" / "ostf_fake"
FAKE_CONFIG = {"cluster": {"id": 7, "name": "fake", "release": "2026.2", "mode": "multinode",
                           "net_provider": "neutron", "libvirt_type": "qemu", "use_vcenter": False,
                           "storage": {"volumes_lvm": True, "volumes_vmdk": False, "volumes_ceph": False,
                                       "images_vcenter": False}},
               "cloud": {"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "a", "password": "p",
                                  "project_name": "a"}},
               "hypervisors": {"kvm": {"zone": "nova"}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(db: str, runs: int, cluster_id: int) -> None:
    """Store `runs` finished runs of 11 tests each, straight into the database."""
    sessions = m.init_db(m.make_engine(db))
    with sessions.begin() as s:
        for i in range(runs):
            run = m.TestRun(testset="sanity", cluster_id=cluster_id, status=m.RUN_FINISHED,
                            meta={"cluster_id": cluster_id, "run_id": f"{i:08x}"}, ended_at=m.utcnow())
            run.tests = [m.TestResult(position=j, test_id=f"fuel_health.tests.sanity.test_x.test_{j}",
                                      testset="sanity", name=f"Check {j}", description="Scenario:\n  1. Do it",
                                      duration="5 s", nodeid=f"x.py::test_{j}",
                                      status=m.FAILURE if j == 3 else m.SUCCESS,
                                      message="Step 1 failed: Do it: boom" if j == 3 else None,
                                      step=1 if j == 3 else None, taken=0.5) for j in range(11)]
            s.add(run)


def start(db: str, tmp: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fuel_health", "serve", "--port", str(port), "--db", db,
                             "--log-dir", str(tmp / "runs"), *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/openapi.json", timeout=2).status_code in (200, 401):  # 401: auth on
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the adapter did not start in 30 s")


def timings(fn: Any, n: int) -> dict[str, float]:
    """Call fn n times; return median, p95 and max in milliseconds."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (n - 1))], 1),
            "max_ms": round(times[-1], 1), "n": n}


def post_to_running(url: str, cluster_id: int, testset: str, repeat: int) -> dict[str, float]:
    """POST a run, poll every 10 ms until a test is `running`; wait for the end; repeat."""
    got = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = requests.post(url + "/v1/testruns", json=[{"testset": testset, "metadata": {"cluster_id": cluster_id}}],
                             timeout=30)
        if not resp.ok:
            raise SystemExit(f"POST /v1/testruns: {resp.status_code} {resp.text}")
        run = resp.json()[0]
        first = None
        while True:
            cur = requests.get(f"{url}/v1/testruns/{run['id']}", timeout=30).json()
            if first is None and any(t["status"] != "wait_running" for t in cur["tests"]):
                first = (time.perf_counter() - t0) * 1000
            if cur["status"] == "finished":
                break
            time.sleep(0.01)
        got.append(first if first is not None else float("nan"))
    return {"median_ms": round(statistics.median(got), 1), "min_ms": round(min(got), 1),
            "max_ms": round(max(got), 1), "n": repeat}


def lab_up() -> bool:
    path = config_mod.lab_config_path(os.environ)
    try:
        connections.check_reachable(config_mod.load(path))
        return True
    except Exception:  # not set up, not running: measured without it
        return False


def discovery_cost(tests_dir: Path, repeat: int) -> dict[str, Any]:
    """What per-request rediscovery costs: the change check, and a rediscovery in a subprocess."""
    source = CatalogSource(tests_dir)
    return {"change_check": timings(lambda: fingerprint(source.tests_dir), 100),
            "subprocess_discovery": timings(source._discover, repeat), "tests": len(source.get().entries)}


def auth_cost(tmp: Path, with_lab: bool) -> dict[str, dict[str, float]]:
    """GET /v1/testruns?limit=1 with each auth mode (keystone: the lab's, its token cached after the first)."""
    token_file = tmp / "token"
    shared = "bench-token-0123456789abcdef"
    token_file.write_text(shared + "\n")
    modes: dict[str, tuple[tuple[str, ...], str]] = {
        "none": ((), ""), "token": (("--auth", "token", "--token-file", str(token_file)), shared)}
    if with_lab:
        cfg = config_mod.load(config_mod.lab_config_path(os.environ))
        conn = connections.openstack_connection(cfg)
        modes["keystone (lab)"] = (("--auth", "keystone", "--keystone-cloud", str(cfg.cloud.name),
                                    "--keystone-clouds-yaml", str(cfg.cloud.clouds_yaml)), conn.session.get_token())
        conn.close()
    found = {}
    for name, (args, token) in modes.items():
        proc, url = start(f"sqlite:///{tmp / f'auth-{len(found)}.sqlite'}", tmp, *args)
        try:
            session = requests.Session()
            if token:
                session.headers["X-Auth-Token"] = token
            found[name] = timings(lambda s=session, u=url: s.get(u + "/v1/testruns?limit=1", timeout=30)
                                  .raise_for_status(), 50)
        finally:
            proc.terminate()
            proc.wait()
    return found


def measure(runs: int = 1000, db: str | None = None, repeat: int = 5) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fh-adapter-bench-"))
    db = db or f"sqlite:///{tmp / 'ostf.sqlite'}"
    fill(db, runs, cluster_id=1)
    figures: dict[str, Any] = {"db": db.split(":", 1)[0], "stored_runs": runs}
    with_lab = lab_up()

    proc, url = start(db, tmp)  # the real suite and the lab's config
    try:
        last = requests.get(f"{url}/v1/testruns?limit=1", timeout=30).json()[0]["id"]
        gets = {"GET /v1/testruns (all)": "/v1/testruns", "GET /v1/testruns?limit=50": "/v1/testruns?limit=50",
                "GET /v1/testruns/<id>": f"/v1/testruns/{last}", "GET /v1/testruns/last/1": "/v1/testruns/last/1"}
        if with_lab:
            gets.update({"GET /v1/testsets/1": "/v1/testsets/1", "GET /v1/tests/1": "/v1/tests/1"})
        session = requests.Session()
        figures["get"] = {name: timings(lambda p=path: session.get(url + p, timeout=60).raise_for_status(),
                                        10 if "(all)" in name else 50) for name, path in gets.items()}
        if with_lab:
            figures["post_to_first_running_lab_sanity"] = post_to_running(url, 1, "sanity", repeat)
    finally:
        proc.terminate()
        proc.wait()

    config = tmp / "fake.yaml"
    config.write_text(yaml.safe_dump(FAKE_CONFIG))
    proc, url = start(f"sqlite:///{tmp / 'fake.sqlite'}", tmp, "--tests-dir", str(FAKE_SUITE),
                      "--cluster-config", str(config), "--pytest-arg=--no-preflight")
    try:
        figures["post_to_first_running_fake_suite"] = post_to_running(url, 7, "sanity", repeat)
    finally:
        proc.terminate()
        proc.wait()
    figures["auth"] = auth_cost(tmp, with_lab)
    figures["rediscovery_real_suite"] = discovery_cost(ROOT / "fuel_health" / "tests", repeat)
    figures["lab"] = with_lab
    return figures


def table(figures: dict[str, Any]) -> str:
    rows = [f"| {k} | {v['median_ms']} | {v.get('p95_ms', v.get('max_ms'))} |" for k, v in figures["get"].items()]
    for key in ("post_to_first_running_lab_sanity", "post_to_first_running_fake_suite"):
        if key in figures:
            rows.append(f"| POST -> first running ({key.split('running_')[1]}) | {figures[key]['median_ms']} | "
                        f"{figures[key]['max_ms']} (max) |")
    for mode, got in figures.get("auth", {}).items():
        rows.append(f"| GET /v1/testruns?limit=1, --auth {mode} | {got['median_ms']} | {got['p95_ms']} |")
    disc = figures["rediscovery_real_suite"]
    rows.append(f"| change check of the test files | {disc['change_check']['median_ms']} | "
                f"{disc['change_check']['p95_ms']} |")
    rows.append(f"| rediscovery in a subprocess ({disc['tests']} tests) | "
                f"{disc['subprocess_discovery']['median_ms']} | {disc['subprocess_discovery']['p95_ms']} |")
    return (f"{figures['stored_runs']} stored runs of 11 tests, {figures['db']}.\n\n| what | median ms | p95 ms |\n"
            "|---|---|---|\n" + "\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description="OSTF adapter latency")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--repeat", type=int, default=5)
    common.main("adapter_latency", lambda a: measure(a.runs, a.db, a.repeat), table, parser)


if __name__ == "__main__":
    main()
