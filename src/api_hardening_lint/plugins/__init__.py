"""Thin adapters that run the engine inside other tools."""
