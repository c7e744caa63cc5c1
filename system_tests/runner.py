"""`python -m system_tests run --group GROUP --backend local|fuel [--show-plan] [--xunit PATH]`

Runs proboscis groups the way fuel-qa jobs do (`run_system_test.py run --group=...` over proboscis'
TestProgram): a group's depends_on_groups run first, and a failed prerequisite skips its dependants with
the reason. `--show-plan` prints the order and each scenario, and touches neither a lab nor an API.

Exit codes: 0 every test passed, 1 a test failed, 2 usage (e.g. unknown group), 3 the backend cannot start.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import unittest
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from fuel_health import fuel_data
from system_tests.helpers.deployment import Deployment
from system_tests.helpers.errors import FixtureError, SystemTestError
from system_tests.proboscis_compat import DEFAULT_REGISTRY, TestProgram, TestRegistry
from system_tests.xunit import Outcome, RecordingResult, write_xunit

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3
RELEASES = fuel_data.releases()  # the Fuel releases fixtures/releases has rules for
DEFAULT_RELEASE = fuel_data.newest_release()  # the newest, which the lab stands for


def backends() -> dict[str, type[Deployment]]:
    """The backends by name (their modules import nothing heavy and touch nothing at import)."""
    from system_tests.helpers.fuel import FuelDeployment
    from system_tests.helpers.local import LocalDeployment

    return {"local": LocalDeployment, "fuel": FuelDeployment}


def build_parser() -> argparse.ArgumentParser:
    """The command line (`run` mirrors fuel-qa's `run_system_test.py run --group=...`)."""
    parser = argparse.ArgumentParser(prog="python -m system_tests", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run proboscis groups (their prerequisites first)")
    run.add_argument("--group", dest="groups", action="append", required=True, metavar="GROUP",
                     help="a proboscis group, e.g. add_cinder_vmdk_ha (repeatable)")
    run.add_argument("--backend", choices=("local", "fuel"), default="local", help="default: %(default)s")
    run.add_argument("--show-plan", action="store_true", help="print what would run, in order; run nothing")
    run.add_argument("--xunit", metavar="PATH", help="write a JUnit XML report (fuel-qa: --xunit-file)")
    run.add_argument("--release", choices=RELEASES, default=DEFAULT_RELEASE,
                     help="the Fuel release whose rules and scenario path apply: 6.1-8.0 turn vCenter on before "
                          "the first deploy, 9.0 grows it later (default: %(default)s)")
    run.add_argument("--reports-dir", type=Path, default=Path("reports/system_tests"), metavar="DIR",
                     help="OSTF reports and diagnostic snapshots (default: %(default)s)")
    fuel = run.add_argument_group("fuel backend (defaults from NAILGUN_URL, OSTF_URL, ENV_NAME, OPENSTACK_RELEASE, "
                                  "KEYSTONE_USERNAME/PASSWORD, VCENTER_IP/_USERNAME/_PASSWORD)")
    fuel.add_argument("--nailgun-url", metavar="URL", help="Fuel master, e.g. http://10.109.0.2:8000")
    fuel.add_argument("--ostf-url", metavar="URL", help="OSTF adapter API (default <nailgun-url>/ostf)")
    fuel.add_argument("--env-name", metavar="NAME", help="fuel-devops environment (ENV_NAME)")
    fuel.add_argument("--release-name", metavar="TEXT",
                      help="part of the OpenStack release name to deploy (OPENSTACK_RELEASE, e.g. ubuntu)")
    sub.add_parser("groups", help="list the groups")
    return parser


def load_scenarios() -> TestRegistry:
    """Import the scenarios (registering them in proboscis' default registry) and return that registry."""
    import system_tests.scenarios  # noqa: F401 - registers the @test functions

    return DEFAULT_REGISTRY


def plan(registry: TestRegistry, groups: Sequence[str]) -> list[Any]:
    """proboscis' test plan for the groups: ordered, with every depends_on_groups prerequisite. Runs nothing."""
    program = TestProgram(registry=registry, groups=list(groups), argv=["system_tests", "--show-plan"])
    return list(program.cases)


def plan_lines(registry: TestRegistry, groups: Sequence[str], backend: type[Deployment],
               release: str = DEFAULT_RELEASE) -> list[str]:
    """The `--show-plan` text: each scenario in order (groups, prerequisites, its docstring), then the backend."""
    lines = [f"Plan for --group {' --group '.join(groups)} on the {backend.backend} backend, Fuel {release} "
             "(proboscis order; nothing runs, no lab or API is touched):"]
    path = fuel_data.release_rules(release)["scenario"]
    lines.append(f"Fuel {release} path {path['path']}: " + "; ".join(
        f"{step}: {path[step]}" for step in ("deploy_kvm", "add_vcenter_compute", "add_cinder_vmdk_ha")))
    for n, case in enumerate(plan(registry, groups), 1):
        home, info = case.entry.home, case.entry.info
        after = f"; depends on groups: {', '.join(info.depends_on_groups)}" if info.depends_on_groups else ""
        lines.append(f"{n}. {home.__module__}.{home.__qualname__}  [groups: {', '.join(info.groups)}{after}]")
        lines += [f"     {line}".rstrip() for line in inspect.getdoc(home).splitlines()]
    lines.append(f"How the {backend.backend} backend realises the steps:")
    lines += [f"  {line}" for line in backend.plan_notes]
    return lines


class _Runner(unittest.TextTestRunner):
    resultclass = RecordingResult
    last: RecordingResult | None = None

    def _makeResult(self) -> RecordingResult:
        self.last = RecordingResult(self.stream, self.descriptions, self.verbosity)
        return self.last


@dataclass(frozen=True)
class Report:
    """What a run did: outcomes in order, wall time."""

    outcomes: list[Outcome]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when something ran and nothing failed."""
        return bool(self.outcomes) and all(o.status in ("passed", "skipped") for o in self.outcomes) \
            and any(o.status == "passed" for o in self.outcomes)


def run_groups(registry: TestRegistry, groups: Sequence[str], stream: TextIO = sys.stdout) -> Report:
    """Run the groups with proboscis (prerequisites first; a failure skips its dependants)."""
    runner = _Runner(stream=stream, verbosity=2)
    t0 = time.monotonic()
    TestProgram(registry=registry, groups=list(groups), testRunner=runner, argv=["system_tests"],
                exit=False).run_and_exit()
    assert runner.last is not None
    return Report(list(runner.last.outcomes), time.monotonic() - t0)


def summary_lines(report: Report) -> list[str]:
    """One line per scenario, then the verdict."""
    lines = ["==== system_tests ===="]
    for o in report.outcomes:
        lines.append(f"{o.status.upper():<8} {o.classname}.{o.name} ({o.seconds:.0f} s)"
                     + (f": {o.message}" if o.message else ""))
    lines.append(f"{'PASSED' if report.ok else 'FAILED'} in {report.seconds:.0f} s")
    return lines


def make_backend(args: argparse.Namespace) -> Deployment:
    """The deployment for --backend (the local lab object is made lazily, the Fuel one connects now)."""
    if args.backend == "local":
        from system_tests.helpers.local import LocalDeployment

        return LocalDeployment(reports_dir=args.reports_dir, release=args.release)
    from system_tests.helpers.fuel import FuelDeployment, FuelSettings

    settings = FuelSettings.from_env(nailgun_url=args.nailgun_url, ostf_url=args.ostf_url, env_name=args.env_name,
                                     release_name=args.release_name, fuel_release=args.release,
                                     reports_dir=args.reports_dir)
    return FuelDeployment.connect(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m system_tests`; returns the exit code."""
    from system_tests.scenarios.base import using

    args = build_parser().parse_args(argv)
    registry = load_scenarios()
    if args.command == "groups":
        for name in sorted(registry.groups):
            print(name)
        return EXIT_OK
    unknown = [g for g in args.groups if g not in registry.groups]
    if unknown:
        print(f"system_tests: unknown group(s) {', '.join(unknown)} (known: {', '.join(sorted(registry.groups))})",
              file=sys.stderr)
        return EXIT_USAGE
    if args.show_plan:
        print("\n".join(plan_lines(registry, args.groups, backends()[args.backend], args.release)))
        return EXIT_OK
    try:
        deployment = make_backend(args)
    except (SystemTestError, FixtureError) as exc:
        print(f"system_tests: cannot start the {args.backend} backend: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    with using(deployment, args.reports_dir):
        report = run_groups(registry, args.groups)
    if args.xunit:
        write_xunit(Path(args.xunit), report.outcomes, report.seconds)
    print("\n".join(summary_lines(report)) + (f"\nxunit: {args.xunit}" if args.xunit else ""))
    return EXIT_OK if report.ok else EXIT_FAILED
