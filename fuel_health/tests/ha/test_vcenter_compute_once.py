"""The vCenter nova-compute of each vSphere cluster runs exactly once."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import ha, nodes


def vsphere_clusters(cfg):
    """Parameter source: each vCenter nova-compute (one per vSphere cluster)."""
    return [(nc.service_name, nc) for nc in cfg.vcenter.nova_computes] if cfg.vcenter else []


@ostf.scenario(title="Exactly one nova-compute consumes the RPC queue of each vCenter nova-compute",
               steps=["Read the broker from the nova-compute config of its target node",
                      "Ask RabbitMQ on a controller for the consumers of compute.<az_name>-<service_name>",
                      "Map each consumer to the node whose nova-compute owns its connection",
                      "Check there is exactly one"],
               tags="ha, use_vcenter", hypervisor="vcenter", duration="3 s", since="6.1")
@params.for_each("nova_compute", vsphere_clusters, what="vCenter nova-compute")
def test_vcenter_compute_runs_once(ctx, step, nova_compute):
    """None: the zone cannot build; two: two nova-computes drive one vSphere cluster and race on its VMs."""
    queue = f"compute.{ctx.cfg.vcenter.compute_host(nova_compute)}"
    with step(1):
        node = nodes.target_nodes(ctx.cfg, nova_compute)[0]
        broker = ha.rabbit_endpoints("nova-compute", nodes.nova_compute_config(ctx, node, nova_compute))
        assert broker, f"{node.name}: nova-compute has no transport_url: it consumes nothing"
    with step(2):
        peers = ha.queue_consumers(ctx, broker[0].target, {queue})[queue]
    with step(3):
        found, unowned = ha.consumers_by_node(ctx, "nova-compute", peers)
    with step(4):
        ha.check_consumed_once(queue, found, unowned, f"vSphere cluster {nova_compute.vsphere_cluster}")
