"""Pieces of the adapter without a server: credentials, cluster sources, log reasons, parametrized statuses."""

from __future__ import annotations

import copy

import pytest
import yaml
from adapter_harness import FAKE_CONFIG

from fuel_health import config as config_mod
from fuel_health.adapter import clusters as clusters_mod
from fuel_health.adapter.reporter import _overall
from fuel_health.adapter.runner import creds_env, log_reason
from fuel_health.adapter.schemas import OsCreds
from fuel_health.config import ConfigError

CREDS = OsCreds(ostf_os_username="demo", ostf_os_password="123", ostf_os_tenant_name="demo")


def test_posted_creds_replace_only_the_auth_fields_of_a_clouds_yaml_entry(tmp_path):
    """Region, cacert and verify stay; a non-ASCII password survives, as openstacksdk itself reads the entry."""
    from openstack.config.loader import OpenStackConfig

    (tmp_path / "ca.pem").write_text("not a real CA\n")
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"lab": {
        "auth": {"auth_url": "http://127.0.0.1:5000/v3", "username": "admin", "password": "x",
                 "project_name": "admin", "user_domain_name": "Default", "project_domain_name": "Default"},
        "region_name": "RegionTwo", "cacert": "ca.pem", "verify": False, "interface": "internal"}}}))
    raw = copy.deepcopy(FAKE_CONFIG)
    raw["cloud"] = {"name": "lab", "clouds_yaml": str(clouds)}
    cfg = config_mod.build(raw)
    creds = OsCreds(ostf_os_username="démo", ostf_os_password="pässwörd-密码", ostf_os_tenant_name="demo")
    private = tmp_path / "private" / "run-1.yaml"

    env = creds_env(cfg, creds, private)
    got = config_mod.apply_overrides(cfg, config_mod.env_overrides(env))  # what pytest does with them
    region = OpenStackConfig(config_files=[got.cloud.clouds_yaml], load_envvars=False).get_one(cloud="lab")

    assert got.cloud.kind == "clouds.yaml" and got.cloud.clouds_yaml == str(private)
    assert private.stat().st_mode & 0o777 == 0o600
    auth = region.config["auth"]
    assert (auth["username"], auth["password"], auth["project_name"]) == ("démo", "pässwörd-密码", "demo")
    assert (auth["auth_url"], auth["user_domain_name"]) == ("http://127.0.0.1:5000/v3", "Default")
    assert region.region_name == "RegionTwo" and region.config["interface"] == "internal"
    assert region.config["cacert"] == str(tmp_path / "ca.pem") and region.config["verify"] is False


def test_posted_creds_of_an_auth_dict_cloud_keep_its_type():
    cfg = config_mod.build(copy.deepcopy(FAKE_CONFIG))
    got = config_mod.apply_overrides(cfg, config_mod.env_overrides(creds_env(cfg, CREDS)))
    assert got.cloud.auth["password"].reveal() == "123"  # a string, not the YAML number 123
    assert got.cloud.auth["auth_url"] == "http://127.0.0.1:9/v3" and got.cloud.auth["username"] == "demo"


def test_posted_creds_for_an_os_env_cloud_and_none_given():
    raw = copy.deepcopy(FAKE_CONFIG)
    del raw["cloud"]
    cfg = config_mod.build(raw)
    assert creds_env(cfg, CREDS) == {"OS_USERNAME": "demo", "OS_PASSWORD": "123", "OS_PROJECT_NAME": "demo"}
    assert creds_env(cfg, OsCreds()) == {} and creds_env(cfg, None) == {}


def test_nailgun_clusters_404_is_unknown_and_an_outage_is_unavailable(monkeypatch):
    def load(*_, cluster_id, **__):
        if cluster_id == 9:
            raise ConfigError("nailgun", "GET http://ng/api/clusters/9: HTTP 404 Cluster not found")
        if cluster_id == 8:
            raise ConfigError("nailgun", "cannot reach http://ng: connection refused", "check --nailgun-url")
        return config_mod.build({**copy.deepcopy(FAKE_CONFIG), "cluster": {**FAKE_CONFIG["cluster"], "id": 1}})

    monkeypatch.setattr(clusters_mod.config_mod, "load", load)
    source = clusters_mod.Clusters(nailgun_url="http://ng")

    assert source.get(1).pytest_args == ("--nailgun-url", "http://ng", "--cluster-id", "1")
    with pytest.raises(clusters_mod.UnknownCluster, match="unknown cluster 9"):
        source.get(9)
    with pytest.raises(clusters_mod.ClusterUnavailable, match="cannot reach http://ng"):
        source.get(8)


def test_log_reason_prefers_the_plugins_cannot_run_line(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("collected 0 items\nfuel-health: cannot run: keystone at http://x is unreachable\nE   boom\n")
    assert log_reason(log, 3) == "fuel-health: cannot run: keystone at http://x is unreachable"
    assert log_reason(tmp_path / "missing.log", 4) == "pytest exited with code 4"


def test_a_parametrized_test_takes_its_worst_case():
    cases = {"t.py::test_x[node-1]": ("success", None, None),
             "t.py::test_x[node-2]": ("failure", "Step 2 failed: Read nova.conf: missing", 2)}
    assert _overall(cases) == ("failure", "[node-2] Step 2 failed: Read nova.conf: missing", 2)
    assert _overall({"t.py::test_y": ("success", None, None)}) == ("success", None, None)
