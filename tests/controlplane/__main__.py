"""Command line for the local control plane: `python -m tests.controlplane COMMAND`."""

from __future__ import annotations

import argparse
import os
import sys
import time

from tests.controlplane import binaries, demo, install, plane


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.controlplane")
    parser.add_argument("command", choices=["up", "down", "status", "env", "install", "demo"])
    parser.add_argument("--gpu-nodes", type=int, default=4, help="fake GPU nodes to keep (default 4)")
    args = parser.parse_args(argv)
    try:
        layout = plane.default_layout()
    except plane.PlaneError as err:
        print(f"{args.command} failed: {err}", file=sys.stderr)
        return 2
    if args.command == "up":
        started = time.monotonic()
        reused = plane.is_running(layout)
        try:
            plane.up(layout, gpu_nodes=args.gpu_nodes)
        except (binaries.MissingBinariesError, plane.PlaneError, TimeoutError) as err:
            print(f"cluster-up failed: {err}", file=sys.stderr)
            return 1
        verb = "reused" if reused else f"started in {time.monotonic() - started:.1f}s"
        print(f"local control plane {verb}; export KUBECONFIG={layout.kubeconfig}")
    elif args.command == "down":
        plane.down(layout)
        print("local control plane stopped")
    elif args.command == "status":
        for name, pid in plane.status(layout).items():
            print(f"{name:<24} {'running pid ' + str(pid) if pid else 'stopped'}")
        return 0 if plane.is_running(layout) else 1
    elif args.command == "install":
        kubeconfig = os.environ.get("KUBECONFIG") or None
        names = install.install_all(kubeconfig)
        print(
            f"installed {len(names)} CRDs into {kubeconfig or 'the default kubeconfig'}: {', '.join(names)}"
        )
    elif args.command == "demo":
        for line in demo.apply(os.environ.get("KUBECONFIG") or None):
            print(f"created {line}")
    else:
        print(f"export KUBECONFIG={layout.kubeconfig}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
