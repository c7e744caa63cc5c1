"""Shared fixtures of the unit tests: sample cluster configs (as the lab writes them) and a sample suite."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data"
# data/ holds a sample suite for discovery; its tests are not ours to run.
collect_ignore = ["data"]

VC_PASSWORD = "Vc-Pa55word!"
OS_PASSWORD = "Os-Pa55word!"

_KVM_ONLY: dict[str, Any] = {
    "cluster": {
        "id": 1, "name": "lab-kvm_only", "release": "2026.2", "mode": "multinode",
        "net_provider": "nova_network", "nova_network_mode": "multi_host", "libvirt_type": "qemu",
        "use_vcenter": False,
        "storage": {"volumes_lvm": True, "volumes_vmdk": False, "volumes_ceph": False, "images_vcenter": False},
        "additional_components": [],
    },
    "cloud": {"auth": {"auth_url": "http://127.0.0.1:5000/v3", "username": "admin", "password": OS_PASSWORD,
                       "project_name": "admin"}, "region": "RegionOne"},
    "hypervisors": {"kvm": {"zone": "nova", "image": "TestVM", "flavor": "m1.tiny"}},
    "nodes": [
        {"name": "node-1", "roles": ["controller"], "host": "local://", "root": "/tmp/lab/node-1"},
        {"name": "node-2", "roles": ["compute"], "host": "local://"},
        {"name": "node-3", "roles": ["cinder"], "host": "local://"},
    ],
    "timeouts": {"api": 30, "boot": 180, "volume": 120, "attach": 120, "delete": 120, "vcenter": 60},
    "resource_prefix": "ostf",
}

_DUAL = copy.deepcopy(_KVM_ONLY)
_DUAL["cluster"].update(name="lab-dual_hv", nova_network_mode="single_host", use_vcenter=True)
_DUAL["cluster"]["storage"]["volumes_vmdk"] = True
_DUAL["cloud"] = {"name": "fuel-dualhv-lab", "clouds_yaml": "/tmp/lab/clouds.yaml", "region": "RegionOne"}
_DUAL["vmware_attributes"] = {
    "availability_zones": [{
        "az_name": "vcenter", "vcenter_host": "127.0.0.1", "vcenter_username": "administrator@vsphere.local",
        "vcenter_password": VC_PASSWORD,
        "nova_computes": [{"vsphere_cluster": "Cluster1", "service_name": "vmcluster1",
                           "datastore_regex": "^datastore.*", "target_node": {"current": {"id": "node-4"}}}],
    }],
    "glance": {"vcenter_host": "", "vcenter_username": "", "vcenter_password": "", "datacenter": "",
               "datastore": ""},
    "network": {"esxi_vlan_interface": "vmnic0"},
}
_DUAL["vcenter"] = {"port": 18990, "insecure": True, "datacenter": "Datacenter"}
_DUAL["nodes"] += [
    {"name": "node-4", "roles": ["compute-vmware"], "host": "local://"},  # Fuel's alias of vcenter-compute
    {"name": "node-5", "roles": ["cinder-vmware"], "host": "local://"},  # Fuel's alias of cinder-vmdk
]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the developer's FUEL_HEALTH_* variables and lab config out of the unit tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("FUEL_HEALTH_", "OS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FUEL_LAB_HOME", str(tmp_path_factory.mktemp("no-lab")))


@pytest.fixture
def vc_password() -> str:
    """The vCenter password of the sample configs (must never be printed)."""
    return VC_PASSWORD


@pytest.fixture
def os_password() -> str:
    """The OpenStack password of the sample configs (must never be printed)."""
    return OS_PASSWORD


@pytest.fixture
def kvm_raw() -> dict[str, Any]:
    """A KVM/QEMU-only cluster, in the file schema."""
    return copy.deepcopy(_KVM_ONLY)


@pytest.fixture
def dual_raw() -> dict[str, Any]:
    """KVM zone + vCenter zone whose nova-compute runs on a vcenter-compute node."""
    return copy.deepcopy(_DUAL)


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a raw config to a YAML file and return its path."""

    def write(raw: dict[str, Any], name: str = "fuel-health.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return path

    return write


@pytest.fixture
def sample_suite(monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the sample suite importable and return its package name."""
    monkeypatch.syspath_prepend(str(DATA))
    return "ostf_sample"
