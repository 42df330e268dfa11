"""The SDKs' list methods (``client.models.list()``) answer a page — openai's ``SyncPage``,
``SyncCursorPage``..., anthropic's ``SyncPage``, ``SyncPageCursor``..., from an async client an
``AsyncPaginator`` — which holds the client and the request and fetches the next page as it is
iterated: no golden can replay it. Mocked, a list method is refused before the test runs with
the fix that works (a function of one's own that reads the page), and following it records and
replays; a page answered by a function of one's own is refused after the run, with pickles
allowed too (the pickle of its request would hold the client and its key).

And every credential an SDK client holds (openai's ``admin_api_key``, anthropic's
``webhook_key``, a secret header of ``default_headers``) is one the last check before a golden
is written looks for: a copy in a pickle fails the recording and writes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import anthropic
import openai
import pytest

from .harness import Stack

AGENT = '''
from typing import Any

from openai.pagination import AsyncPage, SyncPage
from openai._base_client import AsyncPaginator


class Handle:
    """What only a pickle stores: a function that holds the client."""

    def __init__(self, client):
        self.reconnect = lambda: client


def handle(client):
    return Handle(client)


def reconnects(client):
    return handle(client).reconnect() is client


def models_page(client):
    return client.models.list()


def model_ids(client):
    # the fix of the refusal: a function of one's own that reads the page
    return [model.id for model in client.models.list()]


async def amodel_ids(client):
    return [model.id async for model in client.models.list()]


def page_ids(client):
    return [model.id for model in models_page(client)]


def typed_page(client) -> SyncPage[Any]:
    # annotated (not as text: no "from __future__ import annotations" here) to return a page;
    # (not SyncPage[Model]: pydantic keeps the class it makes for it, naming the module that
    # made it first, and the SDK's list would answer a pages_agent.SyncPage[Model])
    return client.models.list()


def typed_page_ids(client):
    return [model.id for model in typed_page(client)]


def atyped_page(client) -> AsyncPaginator[Any, AsyncPage[Any]]:
    return client.models.list()


async def atyped_page_ids(client):
    return [model.id async for model in atyped_page(client)]


def listing(client):
    return {"models": client.models.list(), "source": "api"}


def listing_ids(client):
    return [model.id for model in listing(client)["models"]]
'''

TEST = """
import asyncio

import pytest

import pages_agent as app


@pytest.mark.replay(mock={"llm": "TARGET"})
def test_it(replay, CLIENT):
    result = replay.run(app.FUNCTION, CLIENT)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    assert result == EXPECTED
"""

OPENAI_IDS = ["gpt-4o-mini", "gpt-4o"]
CLAUDE_IDS = ["claude-sonnet-4-5", "claude-haiku-4-5"]
FIX = (
    "it is a page of an SDK list method's results, which holds its client and request and "
    "fetches the next page as it is iterated, and cannot be replayed. Mock a function of your "
    "own that reads the page and returns what the agent uses instead (the items, or the fields "
    "it reads of them: [item.id for item in page])."
)


@pytest.fixture(scope="module", autouse=True)
def _load_models_resources() -> None:
    # imported once here, so that the in-process inner runs reuse them (see conftest._preload)
    for client in (openai.OpenAI(api_key="x"), openai.AsyncOpenAI(api_key="x")):
        client.models.list  # noqa: B018  (the attribute access is the import)
        client.admin.organization.users.list  # noqa: B018
    for claude in (anthropic.Anthropic(api_key="x"), anthropic.AsyncAnthropic(api_key="x")):
        claude.models.list  # noqa: B018


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    built: Stack = make_stack()
    built.pytester.makepyfile(pages_agent=AGENT)
    return built


def _write(stack: Stack, target: str, function: str, sdk: str) -> None:
    client = ("async_" if function.startswith("a") else "") + f"{sdk}_client"
    source = (
        TEST.replace("TARGET", target)
        .replace("CLIENT", client)
        .replace("FUNCTION", function)
        .replace("EXPECTED", repr(OPENAI_IDS if sdk == "openai" else CLAUDE_IDS))
    )
    stack.write_test("pages", source)


LIST_METHODS = [
    pytest.param("openai", "openai.resources.models.Models.list", "model_ids", id="openai"),
    pytest.param(
        "openai", "openai.resources.models.AsyncModels.list", "amodel_ids", id="openai-async"
    ),
    pytest.param(
        "anthropic", "anthropic.resources.models.Models.list", "model_ids", id="anthropic"
    ),
    pytest.param(
        "anthropic",
        "anthropic.resources.models.AsyncModels.list",
        "amodel_ids",
        id="anthropic-async",
    ),
]


@pytest.mark.parametrize(("sdk", "target", "function"), LIST_METHODS)
def test_a_list_method_is_refused_before_the_run_naming_a_function_of_ones_own_which_records(
    stack: Stack, sdk: str, target: str, function: str
) -> None:
    # Before the fix: the sync methods ran live, then the golden was refused at the page's
    # request options (a function), pointing to Completions.create (irrelevant) or to pickles
    # (whose pickle holds the API key); the async ones stored the paginator as its repr
    _write(stack, target, function, sdk)
    result = stack.try_record("-W", "error")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*Warning*")
    assert not stack.goldens()
    assert not stack.last_log[0]["anthropic"] + stack.last_log[0]["openai"], "a live call"
    page = "AsyncPaginator" if "Async" in target else "SyncPage"
    refusal = (
        f"test_pages.py::test_it: cannot serialise the answers of {target} (an {sdk} {page}): "
    )
    assert refusal + FIX in result.stdout.str()
    result.stdout.no_fnmatch_line("*pickle*")
    result.stdout.no_fnmatch_line("*Completions.create*")
    # following the fix: the function of one's own that reads the page is mocked
    _write(stack, f"pages_agent.{function}", function, sdk)
    stack.roundtrip()


@pytest.mark.parametrize(
    ("sdk", "function", "page"),
    [
        ("openai", "page_ids", "openai.pagination.SyncPage[Model]"),
        ("anthropic", "page_ids", "anthropic.pagination.SyncPage[ModelInfo]"),
    ],
)
def test_a_page_answered_by_a_function_of_ones_own_is_refused_with_pickles_allowed_too(
    stack: Stack, sdk: str, function: str, page: str
) -> None:
    # Before the fix: refused at the page's request options without pickles (naming a fix
    # that does not work), and with them refused for the API key in the pickle
    _write(stack, "pages_agent.models_page", function, sdk)
    for pickles in ((), ("--clearstone-allow-pickle",)):
        result = stack.try_record("-W", "error", *pickles)
        result.assert_outcomes(failed=1)
        assert not stack.goldens()
        refusal = (
            f"test_pages.py::test_it: the golden checkpoint was not written: cannot serialise "
            f"the answer of call #1 to pages_agent.models_page (an {page}): "
        )
        assert refusal + FIX in result.stdout.str()
    stack.check_no_secret_on_disk()


@pytest.mark.parametrize(
    ("function", "page"), [("typed_page", "SyncPage"), ("atyped_page", "AsyncPaginator")]
)
def test_a_function_of_ones_own_annotated_to_return_a_generic_page_is_refused_before_the_run(
    stack: Stack, function: str, page: str
) -> None:
    # Before the fix: "(a pages_agent SyncPage[Any])": pydantic's class for SyncPage[Any] is
    # one of the module that wrote it. Its origin, openai's SyncPage, is named; every answer
    # is a page, so the recording is refused before the agent runs, with no live call
    # (AsyncPaginator[...], a typing generic, by its __origin__)
    _write(stack, f"pages_agent.{function}", f"{function}_ids", "openai")
    result = stack.try_record("-W", "error")
    result.assert_outcomes(failed=1)
    assert not stack.goldens()
    assert not stack.last_log[0]["openai"], "a live call"
    refusal = (
        f"test_pages.py::test_it: cannot serialise the answers of pages_agent.{function} "
        f"(an openai {page}): "
    )
    assert refusal + FIX in result.stdout.str()


def test_a_page_inside_an_answer_is_named_with_the_fix(stack: Stack) -> None:
    # Before the fix: named the function in the page's request options, with fixes that do
    # not work (the SDK's create, pickles)
    _write(stack, "pages_agent.listing", "listing_ids", "openai")
    result = stack.try_record("-W", "error")
    result.assert_outcomes(failed=1)
    assert not stack.goldens()
    refusal = (
        "test_pages.py::test_it: the golden checkpoint was not written: cannot serialise the "
        "answer of call #1 to pages_agent.listing, at answer['models'] (an "
        "openai.pagination.SyncPage): "
    )
    assert refusal + FIX in result.stdout.str()


ADMIN_KEY = "sk-admin-PROBE-SECRET-111222333"
ADMIN_TEST = f'''
import httpx2, openai, pytest
ADMIN_KEY = "{ADMIN_KEY}"
def users(request):
    return httpx2.Response(200, json={{"object": "list", "has_more": False, "first_id": "u1",
        "last_id": "u1", "data": [{{"id": "u1", "object": "organization.user", "name": "Ann",
        "email": "a@x.io", "role": "owner", "added_at": 1}}]}})
@pytest.mark.replay(mock={{"admin": "openai.resources.admin.organization.users.users.Users.list"}})
def test_admin_key():
    client = openai.OpenAI(admin_api_key=ADMIN_KEY, max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(users)))
    assert [u.email for u in client.admin.organization.users.list()] == ["a@x.io"]
'''


def _on_disk(stack: Stack, secret: str) -> list[str]:
    """The files the plugin wrote under the project (not the test's source) that hold
    ``secret``, base64 runs decoded."""
    hits = []
    for path in stack.path.rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc"):
            data = path.read_bytes()
            if secret.encode() in data or secret.encode() in _decoded_runs(data):
                hits.append(path.name)
    return hits


def _decoded_runs(data: bytes) -> bytes:
    runs = []
    for word in data.replace(b'"', b" ").split():
        if len(word) >= 40:
            try:
                runs.append(base64.b64decode(word + b"=" * (-len(word) % 4)))
            except ValueError:
                continue
    return b"\n".join(runs)


def test_the_admin_key_of_a_listed_page_never_reaches_a_golden(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tester's reproducer. Before the fix: the golden was written with the admin key in
    # the pickle of the page's request options (--clearstone-allow-pickle)
    for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    stack.write_test("admin", ADMIN_TEST)
    result = stack.try_record("--clearstone-allow-pickle")
    result.assert_outcomes(failed=1)
    assert not stack.goldens()
    assert not _on_disk(stack, ADMIN_KEY)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answers of openai.resources.admin.organization.users.users."
            "Users.list (an openai SyncConversationCursorPage): it is a page*"
        ]
    )


CREDENTIAL_TEST = """
import anthropic, httpx2, openai, pytest

import pages_agent as app

HTTP = httpx2.Client(transport=httpx2.MockTransport(lambda request: httpx2.Response(404)))


@pytest.mark.replay(mock={"tool": "pages_agent.handle"})
def test_it(replay):
    assert replay.run(app.reconnects, CLIENT)
"""
#: the credential of each case (each its own: the codec keeps the first description of a value)
CREDENTIAL = "cred-PROBE-SECRET-444555666777-{case}"


@pytest.mark.parametrize(
    ("client", "what"),
    [
        pytest.param(
            "openai.OpenAI(admin_api_key='KEY', http_client=HTTP)",
            "the admin_api_key of an openai.OpenAI client",
            id="openai-admin_api_key",
        ),
        pytest.param(
            "anthropic.Anthropic(webhook_key='KEY', http_client=HTTP)",
            "the webhook_key of an anthropic.Anthropic client",
            id="anthropic-webhook_key",
        ),
        pytest.param(
            "anthropic.Anthropic(default_headers={'x-api-key': 'KEY'}, http_client=HTTP)",
            "the x-api-key header of an anthropic.Anthropic client",
            id="anthropic-default-x-api-key",
        ),
        pytest.param(
            "openai.OpenAI(admin_api_key='x', http_client=HTTP, default_headers="
            "{'Authorization': 'Bearer KEY'})",
            "the Authorization header of an openai.OpenAI client",
            id="openai-default-authorization",
        ),
    ],
)
def test_a_client_credential_in_a_pickled_answer_fails_the_recording_and_writes_nothing(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, client: str, what: str
) -> None:
    # Before the fix: the codec noted only api_key, auth_token and webhook_secret of an SDK
    # client, and secret headers of plain HTTP clients only: the golden was written with the
    # credential in the pickle of the answer's function, which holds the client
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    key = CREDENTIAL.format(case=what.split()[1])
    stack.write_test("credential", CREDENTIAL_TEST.replace("CLIENT", client.replace("KEY", key)))
    result = stack.try_record("--clearstone-allow-pickle")
    result.assert_outcomes(failed=1)
    assert not stack.goldens()
    assert not _on_disk(stack, key)
    result.stdout.fnmatch_lines([f"*{what} is in the output of span 'pages_agent.handle'*"])
    assert key not in result.stdout.str()
