"""nova-compute is up for each host (KVM) and each vSphere cluster (vCenter), zone by zone: one case each."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import services, zones


@ostf.scenario(title="nova-compute is up on each KVM compute host of its zone",
               steps=["Check the host's nova-compute (the zone's case: each unlisted host's) is in the zone, "
                      "enabled and up"],
               tags="kvm_compute", hypervisor="kvm", duration="1 s", since="6.1")
@params.for_each("unit", zones.kvm_computes, what="KVM zone (hypervisors.kvm)")
def test_kvm_nova_compute_up(ctx, step, unit):
    """Every KVM compute node of the cluster description runs an enabled nova-compute in its zone; a down host
    fails only its own case. The zone's own case checks the hosts the cloud has in the zone that the description
    does not list (and that the zone has a compute host at all)."""
    with step(1):
        if unit.host is None:
            services.check_other_computes(ctx, unit.zone.zone, unit.zone.hosts)
        else:
            services.check_compute_host(ctx, unit.zone.zone, unit.host)


@ostf.scenario(title="nova-compute is up for each vSphere cluster of its vCenter zone",
               steps=["Check the cluster's nova-compute (the zone's case: each unlisted host's) is in the zone, "
                      "enabled and up"],
               tags="use_vcenter", hypervisor="vcenter", duration="1 s", since="6.1")
@params.for_each("unit", zones.vcenter_computes, what="vCenter zone (vmware_attributes availability_zones)")
def test_vcenter_nova_compute_up(ctx, step, unit):
    """Each vSphere cluster of the VMware settings has its nova-compute (host <az_name>-<service_name>) in its zone;
    a down one fails only its own case. The zone's own case checks the zone's other hosts."""
    with step(1):
        if unit.host is None:
            vc = unit.zone.vcenter
            services.check_other_computes(ctx, unit.zone.zone, [vc.compute_host(nc) for nc in vc.nova_computes])
        else:
            services.check_compute_host(ctx, unit.zone.zone, unit.host, unit.cluster)
