"""Files that cannot be analyzed get one diagnostic each and never stop a run."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from api_hardening_lint import runner
from api_hardening_lint.cli import main
from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.rule import Rule
from api_hardening_lint.rules.debug_mode_enabled import DebugModeEnabled
from conftest import FIXTURES

BAD = FIXTURES / "badinput"
FINDING_LINE = re.compile(r"^(\S+?):\d+:\d+: (AHL\d{3}) ", re.MULTILINE)


def _codes(path: Path, config: Config | None = None) -> list[tuple[int, str]]:
    report = analyze_source(path.name, path.read_bytes(), config or Config())
    return [(f.line, f.rule_id) for f in report.findings]


def _message(path: Path) -> str:
    (finding,) = analyze_source(path.name, path.read_bytes(), Config()).findings
    return finding.message


def test_syntax_error_is_one_parse_diagnostic_at_its_line():
    assert _codes(BAD / "syntax_error.py") == [(4, "AHL001")]
    assert "line 4" in _message(BAD / "syntax_error.py")


def test_undecodable_bytes_are_one_not_text_diagnostic():
    assert _codes(BAD / "undecodable.py") == [(1, "AHL003")]
    assert "cannot be decoded" in _message(BAD / "undecodable.py")


def test_nul_byte_is_one_not_text_diagnostic_naming_its_line():
    assert _codes(BAD / "nul_byte.py") == [(3, "AHL003")]
    assert "NUL byte at line 3" in _message(BAD / "nul_byte.py")


def test_large_file_that_no_rule_wants_is_skipped_without_a_diagnostic(tmp_path):
    source = b"".join(b"ROW_%07d = %d\n" % (i, i) for i in range(260_000))

    assert analyze_source("table.py", source, Config()).findings == []


def test_empty_file_is_valid_python_with_nothing_to_report():
    assert _codes(BAD / "empty.py") == []


def test_declared_latin1_file_is_analyzed():
    assert _codes(BAD / "latin1_declared.py") == [(6, "AHL401")]


def test_thousand_deep_parentheses_are_refused_like_python_does():
    assert _codes(BAD / "deep_parens.py") == [(4, "AHL001")]
    assert "too many nested parentheses" in _message(BAD / "deep_parens.py")


def test_nesting_that_would_crash_the_parser_is_caught_before_it():
    assert _codes(BAD / "very_deep_parens.py") == [(4, "AHL001")]


def test_finding_inside_a_thousand_deep_expression_gets_its_position():
    report = analyze_source(
        "deep.py", (BAD / "deep_attributes.py").read_bytes(), Config()
    )

    assert [(f.line, f.column, f.rule_id) for f in report.findings] == [
        (4, 8, "AHL401")
    ]


def test_file_over_the_size_limit_is_skipped_with_a_diagnostic(tmp_path):
    big = tmp_path / "generated.py"
    line = b"DEBUG_TABLE_%07d = %d\n"
    rows = b"".join(line % (i, i) for i in range(260_000))
    big.write_bytes(
        b"from flask import Flask\napp = Flask(__name__)\napp.debug = True\n" + rows
    )
    assert big.stat().st_size > 5 * 1024 * 1024

    report = analyze_source("generated.py", big.read_bytes(), Config())

    assert [(f.line, f.rule_id) for f in report.findings] == [(1, "AHL004")]
    assert "MiB is over the 1024 KiB limit" in report.findings[0].message


class _Exploding(Rule):
    id = "AHL999"
    name = "exploding"
    summary = "never reported"

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("boom")


def test_rule_that_raises_is_reported_and_other_findings_are_kept():
    source = b"from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"

    report = analyze_source("app.py", source, Config(), [_Exploding, DebugModeEnabled])

    assert [(f.line, f.rule_id) for f in report.findings] == [
        (1, "AHL005"),
        (3, "AHL401"),
    ]
    assert (
        "rule AHL999 failed on this file (ValueError: boom)"
        in report.findings[0].message
    )


@pytest.fixture
def bad_tree(tmp_path):
    """A folder holding every kind of bad input beside one ordinary weak file."""
    tree = tmp_path / "tree"
    shutil.copytree(BAD, tree)
    (tree / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"
    )
    (tree / "dangling.py").symlink_to(tree / "missing.py")
    (tree / "loop_a.py").symlink_to(tree / "loop_b.py")
    (tree / "loop_b.py").symlink_to(tree / "loop_a.py")
    (tree / "pipe.py").parent.mkdir(exist_ok=True)
    os.mkfifo(tree / "pipe.py")
    (tree / "sub").mkdir()
    (tree / "sub" / "back").symlink_to(tree, target_is_directory=True)
    return tree


def test_every_bad_input_gets_one_diagnostic_and_the_run_goes_on(bad_tree, monkeypatch):
    monkeypatch.chdir(bad_tree)

    result = CliRunner().invoke(
        main, ["check", "--no-cache", "--format", "concise", "-j", "1", "."]
    )

    codes = sorted(FINDING_LINE.findall(result.output))
    assert result.exit_code == 1
    assert codes == [
        ("app.py", "AHL401"),
        ("dangling.py", "AHL002"),
        ("deep_attributes.py", "AHL401"),
        ("deep_parens.py", "AHL001"),
        ("latin1_declared.py", "AHL401"),
        ("loop_a.py", "AHL002"),
        ("loop_b.py", "AHL002"),
        ("nul_byte.py", "AHL003"),
        ("pipe.py", "AHL002"),
        ("syntax_error.py", "AHL001"),
        ("undecodable.py", "AHL003"),
        ("very_deep_parens.py", "AHL001"),
    ]


def test_unreadable_file_is_reported_with_the_reason(bad_tree, monkeypatch):
    real = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == "app.py":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)

    source, report = runner.read_file("app.py", bad_tree / "app.py")

    assert source is None
    assert report.findings[0].rule_id == "AHL002"
    assert report.findings[0].message.endswith("could not be read: Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission_is_reported(tmp_path):
    locked = tmp_path / "locked.py"
    locked.write_text("DEBUG = True\n")
    locked.chmod(0)

    _, report = runner.read_file("locked.py", locked)

    assert report.findings[0].rule_id == "AHL002"


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the patched function reaches workers only when they are forked",
)
def test_worker_that_dies_costs_only_its_own_file(tmp_path, monkeypatch):
    for i in range(12):
        (tmp_path / f"app{i:02}.py").write_text(
            "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"
        )
    real = runner.analyze_source

    def crash_on_app05(path, *args, **options):
        if path.endswith("app05.py"):
            os._exit(1)
        return real(path, *args, **options)

    # Worker processes are forked, so they inherit the patched function.
    monkeypatch.setattr(runner, "analyze_source", crash_on_app05)
    files = list(runner.discover([str(tmp_path)], Config(root=tmp_path)))

    result = runner.run(files, Config(root=tmp_path), jobs=2, use_cache=False)

    found = sorted((Path(f.path).name, f.rule_id) for f in result.findings)
    expected = [(f"app{i:02}.py", "AHL401") for i in range(12) if i != 5]
    assert found == sorted([*expected, ("app05.py", "AHL001")])
