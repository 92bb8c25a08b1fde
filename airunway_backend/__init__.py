"""HTTP API and web UI for AI Runway: FastAPI over the cluster's ModelDeployments and provider configs."""
