"""The Fuel backend against the STRICT contract double of a Fuel master (tests/system/nailgun_contract.py), per
release. A real Fuel master cannot run here; the double refuses what that release's Nailgun refuses (each rule
citing fuel-web), and fuel-devops is a recorded-shape double (tests/system/devops_double.py).

The whole scenario (deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha, and the negative one) runs against
the double for 6.1, 7.0, 8.0 and 9.0; the other tests pin single rules: the double's refusal, and our backend
saying the same thing before it sends anything.
"""

from __future__ import annotations

import io
import re

import pytest
from devops_double import RecordedEnvironment
from nailgun_contract import MACS, TOKEN, FakeFuelMaster

from fuel_health import fuel_data
from fuel_health.config.nailgun_client import NailgunClient
from system_tests import runner
from system_tests.helpers import vmware
from system_tests.helpers.devops import FuelDevopsEnv
from system_tests.helpers.errors import DeploymentError, OstfError, RoleRestrictionError, VmwareSettingsError
from system_tests.helpers.fuel import FuelDeployment, FuelSettings
from system_tests.scenarios.base import using

VC = {"vcenter_host": "172.16.0.254", "vcenter_username": "u", "vcenter_password": "p"}
KVM_OK = {"fuel_health.tests.sanity.test_api.test_services": "success",
          "fuel_health.tests.smoke.kvm.test_boot.test_boot": "success"}


def start(httpserver, release: str, tmp_path) -> tuple[FakeFuelMaster, FuelDeployment, RecordedEnvironment]:
    fake = FakeFuelMaster(release)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    env = RecordedEnvironment("dual_hv_fuel_lab", MACS)
    client = NailgunClient(httpserver.url_for("/").rstrip("/"), token=TOKEN)
    settings = FuelSettings(nailgun_url=client.url, reports_dir=tmp_path / "reports", poll_interval=0,
                            fuel_release=release, vcenter=VC)
    return fake, FuelDeployment(client, FuelDevopsEnv(env), settings, sleep=lambda s: None,
                                log=lambda m: None), env


@pytest.fixture(params=fuel_data.releases())
def each(request, httpserver, tmp_path):
    return start(httpserver, request.param, tmp_path)


@pytest.fixture
def eight(httpserver, tmp_path):
    return start(httpserver, "8.0", tmp_path)


@pytest.fixture
def nine(httpserver, tmp_path):
    return start(httpserver, "9.0", tmp_path)


def deploy_kvm(fuel: FuelDeployment, template: str = "kvm_only") -> None:
    data = fuel_data.cluster_template(template)
    fuel.create_cluster(template)
    fuel.add_nodes(fuel_data.nodes_of(data))
    if data.get("vmware_attributes"):
        fuel.set_vmware_attributes(vmware.attributes(fuel.vcenter_values(), data["target_node"]))
    fuel.deploy_changes(600)


# --- the whole scenario, per release ---

def test_the_whole_scenario_runs_green_against_the_strict_double(each, tmp_path):
    """Contract double per release: deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha, plus negative."""
    master, fuel, _ = each
    release = fuel.release
    with using(fuel, tmp_path):
        report = runner.run_groups(runner.load_scenarios(), ["add_cinder_vmdk_ha", "negative"], stream=io.StringIO())

    assert [(o.name, o.status, o.message) for o in report.outcomes if o.status != "passed"] == []
    assert report.ok and master.refusals == []  # nothing real Nailgun would refuse was sent
    cluster = master.clusters[1]
    assert (cluster["mode"], cluster["status"]) == ("ha_compact", "operational")
    roles = {n["hostname"]: n["roles"] for n in master.nodes.values() if n["cluster"] == 1}
    value = master.vmware["editable"]["value"]
    if release == "9.0":
        assert (cluster["net_provider"], cluster["net_segment_type"]) == ("neutron", "vlan")
        assert vmware.target_nodes(value) == ["node-4"] and roles["node-4"] == ["compute-vmware"]
    elif release == "8.0":
        assert (cluster["net_provider"], cluster["net_segment_type"]) == ("neutron", "vlan")
        assert vmware.target_nodes(value) == ["controllers", "node-4"]  # Cluster1 stays, Cluster2 is new
        assert roles["node-4"] == ["compute-vmware"]
    else:  # 6.1, 7.0: nova-network with vCenter; the vcenter-compute step was refused, nothing was added
        assert cluster["net_provider"] == "nova_network"
        assert vmware.target_nodes(value) == ["controllers"] and "node-4" not in roles
        assert value["availability_zones"][0]["cinder"] == {"enable": True}  # Nailgun's key survived our PUTs
        assert ("target_node" in value["availability_zones"][0]["nova_computes"][0]) == (release == "7.0")
    assert roles["node-5"] == roles["node-6"] == ["cinder-vmware"]
    # No release has storage.volumes_vmdk: never sent; VMDK volumes came with use_vcenter + cinder-vmware nodes.
    assert "volumes_vmdk" not in master.attributes["editable"]["storage"]
    assert {"volumes_vmdk", "cinder_vmdk_ha"} <= master.cluster_tags(1)
    put_attrs = [b for m, p, b in master.requests if (m, p) == ("PUT", "/api/clusters/1/attributes")]
    assert all("volumes_vmdk" not in (b["editable"].get("storage") or {}) for b in put_attrs)
    assert len(put_attrs) == (2 if release == "9.0" else 1)  # 6.1-8.0: only before the first deploy


def test_each_release_says_why_the_vcenter_compute_step_is_refused(httpserver, tmp_path):
    """6.1: no compute-vmware role; 7.0: vmware_attributes cannot change once deployed (403)."""
    for release, why in (("6.1", "role compute-vmware does not exist in Fuel 6.1"),
                         ("7.0", "Fuel 7.0 refuses every vmware_attributes change once deployed (HTTP 403")):
        httpserver.clear()
        master, fuel, _ = start(httpserver, release, tmp_path)
        deploy_kvm(fuel, "kvm_vcenter_controllers")
        before = len(master.requests)
        with pytest.raises(RoleRestrictionError, match=re.escape(why)):
            fuel.add_nodes({"slave-04": ["compute-vmware"]})
        assert [m for m, _, _ in master.requests[before:]] == ["GET"] * (len(master.requests) - before)


# --- single rules: the double refuses, and our backend says so first ---

def test_the_double_refuses_multinode_and_nova_network_on_8_0(eight):
    """fuel-web 8.0 validators/cluster.py:223-225 _validate_mode (400); objects/cluster.py:436
    NovaNetworkNotSupported, not converted by create (objects/cluster.py:170-188): a 500, not a 400."""
    master, fuel, _ = eight
    for body, status, message in (
            ({"name": "x", "release": 2, "mode": "multinode", "net_provider": "neutron"}, 400,
             "Cannot deploy in multinode mode in current release"),
            ({"name": "x", "release": 2, "mode": "ha_compact", "net_provider": "nova_network"}, 500,
             "Nova network is not supported")):
        with pytest.raises(Exception, match=f"HTTP {status} .*{message}"):
            fuel.nailgun.create_cluster(body)
    assert master.clusters == {}


@pytest.mark.parametrize("release", fuel_data.releases())
def test_a_cluster_without_mode_gets_nailguns_default(httpserver, tmp_path, release):
    """fuel-web validators/cluster.py _validate_mode (6.1:131-137, 9.0:184-186) checks `if mode and ...`: a POST
    without mode is accepted and the column default ha_compact applies (db/sqlalchemy/models/cluster.py)."""
    master, fuel, _ = start(httpserver, release, tmp_path)
    provider = fuel_data.release_rules(release)["net_providers"][0]
    fuel.nailgun.create_cluster({"name": "x", "release": 2, "net_provider": provider})
    assert master.clusters[1]["mode"] == "ha_compact"


def test_create_cluster_sends_ha_compact_neutron_vlan_and_the_devops_networks(eight):
    master, fuel, env = eight
    fuel.create_cluster("kvm_only")

    post = next(b for m, p, b in master.requests if (m, p) == ("POST", "/api/clusters"))
    assert post == {"name": "kvm-only", "release": 2, "mode": "ha_compact", "net_provider": "neutron",
                    "net_segment_type": "vlan"}
    nets = {n["name"]: n for n in master.networks["networks"]}
    public = env.pools["public-pool01"]
    assert (nets["public"]["cidr"], nets["public"]["gateway"]) == (public.ip_network, public.gateway)
    assert nets["public"]["ip_ranges"] == [[public.ip_range_start("default"), public.ip_range_end("default")]]
    assert nets["storage"]["vlan_start"] == 101 and nets["management"]["vlan_start"] == 102
    assert master.networks["networking_parameters"]["floating_ranges"] == [
        [public.ip_range_start("floating"), public.ip_range_end("floating")]]
    assert master.networks["networking_parameters"]["vlan_range"] == [960, 1000]
    assert nets["fuelweb_admin"]["cidr"] == "192.168.1.0/24"  # the admin network stays as the master made it


def test_new_nodes_are_assigned_then_get_their_nics_from_the_template(eight):
    master, fuel, _ = eight
    fuel.create_cluster("kvm_only")
    fuel.add_nodes({"slave-01": ["controller"]})

    assert ("POST", "/api/clusters/1/assignment", [{"id": 1, "roles": ["controller"]}]) in master.requests
    nics = {i["name"]: [n["name"] for n in i["assigned_networks"]] for i in master.interfaces[1]}
    assert nics == {"eth0": ["fuelweb_admin"], "eth1": ["public"], "eth2": ["storage"], "eth3": ["management"],
                    "eth4": ["private"]}


def test_the_double_refuses_conflicting_roles_at_assignment(nine):
    """fuel-web 9.0 api/v1/validators/assignment.py check_roles_for_conflicts."""
    master, fuel, _ = nine
    fuel.create_cluster("kvm_only")
    with pytest.raises(Exception, match=r'HTTP 400 .*Role \\"compute-vmware\\" in conflict with role controller'):
        fuel.nailgun.request("POST", "clusters/1/assignment", [{"id": 4, "roles": ["controller", "compute-vmware"]}])


def test_our_role_check_refuses_first_naming_the_release_rule(nine):
    master, fuel, _ = nine
    with pytest.raises(RoleRestrictionError, match=r"^node slave-04: role vcenter-compute cannot be combined with "
                                                   r"compute \(fixtures/releases/9.0.yaml compute-vmware.conflicts\)$"):
        fuel.add_nodes({"slave-04": ["compute", "compute-vmware"]})
    assert master.requests == []


def test_6_1_silently_drops_an_unknown_role_so_we_refuse_it_loudly(httpserver, tmp_path):
    """fuel-web 6.1 objects/node.py:605 update_pending_roles filters roles by the release."""
    master, fuel, _ = start(httpserver, "6.1", tmp_path)
    fuel.create_cluster("kvm_vcenter_controllers")
    fuel.nailgun.update_nodes([{"id": 4, "cluster_id": 1, "pending_roles": ["compute-vmware"],
                                "pending_addition": True}])
    assert master.nodes[4]["pending_roles"] == []  # accepted, 200, and gone
    with pytest.raises(RoleRestrictionError, match=r"role compute-vmware does not exist in Fuel 6.1"):
        fuel.add_nodes({"slave-05": ["compute-vmware"]})


def test_volumes_vmdk_is_no_nailgun_setting_vmdk_comes_with_the_cinder_vmware_role(nine):
    """No release 6.1-9.0 has storage.volumes_vmdk (fuel-web <tag>:nailgun/nailgun/fixtures/openstack.yaml): a PUT
    of it is stored without effect; our backend never sends it; use_vcenter + a cinder-vmware node turn VMDK on."""
    master, fuel, _ = nine
    deploy_kvm(fuel)
    assert "volumes_vmdk" not in master.attributes["editable"]["storage"]
    fuel.nailgun.update_attributes(1, {"storage": {"volumes_vmdk": True}})  # an unknown key: stored, no effect
    assert "volumes_vmdk" not in master.cluster_tags(1)
    before = len(master.requests)
    fuel.update_settings({"storage": {"volumes_vmdk": True}})
    assert master.requests[before:] == []  # nothing to send
    fuel.update_settings({"common": {"use_vcenter": True}})
    fuel.add_nodes({"slave-05": ["cinder-vmware"]})
    fuel.deploy_changes(600)
    assert {"volumes_vmdk", "cinder_vmdk_node"} <= master.cluster_tags(1)


def test_settings_on_a_locked_cluster_are_403_and_we_refuse_before(eight):
    """fuel-web 8.0 validators/cluster.py:384 validate_allowed_attributes (locked: models/cluster.py:145)."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    with pytest.raises(Exception, match=r"HTTP 403 .*Environment attribute 'access' couldn't be changed"):
        fuel.nailgun.update_attributes(1, {"storage": {"volumes_vmdk": True}})
    before = len(master.requests)
    with pytest.raises(DeploymentError, match=r"^Fuel 8.0 refuses settings changes on a deployed cluster "
                                              r"\(common.use_vcenter\): HTTP 403, only repo_setup stay editable"):
        fuel.update_settings({"common": {"use_vcenter": True}})
    assert all(m == "GET" for m, _, _ in master.requests[before:])


def test_9_0_takes_settings_again_once_the_cluster_is_operational(nine):
    master, fuel, _ = nine
    deploy_kvm(fuel)
    fuel.update_settings({"common": {"use_vcenter": True}})
    assert master.attributes["editable"]["common"]["use_vcenter"]["value"] is True


@pytest.mark.parametrize("status", ["update_error", "deployment"])
def test_9_0_statuses_outside_the_allowed_list_lock_the_cluster(nine, status):
    """fuel-web 9.0 db/sqlalchemy/models/cluster.py:144-152 is_locked: `status not in allowed_status` (error, new,
    operational, stopped, partially_deployed), so update_error locks as well."""
    master, fuel, _ = nine
    deploy_kvm(fuel)
    master.clusters[1]["status"] = status
    assert master.is_locked(1) and fuel.facts().locked
    with pytest.raises(Exception, match=r"HTTP 403 .*couldn't be changed"):
        fuel.nailgun.update_attributes(1, {"common": {"use_vcenter": True}})


def test_a_controllers_nova_compute_cannot_move_on_deployed_8_0(eight):
    """fuel-web 8.0 validators/cluster.py check_operational_controllers_settings."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    fuel.add_nodes({"slave-04": ["compute-vmware"]})
    moved = vmware.attributes(VC, "node-4")
    with pytest.raises(VmwareSettingsError, match=r"nova_compute Cluster1 runs on the controllers of a deployed "
                                                  r"Fuel 8.0 cluster: it can be neither removed nor changed"):
        fuel.set_vmware_attributes(moved)
    value = master.vmware["editable"]["value"]
    moved_raw = {"editable": {**master.vmware["editable"], "value": vmware.merged(value, moved)}}
    with pytest.raises(Exception, match=r"HTTP 400 .*vSphere cluster name 'Cluster1' couldn't be changed"):
        fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", moved_raw)


def test_vmware_put_on_deployed_8_0_is_403_until_a_compute_vmware_node_is_pending(eight):
    """fuel-web 8.0 api/v1/handlers/cluster.py:318-321 (9.0 :401-404) + objects/cluster.py:1319-1332
    has_compute_vmware_changes: a locked cluster takes a vmware_attributes PUT only with compute-vmware pending."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    current = {"editable": master.vmware["editable"]}
    with pytest.raises(Exception, match=r"HTTP 403 .*Environment attributes can't be changed"):
        fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", current)
    fuel.add_nodes({"slave-04": ["compute-vmware"]})  # what our scenario does before its PUT
    fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", current)


def test_deployed_nova_computes_are_compared_by_stored_keys_and_target_id(eight):
    """fuel-web 8.0 validators/cluster.py:664-676 check_operational_controllers_settings compares only the STORED
    keys, target_node by current.id (labels, options and extra keys sent do not count); :623-631 the same for a
    deployed compute-vmware node's nova_compute. A changed stored key is still refused."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    fuel.add_nodes({"slave-04": ["compute-vmware"]})
    editable = master.vmware["editable"]
    nc = editable["value"]["availability_zones"][0]["nova_computes"][0]
    nc["target_node"] = {"current": {"id": "controllers", "label": "Controllers"}, "options": []}
    nc["extra_key"] = "kept"
    fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", {"editable": editable})
    nc["datastore_regex"] = "changed.*"
    with pytest.raises(Exception, match=r"HTTP 400 .*Parameter 'datastore_regex' of nova compute instance with "
                                        r"vSphere cluster name 'Cluster1' couldn't be changed"):
        fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", {"editable": editable})


def test_a_nova_compute_without_target_node_is_a_500_on_8_0_and_9_0(httpserver, tmp_path):
    """fuel-web 8.0 validators/cluster.py:455 (9.0:367) _get_target_node_id indexes target_node: a KeyError, 500.
    Only 6.1 has no target_node field; 7.0's validator never reads it."""
    for release, status in (("7.0", 200), ("8.0", 500), ("9.0", 500)):
        httpserver.clear()
        master, fuel, _ = start(httpserver, release, tmp_path)
        fuel.create_cluster("kvm_only")
        fuel.update_settings({"common": {"use_vcenter": True}})
        editable = master.vmware["editable"]
        nc = editable["value"]["availability_zones"][0]["nova_computes"][0]
        nc.update(vsphere_cluster="Cluster1", service_name="vmcluster1")
        del nc["target_node"]
        if status == 200:
            fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", {"editable": editable})
        else:
            with pytest.raises(Exception, match=r"HTTP 500 .*KeyError: 'target_node'"):
                fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", {"editable": editable})


def test_only_nova_computes_change_on_deployed_8_0(eight):
    """fuel-web 8.0 validators/cluster.py _validate_updated_attributes (editable_for_deployed: nova_computes)."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    fuel.add_nodes({"slave-04": ["compute-vmware"]})  # else 403 first (handlers/cluster.py:318-321)
    changed = fuel.vmware_attributes()
    changed["availability_zones"][0]["vcenter_host"] = "10.0.0.9"
    with pytest.raises(VmwareSettingsError, match=r"^Fuel 8.0 lets only nova_computes change on a deployed cluster"):
        fuel.set_vmware_attributes(changed)
    raw = {"editable": {**master.vmware["editable"], "value": changed}}
    with pytest.raises(Exception, match=r"HTTP 400 .*'availability_zones' attribute couldn't be changed"):
        fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", raw)


@pytest.mark.parametrize("key", ["vsphere_cluster", "service_name", "target_node"])
def test_duplicate_nova_compute_values_are_refused_by_both(nine, key):
    """fuel-web 9.0 validators/cluster.py check_nova_compute_duplicate_and_empty_values."""
    master, fuel, _ = nine
    deploy_kvm(fuel)
    fuel.update_settings({"common": {"use_vcenter": True}})
    fuel.add_nodes({"slave-04": ["compute-vmware"], "slave-05": ["compute-vmware"]})
    attrs = vmware.with_nova_compute(vmware.attributes(VC, "node-4"), {
        "vsphere_cluster": "Cluster2", "service_name": "vmcluster2", "datastore_regex": ".*"}, "node-5")
    first, second = attrs["availability_zones"][0]["nova_computes"]
    second[key] = first[key]
    with pytest.raises(VmwareSettingsError, match=rf"\.{key} .* is empty or used twice"):
        fuel.set_vmware_attributes(attrs)
    raw = {"editable": {**master.vmware["editable"], "value": attrs}}
    with pytest.raises(Exception, match=rf"HTTP 400 .*Duplicate value .* for attribute '{key}'"):
        fuel.nailgun.request("PUT", "clusters/1/vmware_attributes", raw)


def test_vmware_settings_are_merged_into_what_nailgun_keeps(nine):
    master, fuel, _ = nine
    zone = master.vmware["editable"]["value"]["availability_zones"][0]
    zone.update(vcenter_ca_file={}, vcenter_security_disabled=True)  # what later 9.x masters keep there
    deploy_kvm(fuel)
    fuel.update_settings({"common": {"use_vcenter": True}})
    fuel.add_nodes({"slave-04": ["compute-vmware"]})
    fuel.set_vmware_attributes(vmware.attributes(VC, "node-4"))

    az = master.vmware["editable"]["value"]["availability_zones"][0]
    assert az["vcenter_security_disabled"] is True and az["vcenter_ca_file"] == {}
    assert vmware.target_nodes(master.vmware["editable"]["value"]) == ["node-4"]  # the empty default entry is gone


def test_ostf_lives_under_nailgun_ostf_and_tests_are_listed_before_the_post(nine):
    master, fuel, _ = nine
    deploy_kvm(fuel)
    master.ostf_outcome = {**KVM_OK, "fuel_health.tests.smoke.vcenter.test_boot.test_boot": "failure"}

    result = fuel.run_ostf(["sanity", "smoke"], should_fail=1, failed_test_names=["test_boot"])

    calls = [(m, p) for m, p, _ in master.requests if p.startswith("/ostf")]
    assert calls[:2] == [("GET", "/ostf/tests/1"), ("POST", "/ostf/testruns")]
    assert fuel.ostf.url.endswith("/ostf") and not any("/ostf/v1" in p for _, p in calls)
    post = next(b for m, p, b in master.requests if (m, p) == ("POST", "/ostf/testruns"))
    assert post[0] == {"testset": "sanity", "metadata": {"config": {}, "cluster_id": "1", "ostf_os_access_creds": {
        "ostf_os_username": "admin", "ostf_os_password": "os-pw", "ostf_os_tenant_name": "admin"}}}
    assert [(t.test_set, t.status) for t in result.tests] == [("sanity", "success"), ("smoke", "success"),
                                                               ("smoke", "failure")]
    with pytest.raises(OstfError, match=r"1 failed, 0 allowed: .*vcenter.test_boot.test_boot: failure: Step 1"):
        fuel.run_ostf(["smoke"])


def test_a_post_without_listing_tests_first_is_the_500_fuel_qa_warns_of(nine):
    master, fuel, _ = nine
    deploy_kvm(fuel)
    with pytest.raises(OstfError, match=r"HTTP 500 .*GET tests/<cid> first"):
        fuel.ostf.request("POST", "testruns", [{"testset": "smoke", "metadata": {"cluster_id": "1"}}])


def test_a_run_still_going_is_a_clear_error(nine):
    master, fuel, _ = nine
    deploy_kvm(fuel)
    master.ostf_outcome = dict(KVM_OK)
    master.testruns = [{"id": 5, "testset": "smoke", "status": "running", "tests": []}]
    with pytest.raises(OstfError, match=r"HTTP 409 .*still running on cluster 1"):
        fuel.run_ostf(["smoke"])


def test_a_slave_not_discovered_yet_is_started_then_found(nine):
    """Contract double + recorded fuel-devops double: neither Fuel nor libvirt can run here."""
    from nailgun_contract import discovered_node

    master, fuel, env = nine
    del master.nodes[6]
    env.on_start = lambda name: master.nodes.setdefault(6, discovered_node(6, MACS[name]))

    assert fuel.hostname("slave-06") == "node-6"
    assert env.calls == [("start", "slave-06")]


def test_a_failed_deployment_says_why_and_brings_a_diagnostic_snapshot(nine, tmp_path):
    master, fuel, _ = nine
    master.deploy_outcome = ("error", "Deployment has failed. Method deploy. Failed to execute hook "
                                      "'puppet' on node 2")
    with pytest.raises(DeploymentError, match=r"^deploy changes: task 100 error: Deployment has failed\. .* on "
                                              r"node 2 \(diagnostic snapshot: .*fuel-snapshot-2016-03-01_10-00-00"):
        deploy_kvm(fuel)
    assert (tmp_path / "reports/fuel-snapshot-2016-03-01_10-00-00.tar.xz").read_bytes() == b"tar.xz bytes"


def test_snapshots_are_fuel_devops_snapshots(nine):
    master, fuel, env = nine
    deploy_kvm(fuel)
    assert fuel.make_snapshot("deploy_kvm") is True
    assert fuel.revert_snapshot("deploy_kvm") is True
    assert fuel.revert_snapshot("add_vcenter_compute") is False

    assert env.calls == [("suspend",), ("snapshot", "deploy_kvm", True), ("resume",),
                         ("revert", "deploy_kvm", True), ("resume",)]
    assert fuel.cluster_id == 1  # found again after the revert (the last created cluster)


def test_a_master_of_another_release_is_named(nine, tmp_path):
    master, fuel, _ = nine
    fuel.release = "8.0"
    with pytest.raises(DeploymentError, match=r"^no deployable Fuel 8.0 release matching '' .*mitaka-9.0.*check "
                                              r"--release$"):
        fuel.create_cluster("kvm_only")


def test_without_our_own_lock_check_the_double_still_refuses_with_nailguns_403(eight, monkeypatch):
    """Break our side on purpose: the strict double catches what our backend would have sent."""
    master, fuel, _ = eight
    deploy_kvm(fuel, "kvm_vcenter_controllers")
    monkeypatch.setattr(FuelDeployment, "_locked", lambda self, cluster: False)
    fuel._facts = None
    with pytest.raises(DeploymentError, match=r"^update settings: .*HTTP 403 .*couldn't be changed after or during "
                                              r"deployment"):
        fuel.update_settings({"common": {"use_vcenter": True}})
    assert master.refusals[-1][0] == 403


def test_the_old_ostf_v1_base_would_miss_the_adapter(nine):
    """nginx maps /ostf/<x> to the adapter's /v1/<x>: <nailgun>/ostf/v1/testruns is not the adapter's API."""
    master, fuel, _ = nine
    deploy_kvm(fuel)
    fuel.ostf.url = fuel.ostf.url + "/v1"
    with pytest.raises(OstfError, match=r"HTTP 404"):
        fuel.run_ostf(["smoke"])
