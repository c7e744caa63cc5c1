"""Which clusters the adapter knows, their configs, tags, and which sets and tests each one sees.

Sources: cluster config files (`--cluster-config PATH`, repeatable; default the local lab's file), each
naming its `cluster.id`; and/or Nailgun (`--nailgun-url`), asked about any other cluster id. Files are
re-read when they change; Nailgun answers are kept for a few seconds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fuel_health import config as config_mod
from fuel_health.adapter.auth import caller_token  # the keystone token of the request (--auth keystone)
from fuel_health.adapter.catalog import Catalog, Entry
from fuel_health.config import ClusterConfig, ConfigError
from fuel_health.pytest_plugin import selection
from fuel_health.pytest_plugin.ostf import TEST_SETS, TestSet
from fuel_health.pytest_plugin.tags import deployment_tags

NAILGUN_TTL = 15.0


class UnknownCluster(LookupError):
    """No source knows this cluster id (404)."""


class ClusterUnavailable(RuntimeError):
    """The source of a cluster cannot answer now (Nailgun down...): one line (503)."""


@dataclass(frozen=True)
class Cluster:
    """A cluster as the adapter uses it: config, tags, and how pytest gets the same config."""

    id: int
    cfg: ClusterConfig
    tags: frozenset[str]
    pytest_args: tuple[str, ...]  # --cluster-config PATH, or --nailgun-url URL --cluster-id N
    source: str

    def why_not(self, entry: Entry) -> str | None:
        """Return why a test does not apply to this cluster (None when it does)."""
        return selection.why_not(entry.meta, self.tags, release=self.cfg.cluster.release)

    def tests(self, catalog: Catalog, testset: str | None = None) -> list[Entry]:
        """Return the catalogue's tests that apply here (of one set, if given), in OSTF order."""
        return [e for e in catalog.entries
                if (testset is None or e.meta.test_set == testset) and self.why_not(e) is None]

    def testsets(self, catalog: Catalog) -> list[TestSet]:
        """Return the sets with at least one test that applies here, by priority."""
        have = {e.meta.test_set for e in self.tests(catalog)}
        return sorted((TEST_SETS[s] for s in have), key=lambda s: s.priority)


def _cluster(cfg: ClusterConfig, pytest_args: tuple[str, ...], fallback_id: int | None = None) -> Cluster:
    cid = cfg.cluster.id if cfg.cluster.id is not None else fallback_id
    if cid is None:
        raise ConfigError("cluster.id", "missing", "the adapter needs it to know which cluster a file is")
    return Cluster(id=int(cid), cfg=cfg, tags=deployment_tags(cfg), pytest_args=pytest_args, source=cfg.source)


class Clusters:
    """Finds a cluster by id in the config files, then in Nailgun."""

    def __init__(self, files: Sequence[Path] = (), nailgun_url: str | None = None,
                 nailgun_token: str | None = None) -> None:
        self.files = tuple(Path(f).expanduser().resolve() for f in files)
        self.nailgun_url, self.nailgun_token = nailgun_url, nailgun_token
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[tuple[int, int], Cluster | str]] = {}
        self._nailgun: dict[int, tuple[float, Cluster]] = {}

    def _from_file(self, path: Path) -> Cluster | str:
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError as exc:
            return f"{path}: {exc.strerror or exc}"
        cached = self._files.get(path)
        if cached is None or cached[0] != stamp:
            try:
                found: Cluster | str = _cluster(config_mod.load(path), ("--cluster-config", str(path)))
            except ConfigError as exc:
                found = str(exc)
            cached = self._files[path] = (stamp, found)
        return cached[1]

    def from_files(self) -> tuple[dict[int, Cluster], list[str]]:
        """Return the clusters of the config files by id, and one line per file that does not load."""
        found: dict[int, Cluster] = {}
        broken: list[str] = []
        with self._lock:
            for path in self.files:
                got = self._from_file(path)
                if isinstance(got, str):
                    broken.append(got)
                elif got.id in found:
                    broken.append(f"{path}: cluster.id {got.id} is also in {found[got.id].source}")
                else:
                    found[got.id] = got
        return found, broken

    def get(self, cluster_id: int) -> Cluster:
        """Return the cluster, or raise UnknownCluster / ClusterUnavailable with one line."""
        found, broken = self.from_files()
        if cluster_id in found:
            return found[cluster_id]
        if self.nailgun_url:
            return self._from_nailgun(cluster_id)
        known = ", ".join(map(str, sorted(found))) or "none"
        if broken:  # the cluster may be in a file that does not load: "unavailable" with the reason (503)
            raise ClusterUnavailable(f"cluster {cluster_id} not found (known: {known}); "
                                     f"cluster config not loaded: {'; '.join(broken)}")
        raise UnknownCluster(f"unknown cluster {cluster_id} (known: {known})")

    def _from_nailgun(self, cluster_id: int) -> Cluster:
        now = time.monotonic()
        cached = self._nailgun.get(cluster_id)
        if cached and now - cached[0] < NAILGUN_TTL:
            return cached[1]
        try:
            cfg = config_mod.load(nailgun_url=self.nailgun_url, cluster_id=cluster_id,
                                  nailgun_token=caller_token() or self.nailgun_token)
        except ConfigError as exc:
            if "HTTP 404" in str(exc):
                raise UnknownCluster(f"unknown cluster {cluster_id} (Nailgun at {self.nailgun_url} has none)") \
                    from None
            raise ClusterUnavailable(str(exc)) from None
        args = ("--nailgun-url", str(self.nailgun_url), "--cluster-id", str(cluster_id))
        cluster = _cluster(cfg, args, fallback_id=cluster_id)
        self._nailgun[cluster_id] = (now, cluster)
        return cluster

    def listing(self) -> list[Cluster]:
        """Return the clusters of the config files, then Nailgun's (for the built-in page)."""
        found, _ = self.from_files()
        clusters = sorted(found.values(), key=lambda c: c.id)
        if self.nailgun_url:
            from fuel_health.config.nailgun_client import NailgunClient

            try:
                client = NailgunClient(self.nailgun_url, token=caller_token() or self.nailgun_token)
                ids = [c["id"] for c in client.get("clusters")]
            except (ConfigError, KeyError, TypeError) as exc:
                raise ClusterUnavailable(str(exc)) from None
            for cid in ids:
                if cid not in found:
                    try:
                        clusters.append(self._from_nailgun(int(cid)))
                    except (UnknownCluster, ClusterUnavailable):
                        continue
        return clusters


def default_files(environ: dict[str, str] | None = None) -> list[Path]:
    """Return the local lab's config file, the default when no --cluster-config or Nailgun is given."""
    return [config_mod.lab_config_path(os.environ if environ is None else environ)]
