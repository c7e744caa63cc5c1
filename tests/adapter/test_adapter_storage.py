"""The adapter's database: one adapter per database, Alembic upgrades at start, credentials across restarts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from adapter_harness import by_name, free_port, statuses
from sqlalchemy import create_engine, inspect

SANITY = "ostf_fake.sanity.test_api"
CREDS = {"ostf_os_username": "demo", "ostf_os_tenant_name": "demo", "ostf_os_password": "pässwörd"}


def test_a_second_adapter_on_the_same_database_is_refused_in_one_line(serve, fake_config, db_url):
    serve(configs=(fake_config,), db=db_url, args=("--no-execute",))

    res = subprocess.run([sys.executable, "-m", "fuel_health", "serve", "--port", str(free_port()), "--db", db_url,
                          "--cluster-config", str(fake_config)], capture_output=True, text=True, timeout=60)

    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("fuel-health serve: database ") and "is in use by another adapter" in res.stderr


def test_an_unreachable_database_is_one_line(tmp_path):
    res = subprocess.run([sys.executable, "-m", "fuel_health", "serve", "--port", str(free_port()),
                          "--db", f"postgresql://nobody@127.0.0.1:{free_port()}/ostf"],
                         capture_output=True, text=True, timeout=60)

    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("fuel-health serve: cannot open the database postgresql://"), res.stderr


def _old_database(path) -> None:
    """A database as the adapter wrote it before Alembic (its create_all schema), with one finished run."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE testruns (id INTEGER PRIMARY KEY, testset VARCHAR(64) NOT NULL, cluster_id INTEGER NOT NULL,
            status VARCHAR(16) NOT NULL, meta JSON NOT NULL, started_at DATETIME NOT NULL, ended_at DATETIME,
            pid INTEGER, stop_requested BOOLEAN NOT NULL);
        CREATE INDEX ix_testruns_cluster_set ON testruns (cluster_id, testset, id);
        CREATE INDEX ix_testruns_status ON testruns (status);
        CREATE TABLE tests (id INTEGER PRIMARY KEY, testrun_id INTEGER NOT NULL REFERENCES testruns (id)
            ON DELETE CASCADE, position INTEGER NOT NULL, test_id VARCHAR(512) NOT NULL, testset VARCHAR(64) NOT NULL,
            name TEXT NOT NULL, description TEXT NOT NULL, duration VARCHAR(64), nodeid TEXT NOT NULL,
            status VARCHAR(16) NOT NULL, message TEXT, step INTEGER, taken FLOAT, UNIQUE (testrun_id, test_id));
        CREATE INDEX ix_tests_testrun_id ON tests (testrun_id);
        INSERT INTO testruns VALUES (1, 'sanity', 7, 'finished', '{"cluster_id": 7, "run_id": "0123abcd"}',
            '2026-11-30 10:00:00', '2026-11-30 10:01:00', NULL, 0);
        INSERT INTO tests VALUES (1, 1, 0, 'ostf_fake.sanity.test_api.test_keystone', 'sanity', 'Keystone answers',
            'Checks.', '5 s', 'ostf_fake/sanity/test_api.py::test_keystone', 'success', NULL, NULL, 0.1);
    """)
    con.commit()
    con.close()


def test_an_older_database_is_upgraded_at_start_and_keeps_its_runs(serve, fake_config, tmp_path):
    path = tmp_path / "old.sqlite"
    _old_database(path)

    server = serve(configs=(fake_config,), db=f"sqlite:///{path}")
    old = server.ok("GET", "/v1/testruns/1")
    rerun = server.ok("PUT", "/v1/testruns", [{"id": 1, "status": "restarted"}])

    assert statuses(old) == {"test_keystone": "success"} and old["meta"]["run_id"] == "0123abcd"
    assert statuses(server.wait(rerun[0]["id"])) == {"test_keystone": "success"}
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
    assert [i["name"] for i in inspect(engine).get_indexes("tests")] == ["ix_tests_testrun_position"]
    assert "Running upgrade 0001 -> 0002" in server.log.read_text()


def test_a_restart_after_an_adapter_restart_needs_the_credentials_again(serve, fake_config, tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first = serve(configs=(fake_config,), db=db)
    run = first.ok("POST", "/ostf/testruns", [{"testset": "sanity", "tests": [f"{SANITY}.test_keystone"],
                                               "metadata": {"cluster_id": 7, "ostf_os_access_creds": CREDS}}])[0]
    first.wait(run["id"])
    again = first.call("PUT", "/ostf/testruns", [{"id": run["id"], "status": "restarted"}])
    assert again.status_code == 200  # the same adapter still holds them
    first.wait(run["id"])
    first.stop()

    second = serve(configs=(fake_config,), db=db)
    refused = second.call("PUT", "/ostf/testruns", [{"id": run["id"], "status": "restarted"}])
    empty = second.call("PUT", "/ostf/testruns", [{"id": run["id"], "status": "restarted", "ostf_os_access_creds": {
        "ostf_os_username": "", "ostf_os_tenant_name": "", "ostf_os_password": ""}}])
    given = second.call("PUT", "/ostf/testruns", [{"id": run["id"], "status": "restarted",
                                                   "ostf_os_access_creds": CREDS}])

    assert refused.status_code == 409 and refused.json()["message"] == (
        f"test run {run['id']} ran as demo, whose password this adapter no longer holds (it restarted since): "
        f"send ostf_os_access_creds again")
    assert empty.status_code == 409
    assert given.status_code == 200
    assert by_name(second.wait(run["id"]))["test_keystone"]["status"] == "success"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_lock_is_released_when_the_adapter_stops(serve, fake_config, tmp_path, kind, request):
    db = f"sqlite:///{tmp_path / 'l.sqlite'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    serve(configs=(fake_config,), db=db, args=("--no-execute",)).stop()

    assert serve(configs=(fake_config,), db=db, args=("--no-execute",)).ok("GET", "/v1/testruns") == []
