"""The adapter as on a Fuel master: behind Debian's nginx with Fuel's `/ostf/` location, keystone auth on (the
lab's keystone), the real suite on the lab, driven by the two real clients' flows (tests/adapter/ostf_clients.py).

Fuel's location block is replayed from fuel-library 9.0:deployment/puppet/fuel/templates/nginx/services.conf.erb:
19-25 (server settings) and 46-49 (`location ~ ^/ostf/(.*)` -> `proxy_pass http://<ostf_host>:<ostf_port>/v1/$1`,
`proxy_buffering off`). Run under the lab's shared lock: `flock -s /tmp/fuel-lab.lock pytest ...`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from adapter_harness import free_port, statuses
from ostf_clients import ClientError, FuelQa, FuelUi
from test_adapter_lab import lab  # noqa: F401  (the fixture: the lab's config, once it answers)

from fuel_health import config as config_mod
from fuel_health.clients import connections, resources
from fuel_health.config import ClusterConfig

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

NGINX_CONF = """\
worker_processes 1;
{user}pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        charset utf-8;
        client_max_body_size 10M;
        location ~ ^/ostf/(.*) {{
            proxy_pass http://{ostf_host}:{ostf_port}/v1/$1;
            proxy_buffering off;
        }}
    }}
}}
"""


def _nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        pytest.fail("nginx is not installed: apt-get install nginx (make test-deps)", pytrace=False)
    return found


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[callable]:
    """Start a private nginx (own config, loopback port) proxying /ostf/ to an adapter port; stopped at the end."""
    procs: list[subprocess.Popen] = []

    def start(ostf_port: int) -> str:
        conf_dir = tmp_path / "nginx"
        conf_dir.mkdir()
        port = free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the private temp dirs
        (conf_dir / "nginx.conf").write_text(NGINX_CONF.format(user=user, tmp=conf_dir, port=port,
                                                               ostf_host="127.0.0.1", ostf_port=ostf_port))
        proc = subprocess.Popen([_nginx_binary(), "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf"),
                                 "-g", "daemon off;"], stderr=subprocess.PIPE)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            try:
                requests.get(url + "/", timeout=2)
                return url
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not listen in 15 s"
                time.sleep(0.1)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(15)


def _clouds(cfg: ClusterConfig) -> tuple[str, Path]:
    assert cfg.cloud.kind == "clouds.yaml", "the lab's config names a clouds.yaml entry"
    return str(cfg.cloud.name), Path(str(cfg.cloud.clouds_yaml))


@pytest.fixture
def token(lab: ClusterConfig) -> str:  # noqa: F811
    """A keystone token of the lab's admin, as Fuel UI and fuel-qa get theirs from Fuel's keystone."""
    conn = connections.openstack_connection(lab)
    try:
        return conn.session.get_token()
    finally:
        conn.close()


@pytest.fixture
def master(serve, nginx, lab, tmp_path):  # noqa: F811
    """The adapter with keystone auth on the lab, and Fuel's nginx in front: returns (adapter, nginx URL)."""
    name, clouds_yaml = _clouds(lab)
    port = free_port()
    server = serve(port=port, tests_dir=None, configs=(config_mod.lab_config_path(os.environ),),
                   args=("--auth", "keystone", "--keystone-cloud", name, "--keystone-clouds-yaml", str(clouds_yaml)))
    return server, nginx(port)


def test_keystone_auth_behind_nginx_refuses_bad_tokens(master, token):
    server, front = master

    none = requests.get(front + "/ostf/testsets/1", timeout=30)
    bad = requests.get(front + "/ostf/testsets/1", headers={"X-Auth-Token": "gAAAAAnotatoken"}, timeout=30)
    good = requests.get(front + "/ostf/testsets/1", headers={"X-Auth-Token": token}, timeout=30)

    assert none.status_code == 401 and none.json()["message"].startswith("X-Auth-Token missing")
    assert none.headers["WWW-Authenticate"].startswith('Keystone uri="http')  # where to get a token
    assert bad.status_code == 401 and bad.json()["message"] == "X-Auth-Token is not valid (keystone refused it)"
    assert good.status_code == 200 and [s["id"] for s in good.json()][:2] == ["sanity", "smoke"]


def test_fuel_qa_run_ostf_on_sanity_smoke_and_ha(master, token, lab):  # noqa: F811
    """fuel-qa's vCenter job: run_ostf(['sanity', 'smoke', 'ha']) -> wait until finished -> assert_ostf_run
    (fuel-qa mitaka-eol:fuelweb_test/models/fuel_web_client.py:1374-1395, 148-160, 258-300), then
    run_single_ostf_test (ibid. 1413-1426)."""
    _, front = master
    qa = FuelQa(front + "/ostf", token=token)
    cid = lab.cluster.id

    result = qa.run_ostf(cid, ["sanity", "smoke", "ha"], timeout=600)
    runs = {r["testset"]: r for r in qa.ostf_test_wait(cid, 5)}
    single = next(t["id"] for t in runs["sanity"]["tests"])
    qa.run_single_ostf_test(cid, ["sanity", "smoke"], single, timeout=300)

    assert set(runs) >= {"sanity", "smoke", "ha"}
    assert len([s for s in result.values() if s == "success"]) >= 10, result
    ha_applies = [t["id"] for t in qa._call("GET", f"/tests/{cid}") if t["testset"] == "ha"]
    # The lab is ha_compact, as every Fuel 6.1+ cluster: its ha checks apply and must all pass.
    assert ha_applies and [t["id"] for t in runs["ha"]["tests"]] == ha_applies
    assert set(statuses(runs["ha"]).values()) == {"success"}, statuses(runs["ha"])
    last = {r["testset"]: r for r in qa.ostf_test_wait(cid, 5)}
    assert statuses(last["sanity"])[single.rsplit(".", 1)[-1]] == "success"
    assert set(statuses(last["smoke"]).values()) == {"disabled"}


def test_fuel_ui_run_restart_with_an_unseen_check_and_stop_while_finishing(master, token, lab, tmp_path):  # noqa: F811
    """Fuel UI: Run tests (POST), Run tests again with a check the run has not seen (PUT restarted), then Stop
    with a stale poll where sanity has just finished (fuel-ui 9.0:static/views/cluster_page_tabs/
    healthcheck_tab.js:136-216)."""
    server, front = master
    server.session.headers["X-Auth-Token"] = token  # the test's own polls of the adapter
    cid = lab.cluster.id
    ui = FuelUi(front + "/ostf", cid, token=token)
    ui.open_tab()
    sanity_ids = [t["id"] for t in ui.tests if t["testset"] == "sanity"]
    ui.run_tests(sanity_ids[:2])
    first = ui.wait_finished(300)[0]
    assert [t["status"] for t in first["tests"]][:2] == ["success", "success"]

    # The run was recorded before the third check existed: drop its row, as an older adapter would have no row.
    db = Path(server.proc.args[server.proc.args.index("--db") + 1].split(":///", 1)[1])
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM tests WHERE testrun_id = ? AND test_id = ?", (first["id"], sanity_ids[2]))
    ui.open_tab()
    ui.run_tests(sanity_ids[:3])
    again = ui.wait_finished(300)[0]
    assert again["id"] == first["id"]
    got = {t["id"]: t["status"] for t in again["tests"]}
    assert [got[i] for i in sanity_ids[:3]] == ["success"] * 3, got

    smoke_ids = [t["id"] for t in ui.tests if t["testset"] == "smoke"]
    ui.run_tests([sanity_ids[0], *smoke_ids])
    ui.poll()
    smoke = next(r for r in ui.testruns if r["testset"] == "smoke")
    stale = [dict(r, status="running") for r in ui.testruns]
    deadline = time.monotonic() + 120
    while next(r for r in ui.poll() if r["testset"] == "sanity")["status"] != "finished":
        assert time.monotonic() < deadline, "sanity did not finish in 120 s"
        time.sleep(0.3)
    ui.testruns = stale  # the poll from before sanity finished
    answer = ui.stop_tests()
    done = server.wait(smoke["id"], timeout=300)

    assert [r["id"] for r in answer] == [r["id"] for r in stale]
    if done["status"] == "finished" and "stopped" not in statuses(done).values():
        pytest.fail(f"smoke finished before the stop reached it: {statuses(done)}", pytrace=False)
    conn = connections.openstack_connection(lab)
    try:
        assert resources.sweep(conn, lab.resource_prefix, done["meta"]["run_id"], dry_run=True) == []
    finally:
        conn.close()


def test_an_error_reaches_fuel_ui_through_nginx_with_its_message(master, token, lab):  # noqa: F811
    _, front = master
    ui = FuelUi(front + "/ostf", lab.cluster.id, token=token)

    with pytest.raises(ClientError, match=r"dialog: no test run 2147483647 \(HTTP 404\)"):
        ui._call("PUT", "/testruns", [{"id": 2147483647, "status": "stopped"}])


def test_the_callers_keystone_token_is_what_nailgun_gets(serve, lab, token, httpserver):  # noqa: F811
    """fuel-ostf asked Nailgun with the caller's token (fuel-ostf 9.0:fuel_plugin/ostf_adapter/wsgi/
    controllers.py:145-147). Nailgun can't run here: the double answers as Nailgun does for a cluster it does
    not have, 404 with a message (fuel-web 9.0:nailgun/nailgun/api/v1/handlers/base.py:206-222)."""
    from werkzeug import Response

    seen: list[str | None] = []

    def nailgun(request):
        seen.append(request.headers.get("X-Auth-Token"))
        return Response('{"message": "Cluster not found"}', status=404, content_type="application/json")

    httpserver.expect_request("/api/clusters/41").respond_with_handler(nailgun)
    name, clouds_yaml = _clouds(lab)
    server = serve(tests_dir=None, args=("--auth", "keystone", "--keystone-cloud", name, "--keystone-clouds-yaml",
                                         str(clouds_yaml), "--nailgun-url", httpserver.url_for("/").rstrip("/")))

    resp = requests.get(server.url + "/ostf/testsets/41", headers={"X-Auth-Token": token}, timeout=30)

    assert resp.status_code == 404 and resp.json()["message"].startswith("unknown cluster 41"), resp.text
    assert seen == [token]
