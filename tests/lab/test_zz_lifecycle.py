"""Lab life cycle on the running lab: `up` twice is harmless, `down` leaves nothing, state survives.

Named to run last: it stops and restarts the whole lab."""

from __future__ import annotations

import psutil


def lab_processes(home: str) -> list[str]:
    out = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            if any(home in arg for arg in proc.info["cmdline"] or []):
                out.append(f"{proc.info['pid']} {proc.info['name']}")
        except psutil.Error:
            pass
    return out


def test_up_twice_does_no_harm(lab):
    before = {r["service"]: r["pid"] for r in lab.status()}
    lab.up()
    after = {r["service"]: r["pid"] for r in lab.status()}
    assert after == before and all(before.values())


def test_down_leaves_no_process_and_state_survives_restart(lab, conn, name):
    flavor = conn.compute.create_flavor(name=name, ram=64, vcpus=1, disk=0)
    try:
        assert lab.down() == [], "down had to kill stray processes"
        assert lab_processes(str(lab.paths.home)) == []
        assert all(r["state"] == "down" for r in lab.status())
        lab.up()
        conn.close()
        assert conn.compute.find_flavor(name) is not None
    finally:
        conn.compute.delete_flavor(flavor, ignore_missing=True)
