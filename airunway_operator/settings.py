"""One frozen settings object, parsed once from AIRUNWAY_* environment variables at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    finalizer_timeout_seconds: float = Field(default=300.0, ge=0)
    """How long a deleted ModelDeployment waits for a provider that is gone before the core
    releases that provider's finalizer (with a Warning Event)."""
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

    log_format: str = Field(default="plain", pattern="^(plain|full|json)$")
    """Log line format: plain, full or json."""
