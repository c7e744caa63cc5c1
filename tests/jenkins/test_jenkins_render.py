"""The jobs of jenkins/ as `jenkins-jobs test` renders them: parameters, commands, bindings, publishers, chain.

Also checks the Jenkins model of jenkins_sim.py on tiny jobs, so the build tests rest on a model that can fail.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from jenkins_sim import Job, run_build

from fuel_health import cli
from fuel_health import config as fh_config

ROOT = Path(__file__).resolve().parents[2]
HEALTH_JOBS = ("fuel-health-prod-dualhv", "fuel-health-local-lab")
GROUP_JOB = "fuel-dualhv-system-test.{}"
SYSTEST_GROUPS = ("deploy_kvm", "add_vcenter_compute", "add_cinder_vmdk_ha", "negative")


def test_every_job_renders(jobs: dict[str, Job]) -> None:
    assert set(jobs) == {*HEALTH_JOBS, *(GROUP_JOB.format(g) for g in SYSTEST_GROUPS), "fuel-dualhv-ostf-ci"}


# --- health check -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HEALTH_JOBS)
def test_health_job_parameters(jobs: dict[str, Job], name: str) -> None:
    params = {p.name: p for p in jobs[name].parameters}
    assert list(params) == ["NAILGUN_URL", "CLUSTER_ID", "TEST_SETS", "HYPERVISOR", "WORKERS", "CLUSTER_CONFIG"]
    assert params["HYPERVISOR"].choices == ("all", "kvm", "vcenter")
    # Jenkins exports every parameter as an environment variable: a FUEL_HEALTH_* name would be read by
    # fuel-health as a config override (config.env_overrides) and fail the run as an unknown key.
    assert not [p for p in params if p.startswith(fh_config.ENV_PREFIX)]


def test_health_job_forms(jobs: dict[str, Job]) -> None:
    prod = {p.name: p.default for p in jobs["fuel-health-prod-dualhv"].parameters}
    assert prod["NAILGUN_URL"] == "http://10.20.0.2:8000" and prod["CLUSTER_ID"] == "1"
    assert prod["CLUSTER_CONFIG"] == "", "the Nailgun form is the primary one: no cluster config by default"
    lab = {p.name: p.default for p in jobs["fuel-health-local-lab"].parameters}
    assert lab["CLUSTER_CONFIG"].endswith("fuel-dualhv-lab/fuel-health.yaml") and lab["NAILGUN_URL"] == ""


def test_health_job_periodic_trigger(jobs: dict[str, Job]) -> None:
    spec = {n: jobs[n].root.findtext("triggers/hudson.triggers.TimerTrigger/spec") or "" for n in HEALTH_JOBS}
    assert spec == {"fuel-health-prod-dualhv": "H */4 * * *", "fuel-health-local-lab": ""}  # "" never fires


@pytest.mark.parametrize(("name", "kind", "variables"), [
    ("fuel-health-local-lab", "text", ("FUEL_HEALTH_NAILGUN_TOKEN",)),
    # periodic: a login, since a token expires between runs
    ("fuel-health-prod-dualhv", "username-password-separated",
     ("FUEL_HEALTH_NAILGUN_USERNAME", "FUEL_HEALTH_NAILGUN_PASSWORD")),
])
def test_health_job_nailgun_binding_is_what_fuel_health_reads(jobs: dict[str, Job], name: str, kind: str,
                                                               variables: tuple[str, ...]) -> None:
    (binding,) = jobs[name].bindings
    assert (binding.kind, binding.variables) == (kind, variables)
    # fuel-health takes these variables as the Nailgun credentials (sources, not key overrides: ENV_SOURCES),
    # and config.load reads each of them.
    source = Path(fh_config.sources.__file__).read_text()
    for var in variables:
        assert var.removeprefix(fh_config.ENV_PREFIX) in fh_config.ENV_SOURCES
        assert f'env.get("{var}")' in source


@pytest.mark.parametrize("name", HEALTH_JOBS)
def test_health_job_builder(jobs: dict[str, Job], name: str) -> None:
    (step,) = jobs[name].shell_steps
    assert step.unstable_return == cli.EXIT_UNHEALTHY == 1
    assert step.command.startswith("#!/bin/bash")
    assert re.search(r'^fuel-health "\$\{args\[@\]\}" 2>&1 \| tee "\$reports/fuel-health.log"$', step.command, re.M)
    assert 'args=(run --junit "$reports/junit.xml" --allure-dir "$reports/allure")' in step.command
    assert "reports=reports" in step.command
    assert '--nailgun-url "$NAILGUN_URL" --cluster-id "$CLUSTER_ID"' in step.command
    assert '--config "$CLUSTER_CONFIG"' in step.command
    assert "--nailgun-token" not in step.command


@pytest.mark.parametrize("name", HEALTH_JOBS)
def test_health_job_publishers(jobs: dict[str, Job], name: str) -> None:
    job = jobs[name]
    junit = job.publisher("hudson.tasks.junit.JUnitResultArchiver")
    assert junit is not None and junit.findtext("testResults") == "reports/junit.xml"
    assert junit.findtext("skipMarkingBuildUnstable") == "false"
    allure = job.publisher("ru.yandex.qatools.allure.jenkins.AllureReportPublisher")
    assert allure is not None and [p.text for p in allure.iterfind("config/results/*/path")] == ["reports/allure"]
    archive = job.publisher("hudson.tasks.ArtifactArchiver")
    assert archive is not None and archive.findtext("artifacts") == "reports/**"
    assert archive.findtext("onlyIfSuccessful") == "false", "a failed run's log is what one needs most"
    desc = job.publisher("hudson.plugins.descriptionsetter.DescriptionSetterPublisher")
    assert desc is not None and desc.findtext("regexpForFailed") == "^RESULT: (.*)$"


# --- secrets ----------------------------------------------------------------------------------------------


def _lab_secrets() -> list[str]:
    # The lab's generated passwords: none of them may ever reach a job definition.
    home = Path.home() / ".local/share/fuel-dualhv-lab"
    path = home / "secrets.yaml"
    if not path.is_file():
        return []
    values: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and len(node) >= 8:
            values.append(node)

    walk(yaml.safe_load(path.read_text()))
    return values


def test_no_secret_in_xml_or_command_lines(jobs: dict[str, Job]) -> None:
    secrets = _lab_secrets()
    for job in jobs.values():
        for secret in secrets:
            assert secret not in job.xml, f"{job.name}: a lab secret is in the rendered XML"
        for line in re.findall(r"<(?:defaultValue|credentialsId)>([^<]*)<", job.xml):
            assert not re.search(r"(?i)password|secret|token", line) or line.startswith("fuel-"), line
        bound = {v for b in job.bindings for v in b.variables}
        for step in job.shell_steps:
            code = "\n".join(ln for ln in step.command.splitlines() if not ln.lstrip().startswith("#"))
            for var in bound:
                # A bound secret expanded by the builder would land on a command line (and in its -x trace).
                assert not re.search(rf"\$\{{?{var}\b", code), f"{job.name}: the builder expands ${var}"
            assert not re.search(r"--\w*(password|token)", code), f"{job.name}: a secret option on a command line"


# --- system tests -----------------------------------------------------------------------------------------


def _registry_upstream() -> dict[str, set[str]]:
    """For each proboscis group: the groups its tests' depends_on_groups name (system_tests/scenarios)."""
    from system_tests.runner import load_scenarios

    registry = load_scenarios()
    return {name: {d for e in group.entries for d in e.info.depends_on_groups}
            for name, group in registry.groups.items()}


@pytest.mark.parametrize("group", SYSTEST_GROUPS)
def test_system_test_job(jobs: dict[str, Job], group: str) -> None:
    job = jobs[GROUP_JOB.format(group)]
    params = {p.name: p for p in job.parameters}
    assert list(params) == ["FUEL_RELEASE", "OPENSTACK_RELEASE", "TEST_GROUP", "ENV_NAME", "ISO_PATH",
                            "NAILGUN_URL", "VCENTER_IP", "VENV_PATH", "DRY_RUN"]
    assert params["TEST_GROUP"].default == group and params["DRY_RUN"].default == "false"
    # Variables system_tests' fuel backend reads (system_tests/helpers/fuel.py), bound from credentials.
    assert sorted(v for b in job.bindings for v in b.variables) == [
        "KEYSTONE_PASSWORD", "KEYSTONE_USERNAME", "VCENTER_PASSWORD", "VCENTER_USERNAME"]
    fuel_py = (ROOT / "system_tests/helpers/fuel.py").read_text()
    assert all(f'"{v}"' in fuel_py for b in job.bindings for v in b.variables)
    (step,) = job.shell_steps
    from system_tests.runner import DEFAULT_RELEASE, RELEASES

    assert params["FUEL_RELEASE"].default == DEFAULT_RELEASE
    assert sorted(params["FUEL_RELEASE"].choices) == sorted(RELEASES)  # exactly what --release accepts
    assert ("args=(run --group \"$TEST_GROUP\" --release \"$FUEL_RELEASE\" --backend fuel "
            "--xunit reports/system_tests.xml --reports-dir reports/system_tests)") in step.command
    assert 'python -m system_tests "${args[@]}"' in step.command
    assert job.publisher("hudson.tasks.junit.JUnitResultArchiver").findtext("testResults") == "reports/system_tests.xml"
    archive = job.publisher("hudson.tasks.ArtifactArchiver").findtext("artifacts")
    assert "reports/system_tests/diagnostics/**" in archive  # where collect_diagnostics puts the snapshot


def test_system_test_chain_follows_depends_on_groups(jobs: dict[str, Job]) -> None:
    upstream = _registry_upstream()
    assert set(SYSTEST_GROUPS) <= set(upstream), "every job runs a group proboscis knows"
    for group in SYSTEST_GROUPS:
        job = jobs[GROUP_JOB.format(group)]
        expected = {GROUP_JOB.format(g) for g in SYSTEST_GROUPS if group in upstream[g]}
        assert job.downstream == expected, f"{job.name} triggers {job.downstream}, proboscis says {expected}"
        for cfg in job.root.iterfind("publishers/hudson.plugins.parameterizedtrigger.BuildTrigger/configs/*"):
            assert cfg.findtext("condition") == "SUCCESS"
            passed = cfg.findtext("configs/hudson.plugins.parameterizedtrigger.PredefinedBuildParameters/properties")
            names = {line.split("=", 1)[0] for line in passed.splitlines() if line.strip()}
            assert "TEST_GROUP" not in names and {"ENV_NAME", "ISO_PATH", "FUEL_RELEASE", "OPENSTACK_RELEASE"} <= names
    # The chain's roots are the groups with no prerequisite, and every scenario has its job.
    from system_tests.runner import load_scenarios

    covered = {e.home.__name__ for g in SYSTEST_GROUPS for e in load_scenarios().groups[g].entries}
    assert covered == {e.home.__name__ for e in load_scenarios().groups["dual_hv"].entries}


# --- the project's own CI ----------------------------------------------------------------------------------


def test_project_ci_job_runs_the_readme_quick_start(jobs: dict[str, Job]) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S)
    assert block, "README has no Quick start block"
    readme_cmds = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    job = jobs["fuel-dualhv-ostf-ci"]
    (step,) = job.shell_steps
    cmds = [ln.strip() for ln in step.command.splitlines() if ln.strip().startswith("make ")]
    assert cmds == readme_cmds == ["make health", "make test"]
    assert step.command.startswith("#!/bin/bash -xe")  # the first failing command fails the build
    assert job.root.findtext("scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url")
    assert job.root.find("buildWrappers/hudson.plugins.ws__cleanup.PreBuildCleanup") is not None


# --- the Jenkins model itself -------------------------------------------------------------------------------


def _job(command: str, unstable_return: int | None = None, bindings: str = "") -> Job:
    ur = f"<unstableReturn>{unstable_return}</unstableReturn>" if unstable_return is not None else ""
    xml = textwrap.dedent(f"""\
        <project><properties/><builders><hudson.tasks.Shell><command>{command}</command>{ur}</hudson.tasks.Shell>
        </builders><publishers/><buildWrappers>
        <org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper><bindings>{bindings}</bindings>
        </org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper></buildWrappers></project>""")
    return Job("model", xml, ET.fromstring(xml))


@pytest.mark.parametrize(("command", "unstable", "result", "codes"), [
    ("exit 0", 1, "SUCCESS", [0]),
    ("exit 1", 1, "UNSTABLE", [1]),
    ("exit 3", 1, "FAILURE", [3]),
    ("exit 1", None, "FAILURE", [1]),       # no unstable-return: any non-zero exit fails the build
    ("false\necho after", None, "FAILURE", [1]),  # no #!: /bin/sh -xe stops at the first failure
    ("#!/bin/sh\nfalse\necho reached", None, "SUCCESS", [0]),  # #!: its interpreter, no -e added
])
def test_model_shell_semantics(tmp_path: Path, command: str, unstable: int | None, result: str,
                               codes: list[int]) -> None:
    build = run_build(_job(command, unstable), workspace=tmp_path / "ws", credentials={}, node_env={"PATH": "/bin"})
    assert (build.result, build.exit_codes) == (result, codes)
    assert ("after" in build.console) is False


def test_model_missing_credential_fails_before_any_builder(tmp_path: Path) -> None:
    binding = ("<org.jenkinsci.plugins.credentialsbinding.impl.StringBinding><variable>T</variable>"
               "<credentialsId>absent</credentialsId></org.jenkinsci.plugins.credentialsbinding.impl.StringBinding>")
    build = run_build(_job("echo ran", bindings=binding), workspace=tmp_path / "ws", credentials={},
                      node_env={"PATH": "/bin"})
    assert build.result == "FAILURE" and build.exit_codes == [] and "absent" in build.console
