"""Fixtures of the integration tests: a clean environment and the pytester project."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import pkgutil
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import pytest

import pytest_clearstone

from .harness import Stack, environment


def _preload() -> None:
    """Import here, once, what the inner runs would import lazily: pytester drops the modules an
    inner run imported, so each run would import (and assertion-rewrite, the plugin being a
    pytest11 distribution) the plugin's modules and the SDKs' transports again."""
    for info in pkgutil.walk_packages(pytest_clearstone.__path__, "pytest_clearstone."):
        with contextlib.suppress(ImportError):  # an optional extra's module
            importlib.import_module(info.name)
    for name in _SDK_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _touch_lazy_resources()


def _touch_lazy_resources() -> None:
    """The SDK clients import their resources on first access (``client.chat``): do it here, on
    throwaway clients, so the whole chain of modules stays loaded. Preloading only some modules
    of a chain would leave two copies of a class once pytester drops the rest (the agent calling
    one, the mock target patching the other)."""
    import anthropic
    import openai

    for client in (openai.OpenAI(api_key="x"), openai.AsyncOpenAI(api_key="x")):
        client.chat.completions.create  # noqa: B018  (the attribute access is the import)
        client.responses.create  # noqa: B018
    for claude in (anthropic.Anthropic(api_key="x"), anthropic.AsyncAnthropic(api_key="x")):
        claude.messages.create  # noqa: B018


# what the stacks import (langchain, langgraph and pydantic-ai take a second or more each)
_SDK_MODULES = (
    "httpx2",
    "httpcore2",
    "h11",
    "truststore",
    "openai",
    "anthropic",
    "langchain_core.messages",
    "langchain_core.prompts",
    "langchain_core.output_parsers",
    "langchain_core.tools",
    "langchain_core.runnables",
    "langchain_core.utils.uuid",
    # (imported lazily by LangChain's first run, but held by callbacks.usage once imported: a
    # copy dropped after one inner run would leave the next without it in sys.modules)
    "langchain_core.tracers.context",
    "langchain_openai",
    "langgraph.graph",
    "pydantic_ai",
    "pydantic_ai.models.openai",
    "pydantic_ai.providers.openai",
    # mcp 2's MCPServer derives a key with cryptography's HKDF when it is made: cryptography's
    # Rust extension keeps the classes of the first import, so a copy of its modules imported
    # again by a later inner run fails that check ("Expected instance of hashes.HashAlgorithm")
    "cryptography.hazmat.primitives.hashes",
    "mcp.server.mcpserver",
)


_preload()


@pytest.fixture
def make_stack(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Stack]:
    """``make_stack("openai_agent")``: a pytester project holding the fake services and the
    named agent modules of ``stacks/``."""
    environment(monkeypatch)  # after pytester, which clears PYTEST_ADDOPTS when it starts
    return lambda *modules: Stack(pytester, *modules)


@pytest.fixture(autouse=True)
def _collect_each_test_s_garbage() -> Iterator[None]:
    """Each integration test runs with the collector's automatic passes paused, and its garbage
    is collected when it ends, where it was made: the pass walks only the objects the test made
    (all still in the youngest generation), not the ~500 k the SDKs' modules keep alive, which a
    full pass after each test walked (~40% of these tests' time). Nor does a full pass (0.3-1 s
    with the SDKs loaded) land inside a test whose fake services answer after set delays.

    First, pydantic-ai's ``run_sync`` makes a new event loop the thread's current one and never
    closes it (``pydantic_ai._utils.get_event_loop``): it is closed here, not left to make
    unraisable ResourceWarnings in whichever unrelated test the collector happens to run next
    (one landed inside an AST compile and made CPython raise SystemError)."""
    gc.disable()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                loop: asyncio.AbstractEventLoop | None = (
                    asyncio.get_event_loop_policy().get_event_loop()
                )
            except RuntimeError:
                loop = None
            if loop is not None and not loop.is_running():
                loop.close()
                asyncio.set_event_loop(None)
            gc.collect(1)  # (the test's objects: none was collected while it ran)
            gc.enable()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def http_server(stack: Stack) -> Iterator[str]:
    """The URL of an MCP museum server (``search_collection``) over streamable HTTP, run in a
    thread of this process while the test runs (a replay that connects to it is stopped by the
    network guard); after the test module's ``stack``."""
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("museum", log_level="WARNING")

    @server.tool()
    def search_collection(query: str) -> str:
        """Search the collection."""
        return f"collection: {len(query)} exhibits about {query}"

    port = _free_port()
    config = uvicorn.Config(server.streamable_http_app(), port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    running.should_exit = True
    thread.join(10)
