"""Command line: `airunway-backend [--host H] [--port P] [--no-auth]` serves the API and the UI."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import uvicorn
from kubernetes.config.config_exception import ConfigException

from airunway_backend.app import create_app
from airunway_backend.config import BackendConfig
from airunway_backend.kube import KubeAccess, load_configuration

log = logging.getLogger("airunway_backend")

AUTH_OFF_WARNING = (
    "AUTHENTICATION IS OFF: every request acts with the backend's own Kubernetes credentials, "
    "whoever sends it. Use this only for a local demo; never expose this port."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airunway-backend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="accept requests without a token, acting as the backend itself (AIRUNWAY_BACKEND_AUTH=false)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The Kubernetes client logs request headers at debug level: keep it quiet whatever the level.
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    config = BackendConfig()
    if args.no_auth:
        config = config.model_copy(update={"auth": False})
    if not config.auth:
        for _ in range(3):
            log.warning(AUTH_OFF_WARNING)
    try:
        kube_config = load_configuration()
    except ConfigException as err:
        log.error("no Kubernetes configuration: set KUBECONFIG or run in a pod (%s)", err)
        raise SystemExit(2) from None
    access = KubeAccess(kube_config, config.kube_timeout_seconds)
    log.info(
        "serving the API and UI on http://%s:%d/ (auth %s)",
        args.host,
        args.port,
        "on" if config.auth else "OFF",
    )
    uvicorn.run(create_app(config, access), host=args.host, port=args.port, log_level=args.log_level)
