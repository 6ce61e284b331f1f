"""Rule pages in docs/rules agree with the catalogue and with the rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.registry import catalogue

DOCS = Path(__file__).parents[1] / "docs" / "rules"
RULE_HEADINGS = ["What it does", "Why is this bad?", "Example", "Fix", "References"]
DIAGNOSTIC_HEADINGS = ["What it does", "Why is this bad?", "Fix", "References"]
_AUTOFIX = {"none": "no", "safe": "yes", "unsafe": "yes (unsafe)"}
ENTRIES = list(catalogue().values())
RULES = [e for e in ENTRIES if e.kind == "rule"]


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _code(section: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "the section has no python code block"
    return "\n".join(blocks)


def _findings(rule_id: str, code: str, filename: str = "app.py") -> list[str]:
    config = Config(select=(rule_id,))
    report = analyze_source(filename, code.encode(), config)
    return [f.rule_id for f in report.findings]


def test_one_page_per_catalogue_entry_and_no_other():
    pages = {p.stem for p in DOCS.glob("*.md")}

    assert pages == {e.id for e in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_page_heading_and_header_match_catalogue(entry):
    text = (DOCS / f"{entry.id}.md").read_text(encoding="utf-8")
    lines = text.splitlines()

    assert lines[0] == f"# {entry.id} {entry.name}"
    assert lines[2].startswith(
        f"Severity: {entry.severity.label} · Confidence: {entry.confidence.label}"
        f" · Autofix: {_AUTOFIX[entry.autofix]}"
    )
    wanted = RULE_HEADINGS if entry.kind == "rule" else DIAGNOSTIC_HEADINGS
    assert [h for h in _sections(text) if h != "Limitations"] == wanted


@pytest.mark.parametrize("entry", RULES, ids=lambda e: e.id)
def test_page_example_fires_and_fix_stays_silent(entry):
    sections = _sections((DOCS / f"{entry.id}.md").read_text(encoding="utf-8"))
    filename = "settings.py" if "settings" in sections["Example"].lower() else "app.py"

    assert entry.id in _findings(entry.id, _code(sections["Example"]), filename)
    assert _findings(entry.id, _code(sections["Fix"]), filename) == []


@pytest.mark.parametrize("entry", RULES, ids=lambda e: e.id)
def test_catalogue_bad_example_fires_and_good_stays_silent(entry):
    assert entry.id in _findings(entry.id, entry.bad)
    assert _findings(entry.id, entry.good) == []
