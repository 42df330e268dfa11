"""Readable encodings of ``httpx``/``httpx2`` requests and responses; the stored forms, headers
and bodies of HTTP messages that :mod:`.requests_http` shares for ``requests``' prepared
requests and responses, and that redaction reads and rewrites for all three libraries.

A request is stored as its method, URL, headers and body; a response as its status code,
headers, body and request, and where they are not the defaults its HTTP version, reason phrase,
redirect history (the responses before it, each with its request) and the next request of a
redirect not followed. Secret headers (``authorization``, ``x-api-key``, ``cookie``, ...)
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
import datetime
import importlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import DecodeError
from . import withheld
from .naming import MESSAGE_TAGS, TAG

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

#: Request headers (lower case) that describe the machine, the Python runtime and the library
#: release that sent a request, or what its transport can decode (``br``, ``zstd`` when those
#: packages are installed) — not what the agent asked for. They are stored, but a replayed call
#: is matched without them (:func:`compared_form`), so a golden replays on another machine, on
#: another Python or after an SDK upgrade. ``cookie`` too: the client's jar sends back what an
#: earlier response set, and a mocked ``send`` (which fills the jar) sets nothing when replaying;
#: its value is redacted anyway.
UNCOMPARED_HEADERS = frozenset(
    {
        "user-agent",
        "accept-encoding",
        "cookie",
        "x-stainless-lang",
        "x-stainless-package-version",
        "x-stainless-os",
        "x-stainless-arch",
        "x-stainless-runtime",
        "x-stainless-runtime-version",
    }
)

#: the field of a stored request or response holding a body that is not UTF-8 text, in base64
BINARY_BODY = "base64"

HTTP_MODULES = ("httpx", "httpx2")
#: the tag of the stored forms of httpx's (and httpx2's) requests and responses by class name
HTTPX_KINDS = {"Request": "http_request", "Response": "http_response"}
#: the module of requests' ``PreparedRequest`` and ``Response`` (recognised by name: nothing
#: here imports requests), and the tag of their stored forms by class name
REQUESTS_MODULE = "requests.models"
REQUESTS_KINDS = {"PreparedRequest": "http_request", "Response": "http_response"}

#: the keys of a stored response that hold other requests and responses
_NESTED = ("request", "next_request")


def stored_headers(pairs: Iterable[tuple[str, str]], what: str) -> list[list[str]]:
    """``[[name, value]]`` of the header ``pairs`` of ``what`` (``"an httpx request"``), secret
    values replaced and noted."""
    out = []
    for name, value in pairs:
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


def sent_request(request: Any) -> Any:
    """The ``httpx``/``httpx2`` ``request`` without the headers that describe the machine, the
    Python and the library release that sent it (:data:`UNCOMPARED_HEADERS`: ``User-Agent``,
    ``X-Stainless-OS``, ...), as a golden stores a request that a recorded answer holds: the
    answer of an unchanged agent re-recorded on another machine, or after an SDK upgrade, stays
    the same. ``request`` itself when it has none of them (or is ``None``)."""
    if request is None:
        return None
    headers = request.headers
    pairs = header_pairs(headers)
    kept = [(name, value) for name, value in pairs if name.lower() not in UNCOMPARED_HEADERS]
    if len(kept) == len(pairs):
        return request
    sent = copy.copy(request)
    sent.headers = type(headers)(kept, encoding=headers.encoding)
    return sent


def answered_without_machine(value: Any) -> Any:
    """``value`` as a recorded answer stores it: an ``httpx``/``httpx2`` request, or a response
    with its request, through :func:`sent_request` (an SDK error's ``request`` and
    ``response``); any other value as it is."""
    t = type(value)
    if t.__module__ not in HTTP_MODULES:
        return value
    if t.__qualname__ == "Request":
        return sent_request(value)
    if t.__qualname__ != "Response":
        return value
    try:
        request = value.request
    except RuntimeError:  # built without a request
        return value
    sent = sent_request(request)
    if sent is request:
        return value
    answered = copy.copy(value)
    answered.request = sent
    return answered


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


def article(name: str) -> str:
    """``name`` with ``a`` or ``an`` before it, as it is read (``an httpx request``)."""
    return f"an {name}" if name[:1].lower() in "aeiou" or name.startswith("http") else f"a {name}"


#: how a library writes a JSON body: ``value -> text``
JsonText = Callable[[Any], str]


def compact_json(value: Any) -> str:
    """JSON text as httpx writes a ``json=`` body."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def requests_json(value: Any) -> str:
    """JSON text as requests writes a ``json=`` body (``PreparedRequest.prepare_body``)."""
    return json.dumps(value, allow_nan=False)


def body_form(content: bytes, json_text: JsonText = compact_json) -> dict[str, Any]:
    """How body ``content`` is stored: ``{"json": value}`` when it is the JSON text
    ``json_text`` writes (so :func:`content_of` gives the same bytes back), else
    ``{"text": text}`` when it is UTF-8, else ``{"base64": text}``; ``{}`` for none."""
    if not content:
        return {}
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {BINARY_BODY: base64.b64encode(content).decode("ascii")}
    try:
        parsed = json.loads(text)
        written = json_text(parsed)
    except (ValueError, RecursionError):  # (no JSON; NaN or Infinity, which JSON lacks; too deep)
        return {"text": text}
    return {"json": parsed} if written == text else {"text": text}


def _read(message: Any) -> dict[str, Any]:
    try:
        content = message.content
    except Exception:  # a streamed body nobody read: there is nothing to store
        return {"unread": True}
    return body_form(content)


def message_kind(t: type) -> str:
    """The tag of the stored form of values of ``t`` when it is an ``httpx``/``httpx2``
    ``Request`` or ``Response`` or a ``requests`` ``PreparedRequest`` or ``Response``
    (``"http_request"``, ``"http_response"``), else ``""``."""
    if t.__module__ in HTTP_MODULES:
        return HTTPX_KINDS.get(t.__qualname__, "")
    if t.__module__ == REQUESTS_MODULE:
        return REQUESTS_KINDS.get(t.__qualname__, "")
    return ""


def is_message(t: type) -> bool:
    """Whether ``t`` is an HTTP request or response of httpx, httpx2 or requests."""
    return bool(message_kind(t))


def is_requests_message(t: type) -> bool:
    """Whether ``t`` is requests' ``PreparedRequest`` or ``Response``."""
    return t.__module__ == REQUESTS_MODULE and t.__qualname__ in REQUESTS_KINDS


def class_name(kinds: dict[str, str], tag: str) -> str:
    """The name of the class whose values are stored with tag ``tag``, among ``kinds``
    (:data:`HTTPX_KINDS`, :data:`REQUESTS_KINDS`)."""
    (name,) = (name for name, kind in kinds.items() if kind == tag)
    return name


def is_headers(t: type) -> bool:
    """Whether ``t`` is an ``httpx``/``httpx2`` ``Headers``."""
    return t.__module__ in HTTP_MODULES and t.__qualname__ == "Headers"


def is_requests_headers(t: type) -> bool:
    """Whether ``t`` is requests' ``CaseInsensitiveDict``, the class of a session's, a
    request's and a response's ``headers`` (recognised by name: nothing here imports requests)."""
    return t.__module__ == "requests.structures" and t.__qualname__ == "CaseInsensitiveDict"


def encode_headers(v: Any, t: type) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Headers`` on its own (what an agent reads of a raw response,
    ``raw.headers``): its ``(name, value)`` pairs, as a message's are stored."""
    module = t.__module__
    pairs = stored_headers(header_pairs(v), f"{module} headers")
    return {TAG: "http_headers", "module": module, "headers": pairs}


def decode_headers(tree: dict[str, Any]) -> Any:
    """Stored headers as a ``Headers`` of their module (secret values redacted)."""
    return _module(tree).Headers(stored_header_pairs(tree))


def stored_body(message: Any) -> dict[str, Any]:
    """The body of ``message`` (a request or response) as it is stored: ``{"json": value}``,
    ``{"text": text}``, ``{"base64": text}``, ``{"unread": True}`` or ``{}`` (none). A
    requests ``PreparedRequest``'s body given as text is stored as that text; one that is a file
    or an iterator (streamed when sent), and a requests response's body nobody read, as
    unread."""
    t = type(message)
    if not is_requests_message(t):
        return _read(message)
    if t.__qualname__ == "PreparedRequest":
        body = message.body
        if isinstance(body, str):
            return {"text": body} if body else {}
    else:
        body = vars(message).get("_content", False)
        if body is False:  # (requests' mark of a body not read yet)
            return {"unread": True}
    if body is None or isinstance(body, (bytes, bytearray)):
        return body_form(bytes(body or b""), requests_json)
    return {"unread": True}


def with_body(message: Any, body: dict[str, Any]) -> Any:
    """A copy of ``message`` whose body is ``body`` (``{"json": value}`` or ``{"text": text}``,
    as :func:`stored_body` gives it): what is stored of it, its headers left as they were; a
    requests ``PreparedRequest``'s body of the type it had (text or bytes)."""
    copied = copy.copy(message)
    t = type(message)
    if not is_requests_message(t):
        copied._content = content_of(body)
    elif t.__qualname__ == "Response":
        copied._content = content_of(body, requests_json)
    elif isinstance(message.body, str):
        copied.body = content_of(body, requests_json).decode("utf-8")
    else:
        copied.body = content_of(body, requests_json)
    return copied


def encode_request(v: Any, module: str) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Request``: method, URL, redacted headers and body (a multipart
    body with its random boundary fixed: :func:`fixed_boundary`)."""
    pairs = header_pairs(v.headers)
    boundary = random_boundary(pairs)
    body = _read(v) if boundary is None else _multipart_body(v, boundary)
    if boundary is not None:
        pairs = [(name, value.replace(boundary, FIXED_BOUNDARY)) for name, value in pairs]
    return {
        TAG: "http_request",
        "module": module,
        "method": v.method,
        "url": str(v.url),
        "headers": stored_headers(pairs, article(f"{module} request")),
        **body,
    }


#: what the random boundary of a multipart body is stored as (as long as one, so the stored
#: ``Content-Length`` stays the body's)
FIXED_BOUNDARY = "clearstone-multipart-boundary-00"
#: the boundary httpx and urllib3 draw for a multipart body: 16 bytes of ``os.urandom`` in hex
#: (a pattern, compiled when a multipart request is first stored, not on import)
_RANDOM_BOUNDARY = r"multipart/[\w.+-]+;.*\bboundary=([0-9a-f]{32})(?![\w-])"


def random_boundary(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The random boundary of a multipart body that the ``Content-Type`` header among ``pairs``
    names (``None``: none, or one the caller chose). Each run draws another: stored as it is,
    it would change the request on every run, and every re-recorded golden."""
    for name, value in pairs:
        if name.lower() == "content-type":
            match = re.match(_RANDOM_BOUNDARY, value) if "boundary=" in value else None
            return None if match is None else match.group(1)
    return None


def fixed_boundary(content: bytes, boundary: str) -> dict[str, Any]:
    """How a multipart body ``content`` separated by ``boundary`` is stored: with
    :data:`FIXED_BOUNDARY` instead (:func:`body_form`)."""
    return body_form(content.replace(boundary.encode("ascii"), FIXED_BOUNDARY.encode("ascii")))


def _multipart_body(request: Any, boundary: str) -> dict[str, Any]:
    """The stored body of an httpx multipart ``request``, its files' content included: read
    from its stream when it is not read yet (``files=`` gives a stream that seeks each file
    back to its start when it is sent, so reading it sends nothing less), else unread."""
    try:
        content = request.content
    except Exception:  # (not read yet)
        stream = request.stream
        if type(stream).__name__ != "MultipartStream" or not _rereadable(stream):
            return {"unread": True}
        content = b"".join(stream)
    return fixed_boundary(content, boundary)


def _rereadable(stream: Any) -> bool:
    """Whether each file of an httpx ``MultipartStream`` gives its content again when the
    stream is read again (text, bytes, or a file it can seek back to the start)."""
    for field in getattr(stream, "fields", None) or ():
        file = getattr(field, "file", None)
        if file is None or isinstance(file, (str, bytes)):
            continue
        seekable = getattr(file, "seekable", None)
        if not callable(seekable):
            return False
        try:
            if not seekable():
                return False
        except Exception:
            return False
    return True


def encode_response(v: Any, module: str, *, history: bool = True) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Response``: status code, redacted headers, body and request;
    its HTTP version and reason phrase when they are not the defaults; with ``history``, the
    responses before it (redirects; each without its own history, which is the ones before it);
    the next request of a redirect not followed."""
    try:
        request = v.request
    except RuntimeError:  # a Response built without a request
        request = None
    tree = {
        TAG: "http_response",
        "module": module,
        "status_code": v.status_code,
        "headers": stored_headers(header_pairs(v.headers), article(f"{module} response")),
        **_read(v),
        "request": None if request is None else encode_request(request, module),
    }
    if v.http_version != "HTTP/1.1":
        tree["http_version"] = v.http_version
    if "reason_phrase" in v.extensions and v.reason_phrase != _standard_phrase(v, module):
        tree["reason_phrase"] = v.reason_phrase
    if history and v.history:
        tree["history"] = [encode_response(r, module, history=False) for r in v.history]
    if getattr(v, "next_request", None) is not None:
        tree["next_request"] = encode_request(v.next_request, module)
    return tree


def encode_message(v: Any, t: type) -> dict[str, Any]:
    """An ``httpx``/``httpx2`` ``Request`` or ``Response`` (of type ``t``) in its stored
    form."""
    if HTTPX_KINDS[t.__qualname__] == "http_request":
        return encode_request(v, t.__module__)
    return encode_response(v, t.__module__)


def _standard_phrase(v: Any, module: str) -> str:
    """The reason phrase a response of ``v``'s status code has by default (``module``:
    ``httpx`` or ``httpx2``, imported already: ``v`` is one of its responses)."""
    return str(importlib.import_module(module).codes.get_reason_phrase(v.status_code))


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


def content_of(tree: dict[str, Any], json_text: JsonText = compact_json) -> bytes:
    """The body bytes of a stored request or response (:func:`body_form`)."""
    if "json" in tree:
        return json_text(tree["json"]).encode("utf-8")
    if "text" in tree:
        return str(tree["text"]).encode("utf-8")
    if BINARY_BODY in tree:
        try:
            return base64.b64decode(tree[BINARY_BODY], validate=True)
        except (ValueError, TypeError) as exc:
            raise DecodeError(f"bad base64 body in a stored {tree.get(TAG)!r}: {exc}") from None
    return b""


def is_header_pair(pair: Any) -> bool:
    """Whether ``pair`` is one stored header: a ``[name, value]`` list whose name is text."""
    return type(pair) is list and len(pair) == 2 and type(pair[0]) is str


def headers_by_name(headers: Any) -> dict[str, Any] | None:
    """Stored headers (``[[name, value]]``) by their names as stored (case kept): each name's
    value, or, for a name that repeats, the list of its values in order
    (``{"X-Tag": ["a", "b"]}``): how a delta names a header (``headers['X-Api-Version']``).
    ``None`` when ``headers`` is no list of header pairs."""
    if type(headers) is not list or not all(is_header_pair(pair) for pair in headers):
        return None
    values: dict[str, list[Any]] = {}
    for name, value in headers:
        values.setdefault(name, []).append(value)
    return {name: found[0] if len(found) == 1 else found for name, found in values.items()}


def stored_header_pairs(tree: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a stored request's or response's headers."""
    headers = tree.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in headers
    ):
        raise DecodeError(f"bad headers in a stored {tree.get(TAG)!r}: expected [[name, value]]")
    return [(str(name), str(value)) for name, value in headers]


def decode_message(tree: dict[str, Any]) -> Any:
    """A stored ``httpx``/``httpx2`` request or response as a real one of its module."""
    return decode_request(tree) if tree.get(TAG) == "http_request" else decode_response(tree)


def class_path(tree: dict[str, Any]) -> str:
    """The class (``module:QualName``) a stored request or response decodes to."""
    return f"{tree.get('module')}:{class_name(HTTPX_KINDS, str(tree.get(TAG)))}"


def decode_request(tree: dict[str, Any]) -> Any:
    """The stored request as a real ``Request`` of its module (secret headers redacted)."""
    httpx = _module(tree)
    request = httpx.Request(tree["method"], tree["url"], content=content_of(tree))
    request.headers = httpx.Headers(stored_header_pairs(tree))
    return request


#: the time a decoded response took (``Response.elapsed``): none passes in a replay
_NO_TIME = datetime.timedelta(0)


def decode_response(tree: dict[str, Any]) -> Any:
    """The stored response as a real ``Response`` of its module, its body already read (the
    nested requests and responses already decoded), its ``elapsed`` zero."""
    httpx = _module(tree)
    request = tree.get("request")
    if request is not None and type(request) is not httpx.Request:
        raise DecodeError(f"bad request in a stored 'http_response': {request!r}")
    extensions = {
        key: stored_text(tree, key).encode("ascii", "ignore")
        for key in ("http_version", "reason_phrase")
        if key in tree
    }
    # built without the stored headers, so a stored content-encoding is not applied to the
    # already decoded body; the headers are put back afterwards
    response = httpx.Response(
        int(tree["status_code"]), content=content_of(tree), request=request, extensions=extensions
    )
    response.headers = httpx.Headers(stored_header_pairs(tree))
    response.history = stored_history(tree, httpx.Response)
    response.elapsed = _NO_TIME  # (a client's answer has one; a measured time is not stored)
    next_request = tree.get("next_request")
    if next_request is not None and type(next_request) is not httpx.Request:
        raise DecodeError(f"bad next_request in a stored 'http_response': {next_request!r}")
    response.next_request = next_request
    return response


def stored_text(tree: dict[str, Any], key: str) -> str:
    """The text at ``key`` of a stored request or response; :class:`DecodeError` naming it
    when it is not text."""
    value = tree[key]
    if type(value) is not str:
        raise DecodeError(f"bad {key} in a stored {tree.get(TAG)!r}: {value!r} is not text")
    return value


def stored_history(tree: dict[str, Any], response_class: type) -> list[Any]:
    """The responses before a stored response (already decoded, of ``response_class``), each
    given the ones before it as its own history, as a client leaves them."""
    history = tree.get("history", [])
    if type(history) is not list or any(type(r) is not response_class for r in history):
        raise DecodeError(
            f"bad history in a stored {tree.get(TAG)!r}: expected a list of responses, "
            f"not {history!r}"
        )
    for index, response in enumerate(history):
        response.history = history[:index]
    return history


def compared_form(tree: Any) -> Any:
    """The stored form of a request or response as a replayed call is matched: the headers of
    :data:`UNCOMPARED_HEADERS` left out of its requests (its own, or those of a response, its
    history and its next request). Any other tree is itself."""
    return _with_request_headers(tree, tree, _compared_headers)


def with_uncompared_headers_of(recorded: Any, actual: Any) -> Any:
    """The stored form ``actual`` of a request or response with the headers of
    :data:`UNCOMPARED_HEADERS` taken from ``recorded`` (its recording), at their recorded
    places: what a delta shows, so that what the comparison left out shows no difference.
    ``actual`` itself when that changes nothing, or when the two are not of one tag."""
    out = _with_request_headers(actual, recorded, _recorded_uncompared_headers)
    return actual if out == actual else out


#: how the headers of a request are rewritten: ``(its headers, its counterpart's) -> headers``
_Headers = Callable[[list[Any], list[Any]], list[Any]]


def _with_request_headers(tree: Any, other: Any, headers: _Headers) -> Any:
    """The stored form ``tree`` of a request or response with the headers of each of its
    requests (its own, or those of a response, its history and its next request) rewritten by
    ``headers``, from them and those of the same request in ``other``, a stored form of the same
    tag (walked in step: a request with no counterpart there is left as it is). Any other
    ``tree`` is itself."""
    if (
        type(tree) is not dict
        or type(other) is not dict
        or tree.get(TAG) not in MESSAGE_TAGS
        or other.get(TAG) != tree.get(TAG)
    ):
        return tree
    out = dict(tree)
    mine, theirs = tree.get("headers"), other.get("headers")
    if tree[TAG] == "http_request" and type(mine) is list and type(theirs) is list:
        out["headers"] = headers(mine, theirs)
    for key in _NESTED:
        if key in tree and key in other:
            out[key] = _with_request_headers(tree[key], other[key], headers)
    mine, theirs = tree.get("history"), other.get("history")
    if type(mine) is list and type(theirs) is list and len(mine) == len(theirs):
        out["history"] = [
            _with_request_headers(r, o, headers) for r, o in zip(mine, theirs, strict=True)
        ]
    return out


def _compared_headers(mine: list[Any], theirs: list[Any]) -> list[Any]:
    """``mine`` without the headers that are not compared."""
    return [pair for pair in mine if not _uncompared(pair)]


def _recorded_uncompared_headers(mine: list[Any], recorded: list[Any]) -> list[Any]:
    """``mine`` with the headers that are not compared taken from ``recorded`` instead, at
    their recorded places."""
    headers = _compared_headers(mine, recorded)
    for index, pair in enumerate(recorded):
        if _uncompared(pair):
            headers.insert(index, pair)
    return headers


def _uncompared(pair: Any) -> bool:
    return is_header_pair(pair) and pair[0].lower() in UNCOMPARED_HEADERS
