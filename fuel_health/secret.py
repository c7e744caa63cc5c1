"""Secret: a password or token that prints as *** everywhere.

Deliberately NOT a `str` subclass: a str subclass hands its real value to every library that does
`"".join(...)`, `json.dumps(...)` or writes it to a log. Here the value leaves only through `reveal()`,
which the client boundary (clients.py, nailgun.py) calls right where a connection is opened.
"""

from __future__ import annotations

import hmac

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


def reveal(value: str | Secret | None) -> str | None:
    """Return the plain value of a Secret (or pass a plain str/None through)."""
    return value.reveal() if isinstance(value, Secret) else value


def is_secret_key(key: str) -> bool:
    """Tell whether a config/API key names a secret (password, token, ...), so loaders can wrap it."""
    key = key.lower()
    return key.endswith(("password", "secret", "token", "_pass")) or key in {"pwd", "passwd"}
