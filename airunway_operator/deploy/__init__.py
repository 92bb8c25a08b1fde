"""Install artefacts generated from the code (RBAC, ...)."""
