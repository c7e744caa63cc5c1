"""Secret: a password or token that prints as *** everywhere.

Deliberately NOT a `str` subclass: a str subclass hands its real value to every library that does
`"".join(...)`, `json.dumps(...)` or writes it to a log. Here the value leaves only through `reveal()`,
which the client boundary (clients/connections.py, config/nailgun_client.py) calls right where a connection is opened.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import sys
from typing import NoReturn
from urllib.parse import urlsplit

MASK = "***"


class Secret:
    """A string value that is never shown: repr/str/format give ***; reveal() gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else str(value)

    def reveal(self) -> str:
        """Return the real value (only for handing to a client library)."""
        return self._value

    def __repr__(self) -> str:
        return MASK

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        # Constant time: cheap, and a comparison of secrets should never be a timing oracle.
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    # Copies share the value (it is immutable); pickling would write it out in clear (a cache, a queue,
    # xdist's channel, yaml.dump's python/object tag), so it is refused.
    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or dumped: reveal() it at the client boundary only")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or dumped: reveal() it at the client boundary only")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or dumped: reveal() it at the client boundary only")


def reveal(value: str | Secret | None) -> str | None:
    """Return the plain value of a Secret (or pass a plain str/None through)."""
    return value.reveal() if isinstance(value, Secret) else value


_SECRET_KEY_RE = re.compile(r"pass(word|wd|phrase)?($|_)|(^|_)pwd($|_)|secret|token|credential|api_?key|"
                            r"private_?key|password")


def is_secret_key(key: str) -> bool:
    """Tell whether a config/API key names a secret (password, token, ...), so loaders can wrap it.

    Anything password-like counts (`password2`, `vcenter_pass`, `os_passwd`, `app_credential_secret`):
    a false positive only masks a value, a false negative prints a secret.
    """
    return bool(_SECRET_KEY_RE.search(key.lower()))


_WARNED: set[tuple[str, str]] = set()


def warn_plain_http(url: str, what: str) -> None:
    """Say so (one line on stderr) when a password is about to travel over http:// off this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or _loopback(parts.hostname or "") or (url, what) in _WARNED:
        return
    _WARNED.add((url, what))  # once per process: a config is rebuilt for every override
    sys.stderr.write(f"fuel-health: warning: {what} is sent over plain http:// to {parts.hostname}: anyone on "
                     "that network can read it (use https://, or a token)\n")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
