"""The command line: output snapshots, formats, configuration and exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from api_hardening_lint import __version__
from api_hardening_lint.cli import main
from api_hardening_lint.registry import catalogue
from conftest import FIXTURES

CLI = FIXTURES / "cli"
SCHEMA = Path(__file__).parents[2] / "shared" / "sarif" / "sarif-schema-2.1.0.json"
EXAMPLES = Path(__file__).parents[1] / "examples"


def _invoke(args: list[str], cwd: Path = CLI):
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(
            main, args, catch_exceptions=False, prog_name="api-hardening-lint"
        )
    finally:
        os.chdir(old)


def _snapshot(name: str, result) -> None:
    """Compare exit code, stdout and stderr with ``fixtures/cli/<name>.txt``."""
    text = f"exit: {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    path = CLI / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


SCENARIOS = {
    "text": ["check", "--no-cache", "project"],
    "concise": ["check", "--no-cache", "--format", "concise", "project"],
    "github": ["check", "--no-cache", "--format", "github", "project"],
    "clean": ["check", "--no-cache", "clean"],
    "exit_zero": [
        "check",
        "--no-cache",
        "--exit-zero",
        "--format",
        "concise",
        "project",
    ],
    "select_ignore": [
        "check",
        "--no-cache",
        "--format",
        "concise",
        "--ignore",
        "AHL401",
        "project",
    ],
    "configured": ["check", "--no-cache", "--format", "concise", "configured"],
    "bad_config": ["check", "--no-cache", "bad_config"],
    "bad_value": ["check", "--no-cache", "bad_value"],
    "bad_code": ["check", "--no-cache", "--select", "XYZ1", "project"],
    "missing_path": ["check", "--no-cache", "no_such_folder"],
    "quiet": ["check", "--no-cache", "-q", "--format", "concise", "project"],
    "junit": ["check", "--no-cache", "--format", "junit", "project", "clean"],
    "gitlab": ["check", "--no-cache", "--format", "gitlab", "project"],
    "baselined": ["check", "--no-cache", "baselined"],
    "missing_baseline": ["check", "--no-cache", "--baseline", "none.json", "project"],
    "unused_noqa": ["check", "--no-cache", "--report-unused-noqa", "unused_noqa"],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_output_matches_snapshot(name):
    _snapshot(name, _invoke(SCENARIOS[name]))


def test_exit_codes_follow_findings_and_errors():
    assert _invoke(["check", "--no-cache", "clean"]).exit_code == 0
    assert _invoke(["check", "--no-cache", "project"]).exit_code == 1
    assert _invoke(["check", "--no-cache", "bad_config"]).exit_code == 2
    assert _invoke(["check", "--no-cache", "--format", "xml", "project"]).exit_code == 2


def test_json_lists_every_finding_with_one_based_columns():
    result = _invoke(["check", "--no-cache", "--format", "json", "project"])

    data = json.loads(result.stdout)
    assert [
        (f["path"], f["line"], f["column"], f["rule_id"]) for f in data["findings"]
    ] == [
        ("project/app.py", 6, 19, "AHL401"),
        ("project/pkg/service.py", 5, 15, "AHL401"),
    ]
    assert data["summary"] == {
        "files": 2,
        "findings": 2,
        "high": 2,
        "medium": 0,
        "low": 0,
    }
    assert data["version"] == __version__


def _sarif(path: Path, cwd: Path = CLI) -> dict:
    result = _invoke(["check", "--no-cache", "--format", "sarif", str(path)], cwd)
    return json.loads(result.stdout)


@pytest.mark.skipif(
    not SCHEMA.exists(), reason="the SARIF 2.1.0 schema is not beside the project"
)
@pytest.mark.parametrize("folder", ["flask_app", "fastapi_app", "django_app"])
def test_sarif_of_each_example_validates_against_the_official_schema(folder):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))

    log = _sarif(EXAMPLES / folder, EXAMPLES)

    jsonschema.Draft4Validator(schema).validate(log)
    rule_ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "AHL401" in rule_ids


def test_sarif_describes_every_rule_and_points_at_each_finding():
    log = _sarif(Path("project"))

    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalogue())
    debug = rules[[r["id"] for r in rules].index("AHL401")]
    assert debug["properties"]["tags"] == [
        "security",
        "external/cwe/cwe-489",
        "external/cwe/cwe-215",
    ]
    assert debug["properties"]["security-severity"] == "8.0"
    assert [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in run["results"]
    ] == [
        ("AHL401", "project/app.py", 6, "error"),
        ("AHL401", "project/pkg/service.py", 5, "error"),
    ]


def test_sarif_gives_github_what_code_scanning_reads():
    log = _sarif(Path("project"))

    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    debug = rules["AHL401"]
    markdown = debug["help"]["markdown"]
    assert debug["help"]["text"].startswith(debug["shortDescription"]["text"])
    example = "```python\nfrom flask import Flask"
    for part in ("**Why:**", "**Fix:**", example, "CWE-489"):
        assert part in markdown
    assert rules["AHL001"]["properties"]["tags"] == ["tool-diagnostic"]
    for result in log["runs"][0]["results"]:
        assert re.fullmatch(
            "[0-9a-f]{32}", result["partialFingerprints"]["apiHardeningLint/v1"]
        )


def _sarif_by_fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    log = _sarif(Path("."), folder)
    return {
        result["partialFingerprints"]["apiHardeningLint/v1"]: (
            result["ruleId"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for result in log["runs"][0]["results"]
    }


def test_sarif_fingerprints_survive_lines_inserted_at_the_top(tmp_path):
    app = tmp_path / "app.py"
    body = (CLI / "project" / "app.py").read_text(encoding="utf-8")
    app.write_text(body + 'app.config["DEBUG"] = True\n', encoding="utf-8")
    before = _sarif_by_fingerprint(tmp_path)

    app.write_text("import os\n" * 7 + body + 'app.config["DEBUG"] = True\n')
    after = _sarif_by_fingerprint(tmp_path)

    assert len(before) == 2
    assert after.keys() == before.keys()
    assert {key: (rule, line + 7) for key, (rule, line) in before.items()} == after


@pytest.mark.parametrize(
    "output_format", ["text", "json", "sarif", "github", "junit", "gitlab"]
)
def test_every_format_reports_the_pilot_rule_on_each_example(output_format):
    result = _invoke(["check", "--no-cache", "--format", output_format, "."], EXAMPLES)

    assert result.exit_code == 1
    if output_format == "sarif":
        paths = [
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(result.stdout)["runs"][0]["results"]
            if r["ruleId"] == "AHL401"
        ]
    elif output_format == "json":
        findings = json.loads(result.stdout)["findings"]
        paths = [f["path"] for f in findings if f["rule_id"] == "AHL401"]
    elif output_format == "gitlab":
        issues = json.loads(result.stdout)
        paths = [i["location"]["path"] for i in issues if i["check_name"] == "AHL401"]
    elif output_format == "junit":
        cases = ElementTree.fromstring(result.stdout).iter("testcase")
        paths = [c.get("file") for c in cases if c.get("name").startswith("AHL401")]
    else:
        paths = [line for line in result.stdout.splitlines() if "AHL401" in line]
    apps = {
        app
        for app in ("flask_app", "fastapi_app", "django_app")
        for p in paths
        if app in p
    }
    assert apps == {"flask_app", "fastapi_app", "django_app"}


def test_rules_lists_every_catalogue_entry():
    result = _invoke(["rules"])

    listed = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert listed == list(catalogue())


def test_explain_prints_the_rule_page_by_code_or_name():
    by_code = _invoke(["explain", "ahl401"])
    by_name = _invoke(["explain", "debug-mode-enabled"])

    assert by_code.stdout.startswith("# AHL401 debug-mode-enabled\n")
    assert by_name.stdout == by_code.stdout
    assert _invoke(["explain", "AHL999"]).exit_code == 2


def test_colour_only_when_asked_or_on_a_terminal():
    plain = _invoke(["check", "--no-cache", "--format", "concise", "project"])
    coloured = _invoke(
        ["check", "--no-cache", "--format", "concise", "--color", "project"]
    )

    assert "\x1b[" not in plain.stdout
    assert "\x1b[" in coloured.stdout


def _unused_noqa(result) -> list[tuple[int, str]]:
    findings = json.loads(result.stdout)["findings"]
    return [(f["line"], f["message"]) for f in findings if f["rule_id"] == "AHL006"]


def test_unused_noqa_is_the_same_on_a_cold_and_a_warm_run(tmp_path):
    source = (CLI / "unused_noqa" / "app.py").read_text(encoding="utf-8")
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    args = ["check", "--format", "json", "--report-unused-noqa", "."]

    cold = _invoke(args, tmp_path)
    plain = _invoke(["check", "--format", "json", "."], tmp_path)
    warm = _invoke(args, tmp_path)

    assert (tmp_path / ".api-hardening-lint-cache").is_dir()
    assert _unused_noqa(cold) == [
        (7, "A noqa comment names codes that silenced nothing: AHL401"),
        (8, "A noqa comment names codes that silenced nothing: AHL4"),
    ]
    assert _unused_noqa(warm) == _unused_noqa(cold)
    assert _unused_noqa(plain) == []
    assert json.loads(plain.stdout)["findings"] == []


def test_unused_noqa_judges_only_codes_of_rules_that_ran():
    args = ["check", "--no-cache", "--format", "json", "--report-unused-noqa"]

    only_secrets = _invoke([*args, "--select", "AHL1", "unused_noqa"])
    no_debug = _invoke([*args, "--ignore", "AHL4", "unused_noqa"])

    assert _unused_noqa(only_secrets) == []
    assert _unused_noqa(no_debug) == []


def test_unused_noqa_counts_a_finding_that_configuration_drops_as_silenced(tmp_path):
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n"
        "app = Flask(__name__)\n"
        "if __name__ == '__main__':\n"
        "    app.run(debug=True)  # noqa: AHL401 -- local entry point\n",
        encoding="utf-8",
    )
    args = ["check", "--no-cache", "--format", "json", "--report-unused-noqa"]

    result = _invoke([*args, "--min-confidence", "high", "."], tmp_path)

    assert json.loads(result.stdout)["findings"] == []
