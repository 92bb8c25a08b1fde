"""The /api routers, one module per resource."""
