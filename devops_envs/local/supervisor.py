"""Start, watch and stop the lab's processes: one process group each, pid files in run/, logs in logs/."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from devops_envs.local import libvirtd
from devops_envs.local import secrets as lab_secrets
from devops_envs.local.errors import LabError
from devops_envs.local.paths import LabPaths, open_private
from devops_envs.local.services import RABBIT_BIN, RABBIT_NODE, Service, rabbit_env


@dataclass
class Supervisor:
    paths: LabPaths
    secrets: dict[str, str]

    def pidfile(self, svc: Service) -> Path:
        return self.paths.run / f"{svc.key}.pid"

    def logfile(self, svc: Service) -> Path:
        return self.paths.logs / f"{svc.key}.log"

    def pid(self, svc: Service) -> int | None:
        """The service's pid if it is running (a stale pid file counts as not running)."""
        try:
            pid = int(self.pidfile(svc).read_text())
        except (OSError, ValueError):
            return None
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE or os.getpgid(pid) != pid:
                return None
        except (psutil.NoSuchProcess, ProcessLookupError):
            return None
        return pid

    def check_port_free(self, svc: Service) -> None:
        if svc.port is None:
            return
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", svc.port))
            except OSError:
                owner = port_owner(svc.port)
                raise LabError(f"port {svc.port} needed by {svc.key} is in use{owner}: stop that process "
                               "or run `python -m devops_envs.local down`") from None

    def start(self, svc: Service) -> bool:
        """Start the service unless it already runs; returns True when it was started now."""
        if self.pid(svc):
            return False
        self.check_port_free(svc)
        self.paths.run.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.paths.logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        log = self.logfile(svc)
        if log.exists():  # keep the previous run's log: a failure right after a restart needs it
            (self.paths.logs / "prev").mkdir(exist_ok=True)
            log.replace(self.paths.logs / "prev" / log.name)
        argv = list(svc.argv)
        # Secrets reach a process through its environment, never its argv (which `ps` shows to anyone).
        secret_env = {k: _fill_secrets(v, self.secrets) for k, v in svc.env.items()}
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "PATH": f"{self.paths.bin}:/usr/sbin:/usr/bin:/sbin:/bin",
               **secret_env}
        # 0600 from creation: a service's log can carry a URL or a traceback with a secret in it.
        with open_private(log, "ab") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=env, cwd=self.paths.home, start_new_session=True)
        self.pidfile(svc).write_text(str(proc.pid))
        return True

    def stop(self, services: Iterable[Service], timeout: float = 20) -> None:
        """SIGTERM each process group, wait, then SIGKILL what is left; remove pid files."""
        groups = {svc.key: pid for svc in services if (pid := self.pid(svc))}
        for pid in groups.values():
            with _ignore_gone():
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_group_alive(p) for p in groups.values()):
            time.sleep(0.2)
        for pid in groups.values():
            with _ignore_gone():
                os.killpg(pid, signal.SIGKILL)
        for pid in groups.values():  # reap our own children (when this process started them)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for svc in services:
            self.pidfile(svc).unlink(missing_ok=True)

    def log_tail(self, svc: Service, lines: int = 15) -> str:
        try:
            text = self.logfile(svc).read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def memory(self, svc: Service) -> int:
        """PSS (falls back to RSS) of the service's whole process group, in bytes."""
        pid = self.pid(svc)
        if not pid:
            return 0
        total = 0
        for proc in _group(pid):
            with _ignore_gone():
                mem = proc.memory_full_info()
                total += getattr(mem, "pss", mem.rss)
        return total


def _fill_secrets(value: str, values: dict[str, str]) -> str:
    """{{vcenter_password}} (the first vCenter zone's) or {{vcenter_password:<az_name>}} (a further zone's)."""
    if not values.get("vcenter_password"):
        return VCENTER_PASSWORD.sub("", value)
    return VCENTER_PASSWORD.sub(lambda m: lab_secrets.vcenter_password(values, m.group(1)), value)


VCENTER_PASSWORD = re.compile(r"\{\{vcenter_password(?::([^}]+))?\}\}")


def ready(paths: LabPaths, svc: Service, queues: dict[str, int] | None) -> bool:
    """Whether a running service serves: its HTTP port answers, or its RPC queue has a consumer."""
    if svc.http:
        try:
            urllib.request.urlopen(svc.http, timeout=2).close()
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the app is loaded and serving
        except OSError:
            return False
        return True
    if svc.queue:
        return bool(queues and queues.get(svc.queue, 0) > 0)
    if svc.name == "libvirtd":
        return libvirtd.ready(paths, svc.node)
    if svc.name == "mariadb":
        return mysql_ping(svc)
    if svc.name == "rabbitmq":
        return rabbitmqctl(paths, "await_startup", "--timeout", "1", check=False).returncode == 0
    if svc.port:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", svc.port)) == 0
    return True


def mysql_ping(svc: Service) -> bool:
    sock = next(a.split("=", 1)[1] for a in svc.argv if a.startswith("--socket="))
    res = subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-uroot", "-e", "select 1"],
                         capture_output=True, timeout=10)
    return res.returncode == 0


def rabbitmqctl(paths: LabPaths, *args: str, check: bool = True,
                stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run rabbitmqctl on the lab's node; a password goes in `stdin` (add_user, authenticate_user), never args."""
    env = {**os.environ, **rabbit_env(paths)}
    res = subprocess.run([f"{RABBIT_BIN}/rabbitmqctl", "-q", "-n", RABBIT_NODE, *args], env=env,
                         input=stdin, capture_output=True, text=True, timeout=60)
    if check and res.returncode != 0:
        raise LabError(f"rabbitmqctl {args[0]} failed: {(res.stderr or res.stdout).strip().splitlines()[-1:]}")
    return res


def rpc_consumers(paths: LabPaths) -> dict[str, int]:
    """Consumers per RPC queue, from the lab's RabbitMQ."""
    res = rabbitmqctl(paths, "list_queues", "name", "consumers", check=False)
    out: dict[str, int] = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def port_owner(port: int) -> str:
    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            with _ignore_gone():
                return f" by pid {conn.pid} ({psutil.Process(conn.pid).name()})"
    return ""


def _group(pgid: int) -> list[psutil.Process]:
    out = []
    for proc in psutil.process_iter():
        with _ignore_gone():
            if os.getpgid(proc.pid) == pgid:
                out.append(proc)
    return out


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return any(p.status() != psutil.STATUS_ZOMBIE for p in _group(pgid))


def _ignore_gone() -> contextlib.suppress:
    return contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied, PermissionError)
