"""The network guard: a replayed test opens no network connection unless its host is allowed.

While a :class:`NetworkGuard` is active, ``socket.socket.connect`` and ``connect_ex`` (and so
``socket.create_connection``, ``http.client``, ``urllib``, ``httpx``, ``requests`` and asyncio's
selector event loops, which all connect through them) raise :class:`NetworkBlockedError` for an
internet address (``AF_INET``/``AF_INET6``) that the :class:`HostAllowList` does not allow. No
address is allowed by default, loopback included; Unix sockets are never guarded.

The ``socket`` patches are shared: installed by the first guard to start, or by
:func:`hold_socket_hooks` for longer (the plugin holds them for a replaying session, so no test
patches ``socket`` at all: a guard starting or stopping only joins or leaves the active guards
the patched functions consult), and undone when the last holder lets go. With no guard active
they call the originals. A guard starting patches ``connect`` and ``connect_ex`` again where
another patch of ``socket`` replaced them since (pytest-socket's teardown does, after every test,
and pytest-recording's ``--block-network`` while a test runs).

Every blocked attempt is kept (:attr:`NetworkGuard.attempts`), so the caller can fail the test
afterwards even when the agent or an SDK retry loop swallowed the exception. An attempt from a
background thread that existed before the guard started (a telemetry uploader) is blocked with a
plain ``ConnectionRefusedError``, which such threads expect and handle, and is reported as a
:class:`NetworkBlockedWarning` rather than an error.

A child the test's process forks inherits the patches: a connection blocked there is also told
to the test's process (:mod:`.processes`), which fails the test even when the child swallowed it.
DNS lookups (``socket.getaddrinfo``) run as usual. One that fails (a machine without DNS, a name
that does not exist) for a host name the guard does not allow is blocked as the connection it was
for would have been: where the name resolves, that connection is blocked at ``connect``, so the
replay fails the same way with or without DNS (an allowed name's failed lookup raises its own
``socket.gaierror``).

Not covered: connections made by processes started afresh (spawn, forkserver, subprocesses), by
C extensions or event loops that connect without going through Python's ``socket.socket``
(uvloop, the Windows proactor loop, grpc's C core, libcurl), by a raw ``_socket.socket``;
datagrams sent with ``sendto`` to an address without ``connect``.
"""

from __future__ import annotations

import contextvars
import errno
import functools
import ipaddress
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import Any, NamedTuple, TypeAlias

from ..callables import drive, named_after
from ..errors import NetworkBlockedError, NetworkBlockedWarning
from .processes import tell_parent
from .targets import Patches, PatchStack, public_path

__all__ = ["BlockedConnection", "HostAllowList", "NetworkGuard", "hold_socket_hooks"]

_Address: TypeAlias = "ipaddress.IPv4Address | ipaddress.IPv6Address"
_Network: TypeAlias = "ipaddress.IPv4Network | ipaddress.IPv6Network"

_GUARDED_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})
_MAX_NAMES = 4096  # host names remembered from getaddrinfo, to name an address in messages
_BLOCKED = ("connect", "connect_ex")  # the methods of socket.socket the guards patch


def _ip(text: str) -> _Address | None:
    """``text`` as an IP address (an IPv4-mapped IPv6 address as its IPv4 one), else ``None``."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _text(value: Any) -> Any:
    """``value`` as text where it is bytes (a host or port given to ``socket`` as bytes), else
    as it is."""
    return (
        bytes(value).decode("ascii", "replace") if isinstance(value, (bytes, bytearray)) else value
    )


def _loopback_entry(host: str) -> str:
    """The ``clearstone_allow_hosts`` entry that allows the loopback address ``host`` on any
    port (``localhost`` for the usual ones), or ``""`` when ``host`` is not a loopback
    address."""
    if _host_name(host) == "localhost":
        return "localhost"
    ip = _ip(host)
    if ip is None or not ip.is_loopback:
        return ""
    return "localhost" if str(ip) in ("127.0.0.1", "::1") else str(ip)


def _host_name(text: str) -> str:
    return text.lower().rstrip(".")


def _bad_entry(entry: str, problem: str) -> ValueError:
    return ValueError(
        f"clearstone_allow_hosts: {entry!r} is not a host name, an IP address or a network "
        f"(each optionally with :port, an IPv6 address then in brackets): {problem}"
    )


def _split(entry: str) -> tuple[str, int | None]:
    """``"host"``, ``"host:port"``, ``"[v6]:port"``, ``"v6"`` -> ``(host, port or None)``."""
    text = entry.strip()
    if not text:
        raise _bad_entry(entry, "it is empty")
    if "://" in text:  # (its credentials, if any, are not repeated)
        host = text.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]
        raise _bad_entry(entry, "a URL: give its host alone" + (f", as {host!r}" if host else ""))
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise _bad_entry(entry, "a '[' without its ']'")
        host, rest = text[1:end], text[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise _bad_entry(entry, f"{rest!r} after the ']'")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:  # a name, an IPv4 address or network, or an IPv6 one without a port
        return text, None
    if not host:
        raise _bad_entry(entry, "no host before the port")
    digits = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
    if not digits or not 0 < int(port_text) < 65536:
        raise _bad_entry(entry, f"the port {port_text[:20]!r} is not a number from 1 to 65535")
    return host, int(port_text)


_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def _checked_host_name(entry: str, host: str) -> str:
    """``host`` as the rules compare it (:func:`_host_name`). Refused: a host name no lookup
    could resolve (a wildcard, a character a name cannot hold, an empty label), which would
    never match and fail replays later. Letters, digits, ``-`` and ``_`` (container service
    names) per label; a name in another script is checked in its IDNA form."""
    if "*" in host:
        raise _bad_entry(
            entry, "wildcards are not supported: list each host, or give a network (10.0.0.0/8)"
        )
    name = _host_name(host)
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise _bad_entry(entry, "it is not a valid host name") from None
    if len(ascii_name) > 253 or not all(map(_LABEL.fullmatch, ascii_name.split("."))):
        raise _bad_entry(
            entry,
            "a host name is labels of letters, digits, '-' and '_' separated by single dots",
        )
    return name


def _refuse_a_list(entry: str) -> None:
    """Refuse a line holding several good entries (``localhost, api.internal``): the ini option
    takes one a line."""
    parts = [part for part in re.split(r"[\s,]+", entry) if part]
    if len(parts) < 2:
        return
    try:
        HostAllowList(parts)
    except ValueError:
        return  # (not a list of entries: the line is told as what it is)
    raise _bad_entry(entry, "several hosts on one line: give one per line")


class _Rule(NamedTuple):
    port: int | None  # None: any port
    network: _Network | None = None
    name: str | None = None

    def allows(self, ip: _Address | None, name: str | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if ip is not None and self.network is not None:
            # (ipaddress answers `IPv4Address in IPv6Network` without comparing the versions)
            return ip.version == self.network.version and ip in self.network
        return name is not None and name == self.name


class HostAllowList:
    """The hosts a guarded test may connect to (the ini option ``clearstone_allow_hosts``).

    Each entry is a host name (``api.internal``, ``localhost``), an IP address (``10.0.0.7``,
    ``::1``) or a network (``10.0.0.0/8``), optionally with a port (``localhost:8080``,
    ``[::1]:8080``); without a port every port is allowed. A malformed entry raises
    ``ValueError`` here, naming it.

    Host names are resolved to their addresses once, by the first :meth:`resolve` (a
    :class:`NetworkGuard` calls it when it starts, before it patches anything): share one
    ``HostAllowList`` between guards to resolve once per session. A name that does not resolve
    allows only connections made to the name itself and is listed in :attr:`unresolved`.
    """

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries: tuple[str, ...] = tuple(entries)
        self.unresolved: tuple[str, ...] = ()
        self._rules: list[_Rule] = []
        self._names: list[tuple[str, int | None]] = []
        self._resolved = False
        self._lock = threading.Lock()
        for entry in self.entries:
            _refuse_a_list(entry)
            host, port = _split(entry)
            if "/" in host:
                try:
                    network = ipaddress.ip_network(host, strict=False)
                except ValueError as exc:
                    raise _bad_entry(entry, str(exc)) from None
                self._rules.append(_Rule(port, network=network))
            elif (ip := _ip(host)) is not None:
                self._rules.append(_Rule(port, network=ipaddress.ip_network(ip)))
            else:
                self._rules.append(_Rule(port, name=_checked_host_name(entry, host)))
                self._names.append((host, port))

    def guard(self, *, label: str, during: Callable[[], str] | None = None) -> NetworkGuard:
        """A :class:`NetworkGuard` allowing these hosts, for the test ``label`` names in its
        errors (``during``: see :class:`NetworkGuard`)."""
        return NetworkGuard(self, label=label, during=during)

    def resolve(self) -> None:
        """Resolve the host names to addresses (once; later calls do nothing)."""
        if self._resolved:
            return
        with self._lock:
            if self._resolved:
                return
            unresolved = []
            for name, port in self._names:
                try:
                    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
                except (OSError, UnicodeError, ValueError):
                    unresolved.append(name)
                    continue
                for info in infos:
                    ip = _ip(str(info[4][0]))
                    if ip is not None:
                        self._rules.append(_Rule(port, network=ipaddress.ip_network(ip)))
            self.unresolved = tuple(unresolved)
            self._resolved = True

    def allows(self, host: str, port: int) -> bool:
        """Whether a connection to ``host`` (an address, or a name as given to ``connect``)
        and ``port`` is allowed. Names are compared as given: nothing is resolved here."""
        ip = _ip(host)
        name = None if ip is not None else _host_name(host)
        return any(rule.allows(ip, name, port) for rule in self._rules)

    def __repr__(self) -> str:
        return f"HostAllowList({list(self.entries)!r})"


#: the environment variables naming a proxy that HTTP clients (httpx, requests, urllib) use,
#: lower-cased, with the default port of each scheme a proxy URL may have
_PROXY_VARIABLES = frozenset({"https_proxy", "http_proxy", "all_proxy"})
_PROXY_PORTS = {"http": 80, "https": 443, "socks4": 1080, "socks5": 1080, "socks5h": 1080}


def _proxy_variables(host: str, name: str | None, port: int) -> tuple[str, ...]:
    """The environment variables (``HTTPS_PROXY``, ...) whose proxy is ``host`` (an address, or
    the ``name`` it was looked up for) and ``port``: a connection to it carries a request for
    another host. Read when a connection is blocked, never before."""
    from urllib.parse import urlsplit

    ip = _ip(host)
    found = []
    for variable, value in sorted(os.environ.items()):
        if variable.lower() not in _PROXY_VARIABLES or not value.strip():
            continue
        text = value.strip()
        try:
            url = urlsplit(text if "://" in text else f"http://{text}")
            proxy_port = url.port or _PROXY_PORTS.get(url.scheme.lower())
        except ValueError:  # (a malformed port: no client connects to it either)
            continue
        proxy_host = url.hostname or ""
        if proxy_port != port or not proxy_host:
            continue
        proxy_ip = _ip(proxy_host)
        if (proxy_ip is not None and proxy_ip == ip) or _host_name(proxy_host) in (
            _host_name(host),
            _host_name(name or ""),
        ):
            found.append(variable)
    return tuple(found)


class BlockedConnection(NamedTuple):
    """One connection the guard blocked."""

    host: str  #: the address as given to ``connect`` (usually an IP address)
    port: int | None
    thread: str  #: the name of the thread that tried to connect
    background: bool  #: from a thread that existed before the guard started (a warning)
    name: str | None = None  #: the host name the address was looked up for, when seen
    during: str | None = None  #: what the test was doing (a fixture's set-up); None: its call
    proxy: tuple[str, ...] = ()  #: the variables (HTTPS_PROXY) whose proxy the address is
    #: the telemetry whose upload it was: ``"opentelemetry"`` (an exporter sending the agent's
    #: spans, logs or metrics), ``"langsmith"`` (LangSmith's tracing), ``"openai-agents"``
    #: (the OpenAI Agents SDK's tracing), ``""``: none
    telemetry: str = ""
    #: the module of the MCP client's transport that connected (``mcp.client.sse``), or ``""``
    mcp: str = ""
    #: why the host name's lookup failed (``[Errno -2] Name or service not known``): blocked at
    #: the lookup, ``host`` being the name; ``""``: blocked at ``connect``
    lookup_error: str = ""
    #: the import path of the openai/anthropic SDK method whose request it was
    #: (``openai.resources.conversations.conversations.Conversations.create``), or ``""``
    sdk_method: str = ""
    #: the encoding whose file tiktoken was downloading (``o200k_base``; ``"?"``: not seen), or
    #: ``""`` when the connection was not tiktoken's
    tiktoken: str = ""
    #: the LangChain embeddings class whose call it was (``langchain_openai.OpenAIEmbeddings``,
    #: see :func:`_embeddings`): its methods are the ones to mock, or ``""``
    embeddings: str = ""
    #: the path of the vcrpy cassette whose stub let the request through (see
    #: :func:`_vcrpy_cassette`), or ``""``
    cassette: str = ""
    #: the method of the LangChain model whose request it was
    #: (``langchain_openai.ChatOpenAI.invoke``, see :func:`_langchain_model_method`), or ``""``
    chat_model: str = ""
    #: the library function the user's code called that made the connection, and where
    #: (:func:`~pytest_clearstone.frames.users_call`), or ``""``
    caller: str = ""

    def describe(self) -> str:
        """``api.example.com (93.184.215.14) port 443``."""
        where = f"{self.name} ({self.host})" if self.name and self.name != self.host else self.host
        return where if self.port is None else f"{where} port {self.port}"


#: the guard whose test this context belongs to: a job the test hands to a thread that existed
#: before the guard started still counts as the test's when its context was propagated
_owner: contextvars.ContextVar[NetworkGuard | None] = contextvars.ContextVar(
    "clearstone_network_guard", default=None
)


class NetworkGuard(Patches):
    """Blocks network connections to hosts not allowed, while active (a context manager).

    ``allow_hosts`` is a :class:`HostAllowList` or its entries; ``label`` names the test in
    messages (its node id). ``during``, for a guard around something other than the test's own
    call (its fixtures' set-up), is called in the connecting thread when a connection is
    blocked and says what was running (``"the set-up of fixture 'index' (session scope)"``),
    for the messages. ``lets_through``, when set, is called in the connecting thread first:
    ``True`` lets the connection through, as not the test's (a fixture only other tests use,
    finalised in this test's teardown). A blocked connection raises
    :class:`NetworkBlockedError` in the thread that started the guard and in every thread
    started after it; in a thread that already existed (other than the starting one) it raises
    ``ConnectionRefusedError`` and is reported by :meth:`warnings`. After the test,
    :meth:`error` gives the error to fail it with, if any connection was blocked, whether or
    not the code under test swallowed the exception.

    The patches are undone on exit (unless :func:`hold_socket_hooks` holds them), also when
    entering fails halfway. Entering again while active raises ``RuntimeError``; the recorded
    attempts are kept after exit, until the guard is started again (one guard can watch one
    phase after another, ``during`` set for each).
    """

    def __init__(
        self,
        allow_hosts: HostAllowList | Iterable[str] = (),
        *,
        label: str = "the test",
        during: Callable[[], str] | None = None,
    ) -> None:
        self.allow = (
            allow_hosts if isinstance(allow_hosts, HostAllowList) else HostAllowList(allow_hosts)
        )
        self.label = label
        self.during = during
        self.lets_through: Callable[[], bool] | None = None
        self._attempts: list[BlockedConnection] = []
        #: the error the first blocked connection of the test's raised, where it was made
        self._raised: NetworkBlockedError | None = None
        self._lock = threading.Lock()
        self._starter: threading.Thread | None = None
        self._pid = 0  # the process that started the guard
        # the threads that existed when the guard started, held (so that their ids stay
        # theirs while the guard lives), and the idents of all running threads then (those not
        # started by `threading`, by C libraries or _thread, are only known by ident); made
        # into the sets _is_background asks only when a connection is blocked
        self._threads_before: list[threading.Thread] = []
        self._idents_before: tuple[int, ...] = ()
        self._sets: tuple[frozenset[int], frozenset[int]] | None = None

    # -- starting and stopping -----------------------------------------------------------------
    def apply(self, stack: PatchStack) -> None:
        self.allow.resolve()  # before patching: resolving may connect (to a DNS server)
        self._attempts = []  # (those of its last activity are kept until it starts again)
        self._raised = None
        self._note_threads()
        _hooks.hold()
        token = _owner.set(self)
        _hooks.join(self)  # (a tuple replaced under a lock: nothing here raises after hold)
        # one undo for the three (a guard starts and stops three times per replaying test)
        stack.push(functools.partial(self._end, token))

    def _end(self, token: contextvars.Token[NetworkGuard | None]) -> None:
        """Undo :meth:`apply`: leave the active guards, give the context its owner back, and
        let the socket hooks go (each step also when one before it failed)."""
        try:
            _hooks.leave(self)
        finally:
            try:
                _reset_owner(token)
            finally:
                _hooks.release()

    def _note_threads(self) -> None:
        self._pid = os.getpid()
        self._starter = threading.current_thread()
        self._threads_before = threading.enumerate()
        self._idents_before = tuple(sys._current_frames())
        self._sets = None

    # -- what was blocked ----------------------------------------------------------------------
    @property
    def attempts(self) -> list[BlockedConnection]:
        """Every blocked connection, in order."""
        with self._lock:
            return list(self._attempts)

    def error(self) -> NetworkBlockedError | None:
        """The error to fail the test with: its first blocked connection (the others listed),
        or ``None`` when the test's threads tried none. It is the error that connection raised
        (or, with others listed, one carrying its traceback): raised again, it shows, and
        ``--pdb`` opens, where the connection was made, also when the code swallowed it."""
        if not self._attempts:
            return None
        blocked = [a for a in self.attempts if not a.background]
        if not blocked:
            return None
        raised = self._raised
        first = blocked[0]
        if first.telemetry and raised is not None:
            # (not where a telemetry library made it: no debugging there, and the frame that
            # caught it, shown with its arguments, holds the upload's key in its headers)
            raised = raised.with_traceback(None)
        if raised is not None and len(blocked) == 1:
            return raised
        made = NetworkBlockedError(
            first.host,
            first.port,
            self.label,
            name=first.name,
            thread=first.thread,
            others=[a.describe() for a in blocked[1:]],
            unresolved=self.allow.unresolved,
            during=first.during,
            proxy=first.proxy,
            telemetry=first.telemetry,
            mcp=first.mcp,
            lookup_error=first.lookup_error,
            sdk_method=first.sdk_method,
            tiktoken=first.tiktoken,
            embeddings=first.embeddings,
            loopback=_loopback_entry(first.host),
        )
        return made if raised is None else made.with_traceback(raised.__traceback__)

    def warnings(self) -> list[NetworkBlockedWarning]:
        """One warning per connection blocked in a background thread the test did not start."""
        if not self._attempts:
            return []
        return [
            NetworkBlockedWarning(
                a.host, a.port, self.label, name=a.name, thread=a.thread, telemetry=a.telemetry
            )
            for a in self.attempts
            if a.background
        ]

    # -- what the patched functions ask ------------------------------------------------------
    def _check(self, sock: socket.socket, address: Any) -> None:
        __tracebackhide__ = True
        try:
            family = sock.family
        except Exception:  # (a closed or odd socket: connect itself reports the problem)
            return
        if family not in _GUARDED_FAMILIES:
            return
        if not isinstance(address, tuple) or len(address) < 2:
            return  # not an internet address: connect raises its own TypeError
        host, port = _text(address[0]), address[1]
        if not isinstance(host, str) or not isinstance(port, int):
            return  # likewise
        if self.allow.allows(host, port):
            return
        attempt = self._attempt(host, port, _hooks.names.get(host))
        if attempt is None:
            return
        if attempt.background:
            raise ConnectionRefusedError(
                errno.ECONNREFUSED,
                f"pytest-clearstone's network guard blocked a connection to "
                f"{attempt.describe()} from a background thread during the replay of "
                f"{self.label}",
            )
        # socket.create_connection (like urllib3's) closes its socket on OSError only: a
        # blocked one would be left to the garbage collector, and a ResourceWarning
        sock.close()
        self._raise(attempt)

    def _check_lookup(self, host: Any, port: Any, failure: OSError) -> None:
        """After ``socket.getaddrinfo(host, port)`` failed with ``failure``: raise the
        :class:`NetworkBlockedError` the connection to a host name not allowed would have raised
        at ``connect`` where the name resolves (a background thread's attempt is only kept, for
        its warning; the caller raises ``failure``). A lookup without a port is allowed only by
        an entry without one."""
        __tracebackhide__ = True
        host, port = _text(host), _text(port)
        if isinstance(port, str) and port.isascii() and port.isdigit():
            port = int(port)
        if not isinstance(host, str) or not host or _ip(host) is not None:
            return  # (no name: a lookup for binding, or an address the guard checks itself)
        number = port if isinstance(port, int) else None
        if self.allow.allows(host, 0 if number is None else number):
            return
        attempt = self._attempt(host, number, None, lookup_error=str(failure) or repr(failure))
        if attempt is not None and not attempt.background:
            self._raise(attempt)

    def _attempt(
        self, host: str, port: int | None, name: str | None, *, lookup_error: str = ""
    ) -> BlockedConnection | None:
        """The blocked attempt to reach ``host`` (``name``: the host name it was looked up
        for), kept at once when it is a background thread's; ``None`` when it is let through
        (:attr:`lets_through`)."""
        background = self._is_background()
        if not background and self.lets_through is not None and self.lets_through():
            return None
        attempt = BlockedConnection(
            host,
            port,
            threading.current_thread().name,
            background,
            name,
            None if self.during is None or background else self.during(),
            () if port is None else _proxy_variables(host, name, port),
            _telemetry(),
            _mcp_transport(),
            lookup_error,
            "" if background else _sdk_method(),
            "" if background else _tiktoken_download(),
            "" if background else _embeddings(),
            "" if background else _vcrpy_cassette(),
            "" if background else _langchain_model_method(),
            "" if background else _users_call(),
        )
        if background:
            with self._lock:
                self._attempts.append(attempt)
        return attempt

    def _raise(self, attempt: BlockedConnection) -> None:
        """Keep the test's blocked ``attempt`` and raise its error (told to the test's process
        from a forked child)."""
        __tracebackhide__ = True
        error = NetworkBlockedError(
            attempt.host,
            attempt.port,
            self.label,
            name=attempt.name,
            thread=attempt.thread,
            unresolved=self.allow.unresolved,
            during=attempt.during,
            proxy=attempt.proxy,
            telemetry=attempt.telemetry,
            mcp=attempt.mcp,
            lookup_error=attempt.lookup_error,
            sdk_method=attempt.sdk_method,
            tiktoken=attempt.tiktoken,
            embeddings=attempt.embeddings,
            cassette=attempt.cassette,
            chat_model=attempt.chat_model,
            loopback=_loopback_entry(attempt.host),
            caller=attempt.caller,
        )
        with self._lock:  # (the first attempt's error is the first attempt's, whatever thread)
            self._attempts.append(attempt)
            if self._raised is None:
                self._raised = error
        if os.getpid() != self._pid:  # a child forked since: its test fails, swallowed or not
            tell_parent(error)
        # (a blocked connection is no transient failure: a LangGraph node is not run again)
        from .retries import refuse_retries  # (only when a connection is blocked)

        refuse_retries()
        raise error

    def _is_background(self) -> bool:
        """Whether the current thread existed before the guard started (and did not start it),
        and runs no job of the test (see :mod:`.threads`)."""
        if _owner.get() is self:
            return False
        thread = threading.current_thread()
        if thread is self._starter:
            return False
        if self._sets is None:
            known = {t.ident for t in self._threads_before}
            foreign = frozenset(i for i in self._idents_before if i not in known)
            self._sets = (frozenset(map(id, self._threads_before)), foreign)
        before, foreign = self._sets
        if id(thread) in before:
            return True
        return isinstance(thread, threading._DummyThread) and thread.ident in foreign

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"<NetworkGuard {state} for {self.label} allow={list(self.allow.entries)}>"


#: the packages whose connections send telemetry, and whose telemetry it is: OpenTelemetry's
#: SDK and exporters, LangSmith's client (the runs of ``@traceable``, ``wrap_openai`` and
#: LangChain's tracer, uploaded while LANGSMITH_TRACING or LANGCHAIN_TRACING_V2 is on), the
#: OpenAI Agents SDK's tracing (its exporter uploads every run's trace, on by default)
_TELEMETRY_MODULES = {
    "opentelemetry.sdk.": "opentelemetry",
    "opentelemetry.exporter.": "opentelemetry",
    "langsmith.": "langsmith",
    "agents.tracing.": "openai-agents",
}


#: the modules of the ``mcp`` SDK's network transports (not its session: a callback of the
#: agent's, sampling with a live model, runs under ``mcp.client.session``)
_MCP_CLIENT = ("mcp.client.streamable_http", "mcp.client.sse", "mcp.client.websocket")


def flush_sdk_traces() -> None:
    """Have the OpenAI Agents SDK's trace processors export the traces they hold, now: called
    while a replaying test's guard is on, after its run was traced. Its batch processor uploads
    every few seconds and when the process exits, after the guard has stopped: the replayed
    run would reach the account unseen. Flushed here, the upload is blocked (the processor drops
    the batch) and fails the test, naming the SDK's tracing and the fix."""
    tracing = sys.modules.get("agents.tracing")
    flush = getattr(tracing, "flush_traces", None)
    if callable(flush):
        flush()


def _telemetry() -> str:
    """Whose telemetry the current thread sends when it connects from inside one of
    :data:`_TELEMETRY_MODULES` (a span processor exporting, ``force_flush``, LangSmith's
    uploading thread), else ``""``: asked only for a blocked connection."""
    module = _calling_module(tuple(_TELEMETRY_MODULES))
    kind = next((kind for p, kind in _TELEMETRY_MODULES.items() if module.startswith(p)), "")
    if kind == "openai-agents":  # (the installed SDK's ``agents``, not a project's own)
        from ..releases import installed_by

        return kind if installed_by(kind, "agents") else ""
    return kind


def _mcp_transport() -> str:
    """The module of the MCP client transport (:data:`_MCP_CLIENT`) making the current
    connection, else ``""``: on the current stack, or, for a connection made in a task of an
    anyio task group (httpx's connect), on the stack awaited by the task that started it or by
    one of its ancestors. Asked only for a blocked connection."""
    module = _calling_module(_MCP_CLIENT)
    if module:
        return module
    for coro in _starting_tasks_coros():
        for frame in _awaited_frames(coro):
            module = str(frame.f_globals.get("__name__", ""))
            if module.startswith(_MCP_CLIENT):
                return module
    return ""


def _starting_tasks_coros() -> Iterator[Any]:
    """The coroutines of the tasks that started the current one (an anyio task group's, as
    httpx's connect runs in one), its parent's first, then their ancestors'; none where anyio
    is not imported or no async library it knows runs here (a plain thread)."""
    anyio = sys.modules.get("anyio")
    if anyio is None:
        return
    try:
        task = anyio.get_current_task()
        tasks = {info.id: info for info in anyio.get_running_tasks()}
    except Exception:  # (no anyio-known async library runs here: a plain thread)
        return
    parent, depth = task.parent_id, 0
    while parent in tasks and depth < 100:  # (a bound: task trees are shallow)
        yield tasks[parent].coro
        parent, depth = tasks[parent].parent_id, depth + 1


def _current_task_coro() -> Any:
    """The coroutine of the current task (anyio-known), else ``None``."""
    anyio = sys.modules.get("anyio")
    try:
        return None if anyio is None else anyio.get_current_task().coro
    except Exception:  # (no anyio-known async library runs here: a plain thread)
        return None


def _awaited_frames(coro: Any) -> list[FrameType]:
    """The frames of ``coro`` and of what it awaits, outermost first (through the coroutine
    the plugin's :func:`~pytest_clearstone.callables.drive` steps, which it does not await)."""
    frames: list[FrameType] = []
    for _ in range(200):  # (a bound: await chains are not deeper)
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        if frame.f_code is drive.__code__:  # (the replay steps the agent's coroutine itself)
            coro = frame.f_locals.get("coro")
        else:
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def _users_call() -> str:
    """:func:`~pytest_clearstone.frames.users_call` from the connecting code's frame outwards;
    in a task an anyio task group started (httpx's connect), on from that task's first frame
    to what the tasks that started it await (innermost first), not to the event loop's frames
    under it, which lead to ``asyncio.run``'s caller. Asked only for a blocked connection."""
    from ..frames import users_call

    coros = list(_starting_tasks_coros())
    top = _awaited_frames(_current_task_coro())[:1] if coros else []
    awaited = [frame for coro in coros for frame in reversed(_awaited_frames(coro))]
    return users_call(sys._getframe(2), last=top[0] if top else None, then=awaited)


#: the modules of the SDKs' resources, whose methods make the API's requests
_SDK_RESOURCES = ("openai.resources.", "anthropic.resources.")


def _sdk_method() -> str:
    """The import path of the outermost method of an SDK resource (:data:`_SDK_RESOURCES`) on
    the current thread's stack, the one the agent called (``responses.parse``, not the
    ``create`` it calls), else ``""``: asked only for a blocked connection."""
    found = _outermost_method(
        _SDK_RESOURCES, lambda owner: str(owner.__module__).startswith(_SDK_RESOURCES)
    )
    if found is None:
        return ""
    owner, name = found
    return f"{owner.__module__}.{owner.__qualname__}.{name}"


def _outermost_method(
    modules: str | tuple[str, ...], accepts: Callable[[type], bool]
) -> tuple[type, str] | None:
    """The class and name of the outermost method on the current thread's stack running in
    one of ``modules`` (a prefix of their names) on an object of a class ``accepts``, one of
    that class's methods; ``None`` when none is."""
    found = None
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith(modules):
            owner = type(frame.f_locals.get("self"))
            name = frame.f_code.co_name
            if accepts(owner) and callable(getattr(owner, name, None)):
                found = (owner, name)
        frame = frame.f_back
    return found


#: the modules of LangChain's embeddings classes that call the openai SDK (counting the texts'
#: tokens with tiktoken first, by default): their methods are the ones to mock
_EMBEDDINGS = ("langchain_openai.embeddings.",)


def _embeddings() -> str:
    """The import path of the class of the LangChain embeddings object (of a class of
    :data:`_EMBEDDINGS`, or a subclass: ``AzureOpenAIEmbeddings``, one of the user's) whose
    method on the current thread's stack made the connection, else ``""``: asked only for a
    blocked connection."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith(_EMBEDDINGS):
            owner = type(frame.f_locals.get("self"))
            if any(str(k.__module__).startswith(_EMBEDDINGS) for k in owner.__mro__):
                return public_path(owner) or f"{owner.__module__}.{owner.__qualname__}"
        frame = frame.f_back
    return ""


#: the modules of LangChain's model base classes (``BaseChatModel``, ``BaseLLM``), whose
#: methods the agent calls: a model's method is the one to mock, not the SDK's under it
_LANGCHAIN_MODELS = "langchain_core.language_models."


def _langchain_model_method() -> str:
    """The import path of the outermost method of a LangChain model (an object of a class
    derived from a base of :data:`_LANGCHAIN_MODELS`: ``ChatOpenAI``, ``ChatAnthropic``) on
    the current thread's stack, the one the agent called (``langchain_openai.ChatOpenAI.invoke``;
    ``invoke`` too under a LangGraph agent's ``stream_mode="messages"``, which streams by
    ``_stream``), else ``""``: asked only for a blocked connection."""
    found = _outermost_method(
        _LANGCHAIN_MODELS,
        lambda owner: any(
            str(k.__module__).startswith(_LANGCHAIN_MODELS) for k in owner.__mro__[1:]
        ),
    )
    if found is None:
        return ""
    owner, name = found
    return f"{public_path(owner) or f'{owner.__module__}.{owner.__qualname__}'}.{name}"


def _tiktoken_download() -> str:
    """When the current connection is tiktoken's (its encoding file downloaded on first use),
    the encoding's name (``"?"`` when not seen), else ``""``. Asked only for a blocked
    connection."""
    encoding, seen = "", False
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith("tiktoken."):
            seen = True
            if frame.f_code.co_name == "get_encoding":
                name = frame.f_locals.get("encoding_name")
                encoding = name if isinstance(name, str) and name else encoding
        frame = frame.f_back
    return (encoding or "?") if seen else ""


def _vcrpy_cassette() -> str:
    """The path of the vcrpy cassette whose stub (of ``http.client``, httpx, aiohttp...) on the
    current thread's stack is sending the request on to the service, one the cassette does not
    hold in a record mode that records it, else ``""``: asked only for a blocked connection."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith("vcr."):
            local = frame.f_locals
            cassette = local.get("cassette")  # (not `or`: an empty cassette is false)
            if cassette is None:
                cassette = getattr(local.get("self"), "cassette", None)
            path = getattr(cassette, "path", None)
            if isinstance(path, (str, os.PathLike)):
                return os.fspath(path)
        frame = frame.f_back
    return ""


def _calling_module(prefixes: tuple[str, ...]) -> str:
    """The innermost module on the current thread's stack whose name starts with one of
    ``prefixes``, else ``""``: asked only for a blocked connection."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith(prefixes):
            return module
        frame = frame.f_back
    return ""


def _reset_owner(token: contextvars.Token[NetworkGuard | None]) -> None:
    try:
        _owner.reset(token)
    except (ValueError, RuntimeError):  # stopped from another context than the one that started it
        _owner.set(None)


class _SocketHooks:
    """The patched ``socket`` functions every guard shares, and the guards they consult.

    Installed by the first :meth:`hold` and undone by the last :meth:`release`; the active
    guards are a tuple replaced whole (read without a lock by the patched functions, in any
    thread)."""

    def __init__(self) -> None:
        self.guards: tuple[NetworkGuard, ...] = ()  # the active guards, oldest first
        #: address -> the host name ``getaddrinfo`` was asked for, to name an address in messages
        self.names: dict[str, str] = {}
        self._holders = 0
        self._stack: PatchStack | None = None
        #: the blockers installed while held (one replaced and put back by its replacer's undo,
        #: as a fixture's monkeypatch does, still counts as in place)
        #: (a plain set, cleared when the last holder lets go: its membership test is the one
        #: thing a guard starting asks of it, three times a replaying test)
        self._blockers: set[Callable[..., Any]] = set()
        self._lock = threading.Lock()

    def hold(self) -> None:
        """Install the patches (the first holder), or put back a blocker another patch of
        ``socket`` replaced since (a guard starting asks this: see :meth:`_reblock`)."""
        with self._lock:
            if self._stack is None:
                stack = PatchStack()
                try:
                    stack.setattr(socket, "getaddrinfo", self._remembering(socket.getaddrinfo))
                    for name in _BLOCKED:
                        stack.setattr(socket.socket, name, self._blocker(name))
                except BaseException:
                    stack.undo()
                    raise
                self._stack = stack
            else:
                self._reblock()
            self._holders += 1

    def _reblock(self) -> None:
        """Patch again each of ``socket.socket.connect`` and ``connect_ex`` that is no longer
        one of the blockers (wrapping what is there now): pytest-socket's teardown puts back
        the ``connect`` it saw at its import after every test, pytest-recording's
        ``--block-network`` fixture puts its own guard over it (which calls the ``connect`` it
        saw at import), and a fixture may patch it too: the test would connect unguarded. (Not
        ``getaddrinfo``: it only names addresses in messages, and pytest-socket puts its own
        back only where it finds it.)"""
        own = vars(socket.socket)
        blockers = self._blockers
        if own.get("connect") in blockers and own.get("connect_ex") in blockers:
            return  # (as nearly always: nothing replaced them)
        for name in _BLOCKED:
            if own.get(name) not in blockers:
                setattr(socket.socket, name, self._blocker(name))

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders or self._stack is None:
                return
            stack, self._stack = self._stack, None
            self.names.clear()
            self._blockers.clear()
        stack.undo()

    def join(self, guard: NetworkGuard) -> None:
        with self._lock:
            self.guards = (*self.guards, guard)

    def leave(self, guard: NetworkGuard) -> None:
        with self._lock:
            self.guards = tuple(g for g in self.guards if g is not guard)

    def _blocker(self, name: str) -> Callable[..., Any]:
        """A blocker for ``socket.socket.<name>`` as it is now (kept among :attr:`_blockers`,
        by which :meth:`_reblock` knows one of them)."""
        hooks = self
        original: Callable[..., Any] = getattr(socket.socket, name)

        def connect(sock: socket.socket, address: Any) -> Any:
            __tracebackhide__ = True
            for guard in reversed(hooks.guards):  # the newest first, as nested patches would
                guard._check(sock, address)
            return original(sock, address)

        blocker = named_after(connect, original)
        self._blockers.add(blocker)
        return blocker

    def _remembering(self, original: Callable[..., Any]) -> Callable[..., Any]:
        hooks = self

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            try:
                infos = original(host, port, *args, **kwargs)
            except socket.gaierror as failure:
                for guard in reversed(hooks.guards):  # (a machine without DNS: see the module)
                    guard._check_lookup(host, port, failure)
                raise
            if not hooks.guards:
                return infos
            names = hooks.names
            host = _text(host)
            if isinstance(host, str) and len(names) < _MAX_NAMES:
                for info in infos:
                    address = str(info[4][0])
                    if address != host:
                        names[address] = host
            return infos

        return named_after(getaddrinfo, original)


_hooks = _SocketHooks()


def hold_socket_hooks() -> Callable[[], None]:
    """Install the guards' ``socket`` patches now (if not yet) and keep them until the function
    returned is called (once; later calls do nothing). While held, starting and stopping a
    :class:`NetworkGuard` patches nothing: the plugin holds them for a replaying session."""
    _hooks.hold()
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            _hooks.release()

    return release
