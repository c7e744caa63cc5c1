"""`python -m devops_envs.local up|down|status|logs|reset|add-node`: the local lab in one command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from devops_envs.local import faults
from devops_envs.local.errors import LabError
from devops_envs.local.lab import Lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devops_envs.local", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="install what is missing, then start everything (harmless when up)")
    up.add_argument("--topology", help="lab file name (dual_hv, kvm_only) or path; default: saved state or dual_hv")
    up.add_argument("--no-install", action="store_true", help="fail instead of installing what is missing")
    add = sub.add_parser("add-node", help="add a node with roles to the running lab and deploy it")
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", required=True, dest="roles", help="repeat for several roles")
    add.add_argument("--vmware-attributes", help="YAML file in Fuel's vmware_attributes shape (turns vCenter on)")
    fault = sub.add_parser("fault", help="break exactly one thing (see `faults`)")
    fault.add_argument("name")
    heal = sub.add_parser("heal", help="undo one fault, or all")
    heal.add_argument("name", nargs="?")
    sub.add_parser("faults", help="list the faults and which are on")
    sub.add_parser("down", help="stop every lab process (state is kept)")
    sub.add_parser("status", help="each service: up/down, pid, port, memory")
    sub.add_parser("logs", help="each service's log path")
    sub.add_parser("reset", help="stop and wipe the state (keeps packages, venv and simulator build)")
    args = parser.parse_args(argv)
    lab = Lab.default()
    try:
        if args.cmd == "up":
            lab.up(args.topology, install_missing=not args.no_install)
        elif args.cmd == "add-node":
            attrs = yaml.safe_load(Path(args.vmware_attributes).read_text()) if args.vmware_attributes else None
            lab.add_node(args.name, args.roles, attrs)
        elif args.cmd == "fault":
            lab.fault(args.name)
        elif args.cmd == "heal":
            if not lab.heal(args.name):
                print("[lab] nothing to heal")
        elif args.cmd == "faults":
            active = lab.active_faults()
            for f in faults.FAULTS:
                print(f"{'ON ' if f.name in active else '   '} {f.name:<32} {f.breaks}")
        elif args.cmd == "down":
            strays = lab.down()
            print("[lab] stopped" + (f"; released strays: {', '.join(strays)}" if strays else ""))
        elif args.cmd == "status":
            rows = lab.status()
            if not rows:
                print("[lab] no lab here: run `python -m devops_envs.local up`")
            for r in rows:
                print(f"{r['service']:<28} {r['state']:<5} pid {str(r['pid']):<8} port {str(r['port']):<6} "
                      f"{str(r['memory_mib']) + ' MiB' if r['memory_mib'] != '' else ''}")
            return 0 if rows and all(r["state"] == "up" for r in rows) else 1
        elif args.cmd == "logs":
            for r in lab.status():
                print(f"{r['service']:<28} {r['log']}")
        elif args.cmd == "reset":
            lab.reset()
            print("[lab] state wiped")
    except LabError as exc:
        print(f"[lab] error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("[lab] interrupted", file=sys.stderr)
        return 130
    return 0
