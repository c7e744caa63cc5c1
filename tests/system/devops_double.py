"""A double with the RECORDED SHAPE of fuel-devops's devops.models.Environment (fuel-devops 2.9/3.0).

fuel-devops is not installable here (libvirt + Django); these are the calls fuel-qa made and that
system_tests.helpers.devops.FuelDevopsEnv makes: Environment.get(name=), env.get_node(name=),
node.interfaces[].mac_address, node.start(), env.has_snapshot(name), env.snapshot(name=, description=,
force=), env.revert(name, flag=), env.suspend(), env.resume(), env.get_address_pool(name=) with the AddressPool
fields of fuel-devops 3.0.5 devops/models/network.py (ip_network, gateway, ip_range_start/_end, vlan_start/_end).
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


class RecordedPool:
    """devops AddressPool after `dos.py create-env` gave the dynamic pool its /24 (10.109.<n>.0/24)."""

    def __init__(self, n: int, params: dict[str, Any]) -> None:
        self.ip_network = f"10.109.{n}.0/24"
        self.gateway = f"10.109.{n}.1"
        self.vlan_start, self.vlan_end = params.get("vlan_start"), params.get("vlan_end")
        self._ranges = {name: (f"10.109.{n}.{a if a > 0 else 256 + a}", f"10.109.{n}.{b if b > 0 else 256 + b}")
                        for name, (a, b) in (params.get("ip_ranges") or {}).items()}

    def ip_range_start(self, name: str) -> str:
        return self._ranges[name][0]  # KeyError like fuel-devops's missing range

    def ip_range_end(self, name: str) -> str:
        return self._ranges[name][1]


class RecordedEnvironment:
    def __init__(self, name: str, macs: dict[str, str], snapshots: tuple[str, ...] = ()) -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []
        self.snapshots = set(snapshots)
        self.nodes = {n: RecordedNode(self, n, [m.upper(), "64:52:00:aa:00:01"]) for n, m in macs.items()}
        self.on_start = lambda name: None
        from system_tests.helpers.devops import load_template

        pools = load_template("dual_hv_fuel_lab")["template"]["devops_settings"]["address_pools"]
        self.pools = {name: RecordedPool(n, pool.get("params") or {}) for n, (name, pool) in enumerate(pools.items())}

    def get_address_pool(self, name: str) -> RecordedPool:
        return self.pools[name]

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
