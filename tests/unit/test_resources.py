"""Run ids, names, the cleanup registry, and the sweep (against an in-memory fake of the SDK proxies)."""

from __future__ import annotations

import re
from types import SimpleNamespace as NS

import pytest
from openstack import exceptions as os_exc

from fuel_health.clients import resources
from fuel_health.clients.resources import Cleanup, CleanupFailed, ResourceNames

RUN = "3fa2c01b"


def test_run_ids_are_8_hex_chars_and_fresh():
    ids = {resources.new_run_id() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids)
    with pytest.raises(ValueError, match="8 lowercase hex"):
        resources.check_run_id("run-1")


def test_names_are_unique_per_worker_and_kind():
    gw0, gw1 = ResourceNames("ostf", RUN, "gw0"), ResourceNames("ostf", RUN, "gw1")
    assert [gw0("server"), gw0("server"), gw0("volume"), gw1("server")] == [
        "ostf-3fa2c01b-gw0-server-1", "ostf-3fa2c01b-gw0-server-2", "ostf-3fa2c01b-gw0-volume-1",
        "ostf-3fa2c01b-gw1-server-1"]
    with pytest.raises(ValueError):
        gw0("Server-X")


def test_run_prefix_never_matches_everything():
    assert resources.run_prefix("ostf", RUN) == "ostf-3fa2c01b-"
    assert resources.run_prefix("ostf") == "ostf-"
    with pytest.raises(ValueError):
        resources.run_prefix("")


# --- cleanup registry ---


def test_cleanup_runs_newest_first():
    done: list[str] = []
    reg = Cleanup()
    for name in ("network", "server", "volume"):
        reg.add(f"delete {name}", lambda name=name: done.append(name))
    assert reg.pending() == ["delete volume", "delete server", "delete network"]
    reg.run()
    assert done == ["volume", "server", "network"]
    assert len(reg) == 0


def test_cleanup_ignores_not_found_and_reports_every_failure_at_the_end():
    done: list[str] = []
    reg = Cleanup()
    reg.add("delete server a", lambda: done.append("a"))
    reg.add("delete volume b", lambda: (_ for _ in ()).throw(RuntimeError("volume b is in-use\nsee logs")))
    reg.add("delete image c", lambda: (_ for _ in ()).throw(os_exc.NotFoundException()))
    reg.add("delete server d", lambda: (_ for _ in ()).throw(TimeoutError("still DELETING")))

    with pytest.raises(CleanupFailed) as err:
        reg.run()

    assert done == ["a"]  # kept going after the failures
    assert err.value.errors == ["delete server d: TimeoutError: still DELETING",
                                "delete volume b: RuntimeError: volume b is in-use see logs"]
    assert str(err.value).splitlines()[1:] == [f"  - {e}" for e in err.value.errors]
    reg.run()  # nothing left: a second run repeats nothing


def test_cleanup_retries_once_what_an_older_undo_may_have_unblocked():
    """A volume a panicked guest never releases: its detach and delete fail until the server is deleted (which
    detaches it); they run once more after that. A failure nothing older unblocked is not retried."""
    attached = {"volume"}
    calls: list[str] = []

    def detach() -> None:
        calls.append("detach")
        if attached:
            raise TimeoutError("still in-use")

    def delete_volume() -> None:
        calls.append("delete volume")
        if attached:
            raise TimeoutError("still in-use")

    def stuck() -> None:
        calls.append("stuck")
        raise TimeoutError("never")

    reg = Cleanup()
    reg.add("delete server", lambda: (calls.append("delete server"), attached.clear()))
    reg.add("delete volume", delete_volume)
    reg.add("detach volume", detach)
    assert reg.run() == []
    assert calls == ["detach", "delete volume", "delete server", "detach", "delete volume"]

    calls.clear()
    reg.add("delete keypair", lambda: calls.append("delete keypair"))
    reg.add("delete image", stuck)
    with pytest.raises(CleanupFailed) as err:
        reg.run()
    assert calls == ["stuck", "delete keypair", "stuck"]  # retried once, after the keypair, then reported once
    assert err.value.errors == ["delete image: TimeoutError: never"]

    calls.clear()
    reg.add("delete image", stuck)  # the oldest undo fails: nothing ran after it that could have freed it
    with pytest.raises(CleanupFailed):
        reg.run()
    assert calls == ["stuck"]


# --- sweep ---


class FakeCloud:
    """Just enough of conn.compute / conn.block_storage / conn.image for the sweep."""

    current_project_id = "p1"  # the sweep refuses a connection whose project it cannot tell

    def __init__(self) -> None:
        self.log: list[str] = []
        self.srv = {s.id: s for s in (NS(id="s1", name=f"ostf-{RUN}-gw0-server-1"),
                                          NS(id="s2", name="ostf-99999999-main-server-1"),
                                          NS(id="s3", name="production-db"))}
        self.vols = {v.id: v for v in (
            NS(id="v1", name=f"ostf-{RUN}-gw0-volume-1", status="in-use", attachments=[{"server_id": "s1"}]),
            NS(id="v2", name=f"ostf-{RUN}-gw0-volume-2", status="in-use", attachments=[{"server_id": "s3"}]),
            NS(id="v3", name="customer-data", status="available", attachments=[]))}
        self.imgs = {"i1": NS(id="i1", name=f"ostf-{RUN}-main-image-1"), "i2": NS(id="i2", name="TestVM")}
        self.flvs = [NS(id="f1", name=f"ostf-{RUN}-main-flavor-1"), NS(id="f2", name="m1.tiny")]
        self.aggs = [NS(id="a1", name=f"ostf-{RUN}-main-aggregate-1", hosts=["compute-1"])]
        self.kps = [NS(id=f"ostf-{RUN}-main-keypair-1", name=f"ostf-{RUN}-main-keypair-1")]
        self.compute, self.block_storage, self.image = self, self, self

    def _get(self, table, rid):
        if rid not in table:
            raise os_exc.NotFoundException()
        return table[rid]

    # compute
    def servers(self, **query):
        return list(self.srv.values())

    def delete_server(self, s, force=False):
        self.log.append(f"delete server {s.id}")
        del self.srv[s.id]
        for v in self.vols.values():  # nova detaches the volumes of a deleted server
            v.attachments = [a for a in v.attachments if a["server_id"] != s.id]

    def get_server(self, sid):
        return self._get(self.srv, sid)

    def flavors(self):
        return self.flvs

    def delete_flavor(self, f):
        self.log.append(f"delete flavor {f.id}")

    def aggregates(self):
        return self.aggs

    def remove_host_from_aggregate(self, a, host):
        self.log.append(f"remove {host} from aggregate {a.id}")

    def delete_aggregate(self, a):
        self.log.append(f"delete aggregate {a.id}")

    def keypairs(self):
        return self.kps

    def delete_keypair(self, k):
        self.log.append(f"delete keypair {k.id}")

    def delete_volume_attachment(self, server, volume):
        self.log.append(f"detach {volume} from {server}")

    # block storage
    def snapshots(self, **query):
        return []

    def volumes(self, **query):
        return list(self.vols.values())

    def delete_volume(self, v):
        self.log.append(f"delete volume {v.id}")
        del self.vols[v.id]

    def get_volume(self, vid):
        return self._get(self.vols, vid)

    # image
    def images(self):
        return list(self.imgs.values())

    def delete_image(self, i):
        self.log.append(f"delete image {i.id}")
        del self.imgs[i.id]

    def get_image(self, iid):
        return self._get(self.imgs, iid)


def test_sweep_by_run_id_touches_only_that_run_in_a_safe_order():
    cloud = FakeCloud()

    with pytest.raises(CleanupFailed) as err:
        resources.sweep(cloud, "ostf", RUN, timeout=5)

    assert cloud.log == ["delete server s1", "delete volume v1", "delete image i1", "delete flavor f1",
                         "remove compute-1 from aggregate a1", "delete aggregate a1",
                         f"delete keypair ostf-{RUN}-main-keypair-1"]
    # A volume of ours attached to someone else's server is reported, never detached.
    assert err.value.errors == [f"volume ostf-{RUN}-gw0-volume-2 (v2): attached to server(s) not ours s3: "
                                "left alone"]
    assert f"deleted server ostf-{RUN}-gw0-server-1 (s1)" in err.value.done
    assert set(cloud.srv) == {"s2", "s3"} and set(cloud.vols) == {"v2", "v3"} and set(cloud.imgs) == {"i2"}


def test_sweep_dry_run_deletes_nothing():
    cloud = FakeCloud()
    cloud.vols.pop("v2")

    done = resources.sweep(cloud, "ostf", dry_run=True)

    assert cloud.log == []
    assert done[:2] == [f"would delete server ostf-{RUN}-gw0-server-1 (s1)",
                        "would delete server ostf-99999999-main-server-1 (s2)"]
    assert not any("production-db" in line or "customer-data" in line or "TestVM" in line for line in done)


def test_sweep_waits_for_a_volume_still_being_created_then_deletes_it():
    """A Ctrl-C between the create call and its cleanup registration leaves a `creating` volume for the sweep:
    cinder refuses to delete it until it settles."""
    cloud = FakeCloud()
    cloud.vols = {"v9": NS(id="v9", name=f"ostf-{RUN}-main-volume-1", status="creating", attachments=[])}
    polls = []

    def get_volume(vid):  # available on the second poll, as a VMDK volume about 1.5 s after the create call
        polls.append(vid)
        vol = cloud._get(cloud.vols, vid)
        vol.status = "available" if len(polls) >= 2 else "creating"
        return vol

    def delete_volume(v, force=False):
        assert cloud.vols[v.id].status == "available", "cinder refuses to delete a volume still creating"
        cloud.log.append(f"delete volume {v.id}")
        del cloud.vols[v.id]

    cloud.get_volume, cloud.delete_volume = get_volume, delete_volume
    done = resources.sweep(cloud, "ostf", RUN, timeout=10)

    assert "delete volume v9" in cloud.log and f"deleted volume ostf-{RUN}-main-volume-1 (v9)" in done
    assert not cloud.vols and len(polls) >= 2


def test_sweep_without_a_project_refuses_before_touching_anything():
    """A domain-scoped login has no project to keep the sweep inside: refused, nothing listed or deleted."""
    cloud = FakeCloud()
    cloud.current_project_id = None

    with pytest.raises(ValueError, match="--all-projects"):
        resources.sweep(cloud, "ostf", RUN)
    assert cloud.log == []
