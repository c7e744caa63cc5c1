"""Lab files are checked against fixtures/roles.yaml before anything starts (no services needed)."""

from __future__ import annotations

import pytest

from devops_envs.local import render, services, topology
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


def eight_oh_after_add_vcenter_compute() -> dict:
    """kvm_vcenter_controllers after the 8.0 add_vcenter_compute step: Cluster1 on the stand-in, Cluster2 on node-4."""
    data = topology.load("kvm_vcenter_controllers").to_dict()
    data["nodes"].append({"name": "node-4", "roles": ["vcenter-compute"]})
    computes = data["vmware_attributes"]["availability_zones"][0]["nova_computes"]
    computes.append({"vsphere_cluster": "Cluster2", "service_name": "vmcluster2", "datastore_regex": "^datastore.*",
                     "target_node": {"current": {"id": "node-4", "label": "node-4"}}})
    return data


def test_the_simulator_serves_the_lab_files_clusters(tmp_path):
    """One place: vcenter.clusters when the lab file lists them, else the nova_computes' clusters (dual_hv: one)."""
    paths = LabPaths(tmp_path)
    argv = {name: [s for s in services.infra(paths, topology.load(name)) if s.name == "vcsim"][0].argv
            for name in ("dual_hv", "kvm_vcenter_controllers")}
    assert argv["dual_hv"][argv["dual_hv"].index("-cluster") + 1] == "Cluster1"
    assert argv["kvm_vcenter_controllers"][argv["kvm_vcenter_controllers"].index("-cluster") + 1] == \
        "Cluster1,Cluster2"
    assert topology.from_dict(eight_oh_after_add_vcenter_compute()).vsphere_clusters == ["Cluster1", "Cluster2"]


def test_each_vcenter_compute_node_renders_its_own_nova_compute(tmp_path):
    paths = LabPaths(tmp_path)
    topo = topology.from_dict(eight_oh_after_add_vcenter_compute())
    secret = {"db_password": "d", "rabbit_password": "r", "service_password": "s", "admin_password": "a",
              "vcenter_password": "v"}
    for node, host, cluster in (("vcenter-on-controllers", "vcenter-vmcluster1", "Cluster1"),
                                ("node-4", "vcenter-vmcluster2", "Cluster2")):
        render.render_node(paths, topo, secret, next(n for n in topo.nodes if n.name == node))
        nova = (paths.node_etc(node) / "nova/nova.conf").read_text()
        assert f"host = {host}" in nova and f"cluster_name = {cluster}" in nova, node


@pytest.mark.parametrize("change, message", [
    (lambda nc: nc[1].update(vsphere_cluster="Cluster3"),
     r"vsphere_cluster 'Cluster3' is not a cluster of the lab's vCenter \(Cluster1, Cluster2\): add it to "
     r"vcenter.clusters"),
    (lambda nc: nc[1].update(vsphere_cluster="Cluster1"), r"vsphere_cluster Cluster1 given more than once"),
    (lambda nc: nc[1].update(service_name="vmcluster1"), r"service_name vmcluster1 given more than once"),
    (lambda nc: nc[1].update(target_node={"current": {"id": "vcenter-on-controllers"}}),
     r"target_node vcenter-on-controllers given more than once"),
    (lambda nc: nc.pop(), r"vcenter-compute node node-4 runs no nova_compute"),
])
def test_nova_computes_are_checked_as_a_whole(change, message):
    data = eight_oh_after_add_vcenter_compute()
    change(data["vmware_attributes"]["availability_zones"][0]["nova_computes"])
    with pytest.raises(LabError, match=message) as err:
        topology.from_dict(data)
    assert "\n" not in str(err.value)
