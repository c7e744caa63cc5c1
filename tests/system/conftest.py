"""Doubles shared by the system_tests unit tests: nothing here starts a lab or reaches a network."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devops_envs.local import fuel_data, topology
from devops_envs.local.topology import Topology


class RecordingLab:
    """A recording double of devops_envs.local.lab.Lab: records reset/up/add_node, starts nothing.

    up() returns the validated lab file, add_node() the validated new topology (the pure part of the real
    calls: topology.load / topology.from_dict with the same changes Lab.add_node makes)."""

    def __init__(self, home: Path) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.current: Topology | None = None
        self.paths = SimpleNamespace(home=home, suite_config=home / "fuel-health.yaml", logs=home / "logs",
                                     state=home / "state.yaml")

    def reset(self) -> None:
        self.calls.append(("reset",))
        self.current = None

    def up(self, lab_file: str | None = None) -> Topology:
        self.calls.append(("up", lab_file))
        self.current = topology.load(lab_file or "dual_hv")
        return self.current

    def add_node(self, name: str, roles: list[str], vmware_attributes: dict[str, Any] | None = None,
                 vcenter: dict[str, Any] | None = None) -> Topology:
        self.calls.append(("add_node", name, list(roles), copy.deepcopy(vmware_attributes), vcenter))
        assert self.current is not None, "add_node before up"
        data = self.current.to_dict()
        data["nodes"].append({"name": name, "roles": roles})
        if vmware_attributes:
            data["vmware_attributes"] = vmware_attributes
            data["cluster"]["settings"]["common"]["use_vcenter"] = True
            data["vcenter"] = data.get("vcenter") or vcenter  # as Lab.add_node: a running simulator's section stays
        if any(fuel_data.canonical_role(r) == "cinder-vmdk" for r in roles):
            data["cluster"]["settings"]["storage"]["volumes_vmdk"] = True
        self.current = topology.from_dict(data, where=f"node {name}")
        return self.current

    def topology(self) -> Topology | None:
        self.calls.append(("topology",))
        return self.current

    def services(self, topo: Topology) -> list[Any]:
        return [SimpleNamespace(node=n.name, name=s) for n in topo.nodes for s in n.services]

    def supervisor(self) -> Any:
        return SimpleNamespace(stop=lambda svcs: self.calls.append(("stop", sorted(f"{s.node}.{s.name}"
                                                                                  for s in svcs))))

    def save_state(self, topo: Topology, initialized: bool) -> None:
        self.calls.append(("save_state", [n.name for n in topo.nodes]))
        self.current = topo

    def secrets(self) -> dict[str, str]:
        return {"admin_password": "a", "vcenter_password": "v"}

    def write_suite_config(self, topo: Topology, secret: dict[str, str]) -> None:
        self.calls.append(("write_suite_config", [n.name for n in topo.nodes]))


@pytest.fixture
def lab(tmp_path: Path) -> RecordingLab:
    """A recording Lab double with its home in tmp_path."""
    return RecordingLab(tmp_path / "lab")
