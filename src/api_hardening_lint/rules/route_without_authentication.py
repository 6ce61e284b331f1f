"""AHL201 route-without-authentication."""

from __future__ import annotations

import fnmatch
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import libcst as cst

from api_hardening_lint.context import Bindings, FileContext
from api_hardening_lint.frameworks.routes import ANY_METHOD, VERBS, Route
from api_hardening_lint.nodes import (
    compound_blocks,
    descendants,
    dotted_name,
    keyword,
    string_value,
    suite_statements,
)
from api_hardening_lint.project import (
    FactCollector,
    ProjectIndex,
    module_name,
    per_index,
    resolve_relative,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import Fix, Level, Rule, text_matches

logger = logging.getLogger(__name__)

_FACTS = knowledge("auth")
_DECORATORS = _FACTS["decorators"]
AUTH_DECORATORS = frozenset(_DECORATORS["qualified"])
AUTH_DECORATOR_NAMES = frozenset(_DECORATORS["names"])
DECORATOR_HINT = re.compile(_DECORATORS["name_hint"])
NEUTRAL_DECORATORS = frozenset(_DECORATORS["neutral"])
NEUTRAL_DECORATOR_NAMES = frozenset(_DECORATORS["neutral_names"])
LOGIN_NOT_REQUIRED = frozenset(_DECORATORS["login_not_required"])
SCHEMES = frozenset(_FACTS["dependencies"]["schemes"])
SCHEME_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in SCHEMES)
FACTORY_METHODS = frozenset(_FACTS["dependencies"]["factory_methods"])
DEPENDENCY_HINT = re.compile(_FACTS["dependencies"]["name_hint"])
MIXINS = frozenset(_FACTS["mixins"]["names"])
MIXIN_HINT = re.compile(_FACTS["mixins"]["name_hint"])
ALLOW_ANY = frozenset(_FACTS["drf"]["allow_any"])
DRF_ATTRIBUTES = frozenset(_FACTS["drf"]["attributes"])
DRF_METHODS = frozenset(_FACTS["drf"]["methods"])
DJANGO_ATTRIBUTES = frozenset(_FACTS["drf"]["django_attributes"])
DJANGO_METHODS = frozenset(_FACTS["drf"]["django_methods"])
DRF_DECORATORS = frozenset(_FACTS["drf"]["decorators"])
PLUGIN_ROUTES = frozenset(_FACTS["plugins"]["protected_routes"])
PLUGIN_SWITCHES = tuple(_FACTS["plugins"]["switches"])
LOGIN_MIDDLEWARE = _FACTS["settings"]["login_middleware"]
DRF_DEFAULT_KEY = _FACTS["settings"]["drf_key"]
_CHECKS = _FACTS["checks"]
CHECK_NAMES = frozenset(_CHECKS["names"])
CHECK_ATTRIBUTES = frozenset(_CHECKS["attributes"])
USER_HOLDERS = frozenset(_CHECKS["user_holders"])
DENIALS = frozenset(_CHECKS["exceptions"])
CHECK_CALL = re.compile(_CHECKS["call_hint"])
HEADER_WORDS = re.compile(_CHECKS["header_words"])
SESSION_WORDS = re.compile(_CHECKS["session_words"])
STATUSES = frozenset(str(code) for code in _CHECKS["statuses"])
STATUS_NAMES = re.compile(_CHECKS["status_names"])
PUBLIC_WORDS = frozenset(_FACTS["public"]["words"])
PUBLIC_VIEWS = frozenset(_FACTS["public"]["views"])
PUBLIC_FORMS = frozenset(_FACTS["public"]["forms"])
UNSAFE_METHODS = frozenset(_FACTS["severity"]["unsafe_methods"])
SENSITIVE_WORDS = frozenset(_FACTS["severity"]["sensitive_words"])
_CLIENT_SETTINGS = _FACTS["client_settings"]
_APP_CONFIGS = _FACTS["app_configs"]
SIGN_IN_KEY = re.compile(
    r"(?i)(?:^|_)(?:"
    + "|".join(re.escape(word) for word in _CLIENT_SETTINGS["sign_in_words"])
    + r")(?:_|$)"
)
SECRET_KEY_WORDS = re.compile(_CLIENT_SETTINGS["secret_words"])
MIN_SETTINGS_KEYS = _CLIENT_SETTINGS["min_keys"]

# Handler names are split into words; these, unlike path segments such as
# ``token``, say the whole view belongs to a login or probe flow.
_PUBLIC_NAME_WORDS = frozenset(
    {
        "login",
        "logout",
        "signin",
        "signout",
        "signup",
        "register",
        "registration",
        "resend",
        "oauth",
        "oauth2",
        "callback",
        "sso",
        "saml",
        "oidc",
        "health",
        "healthcheck",
        "healthz",
        "ping",
        "heartbeat",
        "keepalive",
        "readiness",
        "liveness",
        "webhook",
        "favicon",
        "robots",
        "openapi",
        "swagger",
        "redoc",
        "search",
        "auth",
        "authenticate",
        "social",
        "mfa",
        "otp",
        "totp",
        "recover",
        # A view named for visitors without an account: ``AnonymousOrderFormView``.
        "anonymous",
        # Stateless helpers that compute an answer from what they are sent.
        "decode",
        "conversion",
        "convert",
        "estimate",
        "preview",
    }
)
_PUBLIC_NAME_PAIRS = (
    ("password", "reset"),
    ("reset", "password"),
    ("forgot",),
    ("create", "account"),
    ("password", "reminder"),
    ("remind", "password"),
    # A link mailed with a secret token: the token is the credential.
    ("confirm", "token"),
    ("confirm", "email"),
)
# A handler this file defines: the rule judges only those, so a ``urls.py`` or
# a router that registers views of other modules is not parsed for it.
_ROUTE_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"@[\w.]+\.(?:route|get|post|put|patch|delete|api_route|websocket)\(",
        rb"\.(?:add_url_rule|add_api_route|add_route)\(",
        rb"class \w+\([^)]*(?:View|ViewSet|Resource|Endpoint)\b",
        rb"api_view",
        rb"expose\(",
        rb"def \w+\(\s*request\b",
    )
)
# Strong evidence only: most files of a web app mention sessions or users.
# Each trigger pattern starts with literal text, which the regular expression
# engine finds fast; a word boundary is checked after the word
# (``Depends(?<!\wDepends)``), and a line start is a newline (see
# ``text_matches``).
_GUARD_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"current_user",
        rb"is_authenticated",
        rb"is_anonymous",
        rb"40[13](?<!\w40[13])\b",
        rb"HTTP_40[13]",
        rb"Authorization",
        rb"authorization",
        rb"get_current_user",
        rb"_required\b",
        rb"Unauthorized",
        rb"Forbidden",
        rb"PermissionDenied",
        rb"NotAuthenticated",
        rb"permission_classes",
        rb"Mixin\b",
        rb"verify_jwt",
        rb"OAuth2",
        rb"HTTPBearer",
        rb"HTTPBasic",
        rb"APIKey",
        rb"has_perm",
        rb"check_access",
        rb"request\.user",
        rb"g\.user",
        rb"class \w+\([^)]*View",
        # A wrapper with another decorator stacked under ``wraps``: the guard
        # may be that decorator.
        rb"@(?:functools\.)?wraps\([^)\n]*\)[ \t]*\n[ \t]*@",
        # A module of ``Annotated`` aliases: the guard is a dependency they name.
        rb"= Annotated\[[^\n]*(?:Depends|Security)\(",
    )
)
# What the guard facts record: decorators, dependencies, view bases, mixins,
# permission classes and auth objects. A module of models, forms or queries
# mentions users and permissions too, but defines none of these.
_GUARD_SHAPE = tuple(
    re.compile(pattern)
    for pattern in (
        rb"@(?:functools\.)?wraps\b",
        rb"Depends(?<!\wDepends)\(",
        rb"Security(?<!\wSecurity)\(",
        rb"\nclass \w*(?:View|Mixin|Permission|Endpoint|Resource|API|Api|Auth"
        rb"|Access|Login|Guard)\w*[(:]",
        rb"\n(?:async )?def \w*(?i:login|logged|auth|perm|require|access|protect"
        rb"|admin|staff|superuser|token|jwt|role|secure|guard|signed_in|user|verify"
        rb"|credential|api_?key|scope|principal|identity|account)\w*\(",
        rb"HTTPBasic\(",
        rb"HTTPBearer\(",
        rb"OAuth2\w*\(",
        rb"APIKey\w*\(",
        rb"HTTP\w*Auth\(",
        rb"current_user\(",
        # A decorator whatever its name: a function with another def at its top.
        rb"\n(?:async )?def [^\n]*\n(?:[^\n]*\n){0,6}?[ \t]+(?:async )?def ",
        # A method of a service class that branches on the caller's login.
        rb"\n[ \t]+if [^\n]*\bis_authenticated\b",
    )
)
_WIRING_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"before_(?:app_)?request",
        rb"url_value_preprocessor",
        rb"include_router",
        # A helper registering a table of views wrapped in these decorators.
        rb"decorators=\[",
        rb"add_middleware",
        rb"\.middleware\(",
        rb"FastAPI\([^)]*dependencies",
        rb"login_required\(",
        rb"permission_required\(",
        rb"user_passes_test\(",
        rb"staff_member_required\(",
        # A Flask app, to which a hook of another module may be added.
        rb"Flask\(",
        rb"Quart\(",
        # An app configuration wrapping the views of its URLs.
        _APP_CONFIGS["url_hook"].encode(),
        # A view handing its request to a helper of another module, guarded
        # or not.
        rb"@[\w.]*_required\b",
        rb"return \w+\(request\b",
        # URL patterns wrapped, each, in a guard by a helper.
        rb"decorat\w*\(",
    )
)
_SETTINGS_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"LoginRequiredMiddleware",
        rb"DEFAULT_PERMISSION_CLASSES",
        rb"Admin\w*Middleware",
        # A project middleware in a string; which ones count is read later.
        rb"\.middlewares?\.\w+[\"']",
    )
)
# A middleware of a sub-package of the project (``shop.control.middleware``):
# one that refuses anonymous callers guards the views of that sub-package.
_AREA_MIDDLEWARE = re.compile(r"^(?!django\.)(\w+\.\w+(?:\.\w+)*)\.middlewares?\.\w+$")
# A project middleware that guards the admin area, like Misago's.
_ADMIN_MIDDLEWARE = re.compile(
    r"^(?!django\.)[\w.]*\.Admin\w*(Auth|Login)\w*Middleware$"
)
_SECRET_NAME = re.compile(r"(?i)(^|_)(secret|signature)$")
# URL parameters that make the link itself the credential.
_CAPABILITIES = frozenset({"secret", "signature", "signed_token", "uidb64"})
# Test projects and fixtures that a test-file pattern does not name.
_TEST_FOLDER = re.compile(r"(^|/)test\w*/")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_SEGMENT_NOISE = re.compile(r"[<{][^>}]*[>}]|[\^$?()\\]")
_DEPENDS = frozenset({"Depends", "Security"})
# Signs that a view taking any method also changes state.
_WRITES = frozenset({"POST", "FILES", "save", "delete", "create", "update", "method"})
_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOOKS = frozenset({"before_request", "before_app_request"})
# Flask runs these before each view whose URL holds values, and hands them the
# values: a hook that turns callers away guards the views whose path holds
# the values it reads.
_VALUE_HOOKS = frozenset({"url_value_preprocessor"})
_PATH_VALUE = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
_FUNCTIONS = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# How many unguarded routes, and more than half of those a file's checked,
# make a cluster: reported at low confidence.
_CLUSTER = 3
# DRF's generic methods that save, and the calls that write.
_GENERIC_WRITES = frozenset(
    {"create", "update", "partial_update", "destroy", "perform_create"}
    | {"perform_update", "perform_destroy"}
)
_SAVES = frozenset(
    {"save", "delete", "bulk_create", "bulk_update", "get_or_create"}
    | {"update_or_create", "add", "remove", "commit", "send", "delay"}
)
# Method names too common to identify one project method by name alone: those
# of the builtin containers and strings, HTTP verbs and the generic writes.
_COMMON_METHODS = (
    frozenset(n for t in (dict, list, set, str, bytes) for n in dir(t))
    | {v.lower() for v in VERBS}
    | _GENERIC_WRITES
    | _SAVES
    | {"list", "retrieve", "run", "execute", "call"}
)
_REDIRECT = re.compile(r"(?i)redirect")
# A URL name or path of a login page: ``"shop:customer.login"``, ``"/login/"``.
_LOGIN_URL = re.compile(r"(?i)(^|[:./_-])(log_?in|sign_?in|authenticate)([/._-]|$)")
_RETURN_KEYS = re.compile(r"(?i)^(next|goto|return_to|came_from|redirect_to)$")
_REQUESTED_PATHS = frozenset(
    f"{holder}.{part}"
    for holder in ("request", "self.request")
    for part in ("path", "full_path", "url", "get_full_path")
)
_URL_BUILDING = re.compile(r"(?i)redirect|url|reverse|^format$|^quote|urlencode")
# Calls that only build an answer, or a link to another route.
_ANSWERS = re.compile(
    r"Response$|^jsonify$|^make_response$|^render_template$"
    r"|^url_for$|^reverse(_lazy)?$|^url_path_for$"
)
# Django's answers that take the request first, to render a template.
_RENDERS = frozenset({"render", "TemplateResponse"})

AUTH, NEUTRAL, UNKNOWN = "auth", "neutral", "unknown"
_ENVIRONMENT = frozenset({"environ", "getenv"})
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*$")


# Evidence that code looks at the caller.


def checks_caller(node: cst.CSTNode, skip: tuple[type, ...] = ()) -> bool:
    """Tell whether code below ``node`` reads the user or a credential, or refuses."""
    switched = False
    for child in descendants(node, skip):
        if type(child) is cst.If and _is_environment_switch(child):
            switched = True
        elif not switched and _is_check(child):
            return True
    return switched and _checks_beside_switches(node, skip)


def _checks_beside_switches(node: cst.CSTNode, skip: tuple[type, ...]) -> bool:
    # A refusal under ``if os.environ.get(READ_ONLY):`` turns every caller
    # away alike: it checks the deployment, not who asks.
    switched: set[int] = set()
    for child in descendants(node, skip):
        if type(child) is cst.If and _is_environment_switch(child):
            switched.update(
                id(inner)
                for inner in descendants(child.body, skip)
                if _is_refusal(inner)
            )
    return any(
        _is_check(child) and id(child) not in switched
        for child in descendants(node, skip)
    )


def _is_environment_switch(node: cst.If) -> bool:
    """Tell whether an ``if`` tests only the process environment and constants
    (``os.environ.get(READ_ONLY)``), nothing of the request, and holds no
    further test that could ask about the caller."""
    reads = False
    for child in (node.test, *descendants(node.test)):
        if type(child) is not cst.Name:
            continue

        if child.value in _ENVIRONMENT:
            reads = True
        elif child.value not in ("os", "get") and not _CONSTANT.match(child.value):
            return False
    return reads and not any(type(child) is cst.If for child in descendants(node.body))


def _is_check(node: cst.CSTNode) -> bool:
    # Exact types: these node classes have no subclasses, and ``type() is`` is
    # much cheaper than ``isinstance`` on libcst's abstract base classes.
    kind = type(node)
    if kind is cst.Name:
        value = node.value
        return (
            value in CHECK_NAMES or value in DENIALS or bool(STATUS_NAMES.match(value))
        )

    if kind is cst.Attribute:
        attr = node.attr.value
        if attr in CHECK_ATTRIBUTES or STATUS_NAMES.match(attr) or attr in DENIALS:
            return True

        return attr == "user" and dotted_name(node.value) in USER_HOLDERS

    if kind is cst.Integer:
        return node.value in STATUSES

    if kind is cst.SimpleString:
        value = string_value(node)
        return value is not None and bool(HEADER_WORDS.match(value))

    if kind is cst.Call:
        name = dotted_name(node.func)
        # ``orders.filter().get_with_secret_check(...)``: a method of a call.
        if name is None and isinstance(node.func, cst.Attribute):
            return bool(CHECK_CALL.match(node.func.attr.value))

        if name is None:
            return False

        last = name.rsplit(".", 1)[-1]
        if CHECK_CALL.match(last):
            return True

        # ``session.get("user_id")``
        return name == "session.get" and _has_session_key(node.args)

    if kind is cst.Subscript:
        return (
            isinstance(node.value, cst.Name)
            and node.value.value == "session"
            and bool(SESSION_WORDS.search(_subscript_text(node)))
        )

    if kind is cst.Comparison:
        return _compares_secret(node)

    return False


def _compares_secret(node: cst.Comparison) -> bool:
    """Tell whether a comparison tests a secret, as ``order.secret ==
    kwargs["secret"]`` does for the link that carries it."""
    if not all(
        isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons
    ):
        return False

    for operand in (node.left, *(c.comparator for c in node.comparisons)):
        for child in (operand, *descendants(operand)):
            name = None
            if isinstance(child, cst.Attribute):
                name = child.attr.value
            elif isinstance(child, cst.Subscript):
                name = _subscript_text(child)
            if name and _SECRET_NAME.search(name):
                return True
    return False


def _has_session_key(args: tuple[cst.Arg, ...]) -> bool:
    if not args:
        return False

    value = string_value(args[0].value)
    return value is not None and bool(SESSION_WORDS.search(value))


def _subscript_text(node: cst.Subscript) -> str:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return ""

    return string_value(node.slice[0].slice.value) or ""


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _depends_targets(
    func: cst.FunctionDef, aliases: dict[str, list[cst.Call]] | None = None
) -> list[cst.BaseExpression]:
    """Return what the ``Depends``/``Security`` parameters of ``func`` wrap,
    also through the ``Annotated`` aliases of its file (``aliases``)."""
    found = []
    for param in _parameters(func):
        markers = []
        if isinstance(param.default, cst.Call):
            markers.append(param.default)
        annotation = param.annotation.annotation if param.annotation else None
        if isinstance(annotation, cst.Name) and aliases:
            markers.extend(aliases.get(annotation.value, ()))
        markers.extend(_annotated_calls(annotation))
        found.extend(_marker_targets(markers))
    return found


def _parameters(func: cst.FunctionDef) -> tuple[cst.Param, ...]:
    params = func.params
    return (*params.posonly_params, *params.params, *params.kwonly_params)


def _annotated_calls(annotation: cst.BaseExpression | None) -> list[cst.Call]:
    """Return the calls in the metadata of ``Annotated[T, ...]``."""
    if not isinstance(annotation, cst.Subscript):
        return []

    calls = []
    for element in annotation.slice[1:]:
        extra = element.slice
        if isinstance(extra, cst.Index) and isinstance(extra.value, cst.Call):
            calls.append(extra.value)
    return calls


def _marker_targets(markers: list[cst.Call]) -> list[cst.BaseExpression]:
    found = []
    for marker in markers:
        name = dotted_name(marker.func)
        if name is None or _last(name) not in _DEPENDS:
            continue

        if marker.args and marker.args[0].keyword in (None,):
            found.append(marker.args[0].value)
        elif _last(name) == "Security":
            found.append(marker.func)
    return found


def _alias_markers(value: cst.BaseExpression) -> list[cst.Call]:
    """Return the ``Depends``/``Security`` calls of ``X = Annotated[T, ...]``."""
    if not isinstance(value, cst.Subscript) or dotted_name(value.value) not in (
        "Annotated",
        "typing.Annotated",
        "typing_extensions.Annotated",
    ):
        return []

    return [
        call
        for call in _annotated_calls(value)
        if _last(dotted_name(call.func) or "") in _DEPENDS
    ]


def _imported_annotations(found: _FileAuth, func: cst.FunctionDef) -> list[str]:
    """Return the project-wide names of the imported bare names that annotate
    the parameters of ``func``: ``Annotated`` aliases defined elsewhere."""
    names = []
    for param in _parameters(func):
        annotation = param.annotation.annotation if param.annotation else None
        if (
            isinstance(annotation, cst.Name)
            and annotation.value in found.context.bindings.imports
        ):
            names.append(found.absolute(annotation.value))
    return names


def _allows_any(value: cst.BaseExpression, context: FileContext) -> bool:
    """Tell whether a permission list holds only ``AllowAny``."""
    items = (
        [e.value for e in value.elements]
        if isinstance(value, (cst.List, cst.Tuple))
        else None
    )
    if not items:
        return False

    names = {context.qualname(item) or dotted_name(item) for item in items}
    return all(name is not None and name in ALLOW_ANY for name in names)


# What one file says about authentication, read at statement level.


@dataclass
class _FileAuth:
    """The functions, classes and wiring of one file that bear on authentication."""

    context: FileContext
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    classes: dict[str, cst.ClassDef] = field(default_factory=dict)
    calls: dict[str, cst.Call] = field(default_factory=dict)
    hooks: list[tuple[str, cst.BaseExpression | cst.FunctionDef]] = field(
        default_factory=list
    )
    value_hooks: list[tuple[str, cst.FunctionDef]] = field(default_factory=list)
    aliases: dict[str, list[cst.Call]] = field(default_factory=dict)
    statements: list[cst.BaseSmallStatement] = field(default_factory=list)
    _memo: dict[str, str] = field(default_factory=dict)
    _checked: dict[tuple, bool] = field(default_factory=dict)

    def checks(self, node: cst.CSTNode, skip: tuple[type, ...] = ()) -> bool:
        """:func:`checks_caller`, once per node: class facts and class guards
        look at the same methods."""
        key = (id(node), skip)
        found = self._checked.get(key)
        if found is None:
            found = self._checked[key] = checks_caller(node, skip)
        return found

    @classmethod
    def read(cls, context: FileContext) -> _FileAuth:
        found = cls(context)
        pending: list[cst.CSTNode] = list(reversed(context.module.body))
        while pending:
            node = pending.pop()
            if isinstance(node, cst.FunctionDef):
                found._function(node)
                # Factories register hooks and apps inside functions.
                pending.extend(reversed(suite_statements(node.body)))
            elif isinstance(node, cst.ClassDef):
                found.classes.setdefault(node.name.value, node)
            elif isinstance(node, cst.SimpleStatementLine):
                for small in node.body:
                    found._small(small)
            elif isinstance(node, (cst.If, cst.Try, cst.With)):
                pending.extend(reversed(compound_blocks(node)))
        return found

    def _function(self, node: cst.FunctionDef) -> None:
        self.functions.setdefault(node.name.value, node)
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            if isinstance(expr, cst.Attribute) and expr.attr.value in _HOOKS:
                owner = dotted_name(expr.value)
                if owner:
                    self.hooks.append((owner, node))
            elif isinstance(expr, cst.Attribute) and expr.attr.value in _VALUE_HOOKS:
                owner = dotted_name(expr.value)
                if owner:
                    self.value_hooks.append((owner, node))

    def _small(self, small: cst.BaseSmallStatement) -> None:
        self.statements.append(small)
        value = None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            value = small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target = small.target
            value = small.value
        if isinstance(value, cst.Call) and isinstance(target, cst.Name):
            self.calls.setdefault(target.value, value)
            return

        # ``Admin = Annotated[User, Depends(get_admin)]``, used as a type.
        if value is not None and isinstance(target, cst.Name):
            markers = _alias_markers(value)
            if markers:
                self.aliases.setdefault(target.value, markers)
                return

        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in _HOOKS
                and call.args
            ):
                owner = dotted_name(func.value)
                if owner:
                    self.hooks.append((owner, call.args[0].value))

    # Names.

    def absolute(self, name: str, local: Bindings | None = None) -> str:
        """Return the project-wide dotted name that ``name`` refers to here,
        reading the imports of a function first when ``local`` holds them."""
        head, _, rest = name.partition(".")
        imported = local.imports.get(head) if local is not None else None
        if imported is None:
            imported = self.context.bindings.imports.get(head)
        if imported is None:
            return f"{_module(self.context.path)}.{name}"

        full = f"{imported}.{rest}" if rest else imported
        return resolve_relative(full, self.context.path)

    def is_local(self, name: str) -> bool:
        return name in self.functions or name in self.classes or name in self.calls

    # Classification.

    def guard(self, name: str, depth: int = 0) -> str | None:
        """Classify a local function, class or instance: AUTH, NEUTRAL or None."""
        if name in self._memo:
            return self._memo[name]

        self._memo[name] = NEUTRAL
        verdict = self._guard(name, depth)
        self._memo[name] = verdict
        return verdict

    def _guard(self, name: str, depth: int) -> str | None:
        if name in self.functions:
            func = self.functions[name]
            return AUTH if self._function_guards(func, depth) else NEUTRAL

        if name in self.classes:
            node = self.classes[name]
            # ``Depends(ProjectMember())``: FastAPI calls the instance, so its
            # ``__call__`` is the dependency.
            call = _call_method(node)
            if call is not None and self._function_guards(call, depth):
                return AUTH
            return AUTH if self.class_guards(node) else NEUTRAL

        if name in self.calls:
            call = self.calls[name]
            func = dotted_name(call.func) or ""
            qualified = self.context.qualname(call.func) or func
            if qualified in SCHEMES or _last(qualified) in SCHEME_NAMES:
                return AUTH

            if _last(func) in FACTORY_METHODS:
                return AUTH

            # ``member_required = ProjectMember()``, an instance of a local class.
            if func in self.classes and _call_method(self.classes[func]) is not None:
                return self.guard(func, depth + 1)

            # ``admin_required = roles_required("admin")``
            return self.decorator_name(qualified)

        return None

    def _function_guards(self, func: cst.FunctionDef, depth: int) -> bool:
        """Tell whether a function checks the caller itself, through its
        decorators, or through the dependencies its parameters declare."""
        if (
            self.checks(func.body)
            or self._decorated_auth(func)
            or self._guarded_wrapper(func)
            or (_returns_inner(func) and _redirects_to_login(func, ()))
        ):
            return True

        if any(
            self.dependency(target, depth + 1) == AUTH
            for target in _depends_targets(func, self.aliases)
        ):
            return True

        # A dependency factory, ``Depends(requires_authenticated())``: FastAPI
        # calls the function it returns, whose parameters may authenticate.
        return depth < 6 and any(
            not stmt.decorators and self._function_guards(stmt, depth + 1)
            for stmt in _returned_functions(func)
        )

    def _decorated_auth(self, func: cst.FunctionDef) -> bool:
        for decorator in func.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            name = self.context.qualname(expr) or dotted_name(expr)
            if name and self.decorator_name(name) == AUTH:
                return True
        return False

    def _guarded_wrapper(self, func: cst.FunctionDef) -> bool:
        """Tell whether the inner function a decorator returns is itself
        guarded, as a wrapper stacked on ``login_required``."""
        return any(
            isinstance(stmt, cst.FunctionDef) and self._method_decorated(stmt)
            for stmt in suite_statements(func.body)
        )

    def decorator_name(self, name: str) -> str | None:
        """Classify a decorator by name alone: AUTH, NEUTRAL or None if unknown."""
        options = self.context.options.get("auth_decorators") or ()
        last = _last(name)
        if name in options or last in options:
            return AUTH

        if name in AUTH_DECORATORS or last in AUTH_DECORATOR_NAMES:
            return AUTH

        if name in NEUTRAL_DECORATORS or last in NEUTRAL_DECORATOR_NAMES:
            return NEUTRAL

        if name in LOGIN_NOT_REQUIRED or name in DRF_DECORATORS:
            return NEUTRAL

        return None

    def dependency(self, target: cst.BaseExpression, depth: int = 0) -> str | None:
        """Classify what a ``Depends(...)`` wraps: AUTH, NEUTRAL or None."""
        if depth > 6:
            return None

        expr = target.func if isinstance(target, cst.Call) else target
        name = self.context.qualname(expr) or dotted_name(expr)
        if name is None:
            return None

        options = self.context.options.get("auth_dependencies") or ()
        if name in options or _last(name) in options:
            return AUTH

        if name in SCHEMES or _last(name) in SCHEME_NAMES:
            return AUTH

        if "." in name and _last(name) in FACTORY_METHODS:
            return AUTH

        if self.is_local(name):
            return self.guard(name, depth)

        return None

    def lenient_scheme(self, target: cst.BaseExpression) -> bool:
        """Tell whether ``target`` is a security scheme that lets requests
        without credentials through, made here or in the ``Depends(...)``."""
        call = target
        if isinstance(target, cst.Name):
            call = self.calls.get(target.value)
        if not isinstance(call, cst.Call):
            return False

        name = self.context.qualname(call.func) or dotted_name(call.func) or ""
        return (name in SCHEMES or _last(name) in SCHEME_NAMES) and _lenient(call)

    def class_guards(self, node: cst.ClassDef) -> bool:
        """Tell whether a class's own body or decorators restrict its callers."""
        for decorator in node.decorators:
            if self.class_decorator(decorator.decorator) == AUTH:
                return True

        for arg in node.bases:
            base = self.context.qualname(arg.value) or dotted_name(arg.value) or ""
            if _last(base) in MIXINS:
                return True

        for decorator in self._class_decorators(node).values():
            if self.checks(decorator.body, (cst.ClassDef, cst.Lambda)):
                return True

        for stmt in suite_statements(node.body):
            if isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                if name in DRF_METHODS or name in ("test_func", "has_permission"):
                    return True

                if self._decorated_auth(stmt) or self._method_decorated(stmt):
                    return True

                if self.checks(stmt.body, _FUNCTIONS):
                    return True

                if name == "as_view" and self._wraps_in_guard(stmt):
                    return True

                if name == "dispatch" and _redirects_to_login(stmt):
                    return True
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    assigned = _assigned_name(small)
                    if assigned in DJANGO_ATTRIBUTES:
                        return True

                    # Flask's ``decorators = [login_required]`` on a class view.
                    value = _assigned_value(small)
                    if value is None:
                        continue

                    if assigned == "decorators" and self._listed_guard(value):
                        return True

                    if assigned in DRF_ATTRIBUTES and not _allows_any(
                        value, self.context
                    ):
                        return True
        return False

    def _wraps_in_guard(self, func: cst.FunctionDef) -> bool:
        """Tell whether ``as_view`` hands the view to an auth decorator:
        ``return staff_member_required()(view)``."""
        for child in descendants(func.body, _FUNCTIONS):
            if isinstance(child, cst.Call) and self.class_decorator(child) == AUTH:
                return True
        return False

    @staticmethod
    def decorator_names(node: cst.ClassDef) -> set[str]:
        """Return the last names of the decorators on a class's methods."""
        names = set()
        for stmt in suite_statements(node.body):
            if not isinstance(stmt, cst.FunctionDef):
                continue

            for decorator in stmt.decorators:
                expr = decorator.decorator
                if isinstance(expr, cst.Call):
                    expr = expr.func
                name = dotted_name(expr)
                if name:
                    names.add(_last(name))
        return names

    def _class_decorators(
        self, node: cst.ClassDef, used: set[str] | None = None
    ) -> dict[str, cst.FunctionDef]:
        """Return the decorators, defined in a class or in this file, that the
        class's methods use (or that ``used`` names), by name."""
        methods = {
            s.name.value: s
            for s in suite_statements(node.body)
            if isinstance(s, cst.FunctionDef)
        }
        names = self.decorator_names(node) if used is None else used
        found = {}
        for name in sorted(names):
            target = methods.get(name) or self.functions.get(name)
            if target is not None:
                found[name] = target
        return found

    def preconditions(
        self, node: cst.ClassDef, used: set[str] | None = None
    ) -> dict[str, list[str]]:
        """Return, by decorator, the methods of other objects that the
        decorators of a class call (``get_driver().connection_manager(sid)``):
        the project's facts tell whether one of them checks the caller.

        Without ``used``, the decorators a class defines for its subclasses
        count too (``@BaseView.check_precondition``).
        """
        if used is None:
            used = self.decorator_names(node) | {
                s.name.value
                for s in suite_statements(node.body)
                if isinstance(s, cst.FunctionDef) and _returns_inner(s)
            }
        found: dict[str, list[str]] = {}
        for decorator, func in self._class_decorators(node, used).items():
            names: list[str] = []
            for child in descendants(func.body, (cst.ClassDef, cst.Lambda)):
                if not (
                    isinstance(child, cst.Call)
                    and isinstance(child.func, cst.Attribute)
                ):
                    continue

                # The class's own methods are read with the class.
                name = child.func.attr.value
                if dotted_name(child.func.value) in ("self", "cls") or name in names:
                    continue

                if name in _COMMON_METHODS or name.startswith("__"):
                    continue

                names.append(name)
            if names:
                found[decorator] = names[:12]
        return found

    def _listed_guard(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, (cst.List, cst.Tuple)):
            return False

        return any(self.guard_decorator(element.value) for element in value.elements)

    def guard_decorator(self, expr: cst.BaseExpression) -> bool:
        """Tell whether a decorator given as a value guards access, by what
        is known of it or, when nothing is, by its name."""
        verdict = self.class_decorator(expr)
        func = expr.func if isinstance(expr, cst.Call) else expr
        name = dotted_name(func) or ""
        if verdict is None:
            return bool(DECORATOR_HINT.search(name))
        return verdict == AUTH

    def allows_any(self, node: cst.ClassDef) -> bool:
        """Tell whether a class sets ``permission_classes`` to ``AllowAny`` only."""
        for stmt in suite_statements(node.body):
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue

            for small in stmt.body:
                value = _assigned_value(small)
                if (
                    value is not None
                    and _assigned_name(small) == "permission_classes"
                    and _allows_any(value, self.context)
                ):
                    return True
        return False

    def sets_permissions(self, node: cst.ClassDef) -> bool:
        for stmt in suite_statements(node.body):
            if isinstance(stmt, cst.SimpleStatementLine):
                if any(_assigned_name(s) in DRF_ATTRIBUTES for s in stmt.body):
                    return True
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in DRF_METHODS:
                return True
        return False

    def class_decorator(self, expr: cst.BaseExpression) -> str | None:
        """Classify a decorator, reading ``method_decorator(x)`` as ``x``."""
        if isinstance(expr, cst.Call):
            name = self.context.qualname(expr.func) or dotted_name(expr.func) or ""
            if _last(name) == "method_decorator" and expr.args:
                inner = expr.args[0].value
                items = (
                    [e.value for e in inner.elements]
                    if isinstance(inner, (cst.List, cst.Tuple))
                    else [inner]
                )
                verdicts = [self.class_decorator(item) for item in items]
                return AUTH if AUTH in verdicts else NEUTRAL

            if name in DRF_DECORATORS:
                if expr.args and _allows_any(expr.args[0].value, self.context):
                    return NEUTRAL
                return AUTH

            expr = expr.func
        name = self.context.qualname(expr) or dotted_name(expr)
        if name is None:
            return None

        known = self.decorator_name(name)
        if known is not None:
            return known

        if self.is_local(name):
            return self.guard(name)

        return None

    def _method_decorated(self, func: cst.FunctionDef) -> bool:
        return any(self.class_decorator(d.decorator) == AUTH for d in func.decorators)

    def class_bases(self, node: cst.ClassDef) -> list[str]:
        """Return the project-wide names of a class's bases."""
        found = []
        for arg in node.bases:
            if arg.keyword is not None:
                continue

            value = arg.value
            if isinstance(value, cst.Subscript):
                value = value.value
            name = dotted_name(value)
            if name:
                found.append(self.absolute(name))
        return found


def _assigned_name(small: cst.BaseSmallStatement) -> str | None:
    target = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
    elif isinstance(small, cst.AnnAssign):
        target = small.target
    return target.value if isinstance(target, cst.Name) else None


def _lenient(scheme: cst.Call) -> bool:
    """Tell whether a security scheme is made with ``auto_error=False``: it
    then lets a request without credentials through, handing the route None,
    and guards nothing unless the code checks that value."""
    arg = keyword(scheme, "auto_error")
    return (
        arg is not None
        and isinstance(arg.value, cst.Name)
        and arg.value.value == "False"
    )


def _assigned_value(small: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    """Return the value a class attribute is given, annotated or not:
    ``permission_classes: ClassVar[list] = [IsAdminUser]``."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.value
    if isinstance(small, cst.AnnAssign):
        return small.value
    return None


def _module(path: str) -> str:
    return module_name(path) or PurePosixPath(path).stem


# Facts about other files.


def _read_for_facts(context: FileContext) -> _FileAuth:
    """Read a file once for all the collectors, which run one after another
    before the traversal, and for the rule after it."""
    found = context.memo.get("auth")
    if found is None:
        found = context.memo["auth"] = _FileAuth.read(context)
    return found


class AuthGuards(FactCollector):
    """Functions and classes of the project that do or do not guard access."""

    name = "auth-guards"
    triggers = _GUARD_TEXT

    @classmethod
    def wants(cls, source: bytes, path: str) -> bool:
        return super().wants(source, path) and text_matches(_GUARD_SHAPE, source)

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        found = _read_for_facts(context)
        module = _module(context.path)
        guards: dict[str, dict] = {}
        top = {id(stmt) for stmt in context.module.body}
        for name, func in found.functions.items():
            if id(func) in top and _may_guard(func, found.aliases):
                deps = _absolute_targets(found, _depends_targets(func, found.aliases))
                auth = found.guard(name) == AUTH
                guards[f"{module}.{name}"] = {
                    "auth": auth,
                    "deps": deps,
                    "calls": [] if auth else _project_calls(found, func),
                }
                aliases = [] if auth else _imported_annotations(found, func)
                if aliases:
                    guards[f"{module}.{name}"]["aliases"] = aliases
        for name, markers in found.aliases.items():
            targets = _marker_targets(markers)
            guards[f"{module}.{name}"] = {
                "auth": any(found.dependency(t) == AUTH for t in targets),
                "deps": _absolute_targets(found, targets),
                "alias": True,
            }
        for name, node in found.classes.items():
            # A callable class serves as ``Depends(ProjectMember())``.
            call = _call_method(node)
            if call is None and not _CLASS_HINT.search(name) and not node.bases:
                continue

            auth = found.guard(name) == AUTH
            guards[f"{module}.{name}"] = {
                "auth": auth,
                "bases": found.class_bases(node),
                "allow_any": found.allows_any(node),
                "sets": found.sets_permissions(node),
                "checks": _checking_methods(found, node),
            }
            if call is not None and not auth:
                targets = _depends_targets(call, found.aliases)
                guards[f"{module}.{name}"].update(
                    deps=_absolute_targets(found, targets),
                    calls=_project_calls(found, call),
                )
            preconditions = [] if auth else found.preconditions(node)
            if preconditions:
                guards[f"{module}.{name}"]["preconditions"] = preconditions
            if name.endswith("Middleware") and _refuses(found, node):
                guards[f"{module}.{name}"]["refuses"] = True
        for name in found.calls:
            verdict = found.guard(name)
            if verdict == AUTH:
                guards[f"{module}.{name}"] = {"auth": True, "deps": []}
        return guards or None


def _call_method(node: cst.ClassDef) -> cst.FunctionDef | None:
    """Return the ``__call__`` method a class defines, if any."""
    for stmt in suite_statements(node.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__call__":
            return stmt
    return None


def _absolute_targets(
    found: _FileAuth, targets: list[cst.BaseExpression]
) -> list[str]:
    return [
        found.absolute(n)
        for t in targets
        if (n := dotted_name(t.func if isinstance(t, cst.Call) else t))
    ]


_CLASS_HINT = re.compile(r"View|Mixin|Permission|Endpoint|Resource|API|Api|Middleware")


def _refuses(found: _FileAuth, node: cst.ClassDef) -> bool:
    """Tell whether a method of a class both looks at the caller and turns
    them away (401, 403, a denial or a redirect to the login page); reading
    the user to pick a language or time zone guards nothing."""
    for stmt in suite_statements(node.body):
        if not isinstance(stmt, cst.FunctionDef) or not found.checks(
            stmt.body, _FUNCTIONS
        ):
            continue

        for child in descendants(stmt.body, _FUNCTIONS):
            if _is_refusal(child):
                return True
    return False


def _is_refusal(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Integer):
        return node.value in STATUSES

    if isinstance(node, (cst.Name, cst.Attribute)):
        name = node.value if isinstance(node, cst.Name) else node.attr.value
        return name in DENIALS or bool(STATUS_NAMES.match(name))

    if isinstance(node, cst.Call):
        last = _last(dotted_name(node.func) or "").lower()
        return "redirect" in last and "login" in last

    return False


def _project_calls(found: _FileAuth, func: cst.FunctionDef) -> list[str]:
    """Return the functions of the project that a guard-like function calls.

    A decorator often hands the check to another module (``admin_required``
    calling ``check_auth_token``); the facts of that module decide.
    """
    names: list[str] = []
    local = _local_imports(func)
    for child in descendants(func.body, (cst.ClassDef, cst.Lambda)):
        if not isinstance(child, cst.Call):
            continue

        name = dotted_name(child.func)
        if name is None or name.split(".", 1)[0] in ("self", "cls"):
            continue

        head = name.split(".", 1)[0]
        imported = head in found.context.bindings.imports or head in local.imports
        if not imported and not (name in found.functions and name != func.name.value):
            continue

        absolute = found.absolute(name, local)
        if absolute not in names:
            names.append(absolute)
    # The decorators stacked on the wrapper it returns, often imported inside
    # the function to avoid an import cycle.
    for stmt in suite_statements(func.body):
        if not isinstance(stmt, cst.FunctionDef):
            continue

        for decorator in stmt.decorators:
            expr = decorator.decorator
            name = dotted_name(expr.func if isinstance(expr, cst.Call) else expr)
            head = (name or "").split(".", 1)[0]
            if name and (
                head in local.imports or head in found.context.bindings.imports
            ):
                absolute = found.absolute(name, local)
                if absolute not in names:
                    names.insert(0, absolute)
    return names[:12]


def _returns_true(func: cst.FunctionDef) -> bool:
    body = _without_docstring(suite_statements(func.body))
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return False

    statement = body[0].body[0]
    return (
        isinstance(statement, cst.Return)
        and isinstance(statement.value, cst.Name)
        and statement.value.value == "True"
    )


def _redirects_to_login(
    func: cst.FunctionDef, skip: tuple[type, ...] = _FUNCTIONS
) -> bool:
    """Tell whether a ``dispatch``, a hook or a decorator can send the caller
    to a login page before the view runs, as a mixin requiring a signed-in
    customer does."""
    for child in descendants(func.body, skip):
        if not isinstance(child, cst.Call):
            continue

        if not _REDIRECT.search(_last(dotted_name(child.func) or "")):
            continue

        for inner in descendants(child):
            if isinstance(inner, cst.SimpleString) and _LOGIN_URL.search(
                string_value(inner) or ""
            ):
                return True

            if isinstance(inner, cst.Arg) and _returns_here(inner):
                return True
    return False


def _returns_here(arg: cst.Arg) -> bool:
    """Tell whether a redirect's argument carries the requested path back, as
    ``url_for(".admin", goto=request.path)`` does: the sign-in page's way of
    returning the caller where they were going."""
    if arg.keyword is None or not _RETURN_KEYS.match(arg.keyword.value):
        return False

    value = arg.value.func if isinstance(arg.value, cst.Call) else arg.value
    return (dotted_name(value) or "") in _REQUESTED_PATHS


def _returns_inner(func: cst.FunctionDef) -> bool:
    """Tell whether a function defines another one and returns it, as a
    decorator does."""
    return bool(_returned_functions(func))


def _returned_functions(func: cst.FunctionDef) -> list[cst.FunctionDef]:
    """Return the functions that ``func`` defines in its body and returns."""
    inner: dict[str, cst.FunctionDef] = {}
    returned = []
    for stmt in suite_statements(func.body):
        if isinstance(stmt, cst.FunctionDef):
            inner[stmt.name.value] = stmt
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Return)
                    and isinstance(small.value, cst.Name)
                    and small.value.value in inner
                ):
                    returned.append(inner[small.value.value])
    return returned


def _local_imports(func: cst.FunctionDef) -> Bindings:
    """Return the names that imports at the top of ``func`` bind."""
    local = Bindings()
    for stmt in suite_statements(func.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    local.add_import(small)
    return local


def _checking_methods(found: _FileAuth, node: cst.ClassDef) -> list[str]:
    """Return the methods of a class that check the caller, directly or through
    another method of the class (``self._prepare()`` running ``check_access``)."""
    methods = {
        stmt.name.value: stmt
        for stmt in suite_statements(node.body)
        if isinstance(stmt, cst.FunctionDef)
    }
    checking = {n for n, f in methods.items() if found.checks(f.body, _FUNCTIONS)}
    if not checking:
        return []

    for name, func in methods.items():
        if name in checking:
            continue

        for child in descendants(func.body, _FUNCTIONS):
            if (
                isinstance(child, cst.Call)
                and isinstance(child.func, cst.Attribute)
                and dotted_name(child.func.value) == "self"
                and child.func.attr.value in checking
            ):
                checking.add(name)
                break
    return sorted(checking)


def _may_guard(
    func: cst.FunctionDef, aliases: dict[str, list[cst.Call]] | None = None
) -> bool:
    """Tell whether a function may be a decorator, a dependency or a guard.

    Other functions are left out of the facts: a name missing from them is
    judged by its name, which costs nothing to collect.
    """
    if DEPENDENCY_HINT.search(func.name.value) or _depends_targets(func, aliases):
        return True

    return any(
        isinstance(stmt, cst.FunctionDef) for stmt in suite_statements(func.body)
    )


class AuthWiring(FactCollector):
    """Hooks, included routers, middleware and URL wrappers that guard routes."""

    name = "auth-wiring"
    triggers = _WIRING_TEXT

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        found = _read_for_facts(context)
        hooks = []
        for owner, hook in found.hooks:
            hooks.append(
                {
                    "owner": found.absolute(owner),
                    "app": _is_app(context, owner),
                    "auth": _hook_verdict(found, hook) == AUTH,
                    "target": _hook_target(found, hook),
                    "decorators": _hook_decorators(found, hook),
                }
            )
        includes = []
        app_auth = False
        middleware = False
        wrapped = []
        for small in found.statements:
            for call in _calls_in(small):
                name = dotted_name(call.func) or ""
                last = _last(name)
                qualified = context.qualname(call.func) or name
                listed = keyword(call, "decorators")
                if listed is not None and found._listed_guard(listed.value):
                    wrapped.extend(_registered_views(found, call))
                if last == "include_router" and call.args:
                    router = dotted_name(call.args[0].value)
                    if router and _dependency_auth(found, call):
                        includes.append(found.absolute(router))
                elif last in ("FastAPI", "APIRouter") and _dependency_auth(found, call):
                    app_auth = app_auth or last == "FastAPI"
                elif last == "add_middleware" and call.args:
                    cls_name = dotted_name(call.args[0].value) or ""
                    middleware = middleware or _is_auth_middleware(found, cls_name)
                elif found.decorator_name(qualified) == AUTH:
                    for arg in call.args:
                        view = arg.value
                        if isinstance(view, cst.Call):
                            view = view.func
                            if isinstance(view, cst.Attribute):
                                view = view.value
                        target = dotted_name(view)
                        if target:
                            wrapped.append(found.absolute(target))
        for func in found.functions.values():
            for decorator in func.decorators:
                expr = decorator.decorator
                if (
                    isinstance(expr, cst.Call)
                    and isinstance(expr.func, cst.Attribute)
                    and expr.func.attr.value == "middleware"
                    and _authenticates(func.body)
                ):
                    middleware = True
        includes.extend(_method_includes(found))
        includes.extend(i for i in _router_includes(found) if i not in includes)
        wrapped.extend(_app_config_views(found))
        wrapped.extend(_decorated_patterns(found))
        guarded_callers, open_callers = _handed_the_request(found)
        value_hooks = [
            {"owner": found.absolute(owner), "values": values}
            for owner, hook in found.value_hooks
            if (values := _guarded_values(found, hook))
        ]
        data = {
            "hooks": hooks,
            "value_hooks": value_hooks,
            # Flask apps made here: a hook another module adds to one, through
            # ``from shop import app``, guards every blueprint.
            "apps": [
                found.absolute(name)
                for name, cls in context.bindings.instances.items()
                if _last(cls) in ("Flask", "Quart")
            ],
            "includes": includes,
            "app_auth": app_auth,
            "middleware": middleware,
            "wrapped": wrapped,
            "handed": guarded_callers,
            "handed_open": open_callers,
        }
        return data if any(data.values()) else None


def _guarded_values(found: _FileAuth, hook: cst.FunctionDef) -> list[str]:
    """Return the URL values a value hook reads, if it turns callers away;
    one that only loads the object the values name guards nothing."""
    if _hook_verdict(found, hook) != AUTH:
        return []

    params = hook.params.params
    if len(params) < 2:
        return []

    holder = params[1].name.value
    values = []
    for child in descendants(hook.body, _FUNCTIONS):
        key = None
        if (
            isinstance(child, cst.Call)
            and isinstance(child.func, cst.Attribute)
            and dotted_name(child.func.value) == holder
            and child.func.attr.value in ("pop", "get")
            and child.args
        ):
            key = string_value(child.args[0].value)
        elif isinstance(child, cst.Subscript) and dotted_name(child.value) == holder:
            key = _subscript_text(child)
        if key and key not in values:
            values.append(key)
    return values


def _app_config_views(found: _FileAuth) -> list[str]:
    """Return the views that app configuration classes of the file wrap in a
    permission check as they build their URLs.

    ``get_urls()`` hands its patterns to ``self.post_process_urls()``, which
    wraps each view in the permissions that ``permissions_map`` gives the URL's
    name, else in ``default_permissions``; the views are often loaded by name
    (``self.list_view = get_class("shop.views", "ListView")`` in ``ready()``).
    """
    views = []
    for cls in found.classes.values():
        methods = [
            stmt for stmt in cls.body.body if isinstance(stmt, cst.FunctionDef)
        ]
        get_urls = next((m for m in methods if m.name.value == "get_urls"), None)
        if get_urls is None or not any(
            isinstance(node, cst.Call)
            and dotted_name(node.func) == "self." + _APP_CONFIGS["url_hook"]
            for node in descendants(get_urls.body)
        ):
            continue

        default = False
        by_name: dict[str, bool] = {}
        loaded: dict[str, str] = {}
        assigns = [
            small
            for line in cls.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for small in line.body
        ]
        assigns.extend(node for m in methods for node in descendants(m.body))
        for node in assigns:
            if not isinstance(node, cst.Assign) or len(node.targets) != 1:
                continue

            name = dotted_name(node.targets[0].target) or ""
            name = name.removeprefix("self.")
            if name == _APP_CONFIGS["default"]:
                default = _grants(node.value)
            elif name == _APP_CONFIGS["by_name"] and isinstance(node.value, cst.Dict):
                for element in node.value.elements:
                    key = string_value(element.key)
                    if isinstance(element, cst.DictElement) and key:
                        by_name[key] = _grants(element.value)
            elif (
                isinstance(node.value, cst.Call)
                and _last(dotted_name(node.value.func) or "")
                in _APP_CONFIGS["loaders"]
                and len(node.value.args) >= 2
            ):
                module = string_value(node.value.args[0].value)
                view = string_value(node.value.args[1].value)
                if module and view:
                    loaded[name] = f"{module}.{view}"

        for call in descendants(get_urls.body):
            if not isinstance(call, cst.Call) or len(call.args) < 2:
                continue

            url_name = keyword(call, "name")
            key = string_value(url_name.value) if url_name else None
            if key is None or not by_name.get(key, default):
                continue

            target = _pattern_view(call)
            if target.startswith("self."):
                # A name the loader resolves, matched by its dotted tail.
                target = loaded.get(target.removeprefix("self."), "")
            elif target:
                target = found.absolute(target)
            if target:
                views.append(target)
    return views


def _decorated_patterns(found: _FileAuth) -> list[str]:
    """Return the views of URL pattern lists that a helper wraps, each, in a
    guard: ``urlpatterns = decorate_urlpatterns(urlpatterns, require_admin)``,
    as Wagtail's admin does."""
    lists: dict[str, list[cst.BaseExpression]] = {}
    wrapped_lists: list[str] = []
    for small in found.statements:
        target = None
        if isinstance(small, (cst.Assign, cst.AugAssign)):
            targets = small.targets if isinstance(small, cst.Assign) else [small]
            if len(targets) == 1 and isinstance(targets[0].target, cst.Name):
                target = targets[0].target.value
        if target is None:
            continue

        value = small.value
        if isinstance(value, (cst.List, cst.Tuple)):
            lists.setdefault(target, []).extend(e.value for e in value.elements)
        elif (
            isinstance(value, cst.Call)
            and "decorat" in _last(dotted_name(value.func) or "")
            and any(
                isinstance(a.value, cst.Name) and a.value.value == target
                for a in value.args
            )
            and any(found.guard_decorator(a.value) for a in value.args)
        ):
            wrapped_lists.append(target)

    views = []
    for name in wrapped_lists:
        for pattern in lists.get(name, ()):
            if not isinstance(pattern, cst.Call) or len(pattern.args) < 2:
                continue

            target = _pattern_view(pattern)
            if target:
                views.append(found.absolute(target))
    return views


def _pattern_view(pattern: cst.Call) -> str:
    """Return the dotted name of the view a URL pattern routes to:
    ``path("x/", views.ListView.as_view(), name="x")`` gives
    ``views.ListView``; empty when it is not a name."""
    view = pattern.args[1].value
    if isinstance(view, cst.Call):
        view = view.func
    if isinstance(view, cst.Attribute) and view.attr.value == "as_view":
        view = view.value
    return dotted_name(view) or ""


def _handed_the_request(found: _FileAuth) -> tuple[list[str], list[str]]:
    """Return the functions of other modules to which the views of this file
    hand their request, first for guarded views, then for the others:
    ``return bans_view(request, template="bans.html")`` under
    ``@login_required``. A function only guarded views hand the request to is a
    helper reached through their guards, not a view of its own."""
    guarded: list[str] = []
    unguarded: list[str] = []
    top = {id(stmt) for stmt in found.context.module.body}
    for func in found.functions.values():
        params = func.params.params
        if not params or id(func) not in top:
            continue

        helpers = guarded if found._method_decorated(func) else unguarded
        request = params[0].name.value
        for call in descendants(func.body, _FUNCTIONS):
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Name)
                and call.args
                and call.args[0].keyword is None
                and isinstance(call.args[0].value, cst.Name)
                and call.args[0].value.value == request
                and call.func.value in found.context.bindings.imports
            ):
                helpers.append(found.absolute(call.func.value))
    return guarded, unguarded


def _grants(value: cst.BaseExpression) -> bool:
    """Tell whether a permissions value asks for something: not ``None`` and
    not an empty list or tuple."""
    if isinstance(value, cst.Name) and value.value == "None":
        return False

    return not (isinstance(value, (cst.List, cst.Tuple)) and not value.elements)


def _registered_views(found: _FileAuth, call: cst.Call) -> list[str]:
    """Return the views of the ``(path, view)`` table that a call registers
    with ``decorators=[...]``, which it applies to each view, as a helper
    wiring a blueprint's class views does."""
    tables = {}
    for small in found.statements:
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and isinstance(small.value, (cst.List, cst.Tuple))
        ):
            tables.setdefault(small.targets[0].target.value, small.value)
    views = []
    for arg in call.args:
        if arg.keyword is not None:
            continue

        table = arg.value
        if isinstance(table, cst.Name):
            table = tables.get(table.value)
        if not isinstance(table, (cst.List, cst.Tuple)):
            continue

        for row in table.elements:
            if not isinstance(row.value, (cst.List, cst.Tuple)):
                continue

            for item in row.value.elements:
                name = dotted_name(item.value)
                if name:
                    views.append(found.absolute(name))
    return views


def _method_includes(found: _FileAuth) -> list[str]:
    """Return the routers that methods and functions include with an auth
    dependency, named through the imports at their top: a server class often
    imports its routers inside the method that wires them, to avoid a cycle."""
    funcs = [
        stmt
        for node in found.classes.values()
        for stmt in suite_statements(node.body)
        if isinstance(stmt, cst.FunctionDef)
    ]
    # Module functions were read with the file's imports; only their own
    # imports can name a router differently.
    funcs += [f for f in found.functions.values() if _local_imports(f).imports]
    includes = []
    for func in funcs:
        local = None
        for stmt in suite_statements(func.body):
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue

            for small in stmt.body:
                call = getattr(small, "value", None)
                if not (
                    isinstance(call, cst.Call)
                    and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value == "include_router"
                    and call.args
                ):
                    continue

                router = dotted_name(call.args[0].value)
                if router and _dependency_auth(found, call):
                    local = local or _local_imports(func)
                    includes.append(found.absolute(router, local))
    return includes


def _authenticates(*bodies: cst.CSTNode) -> bool:
    """Tell whether a middleware, in one of its bodies, looks at a credential
    and can turn the request away. A 403 alone may come from an IP block list,
    and a look at the token alone from code that only refreshes it: neither
    guards a route."""
    if any(_only_some_paths(body) for body in bodies):
        return False

    looks = refuses = False
    children = (c for body in bodies for c in descendants(body, _FUNCTIONS))
    for child in children:
        looks = looks or (_is_check(child) and not _is_refusal_only(child))
        refuses = refuses or _is_refusal(child)
        if looks and refuses:
            return True
    return False


def _only_some_paths(body: cst.CSTNode) -> bool:
    """Tell whether a middleware lets every request through but those to some
    paths: ``if route_path != "/upload": return await self.app(...)``. A
    negative test of the path scopes the middleware to those paths; a positive
    one (``if path in PUBLIC: return await call_next(request)``) exempts them
    and leaves the rest guarded."""
    for node in suite_statements(body):
        if not isinstance(node, cst.If) or not _passes_on(node.body):
            continue

        test = node.test
        negative = (
            isinstance(test, cst.UnaryOperation)
            and isinstance(test.operator, cst.Not)
        ) or (
            isinstance(test, cst.Comparison)
            and any(
                isinstance(c.operator, (cst.NotEqual, cst.NotIn))
                for c in test.comparisons
            )
        )
        mentions_path = any(_names_path(n) for n in descendants(test))
        if negative and mentions_path:
            return True
    return False


def _names_path(node: cst.CSTNode) -> bool:
    """Tell whether a node names a request path: ``route_path``,
    ``request.url.path``, ``scope["path"]``."""
    if isinstance(node, cst.Name):
        return "path" in node.value
    if isinstance(node, cst.SimpleString):
        return string_value(node) == "path"
    return False


def _passes_on(block: cst.BaseSuite) -> bool:
    """Tell whether a block hands the request on: ``return await
    call_next(request)``, ``return await self.app(scope, receive, send)``."""
    for node in descendants(block, _FUNCTIONS):
        if isinstance(node, cst.Return) and node.value is not None:
            value = node.value
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call):
                name = dotted_name(value.func) or ""
                if name in ("call_next", "self.app", "self.get_response"):
                    return True
    return False


def _is_refusal_only(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Integer):
        return node.value == "403"

    name = None
    if isinstance(node, cst.Name):
        name = node.value
    elif isinstance(node, cst.Attribute):
        name = node.attr.value
    return name is not None and (
        "403" in name or "FORBIDDEN" in name.upper() or name in _REFUSALS
    )


_REFUSALS = frozenset(
    {"Forbidden", "PermissionDenied", "HTTPForbidden", "AccessDenied"}
)


def _calls_in(small: cst.BaseSmallStatement) -> list[cst.Call]:
    value = getattr(small, "value", None)
    if not isinstance(value, (cst.Call, cst.List, cst.Tuple, cst.BinaryOperation)):
        return []

    found = [value] if isinstance(value, cst.Call) else []
    # ``urlpatterns = [path("a", login_required(view)), ...]``
    for child in descendants(value, _FUNCTIONS):
        if isinstance(child, cst.Call):
            found.append(child)
    return found


def _is_app(context: FileContext, owner: str) -> bool:
    cls = context.bindings.instances.get(owner) or ""
    return _last(cls) in ("Flask", "Quart")


def _hook_verdict(found: _FileAuth, hook: cst.CSTNode) -> str | None:
    if isinstance(hook, cst.FunctionDef):
        guarded = (
            found.checks(hook.body)
            or found._decorated_auth(hook)
            or _redirects_to_login(hook)
        )
        return AUTH if guarded else NEUTRAL

    name = dotted_name(hook) if isinstance(hook, cst.BaseExpression) else None
    if name and found.is_local(name):
        return found.guard(name)

    return None


def _hook_decorators(found: _FileAuth, hook: cst.CSTNode) -> list[str]:
    """Return the project-wide names of a hook function's other decorators."""
    if not isinstance(hook, cst.FunctionDef):
        return []

    names = []
    for decorator in hook.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted_name(expr)
        if name is None or _last(name) in _HOOKS or found.is_local(name):
            continue

        names.append(found.absolute(name))
    return names


def _hook_target(found: _FileAuth, hook: cst.CSTNode) -> str | None:
    if isinstance(hook, cst.FunctionDef):
        return None

    name = dotted_name(hook) if isinstance(hook, cst.BaseExpression) else None
    if name is None or found.is_local(name):
        return None

    return found.absolute(name)


def _dependency_auth(
    found: _FileAuth,
    call: cst.Call,
    lists: dict[str, list[cst.BaseExpression]] | None = None,
) -> bool:
    """Tell whether the ``dependencies=`` of a router, app or include holds an
    auth dependency: a list, either branch of ``[...] if switch else []``, or
    a list of the same scope (``lists``), appended to under an ``if`` or not."""
    arg = keyword(call, "dependencies")
    if arg is None:
        return False

    for marker in _dependency_markers(arg.value, lists or {}):
        if not isinstance(marker, cst.Call) or not marker.args:
            continue

        name = dotted_name(marker.func) or ""
        if _last(name) == "Security":
            return True

        target = marker.args[0].value
        if found.lenient_scheme(target):
            continue
        if found.dependency(target) == AUTH:
            return True

        text = dotted_name(target.func if isinstance(target, cst.Call) else target)
        if text and DEPENDENCY_HINT.search(_last(text)):
            return True
    return False


def _dependency_markers(
    value: cst.BaseExpression, lists: dict[str, list[cst.BaseExpression]]
) -> list[cst.BaseExpression]:
    """Return the ``Depends(...)`` markers a ``dependencies=`` value may hold."""
    if isinstance(value, (cst.List, cst.Tuple)):
        elements = value.elements
        return [e.value for e in elements if not isinstance(e, cst.StarredElement)]
    if isinstance(value, cst.IfExp):
        return [
            *_dependency_markers(value.body, lists),
            *_dependency_markers(value.orelse, lists),
        ]
    if isinstance(value, cst.Name):
        return lists.get(value.value, [])
    return []


def _router_includes(found: _FileAuth) -> list[str]:
    """Return the routers that a router with auth dependencies includes, in
    the file's module code and in each of its functions: a factory often builds
    ``router = APIRouter(dependencies=deps)`` from a list it appends to under a
    switch, then includes the routers of other modules in it, directly or
    through an intermediate router."""
    return _read_router_scopes(found)[0]


def _factory_routes(found: _FileAuth) -> set[int]:
    """Return the ids of the handlers that a factory declares on a router it
    builds with auth dependencies, read as :func:`_router_includes` reads them:
    ``router = APIRouter(dependencies=deps)``, then ``@router.post(...)``
    inside the same function."""
    return _read_router_scopes(found)[1]


def _read_router_scopes(found: _FileAuth) -> tuple[list[str], set[int]]:
    """Read the routers of each scope once per file, for the wiring collector
    and for the rule."""
    memo = found.context.memo
    if "router-scopes" not in memo:
        memo["router-scopes"] = _router_scopes(found)
    return memo["router-scopes"]


def _router_scopes(found: _FileAuth) -> tuple[list[str], set[int]]:
    scopes: list[list[cst.CSTNode]] = [
        [s for s in found.context.module.body if not isinstance(s, _SCOPES)]
    ]
    for node in descendants(found.context.module, (cst.Lambda,)):
        if isinstance(node, cst.FunctionDef):
            scopes.append([node.body])

    included: list[str] = []
    handlers: set[int] = set()
    for scope in scopes:
        lists: dict[str, list[cst.BaseExpression]] = {}
        routers: dict[str, cst.Call] = {}
        includes: list[tuple[str, cst.Call]] = []
        nodes = [n for top in scope for n in descendants(top, _SCOPES)]
        # Assignments first: the walk does not follow source order.
        for node in nodes:
            if not isinstance(node, cst.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0].target
            value = node.value
            if not isinstance(target, cst.Name):
                continue
            if isinstance(value, (cst.List, cst.Tuple, cst.IfExp)):
                lists[target.value] = _dependency_markers(value, {})
            elif isinstance(value, cst.Call) and dotted_name(value.func) == "list":
                # ``deps = list(shared)``: a copy to append to.
                copied = value.args[0].value if value.args else None
                markers = _dependency_markers(copied, lists) if copied else []
                lists[target.value] = list(markers)
            elif isinstance(value, cst.Call) and _makes_router(value):
                routers[target.value] = value
        for node in nodes:
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                owner = node.func.value
                method = node.func.attr.value
                if isinstance(owner, cst.Name) and owner.value in lists and node.args:
                    added = node.args[-1].value
                    if method == "append":
                        lists[owner.value].append(added)
                    elif method == "extend":
                        lists[owner.value].extend(_dependency_markers(added, {}))
                elif method == "include_router" and node.args:
                    parent = dotted_name(owner)
                    if parent:
                        includes.append((parent, node))

        guarded = {
            name
            for name, call in routers.items()
            if _dependency_auth(found, call, lists)
        }
        for node in nodes:
            if isinstance(node, cst.FunctionDef) and any(
                _decorator_owner(d.decorator) in guarded for d in node.decorators
            ):
                handlers.add(id(node))
        changed = True
        while changed:
            changed = False
            for parent, call in includes:
                child = dotted_name(call.args[0].value)
                if not child or child in guarded:
                    continue
                if parent in guarded or _dependency_auth(found, call, lists):
                    guarded.add(child)
                    changed = True
                    if child not in routers:
                        included.append(found.absolute(child))
    return included, handlers


def _makes_router(call: cst.Call) -> bool:
    """Tell whether a call makes an app or a router: ``FastAPI()``,
    ``APIRouter()``, or a router class built on it (cadwyn's
    ``VersionedAPIRouter``)."""
    last = _last(dotted_name(call.func) or "")
    return last == "FastAPI" or last.endswith("Router")


def _decorator_owner(expr: cst.BaseExpression) -> str | None:
    """Return the object a route decorator is called on: ``router`` for
    ``@router.post("/x")``."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return dotted_name(expr.value)
    return None


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _is_auth_middleware(found: _FileAuth, name: str) -> bool:
    if not name:
        return False

    # A middleware guards every route of the app, so a refusal alone is not
    # enough: a 403 for uploads off the allowed paths checks requests, not
    # callers. It must look at a credential and be able to refuse, as a
    # function middleware must.
    if found.is_local(name):
        node = found.classes.get(name)
        if node is None:
            return False

        methods = suite_statements(node.body)
        return _authenticates(
            *(s.body for s in methods if isinstance(s, cst.FunctionDef))
        )

    return bool(re.search(r"(?i)auth|login|token|apikey|api_key", _last(name)))


class AuthSettings(FactCollector):
    """Django settings that protect every view: login middleware, DRF defaults."""

    name = "auth-settings"
    triggers = _SETTINGS_TEXT

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        login = admin = False
        drf: list[str] | None = None
        areas: list[str] = []
        for child in descendants(context.module, _FUNCTIONS):
            if isinstance(child, cst.SimpleString):
                value = string_value(child) or ""
                if value.endswith(LOGIN_MIDDLEWARE):
                    login = True
                elif _ADMIN_MIDDLEWARE.search(value):
                    admin = True
                elif _AREA_MIDDLEWARE.match(value) and value not in areas:
                    areas.append(value)
            elif (
                isinstance(child, cst.DictElement)
                and string_value(child.key) == DRF_DEFAULT_KEY
            ):
                drf = _string_items(child.value)
        if not login and not admin and drf is None and not areas:
            return None

        return {
            "login_middleware": login,
            "admin_middleware": admin,
            "drf_permissions": drf,
            "area_middleware": areas,
        }


def _string_items(node: cst.BaseExpression) -> list[str]:
    if not isinstance(node, (cst.List, cst.Tuple)):
        return ["?"]

    return [string_value(e.value) or "?" for e in node.elements]


# The project, as the rule reads it.


@dataclass
class _Project:
    guards: dict[str, dict]
    by_tail: dict[str, list[str]]
    by_last: dict[str, list[str]]
    hooks: list[dict]
    value_hooks: list[dict]
    includes: set[str]
    app_hook: bool
    app_auth: bool
    middleware: bool
    wrapped: set[str]
    bases: set[str]
    checking_methods: set[str]
    login_middleware: bool
    admin_middleware: bool
    area_middleware: list[str]
    drf_permissions: list[str] | None
    has_settings: bool

    def find(self, name: str) -> dict | None:
        found = self.guards.get(name)
        if found is not None:
            return found

        for candidate in self.by_tail.get(_tail(name), ()):
            if _same(candidate, name):
                return self.guards[candidate]

        # Packages re-export their classes (``from .object_views import *``):
        # a name defined once in the project is that definition.
        matches = self.by_last.get(_last(name), ())
        return self.guards[matches[0]] if len(matches) == 1 else None


def _tail(name: str) -> str:
    return ".".join(name.rsplit(".", 2)[-2:])


def _same(a: str, b: str) -> bool:
    """Tell whether two dotted names agree, one being a suffix of the other."""
    short, long = sorted((a, b), key=len)
    return long == short or long.endswith("." + short)


@per_index
def _project(index: ProjectIndex) -> _Project:
    guards: dict[str, dict] = {}
    for _, data in index.of(AuthGuards.name):
        guards.update(data)
    by_tail: dict[str, list[str]] = {}
    by_last: dict[str, list[str]] = {}
    for name in guards:
        by_tail.setdefault(_tail(name), []).append(name)
        by_last.setdefault(_last(name), []).append(name)
    hooks: list[dict] = []
    value_hooks: list[dict] = []
    includes: set[str] = set()
    wrapped: set[str] = set()
    apps: set[str] = set()
    app_auth = middleware = False
    handed: set[str] = set()
    handed_open: set[str] = set()
    for _, data in index.of(AuthWiring.name):
        hooks.extend(data["hooks"])
        handed.update(data.get("handed", ()))
        handed_open.update(data.get("handed_open", ()))
        apps.update(data.get("apps", ()))
        value_hooks.extend(data.get("value_hooks", ()))
        includes.update(data["includes"])
        wrapped.update(data["wrapped"])
        app_auth = app_auth or data["app_auth"]
        middleware = middleware or data["middleware"]
    # A helper some view hands its request to without a guard is a view too.
    wrapped.update(handed - handed_open)
    settings = [data for _, data in index.of(AuthSettings.name)]
    drf = None
    for data in settings:
        if data["drf_permissions"] is not None:
            drf = (drf or []) + data["drf_permissions"]
    project = _Project(
        guards=guards,
        by_tail=by_tail,
        by_last=by_last,
        hooks=hooks,
        value_hooks=value_hooks,
        includes=includes,
        app_hook=False,
        app_auth=app_auth,
        middleware=middleware,
        wrapped=wrapped,
        bases={_last(b) for data in guards.values() for b in data.get("bases", ())},
        checking_methods={
            m for data in guards.values() for m in data.get("checks", ())
        },
        login_middleware=any(d["login_middleware"] for d in settings),
        admin_middleware=any(d.get("admin_middleware") for d in settings),
        area_middleware=[m for d in settings for m in d.get("area_middleware", ())],
        drf_permissions=drf,
        has_settings=bool(settings),
    )
    project.app_hook = any(
        (h["app"] or _in(h["owner"], apps)) and _hook_auth(project, h) for h in hooks
    )
    return project


def _hook_auth(project: _Project, hook: dict) -> bool:
    if hook["auth"]:
        return True

    # ``@bp.before_request`` stacked on ``@admin_required``.
    for name in hook.get("decorators", ()):
        record = project.find(name)
        if record is not None and _record_auth(project, record, 0):
            return True
        if record is None and DECORATOR_HINT.search(_last(name)):
            return True

    target = hook.get("target")
    record = project.find(target) if target else None
    return bool(record and _record_auth(project, record, 0))


def _record_auth(project: _Project, record: dict, depth: int) -> bool:
    """Tell whether a project function or class guards access, following the
    dependencies and project calls its facts list."""
    if record.get("auth"):
        return True

    if depth > 6:
        return False

    for dep in record.get("deps", ()):
        inner = project.find(dep)
        if inner is not None and _record_auth(project, inner, depth + 1):
            return True
        if inner is None and DEPENDENCY_HINT.search(_last(dep)):
            return True

    for call in record.get("calls", ()):
        inner = project.find(call)
        if inner is not None and _record_auth(project, inner, depth + 1):
            return True

    # A parameter typed with an ``Annotated`` alias of another module.
    for name in record.get("aliases", ()):
        inner = project.find(name)
        if inner and inner.get("alias") and _record_auth(project, inner, depth + 1):
            return True
    return False


def _in(name: str, names: set[str]) -> bool:
    return any(_same(name, other) for other in names)


def _guard_answer(project: _Project, name: str) -> str | None:
    record = project.find(name)
    if record is None:
        return None

    return AUTH if _record_auth(project, record, 0) else NEUTRAL


def _guards_anything(project: _Project) -> bool:
    """Tell whether the project defines or wires any protection the rule sees:
    a guard, an auth dependency on a router or the app, a hook or middleware
    that checks the caller, or a DRF default permission."""
    return bool(
        any(record.get("auth") for record in project.guards.values())
        or project.includes
        or project.wrapped
        or project.app_auth
        or project.middleware
        or project.login_middleware
        or _drf_default_answer(project)
        or any(_hook_auth(project, hook) for hook in project.hooks)
    )


def _alias_answer(project: _Project, name: str) -> bool:
    record = project.find(name)
    return bool(record and record.get("alias") and _record_auth(project, record, 0))


def _checks_answer(project: _Project, name: str) -> list[str]:
    record = project.find(name)
    return record.get("checks", []) if record is not None else []


def _hooked_answer(project: _Project, owner: str) -> bool:
    return any(
        _same(h["owner"], owner) and _hook_auth(project, h) for h in project.hooks
    )


def _value_hooked_answer(project: _Project, owner: str, values: tuple) -> bool:
    return any(
        _same(h["owner"], owner) and set(h["values"]) & set(values)
        for h in project.value_hooks
    )


def _area_answer(project: _Project, module: str) -> bool:
    """Tell whether a middleware of the module's sub-package refuses
    anonymous callers."""
    dotted = f".{module}."
    for name in project.area_middleware:
        area = _AREA_MIDDLEWARE.match(name).group(1)
        if f".{area}." not in dotted:
            continue

        record = project.find(name)
        if record is not None and record.get("refuses"):
            return True
    return False


def _drf_default_answer(project: _Project) -> bool:
    listed = project.drf_permissions
    return bool(listed) and not all(_last(name) in ALLOW_ANY for name in listed)


# What the rule may ask about the project: each answer is small JSON data, so
# the runner can tell whether a file's first look still holds.
_QUESTIONS: dict[str, Callable[..., Any]] = {
    "app-auth": lambda p: p.middleware or p.app_auth,
    "app-hook": lambda p: p.app_hook,
    "admin-middleware": lambda p: p.admin_middleware,
    "alias": _alias_answer,
    "area-middleware": _area_answer,
    "base": lambda p, name: name in p.bases,
    "checks": _checks_answer,
    "class": lambda p, name: p.find(name),
    "drf-default": _drf_default_answer,
    "guard": _guard_answer,
    "guards-anything": _guards_anything,
    "has-settings": lambda p: p.has_settings,
    "hooked": _hooked_answer,
    "included": lambda p, name: _in(name, p.includes),
    "login-middleware": lambda p: p.login_middleware,
    "method": lambda p, name: name in p.checking_methods,
    "value-hooked": _value_hooked_answer,
    "wrapped": lambda p, name: _in(name, p.wrapped),
}


# The rule.


@dataclass
class _Verdict:
    protected: bool = False
    missing: list[str] = field(default_factory=list)
    confidence: Level = Level.HIGH
    related: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    note: str = ""

    def doubt(self, level: Level) -> None:
        self.confidence = min(self.confidence, level)


class RouteWithoutAuthentication(Rule):
    id = "AHL201"
    triggers = _ROUTE_TEXT
    facts = (AuthGuards, AuthWiring, AuthSettings)

    @classmethod
    def answer(cls, project: ProjectIndex, question: tuple) -> Any:
        kind, *args = question
        return _QUESTIONS[kind](_project(project), *args)

    def leave_Module(self, _node: cst.Module) -> None:
        if self.context.is_test_file or _TEST_FOLDER.search(self.context.path):
            return

        routes = [r for r in self.context.routes if r.handler is not None]
        if not routes:
            return

        self._file = _read_for_facts(self.context)
        self._visiting: set[int] = set()
        seen: set[int] = set()
        judged = 0
        unguarded: list[tuple[Route, _Verdict]] = []
        for route in routes:
            if id(route.handler) in seen:
                continue

            seen.add(id(route.handler))
            verdict = self._judge(route)
            if verdict is None:
                continue

            judged += 1
            if not verdict.protected:
                unguarded.append((route, verdict))

        # Where most of a file's routes show no protection the rule knows, the
        # project usually guards them in a way it does not read (readings of
        # real applications found such clusters to be missed protections):
        # each is reported, at low confidence, with the count. Not so in a
        # project that guards nothing the rule can see: there the routes are
        # most likely open indeed.
        clustered = (
            len(unguarded) >= _CLUSTER
            and 2 * len(unguarded) > judged
            and self.ask("guards-anything")
        )
        for route, verdict in unguarded:
            if clustered:
                verdict.doubt(Level.LOW)
                others = len(unguarded) - 1
                share = "the" if others == judged - 1 else f"{others} of the"
                verdict.note = (
                    f"; so do {share} {judged - 1} other routes checked in this"
                    " file: the project may guard them in a way this rule does"
                    " not read"
                )
            self._report_unguarded(route, verdict)

    def _judge(self, route: Route) -> _Verdict | None:
        """Return the verdict on a route, or None for one the rule leaves
        alone: public by intent, a helper, or a read of nothing private."""
        # A low-confidence route is a helper that takes the request as often
        # as it is a view.
        if route.confidence == Level.LOW:
            return None

        if self._is_public(route) or _is_generic_base(route):
            return None

        if route.node is route.handler and self._is_helper(route):
            return None

        if _takes_capability(route):
            return None

        # Most unauthenticated reads are public pages by intent; a read is
        # reported only when its path or name says what it serves is private.
        methods = _effective_methods(route)
        if _only_reads(methods) and not self._is_sensitive(route):
            return None

        verdict = _Verdict()
        verdict.doubt(route.confidence)
        if route.framework in ("flask",):
            self._flask(route, verdict)
        elif route.framework in ("fastapi", "starlette"):
            self._fastapi(route, verdict)
        elif isinstance(route.handler, cst.ClassDef):
            self._django_class(route, verdict)
        else:
            self._django_function(route, verdict)

        if verdict.protected:
            return verdict

        # Read last, for the few routes left: a view whose only forms serve a
        # public flow (a member search, a login form) is public by intent.
        if (
            _only_public_forms(route.handler)
            or _is_inert(route)
            or _only_redirects(route.handler)
            or (_only_reads(methods) and _serves_sign_in_settings(route.handler))
        ):
            return None
        return verdict

    def _report_unguarded(self, route: Route, verdict: _Verdict) -> None:
        methods = _method_label(route.methods)
        if route.path is None:
            where = f"view {route.handler_name}"
        elif not route.path:
            # ``@router.post("")``: the root of a router mounted elsewhere.
            where = f'"" ({route.handler_name})'
        else:
            where = route.path
        message = (
            f"{methods} {where} has no authentication: "
            + ", ".join(verdict.missing)
            + verdict.note
        )
        self.report(
            route.node,
            message,
            severity=self._severity(route),
            confidence=verdict.confidence,
            related=verdict.related,
            fix=self._suggestion(route),
        )

    # Advice: the guard the file's other routes use.

    def _suggestion(self, route: Route) -> Fix:
        counts = Counter(self._guard_counts())
        counts.subtract(self._guards.get(id(route.handler), ()))
        counts = +counts
        if not counts:
            return Fix(self.fix)

        guard, count = counts.most_common(1)[0]
        routes = "route in this file does" if count == 1 else "routes in this file do"
        return Fix(f"add {guard}, as {count} other {routes}")

    def _guard_counts(self) -> Counter[str]:
        """Count the auth decorators and dependencies on this file's routes."""
        counts = getattr(self, "_counts", None)
        if counts is not None:
            return counts

        counts = Counter()
        self._guards: dict[int, set[str]] = {}
        for route in self.context.routes:
            handler = route.handler
            if handler is None or id(handler) in self._guards:
                continue

            guards = set(self._decorator_guards(route))
            guards.update(self._dependency_guards(route))
            self._guards[id(handler)] = guards
            counts.update(guards)
        self._counts = counts
        return counts

    def _decorator_guards(self, route: Route) -> list[str]:
        found = []
        for decorator in getattr(route.handler, "decorators", ()):
            expr = _unwrap_method_decorator(decorator.decorator, self.context)
            func = expr.func if isinstance(expr, cst.Call) else expr
            written = dotted_name(func)
            name = self.context.qualname(func) or written
            if name is None or written is None or self._is_routing(name, route):
                continue

            known = self._file.class_decorator(expr)
            if known is None:
                known = self._project_guard(name)
            if known == AUTH or (known is None and DECORATOR_HINT.search(_last(name))):
                found.append(f"@{written}")
        return found

    def _dependency_guards(self, route: Route) -> list[str]:
        found = []
        for dep in route.dependencies:
            if dep.level not in ("handler", "route"):
                continue

            if dep.kind != "security" and not self._dependency_auth(
                dep.target, dep.node
            ):
                continue

            marker = dotted_name(dep.node.func)
            wrapped = dotted_name(dep.node.args[0].value) if dep.node.args else None
            if marker is not None and wrapped is not None:
                found.append(f"{marker}({wrapped})")
        return found

    # Public by intent.

    def _is_public(self, route: Route) -> bool:
        patterns = self.context.options.get("public_routes") or ()
        written = route.path or ""
        path = self._owner_prefix(route) + written
        name = route.handler_name or ""
        for pattern in patterns:
            if any(
                fnmatch.fnmatchcase(text, pattern) for text in {written, path} if text
            ) or fnmatch.fnmatchcase(name, pattern):
                return True

        segments = {s.lower() for s in _SEGMENT_NOISE.sub("", path).split("/") if s}
        if segments & PUBLIC_WORDS:
            return True

        words = [w.lower() for w in _WORD.findall(_last(name))]
        if set(words) & _PUBLIC_NAME_WORDS:
            return True

        if any(all(w in words for w in pair) for pair in _PUBLIC_NAME_PAIRS):
            return True

        if isinstance(route.handler, cst.ClassDef):
            for base in self._file.class_bases(route.handler):
                if _last(base) in PUBLIC_VIEWS:
                    return True
        return False

    def _owner_prefix(self, route: Route) -> str:
        """Return the literal prefix of the router or blueprint that declares
        the route, when this file makes it: ``APIRouter(prefix="/oauth2")``,
        ``Blueprint("sso", __name__, url_prefix="/sso")``."""
        made = self._file.calls.get(route.owner or "")
        if made is None:
            return ""

        for name in ("prefix", "url_prefix"):
            arg = keyword(made, name)
            value = string_value(arg.value) if arg is not None else None
            if value:
                return value.rstrip("/")
        return ""

    def _is_helper(self, route: Route) -> bool:
        """Tell whether a view found by shape is really a base or a helper.

        A class other project classes derive from is a base; a function other
        functions of its file call is a helper they hand the request to.
        """
        name = route.handler_name or ""
        if isinstance(route.handler, cst.ClassDef):
            return self.ask("base", name)

        for func in self._file.functions.values():
            if func is route.handler:
                continue

            for child in descendants(func.body, (cst.ClassDef, cst.Lambda)):
                if (
                    isinstance(child, cst.Call)
                    and isinstance(child.func, cst.Name)
                    and child.func.value == name
                ):
                    return True
        return False

    def _is_sensitive(self, route: Route) -> bool:
        path = (route.path or "").lower()
        words = set(_SEGMENT_NOISE.sub("", path).split("/"))
        words |= {w.lower() for w in _WORD.findall(_last(route.handler_name or ""))}
        return bool(words & SENSITIVE_WORDS)

    def _severity(self, route: Route) -> Level:
        if route.methods & UNSAFE_METHODS and route.methods != ANY_METHOD:
            return Level.HIGH

        path = (route.path or "").lower()
        if set(_SEGMENT_NOISE.sub("", path).split("/")) & SENSITIVE_WORDS:
            return Level.HIGH

        return Level.MEDIUM

    # Decorators, for every framework.

    def _decorators(self, route: Route, verdict: _Verdict) -> None:
        handler = route.handler
        for decorator in handler.decorators:
            expr = _unwrap_method_decorator(decorator.decorator, self.context)
            func = expr.func if isinstance(expr, cst.Call) else expr
            name = self.context.qualname(func) or dotted_name(func)
            if name is None or self._is_routing(name, route):
                continue

            known = self._file.class_decorator(expr)
            if known is None:
                known = self._project_guard(name)
            if known == AUTH:
                verdict.protected = True
                return

            if known == NEUTRAL:
                continue

            if DECORATOR_HINT.search(_last(name)):
                # A decorator of the project named like a guard, whose body is
                # out of sight: taken as protection, as a reviewer would.
                verdict.protected = True
                return

            verdict.doubt(Level.LOW)
            verdict.related.append(
                (decorator, f"@{name} was not inspected and may check the caller")
            )

        # ``add_url_rule(..., view_func=login_required(view))``,
        # ``path("x/", login_required(view))``.
        if isinstance(route.node, cst.Call):
            for arg in route.node.args:
                if isinstance(arg.value, cst.Call):
                    wrapper = arg.value.func
                    if self._file.class_decorator(arg.value) == AUTH or (
                        self._project_guard(
                            self.context.qualname(wrapper) or dotted_name(wrapper) or ""
                        )
                        == AUTH
                    ):
                        verdict.protected = True
                        return

    def _is_routing(self, name: str, route: Route) -> bool:
        last = _last(name)
        if last in VERBS or last in ("route", "api_route", "websocket", "expose"):
            return True

        return route.owner is not None and name.startswith(route.owner + ".")

    def _checking_methods(self, call: cst.Call) -> list[str]:
        """Return the caller-checking methods of the project class ``call``
        builds, as the facts of its module list them."""
        name = dotted_name(call.func)
        if name is None or not _last(name)[:1].isupper():
            return []

        if self._file.is_local(name):
            return []

        return self.ask("checks", self._file.absolute(name))

    def _project_guard(self, name: str) -> str | None:
        if not name or self._file.is_local(name):
            return None

        return self.ask("guard", self._file.absolute(name))

    def _handler_checks(self, route: Route, verdict: _Verdict) -> None:
        method_calls: list[cst.Call] = []
        instances: dict[str, list[str]] = {}
        for child in descendants(route.handler.body, (cst.ClassDef, cst.Lambda)):
            if _is_check(child):
                verdict.protected = True
                return

            if isinstance(child, cst.Assign) and isinstance(child.value, cst.Call):
                checks = self._checking_methods(child.value)
                for target in child.targets:
                    if checks and isinstance(target.target, cst.Name):
                        instances[target.target.value] = checks
            if isinstance(child, cst.Call) and isinstance(child.func, cst.Attribute):
                method_calls.append(child)

            # A helper of this file that the view hands the request to.
            if isinstance(child, cst.Call) and isinstance(child.func, cst.Name):
                helper = self._file.functions.get(child.func.value)
                if (
                    helper is not None
                    and helper is not route.handler
                    and checks_caller(helper.body, (cst.ClassDef, cst.Lambda))
                ):
                    verdict.protected = True
                    return

        # ``view = OtherView()`` then ``view._prepare(...)``, where the facts
        # of the other module say ``_prepare`` checks the caller.
        for call in method_calls:
            owner = call.func.value
            method = call.func.attr.value
            if isinstance(owner, cst.Name):
                checks = instances.get(owner.value, ())
            elif isinstance(owner, cst.Call):
                checks = self._checking_methods(owner)
            else:
                continue

            if method in checks:
                verdict.protected = True
                return

    # Flask.

    def _flask(self, route: Route, verdict: _Verdict) -> None:
        self._decorators(route, verdict)
        if verdict.protected:
            return

        self._handler_checks(route, verdict)
        handler = route.handler
        if isinstance(handler, cst.ClassDef) and self._class_state(handler)["auth"]:
            verdict.protected = True
        elif self._plugin_protected(route):
            verdict.protected = True
        if verdict.protected:
            return

        owner = route.owner or ""
        if self._flask_hooked(owner) or self.ask("app-hook"):
            verdict.protected = True
            return

        if owner and self._value_hooked(owner, route.path or ""):
            verdict.protected = True
            return

        # A table of views registered elsewhere with guard decorators.
        if route.handler_name and self.ask(
            "wrapped", self._file.absolute(route.handler_name)
        ):
            verdict.protected = True
            return

        if not owner:
            kind = "its blueprint or app"
        elif _is_app(self.context, owner):
            kind = "the app"
        else:
            kind = "the blueprint"
        verdict.missing = [
            "no auth decorator",
            f"no before_request hook on {kind}",
            "no login check in the handler",
        ]

    def _plugin_protected(self, route: Route) -> bool:
        """Tell whether a plugin framework requires a login for the route, as
        OctoPrint does for a blueprint plugin's routes unless the plugin
        turns it off."""
        handler = route.handler
        if not isinstance(handler, cst.FunctionDef):
            return False

        names = {
            self.context.qualname(d.decorator.func) or ""
            for d in handler.decorators
            if isinstance(d.decorator, cst.Call)
        }
        if not names & PLUGIN_ROUTES:
            return False

        for node in self._file.classes.values():
            methods = {
                s.name.value: s
                for s in suite_statements(node.body)
                if isinstance(s, cst.FunctionDef)
            }
            if methods.get(handler.name.value) is not handler:
                continue

            switch = next((methods[n] for n in PLUGIN_SWITCHES if n in methods), None)
            return switch is None or _returns_true(switch)
        return False

    def _value_hooked(self, owner: str, path: str) -> bool:
        values = tuple(sorted(set(_PATH_VALUE.findall(path))))
        if not values:
            return False

        for hooked, hook in self._file.value_hooks:
            if hooked == owner and set(_guarded_values(self._file, hook)) & set(values):
                return True

        return self.ask("value-hooked", self._file.absolute(owner), values)

    def _flask_hooked(self, owner: str) -> bool:
        if not owner:
            return False

        for hooked, hook in self._file.hooks:
            if hooked == owner and _hook_verdict(self._file, hook) == AUTH:
                return True
            if (
                _is_app(self.context, hooked)
                and _hook_verdict(self._file, hook) == AUTH
            ):
                return True

        return self.ask("hooked", self._file.absolute(owner))

    # FastAPI and Starlette.

    def _fastapi(self, route: Route, verdict: _Verdict) -> None:
        if self.ask("app-auth"):
            verdict.protected = True
            return

        for dep in route.dependencies:
            security = dep.kind == "security" and not (
                dep.node.args and self._file.lenient_scheme(dep.node.args[0].value)
            )
            if security or self._dependency_auth(dep.target, dep.node):
                verdict.protected = True
                return

        if isinstance(route.handler, cst.FunctionDef) and self._alias_guarded(
            route.handler
        ):
            verdict.protected = True
            return

        if route.owner and self.ask("included", self._file.absolute(route.owner)):
            verdict.protected = True
            return

        if id(route.handler) in _factory_routes(self._file):
            verdict.protected = True
            return

        self._decorators(route, verdict)
        if verdict.protected:
            return

        self._handler_checks(route, verdict)
        verdict.missing = [
            "no auth dependency on the route, its router or the app",
            "no auth middleware",
            "no credential check in the handler",
        ]

    def _dependency_auth(self, target: str | None, node: cst.Call) -> bool:
        if target is None:
            return False

        wrapped = node.args[0].value if node.args else None
        # A scheme made with ``auto_error=False`` on the route itself lets
        # anonymous requests in; a project dependency may still check its value.
        if wrapped is not None and self._file.lenient_scheme(wrapped):
            return False

        if wrapped is not None and self._file.dependency(wrapped) == AUTH:
            return True

        # A dependency of this file that takes an alias of another module.
        helper = (
            self._file.functions.get(wrapped.value)
            if isinstance(wrapped, cst.Name)
            else None
        )
        if helper is not None and self._alias_guarded(helper):
            return True

        if self._project_guard(target) == AUTH:
            return True

        # ``_auth = ServiceAccount(token)``: an instance of a class of another
        # module, which FastAPI calls.
        made = (
            self._file.calls.get(wrapped.value)
            if isinstance(wrapped, cst.Name)
            else None
        )
        if made is not None and self._project_guard(dotted_name(made.func)) == AUTH:
            return True

        head = target.split(".", 1)[0]
        if self._file.is_local(head) or self._project_guard(target) == NEUTRAL:
            return False

        return bool(DEPENDENCY_HINT.search(_last(target)))

    def _alias_guarded(self, func: cst.FunctionDef) -> bool:
        """Tell whether a parameter of ``func`` is typed with an ``Annotated``
        alias whose dependency authenticates, defined here or imported."""
        # An alias on a dependency that takes the same alias would loop.
        if id(func) in self._visiting:
            return False

        self._visiting.add(id(func))
        try:
            return self._alias_guards(func)
        finally:
            self._visiting.discard(id(func))

    def _alias_guards(self, func: cst.FunctionDef) -> bool:
        for param in _parameters(func):
            annotation = param.annotation.annotation if param.annotation else None
            if not isinstance(annotation, cst.Name):
                continue

            for call in self._file.aliases.get(annotation.value, ()):
                if _last(dotted_name(call.func) or "") == "Security":
                    return True

                wrapped = call.args[0].value if call.args else None
                expr = wrapped.func if isinstance(wrapped, cst.Call) else wrapped
                if expr is None:
                    continue

                target = self.context.qualname(expr) or dotted_name(expr)
                if self._dependency_auth(target, call):
                    return True
        return any(
            self.ask("alias", name) for name in _imported_annotations(self._file, func)
        )

    # Django and DRF.

    def _admin_guarded(self) -> bool:
        return "admin" in self.context.path.split("/") and self.ask("admin-middleware")

    def _area_guarded(self) -> bool:
        return self.ask("area-middleware", _module(self.context.path))

    def _django_function(self, route: Route, verdict: _Verdict) -> None:
        if self._admin_guarded():
            return self._protect(verdict)

        self._decorators(route, verdict)
        if verdict.protected:
            return

        absolute = self._file.absolute(route.handler_name or "")
        if self.ask("wrapped", absolute):
            verdict.protected = True
            return

        self._handler_checks(route, verdict)
        if verdict.protected:
            return

        names = {
            self.context.qualname(d.decorator) or dotted_name(d.decorator) or ""
            for d in route.handler.decorators
        }
        if not names & LOGIN_NOT_REQUIRED and self.ask("login-middleware"):
            verdict.protected = True
            return

        if self._area_guarded():
            verdict.protected = True
            return

        drf = route.framework == "drf"
        if drf and self._drf_default():
            verdict.protected = True
            return

        if not self.ask("has-settings"):
            verdict.doubt(Level.MEDIUM)
        verdict.missing = [
            "no login_required or permission decorator",
            "no LoginRequiredMiddleware",
            "no user check in the view",
        ]
        if drf:
            verdict.missing.insert(1, "no DEFAULT_PERMISSION_CLASSES")

    def _django_class(self, route: Route, verdict: _Verdict) -> None:
        handler = route.handler
        if self._admin_guarded():
            return self._protect(verdict)

        self._decorators(route, verdict)
        if verdict.protected:
            return

        if self.ask("wrapped", self._file.absolute(route.handler_name or "")):
            verdict.protected = True
            return

        state = self._class_state(handler)
        if state["auth"]:
            verdict.protected = True
            return

        drf = route.framework == "drf"
        if state["allow_any"]:
            if not route.methods & UNSAFE_METHODS or _only_checks(handler):
                return self._protect(verdict)

            verdict.missing = ["permission_classes allows anyone to call it"]
            return

        if self.ask("login-middleware") or self._area_guarded():
            return self._protect(verdict)

        if drf and not state["sets"] and self._drf_default():
            return self._protect(verdict)

        if state["unknown"]:
            # A project base out of sight may well be what checks the caller.
            return self._protect(verdict)

        if not self.ask("has-settings"):
            verdict.doubt(Level.MEDIUM)
        if drf:
            verdict.missing = [
                "no permission_classes",
                "no DEFAULT_PERMISSION_CLASSES in settings",
                "no user check in the view",
            ]
        else:
            verdict.missing = [
                "no login or permission mixin",
                "no login_required on dispatch",
                "no LoginRequiredMiddleware",
            ]

    @staticmethod
    def _protect(verdict: _Verdict) -> None:
        verdict.protected = True

    def _precondition_checks(self, node: cst.ClassDef, used: set[str]) -> bool:
        """Tell whether the methods of a view pass through a decorator that
        calls a project method checking the caller."""
        calls = self._file.preconditions(node, used)
        return any(self.ask("method", m) for names in calls.values() for m in names)

    def _base_preconditions(self, record: dict, used: set[str]) -> bool:
        preconditions = record.get("preconditions", {})
        return any(
            self.ask("method", m)
            for name in sorted(used & preconditions.keys())
            for m in preconditions[name]
        )

    def _drf_default(self) -> bool:
        return self.ask("drf-default")

    def _class_state(self, node: cst.ClassDef) -> dict:
        """Follow a view class and its bases, local and project-wide."""
        state = {"auth": False, "allow_any": False, "sets": False, "unknown": None}
        used = self._file.decorator_names(node)
        if self._file.class_guards(node) or self._precondition_checks(node, used):
            state["auth"] = True
            return state

        state["allow_any"] = self._file.allows_any(node)
        state["sets"] = self._file.sets_permissions(node)
        pending = list(reversed(self._file.class_bases(node)))
        seen: set[str] = set()
        while pending and len(seen) < 40:
            base = pending.pop()
            if base in seen:
                continue

            seen.add(base)
            last = _last(base)
            local = base.rsplit(".", 1)[0] == _module(self.context.path)
            if local and last in self._file.classes:
                parent = self._file.classes[last]
                used |= self._file.decorator_names(parent)
                if self._file.class_guards(parent) or self._precondition_checks(
                    parent, used
                ):
                    state["auth"] = True
                    return state
                state["allow_any"] = state["allow_any"] or self._file.allows_any(parent)
                state["sets"] = state["sets"] or self._file.sets_permissions(parent)
                pending.extend(reversed(self._file.class_bases(parent)))
                continue

            if last in MIXINS:
                state["auth"] = True
                return state

            if base.startswith(("django.", "rest_framework.")) or "." not in base:
                continue

            record = self.ask("class", base)
            if record is None:
                if MIXIN_HINT.search(last):
                    state["auth"] = True
                    return state
                if not _is_third_party_view(base):
                    state["unknown"] = state["unknown"] or last
                continue

            if record.get("auth") or self._base_preconditions(record, used):
                state["auth"] = True
                return state
            state["allow_any"] = state["allow_any"] or record.get("allow_any", False)
            state["sets"] = state["sets"] or record.get("sets", False)
            pending.extend(reversed(record.get("bases", ())))
        return state


def _effective_methods(route: Route) -> frozenset[str]:
    """Return a view's methods; one that takes any method but never reads a
    form or changes a model is taken to serve reads."""
    if route.methods and route.methods != ANY_METHOD:
        return route.methods

    for child in descendants(route.handler.body, (cst.Lambda,)):
        if isinstance(child, cst.Attribute) and child.attr.value in _WRITES:
            return ANY_METHOD
        if isinstance(child, cst.SimpleString) and string_value(child) in _VERBS:
            return ANY_METHOD
    return frozenset({"GET"})


def _unwrap_method_decorator(
    expr: cst.BaseExpression, context: FileContext
) -> cst.BaseExpression:
    """Return ``x`` for ``method_decorator(x, name=...)``, else ``expr``."""
    if not isinstance(expr, cst.Call) or not expr.args:
        return expr

    name = context.qualname(expr.func) or dotted_name(expr.func) or ""
    inner = expr.args[0].value
    if _last(name) != "method_decorator" or isinstance(inner, (cst.List, cst.Tuple)):
        return expr

    return inner


def _only_public_forms(handler: cst.CSTNode) -> bool:
    """Tell whether every form a view uses serves a public flow, as a member
    list whose POST is a ``UserSearchForm`` or a waiting-list sign-up does."""
    forms = set()
    for child in descendants(handler, (cst.Lambda,)):
        if isinstance(child, (cst.Name, cst.Attribute)):
            name = child.value if isinstance(child, cst.Name) else child.attr.value
            if name.endswith("Form") and name[:1].isupper() and len(name) > 4:
                forms.add(name)
    if not forms:
        return False

    public = _PUBLIC_NAME_WORDS | PUBLIC_FORMS
    return all({w.lower() for w in _WORD.findall(form)} & public for form in forms)


def _only_checks(node: cst.CSTNode) -> bool:
    """Tell whether a DRF view open to anyone writes nothing: it overrides the
    generic create or update with code that never saves, as an endpoint that
    only validates what it is sent."""
    if not isinstance(node, cst.ClassDef):
        return False

    methods = {
        s.name.value: s
        for s in suite_statements(node.body)
        if isinstance(s, cst.FunctionDef)
    }
    if not methods.keys() & _GENERIC_WRITES:
        return False

    for func in methods.values():
        for child in descendants(func.body, (cst.Lambda,)):
            if not isinstance(child, cst.Call):
                continue

            func = child.func
            name = func.attr.value if isinstance(func, cst.Attribute) else ""
            if isinstance(func, cst.Name):
                name = func.value
            if name in _GENERIC_WRITES or name in _SAVES:
                return False
    return True


def _only_redirects(handler: cst.CSTNode) -> bool:
    """Tell whether a view only sends the caller to another URL, as the old
    address of a moved endpoint does: the target route guards itself."""
    if isinstance(handler, cst.FunctionDef):
        funcs = [handler]
    elif isinstance(handler, cst.ClassDef):
        funcs = [
            s for s in suite_statements(handler.body) if isinstance(s, cst.FunctionDef)
        ]
    else:
        return False

    return bool(funcs) and all(_returns_redirect(func) for func in funcs)


def _returns_redirect(func: cst.FunctionDef) -> bool:
    body = _without_docstring(suite_statements(func.body))
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return False

    statement = body[0].body[0]
    if not isinstance(statement, cst.Return) or not isinstance(
        statement.value, cst.Call
    ):
        return False

    if not _REDIRECT.search(_last(dotted_name(statement.value.func) or "")):
        return False

    # Only URL building inside: nothing is read from storage or written.
    for child in descendants(statement.value):
        if isinstance(child, cst.Call) and not _URL_BUILDING.search(
            _last(dotted_name(child.func) or "")
        ):
            return False
    return True


def _without_docstring(body: list[cst.CSTNode]) -> list[cst.CSTNode]:
    return [
        s
        for s in body
        if not (
            isinstance(s, cst.SimpleStatementLine)
            and all(
                isinstance(x, cst.Pass)
                or (isinstance(x, cst.Expr) and isinstance(x.value, cst.BaseString))
                for x in s.body
            )
        )
    ]


def _is_inert(route: Route) -> bool:
    """Tell whether a function view ignores its request and only answers, as a
    metrics beacon returning 204 or an index of links to other routes does:
    nothing to protect."""
    handler = route.handler
    if not isinstance(handler, cst.FunctionDef):
        return False

    body = _without_docstring(suite_statements(handler.body))
    if not body or not all(isinstance(s, cst.SimpleStatementLine) for s in body):
        return False

    # Local values built first, then one answer: ``links = [url_for(...)]``.
    if any(len(s.body) != 1 for s in body):
        return False
    *built, last = [s.body[0] for s in body]
    if not isinstance(last, cst.Return):
        return False
    if not all(
        isinstance(s, cst.Assign)
        and all(isinstance(t.target, cst.Name) for t in s.targets)
        for s in built
    ):
        return False

    # Names of the answer and link calls, of keywords and of attributes are
    # spelling; any other name must be a local value built here, so nothing
    # of the request, of storage or of configuration is read.
    nodes = [d for s in (*built, last) for d in descendants(s)]
    params = handler.params.params
    request = params[0].name.value if params else None
    spelling: set[int] = set()
    for child in nodes:
        if isinstance(child, cst.Call):
            called = _last(dotted_name(child.func) or "")
            # Django's ``render(request, "page.html", {...})`` needs the
            # request to render at all; it reads nothing of what was sent.
            first = child.args[0].value if child.args else None
            if (
                called in _RENDERS
                and isinstance(first, cst.Name)
                and first.value == request
            ):
                spelling.add(id(first))
            elif not _ANSWERS.search(called):
                return False
            spelling.update(id(n) for n in (child.func, *descendants(child.func)))
        elif isinstance(child, cst.Arg) and child.keyword is not None:
            spelling.add(id(child.keyword))
        elif isinstance(child, cst.Attribute):
            spelling.add(id(child.attr))

    local = {t.target.value for s in built for t in s.targets}
    return all(
        child.value in local or child.value in ("True", "False", "None")
        for child in nodes
        if isinstance(child, cst.Name) and id(child) not in spelling
    )


def _serves_sign_in_settings(handler: cst.CSTNode) -> bool:
    """Tell whether a read-only view answers the settings a client reads before
    sign-in: a dictionary of literal keys, one of which says how to sign in
    (``auth_required``, ``saml_enabled``, ``provider``) and none of which names
    a secret. It may read configuration and storage, never the request."""
    if isinstance(handler, cst.FunctionDef):
        func = handler
    elif isinstance(handler, cst.ClassDef):
        methods = [
            s for s in suite_statements(handler.body) if isinstance(s, cst.FunctionDef)
        ]
        if len(methods) != 1 or methods[0].name.value != "get":
            return False
        func = methods[0]
    else:
        return False

    keys: list[str] = []
    for child in descendants(func):
        if isinstance(child, cst.Name) and child.value == "request":
            return False
        if isinstance(child, cst.Dict):
            keys += [
                key
                for element in child.elements
                if isinstance(element, cst.DictElement)
                and (key := string_value(element.key)) is not None
            ]

    return (
        len(keys) >= MIN_SETTINGS_KEYS
        and any(SIGN_IN_KEY.search(key) for key in keys)
        and not any(SECRET_KEY_WORDS.search(key) for key in keys)
    )


def _takes_capability(route: Route) -> bool:
    """Tell whether the URL carries its own secret, as unsubscribe links do."""
    handler = route.handler
    if not isinstance(handler, cst.FunctionDef):
        return False

    params = (*handler.params.posonly_params, *handler.params.params)
    return any(p.name.value in _CAPABILITIES for p in params)


def _only_reads(methods: frozenset[str]) -> bool:
    # A websocket mostly streams events to the client: judged like a read.
    return bool(methods) and methods <= {"GET", "HEAD", "OPTIONS", "WEBSOCKET"}


def _is_generic_base(route: Route) -> bool:
    """Tell whether a class view is a base that takes its work as arguments."""
    handler = route.handler
    if not isinstance(handler, cst.ClassDef) or route.node is not handler:
        return False

    if handler.name.value.startswith(("Base", "Abstract")):
        return True

    for stmt in suite_statements(handler.body):
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
            params = stmt.params.params
            return len(params) > 1 and any(p.default is None for p in params[1:])
    return False


def _is_third_party_view(name: str) -> bool:
    return name.split(".", 1)[0] in ("django", "rest_framework", "typing", "abc")


def _method_label(methods: frozenset[str]) -> str:
    if not methods or methods == ANY_METHOD:
        return "Any method of"

    return "/".join(sorted(methods))
