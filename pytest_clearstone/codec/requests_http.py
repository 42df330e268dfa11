"""Readable encodings of ``requests`` prepared requests and responses.

They are stored in the forms of :mod:`.http` with ``"module": "requests"``: a
``PreparedRequest`` (what ``Session.send`` gets) as its method, URL, headers and body; a
``Response`` as its status code, headers, body, request, and its final URL, reason phrase,
encoding and redirect history where it has them. Secret headers are written as
:data:`~.http.REDACTED`, as for httpx. A JSON body is stored as ``json`` when it is the text
``requests`` writes for ``json=``. Not stored: a response's ``elapsed`` (a measured time),
``cookies`` (from its ``set-cookie`` headers, redacted), ``raw`` and ``connection`` (the live
connection). Nothing here imports requests: the decoders import it.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import DecodeError
from .http import (
    FIXED_BOUNDARY,
    REQUESTS_KINDS,
    REQUESTS_MODULE,
    class_name,
    content_of,
    fixed_boundary,
    random_boundary,
    requests_json,
    stored_body,
    stored_header_pairs,
    stored_headers,
    stored_history,
    stored_text,
)
from .naming import TAG

#: the ``module`` of the stored forms of requests' values
MODULE = "requests"


def class_path(tree: dict[str, Any]) -> str:
    """The class (``module:QualName``) a stored request or response decodes to."""
    return f"{REQUESTS_MODULE}:{class_name(REQUESTS_KINDS, str(tree.get(TAG)))}"


def encode_message(v: Any, t: type) -> dict[str, Any]:
    """A ``PreparedRequest`` or a ``Response`` (of type ``t``) in its stored form."""
    if REQUESTS_KINDS[t.__qualname__] == "http_request":
        return encode_request(v)
    return encode_response(v)


def decode_message(tree: dict[str, Any]) -> Any:
    """A stored request or response as a ``PreparedRequest`` or a ``Response``."""
    return decode_request(tree) if tree.get(TAG) == "http_request" else decode_response(tree)


def _text(value: Any) -> str:
    """A header name or value: text, or bytes (which requests allows) read as latin-1."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [(_text(name), _text(value)) for name, value in (headers or {}).items()]


def encode_request(v: Any) -> dict[str, Any]:
    """A ``requests.PreparedRequest``: method, URL, redacted headers and body (a body that is a
    file or an iterator, streamed when sent, is stored as unread; a multipart body with its
    random boundary fixed: :func:`~.http.fixed_boundary`)."""
    pairs = _pairs(v.headers)
    body = stored_body(v)
    boundary = random_boundary(pairs)
    if boundary is not None:
        pairs = [(name, value.replace(boundary, FIXED_BOUNDARY)) for name, value in pairs]
        if isinstance(v.body, (bytes, bytearray)):
            body = fixed_boundary(bytes(v.body), boundary)
    return {
        TAG: "http_request",
        "module": MODULE,
        "method": v.method,
        "url": v.url,
        "headers": stored_headers(pairs, "a requests request"),
        **body,
    }


def encode_response(v: Any, *, history: bool = True) -> dict[str, Any]:
    """A ``requests.Response``: status code, redacted headers, body, request, URL, reason,
    encoding and (with ``history``) the responses before it (redirects)."""
    tree = {
        TAG: "http_response",
        "module": MODULE,
        "status_code": v.status_code,
        "headers": stored_headers(_pairs(v.headers), "a requests response"),
        **stored_body(v),
        "request": None if v.request is None else encode_request(v.request),
    }
    for key, value in (("url", v.url), ("reason_phrase", v.reason), ("encoding", v.encoding)):
        if value is not None:
            tree[key] = _text(value)
    if history and v.history:
        tree["history"] = [encode_response(r, history=False) for r in v.history]
    return tree


def _requests() -> Any:
    try:
        return importlib.import_module(MODULE)
    except ImportError as exc:
        raise DecodeError(
            f"cannot decode a stored requests value: {exc}; install requests"
        ) from None


def decode_request(tree: dict[str, Any]) -> Any:
    """The stored request as a ``requests.PreparedRequest`` (secret headers redacted); a body
    stored as text comes back as text, one stored as unread (a file or an iterator, streamed
    when sent) as an empty iterator (which is stored as unread again), any other as bytes."""
    requests = _requests()
    request = requests.PreparedRequest()
    request.method = tree["method"]
    request.url = tree["url"]
    request.headers = requests.structures.CaseInsensitiveDict(stored_header_pairs(tree))
    if tree.get("unread"):
        request.body = iter(())
    else:
        request.body = tree["text"] if "text" in tree else content_of(tree, requests_json) or None
    return request


def decode_response(tree: dict[str, Any]) -> Any:
    """The stored response as a ``requests.Response``, its body already read (its request and
    history already decoded)."""
    requests = _requests()
    request = tree.get("request")
    if request is not None and type(request) is not requests.PreparedRequest:
        raise DecodeError(f"bad request in a stored requests 'http_response': {request!r}")
    response = requests.Response()
    status = tree["status_code"]
    response.status_code = None if status is None else int(status)
    response.headers = requests.structures.CaseInsensitiveDict(stored_header_pairs(tree))
    response._content = content_of(tree, requests_json)
    response._content_consumed = True
    response.request = request
    response.url = stored_text(tree, "url") if "url" in tree else None
    response.reason = stored_text(tree, "reason_phrase") if "reason_phrase" in tree else None
    response.encoding = stored_text(tree, "encoding") if "encoding" in tree else None
    response.history = stored_history(tree, requests.Response)
    return response
