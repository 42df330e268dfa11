"""Recognising values of client libraries by their class's bases, without importing the
libraries, and dispatching them to their readable encodings.

========================  ==================================================================
Kind (tag)                Recognised by
========================  ==================================================================
``pydantic``              a base ``pydantic.main:BaseModel`` (pydantic 2)
``pydantic.v1``           a base ``pydantic.v1.main:BaseModel``, or pydantic 1's ``BaseModel``
``secret``                a pydantic ``SecretStr``/``SecretBytes`` (v2 or v1)
``pydantic_url``          a base ``pydantic.networks:_BaseUrl`` (``AnyUrl``, ``HttpUrl``...) or
                          ``_BaseMultiHostUrl`` (``PostgresDsn``...), or pydantic-core's
                          ``Url``/``MultiHostUrl``
``attrs``                 ``__attrs_attrs__`` on the class
``namedtuple``            a ``tuple`` subclass with ``_fields``
``http_request``          ``type(v).__module__`` ``httpx``/``httpx2`` and name ``Request``, or
                          ``requests.models`` and ``PreparedRequest``
``http_response``         the same with ``Response``
``http_headers``          the same with ``Headers`` (httpx/httpx2: a raw response's ``headers``)
``sdk_client``            a base ``openai:OpenAI``, ``anthropic:Anthropic``, ``httpx:Client``...
``sdk_resource``          a base ``openai._resource:SyncAPIResource`` (anthropic's too)
``sentinel``              the class ``openai:NotGiven``/``openai:Omit`` (anthropic's too)
``file``                  ``io.BytesIO``, ``io.StringIO`` and files opened for reading
``mapping``               a ``dict`` subclass defined in a client library's package (openai's
                          ``PydanticFunctionTool``...: :mod:`.mappings`); not a kind of
                          :func:`kind_of`: compared and shown as a dict, by its items
``slots``                 a class of a client library's package keeping its state in
                          ``__slots__`` only (LangGraph's store ``Item``, ``Send``:
                          :mod:`.slotted`); not a kind of :func:`kind_of`
========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from . import clients, files, http, mappings, models, requests_http, slotted
from .models import EncodeAt
from .naming import MESSAGE_TAGS, TAG, mro_paths, per_type

_V2_BASE = "pydantic.main:BaseModel"
_V1_BASE = "pydantic.v1.main:BaseModel"
_SECRETS = frozenset(
    f"pydantic.{v}types:Secret{kind}" for v in ("", "v1.") for kind in ("Str", "Bytes")
)


@per_type
def kind_of(t: type) -> str:
    """The library kind of values of type ``t`` (a tag name), or ``""`` for none."""
    if files.is_file(t):
        return "file"
    for base, path in zip(t.__mro__, mro_paths(t), strict=True):
        if path == _V2_BASE:
            # pydantic 1 installed as "pydantic" has the same path, without model_construct
            return "pydantic" if "model_construct" in vars(base) else "pydantic.v1"
        if path == _V1_BASE:
            return "pydantic.v1"
        if path in _SECRETS:
            return "secret"
        if path in models.URL_BASES:
            return "pydantic_url"
    if getattr(t, "__attrs_attrs__", None) is not None:
        return "attrs"
    if issubclass(t, tuple) and isinstance(getattr(t, "_fields", None), tuple):
        return "namedtuple"
    message = http.message_kind(t)
    if message:
        return message
    if http.is_headers(t):
        return "http_headers"
    if f"{t.__module__}:{t.__qualname__}" in clients.SENTINELS:
        return "sentinel"
    if clients.client_base(t) is not None:
        return "sdk_client"
    if clients.is_resource(t):
        return "sdk_resource"
    return ""


def encode_library(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """The tagged tree of a library value, or ``None`` when ``v`` is not one (or cannot be
    stored readably, e.g. its class is local to a function)."""
    kind = kind_of(t)
    if not kind:
        if mappings.is_library_mapping(t):
            return mappings.encode_mapping(v, t, enc_at)
        return slotted.encode_slotted(v, t, enc_at) if slotted.is_library_slotted(t) else None
    if kind == "pydantic":
        return models.encode_pydantic(v, t, enc_at)
    if kind == "pydantic.v1":
        return models.encode_pydantic_v1(v, t, enc_at)
    if kind == "secret":
        return models.encode_secret(v, t, enc_at)
    if kind == "pydantic_url":
        return models.encode_url(v, t, enc_at)
    if kind == "attrs":
        return models.encode_attrs(v, t, enc_at)
    if kind == "namedtuple":
        return models.encode_namedtuple(v, t, enc_at)
    if kind in MESSAGE_TAGS:
        return _message_codec(t).encode(v, t)
    if kind == "http_headers":
        return http.encode_headers(v, t)
    if kind == "sentinel":
        return clients.encode_sentinel(t)
    if kind == "file":
        return files.encode_file(v, enc_at)
    if kind == "sdk_client":
        base = clients.client_base(t)
        return None if base is None else clients.encode_client(v, t, base)
    return clients.encode_resource(v, t, lambda client: enc_at("._client", client))


class _MessageCodec(NamedTuple):
    """How one HTTP library's requests and responses are stored: encoded (a value and its type),
    decoded, and the class a stored one decodes to (:func:`class_paths`)."""

    encode: Callable[[Any, type], dict[str, Any]]
    decode: Callable[[dict[str, Any]], Any]
    class_path: Callable[[dict[str, Any]], str]


_HTTPX = _MessageCodec(http.encode_message, http.decode_message, http.class_path)
_REQUESTS = _MessageCodec(
    requests_http.encode_message, requests_http.decode_message, requests_http.class_path
)


def _message_codec(t: type) -> _MessageCodec:
    """The codec of HTTP requests and responses of type ``t``: requests', else httpx's."""
    return _REQUESTS if http.is_requests_message(t) else _HTTPX


def _stored_message_codec(tree: dict[str, Any]) -> _MessageCodec:
    """The codec of the stored request or response ``tree``, by its ``module``: requests',
    else httpx's."""
    return _REQUESTS if tree.get("module") == requests_http.MODULE else _HTTPX


def _decode_message(tree: dict[str, Any]) -> Any:
    return _stored_message_codec(tree).decode(tree)


DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "pydantic": models.decode_pydantic,
    "pydantic.v1": models.decode_pydantic_v1,
    "secret": models.decode_secret,
    "pydantic_url": models.decode_url,
    "attrs": models.decode_attrs,
    "namedtuple": models.decode_namedtuple,
    "http_request": _decode_message,
    "http_response": _decode_message,
    "http_headers": http.decode_headers,
    "sdk_client": clients.decode_client,
    "sdk_resource": clients.decode_resource,
    "sentinel": clients.decode_sentinel,
    "file": files.decode_file,
    "mapping": mappings.decode_mapping,
    "slots": slotted.decode_slotted,
}
"""The decoder of each library tag (the trees' nested values are already decoded)."""


VALUE_PARTS: dict[str, tuple[str, ...]] = {
    **{kind: models.MODEL_PARTS for kind in ("pydantic", "pydantic.v1", "attrs", "namedtuple")},
    "slots": ("v",),
}
"""For the library tags whose trees keep their values in named parts (the models): those parts.
Decoding such a tree walks only them; the trees of other tags are walked whole."""

MODELS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], Any]]] = {
    kind: (parts, DECODERS[kind]) for kind, parts in VALUE_PARTS.items()
}
"""The model tags' parts (:data:`VALUE_PARTS`) and decoders (:data:`DECODERS`), found together
for each model a golden's answers hold."""


def _ref_paths(ref: Any) -> list[str]:
    if isinstance(ref, dict) and "typevar" in ref:
        return [str(ref["typevar"])]
    if isinstance(ref, dict):
        return [str(ref.get("cls"))] + [p for arg in ref.get("args") or () for p in _ref_paths(arg)]
    return [str(ref)]


def class_paths(node: Any) -> list[str]:
    """The class paths (``module:QualName``) a tagged node names, nested tags left out: the
    classes decoding it imports (for ``custom``, the class its decoder must be registered for).
    ``[]`` for a node that names none. Lets a reader that must not import modules (inspection)
    replace such values by placeholders before decoding."""
    if type(node) is not dict:
        return []
    tag = node.get(TAG)
    if tag in MESSAGE_TAGS:
        return [_stored_message_codec(node).class_path(node)]
    if tag == "http_headers":
        return [f"{node.get('module')}:Headers"]
    if tag == "custom":
        return [str(node.get("type"))]
    if tag in ("pydantic", "pydantic.v1", "class") and "args" in node:
        return _ref_paths({"cls": node.get("cls"), "args": node.get("args")})
    if tag == "sentinel":
        return [str(node.get("ref"))]
    if "cls" in node and tag is not None:
        return [str(node["cls"])]
    return []
