"""A scripted Deployment double for running the real proboscis scenarios without any lab or API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fuel_health import fuel_data
from system_tests.helpers import roles
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.errors import DeploymentError
from system_tests.helpers.ostf_results import OstfResult, OstfTest, check, hypervisor_of, test_set_of


def ostf_test(test_id: str, status: str = "success", hypervisor: str | None = None) -> OstfTest:
    """An OSTF test outcome (hypervisor from the id's package unless given)."""
    return OstfTest(test_id, test_id.rsplit(".", 1)[-1], test_set_of(test_id), status, "",
                    hypervisor or hypervisor_of(test_id))


KVM_TESTS = ["fuel_health.tests.sanity.test_api.test_services", "fuel_health.tests.smoke.kvm.test_boot.test_boot"]
VCENTER_TESTS = ["fuel_health.tests.smoke.vcenter.test_boot.test_boot"]
VMDK_TESTS = ["fuel_health.tests.smoke.vcenter.test_volume.test_attach_vmdk_volume"]


class ScriptedDeployment(Deployment):
    """A Deployment double for the scenarios: records steps, answers OSTF like a healthy cluster would.

    `fail_on` makes one step raise DeploymentError, to see what proboscis does with the dependants."""

    backend = "scripted"
    plan_notes = ("every step is recorded",)

    def __init__(self, fail_on: str = "") -> None:
        self.steps: list[tuple[Any, ...]] = []
        self.fail_on = fail_on
        self.roles: dict[str, tuple[str, ...]] = {}
        self.snapshots: set[str] = set()

    def _step(self, *call: Any) -> None:
        self.steps.append(call)
        if call[0] == self.fail_on:
            raise DeploymentError(f"{call[0]} broke (scripted)")

    def create_cluster(self, template: str) -> None:
        self._step("create_cluster", template)

    def update_settings(self, settings: Mapping[str, Mapping[str, Any]]) -> None:
        self._step("update_settings", dict(settings))

    def add_nodes(self, nodes: Mapping[str, Sequence[str]]) -> None:
        for name, wanted in nodes.items():
            roles.check_node(name, [*self.roles.get(name, ()), *wanted], None, self.release)
        self._step("add_nodes", {n: list(r) for n, r in nodes.items()})
        for name, wanted in nodes.items():
            self.roles[name] = (*self.roles.get(name, ()), *(fuel_data.canonical_role(r) for r in wanted))

    def set_vmware_attributes(self, attrs: Mapping[str, Any]) -> None:
        self._step("set_vmware_attributes", attrs)

    def deploy_changes(self, timeout: float) -> None:
        self._step("deploy_changes")

    def run_ostf(self, test_sets: Sequence[str], should_fail: int = 0, failed_test_names: Sequence[str] = (),
                 timeout: float = 1800) -> OstfResult:
        self._step("run_ostf", tuple(test_sets))
        ids = KVM_TESTS + (VCENTER_TESTS if "slave-04" in self.roles else []) + (
            VMDK_TESTS if "slave-05" in self.roles else [])
        result = OstfResult(tuple(ostf_test(i) for i in ids), source="scripted")
        check(result, should_fail, failed_test_names)
        return result

    def make_snapshot(self, name: str) -> bool:
        self._step("make_snapshot", name)
        self.snapshots.add(name)
        return True

    def revert_snapshot(self, name: str) -> bool:
        self._step("revert_snapshot", name)
        return name in self.snapshots

    def diagnostic_snapshot(self, path: Path) -> Path:
        self._step("diagnostic_snapshot", path)
        return path / "diag.tar"

    def hostname(self, node: str) -> str:
        return node.replace("slave-0", "node-")

    def vcenter_values(self) -> dict[str, str]:
        return {"vcenter_host": "vc.example", "vcenter_username": "admin", "vcenter_password": "pw"}

    def vmware_attributes(self) -> dict[str, Any]:
        return {}

    def node_roles(self) -> dict[str, tuple[str, ...]]:
        return dict(self.roles)
