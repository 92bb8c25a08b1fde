"""Process configuration of the backend, read once from AIRUNWAY_BACKEND_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
STATIC_DIR = Path(__file__).resolve().parent / "static"


class BackendConfig(BaseSettings):
    """Command-line flags of `airunway-backend` win over these."""

    model_config = SettingsConfigDict(
        env_prefix="AIRUNWAY_BACKEND_", frozen=True, use_attribute_docstrings=True
    )

    auth: bool = True
    """Require a bearer token (checked with TokenReview) and act with it; off only for a local demo."""
    namespace: str = "airunway-system"
    """Namespace of the settings ConfigMap."""
    hf_endpoint: str = DEFAULT_HF_ENDPOINT
    """Hugging Face hub base URL for model search (a saved setting wins)."""
    hf_timeout_seconds: float = Field(default=3.0, gt=0)
    """How long a hub search may take before the answer is "offline"."""
    helm: str | None = None
    """Path of the helm binary; unset means `helm` on PATH."""
    static_dir: Path = STATIC_DIR
    """Directory of the built UI (index.html and assets)."""
    kube_timeout_seconds: float = Field(default=30.0, gt=0)
    """Upper bound on one Kubernetes API request."""
