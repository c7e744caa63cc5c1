"""The rendered builders, executed as Jenkins builds (jenkins_sim.run_build) with a Jenkins-like environment.

Result mapping of the health-check job: healthy lab -> SUCCESS; one lab fault -> UNSTABLE with the failed check
in the JUnit; bad config, unreachable Nailgun or missing parameters -> FAILURE with a one-line reason.
The lab has no Nailgun: lab runs use the job's cluster-config form (CLUSTER_CONFIG); the Nailgun form is run
against an address where nothing listens. The system-test builders run with the fuel backend, which cannot
start here (no fuel-devops): their dry run and their refusals are what is executed.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from jenkins_sim import Build, Job, run_build

ROOT = Path(__file__).resolve().parents[2]
LAB = [sys.executable, "-m", "devops_envs.local"]
# Cheap and exact: one image property gone; in the sanity set only test_vcenter_image fails (docs/fault-matrix.md).
FAULT, FAULT_CHECK = "testvm-vmdk-no-hypervisor-type", "test_vcenter_image"
TOKEN_ID, LOGIN_ID = "fuel-health-nailgun-token", "fuel-health-nailgun-login"
LOGIN = ("fuel-qa", "pw-" + secrets.token_hex(12))


@pytest.fixture
def token() -> str:
    return "tok-" + secrets.token_hex(16)


def _no_leak(build: Build, *values: str) -> None:
    """No secret in the console (which holds the -x trace: every command line the builder ran) or workspace."""
    for value in values:
        assert value not in build.console, f"a secret is in the console of {build.job}"
        assert value not in " ".join(" ".join(argv) for argv in build.command_lines)
        for path in build.workspace.rglob("*"):
            if path.is_file():
                assert value.encode() not in path.read_bytes(), f"a secret is in {path}"


def _health(jobs: dict[str, Job], name: str, tmp_path: Path, node_env: dict[str, str], token: str,
            **params: str) -> Build:
    return run_build(jobs[name], workspace=tmp_path / "workspace" / name,
                     credentials={TOKEN_ID: token, LOGIN_ID: LOGIN}, parameters=params, node_env=node_env, number=7)


# --- FAILURE: cannot run (no lab needed: nothing gets past the config) ------------------------------------


def test_bad_config_is_failure_with_its_reason(jobs, tmp_path, node_env, token) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("cluster:\n  id: 1\ntimeoutz:\n  boot: 300\n")  # a typo'd section
    build = _health(jobs, "fuel-health-local-lab", tmp_path, node_env, token, CLUSTER_CONFIG=str(bad),
                    TEST_SETS="sanity")
    assert (build.result, build.exit_codes) == ("FAILURE", [3])
    assert build.description and build.description.startswith("FAILURE: cannot run: ")
    assert "timeoutz" in build.description and "\n" not in build.description
    assert "reports/fuel-health.log" in build.artifacts  # the run's log is archived even so
    _no_leak(build, token)


def test_unreachable_nailgun_is_failure(jobs, tmp_path, node_env, token) -> None:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    build = _health(jobs, "fuel-health-local-lab", tmp_path, node_env, token, CLUSTER_CONFIG="",
                    NAILGUN_URL=f"http://127.0.0.1:{port}", CLUSTER_ID="1")
    assert (build.result, build.exit_codes) == ("FAILURE", [3])
    assert f"cannot reach http://127.0.0.1:{port}" in build.description
    assert f"--nailgun-url http://127.0.0.1:{port} --cluster-id 1" in build.console  # the Nailgun form ran
    _no_leak(build, token)


def test_nailgun_form_sends_the_bound_token(jobs, tmp_path, node_env, token, httpserver) -> None:
    """The bound token reaches Nailgun as X-Auth-Token (from the environment, never argv).

    The double is Nailgun's keystone middleware for a token it does not know: 401 to every request
    (fuel-web 9.0:nailgun/nailgun/middleware/keystone.py:102)."""
    seen: list[str | None] = []

    def refuse(request):  # noqa: ANN001, ANN202
        from werkzeug import Response

        seen.append(request.headers.get("X-Auth-Token"))
        return Response("", status=401)

    httpserver.expect_request("/api/clusters/1").respond_with_handler(refuse)
    build = _health(jobs, "fuel-health-local-lab", tmp_path, node_env, token, CLUSTER_CONFIG="",
                    NAILGUN_URL=httpserver.url_for("/").rstrip("/"), CLUSTER_ID="1")
    assert seen == [token]
    assert (build.result, build.exit_codes) == ("FAILURE", [3])
    assert "HTTP 401" in build.description
    _no_leak(build, token)


def test_missing_parameters_are_failure_not_unstable(jobs, tmp_path, node_env, token) -> None:
    build = _health(jobs, "fuel-health-prod-dualhv", tmp_path, node_env, token, NAILGUN_URL="")
    assert (build.result, build.exit_codes) == ("FAILURE", [3])
    assert build.description == "FAILURE: cannot run: set the NAILGUN_URL and CLUSTER_ID parameters (or CLUSTER_CONFIG)"
    bad_workers = _health(jobs, "fuel-health-prod-dualhv", tmp_path, node_env, token, WORKERS="two")
    assert bad_workers.result == "FAILURE" and "WORKERS must be a number" in bad_workers.description
    for b in (build, bad_workers):
        _no_leak(b, LOGIN[1])


def test_missing_credential_fails_the_build(jobs, tmp_path, node_env) -> None:
    build = run_build(jobs["fuel-health-prod-dualhv"], workspace=tmp_path / "ws", credentials={},
                      node_env=node_env)
    assert build.result == "FAILURE" and build.exit_codes == [] and LOGIN_ID in build.console


# --- SUCCESS and UNSTABLE on the lab -------------------------------------------------------------------------


def test_healthy_lab_is_success(jobs, tmp_path, node_env, token, lab_config, lab_shared) -> None:
    build = _health(jobs, "fuel-health-local-lab", tmp_path, node_env, token, CLUSTER_CONFIG=str(lab_config),
                    TEST_SETS="sanity")
    assert (build.result, build.exit_codes) == ("SUCCESS", [0]), build.console[-3000:]
    assert build.junit_total > 0 and build.junit_failed == []
    assert build.allure_results, "no allure results where the allure publisher looks"
    assert {"reports/junit.xml", "reports/fuel-health.log"} <= set(build.artifacts)
    assert build.description == "SUCCESS: healthy: every selected check passed"
    _no_leak(build, token)


def test_lab_fault_is_unstable_with_the_failed_check(jobs, tmp_path, node_env, token, lab_config,
                                                     lab_exclusive) -> None:
    try:  # heal whatever happens, even a fault that failed half-way
        subprocess.run([*LAB, "fault", FAULT], cwd=ROOT, check=True, capture_output=True, timeout=120)
        build = _health(jobs, "fuel-health-local-lab", tmp_path, node_env, token,
                        CLUSTER_CONFIG=str(lab_config), TEST_SETS="sanity")
    finally:
        healed = subprocess.run([*LAB, "heal", FAULT], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert healed.returncode == 0, f"heal {FAULT} failed: {healed.stderr[-500:]}"
    assert (build.result, build.exit_codes) == ("UNSTABLE", [1]), build.console[-3000:]
    assert [f for f in build.junit_failed if FAULT_CHECK in f], build.junit_failed
    assert build.description.startswith("UNSTABLE: not healthy: ")
    _no_leak(build, token)


# --- system tests ------------------------------------------------------------------------------------------


SYSTEST_CREDS = {"fuel-dualhv-keystone": ("admin", "ks-" + secrets.token_hex(8)),
                 "fuel-dualhv-vcenter": ("administrator@vsphere.local", "vc-" + secrets.token_hex(8))}


def _systest(jobs, group: str, tmp_path: Path, node_env: dict[str, str], **params: str) -> Build:
    params.setdefault("VENV_PATH", str(Path(sys.executable).parent.parent))
    return run_build(jobs[f"fuel-dualhv-system-test.{group}"], workspace=tmp_path / group, credentials=SYSTEST_CREDS,
                     parameters=params, node_env=node_env)


def test_system_test_dry_run_shows_the_chain(jobs, tmp_path, node_env) -> None:
    build = _systest(jobs, "add_cinder_vmdk_ha", tmp_path, node_env, DRY_RUN="true")
    assert (build.result, build.exit_codes) == ("SUCCESS", [0]), build.console[-2000:]
    order = [g for g in ("deploy_kvm", "add_vcenter_compute", "add_cinder_vmdk_ha")
             if f"system_tests.scenarios.dual_hv.{g}" in build.console]
    assert order == ["deploy_kvm", "add_vcenter_compute", "add_cinder_vmdk_ha"]
    assert build.console.index("dual_hv.deploy_kvm") < build.console.index("dual_hv.add_cinder_vmdk_ha")


def test_system_test_refusals_are_failures(jobs, tmp_path, node_env) -> None:
    no_iso = _systest(jobs, "deploy_kvm", tmp_path, node_env, ISO_PATH=str(tmp_path / "absent.iso"))
    assert no_iso.result == "FAILURE" and no_iso.description.startswith("FAILURE: no ISO at ISO_PATH=")
    iso = tmp_path / "fuel.iso"
    iso.write_bytes(b"")
    no_devops = _systest(jobs, "deploy_kvm", tmp_path, node_env, ISO_PATH=str(iso))
    assert (no_devops.result, no_devops.exit_codes) == ("FAILURE", [3])
    assert "cannot start the fuel backend" in no_devops.description and "fuel-devops" in no_devops.description
    for build in (no_iso, no_devops):
        _no_leak(build, *(pw for _, pw in SYSTEST_CREDS.values()))
