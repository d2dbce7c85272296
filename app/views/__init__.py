"""Blueprints: one module per area of the portal."""
