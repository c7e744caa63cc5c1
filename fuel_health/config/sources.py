"""Which source describes the cloud (file, Nailgun, the lab's file), then env and CLI overrides; `show`.

Sources, first found wins (`load()`):
  1. an explicit file (`--cluster-config PATH` / `fuel-health --config PATH`);
  2. Nailgun (`--nailgun-url URL --cluster-id N`, token in $FUEL_HEALTH_NAILGUN_TOKEN or the file
     `--nailgun-token-file` / $FUEL_HEALTH_NAILGUN_TOKEN_FILE names, never argv);
  3. $FUEL_HEALTH_CONFIG, then $FUEL_HEALTH_NAILGUN_URL + $FUEL_HEALTH_CLUSTER_ID;
  4. the local lab's file, $FUEL_LAB_HOME/fuel-health.yaml (default ~/.local/share/fuel-dualhv-lab/).
Then single keys are overridden, first from the environment, then from the command line (env.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fuel_health.config.env import apply_overrides, env_overrides
from fuel_health.config.errors import ConfigError, NoConfigFound
from fuel_health.config.file import load_file
from fuel_health.config.model import ClusterConfig
from fuel_health.config.secret import Secret


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
        from fuel_health.config import nailgun  # late: only this source talks HTTP

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
