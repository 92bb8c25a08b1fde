"""Typed API of airunway.ai/v1alpha1: constants, ModelDeployment and InferenceProviderConfig models.

The models are the one source of the CRD schemas (`python -m airunway_operator.api.crdgen`).
This package is pure: it imports neither kopf nor a Kubernetes client.
"""
