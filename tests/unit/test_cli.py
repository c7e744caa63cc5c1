"""The fuel-health command: list, config show, run's pytest command line, exit codes."""

from __future__ import annotations

import sys

import pytest

from fuel_health import cli


def test_list_says_per_test_whether_it_applies(dual_raw, write_config, sample_suite, capsys):
    code = cli.main(["list", "--config", str(write_config(dual_raw)), "--package", sample_suite])

    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "cluster: lab-dual_hv" in out and "deployment tags: cinder_vmdk_node, kvm_compute," in out
    assert "sanity (1): Sanity tests. Duration 30 sec - 2 min" in out
    assert "  applies  ostf_sample.smoke.kvm.test_boot.test_boot_and_attach [kvm]: Boot TestVM in the KVM " \
           "zone and attach a volume" in out
    assert "  applies  ostf_sample.smoke.vcenter.test_boot.test_attach_vmdk [vcenter]: Attach a VMDK volume" in out
    assert "  n/a      ostf_sample.ha.test_pacemaker.test_pacemaker: test set ha needs ha (cluster has: " in out
    assert "tests_platform (4): Platform services functional tests. Duration 3 min - 60 min  [no tests]" in out
    assert out.rstrip().endswith("7 tests, 6 apply to this cluster")


def test_list_filters_and_kvm_only_reasons(kvm_raw, write_config, sample_suite, capsys):
    cli.main(["list", "--config", str(write_config(kvm_raw)), "--package", sample_suite, "--hypervisor", "kvm"])
    out = capsys.readouterr().out
    assert "n/a      ostf_sample.smoke.vcenter.test_boot.test_boot [vcenter]: hypervisor vcenter not selected " \
           "(--hypervisor kvm)" in out
    assert "n/a      ostf_sample.smoke.cross_zone.test_attach.test_cross_zone_attach_refused [both]: hypervisor " \
           "both not selected" in out
    assert "applies  ostf_sample.sanity.test_api.test_keystone" in out


def test_list_without_any_config_still_lists(sample_suite, capsys):
    assert cli.main(["list", "--package", sample_suite]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "cluster: none" in out and "  ?        ostf_sample.sanity.test_api.test_keystone" in out


def test_config_show_masks_every_secret(dual_raw, write_config, capsys, vc_password, os_password):
    dual_raw["cloud"] = {"auth": {"auth_url": "http://k:5000/v3", "username": "admin", "password": os_password,
                                  "project_name": "admin"}}
    assert cli.main(["config", "show", "--config", str(write_config(dual_raw))]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert vc_password not in out and os_password not in out
    assert out.count("password: '***'") == 2
    assert "# deployment tags: " in out


@pytest.mark.parametrize("command", [["list"], ["config", "show"], ["cleanup", "--prefix", "ostf"],
                                     ["run", "--no-preflight"]])
def test_a_bad_config_file_exits_3_with_one_line(dual_raw, write_config, command, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    del dual_raw["hypervisors"]["kvm"]
    code = cli.main([*command, "--config", str(write_config(dual_raw))])
    captured = capsys.readouterr()
    assert code == cli.EXIT_CANNOT_RUN
    errors = [line for line in captured.err.splitlines() if "cannot run" in line]
    assert len(errors) == 1 and errors[0].endswith(
        "cannot run: hypervisors.kvm.zone: missing (set the KVM availability zone name; Fuel's is nova)")


def test_run_with_no_applicable_check_is_cannot_run(kvm_raw, write_config, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    # pytest's prepend import mode puts the repo on sys.path while it collects the suite: undo that after.
    monkeypatch.setattr(sys, "path", list(sys.path))
    # The ha set needs the `ha` tag: a multinode cluster has no check to run there.
    code = cli.main(["run", "--no-preflight", "--run-id", "3fa2c01b", "--set", "ha",
                     "--config", str(write_config(kvm_raw))])
    out = capsys.readouterr().out
    assert code == cli.EXIT_CANNOT_RUN
    assert "JUnit:  reports/junit-3fa2c01b.xml" in out and "allure: reports/allure-3fa2c01b" in out
    assert (tmp_path / "reports" / "junit-3fa2c01b.xml").exists()


def test_run_builds_a_thin_pytest_command_line():
    args = cli.build_parser().parse_args(["run", "--set", "smoke,sanity", "--hypervisor", "vcenter", "-k", "boot",
                                          "-n", "4", "--config", "c.yaml", "--config-set", "timeouts.boot=300",
                                          "--", "-x"])
    argv = cli.pytest_argv(args, "3fa2c01b", "r/j.xml", "r/a")
    assert argv[0] == str(cli.TESTS_DIR)
    for pair in (["--run-id", "3fa2c01b"], ["--junitxml", "r/j.xml"], ["--alluredir", "r/a"],
                 ["--cluster-config", "c.yaml"], ["--set", "smoke,sanity"], ["--hypervisor", "vcenter"],
                 ["-k", "boot"], ["-n", "4"], ["--config-set", "timeouts.boot=300"]):
        i = argv.index(pair[0])
        assert argv[i:i + 2] == pair
    assert argv[-1] == "-x"


def test_cleanup_needs_a_run_id_or_a_prefix():
    with pytest.raises(SystemExit) as err:
        cli.main(["cleanup"])
    assert err.value.code == 2


def test_cleanup_against_an_unreachable_cloud_is_cannot_run(kvm_raw, write_config, capsys):
    kvm_raw["cloud"]["auth"]["auth_url"] = "http://127.0.0.1:9/v3"
    assert cli.main(["cleanup", "--run-id", "3fa2c01b", "--config", str(write_config(kvm_raw))]) == 3
    assert "cannot run: keystone at http://127.0.0.1:9/v3 is unreachable" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert cli.main([]) == cli.EXIT_INTERRUPTED
    assert "usage: fuel-health" in capsys.readouterr().err


def test_the_health_run_loads_only_its_own_plugins(tmp_path):
    # Autoload imported every installed pytest plugin (schemathesis, hypothesis, anyio...) at each start.
    import subprocess
    from types import SimpleNamespace

    env = cli.plugin_env(SimpleNamespace(workers=None))
    assert env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1" and "xdist.plugin" not in env["PYTEST_PLUGINS"]
    assert "xdist.plugin" in cli.plugin_env(SimpleNamespace(workers="2"))["PYTEST_PLUGINS"]
    out = subprocess.run([sys.executable, "-m", "pytest", "--trace-config", "-p", "no:cacheprovider", "--co", "-q",
                          str(tmp_path)], env={**__import__("os").environ, **env}, capture_output=True, text=True,
                         cwd=tmp_path)
    loaded = "\n".join(line for line in (out.stdout + out.stderr).splitlines() if line.startswith("PLUGIN registered"))
    assert "fuel_health/pytest_plugin/plugin.py" in loaded and "allure_pytest/plugin.py" in loaded
    for dev_tool in ("schemathesis", "hypothesis", "anyio", "pytest_httpserver", "xdist"):
        assert dev_tool not in loaded


def test_commands_other_than_serve_do_not_import_the_adapter(tmp_path):
    # build_parser imported the adapter (FastAPI, SQLAlchemy: about a second) for every command, `run` included.
    import subprocess

    code = ("import sys; from fuel_health import cli; cli.main(['list', '--config', sys.argv[1]]); "
            "print('ADAPTER', any(m.startswith(('sqlalchemy', 'fastapi', 'fuel_health.adapter')) "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "missing.yaml")], capture_output=True, text=True)
    assert "ADAPTER False" in out.stdout, out.stdout + out.stderr
