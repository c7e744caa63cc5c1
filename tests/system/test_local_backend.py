"""The local backend, unit-tested with a RECORDING DOUBLE of the Lab object (tests/system/conftest.py).

The real Lab is never called here: the shared lab is in use, and these tests must stay fast. What is
proved: each Deployment step maps to the right Lab calls with the right arguments, refusals happen before
any Lab call, OSTF's JUnit is read, and the snapshot semantics are honest. The lead runs the real scenario.
"""

from __future__ import annotations

import tarfile

import pytest

from devops_envs.local import topology
from fuel_health import fuel_data
from system_tests.helpers import local, vmware
from system_tests.helpers.errors import DeploymentError, OstfError, RoleRestrictionError
from system_tests.helpers.local import LocalDeployment

JUNIT_OK = """<testsuites><testsuite name="fuel-health" tests="2">
<testcase classname="fuel_health.tests.smoke.kvm.test_boot" name="test_boot"><properties>
<property name="ostf_id" value="fuel_health.tests.smoke.kvm.test_boot.test_boot"/>
<property name="test_set" value="smoke"/><property name="hypervisor" value="kvm"/></properties></testcase>
<testcase classname="fuel_health.tests.smoke.vcenter.test_boot" name="test_boot"><properties>
<property name="ostf_id" value="fuel_health.tests.smoke.vcenter.test_boot.test_boot"/>
<property name="test_set" value="smoke"/><property name="hypervisor" value="vcenter"/></properties>
<failure message="Step 1 failed: Boot: ERROR">tb</failure></testcase></testsuite></testsuites>"""


@pytest.fixture
def kvm(lab, tmp_path) -> LocalDeployment:
    """A local deployment on the recording lab, after create_cluster(kvm_only)."""
    d = LocalDeployment(lab=lab, reports_dir=tmp_path / "reports", log=lambda msg: None)
    d.create_cluster("kvm_only")
    return d


def add_vcenter_compute(d: LocalDeployment) -> None:
    step = fuel_data.scale_step("add_vcenter_compute")
    d.update_settings(step["settings"])
    d.add_nodes(fuel_data.nodes_of(step))
    d.set_vmware_attributes(vmware.attributes(d.vcenter_values(), d.hostname("slave-04")))
    d.deploy_changes(600)


def test_the_lab_files_match_the_fixture_templates():
    assert local.template_mismatch("kvm_only") == []
    assert local.template_mismatch("dual_hv") == []
    assert local.template_mismatch("kvm_vcenter_controllers") == []  # the stand-in is the controllers' compute


def test_create_cluster_is_reset_then_up_and_the_template_nodes_are_already_there(kvm, lab):
    kvm.add_nodes(fuel_data.nodes_of(fuel_data.cluster_template("kvm_only")))
    kvm.deploy_changes(600)

    assert [c for c in lab.calls if c[0] != "topology"] == [("reset",), ("up", "kvm_only")]
    assert kvm.node_roles() == {"node-1": ("controller",), "node-2": ("compute",), "node-3": ("cinder",)}


def test_a_lab_file_that_drifted_from_fixtures_is_refused_before_reset(lab, monkeypatch):
    drifted = fuel_data.cluster_template("kvm_only")
    drifted["nodes"][1]["roles"] = ["compute", "cinder"]
    monkeypatch.setattr(fuel_data, "cluster_template", lambda name: drifted)

    with pytest.raises(DeploymentError, match=r"node node-2: lab \('compute',\) vs fixtures \('compute', 'cinder'\)"):
        LocalDeployment(lab=lab, log=lambda m: None).create_cluster("kvm_only")
    assert lab.calls == []


def test_adding_vcenter_compute_is_one_add_node_with_the_vmware_settings(kvm, lab):
    add_vcenter_compute(kvm)

    name, node, roles, attrs, vcenter = lab.calls[-1]
    assert (name, node, roles) == ("add_node", "node-4", ["vcenter-compute"])
    assert vmware.target_nodes(attrs) == ["node-4"]
    assert attrs["availability_zones"][0]["vcenter_password"] == "{{generated}}"
    assert vcenter == topology.load("dual_hv").vcenter
    assert lab.current.use_vcenter and lab.current.vcenter_zone.target_node == "node-4"


def test_cinder_vmdk_pair_is_two_add_nodes_without_vmware_settings(kvm, lab):
    add_vcenter_compute(kvm)
    step = fuel_data.scale_step("add_cinder_vmdk_ha")
    kvm.update_settings(step["settings"])
    kvm.add_nodes(fuel_data.nodes_of(step))
    kvm.deploy_changes(600)

    adds = [c[1:4] for c in lab.calls if c[0] == "add_node"]
    assert adds[1:] == [("node-5", ["cinder-vmdk"], None), ("node-6", ["cinder-vmdk"], None)]
    assert lab.current.cluster["settings"]["storage"]["volumes_vmdk"] is True


def test_vcenter_compute_on_the_compute_node_is_refused_before_any_lab_call(kvm, lab):
    calls = list(lab.calls)

    with pytest.raises(RoleRestrictionError, match=r"^node slave-02 \(node-2\): role vcenter-compute cannot be "
                                                   r"combined with compute"):
        kvm.add_nodes({"slave-02": ["compute-vmware"]})
    with pytest.raises(RoleRestrictionError, match=r"cannot be combined with compute"):
        kvm.add_nodes({"slave-04": ["compute", "vcenter-compute"]})
    kvm.deploy_changes(600)

    assert [c for c in lab.calls if c[0] != "topology"] == [c for c in calls if c[0] != "topology"]


def test_what_the_lab_cannot_do_is_said_not_faked(kvm):
    with pytest.raises(DeploymentError, match=r"cannot set common.libvirt_type='kvm'"):
        kvm.update_settings({"common": {"libvirt_type": "kvm"}})
    kvm.update_settings({"common": {"use_vcenter": True}})
    kvm.add_nodes({"slave-04": ["vcenter-compute"]})
    with pytest.raises(DeploymentError, match=r"use_vcenter is on but no VMware settings are queued"):
        kvm.deploy_changes(600)


def test_snapshots_are_checkpoints_only(kvm):
    assert kvm.make_snapshot("deploy_kvm") is False
    assert kvm.revert_snapshot("deploy_kvm") is True  # nothing changed since
    add_vcenter_compute(kvm)
    assert kvm.revert_snapshot("deploy_kvm") is False  # the lab cannot go back


def test_run_ostf_runs_fuel_health_on_the_lab_config_and_reads_its_junit(kvm, lab):
    seen = []

    def fake_fuel_health(cmd, timeout):
        seen.append(cmd)
        junit = cmd[cmd.index("--junit") + 1]
        with open(junit, "w") as f:
            f.write(JUNIT_OK)
        return 1, ["... 1 failed"]

    kvm._run_command = fake_fuel_health
    result = kvm.run_ostf(["sanity", "smoke"], should_fail=1, failed_test_names=["smoke.vcenter.test_boot.test_boot"])

    assert seen[0][1:6] == ["-m", "fuel_health", "run", "--set", "sanity,smoke"]
    assert seen[0][-2:] == ["--config", str(lab.paths.suite_config)]
    assert seen[0][seen[0].index("--junit") + 1].endswith("ostf-01-sanity-smoke.xml")
    assert [t.status for t in result.tests] == ["success", "failure"]
    with pytest.raises(OstfError, match=r"1 failed, 0 allowed"):
        kvm.run_ostf(["smoke"])


def test_fuel_health_that_cannot_run_is_one_clear_error(kvm):
    kvm._run_command = lambda cmd, timeout: (3, ["...", "fuel-health: cannot run: keystone unreachable", ""])

    with pytest.raises(OstfError, match=r"^fuel-health run exited 3 \(cannot run: .*\): fuel-health: cannot run: "
                                        r"keystone unreachable$"):
        kvm.run_ostf(["smoke"])


def test_diagnostic_snapshot_has_logs_and_state_but_no_secrets(kvm, lab, tmp_path):
    (lab.paths.logs).mkdir(parents=True)
    (lab.paths.logs / "nova-compute-node-2.log").write_text("boom")
    lab.paths.state.write_text("topology: {}")
    (lab.paths.home / "secrets.yaml").write_text("admin_password: x")

    out = kvm.diagnostic_snapshot(tmp_path / "diag")

    with tarfile.open(out) as tar:
        assert sorted(tar.getnames()) == ["logs", "logs/nova-compute-node-2.log", "state.yaml"]


def test_the_8_0_path_on_the_lab_cluster1_stays_on_the_stand_in_cluster2_on_node_4(lab, tmp_path):
    """Recording Lab double: the real scenario steps, as system_tests.scenarios.dual_hv drives them on 8.0 (fuel-qa
    mitaka-eol vcenter_add_computevmware.yaml: Cluster1 on the controllers, then compute-vmware + Cluster2)."""
    d = LocalDeployment(lab=lab, reports_dir=tmp_path, log=lambda m: None, release="8.0")
    data = fuel_data.cluster_template("kvm_vcenter_controllers")
    d.create_cluster("kvm_vcenter_controllers")
    d.add_nodes(fuel_data.nodes_of(data))
    d.set_vmware_attributes(vmware.attributes(d.vcenter_values(), "controllers"))
    d.deploy_changes(600)
    assert [c[:2] for c in lab.calls if c[0] not in ("topology",)] == [("reset",), ("up", "kvm_vcenter_controllers")]
    assert vmware.target_nodes(d.vmware_attributes()) == ["controllers"]  # the stand-in reads as the controllers
    assert lab.current.vsphere_clusters == ["Cluster1", "Cluster2"]  # the simulator has Cluster2 from the start

    step = fuel_data.scale_step("add_vcenter_compute")["vcenter_first"]
    d.add_nodes({"slave-04": ["compute-vmware"]})
    d.set_vmware_attributes(vmware.with_nova_compute(d.vmware_attributes(), step["nova_compute"], "node-4"))
    d.deploy_changes(600)

    name, node, roles, sent, vcenter = next(c for c in lab.calls if c[0] == "add_node")
    assert (node, roles, vcenter) == ("node-4", ["vcenter-compute"], None)  # the lab's own simulator section stays
    assert [(nc["vsphere_cluster"], nc["service_name"], nc["target_node"]["current"]["id"])
            for nc in vmware.nova_computes(sent)] == [("Cluster1", "vmcluster1", "vcenter-on-controllers"),
                                                      ("Cluster2", "vmcluster2", "node-4")]
    assert not [c for c in lab.calls if c[0] == "stop"]  # nothing is taken out: Cluster1 stays where it was
    assert [n.name for n in lab.current.nodes] == ["node-1", "node-2", "node-3", "vcenter-on-controllers", "node-4"]
    assert [(nc.target_node, nc.vsphere_cluster) for nc in lab.current.nova_computes] == [
        ("vcenter-on-controllers", "Cluster1"), ("node-4", "Cluster2")]
    assert vmware.target_nodes(d.vmware_attributes()) == ["controllers", "node-4"]  # as Nailgun reports them

    d.add_nodes(fuel_data.nodes_of(fuel_data.scale_step("add_cinder_vmdk_ha")))
    d.deploy_changes(600)
    assert [n.name for n in lab.current.nodes][-2:] == ["node-5", "node-6"]


def test_a_vsphere_cluster_the_labs_vcenter_lacks_is_refused_before_the_node_starts(lab):
    d = LocalDeployment(lab=lab, log=lambda m: None, release="8.0")
    d.create_cluster("kvm_vcenter_controllers")
    d.add_nodes({"slave-04": ["compute-vmware"]})
    d.set_vmware_attributes(vmware.with_nova_compute(d.vmware_attributes(), {
        "vsphere_cluster": "Cluster3", "service_name": "vmcluster3", "datastore_regex": ".*"}, "node-4"))
    with pytest.raises(DeploymentError, match=r"^local lab: add-node node-4: node node-4: nova_computes "
                                              r"vsphere_cluster 'Cluster3' is not a cluster of the lab's vCenter"):
        d.deploy_changes(600)
    assert lab.current.nodes[-1].name == "vcenter-on-controllers"


@pytest.mark.parametrize(("release", "why"), [("6.1", "does not exist in Fuel 6.1"),
                                              ("7.0", "Fuel 7.0 refuses every vmware_attributes change")])
def test_the_vcenter_compute_step_is_refused_on_the_lab_too(lab, release, why):
    d = LocalDeployment(lab=lab, log=lambda m: None, release=release)
    d.create_cluster("kvm_vcenter_controllers")
    with pytest.raises(RoleRestrictionError, match=why):
        d.add_nodes({"slave-04": ["compute-vmware"]})


def test_8_0_refuses_moving_the_controllers_cluster_before_the_lab_is_touched(lab):
    d = LocalDeployment(lab=lab, log=lambda m: None, release="8.0")
    d.create_cluster("kvm_vcenter_controllers")
    d.add_nodes({"slave-04": ["compute-vmware"]})
    calls = len(lab.calls)
    moved = d.vmware_attributes()
    moved["availability_zones"][0]["nova_computes"][0]["target_node"] = {"current": {"id": "node-4"}}
    with pytest.raises(Exception, match=r"nova_compute Cluster1 runs on the controllers of a deployed Fuel 8.0"):
        d.set_vmware_attributes(moved)
    assert [c for c in lab.calls[calls:] if c[0] != "topology"] == []


def test_nothing_touches_the_lab_until_a_step_needs_it(monkeypatch):
    from devops_envs.local import lab as lab_module

    monkeypatch.setattr(lab_module.Lab, "default", classmethod(lambda cls: pytest.fail("Lab touched")))
    d = LocalDeployment()
    assert (d.hostname("slave-04"), d.vcenter_values()["vcenter_host"]) == ("node-4", "127.0.0.1")
