"""API calls are counted at the HTTP layer, per test, through a real `requests` session (local HTTP server)."""

from __future__ import annotations

import requests

from fuel_health.clients import connections, metrics


def _conn(session: requests.Session):
    return type("Conn", (), {"session": type("KsaSession", (), {"session": session})()})()


def test_calls_inside_a_tally_are_counted_by_method_and_port(httpserver):
    httpserver.expect_request("/servers").respond_with_json({"servers": []})
    session = requests.Session()
    connections.add_response_hooks(_conn(session), metrics.count)
    connections.add_response_hooks(_conn(session), metrics.count)  # idempotent: one hook, calls counted once

    session.get(httpserver.url_for("/servers"), timeout=5)  # outside any test: not counted
    with metrics.tally() as counts:
        session.get(httpserver.url_for("/servers"), timeout=5)
        session.post(httpserver.url_for("/servers"), timeout=5)

    port = httpserver.port
    assert counts.calls == {f"GET :{port}": 1, f"POST :{port}": 1}
    props = dict(counts.properties())
    assert props["api_calls"] == "2" and props["waits"] == "0"
    assert session.hooks["response"].count(metrics.count) == 1


def test_every_connection_the_clients_open_has_the_counter(dual_raw, tmp_path):
    """Every connection openstack_connection opens counts into the running test's tally, once per answer."""
    import yaml

    from fuel_health import config

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"lab": {"auth": {"auth_url": "http://127.0.0.1:5000/v3"}}}}))
    dual_raw["cloud"] = {"name": "lab", "clouds_yaml": str(clouds)}
    conn = connections.openstack_connection(config.build(dual_raw), run_id="3fa2c01b")

    hooks = conn.session.session.hooks["response"]
    assert hooks.count(metrics.count) == 1 and hooks[0] is connections.request_ids.record
