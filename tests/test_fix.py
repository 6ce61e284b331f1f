"""Fixes: fixture pairs, a fix-everything run over all fixtures, and file safety.

Naming: ``fixtures/<ID>/fire_X.py`` is fixed into ``fixtures/<ID>/fixed_X.py``.
Applying every fix, safe and unsafe, to the fire file must give the fixed file
byte for byte. The ``# expect:`` comments of the fire file survive in the fixed
file, since fixes keep comments; there they are not markers.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from api_hardening_lint import fixer
from api_hardening_lint.cli import main
from api_hardening_lint.config import Config
from api_hardening_lint.registry import catalogue, rule_classes
from conftest import FIXTURES, reported

RULE_IDS = [cls.id for cls in rule_classes()]
PAIRS = sorted(
    (fixed.with_name(fixed.name.replace("fixed_", "fire_", 1)), fixed)
    for rule_id in RULE_IDS
    for fixed in (FIXTURES / rule_id).glob("fixed_*.py")
)
ALL = fixer.safeties(unsafe=True)


def _fix(path: Path) -> fixer.FixOutcome:
    rule_folder = FIXTURES / path.relative_to(FIXTURES).parts[0]
    display = path.relative_to(rule_folder).as_posix()
    return fixer.fix_source(display, path.read_bytes(), Config(root=FIXTURES), ALL)


def _check(cwd: Path, *args: str):
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*.py"))}


@pytest.mark.parametrize("fire, fixed", PAIRS, ids=[p[1].name for p in PAIRS])
def test_fixing_fire_fixture_gives_fixed_fixture(fire, fixed):
    outcome = _fix(fire)

    assert outcome.fixed, "the fire fixture has nothing to fix"
    assert outcome.source == fixed.read_bytes()


@pytest.mark.parametrize("fire, fixed", PAIRS, ids=[p[1].name for p in PAIRS])
def test_rule_is_silent_on_fixed_findings(fire, fixed):
    rule_id = fire.parent.name
    display = fixed.name.replace("fixed_", "fire_", 1)
    before = [f for f in reported(fire, display=fire.name) if f.rule_id == rule_id]
    after = [f for f in reported(fixed, display=display) if f.rule_id == rule_id]
    unfixed = [f for f in before if f.fix is None or not f.fix.is_edit]

    assert [f for f in after if f.fix is not None and f.fix.is_edit] == []
    assert Counter(f.message for f in after) == Counter(f.message for f in unfixed)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_offers_a_fix_only_with_a_fixed_fixture(rule_id):
    has_pair = any(fire.parent.name == rule_id for fire, _ in PAIRS)

    assert (catalogue()[rule_id].autofix != "none") == has_pair


def test_fixing_every_fixture_keeps_files_sound(tmp_path):
    for rule_id in [*RULE_IDS, "badinput"]:
        shutil.copytree(FIXTURES / rule_id, tmp_path / rule_id)
    config = ["--no-cache", "--exit-zero", "--format", "json", "-q", "."]
    before_files = _snapshot(tmp_path)
    before = _check(tmp_path, *config)

    _check(tmp_path, "--no-cache", "--fix", "--unsafe-fixes", "-q", ".")
    after_files = _snapshot(tmp_path)
    after = _check(tmp_path, *config)
    _check(tmp_path, "--no-cache", "--fix", "--unsafe-fixes", "-q", ".")

    findings = {
        name: _findings(run.stdout) for name, run in [("b", before), ("a", after)]
    }
    fixed_paths = {tmp_path / f["path"] for f in findings["b"] if _is_edit(f)}
    for path, data in before_files.items():
        if path not in fixed_paths:
            assert after_files[path] == data, f"{path} has no fix but changed"
        elif _parses(data):
            assert _parses(after_files[path]), f"{path} no longer parses"
    assert [f for f in findings["a"] if _is_edit(f)] == [], "a fixable finding survived"
    new = Counter(map(_key, findings["a"])) - Counter(map(_key, findings["b"]))
    new = _exposed(new, findings["b"])
    assert not new, f"fixing added findings: {sorted(new)}"
    assert _snapshot(tmp_path) == after_files, "a second --fix changed files"


def _findings(stdout: str) -> list[dict]:
    return json.loads(stdout)["findings"]


def _is_edit(finding: dict) -> bool:
    return finding.get("fix", {}).get("safety") in ("safe", "unsafe")


# Fixes move lines, so messages that name a line are compared without it.
_LINE_NUMBER = re.compile(r"\b\d+\b")


def _key(finding: dict) -> tuple:
    message = _LINE_NUMBER.sub("#", finding["message"])
    return finding["path"], finding["rule_id"], message


def _exposed(new: Counter, fixed: list[dict]) -> Counter:
    """Drop AHL201 findings on routes an AHL601 fix moved off GET.

    AHL201 skips routes that only serve GET; once such a route serves POST,
    a missing authentication check is reported, as it should be.
    """
    moved = {f["path"] for f in fixed if f["rule_id"] == "AHL601" and _is_edit(f)}
    return Counter(
        {key: n for key, n in new.items() if key[1] != "AHL201" or key[0] not in moved}
    )


def _parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def test_diff_prints_fixes_and_writes_nothing(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n"
    )
    before = app.read_bytes()

    result = _check(tmp_path, "--no-cache", "--diff", ".")

    assert app.read_bytes() == before
    assert result.exit_code == 1
    assert '+app.run(debug=os.environ.get("FLASK_DEBUG") == "1")' in result.stdout
    assert "(safe fix)" in result.stdout


def test_fix_reports_counts_and_exit_code(tmp_path):
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n"
    )

    result = _check(tmp_path, "--no-cache", "--fix", ".")

    assert result.exit_code == 0
    assert "Fixed 1 finding; none remain" in result.stdout
    assert _check(tmp_path, "--no-cache", "--fix", ".").stdout.startswith(
        "Fixed 0 findings"
    )


def test_cached_findings_do_not_hide_fixes(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n"
    )
    _check(tmp_path, ".")

    result = _check(tmp_path, "--fix", ".")

    assert "Fixed 1 finding" in result.stdout
    assert b'os.environ.get("FLASK_DEBUG")' in app.read_bytes()


def test_fix_keeps_bom_crlf_and_permissions(tmp_path):
    app = tmp_path / "app.py"
    source = (
        "from flask import Flask\r\n\r\napp = Flask(__name__)\r\napp.debug = True\r\n"
    )
    app.write_bytes(b"\xef\xbb\xbf" + source.encode("utf-8"))
    app.chmod(0o640)

    _check(tmp_path, "--no-cache", "--fix", ".")
    data = app.read_bytes()

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") == 5
    assert b'app.debug = os.environ.get("FLASK_DEBUG") == "1"\r\n' in data
    assert app.stat().st_mode & 0o777 == 0o640


def test_fix_keeps_a_latin1_declared_file_in_latin1(tmp_path):
    settings = tmp_path / "settings.py"
    text = (
        '# -*- coding: latin-1 -*-\nTITLE = "café"\nDEBUG = True\nROOT_URLCONF = "a"\n'
    )
    settings.write_bytes(text.encode("latin-1"))

    _check(tmp_path, "--no-cache", "--fix", ".")
    data = settings.read_bytes()

    assert b'TITLE = "caf\xe9"' in data
    assert b'DEBUG = os.environ.get("DJANGO_DEBUG") == "1"' in data


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    app = tmp_path / "app.py"
    app.write_bytes(b"changed by someone else\n")

    with pytest.raises(fixer.FixError, match="changed since it was read"):
        fixer.write_fixed(app, b"as read\n", b"fixed\n")

    assert app.read_bytes() == b"changed by someone else\n"


def test_write_failure_leaves_the_file_and_no_temporary(tmp_path, monkeypatch):
    # As root, a read-only folder or file does not stop a write, so the
    # failure is simulated where the replacement would happen.
    app = tmp_path / "app.py"
    app.write_bytes(b"as read\n")

    def refuse(_source, _target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fixer.os, "replace", refuse)
    with pytest.raises(fixer.FixError, match="Permission denied"):
        fixer.write_fixed(app, b"as read\n", b"fixed\n")

    assert app.read_bytes() == b"as read\n"
    assert [p.name for p in tmp_path.iterdir()] == ["app.py"]


def test_cli_warns_and_keeps_going_when_a_write_fails(tmp_path, monkeypatch):
    app = tmp_path / "app.py"
    app.write_text(
        "from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n"
    )
    before = app.read_bytes()

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fixer.tempfile, "mkstemp", refuse)
    result = _check(tmp_path, "--no-cache", "--fix", ".")

    assert app.read_bytes() == before
    assert result.exit_code == 1
    assert "not fixed app.py: Permission denied" in result.stderr


def test_fix_whose_result_does_not_parse_is_dropped(tmp_path, monkeypatch, caplog):
    source = b"from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n"
    monkeypatch.setattr(fixer, "_parses", lambda _data: False)

    with caplog.at_level(logging.WARNING):
        outcome = fixer.fix_source("app.py", source, Config(root=tmp_path), ALL)

    assert outcome.source == source
    assert outcome.fixed == [] and len(outcome.dropped) == 1
    assert "would not parse" in caplog.text


def test_overlapping_fixes_wait_for_the_next_pass():
    import libcst as cst

    from api_hardening_lint.rule import SAFE, Finding, Fix, Level

    module = cst.parse_module("x = f(True)\n")
    call = module.body[0].body[0].value
    arg = call.args[0]

    def finding(node, new, line):
        fix = Fix("change", SAFE, ((node, new),))
        return Finding(
            "m.py", 1, line, 1, 9, "AHL401", "n", "m", Level.HIGH, Level.HIGH, fix=fix
        )

    outer = finding(call, cst.parse_expression("g()"), 4)
    inner = finding(arg, arg.with_changes(value=cst.Name("False")), 6)
    fixed, accepted, deferred = fixer.apply_edits(module, [inner, outer], {SAFE})

    assert accepted == [outer] and deferred == [inner]
    assert fixed.code == "x = g()\n"


def _suggestions(tmp_path: Path, source: str, rule_id: str) -> list[str]:
    app = tmp_path / "app.py"
    app.write_text(source)
    findings = reported(app, display="app.py", config=Config(root=tmp_path))
    return [f.fix.description for f in findings if f.rule_id == rule_id]


def test_auth_suggestion_names_the_decorator_other_routes_use(tmp_path):
    route = '@app.post("/{0}")\n{1}def {0}():\n    save(request.json)\n\n\n'
    source = (
        "from flask import Flask, request\nfrom flask_login import login_required\n"
    )
    source += "\napp = Flask(__name__)\n\n\n"
    source += route.format("a", "@login_required\n") + route.format("b", "")

    assert _suggestions(tmp_path, source, "AHL201") == [
        "add @login_required, as 1 other route in this file does"
    ]


def test_validation_suggestion_names_the_schema_the_file_loads_with(tmp_path):
    source = (
        "from flask import Flask, request\n\nfrom .models import Order, db\n\n"
        'app = Flask(__name__)\n\n\n@app.post("/a")\ndef a():\n'
        "    data = OrderSchema().load(request.get_json())\n"
        '    db.session.add(Order(**data))\n\n\n@app.post("/b")\ndef b():\n'
        "    db.session.add(Order(**request.get_json()))\n"
    )

    assert _suggestions(tmp_path, source, "AHL301") == [
        "load the body with OrderSchema().load(...), as this file does elsewhere,"
        " and use only what it returns"
    ]


def test_leak_through_a_variable_gets_advice_not_an_edit(tmp_path):
    source = (
        "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n"
        '@app.route("/r")\ndef r():\n    try:\n        return jsonify(run())\n'
        "    except Exception as e:\n        message = str(e)\n"
        "        return jsonify(error=message), 500\n"
    )
    app = tmp_path / "app.py"
    app.write_text(source)
    findings = reported(app, display="app.py", config=Config(root=tmp_path))

    assert [f.fix.safety for f in findings if f.rule_id == "AHL402"] == ["none"]
