"""What one test asked of the cloud: API calls counted at the HTTP layer, waits and polls.

The plugin opens a `Tally` around each test (setup, call and teardown) and writes it into the test's
JUnit properties, so benchmarks and Jenkins read the same figures. Only OpenStack API calls made through
the suite's openstacksdk connections count; pyvmomi's SOAP calls to vCenter do not go through `requests`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fuel_health.clients import waiters


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)  # "GET :8774" -> count
    http_s: float = 0.0  # time the cloud took to answer (request sent to headers received)
    polls: waiters.PollStats = field(default_factory=waiters.PollStats)

    def properties(self) -> list[tuple[str, str]]:
        """JUnit properties: api_calls, api_calls_by, http_s, waits, polls, wait_s, detect_gaps_s."""
        by = ", ".join(f"{k} {n}" for k, n in sorted(self.calls.items()))
        gaps = ",".join(f"{g:.3f}" for g in self.polls.gaps)
        return [("api_calls", str(sum(self.calls.values()))), ("api_calls_by", by), ("http_s", f"{self.http_s:.2f}"),
                ("waits", str(self.polls.waits)), ("polls", str(self.polls.polls)),
                ("wait_s", f"{self.polls.seconds:.2f}"), ("detect_gaps_s", gaps)]


_CURRENT: ContextVar[Tally | None] = ContextVar("fuel_health_tally", default=None)


@contextmanager
def tally() -> Iterator[Tally]:
    """Count the API calls and waits made inside the block (this thread/context only)."""
    current = Tally()
    token = _CURRENT.set(current)
    try:
        with waiters.counting() as polls:
            current.polls = polls
            yield current
    finally:
        _CURRENT.reset(token)


def merge(other: Tally) -> None:
    """Count another context's tally into the running test's: work the test waited for that ran in a pool thread
    (steps/hosts.py), so its calls land on the case they belong to and not on the case that started the pool."""
    current = _CURRENT.get()
    if current is None or current is other:
        return
    current.calls.update(other.calls)
    current.http_s += other.http_s
    current.polls.waits += other.polls.waits
    current.polls.polls += other.polls.polls
    current.polls.seconds += other.polls.seconds
    current.polls.gaps.extend(other.polls.gaps)


def count(response: Any, *args: Any, **kwargs: Any) -> Any:
    """`requests` response hook: one API call, keyed by method and service port (or host)."""
    current = _CURRENT.get()
    if current is not None:
        request = getattr(response, "request", None)
        url = urlsplit(getattr(request, "url", "") or "")
        where = f":{url.port}" if url.port else url.hostname or "?"
        current.calls[f"{getattr(request, 'method', '?')} {where}"] += 1
        elapsed = getattr(response, "elapsed", None)
        current.http_s += elapsed.total_seconds() if elapsed is not None else 0.0
    return response

