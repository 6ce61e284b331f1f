"""Shared helpers for the test suite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>AHL\d{3}(?:\s*,\s*AHL\d{3})*)")


def expected_markers(path: Path) -> list[tuple[int, str]]:
    """Return the ``(line, rule id)`` pairs a fixture's ``# expect:`` comments name."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            pairs.extend((number, code.strip()) for code in match["codes"].split(","))
    return sorted(pairs)


def reported(path: Path, display: str | None = None, config: Config | None = None) -> list:
    """Analyze one fixture file and return its findings."""
    config = config or Config(root=FIXTURES)
    return analyze_source(display or path.as_posix(), path.read_bytes(), config).findings


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
