"""Read the job XML that `jenkins-jobs test` renders, and run a freestyle build of it as Jenkins would.

Jenkins itself cannot run here; what a build does with the rendered XML is replayed, step by step, from
Jenkins' and its plugins' sources (the parts our jobs use, nothing else):

- Parameters become environment variables named after them; a string parameter's default is its
  `defaultValue`, a choice's the first choice, a boolean's "true"/"false"
  (hudson.model.ParametersAction#buildEnvironment, StringParameterValue, ChoiceParameterDefinition).
- credentials-binding (org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper) binds each credential
  to its variables before the builders; an id that is not in the store fails the build
  ("Could not find credentials entry with ID ...", CredentialsProvider.findCredentialById); `file` credentials
  are written to a temporary file whose path is the variable (FileBinding).
- A shell builder (jenkins core hudson/tasks/Shell.java) writes its command to a temporary script and runs
  it in $WORKSPACE: a command starting with `#!` runs with that line's interpreter and arguments
  (Shell#buildCommandLine), any other with `/bin/sh -xe`. Exit 0 passes; an exit equal to the step's
  non-zero `unstableReturn` sets UNSTABLE and goes on (Shell#isErrorlevelForUnstableBuild,
  CommandInterpreter#perform); any other exit marks the build FAILURE and skips the remaining builders
  (AbstractBuild.AbstractBuildExecution#build).
- Publishers run after the builders whatever happened (AbstractBuild#performAllBuildSteps), and a result only
  ever gets worse (Run#setResult). JUnit (hudson.tasks.junit.JUnitResultArchiver): no report file and not
  `allowEmptyResults` -> FAILURE; failed or errored tests -> UNSTABLE unless `skipMarkingBuildUnstable`.
  ArtifactArchiver: nothing matches and not `allowEmptyArchive` -> FAILURE; `onlyIfSuccessful` skips
  archiving a build worse than UNSTABLE. description-setter: the first log line matching `regexp`
  (`regexpForFailed` for a failed build) gives the description, its first group if it has one.
- The allure publisher needs the allure commandline tool, which is not here: its input (the results
  directory, with allure's *-result.json files) is collected, its report is not generated.

Documentation: https://jenkins-job-builder.readthedocs.io/ (builders: shell, `unstable-return`; wrappers:
credentials-binding; publishers: junit, archive, allure, description-setter, trigger-parameterized-builds) and
https://www.jenkins.io/doc/book/using/using-credentials/.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

# Worst last: Run#setResult only moves down this list (hudson.model.Result ordinals).
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")
BINDING = "org.jenkinsci.plugins.credentialsbinding.impl."


def worse(a: str, b: str) -> str:
    """The worse of two build results (Result#combine)."""
    return a if RESULTS.index(a) >= RESULTS.index(b) else b


@dataclass(frozen=True)
class Parameter:
    kind: str  # string | choice | bool
    name: str
    default: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Binding:
    kind: str  # text | file | username-password-separated
    credential_id: str
    variables: tuple[str, ...]


@dataclass(frozen=True)
class ShellStep:
    command: str
    unstable_return: int | None


@dataclass
class Job:
    name: str
    xml: str
    root: ET.Element

    @property
    def parameters(self) -> list[Parameter]:
        found = []
        for el in self.root.iterfind("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/*"):
            name = el.findtext("name", "")
            if el.tag == "hudson.model.StringParameterDefinition":
                found.append(Parameter("string", name, el.findtext("defaultValue") or ""))
            elif el.tag == "hudson.model.ChoiceParameterDefinition":
                choices = tuple(s.text or "" for s in el.iterfind("choices/a/string"))
                found.append(Parameter("choice", name, choices[0] if choices else "", choices))
            elif el.tag == "hudson.model.BooleanParameterDefinition":
                found.append(Parameter("bool", name, el.findtext("defaultValue", "false")))
            else:
                raise AssertionError(f"{self.name}: parameter type {el.tag} is not modelled")
        return found

    @property
    def bindings(self) -> list[Binding]:
        found = []
        for el in self.root.iterfind(f"buildWrappers/{BINDING}SecretBuildWrapper/bindings/*"):
            cid = el.findtext("credentialsId", "")
            if el.tag == BINDING + "StringBinding":
                found.append(Binding("text", cid, (el.findtext("variable", ""),)))
            elif el.tag == BINDING + "FileBinding":
                found.append(Binding("file", cid, (el.findtext("variable", ""),)))
            elif el.tag == BINDING + "UsernamePasswordMultiBinding":
                found.append(Binding("username-password-separated", cid,
                                     (el.findtext("usernameVariable", ""), el.findtext("passwordVariable", ""))))
            else:
                raise AssertionError(f"{self.name}: binding {el.tag} is not modelled")
        return found

    @property
    def shell_steps(self) -> list[ShellStep]:
        steps = []
        for el in self.root.find("builders") or []:
            if el.tag != "hudson.tasks.Shell":
                raise AssertionError(f"{self.name}: builder {el.tag} is not modelled")
            code = el.findtext("unstableReturn")
            steps.append(ShellStep(el.findtext("command", ""), int(code) if code else None))
        return steps

    def publisher(self, tag: str) -> ET.Element | None:
        return self.root.find(f"publishers/{tag}")

    @property
    def downstream(self) -> set[str]:
        """Jobs triggered by trigger-parameterized-builds, with the condition of each."""
        names = set()
        for cfg in self.root.iterfind("publishers/hudson.plugins.parameterizedtrigger.BuildTrigger/configs/*"):
            names |= {p.strip() for p in (cfg.findtext("projects") or "").split(",") if p.strip()}
        return names


def render(jjb_dir: Path, out_dir: Path, jenkins_jobs: str) -> dict[str, Job]:
    """Run `jenkins-jobs test` on the definitions; return every rendered job by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([jenkins_jobs, "test", str(jjb_dir), "-o", str(out_dir), "--config-xml"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"jenkins-jobs test failed:\n{proc.stderr[-3000:]}"
    jobs = {}
    for path in sorted(out_dir.glob("*/config.xml")):
        text = path.read_text()
        jobs[path.parent.name] = Job(path.parent.name, text, ET.fromstring(text))
    return jobs


@dataclass
class Build:
    job: str
    number: int
    workspace: Path
    result: str = "SUCCESS"
    console: str = ""
    exit_codes: list[int] = field(default_factory=list)
    description: str | None = None
    junit_failed: list[str] = field(default_factory=list)
    junit_total: int = 0
    artifacts: list[str] = field(default_factory=list)
    allure_results: list[str] = field(default_factory=list)
    command_lines: list[list[str]] = field(default_factory=list)


def _script_argv(command: str, script: Path) -> list[str]:
    # hudson.tasks.Shell#buildCommandLine: `#!` line tokenized (Util.tokenize: whitespace) + the script.
    if command.startswith("#!"):
        first = command.split("\n", 1)[0].strip()
        args = shlex.split(first)
        args[0] = args[0][2:]
        return [*args, str(script)]
    return ["/bin/sh", "-xe", str(script)]


def run_build(job: Job, *, workspace: Path, credentials: dict[str, object], parameters: dict[str, str] | None = None,
              node_env: dict[str, str] | None = None, number: int = 1, timeout: float = 600) -> Build:
    """Run a build of the job: parameters, credential bindings, its shell builders, then its publishers."""
    build = Build(job.name, number, workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    given = dict(parameters or {})
    unknown = set(given) - {p.name for p in job.parameters}
    assert not unknown, f"{job.name} has no parameter(s) {sorted(unknown)}"
    env = dict(node_env or {})
    env.update({"WORKSPACE": str(workspace), "BUILD_NUMBER": str(number), "BUILD_ID": str(number),
                "BUILD_DISPLAY_NAME": f"#{number}", "JOB_NAME": job.name, "JOB_BASE_NAME": job.name,
                "BUILD_TAG": f"jenkins-{job.name}-{number}", "EXECUTOR_NUMBER": "0", "NODE_NAME": "built-in",
                "JENKINS_URL": "http://jenkins.invalid/", "BUILD_URL": f"http://jenkins.invalid/job/{job.name}/{number}/"})
    for p in job.parameters:
        env[p.name] = given.get(p.name, p.default)
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"{job.name}@tmp-") as tmp:
        for b in job.bindings:
            secret = credentials.get(b.credential_id)
            if secret is None:
                log.append(f"ERROR: Could not find credentials entry with ID '{b.credential_id}'")
                build.result = "FAILURE"
                break
            if b.kind == "text":
                env[b.variables[0]] = str(secret)
            elif b.kind == "file":
                path = Path(tmp) / f"secretFiles-{b.credential_id}"
                path.write_text(str(secret))
                path.chmod(0o600)
                env[b.variables[0]] = str(path)
            else:
                user, password = secret  # type: ignore[misc]
                env[b.variables[0]], env[b.variables[1]] = user, password
        if build.result == "SUCCESS":
            for n, step in enumerate(job.shell_steps):
                script = Path(tmp) / f"jenkins{n}.sh"
                script.write_text(step.command)
                argv = _script_argv(step.command, script)
                build.command_lines.append(argv)
                log.append(f"[{job.name}] $ {' '.join(argv)}")
                proc = subprocess.run(argv, cwd=workspace, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=timeout)
                log.append(proc.stdout)
                build.exit_codes.append(proc.returncode)
                if proc.returncode == 0:
                    continue
                if step.unstable_return and proc.returncode == step.unstable_return:
                    build.result = worse(build.result, "UNSTABLE")
                    continue
                log.append(f"Build step 'Execute shell' marked build as failure (exit {proc.returncode})")
                build.result = "FAILURE"
                break
    build.console = "\n".join(log)
    _publish(job, build)
    return build


def _files(workspace: Path, patterns: str) -> list[str]:
    found: set[str] = set()
    for pattern in (p.strip() for p in patterns.split(",")):
        if pattern:
            found |= {str(Path(f).relative_to(workspace)) for f in glob.glob(str(workspace / pattern), recursive=True)
                      if Path(f).is_file()}
    return sorted(found)


def _publish(job: Job, build: Build) -> None:
    for pub in job.root.find("publishers") or []:
        if pub.tag == "hudson.tasks.junit.JUnitResultArchiver":
            files = _files(build.workspace, pub.findtext("testResults", ""))
            if not files:
                if pub.findtext("allowEmptyResults") != "true":
                    build.result = worse(build.result, "FAILURE")
                continue
            for f in files:
                for case in ET.parse(build.workspace / f).getroot().iter("testcase"):
                    build.junit_total += 1
                    if case.find("failure") is not None or case.find("error") is not None:
                        build.junit_failed.append(f"{case.get('classname')}.{case.get('name')}")
            if build.junit_failed and pub.findtext("skipMarkingBuildUnstable") != "true":
                build.result = worse(build.result, "UNSTABLE")
        elif pub.tag == "hudson.tasks.ArtifactArchiver":
            if pub.findtext("onlyIfSuccessful") == "true" and RESULTS.index(build.result) > 1:
                continue
            build.artifacts = _files(build.workspace, pub.findtext("artifacts", ""))
            if not build.artifacts and pub.findtext("allowEmptyArchive") != "true":
                build.result = worse(build.result, "FAILURE")
        elif pub.tag == "ru.yandex.qatools.allure.jenkins.AllureReportPublisher":
            for path in pub.iterfind("config/results/*/path"):
                build.allure_results += _files(build.workspace, f"{path.text}/*-result.json")
        elif pub.tag == "hudson.plugins.descriptionsetter.DescriptionSetterPublisher":
            regexp = pub.findtext("regexpForFailed" if build.result == "FAILURE" else "regexp") or ""
            for line in build.console.splitlines():
                m = re.search(regexp, line) if regexp else None
                if m:
                    build.description = m.group(1) if m.groups() else m.group(0)
                    break
        elif pub.tag == "hudson.plugins.parameterizedtrigger.BuildTrigger":
            pass  # what it would trigger is checked on the XML (Job.downstream), nothing is started here
        else:
            raise AssertionError(f"{job.name}: publisher {pub.tag} is not modelled")


def default_node_env(venv_bin: Path) -> dict[str, str]:
    """A Jenkins agent's environment: a clean PATH with the project's venv (as a node property sets it), HOME."""
    return {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8", **({"FUEL_LAB_HOME": os.environ["FUEL_LAB_HOME"]}
                                  if os.environ.get("FUEL_LAB_HOME") else {})}
