"""Both cinder-vmdk nodes really serve the pair: each consumes the pair's RPC queue."""

from fuel_health.pytest_plugin import ostf
from fuel_health.steps import ha, nodes


@ostf.scenario(title="Every cinder-vmdk node consumes the pair's cinder-volume RPC queue",
               steps=["Read the pair's host, backends and broker from the cinder-vmdk nodes' config",
                      "Ask RabbitMQ on a controller for the consumers of cinder-volume.<host>@<backend>",
                      "Map each consumer to the node whose cinder-volume owns its connection",
                      "Check every cinder-vmdk node consumes, and nothing else does"],
               tags="ha, cinder_vmdk_ha", hypervisor="vcenter", duration="3 s", since="6.1")
def test_cinder_vmdk_queue_consumed_by_every_node(ctx, step):
    """One service row stays up while one node of the pair is dead: only the queue's consumers tell."""
    pair = ctx.cfg.nodes_with_role("cinder-vmdk")
    with step(1):
        configs = [nodes.cinder_config(ctx, node, "cinder-vmdk") for node in pair]
        nodes.check_same_host(configs)
        host = configs[0].get("DEFAULT", "host")[0]
        queues = [f"cinder-volume.{host}@{b}" for b in nodes.backends(configs[0])] or [f"cinder-volume.{host}"]
        broker = ha.rabbit_endpoints("cinder-volume", configs[0])
        assert broker, f"{pair[0].name}: cinder-volume has no transport_url: it consumes nothing"
    with step(2):
        consumers = ha.queue_consumers(ctx, broker[0].target, set(queues))
    for queue in queues:
        with step(3):
            found, unowned = ha.consumers_by_node(ctx, "cinder-volume", consumers[queue])
        with step(4):
            ha.check_every_node_consumes(queue, found, unowned, pair)
