"""Side by side with Tempest: boot a server, create a volume, attach, detach, delete, in each zone.

Tempest (PyPI, pinned, in its own venv under $FUEL_LAB_HOME/bench/tempest) is configured against the same
lab: admin credentials from the lab's clouds.yaml, dynamic credentials without networks (the lab's instances
have none), and `[compute] compute_volume_common_az` pinning the server and the volume to one zone, which
is what tempest documents for clouds with cross_az_attach = False. Its own test is
`AttachVolumeTestJSON.test_attach_detach_volume`; ours is the zone's smoke `test_<zone>_instance_with_volume`.

Tempest's test also stops and starts the server twice, and deletes the volume in tearDownClass, outside the
test's own time. Its log times every API call, so "same work" is read from it: from the boot request to the
last call on the server or volume, minus the stop/start phases (from each `POST /servers/<id>/action` to the
next call that changes something). Ours is the whole test, fixtures included. Both whole commands are timed
too (Tempest's includes creating and deleting its project and users). Median, min and max of --repeat runs.
usage: python -m benchmarks.tempest_compare [--repeat 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import configparser
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from benchmarks import common, suite_timing
from devops_envs.local.paths import LabPaths

TEMPEST = "tempest==47.0.0"
TEST = "tempest.api.compute.volumes.test_attach_volume.AttachVolumeTestJSON.test_attach_detach_volume"
OURS = {"kvm": "test_kvm_instance_with_volume", "vcenter": "test_vcenter_instance_with_volume"}
RESULT_LINE = re.compile(r"(tempest\.\S+) \[([\d.]+)s\] \.\.\. (ok|FAILED|SKIPPED: .*)")
WORK_PORTS = (8774, 8776, 9292)  # nova, cinder, glance: the work itself (not keystone, not test accounts)
REQUEST_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*Request \((\w+):(\w+)\): (\d+) (GET|POST|PUT|"
                          r"DELETE|PATCH|HEAD) (\S+) ([\d.]+)s")


def home() -> Path:
    return LabPaths.from_env().home / "bench" / "tempest"


def install() -> Path:
    """Tempest in its own venv (its pins must not meet the suite's or the lab's); returns its `tempest`."""
    venv = home() / "venv"
    tempest = venv / "bin" / "tempest"
    if not tempest.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", TEMPEST],
                       check=True, timeout=1200, capture_output=True)
    return tempest


def workspace(tempest: Path, zone: str, image_id: str, flavor_id: str, auth: dict[str, Any]) -> Path:
    """A tempest workspace whose tempest.conf pins servers and volumes to one zone."""
    ws = home() / f"ws-{zone}"
    if not (ws / ".stestr.conf").exists():
        subprocess.run([str(tempest), "init", str(ws)], check=True, capture_output=True, timeout=120)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_dict({
        "DEFAULT": {"log_file": "tempest.log", "log_dir": str(ws), "debug": "False"},
        # neutron is on (the attach tests skip without it) but creates nothing: the lab's instances have no
        # network, like Fuel's vCenter zone with nova-network; nova boots them with none.
        "auth": {"use_dynamic_credentials": "True", "create_isolated_networks": "False",
                 "admin_username": auth["username"],
                 "admin_password": auth["password"], "admin_project_name": auth["project_name"],
                 "admin_domain_name": auth.get("user_domain_name", "Default")},
        "identity": {"uri_v3": auth["auth_url"], "auth_version": "v3", "region": "RegionOne"},
        "identity-feature-enabled": {"api_v2": "False"},
        "service_available": {"nova": "True", "cinder": "True", "glance": "True", "neutron": "True",
                              "swift": "False", "horizon": "False"},
        "compute": {"image_ref": image_id, "image_ref_alt": image_id, "flavor_ref": flavor_id,
                    "flavor_ref_alt": flavor_id, "compute_volume_common_az": zone, "build_timeout": "180"},
        "volume": {"build_timeout": "180", "volume_size": "1"},
        "validation": {"run_validation": "False"},
    })
    with open(ws / "etc" / "tempest.conf", "w") as f:
        conf.write(f)
    return ws


def run_tempest(tempest: Path, ws: Path) -> dict[str, Any]:
    log = ws / "tempest.log"
    log.unlink(missing_ok=True)
    t0 = time.monotonic()
    res = subprocess.run([str(tempest), "run", "--serial", "--regex", f"^{re.escape(TEST)}(\\[|$)"], cwd=ws,
                         capture_output=True, text=True, timeout=1200)
    wall = time.monotonic() - t0
    found = RESULT_LINE.search(res.stdout)
    if found is None:
        tail = (res.stdout + res.stderr).strip().splitlines()[-3:]
        return {"ok": False, "why": f"tempest run exit {res.returncode}: {' / '.join(tail)}", "wall_s": round(wall, 2)}
    if found.group(3) != "ok":
        return {"ok": False, "why": f"{TEST} {found.group(3)[:300]}", "wall_s": round(wall, 2)}
    return {"ok": True, "wall_s": round(wall, 2), "test_s": round(float(found.group(2)), 2),
            **same_work(read_calls(log))}


@dataclass(frozen=True)
class Call:
    start: float
    end: float
    caller: str
    method: str
    url: str


def read_calls(log: Path) -> list[Call]:
    """Every API call tempest.log records (rest_client logs each answer with its duration)."""
    calls = []
    for line in log.read_text(errors="replace").splitlines():
        m = REQUEST_LINE.match(line)
        if m:
            end = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            calls.append(Call(end - float(m.group(7)), end, m.group(3), m.group(5), m.group(6)))
    return calls


def same_work(calls: list[Call]) -> dict[str, Any]:
    """Boot to the last call on the server or volume, minus the stop/start phases; and its API calls.

    The volume is deleted in tearDownClass (a class-level cleanup), outside the test's own duration, so the
    span is read from the log, not from the test's time. A stop or start phase runs from its
    `POST /servers/<id>/action` to the next call that changes something."""
    work = [c for c in calls if urlsplit(c.url).port in WORK_PORTS]
    boot = next(c for c in work if c.method == "POST" and c.url.rstrip("/").endswith("/servers"))
    done = work[-1]
    changes = [c for c in work if c.method != "GET" and c.start >= boot.start]
    phases = [(this.start, following.start) for this, following in zip(changes, changes[1:], strict=False)
              if this.method == "POST" and this.url.rstrip("/").endswith("/action")]
    power_s = sum(end - start for start, end in phases)
    in_work = [c for c in work if c.start >= boot.start and not any(s <= c.start < e for s, e in phases)]
    return {"same_work_s": round(done.end - boot.start - power_s, 2), "stop_start_s": round(power_s, 2),
            "api_calls": len(in_work)}


def run_ours(zone: str) -> dict[str, Any]:
    # -k matches substrings: the zone's check alone, not its per-host or per-cluster twin.
    run = suite_timing.run_suite("--set", "smoke", "-k", f"{OURS[zone]} and not on_host and not on_cluster")
    case = next((c for c in run.cases if c.id.split("[", 1)[0].endswith(OURS[zone])), None)  # [<zone>]
    if case is None or case.outcome != "passed":
        return {"ok": False, "why": f"{OURS[zone]}: {case.outcome if case else 'not run'}", "wall_s": run.wall_s}
    by = dict(part.rsplit(" ", 1) for part in (case.props.get("api_calls_by") or "").split(", ") if part)
    calls = sum(int(n) for key, n in by.items() if key.endswith(tuple(f":{p}" for p in WORK_PORTS)))
    return {"ok": True, "wall_s": run.wall_s, "test_s": round(case.duration_s, 2), "same_work_s":
            round(case.duration_s, 2), "api_calls": calls}


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def measure(repeat: int) -> dict[str, Any]:
    import openstack

    paths = LabPaths.from_env()
    clouds = yaml.safe_load(paths.clouds_yaml.read_text())
    cloud_name, cloud = next(iter(clouds["clouds"].items()))
    suite_cfg = yaml.safe_load(paths.suite_config.read_text())
    region = openstack.config.OpenStackConfig(config_files=[str(paths.clouds_yaml)]).get_one(cloud_name)
    conn = openstack.connection.Connection(config=region)
    try:
        tempest = install()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return {"tempest": TEMPEST, "error": f"could not install {TEMPEST} from PyPI: {exc}"}
    figures: dict[str, Any] = {"tempest": TEMPEST, "tempest_test": TEST, "repeat": repeat, "zones": {}}
    for zone, hv in suite_cfg["hypervisors"].items():
        image = conn.image.find_image(hv["image"], ignore_missing=False)
        flavor = conn.compute.find_flavor(hv["flavor"], ignore_missing=False)
        ws = workspace(tempest, hv["zone"], image.id, flavor.id, cloud["auth"])
        theirs = [run_tempest(tempest, ws) for _ in range(repeat)]
        ours = [run_ours(zone) for _ in range(repeat)]
        figures["zones"][zone] = compare(theirs, ours)
    return figures


def compare(theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"tempest_runs": theirs, "our_runs": ours}
    bad = [r["why"] for r in theirs + ours if not r["ok"]]
    if bad:
        out["not_compared"] = bad[0]
        return out
    for key in ("same_work_s", "test_s", "wall_s"):
        t, o = [r[key] for r in theirs], [r[key] for r in ours]
        out[key] = {"tempest": spread(t), "ours": spread(o),
                    "ratio_ours_to_tempest": round(statistics.median(o) / statistics.median(t), 2)}
    out["api_calls"] = {"tempest": statistics.median(r["api_calls"] for r in theirs),
                        "ours": statistics.median(r["api_calls"] for r in ours)}
    out["tempest_stop_start_s"] = spread([r["stop_start_s"] for r in theirs])
    return out


def table(f: dict[str, Any]) -> str:
    if "error" in f:
        return f"Not compared: {f['error']}"
    lines = [f"Tempest {f['tempest']} `{f['tempest_test'].rsplit('.', 2)[-2]}.test_attach_detach_volume` vs our "
             f"zone smoke test; {f['repeat']} runs each, median (min-max) seconds.", "",
             "| zone | what | Tempest | ours | ours/Tempest |", "|---|---|---|---|---|"]
    labels = {"same_work_s": "same work (boot, volume, attach, detach, delete)",
              "test_s": "whole test (Tempest's adds 2 stop/start)", "wall_s": "whole command"}
    for zone, z in f["zones"].items():
        if "not_compared" in z:
            lines.append(f"| {zone} | not compared | {z['not_compared']} | | |")
            continue
        for key, label in labels.items():
            t, o = z[key]["tempest"], z[key]["ours"]
            lines.append(f"| {zone} | {label} | {t['median']} ({t['min']}-{t['max']}) | {o['median']} "
                         f"({o['min']}-{o['max']}) | {z[key]['ratio_ours_to_tempest']} |")
        lines.append(f"| {zone} | nova/cinder/glance API calls for the same work | {z['api_calls']['tempest']} | "
                     f"{z['api_calls']['ours']} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="side by side with Tempest")
    parser.add_argument("--repeat", type=int, default=3)
    common.main("tempest_compare", lambda a: measure(a.repeat), table, parser)


if __name__ == "__main__":
    main()
