"""Shared helpers for the test suite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api_hardening_lint.config import Config
from api_hardening_lint.engine import (
    analyze_source,
    collect_facts,
    enabled_rules,
    fact_collectors,
)
from api_hardening_lint.project import ProjectIndex

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


def fixture_project(path: Path, config: Config) -> ProjectIndex:
    """Build the project index a fixture file is analyzed with.

    Each file or folder directly under ``fixtures/<rule id>/`` is a project of
    its own, so facts from ``fire_split/settings/base.py`` reach
    ``fire_split/views.py`` but never a silent fixture.
    """
    rule_folder = FIXTURES / path.relative_to(FIXTURES).parts[0]
    top = rule_folder / path.relative_to(rule_folder).parts[0]
    members = sorted(top.rglob("*.py")) if top.is_dir() else [top]
    collectors = fact_collectors(enabled_rules(config))
    per_file = {
        member.relative_to(rule_folder).as_posix(): collect_facts(
            member.relative_to(rule_folder).as_posix(),
            member.read_bytes(),
            config,
            collectors,
        )
        for member in members
    }
    return ProjectIndex.from_files({p: f for p, f in per_file.items() if f})


def reported(
    path: Path, display: str | None = None, config: Config | None = None
) -> list:
    """Analyze one fixture file, with the facts of its fixture project."""
    config = config or Config(root=FIXTURES)
    project = fixture_project(path, config) if path.is_relative_to(FIXTURES) else None
    return analyze_source(
        display or path.as_posix(),
        path.read_bytes(),
        config,
        project=project or ProjectIndex(),
    ).findings


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
