"""Lab files are checked against fixtures/roles.yaml before anything starts (no services needed)."""

from __future__ import annotations

import configparser

import pytest
import yaml

from devops_envs.local import render, services, supervisor, topology
from devops_envs.local.errors import LabError
from devops_envs.local.lab import Lab
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


# --- multi_vc: several vCenter zones (issue 14) ------------------------------------------------------------

VC_PASSWORD = "Vc-Secret-9f3a"
SECRET = {"db_password": "d", "rabbit_password": "r", "service_password": "s", "admin_password": "a",
          "vcenter_password": VC_PASSWORD}


def rendered_multi_vc(tmp_path) -> tuple[LabPaths, topology.Topology]:
    paths = LabPaths(tmp_path)
    for rel in render.PASTE_FILES.values():
        (tmp_path / "venv" / "etc" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "venv" / "etc" / rel).write_text("")
    topo = topology.load("multi_vc")
    render.render_all(paths, topo, SECRET)
    return paths, topo


def ini(path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(path)
    return parser


def test_multi_vc_runs_one_simulator_per_vcenter_zone_each_with_its_own_port_and_credentials(tmp_path):
    paths, topo = rendered_multi_vc(tmp_path)
    sims = {s.key: s for s in services.infra(paths, topo) if s.name == "vcsim"}
    assert sorted(sims) == ["vcenter-vcenter2.vcsim", "vcenter.vcsim"]
    first, second = sims["vcenter.vcsim"], sims["vcenter-vcenter2.vcsim"]

    def flag(svc, name):
        return svc.argv[svc.argv.index(name) + 1]

    assert (first.port, flag(first, "-l"), flag(first, "-user"), flag(first, "-cluster")) == (
        18990, "127.0.0.1:18990", "administrator@vsphere.local", "Cluster1,Cluster2")
    assert (second.port, flag(second, "-l"), flag(second, "-user"), flag(second, "-cluster")) == (
        18991, "127.0.0.1:18991", "ops@vcenter2.local", "ClusterA,ClusterB")
    # Its own instance uuid too: nova names a vCenter node <cluster moref>.<instance uuid>.
    assert "-instance-uuid" not in first.argv and "-instance-uuid" in second.argv
    passwords = [supervisor._fill_secrets(s.env["VCSIM_PASSWORD"], SECRET) for s in (first, second)]
    assert passwords[0] == VC_PASSWORD and passwords[1] not in ("", VC_PASSWORD)
    assert passwords == [render.vcenter_password(topo, SECRET, az) for az in ("vcenter", "vcenter2")]
    assert not any(p in " ".join(s.argv) for p in passwords for s in (first, second))  # never in argv


def test_multi_vc_each_vcenter_compute_talks_to_its_own_zones_vcenter(tmp_path):
    paths, topo = rendered_multi_vc(tmp_path)
    seen = {}
    for node, host, cluster in (("node-4", "vcenter-vmcluster1", "Cluster1"),
                                ("node-8", "vcenter2-vmclustera", "ClusterA"),
                                ("node-9", "vcenter2-vmclusterb", "ClusterB")):
        nova = ini(paths.node_etc(node) / "nova/nova.conf")
        assert (nova["DEFAULT"]["host"], nova["vmware"]["cluster_name"]) == (host, cluster), node
        seen[node] = (nova["vmware"]["host_port"], nova["vmware"]["host_username"], nova["vmware"]["host_password"])
    assert seen["node-4"] == ("18990", "administrator@vsphere.local", VC_PASSWORD)
    assert seen["node-8"] == seen["node-9"] == ("18991", "ops@vcenter2.local",
                                                render.vcenter_password(topo, SECRET, "vcenter2"))


def test_multi_vc_has_a_cinder_vmdk_pair_per_vcenter_zone(tmp_path):
    """Every cinder-vmdk node runs one cinder-volume per vCenter zone (Fuel's cinder-volume-vmware-<az>); a
    zone's two processes share its host (one RPC queue), and each zone's pair serves that zone's vCenter."""
    paths, topo = rendered_multi_vc(tmp_path)
    volumes = [s for n in topo.nodes_with("cinder-vmdk") for s in services.openstack(paths, topo, n)
               if s.name.startswith("cinder-volume")]
    by_queue: dict[str, list[str]] = {}
    for svc in volumes:
        by_queue.setdefault(svc.queue, []).append(svc.node)
    assert by_queue == {"cinder-volume.cinder-vmdk-vcenter@vmdk": ["node-5", "node-6"],
                        "cinder-volume.cinder-vmdk-vcenter2@vmdk": ["node-5", "node-6"]}
    for node in ("node-5", "node-6"):
        (zone2,) = [s for s in volumes if s.node == node and s.queue.endswith("vcenter2@vmdk")]
        (conf,) = [a for a in zone2.argv if a.endswith(".conf")]  # its own file only: see render.vmdk_zone_file
        assert conf == str(paths.node_etc(node) / "cinder/cinder.d/vmware-vcenter2.conf")
        for path, zone, port, user, cluster in (
                (paths.node_etc(node) / "cinder/cinder.conf", "vcenter", "18990", "administrator@vsphere.local",
                 "Cluster1"),
                (conf, "vcenter2", "18991", "ops@vcenter2.local", "ClusterA")):
            cinder = ini(path)
            assert (cinder["DEFAULT"]["storage_availability_zone"], cinder["vmdk"]["backend_availability_zone"],
                    cinder["vmdk"]["vmware_host_port"], cinder["vmdk"]["vmware_host_username"],
                    cinder["vmdk"]["vmware_cluster_name"]) == (zone, zone, port, user, cluster), path
            assert cinder["vmdk"]["vmware_host_password"] == render.vcenter_password(topo, SECRET, zone)


def test_multi_vc_suite_config_describes_every_zone(tmp_path):
    from fuel_health import config

    paths, topo = rendered_multi_vc(tmp_path)
    Lab(paths).write_suite_config(topo, SECRET)
    cfg = config.build(yaml.safe_load(paths.suite_config.read_text()))
    assert [(z.hypervisor, z.zone) for z in cfg.zones] == [("kvm", "nova"), ("vcenter", "vcenter"),
                                                           ("vcenter", "vcenter2")]
    assert cfg.zone("kvm").hosts == ("node-2", "node-7")
    east, west = cfg.vcenter_zones
    assert (east.vcenter.port, east.vcenter.username, east.vcenter.password.reveal()) == (
        18990, "administrator@vsphere.local", VC_PASSWORD)
    assert (west.vcenter.port, west.vcenter.username, west.vcenter.password.reveal(), west.vcenter.datacenter) == (
        18991, "ops@vcenter2.local", render.vcenter_password(topo, SECRET, "vcenter2"), "Datacenter2")
    assert [west.vcenter.compute_host(nc) for nc in west.vcenter.nova_computes] == ["vcenter2-vmclustera",
                                                                                    "vcenter2-vmclusterb"]


def _zones(data):
    return data["vmware_attributes"]["availability_zones"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["vcenter"]["zones"]["vcenter2"].pop("port"),
     r"vcenter.zones.vcenter2.port: missing \(each vCenter zone runs its own simulator on its own port\)"),
    (lambda d: d["vcenter"].pop("zones"), r"vcenter.zones.vcenter2.port: missing"),
    (lambda d: d["vcenter"]["zones"]["vcenter2"].update(port=18990),
     r"vcenter.zones.vcenter2.port 18990 is also the port of zone vcenter's simulator"),
    (lambda d: d["vcenter"]["zones"].update(vc9={"port": 18992}), r"vcenter.zones.vc9 is no further vCenter zone"),
    (lambda d: d["vcenter"]["zones"].update(vcenter2=18991), r"vcenter.zones.vcenter2 must be a mapping"),
    (lambda d: _zones(d)[1]["nova_computes"][1].update(vsphere_cluster="ClusterC"),
     r"vsphere_cluster 'ClusterC' is not a cluster of zone vcenter2's vCenter \(ClusterA, ClusterB\): add it to "
     r"vcenter.zones.vcenter2.clusters"),
    (lambda d: _zones(d)[1].update(az_name="vcenter"), r"az_name 'vcenter' given more than once"),
    (lambda d: _zones(d)[1].update(nova_computes=[]), r"vCenter zone vcenter2 has no nova_computes"),
    (lambda d: _zones(d)[1]["nova_computes"][1].update(target_node={"current": {"id": "node-4"}}),
     r"target_node node-4 given more than once"),
    (lambda d: _zones(d)[1].pop("vcenter_username"), r"missing or malformed key 'vcenter_username'"),
])
def test_multi_vc_refusals_are_one_line(change, message):
    data = topology.load("multi_vc").to_dict()
    change(data)
    with pytest.raises(LabError, match=message) as err:
        topology.from_dict(data)
    assert "\n" not in str(err.value)


def test_a_cluster_name_may_repeat_in_another_vcenter():
    """Two vCenters may both have a Cluster1: only within one vCenter is a cluster given once."""
    data = topology.load("multi_vc").to_dict()
    _zones(data)[1]["nova_computes"][0]["vsphere_cluster"] = "Cluster1"
    data["vcenter"]["zones"]["vcenter2"]["clusters"] = ["Cluster1", "ClusterB"]
    assert [nc.vsphere_cluster for nc in topology.from_dict(data).nova_computes] == ["Cluster1", "Cluster1",
                                                                                     "ClusterB"]


def test_multi_vc_can_grow_a_cluster_compute_on_the_spare_cluster(tmp_path):
    """What `add-node --role vcenter-compute --vmware-attributes` makes of a running multi_vc lab: Cluster2 is in
    the first vCenter from the start (a running simulator cannot grow a cluster), and the new node serves it."""
    data = topology.load("multi_vc").to_dict()
    data["nodes"].append({"name": "node-10", "roles": ["vcenter-compute"]})
    _zones(data)[0]["nova_computes"].append({"vsphere_cluster": "Cluster2", "service_name": "vmcluster2",
                                             "datastore_regex": "^datastore.*",
                                             "target_node": {"current": {"id": "node-10", "label": "node-10"}}})
    topo = topology.from_dict(data)
    paths = LabPaths(tmp_path)
    render.render_node(paths, topo, SECRET, topo.nodes[-1])
    nova = ini(paths.node_etc("node-10") / "nova/nova.conf")
    assert (nova["DEFAULT"]["host"], nova["vmware"]["cluster_name"], nova["vmware"]["host_port"]) == (
        "vcenter-vmcluster2", "Cluster2", "18990")
    # A cluster the zone's simulator does not serve is refused before anything starts.
    _zones(data)[1]["nova_computes"][0]["vsphere_cluster"] = "ClusterC"
    with pytest.raises(LabError, match="add it to vcenter.zones.vcenter2.clusters"):
        topology.from_dict(data)
