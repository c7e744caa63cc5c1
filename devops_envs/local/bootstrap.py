"""First-start work on the lab's state: databases, message-queue user, schemas, keystone bootstrap."""

from __future__ import annotations

import os
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from devops_envs.local import render, services, supervisor
from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths, make_private_dir, open_private
from devops_envs.local.topology import Topology

DATABASES = ("keystone", "placement", "glance", "cinder", "neutron", "nova_api", "nova", "nova_cell0")


def prepare_dirs(paths: LabPaths, topo: Topology) -> None:
    """Data folders each service expects to exist; the lab home is private (0700) from its creation."""
    make_private_dir(paths.home)
    rabbit = paths.data / "rabbitmq"
    for d in (paths.run, paths.logs, rabbit / "mnesia", rabbit / "log", paths.data / "shared", paths.data / "images"):
        make_private_dir(d)
    (rabbit / "enabled_plugins").write_text("[].\n")
    (rabbit / "rabbitmq.conf").write_text("listeners.tcp.default = 127.0.0.1:5672\n")
    (rabbit / "rabbitmq-env.conf").touch()
    for node in topo.nodes_with("controller"):
        _rabbitmqctl_on_node(paths, node.name)
    for node in topo.nodes:
        state = paths.node_state(node.name)
        for sub in ("keystone/fernet-keys", "keystone/credential-keys", "glance/images", "glance/staging",
                    "glance/tasks", "glance/locks", "nova/locks", "cinder/locks", "neutron/locks"):
            (state / sub).mkdir(parents=True, exist_ok=True)


def init_mariadb_datadir(paths: LabPaths) -> None:
    datadir = paths.data / "mysql"
    if (datadir / "mysql").exists():
        return
    datadir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # root logs in through the unix socket only, as the OS user root: no password to leak, no TCP root.
    run(["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root", "--skip-test-db",
         "--auth-root-authentication-method=socket"], paths.logs / "bootstrap.log")


def ensure_databases(paths: LabPaths, secrets: dict[str, str]) -> None:
    """Databases, one user per service, and no other way in (idempotent; passwords follow secrets.yaml).

    Every account but the services' and root@localhost (unix socket) is dropped: anonymous ones, root over
    TCP, the old shared `os` user. SQL goes through stdin: passwords never reach an argv."""
    sql = ["DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost') "
           "OR User = 'os';",
           "DELETE FROM mysql.db WHERE User = '' OR User = 'os' OR Db LIKE 'test%';",
           "FLUSH PRIVILEGES;",
           "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;"]
    sql += [f"CREATE DATABASE IF NOT EXISTS {db};" for db in DATABASES]
    for user, dbs in render.DB_USERS.items():
        pw = render.db_password(secrets, user)
        sql += [f"CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' IDENTIFIED BY '{pw}';",
                f"ALTER USER '{user}'@'127.0.0.1' IDENTIFIED BY '{pw}';"]
        sql += [f"GRANT ALL ON {db}.* TO '{user}'@'127.0.0.1';" for db in dbs]
    sql.append("DROP DATABASE IF EXISTS test;")
    res = subprocess.run(["mariadb", "--no-defaults", "-S", str(paths.run / "mysql.sock"), "-uroot"],
                         input="\n".join(sql), capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise LabError(f"creating the lab databases failed: {res.stderr.strip().splitlines()[-1:]}")


def _rabbitmqctl_on_node(paths: LabPaths, node: str) -> None:
    """A controller's `rabbitmqctl`, at <node root>/usr/sbin as on a real one (the HA checks run it there).

    The lab's broker is a private Erlang node: the wrapper gives rabbitmqctl its name and cookie (no secret)."""
    tool = paths.node_root(node) / "usr" / "sbin" / "rabbitmqctl"
    tool.parent.mkdir(parents=True, exist_ok=True)
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in services.rabbit_env(paths).items())
    ctl = f"{services.RABBIT_BIN}/rabbitmqctl -n {services.RABBIT_NODE}"
    tool.write_text(f"#!/bin/sh\nexport {env}\nexec {ctl} \"$@\"\n")
    tool.chmod(0o755)


def ensure_rabbit_user(paths: LabPaths, secrets: dict[str, str]) -> None:
    """The `openstack` user with the lab's password, and no `guest`; passwords go through stdin, never argv."""
    password = secrets["rabbit_password"] + "\n"
    users = [line.split()[0] for line in supervisor.rabbitmqctl(paths, "list_users").stdout.splitlines()[1:]
             if line.split()]
    if "openstack" in users and supervisor.rabbitmqctl(paths, "authenticate_user", "openstack", stdin=password,
                                                        check=False).returncode != 0:
        supervisor.rabbitmqctl(paths, "delete_user", "openstack")  # wrong password: make it again
        users.remove("openstack")
    if "openstack" not in users:
        supervisor.rabbitmqctl(paths, "add_user", "openstack", stdin=password)
    supervisor.rabbitmqctl(paths, "set_permissions", "-p", "/", "openstack", ".*", ".*", ".*")
    if "guest" in users:  # guest/guest logs in from 127.0.0.1, i.e. from any local user
        supervisor.rabbitmqctl(paths, "delete_user", "guest")


def sync_schemas(paths: LabPaths, topo: Topology, secrets: dict[str, str]) -> None:
    """Schema syncs, three chains in parallel (each tool is mostly import time on one core)."""
    etc = paths.node_etc(topo.controller.name)
    b = paths.bin
    log = paths.logs / "bootstrap.log"
    keystone = [b / "keystone-manage", "--config-file", etc / "keystone/keystone.conf"]
    nova = [b / "nova-manage", "--config-file", etc / "nova/nova.conf"]
    url = "http://127.0.0.1:5000/v3/"
    chains = [
        [[*keystone, "db_sync"],
         [*keystone, "fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
         [*keystone, "credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
         [*keystone, "bootstrap", "--bootstrap-region-id", "RegionOne", "--bootstrap-admin-url", url,
          "--bootstrap-internal-url", url, "--bootstrap-public-url", url]],
        # map_cell0 without --database_connection derives nova_cell0 from [database] (no password in argv).
        [[*nova, "api_db", "sync"], [*nova, "cell_v2", "map_cell0"],
         [*nova, "db", "sync"], [*nova, "cell_v2", "create_cell", "--name", "cell1"]],
        [[b / "placement-manage", "--config-file", etc / "placement/placement.conf", "db", "sync"],
         [b / "glance-manage", "--config-file", etc / "glance/glance-api.conf", "db_sync"],
         [b / "cinder-manage", "--config-file", etc / "cinder/cinder.conf", "db", "sync"],
         [b / "neutron-db-manage", "--config-file", etc / "neutron/neutron.conf", "--config-file",
          etc / "neutron/plugins/ml2/ml2_conf.ini", "upgrade", "heads"]],
    ]
    # keystone-manage bootstrap reads the admin password from the environment: keep it out of argv.
    env = {"OS_BOOTSTRAP_PASSWORD": secrets["admin_password"]}

    def chain(cmds: list[list]) -> None:
        for cmd in cmds:
            run([str(c) for c in cmd], log, env, ok_codes=(0, 2) if "create_cell" in cmd else (0,))

    with ThreadPoolExecutor(3) as pool:
        for fut in [pool.submit(chain, c) for c in chains]:
            fut.result()


def run(cmd: list[str], log: Path, env: dict[str, str] | None = None, ok_codes: tuple[int, ...] = (0,)) -> None:
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    res = subprocess.run(cmd, capture_output=True, text=True, env=full_env)
    with private_log(log) as out:
        out.write(f"$ {' '.join(cmd)}\n{res.stdout}{res.stderr}\n")
    if res.returncode not in ok_codes:
        raise LabError(f"{Path(cmd[0]).name} {' '.join(cmd[3:5])} failed with exit {res.returncode} (see {log})")


def private_log(path: Path) -> TextIO:
    """Open a log for appending, 0600 from its creation (tools print connection URLs, tracebacks)."""
    return open_private(path)
