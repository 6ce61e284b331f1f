"""The route model against fixture files whose comments name every route.

A line that declares a route ends with ``# route: <framework> <METHODS> <path>``:
methods comma-separated, ``-`` for "not known from this file"; the path as
written, ``-`` when it is not a literal and ``""`` for the empty string. A
comment line ``# deps: <level>:<target> ...`` names, in order, the FastAPI
dependencies of the next route; a route without one has none. Lines without
a marker must declare no route.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from api_hardening_lint.context import Bindings, FileContext, collect_module_bindings
from api_hardening_lint.frameworks.routes import Route, collect_routes
from api_hardening_lint.rule import Level
from conftest import FIXTURES

ROUTE_FIXTURES = FIXTURES / "routes"
FIXTURE_FILES = sorted(ROUTE_FIXTURES.glob("*.py"))
ROUTE_MARKER = re.compile(r"#\s*route:\s*(?P<spec>\S.*)$")
DEPS_MARKER = re.compile(r"^\s*#\s*deps:\s*(?P<deps>\S.*)$")

Expected = tuple[int, str, frozenset, str | None, tuple[str, ...]]


def _context(path: Path) -> FileContext:
    source = path.read_bytes()
    module = cst.parse_module(source)
    bindings = Bindings()
    collect_module_bindings(module, bindings)
    display = path.relative_to(FIXTURES).as_posix()
    return FileContext(path=display, source=source, module=module, bindings=bindings)


def _routes(name: str) -> tuple[Route, ...]:
    return _context(ROUTE_FIXTURES / name).routes


def _by_handler(name: str) -> dict[str, Route]:
    return {route.handler_name: route for route in _routes(name)}


def _parse_spec(line: int, spec: str, deps: tuple[str, ...]) -> Expected:
    framework, methods, *rest = spec.split()
    path_text = rest[0] if rest else "-"
    path = None if path_text == "-" else path_text
    if path == '""':
        path = ""
    listed = frozenset() if methods == "-" else frozenset(methods.split(","))
    return line, framework, listed, path, deps


def expected_routes(path: Path) -> list[Expected]:
    """Return what the ``# route:`` and ``# deps:`` markers of a fixture say."""
    found = []
    deps: tuple[str, ...] = ()
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        deps_match = DEPS_MARKER.match(text)
        if deps_match:
            deps += tuple(deps_match["deps"].split())
            continue

        match = ROUTE_MARKER.search(text)
        if match:
            found.append(_parse_spec(number, match["spec"], deps))
            deps = ()
    return sorted(found, key=repr)


def produced_routes(path: Path) -> list[Expected]:
    """Return the same facts for the routes the model finds in a fixture."""
    context = _context(path)
    positions = MetadataWrapper(context.module, unsafe_skip_copy=True).resolve(
        PositionProvider
    )
    found = []
    for route in context.routes:
        deps = tuple(f"{d.level}:{d.target}" for d in route.dependencies)
        line = positions[route.node].start.line
        found.append((line, route.framework, route.methods, route.path, deps))
    return sorted(found, key=repr)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_routes_match_markers(path):
    expected = expected_routes(path)

    assert expected, "a route fixture has no markers"
    assert produced_routes(path) == expected


def test_every_framework_has_a_fixture():
    frameworks = {item[1] for path in FIXTURE_FILES for item in expected_routes(path)}

    assert frameworks == {"flask", "fastapi", "starlette", "django", "drf"}


def test_flask_route_keeps_handler_owner_and_qualified_decorators():
    users = _by_handler("flask_app.py")["users"]

    assert isinstance(users.handler, cst.FunctionDef)
    assert users.handler.name.value == "users"
    assert users.owner == "app"
    assert users.decorators == ("app.route", "myproject.auth.login_required")
    assert users.confidence == Level.HIGH


def test_flask_class_view_registered_in_the_file_is_reported_once():
    routes = [r for r in _routes("flask_app.py") if r.handler_name == "ItemAPI"]

    assert len(routes) == 1
    assert isinstance(routes[0].node, cst.Call)
    assert isinstance(routes[0].handler, cst.ClassDef)
    assert routes[0].owner == "api"


def test_nested_factory_app_is_resolved():
    inner = _by_handler("flask_app.py")["inner_view"]

    assert inner.owner == "inner"
    assert inner.confidence == Level.HIGH


def test_app_of_unknown_origin_lowers_confidence():
    routes = _routes("flask_factory.py")

    assert routes
    assert {r.confidence for r in routes} == {Level.MEDIUM}


def test_fastapi_dependencies_record_kind_parameter_and_level():
    routes = _by_handler("fastapi_app.py")
    update = routes["update_item"].dependencies
    login = routes["login"].dependencies

    assert [(d.level, d.kind, d.parameter) for d in update] == [
        ("handler", "security", "user"),
        ("router", "security", None),
        ("app", "depends", None),
    ]
    assert all(isinstance(d.node, cst.Call) for d in update)
    assert (login[0].target, login[0].parameter) == ("Settings", "settings")


def test_url_pattern_names_a_view_defined_elsewhere():
    routes = {r.path: r for r in _routes("django_urls.py")}

    assert routes[""].handler is None
    assert routes[""].handler_name == "views.index"
    assert routes[""].owner == "urlpatterns"
    assert routes["profile/"].handler_name == "ProfileView"
    assert routes["reports/"].owner == "extra_patterns"


def test_url_pattern_to_a_local_view_replaces_its_definition():
    routes = [r for r in _routes("django_urls.py") if r.handler_name == "ping"]

    assert len(routes) == 1
    assert routes[0].path == "ping/"
    assert isinstance(routes[0].handler, cst.FunctionDef)
    assert routes[0].decorators == ("django.views.decorators.http.require_POST",)


def test_django_class_view_is_declared_by_its_class():
    view = _by_handler("django_views.py")["ProfileView"]

    assert view.node is view.handler
    assert isinstance(view.node, cst.ClassDef)
    assert view.path is None


def test_function_view_found_by_shape_is_less_certain():
    routes = _by_handler("django_views.py")

    assert routes["submit"].confidence == Level.HIGH
    assert routes["index"].confidence == Level.MEDIUM
    assert routes["load_profile"].confidence == Level.LOW


def test_drf_router_register_links_the_viewset():
    notes = _by_handler("drf_views.py")["NoteViewSet"]

    assert notes.owner == "router"
    assert isinstance(notes.handler, cst.ClassDef)


def test_file_without_framework_imports_has_no_routes():
    source = (
        b"import requests\n\n"
        b"@app.route('/x')\n"
        b"def fetch(request):\n"
        b"    return requests.get('/x')\n"
    )
    module = cst.parse_module(source)
    bindings = Bindings()
    collect_module_bindings(module, bindings)
    context = FileContext("views.py", source, module, bindings)

    assert collect_routes(context) == ()


def test_routes_are_built_once_per_context():
    context = _context(ROUTE_FIXTURES / "flask_app.py")

    assert context.routes is context.routes
