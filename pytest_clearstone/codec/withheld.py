"""Secret values the codec met and left out of what it stored.

The codec stores an SDK client without its API key and an HTTP message or client without the
values of its secret headers (:mod:`.clients`, :mod:`.http`). Each value left out is noted here
with what it was (``"the api_key of an openai.OpenAI client"``), so that a golden can be checked,
before it is written, for a copy of the value that reached it some other way
(:mod:`pytest_clearstone.golden.secrets`). The notes live in this process only (the most recent
:data:`LIMIT` values, whichever thread encoded them); they are never written anywhere.

A client's reference also leaves out the query parameters and headers it sends with every
request (its ``default_query`` and ``default_headers``, an httpx client's ``params`` and
``headers``), whatever their names: those are noted as *sent* (:func:`note_sent`), with their
names, and the redaction tells which of them are secrets by its rules
(:meth:`pytest_clearstone.redaction.Redactor.secret_values`).
"""

from __future__ import annotations

import threading
from typing import Any

from .naming import TAG

#: What a secret inside a stored value's text is replaced with (the password of an SDK
#: client's base URL); the redaction's placeholder too (:mod:`pytest_clearstone.redaction`).
PLACEHOLDER = "[REDACTED]"

#: The API key a rebuilt SDK client is given (:mod:`.clients`): its calls are the mocked ones.
#: The pytest plugin gives it to the provider key variables that are unset while tests replay.
PLACEHOLDER_KEY = "clearstone-placeholder-key"


def is_placeholder_key(value: Any) -> bool:
    """Whether ``value`` is :data:`PLACEHOLDER_KEY`, as a string or held by a pydantic secret
    (``SecretStr``: what a model field reads from a variable the plugin set)."""
    if type(value) is str:
        return value == PLACEHOLDER_KEY
    return _held(value) == PLACEHOLDER_KEY


def _held(value: Any) -> str | None:
    """The text a pydantic secret (``SecretStr``, ``SecretBytes``) holds; ``None`` for any
    other value."""
    reveal = getattr(type(value), "get_secret_value", None)
    if reveal is None:
        return None
    try:
        secret = reveal(value)
    except Exception:  # (not a pydantic secret after all)
        return None
    if type(secret) is bytes:
        secret = secret.decode("utf-8", errors="replace")
    return secret if type(secret) is str else None


#: How pydantic shows a secret (``str(SecretStr(...))``): what a trace exported as plain JSON
#: holds in its place (:mod:`.plain`).
MASK = "**********"


def is_withheld(value: Any) -> bool:
    """Whether ``value`` is a secret withheld, in any form a golden or a replay's redaction holds
    it: the redaction's text (:data:`PLACEHOLDER`: a key of text, or any secret in a golden
    recorded before secrets stayed secrets), pydantic's :data:`MASK`, a stored pydantic secret
    (its class only) or one read back from it (holding :data:`PLACEHOLDER_KEY`), or the
    pydantic secret a replay's comparing redaction puts in place of a real one (holding
    :data:`PLACEHOLDER`: a secret, which no key stands for)."""
    t = type(value)
    if t is str:
        return value in (PLACEHOLDER, MASK)
    if t is dict:
        return bool(value.get(TAG) == "secret")
    return _held(value) in (PLACEHOLDER_KEY, PLACEHOLDER)


def stands_for(actual: Any, recorded: Any) -> bool:
    """Whether the actual value ``actual`` of a replay (or its stored form) stands for
    ``recorded`` (or its stored form), unequal as they are: the key the plugin gave an unset
    provider key variable (:func:`is_placeholder_key`) stands for no key (``None``: the variable
    was unset when recording too) and for a secret withheld (:func:`is_withheld`); and a secret
    withheld, in any of its forms, for one withheld in any other (a golden recorded before holds
    :data:`PLACEHOLDER` where a replay's redaction now keeps a secret of its class). An
    ``AzureChatOpenAI`` signed in with an Azure AD token reads ``OPENAI_API_KEY`` into its
    ``openai_api_key``: ``None`` where it was recorded, the placeholder key while it replays."""
    if recorded is None:
        return is_placeholder_key(actual)
    return is_withheld(recorded) and (is_withheld(actual) or is_placeholder_key(actual))


def with_placeholder_keys(actual: Any, recorded: Any) -> Any:
    """The stored form ``actual`` with each value that :func:`stands_for` the value at its place
    in the stored form ``recorded`` replaced by that value (both JSON trees)."""
    if stands_for(actual, recorded):
        return recorded
    if type(actual) is dict and type(recorded) is dict:
        return {
            k: with_placeholder_keys(x, recorded[k]) if k in recorded else x
            for k, x in actual.items()
        }
    if type(actual) is list and type(recorded) is list and len(actual) == len(recorded):
        return [with_placeholder_keys(x, y) for x, y in zip(actual, recorded, strict=True)]
    return actual


#: How many values are kept (the oldest note is dropped first).
LIMIT = 1000

_NOTES: dict[str, str] = {}
#: ``(kind, name, value) -> what``: :func:`note_sent`
_SENT: dict[tuple[str, str, str], str] = {}
_LOCK = threading.Lock()


def note(value: object, what: str) -> None:
    """Note ``value`` (a non-empty ``str``; anything else is ignored) as ``what``; a value
    already noted keeps its first description."""
    if type(value) is not str or not value:
        return
    with _LOCK:
        if value in _NOTES:
            return
        _NOTES[value] = what
        if len(_NOTES) > LIMIT:
            del _NOTES[next(iter(_NOTES))]


def note_sent(kind: str, name: object, value: object, what: str) -> None:
    """Note ``value`` (a non-empty ``str``; anything else is ignored) as the value of the query
    parameter (``kind`` ``"query"``) or header (``"header"``) ``name`` (a ``str``) that ``what``
    (``"an openai.OpenAI client"``) sends with every request, left out of what was stored."""
    if type(value) is not str or not value or type(name) is not str:
        return
    key = (kind, name, value)
    if key in _SENT:  # (a client encoded again: its settings were noted then)
        return
    with _LOCK:
        _SENT.setdefault(key, what)
        if len(_SENT) > LIMIT:
            del _SENT[next(iter(_SENT))]


def sent() -> dict[tuple[str, str, str], str]:
    """A copy of the query parameters and headers noted so far (:func:`note_sent`): ``(kind,
    name, value)``, each with what sends it."""
    with _LOCK:
        return dict(_SENT)


def noted() -> dict[str, str]:
    """A copy of the values noted so far, each with what it was."""
    with _LOCK:
        return dict(_NOTES)


def forget() -> None:
    """Drop every note (for tests)."""
    with _LOCK:
        _NOTES.clear()
        _SENT.clear()
