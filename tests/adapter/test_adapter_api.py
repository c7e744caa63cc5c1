"""The adapter's REST API over real HTTP, running the fake suite (no cloud): catalogue, runs, stop, errors."""

from __future__ import annotations

import os
import shutil
import signal
import time

from adapter_harness import FAKE_SUITE, by_name, statuses

SANITY = "ostf_fake.sanity.test_api"
SMOKE = "ostf_fake.smoke.test_fake"


def test_catalogue_follows_the_cluster_tags_under_every_prefix(serve, fake_config):
    server = serve(configs=(fake_config,))

    sets = server.ok("GET", "/v1/testsets/7")
    tests = server.ok("GET", "/v1/tests/7")

    assert sets == [{"id": "sanity", "name": "Sanity tests. Duration 30 sec - 2 min"},
                    {"id": "smoke", "name": "Functional tests. Duration 3 min - 14 min"}]
    assert [t["id"].rsplit(".", 1)[-1] for t in tests] == ["test_keystone", "test_attach", "test_slow",
                                                           "test_error", "test_skip"]  # no vCenter here
    attach = tests[1]
    assert attach["name"] == "Volume attaches" and attach["duration"] == "20 s"
    assert "Scenario:\n  1. Create a volume\n  2. Attach it" in attach["description"]
    for prefix in ("/ostf", "/ostf/v1"):  # Fuel UI's paths, and the /ostf-prefixed API
        assert server.ok("GET", f"{prefix}/testsets/7") == sets
    assert server.ok("GET", "/v1/clusters")[0]["name"] == "fake-kvm"


def test_run_streams_statuses_and_refuses_a_second_run_of_the_set(serve, fake_config, db_url):
    server = serve(configs=(fake_config,), db=db_url)

    run = server.post_run("sanity")  # no GET of the tests first
    again = server.call("POST", "/v1/testruns", {"objects": [{"testset": "sanity",
                                                              "metadata": {"cluster_id": 7}}]})
    done = server.wait(run["id"])

    assert run["status"] == "running" and set(statuses(run).values()) <= {"wait_running", "running", "success"}
    assert again.status_code == 409 and "still running on cluster 7" in again.json()["detail"]
    assert statuses(done) == {"test_keystone": "success", "test_attach": "failure"}
    attach = by_name(done)["test_attach"]
    assert attach["step"] == 2 and attach["message"].startswith("Step 2 failed: Attach it: RuntimeError: Invalid")
    assert attach["taken"] is not None and done["ended_at"]
    assert [r["id"] for r in server.ok("GET", "/ostf/testruns/last/7")] == [run["id"]]


def test_statuses_of_errors_skips_and_unselected_tests(serve, fake_config):
    server = serve(configs=(fake_config,))

    run = server.post_run("smoke", tests=[f"{SMOKE}.test_error", f"{SMOKE}.test_skip"])
    done = server.wait(run["id"])

    assert statuses(done) == {"test_slow": "disabled", "test_error": "error", "test_skip": "skipped"}
    assert by_name(done)["test_error"]["message"] == "RuntimeError: helper exploded"
    assert by_name(done)["test_skip"]["message"] == "no TestVM image in glance"


def test_a_run_whose_pytest_cannot_start_errors_each_test_with_the_reason(serve, fake_config):
    # (An unreachable keystone no longer stops a run: the checks that need it fail by themselves, commit 51fc1fd.)
    server = serve(configs=(fake_config,), args=("--pytest-arg=--no-such-option",))

    done = server.wait(server.post_run("sanity")["id"])

    assert statuses(done) == {"test_keystone": "error", "test_attach": "error"}
    assert by_name(done)["test_keystone"]["message"].startswith("not run: ERROR: usage:"), done


def test_stop_interrupts_the_run_and_its_cleanup_runs(serve, fake_config):
    server = serve(configs=(fake_config,), env={"FAKE_SLOW_SECONDS": "60"})
    run = server.post_run("smoke", tests=[f"{SMOKE}.test_slow", f"{SMOKE}.test_error"])
    server.wait(run["id"], lambda r: "created" in server.marks_text())

    server.ok("PUT", "/v1/testruns", [{"id": run["id"], "status": "stopped"}])
    done = server.wait(run["id"], timeout=30)

    assert statuses(done) == {"test_slow": "stopped", "test_error": "stopped", "test_skip": "disabled"}
    assert by_name(done)["test_slow"]["message"] == "stopped while running; its cleanup ran"
    assert f"cleaned {done['meta']['run_id']}" in server.marks_text()
    again = server.ok("PUT", "/v1/testruns", [{"id": run["id"], "status": "stopped"}])  # a no-op, as fuel-ostf
    assert again == [done]


def test_restart_reruns_only_the_named_tests(serve, fake_config):
    server = serve(configs=(fake_config,))
    first = server.wait(server.post_run("sanity")["id"])

    server.ok("PUT", "/v1/testruns", [{"id": first["id"], "status": "restarted", "tests": [f"{SANITY}.test_attach"]}])
    again = server.wait(first["id"])

    assert statuses(again) == {"test_keystone": "success", "test_attach": "failure"}
    assert again["meta"]["run_id"] != first["meta"]["run_id"]  # new resource names for the rerun
    assert server.ok("GET", "/v1/testruns") == [again]


def test_a_put_list_with_a_refused_restart_starts_none_of_them(serve, fake_config):
    """All or none, as POST: Fuel UI sends one item per set and shows only the error (healthcheck_tab.js:136-170)."""
    server = serve(configs=(fake_config,), env={"FAKE_SLOW_SECONDS": "60"})
    sanity = server.wait(server.post_run("sanity")["id"])
    smoke = server.post_run("smoke", tests=[f"{SMOKE}.test_slow"])  # still running: its restart is refused

    res = server.call("PUT", "/v1/testruns", [{"id": sanity["id"], "status": "restarted"},
                                              {"id": smoke["id"], "status": "restarted"}])

    assert res.status_code == 409 and f"test run {smoke['id']} is still running" in res.json()["message"]
    assert server.ok("GET", f"/v1/testruns/{sanity['id']}") == sanity  # not relaunched behind the error
    server.ok("PUT", "/v1/testruns", [{"id": smoke["id"], "status": "stopped"}])
    server.wait(smoke["id"], timeout=30)


def test_a_new_test_module_is_served_without_a_restart(serve, fake_config, tmp_path):
    suite = tmp_path / "suite" / "ostf_fake"
    shutil.copytree(FAKE_SUITE, suite, ignore=shutil.ignore_patterns("__pycache__"))
    server = serve(configs=(fake_config,), tests_dir=suite)
    assert len(server.ok("GET", "/v1/tests/7")) == 5

    (suite / "sanity" / "test_new.py").write_text(
        "from fuel_health.pytest_plugin import ostf\n\n\n@ostf.scenario(title='New check', steps=['Do it'])\n"
        "def test_new(step):\n    pass\n")
    run = server.post_run("sanity", tests=["ostf_fake.sanity.test_new.test_new"])

    assert len(server.ok("GET", "/v1/tests/7")) == 6
    assert statuses(server.wait(run["id"])) == {"test_keystone": "disabled", "test_attach": "disabled",
                                                "test_new": "success"}
    (suite / "smoke" / "test_broken.py").write_text("import no_such_module\n")
    broken = server.call("GET", "/v1/testsets/7")
    assert broken.status_code == 503 and broken.json()["detail"].startswith(
        "cannot import ostf_fake.smoke.test_broken: ModuleNotFoundError")


def test_runs_cut_off_by_an_adapter_crash_end_in_error(serve, fake_config, tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first = serve(configs=(fake_config,), db=db, env={"FAKE_SLOW_SECONDS": "60"})
    run = first.post_run("smoke", tests=[f"{SMOKE}.test_slow"])
    first.wait(run["id"], lambda r: "created" in first.marks_text())
    pytest_pid = first.ok("GET", f"/v1/testruns/{run['id']}") and _pytest_pid(first)

    first.stop(signal.SIGKILL)  # no shutdown: the run is left `running` in the database
    second = serve(configs=(fake_config,), db=db)
    done = second.ok("GET", f"/v1/testruns/{run['id']}")

    assert done["status"] == "finished" and statuses(done)["test_slow"] == "error"
    assert by_name(done)["test_slow"]["message"] == "interrupted: the adapter restarted during the run"
    _wait_gone(pytest_pid)  # the orphan got SIGINT and cleaned up
    assert f"cleaned {run['meta']['run_id']}" in second.marks_text()


def test_adapter_shutdown_interrupts_runs_and_records_them(serve, fake_config, tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first = serve(configs=(fake_config,), db=db, env={"FAKE_SLOW_SECONDS": "60"})
    run = first.post_run("smoke", tests=[f"{SMOKE}.test_slow"])
    first.wait(run["id"], lambda r: "created" in first.marks_text())

    assert first.stop(signal.SIGTERM) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once done
    done = serve(configs=(fake_config,), db=db).ok("GET", f"/v1/testruns/{run['id']}")

    assert by_name(done)["test_slow"]["message"] == "interrupted: the adapter shut down during the run"
    assert f"cleaned {run['meta']['run_id']}" in first.marks_text()


BAD = [
    ("POST", "/v1/testruns", "[{\"testset\": ", 400, "malformed JSON: "),
    ("POST", "/v1/testruns", [{"testset": "sanity"}], 400, "body[0].metadata: Field required"),
    ("POST", "/v1/testruns", {"testset": "sanity"}, 400, "body.objects: Field required (send a JSON list"),
    ("POST", "/v1/testruns", [{"testset": "nope", "metadata": {"cluster_id": 7}}], 400,
     "body[0].testset: Input should be 'sanity', 'smoke', "),
    ("POST", "/v1/testruns", [{"testset": "sanity", "metadata": {"cluster_id": 8}}], 404,
     "unknown cluster 8 (known: 7)"),
    ("POST", "/v1/testruns", [{"testset": "sanity", "tests": ["x.y"], "metadata": {"cluster_id": 7}}], 404,
     "unknown test x.y"),
    ("POST", "/v1/testruns", [{"testset": "smoke", "tests": [f"{SMOKE}.test_vcenter"],
                               "metadata": {"cluster_id": 7}}], 404, "does not apply to cluster 7: needs use_vcenter"),
    ("PUT", "/v1/testruns", [{"id": 999, "status": "stopped"}], 404, "no test run 999"),
    ("PUT", "/v1/testruns", [{"id": 1, "status": "paused"}], 400, "body[0].status: Input should be 'stopped'"),
    ("GET", "/v1/testruns/999", None, 404, "no test run 999"),
    ("GET", "/v1/tests/abc", None, 400, "path.cluster_id: Input should be a valid integer"),
    ("GET", "/v1/testsets/99999999999", None, 400, "path.cluster_id: Input should be less than or equal"),
    ("GET", "/v1/testsets/8", None, 404, "unknown cluster 8"),
    ("GET", "/v1/testruns/last/8", None, 404, "unknown cluster 8"),
]


def test_bad_input_gets_a_one_line_4xx(serve, fake_config):
    server = serve(configs=(fake_config,), args=("--no-execute",))

    for method, path, body, code, detail in BAD:
        resp = server.call(method, path, body)
        got = resp.json().get("detail", "")
        assert resp.json().get("message") == got, f"{method} {path} {body}: {resp.text}"
        assert (resp.status_code, "\n" in got) == (code, False), f"{method} {path} {body}: {resp.text}"
        assert got.startswith(detail) or detail in got, f"{method} {path} {body}: {got}"


def _pytest_pid(server) -> int:
    import psutil

    children = psutil.Process(server.proc.pid).children()
    return next(c.pid for c in children if "--ostf-testrun-id" in c.cmdline())


def _wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError(f"pytest {pid} still running {timeout} s after the adapter restart")
