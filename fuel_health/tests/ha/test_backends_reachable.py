"""Each node reaches RabbitMQ and MariaDB with the settings its services really use."""

from fuel_health.pytest_plugin import ostf, params
from fuel_health.steps import ha, nodes


@ostf.scenario(title="The node's services log in to RabbitMQ with their own transport_url",
               steps=["Read transport_url (or rabbit_hosts) of every RPC service on the node",
                      "Log in to each broker with those credentials"],
               tags="ha", hypervisor="both", duration="1 s", since="6.1")
@params.for_each("node", nodes.running(*ha.MESSAGING), what="node running an RPC service")
def test_rabbitmq_reachable(ctx, step, node):
    """A wrong port or user in one node's config goes unnoticed until that service restarts: then it is dead."""
    with step(1):
        found = ha.check_endpoints_configured(ctx, node, "RabbitMQ")
    with step(2):
        ha.check_reachable(node, found, ctx.timeouts.api)


@ostf.scenario(title="The node's services log in to MariaDB with their own [database] connection",
               steps=["Read [database] connection of every service on the node that keeps state",
                      "Connect to each database with those credentials and run SELECT 1"],
               tags="ha", hypervisor="both", duration="1 s", since="6.1")
@params.for_each("node", nodes.running(*ha.DATABASE), what="node running a service with a database")
def test_database_reachable(ctx, step, node):
    """Checked per node: a VIP or password wrong on one node breaks only that node's services."""
    with step(1):
        found = ha.check_endpoints_configured(ctx, node, "MariaDB")
    with step(2):
        ha.check_reachable(node, found, ctx.timeouts.api)
