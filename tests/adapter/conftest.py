"""Fixtures of the adapter's tests (defined in adapter_harness.py, which the tests import helpers from)."""

from adapter_harness import db_url, fake_config, pg_url, postgres, serve  # noqa: F401

collect_ignore = ["data"]  # the fake suite is run by the adapter, not collected here
