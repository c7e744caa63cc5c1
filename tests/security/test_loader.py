"""The config loader: whatever a file holds, the answer is one line naming the file (exit 3), quickly.

Size capped, aliases refused, nesting bounded, numbers finite, unknown keys rejected before anything
walks or wraps the data, `cloud.auth` limited to keystone's password-plugin keys, secrets masked.
"""

from __future__ import annotations

import copy
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from fuel_health import cli
from fuel_health import config as config_mod
from fuel_health.config import ConfigError

PASSWORD = "Os-Pa55word!"
GOOD: dict[str, Any] = {
    "cluster": {"id": 7, "name": "sec", "release": "2026.2", "mode": "multinode", "net_provider": "neutron",
                "libvirt_type": "qemu", "use_vcenter": False,
                "storage": {"volumes_lvm": True, "volumes_vmdk": False, "volumes_ceph": False,
                            "images_vcenter": False}},
    "cloud": {"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "admin", "password": PASSWORD,
                       "project_name": "admin"}},
    "hypervisors": {"kvm": {"zone": "nova"}},
    "nodes": [{"name": "node-1", "roles": ["controller"], "host": "local://"}],
}


def good_yaml() -> str:
    return yaml.safe_dump(copy.deepcopy(GOOD), sort_keys=False)


def show(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.main(["config", "show", "--config", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_naming(path: Path, code: int, err: str, *words: str) -> None:
    assert code == cli.EXIT_CANNOT_RUN, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0], lines[0]
    for word in words:
        assert word in lines[0].lower(), lines[0]


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "non-UTF-8 bytes": (good_yaml().encode() + b"# caf\xe9\n", "utf-8"),
    "NUL byte": (b"cluster: {name: a\x00b}\n", "config"),
    "deep nesting": (b"timeouts: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
    "deep block nesting": ("".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode() + b" " * 200 + b"x: 1\n",
                           "nested"),
    "alias bomb": (b"a: &a [x, x, x, x, x, x, x, x, x]\n"
                   + b"".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
                              for i in range(8)) + b"cluster: *i\n", "alias"),
    "plain alias": (good_yaml().replace("mode: multinode", "mode: &m multinode\n  name2: *m").encode(), "alias"),
    "too big": (good_yaml().encode() + b"#" + b"x" * (2 << 20) + b"\n", "larger"),
    "huge integer": (good_yaml().replace("id: 7", "id: " + "9" * 5000).encode(), "config"),
    "a list at the top": (b"- cluster\n- cloud\n", "mapping"),
    "python tag": (b"cluster: !!python/object/apply:os.system [id]\n", "config"),
    "syntax": (b"cluster: [\n", "config"),
}


@pytest.mark.parametrize("content, word", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_one_line_naming_it_with_exit_3(content, word, tmp_path, capsys):
    path = tmp_path / "cluster.yaml"
    path.write_bytes(content)
    started = time.monotonic()
    code, out, err = show(path, capsys)
    assert_one_line_naming(path, code, err, word)
    assert time.monotonic() - started < 5
    assert out == ""


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", ".Inf"])
def test_non_finite_numbers_are_refused_in_files_and_overrides(value, tmp_path, capsys):
    path = tmp_path / "cluster.yaml"
    path.write_text(good_yaml() + f"timeouts: {{boot: {value}}}\n")
    code, _, err = show(path, capsys)
    assert_one_line_naming(path, code, err, "finite")
    path.write_text(good_yaml())
    code, _, err = show(path, capsys, "--config-set", f"timeouts.boot={value}")
    assert code == cli.EXIT_CANNOT_RUN and "timeouts.boot" in err, err


def test_non_finite_numbers_are_refused_from_any_source():
    raw = copy.deepcopy(GOOD)
    raw["timeouts"] = {"boot": float("nan")}
    with pytest.raises(ConfigError, match=r"^timeouts.boot: nan is not a finite number"):
        config_mod.build(raw)


def bomb(levels: int = 9) -> Any:
    """A tree of 10**levels leaves in a few hundred bytes: every level shares one list."""
    node: Any = ["x"]
    for _ in range(levels):
        node = [node] * 10
    return node


@pytest.mark.parametrize("where", ["unknown top key", "inside vmware_attributes"])
def test_unknown_keys_and_huge_trees_are_refused_before_secrets_are_wrapped(where):
    """Run apart, with 512 MiB of address space: before the fix, wrapping secrets expanded the shared tree."""
    code = f"""
import copy, resource, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))
from test_loader import GOOD, bomb
from fuel_health.config import build
from fuel_health.config import ConfigError
raw = copy.deepcopy(GOOD)
if {where!r} == "unknown top key":
    raw["cloud_typo"] = bomb()
else:
    raw["vmware_attributes"] = {{"availability_zones": bomb()}}
try:
    build(raw)
except ConfigError as exc:
    print(exc)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    assert ("cloud_typo: unknown key" if where == "unknown top key" else "more than") in res.stdout, res.stdout


def test_cloud_auth_takes_only_keystone_password_keys_and_never_prints_their_values(tmp_path, capsys):
    raw = copy.deepcopy(GOOD)
    raw["cloud"]["auth"]["os_password2"] = "Leaked-Value-1"
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(raw))
    code, out, err = show(path, capsys)
    assert code == cli.EXIT_CANNOT_RUN and "cloud.auth.os_password2: unknown key" in err, err
    assert "Leaked-Value-1" not in out + err


@pytest.mark.parametrize("key", ["vcenter_pass", "password2", "api_key", "os_pwd", "app_secret",
                                 "auth_token", "passwd"])
def test_password_like_keys_are_masked_wherever_they_are(key):
    raw = copy.deepcopy(GOOD)
    raw["cloud"]["auth"]["password"] = 123456  # a number is a secret too
    cfg = config_mod.build(raw)
    shown = config_mod.show(cfg)
    assert "123456" not in shown and "***" in shown
    wrapped = config_mod.wrap_secrets({"deep": [{key: "Hidden-Value-9"}]})
    assert "Hidden-Value-9" not in repr(wrapped), key


def test_config_show_masks_every_password(tmp_path, capsys):
    raw = copy.deepcopy(GOOD)
    raw["cluster"]["use_vcenter"] = True
    raw["vmware_attributes"] = {"availability_zones": [{
        "az_name": "vcenter", "vcenter_host": "127.0.0.1", "vcenter_username": "u", "vcenter_password": "Vc-Secret-7",
        "nova_computes": [{"vsphere_cluster": "C1", "service_name": "vm1", "target_node": "controllers"}]}]}
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(raw))
    code, out, err = show(path, capsys)
    assert code == 0, err
    assert PASSWORD not in out and "Vc-Secret-7" not in out and out.count("***") >= 2


# --- the adapter: a broken cluster config is 503 with the reason, never 500 ------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_adapter_answers_503_with_the_reason_for_a_broken_cluster_config(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_bytes(good_yaml().encode() + b"# \xff\xfe\n")
    port = free_port()
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "fuel_health", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--db", f"sqlite:///{tmp_path / 'ostf.sqlite'}", "--log-dir", str(tmp_path / "runs"),
            "--cluster-config", str(bad)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                requests.get(f"{url}/openapi.json", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.1)
        for path in ("/v1/testsets/7",):
            resp = requests.get(url + path, timeout=10)
            assert resp.status_code == 503, (path, resp.status_code, resp.text)
            detail = resp.json()["detail"]
            assert str(bad) in detail and "utf-8" in detail.lower(), detail
    finally:
        proc.terminate()
        proc.wait(timeout=30)
