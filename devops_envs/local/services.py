"""The lab's processes: what runs where, how it starts, and what "ready" means for each."""

from __future__ import annotations

import configparser
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from devops_envs.local import libvirtd, render
from devops_envs.local.paths import LabPaths
from devops_envs.local.topology import Node, Topology

RABBIT_NODE = "fuellab@localhost"
RABBIT_BIN = "/usr/lib/rabbitmq/bin"

# Start stages: each waits for the previous one to be ready; `down` stops them in reverse.
INFRA, IDENTITY, OPENSTACK = 0, 1, 2


@dataclass(frozen=True)
class Service:
    node: str
    name: str
    argv: tuple[str, ...]
    stage: int
    env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    http: str | None = None  # answers at all: ready
    queue: str | None = None  # an RPC consumer on this queue: ready

    @property
    def key(self) -> str:
        return f"{self.node}.{self.name}"


API_PORTS = {"keystone": 5000, "glance-api": 9292, "placement-api": 8778, "nova-api": 8774,
             "cinder-api": 8776, "neutron-server": 9696}
WSGI_APPS = {"keystone": "keystone.wsgi.api", "glance-api": "glance.wsgi.api",
             "placement-api": "placement.wsgi.api", "nova-api": "nova.wsgi.osapi_compute",
             "cinder-api": "cinder.wsgi.api", "neutron-server": "neutron.wsgi.api"}


def rabbit_env(paths: LabPaths) -> dict[str, str]:
    """A private RabbitMQ node: its data, logs and Erlang cookie under the lab home, on 127.0.0.1."""
    base = paths.data / "rabbitmq"
    return {
        "RABBITMQ_NODENAME": RABBIT_NODE, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": "5672", "RABBITMQ_DIST_PORT": "25672", "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_PID_FILE": str(base / "rabbit.pid"), "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "HOME": str(base),
    }


def infra(paths: LabPaths, topo: Topology) -> list[Service]:
    node = topo.controller.name
    run = paths.run
    out = [
        Service(node, "mariadb", (
            "/usr/sbin/mariadbd", "--no-defaults", f"--datadir={paths.data / 'mysql'}", "--user=root",
            "--bind-address=127.0.0.1", "--port=3306", f"--socket={run / 'mysql.sock'}",
            f"--pid-file={run / 'mariadbd.pidfile'}", "--skip-log-bin", "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M", "--max-connections=500", "--character-set-server=utf8mb4",
            "--performance-schema=OFF"), INFRA, port=3306),
        # epmd under our supervision, so `down` leaves no detached Erlang daemon behind.
        Service(node, "epmd", ("/usr/bin/epmd", "-address", "127.0.0.1", "-port", "4369"), INFRA, port=4369),
        Service(node, "rabbitmq", (f"{RABBIT_BIN}/rabbitmq-server",), INFRA, env=rabbit_env(paths), port=5672),
    ]
    for zone in topo.vcenter_zones:  # one simulator per vCenter zone: its own port, credentials and clusters
        sim = topo.simulator(zone.az_name)
        first = zone.az_name == topo.az_names[0]
        # Secrets reach the simulator through its environment (never argv): the supervisor fills the placeholder.
        password = (("{{vcenter_password}}" if first else f"{{{{vcenter_password:{zone.az_name}}}}}")
                    if zone.password == render.GENERATED else zone.password)
        # A further zone's vCenter has an instance uuid of its own, as every real vCenter does (nova names its
        # node <cluster moref>.<instance uuid>); stable, since nova refuses a node whose name changed.
        own_uuid = () if first else ("-instance-uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"fuel-lab:{zone.az_name}")))
        out.append(Service("vcenter" if first else f"vcenter-{zone.az_name}", "vcsim", (
            str(paths.vcsim_build / "bin" / "vcsimd"), "-l", f"127.0.0.1:{sim.port}", "-user", zone.username,
            "-datacenter", sim.datacenter, "-cluster", ",".join(sim.clusters),
            "-datastores", ",".join(sim.datastores), "-wsdl-dir", str(paths.wsdl), *own_uuid),
            INFRA, env={"VCSIM_PASSWORD": password}, port=sim.port))
    return out


def openstack(paths: LabPaths, topo: Topology, node: Node) -> list[Service]:
    """The OpenStack processes of one node, from the services its roles run."""
    etc = paths.node_etc(node.name)
    py = str(paths.python)
    wsgi = str(paths.inside / "wsgi.py")
    out: list[Service] = []
    for name in node.services:
        if name in ("mariadb", "rabbitmq"):
            continue
        if name in WSGI_APPS:
            port = API_PORTS[name]
            argv: tuple[str, ...] = (py, wsgi, name, f"127.0.0.1:{port}", WSGI_APPS[name])
            env = {
                "keystone": {"OS_KEYSTONE_CONFIG_FILES": str(etc / "keystone/keystone.conf")},
                "glance-api": {"OS_GLANCE_CONFIG_DIR": str(etc / "glance")},
                "placement-api": {"OS_PLACEMENT_CONFIG_DIR": str(etc / "placement")},
                "nova-api": {"OS_NOVA_CONFIG_DIR": str(etc / "nova"),
                             "OS_NOVA_CONFIG_FILES": "api-paste.ini;nova.conf"},
                "neutron-server": {"OS_NEUTRON_CONFIG_DIR": str(etc / "neutron")},
            }.get(name, {})
            if name == "cinder-api":
                argv += ("--config-file", str(etc / "cinder/cinder.conf"))
            stage = IDENTITY if name == "keystone" else OPENSTACK
            out.append(Service(node.name, name, argv, stage, env=env, port=port,
                               http=f"http://127.0.0.1:{port}/"))
            continue
        project = name.split("-")[0]
        conf = str(etc / render.SERVICE_FILES[name][0])
        if name == "nova-compute" and "compute" in node.roles:
            argv = (py, str(paths.inside / "nova_compute.py"), "--config-file", conf)
        else:
            argv = (str(paths.bin / name), "--config-file", conf)
        # cinder-volume imports the lab's backend by module path: inside/ must be importable.
        env = {"PYTHONPATH": str(paths.inside)} if name == "cinder-volume" and "cinder" in node.roles else {}
        if name == "nova-compute" and "compute" in node.roles and topo.kvm_virt == "libvirt":
            env = {"PYTHONPATH": str(libvirtd.pylibs(paths))}  # Debian's libvirt binding, nothing else
        if name == "cinder-volume" and "cinder" in node.roles and topo.kvm_virt == "libvirt":
            argv = libvirtd.without_loop_devices(paths, node.name, argv)
        out.append(Service(node.name, name, argv, OPENSTACK, env=env,
                           queue=rpc_queue(paths, topo, node, name, project)))
    if "cinder-vmdk" in node.roles:
        out += vmdk_zone_volumes(paths, topo, node)
    return out


def vmdk_zone_volumes(paths: LabPaths, topo: Topology, node: Node) -> list[Service]:
    """A cinder-vmdk node's cinder-volume for each further vCenter zone (Fuel's cinder-volume-vmware-<az_name>),
    on the zone's own config (render.vmdk_zone_file): each zone's pair shares the zone's host, serves its vCenter."""
    return [Service(node.name, f"cinder-volume-vmware-{zone.az_name}", (
        str(paths.bin / "cinder-volume"), "--config-file",
        str(paths.node_etc(node.name) / render.vmdk_zone_file(zone.az_name))), OPENSTACK,
        queue=f"cinder-volume.{vmdk_zone_host(paths, node, zone.az_name)}") for zone in topo.vcenter_zones[1:]]


def vmdk_zone_host(paths: LabPaths, node: Node, az_name: str) -> str:
    """The `host` of a further vCenter zone's cinder-volume, read from its rendered config."""
    return _host(node, "cinder-volume", paths.node_etc(node.name) / render.vmdk_zone_file(az_name))


def rpc_queue(paths: LabPaths, topo: Topology, node: Node, name: str, project: str) -> str:
    """The RPC queue a worker consumes once it is really serving (DB heartbeats come earlier)."""
    return {
        "nova-conductor": "conductor",
        "nova-scheduler": "scheduler",
        "nova-compute": f"compute.{service_host(paths, node, name)}",
        "cinder-scheduler": "cinder-scheduler",
        "cinder-volume": f"cinder-volume.{service_host(paths, node, name)}",
    }[name]


def service_host(paths: LabPaths, node: Node, name: str) -> str:
    """The `host` a service registers with, read from the node's rendered config (the one truth)."""
    return _host(node, name, paths.node_etc(node.name) / render.SERVICE_FILES[name][0])


def _host(node: Node, name: str, *files: Path) -> str:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(files)
    host = parser.get("DEFAULT", "host", fallback=node.name)
    backends = [b.strip() for b in parser.get("DEFAULT", "enabled_backends", fallback="").split(",") if b.strip()]
    if name == "cinder-volume" and backends:
        return f"{host}@{backends[0]}"
    return host


def hypervisors(paths: LabPaths, topo: Topology) -> list[Service]:
    """A private libvirtd on each KVM compute node of a real KVM zone (ready: it answers on its socket)."""
    if topo.kvm_virt != "libvirt":
        return []
    return [Service(node.name, "libvirtd", libvirtd.argv(paths, node.name), INFRA)
            for node in topo.nodes_with("compute")]


def all_services(paths: LabPaths, topo: Topology) -> list[Service]:
    out = infra(paths, topo) + hypervisors(paths, topo)
    for node in topo.nodes:
        out += openstack(paths, topo, node)
    return out
