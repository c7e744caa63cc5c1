"""fuel_health.fuel_data, the one reader of fixtures/, and fuel_health.fuel_data.roles built on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fuel_health import fuel_data
from fuel_health.fuel_data import FixtureError, roles

REPO = Path(__file__).resolve().parents[2]


def test_both_spellings_of_a_role_name_one_metadata():
    assert fuel_data.canonical_role("compute-vmware") == "vcenter-compute"
    assert fuel_data.fuel_role("cinder-vmdk") == "cinder-vmware"
    assert fuel_data.fuel_role("compute") == "compute"
    assert fuel_data.role("cinder-vmware") is fuel_data.role("cinder-vmdk")


def test_an_unknown_role_is_one_line_naming_the_known_ones():
    with pytest.raises(FixtureError, match=r"unknown role 'zabbix-server' \(fixtures/roles.yaml knows: .*"
                                           r"compute-vmware") as err:
        fuel_data.role("zabbix-server")
    assert "\n" not in str(err.value)


def test_releases_are_the_files_oldest_first_and_the_newest_is_the_labs():
    assert fuel_data.releases() == ("6.1", "7.0", "8.0", "9.0")
    assert fuel_data.newest_release() == "9.0"
    with pytest.raises(FixtureError, match=r"no rules for Fuel release '5.1' .*known: 6.1, 7.0, 8.0, 9.0"):
        fuel_data.release_rules("5.1")


def test_conflicts_come_in_the_seeds_names_from_the_release_file():
    assert {"compute", "cinder", "controller"} <= fuel_data.conflicts("vcenter-compute", "9.0")
    assert fuel_data.conflicts("cinder-vmware", "9.0") == set()
    with pytest.raises(FixtureError, match=r"role 'compute-vmware' does not exist in Fuel 6.1"):
        fuel_data.conflicts("compute-vmware", "6.1")


def test_templates_are_fresh_copies():
    fuel_data.cluster_template("dual_hv")["nodes"].clear()
    assert fuel_data.nodes_of(fuel_data.cluster_template("dual_hv"))
    with pytest.raises(FixtureError, match=r"no scale step 'nope' in fixtures/scale \(known: add_cinder_vmdk_ha"):
        fuel_data.scale_step("nope")


def test_fill_replaces_every_placeholder_or_names_the_missing_one():
    assert fuel_data.fill({"a": ["x {{ host }}", 3]}, {"host": "h1"}, "t") == {"a": ["x h1", 3]}
    with pytest.raises(FixtureError, match=r"^t: no value for placeholder \{\{port\}\} \(have: host\)$"):
        fuel_data.fill("{{port}}", {"host": "h1"}, "t")


def test_a_missing_fixtures_folder_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(fuel_data, "FIXTURES", tmp_path / "fixtures")
    fuel_data._load.cache_clear()
    fuel_data.releases.cache_clear()
    try:
        with pytest.raises(FixtureError, match=r"^cannot read fixtures/roles.yaml in .*: No such file or directory"):
            fuel_data.roles_metadata()
        with pytest.raises(FixtureError, match=r"^no release rules in "):
            fuel_data.newest_release()
    finally:
        fuel_data._load.cache_clear()
        fuel_data.releases.cache_clear()


def test_the_suites_roles_are_the_fixtures():
    meta = fuel_data.roles_metadata()
    assert meta["aliases"] == roles.ALIASES
    assert set(meta["roles"]) == roles.KNOWN_ROLES
    assert roles.normalize_role("cinder-vmware") == "cinder-vmdk"
    assert roles.normalize_role("zabbix-server") is None
    assert roles.services_for(("compute", "cinder", "vcenter-compute")) == ("nova-compute", "cinder-volume")
    assert roles.SERVICES["ceph-osd"] == ()


def test_no_code_copies_the_role_aliases():
    """The alias table lives in fixtures/roles.yaml only: no Python module spells a Fuel name -> seed name pair."""
    pair = re.compile(r"""["'](compute|cinder)-vmware["']\s*:\s*["'](vcenter-compute|cinder-vmdk)["']""")
    copies = [str(p.relative_to(REPO)) for top in ("fuel_health", "devops_envs", "system_tests")
              for p in (REPO / top).rglob("*.py") if pair.search(p.read_text())]
    assert copies == []
