"""Inference providers as plug-ins: each is data (its InferenceProviderConfig) plus pure functions.

The built-in providers and the protocol arrive with the provider framework; third parties register
theirs through the `airunway.providers` entry-point group.
"""
