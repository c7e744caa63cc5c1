"""An instance of the vCenter zone is a powered-on VM in its configured cluster."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import compute, vcenter


@ostf.scenario(title="A vCenter instance is a powered-on VM in the configured cluster",
               steps=["Boot an instance in the vCenter zone (shared)",
                      "Find its VM in vCenter by instance UUID",
                      "Check the VM is in the vSphere cluster of the instance's nova-compute and powered on"],
               tags="use_vcenter", hypervisor="vcenter", duration="5 s", since="6.1")
def test_vcenter_instance_is_vm_in_cluster(ctx, step, shared):
    """What nova says (ACTIVE on <az>-<service_name>) is what vCenter shows (a running VM in vsphere_cluster)."""
    with step(1):
        server = compute.shared_server(shared, "vcenter")
    with step(2):
        vm = vcenter.find_vm(ctx, server)
    with step(3):
        vcenter.check_vm_in_cluster(ctx, vm, vcenter.nova_compute_of(ctx, server).vsphere_cluster)
