"""Provider tests: the contract over REGISTRY, and per provider renders (golden), status and config."""
