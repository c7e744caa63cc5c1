"""Scale benchmark (issue 14): the whole suite's wall time and API calls against the cloud's size, with the
ratio to the 1 + 1 lab.

Each step is a real lab of its own, generated from the 1 + 1 lab (devops_envs/local/dual_hv.yaml): Z vCenter
zones of C vSphere clusters each (one simulator per zone, one vcenter-compute node per cluster, the cinder-vmdk
pair) and K KVM compute nodes. It is brought up in a network namespace with its own FUEL_LAB_HOME, so the main
lab is never touched; then `fuel-health run` (all sets, serial, as an operator runs it) REPEAT times. The JUnit
file of each run gives its tests, failures and API calls (fuel_health/clients/metrics.py). Results are written after
every step, so an interrupted table keeps what was measured. Target (issue 14): 2 zones x 2 clusters + 4 KVM
hosts within 1.5x the 1 + 1 wall time, serial, same machine.

--quick (bench-quick, CI) brings no lab up: it renders and validates every step's topology.
usage: python -m benchmarks.scale [--quick] [--steps 1x1+1,2x2+4] [--repeat N] [--netns NAME] [--out DIR]
       (needs root: `ip netns`; the lab's home is $FUEL_SCALE_LAB_HOME, default /root/lab-fh-scale)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks import common
from benchmarks.suite_timing import parse_junit

ROOT = Path(__file__).resolve().parents[1]
FUEL_HEALTH = Path(sys.executable).with_name("fuel-health")
MAIN_HOME = Path(os.environ.get("FUEL_LAB_HOME", Path.home() / ".local/share/fuel-dualhv-lab"))
# (vCenter zones, clusters per zone, KVM hosts): clusters 1, 2, 4, 8; KVM hosts 1, 2, 4; the target.
STEPS = ((1, 1, 1), (1, 2, 1), (1, 4, 1), (1, 8, 1), (1, 1, 2), (1, 1, 4), (2, 2, 4))
TARGET = (2, 2, 4)
TARGET_RATIO = 1.5
SLOWEST = 5  # the slowest tests of each step, in the results
REPEAT = 2  # suite runs per step (median); each lab up takes 1-3 min on 2 cores
ZONE_PORT = 18990
# The steps' lab home comes from the environment, never from our own command line: the lab's reset kills every
# process whose command line names its home (devops_envs/local/lab.py), which would be this benchmark.
HOME = Path(os.environ.get("FUEL_SCALE_LAB_HOME", "/root/lab-fh-scale"))


def step_id(step: tuple[int, int, int]) -> str:
    """'2x2+4': vCenter zones x clusters per zone + KVM hosts."""
    zones, clusters, kvm = step
    return f"{zones}x{clusters}+{kvm}"


def parse_step(text: str) -> tuple[int, int, int]:
    try:
        zc, kvm = text.split("+")
        zones, clusters = zc.split("x")
        step = (int(zones), int(clusters), int(kvm))
    except ValueError:
        raise SystemExit(f"scale: step {text!r} is not ZONESxCLUSTERS+KVM, e.g. 2x2+4") from None
    if min(step) < 1:
        raise SystemExit(f"scale: step {text!r}: every count must be at least 1")
    return step


def topology(step: tuple[int, int, int]) -> dict[str, Any]:
    """The lab file of a step: dual_hv's cluster and settings, scaled."""
    zones, clusters, kvm = step
    base = yaml.safe_load((ROOT / "devops_envs/local/dual_hv.yaml").read_text())
    names = iter(f"node-{n}" for n in range(1, 1000))
    nodes = [{"name": next(names), "roles": ["controller"]}]
    nodes += [{"name": next(names), "roles": ["compute"]} for _ in range(kvm)]
    nodes += [{"name": next(names), "roles": ["cinder"]}]
    nodes += [{"name": next(names), "roles": ["cinder-vmdk"]} for _ in range(2)]  # the HA pair serves every zone
    azs, sims = [], {}
    for z in range(zones):
        az = "vcenter" if z == 0 else f"vcenter{z + 1}"
        computes = []
        for c in range(1, clusters + 1):
            node = next(names)
            nodes.append({"name": node, "roles": ["vcenter-compute"]})
            computes.append({"vsphere_cluster": f"Cluster{c}" if z == 0 else f"Cluster{z + 1}{chr(64 + c)}",
                             "service_name": f"vmcluster{c}" if z == 0 else f"vmcluster{z + 1}{chr(96 + c)}",
                             "datastore_regex": "^datastore.*",
                             "target_node": {"current": {"id": node, "label": node}}})
        azs.append({"az_name": az, "vcenter_host": "127.0.0.1",
                    "vcenter_username": "administrator@vsphere.local" if z == 0 else f"ops@{az}.local",
                    "vcenter_password": "{{generated}}", "nova_computes": computes})
        sims[az] = {"port": ZONE_PORT + z, "datacenter": "Datacenter" if z == 0 else f"Datacenter{z + 1}",
                    "clusters": [nc["vsphere_cluster"] for nc in computes]}
    first = sims.pop("vcenter")
    vcenter = {**first, "datastores": base["vcenter"]["datastores"]}
    if sims:
        vcenter["zones"] = sims
    return {"name": f"scale_{step_id(step).replace('+', '_')}", "cluster": base["cluster"],
            "kvm_zone": base["kvm_zone"], "nodes": nodes, "vmware_attributes": {"availability_zones": azs},
            "vcenter": vcenter}


class NetnsLab:
    """A lab in a network namespace of its own (/work/coord/RULES.md): its home shares the main lab's venv and
    WSDL (a hard-linked copy, its #! lines rewritten, so the main lab's reset cannot kill its processes)."""

    def __init__(self, netns: str, home: Path) -> None:
        self.netns, self.home = netns, home
        self.made_netns = False

    def prepare(self) -> None:
        have = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split()
        if self.netns not in have:
            subprocess.run(["ip", "netns", "add", self.netns], check=True)
            subprocess.run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"], check=True)
            self.made_netns = True
        self.home.mkdir(parents=True, exist_ok=True)
        if not (self.home / "wsdl").exists():
            (self.home / "wsdl").symlink_to(MAIN_HOME / "wsdl")
        if not (self.home / "vcsim").exists():  # the simulator's build (--no-install: no go build here either)
            subprocess.run(["cp", "-al", str(MAIN_HOME / "vcsim"), str(self.home / "vcsim")], check=True)
        venv = self.home / "venv"
        if not venv.exists():  # a namespace has no network: the lab's pip install cannot run there
            subprocess.run(["cp", "-al", str(MAIN_HOME / "venv"), str(venv)], check=True)
            for script in (venv / "bin").iterdir():
                if script.is_file() and not script.is_symlink():
                    _own_shebang(script, MAIN_HOME / "venv", venv)

    def run(self, *cmd: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "FUEL_LAB_HOME": str(self.home)}
        return subprocess.run(["ip", "netns", "exec", self.netns, *cmd], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=ROOT)

    def lab(self, *args: str) -> float:
        t0 = time.monotonic()
        res = self.run(sys.executable, "-m", "devops_envs.local", *args)
        if res.returncode != 0:
            tail = (res.stderr.strip() or res.stdout.strip() or "no output").splitlines()[-1]
            raise SystemExit(f"scale: lab {' '.join(args)} failed in netns {self.netns} (exit {res.returncode}): "
                             f"{tail}; see {self.home}/logs")
        return round(time.monotonic() - t0, 1)

    def close(self) -> None:
        self.run(sys.executable, "-m", "devops_envs.local", "down")
        if self.made_netns:
            subprocess.run(["ip", "netns", "del", self.netns], check=False)


def _own_shebang(script: Path, old: Path, new: Path) -> None:
    data = script.read_bytes()
    first, sep, rest = data.partition(b"\n")
    if first.startswith(b"#!") and bytes(old) in first:
        script.unlink()  # a hard link: write a file of our own, never through to the main lab's
        script.write_bytes(first.replace(bytes(old), bytes(new)) + sep + rest)
        script.chmod(0o755)


def cpu_times() -> tuple[float, float]:
    """Return (busy, all) CPU seconds of the whole machine so far (/proc/stat), to tell whether a run was
    CPU-bound: the lab's services and the suite share the same cores."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def children_cpu() -> float:
    """Return the CPU seconds our finished children used (the suite: `ip netns exec` execs it)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def suite_run(lab: NetnsLab) -> dict[str, Any]:
    """One serial `fuel-health run` of every set against the step's lab: wall, tests, failures, API calls, and
    how busy the machine's CPUs were (the suite's own share, the rest being the lab's services)."""
    with tempfile.TemporaryDirectory(prefix="fh-scale-") as tmp:
        junit = Path(tmp) / "junit.xml"
        load = os.getloadavg()[0]
        (busy0, all0), suite0 = cpu_times(), children_cpu()
        t0 = time.monotonic()
        res = lab.run(str(FUEL_HEALTH), "run", "--config", str(lab.home / "fuel-health.yaml"), "--junit",
                      str(junit), "--allure-dir", str(Path(tmp) / "allure"))
        wall = round(time.monotonic() - t0, 2)
        (busy1, all1), suite1 = cpu_times(), children_cpu()
        if res.returncode not in (0, 1) or not junit.is_file():
            raise SystemExit(f"scale: the suite could not run (exit {res.returncode}): "
                             + (res.stdout.strip().splitlines() or ["no output"])[-1])
        if res.returncode == 1:  # keep what failed: the temp folder goes, the step's lab home stays
            kept = lab.home / f"junit-failed-{int(time.time())}.xml"
            shutil.copy(junit, kept)
            print(f"[scale] failures kept in {kept}", flush=True)
        ran = [c for c in parse_junit(junit) if c.outcome != "skipped"]
        sets: dict[str, float] = {}
        for c in ran:  # where the time goes: the sum of test durations per test set (its first id component)
            sets[c.id.split(".", 1)[0]] = round(sets.get(c.id.split(".", 1)[0], 0.0) + c.duration_s, 2)
        slowest = sorted(ran, key=lambda c: -c.duration_s)[:SLOWEST]
        return {"wall_s": wall, "tests": len(ran), "failed": [c.id for c in ran if c.outcome == "failed"],
                "api_calls": int(sum(c.num("api_calls") for c in ran)), "load_1min_at_start": round(load, 2),
                "cpu_busy_pct": round(100 * (busy1 - busy0) / max(all1 - all0, 1e-9), 1),
                "suite_cpu_s": round(suite1 - suite0, 1), "other_cpu_s": round(busy1 - busy0 - (suite1 - suite0), 1),
                "sets_s": sets, "slowest": [[c.id.rsplit(".", 1)[1], round(c.duration_s, 2)] for c in slowest]}


def measure_step(lab: NetnsLab, step: tuple[int, int, int], repeat: int) -> dict[str, Any]:
    path = lab.home / f"{topology(step)['name']}.yaml"
    path.write_text(yaml.safe_dump(topology(step), sort_keys=False))
    lab.lab("reset")
    up_s = lab.lab("up", "--topology", str(path), "--no-install")
    runs = [suite_run(lab) for _ in range(repeat)]
    walls = [r["wall_s"] for r in runs]
    return {"step": step_id(step), "vcenter_zones": step[0], "clusters": step[0] * step[1], "kvm_hosts": step[2],
            "up_s": up_s, "wall_s": round(statistics.median(walls), 2), "runs_s": walls,
            "api_calls": int(statistics.median(r["api_calls"] for r in runs)), "tests": runs[-1]["tests"],
            "failed": sorted({f for r in runs for f in r["failed"]}),
            "load_1min": [r["load_1min_at_start"] for r in runs], "sets_s": runs[-1]["sets_s"],
            "cpu_busy_pct": [r["cpu_busy_pct"] for r in runs], "suite_cpu_s": runs[-1]["suite_cpu_s"],
            "other_cpu_s": runs[-1]["other_cpu_s"],
            "slowest": runs[-1]["slowest"]}


def with_ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    base = next((r for r in rows if r["step"] == step_id(STEPS[0])), None)
    for r in rows:
        r["wall_ratio"] = round(r["wall_s"] / base["wall_s"], 2) if base else None
        r["api_ratio"] = round(r["api_calls"] / base["api_calls"], 2) if base and base["api_calls"] else None
    target = next((r for r in rows if r["step"] == step_id(TARGET)), None)
    missing = [step_id(s) for s in STEPS if s not in [(r["vcenter_zones"], r["clusters"] // r["vcenter_zones"],
                                                       r["kvm_hosts"]) for r in rows]]
    return {"steps": rows, "target": {"step": step_id(TARGET), "max_ratio": TARGET_RATIO,
                                      "ratio": target["wall_ratio"] if target else None},
            "not_measured": missing, "cores": os.cpu_count()}


def cpu_floor(r: dict[str, Any], cores: int) -> float | None:
    """The shortest wall the step's CPU work allows on this machine: all its CPU seconds over all its cores."""
    if r.get("suite_cpu_s") is None or r.get("other_cpu_s") is None:
        return None
    return round((r["suite_cpu_s"] + r["other_cpu_s"]) / cores, 1)


def measure(quick: bool, steps: tuple[tuple[int, int, int], ...] = STEPS, repeat: int = REPEAT,
            netns: str = "fh-scale", home: Path = HOME, out: Path = common.RESULTS,
            ) -> dict[str, Any]:
    if quick:  # CI: every step's lab file renders and passes the lab's own validation; nothing is brought up
        from devops_envs.local import topology as topo_mod

        checked = [topo_mod.from_dict(topology(s), where=step_id(s)).name for s in steps]
        return {"quick": True, "topologies_valid": checked, "steps": [], "not_measured": [step_id(s) for s in steps],
                "target": {"step": step_id(TARGET), "max_ratio": TARGET_RATIO, "ratio": None}}
    lab = NetnsLab(netns, home)
    lab.prepare()
    rows: list[dict[str, Any]] = []
    try:
        for step in steps:
            print(f"[scale] {step_id(step)} ...", flush=True)
            rows.append(measure_step(lab, step, repeat))
            print(f"[scale] {step_id(step)}: {rows[-1]}", flush=True)
            figures = with_ratios(rows)
            common.write("scale", figures, table(figures), out=out)  # after every step: a cut run keeps it
    finally:
        lab.close()
    return with_ratios(rows)


def table(f: dict[str, Any]) -> str:
    if f.get("quick"):
        return f"--quick: no lab brought up; the lab files of {', '.join(f['topologies_valid'])} are valid."
    lines = ["Steps: `ZxC+K` = Z vCenter zones x C vSphere clusters each + K KVM compute hosts; each its own lab "
             "in a network namespace, the whole suite serial (`fuel-health run`), median of the runs.", "",
             "| step | clusters | KVM hosts | lab up s | suite wall s | ratio to 1x1+1 | API calls | ratio | tests | "
             "failed | runs s | load (1 min) at each run |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in f["steps"]:
        lines.append(f"| {r['step']} | {r['clusters']} | {r['kvm_hosts']} | {r['up_s']} | {r['wall_s']} | "
                     f"{r['wall_ratio']} | {r['api_calls']} | {r['api_ratio']} | {r['tests']} | "
                     f"{', '.join(r['failed']) or 0} | {r['runs_s']} | {r['load_1min']} |")
    lines += ["", "Where the time goes (last run of each step): the sum of test durations per test set, the "
                  "slowest tests, and the machine's CPUs during the run (busy: all processes; the suite's own CPU "
                  "seconds; the rest: the lab's services and anything else running). A run whose CPUs were busy "
                  "near 100 % is bound by the lab's work on this machine's cores, not by waiting.", "",
              "| step | per set s | slowest s | CPU busy % (each run) | suite CPU s | other CPU s | CPU floor s |",
              "|---|---|---|---|---|---|---|"]
    cores = f.get("cores") or os.cpu_count() or 1
    for r in f["steps"]:
        sets = ", ".join(f"{k} {v}" for k, v in sorted((r.get("sets_s") or {}).items()))
        slow = ", ".join(f"`{t}` {d}" for t, d in r.get("slowest") or [])
        lines.append(f"| {r['step']} | {sets} | {slow} | {r.get('cpu_busy_pct', 'n/a')} | "
                     f"{r.get('suite_cpu_s', 'n/a')} | {r.get('other_cpu_s', 'n/a')} | "
                     f"{cpu_floor(r, cores) or 'n/a'} |")
    lines += ["", f"CPU floor: the step's CPU seconds (suite and the rest) over the machine's {cores} cores, the "
                  "shortest wall its work allows here, however the suite schedules it."]
    t = f["target"]
    met = "not measured" if t["ratio"] is None else ("met" if t["ratio"] <= t["max_ratio"] else "NOT met")
    lines += ["", f"Target (issue 14): {t['step']} within {t['max_ratio']}x the 1x1+1 wall time: "
                  f"{t['ratio'] if t['ratio'] is not None else 'n/a'}, {met}."]
    base = next((r for r in f["steps"] if r["step"] == step_id(STEPS[0])), None)
    top = next((r for r in f["steps"] if r["step"] == t["step"]), None)
    floor = cpu_floor(top, cores) if top else None
    if base and floor is not None:
        allowed = round(base["wall_s"] * t["max_ratio"], 1)
        lines.append(f"The target allows {t['step']} {allowed} s; its CPU work alone needs {floor} s on {cores} cores"
                     + (" (longer than the target allows: no scheduling of the checks can meet it on this machine)"
                        if floor > allowed else "") + ".")
    if f.get("not_measured"):
        lines.append(f"Not measured: {', '.join(f['not_measured'])}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="validate the steps' lab files only")
    parser.add_argument("--steps", help=f"comma-separated ZxC+K (default {','.join(map(step_id, STEPS))})")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="suite runs per step")
    parser.add_argument("--netns", default="fh-scale", help="network namespace of the steps' lab")
    parser.add_argument("--out", type=Path, default=common.RESULTS, help="results folder")
    args = parser.parse_args()
    if not args.quick and shutil.which("ip") is None:
        raise SystemExit("scale: needs `ip` (iproute2) and root for its network namespace")
    steps = tuple(parse_step(s) for s in args.steps.split(",")) if args.steps else STEPS
    figures = measure(args.quick, steps, args.repeat, args.netns, HOME, args.out)
    print(table(figures))
    print(common.write("scale", figures, table(figures), out=args.out))


if __name__ == "__main__":
    main()
