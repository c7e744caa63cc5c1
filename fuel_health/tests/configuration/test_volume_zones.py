"""cinder-volume's zone is the nova zone of its hypervisor."""

from fuel_health import ostf, params
from fuel_health.steps import nodes


@ostf.scenario(title="cinder and cinder-vmdk nodes put volumes in their hypervisor's nova zone",
               steps=["Read the cinder config of the node's cinder-volume",
                      "Check storage_availability_zone and backend_availability_zone equal the nova zone"],
               tags="use_vcenter", hypervisor="both", duration="1 s", since="6.1")
@params.for_each("backend", nodes.volume_nodes, what="cinder or cinder-vmdk node")
def test_volume_zone_is_nova_zone(ctx, step, backend):
    """Fuel once set <az_name>-cinder for cinder-vmdk: with cross_az_attach off, such volumes never attach."""
    node, role, hypervisor = backend
    with step(1):
        conf = nodes.cinder_config(ctx, node, role)
    with step(2):
        nodes.check_volume_zone(ctx, conf, hypervisor)
