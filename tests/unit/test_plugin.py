"""The pytest plugin, driven through pytester with a tiny suite and a config file (no cloud: no preflight)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

SUITE = '''
from pathlib import Path

from fuel_health.pytest_plugin import ostf

MARKS = Path({marks!r})


def note(text):
    with MARKS.open("a") as f:
        f.write(text + "\\n")


@ostf.scenario(title="KVM works", steps=["Boot", "Check"], tags="kvm | qemu", hypervisor="kvm")
def test_kvm_ok(step, cleanup, names):
    with step(1):
        cleanup.add("delete a", lambda: note("cleaned " + names("server")))
    with step(2):
        pass


@ostf.scenario(title="KVM attach", steps=["Boot", "Attach the volume"], tags="qemu, volumes_lvm")
def test_kvm_attach(step, cleanup):
    cleanup.add("delete b", lambda: note("cleaned attach"))
    with step(1):
        pass
    with step(2):
        raise RuntimeError("Invalid volume: not in the same availability_zone")


@ostf.scenario(title="vCenter boots", steps=["Boot"], tags="use_vcenter", hypervisor="vcenter")
def test_vcenter_boot(step):
    pass


def test_plain():
    pass
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, tmp_path):
    """A package `suite.smoke.test_checks` in the pytester dir; returns the cleanup marks file."""
    marks = tmp_path / "marks.txt"
    pkg = pytester.mkpydir("suite")
    (pkg / "smoke").mkdir()
    (pkg / "smoke" / "__init__.py").write_text("")
    (pkg / "smoke" / "test_checks.py").write_text(SUITE.format(marks=str(marks)))
    return marks


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--no-preflight", *args)


def test_deselects_with_reasons_reports_steps_and_always_cleans_up(pytester, suite, kvm_raw, write_config):
    junit = pytester.path / "junit.xml"

    result = run(pytester, "--cluster-config", str(write_config(kvm_raw)), "--run-id", "3fa2c01b",
                 f"--junitxml={junit}", "-rf")

    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=1, deselected=1)
    result.stdout.fnmatch_lines([
        "fuel-health: run 3fa2c01b, cluster lab-kvm_only*",
        "*==== fuel-health: run 3fa2c01b on lab-kvm_only ====*",
        "test set           passed   failed    error  skipped",
        "smoke                   1        1        0        0",
        "hypervisor         passed   failed    error  skipped",
        "any                     0        1        0        0",
        "kvm                     1        0        0        0",
        "failed (1):",
        "  suite.smoke.test_checks.test_kvm_attach: Step 2 failed: Attach the volume: RuntimeError: Invalid "
        "volume: not in the same availability_zone",
        "not applicable here (1):",
        "  1 x needs use_vcenter (cluster has: *): test_vcenter_boot",
        "leftovers, if any: fuel-health cleanup --run-id 3fa2c01b",
    ])
    assert sorted(suite.read_text().splitlines()) == ["cleaned attach", "cleaned ostf-3fa2c01b-main-server-1"]

    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["test_kvm_attach"].iter("property")}
    assert props == {"ostf_id": "suite.smoke.test_checks.test_kvm_attach", "test_set": "smoke",
                     "hypervisor": "any", "step": "2", "api_calls": "0", "api_calls_by": "", "http_s": "0.00",
                     "waits": "0", "polls": "0", "wait_s": "0.00", "detect_gaps_s": ""}  # no cloud: nothing counted
    assert "step" not in {p.get("name") for p in cases["test_kvm_ok"].iter("property")}
    assert not list(cases["test_plain"].iter("property"))


def test_set_and_hypervisor_filters(pytester, suite, dual_raw, write_config):
    result = run(pytester, "--cluster-config", str(write_config(dual_raw)), "--hypervisor", "vcenter")
    result.assert_outcomes(passed=2, failed=1, deselected=1)  # kvm_attach says no hypervisor: it stays in
    result.stdout.fnmatch_lines(["  1 x hypervisor kvm not selected (--hypervisor vcenter): test_kvm_ok"])


def test_nothing_applicable_is_cannot_run(pytester, suite, dual_raw, write_config):
    result = run(pytester, "--cluster-config", str(write_config(dual_raw)), "--set", "sanity", "-k", "not plain")
    assert result.ret == 3
    result.stdout.fnmatch_lines(["no check ran: exit code 3 (cannot run), see why below",
                                 "  3 x test set smoke not selected (--set sanity): *"])


def test_a_bad_config_exits_3_with_one_line(pytester, suite, dual_raw, write_config):
    dual_raw["cluster"]["net_provider"] = "quantum"
    result = run(pytester, "--cluster-config", str(write_config(dual_raw)))
    assert result.ret == 3
    lines = [line for line in result.stderr.lines if "fuel-health" in line]
    assert lines == ["Exit: fuel-health: cannot run: cluster.net_provider: 'quantum' is not valid "
                     "(one of nova_network, neutron)"]


def test_asking_for_checks_without_any_config_exits_3(pytester, suite):
    result = run(pytester, "--set", "smoke")
    assert result.ret == 3
    assert result.stderr.lines[-1].startswith("Exit: fuel-health: cannot run: config: no cluster config found (")


DOWN_SUITE = '''
from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Nova answers", steps=["List servers"], tags="kvm | qemu", hypervisor="kvm")
def test_needs_the_cloud(ctx, step):
    with step(1):
        list(ctx.conn.compute.servers())


@ostf.scenario(title="A config file check", steps=["Read"], tags="kvm | qemu")
def test_needs_nothing(step):
    with step(1):
        pass
'''


def test_an_unreachable_keystone_fails_its_checks_and_the_others_still_run(pytester, kvm_raw, write_config):
    # Real closed port, no double. It used to be "cannot run" (exit 3) with not one check run.
    kvm_raw["cloud"]["auth"]["auth_url"] = "http://127.0.0.1:9/v3"
    pkg = pytester.mkpydir("suite")
    (pkg / "sanity").mkdir()
    (pkg / "sanity" / "__init__.py").write_text("")
    (pkg / "sanity" / "test_down.py").write_text(DOWN_SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--cluster-config", str(write_config(kvm_raw)))
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["DOWN: keystone at http://127.0.0.1:9/v3 is unreachable: *",
                                 "*suite.sanity.test_down.test_needs_the_cloud: Step 1 failed: List servers: "
                                 "keystone at http://127.0.0.1:9/v3 is unreachable: *"])


def test_a_test_module_that_does_not_import_is_cannot_run(pytester, suite, kvm_raw, write_config):
    (pytester.path / "suite" / "smoke" / "test_broken.py").write_text("import no_such_module\n")
    result = run(pytester, "--cluster-config", str(write_config(kvm_raw)))
    assert result.ret == 3


def test_unknown_test_set_is_a_usage_error(pytester, suite, kvm_raw, write_config):
    result = run(pytester, "--cluster-config", str(write_config(kvm_raw)), "--set", "smok")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--set: unknown test set(s) smok (known: sanity, smoke, *"])


def test_inert_for_ordinary_test_runs(pytester):
    pytester.makepyfile(test_ordinary="def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)
    assert "fuel-health" not in result.stdout.str()


def test_ostf_tests_without_any_config_are_left_out_not_failed(pytester, suite):
    # When the same session collected fuel_health/tests, the repo is on sys.path and its egg-info makes pytest
    # warn that fuel_health "cannot be rewritten": not this plugin's warning, so not counted here.
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
    result.assert_outcomes(passed=1, deselected=3, warnings=1)
    result.stdout.fnmatch_lines(["*fuel-health: 3 OSTF checks deselected: no cluster config*"])


def test_markers_are_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.ostf: *", "@pytest.mark.hypervisor_vcenter: *",
                                 "@pytest.mark.configuration: OSTF test set *"])


def test_xdist_workers_share_the_run_id_and_report_deselections(pytester, suite, kvm_raw, write_config):
    result = run(pytester, "--cluster-config", str(write_config(kvm_raw)), "--run-id", "0badc0de", "-n", "2")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*==== fuel-health: run 0badc0de on lab-kvm_only ====*",
                                 "  1 x needs use_vcenter (cluster has: *): test_vcenter_boot"])
    cleaned = sorted(suite.read_text().splitlines())
    assert cleaned[0] == "cleaned attach"
    assert re.fullmatch(r"cleaned ostf-0badc0de-gw[01]-server-1", cleaned[1])


INTERRUPTED = '''
import os
import signal
from pathlib import Path

from fuel_health.pytest_plugin import ostf


@ostf.scenario(title="Interrupted", steps=["Create", "Wait"])
def test_interrupted(step, cleanup):
    with step(1):
        cleanup.add("delete it", lambda: Path({marks!r}).write_text("cleaned"))
    with step(2):
        {interrupt}
'''


@pytest.mark.parametrize("interrupt", ["raise KeyboardInterrupt", "os.kill(os.getpid(), signal.SIGTERM)"],
                         ids=["ctrl-c", "sigterm"])
def test_cleanup_runs_on_interrupt_and_sigterm(pytester, kvm_raw, write_config, tmp_path, interrupt):
    marks = tmp_path / "marks.txt"
    pkg = pytester.mkpydir("suite")
    (pkg / "sanity").mkdir()
    (pkg / "sanity" / "__init__.py").write_text("")
    (pkg / "sanity" / "test_stop.py").write_text(INTERRUPTED.format(marks=str(marks), interrupt=interrupt))

    # In a subprocess: a SIGTERM that is not handled must not take the outer test run down.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--no-preflight", "--run-id", "5eed5eed",
                                           "--cluster-config", str(write_config(kvm_raw)))

    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert marks.read_text() == "cleaned"
    result.stdout.fnmatch_lines(["leftovers, if any: fuel-health cleanup --run-id 5eed5eed"])


def test_allure_results_carry_the_metadata_and_numbered_steps(pytester, suite, kvm_raw, write_config):
    allure_dir = pytester.path / "allure"
    run(pytester, "--cluster-config", str(write_config(kvm_raw)), f"--alluredir={allure_dir}")

    results = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    attach = next(r for r in results if r["fullName"].endswith("test_kvm_attach"))
    labels = {(label["name"], label["value"]) for label in attach["labels"]}
    assert attach["name"] == "KVM attach"
    assert {("feature", "smoke"), ("story", "any"), ("ostf_id", "suite.smoke.test_checks.test_kvm_attach")} <= labels
    assert [(s["name"], s["status"]) for s in attach["steps"]] == [("Step 1. Boot", "passed"),
                                                                  ("Step 2. Attach the volume", "failed")]


NONE_SUITE = '''
from fuel_health.pytest_plugin import ostf, params


@ostf.scenario(title="Each node", steps=["Read"], tags="kvm | qemu")
@params.for_each("node", lambda cfg: [], what="node running nova-api")
def test_each_node(step, node):
    with step(1):
        pass
'''


def test_a_check_with_nothing_to_check_fails_with_a_reason(pytester, kvm_raw, write_config):
    # It used to be one skipped `[none]` case, and the run exited 0.
    pkg = pytester.mkpydir("suite")
    (pkg / "configuration").mkdir()
    (pkg / "configuration" / "__init__.py").write_text("")
    (pkg / "configuration" / "test_none.py").write_text(NONE_SUITE)
    result = run(pytester, "--cluster-config", str(write_config(kvm_raw)))
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_each_node[[]none[]]: nothing to check: the cluster config lists no node "
                                 "running nova-api, though this check applies*"])
