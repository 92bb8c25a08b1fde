"""The core controller's decisions: validation subset, engine and provider recording, status. Pure."""
