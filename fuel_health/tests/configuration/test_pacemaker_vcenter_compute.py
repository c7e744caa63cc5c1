"""A vCenter nova-compute on controllers runs exactly once, under pacemaker."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="Pacemaker runs each vCenter nova-compute on exactly one controller",
               steps=["Ask pacemaker where p_nova_compute_vmware_<az_name>-<service_name> runs",
                      "Check it runs on exactly one controller"],
               tags="vcenter_on_controllers", hypervisor="vcenter", duration="2 s", since="6.1")
@params.for_each("nova_compute", nodes.controller_computes, what="vCenter nova-compute on controllers")
def test_pacemaker_runs_vcenter_compute_once(ctx, step, nova_compute):
    """None running: the vCenter zone has no compute; two: two nova-computes fight over one vSphere cluster."""
    resource = nodes.pacemaker_resource(*nova_compute)  # (its zone's vCenter, the cluster's nova_computes entry)
    with step(1):
        where = nodes.pacemaker_locate(ctx, resource)
    with step(2):
        nodes.check_runs_once(ctx, resource, where)
