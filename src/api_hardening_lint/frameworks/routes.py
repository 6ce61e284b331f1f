"""The routes one file declares, for Flask, FastAPI/Starlette and Django/DRF."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from api_hardening_lint.nodes import (
    compound_blocks,
    dotted_name,
    keyword,
    string_value,
    suite_statements,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import Level

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

logger = logging.getLogger(__name__)

HandlerNode = cst.FunctionDef | cst.ClassDef

# Where a FastAPI dependency is declared, from the handler outwards.
HANDLER = "handler"
ROUTE = "route"
ROUTER = "router"
INCLUDE = "include"
APP = "app"

WEBSOCKET = "WEBSOCKET"

_FACTS = knowledge("frameworks")
VERBS = frozenset(_FACTS["verbs"])
ANY_METHOD = frozenset(_FACTS["any_method"])

_FLASK = _FACTS["flask"]
_FASTAPI = _FACTS["fastapi"]
_STARLETTE = _FACTS["starlette"]
_DJANGO = _FACTS["django"]
_DRF = _FACTS["drf"]

FLASK_APPS = frozenset(_FLASK["apps"])
FLASK_VERB_DECORATORS = frozenset(_FLASK["verb_decorators"])
FLASK_RESOURCE_OWNERS = frozenset(_FLASK["resource_owners"])
FLASK_DECORATOR_ROUTES: dict[str, list[str]] = _FLASK["decorator_routes"]
FASTAPI_APPS = frozenset(_FASTAPI["apps"])
FASTAPI_ROUTERS = frozenset(_FASTAPI["routers"])
FASTAPI_VERB_DECORATORS = frozenset(_FASTAPI["verb_decorators"])
FASTAPI_METHOD_DECORATORS = frozenset(_FASTAPI["method_decorators"])
FASTAPI_WEBSOCKET_DECORATORS = frozenset(_FASTAPI["websocket_decorators"])
FASTAPI_REGISTER = frozenset(_FASTAPI["register"])
FASTAPI_WEBSOCKET_REGISTER = frozenset(_FASTAPI["websocket_register"])
DEPENDENCY_MARKERS = frozenset(_FASTAPI["dependencies"])
DEPENDENCY_NAMES = frozenset(_FASTAPI["dependency_names"])
ANNOTATED = frozenset(_FASTAPI["annotated"])
STARLETTE_APPS = frozenset(_STARLETTE["apps"])
STARLETTE_ROUTES = frozenset(_STARLETTE["routes"])
STARLETTE_WEBSOCKET_ROUTES = frozenset(_STARLETTE["websocket_routes"])
STARLETTE_MOUNTS = frozenset(_STARLETTE["mounts"])
DJANGO_URL_FUNCTIONS = frozenset(_DJANGO["url_functions"])
DJANGO_INCLUDE = frozenset(_DJANGO["include"])
DJANGO_PATTERN_WRAPPERS = frozenset(_DJANGO["pattern_wrappers"])
DJANGO_VIEWS_MODULE = re.compile(_DJANGO["views_module"])
DRF_ACTIONS: dict[str, str] = _DRF["actions"]
DRF_ACTION_DECORATORS = frozenset(_DRF["action_decorators"])
DRF_ROUTERS = frozenset(_DRF["routers"])
VIEW_SUFFIXES = tuple(_FACTS["heuristics"]["view_suffixes"])
APP_SUFFIXES = tuple(_FACTS["heuristics"]["app_suffixes"])
RESPONSE_FUNCTIONS = frozenset(_DJANGO["response_functions"])
RESPONSE_SUFFIXES = tuple(_DJANGO["response_suffixes"])

# Decorators that fix a function view's methods: qualified name to
# (framework, methods, takes the list as its first argument).
_METHOD_DECORATORS: dict[str, tuple[str, frozenset[str], bool]] = {
    **{
        q: ("django", frozenset(m), False)
        for q, m in _DJANGO["method_decorators"].items()
    },
    **{
        q: ("django", frozenset(m), True)
        for q, m in _DJANGO["method_list_decorators"].items()
    },
    **{
        q: ("drf", frozenset(m), True)
        for q, m in _DRF["method_list_decorators"].items()
    },
}
# Framework, the modules its classes come from, and its view classes; DRF
# comes before Django so a DRF class is not mistaken for a plain Django view.
_VIEW_CLASSES: tuple[tuple[str, tuple[str, ...], dict[str, list[str]]], ...] = (
    ("drf", tuple(_DRF["modules"]), _DRF["view_classes"]),
    ("django", tuple(_DJANGO["modules"]), _DJANGO["view_classes"]),
    ("flask", tuple(_FLASK["modules"]), _FLASK["view_classes"]),
    ("starlette", tuple(_STARLETTE["modules"]), _STARLETTE["view_classes"]),
)
_APP_CLASSES = (
    FLASK_APPS | FLASK_RESOURCE_OWNERS | FASTAPI_APPS | FASTAPI_ROUTERS | STARLETTE_APPS
)
_LITERALS = (
    cst.Dict,
    cst.List,
    cst.Set,
    cst.Tuple,
    cst.DictComp,
    cst.ListComp,
    cst.SetComp,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
)
_ALL_MODULES = tuple(m for _, modules, _ in _VIEW_CLASSES for m in modules) + tuple(
    _FASTAPI["modules"]
)


@dataclass(frozen=True)
class Dependency:
    """One FastAPI ``Depends(...)`` or ``Security(...)`` that guards a route.

    Attributes:
        target: Qualified name, or dotted text, of what the marker wraps; for
            a bare ``Depends()`` the parameter's annotation. None if unknown.
        level: Where it is declared: ``handler`` (a parameter), ``route``
            (the decorator's ``dependencies=``), ``router`` (``APIRouter``),
            ``include`` (``include_router``) or ``app`` (``FastAPI``).
        node: The ``Depends``/``Security`` call.
        kind: ``depends`` or ``security``.
        parameter: The handler parameter it fills, for the handler level.
    """

    target: str | None
    level: str
    node: cst.Call = field(compare=False, repr=False)
    kind: str = "depends"
    parameter: str | None = None


@dataclass(frozen=True)
class Route:
    """One route: an HTTP entry point that a file declares.

    Attributes:
        framework: ``flask``, ``fastapi``, ``starlette``, ``django`` or ``drf``.
        methods: Upper-case HTTP methods as declared (Flask's implicit HEAD
            and OPTIONS are not added); ``WEBSOCKET`` for websocket routes;
            empty when this file does not say, such as a URL pattern whose
            view lives in another module.
        path: The URL path or pattern as written, if it is a literal; router
            and mount prefixes are not prepended.
        handler: The view function or class, when it is defined in this file.
        handler_name: The view's name, or the dotted text that refers to it.
        node: What declares the route: the decorator, the registering call,
            the URL pattern call, or the view's def or class for Django views
            that no pattern in this file names.
        decorators: Qualified names (or dotted text) of the handler's
            decorators, outermost first.
        dependencies: FastAPI dependencies at every level, handler first.
        owner: The app, router, blueprint or pattern list variable, as text.
        confidence: HIGH when the framework object was resolved, lower when
            the route was recognised by shape and the file's imports.
    """

    framework: str
    methods: frozenset[str]
    path: str | None
    handler: HandlerNode | None = field(compare=False, repr=False)
    handler_name: str | None
    node: cst.CSTNode = field(compare=False, repr=False)
    decorators: tuple[str, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    owner: str | None = None
    confidence: Level = Level.HIGH


def collect_routes(context: FileContext) -> tuple[Route, ...]:
    """Return the routes the file declares, in source order of their declaration.

    Prefer ``context.routes``, which caches the result for the file.
    """
    # DRF routers are often project subclasses, in urls modules that import
    # no framework module at all.
    if not context.bindings.imports_any(*_ALL_MODULES) and b".register(" not in (
        context.source
    ):
        return ()

    collector = _Collector(context)
    collector.run()
    return tuple(collector.routes)


@dataclass
class _Owner:
    kind: str
    dependencies: list[Dependency]


@dataclass
class _Include:
    router: str
    parent: str
    dependencies: list[Dependency]


@dataclass
class _ClassView:
    framework: str
    methods: frozenset[str]
    confidence: Level
    # Recognised only by its base class's name, so its methods may be unknown.
    guessed: bool


@dataclass
class _Handler:
    node: HandlerNode | None
    name: str | None
    methods: frozenset[str] | None
    decorators: tuple[str, ...]


@dataclass
class _Statement:
    node: cst.CSTNode
    module_level: bool
    class_name: str | None


# The model reads statements only (module, class and function bodies and the
# blocks of compound statements), never every expression, so building it costs
# a small fraction of the engine's traversal; it runs only when a rule asks.
class _Collector:
    """Find the routes of one file in two passes over its statements."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.bindings = context.bindings
        self.routes: list[Route] = []
        self.functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.owners: dict[str, _Owner] = {}
        self.includes: list[_Include] = []
        self.statements: list[_Statement] = []
        self.registered: set[int] = set()
        self.class_views: dict[int, _ClassView | None] = {}
        # Parameters annotated with an app class, as in ``def init(bp: Blueprint)``.
        self.annotated: dict[str, str] = {}
        # Names bound to a literal such as ``cache = {}``: never an app.
        self.literals: set[str] = set()
        # Classes of module-level instances and of apps made in functions.
        # Kept apart from the engine's bindings, where a later ``stats =
        # Stats()`` inside a view would replace the ``stats`` blueprint.
        self.instances: dict[str, str | None] = {}
        self.imports_flask = self.bindings.imports_any(*_FLASK["modules"])
        self.imports_fastapi = self.bindings.imports_any(*_FASTAPI["modules"])
        self.imports_starlette = self.bindings.imports_any(*_STARLETTE["modules"])
        self.imports_drf = self.bindings.imports_any(*_DRF["modules"])
        self.imports_django = self.bindings.imports_any(*_DJANGO["modules"])
        self.is_views_module = bool(DJANGO_VIEWS_MODULE.search(context.path))

    def run(self) -> None:
        self._gather(self.context.module)
        for statement in self.statements:
            self._declare(statement)

        self._finish()

    # First pass: statements, definitions and nested bindings.

    def _gather(self, module: cst.Module) -> None:
        pending = [(stmt, True, None, False) for stmt in reversed(module.body)]
        while pending:
            node, module_level, class_name, in_function = pending.pop()
            if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                for small in node.body:
                    self._gather_small(small, module_level, class_name, in_function)
                continue

            if isinstance(node, cst.FunctionDef):
                self.functions[node.name.value] = node
                self._gather_parameters(node)
                self.statements.append(_Statement(node, module_level, class_name))
                inner = [(s, False, None, True) for s in suite_statements(node.body)]
                pending.extend(reversed(inner))
                continue

            if isinstance(node, cst.ClassDef):
                self.classes[node.name.value] = node
                self.statements.append(_Statement(node, module_level, class_name))
                name = node.name.value
                inner = [
                    (s, False, name, in_function) for s in suite_statements(node.body)
                ]
                pending.extend(reversed(inner))
                continue

            children = [
                (s, module_level, class_name, in_function)
                for s in compound_blocks(node)
            ]
            pending.extend(reversed(children))

    def _gather_parameters(self, func: cst.FunctionDef) -> None:
        for param in (*func.params.posonly_params, *func.params.params):
            if param.annotation is None:
                continue

            cls = self.bindings.qualname(param.annotation.annotation)
            if cls in _APP_CLASSES:
                self.annotated[param.name.value] = cls

    def _gather_instances(
        self,
        targets: list[cst.BaseExpression],
        value: cst.BaseExpression,
        in_function: bool,
    ) -> None:
        cls = None
        if isinstance(value, cst.Call):
            cls = self.bindings.qualname(value.func)
        for target in targets:
            if not isinstance(target, cst.Name):
                continue

            name = target.value
            if cls in _APP_CLASSES or not in_function:
                self.instances[name] = cls
            if isinstance(value, _LITERALS):
                self.literals.add(name)
            elif not in_function:
                self.literals.discard(name)

    def _instance(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Name):
            return None

        cls = self.instances.get(node.value)
        return cls if cls is not None else self.annotated.get(node.value)

    def _gather_small(
        self,
        small: cst.BaseSmallStatement,
        module_level: bool,
        class_name: str | None,
        in_function: bool,
    ) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            # Module-level imports are already bound; nested ones are not yet.
            if in_function:
                self.bindings.add_import(small)
            return

        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
            self._gather_instances(targets, small.value, in_function)
            self.statements.append(_Statement(small, module_level, class_name))
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self._gather_instances([small.target], small.value, in_function)
            self.statements.append(_Statement(small, module_level, class_name))
        elif isinstance(small, cst.AugAssign):
            self.statements.append(_Statement(small, module_level, class_name))
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            self.statements.append(_Statement(small.value, module_level, class_name))

    # Second pass: declarations.

    def _declare(self, statement: _Statement) -> None:
        node = statement.node
        if isinstance(node, cst.FunctionDef):
            self._declare_function(node, statement)
        elif isinstance(node, cst.ClassDef):
            self._declare_class(node)
        elif isinstance(node, cst.Assign):
            names = [t.target for t in node.targets]
            self._declare_assignment(names, node.value)
        elif isinstance(node, cst.AnnAssign):
            self._declare_assignment([node.target], node.value)
        elif isinstance(node, cst.AugAssign):
            if isinstance(node.operator, cst.AddAssign):
                self._scan_patterns(node.value, dotted_name(node.target))
        elif isinstance(node, cst.Call):
            self._declare_call(node)

    def _declare_assignment(
        self, targets: list[cst.BaseExpression], value: cst.BaseExpression
    ) -> None:
        owner = next((dotted_name(t) for t in targets if dotted_name(t)), None)
        if isinstance(value, cst.Call):
            cls = self.bindings.qualname(value.func)
            if cls in FASTAPI_APPS or cls in FASTAPI_ROUTERS:
                level = APP if cls in FASTAPI_APPS else ROUTER
                dependencies = self._dependency_list(value, level)
                for target in targets:
                    name = dotted_name(target)
                    if name:
                        self.owners[name] = _Owner(level, dependencies)
                return

        self._scan_patterns(value, owner)

    def _declare_call(self, call: cst.Call) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return

        method = func.attr.value
        receiver = func.value
        if method == _FLASK["register"]:
            self._flask_add_url_rule(call, receiver)
        elif method in FASTAPI_REGISTER or method in FASTAPI_WEBSOCKET_REGISTER:
            self._fastapi_add_route(call, receiver, method)
        elif method == _FASTAPI["include"]:
            self._include_router(call, receiver)
        elif method == "register":
            self._drf_register(call, receiver)
        else:
            # ``urlpatterns.append(path(...))`` and project helpers that take
            # patterns, such as ``patterns.add("prefix", path(...), ...)``.
            owner = dotted_name(receiver)
            for arg in call.args:
                if isinstance(arg.value, (cst.Call, cst.List, cst.Tuple)):
                    self._scan_patterns(arg.value, owner)

    # Decorated functions and function views.

    def _declare_function(self, func: cst.FunctionDef, statement: _Statement) -> None:
        routed = False
        for decorator in func.decorators:
            if self._decorator_route(decorator, func, statement.class_name):
                routed = True

        if routed:
            return

        view = self._function_view(func, statement.module_level)
        if view is None:
            return

        framework, methods, confidence = view
        self._add(
            framework,
            methods,
            None,
            func,
            func.name.value,
            func,
            confidence=confidence,
        )

    def _decorator_route(
        self,
        decorator: cst.Decorator,
        handler: HandlerNode,
        class_name: str | None,
    ) -> bool:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            return False

        qualname = self.bindings.qualname(call.func)
        if qualname in FLASK_DECORATOR_ROUTES:
            methods = _methods_keyword(
                call, frozenset(FLASK_DECORATOR_ROUTES[qualname])
            )
            self._add(
                "flask",
                methods,
                _path_argument(call, "url"),
                decorator,
                handler.name.value,
                handler,
                owner=class_name,
            )
            return True

        if not isinstance(call.func, cst.Attribute):
            return False

        method = call.func.attr.value
        receiver = call.func.value
        if isinstance(handler, cst.ClassDef):
            return self._resource_route(call, decorator, handler, receiver, method)

        found = self._decorator_framework(receiver, method, call)
        if found is None:
            return False

        framework, confidence = found
        methods = _decorator_methods(framework, method, call)
        if methods is None:
            return False

        dependencies = []
        if framework == "fastapi":
            dependencies = self._handler_dependencies(handler)
            dependencies += self._dependency_list(call, ROUTE)
        self._add(
            framework,
            methods,
            _path_argument(call, "rule", "path"),
            decorator,
            handler.name.value,
            handler,
            dependencies=dependencies,
            owner=dotted_name(receiver),
            confidence=confidence,
        )
        return True

    def _resource_route(
        self,
        call: cst.Call,
        decorator: cst.Decorator,
        handler: cst.ClassDef,
        receiver: cst.BaseExpression,
        method: str,
    ) -> bool:
        if method != _FLASK["route_decorator"]:
            return False

        cls = self._instance(receiver)
        if cls not in FLASK_RESOURCE_OWNERS and cls not in FLASK_APPS:
            return False

        view = self._class_view(handler)
        methods = view.methods if view is not None else frozenset()
        self._add(
            "flask",
            _methods_keyword(call, methods),
            _path_argument(call, "rule"),
            decorator,
            handler.name.value,
            handler,
            owner=dotted_name(receiver),
        )
        self.registered.add(id(handler))
        return True

    def _decorator_framework(
        self, receiver: cst.BaseExpression, method: str, call: cst.Call
    ) -> tuple[str, Level] | None:
        """Say which framework ``@receiver.method(...)`` routes for, if any."""
        cls = self._instance(receiver)
        if cls in FLASK_APPS:
            return "flask", Level.HIGH

        if cls in FASTAPI_APPS or cls in FASTAPI_ROUTERS:
            return "fastapi", Level.HIGH

        if cls in STARLETTE_APPS:
            return "starlette", Level.HIGH

        # An instance of some other known class (a cache, a client) or a
        # literal is not an app, whatever its methods are called.
        if _is_other_class(cls) or self._is_literal(receiver):
            return None

        path = _path_node(call, "rule", "path")
        if path is None or not _may_be_url(path):
            return None

        flask_verbs = {_FLASK["route_decorator"]} | FLASK_VERB_DECORATORS
        if self.imports_fastapi and method not in {_FLASK["route_decorator"]}:
            if method in FASTAPI_VERB_DECORATORS | FASTAPI_METHOD_DECORATORS:
                return "fastapi", Level.MEDIUM
            if method in FASTAPI_WEBSOCKET_DECORATORS:
                return "fastapi", Level.MEDIUM

        if self.imports_flask and method in flask_verbs:
            if string_value(path) == "":
                return None
            return "flask", Level.MEDIUM

        return None

    def _function_view(
        self, func: cst.FunctionDef, module_level: bool
    ) -> tuple[str, frozenset[str], Level] | None:
        """Return the framework, methods and confidence of a Django function view."""
        found = self._method_decorators(func)
        if found is not None:
            framework, methods = found
            return framework, methods, Level.HIGH

        if not module_level or not self.is_views_module:
            return None

        if not (self.imports_django or self.imports_drf):
            return None

        # Private helpers take the request too but are not routed.
        if func.name.value.startswith("_") or not _takes_request_first(func):
            return None

        # Helpers in views modules take the request too; one that returns a
        # response is far more likely to be a view.
        confidence = Level.MEDIUM if self._returns_response(func) else Level.LOW
        return "django", ANY_METHOD, confidence

    def _returns_response(self, func: cst.FunctionDef) -> bool:
        pending = list(suite_statements(func.body))
        while pending:
            node = pending.pop()
            if isinstance(node, cst.SimpleStatementLine):
                for small in node.body:
                    if isinstance(small, cst.Return) and self._is_response(small.value):
                        return True
            elif not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                pending.extend(compound_blocks(node))
        return False

    def _is_response(self, value: cst.BaseExpression | None) -> bool:
        if not isinstance(value, cst.Call):
            return False

        name = self._name(value.func)
        return name is not None and (
            name in RESPONSE_FUNCTIONS or name.endswith(RESPONSE_SUFFIXES)
        )

    def _method_decorators(
        self, func: cst.FunctionDef
    ) -> tuple[str, frozenset[str]] | None:
        framework = None
        methods = ANY_METHOD
        for decorator in func.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            qualname = self.bindings.qualname(call.func if call else expr)
            if qualname not in _METHOD_DECORATORS:
                continue

            kind, fixed, takes_list = _METHOD_DECORATORS[qualname]
            if takes_list:
                listed = _string_set(call.args[0].value) if call and call.args else None
                fixed = listed if listed is not None else fixed
            if framework != "drf":
                framework = kind
            methods = methods & fixed
        return None if framework is None else (framework, methods)

    # Class views.

    def _declare_class(self, node: cst.ClassDef) -> None:
        for decorator in node.decorators:
            if self._decorator_route(decorator, node, None):
                return

        view = self._class_view(node)
        if view is None:
            return

        # A base with no handlers of its own is abstract, unless it was only
        # recognised by name: then its handlers are in a base we cannot see.
        if not view.methods and (not view.guessed or view.framework == "flask"):
            return

        self._add(
            view.framework,
            view.methods,
            None,
            node,
            node.name.value,
            node,
            confidence=view.confidence,
        )

    def _class_view(self, node: cst.ClassDef) -> _ClassView | None:
        key = id(node)
        if key in self.class_views:
            return self.class_views[key]

        self.class_views[key] = None
        view = self._compute_class_view(node)
        self.class_views[key] = view
        return view

    def _compute_class_view(self, node: cst.ClassDef) -> _ClassView | None:
        framework = None
        methods: frozenset[str] = frozenset()
        confidence = Level.HIGH
        guessed = False
        for arg in node.bases:
            if arg.keyword is not None:
                continue

            base = (
                arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value
            )
            parent = self._local_class(base)
            if parent is not None:
                inherited = self._class_view(parent)
                if inherited is None:
                    continue
                framework = _stronger(framework, inherited.framework)
                methods |= inherited.methods
                confidence = min(confidence, inherited.confidence)
                guessed = guessed or inherited.guessed
                continue

            known = self._framework_class(base)
            if known is not None:
                framework = _stronger(framework, known[0])
                methods |= known[1]
                continue

            guess = self._guess_view_framework(base)
            if guess is not None:
                framework = _stronger(framework, guess)
                confidence = Level.MEDIUM
                guessed = True

        if framework is None:
            return None

        own, declared, allowed = self._own_methods(node, framework)
        methods = declared if declared is not None else methods | own
        if (
            not methods
            and framework == "flask"
            and _defines(node, _FLASK["dispatch_method"])
        ):
            methods = frozenset({"GET"})
        if allowed is not None:
            methods &= allowed
        return _ClassView(framework, methods, confidence, guessed and not methods)

    def _local_class(self, base: cst.BaseExpression) -> cst.ClassDef | None:
        if isinstance(base, cst.Name):
            return self.classes.get(base.value)
        return None

    def _framework_class(
        self, base: cst.BaseExpression
    ) -> tuple[str, frozenset[str]] | None:
        qualname = self.bindings.qualname(base)
        if qualname is None:
            return None

        short = qualname.rsplit(".", 1)[-1]
        for framework, modules, classes in _VIEW_CLASSES:
            if short in classes and _under(qualname, modules):
                return framework, frozenset(classes[short])
        return None

    def _guess_view_framework(self, base: cst.BaseExpression) -> str | None:
        text = self.bindings.qualname(base) or dotted_name(base)
        if text is None or _under(text, _ALL_MODULES):
            return None

        short = text.rsplit(".", 1)[-1]
        if not short.endswith(VIEW_SUFFIXES):
            return None

        if short.endswith(("ViewSet", "APIView")) and self.imports_drf:
            return "drf"

        if self.imports_django or self.imports_drf:
            return "drf" if self.imports_drf and not self.imports_django else "django"

        if self.imports_flask:
            return "flask"

        if self.imports_starlette and short.endswith("Endpoint"):
            return "starlette"

        return None

    def _own_methods(
        self, node: cst.ClassDef, framework: str
    ) -> tuple[frozenset[str], frozenset[str] | None, frozenset[str] | None]:
        """Return a class body's verb methods, ``methods`` and ``http_method_names``."""
        own: set[str] = set()
        declared = None
        allowed = None
        for stmt in suite_statements(node.body):
            if isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                if name in VERBS:
                    own.add(name.upper())
                elif framework == "drf" and name in DRF_ACTIONS:
                    own.add(DRF_ACTIONS[name])
                if framework == "drf":
                    own |= self._action_methods(stmt)
                continue

            if not isinstance(stmt, cst.SimpleStatementLine):
                continue

            for small in stmt.body:
                if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                    continue

                target = small.targets[0].target
                if not isinstance(target, cst.Name):
                    continue

                if target.value == "methods" and framework == "flask":
                    declared = _string_set(small.value)
                elif target.value == "http_method_names":
                    allowed = _string_set(small.value)
        return frozenset(own), declared, allowed

    def _action_methods(self, func: cst.FunctionDef) -> set[str]:
        methods: set[str] = set()
        for decorator in func.decorators:
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            if (
                self.bindings.qualname(call.func if call else expr)
                in DRF_ACTION_DECORATORS
            ):
                methods |= (
                    _methods_keyword(call, frozenset({"GET"})) if call else {"GET"}
                )
        return methods

    # Registering calls.
    # TODO: read flask-restful add_resource, because no fixture covers it yet

    def _flask_add_url_rule(self, call: cst.Call, receiver: cst.BaseExpression) -> None:
        confidence = self._receiver_confidence(receiver, FLASK_APPS, self.imports_flask)
        if confidence is None:
            return

        view = _argument(call, 2, "view_func")
        handler = self._resolve_handler(view) if view is not None else None
        default = frozenset({"GET"})
        if handler is not None and isinstance(handler.node, cst.ClassDef):
            default = handler.methods or frozenset()
        self._add(
            "flask",
            _methods_keyword(call, default),
            _path_argument(call, "rule"),
            call,
            handler.name if handler else None,
            handler.node if handler else None,
            decorators=handler.decorators if handler else (),
            owner=dotted_name(receiver),
            confidence=confidence,
        )

    def _fastapi_add_route(
        self, call: cst.Call, receiver: cst.BaseExpression, method: str
    ) -> None:
        apps = FASTAPI_APPS | FASTAPI_ROUTERS | STARLETTE_APPS
        imported = self.imports_fastapi or self.imports_starlette
        confidence = self._receiver_confidence(receiver, apps, imported)
        if confidence is None:
            return

        cls = self._instance(receiver)
        if cls in STARLETTE_APPS or (cls is None and not self.imports_fastapi):
            framework = "starlette"
        else:
            framework = "fastapi"
        endpoint = _argument(call, 1, "endpoint", "route")
        handler = self._resolve_handler(endpoint) if endpoint is not None else None
        if method in FASTAPI_WEBSOCKET_REGISTER:
            methods = frozenset({WEBSOCKET})
        else:
            default = frozenset({"GET"})
            if (
                handler is not None
                and handler.methods
                and isinstance(handler.node, cst.ClassDef)
            ):
                default = handler.methods
            methods = _methods_keyword(call, default)
        dependencies = []
        if framework == "fastapi":
            if handler is not None and isinstance(handler.node, cst.FunctionDef):
                dependencies = self._handler_dependencies(handler.node)
            dependencies += self._dependency_list(call, ROUTE)
        self._add(
            framework,
            methods,
            _path_argument(call, "path"),
            call,
            handler.name if handler else None,
            handler.node if handler else None,
            decorators=handler.decorators if handler else (),
            dependencies=dependencies,
            owner=dotted_name(receiver),
            confidence=confidence,
        )

    def _include_router(self, call: cst.Call, receiver: cst.BaseExpression) -> None:
        # TODO: reach routers of other modules, because the model sees one file
        router = _argument(call, 0, "router")
        parent = dotted_name(receiver)
        name = dotted_name(router) if router is not None else None
        if name is None or parent is None:
            return

        dependencies = self._dependency_list(call, INCLUDE)
        self.includes.append(_Include(name, parent, dependencies))

    def _drf_register(self, call: cst.Call, receiver: cst.BaseExpression) -> None:
        prefix = _argument(call, 0, "prefix")
        viewset = _argument(call, 1, "viewset")
        # ``admin.site.register(Model)`` and template libraries register too,
        # but never with a string prefix.
        if prefix is None or viewset is None or not _is_string(prefix):
            return

        cls = self._instance(receiver)
        named_router = cls is not None and cls.endswith("Router")
        imported = self.imports_drf or self.imports_django or named_router
        confidence = self._receiver_confidence(receiver, DRF_ROUTERS, imported)
        if confidence is None:
            return

        handler = self._resolve_handler(viewset)
        self._add(
            "drf",
            handler.methods or frozenset(),
            string_value(prefix),
            call,
            handler.name,
            handler.node,
            decorators=handler.decorators,
            owner=dotted_name(receiver),
            confidence=confidence,
        )

    def _receiver_confidence(
        self, receiver: cst.BaseExpression, classes: frozenset[str], imported: bool
    ) -> Level | None:
        cls = self._instance(receiver)
        if cls in classes:
            return Level.HIGH

        if not imported or _is_other_class(cls):
            return None

        if self._is_literal(receiver):
            return None

        return Level.MEDIUM

    # URL pattern lists: Django ``urlpatterns`` and Starlette ``routes``.

    def _scan_patterns(self, value: cst.BaseExpression, owner: str | None) -> None:
        pending = [value]
        while pending:
            node = pending.pop()
            if isinstance(node, (cst.List, cst.Tuple)):
                pending.extend(
                    e.value
                    for e in reversed(node.elements)
                    if isinstance(e, cst.Element)
                )
            elif isinstance(node, cst.BinaryOperation) and isinstance(
                node.operator, cst.Add
            ):
                pending.extend((node.right, node.left))
            elif isinstance(node, cst.Call):
                pending.extend(reversed(self._pattern_call(node, owner)))

    def _pattern_call(
        self, call: cst.Call, owner: str | None
    ) -> list[cst.BaseExpression]:
        """Declare the route ``call`` builds; return the nested patterns to scan."""
        qualname = self.bindings.qualname(call.func)
        if qualname is None:
            return []

        if qualname in DJANGO_URL_FUNCTIONS:
            view = _argument(call, 1, "view")
            if isinstance(view, cst.Call) and self.bindings.qualname(view.func) in (
                DJANGO_INCLUDE
            ):
                return [a.value for a in view.args[:1]]

            self._django_pattern(call, view, owner)
            return []

        if qualname in DJANGO_PATTERN_WRAPPERS or qualname in DJANGO_INCLUDE:
            return [a.value for a in call.args if a.keyword is None][:1]

        if qualname in STARLETTE_ROUTES or qualname in STARLETTE_WEBSOCKET_ROUTES:
            self._starlette_route(call, qualname in STARLETTE_WEBSOCKET_ROUTES, owner)
            return []

        if qualname in STARLETTE_MOUNTS or qualname in STARLETTE_APPS:
            routes = keyword(call, "routes")
            return [routes.value] if routes is not None else []

        return []

    def _django_pattern(
        self, call: cst.Call, view: cst.BaseExpression | None, owner: str | None
    ) -> None:
        handler = self._resolve_handler(view) if view is not None else None
        framework = "django"
        if handler is not None and handler.node is not None:
            framework = self._view_framework(handler.node) or framework
        self._add(
            framework,
            (handler.methods or frozenset()) if handler else frozenset(),
            _path_argument(call, "route", "regex"),
            call,
            handler.name if handler else None,
            handler.node if handler else None,
            decorators=handler.decorators if handler else (),
            owner=owner,
        )

    def _starlette_route(
        self, call: cst.Call, websocket: bool, owner: str | None
    ) -> None:
        endpoint = _argument(call, 1, "endpoint")
        handler = self._resolve_handler(endpoint) if endpoint is not None else None
        if websocket:
            methods = frozenset({WEBSOCKET})
        elif handler is not None and isinstance(handler.node, cst.ClassDef):
            methods = handler.methods or frozenset()
        else:
            methods = _methods_keyword(call, frozenset({"GET"}))
        self._add(
            "starlette",
            methods,
            _path_argument(call, "path"),
            call,
            handler.name if handler else None,
            handler.node if handler else None,
            decorators=handler.decorators if handler else (),
            owner=owner,
        )

    def _view_framework(self, node: HandlerNode) -> str | None:
        if isinstance(node, cst.ClassDef):
            view = self._class_view(node)
            return view.framework if view else None

        found = self._method_decorators(node)
        return found[0] if found else None

    def _resolve_handler(self, expr: cst.BaseExpression) -> _Handler:
        """Find the view that ``expr`` names: a function, ``X.as_view()``, a class."""
        as_view = None
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if expr.func.attr.value == "as_view":
                as_view = expr
                expr = expr.func.value

        name = dotted_name(expr)
        node: HandlerNode | None = None
        if isinstance(expr, cst.Name):
            node = self.functions.get(expr.value) or self.classes.get(expr.value)
            if as_view is not None:
                node = self.classes.get(expr.value)
        methods = None
        if isinstance(node, cst.ClassDef):
            view = self._class_view(node)
            methods = view.methods if view is not None else None
        elif isinstance(node, cst.FunctionDef):
            found = self._method_decorators(node)
            methods = found[1] if found else ANY_METHOD
        elif as_view is not None:
            known = self._framework_class(expr)
            methods = known[1] if known else None

        # A ViewSet's ``as_view({"get": "list"})`` maps the methods it serves.
        if (
            as_view is not None
            and as_view.args
            and isinstance(as_view.args[0].value, cst.Dict)
        ):
            mapped = _dict_keys(as_view.args[0].value)
            if mapped is not None:
                methods = mapped

        if node is not None:
            self.registered.add(id(node))
        decorators = self._decorator_names(node) if node is not None else ()
        return _Handler(node, name, methods, decorators)

    # FastAPI dependencies.

    def _handler_dependencies(self, func: cst.FunctionDef) -> list[Dependency]:
        found = []
        params = func.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation else None
            default = param.default
            if isinstance(default, cst.Call) and self._dependency_kind(default):
                found.append(self._dependency(default, HANDLER, param, annotation))

            for marker in self._annotated_markers(annotation):
                found.append(self._dependency(marker, HANDLER, param, annotation))
        return found

    def _annotated_markers(
        self, annotation: cst.BaseExpression | None
    ) -> Iterator[cst.Call]:
        if not isinstance(annotation, cst.Subscript):
            return

        head = self.bindings.qualname(annotation.value) or dotted_name(annotation.value)
        if head not in ANNOTATED and head != "Annotated":
            return

        for element in annotation.slice[1:]:
            extra = element.slice
            if isinstance(extra, cst.Index) and isinstance(extra.value, cst.Call):
                if self._dependency_kind(extra.value):
                    yield extra.value

    def _dependency(
        self,
        call: cst.Call,
        level: str,
        param: cst.Param | None = None,
        annotation: cst.BaseExpression | None = None,
    ) -> Dependency:
        wrapped = _argument(call, 0, "dependency")
        if wrapped is None and annotation is not None:
            wrapped = annotation
            if isinstance(annotation, cst.Subscript):
                first = annotation.slice[0].slice
                wrapped = first.value if isinstance(first, cst.Index) else None
        return Dependency(
            target=self._name(wrapped) if wrapped is not None else None,
            level=level,
            node=call,
            kind=self._dependency_kind(call) or "depends",
            parameter=param.name.value if param is not None else None,
        )

    def _dependency_list(self, call: cst.Call, level: str) -> list[Dependency]:
        arg = keyword(call, "dependencies")
        if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple)):
            return []

        found = []
        for element in arg.value.elements:
            value = element.value
            if isinstance(value, cst.Call) and self._dependency_kind(value):
                found.append(self._dependency(value, level))
        return found

    def _dependency_kind(self, call: cst.Call) -> str | None:
        qualname = self.bindings.qualname(call.func)
        if qualname is None and self.imports_fastapi:
            text = dotted_name(call.func)
            qualname = (
                text if text and text.rsplit(".", 1)[-1] in DEPENDENCY_NAMES else None
            )
            if qualname is None:
                return None
        elif qualname not in DEPENDENCY_MARKERS:
            return None

        return "security" if qualname.endswith("Security") else "depends"

    def _owner_dependencies(self, owner: str, seen: set[str]) -> list[Dependency]:
        if owner in seen:
            return []

        seen.add(owner)
        found = list(self.owners[owner].dependencies) if owner in self.owners else []
        for include in self.includes:
            if include.router == owner:
                found += include.dependencies
                found += self._owner_dependencies(include.parent, seen)
        return found

    # Helpers.

    def _is_literal(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value in self.literals

    def _name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Call):
            node = node.func
        return self.bindings.qualname(node) or dotted_name(node)

    def _decorator_names(self, node: HandlerNode) -> tuple[str, ...]:
        names = []
        for decorator in node.decorators:
            name = self._name(decorator.decorator)
            if name:
                names.append(name)
        return tuple(names)

    def _add(
        self,
        framework: str,
        methods: frozenset[str],
        path: str | None,
        node: cst.CSTNode,
        handler_name: str | None,
        handler: HandlerNode | None,
        *,
        decorators: tuple[str, ...] | None = None,
        dependencies: list[Dependency] | None = None,
        owner: str | None = None,
        confidence: Level = Level.HIGH,
    ) -> None:
        if decorators is None:
            decorators = self._decorator_names(handler) if handler is not None else ()
        self.routes.append(
            Route(
                framework=framework,
                methods=frozenset(methods),
                path=path,
                handler=handler,
                handler_name=handler_name,
                node=node,
                decorators=decorators,
                dependencies=tuple(dependencies or ()),
                owner=owner,
                confidence=confidence,
            )
        )

    def _finish(self) -> None:
        # A view that a pattern, rule or register call in this file names is
        # reported there, with its path, rather than twice.
        kept = []
        for route in self.routes:
            if route.node is route.handler and id(route.node) in self.registered:
                continue

            inherited = []
            if route.framework == "fastapi" and route.owner is not None:
                inherited = self._owner_dependencies(route.owner, set())
            if inherited:
                dependencies = route.dependencies + tuple(inherited)
                kept.append(replace(route, dependencies=dependencies))
            else:
                kept.append(route)
        self.routes = kept
        logger.debug("%s declares %d routes", self.context.path, len(kept))


def _argument(call: cst.Call, index: int, *names: str) -> cst.BaseExpression | None:
    for name in names:
        arg = keyword(call, name)
        if arg is not None:
            return arg.value

    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index].value if index < len(positional) else None


def _path_node(call: cst.Call, *names: str) -> cst.BaseExpression | None:
    return _argument(call, 0, *names)


# TODO: prepend router, blueprint and mount prefixes, because paths stay as written
def _path_argument(call: cst.Call, *names: str) -> str | None:
    node = _path_node(call, *names)
    return string_value(node) if node is not None else None


def _may_be_url(node: cst.BaseExpression) -> bool:
    """Tell whether a route argument could be a URL path (``""`` for a prefix)."""
    if isinstance(node, (cst.Integer, cst.Float, cst.Dict, cst.List, cst.Tuple)):
        return False

    if not _is_string(node):
        return True

    value = string_value(node)
    return value is None or value == "" or value.startswith("/")


def _is_string(node: cst.BaseExpression) -> bool:
    return isinstance(
        node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
    )


def _string_set(node: cst.BaseExpression) -> frozenset[str] | None:
    """Return the upper-cased strings of a literal list, tuple or set, else None."""
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return None

    values = set()
    for element in node.elements:
        value = string_value(element.value)
        if value is None:
            return None
        values.add(value.upper())
    return frozenset(values)


def _dict_keys(node: cst.Dict) -> frozenset[str] | None:
    keys = set()
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None

        key = string_value(element.key)
        if key is None:
            return None
        keys.add(key.upper())
    return frozenset(keys)


def _methods_keyword(call: cst.Call, default: frozenset[str]) -> frozenset[str]:
    """Return ``methods=[...]`` of a call, ``default`` without it, empty if unknown."""
    arg = keyword(call, "methods")
    if arg is None:
        return default

    if isinstance(arg.value, cst.Name) and arg.value.value == "None":
        return default

    listed = _string_set(arg.value)
    return listed if listed is not None else frozenset()


def _decorator_methods(
    framework: str, method: str, call: cst.Call
) -> frozenset[str] | None:
    if framework == "fastapi":
        if method in FASTAPI_VERB_DECORATORS:
            return frozenset({method.upper()})
        if method in FASTAPI_METHOD_DECORATORS:
            return _methods_keyword(call, frozenset({"GET"}))
        if method in FASTAPI_WEBSOCKET_DECORATORS:
            return frozenset({WEBSOCKET})
        return None

    if method == _FLASK["route_decorator"]:
        return _methods_keyword(call, frozenset({"GET"}))

    if framework == "flask" and method in FLASK_VERB_DECORATORS:
        return frozenset({method.upper()})

    if framework == "starlette" and method in FASTAPI_WEBSOCKET_DECORATORS:
        return frozenset({WEBSOCKET})

    return None


def _takes_request_first(func: cst.FunctionDef) -> bool:
    params = [*func.params.posonly_params, *func.params.params]
    return bool(params) and params[0].name.value == _DJANGO["request_parameter"]


def _defines(node: cst.ClassDef, name: str) -> bool:
    return any(
        isinstance(stmt, cst.FunctionDef) and stmt.name.value == name
        for stmt in suite_statements(node.body)
    )


def _is_other_class(qualname: str | None) -> bool:
    """Tell whether an instance's class is known and not named like an app."""
    if qualname is None:
        return False

    name = qualname.rsplit(".", 1)[-1]
    return name[:1].isupper() and not name.endswith(APP_SUFFIXES)


def _under(qualname: str, modules: tuple[str, ...]) -> bool:
    return any(qualname == m or qualname.startswith(m + ".") for m in modules)


def _stronger(current: str | None, new: str) -> str:
    """Prefer DRF over Django when a class mixes both kinds of base."""
    if current is None or (current == "django" and new == "drf"):
        return new
    return current
