"""The tool's own reports about files it could not fully analyze."""

from __future__ import annotations

from api_hardening_lint.registry import catalogue
from api_hardening_lint.rule import Finding

PARSE_ERROR = "AHL001"
UNREADABLE = "AHL002"
NOT_TEXT = "AHL003"
TOO_LARGE = "AHL004"
RULE_CRASHED = "AHL005"


def diagnostic(
    path: str, rule_id: str, detail: str, line: int = 1, column: int = 0
) -> Finding:
    """Build a finding for a file the tool could not fully analyze."""
    entry = catalogue()[rule_id]
    return Finding(
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        rule_id=rule_id,
        rule_name=entry.name,
        message=f"{entry.summary}: {detail}",
        severity=entry.severity,
        confidence=entry.confidence,
    )
