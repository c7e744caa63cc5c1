"""cinder-volume's zone is the nova zone of its hypervisor."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="cinder and cinder-vmdk nodes put volumes in their zone's nova zone",
               steps=["Read the cinder config of the node's cinder-volume (cinder-vmdk: the one of that vCenter zone)",
                      "Check storage_availability_zone and backend_availability_zone equal the nova zone"],
               tags="use_vcenter", hypervisor="both", duration="1 s", since="6.1")
@params.for_each("backend", nodes.volume_nodes, what="cinder or cinder-vmdk node")
def test_volume_zone_is_nova_zone(ctx, step, backend):
    """Fuel once set <az_name>-cinder for cinder-vmdk: with cross_az_attach off, such volumes never attach. A
    cinder-vmdk node runs one cinder-volume per vCenter zone, each its own case."""
    zone = backend.zones[0] if backend.role == "cinder-vmdk" else None
    with step(1):
        conf = nodes.cinder_config(ctx, backend.node, backend.role, zone)
    with step(2):
        nodes.check_volume_zone(conf, backend)
