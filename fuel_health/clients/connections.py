"""The ONE place that opens connections: OpenStack (openstacksdk), vCenter (pyvmomi), nodes (testinfra).

Secrets leave their Secret wrapper only here, in the call that opens the connection.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import openstack
import openstack.connection
from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as os_exc
from openstack.config import OpenStackConfig

from fuel_health.clients import metrics, request_ids
from fuel_health.config import ClusterConfig, ConfigError, Node, VCenter
from fuel_health.config.secret import reveal

MIN_COMPUTE_MICROVERSION = (2, 37)  # boot with networks='none' (the lab has no tenant networks)


class CannotRun(Exception):
    """The suite cannot run against this cloud (unreachable, wrong credentials...): one line."""


def global_request_id(run_id: str) -> str:
    """Return a valid X-OpenStack-Request-ID carrying the run id, so one grep finds a run in every log."""
    # Services accept only req-<uuid>; the run id (8 hex) takes the uuid's first group.
    return f"req-{run_id}{str(uuid.uuid4())[8:]}"


def _cloud_region(cfg: ClusterConfig, api_timeout: float) -> Any:
    with warnings.catch_warnings():
        # openstacksdk warns about InfluxDB on every config load, used or not: noise for operators.
        warnings.filterwarnings("ignore", message="Support for InfluxDB")
        return _load_cloud_region(cfg, api_timeout)


def _load_cloud_region(cfg: ClusterConfig, api_timeout: float) -> Any:
    cloud = cfg.cloud
    common: dict[str, Any] = {"api_timeout": api_timeout}
    if cloud.region:
        common["region_name"] = cloud.region
    try:
        if cloud.kind == "clouds.yaml":
            if cloud.clouds_yaml and not Path(cloud.clouds_yaml).is_file():
                raise ConfigError("cloud.clouds_yaml", f"{cloud.clouds_yaml} does not exist",
                                  "point it at the clouds.yaml the lab or the deployment wrote")
            # config_files= instead of OS_CLIENT_CONFIG_FILE; load_envvars=False so stray OS_* don't mix in.
            occ = OpenStackConfig(config_files=[cloud.clouds_yaml] if cloud.clouds_yaml else None,
                                  load_envvars=False)
            region = occ.get_one(cloud=cloud.name, **common)
        elif cloud.kind == "auth":
            occ = OpenStackConfig(load_yaml_config=False, load_envvars=False)
            auth = {k: reveal(v) for k, v in (cloud.auth or {}).items()}
            region = occ.get_one(auth=auth, auth_type="password", **common)
        else:
            occ = OpenStackConfig(load_yaml_config=False, load_envvars=True)
            region = occ.get_one(**common)
            if not (region.config.get("auth") or {}).get("auth_url"):
                raise ConfigError("cloud", "no cloud access configured",
                                  "set cloud.name (+ clouds_yaml) or cloud.auth, or export OS_AUTH_URL etc.")
    except os_exc.ConfigException as exc:
        raise ConfigError("cloud.name" if cloud.name else "cloud", " ".join(str(exc).split()),
                          "check the clouds.yaml entry") from None
    _check_microversion(region)
    return region


def _check_microversion(region: Any) -> None:
    # openstacksdk negotiates up to its own maximum; only a pin below 2.37 in clouds.yaml would hurt.
    pinned = region.get_default_microversion("compute") or region.get_api_version("compute") or ""
    if "." in str(pinned):
        major, minor = (int(p) for p in str(pinned).split(".")[:2])
        if (major, minor) < MIN_COMPUTE_MICROVERSION:
            raise ConfigError("cloud.name", f"compute microversion pinned to {pinned}",
                              "the suite needs >= 2.37; remove compute_api_version from clouds.yaml")


def openstack_connection(cfg: ClusterConfig, *, run_id: str | None = None, api_timeout: float | None = None,
                         auth_state: str | None = None) -> openstack.connection.Connection:
    """Open an openstacksdk connection to the cloud under test (request ids recorded for errors).

    auth_state (the preflight's token and catalog) spares a second password login; keystoneauth logs in
    again by itself when that token expires.
    """
    region = _cloud_region(cfg, api_timeout or cfg.timeouts.api)
    conn = openstack.connection.Connection(
        config=region, global_request_id=global_request_id(run_id) if run_id else None)
    if auth_state and hasattr(conn.session.auth, "set_auth_state"):
        conn.session.auth.set_auth_state(auth_state)
    add_response_hooks(conn, request_ids.record, metrics.count)
    return conn


def add_response_hooks(conn: Any, *hooks: Callable[..., Any]) -> None:
    """Run each `requests` response hook on every answer of the connection (once each; no-op if impossible)."""
    requests_session = getattr(getattr(conn, "session", None), "session", None)
    registered = getattr(requests_session, "hooks", None)
    if isinstance(registered, dict):
        response_hooks = registered.setdefault("response", [])
        response_hooks += [hook for hook in hooks if hook not in response_hooks]


@contextmanager
def vcenter_session(cfg: ClusterConfig, *, timeout: float | None = None, vc: VCenter | None = None) -> Iterator[Any]:
    """Yield a logged-in pyvmomi ServiceInstance of vc (default: the first vCenter zone's); always Disconnect."""
    from pyVim.connect import Disconnect, SmartConnect

    vc = vc or cfg.vcenter
    if vc is None:
        raise ConfigError("vmware_attributes", "vCenter is not configured", "cluster.use_vcenter is false")
    # TLS is verified unless the config says insecure (a lab's self-signed cert). The context is explicit:
    # without one, pyvmomi silently skips verification for localhost/127.0.0.1. The default context also
    # trusts $SSL_CERT_FILE / $SSL_CERT_DIR (OpenSSL's own variables); cafile/cadata add a private CA.
    si = SmartConnect(host=vc.host, port=vc.port, user=vc.username, pwd=vc.password.reveal(),
                      sslContext=None if vc.insecure else ssl.create_default_context(cafile=vc.cafile,
                                                                                     cadata=vc.cadata),
                      disableSslCertValidation=vc.insecure,
                      httpConnectionTimeout=int(timeout or cfg.timeouts.vcenter))
    try:
        yield si
    finally:
        with suppress(Exception):
            Disconnect(si)


class VCenterSessions:
    """This worker's vCenter sessions: one per vCenter zone, logged in on first use, all logged out by close().

    Every zone has its own vCenter and credentials; the checks of a zone (its clusters, its datastores...) share
    its session instead of logging in on every call: a login costs a round trip or three, and vCenter caps the
    sessions it keeps (a run with N clusters must not open N per worker). Thread-safe: per-host work runs in a
    pool, and two threads asking for the same zone at once get one session.
    """

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.logins = 0  # sessions opened so far (what the tests count)
        self._open: dict[str, tuple[Any, Any]] = {}  # az_name -> (its context manager, its ServiceInstance)
        self._lock = threading.Lock()  # guards _open, _locks and logins
        self._locks: dict[str, threading.Lock] = {}  # one per zone: a slow login does not hold up another zone

    def get(self, vc: VCenter) -> Any:
        """Return the session of vc's zone, logging in the first time; a failed login raises (and is retried)."""
        with self._lock:
            lock = self._locks.setdefault(vc.az_name, threading.Lock())
        with lock:
            with self._lock:
                if vc.az_name in self._open:
                    return self._open[vc.az_name][1]
            opened = vcenter_session(self.cfg, vc=vc)
            si = opened.__enter__()
            with self._lock:
                self._open[vc.az_name] = (opened, si)
                self.logins += 1
            return si

    def close(self) -> None:
        """Log out of every session (the worker's end); best effort, as a vCenter may be gone by then."""
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for manager, _ in opened:
            with suppress(Exception):
                manager.__exit__(None, None, None)


def _node(cfg: ClusterConfig, node: Node | str) -> Node:
    return node if isinstance(node, Node) else cfg.node(node)


def node_host(cfg: ClusterConfig, node: Node | str) -> Any:
    """Return the testinfra Host of a node (its `host` spec: local://, ssh://root@ip, ...)."""
    import testinfra

    return testinfra.get_host(_node(cfg, node).host)


def node_path(cfg: ClusterConfig, node: Node | str, path: str) -> str:
    """Return where an absolute node path (/etc/...) really is: under the node's root prefix."""
    if not path.startswith("/"):
        raise ValueError(f"node paths are absolute, got {path!r}")
    root = PurePosixPath(_node(cfg, node).root)
    return str(root / path.lstrip("/"))


def node_file(cfg: ClusterConfig, node: Node | str, path: str) -> Any:
    """Return the testinfra File for an absolute node path (/etc/nova/nova.conf), under node.root."""
    return node_host(cfg, node).file(node_path(cfg, node, path))


# --- preflight ----------------------------------------------------------------------------------------


class EndpointDown(CannotRun):
    """A cloud endpoint is unreachable or answers 5xx: a health failure of what needs it, not the caller's fault.

    A CannotRun too, so callers that need the endpoint to do anything at all (cleanup) still stop with one line.
    """

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


@dataclass
class Preflight:
    """What the preflight found: lines for the report, the endpoints that are down, keystone's token."""

    lines: list[str] = field(default_factory=list)
    down: dict[str, str] = field(default_factory=dict)  # "keystone" | vcenter_endpoint(vc) -> one line naming it
    auth_state: str | None = None  # keystoneauth's get_auth_state(): the session reuses the token


def vcenter_endpoint(vc: VCenter) -> str:
    """Return the key of a vCenter zone's endpoint in Preflight.down: `vcenter:<az_name>`."""
    return f"vcenter:{vc.az_name}"


def cfg_vcenters(cfg: ClusterConfig) -> list[VCenter]:
    """Return the vCenter of every vCenter zone that has one, in the config's order."""
    return [z.vcenter for z in cfg.vcenter_zones if z.vcenter is not None]


def preflight(cfg: ClusterConfig, timeout: float = 5.0) -> Preflight:
    """Check keystone and each zone's vCenter at once (a thread each); CannotRun only for the caller's side (401,
    TLS, config).

    An endpoint that is unreachable or answers 5xx is recorded in `down`: the checks that need it fail naming
    it, and every other check still runs.
    """
    jobs: dict[str, Callable[[], tuple[str, str | None]]] = {"keystone": lambda: _keystone_login(cfg, timeout)}
    # Each vCenter zone's own endpoint: a second zone's vCenter that is down must be found here too, or its
    # checks would create volumes there that cinder-vmdk can never delete.
    for vc in cfg_vcenters(cfg):
        jobs[vcenter_endpoint(vc)] = lambda vc=vc: (_check_vcenter(cfg, timeout, vc), None)
    result = Preflight()
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="preflight") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        for name, future in futures.items():
            try:
                line, state = future.result()
            except EndpointDown as exc:
                result.down[exc.endpoint] = str(exc)
                result.lines.append(f"DOWN: {exc} (the checks that need it fail, the others run)")
                continue
            except (CannotRun, ConfigError):
                raise
            except Exception as exc:  # anything unforeseen from a login: its endpoint's checks fail, in one line
                result.down[name] = f"{name}: the preflight login failed: {_short(exc)}"
                result.lines.append(f"DOWN: {result.down[name]} (the checks that need it fail, the others run)")
                continue
            result.lines.append(line)
            if name == "keystone":
                result.auth_state = state
    return result


def check_reachable(cfg: ClusterConfig, timeout: float = 5.0, *, vcenter: bool = True) -> list[str]:
    """Fail fast (CannotRun) on unreachable keystone, wrong credentials or unreachable vCenter."""
    checked = [_check_keystone(cfg, timeout)]
    if vcenter:
        checked += [_check_vcenter(cfg, timeout, vc) for vc in cfg_vcenters(cfg)]
    return checked


def _check_keystone(cfg: ClusterConfig, timeout: float) -> str:
    return _keystone_login(cfg, timeout)[0]


def _keystone_login(cfg: ClusterConfig, timeout: float) -> tuple[str, str | None]:
    """Get a token: return the report line and the auth state (token + catalog) for the session to reuse."""
    region = _cloud_region(cfg, min(timeout, cfg.timeouts.api))
    auth = region.config.get("auth") or {}
    url, user = auth.get("auth_url", "?"), auth.get("username") or auth.get("user_id") or "?"
    conn = openstack.connection.Connection(config=region)
    started = time.monotonic()
    try:
        conn.session.get_token()  # raw keystoneauth errors: conn.authorize() flattens them
        state = conn.session.auth.get_auth_state() if hasattr(conn.session.auth, "get_auth_state") else None
    except ksa_exc.Unauthorized:
        raise CannotRun(f"keystone at {url} refused the credentials of user {user} "
                        f"(check {_creds_hint(cfg)})") from None
    except ksa_exc.SSLError as exc:
        raise CannotRun(f"keystone at {url}: TLS verification failed ({_short(exc)}); "
                        "set cacert (or verify: false for a lab) in clouds.yaml") from None
    except (ksa_exc.ConnectionError, ksa_exc.DiscoveryFailure) as exc:
        raise EndpointDown("keystone", f"keystone at {url} is unreachable: {_short(exc)} "
                           "(is keystone up? check the auth_url)") from None
    except ksa_exc.HttpServerError as exc:
        raise EndpointDown("keystone", f"keystone at {url} answers HTTP {exc.http_status}: {_short(exc)} "
                           "(check keystone's log)") from None
    except ksa_exc.ClientException as exc:
        raise CannotRun(f"keystone at {url}: {_short(exc)}") from None
    finally:
        with suppress(Exception):
            conn.close()
    return f"keystone {url} OK ({time.monotonic() - started:.1f} s)", state


def _creds_hint(cfg: ClusterConfig) -> str:
    cloud = cfg.cloud
    if cloud.kind == "clouds.yaml":
        return f"entry {cloud.name} of {cloud.clouds_yaml or 'clouds.yaml'}"
    return "cloud.auth" if cloud.kind == "auth" else "the OS_* variables"


def _check_vcenter(cfg: ClusterConfig, timeout: float, vc: VCenter) -> str:
    from pyVmomi import vim

    where, endpoint = f"{vc.host}:{vc.port}", vcenter_endpoint(vc)
    started = time.monotonic()
    try:
        socket.create_connection((vc.host, vc.port), timeout=timeout).close()
    except OSError as exc:
        raise EndpointDown(endpoint, f"vCenter at {where} is unreachable: {exc.strerror or exc} (zone "
                           f"{vc.az_name}: is its vCenter up? check vcenter_host and vcenter.port of that "
                           "availability zone in vmware_attributes)") from None
    try:
        with vcenter_session(cfg, timeout=timeout, vc=vc):
            pass
    except (vim.fault.InvalidLogin, vim.fault.NoPermission, vim.fault.NotAuthenticated) as exc:
        # The caller's side: wrong, locked or unprivileged credentials (the 401 of vCenter), not a sick vCenter.
        raise CannotRun(f"vCenter at {where} (zone {vc.az_name}) refused user {vc.username} ({type(exc).__name__}: "
                        "check vcenter_username / vcenter_password of that zone in vmware_attributes, and the "
                        "user's role)") from None
    except ssl.SSLError as exc:
        raise CannotRun(f"vCenter at {where}: TLS verification failed ({_short(exc)}); "
                        "set vcenter.insecure: true for a self-signed lab certificate") from None
    except Exception as exc:  # it answers, but not as a working vCenter (5xx, a fault): its zone is unhealthy
        raise EndpointDown(endpoint, f"vCenter at {where} (zone {vc.az_name}) does not work: {_short(exc)}") from None
    return f"vCenter {where} (zone {vc.az_name}) OK ({time.monotonic() - started:.1f} s)"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
