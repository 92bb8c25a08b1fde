"""Command line of the operator: `airunway-operator run [--namespace NS ...]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from airunway_operator.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airunway-operator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the operator against the current kubeconfig")
    run.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch ModelDeployments only in this namespace (repeatable); default: all namespaces",
    )
    run.add_argument("--health-port", type=int, help="port of /healthz (default 8081, AIRUNWAY_HEALTH_PORT)")
    run.add_argument("--webhook-port", type=int, help="port of the admission webhook (default 9443)")
    run.add_argument(
        "--no-webhook", action="store_true", help="do not serve the admission webhook (CRD rules still apply)"
    )
    run.add_argument(
        "--register-webhook",
        action="store_true",
        help="register the webhook configuration for this process's URL and remove it on exit (development)",
    )
    run.add_argument(
        "--leader-elect",
        action="store_true",
        help="reconcile only while holding the leader Lease (AIRUNWAY_LEADER_ELECT; for several replicas)",
    )
    run.add_argument(
        "--providers",
        metavar="LIST",
        help="providers to run in this process: all (default), none, or names like vllm,kaito",
    )
    run.add_argument(
        "--no-core", action="store_true", help="do not run the core controller (split deployments)"
    )
    run.add_argument("-v", "--verbose", action="store_true", help="log at INFO with more detail")
    run.add_argument("--debug", action="store_true", help="log at DEBUG")
    run.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as err:
        print(f"airunway-operator: invalid settings: {err}", file=sys.stderr)
        return 2
    overrides: dict[str, object] = {}
    if args.health_port is not None:
        overrides["health_port"] = args.health_port
    if args.webhook_port is not None:
        overrides["webhook_port"] = args.webhook_port
    if args.no_webhook:
        overrides["webhook_enabled"] = False
    if args.register_webhook:
        overrides["webhook_register"] = True
    if args.leader_elect:
        overrides["leader_elect"] = True
    if args.providers is not None:
        overrides["providers"] = args.providers
    if args.no_core:
        overrides["core"] = False
    settings = settings.model_copy(update=overrides)
    from airunway_operator import runner

    try:
        runner.validate_choice(settings.providers)
    except runner.UnknownProviderError as err:
        print(f"airunway-operator: {err}", file=sys.stderr)
        return 2
    try:
        api_client = runner.connect()
    except runner.CredentialsError as err:
        print(f"airunway-operator: {err}", file=sys.stderr)
        return 2
    code = runner.run(
        api_client,
        settings,
        namespaces=tuple(args.namespace),
        verbose=args.verbose,
        debug=args.debug,
        quiet=args.quiet,
    )
    logging.getLogger("airunway").info("Operator stopped")
    return code


def entry() -> NoReturn:
    """The console script: `main()`, then exit without waiting for worker threads.

    Requests to a hung API server can still sit in daemon worker threads after the operator has
    stopped; the interpreter's own teardown would wait for (or trip over) them, so the process
    ends here once the logs are flushed.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
