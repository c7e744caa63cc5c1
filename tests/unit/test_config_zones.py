"""N hypervisor zones: several KVM zones with their hosts, one vCenter zone per availability_zones entry.

The single-zone accessors (`cfg.zone(...)`, `cfg.hypervisors`, `cfg.vcenter`) read the first zone of each
hypervisor, so a 1 + 1 cloud reads as before; `cfg.kvm_zones` / `cfg.vcenter_zones` list them all.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fuel_health import config

VC2_PASSWORD = "Vc2-Secret-Pa55!"


def _second_vcenter(raw: dict[str, Any]) -> dict[str, Any]:
    """Add a second vCenter zone with its own vCenter, credentials and two clusters (Fuel 8.0/9.0 shape)."""
    raw["vmware_attributes"]["availability_zones"].append({
        "az_name": "vc_west", "vcenter_host": "10.0.0.20", "vcenter_username": "ops@west.local",
        "vcenter_password": VC2_PASSWORD,
        "nova_computes": [
            {"vsphere_cluster": "West1", "service_name": "west1", "datastore_regex": "^ds-west1",
             "target_node": {"current": {"id": "controllers", "label": "controllers"}}},
            {"vsphere_cluster": "West2", "service_name": "west2", "datastore_regex": "",
             "target_node": {"current": {"id": "node-4", "label": "node-4"}}},
        ],
    })
    return raw


def test_several_vcenter_zones_load_each_with_its_own_vcenter(dual_raw, vc_password):
    """Was refused ("vmware_attributes has several zones: pick one"): now every zone is described."""
    cfg = config.build(_second_vcenter(dual_raw))

    assert [(z.hypervisor, z.zone) for z in cfg.zones] == [("kvm", "nova"), ("vcenter", "vcenter"),
                                                           ("vcenter", "vc_west")]
    east, west = cfg.vcenter_zones
    assert (east.vcenter.host, east.vcenter.username, east.vcenter.password.reveal()) == (
        "127.0.0.1", "administrator@vsphere.local", vc_password)
    assert (west.vcenter.host, west.vcenter.username, west.vcenter.password.reveal()) == (
        "10.0.0.20", "ops@west.local", VC2_PASSWORD)
    assert west.image == "TestVM-VMDK" and west.flavor == "m1.tiny"
    assert west.vcenter.nova_computes == (config.NovaCompute("West1", "west1", "^ds-west1", "controllers"),
                                          config.NovaCompute("West2", "west2", "", "node-4"))
    assert [west.vcenter.compute_host(nc) for nc in west.vcenter.nova_computes] == ["vc_west-west1",
                                                                                    "vc_west-west2"]
    # The `vcenter` section is every zone's default: port, insecure, datacenter.
    assert (west.vcenter.port, west.vcenter.insecure, west.vcenter.datacenter) == (18990, True, "Datacenter")
    # The single-zone checks keep reading the first vCenter zone.
    assert cfg.zone("vcenter") is east and cfg.vcenter is east.vcenter and cfg.hypervisors.vcenter is east
    assert cfg.zone_named("vc_west") is west


def test_zone_entries_choose_image_endpoint_and_which_zone_comes_first(dual_raw):
    raw = _second_vcenter(dual_raw)
    raw["hypervisors"]["vcenter"] = [
        {"zone": "vc_west", "image": "West-VMDK", "port": 443, "insecure": False, "datacenter": "DC-West"},
        {"zone": "vcenter", "flavor": "m1.small"},
    ]

    cfg = config.build(raw)

    west, east = cfg.vcenter_zones
    assert (west.zone, west.image, west.vcenter.port, west.vcenter.insecure, west.vcenter.datacenter) == (
        "vc_west", "West-VMDK", 443, False, "DC-West")
    assert (east.zone, east.flavor, east.vcenter.port, east.vcenter.insecure) == ("vcenter", "m1.small", 18990, True)
    assert cfg.zone("vcenter") is west  # listed first: what the single-zone checks use


def test_several_kvm_zones_each_with_its_hosts(dual_raw):
    dual_raw["nodes"] += [{"name": "node-6", "hostname": "node-6.domain.tld", "roles": ["compute"]},
                          {"name": "node-7", "roles": ["compute", "cinder"]}]
    dual_raw["hypervisors"]["kvm"] = [
        {"zone": "nova", "hosts": ["node-2", "node-6"]},
        {"zone": "kvm_b", "hosts": ["node-7"], "image": "cirros", "console_ready": "login:"},
    ]

    cfg = config.build(dual_raw)

    nova, kvm_b = cfg.kvm_zones
    assert nova == config.Zone("kvm", "nova", "TestVM", "m1.tiny", hosts=("node-2", "node-6.domain.tld"))
    assert (kvm_b.zone, kvm_b.image, kvm_b.console_ready, kvm_b.hosts) == ("kvm_b", "cirros", "login:", ("node-7",))
    assert cfg.zone("kvm") is nova and [z.zone for z in cfg.zones] == ["nova", "kvm_b", "vcenter"]


def test_one_kvm_zone_holds_every_compute_node(kvm_raw):
    kvm_raw["nodes"].append({"name": "node-9", "hostname": "node-9.fqdn", "roles": ["compute"]})
    assert config.build(kvm_raw).zone("kvm").hosts == ("node-2", "node-9.fqdn")


def test_vcenter_off_means_no_vcenter_zone(kvm_raw):
    kvm_raw["hypervisors"]["vcenter"] = {"zone": "vcenter"}  # e.g. the lab's file with use_vcenter overridden
    cfg = config.build(kvm_raw)
    assert cfg.vcenter_zones == () and cfg.vcenter is None


def _az(raw: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return raw["vmware_attributes"]["availability_zones"][index]


def _kvm_zones(raw: dict[str, Any], *zones: dict[str, Any]) -> None:
    raw["nodes"].append({"name": "node-6", "roles": ["compute"]})
    raw["hypervisors"]["kvm"] = list(zones)


ERRORS = [
    ("a KVM zone of several without hosts",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2"]}, {"zone": "kvm_b"}),
     "hypervisors.kvm[1].hosts: missing (with several KVM zones, list each zone's compute nodes)"),
    ("a host that is no compute node",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2", "node-6"]}, {"zone": "kvm_b", "hosts": ["node-1"]}),
     "hypervisors.kvm[1].hosts: 'node-1' is not a compute node (compute nodes: node-2, node-6)"),
    ("a host in two zones",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2", "node-6"]}, {"zone": "kvm_b", "hosts": ["node-6"]}),
     "hypervisors.kvm[1].hosts: node-6 is also in hypervisors.kvm[0]"),
    ("a compute node in no zone",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2"]}, {"zone": "kvm_b", "hosts": []}),
     "nodes[node-6]: a compute node in no KVM zone"),
    ("two KVM zones of one name",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2"]}, {"zone": "nova", "hosts": ["node-6"]}),
     "hypervisors.kvm[1].zone: 'nova' is also the zone of hypervisors.kvm[0]"),
    ("a zone entry with an unknown key",
     lambda r: _kvm_zones(r, {"zone": "nova", "hosts": ["node-2"]}, {"zone": "kvm_b", "imag": "x"}),
     "hypervisors.kvm[1].imag: unknown key (known: zone, image, flavor, console_ready, console_disks, hosts)"),
    ("a vCenter entry naming no az_name",
     lambda r: r["hypervisors"].__setitem__("vcenter", [{"zone": "vcenter"}, {"zone": "vc9"}]),
     "hypervisors.vcenter[1].zone: 'vc9' is no az_name of vmware_attributes (there: vcenter)"),
    ("a vCenter zone described twice",
     lambda r: r["hypervisors"].__setitem__("vcenter", [{"zone": "vcenter"}, {"zone": "vcenter"}]),
     "hypervisors.vcenter[1].zone: 'vcenter' is described twice (see hypervisors.vcenter[0])"),
    ("one az_name twice",
     lambda r: r["vmware_attributes"]["availability_zones"].append(copy.deepcopy(_az(r))),
     "vmware_attributes.availability_zones[1].az_name: 'vcenter' twice"),
    ("the second zone's password missing",
     lambda r: (_second_vcenter(r), _az(r, 1).pop("vcenter_password")),
     "vmware_attributes.availability_zones[1].vcenter_password: missing (the vCenter password)"),
    ("the second zone's cluster target unknown",
     lambda r: (_second_vcenter(r), _az(r, 1)["nova_computes"][1].__setitem__("target_node", "node-9")),
     "vmware_attributes.availability_zones[1].nova_computes[1].target_node: 'node-9' is not a node"),
    ("a zone's own port out of range",
     lambda r: (_second_vcenter(r), r["hypervisors"].__setitem__("vcenter", [{"zone": "vc_west", "port": 0}])),
     "hypervisors.vcenter[0].port: 0 is not a TCP port"),
    ("a vCenter zone that is also a KVM zone",
     lambda r: (_second_vcenter(r), _kvm_zones(r, {"zone": "nova", "hosts": ["node-2"]},
                                               {"zone": "vc_west", "hosts": ["node-6"]})),
     "hypervisors.vcenter.zone: 'vc_west' is also the KVM zone"),
    ("nodes as a mapping", lambda r: r.__setitem__("nodes", {"name": "node-1"}),
     "nodes: expected a list, got {'name': 'node-1'}"),
]


@pytest.mark.parametrize(("mutate", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_zone_errors_are_one_line_naming_the_key(dual_raw, mutate, message, vc_password):
    mutate(dual_raw)

    with pytest.raises(config.ConfigError) as err:
        config.build(dual_raw)

    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
    assert vc_password not in str(err.value) and VC2_PASSWORD not in str(err.value)


def test_zones_given_as_a_list_cannot_be_overridden_one_key_at_a_time(dual_raw):
    dual_raw["hypervisors"]["kvm"] = [{"zone": "nova"}]
    cfg = config.build(dual_raw)
    with pytest.raises(config.ConfigError, match=r"^hypervisors.kvm.flavor: cannot override inside a list"):
        config.apply_overrides(cfg, {"hypervisors.kvm.flavor": "m1.small"})


def test_every_zones_password_is_masked(dual_raw, vc_password, write_config):
    cfg = config.load_file(write_config(_second_vcenter(dual_raw)))
    shown = config.show(cfg) + repr(cfg) + str(cfg.to_dict())
    assert vc_password not in shown and VC2_PASSWORD not in shown
    assert config.show(cfg).count("password: '***'") == 2


def test_a_pydantic_error_never_reaches_the_user_as_a_wall(dual_raw):
    dual_raw["hypervisors"]["kvm"] = [{"zone": "nova", "hosts": "node-2"}, 7]
    with pytest.raises(config.ConfigError) as err:
        config.build(dual_raw)
    assert str(err.value) == "hypervisors.kvm[0].hosts: expected a list of names, got 'node-2' " \
                             "(the zone's compute nodes, e.g. [node-2, node-3])"
