"""Grow a KVM/QEMU cloud into a dual-hypervisor one, checking it with OSTF at every step (fuel-qa style).

deploy_kvm -> add_vcenter_compute -> add_cinder_vmdk_ha; each step reverts the previous one's snapshot.
The path follows the Fuel release (`--release`, fixtures/releases/<release>.yaml `scenario`):
- 9.0, grow_later: deploy KVM only, then turn vCenter on with a compute-vmware node, then VMDK volumes.
- 6.1-8.0, vcenter_first: a deployed cluster is locked, so vCenter and VMDK volumes are on from the first deploy,
  with the vCenter nova-compute on the controllers; then a compute-vmware node with a nova_compute of its own
  (8.0; refused on 6.1 and 7.0, with the reason); then the cinder-vmdk pair.
"""

from __future__ import annotations

from fuel_health import fuel_data
from system_tests.helpers import vmware
from system_tests.proboscis_compat import test
from system_tests.scenarios.base import (
    DEPLOY_TIMEOUT,
    OSTF_SETS,
    OSTF_TIMEOUT,
    collect_diagnostics,
    deployment,
    expect_not_ran,
    expect_ran,
    expect_refused,
    path_of,
    run_ostf_for,
    start_from,
)

GROW_LATER, VCENTER_FIRST = "grow_later", "vcenter_first"


def _step(name: str, path: str) -> dict:
    """A scale step with its vcenter_first variant laid over it on that path."""
    step = fuel_data.scale_step(name)
    variant = step.pop(VCENTER_FIRST, None) or {}
    return {**step, **variant} if path == VCENTER_FIRST else step


@test(groups=["dual_hv", "deploy_kvm"])
@collect_diagnostics
def deploy_kvm() -> None:
    """Deploy the KVM/QEMU nodes; OSTF passes (9.0: no vCenter test applies; 6.1-8.0: vCenter is on already).

    Scenario:
        1. Create a cluster: 9.0 fixtures/clusters/kvm_only.yaml; 6.1-8.0 kvm_vcenter_controllers.yaml
           (use_vcenter and volumes_vmdk on before the first deploy: the cluster locks once deployed)
        2. Add slave-01 controller, slave-02 compute, slave-03 cinder
        3. 6.1-8.0: VMware settings with the vCenter nova-compute on the controllers (target_node controllers)
        4. Deploy changes
        5. Run OSTF sanity, smoke and configuration: every test passes, except (6.1-8.0) the vCenter volume
           tests, which need the cinder-vmdk nodes add_cinder_vmdk_ha adds
        6. Check that KVM tests ran; 9.0: no vCenter or cross-zone test applied; 6.1-8.0: vCenter tests ran
        7. Snapshot deploy_kvm
    Snapshot: deploy_kvm
    """
    d = deployment()
    path = path_of(d)
    template = "kvm_only" if path == GROW_LATER else "kvm_vcenter_controllers"
    data = fuel_data.cluster_template(template)
    d.create_cluster(template)
    d.add_nodes(fuel_data.nodes_of(data))
    if data.get("vmware_attributes"):
        d.set_vmware_attributes(vmware.attributes(d.vcenter_values(), data["target_node"],
                                                  template=data["vmware_attributes"]))
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = run_ostf_for(d, OSTF_SETS, OSTF_TIMEOUT)
    expect_ran(result, {"kvm"}, "the KVM zone")
    if path == GROW_LATER:
        expect_not_ran(result, {"vcenter", "both"}, "a KVM-only cluster")
    else:
        expect_ran(result, {"vcenter"}, "the vCenter zone on the controllers")
    d.make_snapshot("deploy_kvm")


@test(groups=["dual_hv", "add_vcenter_compute"], depends_on_groups=["deploy_kvm"])
@collect_diagnostics
def add_vcenter_compute() -> None:
    """Add a vcenter-compute node with its nova_compute; the vCenter tests apply and pass (refused on 6.1/7.0).

    Scenario:
        1. Revert snapshot deploy_kvm
        2. 6.1/7.0: ask for slave-04 as compute-vmware: refused with the release's reason, nothing changes; stop
        3. 9.0: turn vCenter on (fixtures/scale/add_vcenter_compute.yaml settings)
        4. Add slave-04 as vcenter-compute (compute-vmware)
        5. VMware settings: 9.0 fixtures/vmware_attributes.yaml with target_node = slave-04's hostname;
           8.0 the deployed settings plus a new nova_compute (Cluster2) on slave-04 (Cluster1 stays on controllers)
        6. Deploy changes
        7. Run OSTF sanity, smoke and configuration: every test passes (6.1-8.0: but the vCenter volume tests)
        8. Check that vCenter tests ran and that the KVM zone still works
        9. Snapshot add_vcenter_compute
    Snapshot: add_vcenter_compute
    """
    d = start_from("deploy_kvm")
    path = path_of(d)
    step = _step("add_vcenter_compute", path)
    refusal = fuel_data.scenario_refusal(d.release, "add_vcenter_compute")
    if refusal:
        before = d.node_roles()
        expect_refused(lambda: d.add_nodes(fuel_data.nodes_of(step)), f"Fuel {d.release}",
                       f"compute-vmware on a deployed Fuel {d.release} cluster")
        after = d.node_roles()
        assert after == before, f"a refused assignment changed the cluster: {before} -> {after}"
        print(f"[system_tests] Fuel {d.release}: {refusal}", flush=True)
        d.make_snapshot("add_vcenter_compute")
        return
    d.update_settings(step["settings"])
    d.add_nodes(fuel_data.nodes_of(step))
    target = d.hostname(step["target_node"])
    if path == GROW_LATER:
        attrs = vmware.attributes(d.vcenter_values(), target, template=step["vmware_attributes"])
    else:
        attrs = vmware.with_nova_compute(d.vmware_attributes(), step["nova_compute"], target)
    d.set_vmware_attributes(attrs)
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = run_ostf_for(d, OSTF_SETS, OSTF_TIMEOUT)
    expect_ran(result, {"vcenter"}, "the vCenter zone")
    expect_ran(result, {"kvm"}, "the KVM zone after adding vCenter")
    d.make_snapshot("add_vcenter_compute")


@test(groups=["dual_hv", "add_cinder_vmdk_ha"], depends_on_groups=["add_vcenter_compute"])
@collect_diagnostics
def add_cinder_vmdk_ha() -> None:
    """Add two cinder-vmdk nodes (the HA pair); the vCenter volume tests apply and pass.

    Scenario:
        1. Revert snapshot add_vcenter_compute
        2. 9.0: turn VMDK volumes on (fixtures/scale/add_cinder_vmdk_ha.yaml settings); 6.1-8.0: on already
        3. Add slave-05 and slave-06 as cinder-vmdk (cinder-vmware)
        4. Deploy changes
        5. Run OSTF sanity, smoke and configuration: every test passes
        6. Check that vCenter volume tests ran and that the KVM zone still works
        7. Snapshot add_cinder_vmdk_ha
    Snapshot: add_cinder_vmdk_ha
    """
    d = start_from("add_vcenter_compute")
    step = _step("add_cinder_vmdk_ha", path_of(d))
    d.update_settings(step["settings"])
    d.add_nodes(fuel_data.nodes_of(step))
    d.deploy_changes(DEPLOY_TIMEOUT)
    result = run_ostf_for(d, OSTF_SETS, OSTF_TIMEOUT)
    expect_ran(result, {"vcenter"}, "the vCenter volume tests", keyword="volume")
    expect_ran(result, {"kvm"}, "the KVM zone after adding cinder-vmdk")
    d.make_snapshot("add_cinder_vmdk_ha")
