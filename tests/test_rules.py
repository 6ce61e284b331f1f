"""Every rule against its fire and silent fixtures, driven by the markers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from api_hardening_lint.config import Config
from api_hardening_lint.engine import (
    analyze_source,
    collect_facts,
    enabled_rules,
    fact_collectors,
)
from api_hardening_lint.project import ProjectIndex
from api_hardening_lint.registry import catalogue, rule_classes
from api_hardening_lint.rule import Level
from conftest import FIXTURES, expected_markers, reported

RULE_IDS = [cls.id for cls in rule_classes()]


def _rule_class(rule_id: str) -> type:
    return next(cls for cls in rule_classes() if cls.id == rule_id)


FIXTURE_FILES = sorted(
    path
    for rule_id in RULE_IDS
    for path in (FIXTURES / rule_id).rglob("*.py")
    if any(
        part.startswith(("fire", "silent"))
        for part in path.relative_to(FIXTURES / rule_id).parts
    )
)


def _relative(path: Path) -> str:
    return path.relative_to(FIXTURES / path.relative_to(FIXTURES).parts[0]).as_posix()


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_fire_and_silent_fixtures(rule_id):
    folder = FIXTURES / rule_id
    fire = [
        p for p in FIXTURE_FILES if p.is_relative_to(folder) and "fire" in p.as_posix()
    ]
    silent = [
        p
        for p in FIXTURE_FILES
        if p.is_relative_to(folder) and "silent" in p.as_posix()
    ]

    assert fire, f"{rule_id} has no fire fixture"
    assert silent, f"{rule_id} has no silent fixture"
    assert all(expected_markers(p) for p in fire), "a fire fixture has no markers"


@pytest.mark.parametrize(
    "path",
    FIXTURE_FILES,
    ids=[p.relative_to(FIXTURES).as_posix() for p in FIXTURE_FILES],
)
def test_fixture_findings_match_markers(path):
    rule_id = path.relative_to(FIXTURES).parts[0]
    # Report paths relative to the rule's folder, so a fixture under
    # ``myproject/settings.py`` looks like a settings module.
    findings = reported(path, display=_relative(path))

    got = sorted((f.line, f.rule_id) for f in findings if f.rule_id == rule_id)
    others = [f for f in findings if f.rule_id.startswith("AHL0")]

    assert got == expected_markers(path)
    assert others == [], "a fixture must parse and be analyzed"


def test_every_rule_has_a_catalogue_entry_and_every_entry_a_rule():
    rules = set(RULE_IDS)
    entries = {e.id for e in catalogue().values() if e.kind == "rule"}

    assert rules == entries


def test_all_rules_run_together_over_all_fixtures():
    # One traversal for every rule: no rule may crash on another rule's fixtures.
    for path in sorted(FIXTURES.rglob("*.py")):
        if "badinput" in path.parts:
            continue
        findings = reported(path, display=_relative(path))
        assert [f for f in findings if f.rule_id == "AHL005"] == [], path


def test_secret_trigger_skips_data_tables_but_not_named_defaults():
    # A file no rule wants is never parsed: the secret rule's text trigger must
    # let through a name passed with a default, not a table of codes.
    rule = _rule_class("AHL101")

    assert not rule.wants((FIXTURES / "AHL101/silent_data_tables.py").read_bytes())
    assert rule.wants((FIXTURES / "AHL101/fire_fallback_only.py").read_bytes())


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (b'URL = "postgres://app:{password}@db/app"\n', False),
        (b'URL = "postgres://user:password@localhost/app"\n', False),
        (b'URL = "redis://cache:Tr0ub4dor@cache:6379/0"\n', True),
        (b"thighs_count = weights_total\n", False),
        (b'GH = "ghs_' + b"a1B2" * 9 + b'"\n', True),
        (b"sk_live_total = is_live_window\n", False),
        (b'KEY = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow..."\n', True),
        (b'User.objects.create_user("ann", "a@example.org", "pw-1")\n', True),
        (
            b'User.objects.create_user(\n    "ann",\n    "a@example.org",\n    "pw-1",\n)\n',
            True,
        ),
        (b'User.objects.create_user("ann", "a@example.org")\n', False),
        (b"User.objects.create_user(name, email, password)\n", False),
        (b'user.set_password("pw-1")\n', True),
        (b"user.set_password(form.cleaned_data[key])\n", False),
    ],
)
def test_secret_trigger_reads_urls_and_token_formats_as_the_rule_does(text, wanted):
    rule = _rule_class("AHL101")

    assert rule.wants(text) is wanted


_VIEW = b"""from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/run")
def run():
    try:
        return jsonify(done=work())
    except ValueError as exc:
        %s
"""


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        (b"return jsonify(error=str(exc)), 400", True),
        (b"return jsonify(error=repr( exc )), 400", True),
        (b"return jsonify(error=exc.args), 400", True),
        (b'return jsonify(error=f"failed: {exc}"), 400', True),
        (b'return jsonify(error=f"failed: {exc!r}"), 400', True),
        (b'return jsonify(error="failed: %s" % exc), 400', True),
        (b'return jsonify(error="%s: %s" % (name, exc)), 400', True),
        (b'return jsonify(error="failed: {}".format(exc)), 400', True),
        (b'return jsonify(error=traceback.format_exc()), 500', True),
        (b'log.warning("failed: %s", exc)\n        return jsonify(error="bad"), 400', False),
        (b'return jsonify(error="bad input"), 400', False),
    ],
)
def test_error_detail_trigger_needs_the_exception_turned_into_text(line, wanted):
    rule = _rule_class("AHL402")

    assert rule.wants(_VIEW % line) is wanted


def _flask_routes(guarded: int, open_: int) -> bytes:
    lines = [
        "from flask import Flask, request",
        "from flask_login import login_required",
        "",
        'app = Flask(__name__)',
    ]
    for number in range(guarded + open_):
        lines += [
            "",
            "",
            f'@app.route("/items{number}", methods=["POST"])',
            *(["@login_required"] if number < guarded else []),
            f"def save_item{number}():",
            "    return store(request.form)",
        ]
    return "\n".join(lines).encode() + b"\n"


_GUARD_MODULE = b"""from functools import wraps

from flask import abort
from flask_login import current_user


def staff_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
"""


def _project_with_guard(config: Config) -> ProjectIndex:
    rules = enabled_rules(config)
    facts = collect_facts("shop/auth.py", _GUARD_MODULE, config, fact_collectors(rules))
    return ProjectIndex.from_files({"shop/auth.py": facts})


@pytest.mark.parametrize(
    ("guarded", "open_", "note"),
    [
        (1, 4, "so do 3 of the 4 other routes checked in this file"),
        (0, 3, "so do the 2 other routes checked in this file"),
        (3, 3, None),
        (0, 2, None),
    ],
)
def test_routes_unguarded_in_a_cluster_are_reported_at_low_confidence(
    guarded, open_, note
):
    # Most of a file's routes without a known guard, in a project that guards
    # something, usually means a guard the rule does not read: each is still
    # reported, with the count, at low confidence.
    config = Config(root=FIXTURES)
    source = _flask_routes(guarded, open_)
    project = _project_with_guard(config)
    report = analyze_source("shop/views.py", source, config, project=project)
    findings = [f for f in report.findings if f.rule_id == "AHL201"]

    assert len(findings) == open_
    for finding in findings:
        if note is None:
            assert finding.confidence == Level.HIGH
            assert "other routes" not in finding.message
        else:
            assert finding.confidence == Level.LOW
            assert note in finding.message


def test_a_cluster_in_a_project_that_guards_nothing_keeps_its_confidence():
    # With no protection anywhere the rule can see, the routes are most likely
    # open indeed, as in an app that ships without authentication.
    source = _flask_routes(0, 4)
    findings = [
        f
        for f in analyze_source("shop/views.py", source, Config(root=FIXTURES)).findings
        if f.rule_id == "AHL201"
    ]

    assert [f.confidence for f in findings] == [Level.HIGH] * 4
    assert not any("other routes" in f.message for f in findings)


def test_a_write_behind_a_form_bound_to_the_body_is_reported_at_low_confidence():
    # On GET the body is empty: the form is valid only if no field is required.
    path = FIXTURES / "AHL601" / "fire_django_form_look_alikes" / "views.py"
    findings = {
        f.line: f for f in reported(path, display=_relative(path)) if f.rule_id == "AHL601"
    }

    doubted = findings[13]
    assert doubted.confidence == Level.LOW
    assert "only if RecipeForm() accepts the empty body" in doubted.message
    # Bound to ``request.GET`` or to a default: full on GET, so no doubt.
    for line in (25, 36):
        assert findings[line].confidence > Level.LOW
        assert "empty body" not in findings[line].message


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ('"/orders"', "POST /orders has no authentication"),
        ('""', 'POST "" (create_order) has no authentication'),
    ],
)
def test_an_auth_finding_names_the_route_even_at_a_routers_root(path, named):
    source = f"""\
from fastapi import APIRouter

router = APIRouter()


@router.post({path})
def create_order(order: dict):
    return save(order)
"""
    findings = [
        f
        for f in analyze_source(
            "shop/orders.py", source.encode(), Config(root=FIXTURES)
        ).findings
        if f.rule_id == "AHL201"
    ]

    assert [f.message.split(":")[0] for f in findings] == [named]


@pytest.mark.parametrize(
    ("pattern", "silenced"),
    [
        ("/status/*", {"order_status"}),
        ("/api/orders/status/*", {"order_status"}),
        ("/api/orders/*", {"order_status", "cancel_order"}),
        ("cancel_*", {"cancel_order"}),
        ("/orders/*", set()),
    ],
)
def test_public_routes_match_the_path_as_written_with_its_prefix_or_the_handler(
    pattern, silenced
):
    # Globs meet the path as the decorator writes it, the same path behind the
    # prefix its router declares in the file, and the handler's name.
    source = b"""\
from fastapi import APIRouter

router = APIRouter(prefix="/api/orders")


@router.post("/status/{order_id}")
def order_status(order_id: int):
    return load(order_id)


@router.post("/{order_id}/cancel")
def cancel_order(order_id: int):
    return cancel(order_id)
"""
    config = Config(root=FIXTURES, public_routes=(pattern,))
    handlers = {6: "order_status", 11: "cancel_order"}
    reported_handlers = {
        handlers[f.line]
        for f in analyze_source("shop/orders.py", source, config).findings
        if f.rule_id == "AHL201"
    }

    assert reported_handlers == set(handlers.values()) - silenced


def test_every_fact_collector_reads_every_fixture_without_failing(caplog):
    # A collector that raises is skipped and its facts go missing, which changes
    # findings elsewhere without a word under --quiet: it must not raise on any
    # shape the fixtures hold.
    config = Config(root=FIXTURES)
    collectors = fact_collectors(enabled_rules(config))
    with caplog.at_level(logging.WARNING):
        for path in sorted(FIXTURES.rglob("*.py")):
            display = path.relative_to(FIXTURES).as_posix()
            collect_facts(display, path.read_bytes(), config, collectors)

    failures = [
        r.getMessage() for r in caplog.records if "could not collect" in r.getMessage()
    ]
    assert failures == []
