"""fuel-devops behind a tiny interface, and its templates read with the `!os_env` tag.

fuel-devops (libvirt + Django, Python 2 era) is not installable here: `devops.models` is imported only when
a Fuel lab is really opened. Tests use a double with the recorded shape of devops.models.Environment
(get_node(name=), node.interfaces[].mac_address, node.start(), has_snapshot, snapshot, revert, suspend, resume).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from system_tests.helpers.errors import DeploymentError

DEVOPS_ENVS = Path(__file__).resolve().parents[2] / "devops_envs"


class DevopsEnv(Protocol):
    """What the Fuel backend needs from a fuel-devops environment."""

    def has_snapshot(self, name: str) -> bool: ...
    def snapshot(self, name: str, description: str) -> None: ...
    def revert(self, name: str) -> None: ...
    def node_macs(self, name: str) -> set[str]: ...
    def start_node(self, name: str) -> None: ...


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
