"""The engine: traversal, name resolution, suppression, configuration and cache."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest

from api_hardening_lint import engine, runner
from api_hardening_lint.config import Config, ConfigError, load_config
from api_hardening_lint.context import Bindings, collect_module_bindings
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.noqa import is_suppressed, noqa_codes
from api_hardening_lint.positions import node_ranges
from api_hardening_lint.project import FactCollector, module_name
from api_hardening_lint.rule import FileReport, Level, Rule
from api_hardening_lint.walker import walk
from conftest import FIXTURES

WEAK_FLASK = b"from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Name, cst.Call, cst.SimpleString, cst.Integer)):
            self.seen.append((type(node).__name__, cst.Module([]).code_for_node(node)))
        return True


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("AHL*/**/*.py")), ids=lambda p: p.name
)
def test_walker_reaches_every_node_libcst_visits_in_the_same_order(path):
    module = cst.parse_module(path.read_bytes())
    expected = _Collector()
    module.visit(expected)
    seen: list[tuple[str, str]] = []

    def record(node: cst.CSTNode) -> None:
        seen.append((type(node).__name__, cst.Module([]).code_for_node(node)))

    table = {t: [record] for t in (cst.Name, cst.Call, cst.SimpleString, cst.Integer)}
    walk(module, table, {}, [], lambda handler, exc: None)

    assert seen == expected.seen


def test_walker_keeps_ancestors_and_calls_leave_after_children():
    module = cst.parse_module("def f():\n    if x:\n        g(1)\n")
    events: list[str] = []
    ancestors: list[cst.CSTNode] = []

    def on_call(node: cst.Call) -> None:
        events.append("call in " + "/".join(type(a).__name__ for a in ancestors))

    def on_leave_def(node: cst.FunctionDef) -> None:
        events.append("leave def")

    walk(
        module,
        {cst.Call: [on_call]},
        {cst.FunctionDef: [on_leave_def]},
        ancestors,
        lambda handler, exc: None,
    )

    assert events == [
        "call in Module/FunctionDef/IndentedBlock/If/IndentedBlock"
        "/SimpleStatementLine/Expr",
        "leave def",
    ]
    assert ancestors == []


def _bindings(source: str) -> Bindings:
    bindings = Bindings()
    collect_module_bindings(cst.parse_module(source), bindings)
    return bindings


@pytest.mark.parametrize(
    ("source", "expression", "qualname"),
    [
        ("from flask import Flask as F", "F", "flask.Flask"),
        ("import fastapi", "fastapi.FastAPI", "fastapi.FastAPI"),
        (
            "from django.views.decorators.http import require_POST as rp",
            "rp",
            "django.views.decorators.http.require_POST",
        ),
        ("import flask_cors as fc", "fc.CORS", "flask_cors.CORS"),
        ("import os.path", "os.path.join", "os.path.join"),
        (
            "import starlette.applications as sa",
            "sa.Starlette",
            "starlette.applications.Starlette",
        ),
        ("from . import views", "views.index", ".views.index"),
        ("from .settings import DEBUG", "DEBUG", ".settings.DEBUG"),
        (
            "try:\n    import simplejson as json\nexcept ImportError:\n    import json",
            "json.dumps",
            "json.dumps",
        ),
        ("from flask import Flask", "Blueprint", None),
    ],
)
def test_import_pass_resolves_aliases(source, expression, qualname):
    node = cst.parse_expression(expression)

    assert _bindings(source).qualname(node) == qualname


def test_instances_remember_the_class_they_came_from():
    bindings = _bindings("import flask\napp = flask.Flask(__name__)\nbp = make()\n")

    assert bindings.instance_of(cst.Name("app")) == "flask.Flask"
    assert bindings.instance_of(cst.Name("bp")) is None


def test_imports_inside_functions_resolve_for_code_after_them():
    source = (
        b"def create_app():\n"
        b"    from flask import Flask as Make\n"
        b"    app = Make(__name__)\n"
        b"    app.run(debug=True)\n"
    )

    findings = analyze_source("factory.py", source, Config()).findings

    assert [(f.line, f.rule_id, f.confidence.label) for f in findings] == [
        (4, "AHL401", "high")
    ]


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("x = 1", None),
        ("x = 1  # noqa", frozenset()),
        ("x = 1  # NOQA:AHL401", frozenset({"AHL401"})),
        ("x = 1  # noqa: AHL401, AHL5 -- demo key", frozenset({"AHL401", "AHL5"})),
        ("x = '#'  # noqa: E501", frozenset({"E501"})),
    ],
)
def test_noqa_comment_codes(line, codes):
    assert noqa_codes(line) == codes


def test_noqa_silences_only_the_named_codes_or_prefixes():
    assert is_suppressed("AHL401", "app.debug = True  # noqa")
    assert is_suppressed("AHL401", "app.debug = True  # noqa: AHL4")
    assert not is_suppressed("AHL401", "app.debug = True  # noqa: AHL101")
    assert not is_suppressed("AHL401", "app.debug = True")


def test_skip_file_comment_skips_the_whole_file():
    source = b"# api-hardening-lint: skip-file\n" + WEAK_FLASK

    assert analyze_source("app.py", source, Config()).findings == []


@pytest.mark.parametrize(
    "path",
    sorted(FIXTURES.glob("AHL*/*.py"))[:40],
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_parsing_without_node_checks_builds_the_same_tree(path):
    source = path.read_bytes()

    fast = engine._parse(path.name, source, FileReport(path=path.name))

    assert fast is not None
    assert fast.deep_equals(cst.parse_module(source))
    assert fast.code == source.decode("utf-8")


def test_nodes_made_after_parsing_are_still_checked():
    engine._parse("x.py", b"x = 1\n", FileReport(path="x.py"))

    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_file_without_trigger_text_is_not_parsed():
    report = analyze_source("util.py", b"def add(a, b):\n    return a + b\n", Config())

    assert report.parsed is False
    assert report.lines == 2


def test_same_input_gives_the_same_findings_in_a_stable_order():
    first = analyze_source("app.py", WEAK_FLASK * 3, Config()).findings
    second = analyze_source("app.py", WEAK_FLASK * 3, Config()).findings

    assert first == second
    assert [f.line for f in first] == sorted(f.line for f in first)


@pytest.mark.parametrize(
    ("select", "ignore", "enabled"),
    [
        (("AHL",), (), True),
        (("AHL4",), (), True),
        (("AHL5",), (), False),
        (("AHL",), ("AHL4",), False),
        (("AHL401",), ("AHL4",), True),
        (("AHL4",), ("AHL401",), False),
    ],
)
def test_most_specific_code_decides_whether_a_rule_runs(select, ignore, enabled):
    assert Config(select=select, ignore=ignore).is_enabled("AHL401") is enabled


def test_min_confidence_drops_less_certain_findings():
    source = WEAK_FLASK + b"if __name__ == '__main__':\n    app.run(debug=True)\n"

    everything = analyze_source("app.py", source, Config()).findings
    confident = analyze_source("app.py", source, Config(min_confidence=Level.MEDIUM))

    assert [(f.line, f.confidence) for f in everything] == [
        (3, Level.HIGH),
        (5, Level.LOW),
    ]
    assert [f.line for f in confident.findings] == [3]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("selct", '["AHL"]', "unknown key 'selct'"),
        ("select", '"AHL401"', "'select' must be a list of strings"),
        ("ignore", '["E501"]', "'ignore' has 'E501', which is not a rule code"),
        ("min-confidence", '"sure"', "'min-confidence': 'sure' is not a level"),
        ("max-file-size-kb", "0", "'max-file-size-kb' must be a positive whole number"),
        ("per-file-ignores", '["x"]', "'per-file-ignores' must be a table"),
    ],
)
def test_bad_configuration_names_the_key_and_the_file(tmp_path, key, value, message):
    path = _write(
        tmp_path / "pyproject.toml", f"[tool.api-hardening-lint]\n{key} = {value}\n"
    )

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert message in str(error.value)
    assert "pyproject.toml" in str(error.value)


def test_per_file_ignores_and_excludes_use_paths_below_the_config(tmp_path):
    _write(
        tmp_path / "pyproject.toml",
        "[tool.api-hardening-lint]\n"
        'extend-exclude = ["legacy"]\n'
        'per-file-ignores = { "scripts/*.py" = ["AHL401"] }\n',
    )
    for name in ("app.py", "scripts/serve.py", "legacy/old.py", "venv2/lib/x.py"):
        _write(tmp_path / name, WEAK_FLASK.decode())
    _write(tmp_path / "venv2" / "pyvenv.cfg", "home = /usr\n")
    config = load_config(tmp_path / "pyproject.toml")

    files = list(runner.discover([str(tmp_path)], config))
    result = runner.run(files, config, jobs=1, use_cache=False)

    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p, _ in files) == [
        "app.py",
        "scripts/serve.py",
    ]
    assert [Path(f.path).name for f in result.findings] == ["app.py"]


def test_second_run_is_served_from_the_cache_until_a_file_changes(tmp_path):
    app = _write(tmp_path / "app.py", WEAK_FLASK.decode())
    _write(tmp_path / "other.py", WEAK_FLASK.decode())
    config = Config(root=tmp_path)

    def run_once() -> runner.RunResult:
        return runner.run(
            list(runner.discover([str(tmp_path)], config)), config, jobs=1
        )

    cold = run_once()
    warm = run_once()
    app.write_text(WEAK_FLASK.decode() + "app.debug = True\n", encoding="utf-8")
    changed = run_once()

    assert (cold.cached, warm.cached, changed.cached) == (0, 2, 1)
    assert warm.findings == cold.findings
    assert len(changed.findings) == len(cold.findings) + 1
    assert (tmp_path / runner.CACHE_DIR / "CACHEDIR.TAG").exists()


def test_cache_is_separate_for_each_configuration(tmp_path):
    _write(tmp_path / "app.py", WEAK_FLASK.decode())
    files = list(runner.discover([str(tmp_path)], Config(root=tmp_path)))

    runner.run(files, Config(root=tmp_path), jobs=1)
    other = runner.run(files, Config(root=tmp_path, ignore=("AHL401",)), jobs=1)

    assert other.cached == 0
    assert other.findings == []


def test_pool_and_single_process_give_the_same_findings(tmp_path):
    for i in range(20):
        _write(tmp_path / f"app{i:02}.py", WEAK_FLASK.decode())
    config = Config(root=tmp_path)
    files = list(runner.discover([str(tmp_path)], config))

    single = runner.run(files, config, jobs=1, use_cache=False)
    pooled = runner.run(files, config, jobs=2, use_cache=False)

    assert pooled.findings == single.findings
    assert len(single.findings) == 20


@pytest.mark.parametrize(
    "path",
    [
        *sorted(FIXTURES.glob("AHL*/**/*.py")),
        *sorted((FIXTURES / "badinput").glob("deep_a*.py")),
    ],
    ids=lambda p: p.name,
)
def test_positions_match_libcst_position_provider(path):
    from libcst.metadata import MetadataWrapper, PositionProvider

    module = cst.parse_module(path.read_bytes())
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # libcst's provider recurses once per level
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        expected = wrapper.resolve(PositionProvider)
    finally:
        sys.setrecursionlimit(limit)
    nodes = [n for n in expected if not isinstance(n, cst.Module)][::7]

    ranges = node_ranges(module, nodes)

    for node in nodes:
        want = expected[node]
        got = ranges[id(node)]
        assert got == (
            (want.start.line, want.start.column),
            (want.end.line, want.end.column),
        )


class _Marks(FactCollector):
    name = "marks"
    triggers = (b"MARK_",)

    @classmethod
    def collect(cls, context):
        names = [
            small.targets[0].target.value
            for statement in context.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            if isinstance(small, cst.Assign)
        ]
        return sorted(n for n in names if n.startswith("MARK_")) or None


class _ReadsMarks(Rule):
    id = "AHL998"
    name = "reads-marks"
    summary = "uses marks"
    triggers = (b"USE_MARKS",)
    facts = (_Marks,)

    @classmethod
    def answer(cls, project, question):
        return [m for _, data in project.of("marks") for m in data]

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "USE_MARKS":
            marks = self.ask("marks")
            if marks:
                self.report(node, "marks: " + ", ".join(marks))


def test_rules_read_facts_collected_from_other_files(tmp_path, monkeypatch):
    from api_hardening_lint import engine

    monkeypatch.setattr(engine, "enabled_rules", lambda config: [_ReadsMarks])
    _write(tmp_path / "pkg" / "marks.py", "MARK_A = 1\nMARK_B = 2\n")
    _write(tmp_path / "pkg" / "use.py", "print(USE_MARKS)\n")
    config = Config(root=tmp_path)

    def run_once() -> runner.RunResult:
        files = list(runner.discover([str(tmp_path)], config))
        return runner.run(files, config, jobs=1)

    first = run_once()
    _write(tmp_path / "pkg" / "marks.py", "MARK_C = 3\n")
    second = run_once()
    third = run_once()

    assert [(Path(f.path).name, f.message) for f in first.findings] == [
        ("use.py", "marks: MARK_A, MARK_B")
    ]
    assert [f.message for f in second.findings] == ["marks: MARK_C"]
    assert second.cached == 0
    assert third.cached == 2
    assert third.findings == second.findings
    assert (first.reanalyzed, second.reanalyzed, third.reanalyzed) == (1, 1, 0)


def test_a_file_is_analyzed_again_only_when_an_answer_changes(tmp_path, monkeypatch):
    from api_hardening_lint import engine

    monkeypatch.setattr(engine, "enabled_rules", lambda config: [_ReadsMarks])
    _write(tmp_path / "pkg" / "marks.py", "OTHER = 1\n")
    _write(tmp_path / "pkg" / "use.py", "print(USE_MARKS)\n")
    config = Config(root=tmp_path)
    files = list(runner.discover([str(tmp_path)], config))

    # The project has no marks, as the first look assumed: nothing to redo.
    unchanged = runner.run(files, config, jobs=1, use_cache=False)
    _write(tmp_path / "pkg" / "marks.py", "MARK_Z = 1\n")
    changed = runner.run(files, config, jobs=1, use_cache=False)

    assert (unchanged.reanalyzed, unchanged.findings) == (0, [])
    assert changed.reanalyzed == 1
    assert [f.message for f in changed.findings] == ["marks: MARK_Z"]


class _CountsPrints(Rule):
    id = "AHL997"
    name = "counts-prints"
    summary = "uses print"
    triggers = (b"print",)
    runs: ClassVar[list[str]] = []

    def __init__(self, context) -> None:
        super().__init__(context)
        self.runs.append(context.path)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, "print call")


@pytest.mark.parametrize(
    ("comment", "runs"),
    [("", 1), ("  # noqa: AHL999", 2)],
    ids=["only the asking rule again", "every rule again beside a noqa comment"],
)
def test_a_second_pass_runs_again_only_the_rules_that_asked(
    tmp_path, monkeypatch, comment, runs
):
    from api_hardening_lint import engine

    rules = [_ReadsMarks, _CountsPrints]
    monkeypatch.setattr(engine, "enabled_rules", lambda config: rules)
    monkeypatch.setattr(_CountsPrints, "runs", [])
    _write(tmp_path / "pkg" / "marks.py", "MARK_Z = 1\n")
    _write(tmp_path / "pkg" / "use.py", f"print(USE_MARKS){comment}\n")
    config = Config(root=tmp_path)
    files = list(runner.discover([str(tmp_path)], config))

    result = runner.run(files, config, jobs=1, use_cache=False)

    assert result.reanalyzed == 1
    assert [(f.rule_id, f.message) for f in result.findings] == [
        ("AHL997", "print call"),
        ("AHL998", "marks: MARK_Z"),
    ]
    assert sum(path.endswith("use.py") for path in _CountsPrints.runs) == runs


def test_module_names_come_from_paths():
    assert module_name("src/shop/api/users.py") == "shop.api.users"
    assert module_name("shop/api/__init__.py") == "shop.api"
    assert module_name("./settings.py") == "settings"


def test_project_index_for_one_file_front_ends_matches_a_whole_run(
    tmp_path, monkeypatch
):
    from api_hardening_lint import engine

    monkeypatch.setattr(engine, "enabled_rules", lambda config: [_ReadsMarks])
    _write(tmp_path / "pkg" / "marks.py", "MARK_A = 1\n")
    use = _write(tmp_path / "pkg" / "use.py", "print(USE_MARKS)\n")
    config = Config(root=tmp_path)

    index = runner.project_index([str(tmp_path)], config)
    alone = analyze_source(str(use), use.read_bytes(), config, project=index)
    whole = runner.run(list(runner.discover([str(tmp_path)], config)), config, jobs=1)

    assert [f.message for f in alone.findings] == ["marks: MARK_A"]
    assert [f.message for f in whole.findings] == ["marks: MARK_A"]
