"""The Fuel backend against a CONTRACT double of a Fuel master (tests/system/nailgun_contract.py).

Each test runs on pytest-httpserver serving Nailgun's and the OSTF adapter's real response shapes, and on a
recorded-shape double of fuel-devops (tests/system/devops_double.py): a real Fuel lab cannot run here. The
tests prove our calls and our reading of the answers, not Nailgun's own behaviour.
"""

from __future__ import annotations

import re

import pytest
from devops_double import RecordedEnvironment
from nailgun_contract import MACS, TOKEN, FakeFuelMaster

from fuel_health.nailgun import NailgunClient
from system_tests.helpers import fixtures, vmware
from system_tests.helpers.devops import FuelDevopsEnv
from system_tests.helpers.errors import DeploymentError, OstfError, RoleRestrictionError
from system_tests.helpers.fuel import FuelDeployment, FuelSettings

KVM_OK = {"fuel_health.tests.sanity.test_api.test_services": "success",
          "fuel_health.tests.smoke.kvm.test_boot.test_boot": "success"}


@pytest.fixture
def master(httpserver) -> FakeFuelMaster:
    """A Fuel master contract double with six discovered slaves."""
    fake = FakeFuelMaster()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


@pytest.fixture
def devops_env() -> RecordedEnvironment:
    return RecordedEnvironment("dual_hv_fuel_lab", MACS)


@pytest.fixture
def fuel(httpserver, master, devops_env, tmp_path) -> FuelDeployment:
    """The Fuel backend on the contract double (no waiting between polls)."""
    client = NailgunClient(httpserver.url_for("/").rstrip("/"), token=TOKEN)
    settings = FuelSettings(nailgun_url=client.url, reports_dir=tmp_path / "reports", poll_interval=0,
                            vcenter={"vcenter_host": "172.16.0.254", "vcenter_username": "u", "vcenter_password": "p"})
    return FuelDeployment(client, FuelDevopsEnv(devops_env), settings, sleep=lambda s: None, log=lambda m: None)


def deploy_kvm(fuel: FuelDeployment) -> None:
    fuel.create_cluster("kvm_only")
    fuel.add_nodes(fixtures.nodes_of(fixtures.cluster_template("kvm_only")))
    fuel.deploy_changes(600)


def test_deploy_kvm_creates_assigns_deploys_and_waits(fuel, master):
    """Contract double: a Fuel master cannot run here."""
    deploy_kvm(fuel)

    calls = [(m, p) for m, p, _ in master.requests]
    assert calls[:2] == [("GET", "/api/releases"), ("POST", "/api/clusters")]
    assert master.requests[1][2] == {"name": "kvm-only", "release": 2, "mode": "multinode",
                                     "net_provider": "nova_network"}
    assert master.attributes["editable"]["common"]["libvirt_type"]["value"] == "qemu"
    assert master.attributes["editable"]["access"]["password"]["value"] == "os-pw"  # the rest is kept
    put_nodes = next(b for m, p, b in master.requests if (m, p) == ("PUT", "/api/nodes"))
    assert put_nodes == [{"id": 1, "cluster_id": 1, "pending_roles": ["controller"], "pending_addition": True},
                         {"id": 2, "cluster_id": 1, "pending_roles": ["compute"], "pending_addition": True},
                         {"id": 3, "cluster_id": 1, "pending_roles": ["cinder"], "pending_addition": True}]
    assert calls.count(("GET", "/api/tasks/100")) == 2  # polled until ready
    assert fuel.node_roles() == {"node-1": ("controller",), "node-2": ("compute",), "node-3": ("cinder",)}


def test_compute_plus_vcenter_compute_is_refused_before_any_api_call(fuel, master):
    """Contract double: a Fuel master cannot run here."""
    with pytest.raises(RoleRestrictionError, match=r"^node slave-04: role vcenter-compute cannot be combined with "
                                                   r"compute \(fixtures/roles.yaml vcenter-compute.conflicts\)$"):
        fuel.add_nodes({"slave-04": ["compute", "compute-vmware"]})
    assert master.requests == []


def test_vcenter_compute_on_a_deployed_compute_is_refused_before_assigning(fuel, master):
    """Contract double: a Fuel master cannot run here."""
    deploy_kvm(fuel)
    fuel.update_settings({"common": {"use_vcenter": True}})
    before = len(master.requests)

    with pytest.raises(RoleRestrictionError, match=r"^node slave-02 \(node-2\): role vcenter-compute cannot be "
                                                   r"combined with compute"):
        fuel.add_nodes({"slave-02": ["compute-vmware"]})
    assert [m for m, _, _ in master.requests[before:]] == ["GET"] * len(master.requests[before:])


def test_adding_a_vcenter_compute_sets_pending_roles_and_vmware_attributes(fuel, master):
    """Contract double: a Fuel master cannot run here."""
    deploy_kvm(fuel)
    step = fixtures.scale_step("add_vcenter_compute")
    fuel.update_settings(step["settings"])
    fuel.add_nodes(fixtures.nodes_of(step))
    fuel.set_vmware_attributes(vmware.attributes(fuel.vcenter_values(), fuel.hostname("slave-04")))

    assert master.nodes[4]["pending_roles"] == ["compute-vmware"]
    value = master.vmware["editable"]["value"]
    assert vmware.target_nodes(value) == ["node-4"] and value["availability_zones"][0]["vcenter_host"] == "172.16.0.254"
    assert master.vmware["editable"]["metadata"][0]["name"] == "availability_zones"  # metadata kept


def test_vcenter_compute_without_vcenter_on_is_refused(fuel, master):
    """Contract double: a Fuel master cannot run here."""
    deploy_kvm(fuel)
    with pytest.raises(RoleRestrictionError, match=r"vCenter must be enabled"):
        fuel.add_nodes({"slave-04": ["compute-vmware"]})
    assert master.nodes[4]["cluster"] is None


def test_a_slave_not_discovered_yet_is_started_then_found(fuel, master, devops_env):
    """Contract double + recorded fuel-devops double: neither Fuel nor libvirt can run here."""
    from nailgun_contract import discovered_node

    del master.nodes[6]
    devops_env.on_start = lambda name: master.nodes.setdefault(6, discovered_node(6, MACS[name]))

    assert fuel.hostname("slave-06") == "node-6"
    assert devops_env.calls == [("start", "slave-06")]


def test_a_failed_deployment_says_why_and_brings_a_diagnostic_snapshot(fuel, master, tmp_path):
    """Contract double: a Fuel master cannot run here."""
    master.deploy_outcome = ("error", "Deployment has failed. Method deploy. Failed to execute hook "
                                      "'puppet' on node 2")
    with pytest.raises(DeploymentError, match=r"^deploy changes: task 100 error: Deployment has failed\. .* on "
                                              r"node 2 \(diagnostic snapshot: .*fuel-snapshot-2016-03-01_10-00-00"):
        deploy_kvm(fuel)
    assert (tmp_path / "reports/fuel-snapshot-2016-03-01_10-00-00.tar.xz").read_bytes() == b"tar.xz bytes"


def test_run_ostf_through_the_adapter_waits_and_applies_fuel_qas_rule(fuel, master):
    """Contract double of the OSTF adapter: fuel-ostf cannot run here."""
    deploy_kvm(fuel)
    master.ostf_outcome = {**KVM_OK, "fuel_health.tests.smoke.vcenter.test_boot.test_boot": "failure"}

    result = fuel.run_ostf(["sanity", "smoke"], should_fail=1, failed_test_names=["test_boot"])

    post = next(b for m, p, b in master.requests if (m, p) == ("POST", "/ostf/v1/testruns"))
    assert post[0] == {"testset": "sanity", "metadata": {"cluster_id": 1, "ostf_os_access_creds": {
        "ostf_os_username": "admin", "ostf_os_password": "os-pw", "ostf_os_tenant_name": "admin"}}}
    assert [(t.test_set, t.status, t.hypervisor) for t in result.tests] == [
        ("sanity", "success", None), ("smoke", "success", "kvm"), ("smoke", "failure", "vcenter")]
    with pytest.raises(OstfError, match=r"1 failed, 0 allowed: .*vcenter.test_boot.test_boot: failure: Step 1"):
        fuel.run_ostf(["smoke"])


def test_a_run_still_going_is_a_clear_error(fuel, master):
    """Contract double of the OSTF adapter (our adapter answers 409 where fuel-ostf sent `{}`)."""
    deploy_kvm(fuel)
    master.testruns = [{"id": 5, "testset": "smoke", "status": "running", "tests": []}]
    with pytest.raises(OstfError, match=r"HTTP 409 .*still running on cluster 1"):
        fuel.run_ostf(["smoke"])


def test_snapshots_are_fuel_devops_snapshots(fuel, master, devops_env):
    """Contract double + recorded fuel-devops double."""
    deploy_kvm(fuel)
    assert fuel.make_snapshot("deploy_kvm") is True
    assert fuel.revert_snapshot("deploy_kvm") is True
    assert fuel.revert_snapshot("add_vcenter_compute") is False

    assert devops_env.calls == [("suspend",), ("snapshot", "deploy_kvm", True), ("resume",),
                                ("revert", "deploy_kvm", True), ("resume",)]
    assert fuel.cluster_id == 1  # found again after the revert (the last created cluster)
