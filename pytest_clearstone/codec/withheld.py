"""Secret values the codec met and left out of what it stored.

The codec stores an SDK client without its API key and an HTTP message or client without the
values of its secret headers (:mod:`.clients`, :mod:`.http`). Each value left out is noted here
with what it was (``"the api_key of an openai.OpenAI client"``), so that a golden can be checked,
before it is written, for a copy of the value that reached it some other way
(:mod:`pytest_clearstone.golden.secrets`). The notes live in this process only (the most recent
:data:`LIMIT` values, whichever thread encoded them); they are never written anywhere.
"""

from __future__ import annotations

import threading

#: What a secret inside a stored value's text is replaced with (the password of an SDK
#: client's base URL); the redaction's placeholder too (:mod:`pytest_clearstone.redaction`).
PLACEHOLDER = "[REDACTED]"

#: The API key a rebuilt SDK client is given (:mod:`.clients`): its calls are the mocked ones.
#: The pytest plugin gives it to the provider key variables that are unset while tests replay.
PLACEHOLDER_KEY = "clearstone-placeholder-key"

#: How many values are kept (the oldest note is dropped first).
LIMIT = 1000

_NOTES: dict[str, str] = {}
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


def noted() -> dict[str, str]:
    """A copy of the values noted so far, each with what it was."""
    with _LOCK:
        return dict(_NOTES)


def forget() -> None:
    """Drop every note (for tests)."""
    with _LOCK:
        _NOTES.clear()
