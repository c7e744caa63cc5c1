"""`fuel-health serve`: the adapter under uvicorn."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from fuel_health.adapter.auth import AuthConfigError, AuthSettings, Guard, check_listen
from fuel_health.adapter.dblock import DatabaseBusy
from fuel_health.adapter.settings import DEFAULT_DB, DEFAULT_PORT, Settings


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of `fuel-health serve`."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s, fuel-ostf's)")
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL",
                   help="database: sqlite:///PATH or postgresql://user@host:port/db (default %(default)s)")
    p.add_argument("--cluster-config", action="append", default=[], metavar="PATH", dest="cluster_configs",
                   help="a cluster config file (repeatable); default: the local lab's, unless --nailgun-url")
    p.add_argument("--nailgun-url", metavar="URL", help="ask Nailgun about clusters, e.g. http://10.20.0.2:8000")
    p.add_argument("--nailgun-token", metavar="TOKEN", help="refused (visible in ps): set $FUEL_HEALTH_NAILGUN_TOKEN")
    p.add_argument("--tests-dir", type=Path, metavar="DIR", help="test package directory (default: the suite)")
    p.add_argument("--log-dir", type=Path, metavar="DIR", help="pytest output and JUnit of each run")
    p.add_argument("--no-execute", action="store_true",
                   help="record runs but execute nothing: their tests become `skipped` (API and UI checks)")
    p.add_argument("--auth", choices=("none", "token", "keystone"), default="none",
                   help="keystone: validate X-Auth-Token with keystone (as on a Fuel master) and forward it to "
                        "Nailgun; token: one shared token (--token-file); none: loopback only (default)")
    p.add_argument("--token-file", type=Path, metavar="FILE", help="the shared token of --auth token (one line)")
    p.add_argument("--keystone-cloud", metavar="NAME",
                   help="--auth keystone: clouds.yaml entry of the service user that validates tokens")
    p.add_argument("--keystone-clouds-yaml", type=Path, metavar="PATH",
                   help="the clouds.yaml of --keystone-cloud (default ~/.config/openstack/clouds.yaml)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="HOST", dest="allowed_hosts",
                   help="a Host header to serve (repeatable; default: --host, localhost, 127.0.0.1). Behind "
                        "Fuel's nginx it is the proxy_pass address, e.g. 10.20.0.2")
    p.add_argument("--pytest-arg", action="append", default=[], metavar="ARG", dest="pytest_args",
                   help="extra pytest argument for every run (repeatable), e.g. --pytest-arg=--no-preflight")


def settings_from(args: argparse.Namespace) -> Settings:
    """Return the adapter settings of parsed `serve` arguments."""
    import os

    defaults = Settings()
    return Settings(db_url=args.db, tests_dir=args.tests_dir or defaults.tests_dir,
                    cluster_configs=tuple(Path(p) for p in args.cluster_configs),
                    nailgun_url=args.nailgun_url,
                    nailgun_token=args.nailgun_token or os.environ.get("FUEL_HEALTH_NAILGUN_TOKEN"),
                    log_dir=args.log_dir or defaults.log_dir, execute=not args.no_execute,
                    pytest_args=tuple(args.pytest_args))


def auth_from(args: argparse.Namespace) -> AuthSettings:
    """Return the auth settings of parsed `serve` arguments."""
    return AuthSettings(mode=args.auth, token_file=args.token_file, keystone_cloud=args.keystone_cloud,
                        clouds_yaml=args.keystone_clouds_yaml, allowed_hosts=tuple(args.allowed_hosts))


def serve(args: argparse.Namespace) -> int:
    """Run the adapter until SIGINT/SIGTERM; running pytest processes are interrupted and cleaned up."""
    import sys

    import uvicorn

    from fuel_health.adapter.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # keep "Running upgrade" lines only
    auth = auth_from(args)
    try:
        check_listen(auth.mode, args.host)
        guard = Guard(None, auth, args.host, args.port)  # auth options are checked before the database is touched
        guard.app = create_app(settings_from(args))
    except (AuthConfigError, DatabaseBusy) as exc:
        print(f"fuel-health serve: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"fuel-health serve: cannot open the database {args.db}: {' '.join(str(exc.orig or exc).split())[:300]}",
              file=sys.stderr)
        return 2
    uvicorn.run(guard, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0
