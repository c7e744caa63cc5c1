"""A double with the RECORDED SHAPE of fuel-devops's devops.models.Environment (fuel-devops 2.9/3.0).

fuel-devops is not installable here (libvirt + Django); these are the calls fuel-qa made and that
system_tests.helpers.devops.FuelDevopsEnv makes: Environment.get(name=), env.get_node(name=),
node.interfaces[].mac_address, node.start(), env.has_snapshot(name), env.snapshot(name=, description=,
force=), env.revert(name, flag=), env.suspend(), env.resume().
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class RecordedNode:
    def __init__(self, env: RecordedEnvironment, name: str, macs: list[str]) -> None:
        self.env, self.name = env, name
        self.interfaces = [SimpleNamespace(mac_address=m) for m in macs]

    def start(self) -> None:
        self.env.calls.append(("start", self.name))
        self.env.on_start(self.name)


class RecordedEnvironment:
    def __init__(self, name: str, macs: dict[str, str], snapshots: tuple[str, ...] = ()) -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []
        self.snapshots = set(snapshots)
        self.nodes = {n: RecordedNode(self, n, [m.upper(), "64:52:00:aa:00:01"]) for n, m in macs.items()}
        self.on_start = lambda name: None

    def get_node(self, name: str) -> RecordedNode:
        return self.nodes[name]

    def has_snapshot(self, name: str) -> bool:
        return name in self.snapshots

    def snapshot(self, name: str | None = None, description: str | None = None, force: bool = False) -> None:
        self.calls.append(("snapshot", name, force))
        self.snapshots.add(name or "")

    def revert(self, name: str | None = None, flag: bool = True) -> None:
        self.calls.append(("revert", name, flag))

    def suspend(self) -> None:
        self.calls.append(("suspend",))

    def resume(self) -> None:
        self.calls.append(("resume",))
