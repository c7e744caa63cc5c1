"""fuel-health: run, list and clean up the OSTF health checks of a dual-hypervisor cloud.

    fuel-health run [--set smoke,sanity] [--hypervisor kvm|vcenter] [-k EXPR] [-n WORKERS]
                    [--config PATH] [--junit PATH] [--allure-dir DIR] [-- PYTEST ARGS...]
    fuel-health list [--config PATH] [--set ...] [--hypervisor ...]
    fuel-health cleanup (--run-id ID | --prefix P [--yes]) [--dry-run] [--all-projects] [--config PATH]
    fuel-health config show [--config PATH]
    fuel-health serve [--host H] [--port P] [--db URL] [--cluster-config PATH ...] [--nailgun-url URL]

The config comes from --config (or --nailgun-url + --cluster-id, $FUEL_HEALTH_CONFIG, the local lab's
file); --config-set KEY=VALUE and FUEL_HEALTH_<SECTION>__<KEY> override single keys (see fuel_health/config/env.py).

`run` is a thin layer over pytest: it runs fuel_health/tests with the plugin's options and writes
JUnit XML and allure results under reports/ (named after the run id), then prints their paths.

Exit codes:
    0  healthy: every selected check passed (or, for list/config/cleanup, the command worked)
    1  not healthy: a check failed or errored (cleanup: something could not be deleted); this includes
       keystone or vCenter unreachable or answering 5xx: the checks that need it fail naming it, the
       others still run
    2  interrupted (Ctrl-C, SIGTERM) or wrong command-line usage
    3  cannot run, on the caller's side: bad or missing config, credentials rejected (401), a missing
       tool, or no check applies to this cluster
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fuel_health import config as config_mod
from fuel_health.config import ClusterConfig, ConfigError
from fuel_health.pytest_plugin import ostf, selection
from fuel_health.pytest_plugin.tags import deployment_tags

EXIT_OK, EXIT_UNHEALTHY, EXIT_INTERRUPTED, EXIT_CANNOT_RUN = 0, 1, 2, 3
TESTS_DIR = Path(__file__).resolve().parent / "tests"
# pytest's exit codes -> ours: 3 internal error / 4 usage error / 5 no tests collected all mean "cannot run".
_PYTEST_EXIT = {0: EXIT_OK, 1: EXIT_UNHEALTHY, 2: EXIT_INTERRUPTED, 3: EXIT_CANNOT_RUN, 4: EXIT_CANNOT_RUN,
                5: EXIT_CANNOT_RUN}


def _source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster config")
    g.add_argument("--config", "--cluster-config", dest="config", metavar="PATH",
                   help="cluster config YAML (default: $FUEL_HEALTH_CONFIG, then the local lab's)")
    g.add_argument("--nailgun-url", metavar="URL", help="build the config from Nailgun instead")
    g.add_argument("--cluster-id", metavar="N", help="Fuel environment id (with --nailgun-url)")
    # A token on the command line is in `ps` for every local user: refused, with the ways that are not.
    g.add_argument("--nailgun-token", metavar="TOKEN", help="refused (visible in ps): use "
                                                           "$FUEL_HEALTH_NAILGUN_TOKEN or --nailgun-token-file")
    g.add_argument("--nailgun-token-file", metavar="PATH",
                   help="file holding the Nailgun token ($FUEL_HEALTH_NAILGUN_TOKEN_FILE)")
    g.add_argument("--nailgun-cacert", metavar="PATH", help="CA bundle for an https:// Nailgun "
                                                           "($FUEL_HEALTH_NAILGUN_CACERT; else $REQUESTS_CA_BUNDLE, "
                                                           "$SSL_CERT_FILE)")
    g.add_argument("--config-set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one key, e.g. timeouts.boot=300 (repeatable)")


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="sets", metavar="SETS", help=f"test sets, e.g. smoke,sanity "
                                                              f"({','.join(ostf.TEST_SETS)})")
    p.add_argument("--hypervisor", choices=("kvm", "vcenter"), help="only the checks of one hypervisor")


def build_parser(serve_options: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser of fuel-health.

    serve_options=False leaves out `serve`'s options: they come from the adapter, whose import (FastAPI,
    SQLAlchemy) costs about a second that `run`, `list`, `cleanup` and `config` never use.
    """
    parser = argparse.ArgumentParser(prog="fuel-health", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="exit codes: 0 healthy, 1 not healthy (a check failed, an endpoint "
                                            "down), 2 interrupted/usage, 3 cannot run (config, credentials)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the health checks (pytest underneath)")
    _filter_options(run)
    run.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k expression")
    run.add_argument("-n", dest="workers", metavar="WORKERS", help="parallel workers (pytest-xdist), or auto")
    run.add_argument("--junit", metavar="PATH", help="JUnit XML (default reports/junit-<run id>.xml)")
    run.add_argument("--allure-dir", metavar="DIR", help="allure results (default reports/allure-<run id>)")
    run.add_argument("--run-id", metavar="ID", help="8 hex chars naming this run's resources")
    run.add_argument("--no-preflight", action="store_true", help="skip checking keystone/vCenter first")
    run.add_argument("pytest_args", nargs="*", metavar="-- PYTEST ARGS", help="passed on to pytest")
    _source_options(run)

    lst = sub.add_parser("list", help="list test sets and tests, and whether each applies here")
    _filter_options(lst)
    lst.add_argument("--package", default="fuel_health.tests", help="test package (default %(default)s)")
    _source_options(lst)

    clean = sub.add_parser("cleanup", help="delete resources left by runs (by run id or prefix)")
    which = clean.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", metavar="ID", help="one run's resources (<prefix>-<ID>-<worker>-<kind>-<n>)")
    which.add_argument("--prefix", metavar="P", help="every run's resources named <P>-<run id>-<worker>-<kind>-<n> "
                                                     "(flavors, aggregates, public images excepted)")
    clean.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    clean.add_argument("--yes", action="store_true", help="really delete every run's resources (with --prefix)")
    clean.add_argument("--all-projects", action="store_true",
                       help="look in every project, not only the one of the configured credentials")
    _source_options(clean)

    serve = sub.add_parser("serve", help="serve the OSTF REST API (Fuel UI's OSTF tab, fuel-qa) and a page")
    if serve_options:
        from fuel_health.adapter.server import add_arguments

        add_arguments(serve)

    cfg = sub.add_parser("config", help="config commands")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    show = cfg_sub.add_parser("show", help="print the config as loaded, secrets masked")
    _source_options(show)
    return parser


def _load(args: argparse.Namespace) -> ClusterConfig:
    return config_mod.load(args.config, nailgun_url=args.nailgun_url, cluster_id=args.cluster_id,
                           nailgun_token=args.nailgun_token,
                           overrides=config_mod.parse_assignments(args.config_set))


# --- run --------------------------------------------------------------------------------------------


def pytest_argv(args: argparse.Namespace, run_id: str, junit: str, allure_dir: str) -> list[str]:
    """Return the pytest command line `run` uses (the suite, our plugin's options, reports)."""
    argv = [str(TESTS_DIR), "-p", "no:cacheprovider", "--rootdir", str(TESTS_DIR.parent.parent),
            "--run-id", run_id, "--junitxml", junit, "--alluredir", allure_dir,
            "-o", "junit_suite_name=fuel-health", "--tb=short"]
    for flag, value in (("--cluster-config", args.config), ("--nailgun-url", args.nailgun_url),
                        ("--cluster-id", args.cluster_id),
                        ("--set", args.sets), ("--hypervisor", args.hypervisor), ("-k", args.keyword),
                        ("-n", args.workers)):
        if value:
            argv += [flag, str(value)]
    for item in args.config_set:
        argv += ["--config-set", item]
    if args.no_preflight:
        argv.append("--no-preflight")
    return argv + list(args.pytest_args)


# Entry-point autoload is off for the health run: every installed pytest plugin (schemathesis, hypothesis,
# anyio, httpserver...) would be imported and assert-rewritten at each start, seconds of a sanity run.
# The run loads exactly these (PYTEST_PLUGINS reaches xdist workers too, through the environment).
_OWN_PLUGINS = ("fuel_health.pytest_plugin.plugin", "allure_pytest.plugin")


def plugin_env(args: argparse.Namespace) -> dict[str, str]:
    """Return the environment that makes pytest load only the plugins the run needs."""
    plugins = [*_OWN_PLUGINS, *(("xdist.plugin",) if args.workers else ())]
    return {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": ",".join(plugins)}


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def cmd_run(args: argparse.Namespace) -> int:
    """Run the suite through pytest (only its own plugins); map pytest's exit code to ours."""
    import pytest

    from fuel_health.clients.resources import check_run_id, new_run_id

    try:
        run_id = check_run_id(args.run_id) if args.run_id else new_run_id()
    except ValueError as exc:
        print(f"fuel-health: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    junit = args.junit or f"reports/junit-{run_id}.xml"
    allure_dir = args.allure_dir or f"reports/allure-{run_id}"
    Path(junit).parent.mkdir(parents=True, exist_ok=True)
    with _environ(plugin_env(args)):
        code = int(pytest.main(pytest_argv(args, run_id, junit, allure_dir)))
    print(f"fuel-health: run {run_id}\n  JUnit:  {junit}\n  allure: {allure_dir}")
    return _PYTEST_EXIT.get(code, EXIT_CANNOT_RUN)


# --- list -------------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    """Print test sets and tests, with `applies` or the reason a test does not apply here."""
    try:
        cfg: ClusterConfig | None = _load(args)
    except config_mod.NoConfigFound:
        cfg = None  # still useful: the catalogue without applicability
    tags = deployment_tags(cfg) if cfg else frozenset()
    sets = frozenset(s.strip() for s in args.sets.split(",")) if args.sets else None
    metas = ostf.discover(args.package)
    print(f"cluster: {cfg.cluster.name} ({cfg.source})" if cfg
          else "cluster: none (no config found: applicability unknown)")
    if cfg:
        print(f"deployment tags: {', '.join(sorted(tags))}")
    applies = 0
    for test_set in sorted(ostf.TEST_SETS.values(), key=lambda s: s.priority):
        in_set = [m for m in metas if m.test_set == test_set.id]
        print(f"\n{test_set.id} ({test_set.priority}): {test_set.description}"
              + ("" if in_set else "  [no tests]"))
        for meta in in_set:
            hv = f" [{meta.hypervisor}]" if meta.hypervisor else ""
            if cfg is None:
                print(f"  ?        {meta.id}{hv}: {meta.title}")
                continue
            reason = selection.why_not(meta, tags, sets=sets, hypervisor=args.hypervisor,
                                       release=cfg.cluster.release)
            applies += reason is None
            print(f"  applies  {meta.id}{hv}: {meta.title}" if reason is None
                  else f"  n/a      {meta.id}{hv}: {reason}")
    print(f"\n{len(metas)} tests" + (f", {applies} apply to this cluster" if cfg else ""))
    return EXIT_OK


# --- cleanup ----------------------------------------------------------------------------------------


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Sweep resources left by runs, by run id or by prefix."""
    from fuel_health.clients import connections, resources

    # Usage first (exit 2, nothing loaded or contacted): an empty --prefix is an error, not the default.
    try:
        if args.prefix is not None:
            resources.check_prefix(args.prefix)
        if args.run_id is not None:
            resources.check_run_id(args.run_id)
    except ValueError as exc:
        print(f"fuel-health: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    cfg = _load(args)
    if args.prefix is not None and not (args.dry_run or args.yes):
        print(f"fuel-health: --prefix {args.prefix} deletes the leftovers of every run: look first with "
              "--dry-run, then confirm with --yes", file=sys.stderr)
        return EXIT_INTERRUPTED
    prefix = args.prefix if args.prefix is not None else cfg.resource_prefix
    pattern = resources.run_prefix(prefix, args.run_id) + ("" if args.run_id else "<run id>-")
    connections.check_reachable(cfg, vcenter=False)  # one clear line if keystone is not there
    conn = connections.openstack_connection(cfg)
    where = "every project" if args.all_projects else "this project"
    print(f"{'dry run: ' if args.dry_run else ''}sweeping resources named {pattern}<worker>-<kind>-<n> "
          f"in {where}")
    try:
        done = resources.sweep(conn, prefix, args.run_id, dry_run=args.dry_run, timeout=cfg.timeouts.delete,
                               all_projects=args.all_projects)
    except ValueError as exc:  # e.g. a domain-scoped token: no project to keep the sweep inside
        print(f"fuel-health: cannot run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except resources.CleanupFailed as exc:
        for line in exc.done:
            print(f"  {line}")
        for line in exc.errors:
            print(f"  FAILED {line}")
        return EXIT_UNHEALTHY
    finally:
        conn.close()
    for line in done:
        print(f"  {line}")
    print(f"{len(done)} resource(s)" if done else "nothing to clean")
    return EXIT_OK


# --- serve ------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the OSTF REST adapter (fuel_health/adapter) until interrupted."""
    from fuel_health.adapter.server import serve

    return serve(args)


# --- config show ------------------------------------------------------------------------------------


def cmd_config_show(args: argparse.Namespace) -> int:
    """Print the config as loaded (secrets masked) and its deployment tags."""
    cfg = _load(args)
    sys.stdout.write(config_mod.show(cfg))
    print(f"# deployment tags: {', '.join(sorted(deployment_tags(cfg)))}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the fuel-health command; returns the exit code."""
    from fuel_health.clients.connections import CannotRun

    given = list(sys.argv[1:] if argv is None else argv)
    # The adapter's options are only needed to parse `serve` (or to print the help that lists them).
    parser = build_parser(serve_options=not given or given[0] not in ("run", "list", "cleanup", "config"))
    args = parser.parse_args(given)
    if getattr(args, "nailgun_token", None):
        print("fuel-health: --nailgun-token is refused: a token on the command line is visible in `ps`; "
              "set $FUEL_HEALTH_NAILGUN_TOKEN or use --nailgun-token-file PATH", file=sys.stderr)
        return EXIT_INTERRUPTED
    # Through the environment, so the pytest session `run` starts in this process reads them too.
    for option, variable in (("nailgun_token_file", "FUEL_HEALTH_NAILGUN_TOKEN_FILE"),
                             ("nailgun_cacert", "FUEL_HEALTH_NAILGUN_CACERT")):
        if getattr(args, option, None):
            os.environ[variable] = getattr(args, option)
    handlers: dict[Any, Any] = {"run": cmd_run, "list": cmd_list, "cleanup": cmd_cleanup, "serve": cmd_serve}
    if args.command == "config" and args.config_command == "show":
        handler = cmd_config_show
    elif args.command in handlers:
        handler = handlers[args.command]
    else:
        parser.print_help(sys.stderr)
        return EXIT_INTERRUPTED
    try:
        return handler(args)
    except (ConfigError, CannotRun, ostf.DiscoveryError, ostf.OstfMetadataError) as exc:
        print(f"fuel-health: cannot run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("fuel-health: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
