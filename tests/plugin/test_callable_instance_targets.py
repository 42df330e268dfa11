"""A mock target that is a callable *instance* — an object holding the function it calls (a
tool: ``BetaFunctionTool``, LangChain's ``@tool``), a ``functools.partial``, an object of a class
with ``__call__`` — stays an object of its class while patched (``isinstance``, its attributes,
its other methods work), and the calls it makes are recorded and replayed, whichever of its
methods the agent goes through. Before the fix it was replaced by a plain function: the agent's
``isinstance`` checks, ``.name``, ``.call(...)`` and ``.invoke(...)`` failed."""

from __future__ import annotations

import textwrap

import pytest

TOOLS = """
import functools
import os

from langchain_core.tools import tool as lc_tool


def live(value):
    if os.environ.get("TOOLS_SEALED"):
        raise RuntimeError("a tool ran live during replay")
    return value


class Tool:
    def __init__(self, func):
        self.func = func
        self.name = func.__name__

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def call(self, input):
        return self.func(**input)


def _search(q):
    return live(f"docs about {q}")


async def _asearch(q):
    return live(f"async docs about {q}")


search = Tool(_search)
asearch = Tool(_asearch)


class Greeter:
    def __init__(self):
        self.prefix = "hello "
        self.seen = 0

    def __call__(self, name):
        self.seen += 1
        return live(self.prefix + name)


greet = Greeter()


def _lookup(table, key):
    return live(f"{table}[{key}]")


lookup = functools.partial(_lookup, "db")


@lc_tool
def recipes(query: str) -> str:
    \"\"\"Search recipes.\"\"\"
    return live(f"recipes for {query}")
"""

AGENT = """
import asyncio
import functools

from langchain_core.tools import BaseTool

from app import tools


def run(q):
    assert isinstance(tools.search, tools.Tool) and tools.search.name == "_search"
    assert isinstance(tools.greet, tools.Greeter)
    assert isinstance(tools.lookup, functools.partial) and tools.lookup.args == ("db",)
    assert isinstance(tools.recipes, BaseTool) and tools.recipes.name == "recipes"
    return [
        tools.search.call({"q": q}),
        tools.search(q + "!"),
        asyncio.run(tools.asearch.call({"q": q})),
        tools.greet(q),
        tools.lookup(q),
        tools.recipes.invoke({"query": q}),
    ]
"""

MOCK = {
    "tool": [
        "app.tools.search",
        "app.tools.asearch",
        "app.tools.greet",
        "app.tools.lookup",
        "app.tools.recipes",
    ],
}

TEST = f"""
import pytest

from app import agent


@pytest.mark.replay(mock={MOCK!r})
def test_tools():
    assert agent.run(QUESTION) == [
        "docs about " + QUESTION,
        "docs about " + QUESTION + "!",
        "async docs about " + QUESTION,
        "hello " + QUESTION,
        "db[" + QUESTION + "]",
        "recipes for " + QUESTION,
    ]
"""


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    package = pytester.mkpydir("app")
    (package / "tools.py").write_text(textwrap.dedent(TOOLS))
    (package / "agent.py").write_text(textwrap.dedent(AGENT))
    return pytester


def _write_test(app: pytest.Pytester, question: str) -> None:
    app.makepyfile(test_tools=f"QUESTION = {question!r}\n" + TEST)


def test_callable_instances_record_and_replay_as_objects_of_their_class(
    app: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_test(app, "tacos")
    app.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("TOOLS_SEALED", "1")  # a tool's body running now raises
    for _ in range(2):
        app.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_changed_argument_of_a_callable_instance_diverges(
    app: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_test(app, "tacos")
    app.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("TOOLS_SEALED", "1")
    _write_test(app, "ramen")
    result = app.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*app.tools.search*"])


def test_an_object_holding_two_functions_is_refused_naming_each(app: pytest.Pytester) -> None:
    (app.path / "app" / "tools.py").write_text(
        textwrap.dedent(TOOLS)
        + textwrap.dedent(
            """
            class Both:
                def __init__(self):
                    self.func = _search
                    self.fallback = _lookup

                def __call__(self, q):
                    return self.func(q)


            both = Both()
            """
        )
    )
    app.makepyfile(
        test_both="""
        import pytest

        from app import tools

        @pytest.mark.replay(mock={"tool": "app.tools.both"})
        def test_both():
            tools.both("x")
        """
    )
    result = app.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mock target 'app.tools.both' cannot be patched: it is an "
            "app.tools.Both instance holding more than one function ('app.tools.both.func', "
            "'app.tools.both.fallback'), so which of them its calls make is unknown*"
            "Mock the function its calls make: 'app.tools.both.func' or "
            "'app.tools.both.fallback'*",
        ]
    )


def test_a_cached_function_keeps_its_cache_methods_while_patched(
    app: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # functools.lru_cache / functools.cache give a function of a C type: it was replaced by a
    # plain function, and the agent's (or a fixture's) `cache_clear()` raised AttributeError
    (app.path / "app" / "cached.py").write_text(
        textwrap.dedent(
            """
            import functools
            import os


            @functools.lru_cache(maxsize=8)
            def settings(name):
                if os.environ.get("TOOLS_SEALED"):
                    raise RuntimeError("settings() ran live during replay")
                return {"name": name, "model": "m-1"}


            @functools.cache
            def prompt(kind):
                return f"You are a {kind} agent."


            def run():
                settings.cache_clear()
                prompt.cache_clear()
                first = settings("prod")["model"] + " / " + prompt("support")
                info = settings.cache_info()
                return first, info.maxsize, settings.cache_parameters()["maxsize"]
            """
        )
    )
    app.makepyfile(
        test_cached="""
        import pytest

        from app import cached

        @pytest.mark.replay(mock={"tool": ["app.cached.settings", "app.cached.prompt"]})
        def test_cached():
            assert cached.run() == ("m-1 / You are a support agent.", 8, 8)

        def test_after():  # the originals and their caches are back
            cached.settings.cache_clear()
            cached.prompt.cache_clear()
            assert cached.settings.cache_info().currsize == 0
            assert cached.prompt("x") == "You are a x agent."
            assert cached.prompt.cache_info().currsize == 1
        """
    )
    app.runpytest("--clearstone-record").assert_outcomes(passed=2)
    monkeypatch.setenv("TOOLS_SEALED", "1")
    app.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
