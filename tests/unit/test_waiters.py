"""Waiter logic with in-process fakes of a `get` callable and of the clock (no cloud, no sleeping)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from openstack import exceptions as os_exc

from fuel_health.clients import request_ids, waiters


class FakeClock:
    """time.monotonic + time.sleep that only move when slept on; records the sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 4))
        self.now += seconds


@dataclass
class Server:
    id: str
    status: str
    name: str = "ostf-3fa2c01b-main-server-1"
    fault: dict[str, Any] | None = None


def http_error(cls: type[os_exc.HttpException], status: int, request_id: str = "req-err") -> os_exc.HttpException:
    """An openstacksdk HTTP error as the SDK builds it from a response."""
    response = requests.Response()
    response.status_code, response.headers["x-openstack-request-id"] = status, request_id
    return cls(message=f"HTTP {status}", response=response)


def sequence(*items: Any):
    """A get() that returns (or raises) the items in turn, then repeats the last one."""
    items_list = list(items)
    calls = {"n": 0}

    def get() -> Any:
        item = items_list[min(calls["n"], len(items_list) - 1)]
        calls["n"] += 1
        if isinstance(item, BaseException):
            raise item
        return item

    get.calls = calls  # type: ignore[attr-defined]
    return get


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wait(get, clock, **kw):
    return waiters.wait_for_status(get, clock=clock, sleep=clock.sleep, **kw)


def test_returns_the_resource_once_ready(clock):
    get = sequence(Server("s1", "BUILD"), Server("s1", "BUILD"), Server("s1", "ACTIVE"))
    assert wait(get, clock, timeout=10).status == "ACTIVE"
    assert clock.sleeps == [0.05, 0.06]


def test_fails_fast_on_error_with_fault_and_request_id(clock):
    request_ids.record(SimpleNamespace(headers={"x-openstack-request-id": "req-1234"}))
    fault = {"code": 500, "message": "No valid host was found. There are not enough hosts available."}
    get = sequence(Server("s1", "BUILD"), Server("s1", "ERROR", fault=fault))

    with pytest.raises(waiters.ResourceFailed) as err:
        wait(get, clock, timeout=180, what="server s1")

    msg = str(err.value)
    assert msg == ("server s1: went to ERROR while waiting for ACTIVE (fault: No valid host was found. There are "
                   "not enough hosts available. (code 500); request id req-1234; 0.0 s, 2 polls)")
    assert isinstance(err.value, AssertionError)
    assert (err.value.status, err.value.polls, err.value.request_id) == ("ERROR", 2, "req-1234")
    assert clock.sleeps == [0.05]  # did not sit out the timeout


def test_timeout_message_gives_last_status_and_elapsed(clock):
    get = sequence(Server("s1", "BUILD"))
    with pytest.raises(waiters.WaitTimeout) as err:
        wait(get, clock, timeout=5)
    msg = str(err.value)
    assert msg.startswith("server s1 (ostf-3fa2c01b-main-server-1): still BUILD after 5.0 s (timeout 5 s) "
                          "waiting for ACTIVE (")
    assert "\n" not in msg and err.value.elapsed == pytest.approx(5.0)


def test_backoff_grows_by_1_2_from_0_05_and_caps_at_2_seconds(clock):
    get = sequence(Server("s1", "BUILD"))
    with waiters.counting() as stats, pytest.raises(waiters.WaitTimeout):
        wait(get, clock, timeout=20)
    assert clock.sleeps[:6] == [0.05, 0.06, 0.072, 0.0864, 0.1037, 0.1244]
    assert clock.sleeps[20:22] == pytest.approx([1.917, 2.0], abs=1e-3)  # 0.05 x 1.2^20, then the cap
    assert max(clock.sleeps) == 2.0 and sum(clock.sleeps) == pytest.approx(20.0, abs=1e-3)
    assert stats.polls == get.calls["n"] == len(clock.sleeps) + 1 and stats.waits == 1


def test_statuses_compare_case_insensitively(clock):
    get = sequence(SimpleNamespace(id="v1", status="creating"), SimpleNamespace(id="v1", status="available"))
    assert wait(get, clock, ready={"AVAILABLE"}, failed={"ERROR"}, timeout=10).status == "available"


def test_vanishing_while_waiting_is_a_failure(clock):
    gone = http_error(os_exc.NotFoundException, 404, "req-gone")
    with pytest.raises(waiters.ResourceFailed, match=r"^server s1: disappeared while waiting for ACTIVE "
                                                     r"\(last status BUILD; request id req-gone"):
        wait(sequence(Server("s1", "BUILD"), gone), clock, timeout=10, what="server s1")


def test_transient_api_errors_are_retried_a_few_times(clock):
    busy = http_error(os_exc.HttpException, 503)
    get = sequence(busy, busy, Server("s1", "ACTIVE"))
    assert wait(get, clock, timeout=10).status == "ACTIVE"
    with pytest.raises(os_exc.HttpException):
        wait(sequence(busy), clock, timeout=100)


def test_other_api_errors_are_not_swallowed(clock):
    with pytest.raises(os_exc.BadRequestException):
        wait(sequence(http_error(os_exc.BadRequestException, 400)), clock, timeout=10)


def test_wait_for_delete_treats_not_found_as_gone(clock):
    get = sequence(Server("s1", "ACTIVE"), Server("s1", "DELETING"), os_exc.NotFoundException())
    with waiters.counting() as stats:
        waiters.wait_for_delete(get, timeout=10, clock=clock, sleep=clock.sleep)
    assert stats.polls == 3


def test_wait_for_delete_fails_fast_on_error_deleting(clock):
    get = sequence(SimpleNamespace(id="v1", name="ostf-x", status="deleting"),
                   SimpleNamespace(id="v1", name="ostf-x", status="error_deleting"))
    with pytest.raises(waiters.ResourceFailed, match=r"^volume v1: went to error_deleting while being deleted"):
        waiters.wait_for_delete(get, timeout=60, what="volume v1", clock=clock, sleep=clock.sleep)
    assert len(clock.sleeps) == 1


def test_wait_for_delete_times_out(clock):
    with pytest.raises(waiters.WaitTimeout, match=r"^server s1: still there \(ACTIVE\) 3.0 s after delete"):
        waiters.wait_for_delete(sequence(Server("s1", "ACTIVE")), timeout=3, what="server s1", clock=clock,
                                sleep=clock.sleep)


def test_detection_gap_is_the_time_between_the_last_two_polls(clock):
    with waiters.counting() as stats:
        wait(sequence(Server("s1", "BUILD"), Server("s1", "BUILD"), Server("s1", "ACTIVE")), clock, timeout=10)
        wait(sequence(Server("s2", "ACTIVE")), clock, timeout=10)
    assert stats.gaps == [pytest.approx(0.06), 0.0]  # slept 0.05 then 0.06: seen at most 0.06 s late; then at once


WAITS = {"status": waiters.wait_for_status, "delete": waiters.wait_for_delete}


@pytest.mark.parametrize("backoff", [waiters.Backoff(), waiters.Backoff(start=0.5, factor=2.0, cap=1.5)],
                         ids=["default", "custom"])
def test_status_and_delete_waits_poll_alike(backoff):
    """Both waiters run one loop: on a resource that never changes they sleep the same delays (the backoff's
    growth and cap), stop at the same deadline after the same polls, retry the same transient errors and fail
    on a failed state at the first poll that sees it. A second copy of the loop that drifts fails here."""
    runs = {}
    for name, wait_fn in WAITS.items():
        clock = FakeClock()
        with waiters.counting() as stats, pytest.raises(waiters.WaitTimeout) as err:
            wait_fn(sequence(Server("s1", "BUILD")), timeout=30, backoff=backoff, clock=clock, sleep=clock.sleep)
        busy = sequence(http_error(os_exc.HttpException, 503))
        with pytest.raises(os_exc.HttpException):
            wait_fn(busy, timeout=100, backoff=backoff, clock=clock, sleep=clock.sleep)
        with pytest.raises(waiters.ResourceFailed) as failed:
            wait_fn(sequence(Server("s1", "ERROR")), timeout=100, backoff=backoff, clock=clock, sleep=clock.sleep)
        runs[name] = (clock.sleeps, stats.polls, stats.waits, err.value.elapsed, err.value.polls, busy.calls["n"],
                      failed.value.polls)
    assert runs["status"] == runs["delete"]
    sleeps, polls, waits, elapsed, _, transient_polls, failed_polls = runs["status"]
    timed_out = sleeps[:polls - 1]  # the sleeps of the timed-out wait, before the transient one's
    assert max(timed_out) == backoff.cap and timed_out[0] == backoff.start
    assert sum(timed_out) == pytest.approx(30.0, abs=1e-3) == elapsed and waits == 1
    assert transient_polls == waiters.TRANSIENT_RETRIES + 1 and failed_polls == 1
