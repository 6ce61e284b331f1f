"""Baselines: accepted findings stay hidden while lines move; new ones are reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from api_hardening_lint import baseline
from api_hardening_lint.cli import main
from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.rule import Finding, Level

WEAK_APP = (
    '"""A Flask app with one weakness."""\n'
    "\n"
    "import flask\n"
    "\n"
    "app = flask.Flask(__name__)\n"
    "app.config.update(DEBUG=True)\n"
)
TWENTY_LINES = "".join(f"SETTING_{n} = {n}\n" for n in range(20))
NEW_WEAKNESS = "app.run(debug=True)\n"


def _check(folder: Path, *args: str):
    old = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(
            main,
            ["check", "--format", "json", *args, "."],
            catch_exceptions=False,
            prog_name="api-hardening-lint",
        )
    finally:
        os.chdir(old)


def _reported(result) -> list[tuple[str, int, str]]:
    findings = json.loads(result.stdout)["findings"]
    return [(f["path"], f["line"], f["rule_id"]) for f in findings]


def test_baseline_survives_twenty_lines_inserted_and_reports_a_new_weakness(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(WEAK_APP, encoding="utf-8")
    written = _check(tmp_path, "--write-baseline", "baseline.json")
    assert written.exit_code == 0

    app.write_text(TWENTY_LINES + WEAK_APP, encoding="utf-8")
    moved = _check(tmp_path, "--baseline", "baseline.json")

    assert moved.exit_code == 0
    assert _reported(moved) == []
    assert json.loads(moved.stdout)["summary"]["baselined"] == 1

    app.write_text(TWENTY_LINES + WEAK_APP + NEW_WEAKNESS, encoding="utf-8")
    grown = _check(tmp_path, "--baseline", "baseline.json")

    assert grown.exit_code == 1
    assert _reported(grown) == [("app.py", 27, "AHL401")]


def test_cached_run_keeps_fingerprints_for_the_baseline(tmp_path):
    (tmp_path / "app.py").write_text(WEAK_APP, encoding="utf-8")
    _check(tmp_path, "--write-baseline", "baseline.json")

    cold = _check(tmp_path, "--baseline", "baseline.json")
    warm = _check(tmp_path, "--baseline", "baseline.json")

    assert (tmp_path / ".api-hardening-lint-cache").is_dir()
    assert _reported(cold) == _reported(warm) == []


def test_a_second_identical_weakness_in_the_file_is_new(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(WEAK_APP, encoding="utf-8")
    _check(tmp_path, "--no-cache", "--write-baseline", "baseline.json")

    app.write_text(WEAK_APP + "app.config.update(DEBUG=True)\n", encoding="utf-8")
    result = _check(tmp_path, "--no-cache", "--baseline", "baseline.json")

    assert _reported(result) == [("app.py", 7, "AHL401")]


def test_reindented_code_keeps_its_fingerprint():
    flat = WEAK_APP.encode()
    nested = WEAK_APP.replace(
        "app.config.update(DEBUG=True)", "if True:\n    app.config.update(DEBUG=True)"
    ).encode()

    (before,) = analyze_source("app.py", flat, Config()).findings
    (after,) = analyze_source("app.py", nested, Config()).findings

    assert after.line == before.line + 1
    assert after.fingerprint == before.fingerprint


def test_fingerprint_depends_on_rule_path_and_code():
    (finding,) = analyze_source("app.py", WEAK_APP.encode(), Config()).findings
    (elsewhere,) = analyze_source("other.py", WEAK_APP.encode(), Config()).findings
    changed = WEAK_APP.replace("DEBUG=True", "DEBUG = True").encode()
    (edited,) = analyze_source("app.py", changed, Config()).findings

    assert len({finding.fingerprint, elsewhere.fingerprint, edited.fingerprint}) == 3


def _finding(path: str, line: int, rule_id: str, digest: str = "") -> Finding:
    return Finding(
        path=path,
        line=line,
        column=0,
        end_line=line,
        end_column=1,
        rule_id=rule_id,
        rule_name="some-rule",
        message="something is wrong",
        severity=Level.HIGH,
        confidence=Level.HIGH,
        fingerprint=digest,
    )


def test_baseline_file_is_versioned_sorted_and_names_no_line():
    findings = [
        _finding("b.py", 3, "AHL401", "c" * 32),
        _finding("a.py", 9, "AHL501", "b" * 32),
        _finding("a.py", 2, "AHL101", "a" * 32),
    ]

    text = baseline.dumps(findings)
    data = json.loads(text)

    assert text == baseline.dumps(reversed(findings))
    assert text.endswith("}\n")
    assert data["version"] == baseline.VERSION
    assert data["tool"] == "api-hardening-lint"
    assert [(e["path"], e["rule"]) for e in data["findings"]] == [
        ("a.py", "AHL101"),
        ("a.py", "AHL501"),
        ("b.py", "AHL401"),
    ]
    keys = {"path", "rule", "name", "fingerprint"}
    assert all(set(entry) == keys for entry in data["findings"])


def test_filter_keeps_only_findings_missing_from_the_baseline(tmp_path):
    old = _finding("a.py", 2, "AHL101", "a" * 32)
    new = _finding("a.py", 5, "AHL101", "d" * 32)
    # Made outside the engine, without a fingerprint: matched on its message.
    unreadable = _finding("c.py", 1, "AHL002")
    path = tmp_path / "baseline.json"
    assert baseline.write(path, [old, unreadable]) == 2

    accepted = baseline.load(path)

    assert baseline.filter_findings([old, new, unreadable], accepted) == [new]
    assert baseline.filter_findings([old, new], None) == [old, new]
    assert baseline.unmatched([new], accepted) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"tool": "flake8", "version": 1, "findings": []}', "not an api-hardening"),
        (
            '{"tool": "api-hardening-lint", "version": 99, "findings": []}',
            "version 99 is not supported",
        ),
        (
            '{"tool": "api-hardening-lint", "version": 1, "findings": [{"path": "a"}]}',
            "each have a fingerprint",
        ),
    ],
)
def test_unusable_baseline_stops_the_run_with_its_name(tmp_path, text, message):
    (tmp_path / "app.py").write_text(WEAK_APP, encoding="utf-8")
    (tmp_path / "old.json").write_text(text, encoding="utf-8")

    result = _check(tmp_path, "--no-cache", "--baseline", "old.json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("api-hardening-lint: baseline error: old.json: ")
    assert message in result.stderr


def test_baseline_key_in_pyproject_is_read_below_the_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.api-hardening-lint]\nbaseline = "lint/baseline.json"\n', encoding="utf-8"
    )
    (tmp_path / "app.py").write_text(WEAK_APP, encoding="utf-8")
    _check(tmp_path, "--no-cache", "--write-baseline", "lint/baseline.json")

    result = _check(tmp_path, "--no-cache")

    assert result.exit_code == 0
    assert _reported(result) == []


def test_baseline_key_must_be_a_path(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.api-hardening-lint]\nbaseline = 3\n", encoding="utf-8"
    )

    result = _check(tmp_path, "--no-cache")

    assert result.exit_code == 2
    assert "'baseline' must be a file path" in result.stderr


def test_plugin_style_use_reads_the_configured_baseline(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.api-hardening-lint]\nbaseline = "baseline.json"\n', encoding="utf-8"
    )
    (tmp_path / "app.py").write_text(WEAK_APP, encoding="utf-8")
    _check(tmp_path, "--no-cache", "--write-baseline", "baseline.json")
    config = Config(root=tmp_path, baseline="baseline.json")
    source = (TWENTY_LINES + WEAK_APP + NEW_WEAKNESS).encode()

    findings = analyze_source(str(tmp_path / "app.py"), source, config).findings
    new = baseline.filter_findings(findings, baseline.load_configured(config))

    assert [(f.line, f.rule_id) for f in findings] == [(26, "AHL401"), (27, "AHL401")]
    assert [(f.line, f.rule_id) for f in new] == [(27, "AHL401")]
    assert baseline.load_configured(Config(root=tmp_path)) is None
