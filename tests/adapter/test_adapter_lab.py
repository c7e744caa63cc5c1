"""End to end on the local lab: the real suite through the adapter, on SQLite and PostgreSQL; stop cleans up.

Skipped when the lab is not up (`make lab-up`); the lab is only read, never started or stopped here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from adapter_harness import statuses

from fuel_health import config as config_mod
from fuel_health.clients import connections, resources
from fuel_health.config import ClusterConfig, ConfigError

TESTS_DIR = Path(__file__).resolve().parents[2] / "fuel_health" / "tests"
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # openstacksdk's own, in the sweep
COARSE = {"success": "passed", "failure": "failed", "error": "failed", "skipped": "skipped"}


@pytest.fixture(scope="module")
def lab() -> ClusterConfig:
    """The lab's cluster config, once keystone and vCenter answer."""
    path = config_mod.lab_config_path(os.environ)
    if not path.is_file():
        pytest.skip(f"the local lab is not set up ({path} missing: make lab-up)")
    cfg = config_mod.load(path)
    try:
        connections.check_reachable(cfg)
    except (connections.CannotRun, ConfigError) as exc:
        pytest.skip(f"the local lab is not reachable: {exc}")
    return cfg


def direct_run(testset: str, tmp_path: Path) -> dict[str, str]:
    """Run a set with plain pytest (no adapter); return {ostf id: passed|failed|skipped} from its JUnit."""
    junit = tmp_path / f"direct-{testset}.xml"
    subprocess.run([sys.executable, "-m", "pytest", str(TESTS_DIR), "--set", testset, "-p", "no:cacheprovider",
                    "-p", "no:schemathesis", "-p", "no:hypothesispytest", "-q", f"--junitxml={junit}"],
                   capture_output=True, cwd=TESTS_DIR.parents[1])
    found: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = ("failed" if case.find("failure") is not None or case.find("error") is not None
                   else "skipped" if case.find("skipped") is not None else "passed")
        test_id = props.get("ostf_id")
        if test_id and found.get(test_id) != "failed":  # parametrized: the worst case counts
            found[test_id] = outcome if found.get(test_id) in (None, "passed", "skipped") else found[test_id]
    return found


def poll_last(server, cluster_id: int, run_id: int, timeout: float) -> dict:
    """Poll /testruns/last like Fuel UI until the run is finished; return it."""
    deadline = time.monotonic() + timeout
    while True:
        run = next(r for r in server.ok("GET", f"/ostf/testruns/last/{cluster_id}") if r["id"] == run_id)
        if run["status"] == "finished":
            return run
        assert time.monotonic() < deadline, f"run {run_id} not finished in {timeout} s: {statuses(run)}"
        time.sleep(0.5)


def test_sanity_through_the_adapter_matches_a_direct_run(serve, lab, db_url, tmp_path):
    expected = direct_run("sanity", tmp_path)
    if not expected:
        pytest.fail("the direct sanity run gave no results: a sanity check must apply to the lab", pytrace=False)
    server = serve(db=db_url, tests_dir=None)  # the real suite, the lab's own config (the default)

    run = server.post_run("sanity", cluster_id=lab.cluster.id)
    done = poll_last(server, lab.cluster.id, run["id"], timeout=300)

    assert {t["id"]: COARSE.get(t["status"], t["status"]) for t in done["tests"]} == expected


def test_stopping_a_smoke_run_leaves_nothing_in_the_cloud(serve, lab):
    server = serve(tests_dir=None)
    conn = connections.openstack_connection(lab)
    run = server.post_run("smoke", cluster_id=lab.cluster.id)
    prefix = resources.run_prefix(lab.resource_prefix, run["meta"]["run_id"])

    deadline = time.monotonic() + 180
    while not _ours(conn, prefix):  # stop once the run has something in the cloud
        assert server.ok("GET", f"/v1/testruns/{run['id']}")["status"] == "running", "finished before a stop"
        assert time.monotonic() < deadline, "the smoke run created nothing in 180 s"
        time.sleep(0.3)
    server.ok("PUT", "/v1/testruns", [{"id": run["id"], "status": "stopped"}])
    done = server.wait(run["id"], timeout=300)

    assert "stopped" in statuses(done).values()
    assert resources.sweep(conn, lab.resource_prefix, run["meta"]["run_id"], dry_run=True) == []
    conn.close()


def _ours(conn, prefix: str) -> bool:
    mine = [s.name for s in conn.compute.servers()] + [v.name for v in conn.block_storage.volumes()]
    return any((name or "").startswith(prefix) for name in mine)
