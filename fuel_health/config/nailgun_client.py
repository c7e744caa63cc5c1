"""A thin Nailgun REST client (the cluster config built from it is fuel_health.config.nailgun).

Only these endpoints are used, each cited per release in docs/system-tests.md (`/api/clusters/<id>`,
`/api/releases/<id>`, `.../attributes`, `/api/nodes?cluster_id=`, `.../network_configuration/<provider>`,
`.../vmware_attributes`; deploy: `PUT .../changes`, `/api/tasks/<id>`, `PUT /api/nodes`), so
system_tests' Fuel backend can share the client. The write calls (create a cluster, change settings,
assign roles, deploy, diagnostic snapshot) are used by system_tests only; the health checks only read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from fuel_health.config.errors import ConfigError
from fuel_health.config.secret import Secret, reveal, warn_plain_http


class NailgunError(ConfigError):
    """Nailgun could not tell us about the cluster (unreachable, auth, 404...): one line."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__("nailgun", problem, fix)


# The CA variables requests and OpenSSL users know, in requests' order, then OpenSSL's.
CA_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def ca_bundle(cacert: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> str | bool:
    """Return what `requests` should verify TLS with: --nailgun-cacert, else a CA variable, else the default.

    Sessions here have trust_env off (no proxies from the environment), which also makes requests
    ignore REQUESTS_CA_BUNDLE: read the CA variables ourselves so a private CA still works.
    """
    env = os.environ if environ is None else environ
    for where, path in [("--nailgun-cacert", cacert), *((name, env.get(name)) for name in CA_ENV)]:
        if path:
            if not Path(path).expanduser().exists():
                raise NailgunError(f"{where}: {path} does not exist", "give the CA bundle of the Fuel master")
            return str(Path(path).expanduser())
    return True


class NailgunClient:
    """GET/PUT JSON on Nailgun's /api with a keystone token in X-Auth-Token."""

    def __init__(self, url: str, *, token: str | Secret | None = None, timeout: float = 30.0,
                 session: requests.Session | None = None, verify: str | bool | None = None) -> None:
        self.url = url.rstrip("/")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise NailgunError(f"{url!r} is not an http(s) URL", "e.g. --nailgun-url https://10.20.0.2:8443")
        self.timeout = timeout
        self.session = session or requests.Session()
        # Fuel masters live on admin networks: a proxy from the environment is almost never right.
        self.session.trust_env = False
        self.session.verify = ca_bundle() if verify is None else verify
        if token:
            self.session.headers["X-Auth-Token"] = reveal(token) or ""

    @classmethod
    def login(cls, url: str, username: str, password: str | Secret, *, keystone_url: str | None = None,
              tenant: str = "admin", timeout: float = 30.0, verify: str | bool | None = None) -> NailgunClient:
        """Return a client with a token from the Fuel master's keystone (v2.0, or v3 if the URL says so)."""
        keystone_url = (keystone_url or _default_keystone(url)).rstrip("/")
        warn_plain_http(keystone_url, f"the password of Fuel user {username}")
        session = requests.Session()
        session.trust_env = False
        session.verify = ca_bundle() if verify is None else verify
        try:
            if keystone_url.endswith("/v3"):
                resp = session.post(f"{keystone_url}/auth/tokens", timeout=timeout, json={"auth": {
                    "identity": {"methods": ["password"], "password": {"user": {
                        "name": username, "password": reveal(password), "domain": {"name": "Default"}}}},
                    "scope": {"project": {"name": tenant, "domain": {"name": "Default"}}}}})
                token = resp.headers.get("X-Subject-Token") if resp.ok else None
            else:
                resp = session.post(f"{keystone_url}/tokens", timeout=timeout, json={"auth": {
                    "tenantName": tenant,
                    "passwordCredentials": {"username": username, "password": reveal(password)}}})
                token = resp.json()["access"]["token"]["id"] if resp.ok else None
        except requests.RequestException as exc:
            raise NailgunError(f"cannot reach keystone at {keystone_url}: {_reason(exc)}",
                               "check the Fuel master address") from None
        except (KeyError, TypeError, ValueError):
            raise NailgunError(f"keystone at {keystone_url} sent no token",
                               "is it the Fuel master's keystone?") from None
        if not token:
            raise NailgunError(f"keystone at {keystone_url} refused user {username}: HTTP {resp.status_code}",
                               "check the Fuel master credentials")
        return cls(url, token=token, timeout=timeout, session=session, verify=session.verify)

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Send one request to /api/...; return the decoded JSON or raise NailgunError."""
        url = f"{self.url}/api/{path.lstrip('/')}"
        try:
            resp = self.session.request(method, url, json=body, params=params or None, timeout=self.timeout)
        except requests.RequestException as exc:
            raise NailgunError(f"cannot reach {self.url}: {_reason(exc)}", "check --nailgun-url") from None
        if resp.status_code == 401:
            raise NailgunError(f"{method} {url}: HTTP {resp.status_code}",
                               "pass a valid token ($FUEL_HEALTH_NAILGUN_TOKEN or --nailgun-token-file)")
        if resp.status_code == 403:  # Nailgun also says 403 for a change a deployed (locked) cluster refuses
            raise NailgunError(f"{method} {url}: HTTP 403 {_brief(resp.text)}".rstrip(),
                               "check the token, or whether the cluster still allows this change")
        if not resp.ok:
            raise NailgunError(f"{method} {url}: HTTP {resp.status_code} {_brief(resp.text)}".rstrip())
        try:
            return resp.json() if resp.content else None
        except ValueError:
            raise NailgunError(f"{method} {url}: answer is not JSON", "is this Nailgun?") from None

    def get(self, path: str, **params: Any) -> Any:
        """GET /api/<path> and return the decoded JSON."""
        return self.request("GET", path, **params)

    def cluster(self, cluster_id: int) -> dict[str, Any]:
        """Return /api/clusters/<id>."""
        return self.get(f"clusters/{cluster_id}")

    def release(self, release_id: int) -> dict[str, Any]:
        """Return /api/releases/<id>."""
        return self.get(f"releases/{release_id}")

    def attributes(self, cluster_id: int) -> dict[str, Any]:
        """Return the cluster's `editable` settings from /api/clusters/<id>/attributes."""
        return (self.get(f"clusters/{cluster_id}/attributes") or {}).get("editable", {})

    def nodes(self, cluster_id: int) -> list[dict[str, Any]]:
        """Return the cluster's nodes (/api/nodes?cluster_id=<id>)."""
        data = self.get("nodes", cluster_id=cluster_id)
        # Some releases wrap collections in {"objects": [...]}.
        return data.get("objects", []) if isinstance(data, Mapping) else data or []

    def network_configuration(self, cluster_id: int, provider: str) -> dict[str, Any]:
        """Return /api/clusters/<id>/network_configuration/<nova_network|neutron>."""
        return self.get(f"clusters/{cluster_id}/network_configuration/{provider}")

    def vmware_attributes(self, cluster_id: int) -> dict[str, Any]:
        """Return the `editable.value` of /api/clusters/<id>/vmware_attributes (Fuel 7.0+)."""
        data = self.get(f"clusters/{cluster_id}/vmware_attributes") or {}
        return (data.get("editable") or {}).get("value") or {}

    def deploy_changes(self, cluster_id: int) -> dict[str, Any]:
        """Start deploying pending changes (PUT /api/clusters/<id>/changes); return the task."""
        return self.request("PUT", f"clusters/{cluster_id}/changes")

    def task(self, task_id: int) -> dict[str, Any]:
        """Return /api/tasks/<id> (status running/ready/error, progress)."""
        return self.get(f"tasks/{task_id}")

    def update_nodes(self, updates: list[dict[str, Any]]) -> Any:
        """PUT /api/nodes with [{"id", "cluster_id", "pending_roles", "pending_addition"}]."""
        return self.request("PUT", "nodes", updates)

    # --- used by system_tests (deploying), never by the health checks ---

    def releases(self) -> list[dict[str, Any]]:
        """Return /api/releases."""
        return _objects(self.get("releases"))

    def clusters(self) -> list[dict[str, Any]]:
        """Return /api/clusters."""
        return _objects(self.get("clusters"))

    def create_cluster(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /api/clusters ({"name", "release", "mode", "net_provider"}); return the new cluster."""
        return self.request("POST", "clusters", dict(body))

    def all_nodes(self) -> list[dict[str, Any]]:
        """Return every node Nailgun knows (/api/nodes), unallocated ones included."""
        return _objects(self.get("nodes"))

    def update_attributes(self, cluster_id: int, values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Set settings values {group: {name: value}}, keeping everything else (GET, change, PUT attributes)."""
        data = self.get(f"clusters/{cluster_id}/attributes") or {}
        editable = data.setdefault("editable", {})
        for group, items in values.items():
            for name, value in items.items():
                editable.setdefault(group, {}).setdefault(name, {})["value"] = value
        return self.request("PUT", f"clusters/{cluster_id}/attributes", data)

    def update_vmware_attributes(self, cluster_id: int, value: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the `editable.value` of /api/clusters/<id>/vmware_attributes, keeping its metadata."""
        data = self.get(f"clusters/{cluster_id}/vmware_attributes") or {}
        data.setdefault("editable", {})["value"] = dict(value)
        return self.request("PUT", f"clusters/{cluster_id}/vmware_attributes", data)

    def logs_package(self) -> dict[str, Any]:
        """Start a diagnostic snapshot (PUT /api/logs/package); the ready task's message is its download path."""
        return self.request("PUT", "logs/package")


def _objects(data: Any) -> list[dict[str, Any]]:
    # Some releases wrap collections in {"objects": [...]}.
    return data.get("objects", []) if isinstance(data, Mapping) else data or []


def _default_keystone(url: str) -> str:
    # Fuel masters run their keystone on port 5000 of the same host, with Nailgun's scheme (never plain
    # http:// by default: an https:// Nailgun gets an https:// keystone; warn_plain_http says the rest).
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise NailgunError(f"{url!r} is not an http(s) URL", "e.g. --nailgun-url https://10.20.0.2:8443")
    return f"{parts.scheme}://{parts.hostname}:5000/v2.0"


def _reason(exc: Exception) -> str:
    return type(exc).__name__ if not str(exc) else _brief(str(exc))


def _brief(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
