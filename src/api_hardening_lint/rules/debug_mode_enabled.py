"""AHL401 debug-mode-enabled."""

from __future__ import annotations

import functools
import re

import libcst as cst

from api_hardening_lint.nodes import (
    environ_flag,
    is_true,
    os_is_free,
    string_value,
    subscript_key,
    with_value,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import SAFE, Fix, Level, Rule, text_matches

_FACTS = knowledge("debug")
SWITCH_KEYWORDS: dict[str, list[str]] = _FACTS["switch_keywords"]
RUN_KEYWORDS = frozenset(_FACTS["server"]["run_keywords"])
APP_CLASSES = frozenset(_FACTS["server"]["app_classes"])
ASGI_APP_CLASSES = frozenset(_FACTS["server"]["asgi_app_classes"])
SERVER_MODULES = tuple(_FACTS["server"]["modules"])
FLASK_CONFIG_KEYS = frozenset(_FACTS["settings"]["flask_config_keys"])
DJANGO_SETTINGS = frozenset(_FACTS["settings"]["django"])

_WERKZEUG_RISK = "the Werkzeug debugger lets anyone who reaches it run code"
# The environment variable each kind of switch is read from once fixed.
_FLASK_VARIABLE = "FLASK_DEBUG"
_ASGI_VARIABLE = "APP_DEBUG"
_DJANGO_VARIABLES = {
    "DEBUG": "DJANGO_DEBUG",
    "DEBUG_PROPAGATE_EXCEPTIONS": "DJANGO_DEBUG_PROPAGATE_EXCEPTIONS",
}
_DJANGO_RISK = {
    "DEBUG": "error pages then show settings, source code and SQL to every visitor",
    "DEBUG_PROPAGATE_EXCEPTIONS": (
        "exceptions then escape Django's error handling and reach the server or client"
    ),
}


# A literal True right after a debug-like name: ``debug=True``,
# ``["DEBUG"] = True``, ``"DEBUG": True``, ``DEBUG: bool = True``; matched
# against the lowercased text, which is faster than a case-insensitive match.
# One pattern per word, each starting with it: faster than an alternation.
_SWITCHED_ON = tuple(
    re.compile(word + rb"\w*['\"]?\]?\s*(?::\s*\w+\s*)?[:=]\s*true\b")
    for word in (rb"debug", rb"evalex")
)


class DebugModeEnabled(Rule):
    id = "AHL401"

    @classmethod
    def wants(cls, source: bytes) -> bool:
        return text_matches(_SWITCHED_ON, source.lower())

    def visit_Call(self, node: cst.Call) -> None:
        qualname = self.context.qualname(node.func)
        if qualname in SWITCH_KEYWORDS:
            label = qualname.rsplit(".", 1)[-1]
            for arg in node.args:
                if arg.keyword and arg.keyword.value in SWITCH_KEYWORDS[qualname]:
                    if is_true(arg.value):
                        self._report_switch(arg, label, arg.keyword.value)
            return

        if not isinstance(node.func, cst.Attribute):
            return

        method = node.func.attr.value
        if method == "run":
            self._check_run(node)
        elif method in ("update", "from_mapping") and self._is_flask_config(
            node.func.value
        ):
            self._check_config_update(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if is_true(node.value):
            for assign_target in node.targets:
                self._check_target(node, assign_target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if is_true(node.value):
            self._check_target(node, node.target)

    def _check_target(self, node: cst.CSTNode, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and target.attr.value == "debug":
            self._check_debug_attribute(node, target.value)
        elif isinstance(target, cst.Subscript) and self._is_flask_config(target.value):
            key = subscript_key(target)
            if key in FLASK_CONFIG_KEYS:
                self._report_config(node, key)
        elif isinstance(target, cst.Name) and target.value in DJANGO_SETTINGS:
            self._check_django_setting(node, target.value)

    def _check_debug_attribute(
        self, node: cst.CSTNode, owner: cst.BaseExpression
    ) -> None:
        cls = self.context.instance_of(owner)
        if cls in ASGI_APP_CLASSES:
            label = cls.rsplit(".", 1)[-1]
            risk = "unhandled errors then return full tracebacks to the client"
            self.report(
                node,
                f"{label} app.debug is set to True: {risk}",
                confidence=self._lowered(Level.HIGH),
                fix=self._fix(node, _ASGI_VARIABLE),
            )
            return

        confidence = self._app_confidence(owner)
        if confidence is not None:
            self.report(
                node,
                f"Flask app.debug is set to True: {_WERKZEUG_RISK}",
                confidence=self._lowered(confidence),
                fix=self._fix(node, _FLASK_VARIABLE),
            )

    def _check_run(self, node: cst.Call) -> None:
        confidence = self._app_confidence(node.func.value)
        if confidence is None:
            return

        for arg in node.args:
            if arg.keyword and arg.keyword.value in RUN_KEYWORDS and is_true(arg.value):
                self.report(
                    arg,
                    f"Flask app runs with {arg.keyword.value}=True: {_WERKZEUG_RISK}",
                    confidence=self._lowered(confidence),
                    fix=self._fix(arg, _FLASK_VARIABLE),
                )

    def _check_config_update(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword and arg.keyword.value in FLASK_CONFIG_KEYS:
                if is_true(arg.value):
                    self._report_config(arg, arg.keyword.value)
            elif arg.keyword is None and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if not isinstance(element, cst.DictElement):
                        continue

                    key = string_value(element.key)
                    if key in FLASK_CONFIG_KEYS and is_true(element.value):
                        self._report_config(element, key)

    def _check_django_setting(self, node: cst.CSTNode, name: str) -> None:
        # Only a module-level assignment is a setting; DEBUG = True inside a
        # function or class is something else.
        if len(self.context.ancestors) != 2:
            return

        if not self.context.is_settings_module or self.context.is_local_settings:
            return

        self.report(
            node,
            f"Django settings set {name} = True: {_DJANGO_RISK[name]}",
            confidence=self._lowered(Level.HIGH),
            fix=self._fix(node, _DJANGO_VARIABLES[name]),
        )

    def _report_switch(self, arg: cst.Arg, label: str, keyword: str) -> None:
        if label == "DebuggedApplication" or keyword != "debug":
            risk = "anyone who reaches the debugger can run Python in the server"
        else:
            risk = "unhandled errors then return full tracebacks to the client"
        verb = "created" if label[:1].isupper() else "called"
        asgi = label in ("FastAPI", "Starlette")
        self.report(
            arg,
            f"{label} is {verb} with {keyword}=True: {risk}",
            confidence=self._lowered(Level.HIGH),
            fix=self._fix(arg, _ASGI_VARIABLE if asgi else _FLASK_VARIABLE),
        )

    def _report_config(self, node: cst.CSTNode, key: str) -> None:
        self.report(
            node,
            f'Flask config sets "{key}" to True: {_WERKZEUG_RISK}',
            confidence=self._lowered(Level.HIGH),
            fix=self._fix(node, _FLASK_VARIABLE),
        )

    def _fix(self, node: cst.CSTNode, variable: str) -> Fix:
        """Return the fix that reads the switch from ``variable``, off by default."""
        description = (
            f'read the flag from the environment: os.environ.get("{variable}") == "1"'
        )
        if not os_is_free(self.context, self.id):
            return Fix(description)

        make = functools.partial(environ_flag, variable)
        return Fix(description, SAFE, ((node, with_value(make)),), ("os",))

    def _app_confidence(self, receiver: cst.BaseExpression) -> Level | None:
        """Say how sure it is that ``receiver`` is a Flask-like app, or None."""
        if self.context.instance_of(receiver) in APP_CLASSES:
            return Level.HIGH

        if self.context.bindings.imports_any(*SERVER_MODULES):
            return Level.MEDIUM

        return None

    def _is_flask_config(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "config"
            and self._app_confidence(node.value) is not None
        )

    def _lowered(self, confidence: Level) -> Level:
        # A server started under the main guard is usually a developer's
        # local run, not the deployed entry point.
        return Level.LOW if self.context.under_main_guard() else confidence
