"""Admission: the webhook configuration we ship and the review of one admission request."""
