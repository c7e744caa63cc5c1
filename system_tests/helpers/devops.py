"""fuel-devops behind a tiny interface, and its templates read with the `!os_env` tag.

fuel-devops (libvirt + Django, Python 2 era) is not installable here: `devops.models` is imported only when
a Fuel lab is really opened. Tests use a double with the recorded shape of devops.models.Environment
(get_node(name=), node.interfaces[].mac_address, node.start(), has_snapshot, snapshot, revert, suspend, resume).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from system_tests.helpers.errors import DeploymentError

DEVOPS_ENVS = Path(__file__).resolve().parents[2] / "devops_envs"
TEMPLATE = DEVOPS_ENVS / "dual_hv_fuel_lab.yaml"


class DevopsEnv(Protocol):
    """What the Fuel backend needs from a fuel-devops environment."""

    def has_snapshot(self, name: str) -> bool: ...
    def snapshot(self, name: str, description: str) -> None: ...
    def revert(self, name: str) -> None: ...
    def node_macs(self, name: str) -> set[str]: ...
    def start_node(self, name: str) -> None: ...
    def address_pools(self) -> dict[str, AddressPool]: ...
    def node_networks(self, name: str) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class AddressPool:
    """What fuel-qa reads from a devops address pool to fill Nailgun's network configuration."""

    cidr: str
    gateway: str | None
    ranges: dict[str, tuple[str, str]]  # range name (default, floating) -> (first, last)
    vlan_start: int | None = None
    vlan_end: int | None = None


def pool_networks(template: str | Path = TEMPLATE) -> dict[str, str]:
    """Nailgun network -> address pool name, from the template's first group (`network_pools`)."""
    return dict(load_template(template)["template"]["devops_settings"]["groups"][0]["network_pools"])


def template_networks(node: str, template: str | Path = TEMPLATE) -> dict[str, list[str]]:
    """The template's NIC assignment of a slave: interface label -> Nailgun networks (`network_config`)."""
    for group in load_template(template)["template"]["devops_settings"]["groups"]:
        for item in group["nodes"]:
            if item["name"] == node:
                return {label: list(cfg["networks"]) for label, cfg in item["params"]["network_config"].items()}
    raise DeploymentError(f"node {node} is not in the fuel-devops template {template}")


class FuelDevopsEnv:
    """A devops.models.Environment seen through DevopsEnv (fuel-qa's snapshot and node calls)."""

    def __init__(self, env: Any) -> None:
        self.env = env

    @classmethod
    def open(cls, name: str) -> FuelDevopsEnv:
        """Open the fuel-devops environment `name` (ENV_NAME); one line when fuel-devops is missing."""
        try:
            from devops.models import Environment  # lazy: only on a Fuel lab host
        except ImportError as exc:
            raise DeploymentError(f"fuel-devops is not importable here ({exc}): run the fuel backend on the lab "
                                  "host, in the venv that has fuel-devops and its database settings") from None
        try:
            return cls(Environment.get(name=name))
        except Exception as exc:  # DevopsObjNotFound and Django errors: one line either way
            raise DeploymentError(f"fuel-devops environment {name!r} not found ({type(exc).__name__}: {exc}); "
                                  "create it with `dos.py create-env devops_envs/dual_hv_fuel_lab.yaml`") from None

    def has_snapshot(self, name: str) -> bool:
        """True when every node of the environment has that snapshot."""
        return bool(self.env.has_snapshot(name))

    def snapshot(self, name: str, description: str) -> None:
        """Suspend, snapshot every node (replacing an older one of that name), resume: fuel-qa's make_snapshot."""
        self.env.suspend()
        self.env.snapshot(name=name, description=description, force=True)
        self.env.resume()

    def revert(self, name: str) -> None:
        """Revert every node to the snapshot and resume them."""
        self.env.revert(name, flag=True)
        self.env.resume()

    def node_macs(self, name: str) -> set[str]:
        """MAC addresses of a node's interfaces (how Nailgun's discovered node is found)."""
        return {str(i.mac_address).lower() for i in self.env.get_node(name=name).interfaces}

    def start_node(self, name: str) -> None:
        """Power a slave on, so it PXE-boots into Fuel's bootstrap and Nailgun discovers it."""
        self.env.get_node(name=name).start()

    def address_pools(self) -> dict[str, AddressPool]:
        """The environment's real pools per Nailgun network (the template's pools are dynamic: `net: a/16:24`).

        fuel-devops 3.0.5 devops/models/network.py AddressPool: ip_network, gateway, ip_range_start/_end,
        vlan_start; Environment.get_address_pool(name=) (devops/models/environment.py:80)."""
        out = {}
        for network, pool_name in pool_networks().items():
            pool = self.env.get_address_pool(name=pool_name)
            ranges = {}
            for rng in ("default", "floating"):
                try:
                    ranges[rng] = (str(pool.ip_range_start(rng)), str(pool.ip_range_end(rng)))
                except Exception:  # noqa: BLE001 - a pool without that range (storage, management)
                    continue
            out[network] = AddressPool(str(pool.ip_network), str(pool.gateway) if pool.gateway else None, ranges,
                                       pool.vlan_start, pool.vlan_end)
        return out

    def node_networks(self, name: str) -> dict[str, list[str]]:
        """The slave's NIC assignment as the template says it (interface label -> Nailgun networks)."""
        return template_networks(name)


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus fuel-devops's `!os_env NAME[, default]` tag."""


def _os_env(loader: yaml.SafeLoader, node: yaml.Node, environ: Mapping[str, str] | None = None) -> Any:
    raw = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    name, _, default = (p.strip() for p in raw.partition(","))
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        if not default:
            return None  # fuel-devops fails later for a required one; our template test sets them
        value = default
    return yaml.safe_load(value)  # "2" -> 2, "true" -> True, like fuel-devops


_TemplateLoader.add_constructor("!os_env", _os_env)


def load_template(name_or_path: str | Path) -> dict[str, Any]:
    """Read a fuel-devops template (a name under devops_envs/ or a path), resolving `!os_env` from os.environ."""
    path = Path(name_or_path)
    if not path.suffix:
        path = DEVOPS_ENVS / f"{path}.yaml"
    return yaml.load(path.read_text(), Loader=_TemplateLoader)  # a SafeLoader subclass: safe
