"""Lab files that can hold a secret are 0600, and its folders 0700, even when an older lab left them wider."""

from __future__ import annotations

import stat
from pathlib import Path

from devops_envs.local.paths import make_private_dir, open_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_log_an_older_lab_left_world_readable_becomes_0600(tmp_path):
    log = tmp_path / "logs" / "bootstrap.log"
    log.parent.mkdir()
    log.write_text("$ nova-manage cell_v2 map_cell0 --database_connection mysql+pymysql://os:old@...\n")
    log.chmod(0o644)

    with open_private(log) as out:
        out.write("next line\n")

    assert mode(log) == 0o600 and log.read_text().endswith("next line\n")


def test_a_new_log_is_0600_and_binary_mode_works(tmp_path):
    log = tmp_path / "a" / "svc.log"
    with open_private(log, "ab") as out:
        out.write(b"x")
    assert mode(log) == 0o600 and mode(log.parent) == 0o700


def test_a_lab_folder_made_wider_is_tightened(tmp_path):
    home = tmp_path / "lab"
    home.mkdir(mode=0o755)
    home.chmod(0o755)

    make_private_dir(home)

    assert mode(home) == 0o700
