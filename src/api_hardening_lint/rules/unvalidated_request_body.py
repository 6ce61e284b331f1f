"""AHL301 unvalidated-request-body."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from api_hardening_lint.context import FileContext
from api_hardening_lint.nodes import bound_names, dotted_name, keyword
from api_hardening_lint.positions import node_ranges
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

_FACTS = knowledge("validation")
_FLASK = _FACTS["flask"]
_DJANGO = _FACTS["django"]
_FASTAPI = _FACTS["fastapi"]
_VALID = _FACTS["validators"]
_PROPAGATE = _FACTS["propagate"]
_SINKS = _FACTS["sinks"]

FLASK_REQUEST = frozenset(_FLASK["request"])
FLASK_ATTRIBUTES = frozenset(_FLASK["attributes"])
FLASK_METHODS = frozenset(_FLASK["methods"])
DJANGO_MODULES = tuple(_DJANGO["modules"])
DJANGO_REQUEST_NAMES = frozenset(_DJANGO["request_names"])
DJANGO_REQUEST_CLASSES = frozenset(_DJANGO["request_classes"])
DJANGO_ATTRIBUTES = frozenset(_DJANGO["attributes"])
DRF_MODULES = tuple(_DJANGO["drf_modules"])
DRF_ATTRIBUTES = frozenset(_DJANGO["drf_attributes"])
FORM_PARSERS = frozenset(_DJANGO["form_parsers"])
PARSER_DECORATORS = frozenset(_DJANGO["parser_decorators"])
ACTION_DECORATORS = frozenset(_DJANGO["action_decorators"])
FASTAPI_MODULES = tuple(_FASTAPI["modules"])
FASTAPI_REQUEST_NAMES = frozenset(_FASTAPI["request_names"])
FASTAPI_REQUEST_CLASSES = frozenset(_FASTAPI["request_classes"])
AWAITED_METHODS = frozenset(_FASTAPI["awaited_methods"])
DICT_TYPES = frozenset(_FASTAPI["dict_types"])
LIST_TYPES = frozenset(_FASTAPI["list_types"])
LOOSE_ITEMS = frozenset(_FASTAPI["loose_items"])
NOT_BODY_MARKERS = frozenset(_FASTAPI["not_body_markers"])
BODY_MARKERS = frozenset(_FASTAPI["body_markers"])
ANY_TYPES = frozenset(_FASTAPI["any_types"])
BODY_METHODS = frozenset(_FASTAPI["body_methods"])
VALIDATOR_METHODS = frozenset(_VALID["methods"])
VALIDATOR_PREFIXES = tuple(_VALID["prefixes"])
CHECK_PREFIXES = tuple(_VALID["check_prefixes"])
VALIDATED_HOOKS = frozenset(_VALID["validated_hooks"])
CONTAINMENT_METHODS = frozenset(_VALID["containment_methods"])
CONTAINMENT_FUNCTIONS = frozenset(_VALID["containment_functions"])
PATH_RESOLVERS = frozenset(_VALID["path_resolvers"])
EXIT_FUNCTIONS = frozenset(_VALID["exit_functions"])
MODEL_BASES = frozenset(_VALID["model_bases"])
ATTRS_DECORATORS = frozenset(_VALID["attrs_decorators"])
ATTRS_FIELDS = frozenset(_VALID["attrs_fields"])
VALIDATOR_FUNCTIONS = frozenset(_VALID["functions"])
VALIDATOR_DECORATORS = frozenset(_VALID["decorators"])
VALIDATOR_SUFFIXES = tuple(_VALID["class_suffixes"])
VALIDATOR_BASES = frozenset(_VALID["class_bases"])
FORM_SUFFIXES = tuple(_VALID["form_suffixes"])
FORM_BASES = frozenset(_VALID["form_bases"])
FORM_CHECKS = frozenset(_VALID["form_check_methods"])
VALIDATOR_MODULE_WORDS = frozenset(_VALID["module_words"])
PROPAGATORS = frozenset(_PROPAGATE["functions"])
STRING_METHODS = frozenset(_PROPAGATE["string_methods"])
ANSWER_METHODS = frozenset(_PROPAGATE["answer_methods"])
ORM_BASES = frozenset(_SINKS["orm_bases"])
MODEL_MODULE_WORDS = frozenset(_SINKS["model_module_words"])
QUERY_ATTRIBUTES = frozenset(_SINKS["query_attributes"])
CREATE_METHODS = frozenset(_SINKS["create_methods"])
LOOKUP_METHODS = frozenset(_SINKS["lookup_methods"])
DEFAULTS_KEYWORDS = frozenset(_SINKS["defaults_keywords"])
FREE_TEXT_FIELDS = frozenset(_SINKS["free_text_fields"])
TEXT_ATTRIBUTES = frozenset(_SINKS["text_attributes"])
FETCH_METHODS = frozenset(_SINKS["fetch_methods"])
FETCH_FUNCTIONS = frozenset(_SINKS["fetch_functions"])
SAVE_METHODS = frozenset(_SINKS["save_methods"])
ADD_METHODS = frozenset(_SINKS["add_methods"])
SESSION_NAMES = frozenset(_SINKS["session_names"])
SQL_METHODS = frozenset(_SINKS["sql_methods"])
SQL_FUNCTIONS = frozenset(_SINKS["sql_functions"])
PATH_FUNCTIONS = frozenset(_SINKS["path_functions"])
UPLOAD_SAVE_METHODS = frozenset(_SINKS["upload_save_methods"])
COMMAND_FUNCTIONS = frozenset(_SINKS["command_functions"])
SHELL_FUNCTIONS = frozenset(_SINKS["shell_functions"])
REQUEST_FUNCTIONS = frozenset(_SINKS["request_functions"])

# What a sink does with the data, and how bad that is.
MASS = "mass"
LOOKUP = "lookup"
FIELD = "field"
SQL = "sql"
PATH = "path"
COMMAND = "command"
URL = "url"
UNCHECKED_SAVE = "save"
_SEVERITY = {
    MASS: Level.HIGH,
    LOOKUP: Level.HIGH,
    SQL: Level.HIGH,
    PATH: Level.HIGH,
    COMMAND: Level.HIGH,
    UNCHECKED_SAVE: Level.HIGH,
    URL: Level.MEDIUM,
    FIELD: Level.MEDIUM,
}
# The confidence of a sink the code shows plainly.
_SURE = {MASS: Level.HIGH, FIELD: Level.MEDIUM}
_WHY = {
    MASS: "every field the client sends is written to the model (mass assignment)",
    LOOKUP: "the client chooses the fields and lookups of the ORM query",
    FIELD: "the value is stored with no check of its type, size or format",
    SQL: "the text becomes part of an SQL statement",
    PATH: "the text becomes part of a file path",
    COMMAND: "the text becomes part of a command line",
    URL: "the client chooses where the server sends a request",
    UNCHECKED_SAVE: "the serializer or form saves data it never checked",
}
_LOOKED_FOR = {
    "flask": (
        "no marshmallow load/validate, pydantic model, webargs or flask-smorest"
        " arguments, WTForms validate() or jsonschema validate was found before it"
    ),
    "fastapi": "the body is not declared as a pydantic model",
    "starlette": "no pydantic model or schema was applied to it before that",
    "django": "no Form/ModelForm or serializer is_valid() was called before it",
}
_BUILTINS = frozenset(
    {
        "open",
        "setattr",
        "isinstance",
        *(name for name in PROPAGATORS if "." not in name),
    }
)
_NO_ORIGINS: frozenset[_Origin] = frozenset()
_COMPREHENSIONS = (cst.DictComp, cst.ListComp, cst.SetComp, cst.GeneratorExp)
_TEXT_WIDTH = 40
_SPACES = re.compile(r"\s+")

# A file needs text that reads a body: a request attribute or method, or a
# FastAPI route with an awaited ``.json()``-like call or a parameter typed as a
# mapping or list (return annotations and client code alone do not count).
# Patterns that start with literal text are searched for far faster by ``re``.
_SOURCE_TEXT = re.compile(
    rb"request\.(?:json|form|values|data|files|get_json|get_data|POST|body|FILES)\b"
)
_ALIAS_TEXT = re.compile(rb"import\s[^\n]*\brequest\s+as\s+\w+")
# Line starts as newlines: a pattern that starts with literal text is found
# faster (``text_matches`` also tries it at the start of the file).
_FASTAPI_TEXT = (
    re.compile(rb"\n\s*(?:from|import)\s+(?:fastapi|starlette)\b"),
)
_BODY_ROUTE_TEXT = re.compile(rb"@\w+\.(?:post|put|patch|delete|api_route)\(")
_BODY_PARAM_TEXT = re.compile(
    rb"[(,]\s*\w+\s*:\s*(?:typing\.)?"
    rb"(?:dict|Dict|Mapping|MutableMapping|list|List|Sequence|Annotated)\b"
    rb"|Body\(|await\s+\w+\.(?:json|form|body)\(\)"
)


_SCHEMA_LOADS = frozenset({"load", "loads"})
_MODEL_PARSERS = frozenset(
    {"model_validate", "model_validate_json", "parse_obj", "parse_raw"}
)
_PYDANTIC_BASE = "BaseModel"
_SERIALIZER_SUFFIX = "Serializer"
_STYLE_ADVICE = {
    "marshmallow": "load the body with {name}.load(...), as this file does elsewhere,"
    " and use only what it returns",
    "pydantic": "parse the body into a pydantic model such as {name}, as this file"
    " does elsewhere, and use only its fields",
    "form": "bind the data to a form such as {name}, call is_valid() as this file"
    " does elsewhere, and use only form.cleaned_data",
    "serializer": "pass the data to a serializer such as {name}, call is_valid() as"
    " this file does elsewhere, and use only serializer.validated_data",
}


@dataclass(eq=False)
class _Sink:
    kind: str
    node: cst.CSTNode
    confidence: Level
    via: str | None = None
    # The imported class taken for an ORM model by its module's name alone:
    # the sink holds unless the project defines it as a validating model.
    unless: str | None = None
    # A field named for free text, where any string the client types fits.
    free_text: bool = False


@dataclass(eq=False)
class _Origin:
    """Where request data enters a function: a read of the body or a parameter."""

    node: cst.CSTNode
    label: str
    framework: str | None
    validated: bool = False
    sinks: list[_Sink] = field(default_factory=list)
    # (callee name, argument position or keyword, as self-method)
    passes: list[tuple[str, int | str, bool]] = field(default_factory=list)
    # DRF's ``request.data`` in a view whose parsers read forms only, as far as
    # this file tells (None: it declares none), and the imported bases of the
    # view to ask the project about.
    form_parsers: bool | None = None
    parser_bases: tuple[str, ...] = ()


@dataclass
class _Write:
    base: str
    origins: frozenset[_Origin]
    node: cst.CSTNode
    free_text: bool = False


@dataclass
class _Frame:
    node: cst.FunctionDef | None
    tainted: dict[str, frozenset[_Origin]] = field(default_factory=dict)
    django_requests: set[str] = field(default_factory=set)
    starlette_requests: set[str] = field(default_factory=set)
    validated_by_check: bool = False
    reads: list[_Origin] = field(default_factory=list)
    # Names bound to ORM objects, with the class to ask about (see _Sink).
    models: dict[str, str | None] = field(default_factory=dict)
    writes: list[_Write] = field(default_factory=list)
    # Serializers and forms built from request data, not yet checked.
    forms: dict[str, frozenset[_Origin]] = field(default_factory=dict)
    # Request attributes a validator or a check was given, by label.
    checked: set[str] = field(default_factory=set)
    # Names bound to dicts whose keys the code wrote, not the client.
    fixed: set[str] = field(default_factory=set)
    # Names bound to paths with ``..`` and links resolved.
    resolved: set[str] = field(default_factory=set)
    # Parameters: a ``request`` among them is not the framework's proxy.
    params: set[str] = field(default_factory=set)
    # Branches taken only for allowed values (``if kind in ALLOWED:``), by the
    # id of their block, and the data set aside while one is visited.
    allowed_blocks: dict[int, list[str]] = field(default_factory=dict)
    restore: dict[int, dict[str, frozenset[_Origin]]] = field(default_factory=dict)
    # ``obj = Model(name=...)``, not yet saved: the call by its id while it is
    # visited, then the field sinks it gave, by the name it is bound to. A
    # ``full_clean()`` on the object before its ``save()`` checks those fields.
    building: dict[int, str] = field(default_factory=dict)
    built: dict[str, list[tuple[_Origin, _Sink]]] = field(default_factory=dict)


# Facts about other files: the classes of the project that check their input.

_VALIDATING = "validating-model"
# Text of a class built directly on a validating base, as usual names go.
# Each pattern starts with literal text, which ``re`` searches for quickly.
_DIRECT_BASE_TEXT = re.compile(
    rb"class[ \t]+\w+[ \t]*\([^)]*"
    rb"\b(?:BaseModel|RootModel|SQLModel|Schema|ModelSchema)\b"
)
_PYDANTIC_DATACLASS_TEXT = re.compile(
    rb"pydantic(?:\.dataclasses|[ \t]+import[^\n]*\bdataclass\b)"
)
# An attrs field with a validator.
_ATTRS_VALIDATOR_TEXT = re.compile(rb"validator[ \t]*=")
# Stands for the validators of an attrs class among the bases of a class.
_VALIDATED_ATTRS = "attrs-with-validators"
# A class on a base of the project named like a model, schema or base class.
_PROJECT_BASE_TEXT = re.compile(
    rb"class[ \t]+\w+[ \t]*\([ \t]*(?:\w+\.)*\w*(?:Model|Schema|Base)[ \t]*[,)]"
)
# A validating class named as the base of others: ``class ItemBase(BaseModel)``,
# ``class AppModel(BaseModel)``.
_SHARED_BASE_TEXT = re.compile(
    rb"class[ \t]+(?:\w*Base\w*|\w*Model)[ \t]*\([^)]*"
    rb"\b(?:BaseModel|RootModel|SQLModel|Schema|ModelSchema)\b"
)
_ORM_IMPORT_TEXT = (
    re.compile(
        rb"\n[ \t]*(?:from|import)[ \t]+"
        rb"(?:django|sqlalchemy|flask_sqlalchemy|peewee|mongoengine|tortoise|pony)\b"
    ),
)


class ValidatingModels(FactCollector):
    """Classes of the project with their bases, to tell validating models
    (pydantic, marshmallow...) from ORM models defined in ``models`` modules."""

    name = "validating-models"
    triggers = (
        _DIRECT_BASE_TEXT,
        _PYDANTIC_DATACLASS_TEXT,
        _PROJECT_BASE_TEXT,
        _ATTRS_VALIDATOR_TEXT,
    )

    @classmethod
    def wants(cls, source: bytes, path: str) -> bool:
        # A module that imports an ORM is left out, whatever else it holds:
        # such modules are many and large, and their classes mostly tables.
        # TODO: read modules mixing tables and models, because that doubles parsing
        if text_matches(_ORM_IMPORT_TEXT, source) or not super().wants(source, path):
            return False

        # The rule only doubts classes imported from modules named like ORM
        # modules; elsewhere only shared bases of validating classes matter.
        words = set(module_name(path).split("."))
        if words & MODEL_MODULE_WORDS and not words & VALIDATOR_MODULE_WORDS:
            return True
        return bool(_SHARED_BASE_TEXT.search(source))

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        classes: dict[str, list[str] | None] = {}
        for name, node, module, local in _module_classes(context):
            bases = _class_bases(context, node, module, local)
            if bases is None or bases:
                classes[name] = bases
        return classes or None


def _module_classes(
    context: FileContext,
) -> Iterator[tuple[str, cst.ClassDef, str, set[str]]]:
    """Yield each top-level class with its absolute name, its module's name and
    the names of the module's classes; nothing for a file outside a package."""
    module = module_name(context.path)
    if not module:
        return

    body = context.module.body
    local = {s.name.value for s in body if isinstance(s, cst.ClassDef)}
    for stmt in body:
        if isinstance(stmt, cst.ClassDef):
            yield f"{module}.{stmt.name.value}", stmt, module, local


def _class_bases(
    context: FileContext, node: cst.ClassDef, module: str, local: set[str]
) -> list[str] | None:
    """Return the absolute names of a class's bases and validating decorators;
    None for a SQLModel table, which is an ORM model."""
    for arg in node.keywords:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "table" and _is_true(arg.value):
            return None

    found = []
    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        name = _absolute(context, target, module, local)
        if name in MODEL_BASES:
            found.append(name)
        elif name in ATTRS_DECORATORS and _attrs_validated(context, node):
            found.append(_VALIDATED_ATTRS)
    for arg in node.bases:
        value = arg.value
        if isinstance(value, cst.Subscript):
            value = value.value
        name = None if arg.star else _absolute(context, value, module, local)
        if name is not None:
            found.append(name)
    return found


def _attrs_validated(context: FileContext, node: cst.ClassDef) -> bool:
    """Tell whether every field of an attrs class declares a validator.

    Fields are the ``attrib()``/``field()`` assignments and, as ``define``
    makes them, the annotated names; an annotated name with a plain default or
    none (``note: str = ""``) is a field nothing checks.
    """
    fields = 0
    for line in node.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue

        for small in line.body:
            if not isinstance(small, (cst.Assign, cst.AnnAssign)):
                continue

            value = small.value
            annotated = isinstance(small, cst.AnnAssign) and not _is_class_var(small)
            if isinstance(value, cst.Call) and (
                context.qualname(value.func) in ATTRS_FIELDS
            ):
                if not keyword(value, "validator"):
                    return False
                fields += 1
            elif annotated:
                return False
    return fields > 0


def _is_class_var(small: cst.AnnAssign) -> bool:
    annotation = small.annotation.annotation
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    return (dotted_name(annotation) or "").rpartition(".")[2] == "ClassVar"


def _absolute(
    context: FileContext, node: cst.BaseExpression, module: str, local: set[str]
) -> str | None:
    qualname = context.qualname(node)
    if qualname is not None:
        return resolve_relative(qualname, context.path)

    if isinstance(node, cst.Name) and node.value in local:
        return f"{module}.{node.value}"
    return dotted_name(node)


@dataclass
class _Models:
    bases: dict[str, list[str] | None]
    by_last: dict[str, list[str]]

    def find(self, name: str) -> list[str]:
        return _find_class(name, self.bases, self.by_last)

    def validating(self, name: str, seen: set[str]) -> bool | None:
        """Tell whether the class ``name`` checks its input; None if unknown."""
        keys = self.find(name)
        if not keys:
            return None

        return all(self._record(key, seen) for key in keys)

    def _record(self, key: str, seen: set[str]) -> bool:
        bases = self.bases[key]
        if key in seen or bases is None:
            return False

        seen.add(key)
        # A base the project does not define is not guessed from its name:
        # ORM projects too call their base class ``BaseModel``.
        return any(
            base in MODEL_BASES
            or base == _VALIDATED_ATTRS
            or self.validating(base, seen)
            for base in bases
        )


def _find_class(name: str, known: dict, by_last: dict[str, list[str]]) -> list[str]:
    """Return the classes ``name`` may mean: itself, the same module seen from
    another folder, or a class a package re-exports."""
    if name in known:
        return [name]

    module, _, last = name.rpartition(".")
    found = []
    for key in by_last.get(last, ()):
        short, long = sorted((key, name), key=len)
        inside = f".{key}".find(f".{module}.") != -1
        if long.endswith(f".{short}") or (module and inside):
            found.append(key)
    return found


@per_index
def _models(index: ProjectIndex) -> _Models:
    bases: dict[str, list[str] | None] = {}
    for _, data in index.of(ValidatingModels.name):
        bases.update(data)
    by_last: dict[str, list[str]] = {}
    for name in bases:
        by_last.setdefault(name.rpartition(".")[2], []).append(name)
    return _Models(bases, by_last)


# Facts about other files: the parsers DRF views inherit.

_FORM_PARSERS = "form-parsers"
# How many bases deep the parsers of a view are looked for.
_PARSER_DEPTH = 4


class ViewParsers(FactCollector):
    """Classes of modules that set DRF's ``parser_classes``, with their bases and
    whether the parsers they declare read forms only."""

    name = "view-parsers"
    # The base declaring the parsers and the mixins built on it share a module.
    # TODO: follow bases through modules that never name parser_classes, because
    # that means collecting the classes of every view module
    triggers = (b"parser_classes",)

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        classes = {}
        for name, node, module, local in _module_classes(context):
            bases = [
                _absolute(context, arg.value, module, local)
                for arg in node.bases
                if not arg.keyword and not arg.star
            ]
            declared = _declared_parsers(context, node)
            # A bare name the module neither defines nor imports is not
            # guessed: matched by its last part it could be any class.
            known = [base for base in bases if base and "." in base]
            classes[name] = [known, declared]
        return classes or None


def _declared_parsers(context: FileContext, node: cst.ClassDef) -> bool | None:
    """Tell whether the parsers a class sets read forms only; None if it sets
    none. Parsers chosen in ``get_parsers()`` are unknown, so not forms only."""
    if not isinstance(node.body, cst.IndentedBlock):
        return None

    for stmt in node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "get_parsers":
            return False

        if not isinstance(stmt, cst.SimpleStatementLine):
            continue

        for small in stmt.body:
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets = [small.target]
            else:
                continue

            if any(_is_name(t, "parser_classes") for t in targets):
                return _is_form_parsers(context, small.value)
    return None


def _is_form_parsers(context: FileContext, value: cst.BaseExpression | None) -> bool:
    """Tell whether a list of parser classes holds DRF's form parsers alone."""
    if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
        return False

    return all(
        not isinstance(element, cst.StarredElement)
        and context.qualname(element.value) in FORM_PARSERS
        for element in value.elements
    )


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


@dataclass
class _Views:
    classes: dict[str, list]
    by_last: dict[str, list[str]]

    def verdicts(self, names: list[str], depth: int) -> list[bool]:
        """Return what the nearest classes setting parsers among ``names`` and
        their bases declare: True for forms only."""
        found = []
        for name in names:
            for key in _find_class(name, self.classes, self.by_last):
                bases, declared = self.classes[key]
                if declared is not None:
                    found.append(declared)
                elif depth > 0:
                    found += self.verdicts(bases, depth - 1)
        return found


@per_index
def _views(index: ProjectIndex) -> _Views:
    classes: dict[str, list] = {}
    for _, data in index.of(ViewParsers.name):
        classes.update(data)
    by_last: dict[str, list[str]] = {}
    for name in classes:
        by_last.setdefault(name.rpartition(".")[2], []).append(name)
    return _Views(classes, by_last)


class UnvalidatedRequestBody(Rule):
    id = "AHL301"
    facts = (ValidatingModels, ViewParsers)

    @classmethod
    def answer(cls, project: ProjectIndex, question: tuple) -> Any:
        kind, *names = question
        if kind == _FORM_PARSERS:
            found = _views(project).verdicts(names, _PARSER_DEPTH)
            return all(found) if found else None

        if kind != _VALIDATING:
            raise ValueError(f"AHL301 has no answer to {kind!r}")

        return bool(_models(project).validating(names[0], set()))

    @classmethod
    def wants(cls, source: bytes) -> bool:
        if _SOURCE_TEXT.search(source) or _ALIAS_TEXT.search(source):
            return True

        if b"fastapi" not in source and b"starlette" not in source:
            return False
        return bool(
            text_matches(_FASTAPI_TEXT, source)
            and _BODY_ROUTE_TEXT.search(source)
            and _BODY_PARAM_TEXT.search(source)
        )

    def __init__(self, context) -> None:
        super().__init__(context)
        bindings = context.bindings
        self._off = context.is_test_file
        self._frames: list[_Frame] = [_Frame(node=None)]
        self._origins: dict[int, _Origin] = {}
        self._reads: list[_Origin] = []
        self._params: dict[tuple[int, str], _Origin] = {}
        self._functions: dict[str, list[cst.FunctionDef]] = {}
        self._classes: dict[str, list[str]] = {}
        self._class_defs: dict[str, cst.ClassDef] = {}
        self._class_stack: list[cst.ClassDef] = []
        self._imports_django = bindings.imports_any(*DJANGO_MODULES)
        self._imports_drf = bindings.imports_any(*DRF_MODULES)
        self._imports_fastapi = bindings.imports_any(*FASTAPI_MODULES)
        self._body_routes: dict[int, frozenset[str]] | None = None
        # ``(style, class or schema name)`` of each validation the file does.
        self._styles: Counter[tuple[str, str]] = Counter()
        self._scan_definitions(context.module)

    # Where we are.

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_stack.append(node)

    def leave_ClassDef(self, _node: cst.ClassDef) -> None:
        self._class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = _Frame(node=node)
        self._frames.append(frame)
        if self._off:
            return

        for decorator in node.decorators:
            if _last(decorator.decorator) in VALIDATOR_DECORATORS:
                frame.validated_by_check = True
        if node.name.value in VALIDATED_HOOKS:
            frame.validated_by_check = True

        params = [
            *node.params.posonly_params,
            *node.params.params,
            *node.params.kwonly_params,
        ]
        body_route = self._route_methods(node)
        for param in params:
            name = param.name.value
            frame.params.add(name)
            if self._is_django_request(param):
                frame.django_requests.add(name)
                continue

            if self._is_starlette_request(param):
                frame.starlette_requests.add(name)
                continue

            if name in ("self", "cls"):
                continue

            if body_route is not None and self._is_unchecked_body(param):
                origin = self._origin(param, f"body parameter {name}", "fastapi")
                frame.tainted[name] = frozenset({origin})
                continue

            # Any other parameter may receive request data from a caller in
            # this file; what it reaches is looked up when the file ends.
            origin = _Origin(node=param, label=name, framework=None)
            self._params[(id(node), name)] = origin
            frame.tainted[name] = frozenset({origin})

    def leave_FunctionDef(self, _node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        for write in frame.writes:
            if write.base in frame.models:
                unless = frame.models[write.base]
                self._sink(
                    write.origins,
                    FIELD,
                    write.node,
                    Level.MEDIUM,
                    unless=unless,
                    free_text=write.free_text,
                )

    # Data moving through local names.

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._off or self._frames[-1].node is None:
            return

        targets = [t.target for t in node.targets]
        self._assign(targets, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._off or self._frames[-1].node is None or node.value is None:
            return

        self._assign([node.target], node.value, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        frame = self._frames[-1]
        if self._off or frame.node is None or not isinstance(node.target, cst.Name):
            return

        added = self._taint(node.value)
        if added:
            name = node.target.value
            frame.tainted[name] = frame.tainted.get(name, _NO_ORIGINS) | added

    def visit_For(self, node: cst.For) -> None:
        frame = self._frames[-1]
        if self._off or frame.node is None:
            return

        origins = self._taint(node.iter)
        for name in bound_names(node.target):
            if origins:
                frame.tainted[name] = origins
            else:
                frame.tainted.pop(name, None)

    def visit_If(self, node: cst.If) -> None:
        frame = self._frames[-1]
        if self._off or frame.node is None:
            return

        # ``if kind in ALLOWED: ...``: inside the branch the value is one the
        # code allows; before and after it, it is not.
        inside = self._inside_names(node.test)
        if inside:
            frame.allowed_blocks[id(node.body)] = inside

        if not _exits(node.body):
            return

        # ``if kind not in ALLOWED: raise ...``: past the guard the value is
        # one the code allows.
        for name in self._outside_names(node.test):
            frame.tainted.pop(name, None)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_allowed(node)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._leave_allowed(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_allowed(node)

    def leave_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._leave_allowed(node)

    def visit_Assert(self, node: cst.Assert) -> None:
        frame = self._frames[-1]
        if self._off or frame.node is None:
            return

        # ``assert kind in ALLOWED`` reads as a negated guard.
        test = cst.UnaryOperation(operator=cst.Not(), expression=node.test)
        for name in self._outside_names(test):
            frame.tainted.pop(name, None)

    def visit_Call(self, node: cst.Call) -> None:
        frame = self._frames[-1]
        if self._off or frame.node is None:
            return

        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        qualname = self._qualname(func)
        self._note_models(node, method, qualname)
        self._note_style(node, method)

        self._check_built(node, method)
        if self._is_check(node, method, qualname):
            return

        if self._is_validator_call(node, method, qualname):
            for arg in node.args:
                self._validate(self._taint(arg.value))
                self._cover(arg.value)
            return

        if self._is_check_helper(func):
            for arg in node.args:
                self._cover(arg.value)

        self._find_sinks(node, method, qualname)
        self._note_passes(node, method)

        if method == "update" and isinstance(func.value, cst.Name):
            # ``payload.update(data)`` merges the data into ``payload``.
            added = self._args_taint(node)
            name = func.value.value
            if not all(self._names_keys(arg) for arg in node.args):
                frame.fixed.discard(name)
            if added and not self._is_query_chain(func.value):
                frame.tainted[name] = frame.tainted.get(name, _NO_ORIGINS) | added

    def leave_Module(self, _node: cst.Module) -> None:
        findings = []
        covered: set[int] = set()
        for origin in self._reads:
            sinks = [
                sink
                for sink in self._resolve(origin, set())
                if not self._is_harmless(origin, sink)
            ]
            # Two reads that end in the same calls, as in ``User(name=form["a"],
            # email=form["b"])``, are one weakness.
            if sinks and not {id(s.node) for s in sinks} <= covered:
                findings.append((origin, sinks))
                covered.update(id(s.node) for s in sinks)
        if not findings:
            return

        wanted = [origin.node for origin, _ in findings]
        wanted += [sink.node for _, sinks in findings for sink in sinks]
        ranges = node_ranges(self.context.module, wanted)
        for origin, sinks in findings:
            self._report_origin(origin, sinks, ranges)

    # Sources.

    def _origin(self, node: cst.CSTNode, label: str, framework: str) -> _Origin:
        origin = self._origins.get(id(node))
        if origin is None:
            frame = self._frames[-1]
            origin = _Origin(node=node, label=label, framework=framework)
            origin.validated = frame.validated_by_check or label in frame.checked
            self._origins[id(node)] = origin
            self._reads.append(origin)
            frame.reads.append(origin)
        return origin

    def _source(self, node: cst.CSTNode) -> _Origin | None:
        """Return the origin when ``node`` itself reads the request body."""
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            receiver = node.value
            if attr in FLASK_ATTRIBUTES and self._is_flask_request(receiver):
                return self._origin(node, f"{_label(receiver)}.{attr}", "flask")

            if not self._is_django_receiver(receiver):
                return None

            if attr in DJANGO_ATTRIBUTES:
                return self._origin(node, f"{_label(receiver)}.{attr}", "django")

            if attr in DRF_ATTRIBUTES and self._imports_drf:
                fresh = id(node) not in self._origins
                origin = self._origin(node, f"{_label(receiver)}.{attr}", "django")
                if fresh:
                    origin.form_parsers, origin.parser_bases = self._view_parsers()
                return origin
            return None

        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            attr = node.func.attr.value
            receiver = node.func.value
            if attr in FLASK_METHODS and self._is_flask_request(receiver):
                return self._origin(node, f"{_label(receiver)}.{attr}()", "flask")
            return None

        if isinstance(node, cst.Await):
            call = node.expression
            if not isinstance(call, cst.Call) or not isinstance(
                call.func, cst.Attribute
            ):
                return None

            receiver = call.func.value
            attr = call.func.attr.value
            if (
                attr in AWAITED_METHODS
                and isinstance(receiver, cst.Name)
                and receiver.value in self._frames[-1].starlette_requests
            ):
                return self._origin(
                    node, f"await {receiver.value}.{attr}()", "starlette"
                )
        return None

    def _is_flask_request(self, node: cst.BaseExpression) -> bool:
        # ``def save_code(self, code, request)``: a library's own request
        # object, handed to a hook, hides the imported proxy.
        if isinstance(node, cst.Name) and any(
            node.value in frame.params for frame in self._frames
        ):
            return False
        return self._qualname(node) in FLASK_REQUEST

    def _is_django_receiver(self, node: cst.BaseExpression) -> bool:
        if not self._imports_django:
            return False

        if isinstance(node, cst.Name):
            return node.value in self._frames[-1].django_requests

        # ``self.request`` in a class-based view.
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "request"
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        )

    def _is_django_request(self, param: cst.Param) -> bool:
        if not self._imports_django:
            return False

        annotation = param.annotation.annotation if param.annotation else None
        if annotation is not None and self._qualname(annotation) in (
            DJANGO_REQUEST_CLASSES
        ):
            return True

        return param.name.value in DJANGO_REQUEST_NAMES

    def _is_starlette_request(self, param: cst.Param) -> bool:
        if not self._imports_fastapi:
            return False

        annotation = param.annotation.annotation if param.annotation else None
        if annotation is not None:
            return self._qualname(annotation) in FASTAPI_REQUEST_CLASSES

        return param.name.value in FASTAPI_REQUEST_NAMES

    def _route_methods(self, node: cst.FunctionDef) -> frozenset[str] | None:
        """Return the methods of the FastAPI route ``node`` handles, if any."""
        if not self._imports_fastapi:
            return None

        if self._body_routes is None:
            self._body_routes = {}
            for route in self.context.routes:
                if route.framework == "fastapi" and route.handler is not None:
                    methods = self._body_routes.get(id(route.handler), frozenset())
                    self._body_routes[id(route.handler)] = methods | route.methods
        methods = self._body_routes.get(id(node))
        if methods is None or not methods & BODY_METHODS:
            return None
        return methods

    def _is_unchecked_body(self, param: cst.Param) -> bool:
        """Tell whether FastAPI reads ``param`` from the body without a model.

        An unannotated or ``Any`` parameter is a query parameter unless
        ``Body()`` says otherwise; a mapping or a list of loose items is body.
        """
        annotation = param.annotation.annotation if param.annotation else None
        markers = []
        if isinstance(param.default, cst.Call):
            markers.append(_last(param.default.func))
        if isinstance(annotation, cst.Subscript) and _last(annotation.value) in (
            "Annotated"
        ):
            extras = annotation.slice[1:]
            first = annotation.slice[0].slice
            annotation = first.value if isinstance(first, cst.Index) else None
            for extra in extras:
                if isinstance(extra.slice, cst.Index) and isinstance(
                    extra.slice.value, cst.Call
                ):
                    markers.append(_last(extra.slice.value.func))
        if any(marker in NOT_BODY_MARKERS for marker in markers):
            return False

        in_body = any(marker in BODY_MARKERS for marker in markers)
        if annotation is None or self._type_name(annotation) in ANY_TYPES:
            return in_body

        return self._is_loose_type(annotation)

    def _is_loose_type(self, annotation: cst.BaseExpression) -> bool:
        head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        name = self._type_name(head)
        if name in DICT_TYPES:
            return True

        if name not in LIST_TYPES:
            return False

        if not isinstance(annotation, cst.Subscript):
            return True

        item = annotation.slice[0].slice
        if not isinstance(item, cst.Index):
            return False
        return self._type_name(item.value) in LOOSE_ITEMS or self._is_loose_type(
            item.value
        )

    def _type_name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Subscript):
            node = node.value
        return self._qualname(node) or dotted_name(node)

    # Following values.

    def _assign(
        self,
        targets: list[cst.BaseExpression],
        value: cst.BaseExpression,
        node: cst.CSTNode,
    ) -> None:
        frame = self._frames[-1]
        origins = self._taint(value)
        form = self._form_data(value)
        fixed = self._is_fixed_dict(value)
        resolved = isinstance(value, cst.Call) and (
            self._qualname(value.func) in PATH_RESOLVERS
        )
        for target in targets:
            if isinstance(target, cst.Attribute):
                base = dotted_name(target.value)
                if base is not None and origins:
                    free_text = target.attr.value in FREE_TEXT_FIELDS
                    write = _Write(base, self._open(origins), node, free_text)
                    frame.writes.append(write)
                continue

            if isinstance(target, cst.Subscript):
                # ``fields[key] = ...`` with a key the code does not spell out.
                if isinstance(target.value, cst.Name) and not _is_constant_key(target):
                    frame.fixed.discard(target.value.value)
                continue

            for name in bound_names(target):
                frame.forms.pop(name, None)
                if origins:
                    frame.tainted[name] = origins
                else:
                    frame.tainted.pop(name, None)
                if form:
                    frame.forms[name] = form
                if fixed:
                    frame.fixed.add(name)
                else:
                    frame.fixed.discard(name)
                if resolved:
                    frame.resolved.add(name)
                else:
                    frame.resolved.discard(name)
                frame.built.pop(name, None)
                if self._is_orm_object(value):
                    frame.models[name] = self._imported_model(value)
                    if isinstance(value, cst.Call):
                        frame.building[id(value)] = name

    def _taint(self, node: cst.BaseExpression) -> frozenset[_Origin]:
        """Return the origins of the request data ``node`` evaluates to."""
        source = self._source(node)
        if source is not None:
            return frozenset({source})

        if isinstance(node, cst.Name):
            return self._frames[-1].tainted.get(node.value, _NO_ORIGINS)

        if isinstance(node, (cst.Attribute, cst.Subscript)):
            return self._taint(node.value)

        if isinstance(node, cst.Await):
            return self._taint(node.expression)

        if isinstance(node, cst.Call):
            return self._call_taint(node)

        if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            return self._taint(node.left) | self._taint(node.right)

        if isinstance(node, cst.IfExp):
            return self._taint(node.body) | self._taint(node.orelse)

        if isinstance(node, cst.FormattedString):
            found = _NO_ORIGINS
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found |= self._taint(part.expression)
            return found

        if isinstance(node, cst.ConcatenatedString):
            return self._taint(node.left) | self._taint(node.right)

        if isinstance(node, cst.Dict):
            found = _NO_ORIGINS
            for element in node.elements:
                found |= self._taint(element.value)
            return found

        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            found = _NO_ORIGINS
            for element in node.elements:
                found |= self._taint(element.value)
            return found

        if isinstance(node, _COMPREHENSIONS):
            # A comprehension with a condition is taken to be an allow-list.
            loop = node.for_in
            if loop.ifs:
                return _NO_ORIGINS
            return self._taint(loop.iter)

        return _NO_ORIGINS

    def _call_taint(self, node: cst.Call) -> frozenset[_Origin]:
        func = node.func
        qualname = self._qualname(func)
        if qualname in PROPAGATORS:
            return self._args_taint(node)

        if not isinstance(func, cst.Attribute):
            return _NO_ORIGINS

        method = func.attr.value
        if method in STRING_METHODS and isinstance(
            func.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            return self._args_taint(node)

        if method in ANSWER_METHODS or method in VALIDATOR_METHODS:
            return _NO_ORIGINS

        # A method of the data returns (part of) the data: ``data.get("x")``.
        return self._taint(func.value)

    def _args_taint(self, node: cst.Call) -> frozenset[_Origin]:
        found = _NO_ORIGINS
        for arg in node.args:
            found |= self._taint(arg.value)
        return found

    def _open(self, origins: frozenset[_Origin]) -> frozenset[_Origin]:
        return frozenset(o for o in origins if not o.validated)

    def _validate(self, origins: frozenset[_Origin]) -> None:
        for origin in origins:
            origin.validated = True

    def _form_data(self, value: cst.BaseExpression) -> frozenset[_Origin]:
        """Return the data a serializer or form is built from, when it is one."""
        if not isinstance(value, cst.Call) or self._class_kind(value.func) != "form":
            return _NO_ORIGINS

        return self._open(self._args_taint(value))

    # Validators and checks.

    def _is_check(
        self, node: cst.Call, method: str | None, qualname: str | None
    ) -> bool:
        """Handle ``form.is_valid()`` and ``isinstance(name, str)``."""
        frame = self._frames[-1]
        func = node.func
        if method in FORM_CHECKS and all(arg.keyword for arg in node.args):
            # A checked form has validated the fields it declares, and
            # Flask-WTF forms read ``request.form`` without being given it:
            # reads in the same view are taken to be covered by the form.
            frame.validated_by_check = True
            self._validate(frozenset(frame.reads))
            name = func.value.value if isinstance(func.value, cst.Name) else None
            if name in frame.forms:
                self._validate(frame.forms.pop(name))
            return True

        if method in CONTAINMENT_METHODS or qualname in CONTAINMENT_FUNCTIONS:
            # A path checked to stay inside a folder is safe to use as one.
            origins = self._args_taint(node)
            if method is not None:
                origins |= self._taint(func.value)
            self._validate(origins)
            return True

        if qualname == "isinstance" and len(node.args) == 2:
            subject = node.args[0].value
            kind = self._type_name(node.args[1].value)
            # A scalar type check validates one field; a mapping check does not.
            if isinstance(subject, cst.Name) and kind not in DICT_TYPES | LIST_TYPES:
                frame.tainted.pop(subject.value, None)
            return True
        return False

    def _note_built(self, node: cst.Call, name: str, before: dict[int, int]) -> None:
        """Remember the field sinks of ``name = Model(...)`` until it is saved."""
        found = []
        for origin in self._args_taint(node):
            for sink in origin.sinks[before.get(id(origin), 0) :]:
                if sink.node is node and sink.kind == FIELD:
                    found.append((origin, sink))
        if found:
            self._frames[-1].built[name] = found

    def _check_built(self, node: cst.Call, method: str | None) -> None:
        """Handle ``obj.full_clean()`` on a model instance built from the body.

        Django's model validation checks each field's type, length and choices,
        as a project's ``obj.validated_save()`` does before saving. Fields the
        client chose (``Model(**data)``) stay reported: the check accepts them.
        """
        func = node.func
        if method is None or not isinstance(func.value, cst.Name):
            return

        frame = self._frames[-1]
        name = func.value.value
        if method in SAVE_METHODS:
            frame.built.pop(name, None)
            return

        checks = method in FORM_CHECKS or method.lower().lstrip("_").startswith(
            VALIDATOR_PREFIXES
        )
        if not checks or name not in frame.built:
            return

        for origin, sink in frame.built.pop(name):
            if sink in origin.sinks:
                origin.sinks.remove(sink)
        frame.writes = [write for write in frame.writes if write.base != name]

    def _is_validator_call(
        self, node: cst.Call, method: str | None, qualname: str | None
    ) -> bool:
        func = node.func
        if qualname in VALIDATOR_FUNCTIONS:
            return True

        name = _last(func) or ""
        if method in VALIDATOR_METHODS and not (qualname or "").startswith("json."):
            # ``json.loads`` reads JSON; marshmallow's ``schema.loads`` checks it.
            return qualname not in PROPAGATORS

        if name.lower().lstrip("_").startswith(VALIDATOR_PREFIXES):
            return True

        if isinstance(func, cst.Name) and "schema" in func.value.lower():
            # A voluptuous or callable schema object: ``schema(data)``.
            return True

        return self._class_kind(func) == "validator"

    def _is_check_helper(self, func: cst.BaseExpression) -> bool:
        name = (_last(func) or "").lower().lstrip("_")
        return name.startswith(CHECK_PREFIXES)

    def _cover(self, node: cst.BaseExpression) -> None:
        """Count a request attribute handed to a validator or a check as checked,
        here and in the function's later reads of it."""
        origin = self._source(node)
        if origin is not None:
            origin.validated = True
            self._frames[-1].checked.add(origin.label)

    def _outside_names(self, test: cst.BaseExpression) -> list[str]:
        """Return the names a guard's test finds outside an allow-list."""
        if isinstance(test, cst.BooleanOperation):
            if not isinstance(test.operator, cst.Or):
                return []
            return self._outside_names(test.left) + self._outside_names(test.right)

        negated = False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        if negated and isinstance(test, cst.Call):
            name = self._prefix_checked(test)
            return [name] if name is not None else []

        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return []

        target = test.comparisons[0]
        wanted = cst.In if negated else cst.NotIn
        if not isinstance(target.operator, wanted):
            return []

        name = self._allow_listed(test.left, target)
        return [name] if name is not None else []

    def _inside_names(self, test: cst.BaseExpression) -> list[str]:
        """Return the names a branch's test finds inside an allow-list."""
        if isinstance(test, cst.BooleanOperation):
            if not isinstance(test.operator, cst.And):
                return []
            return self._inside_names(test.left) + self._inside_names(test.right)

        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return []

        target = test.comparisons[0]
        if not isinstance(target.operator, cst.In):
            return []

        name = self._allow_listed(test.left, target)
        return [name] if name is not None else []

    def _enter_allowed(self, block: cst.BaseSuite) -> None:
        frame = self._frames[-1]
        names = frame.allowed_blocks.pop(id(block), None)
        if not names:
            return

        frame.restore[id(block)] = {
            name: frame.tainted.pop(name) for name in names if name in frame.tainted
        }

    def _leave_allowed(self, block: cst.BaseSuite) -> None:
        frame = self._frames[-1]
        saved = frame.restore.pop(id(block), None)
        if saved is None:
            return

        # Past the branch the value may be any the client sent again.
        for name, origins in saved.items():
            frame.tainted[name] = frame.tainted.get(name, _NO_ORIGINS) | origins

    def _prefix_checked(self, call: cst.Call) -> str | None:
        """Return ``path`` for ``path.startswith(root)`` on a resolved path."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "startswith":
            return None

        # Only a path with ``..`` and links resolved can be judged by its prefix.
        receiver = func.value
        if (
            isinstance(receiver, cst.Name)
            and receiver.value in self._frames[-1].resolved
        ):
            return receiver.value
        return None

    def _allow_listed(
        self, left: cst.BaseExpression, target: cst.ComparisonTarget
    ) -> str | None:
        # ``name in request.form`` asks the client, not an allow-list.
        if not isinstance(left, cst.Name) or self._taint(target.comparator):
            return None
        return left.value

    def _is_fixed_dict(self, node: cst.BaseExpression) -> bool:
        """Tell whether ``node`` is a dict whose keys the code chose."""
        if isinstance(node, cst.Name):
            return node.value in self._frames[-1].fixed

        if isinstance(node, cst.Dict):
            return all(
                isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
                for e in node.elements
            )

        if isinstance(node, cst.Call) and self._qualname(node.func) == "dict":
            return all(arg.keyword is not None for arg in node.args)
        return False

    def _names_keys(self, arg: cst.Arg) -> bool:
        """Tell whether an argument of ``dict.update`` adds keys the code chose."""
        if arg.keyword is not None:
            return True
        return not arg.star and self._is_fixed_dict(arg.value)

    def _is_harmless(self, origin: _Origin, sink: _Sink) -> bool:
        """Tell whether a sink found in this file turns out not to be one."""
        attribute = origin.label.rpartition(".")[2].removesuffix("()")
        if sink.free_text and (
            attribute in TEXT_ATTRIBUTES or self._is_form_data(origin)
        ):
            return True

        # Asked only now that a finding depends on it, so that a file is looked
        # at again only when the project's answer changes what it reports.
        return sink.unless is not None and self.ask(_VALIDATING, sink.unless)

    def _is_form_data(self, origin: _Origin) -> bool:
        """Tell whether DRF's ``request.data`` holds form fields alone: strings
        and files, as ``request.POST`` and ``request.FILES`` do."""
        verdict = origin.form_parsers
        if verdict is False or not origin.parser_bases:
            return bool(verdict)

        answer = self.ask(_FORM_PARSERS, *origin.parser_bases)
        if answer is None:
            return bool(verdict)
        return answer

    def _view_parsers(self) -> tuple[bool | None, tuple[str, ...]]:
        """Return whether the view being visited parses forms only, as far as
        this file tells, and the imported bases that may tell the rest."""
        for frame in reversed(self._frames):
            if frame.node is None:
                continue

            for decorator in frame.node.decorators:
                verdict = self._decorated_parsers(decorator.decorator)
                if verdict is not None:
                    return verdict, ()

        if not self._class_stack:
            return None, ()

        imported: set[str] = set()
        found = self._local_parsers([self._class_stack[-1]], imported, _PARSER_DEPTH)
        if False in found:
            return False, ()
        return (True if found else None), tuple(sorted(imported))

    def _decorated_parsers(self, decorator: cst.BaseExpression) -> bool | None:
        """Read ``@parser_classes([...])`` and ``@action(parser_classes=[...])``."""
        if not isinstance(decorator, cst.Call):
            return None

        qualname = self._qualname(decorator.func)
        if qualname in PARSER_DECORATORS:
            first = _positional(decorator, 0)
            return _is_form_parsers(self.context, first)

        if qualname in ACTION_DECORATORS:
            parsers = _keyword_value(decorator, "parser_classes")
            if parsers is not None:
                return _is_form_parsers(self.context, parsers)
        return None

    def _local_parsers(
        self, classes: list[cst.ClassDef], imported: set[str], depth: int
    ) -> list[bool]:
        """Return what the nearest classes setting parsers among ``classes``
        and their bases in this file declare; gather the bases imported."""
        found = []
        for node in classes:
            declared = _declared_parsers(self.context, node)
            if declared is not None:
                found.append(declared)
                continue

            if depth == 0:
                continue

            bases = []
            for arg in node.bases:
                if arg.keyword or arg.star:
                    continue

                value = arg.value
                if isinstance(value, cst.Name) and value.value in self._class_defs:
                    bases.append(self._class_defs[value.value])
                    continue

                # A name this file neither defines nor imports is not guessed.
                qualname = self.context.qualname(value)
                if qualname is not None:
                    imported.add(resolve_relative(qualname, self.context.path))
            found += self._local_parsers(bases, imported, depth - 1)
        return found

    def _imported_model(self, value: cst.BaseExpression) -> str | None:
        """Return the absolute name of the class ``value`` is built from, when
        it is taken for an ORM model only because of its module's name."""
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call) or self._class_kind(value.func) != "orm":
            return None

        if _last(value.func) in self._classes:
            return None

        qualname = self._qualname(value.func)
        return resolve_relative(qualname, self.context.path) if qualname else None

    def _class_kind(self, func: cst.BaseExpression) -> str | None:
        """Say whether calling ``func`` builds a validator, a form or an ORM model."""
        name = _last(func)
        if name is None or not name[:1].isupper():
            return None

        local = self._classes.get(name)
        if local is not None:
            if any(b in FORM_BASES or b.endswith(FORM_SUFFIXES) for b in local):
                return "form"
            if any(base in VALIDATOR_BASES for base in local):
                return "validator"
            if any(base in ORM_BASES for base in local):
                return "orm"

        if name.endswith(FORM_SUFFIXES):
            return "form"

        if name.endswith(VALIDATOR_SUFFIXES):
            return "validator"

        qualname = self._qualname(func)
        if qualname is None or local is not None:
            return None

        words = set(qualname.split(".")[:-1])
        if words & VALIDATOR_MODULE_WORDS:
            return "validator"
        if words & MODEL_MODULE_WORDS:
            return "orm"
        return None

    # Sinks.

    def _find_sinks(
        self, node: cst.Call, method: str | None, qualname: str | None
    ) -> None:
        func = node.func
        kind = self._class_kind(func)
        if kind == "orm":
            local = _last(func) in self._classes
            confidence = Level.HIGH if local else Level.MEDIUM
            name = self._frames[-1].building.pop(id(node), None)
            before = {id(o): len(o.sinks) for o in self._args_taint(node)}
            self._model_arguments(node, MASS, confidence, self._imported_model(node))
            if name is not None:
                self._note_built(node, name, before)
            return

        if method is not None:
            self._method_sinks(node, method, qualname)
            return

        if qualname == "setattr" and len(node.args) == 3:
            key = self._open(self._taint(node.args[1].value))
            if key:
                self._sink(key, MASS, node, Level.HIGH)
                return

            base = dotted_name(node.args[0].value)
            value = self._open(self._taint(node.args[2].value))
            if base is not None and value:
                self._frames[-1].writes.append(_Write(base, value, node))
            return

        self._function_sinks(node, qualname)

    def _method_sinks(self, node: cst.Call, method: str, qualname: str | None) -> None:
        func = node.func
        frame = self._frames[-1]
        receiver = func.value
        if method in SQL_METHODS:
            first = _positional(node, 0)
            if first is not None:
                self._sink(self._open(self._taint(first)), SQL, node, Level.HIGH)
            return

        if method in UPLOAD_SAVE_METHODS and self._taint(receiver):
            path = _positional(node, 0) or _keyword_value(node, "dst")
            if path is not None:
                self._sink(self._open(self._taint(path)), PATH, node, Level.HIGH)
            return

        if method in SAVE_METHODS and isinstance(receiver, cst.Name):
            pending = frame.forms.pop(receiver.value, None)
            if pending:
                self._sink(pending, UNCHECKED_SAVE, node, Level.HIGH)
            return

        if method == "update" and _last(receiver) == "__dict__":
            first = _positional(node, 0)
            kind = FIELD if first is not None and self._is_fixed_dict(first) else MASS
            self._sink(self._open(self._args_taint(node)), kind, node, _SURE[kind])
            return

        if not self._is_query_chain(receiver):
            self._function_sinks(node, qualname)
            return

        if method in CREATE_METHODS:
            self._model_arguments(node, MASS, Level.HIGH)
            if method == "update":
                first = _positional(node, 0)
                if first is not None:
                    # ``.update({"name": form["name"]})`` sets the fields named.
                    kind = FIELD if self._is_fixed_dict(first) else MASS
                    origins = self._open(self._taint(first))
                    self._sink(origins, kind, node, _SURE[kind])
        elif method in LOOKUP_METHODS:
            for arg in node.args:
                if arg.star == "**":
                    origins = self._open(self._taint(arg.value))
                    self._sink(origins, LOOKUP, node, Level.HIGH)

    def _model_arguments(
        self,
        node: cst.Call,
        kind: str,
        confidence: Level,
        unless: str | None = None,
    ) -> None:
        for arg in node.args:
            origins = self._open(self._taint(arg.value))
            if not origins:
                continue

            name = arg.keyword.value if arg.keyword is not None else None
            if arg.star == "**" or name in DEFAULTS_KEYWORDS:
                if self._is_fixed_dict(arg.value):
                    # The code chose the fields; only their values come in.
                    self._sink(origins, FIELD, node, Level.MEDIUM, unless=unless)
                else:
                    self._sink(origins, kind, node, confidence, unless=unless)
            elif name is not None:
                free_text = name in FREE_TEXT_FIELDS
                self._sink(
                    origins,
                    FIELD,
                    node,
                    Level.MEDIUM,
                    unless=unless,
                    free_text=free_text,
                )

    def _function_sinks(self, node: cst.Call, qualname: str | None) -> None:
        if qualname in PATH_FUNCTIONS:
            path = _positional(node, 0) or _keyword_value(node, "file")
            if path is not None:
                self._sink(self._open(self._taint(path)), PATH, node, Level.HIGH)
            return

        if qualname in COMMAND_FUNCTIONS:
            command = _positional(node, 0) or _keyword_value(node, "args")
            if command is None:
                return

            shell = keyword(node, "shell")
            # An argument list without a shell cannot inject a command.
            if (
                isinstance(command, (cst.List, cst.Tuple))
                and qualname not in SHELL_FUNCTIONS
                and (shell is None or _is_false(shell.value))
            ):
                return
            self._sink(self._open(self._taint(command)), COMMAND, node, Level.HIGH)
            return

        if qualname in SQL_FUNCTIONS:
            first = _positional(node, 0)
            if first is not None:
                self._sink(self._open(self._taint(first)), SQL, node, Level.HIGH)
            return

        if qualname in REQUEST_FUNCTIONS:
            index = 1 if qualname.endswith(".request") else 0
            url = _keyword_value(node, "url") or _positional(node, index)
            if url is not None:
                self._sink(self._open(self._taint(url)), URL, node, Level.MEDIUM)

    def _sink(
        self,
        origins: frozenset[_Origin],
        kind: str,
        node: cst.CSTNode,
        confidence: Level,
        *,
        unless: str | None = None,
        free_text: bool = False,
    ) -> None:
        for origin in origins:
            if not origin.validated:
                sink = _Sink(kind, node, confidence, None, unless, free_text)
                origin.sinks.append(sink)

    # ORM objects and helpers.

    def _is_query_chain(self, node: cst.BaseExpression) -> bool:
        """Tell whether ``node`` is a manager or query: ``User.objects.filter(...)``."""
        while True:
            if isinstance(node, cst.Call):
                node = node.func
            elif isinstance(node, cst.Attribute):
                if node.attr.value in QUERY_ATTRIBUTES:
                    return True
                node = node.value
            else:
                return False

    def _is_orm_object(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False

        if self._class_kind(value.func) == "orm":
            return True

        if self._qualname(value.func) in FETCH_FUNCTIONS:
            return True

        func = value.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in FETCH_METHODS:
            return False

        receiver = func.value
        if self._is_query_chain(receiver):
            return True

        # ``db.session.get(User, id)``
        return dotted_name(receiver) in SESSION_NAMES

    def _note_models(self, node: cst.Call, method: str | None, _qualname) -> None:
        func = node.func
        frame = self._frames[-1]
        if method in SAVE_METHODS:
            base = dotted_name(func.value)
            if base is not None and base not in frame.forms:
                frame.models[base] = None
        elif method in ADD_METHODS and dotted_name(func.value) in SESSION_NAMES:
            for arg in node.args:
                base = dotted_name(arg.value)
                if base is not None:
                    frame.models[base] = None

    def _note_passes(self, node: cst.Call, method: str | None) -> None:
        func = node.func
        on_self = False
        if isinstance(func, cst.Name):
            name = func.value
        elif (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in ("self", "cls")
        ):
            name, on_self = func.attr.value, True
        else:
            return

        if name not in self._functions:
            return

        position = 0
        for arg in node.args:
            if arg.star:
                return

            where: int | str = arg.keyword.value if arg.keyword else position
            if arg.keyword is None:
                position += 1
            for origin in self._open(self._taint(arg.value)):
                origin.passes.append((name, where, on_self))

    def _resolve(self, origin: _Origin, seen: set[int]) -> list[_Sink]:
        """Return the sinks ``origin`` reaches, directly or through helpers."""
        if id(origin) in seen:
            return []

        seen.add(id(origin))
        found = list(origin.sinks)
        for name, where, on_self in origin.passes:
            for func in self._functions.get(name, ()):
                param = _parameter(func, where, on_self)
                target = self._params.get((id(func), param)) if param else None
                if target is None:
                    continue

                for sink in self._resolve(target, seen):
                    via = sink.via or name
                    confidence = min(sink.confidence, Level.MEDIUM)
                    found.append(
                        _Sink(
                            sink.kind,
                            sink.node,
                            confidence,
                            via,
                            sink.unless,
                            sink.free_text,
                        )
                    )
        return found

    def _scan_definitions(self, module: cst.Module) -> None:
        """Index the module's functions, methods and classes by name."""
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                self._functions.setdefault(stmt.name.value, []).append(stmt)
            elif isinstance(stmt, cst.ClassDef):
                bases = [_last(a.value) or "" for a in stmt.bases if not a.keyword]
                self._classes[stmt.name.value] = bases
                self._class_defs[stmt.name.value] = stmt
                if isinstance(stmt.body, cst.IndentedBlock):
                    for inner in stmt.body.body:
                        if isinstance(inner, cst.FunctionDef):
                            name = inner.name.value
                            self._functions.setdefault(name, []).append(inner)

    def _qualname(self, node: cst.BaseExpression) -> str | None:
        qualname = self.context.qualname(node)
        if qualname is None and isinstance(node, cst.Name) and node.value in _BUILTINS:
            return node.value
        return qualname

    # Reporting.

    def _report_origin(
        self,
        origin: _Origin,
        sinks: list[_Sink],
        ranges: dict[int, tuple[tuple[int, int], tuple[int, int]]],
    ) -> None:
        worst = max(sinks, key=lambda s: _SEVERITY[s.kind])
        severity = _SEVERITY[worst.kind]
        confidence = worst.confidence
        line = ranges[id(worst.node)][0][0]
        text = self._code(worst.node)
        via = f" through {worst.via}()" if worst.via else ""
        looked_for = _LOOKED_FOR.get(origin.framework or "", _LOOKED_FOR["flask"])
        message = (
            f"{origin.label} reaches {text} at line {line}{via} without"
            f" validation: {_WHY[worst.kind]}; {looked_for}"
        )
        related = []
        shown: set[int] = set()
        for sink in sinks:
            if id(sink.node) in shown or len(related) == 3:
                continue

            shown.add(id(sink.node))
            sink_line = ranges[id(sink.node)][0][0]
            note = f"used at line {sink_line}: {self._code(sink.node)}"
            related.append((sink.node, note))
        self.report(
            origin.node,
            message,
            severity=severity,
            confidence=confidence,
            related=related,
            fix=self._suggestion(),
        )

    # Advice: the validation the file already does.

    def _note_style(self, node: cst.Call, method: str | None) -> None:
        func = node.func
        if method in _SCHEMA_LOADS:
            receiver = func.value
            if isinstance(receiver, cst.Call):
                receiver = receiver.func
            name = dotted_name(receiver)
            if name is not None and "schema" in name.lower():
                called = "()" if receiver is not func.value else ""
                self._styles[("marshmallow", name + called)] += 1
            return

        if method in FORM_CHECKS:
            self._styles[("checked", "")] += 1
            return

        if method in _MODEL_PARSERS:
            func = func.value
        name = _last(func)
        if name is None or not name[:1].isupper():
            return

        if _PYDANTIC_BASE in self._classes.get(name, ()):
            self._styles[("pydantic", name)] += 1
        elif name.endswith(_SERIALIZER_SUFFIX):
            self._styles[("serializer", name)] += 1
        elif method is None and self._class_kind(func) == "form":
            self._styles[("form", name)] += 1

    def _suggestion(self) -> Fix:
        styles = Counter(self._styles)
        if not styles.pop(("checked", ""), 0):
            # A form or serializer built but never checked is no habit to follow.
            for key in list(styles):
                if key[0] in ("form", "serializer"):
                    del styles[key]
        if styles:
            (style, name), _ = styles.most_common(1)[0]
        else:
            models = [n for n, b in self._classes.items() if _PYDANTIC_BASE in b]
            if not models:
                return Fix(self.fix)

            style, name = "pydantic", models[0]
        return Fix(_STYLE_ADVICE[style].format(name=name))

    def _code(self, node: cst.CSTNode) -> str:
        if isinstance(node, cst.Assign):
            node = node.targets[0].target
        text = _SPACES.sub(" ", self.context.module.code_for_node(node)).strip()
        if len(text) > _TEXT_WIDTH:
            text = text[: _TEXT_WIDTH - 3] + "..."
        return text


def _last(node: cst.BaseExpression) -> str | None:
    """Return the last name of a dotted expression or of the call it makes."""
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _label(node: cst.BaseExpression) -> str:
    return dotted_name(node) or "request"


def _positional(node: cst.Call, index: int) -> cst.BaseExpression | None:
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _keyword_value(node: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = keyword(node, name)
    return arg.value if arg is not None else None


def _exits(body: cst.BaseSuite) -> bool:
    """Tell whether a block ends by leaving: return, raise, abort(...)."""
    statements = body.body
    if not statements:
        return False

    last = statements[-1]
    if isinstance(body, cst.IndentedBlock):
        if not isinstance(last, cst.SimpleStatementLine):
            return False
        last = last.body[-1]
    if isinstance(last, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
        return True
    return (
        isinstance(last, cst.Expr)
        and isinstance(last.value, cst.Call)
        and _last(last.value.func) in EXIT_FUNCTIONS
    )


def _is_constant_key(target: cst.Subscript) -> bool:
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return False
    return isinstance(target.slice[0].slice.value, cst.SimpleString)


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("False", "None")


def _parameter(func: cst.FunctionDef, where: int | str, on_self: bool) -> str | None:
    """Return the name of the parameter a call fills at ``where``."""
    params = [*func.params.posonly_params, *func.params.params]
    if isinstance(where, str):
        names = {p.name.value for p in (*params, *func.params.kwonly_params)}
        return where if where in names else None

    if on_self and params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    return params[where].name.value if where < len(params) else None
