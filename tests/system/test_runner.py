"""The proboscis runner: plans without touching anything, skips dependants of a failed prerequisite with the
reason, writes xunit; the real scenarios run against a scripted Deployment double (tests/system/scripted.py)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from scripted import ScriptedDeployment

from system_tests import proboscis_compat, runner
from system_tests.helpers.errors import DeploymentError
from system_tests.scenarios.base import using
from system_tests.xunit import write_xunit

REPO = Path(__file__).resolve().parents[2]
CHAIN = ["deploy_kvm", "add_vcenter_compute", "add_cinder_vmdk_ha"]


def run_scenarios(deployment, groups, tmp_path):
    with using(deployment, tmp_path):
        return runner.run_groups(runner.load_scenarios(), groups, stream=io.StringIO())


def test_show_plan_lists_the_chain_in_order_and_touches_no_lab(capsys, monkeypatch):
    from devops_envs.local import lab

    monkeypatch.setattr(lab.Lab, "default", classmethod(lambda cls: pytest.fail("the lab was touched")))
    assert runner.main(["run", "--group", "add_cinder_vmdk_ha", "--backend", "local", "--show-plan"]) == 0

    out = capsys.readouterr().out
    order = [line.split()[1].rsplit(".", 1)[-1] for line in out.splitlines() if line[:1].isdigit()]
    assert order == CHAIN
    assert "Lab.reset(); Lab.up(t)" in out and "Snapshots: NONE" in out


def test_show_plan_for_fuel_needs_no_fuel_master(capsys):
    assert runner.main(["run", "--group=negative", "--backend", "fuel", "--show-plan"]) == 0
    out = capsys.readouterr().out
    assert "deploy_kvm" in out and "vcenter_compute_with_compute_refused" in out
    assert "POST <nailgun>/ostf/testruns" in out


def test_an_unknown_group_is_a_usage_error(capsys):
    assert runner.main(["run", "--group", "deploy_vmware", "--show-plan"]) == runner.EXIT_USAGE
    assert "unknown group(s) deploy_vmware (known: add_cinder_vmdk_ha," in capsys.readouterr().err


def test_a_failed_prerequisite_skips_its_dependants_with_the_reason(tmp_path):
    """proboscis depends_on_groups, on a private registry: a fails, b and c (b's dependant) are skipped."""
    registry = proboscis_compat.TestRegistry()

    def a() -> None:
        raise DeploymentError("deploy changes: task 7 error: puppet failed on node-2")

    def b() -> None:
        pass

    def c() -> None:
        pass

    registry.register(a, groups=["a"])
    registry.register(b, groups=["b"], depends_on_groups=["a"])
    registry.register(c, groups=["c"], depends_on_groups=["b"])

    report = runner.run_groups(registry, ["c"], stream=io.StringIO())

    assert [(o.name.rsplit(".", 1)[-1], o.status) for o in report.outcomes] == [
        ("a", "error"), ("b", "skipped"), ("c", "skipped")]  # unittest: not an AssertionError = error
    reason = ("prerequisite test_runner.test_a_failed_prerequisite_skips_its_dependants_with_the_reason.<locals>.a "
              "(groups: a) failed: deploy changes: task 7 error: puppet failed on node-2")
    assert [o.message for o in report.outcomes[1:]] == [reason, reason]
    assert not report.ok

    write_xunit(tmp_path / "x.xml", report.outcomes, report.seconds)
    suite = ET.parse(tmp_path / "x.xml").getroot()
    assert (suite.get("tests"), suite.get("errors"), suite.get("skipped")) == ("3", "1", "2")
    assert suite.find("testcase/skipped").get("message") == reason


def test_the_chain_runs_in_order_on_a_healthy_cloud(tmp_path):
    d = ScriptedDeployment()

    report = run_scenarios(d, ["add_cinder_vmdk_ha"], tmp_path)

    assert [(o.name, o.status) for o in report.outcomes] == [(n, "passed") for n in CHAIN] and report.ok
    assert [s for s in d.steps if s[0] in ("create_cluster", "add_nodes", "make_snapshot", "revert_snapshot")] == [
        ("create_cluster", "kvm_only"),
        ("add_nodes", {"slave-01": ["controller"], "slave-02": ["compute"], "slave-03": ["cinder"]}),
        ("make_snapshot", "deploy_kvm"), ("revert_snapshot", "deploy_kvm"),
        ("add_nodes", {"slave-04": ["compute-vmware"]}), ("make_snapshot", "add_vcenter_compute"),
        ("revert_snapshot", "add_vcenter_compute"),
        ("add_nodes", {"slave-05": ["cinder-vmware"], "slave-06": ["cinder-vmware"]}),
        ("make_snapshot", "add_cinder_vmdk_ha")]
    attrs = next(s[1] for s in d.steps if s[0] == "set_vmware_attributes")
    assert attrs["availability_zones"][0]["nova_computes"][0]["target_node"]["current"]["id"] == "node-4"


def test_a_broken_deploy_kvm_fails_once_and_skips_the_rest_with_a_diagnostic_snapshot(tmp_path):
    d = ScriptedDeployment(fail_on="deploy_changes")

    report = run_scenarios(d, ["add_cinder_vmdk_ha"], tmp_path)

    assert [o.status for o in report.outcomes] == ["error", "skipped", "skipped"]
    assert report.outcomes[0].message == "deploy_changes broke (scripted)"
    assert report.outcomes[2].message == ("prerequisite system_tests.scenarios.dual_hv.deploy_kvm (groups: dual_hv, "
                                          "deploy_kvm) failed: deploy_changes broke (scripted)")
    assert [s for s in d.steps if s[0] == "diagnostic_snapshot"] == [
        ("diagnostic_snapshot", tmp_path / "diagnostics" / "deploy_kvm")]


def test_vcenter_tests_on_the_kvm_only_cluster_fail_deploy_kvm(tmp_path, monkeypatch):
    d = ScriptedDeployment()
    d.roles["slave-04"] = ("vcenter-compute",)  # the scripted OSTF then reports vCenter tests

    report = run_scenarios(d, ["deploy_kvm"], tmp_path)

    assert report.outcomes[0].message.startswith("a KVM-only cluster: 1 both/vcenter test(s) applied and ran: ")


def test_the_negative_scenario_passes_when_the_refusal_happens(tmp_path):
    report = run_scenarios(ScriptedDeployment(), ["negative"], tmp_path)
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("deploy_kvm", "passed"), ("vcenter_compute_with_compute_refused", "passed")]


def test_main_writes_xunit_and_exits_1_on_failure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "make_backend", lambda args: ScriptedDeployment(fail_on="run_ostf"))
    xunit = tmp_path / "reports" / "system_tests.xml"

    code = runner.main(["run", "--group", "add_vcenter_compute", "--backend", "local", "--xunit", str(xunit),
                        "--reports-dir", str(tmp_path)])

    assert code == runner.EXIT_FAILED
    assert ET.parse(xunit).getroot().get("errors") == "1"
    assert "ERROR    system_tests.scenarios.dual_hv.deploy_kvm (0 s): run_ostf broke" in capsys.readouterr().out


def _imports(package: Path, depth: int = 1) -> set[str]:
    """The modules the package's files import, cut to `depth` dotted parts (`from a import b` counts as a.b)."""
    names: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {".".join(a.name.split(".")[:depth]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names |= {".".join(f"{node.module}.{a.name}".split(".")[:depth]) for a in node.names}
    return names


def test_the_boundaries_hold():
    """Arrows point one way: the suite imports neither the lab nor the system tests; the lab imports no system
    test and, of the suite, only the one reader of fixtures/ (fuel_health.fuel_data)."""
    assert not _imports(REPO / "fuel_health") & {"system_tests", "devops_envs"}
    assert not _imports(REPO / "devops_envs") & {"system_tests"}
    assert {m for m in _imports(REPO / "devops_envs", depth=2) if m.split(".")[0] == "fuel_health"} == {
        "fuel_health.fuel_data"}


def test_the_fuel_backend_cannot_start_without_fuel_devops_in_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "devops", None)
    assert runner.main(["run", "--group", "deploy_kvm", "--backend", "fuel"]) == runner.EXIT_CANNOT_RUN
    assert capsys.readouterr().err.startswith("system_tests: cannot start the fuel backend: fuel-devops is not "
                                              "importable here")


def test_python_dash_m_system_tests_is_the_runner():
    out = subprocess.run([sys.executable, "-m", "system_tests", "run", "--group", "deploy_kvm", "--show-plan"],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0 and "1. system_tests.scenarios.dual_hv.deploy_kvm" in out.stdout, out.stderr


def test_no_second_diagnostic_snapshot_when_the_backend_took_one(tmp_path):
    d = ScriptedDeployment()

    def failed_deploy(timeout: float) -> None:
        error = DeploymentError("deploy changes: task 100 error: puppet (diagnostic snapshot: /r/fuel-snapshot.tar)")
        error.diagnostics = "/r/fuel-snapshot.tar"
        raise error

    d.deploy_changes = failed_deploy
    report = run_scenarios(d, ["deploy_kvm"], tmp_path)

    assert report.outcomes[0].status == "error"
    assert not [s for s in d.steps if s[0] == "diagnostic_snapshot"]
