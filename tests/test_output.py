"""What the output formats show, and what they must never show."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from api_hardening_lint import baseline, output
from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.rule import Finding
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
            output.render_junit(findings, [path.name]),
            output.render_gitlab(findings),
            baseline.dumps(findings),
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
        "a,b:c.py",
        b"from flask import Flask\napp = Flask(__name__)\napp.debug = True\n",
        Config(),
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


def _debug_findings() -> list:
    source = (FIXTURES / "AHL401" / "fire_flask.py").read_bytes()
    return analyze_source("app.py", source, Config()).findings


def test_findings_keep_their_fingerprint_through_the_cache_format():
    findings = _debug_findings()

    rebuilt = [Finding.from_dict(json.loads(json.dumps(f.to_dict()))) for f in findings]

    assert rebuilt == findings
    assert all(re.fullmatch("[0-9a-f]{32}", f.fingerprint) for f in findings)
    assert len({f.fingerprint for f in findings}) == len(findings)


def test_junit_has_a_failed_case_per_finding_and_a_passed_case_per_clean_file():
    findings = _debug_findings()

    root = ElementTree.fromstring(output.render_junit(findings, ["app.py", "ok.py"]))

    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    *failed_cases, clean = cases
    failed = [
        (c.get("file"), int(c.get("line")), c.find("failure")) for c in failed_cases
    ]
    assert suite.get("tests") == str(len(findings) + 1)
    assert suite.get("failures") == str(len(findings))
    assert [(path, line, failure.get("type")) for path, line, failure in failed] == [
        (f.path, f.line, f.rule_id) for f in findings
    ]
    for (_, _, failure), finding in zip(failed, findings):
        assert finding.message in failure.get("message")
        assert "    fix: " in failure.text
    assert (clean.get("classname"), clean.get("name")) == ("ok.py", "no findings")
    assert clean.find("failure") is None


def _case_names(findings: list) -> list[str]:
    root = ElementTree.fromstring(output.render_junit(findings, ["app.py"]))
    return [case.get("name") for case in root.iter("testcase")]


def test_junit_names_repeated_rules_by_number_not_by_line():
    findings = _debug_findings()
    source = (FIXTURES / "AHL401" / "fire_flask.py").read_bytes()
    moved = analyze_source("app.py", b"import os\n" * 9 + source, Config()).findings

    names = _case_names(findings)

    assert names[:2] == ["AHL401 debug-mode-enabled", "AHL401 debug-mode-enabled (2)"]
    assert len(set(names)) == len(names) == len(findings)
    assert [f.line for f in moved] == [f.line + 9 for f in findings]
    assert _case_names(moved) == names


def test_junit_drops_characters_xml_cannot_carry():
    source = b"from flask import Flask\napp = Flask(__name__)\napp.debug = True\n"
    (finding,) = analyze_source("a\x01b.py", source, Config()).findings

    root = ElementTree.fromstring(output.render_junit([finding], []))

    assert next(root.iter("testcase")).get("file") == "a\ufffdb.py"


def test_gitlab_issue_per_finding_with_fingerprint_severity_and_location():
    findings = _debug_findings()

    issues = json.loads(output.render_gitlab(findings))

    assert [
        (
            i["check_name"],
            i["location"]["path"],
            i["location"]["lines"]["begin"],
            i["fingerprint"],
        )
        for i in issues
    ] == [(f.rule_id, f.path, f.line, f.fingerprint) for f in findings]
    levels = {"info", "minor", "major", "critical", "blocker"}
    assert {i["severity"] for i in issues} <= levels
    assert issues[0]["severity"] == "critical"
    assert all(f.message in i["description"] for i, f in zip(issues, findings))
    assert len({i["fingerprint"] for i in issues}) == len(issues)
