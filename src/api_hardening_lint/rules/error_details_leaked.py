"""AHL402 error-details-leaked."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath

import libcst as cst

from api_hardening_lint.nodes import (
    bound_names,
    descendants,
    dotted_name,
    keyword,
    string_value,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import SUGGESTION, UNSAFE, Fix, Level, Rule, text_matches

logger = logging.getLogger(__name__)

_FACTS = knowledge("errors")
HANDLER_DECORATORS = frozenset(_FACTS["handlers"]["decorator_methods"])
HANDLER_REGISTRATIONS = frozenset(_FACTS["handlers"]["register_methods"])
HANDLER_MAPPINGS = frozenset(_FACTS["handlers"]["mapping_keywords"])
DJANGO_HANDLERS: dict[str, int] = _FACTS["handlers"]["django_names"]
REQUEST_PARAMS = frozenset(_FACTS["handlers"]["request_params"])
DRF_CONTEXT = _FACTS["handlers"]["drf_context_param"]
ROUTE_METHODS = frozenset(_FACTS["routes"]["decorator_methods"])
ROUTE_DECORATORS = frozenset(_FACTS["routes"]["decorators"])
WEB_MODULES = tuple(_FACTS["routes"]["modules"])
VIEW_METHODS = frozenset(_FACTS["routes"]["view_methods"])
VIEW_MODULES = frozenset(_FACTS["routes"]["view_modules"])
VALIDATION_PREFIXES = tuple(_FACTS["details"]["validation_prefixes"])
TEXT_CALLS = frozenset(_FACTS["details"]["text_calls"])
TEXT_ATTRIBUTES = frozenset(_FACTS["details"]["text_attributes"])
TRACEBACK_CALLS = frozenset(_FACTS["details"]["traceback_calls"])
PASSTHROUGH_CALLS = frozenset(_FACTS["details"]["passthrough_calls"])
PASSTHROUGH_NAMES = frozenset(_FACTS["details"]["passthrough_names"])
STRING_METHODS = frozenset(_FACTS["details"]["string_methods"])
BROAD_TYPES = frozenset(_FACTS["exceptions"]["broad"])
INTERNAL_TYPES = frozenset(_FACTS["exceptions"]["internal"])
SAFE_TYPES = frozenset(_FACTS["exceptions"]["client_safe"])
RESPONSES: dict[str, dict] = _FACTS["responses"]
NOT_BODY_KEYWORDS = frozenset(_FACTS["responses_by_name"]["not_body_keywords"])
HELPER_NAME_PARTS = tuple(_FACTS["responses_by_name"]["helper_name_parts"])

# What an exception's text tells the client, from worst to harmless.
BROAD, INTERNAL, UNKNOWN, SAFE = "broad", "internal", "unknown", "safe"
_LEAKING = (BROAD, INTERNAL)

_STATUS_NAME = re.compile(r"HTTP_(\d{3})(_|$)")
_HELPER_STATUS = re.compile(r"response_(\d{3})$")
_HELPER_STATUS_KEYWORDS = ("status", "status_code", "code")
_HANDLER_EXC_PARAMS = frozenset({"exc", "exception", "e", "ex", "err", "error"})
# Nodes a value passes through unchanged on its way into a response body.
_CONTAINERS = (
    cst.Dict,
    cst.DictElement,
    cst.StarredDictElement,
    cst.List,
    cst.Set,
    cst.Tuple,
    cst.Element,
    cst.StarredElement,
    cst.FormattedString,
    cst.FormattedStringExpression,
    cst.ConcatenatedString,
    cst.BinaryOperation,
    cst.BooleanOperation,
    cst.Await,
    cst.Arg,
)
_ASSIGNMENTS = (cst.Assign, cst.AugAssign, cst.AnnAssign)
_STRING_PARTS = (
    cst.FormattedStringExpression,
    cst.FormattedString,
    cst.ConcatenatedString,
)

# Module-level names a fix may log through, when bound to ``logging.getLogger``.
_LOGGER_NAMES = ("logger", "log")
_GENERIC_MESSAGE = "Internal server error"
_FIX_ADVICE = "log the exception on the server and send the client a generic message"

_WHY_TRACEBACK = "it reveals file paths, source lines and library versions"
_WHY_TEXT = "it can reveal paths, SQL and library versions"


@dataclass
class _Except:
    name: str | None
    kind: str


@dataclass
class _Frame:
    """A function being visited and what makes it part of a web app."""

    node: cst.FunctionDef | None
    route: Level | None = None
    handler: Level | None = None
    handler_kinds: list[str] = field(default_factory=list)
    exc_param: str | None = None
    exc_annotation: str | None = None
    excepts: list[_Except] = field(default_factory=list)
    held: dict[str, _Detail] = field(default_factory=dict)


@dataclass
class _Detail:
    """An expression that holds exception text or a traceback."""

    node: cst.CSTNode
    label: str
    traceback: bool
    # None when the exception is the error handler's parameter, judged at the end.
    kind: str | None
    frame: _Frame
    via: str | None = None
    origin: cst.CSTNode | None = None


@dataclass
class _Leak:
    detail: _Detail
    node: cst.CSTNode
    status: int | None
    sink: str
    key: int
    # The expression a fix replaces, the statement line it sits on, and
    # whether that line runs inside an except block.
    target: cst.BaseExpression | None = None
    statement: cst.SimpleStatementLine | None = None
    in_except: bool = False


# The text a leak needs, all three: an exception bound to a name or a traceback
# call, a web framework, and something that answers the client.
_DETAIL_TEXT = (
    re.compile(rb"except\b[^:\n]*\bas\s+\w"),
    *(c.rsplit(".", 1)[-1].encode() for c in TRACEBACK_CALLS),
)
_WEB_TEXT = re.compile(
    rb"\n[ \t]*(?:from|import)[ \t]+(?:"
    + b"|".join(re.escape(m.encode()) for m in WEB_MODULES)
    + rb")\b"
)
# Literal names, tested one by one: faster than an alternation of them.
_ANSWER_TEXT = (
    re.compile(rb"handler\d\d\d"),
    *sorted(
        name.encode()
        for name in {q.rsplit(".", 1)[-1] for q in _FACTS["responses"]}
        | HANDLER_DECORATORS
        | HANDLER_REGISTRATIONS
    ),
)


# A file that registers error handlers may leak through a handler's parameter;
# elsewhere the exception bound by ``except ... as name`` must be turned into
# text: ``str(name)``, ``name.args``, ``f"{name}"``, ``"%s" % name``,
# ``"{}".format(name)``, or a traceback call.
_HANDLER_TEXT = tuple(
    re.compile(re.escape(name.encode()))
    for name in sorted(HANDLER_DECORATORS | HANDLER_REGISTRATIONS | HANDLER_MAPPINGS)
) + (re.compile(rb"handler\d\d\d"),)
_TRACEBACK_TEXT = tuple(
    re.compile(re.escape(call.rsplit(".", 1)[-1].encode()))
    for call in sorted(TRACEBACK_CALLS)
)
# The nodes a name is formatted into text by (none has subclasses, so the
# exact type is looked up: cheaper than ``isinstance`` on libcst's classes).
_FORMAT_PARENTS = frozenset(
    {cst.FormattedStringExpression, cst.BinaryOperation, cst.Element, cst.Arg}
)
_EXCEPT_NAME = re.compile(rb"except\b[^:\n]*\bas\s+(\w+)")


@functools.lru_cache(maxsize=64)
def _detail_use(name: bytes) -> re.Pattern[bytes]:
    """Return a pattern for text that turns the exception ``name`` into text."""
    name = re.escape(name)
    calls = b"|".join(re.escape(c.encode()) for c in sorted(TEXT_CALLS))
    attributes = b"|".join(re.escape(a.encode()) for a in sorted(TEXT_ATTRIBUTES))
    return re.compile(
        rb"(?<![\w.])(?:" + calls + rb")\(\s*" + name + rb"\b"
        rb"|\b" + name + rb"\.(?:" + attributes + rb")\b"
        rb"|\{\s*" + name + rb"\s*[!:}.\[]"
        # ``% name`` or ``% (a, name)``, not ``"%s", name`` in a logging call.
        rb"|%\s*\(?\s*(?:[^()\n'\"]*,\s*)?" + name + rb"\b"
        rb"|\.format\([^\n]*\b" + name + rb"\b"
    )


class ErrorDetailsLeaked(Rule):
    id = "AHL402"

    @classmethod
    def wants(cls, source: bytes) -> bool:
        if not (
            text_matches(_DETAIL_TEXT, source)
            and text_matches((_WEB_TEXT,), source)
            and (
                text_matches(_ANSWER_TEXT, source)
                or b"response" in source.lower()
            )
        ):
            return False

        if text_matches(_HANDLER_TEXT, source) or text_matches(_TRACEBACK_TEXT, source):
            return True

        return any(
            _detail_use(name).search(source)
            for name in set(_EXCEPT_NAME.findall(source))
        )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._frames: list[_Frame] = [_Frame(node=None)]
        self._registered: dict[str, list[str]] = {}
        self._leaks: list[_Leak] = []
        self._loggers: list[str] = []

    # Where we are: functions and except blocks.

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(self._frame_for(node))

    def leave_FunctionDef(self, _node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = None
        if node.name is not None and isinstance(node.name.name, cst.Name):
            name = node.name.name.value
        kind = BROAD if node.type is None else _classify(node.type)
        guarded = self.context.ancestors[-1]
        if kind == BROAD and isinstance(guarded, cst.Try) and _only_validates(guarded):
            # A broad catch around one validation call reports that call's
            # message, which is written for the client.
            kind = UNKNOWN
        self._frames[-1].excepts.append(_Except(name, kind))

    def leave_ExceptHandler(self, _node: cst.ExceptHandler) -> None:
        self._frames[-1].excepts.pop()

    # Handlers registered apart from their definition.

    def visit_Call(self, node: cst.Call) -> None:
        self._note_registration(node)

        detail = self._detail_of(node)
        if detail is not None:
            self._follow(detail)

    def visit_Assign(self, node: cst.Assign) -> None:
        frame = self._frames[-1]
        for target in node.targets:
            for name in bound_names(target.target):
                frame.held.pop(name, None)

        if frame.node is not None or len(node.targets) != 1:
            return

        self._note_logger(node)

        target = node.targets[0].target
        if isinstance(target, cst.Name) and target.value in DJANGO_HANDLERS:
            code = DJANGO_HANDLERS[target.value]
            self._register(node.value, BROAD if code >= 500 else SAFE)

    # Where exception details appear.

    def visit_Attribute(self, node: cst.Attribute) -> None:
        exc = node.value
        if node.attr.value not in TEXT_ATTRIBUTES or not isinstance(exc, cst.Name):
            return

        parent = self.context.ancestors[-1]
        if isinstance(parent, cst.Arg) and self._detail_of(self.context.ancestors[-2]):
            return

        detail = self._exception_detail(exc, node, f"{exc.value}.{node.attr.value}")
        if detail is not None:
            self._follow(detail)

    def visit_Name(self, node: cst.Name) -> None:
        frame = self._frames[-1]
        held = frame.held.get(node.value)
        if held is not None:
            if self._is_load(node):
                self._follow(
                    _Detail(
                        node=node,
                        label=held.label,
                        traceback=held.traceback,
                        kind=held.kind,
                        frame=held.frame,
                        via=node.value,
                        origin=held.origin or held.node,
                    )
                )
            return

        if not frame.excepts and frame.exc_param is None:
            return

        label = self._formatted_label(node)
        if label is not None:
            detail = self._exception_detail(node, node, label)
            if detail is not None:
                self._follow(detail)

    def leave_Module(self, _node: cst.Module) -> None:
        reported: set[int] = set()
        for leak in self._leaks:
            if leak.key in reported:
                continue

            verdict = self._judge(leak)
            if verdict is None:
                continue

            severity, confidence = verdict
            reported.add(leak.key)
            self._report_leak(leak, severity, confidence)

    # Recognising web handlers.

    def _frame_for(self, node: cst.FunctionDef) -> _Frame:
        frame = _Frame(node=node)
        ancestors = self.context.ancestors
        in_class = len(ancestors) >= 2 and isinstance(ancestors[-2], cst.ClassDef)
        params = list(node.params.posonly_params) + list(node.params.params)
        if in_class and params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        names = [p.name.value for p in params]

        if len(names) >= 2 and names[0] in REQUEST_PARAMS:
            exc_param = params[1]
        elif names and names[0] not in REQUEST_PARAMS:
            exc_param = params[0]
        else:
            exc_param = None
        if exc_param is not None:
            frame.exc_param = exc_param.name.value
            if exc_param.annotation is not None:
                frame.exc_annotation = _classify(exc_param.annotation.annotation)

        for decorator in node.decorators:
            self._read_decorator(frame, decorator.decorator)

        if frame.route is None and names and names[0] in REQUEST_PARAMS:
            if in_class and node.name.value in VIEW_METHODS:
                frame.route = Level.MEDIUM
            elif not in_class and self._is_view_module():
                frame.route = Level.MEDIUM

        if frame.handler is None and len(names) == 2 and not in_class:
            if names[0] in _HANDLER_EXC_PARAMS and names[1] == DRF_CONTEXT:
                # The signature DRF calls its EXCEPTION_HANDLER with.
                frame.handler = Level.MEDIUM
            elif names[0] in REQUEST_PARAMS and _is_exception_annotation(exc_param):
                # The signature Starlette calls an exception handler with.
                frame.handler = Level.MEDIUM
        return frame

    def _read_decorator(self, frame: _Frame, expr: cst.BaseExpression) -> None:
        call = expr if isinstance(expr, cst.Call) else None
        target = call.func if call is not None else expr
        method = target.attr.value if isinstance(target, cst.Attribute) else None
        if method in HANDLER_DECORATORS:
            frame.handler = Level.HIGH
            if call is not None and call.args:
                frame.handler_kinds.append(_classify(call.args[0].value))
            return

        if self.context.qualname(target) in ROUTE_DECORATORS:
            frame.route = Level.HIGH
        elif method in ROUTE_METHODS and self._imports_web():
            frame.route = Level.HIGH

    def _imports_web(self) -> bool:
        return self.context.bindings.imports_any(*WEB_MODULES)

    def _is_view_module(self) -> bool:
        path = PurePosixPath(self.context.path)
        parts = {path.stem, *path.parent.parts[-1:]}
        return any(part in VIEW_MODULES or part.endswith("_views") for part in parts)

    def _note_registration(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in HANDLER_REGISTRATIONS:
            if len(node.args) >= 2:
                self._register(node.args[1].value, _classify(node.args[0].value))
            return

        # ``app.errorhandler(500)(handler)``
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute):
            if func.func.attr.value in HANDLER_DECORATORS and func.args and node.args:
                self._register(node.args[0].value, _classify(func.args[0].value))
            return

        for name in HANDLER_MAPPINGS:
            arg = keyword(node, name)
            if arg is not None and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement):
                        self._register(element.value, _classify(element.key))

    def _register(self, handler: cst.BaseExpression, kind: str) -> None:
        name = dotted_name(handler) or string_value(handler)
        if name:
            self._registered.setdefault(name.rsplit(".", 1)[-1], []).append(kind)

    # Finding details and following them into a response.

    def _detail_of(self, node: cst.CSTNode) -> _Detail | None:
        if not isinstance(node, cst.Call):
            return None

        qualname = self.context.qualname(node.func)
        if qualname in TRACEBACK_CALLS:
            label = f"{dotted_name(node.func)}()"
            return _Detail(node, label, True, BROAD, self._frames[-1])

        if not isinstance(node.func, cst.Name) or node.func.value not in TEXT_CALLS:
            return None

        if len(node.args) != 1 or node.args[0].star:
            return None

        value = node.args[0].value
        if isinstance(value, cst.Attribute) and value.attr.value in TEXT_ATTRIBUTES:
            exc = value.value
            shown = f"{dotted_name(value) or '...'}"
        else:
            exc = value
            shown = dotted_name(value) or "..."
        if not isinstance(exc, cst.Name):
            return None

        return self._exception_detail(exc, node, f"{node.func.value}({shown})")

    def _exception_detail(
        self, name: cst.Name, node: cst.CSTNode, label: str
    ) -> _Detail | None:
        """Return a detail when ``name`` is the exception being handled."""
        frame = self._frames[-1]
        for block in reversed(frame.excepts):
            if block.name == name.value:
                kind = self._narrowed(name.value) or block.kind
                return _Detail(node, label, False, kind, frame)

        if frame.exc_param == name.value and frame.node is not None:
            kind = self._narrowed(name.value)
            return _Detail(node, label, False, kind, frame)

        return None

    def _narrowed(self, name: str) -> str | None:
        """Return the kind an enclosing ``if isinstance(name, T):`` proves."""
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 2, -1, -1):
            node = ancestors[index]
            if isinstance(node, cst.FunctionDef):
                return None

            if isinstance(node, cst.If) and ancestors[index + 1] is node.body:
                checked = _isinstance_type(node.test, name)
                if checked is not None:
                    return _classify(checked)
        return None

    def _follow(self, detail: _Detail) -> None:
        """Walk up from a detail to the response, assignment or call it ends in."""
        ancestors = self.context.ancestors
        child: cst.CSTNode = detail.node
        sink: str | None = None
        status: int | None = None
        for index in range(len(ancestors) - 1, -1, -1):
            parent = ancestors[index]
            if isinstance(parent, cst.Arg) and child is parent.keyword:
                break

            if (
                isinstance(parent, cst.Tuple)
                and index
                and isinstance(ancestors[index - 1], cst.Return)
            ):
                elements = parent.elements
                if len(elements) >= 2 and child is elements[0]:
                    status = _status(elements[1].value) or status
            if isinstance(parent, _CONTAINERS):
                child = parent
                continue

            if isinstance(parent, cst.IfExp):
                if child is parent.test:
                    break
                child = parent
                continue

            if isinstance(parent, cst.Subscript):
                if child is not parent.value:
                    break
                child = parent
                continue

            if isinstance(parent, cst.Attribute):
                if child is not parent.value or parent.attr.value not in STRING_METHODS:
                    break
                child = parent
                continue

            if isinstance(parent, cst.Call):
                if child is parent.func:
                    child = parent
                    continue

                outcome = self._through_call(parent, child)
                if outcome is None:
                    break

                found, code = outcome
                sink = sink or found
                status = status or code
                child = parent
                continue

            if isinstance(parent, cst.Return):
                if sink is None:
                    sink = "return"
                break

            if isinstance(parent, _ASSIGNMENTS) and sink is None:
                if child is parent.value:
                    self._hold(parent, detail)
                return

            break

        if sink is not None:
            leak = _Leak(detail, detail.node, status, sink, id(child))
            self._locate_fix(leak)
            self._leaks.append(leak)

    def _through_call(
        self, call: cst.Call, arg: cst.CSTNode
    ) -> tuple[str | None, int | None] | None:
        """Say what a call does with an argument that holds a detail.

        Returns None when the detail stops there (a logger, an unknown function),
        else the kind of sink the call is, if any, and the status it sets.
        """
        if not isinstance(arg, cst.Arg):
            return None

        if self._detail_of(call) is not None:
            # The enclosing call is a detail itself; it is followed on its own.
            return None

        qualname = self.context.qualname(call.func)
        spec = RESPONSES.get(qualname) if qualname else None
        if spec is not None:
            if not _carries_body(call, arg, spec):
                return None
            return "response", _call_status(call, spec)

        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in STRING_METHODS:
            # ``"; ".join(...)``, ``"failed: {}".format(...)``
            return None, None

        name = dotted_name(func)
        if qualname in PASSTHROUGH_CALLS or name in PASSTHROUGH_CALLS:
            return None, None

        if name in PASSTHROUGH_NAMES:
            return None, None

        last = (name or "").rsplit(".", 1)[-1].lower()
        if qualname is None and any(part in last for part in HELPER_NAME_PARTS):
            if arg.keyword is not None and arg.keyword.value in NOT_BODY_KEYWORDS:
                return None
            match = _HELPER_STATUS.search(last)
            if match:
                return "helper", int(match.group(1))
            return "helper", _call_status(call, {"status_any": _HELPER_STATUS_KEYWORDS})

        return None

    def _hold(self, node: cst.CSTNode, detail: _Detail) -> None:
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        else:
            targets = [node.target]
        frame = self._frames[-1]
        for target in targets:
            for name in bound_names(target):
                frame.held[name] = detail

    def _is_load(self, node: cst.Name) -> bool:
        parent = self.context.ancestors[-1]
        if isinstance(parent, (cst.AssignTarget, cst.Param, cst.AsName)):
            return False

        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return False

        if isinstance(parent, _ASSIGNMENTS) and getattr(parent, "target", None) is node:
            return False

        return not isinstance(parent, (cst.FunctionDef, cst.ClassDef))

    def _formatted_label(self, node: cst.Name) -> str | None:
        """Name how ``node`` is formatted into a string as it stands, if it is."""
        ancestors = self.context.ancestors
        parent = ancestors[-1]
        if type(parent) not in _FORMAT_PARENTS:
            return None

        name = node.value
        if isinstance(parent, cst.FormattedStringExpression):
            return f'f"{{{name}}}"' if parent.expression is node else None

        if isinstance(parent, cst.BinaryOperation):
            modulo = isinstance(parent.operator, cst.Modulo) and parent.right is node
            return f'"..." % {name}' if modulo else None

        if isinstance(parent, cst.Element) and len(ancestors) >= 3:
            outer = ancestors[-3]
            if (
                isinstance(outer, cst.BinaryOperation)
                and isinstance(outer.operator, cst.Modulo)
                and outer.right is ancestors[-2]
            ):
                return f'"..." % {name}'
            return None

        if isinstance(parent, cst.Arg) and parent.keyword is None:
            call = ancestors[-2]
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "format"
            ):
                return f'"...".format({name})'
        return None

    # Deciding and reporting.

    def _judge(self, leak: _Leak) -> tuple[Level, Level] | None:
        detail = leak.detail
        frame = detail.frame
        confidence = Level.HIGH
        kind = detail.kind
        if kind is None:
            kind, handler_confidence = self._handler_kind(frame)
            if kind is None:
                return None
            confidence = min(confidence, handler_confidence)

        if not detail.traceback and kind not in _LEAKING:
            return None

        if leak.sink == "return":
            context = self._web_confidence(frame)
            if context is None:
                return None
            confidence = min(confidence, context)
        elif leak.sink == "helper":
            confidence = min(confidence, Level.MEDIUM)

        if detail.traceback:
            return Level.HIGH, confidence

        if kind == BROAD and leak.status is not None and leak.status < 500:
            # A broad catch answered with a 4xx usually wraps the caller's own
            # mistakes; internals reach the client only on the unexpected path.
            confidence = min(confidence, Level.MEDIUM)
        return Level.MEDIUM, confidence

    def _handler_kind(self, frame: _Frame) -> tuple[str | None, Level]:
        """Return what the exception parameter of an error handler may hold."""
        name = frame.node.name.value if frame.node is not None else ""
        kinds = frame.handler_kinds + self._registered.get(name, [])
        if kinds:
            return _combine(kinds), Level.HIGH

        if frame.handler is None:
            return None, Level.LOW

        if frame.exc_annotation is not None:
            return frame.exc_annotation, Level.MEDIUM

        return BROAD, Level.MEDIUM

    def _web_confidence(self, frame: _Frame) -> Level | None:
        name = frame.node.name.value if frame.node is not None else None
        if name in self._registered:
            return Level.HIGH

        levels = [level for level in (frame.route, frame.handler) if level is not None]
        return max(levels) if levels else None

    def _report_leak(self, leak: _Leak, severity: Level, confidence: Level) -> None:
        detail = leak.detail
        where = f"the {leak.status} response" if leak.status else "the response"
        if detail.traceback:
            what = f"The traceback from {detail.label}"
            why = _WHY_TRACEBACK
        else:
            what = f"Exception text {detail.label}"
            why = _WHY_TEXT
        if detail.via is not None and detail.via != detail.label:
            what = f"{what}, held in {detail.via},"
        if leak.sink == "helper":
            where = f"what is probably {where}"
        related = []
        if detail.origin is not None:
            related.append((detail.origin, f"{detail.label} is taken here"))
        self.report(
            leak.node,
            f"{what} is sent to the client in {where}: {why}",
            severity=severity,
            confidence=confidence,
            related=related,
            fix=self._fix_for(leak),
        )

    # Fixing.

    def _note_logger(self, node: cst.Assign) -> None:
        """Remember ``logger = logging.getLogger(...)`` at module level."""
        target = node.targets[0].target
        if not isinstance(target, cst.Name) or target.value not in _LOGGER_NAMES:
            return

        value = node.value
        if not isinstance(value, cst.Call):
            return

        if self.context.qualname(value.func) == "logging.getLogger":
            self._loggers.append(target.value)

    def _locate_fix(self, leak: _Leak) -> None:
        """Record, while the ancestors are known, what a fix would edit."""
        ancestors = self.context.ancestors
        if leak.detail.via is None:
            leak.target = _leaking_expression(leak.detail.node, ancestors)
        for node in reversed(ancestors):
            if isinstance(node, cst.SimpleStatementLine):
                leak.statement = node
            elif isinstance(node, cst.ExceptHandler):
                leak.in_except = True
                break
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                break

    def _fix_for(self, leak: _Leak) -> Fix:
        if leak.target is None:
            return self._refuse(
                "the detail reaches the response through a local variable"
            )

        message = _GENERIC_MESSAGE
        if leak.status is not None and leak.status != 500:
            try:
                message = HTTPStatus(leak.status).phrase
            except ValueError:
                pass
        generic = cst.SimpleString(f'"{message}"')
        replacements: list = [(leak.target, generic)]
        description = f'send "{message}" instead of the exception details'
        name = self._logger_for(leak)
        if name is not None:
            frame = leak.detail.frame.node
            what = f"{frame.name.value} failed" if frame is not None else "failed"
            line = cst.parse_statement(f'{name}.exception("{what}")')
            replacements.append((leak.statement, _preceded_by(line)))
            description = f"log the exception with {name}.exception and {description}"
        return Fix(description, UNSAFE, tuple(replacements))

    def _logger_for(self, leak: _Leak) -> str | None:
        """Return the module logger to log through before the response, if any."""
        if not self._loggers or not leak.in_except or leak.statement is None:
            # A statement after ``except ...:`` on the same line has no line of
            # its own to put the call before.
            return None

        name = self._loggers[0]
        frame = leak.detail.frame.node
        scope = frame if frame is not None else leak.statement
        for node in descendants(scope):
            if isinstance(node, cst.Call):
                called = dotted_name(node.func) or ""
                if called.startswith(f"{name}."):
                    # The function already logs; a second record adds nothing.
                    return None
        return name

    def _refuse(self, reason: str) -> Fix:
        logger.info("refused the %s fix in %s: %s", self.id, self.context.path, reason)
        return Fix(_FIX_ADVICE, SUGGESTION)


def _leaking_expression(
    node: cst.CSTNode, ancestors: list[cst.CSTNode]
) -> cst.BaseExpression | None:
    """Return the whole string expression built from a detail, or the detail.

    ``f"failed: {e}"``, ``"failed: %s" % e``, ``"failed: " + str(e)`` and
    ``"failed: {}".format(e)`` are replaced whole; the text around the detail
    means nothing without it.
    """
    current = node
    for index in range(len(ancestors) - 1, -1, -1):
        parent = ancestors[index]
        if isinstance(parent, _STRING_PARTS):
            current = parent
            continue

        if isinstance(parent, cst.BinaryOperation) and isinstance(
            parent.operator, (cst.Add, cst.Modulo)
        ):
            current = parent
            continue

        if isinstance(parent, (cst.Element, cst.Tuple)) and isinstance(node, cst.Name):
            # ``"..." % (e,)``: a bare name is a detail only as a format argument.
            current = parent
            continue

        call = ancestors[index - 1] if index else None
        if isinstance(parent, cst.Arg) and _is_format_call(call):
            current = call

        break
    return current if isinstance(current, cst.BaseExpression) else None


def _is_format_call(node: cst.CSTNode | None) -> bool:
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False

    return node.func.attr.value == "format"


def _preceded_by(line: cst.SimpleStatementLine):
    """Return a replacement putting ``line`` before a statement line."""

    def build(statement: cst.SimpleStatementLine) -> cst.FlattenSentinel:
        first = line.with_changes(leading_lines=statement.leading_lines)
        return cst.FlattenSentinel([first, statement.with_changes(leading_lines=())])

    return build


def _classify(node: cst.BaseExpression) -> str:
    """Say what the text of exceptions matched by ``node`` tells the client."""
    if isinstance(node, cst.Integer):
        return BROAD if int(node.value) >= 500 else SAFE

    if isinstance(node, cst.Tuple):
        return _combine([_classify(e.value) for e in node.elements])

    name = dotted_name(node)
    if name is None:
        code = _status(node)
        if code is not None:
            return BROAD if code >= 500 else SAFE
        return UNKNOWN

    last = name.rsplit(".", 1)[-1]
    if last in BROAD_TYPES:
        return BROAD
    if last in INTERNAL_TYPES:
        return INTERNAL
    if last in SAFE_TYPES:
        return SAFE
    return UNKNOWN


def _is_exception_annotation(param: cst.Param | None) -> bool:
    if param is None or param.annotation is None:
        return False

    name = dotted_name(param.annotation.annotation) or ""
    return name.endswith(("Error", "Exception"))


def _only_validates(node: cst.Try) -> bool:
    """Tell whether a try block holds just one call that validates input."""
    body = node.body.body
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return False

    statement = body[0].body[0] if len(body[0].body) == 1 else None
    value = getattr(statement, "value", None)
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call):
        return False

    name = (dotted_name(value.func) or "").rsplit(".", 1)[-1]
    if name.lower().startswith(VALIDATION_PREFIXES):
        return True

    # ``Form(**data)``: building a model from the client's data validates it.
    return name[:1].isupper() and any(arg.star == "**" for arg in value.args)


def _combine(kinds: list[str]) -> str:
    for kind in (BROAD, INTERNAL, UNKNOWN):
        if kind in kinds:
            return kind
    return SAFE


def _isinstance_type(test: cst.BaseExpression, name: str) -> cst.BaseExpression | None:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _isinstance_type(test.left, name) or _isinstance_type(test.right, name)

    if not isinstance(test, cst.Call) or len(test.args) != 2:
        return None

    if not (isinstance(test.func, cst.Name) and test.func.value == "isinstance"):
        return None

    subject = test.args[0].value
    if isinstance(subject, cst.Name) and subject.value == name:
        return test.args[1].value
    return None


def _status(node: cst.BaseExpression) -> int | None:
    """Return the HTTP status ``node`` spells, when it is a constant."""
    if isinstance(node, cst.Integer):
        return int(node.value)

    name = dotted_name(node)
    if name is None:
        return None

    match = _STATUS_NAME.search(name)
    if match:
        return int(match.group(1))

    last = name.rsplit(".", 1)[-1]
    if "." in name and last in HTTPStatus.__members__:
        return HTTPStatus[last].value
    return None


def _call_status(call: cst.Call, spec: dict) -> int | None:
    if "code" in spec:
        return spec["code"]

    names = [spec["status"]] if "status" in spec else spec.get("status_any", [])
    for name in names:
        arg = keyword(call, name)
        if arg is not None:
            return _status(arg.value)

    position = spec.get("status_at")
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if position is not None and position < len(positional):
        return _status(positional[position].value)
    return None


def _carries_body(call: cst.Call, arg: cst.Arg, spec: dict) -> bool:
    if arg.keyword is not None:
        return arg.keyword.value not in NOT_BODY_KEYWORDS

    if arg.star:
        return True

    positional = [a for a in call.args if a.keyword is None and not a.star]
    index = next(i for i, a in enumerate(positional) if a is arg)
    if "body_at" in spec:
        return index == spec["body_at"]
    return index != spec.get("status_at")
