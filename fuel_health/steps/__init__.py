"""Steps: small functions taking a RunContext, each creating or checking ONE thing.

A step that creates registers the cleanup right after (delete AND wait until gone), waits with the
fail-fast waiters, and fails with an AssertionError an operator can act on: what failed, on which
resource, the last state seen, the fault, the request id, and where to look.
"""

from __future__ import annotations

from typing import Any


def http_error(exc: Any) -> str:
    """Return an openstacksdk HttpException as 'HTTP 400 <the service's message> (request id req-...)'."""
    details = " ".join(str(getattr(exc, "details", None) or exc).split())
    return f"HTTP {getattr(exc, 'status_code', '?')} {details} (request id {getattr(exc, 'request_id', None)})"
