"""What the output formats show, and what they must never show."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from api_hardening_lint import output
from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from conftest import EXPECT, FIXTURES

NAME = re.compile(r"[A-Z][A-Z0-9_]*|[a-z_][a-z0-9_]*")
SECRET_FIXTURES = sorted((FIXTURES / "AHL101").rglob("fire*.py"))


def _literals_on_marked_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    marked = {n for n, line in enumerate(text.splitlines(), 1) if EXPECT.search(line)}
    values = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and node.lineno in marked:
            value = node.value
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            # Names of variables and keys are not secrets; the values are.
            if isinstance(value, str) and len(value) >= 8 and not NAME.fullmatch(value):
                values.append(value)
    return values


@pytest.mark.parametrize("path", SECRET_FIXTURES, ids=lambda p: p.name)
def test_secret_values_never_appear_in_any_format(path):
    findings = analyze_source(path.name, path.read_bytes(), Config()).findings
    rendered = "\n".join(
        [
            *output.render_text(findings, colour=False, concise=False),
            output.render_json(findings, {}),
            output.render_sarif(findings),
            *output.render_github(findings),
        ]
    )

    assert findings
    for value in _literals_on_marked_lines(path):
        assert value not in rendered
    for finding in findings:
        for shown in re.findall(r'\("([^"]*)"\)', finding.message):
            assert len(shown) <= 5 and shown.endswith("…"), finding.message


def test_github_annotations_escape_their_separators():
    finding = analyze_source(
        "a,b:c.py", b"from flask import Flask\napp = Flask(__name__)\napp.debug = True\n", Config()
    ).findings

    (line,) = output.render_github(finding)

    assert line.startswith("::error file=a%2Cb%3Ac.py,line=3,col=1,")


def test_json_round_trips_every_field():
    findings = analyze_source(
        "app.py", (FIXTURES / "AHL401" / "fire_flask.py").read_bytes(), Config()
    ).findings

    data = json.loads(output.render_json(findings, {"files": 1}))

    assert [(f["line"], f["column"] - 1) for f in data["findings"]] == [
        (f.line, f.column) for f in findings
    ]
    assert {f["confidence"] for f in data["findings"]} == {"high", "medium", "low"}
