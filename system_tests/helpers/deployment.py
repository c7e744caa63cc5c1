"""ONE interface for deploying a cluster and checking it with OSTF, realised by two backends.

    create_cluster(template)           fixtures/clusters/<template>.yaml: a new cluster with its settings
    update_settings(settings)          pending: {group: {name: value}} (Nailgun attributes `editable`)
    add_nodes({name: roles})           pending: roles checked locally against fixtures/roles.yaml first
    set_vmware_attributes(attrs)       pending: Nailgun's vmware_attributes value, validated locally first
    deploy_changes(timeout)            apply what is pending, wait until deployed
    run_ostf(test_sets, should_fail=0, failed_test_names=(), timeout)  run, wait, apply fuel-qa's rule
    make_snapshot(name) / revert_snapshot(name)  fuel-qa's snapshot chain (each backend says what it supports)
    diagnostic_snapshot(path)          logs for a post-mortem, written under path
    hostname(node), vcenter_values()   what scenarios need to fill fixtures/vmware_attributes.yaml
    vmware_attributes()                the VMware settings value as the cluster holds it now
    release                            the Fuel release whose rules apply (fixtures/releases/<release>.yaml)

Node names are fuel-devops slave names (slave-01 ...), as in fixtures/; each backend maps them to its nodes.
Backends: system_tests/helpers/fuel.py (Nailgun + OSTF adapter + fuel-devops), local.py (the local lab).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from fuel_health import fuel_data
from system_tests.helpers.ostf_results import OstfResult


class Deployment(ABC):
    """A cloud that system tests deploy step by step and check with OSTF."""

    backend: ClassVar[str]
    # One line each, printed by `--show-plan`: how this backend realises the steps (no lab or API touched).
    plan_notes: ClassVar[tuple[str, ...]]
    release: str = fuel_data.newest_release()  # backends set it per instance (--release)
    # True: VMDK volumes can be turned on before any cinder-vmdk node exists (the lab's storage.volumes_vmdk),
    # and the vCenter volume tests then apply and fail. False (Fuel): no release has such a setting, VMDK
    # volumes come with the cinder-vmware nodes, so those tests do not apply before them.
    vmdk_before_cinder_nodes: ClassVar[bool] = True

    @abstractmethod
    def create_cluster(self, template: str) -> None:
        """Create a cluster from fixtures/clusters/<template>.yaml (its nodes still to be added)."""

    @abstractmethod
    def update_settings(self, settings: Mapping[str, Mapping[str, Any]]) -> None:
        """Change cluster settings ({group: {name: value}}), applied with the next deploy."""

    @abstractmethod
    def add_nodes(self, nodes: Mapping[str, Sequence[str]]) -> None:
        """Assign roles to nodes (name -> roles); RoleRestrictionError before any call when forbidden."""

    @abstractmethod
    def set_vmware_attributes(self, attrs: Mapping[str, Any]) -> None:
        """Set the VMware settings (Nailgun's vmware_attributes editable.value)."""

    @abstractmethod
    def deploy_changes(self, timeout: float) -> None:
        """Deploy every pending change and wait for the result; DeploymentError on failure or timeout."""

    @abstractmethod
    def run_ostf(self, test_sets: Sequence[str], should_fail: int = 0, failed_test_names: Sequence[str] = (),
                 timeout: float = 1800) -> OstfResult:
        """Run OSTF test sets and wait; OstfError unless fuel-qa's rule holds (should_fail, named failures)."""

    @abstractmethod
    def make_snapshot(self, name: str) -> bool:
        """Record the current state under `name`; False when this backend cannot snapshot."""

    @abstractmethod
    def revert_snapshot(self, name: str) -> bool:
        """Go back to the state recorded as `name`; False when there is no such state to go back to."""

    @abstractmethod
    def diagnostic_snapshot(self, path: Path) -> Path:
        """Collect logs for a post-mortem into a file under `path`; return the file."""

    @abstractmethod
    def hostname(self, node: str) -> str:
        """The hostname a node has in the cluster (vmware_attributes target_node uses it)."""

    @abstractmethod
    def vcenter_values(self) -> dict[str, str]:
        """vcenter_host, vcenter_username, vcenter_password for fixtures/vmware_attributes.yaml."""

    @abstractmethod
    def vmware_attributes(self) -> dict[str, Any]:
        """The VMware settings value (Nailgun's vmware_attributes editable.value) as the cluster holds it now."""

    @abstractmethod
    def node_roles(self) -> dict[str, tuple[str, ...]]:
        """The roles of every node in the cluster, deployed or pending (canonical names)."""
