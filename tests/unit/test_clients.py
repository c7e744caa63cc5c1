"""The client boundary: connection settings, node files, and the preflight's one-line verdicts.

The "wrong credentials" case runs against a CONTRACT keystone (pytest-httpserver answering the v3
version document and a 401 on /v3/auth/tokens, as keystone does); nothing else needs a server.
"""

from __future__ import annotations

import pytest
import yaml

from fuel_health import config
from fuel_health.clients import connections


def test_connection_from_clouds_yaml_path_without_env(dual_raw, tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"lab": {"auth": {
        "auth_url": "http://127.0.0.1:5000/v3", "username": "admin", "password": "pw", "project_name": "admin",
        "user_domain_name": "Default", "project_domain_name": "Default"}, "region_name": "RegionOne"}}}))
    dual_raw["cloud"] = {"name": "lab", "clouds_yaml": str(clouds)}
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", "/nonexistent/clouds.yaml")  # must not matter
    cfg = config.build(dual_raw)

    conn = connections.openstack_connection(cfg, run_id="3fa2c01b")

    assert conn.config.config["auth"]["auth_url"] == "http://127.0.0.1:5000/v3"
    assert float(conn.config.config["api_timeout"]) == 30.0
    assert conn.session.timeout == 30.0
    assert conn._global_request_id.startswith("req-3fa2c01b-")


def test_a_missing_clouds_yaml_or_entry_is_a_config_error(dual_raw, tmp_path):
    dual_raw["cloud"] = {"name": "lab", "clouds_yaml": str(tmp_path / "nope.yaml")}
    with pytest.raises(config.ConfigError, match=r"^cloud.clouds_yaml: .*nope.yaml does not exist"):
        connections.openstack_connection(config.build(dual_raw))
    (tmp_path / "nope.yaml").write_text("clouds: {other: {auth: {auth_url: 'http://x'}}}\n")
    with pytest.raises(config.ConfigError, match=r"^cloud.name: "):
        connections.openstack_connection(config.build(dual_raw))


def test_a_compute_microversion_pinned_below_2_37_is_refused(kvm_raw, tmp_path):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"lab": {"auth": {"auth_url": "http://k/v3"},
                                                         "compute_api_version": "2.1"}}}))
    kvm_raw["cloud"] = {"name": "lab", "clouds_yaml": str(clouds)}
    with pytest.raises(config.ConfigError, match=r"compute microversion pinned to 2.1"):
        connections.openstack_connection(config.build(kvm_raw))


def test_node_files_are_read_under_the_node_root(kvm_raw, tmp_path):
    root = tmp_path / "node-2"
    (root / "etc" / "nova").mkdir(parents=True)
    (root / "etc" / "nova" / "nova.conf").write_text("[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n")
    kvm_raw["nodes"][1].update(root=str(root), host="local://")
    cfg = config.build(kvm_raw)

    assert connections.node_path(cfg, "node-2", "/etc/nova/nova.conf") == f"{root}/etc/nova/nova.conf"
    assert connections.node_file(cfg, "node-2", "/etc/nova/nova.conf").exists
    assert "compute_driver = libvirt" in connections.node_file(cfg, "node-2", "/etc/nova/nova.conf").content_string


def test_preflight_unreachable_keystone(kvm_raw):
    kvm_raw["cloud"]["auth"]["auth_url"] = "http://127.0.0.1:9/v3"
    with pytest.raises(connections.CannotRun) as err:
        connections.check_reachable(config.build(kvm_raw), timeout=2)
    assert str(err.value).startswith("keystone at http://127.0.0.1:9/v3 is unreachable: ")
    assert "\n" not in str(err.value)


def test_preflight_wrong_credentials(kvm_raw, httpserver):
    base = httpserver.url_for("/v3").rstrip("/")
    httpserver.expect_request("/v3", method="GET").respond_with_json(
        {"version": {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": f"{base}/"}],
                     "media-types": [{"base": "application/json",
                                      "type": "application/vnd.openstack.identity-v3+json"}]}})
    httpserver.expect_request("/v3/auth/tokens", method="POST").respond_with_json(
        {"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires "
                                                                   "authentication."}}, status=401)
    kvm_raw["cloud"]["auth"]["auth_url"] = base

    with pytest.raises(connections.CannotRun) as err:
        connections.check_reachable(config.build(kvm_raw), timeout=5)

    assert str(err.value) == f"keystone at {base} refused the credentials of user admin (check cloud.auth)"


def test_preflight_unreachable_vcenter(dual_raw, monkeypatch):
    monkeypatch.setattr(connections, "_check_keystone", lambda cfg, timeout: "keystone OK")
    dual_raw["vcenter"]["port"] = 9
    with pytest.raises(connections.CannotRun,
                       match=r"^vCenter at 127.0.0.1:9 is unreachable: .* \(zone vcenter: is its "
                             r"vCenter up\? check vcenter_host and vcenter.port of that "
                             r"availability zone in vmware_attributes\)$"):
        connections.check_reachable(config.build(dual_raw), timeout=2)


def test_preflight_down_endpoints_are_health_failures_not_cannot_run(dual_raw, tmp_path):
    # Both endpoints on a closed port: the old preflight raised CannotRun (exit 3, no check ran at all).
    cfg = config.build(dual_raw)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"fuel-dualhv-lab": {"auth": {
        "auth_url": "http://127.0.0.1:9/v3", "username": "admin", "password": "x", "project_name": "admin",
        "user_domain_name": "Default", "project_domain_name": "Default"}}}}))
    dual_raw["cloud"]["clouds_yaml"] = str(clouds)
    dual_raw["vcenter"]["port"] = 9
    cfg = config.build(dual_raw)

    found = connections.preflight(cfg, timeout=2)

    assert sorted(found.down) == ["keystone", "vcenter:vcenter"]
    assert found.down["keystone"].startswith("keystone at http://127.0.0.1:9/v3 is unreachable: ")
    assert found.down["vcenter:vcenter"].startswith("vCenter at 127.0.0.1:9 is unreachable: ")
    assert found.auth_state is None and all(line.startswith("DOWN: ") for line in found.lines)


def test_preflight_tests_every_vcenter_zones_own_endpoint(dual_raw, monkeypatch):
    """A second zone's vCenter was never tried (only the first zone's): its checks made volumes there that
    cinder-vmdk could not delete. Each zone's endpoint is its own entry in `down`, named by its own message."""
    monkeypatch.setattr(connections, "_keystone_login", lambda cfg, timeout: ("keystone OK", None))
    dual_raw["vcenter"]["port"] = 9  # neither zone's vCenter listens; each is tried at its own port
    dual_raw["vmware_attributes"]["availability_zones"].append({
        "az_name": "vcenter2", "vcenter_host": "127.0.0.1", "vcenter_username": "ops", "vcenter_password": "x",
        "nova_computes": [{"vsphere_cluster": "West1", "service_name": "west1", "datastore_regex": "",
                           "target_node": {"current": {"id": "node-4"}}}]})
    dual_raw["hypervisors"]["vcenter"] = [{"zone": "vcenter"}, {"zone": "vcenter2", "port": 7}]
    cfg = config.build(dual_raw)

    found = connections.preflight(cfg, timeout=5)

    assert sorted(found.down) == ["vcenter:vcenter", "vcenter:vcenter2"]
    assert found.down["vcenter:vcenter"].startswith("vCenter at 127.0.0.1:9 is unreachable: ")
    assert found.down["vcenter:vcenter2"].startswith("vCenter at 127.0.0.1:7 is unreachable: ")
    assert "(zone vcenter2: is its vCenter up?" in found.down["vcenter:vcenter2"]
    assert found.lines[0] == "keystone OK"


def test_preflight_rejected_credentials_stay_cannot_run(kvm_raw, httpserver):
    base = httpserver.url_for("/v3").rstrip("/")
    httpserver.expect_request("/v3", method="GET").respond_with_json(
        {"version": {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": f"{base}/"}],
                     "media-types": [{"base": "application/json",
                                      "type": "application/vnd.openstack.identity-v3+json"}]}})
    httpserver.expect_request("/v3/auth/tokens", method="POST").respond_with_json(
        {"error": {"code": 401, "title": "Unauthorized", "message": "no"}}, status=401)
    kvm_raw["cloud"]["auth"]["auth_url"] = base
    with pytest.raises(connections.CannotRun, match="refused the credentials") as err:
        connections.preflight(config.build(kvm_raw), timeout=5)
    assert not isinstance(err.value, connections.EndpointDown)


def test_preflight_keystone_answering_5xx_is_down(kvm_raw, httpserver):
    base = httpserver.url_for("/v3").rstrip("/")
    httpserver.expect_request("/v3", method="GET").respond_with_json(
        {"version": {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": f"{base}/"}],
                     "media-types": [{"base": "application/json",
                                      "type": "application/vnd.openstack.identity-v3+json"}]}})
    httpserver.expect_request("/v3/auth/tokens", method="POST").respond_with_data("db gone", status=503)
    kvm_raw["cloud"]["auth"]["auth_url"] = base
    found = connections.preflight(config.build(kvm_raw), timeout=5)
    assert found.down["keystone"].startswith(f"keystone at {base} answers HTTP 503")


def test_preflight_login_failing_unforeseen_is_that_endpoints_failure_not_a_traceback(kvm_raw, monkeypatch):
    """Whatever a login raises that nobody foresaw fails that endpoint's checks in one line (was INTERNALERROR)."""
    def boom(cfg, timeout):
        raise RuntimeError("keystoneauth had a bad day\nwith a second line")

    monkeypatch.setattr(connections, "_keystone_login", boom)
    found = connections.preflight(config.build(kvm_raw), timeout=5)
    assert found.down["keystone"] == ("keystone: the preflight login failed: keystoneauth had a bad day "
                                      "with a second line")


def test_global_request_id_is_a_valid_request_id():
    rid = connections.global_request_id("3fa2c01b")
    assert rid.startswith("req-3fa2c01b-") and len(rid) == len("req-") + 36


def test_request_ids_of_api_answers_are_recorded(httpserver):
    import requests

    from fuel_health.clients import request_ids

    httpserver.expect_request("/servers/s1").respond_with_json(
        {"server": {"id": "s1"}}, headers={"x-openstack-request-id": "req-feedc0de"})
    session = requests.Session()
    conn = type("Conn", (), {"session": type("KsaSession", (), {"session": session})()})()
    connections.add_response_hooks(conn, request_ids.record)
    connections.add_response_hooks(conn, request_ids.record)  # idempotent

    session.get(httpserver.url_for("/servers/s1"), timeout=5)

    assert request_ids.last() == "req-feedc0de"
    assert session.hooks["response"].count(request_ids.record) == 1
