"""Readable encodings of ``httpx``/``httpx2`` requests and responses.

A request is stored as its method, URL, headers and body; a response as its status code,
headers, body and request. Secret headers (``authorization``, ``x-api-key``, ``cookie``, ...)
are written as :data:`REDACTED`, their values noted as withheld (:mod:`.withheld`), whatever the
redaction rules (which, when recording, have already redacted every header as a
``(name, value)`` pair: :mod:`pytest_clearstone.redaction`). A body is stored as ``json`` when
it is compact JSON text (re-serialising it gives the same bytes back), else as ``text`` when it
is UTF-8, else as ``base64``. Nothing here imports httpx: the decoders import the module the
value came from.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
from typing import Any

from ..errors import DecodeError
from . import withheld
from .naming import TAG

#: What the value of a secret header is replaced with.
REDACTED = "<redacted>"

#: Header names (lower case) whose values are never written.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
    }
)

HTTP_MODULES = ("httpx", "httpx2")


def _headers(headers: Any, what: str) -> list[list[str]]:
    """``[[name, value]]`` of ``headers`` (of ``what``), secret values replaced and noted."""
    out = []
    for name, value in header_pairs(headers):
        if name.lower() in SECRET_HEADERS:
            note_secret_header(name, value, what)
            value = REDACTED
        out.append([name, value])
    return out


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of ``headers`` (an ``httpx.Headers``, which holds bytes) as
    text, in order, the names as they were given."""
    encoding = getattr(headers, "encoding", "ascii")
    return [(name.decode(encoding), value.decode(encoding)) for name, value in headers.raw]


def note_secret_header(name: str, value: str, what: str) -> None:
    """Note the value of the secret header ``name`` of ``what`` (``"an httpx request"``) as
    withheld, and for a value like ``Bearer <token>`` the token too."""
    withheld.note(value, f"the {name} header of {what}")
    token = auth_token(value)
    if token:
        withheld.note(token, f"the token in the {name} header of {what}")


def auth_token(value: str) -> str:
    """The token of a header value like ``Bearer <token>`` (``""`` for any other value)."""
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.isalpha() else ""


def note_secret_headers(headers: Any, what: str) -> None:
    """Note the values of the secret headers in ``headers`` (an ``httpx.Headers``) of
    ``what`` as withheld."""
    for name, value in header_pairs(headers):
        if name.lower() in SECRET_HEADERS:
            note_secret_header(name, value, what)


def article(name: str) -> str:
    """``name`` with ``a`` or ``an`` before it, as it is read (``an httpx request``)."""
    return f"an {name}" if name[:1].lower() in "aeiou" or name.startswith("http") else f"a {name}"


def _body(content: bytes) -> dict[str, Any]:
    if not content:
        return {}
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(content).decode("ascii")}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"text": text}
    if _compact(parsed) == text:
        return {"json": parsed}
    return {"text": text}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _read(message: Any) -> dict[str, Any]:
    try:
        content = message.content
    except Exception:  # a streamed body nobody read: there is nothing to store
        return {"unread": True}
    return _body(content)


def is_message(t: type) -> bool:
    """Whether ``t`` is an ``httpx``/``httpx2`` ``Request`` or ``Response``."""
    return t.__module__ in HTTP_MODULES and t.__qualname__ in ("Request", "Response")


def is_headers(t: type) -> bool:
    """Whether ``t`` is an ``httpx``/``httpx2`` ``Headers``."""
    return t.__module__ in HTTP_MODULES and t.__qualname__ == "Headers"


def stored_body(message: Any) -> dict[str, Any]:
    """The body of ``message`` (a request or response) as it is stored: ``{"json": value}``,
    ``{"text": text}``, ``{"base64": text}``, ``{"unread": True}`` or ``{}`` (none)."""
    return _read(message)


def with_body(message: Any, body: dict[str, Any]) -> Any:
    """A copy of ``message`` whose body is ``body`` (``{"json": value}`` or ``{"text": text}``,
    as :func:`stored_body` gives it): what is stored of it, its headers left as they were."""
    copied = copy.copy(message)
    copied._content = _content(body)
    return copied


def encode_request(v: Any, module: str) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Request``: method, URL, redacted headers and body."""
    return {
        TAG: "http_request",
        "module": module,
        "method": v.method,
        "url": str(v.url),
        "headers": _headers(v.headers, article(f"{module} request")),
        **_read(v),
    }


def encode_response(v: Any, module: str) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Response``: status code, redacted headers, body and request."""
    try:
        request = v.request
    except RuntimeError:  # a Response built without a request
        request = None
    return {
        TAG: "http_response",
        "module": module,
        "status_code": v.status_code,
        "headers": _headers(v.headers, article(f"{module} response")),
        **_read(v),
        "request": None if request is None else encode_request(request, module),
    }


def _module(tree: dict[str, Any]) -> Any:
    name = tree.get("module")
    if name not in HTTP_MODULES:
        raise DecodeError(
            f"bad {tree.get(TAG)!r} value: module {name!r} is not one of {list(HTTP_MODULES)}"
        )
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise DecodeError(
            f"cannot decode a stored {name} {tree.get(TAG)!r}: {exc}; install {name}"
        ) from None


def _content(tree: dict[str, Any]) -> bytes:
    if "json" in tree:
        return _compact(tree["json"]).encode("utf-8")
    if "text" in tree:
        return str(tree["text"]).encode("utf-8")
    if "base64" in tree:
        try:
            return base64.b64decode(tree["base64"], validate=True)
        except (ValueError, TypeError) as exc:
            raise DecodeError(f"bad base64 body in a stored {tree.get(TAG)!r}: {exc}") from None
    return b""


def _header_pairs(tree: dict[str, Any]) -> list[tuple[str, str]]:
    headers = tree.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in headers
    ):
        raise DecodeError(f"bad headers in a stored {tree.get(TAG)!r}: expected [[name, value]]")
    return [(str(name), str(value)) for name, value in headers]


def decode_request(tree: dict[str, Any]) -> Any:
    """The stored request as a real ``Request`` of its module (secret headers redacted)."""
    httpx = _module(tree)
    request = httpx.Request(tree["method"], tree["url"], content=_content(tree))
    request.headers = httpx.Headers(_header_pairs(tree))
    return request


def decode_response(tree: dict[str, Any]) -> Any:
    """The stored response as a real ``Response`` of its module, its body already read."""
    httpx = _module(tree)
    request = tree.get("request")
    if request is not None and type(request).__name__ != "Request":
        raise DecodeError(f"bad request in a stored 'http_response': {request!r}")
    # built without the stored headers, so a stored content-encoding is not applied to the
    # already decoded body; the headers are put back afterwards
    response = httpx.Response(int(tree["status_code"]), content=_content(tree), request=request)
    response.headers = httpx.Headers(_header_pairs(tree))
    return response
