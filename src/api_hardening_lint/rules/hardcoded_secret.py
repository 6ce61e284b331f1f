"""AHL101 hardcoded-secret."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import re
from collections.abc import Iterator

import libcst as cst

from api_hardening_lint.nodes import (
    dotted_name,
    environ_item,
    literal_value,
    os_is_free,
    subscript_key,
)
from api_hardening_lint.registry import knowledge
from api_hardening_lint.rule import UNSAFE, Fix, Level, Rule, text_matches

logger = logging.getLogger(__name__)

_FACTS = knowledge("secrets")
LAST_WORDS = frozenset(_FACTS["names"]["last_words"])
KEY_QUALIFIERS = frozenset(_FACTS["names"]["key_qualifiers"])
HARMLESS_QUALIFIERS = frozenset(_FACTS["names"]["harmless_qualifiers"])
PUBLIC_WORDS = frozenset(_FACTS["names"]["public_words"])
SIGNING_NAMES = frozenset(_FACTS["names"]["signing"])
PASSWORD_WORDS = frozenset(_FACTS["names"]["password_words"])
PLACEHOLDERS = tuple(re.compile(p) for p in _FACTS["values"]["placeholders"])
VALUE_WORDS = frozenset(_FACTS["values"]["words"])
URL_PLACEHOLDERS = frozenset(_FACTS["values"]["url_placeholders"])
FORMATS = tuple(
    (entry["label"], tuple(entry["hints"]), re.compile(entry["pattern"]))
    for entry in _FACTS["formats"]
)
JWT_SAMPLES = frozenset(_FACTS["jwt"]["sample_signatures"])
KEY_ARGUMENTS: dict[str, dict] = _FACTS["key_arguments"]
PASSWORD_METHODS: dict[str, int] = _FACTS["password_methods"]
LOGIN_CLASSES = frozenset(_FACTS["login"]["classes"])
LOGIN_MODULES = tuple(_FACTS["login"]["modules"])
FALLBACK_FUNCTIONS = frozenset(_FACTS["fallbacks"]["functions"])
FALLBACK_METHODS = frozenset(_FACTS["fallbacks"]["methods"])
FALLBACK_RECEIVERS = frozenset(_FACTS["fallbacks"]["receivers"])
WRAPPERS = frozenset(_FACTS["wrappers"]["calls"])
EXAMPLE_KEYS = frozenset(_FACTS["contexts"]["examples"])
ENUM_BASES = frozenset(_FACTS["contexts"]["enum_bases"])

# What the text of a file with a hardcoded secret holds, checked before parsing:
# a name ending in a secret word soon followed by a string literal
# (``SECRET_KEY = "``, ``"PASSWORD": "``, ``getenv("API_TOKEN", "``,
# ``password: str = Field("``) ... The rule judges a name by its last word, so
# ``password_hash`` and ``max_tokens`` need not be parsed for.
_SECRET_WORDS = (
    rb"secret",
    rb"passw(?:or)?d",
    rb"passphrase",
    rb"pwd",
    rb"pass",
    rb"token",
    rb"apikey",
    rb"api-key",
)
# What follows a secret's name: a quote or bracket closing it, an annotation,
# then ``=``, ``:``, ``,``, ``(`` or ``or``, and a string literal.
_THEN_LITERAL = (
    rb"(?!\w)['\"]?\]?\)?[ \t]*"
    rb"(?::[ \t]*[\w\[\]., |]+?)?[ \t]*(?P<sep>[:=,(]|\bor\b)[ \t]*"
    rb"(?:[\w.]+\([ \t]*)?(?:\w+=)?[rRbBuU]{0,2}['\"][^'\"\n]"
)
# One pattern per word, each starting with the word: the regular expression
# engine finds literal text fast, and an alternation of words slowly. Matched
# against the lowercased text: case-insensitive matching is slower still.
_NAME_THEN_LITERAL = tuple(re.compile(word + _THEN_LITERAL) for word in _SECRET_WORDS)
# A qualified key (``access_key``, ``signing-key``) is found by its ``key``,
# one pattern, and the qualifier is then read before it.
_KEY_THEN_LITERAL = re.compile(rb"key" + _THEN_LITERAL)
_KEY_QUALIFIED = tuple(
    q.encode() + joint for q in sorted(KEY_QUALIFIERS) for joint in (b"", b"_", b"-")
)
# ... or a call that takes a key or password, a URL with a password, or the
# prefix of a known token format.
# ``set_password("x")`` and ``password="x"`` are names followed by a literal;
# ``create_user("u", "e", "x")`` needs its third argument to be one.
_CALL_TEXT = tuple(
    re.compile(pattern)
    for pattern in (
        rb"jwt",
        rb"hmac\.new",
        rb"itsdangerous",
        rb"Fernet",
        rb"BasicAuth",
        rb"DigestAuth",
        rb"\.login\(",
        rb"create_(?:super)?user\(\s*[^,()]+,\s*[^,()]+,\s*[rRbBuU]{0,2}['\"]",
    )
)
_URL_WITH_PASSWORD = re.compile(rb"://[^\s'\"/:@]*:(?P<password>[^\s'\"/@]+)@")
TRIGGERS = (
    *_CALL_TEXT,
    _URL_WITH_PASSWORD,
    *(hint.encode() for _, hints, _ in FORMATS for hint in hints),
)
# The same formats for the text test: a hint, then the whole pattern, unless
# the value may span escapes or lines in the source (``"-----BEGIN ...\\n"``).
_FORMAT_TEXT = tuple(
    (
        tuple(hint.encode() for hint in hints),
        None if r"\s" in pattern.pattern else re.compile(pattern.pattern.encode()),
    )
    for _, hints, pattern in FORMATS
)

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_TUPLE_START = re.compile(rb"(?:^|[^\w)\]])[ \t]*[(\[][ \t]*[rbu]{0,2}$", re.MULTILINE)


def _qualified_keys(lower: bytes) -> Iterator[tuple[re.Match, int]]:
    """Yield each qualified key name followed by a literal, with the offset
    where its qualifier starts."""
    at = 0
    while match := _KEY_THEN_LITERAL.search(lower, at):
        at = match.start() + 1
        for qualified in _KEY_QUALIFIED:
            if lower.endswith(qualified, 0, match.start()):
                yield match, match.start() - len(qualified)


def _opens_tuple(text: bytes, start: int) -> bool:
    """Tell whether the quoted name at ``start`` opens a tuple or a list
    (``("PWD", "Pawtucket")``, a choices pair): data, not a name and its value;
    a call's first argument (``getenv("TOKEN", "x")``) is not such an opening."""
    line_start = text.rfind(b"\n", 0, start) + 1
    quote = max(
        text.rfind(b"'", line_start, start), text.rfind(b'"', line_start, start)
    )
    if quote < 0:
        return False

    return bool(_TUPLE_START.search(text, line_start, quote))


_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
_DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+(?::[A-Za-z_]\w*)?$")
_PATH = re.compile(
    r"^(?:/|\./|\.\./|~/)"
    r"|\.(?:pem|key|crt|cer|der|p12|pfx|json|txt|env|ya?ml|cfg|ini)$",
    re.IGNORECASE,
)
_TOKEN_PARTS = re.compile(r"[/_.:\s-]+")
_HEADER = re.compile(r"^X-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_URL_PASSWORD = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://[^:/@\s]*:(?P<password>[^@/\s]+)@[^\s@]+$"
)
_TEMPLATE_MARKS = ("{", "%", "$", "<", "*")
_EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples"})
_TEST_CLASS = re.compile(r"Test|^(?:Dev|Development|Local|Debug)")

_WHY_USE = "anyone with the source can use it"
_WHY_LOGIN = "anyone with the source can log in with it"
_WHY_SIGN = "anyone with the source can sign sessions and tokens"
# Setting readers that raise when the setting is missing and no default is
# given, so dropping the default makes a missing secret fail loudly.
_ENV_READERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_RAISING_READERS = frozenset({"config", "env", "getattr"})
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _words(name: str) -> list[str]:
    return [w.lower() for part in _SPLIT.split(name) for w in _WORD.findall(part)]


def _is_secret_name(words: list[str]) -> bool:
    if not words:
        return False

    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if before in HARMLESS_QUALIFIERS or PUBLIC_WORDS.intersection(words):
        return False

    if last in LAST_WORDS:
        return True

    return last == "key" and before in KEY_QUALIFIERS


def _why(words: list[str]) -> str:
    if words and words[-1] in PASSWORD_WORDS:
        return _WHY_LOGIN

    if "_".join(words) in SIGNING_NAMES or "_".join(words[-2:]) in SIGNING_NAMES:
        return _WHY_SIGN

    return _WHY_USE


def _mask(text: str) -> str:
    shown = text[: min(4, len(text) // 2)]
    return shown.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + "…"


def _literal(node: cst.BaseExpression) -> tuple[cst.BaseExpression | None, str]:
    """Return the literal behind ``node`` (``SecretStr("...")`` unwrapped), its text."""
    if isinstance(node, cst.SimpleString):
        value = literal_value(node)
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        return node, text

    if isinstance(node, cst.ConcatenatedString):
        left, left_text = _literal(node.left)
        right, right_text = _literal(node.right)
        if left is None or right is None:
            return None, ""

        return node, left_text + right_text

    if isinstance(node, cst.Call):
        inner = _wrapped(node)
        if inner is not None:
            return _literal(inner)

    return None, ""


def _wrapped(call: cst.Call) -> cst.BaseExpression | None:
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "encode":
        return call.func.value

    name = dotted_name(call.func)
    if name is None or name.rsplit(".", 1)[-1] not in WRAPPERS:
        return None

    for arg in call.args:
        if arg.keyword is None and arg.star == "":
            return arg.value

        if arg.keyword is not None and arg.keyword.value == "default":
            return arg.value
    return None


def _is_placeholder(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return True

    return any(pattern.search(stripped) for pattern in PLACEHOLDERS)


def _is_label(text: str) -> bool:
    """Tell whether text with spaces reads as a message or label."""
    stripped = text.strip()
    if not any(ch.isspace() for ch in stripped):
        return False

    return (
        len(stripped.split()) >= 3 or stripped[0].isupper() or stripped[-1] in ".:?!)"
    )


def _names_itself(text: str, name_words: list[str]) -> bool:
    """Tell whether the value is an identifier made of the name's own words.

    ``API_KEY = "api_key"`` in an enum, ``ACTIVATION_TOKEN = "activation"`` and
    ``RESET_PASSWORD = "reset_password"`` name a kind of token or a field.
    """
    value_words = _words(text)
    if not value_words or any(ch.isspace() for ch in text):
        return False

    if "".join(value_words) == "".join(name_words):
        return True

    if len(value_words) == 1:
        # admin_password = "admin" is the weak password, not a label.
        word = value_words[0]
        if name_words[-1] in PASSWORD_WORDS or word in KEY_QUALIFIERS | {"key"}:
            return False

        return word in name_words and word not in LAST_WORDS

    return bool(_SNAKE.match(text)) and set(value_words) <= set(name_words)


def _is_credential_value(text: str, name_words: list[str]) -> bool:
    """Tell whether a literal under a secret-looking name is a credential."""
    if _is_placeholder(text):
        return False

    stripped = text.strip()
    if stripped.lower() in VALUE_WORDS:
        return False

    if "://" in stripped or _PATH.search(stripped) or _HEADER.match(stripped):
        return False

    if _ENV_NAME.match(stripped) or _DOTTED.match(stripped):
        return False

    return not _is_label(stripped) and not _names_itself(stripped, name_words)


def _find_format(text: str) -> tuple[str, str] | None:
    """Return the label and the matched text of a known token format in ``text``."""
    for label, hints, pattern in FORMATS:
        if not any(hint in text for hint in hints):
            continue

        match = pattern.search(text)
        if match is None:
            continue

        token = match.group(0)
        if "example" in token.lower() or _is_filler(token):
            continue

        if label == "JSON Web Token" and not _is_signed_jwt(token):
            continue

        return label, token
    return None


def _is_filler(token: str) -> bool:
    """Tell whether a token's longest run is too uniform to be random (XXXX, 0000)."""
    longest = max(_TOKEN_PARTS.split(token), key=len)
    return len(set(longest)) < 8


def _is_signed_jwt(token: str) -> bool:
    header, _, rest = token.partition(".")
    signature = rest.rpartition(".")[2]
    if signature in JWT_SAMPLES:
        return False

    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        fields = json.loads(decoded)
    except (binascii.Error, ValueError):
        return False

    return isinstance(fields, dict) and str(fields.get("alg", "")).lower() != "none"


def _url_password(text: str) -> tuple[str, str] | None:
    """Return the scheme and password of a URL literal that embeds one."""
    match = _URL_PASSWORD.match(text.strip())
    if match is None:
        return None

    password = match["password"]
    if not _is_url_password(password):
        return None

    return match["scheme"], password


def _is_url_password(password: str) -> bool:
    """Tell whether the password part of a URL is a value, not a placeholder
    (``user:password@``) or a template (``{password}``)."""
    if password.lower() in URL_PLACEHOLDERS or _is_placeholder(password):
        return False

    return not any(mark in password for mark in _TEMPLATE_MARKS)


def _text_has_secret_format(source: bytes) -> bool:
    """Tell whether the text holds a URL with a password or a known token."""
    for match in _URL_WITH_PASSWORD.finditer(source):
        if _is_url_password(match["password"].decode("utf-8", "replace")):
            return True

    return any(
        pattern is None or pattern.search(source)
        for hints, pattern in _FORMAT_TEXT
        if any(hint in source for hint in hints)
    )


def _target_name(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value

    if isinstance(target, cst.Attribute):
        return target.attr.value

    if isinstance(target, cst.Subscript):
        return subscript_key(target)

    return None


def _variable(name: str) -> str | None:
    """Return the environment variable a secret named ``name`` is read from."""
    variable = "_".join(_words(name)).upper()
    return variable if _VARIABLE.match(variable) else None


def _is_bytes(literal: cst.BaseExpression) -> bool:
    if isinstance(literal, cst.ConcatenatedString):
        return _is_bytes(literal.left)

    return isinstance(literal, cst.SimpleString) and "b" in literal.prefix.lower()


def _environ_read(variable: str, as_bytes: bool) -> cst.BaseExpression:
    item = environ_item(variable)
    if not as_bytes:
        return item

    return cst.Call(func=cst.Attribute(value=item, attr=cst.Name("encode")))


def _without_arg(call: cst.Call, index: int) -> cst.Call:
    """Return ``call`` without its argument at ``index``, commas kept tidy."""
    args = list(call.args)
    removed = args.pop(index)
    if index == len(args) and args:
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)


def _string_literals(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    pending = [node]
    while pending:
        item = pending.pop()
        found.append(item)
        if isinstance(item, cst.ConcatenatedString):
            pending.extend((item.left, item.right))
    return found


class HardcodedSecret(Rule):
    id = "AHL101"
    triggers = TRIGGERS

    @classmethod
    def wants(cls, source: bytes) -> bool:
        if text_matches(_CALL_TEXT, source) or _text_has_secret_format(source):
            return True

        lower = source.lower()
        named = (
            (match, match.start())
            for pattern in _NAME_THEN_LITERAL
            for match in pattern.finditer(lower)
        )
        return any(
            match["sep"] != b"," or not _opens_tuple(lower, start)
            for match, start in itertools.chain(named, _qualified_keys(lower))
        )

    def __init__(self, context) -> None:
        super().__init__(context)
        # Literals already judged, so the format check does not report twice.
        self._judged: set[int] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._in_enum():
            return

        for assign_target in node.targets:
            name = _target_name(assign_target.target)
            if name is not None and self._check_named(
                node.value, name, f"assigned to {name}", fixable=True
            ):
                return

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is None or self._in_enum():
            return

        name = _target_name(node.target)
        if name is not None:
            # A typed field in a class is usually a settings model that reads
            # the environment itself (with its prefix and .env file): it needs
            # the default removed, which changes how the class is built.
            fixable = not self._in_class()
            self._check_named(node.value, name, f"assigned to {name}", fixable)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if not isinstance(node.key, cst.SimpleString):
            return

        name = _literal(node.key)[1]
        if name not in EXAMPLE_KEYS:
            self._check_named(node.value, name, f'stored under "{name}"', fixable=True)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is None:
            return

        name = node.name.value
        self._check_named(node.default, name, f"as the default of parameter {name}")

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                name = arg.keyword.value
                self._check_named(arg.value, name, f"passed as {name}=", fixable=True)

        qualname = self.context.qualname(node.func)
        if qualname in KEY_ARGUMENTS:
            self._check_key_argument(node, qualname)
        elif isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "login":
                self._check_login(node)
            elif method in PASSWORD_METHODS:
                self._check_password_method(node, method)

        env = self._fallback_name(node)
        if env is not None:
            default = self._fallback_default(node)
            if default is not None:
                self._check_fallback(default, env, node)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if not isinstance(node.operator, cst.Or) or not isinstance(node.left, cst.Call):
            return

        env = self._fallback_name(node.left)
        if env is not None and self._fallback_default(node.left) is None:
            self._check_fallback(node.right, env, node)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self._judged:
            return

        raw = node.value
        if (
            "://" in raw
            and "@" in raw
            or any(hint in raw for _, hints, _ in FORMATS for hint in hints)
        ):
            self._check_anywhere(node, _literal(node)[1])

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        done = id(node) in self._judged
        for part in _string_literals(node):
            self._judged.add(id(part))
        if done:
            return

        literal, text = _literal(node)
        if literal is not None:
            self._check_anywhere(node, text)

    def _check_named(
        self, value: cst.BaseExpression, name: str, where: str, fixable: bool = False
    ) -> bool:
        """Report a credential literal under a secret-looking name; say if reported.

        ``fixable`` tells that ``name`` is the setting's own name, so the
        literal may be replaced by the environment variable of that name.
        """
        literal, text = _literal(value)
        if literal is None or id(literal) in self._judged:
            return False

        words = _words(name)
        if not _is_secret_name(words):
            return False

        if self._in_example():
            self._judged.update(id(part) for part in _string_literals(literal))
            return False

        if self._report_format(literal, text, where, name if fixable else None):
            return True

        if not _is_credential_value(text, words):
            return False

        self._judged.update(id(part) for part in _string_literals(literal))
        why = _why(words)
        self.report(
            literal,
            f'Hardcoded secret {where} ("{_mask(text)}"): {why}',
            severity=self._severity(),
            confidence=self._named_confidence(name, text),
            fix=self._environ_fix(literal, name) if fixable else None,
        )
        return True

    def _check_anywhere(self, literal: cst.BaseExpression, text: str) -> None:
        if self._report_format(literal, text, "in a string literal"):
            return

        found = _url_password(text)
        if found is None or self._in_example():
            return

        scheme, password = found
        self._judged.add(id(literal))
        self.report(
            literal,
            f'Hardcoded password in a {scheme} URL ("{_mask(password)}"): anyone'
            " with the source can connect with it",
            severity=self._severity(),
            confidence=Level.HIGH,
        )

    def _report_format(
        self,
        literal: cst.BaseExpression,
        text: str,
        where: str,
        name: str | None = None,
    ) -> bool:
        found = _find_format(text)
        if found is None:
            return False

        label, token = found
        self._judged.update(id(part) for part in _string_literals(literal))
        # Only a literal that is the token alone can become a variable.
        whole = name is not None and token == text
        self.report(
            literal,
            f'{label} {where} ("{_mask(token)}"): {_WHY_USE} until it is revoked',
            severity=self._severity(),
            confidence=Level.HIGH,
            fix=self._environ_fix(literal, name) if whole else None,
        )
        return True

    def _check_key_argument(self, node: cst.Call, qualname: str) -> None:
        spec = KEY_ARGUMENTS[qualname]
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        chosen = None
        if len(positional) > spec["position"]:
            chosen = positional[spec["position"]].value
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == spec["keyword"]:
                chosen = arg.value
        if chosen is None:
            return

        literal, text = _literal(chosen)
        if literal is None or id(literal) in self._judged or _is_placeholder(text):
            return

        self._judged.update(id(part) for part in _string_literals(literal))
        what = spec["what"]
        why = _WHY_LOGIN if what == "password" else _WHY_SIGN
        self.report(
            literal,
            f'Hardcoded {what} passed to {qualname} ("{_mask(text)}"): {why}',
            severity=self._severity(),
            confidence=Level.HIGH,
        )

    def _check_login(self, node: cst.Call) -> None:
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        if len(positional) < 2:
            return

        literal, text = _literal(positional[1].value)
        if literal is None or id(literal) in self._judged or _is_placeholder(text):
            return

        receiver = node.func.value
        if isinstance(receiver, cst.Call):
            receiver_class = self.context.qualname(receiver.func)
        else:
            receiver_class = self.context.instance_of(receiver)
        if receiver_class in LOGIN_CLASSES:
            confidence = Level.HIGH
        elif self.context.bindings.imports_any(*LOGIN_MODULES):
            confidence = Level.MEDIUM
        else:
            return

        self._judged.update(id(part) for part in _string_literals(literal))
        self.report(
            literal,
            f'Hardcoded password passed to login() ("{_mask(text)}"): {_WHY_LOGIN}',
            severity=self._severity(),
            confidence=confidence,
        )

    def _check_password_method(self, node: cst.Call, method: str) -> None:
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        if len(positional) <= PASSWORD_METHODS[method]:
            return

        value = positional[PASSWORD_METHODS[method]].value
        self._check_named(value, "password", f"passed to {method}()")

    def _fallback_name(self, node: cst.Call) -> str | None:
        """Return the setting read by ``getenv("NAME", ...)``-like calls, or None."""
        func = node.func
        if isinstance(func, cst.Name):
            if func.value not in FALLBACK_FUNCTIONS:
                return None
        elif isinstance(func, cst.Attribute):
            receiver = dotted_name(func.value) or ""
            last = receiver.rsplit(".", 1)[-1]
            method = func.attr.value
            is_env_method = method in FALLBACK_METHODS and last in FALLBACK_RECEIVERS
            if method != "getenv" and not is_env_method:
                return None
        else:
            return None

        index = 1 if isinstance(func, cst.Name) and func.value == "getattr" else 0
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        if len(positional) <= index:
            return None

        literal, name = _literal(positional[index].value)
        if literal is None or not _is_secret_name(_words(name)):
            return None

        return name

    def _fallback_default(self, node: cst.Call) -> cst.BaseExpression | None:
        is_getattr = isinstance(node.func, cst.Name) and node.func.value == "getattr"
        index = 2 if is_getattr else 1
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        if len(positional) > index:
            return positional[index].value

        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                return arg.value
        return None

    def _check_fallback(
        self, default: cst.BaseExpression, env: str, reader: cst.CSTNode
    ) -> None:
        literal, text = _literal(default)
        if literal is None or id(literal) in self._judged:
            return

        words = _words(env)
        if not _is_credential_value(text, words):
            return

        self._judged.update(id(part) for part in _string_literals(literal))
        self.report(
            literal,
            f'Hardcoded fallback for {env} ("{_mask(text)}"): when the variable is'
            " unset, the app runs with a secret anyone with the source knows",
            severity=self._severity(),
            confidence=Level.MEDIUM,
            fix=self._fallback_fix(reader, env),
        )

    def _environ_fix(self, literal: cst.BaseExpression, name: str) -> Fix | None:
        """Return the fix that reads the secret from the variable named ``name``."""
        variable = _variable(name)
        if variable is None:
            return None

        description = (
            f'read the secret from the environment: os.environ["{variable}"];'
            " the app then needs the variable set, and the old secret revoked"
        )
        if not self._may_fix() or not os_is_free(self.context, self.id):
            return Fix(description)

        new = _environ_read(variable, _is_bytes(literal))
        return Fix(description, UNSAFE, ((literal, new),), ("os",))

    def _fallback_fix(self, reader: cst.CSTNode, env: str) -> Fix:
        """Return the fix that drops the default, so a missing secret fails."""
        description = (
            f"drop the default, so the app stops when {env} is unset;"
            " revoke the old secret"
        )
        if not self._may_fix():
            return Fix(description)

        call = reader.left if isinstance(reader, cst.BooleanOperation) else reader
        if self.context.qualname(call.func) in _ENV_READERS:
            if not _IDENTIFIER.match(env):
                return self._refused(description, "the variable name is not plain")

            if not os_is_free(self.context, self.id):
                return Fix(description)

            description = f'{description}: os.environ["{env}"]'
            return Fix(description, UNSAFE, ((reader, environ_item(env)),), ("os",))

        if isinstance(reader, cst.BooleanOperation):
            return self._refused(description, "the reader may return None")

        index = self._default_index(call)
        if index is None:
            return self._refused(
                description, "the reader may not raise when the default is gone"
            )

        return Fix(
            description, UNSAFE, ((call, lambda node: _without_arg(node, index)),)
        )

    def _default_index(self, call: cst.Call) -> int | None:
        """Return where the default of a reader that raises without one is."""
        if not isinstance(call.func, cst.Name):
            return None

        function = call.func.value
        if function not in _RAISING_READERS:
            return None

        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == "default":
                return index

        positional = [i for i, a in enumerate(call.args) if a.keyword is None]
        if (
            function == "getattr"
            and len(positional) == 3
            and not any(a.star for a in call.args)
        ):
            return positional[2]
        return None

    def _may_fix(self) -> bool:
        """Tell whether the secret is in code that should read the environment."""
        if self._severity() != Level.LOW:
            return True

        logger.info(
            "refused the %s fix in %s: in tests and development settings a literal"
            " is often meant",
            self.id,
            self.context.path,
        )
        return False

    def _refused(self, description: str, reason: str) -> Fix:
        logger.info("refused the %s fix in %s: %s", self.id, self.context.path, reason)
        return Fix(description)

    def _named_confidence(self, name: str, text: str) -> Level:
        if text.startswith("django-insecure-"):
            return Level.HIGH

        # Only a module-level SECRET_KEY in a settings module is Django's key.
        module_level = len(self.context.ancestors) == 2
        if name == "SECRET_KEY" and module_level and self.context.is_settings_module:
            return Level.HIGH

        return self.confidence

    def _severity(self) -> Level:
        """Drop to low in tests and in settings or config named for development."""
        if self.context.is_test_file or self.context.is_local_settings:
            return Level.LOW

        for node in self.context.ancestors:
            if isinstance(node, cst.ClassDef) and _TEST_CLASS.search(node.name.value):
                return Level.LOW

            if isinstance(node, cst.FunctionDef) and node.name.value.startswith("test"):
                return Level.LOW
        return self.severity

    def _in_class(self) -> bool:
        ancestors = self.context.ancestors
        return len(ancestors) >= 3 and isinstance(ancestors[-3], cst.ClassDef)

    def _in_enum(self) -> bool:
        ancestors = self.context.ancestors
        if len(ancestors) < 3 or not isinstance(ancestors[-3], cst.ClassDef):
            return False

        for base in ancestors[-3].bases:
            name = dotted_name(base.value)
            if name is not None and name.rsplit(".", 1)[-1] in ENUM_BASES:
                return True
        return False

    def _in_example(self) -> bool:
        """Tell whether the visited node sits under an ``example=`` or the like."""
        for node in self.context.ancestors:
            if isinstance(node, cst.Arg) and node.keyword is not None:
                key = node.keyword.value
            elif isinstance(node, cst.DictElement) and isinstance(
                node.key, cst.SimpleString
            ):
                key = _literal(node.key)[1]
            elif isinstance(node, (cst.Assign, cst.AnnAssign)):
                targets = (
                    [t.target for t in node.targets]
                    if isinstance(node, cst.Assign)
                    else [node.target]
                )
                key = next((n for n in map(_target_name, targets) if n), None)
            else:
                continue

            if key is not None and (
                key in EXAMPLE_KEYS or _EXAMPLE_WORDS.intersection(_words(key))
            ):
                return True
        return False
