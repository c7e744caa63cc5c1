"""Remember the request id of the last OpenStack API answer, for error messages.

openstacksdk resources do not keep their HTTP response, so connections.py hooks the connection's
requests session and records `x-openstack-request-id` (or nova's `x-compute-request-id`) here.
A ContextVar, not a global: each thread/task sees the id of its own last call.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_LAST: ContextVar[str | None] = ContextVar("fuel_health_last_request_id", default=None)
HEADERS = ("x-openstack-request-id", "x-compute-request-id")


def from_headers(headers: Any) -> str | None:
    """Return the request id found in HTTP response headers (None if absent)."""
    if not headers:
        return None
    for name in HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def record(response: Any, *args: Any, **kwargs: Any) -> Any:
    """Record the request id of a response (a `requests` response hook)."""
    request_id = from_headers(getattr(response, "headers", None))
    if request_id:
        _LAST.set(request_id)
    return response


def last() -> str | None:
    """Return the request id of the last API answer seen in this context."""
    return _LAST.get()

