"""The lab's doors, tried as another local user would (`nobody`, via setpriv): each must be shut.

MariaDB takes no root over TCP and no anonymous login; RabbitMQ has no guest; no lab password is in any
process's argv (what `ps` shows everyone) or in any log; the lab's files are 0600 from their creation.
Each probe has a positive control, so a probe that cannot reach the door fails instead of passing.
"""

from __future__ import annotations

import configparser
import json
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from devops_envs.local import bootstrap, render

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def as_nobody(*cmd: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NOBODY, *cmd], input=stdin, capture_output=True, text=True, timeout=30, cwd="/")


@pytest.fixture(scope="module")
def secrets(lab) -> list[str]:
    """Every password the lab holds: secrets.yaml and the per-service database passwords."""
    values = yaml.safe_load(lab.paths.secrets.read_text())
    out = [v for v in values.values() if isinstance(v, str) and len(v) >= 8]
    out += [render.db_password(values, user) for user in render.DB_USERS]
    return out


# --- MariaDB ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["root", "", "nobody", "mysql"])
def test_mariadb_refuses_root_and_anonymous_logins_over_tcp(user):
    res = as_nobody("mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1", "-P3306", f"-u{user}",
                    "-e", "show databases")
    assert res.returncode != 0, f"user {user!r} got in over TCP:\n{res.stdout}"
    assert "Access denied" in res.stderr, res.stderr  # the server answered: the door is there, and shut


def test_mariadb_lets_a_service_in_with_its_own_password_only(lab):
    """Positive control of the probe above, and the per-service wall: keystone sees keystone only."""
    values = yaml.safe_load(lab.paths.secrets.read_text())
    # MYSQL_PWD: the password through the environment, not argv (this test checks argv for leaks too).
    res = subprocess.run([*NOBODY, "mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1", "-P3306",
                          "-ukeystone", "-N", "-e", "show databases"], capture_output=True, text=True, timeout=30,
                         cwd="/", env={**os.environ, "MYSQL_PWD": render.db_password(values, "keystone")})
    assert res.returncode == 0, res.stderr
    assert set(res.stdout.split()) == {"information_schema", "keystone"}


def test_mariadb_accounts_are_root_by_socket_and_one_user_per_service(lab):
    sql = ("SELECT CONCAT(User, '@', Host, ' ', IFNULL(JSON_VALUE(Priv, '$.plugin'), '-')) "
           "FROM mysql.global_priv ORDER BY User, Host")
    res = subprocess.run(["mariadb", "--no-defaults", "-S", str(lab.paths.run / "mysql.sock"), "-uroot", "-N",
                          "-e", sql], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    accounts = dict(line.split(" ", 1) for line in res.stdout.strip().splitlines())
    expected = {"root@localhost", "mariadb.sys@localhost", *(f"{u}@127.0.0.1" for u in render.DB_USERS)}
    assert set(accounts) == expected
    assert accounts["root@localhost"] == "unix_socket"


def test_each_service_connects_with_its_own_database_user(lab):
    seen = {}
    for conf in lab.paths.nodes.glob("*/etc/*/*.conf"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(conf)
        for section in ("database", "api_database"):
            url = parser.get(section, "connection", fallback=None)
            if url:
                parts = urlsplit(url)
                seen[f"{conf.parent.name}:{parts.path.strip('/')}"] = parts.username
    assert seen, "no [database] connection found in the rendered configs"
    for where, user in seen.items():
        project, db = where.split(":")
        assert user == project and db in render.DB_USERS[project], f"{where} connects as {user}"


# --- RabbitMQ --------------------------------------------------------------------------------------------

# A raw AMQP 0-9-1 login (PLAIN), with the system python: `nobody` can't read the lab's venvs.
AMQP_PROBE = r"""
import socket, struct, sys
user, password = sys.stdin.read().split("\n")[:2]
def recv(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
def frame():
    kind, channel, size = struct.unpack(">BHI", recv(7))
    payload = recv(size); recv(1)
    return struct.unpack(">HH", payload[:4])
short = lambda t: bytes([len(t)]) + t
s = socket.create_connection(("127.0.0.1", 5672), 5)
s.settimeout(10)
s.sendall(b"AMQP\x00\x00\x09\x01")
assert frame() == (10, 10), "no Connection.Start"
resp = b"\0" + user.encode() + b"\0" + password.encode()
body = struct.pack(">HHI", 10, 11, 0) + short(b"PLAIN") + struct.pack(">I", len(resp)) + resp + short(b"en_US")
s.sendall(struct.pack(">BHI", 1, 0, len(body)) + body + b"\xce")
try:
    print("ACCEPTED" if frame() == (10, 30) else "REFUSED")
except (EOFError, ConnectionError):
    print("REFUSED")
"""


def amqp_login(user: str, password: str) -> str:
    res = as_nobody("/usr/bin/python3", "-c", AMQP_PROBE, stdin=f"{user}\n{password}\n")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_rabbitmq_refuses_guest(lab):
    values = yaml.safe_load(lab.paths.secrets.read_text())
    assert amqp_login("openstack", values["rabbit_password"]) == "ACCEPTED"  # the probe works
    assert amqp_login("guest", "guest") == "REFUSED"


# --- argv, logs, files -----------------------------------------------------------------------------------


def test_no_lab_password_in_any_argv(secrets):
    res = as_nobody("ps", "-eo", "args", "--no-headers")
    assert res.returncode == 0 and "mariadbd" in res.stdout, "ps as nobody must see the lab's processes"
    leaks = [line[:80] for line in res.stdout.splitlines() for s in secrets if s in line]
    assert leaks == []


def test_no_lab_password_in_any_log(lab, secrets):
    logs = [p for p in lab.paths.logs.rglob("*") if p.is_file()]
    assert any(p.name == "bootstrap.log" for p in logs), "a fresh lab writes logs/bootstrap.log"
    leaks = [str(p) for p in logs for s in secrets if s in p.read_text(errors="replace")]
    assert leaks == []


def test_the_labs_configs_secrets_and_logs_are_private(lab):
    paths = lab.paths
    files = [*paths.nodes.glob("*/etc/**/*"), *paths.logs.rglob("*"), paths.secrets, paths.clouds_yaml,
             paths.suite_config]
    files = [f for f in files if f.is_file()]
    assert len(files) > 20
    public = [f"{f} {stat.filemode(f.stat().st_mode)}" for f in files if f.stat().st_mode & 0o077]
    assert public == []


def test_private_files_are_0600_from_creation(tmp_path, monkeypatch):
    """Under a permissive umask, with chmod forbidden: the modes come from the create call itself."""
    old = os.umask(0)
    try:
        monkeypatch.setattr(os, "chmod", lambda *a, **k: pytest.fail("chmod after writing"))
        monkeypatch.setattr(Path, "chmod", lambda *a, **k: pytest.fail("chmod after writing"))
        render.write_private(tmp_path / "etc" / "nova.conf", "password = x\n")
        with bootstrap.private_log(tmp_path / "logs" / "bootstrap.log") as log:
            log.write("x\n")
    finally:
        os.umask(old)
        monkeypatch.undo()
    for f in (tmp_path / "etc" / "nova.conf", tmp_path / "logs" / "bootstrap.log"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    existing = tmp_path / "old.conf"
    existing.write_text("")
    existing.chmod(0o644)
    render.write_private(existing, json.dumps({"password": "x"}))
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
