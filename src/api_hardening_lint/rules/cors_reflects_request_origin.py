"""AHL502 cors-reflects-request-origin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from api_hardening_lint.nodes import dotted_name, header_writes, string_value
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import Level, Rule
from api_hardening_lint.rules.cors_allows_any_origin import allows_credentials_header

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

_FACTS = knowledge("cors")
_ORIGIN = _FACTS["request_origin"]
ALLOW_ORIGIN = _FACTS["headers"]["allow_origin"]
ORIGIN_KEYS = frozenset(_ORIGIN["keys"])
MAPPING_ATTRIBUTES = frozenset(_ORIGIN["mapping_attributes"])
MAPPING_NAMES = frozenset(_ORIGIN["mapping_names"])
REQUEST_OBJECTS = frozenset(_ORIGIN["request_objects"])
REQUEST_NAMES = frozenset(_ORIGIN["request_names"])
TRANSFORMS = frozenset(_ORIGIN["transforms"])
PASSIVE_CALLS = frozenset(_ORIGIN["passive_calls"])
PASSIVE_RECEIVERS = frozenset(_ORIGIN["passive_receivers"])
# Comparisons that can hold an allow-list check; ``is``/``is not`` only test presence.
_CHECK_OPERATORS = (cst.In, cst.NotIn, cst.Equal, cst.NotEqual)
_MAX_DEPTH = 8

_UNCHECKED = (
    "Access-Control-Allow-Origin echoes the request's Origin header without checking it"
)


@dataclass
class _Scope:
    """A function body (or the module): where the origin is held and checked."""

    origins: dict[str, cst.CSTNode] = field(default_factory=dict)
    dicts: dict[str, cst.Dict] = field(default_factory=dict)
    checked: bool = False
    credentials: bool = False
    echoes: list[tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)


class CorsReflectsRequestOrigin(Rule):
    id = "AHL502"
    triggers = (b"Allow-Origin", b"allow-origin", b"ALLOW-ORIGIN")

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._scopes = [_Scope()]
        self._strings: dict[str, str] = {}
        self._off = context.is_test_file

    # Scopes

    def visit_FunctionDef(self, _node: cst.FunctionDef) -> None:
        self._scopes.append(_Scope())

    def leave_FunctionDef(self, _node: cst.FunctionDef) -> None:
        self._flush(self._scopes.pop())

    def leave_Module(self, _node: cst.Module) -> None:
        self._flush(self._scopes[0])

    # Where the origin goes

    def visit_Assign(self, node: cst.Assign) -> None:
        self._bind([t.target for t in node.targets], node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind([node.target], node.value)

    # Header writes are judged on leaving, once a check inside the written
    # value (``origin if origin in ALLOWED else ""``) has been seen.
    def leave_Assign(self, node: cst.Assign) -> None:
        self._check_writes(node)

    def leave_Return(self, node: cst.Return) -> None:
        self._check_writes(node)

    def leave_Call(self, node: cst.Call) -> None:
        self._check_writes(node)

    # Checks

    def visit_Comparison(self, node: cst.Comparison) -> None:
        scope = self._scopes[-1]
        if scope.checked:
            return

        left = node.left
        for target in node.comparisons:
            right = target.comparator
            if isinstance(target.operator, _CHECK_OPERATORS):
                if (self._mentions(left) and not _is_blank(right)) or (
                    self._mentions(right) and not _is_blank(left)
                ):
                    scope.checked = True
                    return
            left = right

    def visit_Call(self, node: cst.Call) -> None:
        scope = self._scopes[-1]
        if scope.checked or self._is_passive(node):
            return

        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value not in TRANSFORMS:
            if self._mentions(func.value):
                scope.checked = True
                return

        if any(self._mentions(arg.value) for arg in node.args):
            scope.checked = True

    # Helpers

    def _bind(
        self, targets: list[cst.BaseExpression], value: cst.BaseExpression
    ) -> None:
        scope = self._scopes[-1]
        read = self._origin_read(value)
        for target in targets:
            if not isinstance(target, cst.Name):
                continue

            name = target.value
            text = string_value(value)
            if text is not None and len(self._scopes) == 1:
                self._strings[name] = text
            if read is not None:
                scope.origins[name] = read
            else:
                scope.origins.pop(name, None)
            if isinstance(value, cst.Dict):
                scope.dicts[name] = value
            else:
                scope.dicts.pop(name, None)

    def _check_writes(self, node: cst.CSTNode) -> None:
        if self._off:
            return

        scope = self._scopes[-1]
        writes = header_writes(node, self._header_name, self._headers_of)
        for name, value, where in writes:
            if allows_credentials_header(name, value):
                scope.credentials = True
            elif name.lower() == ALLOW_ORIGIN and not scope.checked:
                read = self._origin_read(value)
                if read is not None:
                    scope.echoes.append((where, read))

    def _flush(self, scope: _Scope) -> None:
        for where, read in scope.echoes:
            if scope.credentials:
                message = (
                    f"{_UNCHECKED} and allows credentials: any site can make requests"
                    " that carry the user's cookies and read the answers"
                )
            else:
                message = (
                    f"{_UNCHECKED}: every site is trusted, and with credentials it may"
                    " read answers meant for the user"
                )
            related = (
                [] if read is where else [(read, "the Origin header is read here")]
            )
            self.report(where, message, severity=Level.HIGH, related=related)

    def _header_name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return self._strings.get(node.value)

        return string_value(node)

    def _headers_of(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name):
            return self._scopes[-1].dicts.get(node.value)

        return node

    def _origin_read(
        self, node: cst.BaseExpression, depth: int = 0
    ) -> cst.CSTNode | None:
        """Return where the origin was read if ``node`` evaluates to it, else None."""
        if depth > _MAX_DEPTH:
            return None

        if self._is_source(node):
            return node

        if isinstance(node, cst.Name):
            return self._scopes[-1].origins.get(node.value)

        if isinstance(node, cst.BooleanOperation):
            return self._origin_read(node.left, depth + 1) or self._origin_read(
                node.right, depth + 1
            )

        if isinstance(node, cst.IfExp):
            return self._origin_read(node.body, depth + 1) or self._origin_read(
                node.orelse, depth + 1
            )

        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in TRANSFORMS
        ):
            return self._origin_read(node.func.value, depth + 1)

        return None

    def _mentions(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """Tell whether ``node`` reads the origin anywhere in its expression."""
        if depth > _MAX_DEPTH:
            return False

        if self._is_source(node):
            return True

        if isinstance(node, cst.Name):
            return node.value in self._scopes[-1].origins

        depth += 1
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            return self._mentions(node.value, depth)

        if isinstance(node, cst.Call):
            return self._mentions(node.func, depth) or any(
                self._mentions(arg.value, depth) for arg in node.args
            )

        if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            return self._mentions(node.left, depth) or self._mentions(node.right, depth)

        if isinstance(node, cst.UnaryOperation):
            return self._mentions(node.expression, depth)

        return False

    def _is_source(self, node: cst.BaseExpression) -> bool:
        """Tell whether ``node`` reads the Origin request header itself."""
        if isinstance(node, cst.Call):
            func = node.func
            if not isinstance(func, cst.Attribute) or func.attr.value != "get":
                return False

            if not node.args or node.args[0].keyword is not None:
                return False

            return _is_mapping(func.value) and _is_origin_key(node.args[0].value)

        if isinstance(node, cst.Subscript):
            if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                return False

            return _is_mapping(node.value) and _is_origin_key(node.slice[0].slice.value)

        if isinstance(node, cst.Attribute) and node.attr.value == "origin":
            owner = node.value
            if self.context.qualname(owner) in REQUEST_OBJECTS:
                return True

            return (isinstance(owner, cst.Name) and owner.value in REQUEST_NAMES) or (
                isinstance(owner, cst.Attribute) and owner.attr.value in REQUEST_NAMES
            )

        return False

    def _is_passive(self, node: cst.Call) -> bool:
        # A header write, a log line or a conversion passes the origin on
        # without deciding anything about it.
        name = dotted_name(node.func)
        if name is not None:
            if name in PASSIVE_CALLS or PASSIVE_RECEIVERS.intersection(
                name.split(".")[:-1]
            ):
                return True

        return bool(header_writes(node, self._header_name, self._headers_of))


def _is_mapping(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Attribute):
        return node.attr.value in MAPPING_ATTRIBUTES

    return isinstance(node, cst.Name) and node.value in MAPPING_NAMES


def _is_origin_key(node: cst.BaseExpression) -> bool:
    key = string_value(node)
    return key is not None and key.lower() in ORIGIN_KEYS


def _is_blank(node: cst.BaseExpression) -> bool:
    """Tell whether a comparison operand only tests for a missing value."""
    if isinstance(node, cst.Name):
        return node.value == "None"

    return string_value(node) == ""
