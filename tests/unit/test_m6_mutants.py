"""Mutation round 28, part 2: the codec's client references and withheld values, the
``random``/``otel_meter`` tags, the redaction's client notes and the LangGraph cache hint
(each test kills a mutation the existing tests let through)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import withheld
from pytest_clearstone.codec.clients import sent_with_every_request
from pytest_clearstone.errors import DecodeError
from pytest_clearstone.redaction import DEFAULT_KEYS, Redactor


def test_the_headers_of_an_anthropic_clients_credentials_config_are_sent_with_every_request() -> (
    None
):
    # (anthropic's config=/profile= adds headers of its own, _credential_headers, beside
    # default_headers: the reference leaves them out, so they are noted as sent)
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(
        config={
            "authentication": {"type": "user_oauth", "credentials_path": "/nonexistent/c.json"},
            "workspace_id": "wrkspc-m6-0123456789",
        }
    )
    assert ("header", "anthropic-workspace-id", "wrkspc-m6-0123456789") in (
        sent_with_every_request(client, "anthropic:Anthropic")
    )
    assert "wrkspc-m6-0123456789" not in json.dumps(codec.encode(client))
    rules = Redactor(keys=(*DEFAULT_KEYS, "anthropic-workspace-id"))
    assert rules.secret_values({})["wrkspc-m6-0123456789"] == (
        "the anthropic-workspace-id header of an anthropic.Anthropic client"
    )


def test_a_clients_default_header_or_query_given_as_omit_or_not_given_is_left_out() -> None:
    # (openai's omit removes a default header; a value that is no text is no secret, and a
    # secret seen must be text: the last check looks for it in the golden's text)
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(
        api_key="sk-omitted-0123456789",
        default_headers={"Authorization": openai.omit, "X-Trace": "trace-m6"},
        default_query={"api-key": openai.not_given},
    )
    assert sent_with_every_request(client, "openai:OpenAI") == [("header", "X-Trace", "trace-m6")]
    rules = Redactor()
    rules({"client": client})
    codec.encode(client)
    assert rules.secret_values({}) == {
        "sk-omitted-0123456789": "the api_key of an openai.OpenAI client"
    }


def test_the_settings_sent_with_every_request_are_bounded_and_keep_their_first_description() -> (
    None
):
    for i in range(withheld.LIMIT + 5):
        withheld.note_sent("query", "token", f"value-{i:08d}", "an httpx.Client")
    sent = withheld.sent()
    assert len(sent) == withheld.LIMIT
    assert ("query", "token", "value-00000000") not in sent
    assert ("query", "token", f"value-{withheld.LIMIT + 4:08d}") in sent
    withheld.forget()
    withheld.note_sent("header", "X-Key", "key-m6-first", "an httpx.Client")
    withheld.note_sent("header", "X-Key", "key-m6-first", "an openai.OpenAI client")
    withheld.note_sent("query", "token", "", "an httpx.Client")  # (no value: nothing to find)
    withheld.note_sent("query", 7, "key-m6-named-7", "an httpx.Client")
    sent = withheld.sent()
    assert sent == {("header", "X-Key", "key-m6-first"): "an httpx.Client"}
    sent.clear()  # (a copy)
    assert withheld.sent()
    withheld.forget()
    assert withheld.sent() == {}


class Random:
    """An agent's class of its own that is named ``Random`` (a random-choice policy): no
    ``random.Random``, stored as any object."""

    def __init__(self, choices: list[str]) -> None:
        self.choices = choices


def test_a_class_of_another_module_named_random_is_not_stored_as_a_random_generator() -> None:
    # (the state of random.Random alone is stored by its words; this one as a pickle, as before)
    assert codec.encode(Random(["a", "b"]))[codec.TAG] == "pickle"


@pytest.mark.parametrize(
    "changed", [{"version": 3}, {"schema_url": ["x"]}], ids=["version", "schema_url"]
)
def test_a_bad_stored_opentelemetry_meter_version_or_schema_url_is_a_decode_error(
    changed: dict[str, object],
) -> None:
    pytest.importorskip("opentelemetry")
    tree = {codec.TAG: "otel_meter", "v": "support.agent", **changed}
    with pytest.raises(DecodeError, match=r"bad stored OpenTelemetry meter 'support\.agent'"):
        codec.decode(tree)


def _gateway_client() -> type[Any]:
    """An agent's subclass of ``openai.OpenAI``, at module level (importable: stored as a
    reference)."""
    global GatewayOpenAI
    openai = pytest.importorskip("openai")
    if "GatewayOpenAI" not in globals():

        class GatewayOpenAI(openai.OpenAI):  # type: ignore[misc,no-redef]
            pass

        GatewayOpenAI.__qualname__ = "GatewayOpenAI"
    return GatewayOpenAI  # type: ignore[no-any-return]


@pytest.mark.parametrize("through", ["client", "resource"])
def test_the_redaction_names_the_agents_client_class_in_what_it_sends_with_every_request(
    through: str,
) -> None:
    # (the walk over a recorded value notes the secrets a client, or a resource's client, it
    # meets sends with every request, named by the agent's own class; the codec, which stores
    # the client as a reference of its library class, names that class)
    client = _gateway_client()(
        api_key="sk-walked-0123456789",
        default_query={"api-key": "query-walked-0123456789"},
        default_headers={"X-Gateway-Token": "Bearer header-walked-0123456789"},
    )
    rules = Redactor()
    rules({"agent": client if through == "client" else client.chat.completions})
    seen = rules.secret_values({})
    named = "a tests.GatewayOpenAI client"
    assert {value: seen.get(value) for value in seen if "walked" in value} == {
        "sk-walked-0123456789": "the api_key of an openai.OpenAI client",
        "query-walked-0123456789": f"the api-key query parameter of {named}",
        "Bearer header-walked-0123456789": f"the X-Gateway-Token header of {named}",
        "header-walked-0123456789": f"the token in the X-Gateway-Token header of {named}",
    }


@pytest.mark.parametrize("gauss", ["0.5", True, [0.5]], ids=["text", "bool", "list"])
def test_a_stored_random_generators_gauss_next_that_is_no_number_is_a_decode_error(
    gauss: object,
) -> None:
    import random

    tree = {**codec.encode(random.Random(1), strict=True, allow_pickle=False), "gauss": gauss}
    with pytest.raises(DecodeError, match=r"bad stored random\.Random state"):
        codec.decode(tree)


def test_a_stored_random_generators_whole_number_gauss_next_reads_back_as_random_keeps_it() -> None:
    # (a float, as random.Random keeps it: a JSON 0 draws the float 0.0, not the int 0)
    import random

    tree = {**codec.encode(random.Random(1), strict=True, allow_pickle=False), "gauss": 0}
    back = codec.decode(tree)
    assert type(back.getstate()[2]) is float
    assert type(back.gauss(0, 1)) is float


def test_the_cache_hint_is_given_when_one_of_the_runs_calls_was_made_in_a_graph_node() -> None:
    # (an agent that calls its model before it invokes its graph: one call outside any node,
    # one in a node, as the LangChain callbacks noted with each call tell)
    pytest.importorskip("langgraph.cache.memory")
    from typing import TypedDict

    from langgraph.cache.memory import InMemoryCache
    from langgraph.graph import END, START, StateGraph

    from pytest_clearstone.golden.callback_handlers import InContext, context_handlers
    from pytest_clearstone.golden.graph_cache import graph_cache_hint

    class S(TypedDict, total=False):
        x: str

    seen: list[InContext | None] = []

    def plan(state: S) -> S:
        seen.append(context_handlers())
        return {"x": "planned"}

    builder = StateGraph(S)
    builder.add_node("plan", plan)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", END)
    graph = builder.compile(cache=InMemoryCache())
    graph.invoke({"x": "go"})
    hint = "LangGraph's node cache is in use ("
    assert hint in graph_cache_hint([None, *seen])
    assert graph_cache_hint([None]) == ""
    del graph


def test_a_password_holding_an_at_sign_unencoded_is_split_off_whole() -> None:
    # (httpx writes it %40-encoded; a client class of the agent's own may give its base URL as
    # it was written: the host follows the last '@' of the authority, not the first)
    from pytest_clearstone.codec.clients import split_password

    assert split_password("https://svc:p@ss@llm-proxy.example/v1?q=a@b") == (
        "https://svc:[REDACTED]@llm-proxy.example/v1?q=a@b",
        "p@ss",
    )
