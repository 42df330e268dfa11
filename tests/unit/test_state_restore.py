"""An agent's state taken and given back to it (``golden/state.py``): what is taken, what
``load_state`` keeps of the agent's own, what it reports kept, and the classes an untrusted
golden may name."""

from __future__ import annotations

import dataclasses
import functools
import sys
from pathlib import Path
from typing import Any

import httpx
import openai
import pydantic
import pytest

from pytest_clearstone.codec.clients import HTTP_CLIENTS, SDK_CLIENTS
from pytest_clearstone.errors import (
    AgentImportError,
    CheckpointError,
    ClearstoneError,
    SerializationError,
)
from pytest_clearstone.golden.state import (
    CLIENT_PACKAGES,
    agent_class_of,
    agent_state,
    capture_state,
    import_agent_class,
    kept_attributes_hint,
    load_state,
    rehydrate,
    state_value,
    without_one_sided_cached_values,
)


class Agent:
    def __init__(self, **attributes: Any) -> None:
        vars(self).update(attributes)


@dataclasses.dataclass
class Deps:
    client: Any
    retries: int = 1


def _client(url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=url)


def test_the_state_taken_through_dunder_dict_is_a_copy() -> None:
    agent = Agent(history=[1])
    state = agent_state(agent)
    state["escalated"] = True
    assert vars(agent) == {"history": [1]} and state["history"] is agent.history


def test_an_attribute_named_get_state_that_is_no_method_leaves_the_state_to_dunder_dict() -> None:
    assert agent_state(Agent(get_state="saved")) == {"get_state": "saved"}


class Inner:
    """An object with state methods of its own: a LangGraph graph's get_state(config), an
    agent of another's."""

    def get_state(self, config: Any = None) -> dict[str, Any]:
        raise AssertionError("the wrapper's state was taken from the object it wraps")

    def load_state(self, state: Any) -> None:
        raise AssertionError("the wrapper's state was given to the object it wraps")


class Wrapper:
    """An agent whose ``__getattr__`` hands on what it lacks to the object it wraps."""

    def __init__(self) -> None:
        self.inner = Inner()
        self.turns: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_state_methods_of_the_object_an_agent_wraps_are_not_the_agents() -> None:
    # (a class delegating to its compiled LangGraph graph was refused: "its get_state() needs
    # arguments (config), so it is not an agent's state method")
    agent = Wrapper()
    assert agent_state(agent) == {"inner": agent.inner, "turns": []}
    load_state(agent, {"inner": agent.inner, "turns": ["hi"]})
    assert agent.turns == ["hi"]


class Assistant(openai.OpenAI):
    """An agent that is its SDK client: a subclass with the agent's methods and memory."""

    def __init__(self) -> None:
        super().__init__(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
        self.memory: list[str] = []


def test_an_agent_that_subclasses_an_sdk_client_is_told_to_hold_the_client_instead() -> None:
    # (was: "cannot serialise the agent state at state['_configured_base_url'] (a
    # httpx2.URL) ... Make the value JSON-friendly": an attribute the SDK set, not the agent)
    with pytest.raises(SerializationError) as refused:
        capture_state(Assistant())
    message = str(refused.value)
    assert "Assistant is an SDK client (a subclass of openai.OpenAI)" in message
    assert "self.client = openai.OpenAI(...)" in message
    assert "JSON-friendly" not in message


class StatedAssistant(Assistant):
    """The same agent giving its state by a get_state() of its own: no client's settings."""

    def get_state(self) -> dict[str, Any]:
        return {"memory": self.memory}

    def load_state(self, state: dict[str, Any]) -> None:
        self.memory = list(state["memory"])


def test_an_agent_that_subclasses_an_sdk_client_with_a_get_state_of_its_own_is_recorded() -> None:
    # (the refusal's own fix: a get_state() returning the agent's attributes, not the client's)
    agent = StatedAssistant()
    agent.memory.append("hi")
    assert capture_state(agent).value == {"memory": ["hi"]}


class Fetcher(httpx.Client):
    """An agent that is its HTTP client."""

    def __init__(self) -> None:
        super().__init__(base_url="http://127.0.0.1:9")
        self.pages: list[str] = []


def test_an_agent_that_subclasses_an_http_client_is_told_it_is_one() -> None:
    agent = Fetcher()
    with agent, pytest.raises(SerializationError) as refused:
        capture_state(agent)
    message = str(refused.value)
    assert "Fetcher is an HTTP client (a subclass of httpx.Client)" in message
    assert "self.client = httpx.Client(...)" in message


def test_the_client_packages_looked_for_first_are_those_of_every_known_client() -> None:
    # (an agent with no base of these packages is told no client without importing the
    # clients' codec: a known client of another package would never be refused)
    packages = {path.partition(":")[0].partition(".")[0] for path in SDK_CLIENTS | HTTP_CLIENTS}
    assert packages == CLIENT_PACKAGES


class Cached(Agent):
    @functools.cached_property
    def doubled(self) -> int:
        return 2


def test_a_cached_value_only_one_state_holds_is_left_out_of_both() -> None:
    agent = Cached()
    trimmed = ({"n": 1}, {"n": 1})
    assert without_one_sided_cached_values({"n": 1, "doubled": 2}, {"n": 1}, agent) == trimmed
    assert without_one_sided_cached_values({"n": 1}, {"n": 1, "doubled": 2}, agent) == trimmed
    # (a cached value both hold, or an attribute of another kind, is compared as it is)
    assert without_one_sided_cached_values({"doubled": 2}, {"doubled": 3}, agent) is None
    assert without_one_sided_cached_values({"n": 1, "m": 2}, {"n": 1}, agent) is None


class KeywordOnly(Exception):
    """An exception whose pickle does not load back (``openai.RateLimitError``'s shape)."""

    def __init__(self, *, code: int) -> None:
        super().__init__(code)


def test_the_pickle_that_does_not_load_back_is_named_past_one_that_does() -> None:
    state = capture_state(Agent(fine=ValueError("x"), broken=KeywordOnly(code=1)))
    with pytest.raises(SerializationError, match=r"state\['broken'\].*cannot be loaded back"):
        state_value(state)


class Handle:
    """A value (no exception) only a pickle stores, whose pickle does not load back."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __reduce__(self) -> tuple[Any, ...]:
        return (Handle, ())


def test_a_pickle_that_does_not_load_back_is_told_its_fix_by_what_it_stores() -> None:
    # (an exception kept as a value: first the fix that records it readably; any other value:
    # an encoder of its own)
    for value, told in (
        (KeywordOnly(code=1), "it is an exception kept as a value"),
        (
            Handle(1),
            "cannot serialise state['value'] (a tests.unit.test_state_restore.Handle): "
            "only a pickle could store it, and its pickle cannot be loaded back",
        ),
    ):
        with pytest.raises(SerializationError) as refused:
            state_value(capture_state(Agent(value=value)))
        message = str(refused.value)
        assert told in message
        assert "allowing pickles would not help" in message
        assert ("keep what the test checks of it" in message) is isinstance(value, Exception)


class Outer:
    class Inner(Agent):
        pass


def test_a_nested_agent_class_is_named_by_its_qualified_name_and_imported_back() -> None:
    name, module = agent_class_of(Outer.Inner())
    assert (name, module) == ("Outer.Inner", __name__)
    assert import_agent_class(module, name) is Outer.Inner
    with pytest.raises(AgentImportError, match="the module has no attribute 'Gone'"):
        import_agent_class(module, "Outer.Gone")


@pytest.mark.parametrize(("module", "qualname"), [(None, "Agent"), (__name__, None)])
def test_a_checkpoint_without_the_agents_module_or_class_is_refused(
    module: str | None, qualname: str | None
) -> None:
    with pytest.raises(AgentImportError, match="the checkpoint has no agent"):
        import_agent_class(module, qualname)


def test_a_relative_module_name_of_a_checkpoint_is_refused_naming_the_class() -> None:
    # (a file edited by hand: no module to find, nor to import)
    with pytest.raises(AgentImportError, match=r"'Agent' from module '\.agents'"):
        import_agent_class(".agents", "Agent")


def test_a_client_the_test_built_is_kept_over_the_recorded_one() -> None:
    own = _client("http://test.local/v1")
    agent = Agent(client=own, deps=Deps(_client("http://test.local/v1")), pair=(own, 1))
    mine = agent.deps, agent.pair
    recorded = _client("http://recorded.local/v1")
    load_state(agent, {"client": recorded, "deps": Deps(recorded, 2), "pair": (recorded, 2)})
    # (a client inside a dataclass of dependencies, or a tuple, is found too)
    assert agent.client is own and (agent.deps, agent.pair) == mine


def test_a_recorded_client_is_given_where_the_agent_holds_none() -> None:
    recorded = _client("http://recorded.local/v1")
    agent = Agent(client=None, deps=Deps(None))
    load_state(agent, {"client": recorded, "deps": Deps(recorded)})
    assert agent.client is recorded and agent.deps.client is recorded


def test_the_attributes_the_agent_keeps_that_the_state_has_not_are_reported() -> None:
    agent = Agent(history=[1], escalated=True)
    assert load_state(agent, {"history": []}) == {"escalated"}
    assert agent.history == [] and agent.escalated is True


def test_a_kept_attribute_a_later_runs_final_state_changes_is_named() -> None:
    deltas = ["root['history'][0]: changed", "root['escalated']: added True"]  # (two runs)
    hint = kept_attributes_hint(Agent(), {"escalated", "unchanged"}, deltas)
    assert hint.startswith("`escalated` was already set on the agent")
    # (kept attributes no delta changes are not the cause)
    assert kept_attributes_hint(Agent(), {"unchanged"}, deltas) == ""


def test_a_state_no_replay_could_give_back_to_a_slotted_agent_is_refused_when_recorded() -> None:
    class Slotted:
        __slots__ = ("n",)

        def __init__(self) -> None:
            self.n = 1

        def get_state(self) -> dict[str, Any]:
            return {"n": self.n}

    with pytest.raises(ClearstoneError, match=r"Slotted has no __dict__.*Slotted a load_state"):
        capture_state(Slotted(), restored=True)


def test_an_untrusted_golden_imports_no_frozen_module() -> None:
    # (importing __hello__, a frozen module of the standard library, runs its code: it prints)
    sys.modules.pop("__hello__", None)
    with pytest.raises(AgentImportError, match="module of the standard library"):
        import_agent_class("__hello__", "Agent")
    assert "__hello__" not in sys.modules


def test_a_trusted_golden_imports_an_installed_class_not_imported_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sched", raising=False)
    assert import_agent_class("sched", "scheduler", trusted=True).__module__ == "sched"


def test_the_package_of_a_module_named_by_a_golden_is_found_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cs_parent" / "child"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("raise RuntimeError('imported')\n")
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(AgentImportError, match="RuntimeError: imported"):
        import_agent_class("cs_parent.child.agents", "Agent")  # (the import says why)


def test_an_untrusted_golden_imports_no_module_of_an_installed_namespace_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (opentelemetry is a namespace package: found by its directories, not by a file)
    module = "opentelemetry.environment_variables"
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(AgentImportError, match="it was not imported"):
        import_agent_class(module, "Agent")
    assert module not in sys.modules


def test_the_projects_part_of_an_installed_namespace_package_is_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "opentelemetry").mkdir()
    (tmp_path / "opentelemetry" / "cs_agents.py").write_text("class Agent:\n    pass\n")
    monkeypatch.syspath_prepend(tmp_path)
    try:
        assert import_agent_class("opentelemetry.cs_agents", "Agent").__name__ == "Agent"
    finally:
        sys.modules.pop("opentelemetry.cs_agents", None)


class ModelAgent(pydantic.BaseModel):
    model: str = "small"
    _turns: list[str] = pydantic.PrivateAttr(default_factory=list)


def test_a_pydantic_agents_private_attributes_are_taken_with_its_fields() -> None:
    agent = ModelAgent()
    agent._turns.append("hi")
    assert agent_state(agent) == {"model": "small", "_turns": ["hi"]}


def test_the_private_attributes_of_an_installed_packages_model_are_not_taken() -> None:
    # (a LangChain tool given to replay.run(): its private memo is the library's, not state)
    from langchain_core.tools import StructuredTool

    tool = StructuredTool.from_function(lambda q: q, name="search", description="Search.")
    assert "_tool_call_schema_memo" in type(tool).__private_attributes__
    assert not [name for name in agent_state(tool) if name.startswith("_")]


def test_a_pydantic_agents_private_attributes_are_given_back_where_pydantic_keeps_them() -> None:
    agent = ModelAgent()
    agent._turns.append("old")
    assert load_state(agent, {"model": "big", "_turns": ["hi"]}) == set()
    assert agent.__pydantic_private__ == {"_turns": ["hi"]} and "_turns" not in vars(agent)


def test_a_private_attribute_the_state_has_not_is_reported_kept() -> None:
    agent = ModelAgent()
    agent._turns.append("old")
    assert load_state(agent, {"model": "big"}) == {"_turns"}
    assert agent.model == "big" and agent._turns == ["old"]


class Reader:
    """An agent with get_state() and no load_state(), whose state's keys are not its
    attributes' names."""

    def __init__(self) -> None:
        self._memory: list[str] = []

    def get_state(self) -> dict[str, Any]:
        return {"memory": list(self._memory)}


def test_an_agent_whose_get_state_fails_once_rehydrated_by_attributes_is_refused() -> None:
    with pytest.raises(CheckpointError) as info:
        rehydrate(Reader, {"memory": ["hi"]})
    assert str(info.value) == (
        "cannot rehydrate the agent: Reader has get_state() but no load_state(state), so its "
        "state was given as attributes named after the state's keys ('memory'), and its "
        "get_state() then fails with AttributeError: 'Reader' object has no attribute "
        "'_memory': give the class a load_state(state) that sets what get_state() reads"
    )


def test_an_attrs_agent_with_slots_is_told_to_declare_it_without_them() -> None:
    attrs = pytest.importorskip("attrs")

    @attrs.define
    class Slotted:
        n: int = 1

    with pytest.raises(SerializationError) as info:
        agent_state(Slotted())
    assert (
        "Declare it with @attrs.define(slots=False), which keeps its fields in __dict__; or "
        "give " in str(info.value)
    )


class Listed:
    def get_state(self) -> list[str]:
        return ["hi"]


def test_a_state_that_is_no_dict_of_an_agent_without_load_state_is_refused_when_recorded() -> None:
    with pytest.raises(ClearstoneError) as info:
        capture_state(Listed(), restored=True)
    assert "Listed.get_state() returns a list, not a dict, and Listed has no load_state" in str(
        info.value
    )


@dataclasses.dataclass(slots=True)
class SlottedData:
    n: int = 1


def test_a_slotted_dataclass_agent_is_told_to_declare_it_without_slots() -> None:
    with pytest.raises(SerializationError) as info:
        agent_state(SlottedData())
    assert "Declare it with @dataclass without slots=True (and no __slots__ of its own)" in str(
        info.value
    )


class Concierge:
    """An agent of the project's own holding a pydantic-ai ``Agent`` (the usual shape)."""

    def __init__(self) -> None:
        from pydantic_ai import Agent as LibraryAgent
        from pydantic_ai.models.test import TestModel

        self.agent = LibraryAgent(TestModel(), system_prompt="Concierge.")
        self.answers: list[str] = []


def test_a_library_object_held_by_the_agent_is_named_with_the_fix() -> None:
    # (was: "cannot serialise state['agent']._override_name (a _contextvars.ContextVar) ...
    # Make the value JSON-friendly": a private attribute of pydantic-ai's, which the user
    # cannot change, named instead of the Agent the user keeps)
    pytest.importorskip("pydantic_ai")
    with pytest.raises(SerializationError) as refused:
        capture_state(Concierge())
    message = str(refused.value)
    assert message.startswith("cannot serialise state['agent']._override_name")
    assert (
        "state['agent'] is a pydantic_ai.agent.Agent, an object of an installed package: leave "
        "it out of the state: give Concierge a get_state() returning what the agent decides "
        "(and a load_state(state) setting it back)" in message
    )
    assert "JSON-friendly" not in message


def test_a_library_agent_whose_state_cannot_be_stored_is_told_to_be_given_to_a_function() -> None:
    # (replay.run() given a pydantic_ai.Agent's method: its class is not the user's to change)
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent as LibraryAgent
    from pydantic_ai.models.test import TestModel

    with pytest.raises(SerializationError) as refused:
        capture_state(LibraryAgent(TestModel()))
    message = str(refused.value)
    assert message.startswith("cannot serialise state['_override_name']")
    assert message.endswith(
        "The agent is a pydantic_ai.agent.Agent, a class of an installed package: give "
        "replay.run() a function of your own that takes it instead (def run(agent, *args): "
        "return agent.method(*args); then replay.run(run, agent, *args)) or a method of a class "
        "of your own, with get_state()/load_state() if it has state to compare"
    )


class StatedConcierge(Concierge):
    """The same agent with a ``get_state()`` that returns the library object with the rest."""

    def get_state(self) -> dict[str, Any]:
        return {"agent": self.agent, "answers": self.answers}

    def load_state(self, state: dict[str, Any]) -> None:
        self.answers = list(state["answers"])


def test_a_library_object_its_get_state_returns_is_to_be_left_out_of_get_state() -> None:
    # (the agent has a get_state(): the fix is in it, not a get_state() to give)
    pytest.importorskip("pydantic_ai")
    with pytest.raises(SerializationError) as refused:
        capture_state(StatedConcierge())
    message = str(refused.value)
    assert message.endswith(
        "state['agent'] is a pydantic_ai.agent.Agent, an object of an installed package: leave "
        "it out of get_state()."
    )


@dataclasses.dataclass
class OwnHandle:
    """A class of the project's own (stored by its fields) holding a value no checkpoint can
    store."""

    pending: Any = dataclasses.field(default_factory=lambda: (n for n in range(3)))


class Keeper:
    def __init__(self) -> None:
        self.handle = OwnHandle()


def test_a_value_of_the_projects_own_class_keeps_the_state_advice() -> None:
    # (an object of the project's own, not of an installed package: the user can change it)
    with pytest.raises(SerializationError) as refused:
        capture_state(Keeper())
    message = str(refused.value)
    assert message.startswith("cannot serialise state['handle'].pending")
    assert message.endswith(SerializationError.STATE_ADVICE)


class DeepKeeper:
    """An agent keeping an SDK's message (an installed package's object) whose extra field holds
    a value nested deeper than a golden can hold."""

    def __init__(self) -> None:
        from openai.types.chat import ChatCompletionMessage

        deep: dict[str, Any] = {}
        level = deep
        for _ in range(2100):
            level["x"] = level = {}
        self.reply = ChatCompletionMessage.model_construct(role="assistant", content=deep)


def test_a_value_too_deep_inside_a_library_object_keeps_its_own_refusal() -> None:
    # (the advice for a library object replaces the state advice only: a refusal with advice of
    # its own, a value nested too deep, is kept as it is, its class too)
    from pytest_clearstone.errors import NestingTooDeepError

    with pytest.raises(NestingTooDeepError) as refused:
        capture_state(DeepKeeper())
    assert str(refused.value).startswith("cannot serialise state['reply'].content['x']")
    assert str(refused.value).endswith(NestingTooDeepError.ADVICE)


class Desk:
    """An agent of the project's own keeping pydantic-ai ``Agent`` objects in a list and a dict."""

    def __init__(self, where: str) -> None:
        from pydantic_ai import Agent as LibraryAgent
        from pydantic_ai.models.test import TestModel

        agent = LibraryAgent(TestModel(), system_prompt="Desk.")
        self.crew: Any = {"list": [agent], "dict": {"writer": agent}, "tuple": ("x", agent)}[where]


@pytest.mark.parametrize(
    ("where", "held"),
    [
        ("list", "state['crew'][0]"),
        ("dict", "state['crew']['writer']"),
        ("tuple", "state['crew'][1]"),
    ],
)
def test_a_library_object_held_in_a_list_or_dict_is_named_with_the_fix(
    where: str, held: str
) -> None:
    # (was: "cannot serialise state['crew'][0]._override_name (a _contextvars.ContextVar) ...
    # Make the value JSON-friendly", where the same Agent kept directly was named with the fix)
    pytest.importorskip("pydantic_ai")
    with pytest.raises(SerializationError) as refused:
        capture_state(Desk(where))
    message = str(refused.value)
    assert message.startswith(f"cannot serialise {held}._override_name")
    assert (
        f"{held} is a pydantic_ai.agent.Agent, an object of an installed package: leave it out "
        "of the state: give Desk a get_state() returning what the agent decides (and a "
        "load_state(state) setting it back)" in message
    )
    assert "JSON-friendly" not in message


class Chat:
    """An agent of the project's own keeping an OpenAI Agents SDK session (its conversation)."""

    def __init__(self, nested: bool) -> None:
        from agents import SQLiteSession

        session = SQLiteSession("chat-1")
        self.session: Any = [session] if nested else session


class ChatWithState(Chat):
    def get_state(self) -> dict[str, Any]:
        return {"session": self.session}


@pytest.mark.parametrize(
    ("agent", "held"),
    [
        (lambda: Chat(nested=False), "state['session']"),
        (lambda: Chat(nested=True), "state['session'][0]"),
        (lambda: ChatWithState(nested=False), "state['session']"),
    ],
    ids=["kept", "in a list", "in get_state()"],
)
def test_an_agents_sdk_session_in_the_state_is_named_with_what_to_do_with_it(
    agent: Any, held: str
) -> None:
    # (was: "cannot serialise state['session'] (an agents.memory.sqlite_session.SQLiteSession):
    # dill cannot pickle it (...). Make the value JSON-friendly, exclude it from get_state(), or
    # implement get_state()/load_state() on the agent")
    pytest.importorskip("agents")
    made = agent()
    with pytest.raises(SerializationError) as refused:
        capture_state(made)
    message = str(refused.value)
    assert message.startswith(f"cannot serialise {held} (an agents.memory.sqlite_session.")
    leave = (
        "leave it out of get_state()"
        if isinstance(made, ChatWithState)
        else "leave it out of the state: give Chat a get_state() returning what the agent "
        "decides (and a load_state(state) setting it back)"
    )
    assert (
        f"{held} is an agents.memory.sqlite_session.SQLiteSession, an OpenAI Agents SDK session "
        f"(its items are kept in its database, not in the agent): {leave}; to compare the "
        "conversation, keep its items in an attribute of your own (self.items = await "
        "session.get_items(), after each run) and have the state hold them." in message
    )
    assert "JSON-friendly" not in message
