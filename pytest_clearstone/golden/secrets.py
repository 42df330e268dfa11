"""The last check before a golden is written: no secret value seen during the run is in it.

Redaction (:mod:`pytest_clearstone.redaction`) and the codec (SDK clients stored without their
key, secret headers replaced) keep secrets out of what is recorded. This is the independent net
behind them: the text about to be written, and every encoded payload inside it — the base64 of
``bytes``/``bytearray`` values, pickles, HTTP bodies stored as base64 — is searched for each
secret value seen (and its URL-encoded spellings), and so is the base64 in its texts (media sent
as a string: a ``data:`` URL, an anthropic ``base64`` source); a hit raises
:class:`~pytest_clearstone.errors.SecretLeakError` naming the file, where the value is and which
secret it is (never the value): nothing is written.

The secrets seen come from a *source*, ``() -> {value: what it is}``: the plugin installs its
test's redactor's :meth:`~pytest_clearstone.redaction.Redactor.secret_values` with
:func:`watching` while the golden is saved; without one, a redactor with the default rules gives
them. The signing key (``CLEARSTONE_SIGNING_KEY``) is always one. Values shorter than
:data:`~pytest_clearstone.redaction.MIN_SECRET_LENGTH`, made of digits only (timestamps and ids
hold such runs by chance), or equal to the codec's placeholders are not looked for
(:func:`~pytest_clearstone.redaction.worth_looking_for`).

The cost is a few substring searches of the text per secret (the value, and its base64 at each
of the three places it can start in a group of three bytes); the document is parsed only when it
holds a payload (or, to say where, a hit), and only payloads are decoded.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import dataclasses
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import codec
from ..codec.nesting import retried
from ..errors import RUN_ARGUMENTS, SecretLeakError, article
from ..redaction import (
    Redactor,
    base64_cores,
    json_string_form,
    needs_json_escapes,
    spellings,
    worth_looking_for,
)
from . import signing

#: ``() -> {secret value: what it is}``
SecretSource = Callable[[], Mapping[str, str]]

_SOURCE: contextvars.ContextVar[SecretSource | None] = contextvars.ContextVar(
    "clearstone_secret_source", default=None
)
# the JSON strings that can start an encoded payload in a document written by file_text
_PAYLOAD_MARKERS = ('"bytes"', '"bytearray"', '"pickle"', '"base64"')
_PAYLOAD_TAGS = {"bytes": "the {tag} value", "bytearray": "the {tag} value",
                 "pickle": "the pickle of {a} {type}"}  # fmt: skip
_BODY_TAGS = {"http_request": "the HTTP request", "http_response": "the HTTP response"}


@dataclasses.dataclass(frozen=True)
class Leak:
    """A secret value found in a document: ``location`` (where, for a person) and ``what``
    (which secret, e.g. ``the value of $OPENAI_API_KEY``)."""

    location: str
    what: str


@contextlib.contextmanager
def watching(source: SecretSource) -> Iterator[None]:
    """Use ``source`` for the secrets seen while the block runs (in this context)."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def seen_secrets() -> dict[str, str]:
    """The secret values to look for, each with what it is: the installed source's (else the
    default redaction rules'), and the signing key."""
    source = _SOURCE.get() or Redactor().secret_values
    found = dict(source())
    key = os.environ.get(signing.ENV_VAR)
    if key:
        found.setdefault(key, f"the value of ${signing.ENV_VAR}")
    return found


def leak_check(path: Path) -> Callable[[str], None]:
    """A ``check`` for :meth:`Checkpoint.write
    <pytest_clearstone.golden.checkpoint.Checkpoint.write>`: :func:`refuse_leaks` of the text
    for the golden at ``path`` with the secrets seen (:func:`seen_secrets`)."""

    def check(text: str) -> None:
        refuse_leaks(text, path, seen_secrets())

    return check


def refuse_leaks(text: str, path: Path, secrets: Mapping[str, str]) -> None:
    """Raise :class:`SecretLeakError` when ``text`` (a golden's, for ``path``) holds one of
    ``secrets``."""
    leak = find_leak(text, secrets)
    if leak is not None:
        fix = ""
        if _in_test_id(text, secrets):
            fix = SecretLeakError.NODE_ID_FIX
        elif RUN_ARGUMENTS.partition("{")[0] in leak.what:
            fix = SecretLeakError.RUN_ARGUMENTS_FIX.format(kept=_kept_under(leak.location))
        raise SecretLeakError(path, leak.location, leak.what, fix)


def _kept_under(location: str) -> str:
    """The name a value is kept under at ``location`` (a leak's, for a person: ``the outcome
    at outcome['final_state']['context'][0]``): the last key of its path (``context``), or
    ``NAME`` when it has none."""
    keys = [key for key in _KEYS.findall(location) if key != "<the secret>"]
    return keys[-1] if keys else "NAME"


#: a key of a path as :func:`~.signing.describe_location` spells it (``['context']``)
_KEYS = re.compile(r"\['([^'\\]+)'\]")


def _in_test_id(text: str, secrets: Mapping[str, str]) -> bool:
    """Whether the node id of the test a golden's ``text`` was recorded by (its
    ``metadata['test']``) holds one of ``secrets``."""
    metadata = _parse(text).get("metadata")
    test = metadata.get("test") if type(metadata) is dict else None
    return type(test) is str and any(
        worth_looking_for(value) and value in test for value in secrets
    )


def find_leak(text: str, secrets: Mapping[str, str]) -> Leak | None:
    """The first of ``secrets`` (``{value: what it is}``) found in the checkpoint text
    ``text``, or in one of its encoded payloads; ``None`` when there is none."""
    wanted = {
        spelling: what
        for value, what in secrets.items()
        if worth_looking_for(value)
        for spelling in spellings(value)
    }
    if not wanted:
        return None
    for value, what in wanted.items():
        if value in text or (needs_json_escapes(value) and json_string_form(value) in text):
            return Leak(_without(value, _where_string(_parse(text), value)), what)
    if any(marker in text for marker in _PAYLOAD_MARKERS):
        doc = _parse(text)
        needles = [(value, value.encode("utf-8"), what) for value, what in wanted.items()]
        for path, inside, data in _payloads(doc):
            for value, needle, what in needles:
                if needle in data:
                    return Leak(_without(value, f"{_describe(doc, path)}, in {inside}"), what)
    # base64 in a text (media an agent sends as a string: no payload tag marks it)
    for value, what in secrets.items():
        if not worth_looking_for(value):
            continue
        for core in base64_cores(value.encode("utf-8")):
            if core in text:
                where = _without(value, _where_string(_parse(text), core))
                return Leak(f"{where}, in its base64", what)
    return None


def withheld(text: str, secrets: Mapping[str, str], placeholder: str, *, tree: bool) -> str:
    """``text`` with each of ``secrets`` (``{value: what it is}``, those
    :func:`worth_looking_for`) replaced by ``placeholder``, as the trace store keeps the spans
    of a recording that wrote no golden: a message (``tree`` false) as it is; a stored value's
    JSON text (``tree``) in its strings and dict keys (each value in its :func:`spellings` and
    its base64 wherever a base64 text holds it, as :func:`find_leak` finds it there) and
    in its ``bytes``/``bytearray`` values and HTTP bodies stored as base64 (decoded, replaced,
    encoded again). ``text`` itself when it holds none (:func:`find_leak`)."""
    forms = sorted(
        {
            form
            for value in secrets
            if worth_looking_for(value)
            for form in (*spellings(value), *base64_cores(value.encode("utf-8")))
        },
        key=len,
        reverse=True,
    )
    if not tree:
        return _replaced(text, forms, placeholder)
    if find_leak(text, secrets) is None:
        return text
    doc = _parse(text)
    return codec.dumps(retried(lambda: _withheld(doc, forms, placeholder)))


def _replaced(text: str, spellings: list[str], placeholder: str) -> str:
    for spelling in spellings:
        if spelling in text:
            text = text.replace(spelling, placeholder)
    return text


def _withheld(node: Any, spellings: list[str], placeholder: str) -> Any:
    t = type(node)
    if t is str:
        return _replaced(node, spellings, placeholder)
    if t is list:
        return [_withheld(v, spellings, placeholder) for v in node]
    if t is not dict:
        return node
    out = {
        _replaced(k, spellings, placeholder) if type(k) is str else k: _withheld(
            v, spellings, placeholder
        )
        for k, v in node.items()
    }
    tag = node.get(codec.TAG)
    field = "v" if tag in ("bytes", "bytearray") else "base64" if tag in _BODY_TAGS else None
    if field is not None and type(node.get(field)) is str:
        data = _b64(node[field]).decode("utf-8", "surrogateescape")
        kept = _replaced(data, spellings, placeholder)
        if kept != data:
            out[field] = base64.b64encode(kept.encode("utf-8", "surrogateescape")).decode()
    return out


def _parse(text: str) -> Any:
    return codec.loads(text, decode_tags=False)


def _without(value: str, location: str) -> str:
    """``location`` with ``value`` (in a dict key of the path to it, spelt as the path spells
    keys) replaced: a message naming where a secret is must not print it. ``repr`` spells a key
    holding both quotes in single quotes, its apostrophes escaped: the value's spelling there
    is that of ``'"' + value``'s repr."""
    spellings = (value, repr(value)[1:-1], repr('"' + value)[2:-1], json_string_form(value))
    for spelling in dict.fromkeys(spellings):
        location = location.replace(spelling, "<the secret>")
    return location


def _describe(doc: Any, path: list[Any]) -> str:
    return signing.describe_location(doc, path) if path else "the document"


def _where_string(doc: Any, value: str) -> str:
    """Where the first string (or dict key) holding ``value`` is in ``doc``, for a person."""
    for node, path in _walk([(doc, [])]):
        if type(node) is str and value in node:
            return _describe(doc, path)
        if type(node) is dict:
            for key in node:
                if value in key:
                    return f"{_describe(doc, [*path, key])} (in the key)"
    return "the document"


def _payloads(doc: Any) -> Iterator[tuple[list[Any], str, bytes]]:
    """``(path, what it is, decoded bytes)`` of every base64 payload in a parsed, undecoded
    document: ``bytes``/``bytearray``/``pickle`` tags and HTTP bodies stored as base64. Only
    the tagged values are walked (the document's ``tag_index`` says where they are)."""
    for node, path in _walk(_tagged(doc)):
        tag = node.get(codec.TAG) if type(node) is dict else None
        if tag in _PAYLOAD_TAGS and type(node.get("v")) is str:
            type_name = str(node.get("type", "?"))
            label = _PAYLOAD_TAGS[tag].format(tag=tag, a=article(type_name), type=type_name)
            yield path, f"the base64 of {label}", _b64(node["v"])
        elif tag in _BODY_TAGS and type(node.get("base64")) is str:
            yield path, f"the base64 body of {_BODY_TAGS[tag]}", _b64(node["base64"])


def _tagged(doc: Any) -> list[tuple[Any, list[Any]]]:
    """The outermost tagged values of a document written by this process, by its
    ``tag_index``; the whole document when it has none that fits."""
    index = doc.get("tag_index") if type(doc) is dict else None
    paths = index.get("paths") if type(index) is dict else None
    if type(paths) is not list:
        return [(doc, [])]
    found = []
    for path in paths:
        node = doc
        try:
            for part in path:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return [(doc, [])]
        found.append((node, list(path)))
    return found


def _walk(roots: list[tuple[Any, list[Any]]]) -> Iterator[tuple[Any, list[Any]]]:
    """Every node under ``roots`` with its path, in document order (iterative)."""
    stack = list(reversed(roots))
    while stack:
        node, path = stack.pop()
        yield node, path
        if type(node) is dict:
            stack.extend((v, [*path, k]) for k, v in reversed(node.items()))
        elif type(node) is list:
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))


def _b64(text: str) -> bytes:
    try:
        return binascii.a2b_base64(text)
    except (binascii.Error, ValueError):
        return b""
