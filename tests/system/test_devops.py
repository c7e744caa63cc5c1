"""fuel-devops: the wrapper (against a RECORDED-SHAPE double, fuel-devops is not installable here) and the
lab template, validated against fuel-devops 3.0.5's template fields (devops/models/network.py AddressPool
params, devops/templates/default.yaml, the libvirt driver's node params)."""

from __future__ import annotations

import ipaddress
import re
import sys
from types import ModuleType
from typing import Any

import pytest
from devops_double import RecordedEnvironment

from fuel_health import fuel_data
from system_tests.helpers.devops import FuelDevopsEnv, load_template
from system_tests.helpers.errors import DeploymentError

NETWORKS = {"fuelweb_admin", "public", "storage", "management", "private"}
NODE_PARAMS = {"vcpu", "memory", "boot", "volumes", "interfaces", "network_config"}
VOLUME_KEYS = {"name", "capacity", "format", "device", "bus", "source_image"}
POOL_NET = re.compile(r"^(?P<net>[\d.]+/\d+):(?P<prefix>\d+)$")


def test_snapshot_and_revert_are_fuel_qas_calls():
    """Recorded-shape double of devops.models.Environment: fuel-devops cannot run here."""
    env = RecordedEnvironment("lab", {"slave-01": "64:52:00:00:00:01"})
    devops = FuelDevopsEnv(env)

    devops.snapshot("deploy_kvm", "after deploy_kvm")
    devops.revert("deploy_kvm")

    assert env.calls == [("suspend",), ("snapshot", "deploy_kvm", True), ("resume",), ("revert", "deploy_kvm", True),
                         ("resume",)]
    assert devops.node_macs("slave-01") == {"64:52:00:00:00:01", "64:52:00:aa:00:01"}


def test_fuel_devops_is_imported_only_when_a_lab_is_opened(monkeypatch):
    """A stand-in devops.models module (recorded shape): fuel-devops is not installable here."""
    monkeypatch.setitem(sys.modules, "devops", None)
    with pytest.raises(DeploymentError, match=r"^fuel-devops is not importable here"):
        FuelDevopsEnv.open("lab")

    models = ModuleType("devops.models")
    models.Environment = type("Environment", (), {"get": staticmethod(lambda name: RecordedEnvironment(name, {}))})
    monkeypatch.setitem(sys.modules, "devops", ModuleType("devops"))
    monkeypatch.setitem(sys.modules, "devops.models", models)
    assert FuelDevopsEnv.open("dual_hv_fuel_lab").env.name == "dual_hv_fuel_lab"


def template_problems(data: dict[str, Any]) -> list[str]:
    """Check a template against fuel-devops's required fields, enums and cross references."""
    settings = data["template"]["devops_settings"]
    out = [f"devops_settings.{k} missing" for k in ("env_name", "address_pools", "groups") if k not in settings]
    out += [f"devops_settings.{k} unknown" for k in set(settings) - {"env_name", "address_pools", "groups"}]
    pools = settings["address_pools"]
    for name, pool in pools.items():
        # fuel-devops 3.0.5 devops/models/network.py AddressPool params; `tag` is deprecated there.
        unknown = set(pool.get("params") or {}) - {"vlan_start", "vlan_end", "ip_reserved", "ip_ranges"}
        out += [f"address pool {name}: params {sorted(unknown)} (fuel-devops 3.0 takes vlan_start)"] if unknown else []
        match = POOL_NET.match(str(pool.get("net")))
        if not match or int(match["prefix"]) < ipaddress.ip_network(match["net"]).prefixlen:
            out.append(f"address pool {name}: net {pool.get('net')!r} is not <cidr>:<prefix>")
    for group in settings["groups"]:
        missing = {"name", "driver", "network_pools", "l2_network_devices", "nodes"} - set(group)
        out += [f"group {group.get('name')}: {k} missing" for k in sorted(missing)]
        if group["driver"]["name"] != "devops.driver.libvirt":
            out.append(f"group {group['name']}: driver {group['driver']['name']}")
        if set(group["network_pools"]) != NETWORKS or not set(group["network_pools"].values()) <= set(pools):
            out.append(f"network_pools {group['network_pools']}")
        devices = group["l2_network_devices"]
        out += [f"l2 device {d}: pool {v['address_pool']}" for d, v in devices.items()
                if v["address_pool"] not in pools]
        for node in group["nodes"]:
            out += node_problems(node, devices, set(group["network_pools"]))
    return out


def node_problems(node: dict[str, Any], devices: dict[str, Any], networks: set[str]) -> list[str]:
    params, name = node["params"], node["name"]
    out = [f"{name}: role {node['role']}"] if node["role"] not in ("fuel_master", "fuel_slave") else []
    out += [f"{name}: params {sorted(set(params) ^ NODE_PARAMS)}"] if set(params) != NODE_PARAMS else []
    sized = isinstance(params["vcpu"], int) and isinstance(params["memory"], int)
    out += [] if sized else [f"{name}: vcpu/memory"]
    out += [f"{name}: boot {params['boot']}"] if not set(params["boot"]) <= {"hd", "cdrom", "network"} else []
    for vol in params["volumes"]:
        if set(vol) - VOLUME_KEYS or vol.get("format") not in ("qcow2", "raw"):
            out.append(f"{name}: volume {vol}")
    labels = {i["label"] for i in params["interfaces"]}
    out += [f"{name}: interface {i}" for i in params["interfaces"] if i["l2_network_device"] not in devices]
    for label, cfg in params["network_config"].items():
        if label not in labels or not set(cfg["networks"]) <= networks:
            out.append(f"{name}: network_config {label} {cfg}")
    return out


def test_the_dual_hv_lab_template_has_fuel_devops_fields_and_the_test_slaves(monkeypatch):
    monkeypatch.setenv("ISO_PATH", "/srv/iso/fuel-8.0.iso")
    data = load_template("dual_hv_fuel_lab")

    assert template_problems(data) == []
    nodes = data["template"]["devops_settings"]["groups"][0]["nodes"]
    assert [(n["name"], n["role"]) for n in nodes][:2] == [("admin", "fuel_master"), ("slave-01", "fuel_slave")]
    slaves = {n["name"]: n["params"] for n in nodes if n["role"] == "fuel_slave"}
    wanted = set(fuel_data.nodes_of(fuel_data.cluster_template("dual_hv")))
    assert wanted <= set(slaves)
    assert [v["name"] for v in slaves["slave-04"]["volumes"]] == ["system"]  # vcenter-compute: `os` only
    assert {n: set(p["network_config"]) for n, p in slaves.items()} == {n: {"eth0", "eth1", "eth2", "eth3", "eth4"}
                                                                        for n in slaves}
    assert nodes[0]["params"]["volumes"][1]["source_image"] == "/srv/iso/fuel-8.0.iso"


def test_the_template_says_it_needs_fuel_devops_3_and_cites_no_missing_schema():
    text = (fuel_data.FIXTURES.parent / "devops_envs" / "dual_hv_fuel_lab.yaml").read_text()
    assert "Needs fuel-devops 3.0" in text and "schema.yaml" not in text and "tag:" not in text


def test_address_pools_and_nics_come_from_the_environment_and_the_template():
    """Recorded-shape pools (devops_double.RecordedPool); NIC assignment straight from network_config."""
    from system_tests.helpers.devops import template_networks

    devops = FuelDevopsEnv(RecordedEnvironment("lab", {}))
    pools = devops.address_pools()
    assert set(pools) == NETWORKS
    assert pools["private"].vlan_start == 960 and pools["private"].vlan_end == 1000
    assert set(pools["public"].ranges) == {"default", "floating"} and pools["storage"].ranges == {}
    assert template_networks("slave-04")["eth4"] == ["private"]
    with pytest.raises(DeploymentError, match=r"node slave-09 is not in the fuel-devops template"):
        template_networks("slave-09")


def test_os_env_values_come_from_the_environment_with_fuel_devops_defaults(monkeypatch):
    monkeypatch.setenv("SLAVE_NODE_MEMORY", "1")  # not used by our template: ours are per profile
    monkeypatch.setenv("COMPUTE_NODE_MEMORY", "8192")
    monkeypatch.delenv("ENV_NAME", raising=False)
    data = load_template("dual_hv_fuel_lab")["template"]["devops_settings"]

    assert data["env_name"] == "dual_hv_fuel_lab"
    assert data["groups"][0]["nodes"][2]["params"]["memory"] == 8192
