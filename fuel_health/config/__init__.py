"""ClusterConfig: one frozen, typed description of the cloud under test, built once per run.

The one import path for the config: `from fuel_health.config import ClusterConfig, Zone, load, ...`.
Schema: docs/cluster-config.md (the contract with the local lab, which writes the file).

  model.py    the frozen model: ClusterConfig with N zones (KVM zones with their hosts, vCenter zones with
              their own vCenter), nodes, timeouts
  schema.py   the file schema (pydantic) and `build`: raw data -> ClusterConfig, one-line errors
  file.py     the file loader (bounded YAML)
  env.py      env/CLI overrides of single keys
  nailgun.py  the Nailgun loader (a Fuel environment, vmware_attributes as is); imported when used
  nailgun_client.py  the Nailgun REST client (the loader's, the adapter's and the system tests')
  sources.py  which source wins, then the overrides; `show`

Every problem raises ConfigError with ONE line: `<key path>: <what is wrong> (<what to do>)`.
"""

from __future__ import annotations

from fuel_health.config.env import ENV_PREFIX, ENV_SOURCES, apply_overrides, env_overrides, parse_assignments
from fuel_health.config.errors import ConfigError, NoConfigFound
from fuel_health.config.file import MAX_FILE_BYTES, load_file, safe_yaml
from fuel_health.config.model import (
    CONTROLLERS,
    HYPERVISORS,
    CloudAccess,
    ClusterConfig,
    ClusterInfo,
    Hypervisors,
    Node,
    NovaCompute,
    Storage,
    Timeouts,
    VCenter,
    Zone,
)
from fuel_health.config.schema import PREFIX_RE, STORAGE_KEYS, TOP_KEYS, build, precheck, wrap_secrets
from fuel_health.config.secret import Secret
from fuel_health.config.sources import lab_config_path, load, show

__all__ = [
    "CONTROLLERS", "ENV_PREFIX", "ENV_SOURCES", "HYPERVISORS", "MAX_FILE_BYTES", "PREFIX_RE", "STORAGE_KEYS",
    "TOP_KEYS", "CloudAccess", "ClusterConfig", "ClusterInfo", "ConfigError", "Hypervisors", "NoConfigFound",
    "Node", "NovaCompute", "Secret", "Storage", "Timeouts", "VCenter", "Zone", "apply_overrides", "build",
    "env_overrides", "lab_config_path", "load", "load_file", "parse_assignments", "precheck", "safe_yaml",
    "show", "wrap_secrets",
]
