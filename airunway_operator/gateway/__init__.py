"""Gateway API Inference Extension integration, decided purely (SPEC-core §6).

Detection state, Gateway choice and `allowedRoutes` edits, provider gateway capabilities, model
name resolution, the rendered objects (InferencePool, Endpoint Picker stack, DestinationRule,
HTTPRoute, ReferenceGrant), the clean-up set and the `GatewayReady` / `status.gateway` decision.
No client, no clock, no logging: `reconcile/gateway.py` does the I/O.
"""
