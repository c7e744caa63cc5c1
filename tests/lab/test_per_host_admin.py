"""Per-host smoke needs admin (issue 14): pinning a boot to `<zone>:<host>` is admin-only in nova's default policy
(os_compute_api:servers:create:forced_host). With a member-only user each per-host case fails saying so, naming
its pin and the fix, and nothing is made; shown with the real nova of the lab, as an operator's run would."""

from __future__ import annotations

import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

FUEL_HEALTH = Path(sys.executable).with_name("fuel-health")


def test_per_host_cases_without_admin_fail_saying_it_needs_admin(lab, conn, name, tmp_path):
    password = secrets.token_hex(12)
    project = conn.identity.create_project(name=name, domain_id="default")
    try:
        user = conn.identity.create_user(name=name, password=password, domain_id="default",
                                         default_project_id=project.id)
        try:
            conn.identity.assign_project_role_to_user(project, user, conn.identity.find_role("member"))
            cloud = yaml.safe_load(lab.paths.clouds_yaml.read_text())["clouds"]["fuel-dualhv-lab"]
            auth = dict(cloud["auth"], username=name, password=password, project_name=name)
            clouds = tmp_path / "clouds.yaml"
            clouds.write_text(yaml.safe_dump({"clouds": {name: dict(cloud, auth=auth)}}))
            cfg = yaml.safe_load(lab.paths.suite_config.read_text())
            cfg["cloud"] = dict(cfg["cloud"], name=name, clouds_yaml=str(clouds))
            (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
            junit = tmp_path / "junit.xml"
            res = subprocess.run([str(FUEL_HEALTH), "run", "--config", str(tmp_path / "cfg.yaml"), "--set", "smoke",
                                  "-k", "on_host or on_cluster", "--junit", str(junit), "--allure-dir",
                                  str(tmp_path / "allure")], capture_output=True, text=True, timeout=600)
        finally:
            conn.identity.delete_user(user)
    finally:
        conn.identity.delete_project(project)

    assert res.returncode == 1, res.stdout[-2000:] + res.stderr[-2000:]
    cases = {tc.get("name"): tc.find("failure") for tc in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"test_kvm_instance_with_volume_on_host[nova:node-2]",
                          "test_vcenter_instance_with_volume_on_cluster[vcenter:vmcluster1]"}
    for case, failure in cases.items():
        assert failure is not None, f"{case} passed without admin"
        pin = case.split("[", 1)[1].rstrip("]").replace("vcenter:", "vcenter:vcenter-")
        assert f"per-host coverage needs admin: nova refused to pin a boot to {pin}" in failure.get("message"), case
        assert "forced_host" in failure.get("message") and "admin credentials" in failure.get("message"), case
