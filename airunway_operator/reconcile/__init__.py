"""Async orchestration: gather inputs once, decide with the pure core, act through `kube`. No kopf here."""
