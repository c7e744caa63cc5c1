"""Contract tests: each replays one flow of a real client (tests/adapter/ostf_clients.py) on the fake suite.

The same flows run on the lab, behind nginx and keystone, in test_adapter_fuel_master.py.
"""

from __future__ import annotations

import shutil

import pytest
import yaml
from adapter_harness import FAKE_SUITE, by_name, statuses
from ostf_clients import ClientError, FuelQa, FuelUi

SANITY = "ostf_fake.sanity.test_api"
SMOKE = "ostf_fake.smoke.test_fake"


def test_fuel_qa_run_ostf_posts_sanity_smoke_and_ha_at_once(serve, fake_config):
    """fuel-qa's vCenter jobs: run_ostf(test_sets=['sanity', 'smoke', 'ha']) on a cluster whose `ha` set is empty
    (fuel-qa mitaka-eol:fuelweb_test/models/fuel_web_client.py:1374-1395, ostf_client.py:59-79)."""
    server = serve(configs=(fake_config,))
    qa = FuelQa(server.url + "/ostf")

    result = qa.run_ostf(7, ["sanity", "smoke", "ha"], should_fail=2,
                         failed_test_name=["Volume attaches", "Broken helper"])

    runs = {r["testset"]: r for r in qa.ostf_test_wait(7, 5)}
    assert runs["ha"]["tests"] == [] and runs["ha"]["status"] == "finished"
    assert runs["ha"]["meta"]["reason"].startswith("test set ha has no test")
    assert result == {"Keystone answers": "success", "Volume attaches": "failure", "Slow boot": "success",
                      "Broken helper": "error", "Needs an image": "skipped"}
    with pytest.raises(ClientError, match="Failed 2 OSTF tests; should fail 1"):
        qa.assert_ostf_run(7, should_fail=1, test_sets=["sanity", "smoke"])  # the assertion can fail


def test_fuel_qa_single_test_goes_into_every_set(serve, fake_config):
    """run_single_ostf_test: the same id in each set's record; the other set's run has it all disabled
    (fuel-qa mitaka-eol:fuelweb_test/models/fuel_web_client.py:1413-1426, ostf_client.py:74-75)."""
    server = serve(configs=(fake_config,))
    qa = FuelQa(server.url + "/ostf")

    qa.run_single_ostf_test(7, ["sanity", "smoke"], f"{SANITY}.test_keystone")

    runs = {r["testset"]: r for r in qa.ostf_test_wait(7, 5)}
    assert statuses(runs["sanity"]) == {"test_keystone": "success", "test_attach": "disabled"}
    assert set(statuses(runs["smoke"]).values()) == {"disabled"} and runs["smoke"]["status"] == "finished"
    with pytest.raises(ClientError, match="have not succeeded"):  # a failing test is reported
        qa.run_single_ostf_test(7, ["sanity"], f"{SANITY}.test_attach")


def test_fuel_qa_ha_services_on_a_cluster_without_ha(serve, fake_config):
    """assert_ha_services_ready posts ['ha'] alone (fuel-qa mitaka-eol:fuelweb_test/models/fuel_web_client.py:
    193-211): a cluster without the `ha` tag gets a finished, empty run and the job goes on."""
    server = serve(configs=(fake_config,))
    qa = FuelQa(server.url + "/ostf")

    assert qa.run_ostf(7, ["ha"]) == {}
    assert [r["testset"] for r in qa.ostf_test_wait(7, 5)] == ["ha"]


def test_fuel_ui_run_then_restart_with_a_new_check(serve, fake_config, tmp_path):
    """Run tests (POST), then a new check appears and is checked: Run tests again restarts the set's last run with
    every checked id, the new one included, plus an id that no longer exists (fuel-ui 9.0:
    static/views/cluster_page_tabs/healthcheck_tab.js:136-194)."""
    suite = tmp_path / "suite" / "ostf_fake"
    shutil.copytree(FAKE_SUITE, suite, ignore=shutil.ignore_patterns("__pycache__"))
    server = serve(configs=(fake_config,), tests_dir=suite)
    ui = FuelUi(server.url + "/ostf", 7, credentials={"user": "admin", "tenant": "admin", "password": "pässwörd"})
    ui.open_tab()
    ui.run_tests([f"{SANITY}.test_keystone"])
    first = ui.wait_finished()[0]
    assert statuses(first) == {"test_keystone": "success", "test_attach": "disabled"}

    (suite / "sanity" / "test_new.py").write_text(
        "from fuel_health.pytest_plugin import ostf\n\n\n@ostf.scenario(title='New check', steps=['Do it'])\n"
        "def test_new(step):\n    pass\n")
    ui.open_tab()
    ui.tests.append({"id": f"{SANITY}.test_gone", "testset": "sanity"})  # checked before it was removed
    ui.run_tests([f"{SANITY}.test_keystone", "ostf_fake.sanity.test_new.test_new", f"{SANITY}.test_gone"])
    again = ui.wait_finished()[0]

    assert again["id"] == first["id"]
    assert statuses(again) == {"test_keystone": "success", "test_attach": "disabled", "test_new": "success"}
    assert again["meta"]["ostf_os_access_creds"] == {"ostf_os_username": "admin", "ostf_os_tenant_name": "admin"}


def test_fuel_ui_restart_with_a_check_that_applies_since_the_cluster_changed(serve, fake_config):
    """The cluster gains vCenter: its vCenter check is checked and Run tests restarts smoke's last run with it
    (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:157-163)."""
    server = serve(configs=(fake_config,))
    ui = FuelUi(server.url + "/ostf", 7)
    ui.open_tab()
    ui.run_tests([f"{SMOKE}.test_skip"])
    assert [r["testset"] for r in ui.wait_finished()] == ["smoke"]

    cfg = yaml.safe_load(fake_config.read_text())
    cfg["cluster"]["use_vcenter"] = True
    cfg["hypervisors"]["vcenter"] = {"zone": "vcenter"}
    cfg["vmware_attributes"] = {"availability_zones": [{
        "az_name": "vcenter", "vcenter_host": "127.0.0.1", "vcenter_username": "u", "vcenter_password": "p",
        "nova_computes": [{"service_name": "vmcluster1", "vsphere_cluster": "Cluster1",
                           "datastore_regex": ".*", "target_node": {"current": {"id": "controllers"}}}]}]}
    fake_config.write_text(yaml.safe_dump(cfg))
    ui.open_tab()
    ui.run_tests([f"{SMOKE}.test_skip", f"{SMOKE}.test_vcenter"])
    smoke = ui.wait_finished()[0]

    assert statuses(smoke) == {"test_slow": "disabled", "test_error": "disabled", "test_skip": "skipped",
                               "test_vcenter": "success"}


def test_fuel_ui_stop_while_a_run_is_finishing(serve, fake_config):
    """Stop sends every run seen running at the last poll; the first has finished since: 200, and the next is
    stopped (fuel-ui 9.0:static/views/cluster_page_tabs/healthcheck_tab.js:196-216)."""
    server = serve(configs=(fake_config,), env={"FAKE_SLOW_SECONDS": "60"})
    ui = FuelUi(server.url + "/ostf", 7)
    ui.open_tab()
    ui.run_tests([f"{SANITY}.test_keystone", f"{SMOKE}.test_slow"])
    ui.poll()
    sanity, smoke = (next(r for r in ui.testruns if r["testset"] == s) for s in ("sanity", "smoke"))
    server.wait(smoke["id"], lambda r: "created" in server.marks_text())
    server.wait(sanity["id"])
    for r in ui.testruns:
        r["status"] = "running"  # the UI's poll from before sanity finished

    answer = ui.stop_tests()
    done = server.wait(smoke["id"], timeout=30)

    assert [r["id"] for r in answer] == [sanity["id"], smoke["id"]]
    assert statuses(server.ok("GET", f"/v1/testruns/{sanity['id']}"))["test_keystone"] == "success"
    assert by_name(done)["test_slow"]["message"] == "stopped while running; its cleanup ran"


@pytest.mark.parametrize(("method", "path", "body", "code"), [
    ("GET", "/ostf/testruns/999", None, 404),
    ("POST", "/ostf/testruns", [{"testset": "sanity"}], 400),
    ("POST", "/ostf/testruns", [{"testset": "sanity", "tests": ["x.y"], "metadata": {"cluster_id": 7}}], 404),
])
def test_every_error_body_has_the_message_fuel_ui_shows(serve, fake_config, method, path, body, code):
    """Fuel UI's error dialog shows `message` only (fuel-ui 9.0:static/utils.js:273-287)."""
    server = serve(configs=(fake_config,), args=("--no-execute",))

    resp = server.call(method, path, body)

    assert resp.status_code == code
    assert resp.json()["message"] == resp.json()["detail"] and resp.json()["message"]


def test_a_second_post_of_a_running_set_is_409_with_a_message(serve, fake_config):
    server = serve(configs=(fake_config,), env={"FAKE_SLOW_SECONDS": "60"})
    ui = FuelUi(server.url + "/ostf", 7)
    ui.open_tab()
    ui.run_tests([f"{SMOKE}.test_slow"])

    second = [{"testset": "smoke", "metadata": {"cluster_id": 7}}]
    with pytest.raises(ClientError, match=r"dialog: test set smoke is still running on cluster 7 .* \(HTTP 409\)"):
        FuelUi(server.url + "/ostf", 7)._call("POST", "/testruns", second)
    ui.poll()
    ui.stop_tests()
