"""AHL501 cors-allows-any-origin."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from api_hardening_lint.nodes import (
    assigns_name,
    dotted_name,
    environ_words,
    header_writes,
    is_true,
    os_is_free,
    sequence_items,
    string_keyed_items,
    string_value,
    with_value,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import UNSAFE, Fix, Level, Rule

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

logger = logging.getLogger(__name__)

_FACTS = knowledge("cors")
_FLASK = _FACTS["flask_cors"]
_STARLETTE = _FACTS["starlette"]
_DJANGO = _FACTS["django"]
_HEADERS = _FACTS["headers"]

FLASK_EXTENSION = frozenset(_FLASK["extension"])
FLASK_DECORATOR = frozenset(_FLASK["decorator"])
FLASK_CONFIG_KEYS = tuple(key.encode() for key in _FLASK["config_keys"])
FLASK_REGEX_CHARS = tuple(_FLASK["regex_chars"])
MIDDLEWARE = frozenset(_STARLETTE["middleware"])
DJANGO_ALLOW_ALL = frozenset(_DJANGO["allow_all"])
DJANGO_REGEXES = frozenset(_DJANGO["regexes"])
DJANGO_CREDENTIALS = frozenset(_DJANGO["credentials"])
PROBE_ORIGINS = tuple(_FACTS["regex"]["probe_origins"])
ALLOW_ORIGIN = _HEADERS["allow_origin"]
ALLOW_CREDENTIALS = _HEADERS["allow_credentials"]
ANY_ORIGIN = _HEADERS["any_origin"]
NULL_ORIGIN = _HEADERS["null_origin"]
APP_WIDE_DECORATORS = frozenset(_HEADERS["app_wide_decorators"])
APP_WIDE_FUNCTIONS = frozenset(_HEADERS["app_wide_functions"])
_ERROR_STATUS_NAME = re.compile(r"HTTP_[45]\d\d")
_LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.List,
    cst.Tuple,
    cst.Set,
    cst.Dict,
)

_HEADER_ANY = 'Access-Control-Allow-Origin is set to "*"'
_HEADER_NULL = 'Access-Control-Allow-Origin is set to "null"'
_READ = "any site can read the responses"
# Where fixed code reads the trusted origins from: a space-separated list.
ORIGINS_VARIABLE = "CORS_ALLOWED_ORIGINS"
# The setting that lists origins, for each django-cors-headers allow-all switch
# (the old names go together).
_DJANGO_LISTS = {
    "CORS_ALLOW_ALL_ORIGINS": "CORS_ALLOWED_ORIGINS",
    "CORS_ORIGIN_ALLOW_ALL": "CORS_ORIGIN_WHITELIST",
}
_ORIGINS_FIX = (
    f"read the trusted origins from the {ORIGINS_VARIABLE} environment variable,"
    " separated by spaces"
)
_ORIGINS_UNSAFE = (
    "cross-origin requests fail until it lists every site that calls the API"
)
_COOKIES = (
    "any site can make requests that carry the user's cookies and read the answers"
)


def matches_every_origin(pattern: str, *, full: bool) -> bool:
    """Tell whether an origin regex accepts origins no project would trust."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error:
        logger.info("origin pattern %r does not compile; not judged", pattern)
        return False

    match = compiled.fullmatch if full else compiled.match
    return all(match(origin) for origin in PROBE_ORIGINS)


def allows_credentials_header(name: str, value: cst.BaseExpression) -> bool:
    """Tell whether a header write is ``Access-Control-Allow-Credentials: true``."""
    if name.lower() != ALLOW_CREDENTIALS:
        return False

    text = string_value(value)
    return is_true(value) or (text is not None and text.strip().lower() == "true")


def _keywords(args: list[cst.Arg]) -> dict[str, cst.Arg]:
    # The last of repeated keywords wins, as when init_app overrides the constructor.
    return {arg.keyword.value: arg for arg in args if arg.keyword is not None}


def _has_splat(args: list[cst.Arg]) -> bool:
    return any(arg.star == "**" for arg in args)


@dataclass
class _Scope:
    """A function body (or the module) and what was written in it."""

    app_wide: bool = False
    credentials: bool = False
    values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    headers: list[tuple[cst.CSTNode, str, bool]] = field(default_factory=list)


class CorsAllowsAnyOrigin(Rule):
    id = "AHL501"
    triggers = (
        b"CORS",
        b"cross_origin",
        b"Allow-Origin",
        b"allow-origin",
        b"ALLOW-ORIGIN",
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._scopes = [_Scope()]
        self._deferred: dict[str, cst.Call] = {}
        self._strings: dict[str, str] = {}
        self._reported: set[int] = set()
        self._settings: list[tuple[cst.CSTNode, str]] = []
        self._settings_credentials = False
        # Tests build throwaway apps with whatever CORS policy they exercise.
        self._off = context.is_test_file
        self._config_may_set_origins = any(
            key in context.source for key in FLASK_CONFIG_KEYS
        )

    # Scopes

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(_Scope(app_wide=_runs_for_every_response(node)))

    def leave_FunctionDef(self, _node: cst.FunctionDef) -> None:
        self._flush_headers(self._scopes.pop())

    def leave_Module(self, _node: cst.Module) -> None:
        self._flush_headers(self._scopes[0])
        severity = Level.HIGH if self._settings_credentials else Level.MEDIUM
        for node, what in self._settings:
            if self._settings_credentials:
                message = f"{what}, with CORS_ALLOW_CREDENTIALS = True: {_COOKIES}"
            else:
                message = f"{what}: {_READ}"
            self.report(node, message, severity=severity, fix=self._django_fix(node))

    # Visitors

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._off:
            return

        self._remember(node.targets, node.value)
        self._check_header_writes(node)
        if len(self.context.ancestors) == 2:
            for assign_target in node.targets:
                if isinstance(assign_target.target, cst.Name):
                    self._check_django_setting(node, assign_target.target.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._off or node.value is None:
            return

        self._remember([cst.AssignTarget(node.target)], node.value)

    def visit_Return(self, node: cst.Return) -> None:
        if self._off:
            return

        self._check_header_writes(node)

    def visit_Call(self, node: cst.Call) -> None:
        if self._off:
            return

        qualname = self.context.qualname(node.func)
        if qualname in FLASK_EXTENSION:
            if _has_app(node):
                self._check_flask_cors(node, list(node.args), "CORS()", resources=True)
            return

        if qualname in FLASK_DECORATOR:
            self._check_flask_cors(
                node, list(node.args), "cross_origin()", resources=False
            )
            return

        if qualname in MIDDLEWARE or self._first_positional_is_middleware(node):
            self._check_middleware(node)
            return

        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "init_app":
            self._check_init_app(node)
            return

        self._check_header_writes(node)

    # flask-cors

    def _check_init_app(self, node: cst.Call) -> None:
        receiver = node.func.value
        if self.context.instance_of(receiver) not in FLASK_EXTENSION:
            return

        constructor = (
            self._deferred.get(receiver.value)
            if isinstance(receiver, cst.Name)
            else None
        )
        args = [*(constructor.args if constructor is not None else ()), *node.args]
        self._check_flask_cors(node, args, "CORS.init_app()", resources=True)

    def _check_flask_cors(
        self, call: cst.Call, args: list[cst.Arg], label: str, *, resources: bool
    ) -> None:
        options = _keywords(args)
        credentials = is_true(self._value(options, _FLASK["credentials_keyword"]))
        origins = options.get(_FLASK["origins_keyword"])
        if origins is not None:
            top = "all" if self._flask_allows_all(origins.value) else "listed"
        elif _has_splat(args):
            # The origins may be in the unpacked options.
            return
        else:
            top = "default"

        inherit_credentials = credentials
        if resources:
            inherit_credentials = self._check_flask_resources(
                options, label, credentials
            )
        if inherit_credentials is None:
            return

        if top == "all":
            self._report_flask(origins, label, inherit_credentials, Level.HIGH)
        elif top == "default" and not self._config_may_set_origins:
            self._report_flask(call, label, inherit_credentials, Level.MEDIUM)

    def _check_flask_resources(
        self, options: dict[str, cst.Arg], label: str, credentials: bool
    ) -> bool | None:
        """Report resources that allow all; return the credentials of those
        that inherit the top-level origins, or None if none inherit them."""
        table = self._literal(self._value(options, _FLASK["resources_keyword"]))
        if not isinstance(table, cst.Dict):
            return credentials

        inheriting: bool | None = None
        for element in table.elements:
            resource = (
                self._literal(element.value)
                if isinstance(element, cst.DictElement)
                else None
            )
            if not isinstance(resource, cst.Dict):
                inheriting = bool(inheriting) or credentials
                continue

            entries = dict(string_keyed_items(resource))
            own = entries.get(_FLASK["credentials_keyword"])
            allows_credentials = is_true(own.value) if own is not None else credentials
            origins = entries.get(_FLASK["origins_keyword"])
            if origins is None:
                inheriting = bool(inheriting) or allows_credentials
            elif self._flask_allows_all(origins.value):
                self._report_flask(origins, label, allows_credentials, Level.HIGH)
        return inheriting

    def _flask_allows_all(self, value: cst.BaseExpression) -> bool:
        for text in self._strings_in(value):
            if text.strip() == ANY_ORIGIN:
                return True

            if any(char in text for char in FLASK_REGEX_CHARS) and matches_every_origin(
                text, full=False
            ):
                return True
        return False

    def _report_flask(
        self, node: cst.CSTNode, label: str, credentials: bool, confidence: Level
    ) -> None:
        if isinstance(node, cst.Call):
            what = (
                f"flask-cors {label} is given no origins, so it allows every origin"
                " (unless the app config sets CORS_ORIGINS)"
            )
        else:
            what = f"flask-cors {label} allows every origin"
        if credentials:
            message = f"{what} and sends credentials: {_COOKIES}"
        else:
            message = f"{what}: {_READ}"
        fix = None
        if isinstance(node, (cst.Arg, cst.DictElement)):
            fix = self._origins_fix(node)
        self._report_once(
            node,
            message,
            severity=Level.HIGH if credentials else Level.MEDIUM,
            confidence=confidence,
            fix=fix,
        )

    # Starlette and FastAPI

    def _first_positional_is_middleware(self, node: cst.Call) -> bool:
        for arg in node.args:
            if arg.keyword is None and not arg.star:
                return self.context.qualname(arg.value) in MIDDLEWARE
        return False

    def _check_middleware(self, node: cst.Call) -> None:
        options = _keywords(list(node.args))
        credentials = is_true(self._value(options, _STARLETTE["credentials_keyword"]))
        if credentials:
            tail = f" and sends credentials: {_COOKIES}"
        else:
            tail = f": {_READ}"
        severity = Level.HIGH if credentials else Level.MEDIUM

        origins = options.get(_STARLETTE["origins_keyword"])
        if origins is not None and ANY_ORIGIN in self._strings_in(origins.value):
            self._report_once(
                origins,
                "CORSMiddleware allows every origin" + tail,
                severity=severity,
                fix=self._origins_fix(origins),
            )

        regex = options.get(_STARLETTE["regex_keyword"])
        pattern = (
            string_value(self._literal(regex.value)) if regex is not None else None
        )
        if pattern is not None and matches_every_origin(pattern, full=True):
            self._report_once(
                regex,
                f"CORSMiddleware allow_origin_regex {pattern!r} matches every origin"
                + tail,
                severity=severity,
            )

    # django-cors-headers

    def _check_django_setting(self, node: cst.Assign, name: str) -> None:
        # TODO: see CORS_ALLOW_CREDENTIALS set in another settings module, because
        # the engine reads one file at a time and does not follow star imports.
        if self.context.is_local_settings:
            return

        if name in DJANGO_CREDENTIALS:
            self._settings_credentials = self._settings_credentials or is_true(
                node.value
            )
        elif name in DJANGO_ALLOW_ALL and is_true(node.value):
            self._settings.append((node, f"Django settings set {name} = True"))
        elif name in DJANGO_REGEXES:
            for item in sequence_items(node.value) or ():
                pattern = string_value(item)
                if pattern is not None and matches_every_origin(pattern, full=False):
                    self._settings.append(
                        (item, f"{name} has {pattern!r}, which matches every origin")
                    )

    # Hand-written headers

    def _check_header_writes(self, node: cst.CSTNode) -> None:
        scope = self._scopes[-1]
        for name, value, where in header_writes(
            node, self._header_name, self._headers_of
        ):
            if allows_credentials_header(name, value):
                scope.credentials = True
                continue

            text = string_value(value)
            if name.lower() != ALLOW_ORIGIN or text is None:
                continue

            text = text.strip()
            if text == ANY_ORIGIN and _is_error_response(node):
                # An error answer carries no data worth guarding; the header
                # only lets the caller's page read why it failed.
                continue

            if text == ANY_ORIGIN or text.lower() == NULL_ORIGIN:
                scope.headers.append(
                    (where, text, _changes_passed_response(node, where))
                )

    def _flush_headers(self, scope: _Scope) -> None:
        for node, text, changes_passed_response in scope.headers:
            if text == ANY_ORIGIN:
                # Browsers refuse credentials with "*", so they do not raise it.
                if scope.app_wide and changes_passed_response:
                    message = f"{_HEADER_ANY} for every response: {_READ}"
                    severity = Level.MEDIUM
                else:
                    message = f"{_HEADER_ANY}: any site can read this response"
                    severity = Level.LOW
            elif scope.credentials:
                message = (
                    f"{_HEADER_NULL} with credentials: a sandboxed page on any site can"
                    " make requests that carry the user's cookies"
                )
                severity = Level.HIGH
            else:
                message = (
                    f"{_HEADER_NULL}: sandboxed pages and local files of any site can"
                    " read the response"
                )
                severity = Level.MEDIUM
            self._report_once(node, message, severity=severity)

    def _header_name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return self._strings.get(node.value)

        return string_value(node)

    def _headers_of(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        return self._literal(node)

    # Values

    def _remember(
        self, targets: list[cst.AssignTarget], value: cst.BaseExpression
    ) -> None:
        values = self._scopes[-1].values
        for assign_target in targets:
            target = assign_target.target
            if not isinstance(target, cst.Name):
                continue

            name = target.value
            if isinstance(value, _LITERALS):
                values[name] = value
            else:
                values.pop(name, None)
            text = string_value(value)
            if text is not None and len(self._scopes) == 1:
                self._strings[name] = text
            if (
                isinstance(value, cst.Call)
                and self.context.qualname(value.func) in FLASK_EXTENSION
            ):
                self._deferred[name] = value

    def _literal(self, node: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """Return the literal a local or module-level name was last bound to."""
        if not isinstance(node, cst.Name):
            return node

        for scope in (self._scopes[-1], self._scopes[0]):
            if node.value in scope.values:
                return scope.values[node.value]
        return node

    def _value(
        self, options: dict[str, cst.Arg], name: str
    ) -> cst.BaseExpression | None:
        arg = options.get(name)
        return None if arg is None else self._literal(arg.value)

    def _strings_in(self, node: cst.BaseExpression) -> list[str]:
        """Return the literal strings of a string or a list, tuple or set of them."""
        # TODO: read the default of os.getenv("ORIGINS", "*"), because an unset
        # variable then opens the policy to every origin.
        value = self._literal(node)
        text = string_value(value)
        if text is not None:
            return [text]

        return [
            s for s in map(string_value, sequence_items(value) or ()) if s is not None
        ]

    def _report_once(
        self, node: cst.CSTNode, message: str, fix: Fix | None = None, **levels: Level
    ) -> None:
        if id(node) in self._reported:
            return

        self._reported.add(id(node))
        self.report(node, message, fix=fix, **levels)

    # Fixes

    def _origins_fix(self, holder: cst.Arg | cst.DictElement) -> Fix:
        """Return the fix that reads the origins of ``holder`` from the environment."""
        description = f"{_ORIGINS_FIX}; {_ORIGINS_UNSAFE}"
        if not _is_only_any(holder.value):
            return self._refused(description, 'the origins are not a literal "*"')

        if not os_is_free(self.context, self.id):
            return Fix(description)

        make = functools.partial(environ_words, ORIGINS_VARIABLE)
        return Fix(description, UNSAFE, ((holder, with_value(make)),), ("os",))

    def _django_fix(self, node: cst.CSTNode) -> Fix | None:
        """Return the fix that turns an allow-all switch into a list of origins."""
        if not isinstance(node, cst.Assign):
            return None

        name = node.targets[0].target
        listing = _DJANGO_LISTS.get(getattr(name, "value", ""))
        if len(node.targets) != 1 or listing is None:
            return self._refused(
                Fix(_ORIGINS_FIX), "the setting is assigned with other names"
            )

        if assigns_name(self.context.module.body, listing):
            description = (
                f"set {name.value} = False, so the {listing} already listed apply;"
                f" {_ORIGINS_UNSAFE}"
            )
            off = node.with_changes(value=cst.Name("False"))
            return Fix(description, UNSAFE, ((node, off),))

        description = (
            f"list the origins in {listing}, {_ORIGINS_FIX}; {_ORIGINS_UNSAFE}"
        )
        if not os_is_free(self.context, self.id):
            return Fix(description)

        listed = node.with_changes(
            targets=[node.targets[0].with_changes(target=cst.Name(listing))],
            value=environ_words(ORIGINS_VARIABLE),
        )
        return Fix(description, UNSAFE, ((node, listed),), ("os",))

    def _refused(self, advice: str | Fix, reason: str) -> Fix:
        logger.info("refused the %s fix in %s: %s", self.id, self.context.path, reason)
        return advice if isinstance(advice, Fix) else Fix(advice)


def _is_only_any(value: cst.BaseExpression) -> bool:
    """Tell whether ``value`` is ``"*"`` or a list, tuple or set of it alone."""
    items = sequence_items(value)
    if items is not None:
        return len(items) == 1 and string_value(items[0]) == ANY_ORIGIN

    return string_value(value) == ANY_ORIGIN


def _has_app(call: cst.Call) -> bool:
    """Tell whether ``CORS(...)`` is given its app; ``CORS()`` waits for init_app."""
    return any(
        (arg.keyword is None and not arg.star)
        or (arg.keyword and arg.keyword.value == "app")
        for arg in call.args
    )


def _runs_for_every_response(node: cst.FunctionDef) -> bool:
    # A hook registered elsewhere (``app.after_request(add_headers)``) is only
    # known by its name.
    name = node.name.value
    if name in APP_WIDE_FUNCTIONS or "afterrequest" in name.lower().replace("_", ""):
        return True

    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        decorator_name = dotted_name(target)
        if decorator_name and decorator_name.rsplit(".", 1)[-1] in APP_WIDE_DECORATORS:
            return True
    return False


def _changes_passed_response(node: cst.CSTNode, where: cst.CSTNode) -> bool:
    """Tell whether a header write changes a response it was given, as a hook
    does, rather than one it builds."""
    if isinstance(node, cst.Assign):
        return True

    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False

    return where is node or node.func.attr.value in ("update", "extend")


def _is_error_status(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer):
        return int(node.value) >= 400

    name = dotted_name(node)
    return name is not None and bool(_ERROR_STATUS_NAME.search(name))


def _is_error_response(node: cst.CSTNode) -> bool:
    """Tell whether ``node`` builds or returns a 4xx or 5xx answer."""
    if isinstance(node, cst.Return):
        items = sequence_items(node.value)
        return items is not None and len(items) == 3 and _is_error_status(items[1])

    if not isinstance(node, cst.Call):
        return False

    name = dotted_name(node.func)
    if name is not None and name.endswith("Exception"):
        return True

    for index, arg in enumerate(node.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword in ("status", "status_code") or (keyword is None and index == 1):
            if _is_error_status(arg.value):
                return True
    return False
