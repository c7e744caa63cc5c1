"""TLS to a private CA (Nailgun, vCenter), passwords never over plain http:// unannounced, tokens never in argv,
Secret never pickled or dumped, and no pytest options smuggled in through the command line.

Checks that already held live elsewhere and are not repeated here: vCenter's "TLS verified by default"
(tests/detection/test_reliability.py::test_cannot_run_is_fast_and_one_line[vCenter TLS verified by default]),
no password in the suite's output, JUnit or allure results (test_reliability.py::
test_passwords_never_reach_reports_or_logs). No lab password in `ps` or the lab's logs: test_lab_doors.py.
"""

from __future__ import annotations

import copy
import http.server
import json
import pickle
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from security_helpers import FUEL_HEALTH
from test_loader import GOOD

from fuel_health import config as config_mod
from fuel_health.config import ConfigError
from fuel_health.config import nailgun_client as nailgun
from fuel_health.config.secret import Secret

TOKEN = "tok-0123456789abcdef"


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory) -> dict[str, Path]:
    """A CA of our own and a certificate it signed for 127.0.0.1 (openssl, as an operator would make them)."""
    d = tmp_path_factory.mktemp("ca")
    def sh(*cmd: str) -> None:
        subprocess.run(cmd, cwd=d, check=True, capture_output=True)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sec-test-ca",
       "-keyout", "ca.key", "-out", "ca.pem")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "srv.key",
       "-out", "srv.csr")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    sh("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
       "-days", "2", "-extfile", "san.ext", "-out", "srv.pem")
    return {"ca": d / "ca.pem", "cert": d / "srv.pem", "key": d / "srv.key"}


@pytest.fixture(scope="module")
def https_api(private_ca) -> Iterator[dict[str, Any]]:
    """An https:// endpoint with the private CA's certificate; answers `{}` to any GET and records headers.

    Not a Nailgun double: only TLS trust and the token header are under test, never Nailgun's answers."""
    seen: dict[str, Any] = {"headers": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen["headers"].append(dict(self.headers))
            body = json.dumps({}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(private_ca["cert"], private_ca["key"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen["url"] = f"https://127.0.0.1:{server.server_address[1]}"
    yield seen
    server.shutdown()


@pytest.fixture
def no_ca_env(monkeypatch):
    for name in (*nailgun.CA_ENV, "FUEL_HEALTH_NAILGUN_CACERT", "FUEL_HEALTH_NAILGUN_TOKEN",
                 "FUEL_HEALTH_NAILGUN_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_nailgun_tls_is_verified_by_default(https_api, no_ca_env):
    with pytest.raises(nailgun.NailgunError, match="cannot reach"):
        nailgun.NailgunClient(https_api["url"], timeout=5).get("clusters/1")


@pytest.mark.parametrize("how", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "--nailgun-cacert"])
def test_nailgun_trusts_a_private_ca_from_the_usual_places(how, https_api, private_ca, no_ca_env, monkeypatch):
    if how.startswith("--"):
        verify = nailgun.ca_bundle(private_ca["ca"])
    else:
        monkeypatch.setenv(how, str(private_ca["ca"]))
        verify = None
    assert nailgun.NailgunClient(https_api["url"], timeout=5, verify=verify).get("clusters/1") == {}


def test_a_missing_cacert_is_one_line():
    with pytest.raises(nailgun.NailgunError, match=r"--nailgun-cacert: /nonexistent/ca.pem does not exist"):
        nailgun.ca_bundle("/nonexistent/ca.pem")


def test_nailgun_token_comes_from_a_file_and_the_cacert_from_the_cli(https_api, private_ca, no_ca_env, tmp_path,
                                                                     monkeypatch, capsys):
    from fuel_health import cli

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    for variable in ("FUEL_HEALTH_NAILGUN_TOKEN_FILE", "FUEL_HEALTH_NAILGUN_CACERT"):
        monkeypatch.setenv(variable, "")  # restored after the test: cli.main sets them for its pytest session
    before = len(https_api["headers"])
    code = cli.main(["config", "show", "--nailgun-url", https_api["url"], "--cluster-id", "1",
                     "--nailgun-token-file", str(token_file), "--nailgun-cacert", str(private_ca["ca"])])
    err = capsys.readouterr().err
    # `{}` is no cluster: the config is refused, but only after Nailgun was asked, over verified TLS.
    assert code == 3 and "certificate" not in err.lower(), err
    sent = https_api["headers"][before:]
    assert sent and all(h.get("X-Auth-Token") == TOKEN for h in sent)


def test_nailgun_token_on_the_command_line_is_refused_in_one_line():
    res = subprocess.run([FUEL_HEALTH, "config", "show", "--nailgun-url", "https://127.0.0.1:1", "--cluster-id",
                          "1", "--nailgun-token", TOKEN], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "FUEL_HEALTH_NAILGUN_TOKEN" in lines[0] and "--nailgun-token-file" in lines[0]
    assert TOKEN not in res.stderr


def test_nailgun_token_as_a_pytest_option_is_refused_too(tmp_path):
    """`pytest fuel_health/tests --nailgun-token T` (the plugin's own option) is refused like the CLI's."""
    res = subprocess.run([str(Path(FUEL_HEALTH).with_name("pytest")), "-p", "no:cacheprovider", "--co", "-q",
                          str(Path(config_mod.__file__).parents[1] / "tests"), "--nailgun-url", "https://127.0.0.1:1",
                          "--cluster-id", "1", "--nailgun-token", TOKEN], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert res.returncode == 3, res.stdout[-800:] + res.stderr[-800:]
    out = res.stdout + res.stderr
    assert "--nailgun-token is refused" in out and "FUEL_HEALTH_NAILGUN_TOKEN" in out and TOKEN not in out


def test_a_bad_token_file_is_one_line(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("line one\nline two\n")
    with pytest.raises(ConfigError, match="expected one line"):
        config_mod.load(nailgun_url="https://127.0.0.1:1", cluster_id=1,
                        environ={"FUEL_HEALTH_NAILGUN_TOKEN_FILE": str(token_file)})


def test_keystone_login_follows_nailguns_scheme_and_warns_before_plain_http(capsys):
    assert nailgun._default_keystone("https://10.20.0.2:8443") == "https://10.20.0.2:5000/v2.0"
    with pytest.raises(nailgun.NailgunError, match="not an http"):
        nailgun._default_keystone("10.20.0.2:8000")
    # TEST-NET-1 (RFC 5737): never answers; the warning must come before the password is sent.
    with pytest.raises(nailgun.NailgunError):
        nailgun.NailgunClient.login("http://192.0.2.1:8000", "admin", Secret("pw"), timeout=0.5)
    err = capsys.readouterr().err
    assert "warning" in err and "http://" in err and "192.0.2.1" in err and "pw" not in err.split("http://")[0]


def test_cloud_auth_over_plain_http_warns_except_on_loopback(capsys):
    raw = copy.deepcopy(GOOD)
    config_mod.build(raw)
    assert "warning" not in capsys.readouterr().err  # 127.0.0.1: never leaves the machine
    raw["cloud"]["auth"]["auth_url"] = "http://keystone.example.org:5000/v3"
    config_mod.build(raw)
    err = capsys.readouterr().err
    assert "warning" in err and "keystone.example.org" in err


def test_vcenter_trusts_a_ca_file_or_fuels_ca_content(private_ca, tmp_path):
    raw = copy.deepcopy(GOOD)
    raw["cluster"]["use_vcenter"] = True
    az = {"az_name": "vcenter", "vcenter_host": "127.0.0.1", "vcenter_username": "u", "vcenter_password": "p",
          "nova_computes": [{"vsphere_cluster": "C1", "service_name": "vm1", "target_node": "controllers"}]}
    raw["vmware_attributes"] = {"availability_zones": [az]}
    raw["vcenter"] = {"cafile": str(private_ca["ca"])}
    assert config_mod.build(raw).vcenter.cafile == str(private_ca["ca"])
    raw["vcenter"] = {"cafile": str(tmp_path / "missing.pem")}
    with pytest.raises(ConfigError, match=r"^vcenter.cafile: .*missing.pem is not a file"):
        config_mod.build(raw)
    raw["vcenter"] = {}
    az["vcenter_ca_file"] = {"name": "ca.pem", "content": private_ca["ca"].read_text()}  # Fuel 9.1+
    vc = config_mod.build(raw).vcenter
    ssl.create_default_context(cafile=vc.cafile, cadata=vc.cadata)  # what clients.vcenter_session builds
    assert vc.cadata.startswith("-----BEGIN CERTIFICATE-----")
    az["vcenter_ca_file"] = "ca.pem"
    with pytest.raises(ConfigError, match="vcenter_ca_file: expected Fuel's file shape"):
        config_mod.build(raw)


# --- Secret --------------------------------------------------------------------------------------------


def test_a_secret_is_never_pickled_or_dumped():
    secret = Secret("Pickle-Me-1")
    for dump in (pickle.dumps, lambda s: yaml.dump({"p": s}), lambda s: yaml.safe_dump({"p": s}),
                 lambda s: json.dumps({"p": s})):
        with pytest.raises((TypeError, yaml.YAMLError)) as err:
            dump(secret)
        assert "Pickle-Me-1" not in str(err.value)
    assert copy.deepcopy({"p": secret})["p"] is secret  # config overrides copy the raw tree: still works


# --- no pytest options through the command line ----------------------------------------------------------


@pytest.mark.parametrize("arg", ["-k=--junitxml={evil}", "--set=--junitxml={evil}"])
def test_values_of_run_options_never_become_pytest_options(arg, tmp_path):
    evil = tmp_path / "evil.xml"
    cfg = tmp_path / "cfg.yaml"
    raw = copy.deepcopy(GOOD)
    raw["cloud"]["auth"]["auth_url"] = "http://127.0.0.1:1/v3"
    cfg.write_text(yaml.safe_dump(raw))
    subprocess.run([FUEL_HEALTH, "run", "--no-preflight", "--config", str(cfg), arg.format(evil=evil),
                    "--junit", str(tmp_path / "j.xml"), "--allure-dir", str(tmp_path / "allure")],
                   capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert not evil.exists()
