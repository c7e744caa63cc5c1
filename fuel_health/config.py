"""ClusterConfig: one frozen, typed description of the cloud under test, built once per run.

Schema: docs/cluster-config.md (the contract with the local lab, which writes the file).

Sources, first found wins (`load()`):
  1. an explicit file (`--cluster-config PATH` / `fuel-health --config PATH`);
  2. Nailgun (`--nailgun-url URL --cluster-id N`, token in $FUEL_HEALTH_NAILGUN_TOKEN or the file
     `--nailgun-token-file` / $FUEL_HEALTH_NAILGUN_TOKEN_FILE names, never argv);
  3. $FUEL_HEALTH_CONFIG, then $FUEL_HEALTH_NAILGUN_URL + $FUEL_HEALTH_CLUSTER_ID;
  4. the local lab's file, $FUEL_LAB_HOME/fuel-health.yaml (default ~/.local/share/fuel-dualhv-lab/).

Then single keys are overridden, first from the environment, then from the command line:
  FUEL_HEALTH_<SECTION>__<KEY>[__<KEY>]=value   e.g. FUEL_HEALTH_TIMEOUTS__BOOT=300,
                                                     FUEL_HEALTH_HYPERVISORS__VCENTER__ZONE=vc1,
                                                     FUEL_HEALTH_RESOURCE_PREFIX=ci
  --config-set section.key=value                e.g. --config-set vcenter.insecure=true
Values are read as YAML scalars ("300" -> 300, "true" -> True, "[a, b]" -> a list). Keys inside
lists (nodes, vmware_attributes) cannot be overridden one by one.

Every problem raises ConfigError with ONE line: `<key path>: <what is wrong> (<what to do>)`.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fuel_health.config_model import (
    CONTROLLERS,
    HYPERVISORS,
    CloudAccess,
    ClusterConfig,
    ClusterInfo,
    ConfigError,
    Hypervisors,
    Node,
    NovaCompute,
    Storage,
    Timeouts,
    VCenter,
    Zone,
)
from fuel_health.config_schema import TOP_KEYS, build, wrap_secrets
from fuel_health.secret import Secret

__all__ = [
    "CONTROLLERS", "HYPERVISORS", "CloudAccess", "ClusterConfig", "ClusterInfo", "ConfigError", "Hypervisors",
    "NoConfigFound", "Node", "NovaCompute", "Secret", "Storage", "Timeouts", "VCenter", "Zone",
    "apply_overrides", "build", "env_overrides", "lab_config_path", "load", "load_file", "parse_assignments",
    "show", "wrap_secrets",
]

ENV_PREFIX = "FUEL_HEALTH_"
# FUEL_HEALTH_* variables that choose a source rather than override a key.
ENV_SOURCES = frozenset({"CONFIG", "NAILGUN_URL", "CLUSTER_ID", "NAILGUN_TOKEN", "NAILGUN_TOKEN_FILE",
                         "NAILGUN_CACERT", "NAILGUN_USERNAME", "NAILGUN_PASSWORD", "RUN_ID"})


class NoConfigFound(ConfigError):
    """No source names a cluster config at all (as opposed to a broken one)."""


# --- loaders -----------------------------------------------------------------------------------------


# Bounds of what the loader reads: a real cluster config is a few KiB and a handful of levels deep.
MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32


class SafeYamlLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without the ways a file can turn against its reader.

    Aliases are refused (an alias bomb expands to gigabytes once the tree is walked), nesting is bounded
    (deep nesting is a RecursionError in the composer), and `.nan`/`.inf` are refused (no timeout or
    port is infinite, and NaN passes every `<= 0` check).
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, f"alias *{event.anchor} refused (write the value "
                                                          "out; aliases are not allowed)", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_finite_float(self, node: yaml.Node) -> float:
        value = self.construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a finite number",
                                                    node.start_mark)
        return value


SafeYamlLoader.add_constructor("tag:yaml.org,2002:float", SafeYamlLoader.construct_finite_float)


def safe_yaml(text: str) -> Any:
    """Parse YAML text with SafeYamlLoader (what every config reader here uses)."""
    return yaml.load(text, Loader=SafeYamlLoader)  # noqa: S506 - SafeLoader subclass


def load_file(path: str | os.PathLike[str]) -> ClusterConfig:
    """Read and validate a cluster config YAML file; any read/decode/parse failure is one line naming it."""
    path = Path(path).expanduser()
    fix_read = "check --cluster-config / $FUEL_HEALTH_CONFIG"
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError("config", f"cannot read {path}: {exc.strerror or exc}", fix_read) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError("config", f"{path} is larger than {MAX_FILE_BYTES // 1024} KiB",
                          "a cluster config is a few KiB: is this the right file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("config", f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                    f"{exc.start})", "save the file as UTF-8") from None
    try:
        raw = safe_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or "invalid YAML").split())
        raise ConfigError("config", f"{path}{where}: {problem}", "fix the YAML syntax") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. an integer of 5000 digits
        raise ConfigError("config", f"{path}: unreadable ({type(exc).__name__}: {_brief(str(exc))})",
                          "fix the YAML") from None
    if raw is None:
        raise ConfigError("config", f"{path} is empty", "see docs/cluster-config.md")
    if not isinstance(raw, Mapping):
        raise ConfigError("config", f"{path}: expected a mapping of sections, got a {type(raw).__name__}",
                          "see docs/cluster-config.md")
    return build(raw, source=str(path))


def _brief(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    raw = copy.deepcopy(dict(cfg._raw))
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


def _token_file(env: Mapping[str, str]) -> Secret | None:
    """The Nailgun token from $FUEL_HEALTH_NAILGUN_TOKEN_FILE (what --nailgun-token-file sets): never argv."""
    name = env.get("FUEL_HEALTH_NAILGUN_TOKEN_FILE")
    if not name:
        return None
    path = Path(name).expanduser()
    try:
        with open(path, "rb") as f:
            data = f.read(4097)
        token = data.decode("utf-8").strip()
    except OSError as exc:
        raise ConfigError("nailgun token file", f"cannot read {path}: {exc.strerror or exc}",
                          "--nailgun-token-file / $FUEL_HEALTH_NAILGUN_TOKEN_FILE") from None
    except UnicodeDecodeError:
        raise ConfigError("nailgun token file", f"{path}: not UTF-8 text", "one line: the token") from None
    if not token or len(data) > 4096 or "\n" in token:
        raise ConfigError("nailgun token file", f"{path}: expected one line holding the token",
                          "e.g. `fuel token > FILE; chmod 600 FILE`")
    return Secret(token)


def lab_config_path(environ: Mapping[str, str]) -> Path:
    """Return where the local lab writes its config ($FUEL_LAB_HOME/fuel-health.yaml)."""
    home = environ.get("FUEL_LAB_HOME") or "~/.local/share/fuel-dualhv-lab"
    return Path(home).expanduser() / "fuel-health.yaml"


def load(
    config_path: str | os.PathLike[str] | None = None,
    *,
    nailgun_url: str | None = None,
    cluster_id: int | str | None = None,
    nailgun_token: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClusterConfig:
    """Build the run's config from the first source found, then apply env and CLI overrides."""
    env = os.environ if environ is None else environ
    if config_path is None and nailgun_url is None:
        config_path = env.get("FUEL_HEALTH_CONFIG") or None
        if config_path is None and env.get("FUEL_HEALTH_NAILGUN_URL"):
            nailgun_url = env["FUEL_HEALTH_NAILGUN_URL"]
            cluster_id = cluster_id or env.get("FUEL_HEALTH_CLUSTER_ID")
    if config_path is not None:
        cfg = load_file(config_path)
    elif nailgun_url is not None:
        from fuel_health import nailgun  # late: only this source talks HTTP

        if cluster_id is None:
            raise ConfigError("cluster_id", "missing", "pass --cluster-id with --nailgun-url")
        try:
            cid = int(cluster_id)
        except (TypeError, ValueError):
            raise ConfigError("cluster_id", f"{cluster_id!r} is not a number", "pass --cluster-id N") \
                from None
        cfg = nailgun.from_nailgun(
            nailgun_url, cid,
            token=nailgun_token or env.get("FUEL_HEALTH_NAILGUN_TOKEN") or _token_file(env),
            username=env.get("FUEL_HEALTH_NAILGUN_USERNAME"),
            password=env.get("FUEL_HEALTH_NAILGUN_PASSWORD"),
            cacert=env.get("FUEL_HEALTH_NAILGUN_CACERT") or None,
        )
    elif lab_config_path(env).is_file():
        cfg = load_file(lab_config_path(env))
    else:
        raise NoConfigFound("config", "no cluster config found",
                          "pass --cluster-config PATH or --nailgun-url URL --cluster-id N, "
                          "or set FUEL_HEALTH_CONFIG")
    cfg = apply_overrides(cfg, env_overrides(env))
    return apply_overrides(cfg, overrides or {})


class _ShowDumper(yaml.SafeDumper):
    """Lists of plain values on one line ([controller], [nova-api, ...]): `config show` stays short."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(v, str | int | float | bool) or v is None for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_ShowDumper.add_representer(list, _represent_list)


def show(cfg: ClusterConfig) -> str:
    """Render the config as YAML with every secret masked."""
    return yaml.dump(cfg.to_dict(), Dumper=_ShowDumper, sort_keys=False, default_flow_style=False, width=110)
