"""API calls are counted at the HTTP layer, per test, through a real `requests` session (local HTTP server)."""

from __future__ import annotations

import requests

from fuel_health import clients, metrics


def _conn(session: requests.Session):
    return type("Conn", (), {"session": type("KsaSession", (), {"session": session})()})()


def test_calls_inside_a_tally_are_counted_by_method_and_port(httpserver):
    httpserver.expect_request("/servers").respond_with_json({"servers": []})
    session = requests.Session()
    clients.add_response_hooks(_conn(session), metrics.count)
    clients.add_response_hooks(_conn(session), metrics.count)  # idempotent: one hook, calls counted once

    session.get(httpserver.url_for("/servers"), timeout=5)  # outside any test: not counted
    with metrics.tally() as counts:
        session.get(httpserver.url_for("/servers"), timeout=5)
        session.post(httpserver.url_for("/servers"), timeout=5)

    port = httpserver.port
    assert counts.calls == {f"GET :{port}": 1, f"POST :{port}": 1}
    props = dict(counts.properties())
    assert props["api_calls"] == "2" and props["waits"] == "0"
    assert session.hooks["response"].count(metrics.count) == 1
