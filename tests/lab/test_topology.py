"""Lab files are checked against fixtures/roles.yaml before anything starts (no services needed)."""

from __future__ import annotations

import pytest

from devops_envs.local import render, topology
from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths


def lab_dict(**changes):
    data = topology.load("dual_hv").to_dict()
    data.update(changes)
    return data


def test_dual_hv_has_the_fuel_roles():
    topo = topology.load("dual_hv")
    roles = sorted(r for n in topo.nodes for r in n.roles)
    assert roles == ["cinder", "cinder-vmdk", "cinder-vmdk", "compute", "controller", "vcenter-compute"]
    assert topo.vcenter_zone.az_name == "vcenter"


def test_fuel_role_names_are_aliases():
    data = lab_dict()
    data["nodes"][3]["roles"] = ["compute-vmware"]
    data["nodes"][4]["roles"] = ["cinder-vmware"]
    topo = topology.from_dict(data)
    assert topo.nodes[3].roles == ("vcenter-compute",) and topo.nodes[4].roles == ("cinder-vmdk",)


@pytest.mark.parametrize("roles, message", [
    (["vcenter-compute", "compute"], "cannot be combined with compute"),
    (["vcenter-compute", "mongo"], "cannot be combined with mongo"),
    (["vcenter-compute", "controller"], "cannot be combined with controller"),
    (["vcenter-compute", "cinder"], "cannot be combined with cinder"),
    (["zabbix-server"], "unknown role 'zabbix-server'"),
    (["hypervisor-x"], "unknown role 'hypervisor-x'"),
])
def test_forbidden_roles_give_one_line(roles, message):
    data = lab_dict()
    data["nodes"][3]["roles"] = roles
    with pytest.raises(LabError, match=message) as err:
        topology.from_dict(data)
    assert "\n" not in str(err.value)


def test_cinder_and_cinder_vmdk_may_share_a_node():
    """fuel-qa 7.0-eol test_vcenter.py vcenter_multiroles_cindervmdk_and_cinder deploys them together."""
    data = lab_dict()
    data["nodes"][4]["roles"] = ["cinder-vmdk", "cinder"]
    assert topology.from_dict(data).nodes[4].roles == ("cinder-vmdk", "cinder")


def test_vcenter_roles_need_vcenter_enabled():
    data = lab_dict()
    data["cluster"]["settings"]["common"]["use_vcenter"] = False
    with pytest.raises(LabError, match="use_vcenter"):
        topology.from_dict(data)


def test_az_name_nova_is_refused():
    data = lab_dict()
    data["vmware_attributes"]["availability_zones"][0]["az_name"] = "nova"
    with pytest.raises(LabError, match="az_name"):
        topology.from_dict(data)


def test_unknown_lab_file():
    with pytest.raises(LabError, match="known labs: dual_hv, dual_hv_libvirt, kvm_only, kvm_vcenter_controllers"):
        topology.load("nope")


def test_rendered_configs_carry_the_fixture_changes(tmp_path):
    """The same fixtures a Fuel deployment uses make the lab's configs: one truth."""
    paths = LabPaths(tmp_path)
    topo = topology.load("dual_hv")
    secret = {"db_password": "d", "rabbit_password": "r", "service_password": "s", "admin_password": "a",
              "vcenter_password": "v"}
    (tmp_path / "venv" / "etc").mkdir(parents=True)
    for rel in render.PASTE_FILES.values():
        (tmp_path / "venv" / "etc" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "venv" / "etc" / rel).write_text("")
    render.render_all(paths, topo, secret)
    nova_vc = (paths.node_etc("node-4") / "nova/nova.conf").read_text()
    assert "compute_driver = vmwareapi.VMwareVCDriver" in nova_vc
    assert "host = vcenter-vmcluster1" in nova_vc and "cluster_name = Cluster1" in nova_vc
    for node in ("node-1", "node-2", "node-4"):
        assert "cross_az_attach = False" in (paths.node_etc(node) / "nova/nova.conf").read_text()
    vmdk = [(paths.node_etc(n) / "cinder/cinder.conf").read_text() for n in ("node-5", "node-6")]
    assert vmdk[0] == vmdk[1].replace("node-6", "node-5")
    assert "host = cinder-vmdk-vcenter" in vmdk[0] and "storage_availability_zone = vcenter" in vmdk[0]
    assert "{{" not in nova_vc + vmdk[0]
