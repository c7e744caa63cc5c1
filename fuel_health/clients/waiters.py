"""Fail-fast waiters with backoff for openstacksdk resources.

A wait ends as soon as the resource reaches a failed state (no sitting out the timeout on ERROR),
and its error is one line with what an operator needs: resource, last status, nova's fault, the
request id of the last API call, elapsed time and poll count. `wait_for_status` and `wait_for_delete` are two
goals over one polling loop (`_poll`): the same backoff, deadline, transient-error retries and poll counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as os_exc

from fuel_health.clients import request_ids

R = TypeVar("R")

DELETE_FAILED = frozenset({"error", "error_deleting"})
# Transient API trouble while polling is retried this many times in a row before it counts.
TRANSIENT_RETRIES = 3


@dataclass(frozen=True)
class Backoff:
    """Exponential polling delays: 0.05 s, x1.2 each time, at most 2 s.

    A waiter is late by up to its last delay (half of it on average), and the lab's operations take 0.3-5 s: a
    slow growth (x1.2, not x1.4) keeps the delay near a sixth of the time waited so far, so a change is seen
    sooner, for a few more polls (a GET that the lab answers in milliseconds; benchmarks/results/suite_timing.md
    has polls per wait and the gaps). Long waits still poll every 2 s at most, not every second."""

    start: float = 0.05
    factor: float = 1.2
    cap: float = 2.0

    def delays(self) -> Iterator[float]:
        """Yield sleep times: start, start*factor, ... capped at cap."""
        delay = self.start
        while True:
            yield delay
            delay = min(delay * self.factor, self.cap)


class WaitFailed(AssertionError):
    """A wait that did not end well; carries the facts as attributes too."""

    def __init__(self, message: str, *, what: str, status: str | None, elapsed: float, polls: int,
                 request_id: str | None, fault: str | None = None) -> None:
        super().__init__(message)
        self.what, self.status, self.elapsed, self.polls = what, status, elapsed, polls
        self.request_id, self.fault = request_id, fault


class WaitTimeout(WaitFailed):
    """The resource did not reach the wanted state in time."""


class ResourceFailed(WaitFailed):
    """The resource went to a failed state (or vanished) while we waited."""


@dataclass
class PollStats:
    """Counts of one `counting()` block, for benchmarks: waits, polls, seconds spent waiting.

    `gaps` holds, per successful wait, the time between the poll that still saw the old state and the one
    that saw the new state: how late the waiter can have been, at most (0 when the first poll saw it)."""

    waits: int = 0
    polls: int = 0
    seconds: float = 0.0
    gaps: list[float] = field(default_factory=list)


_STATS: ContextVar[PollStats | None] = ContextVar("fuel_health_poll_stats", default=None)


@contextmanager
def counting() -> Iterator[PollStats]:
    """Count the waits and polls made inside the block (per thread/context, xdist-safe)."""
    stats = PollStats()
    token = _STATS.set(stats)
    try:
        yield stats
    finally:
        _STATS.reset(token)


def _note(polls: int, elapsed: float, gap: float | None = None) -> None:
    stats = _STATS.get()
    if stats is not None:
        stats.waits += 1
        stats.polls += polls
        stats.seconds += elapsed
        if gap is not None:
            stats.gaps.append(gap)


def _status(resource: Any) -> str | None:
    status = getattr(resource, "status", None)
    return None if status is None else str(status)


def _fault(resource: Any) -> str | None:
    # nova puts the reason of an ERROR in server.fault {"code", "message", "details"}.
    fault = getattr(resource, "fault", None)
    if isinstance(fault, dict) and fault.get("message"):
        code = f" (code {fault['code']})" if fault.get("code") else ""
        return f"{' '.join(str(fault['message']).split())}{code}"
    return None


def _request_id(resource: Any = None, exc: BaseException | None = None) -> str | None:
    if exc is not None and getattr(exc, "request_id", None):
        return exc.request_id
    response = getattr(resource, "_response", None)  # some openstacksdk versions keep it
    return request_ids.from_headers(getattr(response, "headers", None)) or request_ids.last()


def _describe(resource: Any) -> str:
    kind = type(resource).__name__.lower()
    name = getattr(resource, "name", None)
    return f"{kind} {getattr(resource, 'id', '?')}" + (f" ({name})" if name else "")


def _is_transient(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    if isinstance(exc, os_exc.HttpException) and status is not None:
        return int(status) >= 500
    # Connection resets and timeouts (the lab saw "Connection reset by peer" while polling).
    return isinstance(exc, ksa_exc.RetriableConnectionFailure | ksa_exc.ConnectionError)


def _facts(status: str | None, elapsed: float, polls: int, request_id: str | None, fault: str | None) -> str:
    parts = [f"fault: {fault}"] if fault else []
    parts.append(f"request id {request_id}" if request_id else "no request id")
    parts.append(f"{elapsed:.1f} s, {polls} polls")
    return "; ".join(parts)


@dataclass(frozen=True)
class _Goal:
    """What one wait waits for: the two public waiters are two goals over the one polling loop (`_poll`)."""

    reached: Callable[[Any, str | None], bool]  # (resource, its status) -> the wait is over
    failed: frozenset[str]  # lower-case statuses that end the wait at once, as ResourceFailed
    awaiting: str  # ends "went to ERROR while ..." and "disappeared while ...": "waiting for ACTIVE"
    still: Callable[[str, float], str]  # (last status, elapsed) -> the timeout message's head
    gone_is_done: bool = False  # NotFound ends the wait well (delete) instead of failing it (status)


def _poll(get: Callable[[], Any], goal: _Goal, timeout: float, what: str | None, backoff: Backoff,
          clock: Callable[[], float], sleep: Callable[[float], None]) -> Any:
    """Poll get() with backoff until goal.reached; fail fast on goal.failed, on vanishing (unless gone is the
    goal) and on a non-transient error; WaitTimeout naming the last status once timeout has passed.

    Not tenacity: it is not installed, and its retry-on-result API would still need the injected clock and sleep,
    the poll counts and detection gaps, and these messages: a dependency to save a few lines of this loop."""
    start = clock()
    polls = transient = 0
    resource: Any = None
    status: str | None = None
    delays = backoff.delays()
    poll_at = prev_poll_at = start
    while True:
        polls += 1
        prev_poll_at, poll_at = poll_at, clock()
        try:
            resource = get()
            transient = 0
        except os_exc.NotFoundException as exc:
            if goal.gone_is_done:
                _note(polls, clock() - start, poll_at - prev_poll_at)
                return None
            elapsed = clock() - start
            _note(polls, elapsed)
            label, rid = what or "resource", _request_id(exc=exc)
            raise ResourceFailed(
                f"{label}: disappeared while {goal.awaiting} (last status {status or 'unknown'}; "
                f"{_facts(status, elapsed, polls, rid, None)})",
                what=label, status=status, elapsed=elapsed, polls=polls, request_id=rid,
            ) from None
        except Exception as exc:
            transient += 1
            if not _is_transient(exc) or transient > TRANSIENT_RETRIES:
                _note(polls, clock() - start)
                raise
        else:
            status = _status(resource)
            if goal.reached(resource, status):
                _note(polls, clock() - start, poll_at - prev_poll_at)
                return resource
            if status is not None and status.lower() in goal.failed:
                elapsed = clock() - start
                _note(polls, elapsed)
                label = what or _describe(resource)
                fault, rid = _fault(resource), _request_id(resource)
                raise ResourceFailed(
                    f"{label}: went to {status} while {goal.awaiting} ({_facts(status, elapsed, polls, rid, fault)})",
                    what=label, status=status, elapsed=elapsed, polls=polls, request_id=rid, fault=fault,
                )
        elapsed = clock() - start
        if elapsed >= timeout:
            _note(polls, elapsed)
            label = what or (_describe(resource) if resource is not None else "resource")
            fault, rid = _fault(resource), _request_id(resource)
            raise WaitTimeout(
                f"{label}: {goal.still(status or 'unknown', elapsed)} ({_facts(status, elapsed, polls, rid, fault)})",
                what=label, status=status, elapsed=elapsed, polls=polls, request_id=rid, fault=fault,
            )
        sleep(min(next(delays), timeout - elapsed))


def wait_for_status(
    get: Callable[[], R],
    ready: Collection[str] = frozenset({"ACTIVE"}),
    failed: Collection[str] = frozenset({"ERROR"}),
    timeout: float = 180.0,
    what: str | None = None,
    *,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> R:
    """Poll get() until its status is in ready; raise ResourceFailed/WaitTimeout otherwise."""
    ready_set = frozenset(s.lower() for s in ready)
    wanted = "/".join(sorted(ready))
    goal = _Goal(
        reached=lambda _resource, status: status is not None and status.lower() in ready_set,
        failed=frozenset(s.lower() for s in failed),
        awaiting=f"waiting for {wanted}",
        still=lambda status, elapsed: f"still {status} after {elapsed:.1f} s (timeout {timeout:g} s) "
                                      f"waiting for {wanted}",
    )
    return _poll(get, goal, timeout, what, backoff, clock, sleep)


def wait_for_delete(
    get: Callable[[], Any],
    timeout: float = 120.0,
    what: str | None = None,
    *,
    failed: Collection[str] = DELETE_FAILED,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll get() until it raises NotFoundException (gone); fail fast on ERROR/error_deleting."""
    goal = _Goal(
        reached=lambda resource, _status: resource is None,  # find_*() style getters answer None when gone
        failed=frozenset(s.lower() for s in failed),
        awaiting="being deleted",
        still=lambda status, elapsed: f"still there ({status}) {elapsed:.1f} s after delete (timeout {timeout:g} s)",
        gone_is_done=True,
    )
    _poll(get, goal, timeout, what, backoff, clock, sleep)
