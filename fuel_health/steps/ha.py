"""HA steps: who really consumes an RPC queue, and whether each node reaches RabbitMQ and MariaDB as configured.

Consumers are mapped to nodes the way an operator would do it by hand, without trusting names or counts:
RabbitMQ (`rabbitmqctl` on a controller, as fuel-ostf's ha set ran it: fuel-ostf 9.0:fuel_health/ha_base.py:159)
says which connection each consumer of a queue uses and that connection's peer address and port; the node that
owns a socket with exactly that local address and port, in a process of the expected service, is the consumer's
node (`ss -tnp` + `ps` on the node). Counting consumers is not enough: one worker holds one or several consumers
on a queue depending on the release (cinder 29 holds two), and two workers on one node look like a healthy pair.

On the lab every node is a folder of one machine: its processes are told apart by the node's root in their
command line (`--config-file <root>/etc/...`); on a real node the root is `/` and the address does it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from fuel_health.clients import connections
from fuel_health.clients.context import RunContext
from fuel_health.config import ClusterConfig, Node
from fuel_health.steps import nodes

RABBITMQCTL = "/usr/sbin/rabbitmqctl"
# Services that talk RPC / keep state in the database, and the file(s) each reads (Fuel's layout, see nodes.py).
MESSAGING = ("nova-api", "nova-conductor", "nova-scheduler", "nova-compute", "cinder-api", "cinder-scheduler",
             "cinder-volume", "neutron-server")
DATABASE = ("nova-api", "nova-conductor", "nova-scheduler", "cinder-api", "cinder-scheduler", "cinder-volume",
            "neutron-server", "glance-api", "keystone")
OTHER_FILES = {"neutron-server": "/etc/neutron/neutron.conf", "glance-api": "/etc/glance/glance-api.conf",
               "keystone": "/etc/keystone/keystone.conf"}


# --- what each node's services are configured to reach -------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One broker or database as a service's config names it; str() never shows the password."""

    kind: str  # RabbitMQ | MariaDB
    user: str
    password: str = field(repr=False)
    host: str
    port: int
    target: str  # the vhost or the database
    source: str  # "nova-api: [DEFAULT] transport_url (/etc/nova/nova.conf)"

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return self.kind, self.user, self.host, self.port, self.target

    def __str__(self) -> str:
        what = "vhost" if self.kind == "RabbitMQ" else "database"
        return f"{self.kind} at {self.host}:{self.port} ({what} {self.target}) as {self.user}"

    def scrub(self, text: str) -> str:
        """Remove the password from a driver's message, whatever it echoes."""
        return text.replace(self.password, "***") if self.password else text


def service_configs(ctx: RunContext, node: Node, wanted: tuple[str, ...]) -> dict[str, nodes.ServiceConfig]:
    """Read the config of every wanted service the node runs: {service: config}."""
    out = {}
    for service in (s for s in node.services if s in wanted):
        if service.startswith("nova-"):
            out[service] = (nodes.nova_compute_config(ctx, node) if service == "nova-compute"
                            else nodes.read(ctx, node, nodes.NOVA_CONF))
        elif service.startswith("cinder-"):
            role = "cinder-vmdk" if service == "cinder-volume" and node.has_role("cinder-vmdk") else "cinder"
            out[service] = nodes.cinder_config(ctx, node, role)
        elif service in OTHER_FILES:
            out[service] = nodes.read(ctx, node, OTHER_FILES[service])
    return out


def rabbit_endpoints(service: str, conf: nodes.ServiceConfig) -> list[Endpoint]:
    """The brokers a service uses: transport_url, or the rabbit_* options of Fuel 6.1-9.0 (Kilo-Mitaka)."""
    url, path = conf.get("DEFAULT", "transport_url")
    if url:
        parts = urlsplit(url)
        vhost = unquote(parts.path.lstrip("/")) or "/"
        out = []
        for hostpart in parts.netloc.split(","):  # oslo.messaging: rabbit://u:p@h1:5672,u:p@h2:5672/vhost
            creds, _, hostport = hostpart.rpartition("@")
            user, _, password = creds.partition(":")
            host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "5672")
            out.append(Endpoint("RabbitMQ", unquote(user) or "guest", unquote(password), host.strip("[]"),
                                int(port or 5672), vhost, f"{service}: [DEFAULT] transport_url ({path})"))
        return out
    section = next((s for s in ("oslo_messaging_rabbit", "DEFAULT") if conf.get(s, "rabbit_hosts")[0]
                    or conf.get(s, "rabbit_host")[0]), None)
    if section is None:
        return []

    def opt(key: str, default: str) -> str:
        return conf.get(section, key)[0] or default

    hosts = opt("rabbit_hosts", "") or f"{opt('rabbit_host', 'localhost')}:{opt('rabbit_port', '5672')}"
    src = f"{service}: [{section}] rabbit_hosts ({conf.get(section, 'rabbit_hosts')[1] or conf.files[0][0]})"
    out = []
    for hostport in (h.strip() for h in hosts.split(",") if h.strip()):
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "5672")
        out.append(Endpoint("RabbitMQ", opt("rabbit_userid", "guest"), opt("rabbit_password", "guest"), host,
                            int(port), opt("rabbit_virtual_host", "/"), src))
    return out


def database_endpoint(service: str, conf: nodes.ServiceConfig) -> Endpoint | None:
    """The database a service uses: [database] connection (sql_connection in [DEFAULT] before Icehouse)."""
    url, path = conf.get("database", "connection")
    key = "[database] connection"
    if not url:
        url, path = conf.get("DEFAULT", "sql_connection")
        key = "[DEFAULT] sql_connection"
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme.startswith("mysql"):
        raise AssertionError(f"{conf.node.name}: {service}: {key} ({path}) is a {parts.scheme} database, not "
                             "MariaDB: Fuel deploys MariaDB/Galera; fix the URL")
    return Endpoint("MariaDB", unquote(parts.username or ""), unquote(parts.password or ""), parts.hostname or "",
                    parts.port or 3306, parts.path.lstrip("/"), f"{service}: {key} ({path})")


def check_endpoints_configured(ctx: RunContext, node: Node, kind: str) -> list[tuple[Endpoint, list[str]]]:
    """Check each of the node's services names its broker (kind RabbitMQ) or database (MariaDB); return each
    distinct one they use, with who uses it."""
    wanted = MESSAGING if kind == "RabbitMQ" else DATABASE
    found: dict[tuple[str, str, str, int, str], tuple[Endpoint, list[str]]] = {}
    missing = []
    for service, conf in service_configs(ctx, node, wanted).items():
        eps = rabbit_endpoints(service, conf) if kind == "RabbitMQ" else [e for e in [database_endpoint(service, conf)]
                                                                          if e]
        if not eps:
            missing.append(f"{service} ({' + '.join(p for p, _ in conf.files)})")
        for ep in eps:
            found.setdefault(ep.key, (ep, []))[1].append(ep.source)
    if missing:
        what = "transport_url (or rabbit_hosts)" if kind == "RabbitMQ" else "[database] connection"
        raise AssertionError(f"{node.name}: no {what} for {', '.join(missing)}: the service cannot reach {kind}; "
                             "set it as on the other nodes and restart the service")
    if not found:
        raise AssertionError(f"{node.name}: runs none of {', '.join(wanted)}: nothing here uses {kind}")
    return list(found.values())


def _connect_rabbit(ep: Endpoint, timeout: float) -> None:
    import amqp  # only this check needs it: keep it off the suite's start-up

    conn = amqp.Connection(host=f"{ep.host}:{ep.port}", userid=ep.user, password=ep.password,
                           virtual_host=ep.target, connect_timeout=timeout, read_timeout=timeout,
                           write_timeout=timeout)
    try:
        conn.connect()
    finally:
        conn.collect()


def _connect_mariadb(ep: Endpoint, timeout: float) -> None:
    import pymysql

    conn = pymysql.connect(host=ep.host, port=ep.port, user=ep.user, password=ep.password, database=ep.target,
                           connect_timeout=timeout, read_timeout=timeout)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    finally:
        conn.close()


def check_reachable(node: Node, found: list[tuple[Endpoint, list[str]]], timeout: float) -> list[str]:
    """Log in to each endpoint with the node's own credentials; fail naming the node, the setting and the fix."""
    connect: Callable[[Endpoint, float], None] = _connect_rabbit if found[0][0].kind == "RabbitMQ" else _connect_mariadb
    ok, problems = [], []
    for ep, users in found:
        try:
            connect(ep, timeout)
        except Exception as exc:  # noqa: BLE001 - every driver error is a verdict on this endpoint
            reason = ep.scrub(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
            problems.append(f"{ep} refused or unreachable ({reason}); used by {'; '.join(users)}")
        else:
            ok.append(str(ep))
    if problems:
        raise AssertionError(f"{node.name}: {' | '.join(problems)}: these services fail as soon as they reconnect "
                             "or restart; fix host, port, user or password in that setting (the broker's or "
                             "database's users and listeners are on the controllers) and restart the services")
    return ok


# --- who consumes a queue -------------------------------------------------------------------------------------


Peer = tuple[str, int]  # the consumer's connection as RabbitMQ sees it: (address, port)


@dataclass(frozen=True)
class Owner:
    node: str
    pid: int
    args: str


def _tool(cfg: ClusterConfig, node: Node, path: str) -> str:
    """A node's tool lives under its root (the lab's controller has its own rabbitmqctl there)."""
    return connections.node_path(cfg, node, path) if node.root not in ("", "/") else path


def _table(stdout: str, columns: int) -> list[list[str]]:
    """rows of `rabbitmqctl -q list_*` (tab separated; headers and notices are dropped)."""
    rows = [line.split("\t") for line in stdout.splitlines()]
    return [cells for cells in rows if len(cells) == columns and any(c.startswith("<") for c in cells)]


def queue_consumers(ctx: RunContext, vhost: str, queues: set[str]) -> dict[str, list[Peer]]:
    """The consumers of each queue, as the peer address/port of their connection, asked on a controller."""
    errors = []
    for node in ctx.cfg.nodes_with_role("controller"):
        host, ctl = connections.node_host(ctx.cfg, node), _tool(ctx.cfg, node, RABBITMQCTL)
        # Three rabbitmqctl runs, each mostly its own Erlang VM start-up (about 0.5 s): at once, not one by one.
        with ThreadPoolExecutor(3) as pool:
            runs = list(pool.map(lambda args, run=host.run: run(*args), [
                (f"{ctl} -q list_consumers -p %s queue_name channel_pid", vhost),
                (f"{ctl} -q list_channels -p %s pid connection", vhost),
                (f"{ctl} -q list_connections pid peer_host peer_port",)]))
        failed = next((r for r in runs if r.rc != 0), None)
        if failed is not None:
            errors.append(f"{node.name}: rc {failed.rc}: {' '.join((failed.stderr or failed.stdout).split())[:200]}")
            continue
        channels = dict(_table(runs[1].stdout, 2))
        conns = {pid: (h.removeprefix("::ffff:"), int(p)) for pid, h, p in _table(runs[2].stdout, 3) if p.isdigit()}
        out: dict[str, list[Peer]] = {q: [] for q in queues}
        for queue, channel in _table(runs[0].stdout, 2):
            if queue in out and channels.get(channel) in conns:
                out[queue].append(conns[channels[channel]])
        return out
    raise AssertionError(f"no controller answers `rabbitmqctl list_consumers` ({'; '.join(errors) or 'no controller'}):"
                         " is RabbitMQ running there (`rabbitmqctl cluster_status`)?")


_SS_LINE = re.compile(r"^\s*\d+\s+\d+\s+\[?([^\s\]]+?)\]?:(\d+)\s+\S+\s+users:\((.*)\)\s*$")


def socket_pids(users: str) -> list[int]:
    """The pids in ss's `users:` field: `(("cinder-volume",pid=1234,fd=12))` today, `(("cinder-volume",1234,12))`
    from the iproute2 3.12 of Fuel 6.1-8.0's Ubuntu 14.04 nodes."""
    return [int(pid) for pid in re.findall(r'\("[^"]*",(?:pid=)?(\d+),', users)]


def socket_owners(ctx: RunContext, node: Node, service: str, peers: set[Peer]) -> dict[Peer, Owner]:
    """Which of the peers are sockets of the service's processes on this node."""
    host = connections.node_host(ctx.cfg, node)
    ss = host.run("ss -tnp state established")  # no -H: iproute2 3.12 (Ubuntu 14.04) lacks it
    if ss.rc != 0:
        raise AssertionError(f"{node.name}: `ss -tnp` failed (rc {ss.rc}): {' '.join(ss.stderr.split())[:200]}")
    by_pid: dict[int, list[Peer]] = {}
    for line in ss.stdout.splitlines():
        m = _SS_LINE.match(line)
        if m:
            peer = (m.group(1).removeprefix("::ffff:"), int(m.group(2)))
            if peer in peers:
                for pid in socket_pids(m.group(3)):
                    by_pid.setdefault(pid, []).append(peer)
    if not by_pid:
        return {}
    ps = host.run("ps -ww -o pid=,args= -p %s", ",".join(map(str, by_pid)))
    root = node.root.rstrip("/")
    out = {}
    for line in ps.stdout.splitlines():
        pid, _, args = line.strip().partition(" ")
        if service in args and (not root or f"{root}/" in args):
            for peer in by_pid.get(int(pid), []):
                out[peer] = Owner(node.name, int(pid), args.strip())
    return out


def consumers_by_node(ctx: RunContext, service: str, peers: list[Peer]) -> tuple[dict[str, set[int]], list[Peer]]:
    """Map consumers to the nodes running the service: ({node: pids}, consumers no such node owns)."""
    owners: dict[Peer, Owner] = {}
    for node in (n for n in ctx.cfg.nodes if service in n.services):
        owners.update(socket_owners(ctx, node, service, set(peers)))
    found: dict[str, set[int]] = {}
    for peer in peers:
        if peer in owners:
            found.setdefault(owners[peer].node, set()).add(owners[peer].pid)
    return found, [p for p in peers if p not in owners]


def _shown(found: dict[str, set[int]], unowned: list[Peer]) -> str:
    parts = [f"{n}: pid {', '.join(map(str, sorted(p)))}" for n, p in sorted(found.items())]
    parts += [f"{h}:{p} (no {'' if not parts else 'other '}node's process)" for h, p in unowned]
    return "; ".join(parts) or "none"


def check_every_node_consumes(queue: str, found: dict[str, set[int]], unowned: list[Peer],
                              expected: list[Node]) -> str:
    """Check each expected node has a cinder-volume consuming the queue, and nothing else consumes it."""
    missing = [n.name for n in expected if n.name not in found]
    names = ", ".join(n.name for n in expected)
    if not found and not unowned:
        raise AssertionError(f"RPC queue {queue} has no consumer: no cinder-volume of {names} serves the pair's "
                             "volumes (start cinder-volume there and read its log)")
    if missing:
        raise AssertionError(f"{', '.join(missing)}: no cinder-volume consumes RPC queue {queue} (consumers: "
                             f"{_shown(found, unowned)}): the pair runs on one node only, and the next failure of "
                             "that node stops every VMDK volume; start or restart cinder-volume on "
                             f"{', '.join(missing)} and check its log for AMQP errors")
    strangers = sorted(set(found) - {n.name for n in expected})
    if strangers:  # e.g. the KVM cinder node with the pair's `host` copied into its config
        raise AssertionError(f"RPC queue {queue} is also consumed by cinder-volume on {', '.join(strangers)}, "
                             f"which is not a cinder-vmdk node ({_shown(found, unowned)}): it takes the pair's "
                             f"requests; fix [DEFAULT] host in its cinder.conf and restart it")
    if unowned:
        raise AssertionError(f"RPC queue {queue} has consumers that are no cinder-volume of {names} "
                             f"({_shown(found, unowned)}): another service registered with the pair's host takes "
                             "its requests; find it with `rabbitmqctl list_connections` and stop it")
    return _shown(found, unowned)


def check_consumed_once(queue: str, found: dict[str, set[int]], unowned: list[Peer], what: str) -> str:
    """Check exactly one nova-compute process (on any node) consumes the queue."""
    count = sum(len(p) for p in found.values()) + len(unowned)
    if count == 1:
        return _shown(found, unowned)
    if count == 0:
        raise AssertionError(f"RPC queue {queue} has no consumer: no nova-compute serves {what}; its instances "
                             "cannot be built or changed (start nova-compute on its target node, read its log)")
    raise AssertionError(f"RPC queue {queue} is consumed by {count} nova-compute processes ({_shown(found, unowned)}),"
                         f" expected exactly one for {what}: two nova-computes drive one vSphere cluster and race on "
                         "its instances; stop all but the one on the target node")
