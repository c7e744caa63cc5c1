"""The file loader: a cluster config YAML file, read with a bounded, alias-free YAML loader."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fuel_health.config.errors import ConfigError
from fuel_health.config.model import ClusterConfig
from fuel_health.config.schema import MAX_DEPTH, build

# A real cluster config is a few KiB and a handful of levels deep.
MAX_FILE_BYTES = 1 << 20


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
