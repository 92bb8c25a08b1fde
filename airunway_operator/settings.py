"""One frozen settings object, parsed once from AIRUNWAY_* environment variables at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The pod's namespace, mounted into every pod with a service account token.
POD_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class Settings(BaseSettings):
    """Process-level configuration. Command-line flags of `airunway-operator run` win over these."""

    model_config = SettingsConfigDict(env_prefix="AIRUNWAY_", frozen=True, use_attribute_docstrings=True)

    health_host: str = "127.0.0.1"
    """Address of the liveness endpoint (`/healthz`)."""
    health_port: int = Field(default=8081, ge=1, le=65535)
    """Port of the liveness endpoint (`/healthz`)."""
    metrics_host: str = "127.0.0.1"
    """Address of the Prometheus metrics endpoint (`/metrics`)."""
    metrics_port: int = Field(default=8080, ge=0, le=65535)
    """Port of the Prometheus metrics endpoint; 0 disables it."""
    metrics_secure: bool = False
    """Serve /metrics over HTTPS to callers whose bearer token passes a TokenReview and a
    SubjectAccessReview (nonResourceURL /metrics, verb get), as controller-runtime's secure metrics."""
    metrics_cert_dir: Path | None = None
    """Directory holding tls.crt and tls.key for secure metrics; unset means a self-signed certificate."""
    leader_elect: bool = False
    """Reconcile only while holding the leader Lease (run more than one replica safely)."""
    leader_election_id: str = "airunway-operator-leader"
    """Name of the leader election Lease."""
    leader_election_namespace: str = ""
    """Namespace of the leader election Lease; empty means the pod's namespace, else `default`."""

    @property
    def lease_namespace(self) -> str:
        if self.leader_election_namespace:
            return self.leader_election_namespace
        try:
            return POD_NAMESPACE_FILE.read_text().strip() or "default"
        except OSError:
            return "default"

    finalizer_timeout_seconds: float = Field(default=300.0, ge=0)
    """How long a deleted ModelDeployment waits for a provider that is gone before the core
    releases that provider's finalizer (with a Warning Event)."""
    heartbeat_seconds: float = Field(default=60.0, ge=0)
    """How often each provider refreshes `status.lastHeartbeat` of its InferenceProviderConfig
    (tools built for upstream judge a provider stale after 180 s); 0 turns the heartbeat off."""
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0)
    """Upper bound on stopping after SIGTERM, whatever the API server does."""
    core: bool = True
    """Run the core controller (validation, engine and provider selection, status)."""
    providers: str = "all"
    """Providers to run in this process: `all`, `none`, or a comma-separated list of names."""
    provider_selector: bool = True
    """Select engines and providers automatically (upstream's --enable-provider-selector)."""
    webhook_enabled: bool = True
    """Serve the validating admission webhook."""
    webhook_host: str = "127.0.0.1"
    """Address the admission webhook server listens on."""
    webhook_port: int = Field(default=9443, ge=1, le=65535)
    """Port of the admission webhook server."""
    webhook_cert_dir: Path | None = None
    """Directory holding tls.crt, tls.key and ca.crt for the webhook (e.g. a mounted Secret);
    unset means a throw-away self-signed certificate for webhook_host."""
    webhook_register: bool = False
    """Register the ValidatingWebhookConfiguration pointing at https://webhook_host:webhook_port and
    remove it on exit (loopback development; clusters use config/webhook/)."""

    @property
    def webhook_url(self) -> str:
        return f"https://{self.webhook_host}:{self.webhook_port}"

    download_job_image: str = "ghcr.io/ai-runway/airunway/model-downloader:latest"
    """Image of the model-download Job of the shared storage pipeline (upstream's
    `--download-job-image`)."""

    log_format: str = Field(default="plain", pattern="^(plain|full|json)$")
    """Log line format: plain, full or json."""

    # -- Gateway API Inference Extension integration (SPEC-core §6.14) --------------------------
    gateway_enabled: bool = True
    """Route ModelDeployments through the Gateway API Inference Extension when its CRDs are
    installed; false turns the whole integration off."""
    gateway_name: str = ""
    """Gateway the HTTPRoutes attach to (with gateway_namespace; both or neither). Empty means the
    only Gateway in the cluster, or the one labelled airunway.ai/inference-gateway=true."""
    gateway_namespace: str = ""
    """Namespace of gateway_name."""
    epp_service_port: int = Field(default=9002, ge=1, le=65535)
    """gRPC port of the controller-managed Endpoint Picker Service (upstream's --epp-service-port)."""
    epp_image: str = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
    """Endpoint Picker image unless a provider's capabilities name another (upstream's --epp-image)."""
    patch_gateway_allowed_routes: bool = True
    """Add a ModelDeployment's namespace to the Gateway listeners' allowedRoutes when the Gateway
    lives elsewhere, and remove it when no routed ModelDeployment is left there."""
    gateway_model_discovery: bool = True
    """Ask the model server's /v1/models for the routed model name when the spec names none."""

    @model_validator(mode="after")
    def _gateway_name_and_namespace(self) -> Settings:
        if bool(self.gateway_name) != bool(self.gateway_namespace):
            raise ValueError(
                "AIRUNWAY_GATEWAY_NAME and AIRUNWAY_GATEWAY_NAMESPACE must be set together or not at all"
            )
        return self


def provider_settings(prefix: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A provider's own settings: every environment variable starting with `prefix`, by full
    name. The core's settings never name a provider; each provider documents its variables."""
    source = os.environ if environ is None else environ
    return {key: value for key, value in source.items() if key.startswith(prefix)}
