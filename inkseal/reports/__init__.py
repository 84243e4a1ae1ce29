"""Inkseal reports layer."""
