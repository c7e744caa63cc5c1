"""Who may call the adapter: keystone tokens (as on a Fuel master), one shared token, or nobody but loopback.

Also a Host-header allow-list (a DNS-rebinding page cannot drive the adapter from a browser) and a request
body limit. All of it is one ASGI middleware in front of the app, so every route, the page included, is
covered. fuel-ostf sat behind keystonemiddleware with Fuel's keystone (fuel-library 9.0:
deployment/puppet/fuel/templates/ostf.conf.erb:10-19) and forwarded each caller's token to Nailgun
(fuel-ostf 9.0:fuel_plugin/ostf_adapter/wsgi/controllers.py:145-147, 171-172): `caller_token()` is that token.
"""

from __future__ import annotations

import contextvars
import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

log = logging.getLogger("fuel_health.adapter")
MAX_BODY = 1024 * 1024  # 1 MiB: the biggest real request (Fuel UI's restart of every test) is a few KiB
_caller_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller_token", default=None)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AuthConfigError(ValueError):
    """`serve` was given auth options that cannot work: one line, said at start."""


def caller_token() -> str | None:
    """Return the keystone token of the request being served (keystone auth only), to forward to Nailgun."""
    return _caller_token.get()


def is_loopback(host: str) -> bool:
    """Return whether an address to listen on is loopback only (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AuthSettings:
    """How callers authenticate, and which Host headers are served."""

    mode: str = "none"  # none | token | keystone
    token_file: Path | None = None
    keystone_cloud: str | None = None  # clouds.yaml entry of the service user that validates tokens
    clouds_yaml: Path | None = None
    allowed_hosts: tuple[str, ...] = ()  # empty: the listen address, localhost and 127.0.0.1
    max_body: int = MAX_BODY


def check_listen(mode: str, host: str) -> None:
    """Refuse to serve without auth on anything but loopback (one line, at start)."""
    if mode == "none" and not is_loopback(host):
        raise AuthConfigError(f"--host {host} is not loopback: give --auth keystone or --auth token --token-file F "
                              f"(--auth none only listens on 127.0.0.1 or ::1)")


def read_token(path: Path | None) -> str:
    """Return the shared token of `--auth token` (the first line of the file)."""
    if path is None:
        raise AuthConfigError("--auth token needs --token-file FILE (a file holding the token, mode 600)")
    try:
        token = path.expanduser().read_text().strip()
    except OSError as exc:
        raise AuthConfigError(f"--token-file {path}: {exc.strerror or exc}") from None
    if len(token) < 16 or "\n" in token:
        raise AuthConfigError(f"--token-file {path}: expected one line of at least 16 characters")
    return token


def keystone_conf(cloud: str | None, clouds_yaml: Path | None) -> dict[str, Any]:
    """Return keystonemiddleware's options from a clouds.yaml entry (the service user validating tokens)."""
    import yaml

    if not cloud:
        raise AuthConfigError("--auth keystone needs --keystone-cloud NAME (a clouds.yaml entry of a service user)")
    path = (clouds_yaml or Path("~/.config/openstack/clouds.yaml")).expanduser()
    try:
        entry = yaml.safe_load(path.read_text())["clouds"][cloud]
        auth = dict(entry["auth"])
    except OSError as exc:
        raise AuthConfigError(f"--keystone-clouds-yaml {path}: {exc.strerror or exc}") from None
    except (KeyError, TypeError, yaml.YAMLError):
        raise AuthConfigError(f"--keystone-cloud {cloud}: no such entry with an auth section in {path}") from None
    conf: dict[str, Any] = {"auth_type": "password", "delay_auth_decision": False,
                            "www_authenticate_uri": auth["auth_url"], "include_service_catalog": False,
                            "service_token_roles_required": True, "log_name": "fuel_health.adapter.keystone"}
    conf.update({k: str(v) for k, v in auth.items() if v is not None})
    if entry.get("region_name"):
        conf["region_name"] = entry["region_name"]
    if entry.get("cacert"):
        conf["cafile"] = str(entry["cacert"])
    if entry.get("verify") is False:
        conf["insecure"] = True
    return conf


class KeystoneValidator:
    """keystonemiddleware's AuthProtocol around an app that only says whether the token was accepted."""

    def __init__(self, conf: dict[str, Any]) -> None:
        from keystonemiddleware import auth_token

        def accepted(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", [])
            return [b"ok" if environ.get("HTTP_X_IDENTITY_STATUS") == "Confirmed" else b"no"]

        self._protocol = auth_token.AuthProtocol(accepted, conf)

    def check(self, token: str) -> tuple[int, str]:
        """Return (200, "") for a valid token, else (401 or 503, why); blocking: keystone is asked unless cached.

        Only keystone's refusal is a 401: Fuel UI logs the user out on any 401 (fuel-ui 9.0
        static/app.js:267-270), so a keystone that cannot answer must be a 503, never a 401.
        keystonemiddleware answers 503 itself when keystone is unreachable, rather than raising.
        """
        status: list[str] = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "adapter", "SERVER_PORT": "80",
                   "wsgi.url_scheme": "http", "HTTP_X_AUTH_TOKEN": token, "wsgi.input": None}
        try:
            body = b"".join(self._protocol(environ, lambda s, h, *a: status.append(s)))
        except Exception as exc:  # a misconfigured service user, a broken CA file...
            log.error("keystone token validation failed: %s", exc)
            return 503, f"cannot validate the token with keystone: {type(exc).__name__}"
        code = status[0].split()[0] if status else ""
        if code == "200":
            return (200, "") if body == b"ok" else (401, "X-Auth-Token is not valid (keystone refused it)")
        if code == "401":
            return 401, "X-Auth-Token is not valid (keystone refused it)"
        return 503, (f"cannot validate the token with keystone (HTTP {code or 'no answer'}): check that keystone "
                     "answers and the adapter's --keystone-cloud user")


class Guard:
    """ASGI middleware: body limit, Host allow-list, then the caller's token."""

    def __init__(self, app: ASGIApp | None, settings: AuthSettings, listen_host: str, listen_port: int) -> None:
        self.app, self.settings = app, settings
        hosts = set(settings.allowed_hosts) or {listen_host, "localhost", "127.0.0.1", "::1"}
        self.allowed = {h.lower().strip("[]") for h in hosts}
        self.token = read_token(settings.token_file) if settings.mode == "token" else None
        conf = keystone_conf(settings.keystone_cloud, settings.clouds_yaml) if settings.mode == "keystone" else {}
        self.keystone = KeystoneValidator(conf) if conf else None
        # 401s say where to get a token, as keystonemiddleware's own do
        self.challenge = f'Keystone uri="{conf["www_authenticate_uri"]}"' if conf else 'Token realm="fuel-health"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "Guard.app is set before serving"
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = _host_name(headers.get("host", ""))
        if "*" not in self.allowed and host not in self.allowed:
            await _deny(send, 400, f"Host {host or '(none)'} is not served here: add it with --allowed-host")
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.settings.max_body:
            await _deny(send, 413, f"request body over {self.settings.max_body} bytes")
            return
        token = headers.get("x-auth-token", "")
        if self.token is not None and not hmac.compare_digest(token.encode(), self.token.encode()):
            await _deny(send, 401, "X-Auth-Token missing or wrong (this adapter runs with --auth token)",
                        self.challenge)
            return
        if self.keystone is not None:
            if not token:
                await _deny(send, 401, "X-Auth-Token missing: this adapter validates keystone tokens", self.challenge)
                return
            code, why = await anyio.to_thread.run_sync(self.keystone.check, token)
            if code != 200:
                await _deny(send, code, why, self.challenge)
                return
            _caller_token.set(token)
        body = await _read_body(receive, self.settings.max_body)
        if body is None:
            await _deny(send, 413, f"request body over {self.settings.max_body} bytes")
            return
        await self.app(scope, _replay(body, receive), send)


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """Read the whole body (None past the limit): a chunked body has no Content-Length to check first."""
    chunks, seen = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def wrapped() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then http.disconnect, as the server would say

    return wrapped


async def _deny(send: Send, status: int, line: str, challenge: str = "") -> None:
    body = json.dumps({"message": line, "detail": line}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401 and challenge:
        headers.append((b"www-authenticate", challenge.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
