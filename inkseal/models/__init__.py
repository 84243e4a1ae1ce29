"""Inkseal models layer."""
