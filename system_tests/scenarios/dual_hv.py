"""Grow a KVM/QEMU cloud into a dual-hypervisor one, checking it with OSTF at every step (fuel-qa style).

deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha; each step reverts the previous one's snapshot.
"""

from __future__ import annotations

from system_tests.helpers import fixtures, vmware
from system_tests.proboscis_compat import test
from system_tests.scenarios.base import (
    DEPLOY_TIMEOUT,
    OSTF_SETS,
    OSTF_TIMEOUT,
    collect_diagnostics,
    deployment,
    expect_not_ran,
    expect_ran,
    start_from,
)


@test(groups=["dual_hv", "deploy_kvm"])
@collect_diagnostics
def deploy_kvm() -> None:
    """Deploy a KVM/QEMU-only cluster; OSTF passes and no vCenter test applies.

    Scenario:
        1. Create a cluster from fixtures/clusters/kvm_only.yaml
        2. Add slave-01 controller, slave-02 compute, slave-03 cinder
        3. Deploy changes
        4. Run OSTF sanity, smoke and configuration: every test passes
        5. Check that KVM tests ran and that no vCenter or cross-zone test applied
        6. Snapshot deploy_kvm
    Snapshot: deploy_kvm
    """
    d = deployment()
    d.create_cluster("kvm_only")
    d.add_nodes(fixtures.nodes_of(fixtures.cluster_template("kvm_only")))
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = d.run_ostf(OSTF_SETS, timeout=OSTF_TIMEOUT)
    expect_ran(result, {"kvm"}, "the KVM zone")
    expect_not_ran(result, {"vcenter", "both"}, "a KVM-only cluster")
    d.make_snapshot("deploy_kvm")


@test(groups=["dual_hv", "add_vcenter_compute"], depends_on_groups=["deploy_kvm"])
@collect_diagnostics
def add_vcenter_compute() -> None:
    """Add a vcenter-compute node and the VMware settings; the vCenter tests now apply and pass.

    Scenario:
        1. Revert snapshot deploy_kvm
        2. Turn vCenter on (fixtures/scale/add_vcenter_compute.yaml settings)
        3. Add slave-04 as vcenter-compute (compute-vmware)
        4. Set the VMware settings: fixtures/vmware_attributes.yaml, target_node = slave-04's hostname
        5. Deploy changes
        6. Run OSTF sanity, smoke and configuration: every test passes
        7. Check that vCenter tests ran and that the KVM zone still works
        8. Snapshot add_vcenter_compute
    Snapshot: add_vcenter_compute
    """
    d = start_from("deploy_kvm")
    step = fixtures.scale_step("add_vcenter_compute")
    d.update_settings(step["settings"])
    d.add_nodes(fixtures.nodes_of(step))
    d.set_vmware_attributes(vmware.attributes(d.vcenter_values(), d.hostname(step["target_node"]),
                                              template=step["vmware_attributes"]))
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = d.run_ostf(OSTF_SETS, timeout=OSTF_TIMEOUT)
    expect_ran(result, {"vcenter"}, "the vCenter zone")
    expect_ran(result, {"kvm"}, "the KVM zone after adding vCenter")
    d.make_snapshot("add_vcenter_compute")


@test(groups=["dual_hv", "add_cinder_vmdk_ha"], depends_on_groups=["add_vcenter_compute"])
@collect_diagnostics
def add_cinder_vmdk_ha() -> None:
    """Add two cinder-vmdk nodes (the HA pair); the vCenter volume tests apply and pass.

    Scenario:
        1. Revert snapshot add_vcenter_compute
        2. Turn VMDK volumes on (fixtures/scale/add_cinder_vmdk_ha.yaml settings)
        3. Add slave-05 and slave-06 as cinder-vmdk (cinder-vmware)
        4. Deploy changes
        5. Run OSTF sanity, smoke and configuration: every test passes
        6. Check that vCenter volume tests ran and that the KVM zone still works
        7. Snapshot add_cinder_vmdk_ha
    Snapshot: add_cinder_vmdk_ha
    """
    d = start_from("add_vcenter_compute")
    step = fixtures.scale_step("add_cinder_vmdk_ha")
    d.update_settings(step["settings"])
    d.add_nodes(fixtures.nodes_of(step))
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = d.run_ostf(OSTF_SETS, timeout=OSTF_TIMEOUT)
    expect_ran(result, {"vcenter"}, "the vCenter volume tests", keyword="volume")
    expect_ran(result, {"kvm"}, "the KVM zone after adding cinder-vmdk")
    d.make_snapshot("add_cinder_vmdk_ha")
