"""Security linter for Python web APIs built with Flask, FastAPI and Django."""

__version__ = "0.1.0"
