"""same_stored_form: values compared as they are stored, never by pickle bytes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import StoredRepr, same_stored_form
from tests.spies import calls_to


class Handle:
    """No __eq__."""

    def __init__(self, number: int) -> None:
        self.number = number


class Pool:
    """A value that cannot be stored readably (no __eq__, holds a lock-like object)."""


def test_objects_without_equality_compare_by_their_attributes() -> None:
    assert same_stored_form({"h": Handle(1)}, {"h": Handle(1)})
    assert not same_stored_form({"h": Handle(1)}, {"h": Handle(2)})


def test_a_plain_class_made_at_run_time_under_the_recorded_ones_name_is_another_class() -> None:
    # (only a library value or a dataclass made so, instructor's response_model, is read as the
    # recorded class)
    made = type("Handle", (Handle,), {"__module__": Handle.__module__})
    assert not same_stored_form(made(1), Handle(1))


def test_a_placeholder_compares_by_type_name() -> None:
    recorded = StoredRepr(f"{__name__}.Pool", "<Pool: not stored>")
    assert same_stored_form({"pool": Pool()}, {"pool": recorded})
    assert not same_stored_form({"pool": Handle(1)}, {"pool": recorded})


def test_containers_must_match_in_shape() -> None:
    assert not same_stored_form([Handle(1)], [Handle(1), Handle(1)])
    assert not same_stored_form({"a": 1}, {"b": 1})
    assert not same_stored_form({"a": 1}, {"a": 1, "b": 1})
    assert not same_stored_form((1,), [1])


@dataclasses.dataclass
class Settings:
    """A library value: compared by its stored form when == says no."""

    temperature: float


class Loose:
    """An object equal to anything: compared by ==, at any depth."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def test_values_equal_by_equality_are_equal_at_any_depth() -> None:
    # the Handle (no __eq__) sends the comparison down the tree; the rest still compares by ==
    assert same_stored_form({"h": Handle(1), "x": [Loose()]}, {"h": Handle(1), "x": [object()]})
    assert not same_stored_form({"h": Handle(1), "x": [2]}, {"h": Handle(1), "x": [1]})


def test_a_library_value_is_compared_with_its_part_of_the_recorded_tree() -> None:
    """The recorded tree is the form the value was recorded in: the recorded value is not
    encoded again (here the decoded value stands for another one)."""
    live = {"model": Settings(0.2), "prompt": "hi"}
    tree = {"model": codec.encode(Settings(0.2)), "prompt": "hi"}
    decoded = {"model": Settings(0.7), "prompt": "hi"}
    assert not same_stored_form(live, decoded)
    assert same_stored_form(live, decoded, tree)
    assert not same_stored_form(
        {"model": Settings(0.9), "prompt": "hi"}, decoded, tree
    )  # a live value that differs from the tree
    # a tree that does not have the value's shape is not used
    assert not same_stored_form(live, decoded, {"other": tree["model"]})
    assert same_stored_form([live], [decoded], [tree])  # (a list's items: with their trees)
    assert not same_stored_form([live], [decoded], [tree, tree])


# ---------------------------------------------------------------- SDK clients and resources


def _references() -> list[tuple[str, object, object]]:
    """(what, live, recorded): pairs of live clients or resources and those a golden recorded,
    some stored alike and some not."""
    import anthropic
    import httpx2
    import openai

    def oa(**settings: object) -> openai.OpenAI:
        return openai.OpenAI(**{"api_key": "sk-live-key", **settings})  # type: ignore[arg-type]

    return [
        ("same resource", oa().chat.completions, oa(api_key="sk-other").chat.completions),
        ("max_retries", oa().chat.completions, oa(max_retries=7).chat.completions),
        ("base_url", oa().chat.completions, oa(base_url="https://x.example/v1").chat.completions),
        ("timeout", oa().chat.completions, oa(timeout=3.0).chat.completions),
        ("other resource", oa().completions, oa().chat.completions),
        (
            "async client",
            openai.AsyncOpenAI(api_key="k").chat.completions,
            oa().chat.completions,
        ),
        ("same client", oa(max_retries=4), oa(max_retries=4)),
        ("client retries", oa(max_retries=4), oa(max_retries=5)),
        (
            "anthropic",
            anthropic.Anthropic(api_key="k").messages,
            anthropic.Anthropic(api_key="j").messages,
        ),
        ("http client", httpx2.Client(follow_redirects=True), httpx2.Client()),
        (
            "same http client",
            httpx2.Client(base_url="http://a"),
            httpx2.Client(base_url="http://a"),
        ),
    ]


def test_a_live_client_or_resource_is_compared_with_its_recorded_reference_unencoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a replayed SDK call compares its live `self` with the recorded one at every call:
    # encoding the live resource for that cost ~0.1 M instructions a call
    from pytest_clearstone.codec import compare

    cases = [
        (what, live, codec.decode(tree), tree, codec.encode(live) == tree)
        for what, live, recorded in _references()
        for tree in [codec.encode(recorded)]
    ]
    assert [what for what, *_, alike in cases if alike] == [
        "same resource",
        "same client",
        "anthropic",
        "same http client",
    ]
    encoded = calls_to(monkeypatch, compare, "stored_form")
    for what, live, decoded, tree, alike in cases:
        got = same_stored_form(
            {"self": live, "n": 1}, {"self": decoded, "n": 1}, {"self": tree, "n": 1}
        )
        assert got is alike, what
    assert encoded == []


def test_a_client_whose_base_url_changed_between_calls_no_longer_matches_its_reference() -> None:
    # the text of the base URL read last is remembered (writing an httpx URL out is most of
    # what comparing a client's settings costs): a URL set since must be read anew
    import openai

    client = openai.OpenAI(api_key="k", base_url="https://api.example/v1")
    resource = client.chat.completions
    tree = codec.encode(resource)
    decoded = codec.decode(tree)
    assert same_stored_form(resource, decoded, tree)
    client.base_url = "https://elsewhere.example/v1"
    assert not same_stored_form(resource, decoded, tree)
    other = openai.OpenAI(api_key="k", base_url="https://api.example/v1")
    assert same_stored_form(other.chat.completions, decoded, tree)  # another URL object
    assert not same_stored_form(resource, decoded, tree)
    client.base_url = "https://api.example/v1"
    assert same_stored_form(resource, decoded, tree)


def test_a_client_whose_settings_changed_between_calls_no_longer_matches_its_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a live client or resource found stored as a reference is remembered (a replayed SDK call
    # compares its `self` at every call): found again without reading its settings, until an
    # attribute of the resource or of its client is given another value
    import openai

    from pytest_clearstone.codec import clients

    client = openai.OpenAI(api_key="k", base_url="https://api.example/v1", max_retries=0)
    resource = client.chat.completions
    tree = codec.encode(resource)
    decoded = codec.decode(tree)
    assert same_stored_form(resource, decoded, tree)
    read: list[object] = []
    settings = clients._settings
    monkeypatch.setattr(clients, "_settings", lambda v, base: read.append(v) or settings(v, base))
    assert same_stored_form(resource, decoded, tree)
    assert read == []  # remembered
    client.max_retries = 3
    assert not same_stored_form(resource, decoded, tree)
    client.max_retries = 0
    assert same_stored_form(resource, decoded, tree)
    client.timeout = 5.0
    assert not same_stored_form(resource, decoded, tree)
    client.timeout = openai.DEFAULT_TIMEOUT
    assert same_stored_form(resource, decoded, tree)
    resource._client = openai.OpenAI(api_key="k", base_url="https://elsewhere.example/v1")
    assert not same_stored_form(resource, decoded, tree)
    assert not same_stored_form(client, codec.decode(tree["client"]), {**tree["client"], "v": {}})


def test_a_client_of_a_class_made_in_a_function_is_not_taken_for_a_reference() -> None:
    # such a class cannot be imported again, so it is never stored as a reference: a tree
    # naming it (written by hand) tells nothing, and the values are compared encoded
    import openai

    from pytest_clearstone.codec.clients import is_stored_as

    class LocalOpenAI(openai.OpenAI):
        pass

    client = LocalOpenAI(api_key="k", base_url="https://api.example/v1")
    tree = codec.encode(openai.OpenAI(api_key="k", base_url="https://api.example/v1"))
    assert tree[codec.TAG] == "sdk_client"
    tree["cls"] = f"{LocalOpenAI.__module__}:{LocalOpenAI.__qualname__}"
    assert is_stored_as(client, tree) is None
    resource_tree = codec.encode(openai.OpenAI(api_key="k").chat.completions)
    resource_tree["client"] = tree
    assert is_stored_as(client.chat.completions, resource_tree) is None
    assert (
        is_stored_as(openai.OpenAI(api_key="k", base_url="https://api.example/v1"), tree) is False
    )


def test_with_an_encoder_registered_a_reference_is_compared_by_encoding() -> None:
    import openai

    def enc(client: openai.OpenAI) -> dict[str, object]:
        return {"retries": client.max_retries}

    def dec(data: dict[str, object]) -> openai.OpenAI:
        return openai.OpenAI(api_key="k", max_retries=int(data["retries"]))  # type: ignore[call-overload]

    live = openai.OpenAI(api_key="k", base_url="https://elsewhere.example/v1")
    tree = codec.encode(openai.OpenAI(api_key="k"))
    assert not same_stored_form(live, codec.decode(tree), tree)  # the base URLs differ
    codec.register(openai.OpenAI, enc, dec)
    try:
        registered_tree = codec.encode(openai.OpenAI(api_key="k"))
        # stored by the registered encoder, which keeps the retries only: alike
        assert same_stored_form(live, codec.decode(registered_tree), registered_tree)
        # recorded by reference before it was registered: the same client is stored otherwise now
        assert not same_stored_form(openai.OpenAI(api_key="k"), codec.decode(tree), tree)
    finally:
        codec.unregister(openai.OpenAI)


class Connection:
    """A value of a type taught to the codec, which stores its host only."""

    def __init__(self, host: str, pid: int) -> None:
        self.host, self.pid = host, pid


def test_a_value_of_a_registered_type_is_compared_by_what_its_encoder_stores() -> None:
    def enc(connection: Connection) -> dict[str, object]:
        return {"host": connection.host}

    def dec(data: dict[str, object]) -> Connection:
        return Connection(str(data["host"]), 0)

    assert not same_stored_form(Connection("db", 1), Connection("db", 2))  # (by attributes)
    codec.register(Connection, enc, dec)
    try:
        assert same_stored_form(Connection("db", 1), Connection("db", 2))
        assert not same_stored_form(Connection("db", 1), Connection("other", 1))
        assert not same_stored_form(Handle(1), Handle(2))  # (a type not registered: as before)
    finally:
        codec.unregister(Connection)


def test_a_nan_equals_a_nan_as_stored() -> None:
    # A NaN is never == itself, but two NaNs store the same: a recorded NaN argument is the
    # live NaN (a replay failed on it every time, re-recording or not).
    nan = float("nan")
    assert same_stored_form(
        {"threshold": nan, "xs": [1.0, nan]}, {"threshold": float("nan"), "xs": [1.0, float("nan")]}
    )
    assert not same_stored_form({"threshold": nan}, {"threshold": 0.5})
    assert not same_stored_form({"threshold": nan}, {"threshold": float("inf")})


def test_a_decimal_or_complex_nan_equals_itself_as_stored() -> None:
    # Expected, as for a float NaN: before, only floats were, and a golden holding
    # Decimal('NaN') mismatched on every replay
    from decimal import Decimal

    assert same_stored_form({"d": Decimal("NaN"), "c": complex("nan")},
                            {"d": Decimal("NaN"), "c": complex("nan")})  # fmt: skip
    assert not same_stored_form({"d": Decimal("NaN")}, {"d": Decimal("1.5")})
    assert not same_stored_form({"d": Decimal("sNaN")}, {"d": Decimal("NaN")})


def test_a_changed_item_of_a_list_differs_though_the_others_match() -> None:
    # Every item is compared, not any one of them: a prompt changed in the second message of
    # a conversation diverges, though the first message (and every item of a list of objects
    # without __eq__ but one) is unchanged
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    changed = [messages[0], {"role": "user", "content": "Hello"}]
    assert not same_stored_form({"messages": changed}, {"messages": messages})
    assert not same_stored_form([Handle(1), Handle(2)], [Handle(1), Handle(3)])
    assert same_stored_form([Handle(1), Handle(2)], [Handle(1), Handle(2)])


def test_a_set_that_lost_or_gained_an_item_differs() -> None:
    # a set holding only some of the recorded items (every one of them in the recorded set)
    # is another set
    assert not same_stored_form({"tools": {"search"}}, {"tools": {"search", "weather"}})
    assert not same_stored_form({"tools": {"search", "weather"}}, {"tools": {"search"}})
    assert not same_stored_form(frozenset({Handle(1)}), frozenset({Handle(1), Handle(2)}))


def test_a_deque_is_compared_item_by_item() -> None:
    import collections

    assert not same_stored_form(
        {"window": collections.deque(["a", "b"])}, {"window": collections.deque(["a", "c"])}
    )
    assert not same_stored_form(collections.deque([Handle(1)]), collections.deque([Handle(2)]))
    assert same_stored_form(collections.deque([Handle(1)]), collections.deque([Handle(1)]))
    # one item more or fewer is a difference, not a crash of the comparison
    assert not same_stored_form(collections.deque([Handle(1)]), collections.deque([Handle(1)] * 2))


def test_a_request_is_compared_without_the_headers_that_describe_the_machine() -> None:
    # a request sent from another machine (another SDK version, OS, user agent) is the same
    # request; one whose own header or body changed is not
    import httpx

    def request(user_agent: str, *, key: str = "1", body: str = "Lisbon") -> httpx.Request:
        headers = {"user-agent": user_agent, "x-stainless-os": user_agent, "x-trace": key}
        return httpx.Request("POST", "https://api.test/v1", json={"q": body}, headers=headers)

    recorded = request("python-httpx/0.27 Linux")
    assert same_stored_form(request("python-httpx/0.28 Darwin"), recorded)
    assert not same_stored_form(request("python-httpx/0.28 Darwin", key="2"), recorded)
    assert not same_stored_form(request("python-httpx/0.27 Linux", body="Porto"), recorded)


class Tool(dict):  # type: ignore[type-arg]
    """A library's tool definition: a dict subclass with attributes of its own."""


def test_a_dict_subclass_is_compared_by_its_items_and_its_attributes() -> None:
    # (items without __eq__: == cannot tell, so they are compared as stored)
    def tool(number: int, strict: bool) -> Tool:
        made = Tool(handle=Handle(number))
        made.strict = strict
        return made

    assert same_stored_form(tool(1, True), tool(1, True))
    assert not same_stored_form(tool(1, True), tool(1, False))
    assert not same_stored_form(tool(1, True), tool(2, True))


def test_trees_holding_pickles_or_reprs_compare_them_by_their_type() -> None:
    def pickle(type_name: str, data: str) -> dict[str, str]:
        return {"__cs__": "pickle", "type": type_name, "v": data}

    assert codec.same_tree({"pool": pickle("db.Pool", "gAR=")}, {"pool": pickle("db.Pool", "gAS=")})
    assert not codec.same_tree(
        {"pool": pickle("db.Pool", "gAR=")}, {"pool": pickle("db.Lock", "gAR=")}
    )


def test_a_delta_keeps_a_placeholder_only_for_a_value_of_its_type() -> None:
    # what the comparison took as equal (a placeholder against a value of its type) shows no
    # difference; a value of another type in its place is shown as it is
    recorded = {"pool": StoredRepr(f"{__name__}.Pool", "<Pool: not stored>"), "n": 1}
    kept = codec.placeholders_kept(recorded, {"pool": Pool(), "n": 2})
    assert kept == {"pool": recorded["pool"], "n": 2}
    other = Handle(1)
    assert codec.placeholders_kept(recorded, {"pool": other, "n": 1})["pool"] is other


def test_each_recorded_nan_stands_for_one_live_nan_only() -> None:
    # two NaNs of a live set are two items: one recorded NaN does not stand for both
    live = {float("nan"), float("nan")}
    assert same_stored_form(live, {float("nan"), float("nan")})
    assert not same_stored_form(live, {float("nan"), 1.0})
    assert not same_stored_form({"k": live}, {"k": {1.0, float("nan")}})


def test_an_ordered_dict_in_another_order_differs() -> None:
    from collections import OrderedDict

    assert not same_stored_form(OrderedDict(a=1, b=2), OrderedDict(b=2, a=1))


def test_a_dict_subclass_with_a_nan_key_is_compared_by_its_attributes_too() -> None:
    def tool(name: str) -> Tool:
        made = Tool({float("nan"): 1})
        made.name = name  # type: ignore[attr-defined]
        return made

    assert same_stored_form(tool("search"), tool("search"))
    assert not same_stored_form(tool("search"), tool("fetch"))


def test_integers_too_long_to_write_are_not_taken_for_each_other() -> None:
    # (as a dict's keys or a set's items: their stored texts cannot be made, so they pair with
    # nothing but themselves)
    assert not same_stored_form({10**5000: 1}, {10**5000 + 1: 1})
    assert not same_stored_form({10**5000}, {10**5000 + 1})


@dataclasses.dataclass
class Holder:
    """A library value holding a value only its repr could store."""

    resource: object


def test_a_delta_keeps_a_placeholder_inside_a_library_value_only_for_its_type() -> None:
    recorded = Holder(StoredRepr(f"{__name__}.Pool", "<Pool: not stored>"))
    assert codec.placeholders_kept(recorded, Holder(Pool())).resource == recorded.resource
    assert not isinstance(codec.placeholders_kept(recorded, Holder(Handle(1))).resource, StoredRepr)


def test_the_key_the_plugin_gives_stands_for_no_key_or_a_redacted_one() -> None:
    # (an Azure AD client: no API key when recorded, the plugin's placeholder key on replay)
    from pytest_clearstone.codec.withheld import PLACEHOLDER, PLACEHOLDER_KEY

    class Settings:
        def __init__(self, key: str | None) -> None:
            self.api_key = key

    assert same_stored_form(Settings(PLACEHOLDER_KEY), Settings(None))
    assert same_stored_form({"api_key": PLACEHOLDER_KEY}, {"api_key": PLACEHOLDER})
    assert not same_stored_form({"api_key": "sk-real"}, {"api_key": None})
    assert not same_stored_form({"api_key": PLACEHOLDER_KEY}, {"api_key": "sk-other"})
    assert not same_stored_form({"api_key": f"{PLACEHOLDER_KEY}-2"}, {"api_key": None})
    # held by a pydantic secret, of text or of bytes (a model field read from the variable)
    from pydantic import SecretBytes, SecretStr

    assert same_stored_form(SecretStr(PLACEHOLDER_KEY), None)
    assert same_stored_form(SecretBytes(PLACEHOLDER_KEY.encode()), PLACEHOLDER)
    assert not same_stored_form(SecretBytes(b"sk-real"), None)
    # only where the recording has the key: a key it lacks is kept as it is
    replayed = {"api_key": PLACEHOLDER_KEY, "keys": [PLACEHOLDER_KEY], "n": 1}
    assert codec.with_placeholder_keys(replayed, {"n": 1}) == replayed
    assert codec.with_placeholder_keys(replayed, {"keys": [None], "n": 1})["keys"] == [None]
    assert codec.with_placeholder_keys(replayed, {"keys": [None, None]}) == replayed  # (a list
    # of another length is not matched item by item)


def test_a_stored_secret_is_the_redacted_text_a_golden_recorded_before_held_in_its_place() -> None:
    # (a secret under a secret name: stored as its class since, and before as '[REDACTED]')
    from pydantic import BaseModel, SecretStr

    from pytest_clearstone.codec.withheld import PLACEHOLDER, PLACEHOLDER_KEY

    class Config(BaseModel):
        api_key: SecretStr

    stored = codec.encode(SecretStr(PLACEHOLDER_KEY))
    assert codec.same_tree({"api_key": stored, "n": 1}, {"api_key": PLACEHOLDER, "n": 1})
    assert not codec.same_tree({"api_key": stored}, {"api_key": "sk-other"})
    before = Config.model_construct(api_key=PLACEHOLDER)
    assert same_stored_form(Config(api_key=SecretStr(PLACEHOLDER_KEY)), before)
    # the key the plugin gives (kept by a replay's redaction) stands for a stored secret
    assert codec.same_tree({"api_key": PLACEHOLDER_KEY}, {"api_key": stored})
    assert not codec.same_tree({"api_key": "sk-other"}, {"api_key": stored})
    assert same_stored_form({"api_key": PLACEHOLDER_KEY}, {"api_key": SecretStr(PLACEHOLDER_KEY)})


_WITHHELD = ["text", "SecretStr", "SecretBytes", "mask"]


def _secret_forms() -> dict[str, tuple[Any, Any]]:
    """Each form a secret the rules withheld takes, as a value and as its stored tree: the
    redaction's text (a golden recorded before secrets stayed secrets, a ``str`` key), a stored
    secret read back (holding the placeholder key), of text and of bytes, and pydantic's mask (a
    trace exported as plain JSON)."""
    from pydantic import SecretBytes, SecretStr

    from pytest_clearstone.codec.withheld import PLACEHOLDER, PLACEHOLDER_KEY

    forms: dict[str, Any] = {
        "text": PLACEHOLDER,
        "SecretStr": SecretStr(PLACEHOLDER_KEY),
        "SecretBytes": SecretBytes(PLACEHOLDER_KEY.encode()),
        "mask": "**********",
    }
    return {name: (value, codec.encode(value)) for name, value in forms.items()}


@pytest.mark.parametrize("recorded", _WITHHELD)
@pytest.mark.parametrize("actual", [*_WITHHELD, "key", "key secret"])
def test_a_withheld_secret_is_alike_in_every_form_either_side_holds(
    recorded: str, actual: str
) -> None:
    """A golden recorded before holds the text, one recorded since a stored secret; a replay's
    redaction makes either, or keeps the key the plugin gave (as text or in a secret). Every
    comparison takes them alike: a value with the recording (with and without its tree), trees
    (``ignore=`` paths, a library value by its stored form), and trees compared as values (the
    redaction's matcher, given the stored arguments of a call with ``ignore=``)."""
    from pydantic import BaseModel, SecretStr

    from pytest_clearstone.codec.withheld import PLACEHOLDER_KEY

    forms = _secret_forms()
    forms["key"] = (PLACEHOLDER_KEY, PLACEHOLDER_KEY)
    forms["key secret"] = (SecretStr(PLACEHOLDER_KEY), codec.encode(SecretStr(PLACEHOLDER_KEY)))
    value, tree = forms[recorded]
    live, live_tree = forms[actual]
    assert same_stored_form({"api_key": live, "n": 1}, {"api_key": value, "n": 1})
    assert same_stored_form({"api_key": live}, {"api_key": value}, {"api_key": tree})
    assert codec.same_tree({"api_key": live_tree, "n": 1}, {"api_key": tree, "n": 1})
    assert same_stored_form({"api_key": live_tree}, {"api_key": tree})  # (trees as values)

    class Config(BaseModel):  # (a library value: compared by its stored form)
        api_key: Any

    assert same_stored_form(Config(api_key=live), Config(api_key=value))
    # what the comparison takes as alike shows no difference in a delta
    assert codec.placeholders_kept({"api_key": value}, {"api_key": live}) == {"api_key": value}


@pytest.mark.parametrize("recorded", _WITHHELD)
def test_a_withheld_secret_is_not_alike_no_key_nor_a_key_in_clear(recorded: str) -> None:
    value, tree = _secret_forms()[recorded]
    for other in (None, "sk-other", 0, ""):
        assert not same_stored_form({"api_key": other}, {"api_key": value}, {"api_key": tree})
        assert not codec.same_tree({"api_key": other}, {"api_key": tree})
        assert not codec.same_tree({"api_key": tree}, {"api_key": other})
        if other is not None or type(value) is str:  # (a secret holding the key the plugin
            # gives stands for no key: a model field read from a variable it set)
            assert not same_stored_form({"api_key": value}, {"api_key": other})


def test_a_stored_tree_holding_the_key_the_plugin_gives_is_the_one_recorded_without_it() -> None:
    # (a library value compared by its stored form: an SDK client's settings, say)
    from pytest_clearstone.codec.withheld import PLACEHOLDER, PLACEHOLDER_KEY

    assert codec.same_tree({"api_key": PLACEHOLDER_KEY, "n": 1}, {"api_key": None, "n": 1})
    assert codec.same_tree({"api_key": PLACEHOLDER_KEY}, {"api_key": PLACEHOLDER})
    assert not codec.same_tree({"api_key": "sk-real"}, {"api_key": None})


def test_a_class_path_of_an_older_golden_compares_as_the_class_it_names() -> None:
    """A recorded ``self``'s or pydantic-ai run context's ``__class__`` is a class path as text:
    one naming the class by the private module it is written in (recorded before classes were
    named by the package exporting them) is the same as the public one, another class's not."""
    mcp_types = pytest.importorskip("mcp_types")
    assert mcp_types.CallToolResult.__module__ == "mcp_types._types"
    live = {"__class__": "mcp_types:CallToolResult"}
    assert same_stored_form(live, {"__class__": "mcp_types._types:CallToolResult"})
    assert not same_stored_form(live, {"__class__": "mcp_types._types:TextContent"})
    assert not same_stored_form(live, {"__class__": "mcp_types._types:Gone"})
    assert not same_stored_form({"text": "a"}, {"text": "b"})


def test_a_stored_tree_naming_a_class_by_an_older_path_inside_it_is_the_same_tree() -> None:
    import mcp_types

    assert mcp_types.CallToolResult.__module__ == "mcp_types._types"
    old, now = "mcp_types._types:CallToolResult", "mcp_types:CallToolResult"
    assert codec.same_tree({"__class__": now, "n": 1}, {"__class__": old, "n": 1})
    assert codec.same_tree({"classes": [now, "x"]}, {"classes": [old, "x"]})
    assert not codec.same_tree({"classes": [now, "x"]}, {"classes": [old, "y"]})


@dataclasses.dataclass
class FunctionTool:
    """The shape of the OpenAI Agents SDK's ``FunctionTool``: data the model sees, the function
    that runs the tool (stored as a placeholder, compared by its type), and a field with a
    default added by a later release of the library."""

    name: str
    on_invoke_tool: object
    timeout_seconds: float | None = None


def test_a_dataclass_recorded_before_its_class_gained_a_field_is_the_same_at_its_default() -> None:
    """A golden recorded with an older release of a library, replayed after its upgrade: the
    field the class gained since is not in the recorded tree. The recorded value reads back with
    the field at its default; a live value with the default was still found different (``==``
    fails on the placeholder of the function it holds, and its stored form had the field the
    tree lacks), and the divergence said only "(arguments differ, but not in their values)"."""
    import threading

    lock = threading.Lock()

    def invoke() -> object:  # (holds a lock: no pickle stores it)
        return lock

    with pytest.warns(codec.UnencodableValueWarning):
        tree = codec.encode({"tools": [FunctionTool("get_weather", invoke)]}, allow_pickle=False)
    del tree["tools"][0]["v"]["timeout_seconds"]  # (recorded before the field was added)
    recorded = codec.decode(tree)
    assert recorded["tools"][0].timeout_seconds is None
    live = {"tools": [FunctionTool("get_weather", invoke)]}
    assert same_stored_form(live, recorded, tree)
    assert not same_stored_form({"tools": [FunctionTool("get_time", invoke)]}, recorded, tree)
    assert not same_stored_form(
        {"tools": [FunctionTool("get_weather", invoke, timeout_seconds=5.0)]}, recorded, tree
    )


class Turns(list):  # type: ignore[type-arg]
    """A list subclass of the agent's own, without __eq__ of its own."""


def test_a_list_subclass_is_compared_by_its_items_and_its_attributes() -> None:
    # (it was compared by its attributes alone: a changed item was the same)
    assert same_stored_form(Turns([1, Handle(2)]), Turns([1, Handle(2)]))
    assert not same_stored_form(Turns([1]), Turns([2]))
    assert not same_stored_form(Turns([1]), Turns([1, 2]))
    tagged, other = Turns([Handle(1)]), Turns([Handle(1)])
    tagged.source = "db"  # type: ignore[attr-defined]
    other.source = "cache"  # type: ignore[attr-defined]
    assert not same_stored_form(tagged, other)


class SlottedTurns(list):  # type: ignore[type-arg]
    """A list subclass without a ``__dict__``: nothing but its items."""

    __slots__ = ()


def test_a_list_subclass_without_attributes_is_compared_by_its_items_alone() -> None:
    assert same_stored_form(SlottedTurns([Handle(2)]), SlottedTurns([Handle(2)]))
    assert not same_stored_form(SlottedTurns([Handle(2)]), SlottedTurns([Handle(3)]))


def test_an_orm_object_is_compared_by_its_columns_and_loaded_relationships() -> None:
    """A SQLAlchemy ORM object in an agent's state (stored as a pickle) compared with its
    recorded copy by its ``__dict__``, where SQLAlchemy keeps its bookkeeping (the session,
    identity and loading state, and a relationship's collection adapter): every replay of an
    unchanged agent failed, `<pickled app.Customer sha256:b1c3...> -> <... sha256:9ea7...>`."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy import orm

    class Base(orm.DeclarativeBase):
        pass

    class Customer(Base):
        __tablename__ = "customers"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        name = sqlalchemy.Column(sqlalchemy.String)
        orders = orm.relationship("Order")

    class Order(Base):
        __tablename__ = "orders"
        id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
        customer_id = sqlalchemy.Column(sqlalchemy.ForeignKey("customers.id"))
        total = sqlalchemy.Column(sqlalchemy.Numeric(10, 2))

    engine = sqlalchemy.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with orm.Session(engine) as session:
        session.add(Customer(id=1, name="Ann", orders=[Order(id=1, total=12.5)]))
        session.commit()

    def loaded() -> Any:
        with orm.Session(engine) as session:
            customer = session.get(Customer, 1)
            assert customer is not None and len(customer.orders) == 1
            return customer

    recorded, live = loaded(), loaded()
    assert same_stored_form(live, recorded)
    live.name = "Annie"
    assert not same_stored_form(live, recorded)
    live = loaded()
    live.orders[0].total = 13
    assert not same_stored_form(live, recorded)
    engine.dispose()


def test_random_generators_compare_by_their_state() -> None:
    # a random.Random's __dict__ holds only gauss_next; numpy's generators have no __dict__
    import pickle
    import random

    import numpy as np

    assert not same_stored_form(random.Random(1), random.Random(2))
    assert same_stored_form(random.Random(1), random.Random(1))
    for made in (np.random.default_rng, np.random.RandomState):
        recorded = pickle.loads(pickle.dumps(made(42)))
        assert same_stored_form({"rng": made(42)}, {"rng": recorded})
        assert not same_stored_form({"rng": made(43)}, {"rng": recorded})


class _Unpicklable:
    """A class whose own ``__getstate__`` refuses (a client holding a connection)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getstate__(self) -> Any:
        raise TypeError("cannot pickle a connection")


def test_a_value_whose_pickling_fails_compares_by_its_attributes() -> None:
    assert same_stored_form({"client": _Unpicklable("a")}, {"client": _Unpicklable("a")})
    assert not same_stored_form({"client": _Unpicklable("a")}, {"client": _Unpicklable("b")})
