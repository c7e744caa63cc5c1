"""The env/CLI loader: single keys overridden by FUEL_HEALTH_<SECTION>__<KEY> and `--config-set key=value`.

Values are read as YAML scalars ("300" -> 300, "true" -> True, "[a, b]" -> a list). Keys inside lists
(nodes, vmware_attributes, a list of zones) cannot be overridden one by one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from fuel_health.config.errors import ConfigError
from fuel_health.config.file import safe_yaml
from fuel_health.config.model import ClusterConfig
from fuel_health.config.schema import TOP_KEYS, build

ENV_PREFIX = "FUEL_HEALTH_"
# FUEL_HEALTH_* variables that choose a source rather than override a key.
ENV_SOURCES = frozenset({"CONFIG", "NAILGUN_URL", "CLUSTER_ID", "NAILGUN_TOKEN", "NAILGUN_TOKEN_FILE",
                         "NAILGUN_CACERT", "NAILGUN_USERNAME", "NAILGUN_PASSWORD", "RUN_ID"})


def env_overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """Turn FUEL_HEALTH_<SECTION>__<KEY>=value variables into {"section.key": value}."""
    found = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name[len(ENV_PREFIX):] in ENV_SOURCES:
            continue
        found[".".join(part.lower() for part in name[len(ENV_PREFIX):].split("__"))] = value
    return found


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Turn CLI `key.path=value` strings into a mapping for apply_overrides."""
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("--config-set", f"{item!r} is not key.path=value", "e.g. timeouts.boot=300")
        result[key.strip()] = value
    return result


def apply_overrides(cfg: ClusterConfig, mapping: Mapping[str, Any]) -> ClusterConfig:
    """Return a new config with single keys replaced ({"timeouts.boot": "300"}), validated again."""
    if not mapping:
        return cfg
    raw = copy.deepcopy(dict(cfg.raw))
    for key, value in mapping.items():
        parts = [p for p in key.split(".") if p]
        if not parts or parts[0] not in TOP_KEYS:
            raise ConfigError(key, "unknown key", f"sections: {', '.join(TOP_KEYS)}")
        if parts[0] in ("nodes",) or (parts[0] == "vmware_attributes" and len(parts) > 1):
            raise ConfigError(key, "cannot override inside a list", "edit the config file instead")
        if isinstance(value, str):
            value = _scalar(value)
        target = raw
        for part in parts[:-1]:
            if isinstance(target.get(part), list):  # e.g. hypervisors.kvm given as a list of zones
                raise ConfigError(key, "cannot override inside a list", "edit the config file instead")
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[parts[-1]] = value
    return build(raw, source=f"{cfg.source} + overrides")


def _scalar(text: str) -> Any:
    # Read as YAML ("300" -> 300, "true" -> True); what is not YAML stays the plain string.
    try:
        return safe_yaml(text) if text.strip() else None
    except (yaml.YAMLError, ValueError, RecursionError):
        return text
