"""AHL601 get-route-changes-state."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from api_hardening_lint.frameworks.routes import Route
from api_hardening_lint.nodes import (
    assigns_name,
    bound_names,
    descendants,
    dotted_name,
    is_true,
    keyword,
    sequence_items,
    string_value,
    subscript_key,
    suite_statements,
    with_keyword,
)
from api_hardening_lint.positions import node_ranges
from api_hardening_lint.project import FactCollector, ProjectIndex, per_index
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import UNSAFE, Fix, Level, Rule, text_matches

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

logger = logging.getLogger(__name__)

_FACTS = knowledge("state_changes")
_SQLA = _FACTS["sqlalchemy"]
_ORM = _FACTS["orm"]
_FILES = _FACTS["files"]
_GUARDS = _FACTS["guards"]
_TOKENS = _FACTS["tokens"]
_ORPHANS = _FACTS["orphans"]

SESSION_RECEIVERS = frozenset(_SQLA["session_receivers"])
SESSION_WRITES = frozenset(_SQLA["session_writes"])
SESSION_COMMITS = frozenset(_SQLA["session_commits"])
STATEMENT_MODULES = tuple(_SQLA["statement_modules"])
STATEMENT_FUNCTIONS = frozenset(_SQLA["statement_functions"])
EXECUTE_METHODS = frozenset(_SQLA["execute_methods"])
QUERY_ATTRIBUTES = frozenset(_ORM["query_attributes"])
QUERY_CALLS = frozenset(_ORM["query_calls"])
QUERY_NAME_SUFFIXES = tuple(_ORM["query_name_suffixes"])
DISTINCTIVE_WRITES = frozenset(_ORM["distinctive_writes"])
QUERY_WRITES = frozenset(_ORM["query_writes"])
INSTANCE_WRITES = frozenset(_ORM["instance_writes"])
MONGO_WRITES = frozenset(_FACTS["pymongo"]["writes"])
SQL_WRITE = re.compile(
    r"^\s*(?:" + "|".join(_FACTS["sql"]["write_keywords"]) + r")\b", re.IGNORECASE
)
SQL_WRAPPERS = frozenset(_FACTS["sql"]["wrappers"])
OPENERS = frozenset(_FILES["openers"])
WRITE_MODES = tuple(_FILES["write_modes"])
FILE_FUNCTIONS = frozenset(_FILES["functions"])
PATH_METHODS = frozenset(_FILES["path_methods"])
STORAGE_SUFFIX = _FILES["storage_suffix"]
STORAGE_WRITES = frozenset(_FILES["storage_writes"])
SCRATCH_WORDS = frozenset(_FILES["scratch_words"])
LOOK_ALIKE_RECEIVERS = tuple(_FACTS["look_alikes"]["receivers"])
REQUEST_SESSIONS = frozenset(_FACTS["look_alikes"]["request_session"])
LOG_WORDS = frozenset(_FACTS["look_alikes"]["log_words"])
NO_COMMIT = _FACTS["look_alikes"]["no_commit_keyword"]
BOOKKEEPING = frozenset(
    _FACTS["bookkeeping"]["fields"] + _FACTS["bookkeeping"]["preferences"]
)
BOOKKEEPING_PREFIXES = tuple(_FACTS["bookkeeping"]["field_prefixes"])
BOOKKEEPING_SUFFIXES = tuple(_FACTS["bookkeeping"]["field_suffixes"])
LAZY_CREATES = frozenset(_FACTS["weak"]["lazy_creates"])
MISSING_ERRORS = frozenset(_FACTS["weak"]["missing_errors"])
MISSING_CREATES = frozenset(_FACTS["weak"]["creates"])
REPOSITORY_VERBS = frozenset(_FACTS["repositories"]["verbs"])
TOKEN_WORDS = frozenset(_TOKENS["parameter_words"])
TOKEN_NAMES = frozenset(_TOKENS["parameter_names"])
CURSOR_WORDS = frozenset(_TOKENS["cursor_words"])
TOKEN_CHECKS = frozenset(_TOKENS["checks"])
CHECK_WORDS = frozenset(_TOKENS["check_words"])
TOKEN_SOURCES = frozenset(_TOKENS["sources"])
URL_KWARGS = frozenset(_TOKENS["url_kwargs"])
PREFIX_KEYWORDS = tuple(_TOKENS["prefix_keywords"])
LINK_SOURCES = frozenset(_TOKENS["link_sources"])
OAUTH_MODULES = tuple(_TOKENS["oauth_modules"])
OAUTH_ATTRIBUTE = _TOKENS["oauth_attribute"]
SESSION_KEY = _TOKENS["session_key"]
OUTER_JOINS = frozenset(_ORPHANS["outer_joins"])
OUTER_JOIN_KEYWORD = _ORPHANS["outer_join_keyword"]
NULL_TESTS = frozenset(_ORPHANS["null_tests"])
DUPLICATE_ERRORS = frozenset(_ORPHANS["duplicate_errors"])
DUPLICATE_DELETES = frozenset(_ORPHANS["deletes"])
METHOD_ATTRIBUTE = _GUARDS["method_attribute"]
REQUEST_NAMES = tuple(_GUARDS["request_names"])
UNSAFE_CALLS = frozenset(_GUARDS["unsafe_calls"])
BOUND_CHECKS = frozenset(_GUARDS["bound_checks"])
BODY_ATTRIBUTES = frozenset(_GUARDS["body_attributes"])
BODY_CALLS = frozenset(_GUARDS["body_calls"])
FETCH_CALLS = frozenset(_GUARDS["fetch_calls"])
ALL_METHODS = frozenset(_GUARDS["all_methods"])
UNSAFE_METHODS = ALL_METHODS - {"GET", "HEAD", "OPTIONS"}
GET_METHODS = frozenset(_FACTS["handlers"]["get_methods"])
DRF_GET_ACTIONS = frozenset(_FACTS["handlers"]["drf_get_actions"])
ABORTS = frozenset(_FACTS["handlers"]["aborts"])
ACTING_WORDS = frozenset(_FACTS["confidence"]["acting_words"])
# What a fixed Django function view is decorated with.
REQUIRE_POST = "django.views.decorators.http.require_POST"
_UNSAFE_FIX = "links, redirects and forms that reach it by GET then get 405"

# Every method name a write may be called by, so most calls are dismissed by
# one set lookup.
_WRITE_METHODS = (
    SESSION_WRITES
    | SESSION_COMMITS
    | EXECUTE_METHODS
    | DISTINCTIVE_WRITES
    | QUERY_WRITES
    | INSTANCE_WRITES
    | MONGO_WRITES
    | PATH_METHODS
    | STORAGE_WRITES
    | {"open"}
    | {name.rsplit(".", 1)[-1] for name in FILE_FUNCTIONS}
)
_FILE_FUNCTION_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in FILE_FUNCTIONS)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# Parameters of a URL path: Flask ``<int:name>``, FastAPI ``{name}``, Django
# ``<name>`` and ``(?P<name>...)``.
_PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)(?::\w+)?\}")
_MODE = re.compile(r"^[rwxabt+U]+$")
# Expressions whose names are not plain reads of the function's values.
_OPAQUE = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

# The text a finding needs, both: a route or view, and a call that may write.
# Each pattern starts with literal text, which the regular expression engine
# finds fast; a line start is a newline (see ``text_matches``).
_ROUTE_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"@[\w.]+\.(?:route|get|api_route)\(",
        rb"\.(?:add_url_rule|add_api_route)\(",
        rb"@api_view",
        rb"@expose\(",
        rb"Route(?<!\wRoute)\(",
        rb"def(?<!\wdef) (?:get|list|retrieve)\(\s*self",
        rb"\n(?:async )?def [a-z]\w*\(\s*request\b",
    )
)
_WRITE_TEXT = (
    re.compile(
        rb"\.(?:"
        + b"|".join(
            re.escape(name.encode())
            for name in sorted(_WRITE_METHODS - {"open"} - _FILE_FUNCTION_NAMES)
        )
        + rb")\("
    ),
    re.compile(rb"open(?<!\wopen)\("),
    re.compile(rb"os(?<!\wos)\.\w+\("),
    re.compile(rb"shutil(?<!\wshutil)\.\w+\("),
)

# Kinds of write, strongest first.
DATABASE = "database"
FILE_DELETE = "file-delete"
FILE_WRITE = "file-write"
COMMIT = "commit"
LAZY = "lazy"
REPOSITORY = "repository"
_WEAK = (FILE_WRITE, FILE_DELETE, COMMIT, LAZY, REPOSITORY)


@dataclass
class _Write:
    node: cst.Call
    label: str
    kind: str
    # A bare ``save()`` or ``commit()``: it writes whatever the code changed.
    plain: bool = False
    # The form whose ``is_valid()`` the write waits for, when that form is
    # bound to the body: empty on GET, so valid only without required fields.
    form: str | None = None


@dataclass
class _Frame:
    """A function being visited and the writes on its GET path."""

    node: cst.FunctionDef
    owner: str | None
    writes: list[_Write] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    # Methods that still reach the code after an early-return method check.
    after: frozenset[str] = ALL_METHODS
    flags: dict[str, tuple[frozenset[str], frozenset[str]]] = field(
        default_factory=dict
    )
    statements: set[str] = field(default_factory=set)
    nested: dict[str, cst.FunctionDef] = field(default_factory=dict)
    bookkeeping: int = 0
    changes: int = 0
    checks_token: bool = False
    # Local names: parameters and assigned names, with the last value given.
    local_names: set[str] = field(default_factory=set)
    values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    # Names computed only from the request body, and those of them that are
    # empty when the body is (a value read or a row fetched with it).
    body_names: set[str] = field(default_factory=set)
    empty_on_get: set[str] = field(default_factory=set)
    # Forms given ``request.POST or None``: unbound, so never valid, on GET.
    unbound_on_get: set[str] = field(default_factory=set)
    # Forms given ``request.POST`` alone: bound to an empty body on GET.
    bound_to_body: set[str] = field(default_factory=set)
    # Results of queries for dangling rows, rows of the requester's own
    # session, and token objects created here.
    orphans: set[str] = field(default_factory=set)
    own_rows: set[str] = field(default_factory=set)
    issued: set[str] = field(default_factory=set)


# A write, the helper calls that lead to it, and whether it is strong evidence.
Evidence = tuple[_Write, tuple[cst.Call, ...], bool]

# The question whether a form class has a field the body must fill in.
_NEEDS_INPUT = "form-needs-input"
# How many project bases of a form are followed for inherited fields.
_FORM_DEPTH = 4
# Django's form fields: an empty body leaves a required one of them missing.
_FORM_FIELDS = ("django.forms.", "django.contrib.postgres.forms.")


class FormInputs(FactCollector):
    """Django form classes, with their bases and whether a field they declare
    must be filled in: bound to the empty body of a GET, such a form is invalid.
    """

    name = "form-inputs"
    triggers = (re.compile(rb"\nclass \w+\([^)]*Form[,)]"),)

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        forms = {}
        for stmt in context.module.body:
            if not isinstance(stmt, cst.ClassDef):
                continue

            bases = [
                _last_name(arg.value)
                for arg in stmt.bases
                if not arg.keyword and not arg.star
            ]
            if any(base.endswith("Form") for base in bases):
                forms[stmt.name.value] = [bases, _form_needs_input(context, stmt)]
        return forms or None


def _form_needs_input(context: FileContext, node: cst.ClassDef) -> bool | None:
    """Tell whether a form class declares a required Django field: True, False,
    or None when its methods may loosen its fields (``required = False``,
    ``del self.fields[...]``) or it removes an inherited one (``name = None``).
    """
    needs = False
    for stmt in suite_statements(node.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            if any(
                isinstance(child, cst.Del)
                or (isinstance(child, cst.Attribute) and child.attr.value == "required")
                or (
                    isinstance(child, cst.Call)
                    and _call_text(child.func).endswith("fields.pop")
                )
                for child in descendants(stmt)
            ):
                return None
            continue

        for small in stmt.body:
            if not isinstance(small, (cst.Assign, cst.AnnAssign)):
                continue
            value = small.value
            if _is_none(value):
                return None
            if isinstance(value, cst.Call) and _is_required_field(context, value):
                needs = True
    return needs


def _is_required_field(context: FileContext, call: cst.Call) -> bool:
    """``forms.DecimalField(max_value=999)``: a Django field the data must hold.

    A field whose class is not Django's, whose ``required`` is anything but a
    literal True, or which is disabled (it takes its initial value), is not.
    """
    name = context.qualname(call.func) or ""
    if not (name.startswith(_FORM_FIELDS) and name.endswith("Field")):
        return False

    required = keyword(call, "required")
    if required is not None and not is_true(required.value):
        return False

    disabled = keyword(call, "disabled")
    return disabled is None or _is_false(disabled)


@per_index
def _forms(project: ProjectIndex) -> dict[str, list[list]]:
    """Every recorded form class, by class name."""
    found: dict[str, list[list]] = {}
    for _path, forms in project.of(FormInputs.name):
        for name, data in forms.items():
            found.setdefault(name, []).append(data)
    return found


def _needs_input(forms: dict[str, list[list]], name: str, depth: int) -> bool:
    """Tell whether every project form class named ``name`` has, itself or
    through its bases, a required field and nothing that may loosen one."""
    found = forms.get(name)
    if not found or depth < 0:
        return False

    for bases, needs in found:
        if needs is None:
            return False
        if not needs and not any(
            _needs_input(forms, base, depth - 1) for base in bases
        ):
            return False
    return True


class GetRouteChangesState(Rule):
    id = "AHL601"
    facts = (FormInputs,)

    @classmethod
    def answer(cls, project: ProjectIndex, question: tuple) -> Any:
        kind, name = question
        if kind != _NEEDS_INPUT:
            raise ValueError(f"AHL601 has no answer to {kind!r}")
        return _needs_input(_forms(project), name, _FORM_DEPTH)

    @classmethod
    def wants(cls, source: bytes) -> bool:
        return text_matches(_ROUTE_TEXT, source) and text_matches(_WRITE_TEXT, source)

    def __init__(self, context) -> None:
        super().__init__(context)
        self._stack: list[_Frame] = []
        self._frames: dict[int, _Frame] = {}
        self._functions: dict[tuple[str | None, str], cst.FunctionDef] = {}
        self._classes: dict[str, cst.ClassDef] = {}
        # Path prefixes given to module-level blueprints and routers.
        self._prefixes: dict[str, str] = {}
        self._memo: dict[tuple[int, int], list[Evidence]] = {}
        # Module functions some code of this file calls: helpers, not views.
        self._called: set[str] = set()
        # Queries for dangling rows and lookups by the session key need their
        # words in the text; most files have neither, and skip looking.
        source = context.source
        self._orphans_possible = any(
            word.encode() in source for word in (*OUTER_JOINS, OUTER_JOIN_KEYWORD)
        )
        self._session_key_possible = SESSION_KEY.encode() in source
        self._definitions(context.module)

    def _definitions(self, module: cst.Module) -> None:
        """Index module functions, classes and their methods, by statements only."""
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                self._functions[(None, stmt.name.value)] = stmt
            elif isinstance(stmt, cst.ClassDef):
                self._classes[stmt.name.value] = stmt
                for inner in suite_statements(stmt.body):
                    if isinstance(inner, cst.FunctionDef):
                        key = (stmt.name.value, inner.name.value)
                        self._functions[key] = inner
            elif isinstance(stmt, cst.SimpleStatementLine):
                self._note_prefix(stmt)

    def _note_prefix(self, stmt: cst.SimpleStatementLine) -> None:
        """Record ``bp = Blueprint(..., url_prefix="/x/<token>")``."""
        assign = stmt.body[0]
        if not isinstance(assign, cst.Assign) or not isinstance(assign.value, cst.Call):
            return

        target = assign.targets[0].target
        if len(assign.targets) != 1 or not isinstance(target, cst.Name):
            return

        for name in PREFIX_KEYWORDS:
            arg = keyword(assign.value, name)
            prefix = string_value(arg.value) if arg is not None else None
            if prefix:
                self._prefixes[target.value] = prefix

    # Recording, as the traversal passes.

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        ancestors = self.context.ancestors
        owner = None
        if len(ancestors) >= 2 and isinstance(ancestors[-2], cst.ClassDef):
            owner = ancestors[-2].name.value

        if self._stack:
            self._stack[-1].nested[node.name.value] = node

        frame = _Frame(node, owner)
        params = node.params
        frame.local_names.update(
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
        )
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                frame.local_names.add(star.name.value)
        self._stack.append(frame)
        self._frames[id(node)] = frame

    def leave_FunctionDef(self, _node: cst.FunctionDef) -> None:
        self._stack.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if not self._stack:
            return

        frame = self._stack[-1]
        func = node.func
        if _checks_secret(node):
            frame.checks_token = True
        write = self._find_write(node, frame)
        if write is None:
            if not self._may_be_helper(node, frame):
                return

            if isinstance(func, cst.Name):
                self._called.add(func.value)

        if not self._reaches_get(frame):
            return

        if write is None:
            frame.calls.append(node)
            return

        if self._is_repair(write, frame):
            return

        if self._creates_lazily(write, frame):
            write.kind = LAZY
        write.form = self._waiting_form(frame)
        frame.writes.append(write)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._stack or not _is_token_source(node.value):
            return

        key = subscript_key(node)
        if key is not None and _is_token_name(key):
            self._stack[-1].checks_token = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # Flask-Dance's ``github.authorized``: the provider's flow is complete.
        if node.attr.value != OAUTH_ATTRIBUTE or not self._stack:
            return

        name = self.context.qualname(node.value) or ""
        if name.split(".", 1)[0] in OAUTH_MODULES:
            self._stack[-1].checks_token = True

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """Note a value from the link compared with one kept in the session."""
        if not self._stack or len(node.comparisons) != 1:
            return

        if not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return

        frame = self._stack[-1]
        left, right = node.left, node.comparisons[0].comparator
        for kept, sent in ((left, right), (right, left)):
            if self._reads_session(kept) and _reads_link(sent, frame):
                frame.checks_token = True
                return

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._stack:
            return

        frame = self._stack[-1]
        for target in node.targets:
            self._note_target(frame, target.target)

        target = node.targets[0].target
        if len(node.targets) != 1 or not isinstance(target, cst.Name):
            for target in node.targets:
                self._bind(frame, target.target, node.value)
            return

        tests = self._method_sets(node.value, frame)
        if tests != (ALL_METHODS, ALL_METHODS):
            frame.flags[target.value] = tests
        if self._is_write_statement(node.value, frame):
            frame.statements.add(target.value)
        self._bind(frame, target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._stack:
            self._note_target(self._stack[-1], node.target)

    def visit_For(self, node: cst.For) -> None:
        if self._stack:
            self._stack[-1].local_names.update(bound_names(node.target))

    def _bind(
        self, frame: _Frame, target: cst.BaseExpression, value: cst.BaseExpression
    ) -> None:
        """Record what a local name now holds."""
        names = bound_names(target)
        if not names:
            return

        body = self._is_body_value(value, frame)
        # ``user = User.query.filter_by(name=form.data["name"]).first()`` is
        # None without a body; ``form = LoginForm(request.form)`` is an object.
        empty = body and isinstance(target, cst.Name) and _is_fetched(value, frame)
        facts = (
            (frame.body_names, body),
            (frame.empty_on_get, empty),
            (frame.unbound_on_get, _is_bound_to_body(value)),
            (frame.bound_to_body, _is_bound_to_body(value, alone=True)),
            (frame.orphans, self._orphans_possible and _is_orphan_query(value)),
            (
                frame.own_rows,
                self._session_key_possible and _mentions_session_key(value),
            ),
            (frame.issued, _is_token_object(value)),
        )
        for name in names:
            frame.local_names.add(name)
            frame.values[name] = value
            for group, holds in facts:
                if holds:
                    group.add(name)
                else:
                    group.discard(name)

    def leave_If(self, node: cst.If) -> None:
        if not self._stack:
            return

        frame = self._stack[-1]
        ancestors = self.context.ancestors
        # Only a check in the function's own body guards what follows it.
        if len(ancestors) < 2 or ancestors[-2] is not frame.node:
            return

        true_set, false_set = self._method_sets(node.test, frame)
        if true_set == ALL_METHODS and false_set == ALL_METHODS:
            return

        body_exits = _exits(node.body)
        else_exits = isinstance(node.orelse, cst.Else) and _exits(node.orelse.body)
        if body_exits and else_exits:
            frame.after = frozenset()
        elif body_exits:
            frame.after &= false_set
        elif else_exits:
            frame.after &= true_set

    # Judging, once the whole file is seen.

    def leave_Module(self, _node: cst.Module) -> None:
        if self.context.is_test_file or not self._frames:
            return

        found: list[tuple[Route, cst.CSTNode, list[Evidence], list[str]]] = []
        handled: set[int] = set()
        for route in self.context.routes:
            handler = route.handler
            if handler is None or id(handler) in handled:
                continue

            if route.methods and "GET" not in route.methods:
                continue

            if self._is_helper(route) or self._link_has_token(route):
                continue

            evidence = []
            methods = []
            for func in self._get_handlers(route):
                frame = self._frames.get(id(func))
                if frame is None or frame.checks_token or _takes_token(func):
                    continue

                found_here = self._evidence(func, 2)
                if found_here:
                    evidence += found_here
                    methods.append(func.name.value)
            if not evidence:
                continue

            handled.add(id(handler))
            where = handler if route.framework in ("django", "drf") else route.node
            found.append((route, where, evidence, methods))

        if not found:
            return

        wanted = [w.node for _, _, ev, _ in found for w, _, _ in ev]
        wanted += [c for _, _, ev, _ in found for _, via, _ in ev for c in via]
        ranges = node_ranges(self.context.module, wanted)
        lines = {key: span[0][0] for key, span in ranges.items()}
        for route, where, evidence, methods in found:
            self._report_route(route, where, evidence, methods, lines)

    def _is_helper(self, route: Route) -> bool:
        """Tell whether a function taken for a Django view is more likely a helper.

        Views modules hold helpers that take the request too; one that some
        code here calls, or that returns no response, is not routed.
        """
        if route.framework != "django" or route.confidence == Level.HIGH:
            return False

        if route.confidence == Level.LOW:
            return True

        handler = route.handler
        if not isinstance(handler, cst.FunctionDef):
            return False

        return handler.name.value in self._called

    def _link_has_token(self, route: Route) -> bool:
        """Tell whether the route's link carries a secret the view checks.

        A token may sit in the path or in the blueprint's prefix, or a class
        view (or a base class of this module) may read and check it outside
        its GET handler, in ``dispatch()`` or a property.
        """
        for path in (route.path, self._prefixes.get(route.owner or "")):
            for match in _PATH_PARAMETER.finditer(path or ""):
                if _is_token_name(match.group(1) or match.group(2)):
                    return True

        handler = route.handler
        return isinstance(handler, cst.ClassDef) and self._class_checks_secret(
            handler, set()
        )

    def _class_checks_secret(self, cls: cst.ClassDef, seen: set[str]) -> bool:
        if cls.name.value in seen:
            return False

        seen.add(cls.name.value)
        for stmt in suite_statements(cls.body):
            if not isinstance(stmt, cst.FunctionDef):
                continue

            # A check that only the unsafe handlers make does not cover GET.
            if stmt.name.value.upper() in UNSAFE_METHODS:
                continue

            frame = self._frames.get(id(stmt))
            if frame is not None and frame.checks_token:
                return True

        for base in cls.bases:
            parent = self._classes.get(dotted_name(base.value) or "")
            if parent is not None and self._class_checks_secret(parent, seen):
                return True
        return False

    def _get_handlers(self, route: Route) -> list[cst.FunctionDef]:
        handler = route.handler
        if isinstance(handler, cst.FunctionDef):
            return [handler] if route.methods else []

        names = GET_METHODS
        if route.framework == "drf":
            names = names | DRF_GET_ACTIONS
        return [
            stmt
            for stmt in suite_statements(handler.body)
            if isinstance(stmt, cst.FunctionDef)
            and (stmt.name.value in names or _is_get_action(stmt, self.context))
        ]

    def _evidence(self, func: cst.FunctionDef, depth: int) -> list[Evidence]:
        key = (id(func), depth)
        if key in self._memo:
            return self._memo[key]

        self._memo[key] = []
        frame = self._frames.get(id(func))
        if frame is None:
            return []

        found: list[Evidence] = [
            (write, (), _is_strong(write, frame))
            for write in frame.writes
            if not _is_bookkeeping(write, frame)
        ]
        if depth > 0:
            for call in frame.calls:
                target = self._resolve(call, frame)
                if target is None or target is func:
                    continue

                for write, via, strong in self._evidence(target, depth - 1):
                    found.append((write, (call, *via), strong))
        self._memo[key] = found
        return found

    # TODO: follow calls into other modules, because only this file is indexed
    def _resolve(self, call: cst.Call, frame: _Frame) -> cst.FunctionDef | None:
        func = call.func
        if isinstance(func, cst.Name):
            return frame.nested.get(func.value) or self._functions.get(
                (None, func.value)
            )

        if isinstance(func, cst.Attribute) and _is_self(func.value):
            return self._functions.get((frame.owner, func.attr.value))
        return None

    def _report_route(
        self,
        route: Route,
        where: cst.CSTNode,
        evidence: list[Evidence],
        methods: list[str],
        lines: dict[int, int],
    ) -> None:
        # A write waiting for a form of the project that the empty body of a
        # GET cannot satisfy is not on the GET path.
        evidence = [
            item
            for item in evidence
            if item[0].form is None
            or not self.ask(_NEEDS_INPUT, item[0].form.rsplit(".", 1)[-1])
        ]
        if not evidence:
            logger.debug(
                "%s: %s writes only once a form with required fields validates"
                " the body; not reported",
                self.context.path,
                route.handler_name,
            )
            return

        strong = [item for item in evidence if item[2]]
        if not strong and not _acts(route):
            logger.debug(
                "%s: %s only writes files or commits; not reported",
                self.context.path,
                route.handler_name,
            )
            return

        first_write, first_via, _ = (strong or evidence)[0]
        line = lines.get(id(first_write.node), 0)
        via = ""
        if first_via:
            via = ", via " + " and ".join(f"{_call_text(call)}()" for call in first_via)
        message = (
            f"{_subject(route, methods)} writes state ({first_write.label} at line"
            f" {line}{via}): {_missing_guard(route)}"
        )

        related = []
        for write, chain, _ in (strong or evidence)[:3]:
            for call in chain:
                related.append(
                    (call, f"calls {_call_text(call)}(), which writes on this path")
                )
            line = lines.get(id(write.node), 0)
            related.append((write.node, f"writes at line {line}: {write.label}(...)"))

        confidence = Level.MEDIUM if strong else Level.LOW
        if _acts(route):
            confidence = Level(min(confidence + 1, Level.HIGH))
        if all(len(chain) > 1 for _, chain, _ in evidence):
            confidence = Level(max(confidence - 1, Level.LOW))
        confidence = min(confidence, route.confidence)
        # A form bound to the empty body of a GET fails ``is_valid()`` when a
        # field is required; the project's forms were read above, and one whose
        # fields come from its model alone is not known to need input.
        # TODO: read the model's fields of a ModelForm, because its Meta.fields
        # may name required ones
        forms = {write.form for write, _, _ in (strong or evidence)}
        if None not in forms:
            confidence = Level.LOW
            message += (
                f"; on GET it runs only if {sorted(forms)[0]}() accepts the empty"
                " body, which needs every field optional"
            )
        severity = Level.MEDIUM if strong else Level.LOW
        self.report(
            where,
            message,
            severity=severity,
            confidence=confidence,
            related=related,
            fix=self._method_fix(route),
        )

    # Fixes.

    def _method_fix(self, route: Route) -> Fix:
        """Return the fix that serves the route on POST only, or advice."""
        handler = route.handler
        if isinstance(handler, cst.FunctionDef) and route.framework == "django":
            return self._require_post_fix(route, handler)

        if isinstance(handler, cst.ClassDef):
            return self._refused(
                Fix("move the write from the GET handler into post() or put()"),
                "class-based views need the write moved by hand",
            )

        decorator = route.node
        call = decorator.decorator if isinstance(decorator, cst.Decorator) else None
        advice = Fix(
            "serve the change on POST (or PUT, PATCH, DELETE) and keep GET free"
            " of writes"
        )
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return self._refused(advice, "the route is not declared by a decorator")

        verb = call.func.attr.value
        if verb == "get" and route.framework in ("flask", "fastapi"):
            owner = dotted_name(call.func.value) or "app"
            description = f"serve the route on POST only: @{owner}.post"
            post = call.func.with_changes(attr=cst.Name("post"))
            new = ((call.func, post),)
            return Fix(f"{description}; {_UNSAFE_FIX}", UNSAFE, new)

        if verb != "route" or route.framework != "flask":
            return self._refused(advice, "the route's methods are not a literal")

        description = 'serve the route on POST only: methods=["POST"]'
        methods = keyword(call, "methods")
        if methods is None:
            return Fix(
                f"{description}; {_UNSAFE_FIX}",
                UNSAFE,
                ((call, lambda node: with_keyword(node, "methods", _post_list())),),
            )

        items = sequence_items(methods.value)
        if items is None or [string_value(i) for i in items] != ["GET"]:
            return self._refused(advice, "the route also serves other methods")

        only = items[0]
        return Fix(
            f"{description}; {_UNSAFE_FIX}",
            UNSAFE,
            ((only, lambda node: node.with_changes(value='"POST"')),),
        )

    def _require_post_fix(self, route: Route, handler: cst.FunctionDef) -> Fix:
        description = f"serve {route.handler_name}() on POST only: @require_POST"
        if route.methods != ALL_METHODS:
            return self._refused(
                Fix(f"{description}, in place of its method decorator"),
                "the view already has a method decorator",
            )

        bound = self.context.bindings.imports.get("require_POST")
        if bound not in (None, REQUIRE_POST):
            return self._refused(
                Fix(description), "the name require_POST means something else"
            )

        module, _, name = REQUIRE_POST.rpartition(".")

        def decorate(node: cst.FunctionDef) -> cst.FunctionDef:
            added = cst.Decorator(decorator=cst.Name(name))
            return node.with_changes(decorators=[*node.decorators, added])

        return Fix(
            f"{description}; {_UNSAFE_FIX}",
            UNSAFE,
            ((handler, decorate),),
            (f"{module}:{name}",),
        )

    def _refused(self, advice: Fix, reason: str) -> Fix:
        logger.info("refused the %s fix in %s: %s", self.id, self.context.path, reason)
        return advice

    # What writes.

    def _find_write(self, call: cst.Call, frame: _Frame) -> _Write | None:
        func = call.func
        if isinstance(func, cst.Name):
            return self._file_write(call, func.value, frame)

        if not isinstance(func, cst.Attribute):
            return None

        method = func.attr.value
        if method not in _WRITE_METHODS:
            return self._repository_write(call, func)

        if method in _FILE_FUNCTION_NAMES or method == "open":
            found = self._file_write(call, method, frame)
            if found is not None:
                return found

            if method not in INSTANCE_WRITES and method not in PATH_METHODS:
                return None

        receiver = func.value
        last = _last_name(receiver).lower()
        label = f"{_call_text(call)}"
        if _starts_from_log(receiver):
            return None

        if method in LAZY_CREATES:
            return _Write(call, label, LAZY)

        if method in MONGO_WRITES or method in DISTINCTIVE_WRITES:
            return _Write(call, label, DATABASE)

        if method in EXECUTE_METHODS:
            first = _argument(call)
            if first is not None and self._is_write_statement(first, frame):
                return _Write(call, label, DATABASE)
            return None

        if method in PATH_METHODS:
            kind = FILE_DELETE if method == "unlink" else FILE_WRITE
            return _Write(call, label, kind)

        if last.endswith(STORAGE_SUFFIX) and method in STORAGE_WRITES:
            kind = FILE_DELETE if "delete" in method else FILE_WRITE
            return _Write(call, label, kind)

        if any(word in last for word in LOOK_ALIKE_RECEIVERS):
            return None

        if dotted_name(receiver) in REQUEST_SESSIONS:
            return None

        # TODO: read an app's own commit helpers, because only session commits are known
        if last in SESSION_RECEIVERS:
            if method in SESSION_WRITES:
                return _Write(call, label, DATABASE)
            if method in SESSION_COMMITS:
                return _Write(call, label, COMMIT, plain=True)

        if method in QUERY_WRITES and _is_query(receiver):
            if method.endswith("update") and _only_bookkeeping_keywords(call):
                return None
            if method.endswith("create") and _records_a_visit(call):
                return None
            return _Write(call, label, DATABASE)

        if method in INSTANCE_WRITES and not _positional(call):
            if _is_false(keyword(call, NO_COMMIT)):
                return None
            fields = keyword(call, "update_fields")
            if fields is not None and _only_bookkeeping_fields(fields.value):
                return None
            return _Write(call, label, DATABASE, plain=method.endswith("save"))
        return None

    def _repository_write(self, call: cst.Call, func: cst.Attribute) -> _Write | None:
        """``Chats.delete_chat_by_id(...)``: a data-access class named for a write."""
        receiver = func.value
        if not isinstance(receiver, cst.Name) or not receiver.value[:1].isupper():
            return None

        words = func.attr.value.split("_")
        if len(words) < 2 or words[0] not in REPOSITORY_VERBS:
            return None

        if any(_is_bookkeeping_field(word) for word in words[1:]) or (
            "_".join(words[1:3]) in BOOKKEEPING
        ):
            return None
        return _Write(call, _call_text(call), REPOSITORY)

    def _file_write(self, call: cst.Call, name: str, frame: _Frame) -> _Write | None:
        qualname = self.context.qualname(call.func) or dotted_name(call.func) or name
        if qualname in FILE_FUNCTIONS:
            if _mentions_scratch(call, frame):
                return None
            kind = FILE_WRITE if "copy" in qualname else FILE_DELETE
            return _Write(call, qualname, kind)

        if qualname not in OPENERS and not (
            name == "open" and isinstance(call.func, cst.Attribute)
        ):
            return None

        mode_arg = keyword(call, "mode")
        if mode_arg is not None:
            mode = string_value(mode_arg.value)
        else:
            positional = _positional(call)
            index = 1 if qualname in OPENERS else 0
            mode = string_value(positional[index]) if len(positional) > index else None
        if mode is None or not _MODE.match(mode):
            return None

        if not any(letter in mode for letter in WRITE_MODES):
            return None

        if _mentions_scratch(call, frame):
            return None
        return _Write(call, f'{_call_text(call)}(..., "{mode}")', FILE_WRITE)

    def _is_write_statement(self, node: cst.BaseExpression, frame: _Frame) -> bool:
        """Tell whether an executed argument changes data: SQL text or a statement."""
        if isinstance(node, cst.Name):
            return node.value in frame.statements

        text = _leading_text(node)
        if text is not None:
            return bool(SQL_WRITE.match(text))

        # Walk a chain such as ``update(User).where(...).values(...)``.
        while isinstance(node, (cst.Call, cst.Attribute)):
            if isinstance(node, cst.Attribute):
                node = node.value
                continue

            func = node.func
            name = self.context.qualname(func) or dotted_name(func) or ""
            if name in SQL_WRAPPERS:
                first = _argument(node)
                text = _leading_text(first) if first is not None else None
                return bool(text and SQL_WRITE.match(text))

            last = name.rsplit(".", 1)[-1]
            if last in STATEMENT_FUNCTIONS:
                if isinstance(func, cst.Name):
                    return name.startswith(STATEMENT_MODULES)
                # ``users.insert()``, ``Model.__table__.delete()``, ``sa.update(...)``
                return True
            node = func
        return False

    def _may_be_helper(self, call: cst.Call, frame: _Frame) -> bool:
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            return name in frame.nested or (None, name) in self._functions

        return (
            isinstance(func, cst.Attribute)
            and _is_self(func.value)
            and (frame.owner, func.attr.value) in self._functions
        )

    # Writes that are not the user's action.

    def _is_repair(self, write: _Write, frame: _Frame) -> bool:
        """Tell whether a write removes dangling rows or ends the own session."""
        func = write.node.func
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if receiver is not None:
            if isinstance(receiver, cst.Name) and receiver.value in frame.own_rows:
                return True

            if self._session_key_possible and _mentions_session_key(receiver):
                return True

            if self._orphans_possible and _is_orphan_query(receiver):
                return True

        method = func.attr.value if isinstance(func, cst.Attribute) else None
        for parent, child in self._enclosing(frame):
            if method in DUPLICATE_DELETES and _handles(
                parent, child, DUPLICATE_ERRORS
            ):
                return True

            if not isinstance(parent, cst.For) or child is not parent.body:
                continue

            rows = parent.iter
            if isinstance(rows, cst.Name) and rows.value in frame.orphans:
                return True
        return False

    def _creates_lazily(self, write: _Write, frame: _Frame) -> bool:
        """Tell whether a write creates what was missing, or issues a token.

        ``if profile is None: profile = Profile(...); profile.save()`` fills in
        a default; ``token = LoginToken(); db.session.add(token)`` hands the
        requester a new token, as a session would.
        """
        func = write.node.func
        receiver = func.value if isinstance(func, cst.Attribute) else None
        first = _argument(write.node)
        for node in (receiver, first):
            if isinstance(node, cst.Name) and node.value in frame.issued:
                return True

        method = func.attr.value if isinstance(func, cst.Attribute) else None
        for parent, child in self._enclosing(frame):
            if method in MISSING_CREATES and _handles(parent, child, MISSING_ERRORS):
                return True

            if not isinstance(parent, cst.If) or child is not parent.body:
                continue

            name = _missing_name(parent.test)
            if name is not None and assigns_name(suite_statements(parent.body), name):
                return True
        return False

    def _waiting_form(self, frame: _Frame) -> str | None:
        """Return the body-bound form whose ``is_valid()`` guards the visited node."""
        if not frame.bound_to_body:
            return None

        for parent, child in self._enclosing(frame):
            if not isinstance(parent, cst.If) or child is not parent.body:
                continue

            for item in (parent.test, *descendants(parent.test)):
                if (
                    isinstance(item, cst.Call)
                    and isinstance(item.func, cst.Attribute)
                    and item.func.attr.value in BOUND_CHECKS
                    and isinstance(item.func.value, cst.Name)
                    and item.func.value.value in frame.bound_to_body
                ):
                    value = frame.values.get(item.func.value.value)
                    if isinstance(value, cst.Call):
                        return _call_text(value)
        return None

    def _enclosing(self, frame: _Frame) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
        """Yield (parent, child) pairs from the visited node up to the function."""
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 1, 0, -1):
            parent = ancestors[index - 1]
            if parent is frame.node:
                return

            yield parent, ancestors[index]

    def _reads_session(self, node: cst.BaseExpression) -> bool:
        """Tell whether an expression reads Django's or Flask's session."""
        for item in (node, *descendants(node)):
            if isinstance(item, cst.Attribute):
                if item.attr.value == "session" and _is_request(item.value):
                    return True
            elif (
                isinstance(item, cst.Name)
                and self.context.qualname(item) == "flask.session"
            ):
                return True
        return False

    def _is_body_value(self, value: cst.BaseExpression, frame: _Frame) -> bool:
        """Tell whether a value is computed from the request body alone.

        Module names may take part; parameters, other locals, other parts of
        the request and defaults (``form.get("x", "all")``) may not.
        """
        found = False
        stack: list[cst.CSTNode] = [value]
        while stack:
            node = stack.pop()
            if _is_body_read(node):
                found = True
            elif isinstance(node, cst.Name):
                name = node.value
                if name in frame.body_names:
                    found = True
                elif name in frame.local_names or _is_request(node):
                    return False
            elif isinstance(node, cst.Attribute):
                stack.append(node.value)
            elif isinstance(node, cst.Call):
                if _has_default(node):
                    return False
                stack.append(node.func)
                stack.extend(arg.value for arg in node.args)
            elif isinstance(node, _OPAQUE) or (
                isinstance(node, cst.BooleanOperation)
                and isinstance(node.operator, cst.Or)
            ):
                return False
            else:
                stack.extend(node.children)
        return found

    def _note_target(self, frame: _Frame, target: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Attribute) or _is_self(target.value):
            return

        # A change made only for POST is not what a commit on GET stores, and
        # filling in a token just issued changes nothing that existed.
        base = target.value
        if isinstance(base, cst.Name) and base.value in frame.issued:
            return

        if not self._reaches_get(frame):
            return

        if _is_bookkeeping_field(target.attr.value):
            frame.bookkeeping += 1
        else:
            frame.changes += 1

    # Method checks.

    def _reaches_get(self, frame: _Frame) -> bool:
        """Tell whether a GET request can reach the node being visited."""
        methods = frame.after
        if "GET" not in methods:
            return False

        for parent, child in self._enclosing(frame):
            if not isinstance(parent, cst.If):
                continue

            if child is parent.body:
                methods = methods & self._method_sets(parent.test, frame)[0]
            elif child is parent.orelse:
                methods = methods & self._method_sets(parent.test, frame)[1]
            if "GET" not in methods:
                return False
        return True

    def _method_sets(
        self, test: cst.BaseExpression, frame: _Frame
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Return the methods for which ``test`` may be true, and may be false."""
        if isinstance(test, cst.Await):
            test = test.expression

        if isinstance(test, cst.Name):
            if test.value in frame.empty_on_get:
                return UNSAFE_METHODS, ALL_METHODS
            return frame.flags.get(test.value, (ALL_METHODS, ALL_METHODS))

        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            true_set, false_set = self._method_sets(test.expression, frame)
            return false_set, true_set

        if isinstance(test, cst.BooleanOperation):
            left = self._method_sets(test.left, frame)
            right = self._method_sets(test.right, frame)
            if isinstance(test.operator, cst.And):
                return left[0] & right[0], left[1] | right[1]
            return left[0] | right[0], left[1] & right[1]

        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            tested = _none_test(test)
            if tested is not None and tested[0] in frame.empty_on_get:
                if tested[1]:
                    return ALL_METHODS, UNSAFE_METHODS
                return UNSAFE_METHODS, ALL_METHODS
            return _comparison_sets(test)

        if _is_body_read(test) or (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Attribute)
            and test.func.attr.value in UNSAFE_CALLS
        ):
            return UNSAFE_METHODS, ALL_METHODS

        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Attribute)
            and test.func.attr.value in BOUND_CHECKS
            and isinstance(test.func.value, cst.Name)
            and test.func.value.value in frame.unbound_on_get
        ):
            return UNSAFE_METHODS, ALL_METHODS
        return ALL_METHODS, ALL_METHODS


def _post_list() -> cst.List:
    return cst.List([cst.Element(cst.SimpleString('"POST"'))])


def _comparison_sets(test: cst.Comparison) -> tuple[frozenset[str], frozenset[str]]:
    target = test.comparisons[0]
    left, right = test.left, target.comparator
    if isinstance(right, cst.Attribute) and right.attr.value in BODY_ATTRIBUTES:
        # ``"save" in request.POST``: only a request with a body has the key.
        if _is_request(right.value) and isinstance(target.operator, cst.In):
            return UNSAFE_METHODS, ALL_METHODS
        return ALL_METHODS, ALL_METHODS

    if _is_method(right):
        left, right = right, left
    if not _is_method(left):
        return ALL_METHODS, ALL_METHODS

    if isinstance(right, (cst.List, cst.Tuple, cst.Set)):
        values = [string_value(element.value) for element in right.elements]
    else:
        values = [string_value(right)]
    if any(value is None for value in values):
        return ALL_METHODS, ALL_METHODS

    named = frozenset(value.upper() for value in values if value is not None)
    operator = target.operator
    if isinstance(operator, (cst.Equal, cst.In, cst.Is)):
        return named, ALL_METHODS - named
    if isinstance(operator, (cst.NotEqual, cst.NotIn, cst.IsNot)):
        return ALL_METHODS - named, named
    return ALL_METHODS, ALL_METHODS


def _is_method(node: cst.BaseExpression) -> bool:
    """Tell whether ``node`` is ``request.method``, maybe upper- or lower-cased."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("upper", "lower")
    ):
        node = node.func.value
    return (
        isinstance(node, cst.Attribute)
        and node.attr.value == METHOD_ATTRIBUTE
        and _is_request(node.value)
    )


def _is_request(node: cst.BaseExpression) -> bool:
    name = dotted_name(node)
    return name is not None and name.rsplit(".", 1)[-1].lower().endswith(REQUEST_NAMES)


def _is_get_action(func: cst.FunctionDef, context) -> bool:
    for decorator in func.decorators:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        name = context.qualname(call.func if call else expr) or ""
        if not name.startswith("rest_framework.decorators."):
            continue

        methods = keyword(call, "methods") if call else None
        if methods is None:
            return True

        values = [string_value(e.value) for e in getattr(methods.value, "elements", ())]
        return any((value or "").upper() == "GET" for value in values)
    return False


def _is_strong(write: _Write, frame: _Frame) -> bool:
    """Tell whether a write is evidence on its own.

    A commit is, once the same function has changed an object's attributes.
    """
    if write.kind == COMMIT:
        return frame.changes > 0
    return write.kind not in _WEAK


def _is_bookkeeping(write: _Write, frame: _Frame) -> bool:
    """Tell whether a bare save or commit only stores visit bookkeeping."""
    return write.plain and frame.bookkeeping > 0 and frame.changes == 0


def _is_query(receiver: cst.BaseExpression) -> bool:
    if isinstance(receiver, cst.Name):
        return receiver.value.lower().endswith(QUERY_NAME_SUFFIXES)

    node = receiver
    while True:
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in QUERY_CALLS:
                return True
            node = func
        elif isinstance(node, cst.Attribute):
            if node.attr.value in QUERY_ATTRIBUTES:
                return True
            node = node.value
        elif isinstance(node, cst.Await):
            node = node.expression
        else:
            return False


def _is_bookkeeping_field(name: str) -> bool:
    return (
        name in BOOKKEEPING
        or name.startswith(BOOKKEEPING_PREFIXES)
        or name.endswith(BOOKKEEPING_SUFFIXES)
    )


def _only_bookkeeping_keywords(call: cst.Call) -> bool:
    names = [arg.keyword.value for arg in call.args if arg.keyword is not None]
    return (
        bool(names)
        and len(names) == len(call.args)
        and all(_is_bookkeeping_field(name) for name in names)
    )


def _records_a_visit(call: cst.Call) -> bool:
    """Tell whether a ``create(...)`` records a visit: it sets a bookkeeping
    field (``last_seen_at=now()``) and otherwise only names who and what,
    objects already in hand (``user=request.user, page=page``), as a record
    of who has a page open does."""
    keywords = [arg for arg in call.args if arg.keyword is not None]
    if len(keywords) != len(call.args) or not any(
        _is_bookkeeping_field(arg.keyword.value) for arg in keywords
    ):
        return False

    for arg in keywords:
        if _is_bookkeeping_field(arg.keyword.value):
            continue

        value = arg.value
        if not isinstance(value, (cst.Name, cst.Attribute)) or (
            isinstance(value, cst.Name) and value.value in ("True", "False", "None")
        ):
            return False

        # Of the request, only the user is an object in hand.
        text = dotted_name(value) or ""
        head = text.removeprefix("self.").split(".")[0]
        if head == "request" and text.removeprefix("self.") != "request.user":
            return False
    return True


def _only_bookkeeping_fields(node: cst.BaseExpression) -> bool:
    elements = getattr(node, "elements", None)
    if not elements:
        return False

    values = [string_value(element.value) for element in elements]
    return all(value is not None and _is_bookkeeping_field(value) for value in values)


def _starts_from_log(receiver: cst.BaseExpression) -> bool:
    """Tell whether a call chain starts from a name such as ``AuditLog``."""
    node = receiver
    while not isinstance(node, cst.Name):
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, (cst.Subscript, cst.Await)):
            node = node.value if isinstance(node, cst.Subscript) else node.expression
        else:
            return False
    return any(word.lower() in LOG_WORDS for word in _WORD.findall(node.value))


def _takes_token(func: cst.FunctionDef) -> bool:
    """Tell whether the link carries a secret: a token or signature parameter."""
    params = func.params
    return any(
        _is_token_name(param.name.value)
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    )


def _is_token_name(name: str) -> bool:
    """Tell whether a parameter, key or header name holds a secret."""
    name = name.lower()
    words = set(re.split(r"[\W_]+", name))
    if words & CURSOR_WORDS:
        return False
    return name in TOKEN_NAMES or bool(TOKEN_WORDS & words)


def _checks_secret(call: cst.Call) -> bool:
    """Tell whether a call checks a secret, or reads one the client sent."""
    func = call.func
    name = _last_name(func)
    if name in TOKEN_CHECKS:
        return True

    words = set(name.lower().split("_"))
    if words & CHECK_WORDS and words & TOKEN_WORDS:
        return True

    if name != "get" or not isinstance(func, cst.Attribute):
        return False

    first = _argument(call)
    key = string_value(first) if first is not None else None
    return key is not None and _is_token_source(func.value) and _is_token_name(key)


def _is_token_source(node: cst.BaseExpression) -> bool:
    """Tell whether values read from ``node`` come from the link or headers."""
    if dotted_name(node) in URL_KWARGS:
        return True

    return (
        isinstance(node, cst.Attribute)
        and node.attr.value in TOKEN_SOURCES
        and _is_request(node.value)
    )


def _reads_link(node: cst.BaseExpression, frame: _Frame) -> bool:
    """Tell whether a value comes from the query string, maybe through a local."""
    values = [node]
    if isinstance(node, cst.Name) and node.value in frame.values:
        values.append(frame.values[node.value])
    for value in values:
        for item in (value, *descendants(value)):
            if (
                isinstance(item, cst.Attribute)
                and item.attr.value in LINK_SOURCES
                and _is_request(item.value)
            ):
                return True
    return False


def _is_body_read(node: cst.CSTNode) -> bool:
    """``request.form``, ``request.POST``, ``request.get_json()``: the body."""
    if isinstance(node, cst.Attribute):
        return node.attr.value in BODY_ATTRIBUTES and _is_request(node.value)

    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in BODY_CALLS and _is_request(node.func.value)
    return False


def _is_fetched(value: cst.BaseExpression, frame: _Frame) -> bool:
    """Tell whether a value is read or fetched, so empty input gives nothing."""
    if isinstance(value, cst.Await):
        value = value.expression

    if isinstance(value, cst.Name):
        return value.value in frame.empty_on_get

    if isinstance(value, (cst.Subscript, cst.Attribute)) or _is_body_read(value):
        return True

    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in FETCH_CALLS
    )


def _has_default(call: cst.Call) -> bool:
    """``form.get("mode", "all")``: a default stands in for a missing value."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("get", "pop"):
        return False

    positional = _positional(call)
    if len(positional) > 1:
        default = positional[1]
    else:
        given = keyword(call, "default")
        if given is None:
            return False
        default = given.value

    # ``form.get("title", None)`` is as empty as ``form.get("title")``.
    return not _is_empty_literal(default)


def _is_empty_literal(node: cst.BaseExpression) -> bool:
    """``None``, ``False``, ``0``, ``""`` or an empty list, tuple or dict."""
    if isinstance(node, cst.Name):
        return node.value in ("None", "False")

    if isinstance(node, (cst.List, cst.Tuple, cst.Dict)):
        return not node.elements

    if isinstance(node, cst.Integer):
        return node.value == "0"
    return string_value(node) == ""


def _is_bound_to_body(value: cst.BaseExpression, alone: bool = False) -> bool:
    """``EditForm(request.POST or None, ...)``: a form left unbound on GET.

    With ``alone``, ``EditForm(request.POST, ...)`` instead: a form bound to the
    body, which is empty on GET.
    """
    if not isinstance(value, cst.Call):
        return False

    data = keyword(value, "data")
    positional = _positional(value)
    if data is not None:
        first = data.value
    elif positional:
        first = positional[0]
    else:
        return False

    if alone:
        return isinstance(first, cst.Attribute) and _is_body_read(first)

    return (
        isinstance(first, cst.BooleanOperation)
        and isinstance(first.operator, cst.Or)
        and _is_body_read(first.left)
        and _is_none(first.right)
    )


def _missing_name(test: cst.BaseExpression) -> str | None:
    """Return ``x`` for the tests ``not x``, ``x is None`` and ``x == None``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        return inner.value if isinstance(inner, cst.Name) else None

    tested = _none_test(test) if isinstance(test, cst.Comparison) else None
    if tested is not None and tested[1]:
        return tested[0]
    return None


def _none_test(test: cst.Comparison) -> tuple[str, bool] | None:
    """Return ``(x, True)`` for ``x is None`` or ``x == None``, ``False`` negated."""
    if len(test.comparisons) != 1 or not isinstance(test.left, cst.Name):
        return None

    target = test.comparisons[0]
    if not _is_none(target.comparator):
        return None

    if isinstance(target.operator, (cst.Is, cst.Equal)):
        return test.left.value, True
    if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
        return test.left.value, False
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_orphan_query(node: cst.BaseExpression) -> bool:
    """Tell whether a query outer-joins and keeps rows whose joined row is None."""
    outer = null = False
    for item in (node, *descendants(node)):
        if isinstance(item, cst.Call):
            name = _last_name(item.func)
            joined = keyword(item, OUTER_JOIN_KEYWORD)
            if name in OUTER_JOINS or (joined is not None and is_true(joined.value)):
                outer = True
            elif name in NULL_TESTS and any(_is_none(arg.value) for arg in item.args):
                null = True
        elif isinstance(item, cst.Comparison) and len(item.comparisons) == 1:
            target = item.comparisons[0]
            if isinstance(target.operator, (cst.Equal, cst.Is)):
                null = null or _is_none(target.comparator)
    return outer and null


def _handles(
    parent: cst.CSTNode, child: cst.CSTNode, errors: frozenset[str]
) -> bool:
    """Tell whether ``child`` is the body of an ``except`` clause that catches
    one of ``errors``."""
    return (
        isinstance(parent, cst.ExceptHandler)
        and child is parent.body
        and _catches(parent, errors)
    )


def _catches(handler: cst.ExceptHandler, errors: frozenset[str]) -> bool:
    """Tell whether an ``except`` clause catches one of ``errors``, by last name."""
    caught = handler.type
    if caught is None:
        return False

    items = caught.elements if isinstance(caught, cst.Tuple) else [caught]
    names = (item.value if isinstance(item, cst.Element) else item for item in items)
    return any(_last_name(name) in errors for name in names)


def _mentions_session_key(node: cst.BaseExpression) -> bool:
    return any(
        isinstance(item, cst.Attribute) and item.attr.value == SESSION_KEY
        for item in (node, *descendants(node))
    )


def _is_token_object(value: cst.BaseExpression) -> bool:
    """``RemoteAuthToken()``: a new object of a class named for a token."""
    if not isinstance(value, cst.Call):
        return False

    name = _last_name(value.func)
    words = {word.lower() for word in _WORD.findall(name)}
    return name[:1].isupper() and bool(words & TOKEN_WORDS)


def _positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [arg.value for arg in call.args if arg.keyword is None and not arg.star]


def _argument(call: cst.Call) -> cst.BaseExpression | None:
    positional = _positional(call)
    return positional[0] if positional else None


def _is_false(arg: cst.Arg | None) -> bool:
    return (
        arg is not None
        and isinstance(arg.value, cst.Name)
        and (arg.value.value == "False")
    )


def _is_self(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("self", "cls")


def _leading_text(node: cst.BaseExpression) -> str | None:
    """Return the literal text a string expression starts with, if it is one."""
    if isinstance(node, cst.ConcatenatedString):
        return _leading_text(node.left)

    if isinstance(node, cst.FormattedString):
        parts = node.parts
        if parts and isinstance(parts[0], cst.FormattedStringText):
            return parts[0].value
        return ""

    return string_value(node)


def _mentions_scratch(call: cst.Call, frame: _Frame) -> bool:
    """Tell whether the path a call writes names scratch space or a cache.

    A local name is followed to the value it was last given.
    """
    if not call.args:
        return False

    nodes: list[cst.CSTNode] = [call.args[0].value]
    seen = 0
    # A bound on the nodes read: ``path = path + suffix`` refers to itself.
    while nodes and seen < 50:
        node = nodes.pop()
        seen += 1
        if isinstance(node, cst.Name):
            text = node.value
            value = frame.values.get(text)
            if value is not None:
                nodes.append(value)
        elif isinstance(node, cst.Attribute):
            text = node.attr.value
            nodes.append(node.value)
        else:
            text = string_value(node) or ""
            if isinstance(node, cst.FormattedStringText):
                text = node.value
            nodes.extend(node.children)
        if any(word.lower() in SCRATCH_WORDS for word in _WORD.findall(text)):
            return True
    return False


def _last_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Call):
        return _last_name(node.func)
    if isinstance(node, cst.Subscript):
        return _last_name(node.value)
    if isinstance(node, cst.Await):
        return _last_name(node.expression)
    return ""


def _call_text(node: cst.CSTNode) -> str:
    """Return a short spelling of a call target, ``Post.objects.filter(...).delete``."""
    if isinstance(node, cst.Call):
        node = node.func
    parts = []
    while True:
        if isinstance(node, cst.Name):
            parts.append(node.value)
            break
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call):
            parts.append("(...)")
            node = node.func
        elif isinstance(node, cst.Subscript):
            parts.append("[...]")
            node = node.value
        elif isinstance(node, cst.Await):
            node = node.expression
        else:
            parts.append("...")
            break
    text = ""
    for part in reversed(parts):
        text += part if part.startswith(("(", "[")) or not text else "." + part
    return text


def _exits(body: cst.BaseSuite) -> bool:
    """Tell whether a block ends by returning, raising or aborting."""
    statements = suite_statements(body)
    if not statements or not isinstance(statements[-1], cst.SimpleStatementLine):
        return False

    last = statements[-1].body[-1]
    if isinstance(last, (cst.Return, cst.Raise)):
        return True

    if isinstance(last, cst.Expr) and isinstance(last.value, cst.Call):
        return _call_text(last.value.func).rsplit(".", 1)[-1] in ABORTS
    return False


def _subject(route: Route, methods: list[str]) -> str:
    name = route.handler_name or "the view"
    if isinstance(route.handler, cst.ClassDef):
        shown = ", ".join(f"{name}.{method}()" for method in methods)
        return f"GET {route.path} ({shown})" if route.path else f"GET {shown}"

    return f"GET {route.path}" if route.path else f"GET {name}()"


def _missing_guard(route: Route) -> str:
    handler = route.handler
    if isinstance(handler, cst.ClassDef):
        return "the write is in a GET handler; move it to post() or another method"

    if route.framework == "flask":
        if route.methods == frozenset({"GET"}):
            return 'no methods=["POST"], no request.method check'
        listed = ", ".join(sorted(route.methods))
        return f"methods include GET ({listed}), no request.method check"

    if route.framework in ("fastapi", "starlette"):
        if route.methods == frozenset({"GET"}):
            return "declared for GET, no request.method check"
        return "its methods include GET, no request.method check"

    if route.framework == "drf":
        return "@api_view allows GET, no request.method check"

    if route.methods < ALL_METHODS:
        listed = ", ".join(sorted(route.methods))
        return f"its method decorator allows GET ({listed}), no request.method check"

    return "no require_POST or require_http_methods, no request.method check"


def _acts(route: Route) -> bool:
    """Tell whether the route's path or handler name says it acts on something."""
    text = f"{route.path or ''} {route.handler_name or ''}"
    return any(word.lower() in ACTING_WORDS for word in _WORD.findall(text))
