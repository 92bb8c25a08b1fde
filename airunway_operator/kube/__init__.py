"""The only layer that talks to the Kubernetes API (besides kopf's own watches)."""
