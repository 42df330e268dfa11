"""NetworkGuard: connections to hosts not allowed are blocked, kept, and attributed to a thread.

Every connection here goes to a server on 127.0.0.1 started by the test (or is blocked before it
leaves): a blocked attempt never reaches the server, which the server's own count of accepted
connections shows (counted in the accepting thread, in order, so reading it after one allowed
request has been answered is exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import errno
import http.client
import http.server
import os
import socket
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_clearstone.errors import (
    FIXTURE_NETWORK_HINT,
    LANGSMITH_NETWORK_HINT,
    PROXY_NETWORK_HINT,
    NetworkBlockedError,
    NetworkBlockedWarning,
    ReplayError,
)
from pytest_clearstone.golden import network
from pytest_clearstone.golden.network import HostAllowList, NetworkGuard

HINT = "add its import path to mock="


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    accepted = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted += 1  # the serving thread, in accept order
        super().process_request(request, client_address)


class Local:
    def __init__(self, server: _Server) -> None:
        self.server = server
        self.port: int = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._start = server.accepted

    def accepted(self) -> int:
        """Connections accepted during the test, after one more (allowed) request is answered."""
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(self.url) as r:
            assert r.read() == b"ok"
        return self.server.accepted - self._start - 1


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="local-server", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def local(server: _Server) -> Local:
    return Local(server)


def _without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy in the environment (a CI runner's), for a test that sets its own."""
    for scheme in ("HTTPS", "HTTP", "ALL"):
        monkeypatch.delenv(f"{scheme}_PROXY", raising=False)
        monkeypatch.delenv(f"{scheme.lower()}_proxy", raising=False)


def _no_proxy_open(url: str) -> bytes:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as r:
        return bytes(r.read())


# -- blocked, by every client ------------------------------------------------------------------
def test_create_connection_is_blocked_and_the_error_names_host_port_test_and_fix(
    local: Local,
) -> None:
    with (
        NetworkGuard(label="tests/test_agent.py::test_trip") as guard,
        pytest.raises(NetworkBlockedError) as info,
    ):
        socket.create_connection(("127.0.0.1", local.port), timeout=5)
    message = str(info.value)
    assert f"127.0.0.1 port {local.port}" in message
    assert "tests/test_agent.py::test_trip" in message
    assert HINT in message and "clearstone_allow_hosts" in message
    assert "--clearstone-allow-network" in message
    assert isinstance(info.value, ReplayError) and isinstance(info.value, AssertionError)
    assert (info.value.host, info.value.port) == ("127.0.0.1", local.port)
    assert local.accepted() == 0
    assert [(a.host, a.port, a.background) for a in guard.attempts] == [
        ("127.0.0.1", local.port, False)
    ]


def test_connect_ex_raises_instead_of_returning_an_errno(local: Local) -> None:
    with NetworkGuard(), socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.connect_ex(("127.0.0.1", local.port))
    assert local.accepted() == 0


def test_connect_ex_allowed_returns_its_errno(local: Local) -> None:
    # (a helper waiting for a port to open reads it: 0 once connected, an errno before)
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]  # (bound, not listening: refused)
        with NetworkGuard(["127.0.0.1"]) as guard:
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", local.port)) == 0
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", closed)) == errno.ECONNREFUSED
    assert guard.attempts == []
    # (and waits for the server to have accepted it: counted later, the next test's server
    # count took it for one of its own)
    assert local.accepted() == 1


def test_a_malformed_address_gets_connects_own_error() -> None:
    with NetworkGuard() as guard, socket.socket() as sock:
        for address in (("127.0.0.1",), ()):
            with pytest.raises(TypeError):
                sock.connect(address)
    assert guard.attempts == []


def test_http_client_urllib_and_httpx_are_blocked(local: Local) -> None:
    with NetworkGuard() as guard:
        conn = http.client.HTTPConnection("127.0.0.1", local.port, timeout=5)
        with pytest.raises(NetworkBlockedError):
            conn.request("GET", "/")
        conn.close()
        with pytest.raises(NetworkBlockedError):
            _no_proxy_open(local.url)
        with httpx.Client(trust_env=False) as client, pytest.raises(NetworkBlockedError):
            client.get(local.url)
    assert len(guard.attempts) == 3
    assert local.accepted() == 0


def test_a_host_name_is_reported_with_the_address_it_was_resolved_to(local: Local) -> None:
    with NetworkGuard() as guard, pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("localhost", local.port), timeout=5)
    assert guard.attempts[0].name == "localhost"
    assert f"localhost ({guard.attempts[0].host}) port {local.port}" in str(info.value)


def test_a_proxy_s_hint_is_kept_whatever_else_the_blocked_connection_is() -> None:
    for extra in (
        {"loopback": "localhost"},
        {"sdk_method": "openai.resources.files.Files.create"},
        {"mcp": "mcp.client.streamable_http"},
    ):
        error = NetworkBlockedError(
            "proxy.local", 3128, "t.py::test_a", proxy=["HTTPS_PROXY"], **extra
        )
        assert str(error).endswith(f"  {PROXY_NETWORK_HINT}"), extra


def test_a_blocked_connection_s_message_names_its_thread_and_its_host_once() -> None:
    error = NetworkBlockedError("api.x.com", 443, "t.py::test_a", name="api.x.com", thread="Worker")
    assert str(error).startswith("t.py::test_a tried to connect to api.x.com port 443 during")
    assert "\n  thread: Worker\n" in str(error)


def test_tiktoken_s_hint_is_kept_in_a_fixture_and_names_its_host_and_embeddings_class() -> None:
    error = NetworkBlockedError(
        "openaipublic.blob.core.windows.net",
        443,
        "t.py::test_a",
        during="the set-up of fixture 'index' (session scope)",
        tiktoken="cl100k_base",
        embeddings="langchain_openai.OpenAIEmbeddings",
    )
    message = str(error)
    assert FIXTURE_NETWORK_HINT not in message
    assert "`clearstone_allow_hosts = openaipublic.blob.core.windows.net`" in message
    assert "Here tiktoken counts the tokens of the texts langchain_openai.OpenAIEmbeddings" in (
        message
    )


def test_a_langsmith_upload_gets_langsmith_s_hint() -> None:
    error = NetworkBlockedError(
        "api.smith.langchain.com", 443, "t.py::test_a", telemetry="langsmith"
    )
    assert str(error).endswith(f"  {LANGSMITH_NETWORK_HINT}")


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_connection_to_the_proxy_of_the_environment_is_named_as_the_proxy(
    local: Local, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # Expected: with a proxy set in the environment (as in many CI runners), an SDK's request
    # to api.example.com connects to the proxy; the error says that the address is the proxy
    # of that variable and not the host the request was for, and does not advise allowing it
    # (that would let every request through the proxy reach the network), nor show its password.
    # Before the fix: "tried to connect to 127.0.0.1 port N", advising to allow that host.
    _without_proxies(monkeypatch)
    monkeypatch.setenv(variable, f"http://user:pr0xy-Pass-9@127.0.0.1:{local.port}")
    with (
        NetworkGuard(label="t.py::test_x") as guard,
        httpx.Client() as client,
        pytest.raises(NetworkBlockedError) as info,
    ):
        client.get("https://api.example.com/v1/models")
    message = str(info.value)
    assert f"127.0.0.1 port {local.port}" in message
    assert f"the proxy of ${variable}" in message
    assert "allow the host" not in message
    assert "pr0xy-Pass-9" not in message
    assert info.value.proxy == (variable,)
    assert guard.error() is not None and f"${variable}" in str(guard.error())
    assert local.accepted() == 0


def test_every_variable_naming_the_proxy_is_named(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (an http:// request goes through $HTTP_PROXY: the guard cannot tell which one carried it)
    for name in ("HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"127.0.0.1:{local.port}")
    with NetworkGuard(), pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("127.0.0.1", local.port), timeout=5)
    assert "the proxy of $HTTPS_PROXY and $HTTP_PROXY:" in str(info.value)


def test_a_connection_to_another_port_of_the_proxy_host_is_not_named_the_proxy(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{local.port + 1}")
    with NetworkGuard(), pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("127.0.0.1", local.port), timeout=5)
    assert "proxy of" not in str(info.value) and info.value.proxy == ()
    assert "Allowing the proxy" not in str(info.value)


def test_a_proxy_given_by_host_name_is_named_as_the_proxy(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the address connected to is the one the proxy's name was looked up to)
    _without_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://localhost:{local.port}")
    with NetworkGuard(), pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("localhost", local.port), timeout=5)
    assert info.value.proxy == ("HTTPS_PROXY",)
    assert "the proxy of $HTTPS_PROXY" in str(info.value)
    assert local.accepted() == 0


def test_a_proxy_variable_without_a_host_names_no_connection_its_proxy(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://:{local.port}")
    with NetworkGuard(), pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("127.0.0.1", local.port), timeout=5)
    assert info.value.proxy == () and "proxy of" not in str(info.value)
    assert "Allowing the proxy" not in str(info.value)


def test_asyncio_connections_are_blocked(local: Local) -> None:
    async def main() -> None:
        with pytest.raises(NetworkBlockedError):
            await asyncio.open_connection("127.0.0.1", local.port)

    with NetworkGuard() as guard:
        asyncio.run(main())
    assert [(a.host, a.port) for a in guard.attempts] == [("127.0.0.1", local.port)]
    assert local.accepted() == 0


def test_httpx_async_client_is_blocked(local: Local) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(trust_env=False) as client:
            with pytest.raises(Exception) as info:
                await client.get(local.url)
        assert _blocked_within(info.value)

    with NetworkGuard() as guard:
        asyncio.run(main())
    assert [(a.host, a.port) for a in guard.attempts] == [("127.0.0.1", local.port)]
    assert local.accepted() == 0


def _blocked_within(exc: BaseException) -> bool:
    """anyio (httpx's async backend) connects in a task group: the error comes in a group."""
    if isinstance(exc, NetworkBlockedError):
        return True
    return any(_blocked_within(e) for e in getattr(exc, "exceptions", ()))


# -- allowed ---------------------------------------------------------------------------------
def test_an_allowed_ip_connects(local: Local) -> None:
    with NetworkGuard(["127.0.0.1"]) as guard:
        assert _no_proxy_open(local.url) == b"ok"
        with httpx.Client(trust_env=False) as client:
            assert client.get(local.url).text == "ok"
    assert guard.attempts == [] and guard.error() is None
    assert local.accepted() == 2


def test_an_allowed_host_name_is_resolved_when_the_guard_starts(local: Local) -> None:
    with NetworkGuard(["localhost"]) as guard:
        assert _no_proxy_open(local.url) == b"ok"  # 127.0.0.1, which localhost resolves to
        socket.create_connection(("localhost", local.port), timeout=5).close()
    assert guard.attempts == []


def test_an_allowed_host_and_port_allows_only_that_port(local: Local) -> None:
    with NetworkGuard([f"127.0.0.1:{local.port}"]) as guard:
        assert _no_proxy_open(local.url) == b"ok"
        other = local.port + 1 if local.port < 65535 else local.port - 1
        with pytest.raises(NetworkBlockedError):
            socket.create_connection(("127.0.0.1", other), timeout=5)
    assert [a.port for a in guard.attempts] == [other]


def test_an_allowed_host_name_and_port_allows_only_that_port_of_its_addresses(
    local: Local,
) -> None:
    with NetworkGuard([f"localhost:{local.port}"]) as guard:
        assert _no_proxy_open(local.url) == b"ok"  # 127.0.0.1, which localhost resolves to
        other = local.port + 1 if local.port < 65535 else local.port - 1
        with pytest.raises(NetworkBlockedError):
            socket.create_connection(("127.0.0.1", other), timeout=5)
    assert [(a.host, a.port) for a in guard.attempts] == [("127.0.0.1", other)]


def test_an_allow_list_makes_guards_that_share_it(local: Local) -> None:
    # (the plugin makes each replaying test's guard this way: the names resolved once a session)
    allowed = HostAllowList([f"127.0.0.1:{local.port}"])
    with allowed.guard(label="test_x") as guard:
        assert _no_proxy_open(local.url) == b"ok"
        with pytest.raises(NetworkBlockedError, match="test_x"):
            socket.create_connection(("127.0.0.2", local.port), timeout=5)
    assert guard.allow is allowed and allowed.guard(label="test_y").allow is allowed
    assert [(a.host, a.port) for a in guard.attempts] == [("127.0.0.2", local.port)]


def test_a_name_that_does_not_resolve_is_not_allowed_and_said_so(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "llm.internal":  # no DNS query leaves the test
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with NetworkGuard(["llm.internal"]) as guard, pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("127.0.0.1", local.port), timeout=5)
    assert guard.allow.unresolved == ("llm.internal",)
    assert "did not resolve when the guard started: llm.internal" in str(info.value)


def test_unix_sockets_are_never_guarded() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "s")
        with NetworkGuard() as guard:
            a, b = socket.socketpair()
            with a, b:
                a.sendall(b"x")
                assert b.recv(1) == b"x"
            with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as c:
                server.bind(path)
                server.listen()
                c.connect(path)
                peer, _ = server.accept()
                peer.close()
    assert guard.attempts == []


# -- swallowed, threads ------------------------------------------------------------------------
def test_a_swallowed_block_is_still_listed_and_fails_the_test_afterwards(local: Local) -> None:
    def agent_with_retries() -> str:
        for _ in range(3):
            try:
                return _no_proxy_open(local.url).decode()
            except BaseException:  # an SDK retry loop that swallows everything
                continue
        return "fallback"

    with NetworkGuard(label="test_swallow") as guard:
        assert agent_with_retries() == "fallback"
    assert len(guard.attempts) == 3
    error = guard.error()
    assert isinstance(error, NetworkBlockedError)
    assert "test_swallow tried to connect to 127.0.0.1 port" in str(error)
    assert str(error).count(f"127.0.0.1 port {local.port}") == 3  # the first, and 2 "also"
    assert guard.warnings() == []
    assert local.accepted() == 0


def _connect_catching(port: int, caught: list[BaseException]) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except BaseException as exc:
        caught.append(exc)


def test_a_thread_that_existed_before_the_guard_gives_a_warning_not_an_error(
    local: Local,
) -> None:
    go = threading.Event()
    caught: list[BaseException] = []

    def telemetry() -> None:
        go.wait(5)
        _connect_catching(local.port, caught)

    uploader = threading.Thread(target=telemetry, name="telemetry-uploader")
    uploader.start()
    with NetworkGuard(label="test_bg") as guard:
        go.set()
        uploader.join()
    assert len(caught) == 1 and type(caught[0]) is ConnectionRefusedError
    assert [(a.thread, a.background) for a in guard.attempts] == [("telemetry-uploader", True)]
    assert guard.error() is None
    (warning,) = guard.warnings()
    assert isinstance(warning, NetworkBlockedWarning) and isinstance(warning, UserWarning)
    assert "(telemetry-uploader) that test_bg did not start" in str(warning)
    assert f"127.0.0.1 port {local.port}" in str(warning)
    assert local.accepted() == 0


def test_a_thread_started_after_the_guard_is_the_tests(local: Local) -> None:
    caught: list[BaseException] = []
    with NetworkGuard() as guard:
        worker = threading.Thread(target=_connect_catching, args=(local.port, caught), name="w")
        worker.start()
        worker.join()
    assert len(caught) == 1 and type(caught[0]) is NetworkBlockedError
    assert [(a.thread, a.background) for a in guard.attempts] == [("w", False)]
    assert isinstance(guard.error(), NetworkBlockedError)


def test_a_job_of_the_test_run_by_an_older_thread_in_its_context_is_the_tests(
    local: Local,
) -> None:
    jobs: list[Any] = []
    ready = threading.Event()
    caught: list[BaseException] = []

    def pool_worker() -> None:  # a worker of a pool created before the test
        ready.wait(5)
        jobs[0]()

    worker = threading.Thread(target=pool_worker)
    worker.start()
    with NetworkGuard() as guard:
        context = contextvars.copy_context()  # as ContextPropagation hands a job its context
        jobs.append(lambda: context.run(_connect_catching, local.port, caught))
        ready.set()
        worker.join()
    assert type(caught[0]) is NetworkBlockedError
    assert [a.background for a in guard.attempts] == [False]


# -- patching ------------------------------------------------------------------------------------
def _socket_state() -> tuple[Any, ...]:
    return (
        "connect" in vars(socket.socket),
        "connect_ex" in vars(socket.socket),
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )


def test_exit_restores_the_original_methods_exactly(local: Local) -> None:
    before = _socket_state()
    assert before[:2] == (False, False)  # inherited from _socket.socket
    guard = NetworkGuard()
    with guard:
        assert _socket_state() != before
        assert guard.active
    assert not guard.active
    after = _socket_state()
    assert after[:2] == before[:2] and all(
        x is y for x, y in zip(after[2:], before[2:], strict=True)
    )
    socket.create_connection(("127.0.0.1", local.port), timeout=5).close()
    assert local.accepted() == 1


def test_exit_after_an_exception_restores_too() -> None:
    before = _socket_state()
    with pytest.raises(KeyError), NetworkGuard():
        raise KeyError("boom")
    assert all(x is y for x, y in zip(_socket_state()[2:], before[2:], strict=True))


def test_a_failure_while_entering_undoes_what_was_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _socket_state()
    real = network.PatchStack.setattr
    calls = []

    def failing(self: Any, owner: Any, name: str, value: Any) -> None:
        calls.append(name)
        if name == "connect_ex":
            raise RuntimeError("halfway")
        real(self, owner, name, value)

    monkeypatch.setattr(network.PatchStack, "setattr", failing)
    guard = NetworkGuard()
    with pytest.raises(RuntimeError, match="halfway"):
        guard.start()
    assert calls == ["getaddrinfo", "connect", "connect_ex"]
    assert not guard.active
    assert all(x is y for x, y in zip(_socket_state()[2:], before[2:], strict=True))
    assert network._owner.get() is None


def test_starting_an_active_guard_again_is_refused() -> None:
    with NetworkGuard() as guard, pytest.raises(RuntimeError, match="already active"):
        guard.start()


# -- the allow list ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "host", "port", "allowed"),
    [
        ("10.0.0.7", "10.0.0.7", 443, True),
        ("10.0.0.7", "10.0.0.8", 443, False),
        ("10.0.0.0/8", "10.200.1.2", 80, True),
        ("10.1.2.3/8", "10.200.1.2", 80, True),  # host bits set: the network holding them
        ("10.0.0.7:8080", "10.0.0.7", 8080, True),
        ("10.0.0.7:8080", "10.0.0.7", 8081, False),
        ("::1", "::1", 80, True),
        ("::1", "127.0.0.1", 80, False),
        ("[::1]:8080", "::1", 8080, True),
        ("[::1]:8080", "::1", 80, False),
        ("10.0.0.7", "::ffff:10.0.0.7", 80, True),  # an IPv4-mapped address
        ("::/0", "10.0.0.7", 80, False),  # versions are compared
        ("Api.Internal.", "api.internal", 80, True),  # names as given, case-insensitive
        ("api.internal:443", "api.internal", 80, False),
    ],
)
def test_allow_list_entries(entry: str, host: str, port: int, allowed: bool) -> None:
    assert HostAllowList([entry]).allows(host, port) is allowed


def test_loopback_is_not_allowed_by_default() -> None:
    allow = HostAllowList()
    allow.resolve()
    assert not any(allow.allows(h, 80) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost"))


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "host:http",
        "host:0",
        "host:65536",
        "[::1",
        "[::1]8080",
        ":80",
        "1.2.3.4/99",
        "*.example.com",
        "127.0.0.*",
        "not a host!",
        "exa_mple..com",
        "-api.internal",
        "api.internal:8080/v1",
        "localhost:\u00b2",  # (a digit, not a decimal one: int() refused it, unnamed)
        "localhost:" + "8" * 5000,  # (longer than int() reads)
    ],
)
def test_a_malformed_entry_is_a_clear_error(entry: str) -> None:
    with pytest.raises(ValueError, match=r"clearstone_allow_hosts: .* is not a host name"):
        HostAllowList([entry])


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("https://api.internal", "a URL: give its host alone, as 'api.internal'"),
        ("https://api.internal:8443/v1", "a URL: give its host alone, as 'api.internal:8443'"),
        ("http://[::1]:8080/", "a URL: give its host alone, as '[::1]:8080'"),
        ("https://svc:s3cret@api.internal/v1", "a URL: give its host alone, as 'api.internal'"),
        ("localhost api.internal", "several hosts on one line: give one per line"),
        ("localhost, api.internal", "several hosts on one line: give one per line"),
        ("not a host!", "a host name is labels of letters"),  # (no list: words, one bad)
    ],
)
def test_a_url_or_a_list_on_one_line_is_told_as_such(entry: str, said: str) -> None:
    # Expected: the message says what the line is and how to write it. Before the fix: a URL
    # was told "the port '//api.internal' is not a number" or "does not appear to be an IPv4
    # or IPv6 network", and two hosts on a line "a host name is labels of letters, ...".
    with pytest.raises(ValueError, match=r"clearstone_allow_hosts: .* is not a host name") as info:
        HostAllowList([entry])
    assert said in str(info.value)


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (":8080", "no host before the port"),
        ("[]:8080", "no host before the port"),
        ("localhost:65536", "the port '65536' is not a number from 1 to 65535"),
    ],
)
def test_a_missing_host_or_a_port_out_of_range_is_told_as_such(entry: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"clearstone_allow_hosts: .* is not a host name") as info:
        HostAllowList([entry])
    assert said in str(info.value) and "s3cret" not in str(info.value)


def test_a_wildcard_is_refused_with_the_alternative() -> None:
    with pytest.raises(ValueError, match=r"wildcards are not supported: .* network"):
        HostAllowList(["*.localhost"])


@pytest.mark.parametrize(
    "entry", ["db", "my_service:5432", "api-1.internal.", "xn--bcher-kva.example", "bücher.example"]
)
def test_real_host_names_are_accepted(entry: str) -> None:
    assert HostAllowList([entry]).entries == (entry,)


def test_names_are_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    allow = HostAllowList(["llm.internal"])
    for _ in range(2):
        with NetworkGuard(allow):
            pass
    assert lookups == ["llm.internal"]
    assert allow.allows("10.1.2.3", 443) and allow.unresolved == ()


def test_a_host_name_of_253_characters_is_accepted_and_one_longer_refused() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == 253 and HostAllowList([longest]).entries == (longest,)
    with pytest.raises(ValueError, match=r"clearstone_allow_hosts: .* is not a host name"):
        HostAllowList([longest + "d"])


def test_a_proxy_without_a_port_is_named_on_its_schemes_default_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # HTTPS_PROXY=http://proxy.corp: clients connect to its port 80 (blocked before it leaves)
    _without_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1")
    with NetworkGuard(), pytest.raises(NetworkBlockedError) as info:
        socket.create_connection(("127.0.0.1", 80), timeout=5)
    assert info.value.proxy == ("HTTPS_PROXY",)


def test_the_other_blocked_connections_are_named_with_their_host_names(local: Local) -> None:
    with NetworkGuard(label="t.py::test_x") as guard:
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(NetworkBlockedError):
                socket.create_connection((host, local.port), timeout=5)
    error = guard.error()
    assert error is not None
    assert f"localhost ({guard.attempts[1].host}) port {local.port}" in str(error)


def test_a_host_name_looked_up_as_bytes_names_the_address(local: Local) -> None:
    with NetworkGuard() as guard, pytest.raises(NetworkBlockedError) as info:
        socket.create_connection((b"localhost", local.port), timeout=5)
    assert guard.attempts[0].name == "localhost"
    assert f"localhost ({guard.attempts[0].host}) port {local.port}" in str(info.value)


def test_a_host_given_as_bytes_is_blocked(local: Local) -> None:
    # (socket.connect takes a host as bytes too)
    with (
        NetworkGuard() as guard,
        socket.socket() as sock,
        pytest.raises(NetworkBlockedError, match=f"127.0.0.1 port {local.port}"),
    ):
        sock.connect((b"127.0.0.1", local.port))
    assert [a.host for a in guard.attempts] == ["127.0.0.1"]
    assert local.accepted() == 0


def test_what_lets_the_tests_connections_through_is_not_asked_for_a_background_thread(
    local: Local,
) -> None:
    # (lets_through answers for a fixture's connections in the test's own threads)
    go = threading.Event()
    caught: list[BaseException] = []

    def uploader() -> None:
        go.wait(5)
        _connect_catching(local.port, caught)

    thread = threading.Thread(target=uploader, name="uploader")
    thread.start()
    with NetworkGuard() as guard:
        guard.lets_through = lambda: True
        go.set()
        thread.join()
    assert [type(e) for e in caught] == [ConnectionRefusedError]
    assert local.accepted() == 0


def test_a_thread_started_outside_threading_before_the_guard_is_a_background_one(
    local: Local,
) -> None:
    import _thread

    started, go, done = threading.Event(), threading.Event(), threading.Event()
    caught: list[BaseException] = []

    def foreign() -> None:  # (as a C library's thread: threading knows it only as a dummy)
        started.set()
        go.wait(5)
        _connect_catching(local.port, caught)
        done.set()

    _thread.start_new_thread(foreign, ())
    started.wait(5)
    with NetworkGuard() as guard:
        go.set()
        done.wait(5)
    assert [type(e) for e in caught] == [ConnectionRefusedError]
    assert guard.error() is None and len(guard.warnings()) == 1


def test_a_thread_the_test_starts_is_its_own_when_it_reuses_a_gone_threads_ident(
    local: Local,
) -> None:
    # (a thread ended gives its ident to the next one started, as glibc's do: a thread started
    # outside threading, alive when the guard started, is gone before the test starts its own)
    import _thread
    import sys

    started, go = threading.Event(), threading.Event()
    foreign: list[int] = []

    def c_library_thread() -> None:
        foreign.append(threading.get_ident())
        started.set()
        go.wait(5)

    _thread.start_new_thread(c_library_thread, ())
    started.wait(5)
    caught: list[BaseException] = []
    with NetworkGuard() as guard:
        go.set()
        for _ in range(500):  # (until it has ended)
            if foreign[0] not in sys._current_frames():
                break
            threading.Event().wait(0.01)
        thread = threading.Thread(target=_connect_catching, args=(local.port, caught))
        thread.start()
        thread.join()
    assert [type(e) for e in caught] == [NetworkBlockedError]
    assert guard.error() is not None and guard.warnings() == []


def test_a_foreign_thread_started_after_the_guard_is_the_tests_when_it_reuses_an_ident(
    local: Local,
) -> None:
    # (the other way round: a threading thread alive when the guard started ends, and a thread
    # a C library starts for the test's work takes its ident)
    for _ in range(50):  # (until the thread takes the ident of 'old': see _foreign_after_old)
        outcome = _foreign_after_old(local.port)
        if outcome is not None:
            break
    else:
        pytest.fail("the C library's thread never took the ident of the thread that ended")
    caught, guard = outcome
    assert [type(e) for e in caught] == [NetworkBlockedError]
    assert guard.error() is not None and guard.warnings() == []


def _foreign_after_old(port: int) -> tuple[list[BaseException], NetworkGuard] | None:
    """A guard's run in which a threading thread alive when it started ends and a thread
    started by ``_thread`` connects to ``port``: what it caught, and the guard; ``None`` when
    the new thread took the ident of an earlier foreign thread instead (threading keeps the
    dummy of one that ended, which the guard cannot tell from it)."""
    import _thread
    import sys

    go = threading.Event()
    old = threading.Thread(target=go.wait, args=(5,), name="old")
    old.start()
    caught: list[BaseException] = []
    done = threading.Event()
    stale: list[bool] = []
    before = threading.enumerate()

    def c_library_thread() -> None:
        stale.append(any(t is threading.current_thread() for t in before))
        _connect_catching(port, caught)
        done.set()

    with NetworkGuard() as guard:
        go.set()
        old.join()
        for _ in range(500):  # (until it is gone)
            if old.ident not in sys._current_frames():
                break
            threading.Event().wait(0.01)
        _thread.start_new_thread(c_library_thread, ())
        done.wait(5)
    return None if stale[0] else (caught, guard)


def _first_connection(port: int) -> None:
    with contextlib.suppress(NetworkBlockedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def _second_connection(port: int) -> None:
    with contextlib.suppress(NetworkBlockedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_the_error_of_several_blocked_connections_shows_where_the_first_was_made(
    local: Local,
) -> None:
    import traceback

    with NetworkGuard() as guard:
        _first_connection(local.port)
        _second_connection(local.port)
    error = guard.error()
    assert error is not None
    names = [frame.name for frame in traceback.extract_tb(error.__traceback__)]
    assert "_first_connection" in names and "_second_connection" not in names


# -- a name whose lookup fails (a machine without DNS) ---------------------------------------
# (".invalid" never resolves, RFC 2606: the lookup fails here as on a machine without DNS)


def test_a_failed_lookup_of_a_name_not_allowed_is_blocked_as_its_connection() -> None:
    with NetworkGuard(label="test_offline") as guard, pytest.raises(NetworkBlockedError) as info:
        socket.getaddrinfo("API.Example.Invalid", "443", type=socket.SOCK_STREAM)
    assert (info.value.host, info.value.port) == ("API.Example.Invalid", 443)
    assert info.value.lookup_error  # the lookup's own words, for the message
    message = str(info.value)
    assert "test_offline tried to connect to API.Example.Invalid port 443" in message
    assert "the name did not resolve here (" in message
    assert [(a.host, a.port, a.background) for a in guard.attempts] == [
        ("API.Example.Invalid", 443, False)
    ]
    assert guard.error() is info.value


def test_a_failed_lookup_is_allowed_by_name_and_port_as_a_connection_is() -> None:
    with NetworkGuard(["api.example.invalid:443"]) as guard:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo(b"api.example.invalid.", 443)
        with pytest.raises(NetworkBlockedError):  # another port
            socket.getaddrinfo("api.example.invalid", 8443)
        with pytest.raises(NetworkBlockedError):  # no port: only an entry without one allows it
            socket.getaddrinfo("api.example.invalid", None)
    assert [a.port for a in guard.attempts] == [8443, None]
    with NetworkGuard(["api.example.invalid"]) as guard, pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.example.invalid", None)
    assert guard.attempts == []


def test_a_failed_lookup_outside_a_guard_or_without_a_name_is_its_own_error() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.example.invalid", 443)
    with NetworkGuard() as guard, pytest.raises(socket.gaierror):  # a bad service, no name
        socket.getaddrinfo(None, "no-such-service-name")
    assert guard.attempts == []
    with NetworkGuard() as guard, pytest.raises(socket.gaierror):  # an address, not a name
        socket.getaddrinfo("127.0.0.1", 443, socket.AF_INET6)  # (its connect is checked)
    assert guard.attempts == []


def test_a_background_threads_failed_lookup_warns_and_raises_its_own_error() -> None:
    go = threading.Event()
    caught: list[BaseException] = []

    def telemetry() -> None:
        go.wait(5)
        try:
            socket.getaddrinfo("telemetry.example.invalid", 443)
        except BaseException as exc:
            caught.append(exc)

    uploader = threading.Thread(target=telemetry, name="telemetry-uploader")
    uploader.start()
    with NetworkGuard(label="test_bg") as guard:
        go.set()
        uploader.join()
    assert len(caught) == 1 and type(caught[0]) is socket.gaierror
    assert guard.error() is None
    (warning,) = guard.warnings()
    assert "telemetry.example.invalid port 443" in str(warning)


def test_tiktoken_downloading_through_a_proxy_is_named_without_allowing_the_proxy(
    local: Local, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # tiktoken's download of an encoding not cached, through $HTTPS_PROXY (a CI runner's): the
    # error names tiktoken, the encoding and its cache, and does not advise allowing the host
    # (the connection is the proxy's, which would let every request through)
    registry = pytest.importorskip("tiktoken.registry")
    if "p50k_base" in registry.ENCODINGS:  # (loaded by an earlier test: nothing to download)
        pytest.skip("p50k_base is loaded")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{local.port}")
    with NetworkGuard(label="t.py::test_x"), pytest.raises(NetworkBlockedError) as info:
        registry.get_encoding("p50k_base")
    message = str(info.value)
    assert "the proxy of $HTTPS_PROXY" in message
    assert "tiktoken downloading its encoding p50k_base" in message
    assert "tiktoken.get_encoding('p50k_base')" in message and "TIKTOKEN_CACHE_DIR" in message
    assert "clearstone_allow_hosts" not in message and "OpenAIEmbeddings.embed" not in message
    assert info.value.tiktoken == "p50k_base" and info.value.embeddings == ""
    assert local.accepted() == 0


def test_tiktoken_downloading_a_file_of_its_own_without_get_encoding_is_named(
    local: Local, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # (a custom encoding's file loaded with tiktoken.load.load_tiktoken_bpe: no encoding name)
    load = pytest.importorskip("tiktoken.load")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{local.port}")
    with NetworkGuard(label="t.py::test_x"), pytest.raises(NetworkBlockedError) as info:
        load.load_tiktoken_bpe("https://tokenizers.example.com/custom.tiktoken")
    assert info.value.tiktoken == "?"
    assert "tiktoken downloading its encoding <its name>" in " ".join(str(info.value).split())
    assert local.accepted() == 0


def test_the_request_of_a_langchain_embeddings_subclass_names_that_class_s_methods(
    local: Local,
) -> None:
    # LangChain's AzureOpenAIEmbeddings (an OpenAIEmbeddings) not mocked: its request, made by
    # the SDK's Embeddings.create, is named as that class's, whose methods are the ones to mock
    # (mocked at the SDK's, it would record tiktoken's token ids by default)
    embeddings_module = pytest.importorskip("langchain_openai")
    embeddings = embeddings_module.AzureOpenAIEmbeddings(
        azure_endpoint=f"http://127.0.0.1:{local.port}", azure_deployment="emb",
        api_version="2024-10-21", api_key="k-test", max_retries=0,
        check_embedding_ctx_length=False,
    )  # fmt: skip
    with NetworkGuard(label="t.py::test_x"), pytest.raises(NetworkBlockedError) as info:
        embeddings.embed_documents(["Basil goes in pesto."])
    message = " ".join(str(info.value).split())
    assert info.value.embeddings == "langchain_openai.AzureOpenAIEmbeddings"
    assert (
        "The call was made by the SDK method openai.resources.embeddings.Embeddings.create for "
        "langchain_openai.AzureOpenAIEmbeddings, which is not mocked: mock "
        "langchain_openai.AzureOpenAIEmbeddings.embed_documents and .embed_query" in message
    ), message
    assert local.accepted() == 0


def test_the_sdk_method_named_is_the_one_the_agent_called_not_the_one_it_calls(
    local: Local,
) -> None:
    # (files.wait_for_processing polls with files.retrieve: mocking retrieve would record each
    # poll, mocking wait_for_processing records its outcome once)
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(
        api_key="k-test", base_url=f"http://127.0.0.1:{local.port}/v1", max_retries=0
    )
    with NetworkGuard(label="t.py::test_x"), pytest.raises(NetworkBlockedError) as info:
        client.files.wait_for_processing("file-abc123", poll_interval=0)
    assert info.value.sdk_method == "openai.resources.files.Files.wait_for_processing"
    message = " ".join(str(info.value).split())
    assert "SDK method openai.resources.files.Files.wait_for_processing," in message
    assert local.accepted() == 0
