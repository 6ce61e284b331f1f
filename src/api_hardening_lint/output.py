"""Render findings as text, JSON, SARIF 2.1.0, GitHub annotations, JUnit or GitLab."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import click

from api_hardening_lint import __version__
from api_hardening_lint.baseline import key
from api_hardening_lint.registry import Entry, catalogue
from api_hardening_lint.rule import Finding, Level

FORMATS = ("text", "concise", "json", "sarif", "github", "junit", "gitlab")
# The key of our own fingerprint in SARIF ``partialFingerprints``; bump its
# version whenever the fingerprint's recipe changes.
SARIF_FINGERPRINT = "apiHardeningLint/v1"
INFORMATION_URI = "https://pypi.org/project/api-hardening-lint/"
_SEVERITY_COLOURS = {Level.HIGH: "red", Level.MEDIUM: "yellow", Level.LOW: "cyan"}
_SARIF_LEVELS = {Level.HIGH: "error", Level.MEDIUM: "warning", Level.LOW: "note"}
# GitHub code scanning reads this 0-10 score to rank security findings.
_SECURITY_SEVERITY = {Level.HIGH: "8.0", Level.MEDIUM: "5.5", Level.LOW: "3.0"}
_PRECISION = {Level.HIGH: "high", Level.MEDIUM: "medium", Level.LOW: "low"}
_GITHUB_LEVELS = {Level.HIGH: "error", Level.MEDIUM: "warning", Level.LOW: "notice"}
_AUTOFIX_TEXT = {"none": "no autofix", "safe": "autofix", "unsafe": "unsafe autofix"}
_GITLAB_SEVERITY = {Level.HIGH: "critical", Level.MEDIUM: "major", Level.LOW: "minor"}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _first_line(finding: Finding, colour: bool) -> str:
    # ``[*]`` marks a finding ``--fix`` (or ``--unsafe-fixes``) can remove.
    severity = f"[{finding.severity.label}]"
    confidence = ""
    if finding.confidence < Level.HIGH:
        confidence = f" ({finding.confidence.label} confidence)"
    location = f"{finding.path}:{finding.line}:{finding.column + 1}:"
    code = finding.rule_id
    mark = " [*]" if finding.fix is not None and finding.fix.is_edit else ""
    if colour:
        location = click.style(location, bold=True)
        code = click.style(code, fg=_SEVERITY_COLOURS[finding.severity], bold=True)
        severity = click.style(severity, fg=_SEVERITY_COLOURS[finding.severity])
    return f"{location} {code}{mark} {severity} {finding.message}{confidence}"


def render_text(
    findings: list[Finding], *, colour: bool, concise: bool, show_fixes: bool = False
) -> Iterator[str]:
    """Yield one line per finding, plus ``why`` and ``fix`` unless concise.

    ``show_fixes`` adds, under each finding, what its fix does or, where no
    edit is right, what to do.
    """
    entries = catalogue()
    for finding in findings:
        yield _first_line(finding, colour)
        entry = entries[finding.rule_id]
        if show_fixes:
            yield f"    {_fix_text(finding, entry.fix)}"
        if concise:
            continue

        for related in finding.related:
            yield f"    see: line {related.line}: {related.message}"
        yield f"    why: {entry.rationale}"
        yield f"    fix: {entry.fix} ({_AUTOFIX_TEXT[entry.autofix]})"


def _fix_text(finding: Finding, advice: str) -> str:
    fix = finding.fix
    if fix is None or not fix.is_edit:
        return f"suggestion: {fix.description if fix else advice}"
    return f"{fix.safety} fix: {fix.description}"


def render_json(findings: list[Finding], summary: dict) -> str:
    """Return findings and the run's counts as one JSON document."""
    data = {
        "tool": "api-hardening-lint",
        "version": __version__,
        "findings": [_public_dict(f) for f in findings],
        "summary": summary,
    }
    return json.dumps(data, indent=2)


def _public_dict(finding: Finding) -> dict:
    data = finding.to_dict()
    data["column"] += 1
    data["end_column"] += 1
    for related in data["related"]:
        related["column"] += 1
    return data


def _sarif_rule(entry: Entry) -> dict:
    # GitHub code scanning reads CWE numbers from tags of this shape.
    tags = ["security", *(f"external/cwe/{cwe.lower()}" for cwe in entry.cwe)]
    if entry.kind == "diagnostic":
        tags = ["tool-diagnostic"]
    help_text = f"{entry.summary}.\nWhy: {entry.rationale}.\nFix: {entry.fix}."
    return {
        "id": entry.id,
        "name": entry.name,
        "shortDescription": {"text": entry.summary},
        "fullDescription": {"text": f"{entry.summary}: {entry.rationale}."},
        "help": {"text": help_text, "markdown": _help_markdown(entry)},
        "defaultConfiguration": {"level": _SARIF_LEVELS[entry.severity]},
        "properties": {
            "tags": tags,
            "precision": _PRECISION[entry.confidence],
            "security-severity": _SECURITY_SEVERITY[entry.severity],
        },
    }


def _help_markdown(entry: Entry) -> str:
    parts = [
        f"**{entry.summary}.**",
        f"**Why:** {entry.rationale}.",
        f"**Fix:** {entry.fix} ({_AUTOFIX_TEXT[entry.autofix]}).",
    ]
    if entry.bad.strip():
        parts.append(f"Example:\n\n```python\n{entry.bad.strip()}\n```")
    if entry.good.strip():
        parts.append(f"Fixed:\n\n```python\n{entry.good.strip()}\n```")
    references = [*entry.cwe, *(f"OWASP {item}" for item in entry.owasp)]
    if references:
        parts.append("References: " + "; ".join(references) + ".")
    parts.append(f"Run `api-hardening-lint explain {entry.id}` for the full page.")
    return "\n\n".join(parts)


def _region(
    line: int, column: int, end_line: int | None = None, end_column: int | None = None
) -> dict:
    region = {"startLine": line, "startColumn": column + 1}
    if end_line is not None and end_column is not None:
        region["endLine"] = end_line
        region["endColumn"] = max(end_column + 1, 1)
    return region


def render_sarif(findings: list[Finding], *, successful: bool = True) -> str:
    """Return a SARIF 2.1.0 log with one run and every catalogue rule."""
    entries = list(catalogue().values())
    index = {entry.id: i for i, entry in enumerate(entries)}
    results = []
    for finding in findings:
        artifact = {"uri": finding.path, "uriBaseId": "%SRCROOT%"}
        result = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": _SARIF_LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": _region(
                            finding.line,
                            finding.column,
                            finding.end_line,
                            finding.end_column,
                        ),
                    }
                }
            ],
            "partialFingerprints": {SARIF_FINGERPRINT: key(finding)},
            "properties": {"confidence": finding.confidence.label},
        }
        if finding.related:
            result["relatedLocations"] = [
                {
                    "id": number,
                    "message": {"text": related.message},
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": _region(related.line, related.column),
                    },
                }
                for number, related in enumerate(finding.related, start=1)
            ]
        results.append(result)

    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "api-hardening-lint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_sarif_rule(entry) for entry in entries],
                    }
                },
                "invocations": [{"executionSuccessful": successful}],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding]) -> Iterator[str]:
    """Yield one GitHub Actions workflow command per finding."""
    for finding in findings:
        properties = ",".join(
            [
                f"file={_escape_property(finding.path)}",
                f"line={finding.line}",
                f"col={finding.column + 1}",
                f"endLine={finding.end_line}",
                f"endColumn={finding.end_column + 1}",
                f"title={_escape_property(f'{finding.rule_id} {finding.rule_name}')}",
            ]
        )
        level = _GITHUB_LEVELS[finding.severity]
        message = f"{finding.rule_id} [{finding.severity.label}] {finding.message}"
        yield f"::{level} {properties}::{_escape_data(message)}"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(findings: list[Finding], files: list[str]) -> str:
    """Return JUnit XML: a failed case per finding, a passed one per clean file.

    ``files`` are the display paths of every file checked. Cases are named by
    rule, numbered within their file when a rule repeats, and never by line,
    so a dashboard tracks the same failure across runs while lines move.
    """
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    clean = sorted(set(files) - set(by_path))
    counts = {"tests": str(len(findings) + len(clean)), "failures": str(len(findings))}

    root = ET.Element("testsuites", name="api-hardening-lint", **counts)
    suite = ET.SubElement(
        root, "testsuite", name="api-hardening-lint", errors="0", skipped="0", **counts
    )
    for path in sorted({*by_path, *clean}):
        shown = _xml_text(path)
        if path not in by_path:
            ET.SubElement(
                suite, "testcase", classname=shown, name="no findings", file=shown
            )
            continue

        repeats: dict[str, int] = {}
        for finding in by_path[path]:
            repeats[finding.rule_id] = repeats.get(finding.rule_id, 0) + 1
            name = f"{finding.rule_id} {finding.rule_name}"
            if repeats[finding.rule_id] > 1:
                name += f" ({repeats[finding.rule_id]})"
            case = ET.SubElement(
                suite,
                "testcase",
                classname=shown,
                name=_xml_text(name),
                file=shown,
                line=str(finding.line),
            )
            lines = list(render_text([finding], colour=False, concise=False))
            failure = ET.SubElement(
                case, "failure", message=_xml_text(lines[0]), type=finding.rule_id
            )
            failure.text = _xml_text("\n".join(lines))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'


def render_gitlab(findings: list[Finding]) -> str:
    """Return a GitLab code quality report: a JSON list of issues."""
    entries = catalogue()
    issues = []
    for finding in findings:
        entry = entries[finding.rule_id]
        category = "Bug Risk" if entry.kind == "diagnostic" else "Security"
        issues.append(
            {
                "type": "issue",
                "check_name": finding.rule_id,
                "description": (
                    f"{finding.rule_id} [{finding.severity.label}] {finding.message}"
                ),
                "content": {"body": f"Why: {entry.rationale}.\n\nFix: {entry.fix}."},
                "categories": [category],
                "severity": _GITLAB_SEVERITY[finding.severity],
                "fingerprint": key(finding),
                "location": {
                    "path": finding.path,
                    "lines": {"begin": finding.line, "end": finding.end_line},
                },
            }
        )
    return json.dumps(issues, indent=2)
