"""Steps: small functions taking a RunContext, each creating or checking ONE thing.

A step that creates registers the cleanup right after (delete AND wait until gone), waits with the
fail-fast waiters, and fails with an AssertionError an operator can act on: what failed, on which
resource, the last state seen, the fault, the request id, and where to look.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from fuel_health.clients.context import RunContext

T = TypeVar("T")


def http_error(exc: Any) -> str:
    """Return an openstacksdk HttpException as 'HTTP 400 <the service's message> (request id req-...)'."""
    details = " ".join(str(getattr(exc, "details", None) or exc).split())
    return f"HTTP {getattr(exc, 'status_code', '?')} {details} (request id {getattr(exc, 'request_id', None)})"


def start(ctx: RunContext, what: str, fn: Callable[[], T]) -> Future[T]:
    """Run fn in a thread while the test goes on (a volume created while the instance boots); return its Future.

    Nothing is skipped or reordered in what is checked: the step that needs fn's result calls .result(), which
    re-raises fn's own failure there, so each failure still belongs to its step. fn runs in a copy of the test's
    context (request ids and API counts stay the test's). The cleanup first waits for fn to end: the wait is
    registered before fn registers its own undo, and the LIFO cleanup picks up what fn added meanwhile, so
    nothing fn creates escapes it, even when the test failed before needing the result.
    """
    ctx.conn  # noqa: B018 - open the connection here: the fixture that makes it must not run in a thread
    future: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            future.set_result(context.run(fn))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever calls .result()
            future.set_exception(exc)

    ctx.cleanup.add(f"wait for {what} to end", future.exception)
    threading.Thread(target=run, name=f"fuel-health {what}").start()
    return future
