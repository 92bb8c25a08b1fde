"""How the admission webhook gets its certificate, parsed once from AIRUNWAY_WEBHOOK_* variables.

* `AIRUNWAY_WEBHOOK_CERT_MODE`: `self-signed` (a throw-away CA, the default without a certificate
  directory), `mounted` (the files in `AIRUNWAY_WEBHOOK_CERT_DIR`, e.g. cert-manager's Secret; the
  default when that directory is set) or `managed` (the operator keeps a Secret and rotates it).
* `AIRUNWAY_WEBHOOK_SECRET` (`airunway-webhook-cert`), `AIRUNWAY_WEBHOOK_NAMESPACE` (the pod's
  namespace, else `airunway-system`), `AIRUNWAY_WEBHOOK_SERVICE` (`airunway-webhook-service`),
  `AIRUNWAY_WEBHOOK_CONFIGURATION_NAME` (`airunway-validating-webhook-configuration`).
* `AIRUNWAY_WEBHOOK_CERT_VALIDITY_SECONDS` (1 year), `AIRUNWAY_WEBHOOK_CA_VALIDITY_SECONDS` (10 years),
  `AIRUNWAY_WEBHOOK_CA_GRACE_SECONDS` (60: how long a new CA is published before it signs, and how
  long the old one stays trusted after the switch), `AIRUNWAY_WEBHOOK_CERT_EXTRA_HOSTS` (comma-separated
  extra DNS names or IPs for the serving certificate), `AIRUNWAY_WEBHOOK_CERT_LOCAL_DIR` (where a
  managed certificate is written for the server; a private temporary directory by default).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

from airunway_operator.admission import configuration

SECRET: Final = "airunway-webhook-cert"
_SERVICE_ACCOUNT_NAMESPACE: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_YEAR: Final = 365 * 24 * 3600


class CertMode(Enum):
    SELF_SIGNED = "self-signed"
    MOUNTED = "mounted"
    MANAGED = "managed"


@dataclass(frozen=True)
class CertSettings:
    mode: CertMode
    cert_dir: Path | None
    secret: str
    namespace: str
    service: str
    configuration_name: str
    cert_validity: datetime.timedelta
    ca_validity: datetime.timedelta
    ca_grace: datetime.timedelta
    extra_hosts: tuple[str, ...]
    local_dir: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CertSettings:
        env = os.environ if env is None else env
        cert_dir = Path(env["AIRUNWAY_WEBHOOK_CERT_DIR"]) if env.get("AIRUNWAY_WEBHOOK_CERT_DIR") else None
        default_mode = CertMode.MOUNTED if cert_dir else CertMode.SELF_SIGNED
        mode = CertMode(env.get("AIRUNWAY_WEBHOOK_CERT_MODE") or default_mode.value)
        if mode is CertMode.MOUNTED and cert_dir is None:
            raise ValueError("AIRUNWAY_WEBHOOK_CERT_MODE=mounted needs AIRUNWAY_WEBHOOK_CERT_DIR")
        local = env.get("AIRUNWAY_WEBHOOK_CERT_LOCAL_DIR")
        return cls(
            mode=mode,
            cert_dir=cert_dir,
            secret=env.get("AIRUNWAY_WEBHOOK_SECRET") or SECRET,
            namespace=env.get("AIRUNWAY_WEBHOOK_NAMESPACE") or _pod_namespace(env),
            service=env.get("AIRUNWAY_WEBHOOK_SERVICE") or configuration.SERVICE_NAME,
            configuration_name=env.get("AIRUNWAY_WEBHOOK_CONFIGURATION_NAME") or configuration.NAME,
            cert_validity=_seconds(env, "AIRUNWAY_WEBHOOK_CERT_VALIDITY_SECONDS", _YEAR),
            ca_validity=_seconds(env, "AIRUNWAY_WEBHOOK_CA_VALIDITY_SECONDS", 10 * _YEAR),
            ca_grace=_seconds(env, "AIRUNWAY_WEBHOOK_CA_GRACE_SECONDS", 60),
            extra_hosts=tuple(
                h.strip() for h in env.get("AIRUNWAY_WEBHOOK_CERT_EXTRA_HOSTS", "").split(",") if h.strip()
            ),
            local_dir=Path(local) if local else None,
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> datetime.timedelta:
    value = float(env.get(name) or default)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return datetime.timedelta(seconds=value)


def _pod_namespace(env: Mapping[str, str]) -> str:
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        return _SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or configuration.NAMESPACE
    except OSError:
        return configuration.NAMESPACE
