"""Shared bits of the benchmarks: machine info and result files under benchmarks/results/."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
    # The load when the figures were written (1, 5, 15 min): on a shared machine it says how far they are from
    # a quiet one (the 5 and 15 min averages cover most of a benchmark's runs).
    return {"cpus": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1), "python": platform.python_version(),
            "kernel": platform.release(), "cpu_model": _cpu_model(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                             time.gmtime()),
            "load_avg": [round(x, 2) for x in os.getloadavg()], "tree": _tree_state()}


def _tree_state() -> str:
    """'clean', or how many files differ from the commit (a shared tree: the figures measure what is there)."""
    res = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                         cwd=Path(__file__).parent)
    changed = len(res.stdout.splitlines())
    return "clean" if res.returncode == 0 and not changed else f"{changed} files changed, not committed"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_rev() -> str:
    res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=Path(__file__).parent)
    return res.stdout.strip() or "unknown"


def write(name: str, figures: dict[str, Any], table: str, out: Path = RESULTS) -> Path:
    """Write <out>/<name>.json (figures + machine) and <out>/<name>.md (a table for people)."""
    out.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": name, "commit": git_rev(), "machine": machine(), "figures": figures}
    (out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    m = doc["machine"]
    header = (f"# {name}\n\nCommit {doc['commit']} (tree {m['tree']}), {m['date']}, {m['cpus']} CPUs "
              f"({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}, load average "
              f"{' / '.join(map(str, m['load_avg']))} (1 / 5 / 15 min, at the end).\n\n")
    (out / f"{name}.md").write_text(header + table + "\n")
    return out / f"{name}.json"


def main(name: str, measure: Callable[[argparse.Namespace], dict[str, Any]],
         table: Callable[[dict[str, Any]], str], parser: argparse.ArgumentParser) -> None:
    """One benchmark's command line: measure, print the table, write results (--out, default results/)."""
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args()
    figures = measure(args)
    print(table(figures))
    print(write(name, figures, table(figures), out=args.out))
