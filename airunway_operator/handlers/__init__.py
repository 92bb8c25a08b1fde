"""Thin kopf handlers: each routes one event to the reconcile layer and applies its outcome."""
