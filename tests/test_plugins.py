"""The flake8 and pylint front ends report what the CLI reports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from api_hardening_lint.plugins import common
from api_hardening_lint.registry import catalogue
from conftest import FIXTURES

WEAK_FLASK = "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n"
# Lines the CLI and flake8 must both leave out, through their own noqa logic.
SUPPRESSED = (
    "from flask import Flask\n"
    "\n"
    "app = Flask(__name__)\n"
    "app.run(debug=True)  # noqa: AHL401\n"
    "app.run(debug=True)  # noqa: AHL4 -- local runner only\n"
    "app.run(debug=True)\n"
)


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch):
    # Settings and indexes are memoised per process; each test has its own.
    monkeypatch.setattr(common, "_configs", {})
    monkeypatch.setattr(common, "_indexes", {})


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def _project(root: Path, files: dict[str, str], settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.api-hardening-lint]\n{settings}")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _pylint_symbols() -> str:
    from api_hardening_lint.plugins.pylint import CONFIG_ERROR, _SYMBOLS

    return ",".join([*_SYMBOLS.values(), CONFIG_ERROR[1]])


# Unit-level behaviour of the adapters.


def test_flake8_entry_point_is_registered_under_the_ahl_prefix():
    found = [ep for ep in entry_points(group="flake8.extension") if ep.name == "AHL"]

    assert [ep.value for ep in found] == [
        "api_hardening_lint.plugins.flake8:Flake8Plugin"
    ]


def test_flake8_plugin_yields_the_concise_line_at_the_cli_position(
    tmp_path, monkeypatch
):
    from api_hardening_lint.plugins.flake8 import Flake8Plugin

    _project(tmp_path, {"app.py": WEAK_FLASK})
    monkeypatch.chdir(tmp_path)
    lines = WEAK_FLASK.splitlines(keepends=True)

    found = list(Flake8Plugin(None, "app.py", lines).run())

    assert [(line, col, text.split()[0]) for line, col, text, _ in found] == [
        (4, 8, "AHL401")
    ]
    assert found[0][2].startswith("AHL401 [high] ")


def test_flake8_plugin_honours_the_project_settings(tmp_path, monkeypatch):
    from api_hardening_lint.plugins.flake8 import Flake8Plugin

    _project(tmp_path, {"app.py": WEAK_FLASK}, 'ignore = ["AHL401"]\n')
    monkeypatch.chdir(tmp_path)

    found = list(Flake8Plugin(None, "app.py", WEAK_FLASK.splitlines(True)).run())

    assert found == []


def test_flake8_plugin_finds_settings_from_the_stdin_display_name(
    tmp_path, monkeypatch
):
    from api_hardening_lint.plugins.flake8 import Flake8Plugin

    _project(tmp_path / "svc", {"app.py": ""}, 'ignore = ["AHL401"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Flake8Plugin, "_stdin_display_name", "svc/app.py")
    lines = WEAK_FLASK.splitlines(keepends=True)

    from_editor = list(Flake8Plugin(None, "stdin", lines).run())
    monkeypatch.setattr(Flake8Plugin, "_stdin_display_name", "stdin")
    piped = list(Flake8Plugin(None, "stdin", lines).run())

    assert from_editor == []
    assert [f[2].split()[0] for f in piped] == ["AHL401"]


def test_flake8_plugin_keeps_the_declared_encoding(tmp_path, monkeypatch):
    from api_hardening_lint.plugins.flake8 import Flake8Plugin

    text = "# -*- coding: latin-1 -*-\nNAME = 'caf\u00e9'\n" + WEAK_FLASK
    _project(tmp_path, {})
    (tmp_path / "app.py").write_bytes(text.encode("latin-1"))
    monkeypatch.chdir(tmp_path)

    found = list(Flake8Plugin(None, "app.py", text.splitlines(True)).run())

    assert [(line, col) for line, col, _, _ in found] == [(6, 8)]


def test_pylint_message_ids_follow_the_rule_numbers():
    pytest.importorskip("pylint")
    from api_hardening_lint.plugins.pylint import message_id

    ids = {entry.id: message_id(entry) for entry in catalogue().values()}

    for rule_id, msgid in ids.items():
        number = int(rule_id[3:])
        assert re.fullmatch(r"[EW]96\d\d", msgid), msgid
        assert msgid[3:] == f"{number // 100}{number % 100}"
    assert len({msgid[1:] for msgid in ids.values()}) == len(ids)


def test_pylint_plugin_registers_every_rule_under_its_name():
    pytest.importorskip("pylint")
    from pylint.lint import PyLinter

    from api_hardening_lint import pylint_plugin

    linter = PyLinter()
    linter.load_default_plugins()
    # Registering raises if an id or symbol clashes with pylint's own.
    pylint_plugin.register(linter)

    for entry in catalogue().values():
        if entry.kind == "rule":
            assert linter.msgs_store.get_message_definitions(entry.name)


# The three front ends over every rule fixture.


def _fixture_tree(root: Path) -> Path:
    """Copy the rule fixtures into a project of their own.

    The repository's settings exclude the fixtures, so they are checked as a
    separate project with default settings, one tree for all three tools.
    """
    for folder in sorted(FIXTURES.glob("AHL*")):
        shutil.copytree(
            folder, root / folder.name, ignore=shutil.ignore_patterns("*.pyc")
        )
    (root / "noqa_cases.py").write_text(SUPPRESSED)
    (root / "pyproject.toml").write_text("[tool.api-hardening-lint]\n")
    (root / "pylintrc").write_text("[MAIN]\n")
    return root


def _from_cli(result: subprocess.CompletedProcess) -> set[tuple]:
    data = json.loads(result.stdout)
    return {(f["path"], f["line"], f["column"], f["rule_id"]) for f in data["findings"]}


def _from_flake8(result: subprocess.CompletedProcess) -> set[tuple]:
    found = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.split(":", 3)
        found.add((path.removeprefix("./"), int(row), int(col), code))
    return found


def _from_pylint(result: subprocess.CompletedProcess) -> set[tuple]:
    ids = {entry.name: entry.id for entry in catalogue().values()}
    ids.update({f"ahl-{entry.name}": entry.id for entry in catalogue().values()})
    found = set()
    for line in result.stdout.splitlines():
        if line.startswith("*"):
            continue
        path, row, col, symbol = line.split(":", 3)
        # pylint counts columns from 0, the CLI's JSON from 1.
        found.add((path.removeprefix("./"), int(row), int(col) + 1, ids[symbol]))
    return found


def test_cli_flake8_and_pylint_report_the_same_findings(tmp_path):
    pytest.importorskip("flake8")
    pytest.importorskip("pylint")
    root = _fixture_tree(tmp_path)
    commands = {
        "cli": ["api_hardening_lint", "check", "--format", "json", "--no-cache", "."],
        "flake8": [
            "flake8",
            "--isolated",
            "--jobs",
            "2",
            "--select",
            "AHL",
            "--format",
            "%(path)s:%(row)d:%(col)d:%(code)s",
            ".",
        ],
        "pylint": [
            "pylint",
            "--rcfile",
            "pylintrc",
            "--load-plugins",
            "api_hardening_lint.pylint_plugin",
            "--disable",
            "all",
            "--enable",
            _pylint_symbols(),
            "--recursive",
            "y",
            "--score",
            "n",
            "--persistent",
            "n",
            "--msg-template",
            "{path}:{line}:{column}:{symbol}",
            ".",
        ],
    }
    # The three runs are independent: run them side by side.
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        results[name] = subprocess.CompletedProcess(
            commands[name], process.returncode, stdout, stderr
        )
        assert process.returncode in (0, 1, 2, 4, 6), f"{name} failed: {stderr}"

    cli = _from_cli(results["cli"])
    fired = {rule_id for _, _, _, rule_id in cli}

    assert {folder.name for folder in FIXTURES.glob("AHL*")} <= fired
    assert not [f for f in cli if f[0] == "noqa_cases.py" and f[1] in (4, 5)]
    assert _from_flake8(results["flake8"]) == cli
    assert _from_pylint(results["pylint"]) == cli


# Suppression and settings through the host tools themselves.


def test_flake8_extend_ignore_drops_the_code(tmp_path):
    pytest.importorskip("flake8")
    _project(tmp_path, {"app.py": WEAK_FLASK})

    shown = _run(["flake8", "--isolated", "--select", "AHL", "app.py"], tmp_path)
    hidden = _run(
        [
            "flake8",
            "--isolated",
            "--select",
            "AHL",
            "--extend-ignore",
            "AHL4",
            "app.py",
        ],
        tmp_path,
    )

    assert shown.stdout.startswith("app.py:4:9: AHL401 [high] ")
    assert hidden.stdout == ""
    assert hidden.returncode == 0


def test_flake8_stops_with_the_settings_error(tmp_path):
    pytest.importorskip("flake8")
    _project(tmp_path, {"app.py": WEAK_FLASK}, "colour = true\n")

    result = _run(["flake8", "--isolated", "--select", "AHL", "app.py"], tmp_path)

    assert result.returncode == 1
    assert "configuration error" in result.stdout
    assert "'colour'" in result.stdout


def test_pylint_disable_comment_silences_a_rule_by_name(tmp_path):
    pytest.importorskip("pylint")
    from api_hardening_lint.plugins.pylint import message_id

    text = WEAK_FLASK + "app.run(debug=True)  # pylint: disable=debug-mode-enabled\n"
    _project(tmp_path, {"app.py": text})
    (tmp_path / "pylintrc").write_text("[MAIN]\n")

    result = _run(
        [
            "pylint",
            "--rcfile",
            "pylintrc",
            "--load-plugins",
            "api_hardening_lint.pylint_plugin",
            "--disable",
            "all",
            "--enable",
            _pylint_symbols(),
            "--score",
            "n",
            "--persistent",
            "n",
            "--msg-template",
            "{line}:{column}:{msg_id}:{symbol}",
            "app.py",
        ],
        tmp_path,
    )

    lines = [line for line in result.stdout.splitlines() if not line.startswith("*")]
    assert lines == [f"4:8:{message_id(catalogue()['AHL401'])}:debug-mode-enabled"]


def test_pylint_reports_a_settings_error_on_the_module(tmp_path):
    pytest.importorskip("pylint")
    _project(tmp_path, {"app.py": WEAK_FLASK}, "colour = true\n")
    (tmp_path / "pylintrc").write_text("[MAIN]\n")

    result = _run(
        [
            "pylint",
            "--rcfile",
            "pylintrc",
            "--load-plugins",
            "api_hardening_lint.pylint_plugin",
            "--disable",
            "all",
            "--enable",
            _pylint_symbols(),
            "--score",
            "n",
            "--persistent",
            "n",
            "app.py",
        ],
        tmp_path,
    )

    assert "ahl-configuration-error" in result.stdout
    assert "'colour'" in result.stdout
