"""Who may call the adapter: `--auth token`, `--auth none` on loopback only, the Host allow-list, 1 MiB bodies.

Keystone auth runs against the lab's keystone in test_adapter_fuel_master.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from adapter_harness import free_port

TOKEN = "s3cret-token-of-the-adapter-0123"


@pytest.mark.parametrize(("argv", "line"), [
    (["--host", "0.0.0.0"], "--host 0.0.0.0 is not loopback: give --auth keystone or --auth token --token-file F"),
    (["--host", "10.20.0.2", "--auth", "none"], "--host 10.20.0.2 is not loopback"),
    (["--auth", "token"], "--auth token needs --token-file FILE"),
    (["--auth", "token", "--token-file", "/nonexistent/token"], "--token-file /nonexistent/token: No such file"),
    (["--auth", "keystone"], "--auth keystone needs --keystone-cloud NAME"),
    (["--auth", "keystone", "--keystone-cloud", "x", "--keystone-clouds-yaml", "/nonexistent.yaml"],
     "--keystone-clouds-yaml /nonexistent.yaml: No such file"),
])
def test_serve_refuses_unsafe_or_broken_auth_in_one_line(argv, line, tmp_path):
    res = subprocess.run([sys.executable, "-m", "fuel_health", "serve", "--port", str(free_port()),
                          "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", *argv],
                         capture_output=True, text=True, timeout=60)

    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith(f"fuel-health serve: {line}") and res.stderr.count("\n") == 1, res.stderr


def test_token_auth_guards_every_route(serve, fake_config, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = serve(configs=(fake_config,), args=("--auth", "token", "--token-file", str(token_file), "--no-execute"))
    ok = {"X-Auth-Token": TOKEN}

    for path in ("/v1/testsets/7", "/ostf/testruns", "/", "/openapi.json"):
        denied = requests.get(server.url + path, headers={"X-Auth-Token": "wrong"}, timeout=10)
        assert denied.status_code == 401 and denied.json()["message"].startswith("X-Auth-Token missing or wrong")
        assert requests.get(server.url + path, headers=ok, timeout=10).status_code == 200
    post = requests.post(server.url + "/ostf/testruns", headers=ok, timeout=10,
                         json=[{"testset": "sanity", "metadata": {"cluster_id": "7"}}])
    assert post.status_code == 200 and post.json()[0]["cluster_id"] == 7


def test_host_allow_list_and_body_limit(serve, fake_config):
    server = serve(configs=(fake_config,), args=("--no-execute", "--allowed-host", "127.0.0.1",
                                                 "--allowed-host", "10.20.0.2"))
    url = server.url + "/v1/testruns"

    rebinding = requests.get(url, headers={"Host": "evil.example:8777"}, timeout=10)
    proxied = requests.get(url, headers={"Host": "10.20.0.2:8777"}, timeout=10)  # Fuel's nginx proxy_pass Host
    big = requests.post(url, data=b"[" + b" " * (1024 * 1024) + b"]", timeout=10,
                        headers={"Content-Type": "application/json"})
    chunked = requests.post(url, data=iter([b"[", b" " * (1024 * 1024), b"]"]), timeout=10,
                            headers={"Content-Type": "application/json"})

    assert rebinding.status_code == 400 and rebinding.json()["message"] == (
        "Host evil.example is not served here: add it with --allowed-host")
    assert proxied.status_code == 200
    assert big.status_code == 413 and chunked.status_code == 413
    assert big.json()["message"] == "request body over 1048576 bytes"
    assert server.call("GET", "/v1/testruns").status_code == 200  # still serving


def test_keystone_that_cannot_answer_is_503_never_401(tmp_path):
    """Fuel UI logs the user out on any 401 (fuel-ui 9.0 static/app.js:267-270): a keystone outage is a 503."""
    from fuel_health.adapter.auth import KeystoneValidator, keystone_conf

    clouds = tmp_path / "clouds.yaml"
    auth = {"auth_url": f"http://127.0.0.1:{free_port()}/v3", "username": "ostf", "password": "pw",
            "project_name": "services", "user_domain_name": "Default", "project_domain_name": "Default"}
    clouds.write_text(json.dumps({"clouds": {"adapter": {"auth": auth}}}))  # JSON is YAML too
    validator = KeystoneValidator(keystone_conf("adapter", clouds))

    code, why = validator.check("a-token-nobody-can-check")

    assert code == 503 and "cannot validate the token with keystone" in why, (code, why)
