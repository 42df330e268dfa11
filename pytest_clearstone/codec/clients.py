"""SDK clients and their resources, stored as references.

A client (``openai.OpenAI``/``AsyncOpenAI``, ``anthropic.Anthropic``/``AsyncAnthropic``, an
``httpx``/``httpx2`` ``Client``/``AsyncClient``, or a user's subclass of one) is stored as its
class and its non-secret settings — base URL (its password replaced by the placeholder),
timeout, retries — never its keys, headers or query parameters (its keys, the secret values of
its headers and its ``default_headers``, and the URL's password are noted as withheld, and its
other headers and query parameters as sent, for the redaction to tell which are secrets:
:mod:`.withheld`), and
rebuilt by calling the class with those settings and :data:`PLACEHOLDER_KEY`; its HTTP
transport is made when it first sends a request (:class:`DeferredTransport`). A resource
(``client.chat.completions``) is stored as its class, its client's reference and the attribute
path from the client to it, and rebuilt as that attribute of the rebuilt client.

openai's ``AzureOpenAI``/``AsyncAzureOpenAI`` are references too, with their API version (their
deployment is in their base URL), and anthropic's ``AnthropicBedrock`` and ``AnthropicVertex``
(and their async twins), with their region and Vertex's project (:data:`CLOUD_CLIENTS`). The
library's other subclasses that need more to be built (``AnthropicFoundry``) are not
references: register an encoder for them (:func:`pytest_clearstone.codec.register`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import inspect
import sys
import threading
import weakref
from collections import deque
from collections.abc import Callable, Collection, Hashable
from typing import Any
from urllib.parse import unquote

from ..errors import DecodeError
from . import withheld
from .http import SECRET_HEADERS, article, header_pairs, note_secret_header
from .naming import (
    TAG,
    class_path,
    home_module,
    import_type,
    importable_path,
    mro_paths,
    names_class,
    per_type,
)
from .withheld import PLACEHOLDER_KEY

#: openai's Azure clients: their reference also holds their API version (``api_version=``, sent
#: as the ``api-version`` query parameter of every request)
AZURE_CLIENTS = frozenset({"openai.lib.azure:AzureOpenAI", "openai.lib.azure:AsyncAzureOpenAI"})
#: anthropic's clients of Amazon Bedrock and Google Vertex AI, and what their reference also
#: holds: their region (Bedrock's ``aws_region``, which it signs its requests for) and Vertex's
#: Google Cloud project (in the path of every request); never their credentials (AWS keys,
#: session token, access token): rebuilt without them, with the placeholder key or token
CLOUD_CLIENTS = {
    f"anthropic.lib.{cloud}:{prefix}{name}": settings
    for cloud, name, settings in (
        ("bedrock", "AnthropicBedrock", ("aws_region",)),
        ("vertex", "AnthropicVertex", ("region", "project_id")),
    )
    for prefix in ("", "Async")
}
SDK_CLIENTS = (
    frozenset(
        {"openai:OpenAI", "openai:AsyncOpenAI", "anthropic:Anthropic", "anthropic:AsyncAnthropic"}
    )
    | AZURE_CLIENTS
    | CLOUD_CLIENTS.keys()
)


def is_sdk_client(cls: type) -> bool:
    """Whether ``cls`` derives from an openai/anthropic client class (``openai.AzureOpenAI``,
    ``anthropic.AnthropicFoundry``: the SDK's own subclasses no reference stores)."""
    return any(path in SDK_CLIENTS for path in mro_paths(cls))


HTTP_CLIENTS = frozenset(
    {"httpx:Client", "httpx:AsyncClient", "httpx2:Client", "httpx2:AsyncClient"}
)
SDK_RESOURCES = frozenset(
    {
        f"{sdk}._resource:{kind}APIResource"
        for sdk in ("openai", "anthropic")
        for kind in ("Sync", "Async")
    }
)
#: The SDKs' "argument not given" sentinel classes, and the module attribute of their instance.
SENTINELS = {
    f"{sdk}:{cls}": f"{sdk}:{name}"
    for sdk in ("openai", "anthropic")
    for cls, name in (("NotGiven", "NOT_GIVEN"), ("Omit", "omit"))
}
#: The attributes of an SDK client that hold its credentials (given as the keyword arguments
#: of the same names, or read from the environment): openai's ``api_key``, ``admin_api_key``
#: and ``webhook_secret`` (and an Azure client's ``azure_ad_token``), anthropic's ``api_key``,
#: ``auth_token`` and ``webhook_key`` (and a Bedrock client's AWS keys and session token, a
#: Vertex client's access token).
SECRET_ATTRIBUTES = (
    "api_key",
    "admin_api_key",
    "auth_token",
    "webhook_secret",
    "webhook_key",
    "_azure_ad_token",
    "aws_secret_key",
    "aws_access_key",
    "aws_session_token",
    "access_token",
)
#: The attributes of an SDK client that hold headers it sends with every request, which may
#: carry a key (``x-api-key``, ``Authorization``): its ``default_headers`` (both SDKs) and the
#: headers of anthropic's credentials profile or ``config=``.
HEADER_ATTRIBUTES = ("_custom_headers", "_credential_headers")
_MAX_DEPTH = 4
_paths_by_type: dict[tuple[type, type], str | None] = {}
#: the path found to a resource its client holds, by the resource (followed again to check it
#: before it is used): a replayed SDK call encodes its resource to compare its ``self``
_held: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
#: the id of the resource whose path was found last, and that path: an agent makes its calls
#: through one resource, and a weak dictionary's lookup costs more than the rest of the check
_last_held: tuple[int, str] = (0, "")


@per_type
def client_base(t: type) -> str | None:
    """The known client class (``"openai:OpenAI"``, ``"httpx:Client"``, ...) that ``t`` is or
    derives from, when ``t`` can be rebuilt from a reference; else ``None``."""
    paths = mro_paths(t)
    for path in paths:
        if path in SDK_CLIENTS or path in HTTP_CLIENTS:
            # the library's other subclasses (AnthropicFoundry) need settings a reference lacks
            if path == paths[0] or t.__module__.partition(".")[0] != library_of(path):
                return path
            return None
    return None


def library_of(base: str) -> str:
    """The top-level package of known client class ``base`` (``"openai"`` for
    ``"openai.lib.azure:AzureOpenAI"``)."""
    return base.partition(":")[0].partition(".")[0]


@per_type
def is_resource(t: type) -> bool:
    """Whether ``t`` is an openai/anthropic resource class (``Completions``, ``Messages``)."""
    return any(path in SDK_RESOURCES for path in mro_paths(t))


def _timeout(value: Any) -> Any:
    if value is None or type(value) in (int, float):
        return value
    try:  # an httpx/httpx2 Timeout
        return {
            "connect": value.connect,
            "read": value.read,
            "write": value.write,
            "pool": value.pool,
        }
    except AttributeError:
        return _OMIT


_OMIT = object()


def encode_client(v: Any, t: type, base: str) -> dict[str, Any] | None:
    """A client reference: ``cls`` and its settings in ``v``; its credentials are noted as
    withheld."""
    cls = importable_path(t)
    if cls is None:
        return None
    library_class = base.replace(":", ".")
    what = client_name(library_class)
    if base in SDK_CLIENTS:
        for name in SECRET_ATTRIBUTES:
            secret = getattr(v, name, None)
            if secret:  # (described only when there is one: most clients have one or two)
                withheld.note(secret, f"the {name} of {what}")
    for kind, name, value in sent_with_every_request(v, base):
        if kind == "header" and name.lower() in SECRET_HEADERS:
            note_secret_header(name, value, what)
        else:  # (the redaction's rules tell whether it is a secret: a gateway's ?api-key=)
            withheld.note_sent(kind, name, value, what)
    password = split_password(str(v.base_url))[1]
    if password:
        what = f"the password in the base URL of {article(library_class)} client"
        withheld.note(password, what)
        withheld.note(unquote(password), what)
    return {TAG: "sdk_client", "cls": cls, "v": _settings(v, base)}


def client_name(library_class: str) -> str:
    """How a client of the known client class ``library_class`` (``"openai.OpenAI"``) is named
    in a description: ``"an openai.OpenAI client"``, ``"an httpx.Client"``."""
    named = article(library_class)
    return named if library_class.endswith("Client") else f"{named} client"


def sent_with_every_request(v: Any, base: str) -> list[tuple[str, str, str]]:
    """The ``(kind, name, value)`` of each query parameter (``kind`` ``"query"``) and header
    (``"header"``) that client ``v`` (of the known client class ``base``) sends with every
    request, which its reference leaves out: an openai/anthropic client's ``default_query``,
    ``default_headers`` and credential headers (:data:`HEADER_ATTRIBUTES`), an httpx client's
    ``params`` and ``headers``; values that are not text (the SDKs' ``Omit``) are left out."""
    if base in SDK_CLIENTS:  # (most have none: each client of a replay's calls is encoded)
        attributes = vars(v)
        query = attributes.get("_custom_query")
        pairs = [("query", name, value) for name, value in query.items()] if query else []
        for attribute in HEADER_ATTRIBUTES:
            headers = attributes.get(attribute)
            if headers:
                pairs += [("header", name, value) for name, value in headers.items()]
        if not pairs:
            return pairs
    else:
        pairs = [("query", name, value) for name, value in v.params.multi_items()]
        pairs += [("header", name, value) for name, value in header_pairs(v.headers)]
    return [pair for pair in pairs if type(pair[1]) is str and type(pair[2]) is str]


def _settings(v: Any, base: str) -> dict[str, Any]:
    """What a client reference stores of client ``v`` (of the known client class ``base``)."""
    url = vars(v).get("_base_url") if _base_url_is_attribute(type(v)) else None
    settings: dict[str, Any] = {"base_url": _url_text(v.base_url if url is None else url)}
    timeout = _timeout(v.timeout)
    if timeout is not _OMIT:
        settings["timeout"] = timeout
    if base in SDK_CLIENTS:
        settings["max_retries"] = int(v.max_retries)
        if base in AZURE_CLIENTS:
            settings["api_version"] = vars(v).get("_api_version")
        for name in CLOUD_CLIENTS.get(base, ()):
            settings[name] = vars(v).get(name)
    else:
        settings["follow_redirects"] = bool(v.follow_redirects)
    return settings


@per_type
def _base_url_is_attribute(t: type) -> bool:
    """Whether client class ``t``'s ``base_url`` is its library's own property, which returns
    the client's ``_base_url`` (read directly: a replayed SDK call reads it at every call, and
    openai's property runs an import statement at every read, ~13,000 instructions). A subclass
    that defines its own ``base_url`` is read through it."""
    prop = getattr(t, "base_url", None)
    fget = prop.fget if isinstance(prop, property) else None
    library = library_of(client_base(t) or "")
    return bool(library) and getattr(fget, "__module__", "").partition(".")[0] == library


#: the base URL written last, and its text: a replayed SDK call compares its client's settings
#: at every call, and writing an httpx URL out costs more than reading the rest of them (one
#: tuple, replaced whole: a thread reads a URL with its own text)
_last_url: tuple[Any, str] = (None, "")


def _url_text(url: Any) -> str:
    """``str(url)`` with its password replaced (:func:`split_password`); remembered for the
    URL object written last when it is an httpx/httpx2 ``URL`` (immutable)."""
    global _last_url
    held, text = _last_url
    if held is not url:
        text = split_password(str(url))[0]
        if type(url).__module__.partition(".")[0] in ("httpx", "httpx2"):
            _last_url = (url, text)
    return text


def split_password(url: str) -> tuple[str, str]:
    """``url`` with the password of its ``scheme://user:password@host`` replaced by
    :data:`~.withheld.PLACEHOLDER`, and that password as written (URL-encoded; ``""`` when it
    has none, or holds the placeholder already: a client rebuilt from a reference has it
    URL-encoded, ``%5BREDACTED%5D``, and is written as the one it was rebuilt from)."""
    scheme, separator, rest = url.partition("://")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not (separator and at and colon and password):
        return url, ""
    stored = f"{scheme}://{user}:{withheld.PLACEHOLDER}@{host}{rest[end:]}"
    return stored, "" if unquote(password) == withheld.PLACEHOLDER else password


def is_stored_as(v: Any, tree: Any) -> bool | None:
    """Whether client or resource ``v`` encodes to the reference ``tree`` (as :func:`encode_client`
    and :func:`encode_resource` would store it, by the library encoders), found without
    encoding ``v``: a replayed SDK call compares its live ``self`` with the recorded one at
    every call. ``None`` when this cannot tell (``tree`` is no reference of ``v``'s kind, or
    ``v`` would not be stored as one): encode ``v`` to compare."""
    if type(tree) is not dict:
        return None
    found = _found_as.get(id(v))
    if found is not None and found[0] is v and found[1] == tree and _unchanged(found[2]):
        return True
    stored_as = _is_stored_as(v, tree)
    if stored_as:
        client = getattr(v, "_client", None) if tree.get(TAG) == "sdk_resource" else None
        try:
            read = tuple(
                (obj, dict(vars(obj))) for obj in ((v,) if client is None else (v, client))
            )
        except TypeError:  # (an object without attributes of its own: not remembered)
            return stored_as
        if len(_found_as) >= _REBUILT_LIMIT:
            _found_as.clear()
        elif not _found_as:
            _forget_at_exit()
        _found_as[id(v)] = (v, tree, read)
    return stored_as


#: the reference tree each live client or resource was last found stored as (a replayed SDK
#: call compares its ``self`` with the recorded one at every call, ~25,000 instructions): by
#: the object's id, the object, the tree, and the attributes of the object (and of its client)
#: it was read from then; found again while none of them changed (``vars`` compared: a
#: setting given a new value, ``client.max_retries = 5``, is a change)
_found_as: dict[int, tuple[Any, Any, tuple[tuple[Any, dict[str, Any]], ...]]] = {}


def _unchanged(read: tuple[tuple[Any, dict[str, Any]], ...]) -> bool:
    try:
        return all(vars(obj) == attributes for obj, attributes in read)
    except Exception:  # (an attribute whose == raises: read again)
        return False


def _is_stored_as(v: Any, tree: dict[str, Any]) -> bool | None:
    """:func:`is_stored_as`, found by reading ``v`` (``tree``: a dict)."""
    t = type(v)
    tag = tree.get(TAG)
    if tag == "sdk_client":
        base = client_base(t)
        cls = importable_path(t)
        if base is None or cls is None or tree.keys() != _CLIENT_KEYS:
            return None
        return bool(names_class(tree["cls"], t) and tree["v"] == _settings(v, base))
    if tag == "sdk_resource":
        client = getattr(v, "_client", None)
        cls = importable_path(t)
        if client is None or not is_resource(t) or cls is None:
            return None
        if tree.keys() != _RESOURCE_KEYS:
            return None
        # (None for a client of no known class)
        stored = tree["client"]
        same_client = _is_stored_as(client, stored) if type(stored) is dict else None
        if same_client is None:
            return None
        path = resource_path(client, v)
        if path is None:
            return None
        return bool(same_client and names_class(tree["cls"], t) and tree["path"] == path)
    return None


_CLIENT_KEYS = frozenset({TAG, "cls", "v"})
_RESOURCE_KEYS = frozenset({TAG, "cls", "path", "client"})


#: decoded references by a key of their stored form: a golden names its client in every call's
#: arguments, building one costs an SSL context (~30 ms), and calls made through a rebuilt client
#: are the mocked ones, so one client (and one of each of its resources) serves every decode of
#: the same reference
_rebuilt: dict[Hashable, Any] = {}
_REBUILT_LIMIT = 64


def remembered(key: Hashable, build: Callable[[], Any]) -> Any:
    """What ``build()`` made for ``key`` before in this process, else ``build()``'s value, then
    remembered (up to 64 keys at a time; dropped at exit, before interpreter shutdown tears the
    clients' modules down). An exception is not remembered."""
    found = _rebuilt.get(key)
    if found is None:
        found = build()
        if not _rebuilt:
            _forget_at_exit()
        elif len(_rebuilt) >= _REBUILT_LIMIT:
            _rebuilt.clear()
        _rebuilt[key] = found
    return found


def _forget_at_exit() -> None:
    """Have the clients and resources this module keeps (:data:`_rebuilt`, :data:`_found_as`)
    let go at exit, before interpreter shutdown tears their modules down (a client's
    ``__del__`` run after httpx2's module globals are gone prints an ignored error); once."""
    atexit.unregister(_forget_kept)  # (once: a registration made before is dropped)
    atexit.register(_forget_kept)


def _forget_kept() -> None:
    _rebuilt.clear()
    _found_as.clear()


def forget_rebuilt() -> None:
    """Forget the remembered clients and resources. A pytest session calls it when it starts:
    an earlier session of the same process may have imported the SDKs whose modules were since
    dropped and imported again (pytester's in-process runs restore ``sys.modules``), and a
    client built then holds that import's classes, which the new session's patches miss."""
    _rebuilt.clear()


def decode_client(tree: dict[str, Any]) -> Any:
    """The stored client class built with its settings (and :data:`PLACEHOLDER_KEY`); the same
    object for the same stored reference."""
    try:
        key: Hashable = ("sdk_client", tree.get("cls"), _frozen(tree.get("v")))
        hash(key)
    except TypeError:  # not a reference this can remember: rebuilt each time
        return _build_client(tree)
    return remembered(key, lambda: _build_client(tree))


def _frozen(tree: Any) -> Any:
    """A hashable copy of a JSON tree, equal for equal trees whatever their keys' order."""
    if type(tree) is dict:
        return tuple(sorted((k, _frozen(v)) for k, v in tree.items()))
    if type(tree) is list:
        return tuple(_frozen(v) for v in tree)
    return tree


def _build_client(tree: dict[str, Any]) -> Any:
    cls = import_type(tree["cls"])
    base = client_base(cls)
    if base is None:
        raise DecodeError(
            f"{tree['cls']!r} is not an SDK or HTTP client class the codec can rebuild "
            f"(known: {sorted(SDK_CLIENTS | HTTP_CLIENTS)})"
        )
    settings = tree["v"]
    if not isinstance(settings, dict):
        raise DecodeError(f"bad 'sdk_client' value: the settings of {tree['cls']!r}")
    # a subclass that needs more than its settings (Starlette's TestClient: the app) is set up
    # by its library class's __init__ alone: it is written as the same reference again, and an
    # agent the test built keeps its own (load_state), whose calls are the code under test
    init: Any = cls if _built_from(cls, settings.keys()) else import_type(base)
    kwargs = dict(settings)
    library = importlib.import_module(library_of(base))
    if isinstance(kwargs.get("timeout"), dict):
        kwargs["timeout"] = library.Timeout(**kwargs["timeout"])
    is_async = base.partition(":")[2].startswith("Async")
    if base in SDK_CLIENTS:
        # (a Vertex client takes an access token instead)
        kwargs["api_key" if _takes(init, "api_key") else "access_token"] = PLACEHOLDER_KEY
        if _takes(init, "http_client"):
            kwargs.update(_sdk_http_client(library, is_async))
    elif _takes(init, "transport"):
        kwargs["transport"] = _deferred_transport(library, is_async, None)
    try:
        if init is cls:
            return cls(**kwargs)
        client: Any = object.__new__(cls)  # (httpx's and the SDKs' clients define no __new__)
        init.__init__(client, **kwargs)
        return client
    except Exception as exc:
        raise DecodeError(
            f"cannot rebuild the stored client {tree['cls']!r} from {settings}: "
            f"{type(exc).__name__}: {exc}. Register an encoder and decoder for it with "
            f"pytest_clearstone.codec.register"
        ) from None


@per_type
def _keywords(t: type) -> frozenset[str] | None:
    """The keyword arguments class ``t`` is called with, ``None`` for any (``**kwargs``)."""
    try:
        parameters = inspect.signature(t).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters)


@per_type
def _required(t: type) -> frozenset[str]:
    """The parameters class ``t`` cannot be called without (no default; not ``*args`` or
    ``**kwargs``)."""
    try:
        parameters = inspect.signature(t).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return frozenset(p.name for p in parameters if p.default is p.empty and p.kind not in variadic)


def _built_from(t: type, settings: Collection[str]) -> bool:
    """Whether client class ``t`` can be called with the keyword arguments ``settings`` (and
    the key :func:`_build_client` adds)."""
    keywords = _keywords(t)
    if keywords is not None and not all(name in keywords for name in settings):
        return False
    return _required(t) <= {*settings, "api_key"}


def _takes(t: type, name: str) -> bool:
    keywords = _keywords(t)
    return keywords is None or name in keywords


def _sdk_http_client(sdk: Any, is_async: bool) -> dict[str, Any]:
    """``http_client=``: the SDK's own default HTTP client (its timeout, limits and redirects)
    with a deferred transport; nothing when this SDK version has no such client."""
    client_class: Any = getattr(
        sdk, "DefaultAsyncHttpxClient" if is_async else "DefaultHttpxClient", None
    )
    if not isinstance(client_class, type):
        return {}
    base = client_base(client_class)
    if base is None or base not in HTTP_CLIENTS:
        return {}
    http = importlib.import_module(base.partition(":")[0])
    limits = getattr(sdk, "DEFAULT_CONNECTION_LIMITS", None)
    return {"http_client": client_class(transport=_deferred_transport(http, is_async, limits))}


def is_http_send(owner: Any, name: str) -> bool:
    """Whether attribute ``name`` of ``owner`` is the ``send`` of an ``httpx``/``httpx2``
    ``Client`` or ``AsyncClient`` class, or of a subclass of one."""
    return name == "send" and isinstance(owner, type) and client_base(owner) in HTTP_CLIENTS


def http_send_of(sdk: str, is_async: bool) -> str | None:
    """The ``send`` of the HTTP client class under the SDK of top-level package ``sdk``, the
    class of what its clients hold as ``_client`` (``"httpx2.Client.send"``,
    ``"httpx2.AsyncClient.send"`` for an async client); ``None`` when ``sdk`` is not imported or
    has no such client. The SDK's module is read, not imported."""
    client_class: Any = getattr(
        sys.modules.get(sdk), "DefaultAsyncHttpxClient" if is_async else "DefaultHttpxClient", None
    )
    for base in getattr(client_class, "__mro__", ()):
        library = home_module(base).partition(".")[0]
        if library in ("httpx", "httpx2") and base.__name__ in ("Client", "AsyncClient"):
            return f"{library}.{base.__name__}.send"
    return None


def _deferred_transport(http: Any, is_async: bool, limits: Any) -> Any:
    """A transport of HTTP library ``http`` (httpx or httpx2) that makes the library's own
    (with ``limits`` when given) when its client first sends a request."""
    make_class = http.AsyncHTTPTransport if is_async else http.HTTPTransport

    def make() -> Any:
        return make_class() if limits is None else make_class(limits=limits)

    return DeferredAsyncTransport(make) if is_async else DeferredTransport(make)


class _Deferred:
    """Makes a transport once, when it is first needed (by any thread)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None
        self._lock = threading.Lock()

    def transport(self) -> Any:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made


class DeferredTransport(_Deferred):
    """The HTTP transport of a rebuilt sync client: the library's own, made when the client
    first sends a request. A rebuilt client's calls are the mocked ones, and making a transport
    loads certificates into an SSL context and imports the HTTP core (~30 ms, most of a golden
    suite's one-time work); a call that is not mocked goes out as it would have (when the
    network is allowed)."""

    def handle_request(self, request: Any) -> Any:
        return self.transport().handle_request(request)

    def close(self) -> None:
        if self._made is not None:
            self._made.close()

    def __enter__(self) -> DeferredTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class DeferredAsyncTransport(_Deferred):
    """:class:`DeferredTransport` for a rebuilt async client."""

    async def handle_async_request(self, request: Any) -> Any:
        return await self.transport().handle_async_request(request)

    async def aclose(self) -> None:
        if self._made is not None:
            await self._made.aclose()

    async def __aenter__(self) -> DeferredAsyncTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _children(obj: Any, create: bool) -> list[tuple[str, Any]]:
    """(name, resource) attributes of a client or resource: those already created, or with
    ``create`` every cached property (resources are created on first access)."""
    if not create:
        return [
            (name, value)
            for name, value in sorted(vars(obj).items())
            if not name.startswith("_") and is_resource(type(value))
        ]
    out = []
    for name in dir(type(obj)):
        if name.startswith("_") or not isinstance(
            inspect.getattr_static(type(obj), name, None), functools.cached_property
        ):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # a property that cannot be built here is not our resource
            continue
        if is_resource(type(value)):
            out.append((name, value))
    return out


def _find(client: Any, resource: Any, create: bool) -> str | None:
    queue: deque[tuple[Any, str, int]] = deque([(client, "", 0)])
    while queue:
        obj, path, depth = queue.popleft()
        for name, value in _children(obj, create):
            child = f"{path}.{name}" if path else name
            same = type(value) is type(resource) if create else value is resource
            if same:
                return child
            if depth + 1 < _MAX_DEPTH:
                queue.append((value, child, depth + 1))
    return None


def resource_path(client: Any, resource: Any) -> str | None:
    """The attribute path from ``client`` to ``resource`` (``"chat.completions"``): where the
    client holds that very object, else where it creates one of the same class (tried first
    where the resource's module says it lives, ``openai.resources.chat.completions...``:
    creating every resource of a client imports the whole SDK)."""
    global _last_held
    resource_id, last = _last_held
    if resource_id == id(resource) and _follow(client, last) is resource:
        return last  # (checked: another object may have the id of one gone)
    try:
        known = _held.get(resource)
    except TypeError:  # not hashable or not weakly referenceable: not remembered
        known = None
    if known is not None and _follow(client, known) is resource:
        _last_held = (id(resource), known)
        return known
    found = _find(client, resource, create=False)
    if found is not None:
        with contextlib.suppress(TypeError):
            _held[resource] = found
        _last_held = (id(resource), found)
    else:
        key = (type(client), type(resource))
        if key not in _paths_by_type:
            _paths_by_type[key] = _by_module(client, type(resource)) or _find(
                client, resource, create=True
            )
        found = _paths_by_type[key]
    return found


def _follow(obj: Any, path: str) -> Any:
    """The object at attribute ``path`` from ``obj``, ``None`` when there is none."""
    try:
        for name in path.split("."):
            obj = getattr(obj, name)
    except Exception:  # a property that cannot be read here leads nowhere
        return None
    return obj


def _by_module(client: Any, t: type) -> str | None:
    """The path the module of resource class ``t`` names under the SDK's ``resources``
    package (a repeated name once: ``chat.completions.completions`` -> ``chat.completions``),
    if the client has a resource of that class there."""
    parts = t.__module__.split(".")
    if "resources" not in parts:
        return None
    names: list[str] = []
    for part in parts[parts.index("resources") + 1 :]:
        if not names or names[-1] != part:
            names.append(part.lstrip("_"))
    obj = client
    try:
        for name in names:
            obj = getattr(obj, name)
    except Exception:
        return None
    return ".".join(names) if type(obj) is t else None


def encode_resource(v: Any, t: type, enc_client: Any) -> dict[str, Any] | None:
    """A resource reference: ``cls``, ``path`` from the client and the ``client`` reference
    (encoded by ``enc_client(client)``)."""
    client = getattr(v, "_client", None)
    cls = importable_path(t)
    if client is None or client_base(type(client)) is None or cls is None:
        return None
    path = resource_path(client, v)
    if path is None:
        return None
    return {TAG: "sdk_resource", "cls": cls, "path": path, "client": enc_client(client)}


def decode_resource(tree: dict[str, Any]) -> Any:
    """The resource at the stored path of the (already rebuilt) client."""
    client = tree["client"]
    path = tree["path"]
    if not isinstance(path, str) or not path:
        raise DecodeError(f"bad 'sdk_resource' value: path {path!r}")
    obj = client
    try:
        for name in path.split("."):
            obj = getattr(obj, name)
    except AttributeError as exc:
        raise DecodeError(
            f"cannot find the stored resource {tree['cls']!r} at {path!r} of a "
            f"{type(client).__name__}: {exc}; re-record the golden"
        ) from None
    if not names_class(tree["cls"], type(obj)):
        raise DecodeError(
            f"{type(client).__name__}.{path} is a {class_path(type(obj))!r} now, the stored "
            f"resource is a {tree['cls']!r}; re-record the golden"
        )
    return obj


def encode_sentinel(t: type) -> dict[str, Any]:
    """openai/anthropic ``NOT_GIVEN``/``omit``: a reference to the SDK's own instance."""
    return {TAG: "sentinel", "ref": SENTINELS[class_path(t)]}


def decode_sentinel(tree: dict[str, Any]) -> Any:
    """The SDK's sentinel instance named by ``ref``."""
    ref = tree["ref"]
    if ref not in SENTINELS.values():
        raise DecodeError(
            f"bad 'sentinel' value: {ref!r} is not one of {sorted(SENTINELS.values())}"
        )
    module_name, _, name = str(ref).partition(":")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise DecodeError(f"cannot import the stored sentinel {ref!r}: {exc}") from None
