"""The scenarios' OSTF expectations hold for the REAL suite (fuel_health/tests) on the lab's cluster configs.

At each step of the chain the lab's suite config is written the way Lab.write_suite_config writes it, for the
topology a recording Lab double reaches (no process starts; the Lab object only writes files to tmp_path),
and the suite's own applicability rule (fuel_health.pytest_plugin.selection) says which tests would run."""

from __future__ import annotations

import pytest

from devops_envs.local.lab import Lab
from devops_envs.local.paths import LabPaths
from fuel_health import config, fuel_data
from fuel_health.pytest_plugin import ostf, selection
from fuel_health.pytest_plugin.tags import deployment_tags
from system_tests.helpers import vmware
from system_tests.helpers.local import LocalDeployment
from system_tests.helpers.ostf_results import OstfResult, OstfTest
from system_tests.scenarios.base import OSTF_SETS, expect_not_ran, expect_ran


@pytest.fixture(scope="module")
def suite() -> list[ostf.TestMeta]:
    return ostf.discover()


def applicable(lab, tmp_path, suite) -> OstfResult:
    """The tests `fuel-health run --set <OSTF_SETS>` would run on the lab as it is now, as passed results."""
    writer = Lab(LabPaths(tmp_path / "home"))
    writer.write_suite_config(lab.current, {"admin_password": "a", "vcenter_password": "v"})
    cfg = config.load_file(writer.paths.suite_config)
    tags = deployment_tags(cfg)
    metas = [m for m in suite if selection.why_not(m, tags, sets=OSTF_SETS, release=cfg.cluster.release) is None]
    return OstfResult(tuple(OstfTest(m.id, m.title, m.test_set, "success", "", m.hypervisor) for m in metas), "suite")


def test_each_step_of_the_chain_has_the_tests_its_scenario_expects(lab, tmp_path, suite):
    d = LocalDeployment(lab=lab, reports_dir=tmp_path, log=lambda m: None)
    d.create_cluster("kvm_only")
    kvm = applicable(lab, tmp_path, suite)
    expect_ran(kvm, {"kvm"}, "deploy_kvm")
    expect_not_ran(kvm, {"vcenter", "both"}, "deploy_kvm")

    step = fuel_data.scale_step("add_vcenter_compute")
    d.update_settings(step["settings"])
    d.add_nodes(fuel_data.nodes_of(step))
    d.set_vmware_attributes(vmware.attributes(d.vcenter_values(), d.hostname("slave-04")))
    d.deploy_changes(600)
    vcenter = applicable(lab, tmp_path, suite)
    expect_ran(vcenter, {"vcenter"}, "add_vcenter_compute")
    expect_ran(vcenter, {"kvm"}, "add_vcenter_compute")

    step = fuel_data.scale_step("add_cinder_vmdk_ha")
    d.update_settings(step["settings"])
    d.add_nodes(fuel_data.nodes_of(step))
    d.deploy_changes(600)
    vmdk = applicable(lab, tmp_path, suite)
    expect_ran(vmdk, {"vcenter"}, "add_cinder_vmdk_ha", keyword="volume")
    expect_ran(vmdk, {"kvm"}, "add_cinder_vmdk_ha")
    assert {t.id for t in vmdk.tests} > {t.id for t in vcenter.tests} > {t.id for t in kvm.tests}


def test_the_8_0_path_has_the_tests_its_scenario_expects(lab, tmp_path, suite):
    """6.1-8.0 on the lab: vCenter from the first deploy (the stand-in for the controllers' nova-compute); the
    tests that may fail before the cinder-vmdk pair are exactly the volume tests that apply then."""
    from system_tests.scenarios.base import vmdk_volume_tests

    d = LocalDeployment(lab=lab, reports_dir=tmp_path, log=lambda m: None, release="8.0")
    d.create_cluster("kvm_vcenter_controllers")
    first = applicable(lab, tmp_path, suite)
    expect_ran(first, {"kvm"}, "deploy_kvm")
    expect_ran(first, {"vcenter"}, "deploy_kvm")
    excused = set(vmdk_volume_tests(OSTF_SETS))
    assert excused and excused <= {t.id for t in first.tests}
    assert not any("pacemaker" in t.id for t in first.tests)  # the lab's stand-in is no `controllers` target

    d.add_nodes({"slave-04": ["compute-vmware"]})
    d.set_vmware_attributes(vmware.with_nova_compute(d.vmware_attributes(), {
        "vsphere_cluster": "Cluster2", "service_name": "vmcluster2", "datastore_regex": ".*"}, "node-4"))
    d.deploy_changes(600)
    grown = applicable(lab, tmp_path, suite)
    expect_ran(grown, {"vcenter"}, "add_vcenter_compute")

    d.add_nodes(fuel_data.nodes_of(fuel_data.scale_step("add_cinder_vmdk_ha")))
    d.deploy_changes(600)
    vmdk = applicable(lab, tmp_path, suite)
    expect_ran(vmdk, {"vcenter"}, "add_cinder_vmdk_ha", keyword="volume")
    assert {t.id for t in vmdk.tests} > {t.id for t in first.tests}
